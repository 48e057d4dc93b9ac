//! The command line: argument parsing and the only place that touches files and the terminal.
//!
//! Commands: `validate` (check scenario files), `run` (every cell × replication of a
//! scenario → the answer, CSV files, charts, `report.html`, `manifest.json`), `metrics`
//! (the metric catalogue), `init` (write a starter scenario from `scenarios/templates/`),
//! `check` (a scenario's expectations as a regression check), `staff` (the fewest agents
//! meeting service targets, per configuration or per interval), `trace` (one run's event
//! log, streamed, or the chats whose fate differs between two configurations), `merge`
//! (the shards of a run into its whole report) and `engine-script` (replay an engine
//! script). Report folders are written as one unit (`outdir`).

mod args;
mod check;
mod outdir;
mod progress;
mod run;
mod staff;

pub use args::{
    CheckArgs, Cli, Command, InitArgs, MAX_JOBS, MergeArgs, RunArgs, StaffArgs, Template, TraceArgs,
    TraceFormat,
};
pub use run::{MAX_CHATS, MAX_RUNS, SHOW_ESTIMATE_FROM};

use clap::Parser as _;
use std::ffi::OsString;
use std::fmt;
use std::io::Write as _;
use std::path::PathBuf;

/// A command that failed, with its exit code (ARCHITECTURE.md, `src/cli/`).
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
    /// `chatsim init` found something at its path (exit 2): it never overwrites.
    Exists {
        /// The path.
        path: PathBuf,
        /// What is there: "a file", "a folder"…
        what: &'static str,
    },
    /// Writing to the terminal failed (exit 3).
    Write(std::io::Error),
    /// A scenario is invalid (exit 2); every problem, located.
    Scenario(crate::scenario::ScenarioErrors),
    /// A report file could not be written (exit 3).
    Report(crate::report::ReportError),
    /// The worker threads could not start (exit 3).
    Threads(String),
    /// A chart could not be drawn (exit 3).
    Chart(String, crate::report::plot::PlotError),
    /// An earlier run's results (`check --baseline`) could not be read (exit 2).
    Baseline {
        /// The file.
        path: PathBuf,
        /// Where and why.
        message: String,
    },
    /// The scenario has nothing to check (exit 2).
    NoExpectations(PathBuf),
    /// An expectation was violated, or undecided under `--strict` (exit 1).
    Failed(String),
    /// An option names nothing in the scenario, e.g. an unknown configuration or a
    /// replication out of range (exit 2); what is there instead.
    Selection(String),
    /// A staffing request does not fit the scenario: no or bad targets, an unknown or
    /// ambiguous team, shrinkage out of range (exit 2).
    Staffing(String),
    /// The output folder cannot be used as asked: a folder of other files without
    /// `--force`, a file, finished runs left there, a plan that does not match `--resume`
    /// or a bad `--shard` (exit 2).
    OutDir(String),
    /// The output folder could not be prepared or put in place (exit 3).
    Output {
        /// The output folder.
        path: PathBuf,
        /// What failed.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// Another command is writing into the output folder (exit 3).
    Locked {
        /// The output folder.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// Who holds it, as the lock says.
        owner: String,
    },
    /// The run was stopped (SIGINT, SIGTERM) before the end; finished runs are kept
    /// (exit 3). How to finish it.
    Interrupted(String),
    /// The run is larger than chatsim attempts, with the estimate (exit 2).
    TooBig(String),
    /// Shards that do not merge: other plans, a run missing or given twice (exit 2).
    Merge(String),
}

impl Error {
    /// The process exit code: 2 for input errors, 3 for run and I/O failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(e) if !e.use_stderr() => 0,
            Self::Failed(_) => 1,
            Self::Usage(_)
            | Self::Read { .. }
            | Self::Script { .. }
            | Self::Scenario(_)
            | Self::Baseline { .. }
            | Self::NoExpectations(_)
            | Self::Exists { .. }
            | Self::Selection(_)
            | Self::Staffing(_)
            | Self::OutDir(_)
            | Self::TooBig(_)
            | Self::Merge(_) => 2,
            Self::Write(_)
            | Self::Report(_)
            | Self::Threads(_)
            | Self::Chart(..)
            | Self::Output { .. }
            | Self::Locked { .. }
            | Self::Interrupted(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(e) => write!(f, "{}", e.to_string().trim_end().trim_start_matches("error: ")),
            Self::Read { path, .. } => write!(f, "could not read '{}'", path.display()),
            Self::Script { path, source } => write!(f, "{}:{source}", path.display()),
            Self::Exists {
                path,
                what: "a folder",
            } => write!(
                f,
                "'{}' is a folder; chatsim init writes a file: give a file path, such as '{}'",
                path.display(),
                path.join("scenario.toml").display()
            ),
            Self::Exists { path, what } => write!(
                f,
                "'{}' already exists ({what}); chatsim init never overwrites: give another path, or move it away first",
                path.display()
            ),
            Self::Write(_) => f.write_str("could not write the output"),
            Self::Scenario(errors) => {
                // One problem per line; `main` prefixes the first with "error: ".
                let lines: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
                f.write_str(&lines.join("\nerror: "))
            }
            Self::Report(e) => write!(f, "{e}"),
            Self::Threads(e) => write!(f, "could not start worker threads: {e}"),
            Self::Chart(name, e) => write!(f, "could not draw chart '{name}': {e}"),
            Self::Baseline { path, message } => write!(f, "{}: {message}", path.display()),
            Self::NoExpectations(path) => write!(
                f,
                "{}: no [[expect]] to check (add e.g. [[expect]] that = \"fairness_jain >= 0.95\")",
                path.display()
            ),
            Self::Failed(what) => f.write_str(what),
            Self::Selection(message)
            | Self::Staffing(message)
            | Self::OutDir(message)
            | Self::Interrupted(message)
            | Self::TooBig(message)
            | Self::Merge(message) => f.write_str(message),
            Self::Output { path, what, .. } => write!(f, "output folder '{}': {what}", path.display()),
            Self::Locked { dir, lock, owner } => write!(
                f,
                "another chatsim command is writing into '{}' (its lock '{}' says: {}); wait for it to finish, or if no such command is running, delete the lock file",
                dir.display(),
                lock.display(),
                if owner.is_empty() { "nothing" } else { owner }
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            Self::Write(e) => Some(e),
            Self::Report(e) => e.source.source().or(Some(&e.source)),
            Self::Output { source, .. } => Some(source),
            Self::Usage(_)
            | Self::Script { .. }
            | Self::Scenario(_)
            | Self::Exists { .. }
            | Self::Threads(_)
            | Self::Chart(..)
            | Self::Baseline { .. }
            | Self::NoExpectations(_)
            | Self::Failed(_)
            | Self::Selection(_)
            | Self::Staffing(_)
            | Self::OutDir(_)
            | Self::Locked { .. }
            | Self::Interrupted(_)
            | Self::TooBig(_)
            | Self::Merge(_) => None,
        }
    }
}

/// Runs the command line `args` (program name first).
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<(), Error> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version go to stdout and succeed.
            return print_out(&e.to_string());
        }
        Err(e) => return Err(Error::Usage(e)),
    };
    match cli.command {
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Run(args) => run::run_scenario(&args),
        Command::Merge(args) => run::merge(&args),
        Command::Check(args) => check::check(&args),
        Command::Staff(args) => staff::staff(&args),
        Command::Metrics { markdown } => print_out(&if markdown {
            crate::metrics::catalogue::reference_markdown()
        } else {
            crate::metrics::catalogue::reference_text()
        }),
        Command::Init(args) => init(&args),
        Command::EngineScript { file } => {
            // Bounded like a scenario file: a regular file of at most 16 MiB.
            use crate::scenario::input::{SCENARIO_LIMIT, read_text};
            let text = read_text(&file, SCENARIO_LIMIT).map_err(|e| Error::Read {
                path: file.clone(),
                source: e.into(),
            })?;
            let log = crate::script::run(&text).map_err(|source| Error::Script { path: file, source })?;
            print_out(&log)
        }
        Command::Trace(args) => trace(&args),
    }
}

/// Writes a line to stderr; a closed stderr is not worth a panic.
fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Writes to stdout; a closed pipe (`| head`) is the reader's choice, not a failure.
fn print_out(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    quiet_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// A write's outcome, a closed pipe (`| head`) counting as success.
fn quiet_pipe(result: std::io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::Write),
    }
}

/// `chatsim trace`: one run's events as they happen, or the fate diff of two configurations.
fn trace(args: &TraceArgs) -> Result<(), Error> {
    use crate::trace::{self, EventWriter, Format, Side};
    let mut experiment = crate::scenario::load_experiment(&args.path).map_err(Error::Scenario)?;
    for w in &experiment.base.warnings {
        warn(w);
    }
    if let Some(s) = args.seed {
        for cell in &mut experiment.cells {
            cell.scenario.seed = s;
        }
    }
    let select = |spec: &str, reference: usize| {
        experiment.select_cell(spec, reference).map_err(|message| {
            let mut text = format!("{message}; the configurations of {} are:", args.path.display());
            for (i, c) in experiment.cells.iter().enumerate() {
                let baseline = if i == experiment.baseline {
                    " (baseline)"
                } else {
                    ""
                };
                text.push_str(&format!("\n  {i}  {}{baseline}", c.label));
            }
            Error::Selection(text)
        })
    };
    let cell = match &args.cell {
        Some(spec) => select(spec, experiment.baseline)?,
        None => experiment.baseline,
    };
    // The replications `run` would make (a sequential plan may add up to its cap).
    let scenario = &experiment.cells[cell].scenario;
    let replications = scenario.sequential.as_ref().map_or(scenario.replications, |q| {
        q.max_replications.max(scenario.replications)
    });
    if args.replication >= u64::from(replications) {
        return Err(Error::Selection(format!(
            "there is no replication {} in {}: it runs {replications} (0 to {})",
            args.replication,
            args.path.display(),
            replications - 1
        )));
    }
    let format = match args.format {
        TraceFormat::Text => Format::Text,
        TraceFormat::Csv => Format::Csv,
        TraceFormat::Jsonl => Format::Jsonl,
    };
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    match &args.diff {
        Some(spec) => {
            let other = select(spec, cell)?;
            let b = &experiment.cells[other];
            let diff = trace::diff(scenario, &b.scenario, args.replication);
            let sides = [
                Side {
                    label: &experiment.cells[cell].label,
                    config: &scenario.engine,
                },
                Side {
                    label: &b.label,
                    config: &b.scenario.engine,
                },
            ];
            if format != Format::Text {
                // The records are the differing chats; the count goes beside them.
                warn(&trace::diff_summary(&diff, sides, args.replication));
            }
            quiet_pipe(trace::write_diff(&diff, sides, args.replication, format, out).map(drop))
        }
        None => {
            let run = EventWriter::new(&scenario.engine, format, out).and_then(|mut writer| {
                crate::sim::run_observed(
                    scenario,
                    args.replication,
                    crate::sim::RunOptions::default(),
                    |o| writer.write(o),
                )?;
                writer.finish().map(drop)
            });
            quiet_pipe(run)
        }
    }
}

fn validate(paths: &[PathBuf]) -> Result<(), Error> {
    let mut all = Vec::new();
    let mut report = String::new();
    for path in paths {
        // The whole experiment: every [compare] cell is validated too.
        match crate::scenario::load_experiment(path) {
            Ok(e) => {
                for w in &e.base.warnings {
                    warn(w);
                }
                report.push_str(&format!(
                    "ok: {} ({} agents, {} configuration{}, {} replication{})\n",
                    path.display(),
                    e.base.engine.agents.len(),
                    e.cells.len(),
                    if e.cells.len() == 1 { "" } else { "s" },
                    e.base.replications,
                    if e.base.replications == 1 { "" } else { "s" }
                ));
            }
            Err(e) => all.extend(e.0),
        }
    }
    print_out(&report)?;
    if all.is_empty() {
        Ok(())
    } else {
        Err(Error::Scenario(crate::scenario::ScenarioErrors(all)))
    }
}

/// `chatsim init`: writes the template to a path where nothing is, then says what to run
/// next (README.md, "Starting a scenario").
fn init(args: &InitArgs) -> Result<(), Error> {
    let path = &args.path;
    let exists = |what| Error::Exists {
        path: path.clone(),
        what,
    };
    // `symlink_metadata`: a link, even a dangling one, is something there too.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        let kind = meta.file_type();
        return Err(exists(if kind.is_symlink() {
            "a link"
        } else if kind.is_dir() {
            "a folder"
        } else if kind.is_file() {
            "a file"
        } else {
            "not a regular file"
        }));
    }
    // Linked into place, so a file that appeared since the check is not replaced either.
    crate::report::write_atomic_new(path, args.template.text().as_bytes()).map_err(|e| {
        if e.source.kind() == std::io::ErrorKind::AlreadyExists {
            exists("a file")
        } else {
            Error::Report(e)
        }
    })?;
    let shown = shell_word(&path.display().to_string());
    print_out(&format!(
        "wrote {shown}: the {} starter scenario (every key commented; its header says how to adapt it)\n\
         run it as it is or after editing it (`chatsim validate {shown}` checks your changes):\n\
         \n    chatsim run {shown}\n",
        args.template.name()
    ))
}

/// `word` as a shell would need it typed: as it is when it is plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./+:@%=,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Loads a scenario with its comparison matrix, prints its warnings, and applies the
/// command line's replications and seed to every configuration.
fn load_with(
    path: &std::path::Path,
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<crate::scenario::Experiment, Error> {
    let mut experiment = crate::scenario::load_experiment(path).map_err(Error::Scenario)?;
    for w in &experiment.base.warnings {
        warn(w);
    }
    for scenario in
        std::iter::once(&mut experiment.base).chain(experiment.cells.iter_mut().map(|c| &mut c.scenario))
    {
        if let Some(n) = replications {
            scenario.replications = n;
        }
        if let Some(s) = seed {
            scenario.seed = s;
        }
    }
    Ok(experiment)
}
