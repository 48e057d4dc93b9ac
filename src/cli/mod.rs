//! The command line: argument parsing and the only place that touches files and the terminal.
//!
//! Commands: `validate` (check scenario files), `run` (a scenario's replications → summary,
//! `runs.csv`, `intervals.csv`, `groups.csv`) and `engine-script` (replay an engine script).

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
    /// A scenario is invalid (exit 2); every problem, located.
    Scenario(crate::scenario::ScenarioErrors),
    /// A report file could not be written (exit 3).
    Report(crate::report::ReportError),
    /// The worker threads could not start (exit 3).
    Threads(String),
}

impl Error {
    /// The process exit code: 2 for input errors, 3 for run and I/O failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(e) if !e.use_stderr() => 0,
            Self::Usage(_) | Self::Read { .. } | Self::Script { .. } | Self::Scenario(_) => 2,
            Self::Write(_) | Self::Report(_) | Self::Threads(_) => 3,
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
            Self::Scenario(errors) => {
                // One problem per line; `main` prefixes the first with "error: ".
                let lines: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
                f.write_str(&lines.join("\nerror: "))
            }
            Self::Report(e) => write!(f, "{e}"),
            Self::Threads(e) => write!(f, "could not start worker threads: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            Self::Write(e) => Some(e),
            Self::Report(e) => e.source.source().or(Some(&e.source)),
            Self::Usage(_) | Self::Script { .. } | Self::Scenario(_) | Self::Threads(_) => None,
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
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Run {
            scenario,
            out,
            replications,
            seed,
            jobs,
            quiet,
        } => run_scenario(&scenario, out, replications, seed, jobs, quiet),
        Command::EngineScript { file } => {
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Read {
                path: file.clone(),
                source,
            })?;
            let log = crate::script::run(&text).map_err(|source| Error::Script { path: file, source })?;
            print_out(&log)
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is the reader's choice, not a failure.
fn print_out(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Error::Write),
    }
}

fn validate(paths: &[PathBuf]) -> Result<(), Error> {
    let mut all = Vec::new();
    let mut report = String::new();
    for path in paths {
        match crate::scenario::load(path) {
            Ok(s) => {
                report.push_str(&format!(
                    "ok: {} ({} agents, {} replications)\n",
                    path.display(),
                    s.engine.agents.len(),
                    s.replications
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

fn run_scenario(
    path: &std::path::Path,
    out: Option<PathBuf>,
    replications: Option<u32>,
    seed: Option<u64>,
    jobs: usize,
    quiet: bool,
) -> Result<(), Error> {
    let mut scenario = crate::scenario::load(path).map_err(Error::Scenario)?;
    if let Some(n) = replications {
        scenario.replications = n;
    }
    if let Some(s) = seed {
        scenario.seed = s;
    }
    let results =
        crate::experiment::run_replications(&scenario, jobs).map_err(|e| Error::Threads(e.to_string()))?;
    let runs: Vec<crate::metrics::RunMetrics> = results.into_iter().map(|r| r.metrics).collect();
    let dir = out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let files = [
        ("runs.csv", crate::report::runs_csv(&runs)),
        ("intervals.csv", crate::report::intervals_csv(&scenario, &runs)),
        ("groups.csv", crate::report::groups_csv(&scenario, &runs)),
    ];
    for (name, bytes) in &files {
        crate::report::write_atomic(&dir.join(name), bytes).map_err(Error::Report)?;
    }
    if !quiet {
        let mut text = crate::report::terminal_summary(&scenario, &runs);
        text.push_str(&format!(
            "\nwrote {}/{{runs.csv, intervals.csv, groups.csv}}\n",
            dir.display()
        ));
        print_out(&text)?;
    }
    Ok(())
}
