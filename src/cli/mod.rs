//! The command line: argument parsing and the only place that touches files and the terminal.
//!
//! Commands today: `engine-script` (replay an engine script and print its event log). The
//! simulator commands (`validate`, `run`, …) arrive with the simulator.

mod args;

pub use args::{Cli, Command};

use clap::Parser as _;
use std::ffi::OsString;
use std::fmt;
use std::io::Write as _;
use std::path::PathBuf;

/// A command that failed, with its exit code (PRODUCT.md §8).
#[derive(Debug)]
pub enum Error {
    /// Bad command-line usage (exit 2); clap's message.
    Usage(clap::Error),
    /// A file could not be read (exit 2: it is the user's input).
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An engine script is malformed (exit 2).
    Script {
        /// The file.
        path: PathBuf,
        /// Where and why.
        source: crate::script::ScriptError,
    },
    /// Writing to the terminal failed (exit 3).
    Write(std::io::Error),
}

impl Error {
    /// The process exit code: 2 for input errors, 3 for run and I/O failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(e) if !e.use_stderr() => 0,
            Self::Usage(_) | Self::Read { .. } | Self::Script { .. } => 2,
            Self::Write(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(e) => write!(f, "{}", e.to_string().trim_end().trim_start_matches("error: ")),
            Self::Read { path, .. } => write!(f, "could not read '{}'", path.display()),
            Self::Script { path, source } => write!(f, "{}:{source}", path.display()),
            Self::Write(_) => f.write_str("could not write the output"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            Self::Write(e) => Some(e),
            Self::Usage(_) | Self::Script { .. } => None,
        }
    }
}

/// Runs the command line `args` (program name first).
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<(), Error> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version go to stdout and succeed.
            print!("{e}");
            return Ok(());
        }
        Err(e) => return Err(Error::Usage(e)),
    };
    match cli.command {
        Command::EngineScript { file } => {
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Read {
                path: file.clone(),
                source,
            })?;
            let log = crate::script::run(&text).map_err(|source| Error::Script { path: file, source })?;
            let mut out = std::io::stdout().lock();
            match out.write_all(log.as_bytes()).and_then(|()| out.flush()) {
                // A closed pipe (`| head`) is the reader's choice, not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(Error::Write),
            }
        }
    }
}
