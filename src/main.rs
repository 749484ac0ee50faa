//! The `authconform` binary: parse the command line, run the command, map the outcome or the
//! error to the documented exit code. Nothing else happens here.

use std::process::ExitCode;

use authconform::{
    cli::{Cli, exec},
    error::{EXIT_OK, EXIT_USAGE},
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
    match exec(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            anstream::eprintln!("authconform: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
