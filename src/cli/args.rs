//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand};
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
    /// Run a scenario (every configuration of its comparison matrix × its replications); print a
    /// ranked summary and write CSV files, charts and report.html.
    Run(RunArgs),
    /// Run a scenario's `[[expect]]` expectations as a regression check: each judged per
    /// configuration on its 95 % interval (met, violated or undecided), adding replications
    /// until every one is decided or the cap is reached. Exit 1 when any is violated.
    Check(CheckArgs),
    /// Print the metric catalogue: every metric's id, unit, direction, bounds and definition.
    Metrics {
        /// Print it as the Markdown reference (docs/metrics.md is this output).
        #[arg(long)]
        markdown: bool,
    },
    /// Replay an engine script (workspace + timed inputs) and print the engine's event log.
    EngineScript {
        /// The script file.
        file: PathBuf,
    },
}

/// The options of `chatsim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The scenario file (with `[[expect]]` tables).
    #[arg(value_name = "SCENARIO")]
    pub path: PathBuf,
    /// Judge `baseline` conditions against an earlier run's results (its report folder or
    /// its summary.csv), configuration by configuration: unpaired (Welch).
    #[arg(long, value_name = "DIR|summary.csv")]
    pub baseline: Option<PathBuf>,
    /// Write JUnit XML here (one testcase per expectation × configuration).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a Markdown table here (for a pull-request comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Fail (exit 1) when an expectation is still undecided at the cap.
    #[arg(long)]
    pub strict: bool,
    /// Replications to start with (default: the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub replications: Option<u32>,
    /// Never more replications per configuration than this (default: `[sequential]
    /// max_replications`, else 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub max_replications: Option<u32>,
    /// Master seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// Print nothing but errors (the exit code says it all).
    #[arg(long)]
    pub quiet: bool,
}

/// The options of `chatsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    pub path: PathBuf,
    /// Output folder (default: reports/NAME/, NAME being the scenario name).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of replications (overrides the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub replications: Option<u32>,
    /// Master seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// Print nothing but errors (and no progress bar).
    #[arg(long)]
    pub quiet: bool,
    /// Widen difference intervals for the number of comparisons (Bonferroni).
    #[arg(long)]
    pub bonferroni: bool,
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
