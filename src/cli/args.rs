//! Command-line arguments (clap derive).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// chatsim: simulate and compare chat auto-assignment strategies.
#[derive(Debug, Parser)]
#[command(name = "chatsim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay an engine script (workspace + timed inputs) and print the engine's event log.
    EngineScript {
        /// The script file.
        file: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
