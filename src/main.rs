//! The `authconform` binary: parse the command line, run the command, map the outcome or the
//! error to the documented exit code. Nothing else happens here.

use std::{panic, process::ExitCode};

use authconform::{
    base::error::{EXIT_OK, EXIT_USAGE},
    base::redact::neutralise,
    commands::cli::{Cli, exec},
};
use clap::Parser;

// musl's allocator is slow under many threads and many small allocations (see Cargo.toml).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // mimalloc v2 commits each arena whole on Linux: a third more resident memory for a run of
    // a few milliseconds. 4 is `mi_option_arena_eager_commit` in v2's mimalloc.h (the sys crate
    // names no constant for it); MIMALLOC_ARENA_EAGER_COMMIT=0 does the same from outside.
    // And it gives freed pages back only after 10 ms: a run of 10,000 cases peaked at 76 MiB,
    // 56 MiB when they go back at once (15, `mi_option_purge_delay`), for some 8% more CPU.
    #[cfg(target_env = "musl")]
    // SAFETY: sets two options of the allocator this binary links; any value is valid.
    unsafe {
        libmimalloc_sys::mi_option_set(4, 0);
        libmimalloc_sys::mi_option_set(15, 0);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are "errors" to clap; they succeed for the user.
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    match panic::catch_unwind(|| exec(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            // Errors quote case files, flags and environment values: neutralised like all
            // text from outside.
            anstream::eprintln!("authconform: error: {}", neutralise(&e.to_string(), true));
            ExitCode::from(e.exit_code())
        }
        Err(payload) => panic::resume_unwind(payload),
    }
}
