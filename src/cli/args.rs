//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Print the engine's event log of one run, or (--diff) the chats whose fate differs
    /// between two configurations.
    ///
    /// One configuration (--cell, default the baseline) and one replication (--replication,
    /// default 0): every engine output as it happens, streamed, in the engine-script text form
    /// (one line per event), CSV or JSON lines. --diff CELL runs a second configuration on the
    /// same customers and lists the chats whose assignees, wait or ending differ, with their
    /// count.
    #[command(
        after_help = "Examples:\n  chatsim trace scenarios/quickstart.toml | head\n  \
                            chatsim trace scenarios/quickstart.toml --cell 'cap 3, least-busy' --format csv > trace.csv\n  \
                            chatsim trace scenarios/quickstart.toml --diff strategy=least-busy"
    )]
    Trace(TraceArgs),
}

/// The options of `chatsim trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    pub path: PathBuf,
    /// The configuration: its index (0, 3), its label as `run` prints it ("cap 3, least-busy")
    /// or compared values (strategy=least-busy,max_chats_per_agent=3; settings left out keep
    /// the baseline's). Default: the baseline.
    #[arg(long, value_name = "CELL")]
    pub cell: Option<String>,
    /// Which replication (day) to run: 0 up to the scenario's replications − 1. Every
    /// configuration sees the same customers in the same replication.
    #[arg(long, value_name = "R", default_value_t = 0)]
    pub replication: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
    /// Instead of the event log, list the chats whose fate (assignees in order, wait, how it
    /// ended) differs between --cell and CELL on the same customers, with their count. CELL is
    /// named like --cell; settings left out keep --cell's values.
    #[arg(long, value_name = "CELL")]
    pub diff: Option<String>,
    /// Master seed (overrides the scenario's, as with `run --seed`).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// How `chatsim trace` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// One line per event, as engine scripts print them.
    Text,
    /// A header, then one row per event: time_ms, time, event, chat, agent, from, reason,
    /// position, detail, to.
    Csv,
    /// One JSON object per event.
    Jsonl,
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
