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
    /// Check scenario files and report every problem with its location.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Run a scenario's replications; print a summary and write runs.csv, intervals.csv and groups.csv.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Output folder (default: reports/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Number of replications (overrides the scenario's).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        replications: Option<u32>,
        /// Master seed (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: one per core); results do not depend on it.
        #[arg(long, default_value_t = 0)]
        jobs: usize,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
    },
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
