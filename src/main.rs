//! The `chatsim` command: parse arguments, run, print the error chain, exit with its code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match chatsim::cli::run(std::env::args_os()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(e.exit_code())
        }
    }
}
