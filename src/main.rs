//! The `authconform` binary: parse the command line, run the command, map the outcome or the
//! error to the documented exit code. Nothing else happens here.

use std::{panic, process::ExitCode};

use authconform::{
    cli::{Cli, exec},
    error::{EXIT_OK, EXIT_USAGE},
    redact::neutralise,
};
use clap::Parser;

fn main() -> ExitCode {
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
