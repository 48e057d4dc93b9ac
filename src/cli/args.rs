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
    /// Run a scenario (every configuration of its comparison matrix × its replications); print
    /// the answer and write CSV files, charts and report.html.
    Run(RunArgs),
    /// Judge a scenario's `[[expect]]` expectations per configuration (a regression check for
    /// CI); exit 1 when any is violated.
    ///
    /// Each expectation is judged on its 95 % interval: met (the whole interval on the right
    /// side), violated (the whole interval on the wrong side) or undecided; replications are
    /// added until every one is decided or the cap is reached.
    Check(CheckArgs),
    /// Find the fewest agents of a team meeting service targets, per configuration — over the
    /// whole horizon or interval by interval (capacity planning).
    ///
    /// Every target (`--target`, repeatable, else the scenario's `[staffing]` targets) is a
    /// condition `<metric> <op> <value>` met only when its whole 95 % interval is on the right
    /// side. Every staffing level sees the same customers (common random numbers); the answer
    /// n is verified: n meets every target, n − 1 does not. Exit 1 when no level up to the
    /// maximum meets them (the best reached is printed).
    #[command(
        after_help = "Examples:\n  chatsim staff scenarios/theory-erlang-c.toml --target 'service_level_20s >= 80%'\n  \
                            chatsim staff scenarios/weekday-shifts.toml --team late --per-interval \\\n      \
                      --target 'service_level_1m >= 80%' --target 'abandonment <= 3%' --shrinkage 30%"
    )]
    Staff(StaffArgs),
    /// Print the metric catalogue: every metric's id, unit, direction, bounds and definition.
    Metrics {
        /// Print it as the Markdown reference (docs/metrics.md is this output).
        #[arg(long)]
        markdown: bool,
    },
    /// Write a commented starter scenario to edit, validate and run; never overwrites anything.
    Init(InitArgs),
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
    /// Combine the output folders of `run --shard i/n` (or interrupted runs) of one
    /// scenario and seed into the report of the whole run, identical to the unsharded one.
    ///
    /// Every run must be in exactly one folder. The scenario file is read from the path the
    /// shards recorded (or --scenario) and must be the one they ran.
    #[command(
        after_help = "Example:\n  for i in 1 2 3; do chatsim run scenarios/quickstart.toml --shard $i/3 --out shards/$i; done\n  \
                            chatsim merge shards/1 shards/2 shards/3 --out reports/quickstart"
    )]
    Merge(MergeArgs),
}

/// The options of `chatsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' output folders.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output folder for the whole report.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The scenario file, when it is no longer at the path the shards recorded.
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Write into an existing --out folder that holds other files.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

/// The most worker threads `--jobs` takes: more only spends time starting threads.
pub const MAX_JOBS: u64 = 1024;

/// `--jobs`: 0 (one per core) to [`MAX_JOBS`]; more is refused, never silently clamped.
fn jobs_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(0..=MAX_JOBS)
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
    /// Worker threads, at most 1024 (default: one per core); results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = jobs_parser())]
    pub jobs: usize,
    /// Print nothing but errors (the exit code says it all).
    #[arg(long)]
    pub quiet: bool,
}

/// The options of `chatsim staff`.
#[derive(Debug, Args)]
pub struct StaffArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    pub path: PathBuf,
    /// A service target, e.g. "service_level_1m >= 80%" or "abandonment <= 3%" (repeatable;
    /// replaces the scenario's `[staffing]` targets).
    #[arg(long = "target", value_name = "CONDITION")]
    pub targets: Vec<String>,
    /// The team whose size is searched (default: `[staffing]` team, else the only team).
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
    /// Plan interval by interval (the scenario's `interval`, 1 h by default), the targets
    /// measured on the chats arriving in each interval; the team's shifts are replaced by
    /// the plan.
    #[arg(long)]
    pub per_interval: bool,
    /// Share of scheduled time agents are not on line (0.3 or 30%): heads = ⌈agents / (1 −
    /// shrinkage)⌉ (default: `[staffing]` shrinkage, else 0).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub shrinkage: Option<String>,
    /// The most agents to try (default: `[staffing]` max_agents, else 4 × the team's size,
    /// at least 50).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_agents: Option<u32>,
    /// Output folder (default: reports/NAME-staffing/, NAME being the file's stem);
    /// replaced as a whole when it holds a report (README.md, "Output folders").
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into an existing --out folder that holds other files (they are left alone;
    /// files of chatsim's names are replaced).
    #[arg(long)]
    pub force: bool,
    /// Replications per staffing level to start with (default: the scenario's); more are
    /// added in batches until every target is decided at the level, or the cap.
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub replications: Option<u32>,
    /// The most replications per staffing level (default: `[sequential]`
    /// max_replications, else 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub max_replications: Option<u32>,
    /// Master seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, at most 1024 (default: one per core); results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = jobs_parser())]
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
    /// Output folder (default: reports/NAME/, NAME being the file's stem; with --shard i/n,
    /// reports/NAME-shard-i-of-n/). Replaced as a whole when the run is complete (README.md,
    /// "Output folders").
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Run only the slice i of n of the runs (1 <= i <= n), leaving their per-run records
    /// for `chatsim merge` (README.md, "Running at scale").
    #[arg(long, value_name = "i/n")]
    pub shard: Option<String>,
    /// Finish the run whose output folder is DIR: reuse its finished runs (kept by an
    /// interrupted or killed run, or a shard's), run only what is missing. With nothing
    /// there it is a plain run into DIR, so a scheduler can always pass it.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Write into an existing --out folder that holds other files (they are left alone;
    /// files of chatsim's names are replaced), and discard finished runs an interrupted run
    /// left for --resume.
    #[arg(long)]
    pub force: bool,
    /// Number of replications (overrides the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub replications: Option<u32>,
    /// Master seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, at most 1024 (default: one per core); results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = jobs_parser())]
    pub jobs: usize,
    /// Print nothing but errors (and no progress bar).
    #[arg(long)]
    pub quiet: bool,
    /// Widen difference intervals for the number of comparisons (Bonferroni).
    #[arg(long)]
    pub bonferroni: bool,
}

/// The options of `chatsim init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Which starter scenario to write.
    #[arg(long, value_enum, default_value_t = Template::SmallTeam)]
    pub template: Template,
    /// Where to write it; missing folders are created. Refused (exit 2) if anything is
    /// already there.
    #[arg(value_name = "PATH", default_value = "scenario.toml")]
    pub path: PathBuf,
}

/// The starter scenarios of `chatsim init` (`scenarios/templates/NAME.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// One team of six: round-robin or least-busy, 2 or 3 chats per agent.
    SmallTeam,
    /// Early and late shifts with staggered breaks: late-shift size and a wind-down.
    Shifts,
    /// Two groups picked from a menu, a team each: when to overflow to any agent.
    GroupsMenu,
}

impl Template {
    /// Every template, in the order `--help` lists them.
    pub const ALL: [Self; 3] = [Self::SmallTeam, Self::Shifts, Self::GroupsMenu];

    /// The name `--template` takes (and the file's stem under `scenarios/templates/`).
    pub fn name(self) -> &'static str {
        match self {
            Self::SmallTeam => "small-team",
            Self::Shifts => "shifts",
            Self::GroupsMenu => "groups-menu",
        }
    }

    /// The scenario text, as shipped in `scenarios/templates/` (compiled into the binary).
    pub fn text(self) -> &'static str {
        match self {
            Self::SmallTeam => include_str!("../../scenarios/templates/small-team.toml"),
            Self::Shifts => include_str!("../../scenarios/templates/shifts.toml"),
            Self::GroupsMenu => include_str!("../../scenarios/templates/groups-menu.toml"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn template_names_are_the_values_clap_takes() {
        for t in Template::ALL {
            let value = t.to_possible_value().expect("no template is hidden");
            assert_eq!(value.get_name(), t.name());
            assert_eq!(Template::from_str(t.name(), false), Ok(t));
        }
    }
}
