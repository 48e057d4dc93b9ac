//! The `chatsim` command: parse arguments, run, print the error chain, exit with its code.

use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    match chatsim::cli::run(std::env::args_os()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed stderr (`2>&1 | head -0`) must not turn an error into a panic.
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let _ = writeln!(err, "  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(e.exit_code())
        }
    }
}
