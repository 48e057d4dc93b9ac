//! `chatsim run` and `chatsim merge` (README.md, "Output folders", "Running at scale",
//! "Sizes"): the work estimate and its limits, the output folder as one unit, per-run
//! records as runs finish, `--shard i/n`, `--resume DIR`, a clean stop on SIGINT/SIGTERM,
//! and the merge of shards into the whole report.
//!
//! The runs are `crate::experiment::run_resumable`; the record format is
//! `crate::experiment::record`; the folder protocol is `super::outdir`. This file decides
//! what to run, persists what finishes and writes the report.

use super::outdir::{self, Existing, OutDir, PLAN, RUNS};
use super::{Error, MergeArgs, RunArgs, print_out, progress, warn};
use crate::experiment::record::{self, RunKey, RunRecord};
use crate::experiment::stats::Adjustment;
use crate::experiment::{Hooks, Progress, SequentialOutcome, Shard, Task};
use crate::metrics::RunMetrics;
use crate::scenario::Experiment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The most runs (configurations × replications, or × the sequential cap) one experiment
/// may have: the report holds every run's metrics in memory.
pub const MAX_RUNS: u64 = 200_000;
/// The most chats one command may simulate (the estimate of its runs, or its shard's); a
/// larger sweep is split with `--shard`.
pub const MAX_CHATS: f64 = 1e11;
/// From this many chats on, the estimate is shown before the run starts.
pub const SHOW_ESTIMATE_FROM: f64 = 1e7;
/// Test-only switch: stop scheduling runs after this many finished (README.md, "Running at
/// scale"), as SIGINT would, without racing a clock.
const STOP_AFTER: &str = "CHATSIM_TEST_STOP_AFTER";
/// Test-only switch: kill the process (SIGKILL) after writing this many report files.
const KILL_DURING_WRITE: &str = "CHATSIM_TEST_KILL_DURING_WRITE";

/// Set by SIGINT/SIGTERM: schedule no more runs.
static STOP: AtomicBool = AtomicBool::new(false);

/// What a set of runs is: records of equal plans (but the shard and the path the scenario
/// was given by) can be combined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Plan {
    /// chatsim's version: another version may simulate differently.
    version: String,
    /// The scenario file as given.
    scenario: String,
    /// The scenario's fingerprint (its text).
    scenario_hash: String,
    /// Master seed.
    seed: u64,
    /// Replications per configuration (the first round, in sequential mode).
    replications: u32,
    /// Whether the scenario adds replications until its targets are met.
    sequential: bool,
    /// Number of configurations.
    configurations: usize,
    /// The slice, "i/n", or none.
    shard: Option<String>,
    /// Bonferroni-adjusted difference intervals.
    bonferroni: bool,
}

impl Plan {
    /// What differs between two plans (ignoring the scenario's path, and the shard unless
    /// `with_shard`), as "seed 1 vs 2".
    fn differences(&self, other: &Self, with_shard: bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |what: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{what} {a} vs {b}"));
            }
        };
        cmp("chatsim version", self.version.clone(), other.version.clone());
        cmp(
            "scenario text (fingerprint)",
            self.scenario_hash.clone(),
            other.scenario_hash.clone(),
        );
        cmp("seed", self.seed.to_string(), other.seed.to_string());
        cmp(
            "replications",
            self.replications.to_string(),
            other.replications.to_string(),
        );
        cmp(
            "configurations",
            self.configurations.to_string(),
            other.configurations.to_string(),
        );
        cmp(
            "--bonferroni",
            self.bonferroni.to_string(),
            other.bonferroni.to_string(),
        );
        if with_shard {
            let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
            cmp("shard", show(&self.shard), show(&other.shard));
        }
        out
    }
}

/// The scenario's fingerprint: FNV-1a of its text and of what it read from its data files
/// (traces, empirical distributions — in the validated `base`), so a shard, a resume or a
/// merge refuses a plan whose scenario *or data* changed. The seed and replications a
/// command line may override are part of the plan on their own, and the file's path is not
/// part of the scenario's identity.
fn fingerprint(path: &Path, base: &crate::scenario::Scenario) -> Result<String, Error> {
    use crate::scenario::input::{SCENARIO_LIMIT, read_text};
    let text = read_text(path, SCENARIO_LIMIT).map_err(|e| Error::Read {
        path: path.to_owned(),
        source: e.into(),
    })?;
    let mut data = base.clone();
    data.path = PathBuf::new();
    data.seed = 0;
    data.replications = 0;
    Ok(format!(
        "{:016x}",
        crate::workload::name_id(&format!("{text}\n{data:?}"))
    ))
}

/// `chatsim run`.
pub(super) fn run_scenario(args: &RunArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(Error::OutDir)?;
    let stem = args
        .path
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    // The default folder follows the file's stem, never the free-text `name` (README.md, "What is where").
    let dir = match (&args.resume, &args.out, shard) {
        (Some(d), _, _) | (None, Some(d), _) => d.clone(),
        (None, None, Some(s)) => {
            PathBuf::from("reports").join(format!("{stem}-shard-{}-of-{}", s.index, s.count))
        }
        (None, None, None) => PathBuf::from("reports").join(&stem),
    };
    // A resumed run keeps its plan: its seed, replications, shard and adjustment are the
    // defaults.
    let saved = args.resume.as_ref().and_then(|_| saved_plan(&dir));
    let replications = args.replications.or(saved.as_ref().map(|p| p.replications));
    let seed = args.seed.or(saved.as_ref().map(|p| p.seed));
    let shard = match (shard, saved.as_ref().and_then(|p| p.shard.as_deref())) {
        (None, Some(text)) => Some(Shard::parse(text).map_err(Error::OutDir)?),
        (s, _) => s,
    };
    let experiment = super::load_with(&args.path, replications, seed)?;
    let plan = Plan {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        scenario: args.path.display().to_string(),
        scenario_hash: fingerprint(&args.path, &experiment.base)?,
        seed: experiment.base.seed,
        replications: experiment.base.replications,
        sequential: experiment.base.sequential.is_some(),
        configurations: experiment.cells.len(),
        shard: shard.map(|s| s.to_string()),
        bonferroni: args.bonferroni || saved.as_ref().is_some_and(|p| p.bonferroni),
    };
    if shard.is_some() && plan.sequential {
        return Err(Error::OutDir(format!(
            "--shard cannot split {}: its [sequential] plan decides after each batch on every configuration's runs so far, which no shard has alone; run it whole (--resume keeps finished runs across interruptions), or remove [sequential] and set replications",
            args.path.display()
        )));
    }
    let estimate = estimate(&experiment, shard)?;
    // Writability, the lock and a foreign folder are settled before any simulation.
    let out = outdir::open(&dir, args.force)?;
    if let Some(message) = already_complete(&out, &plan, args.resume.is_some())? {
        if !args.quiet {
            print_out(&message)?;
        }
        return Ok(());
    }
    let known = if args.resume.is_some() && out.has_leftover() {
        read_leftover(&out, &plan, &experiment)?
    } else if out.has_leftover() && !args.force {
        return Err(leftover_error(&out, &args.path));
    } else {
        BTreeMap::new()
    };
    out.start(args.resume.is_some())?;
    out.write(
        PLAN,
        (serde_json::to_string_pretty(&plan).unwrap_or_default() + "\n").as_bytes(),
    )?;
    // From here on the build folder holds a plan, and soon finished runs: kept for --resume
    // whatever ends this command.
    out.keep_unfinished();
    if !args.quiet && (estimate.chats >= SHOW_ESTIMATE_FROM || !known.is_empty()) {
        let mut line = format!("work: {}", estimate.text);
        if !known.is_empty() {
            line.push_str(&format!("; {} finished runs kept from before", known.len()));
        }
        warn(&line);
    }
    install_signal_handler();
    let stop_after: Option<usize> = std::env::var(STOP_AFTER).ok().and_then(|v| v.parse().ok());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let finished = AtomicUsize::new(0);
    let bar = progress::bar(estimate.runs.saturating_sub(known.len() as u64), args.quiet);
    let persist = |(cell, replication): Task, metrics: &RunMetrics| {
        let record = RunRecord {
            key: RunKey {
                scenario_hash: plan.scenario_hash.clone(),
                seed: plan.seed,
                cell,
                replication,
            },
            label: experiment.cells[cell].label.clone(),
            metrics: metrics.clone(),
        };
        let path = out.build().join(RUNS).join(record::file_name(cell, replication));
        if let Err(e) = crate::report::write_atomic_unsynced(&path, record.to_json().as_bytes()) {
            let mut slot = failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slot.get_or_insert(Error::Report(e));
        }
        finished.fetch_add(1, Ordering::SeqCst);
        bar.inc(1);
    };
    let stop = || {
        STOP.load(Ordering::SeqCst)
            || stop_after.is_some_and(|n| finished.load(Ordering::SeqCst) >= n)
            || failure.lock().map_or(true, |f| f.is_some())
    };
    let progress = crate::experiment::run_resumable(
        &experiment,
        args.jobs,
        known,
        shard,
        &Hooks {
            finished: &persist,
            stop: &stop,
        },
    )
    .map_err(|e| Error::Threads(e.to_string()))?;
    bar.finish_and_clear();
    if let Some(e) = failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(e);
    }
    let (runs, outcome) = match progress {
        Progress::Stopped { finished, wanted } => {
            return Err(Error::Interrupted(format!(
                "stopped: {finished} of {wanted} runs finished and are kept in '{}'; finish the run with:\n\n    chatsim run {} --resume {}\n",
                out.build().display(),
                super::shell_word(&args.path.display().to_string()),
                super::shell_word(&dir.display().to_string()),
            )));
        }
        Progress::Done { runs, outcome } => (runs, outcome),
    };
    let manifest = |extra: serde_json::Value| {
        let mut m = serde_json::json!({
            "tool": "chatsim",
            "version": env!("CARGO_PKG_VERSION"),
            "scenario": args.path.display().to_string(),
            "scenario_hash": plan.scenario_hash,
            "seed": experiment.base.seed,
            "replications": outcome.replications,
            "sequential_targets_met": experiment.base.sequential.as_ref().map(|_| outcome.targets_met),
            "cells": experiment.cells.iter().map(|c| c.label.clone()).collect::<Vec<_>>(),
            "baseline": experiment.cells[experiment.baseline].label,
            "command_line": std::env::args().collect::<Vec<_>>(),
            "jobs": if args.jobs == 0 { rayon::current_num_threads() } else { args.jobs },
            "wall_time_seconds": started.elapsed().as_secs_f64(),
            "complete": true,
            "plan": plan,
        });
        if let (Some(m), serde_json::Value::Object(extra)) = (m.as_object_mut(), extra) {
            m.extend(extra);
        }
        serde_json::to_string_pretty(&m).unwrap_or_default() + "\n"
    };
    if let Some(s) = shard {
        let n = runs.len();
        out.write(
            "manifest.json",
            manifest(serde_json::json!({ "shard": s.to_string(), "runs": n })).as_bytes(),
        )?;
        let _ = std::fs::remove_file(out.build().join(PLAN));
        let shown = out.shown.display().to_string();
        out.commit()?;
        if !args.quiet {
            print_out(&format!(
                "shard {s}: {n} runs of {} written to {shown}/{RUNS}/ ({:.1} s); when every shard is done:\n\n    chatsim merge DIR… --out DIR\n",
                estimate.all_runs,
                started.elapsed().as_secs_f64()
            ))?;
        }
        return Ok(());
    }
    let adjustment = if plan.bonferroni {
        Adjustment::Bonferroni
    } else {
        Adjustment::Unadjusted
    };
    let by_cell = by_cell(&experiment, runs, outcome.replications);
    let results = crate::report::Results::new(&experiment, by_cell, adjustment);
    write_report(&out, &results, &manifest(serde_json::json!({})))?;
    let shown = out.shown.clone();
    out.commit()?;
    if !args.quiet {
        print_out(&terminal_text(&experiment, &results, outcome, &shown, started))?;
    }
    Ok(())
}

/// The estimate of a command's work, and its text.
struct Estimate {
    /// Runs this command makes (its shard's, or all).
    runs: u64,
    /// Runs of the whole experiment.
    all_runs: u64,
    /// Chats this command simulates, expected.
    chats: f64,
    /// "6 configurations × 20 replications = 120 runs, about 119 thousand chats".
    text: String,
}

/// The work of `experiment` (its `shard`), refused with the estimate when absurd.
fn estimate(experiment: &Experiment, shard: Option<Shard>) -> Result<Estimate, Error> {
    let base = &experiment.base;
    let per_cell = base
        .sequential
        .as_ref()
        .map_or(base.replications, |q| q.max_replications.max(base.replications));
    let cells = experiment.cells.len() as u64;
    let all_runs = cells * u64::from(per_cell);
    let share = shard.map_or(1.0, |s| 1.0 / f64::from(s.count));
    let base_chats = base.expected_chats();
    let chats_per_replication: f64 = experiment
        .cells
        .iter()
        .map(|c| {
            if c.scenario.arrivals == base.arrivals && c.scenario.arrival_trace == base.arrival_trace {
                base_chats / base.volume.max(f64::MIN_POSITIVE) * c.scenario.volume
            } else {
                c.scenario.expected_chats()
            }
        })
        .sum();
    let chats = chats_per_replication * f64::from(per_cell) * share;
    let runs = (all_runs as f64 * share).ceil() as u64;
    let mut text = format!(
        "{cells} configuration{} × {per_cell} replication{}{} = {all_runs} runs",
        if cells == 1 { "" } else { "s" },
        if per_cell == 1 { "" } else { "s" },
        if base.sequential.is_some() { " at most" } else { "" },
    );
    if let Some(s) = shard {
        text.push_str(&format!(", shard {s}: about {runs} of them"));
    }
    text.push_str(&format!(", about {} chats", count_words(chats)));
    if all_runs > MAX_RUNS {
        return Err(Error::TooBig(format!(
            "this run is too large: {text}; chatsim holds every run's results to report on them, at most {} runs (fewer configurations or replications)",
            count_words(MAX_RUNS as f64)
        )));
    }
    if chats > MAX_CHATS {
        return Err(Error::TooBig(format!(
            "this run is too large: {text}; one command simulates at most {} chats: split it with --shard i/n (README.md, \"Running at scale\"), or shorten the horizon",
            count_words(MAX_CHATS)
        )));
    }
    Ok(Estimate {
        runs,
        all_runs,
        chats,
        text,
    })
}

/// A count in words: "950", "120 thousand", "3.2 million", "1.0e14".
fn count_words(x: f64) -> String {
    match x {
        x if x < 1e4 => format!("{x:.0}"),
        x if x < 1e6 => format!("{:.0} thousand", x / 1e3),
        x if x < 1e9 => format!("{:.1} million", x / 1e6),
        x if x < 1e12 => format!("{:.1} billion", x / 1e9),
        x => format!("{x:.1e}"),
    }
}

/// The plan an earlier run into `dir` left: an interrupted run's build folder, else a
/// complete output's manifest (read without the lock, for defaults only).
fn saved_plan(dir: &Path) -> Option<Plan> {
    let name = dir.file_name()?.to_string_lossy().into_owned();
    let partial = dir.with_file_name(format!(".{name}.partial")).join(PLAN);
    if let Some(plan) = std::fs::read_to_string(partial)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
    {
        return Some(plan);
    }
    outdir::read_manifest(&dir.join("manifest.json"))
        .and_then(|m| m.get("plan").cloned())
        .and_then(|p| serde_json::from_value(p).ok())
}

/// With `--resume`: whether the output folder already holds this plan's complete output
/// (then there is nothing to run), or another plan's (refused).
fn already_complete(out: &OutDir, plan: &Plan, resume: bool) -> Result<Option<String>, Error> {
    let Existing::Report(manifest) = &out.existing else {
        return Ok(None);
    };
    if !resume || out.has_leftover() {
        return Ok(None);
    }
    let theirs: Option<Plan> = manifest
        .get("plan")
        .cloned()
        .and_then(|p| serde_json::from_value(p).ok());
    match theirs {
        Some(p) if p.differences(plan, true).is_empty() => Ok(Some(format!(
            "{} is complete: nothing to run\n",
            out.shown.display()
        ))),
        Some(p) => Err(Error::OutDir(format!(
            "--resume {}: it holds another run ({}); give another folder, or run without --resume to replace it",
            out.shown.display(),
            p.differences(plan, true).join(", ")
        ))),
        None => Err(Error::OutDir(format!(
            "--resume {}: it holds a report without a plan to resume; run without --resume to replace it",
            out.shown.display()
        ))),
    }
}

/// The error for a command into a folder whose earlier run left finished runs (the resume
/// hint names the scenario that run recorded, else `scenario`).
pub(super) fn leftover_error(out: &OutDir, scenario: &Path) -> Error {
    let runs = std::fs::read_dir(out.build().join(RUNS)).map_or(0, Iterator::count);
    let recorded = std::fs::read_to_string(out.build().join(PLAN))
        .ok()
        .and_then(|text| serde_json::from_str::<Plan>(&text).ok())
        .map(|p| PathBuf::from(p.scenario));
    let scenario = recorded.as_deref().unwrap_or(scenario);
    Error::OutDir(format!(
        "an earlier run into {} stopped before the end and left {runs} finished runs in '{}': finish it with `chatsim run {} --resume {}`, or add --force to discard them",
        out.shown.display(),
        out.build().display(),
        super::shell_word(&scenario.display().to_string()),
        super::shell_word(&out.shown.display().to_string()),
    ))
}

/// The finished runs an interrupted run left in the build folder, checked against `plan`.
fn read_leftover(
    out: &OutDir,
    plan: &Plan,
    experiment: &Experiment,
) -> Result<BTreeMap<Task, RunMetrics>, Error> {
    let path = out.build().join(PLAN);
    let theirs: Option<Plan> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    match theirs {
        Some(p) if p.differences(plan, true).is_empty() => {}
        Some(p) => {
            return Err(Error::OutDir(format!(
                "--resume {}: the runs left there belong to another run ({}); resume with the same scenario and options, or run without --resume and with --force to discard them",
                out.shown.display(),
                p.differences(plan, true).join(", ")
            )));
        }
        // A build folder without a plan holds no runs to resume (another command's).
        None => return Ok(BTreeMap::new()),
    }
    let mut known = BTreeMap::new();
    for (file, record) in read_records(&out.build().join(RUNS), false)? {
        match check_record(&record, plan, experiment) {
            Ok(()) => {
                known.insert((record.key.cell, record.key.replication), record.metrics);
            }
            Err(why) => warn(&format!(
                "warning: {}: {why}; that run is made again",
                file.display()
            )),
        }
    }
    Ok(known)
}

/// Every record in a `runs/` folder, by file; an unreadable one is an error when `strict`,
/// else a warning (it is run again).
fn read_records(dir: &Path, strict: bool) -> Result<Vec<(PathBuf, RunRecord)>, Error> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(Error::Read {
                path: dir.to_owned(),
                source,
            });
        }
    };
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|t| RunRecord::from_json(&t));
        match parsed {
            Ok(r) => out.push((file, r)),
            Err(why) if strict => return Err(Error::Merge(format!("{}: {why}", file.display()))),
            Err(why) => warn(&format!(
                "warning: {}: {why}; that run is made again",
                file.display()
            )),
        }
    }
    Ok(out)
}

/// Whether a record belongs to `plan` and names a run the experiment has.
fn check_record(record: &RunRecord, plan: &Plan, experiment: &Experiment) -> Result<(), String> {
    let k = &record.key;
    if k.scenario_hash != plan.scenario_hash || k.seed != plan.seed {
        return Err(format!(
            "a run of another scenario or seed (fingerprint {}, seed {})",
            k.scenario_hash, k.seed
        ));
    }
    match experiment.cells.get(k.cell) {
        Some(c) if c.label == record.label => Ok(()),
        _ => Err(format!(
            "configuration {} (\"{}\") is not in the scenario",
            k.cell, record.label
        )),
    }
}

/// Metrics by `[cell][replication]` for replications `0..n`; every run is there.
fn by_cell(experiment: &Experiment, mut runs: BTreeMap<Task, RunMetrics>, n: u32) -> Vec<Vec<RunMetrics>> {
    (0..experiment.cells.len())
        .map(|c| (0..u64::from(n)).filter_map(|r| runs.remove(&(c, r))).collect())
        .collect()
}

/// Writes every report file into the build folder, the records' folder and plan removed
/// and `manifest` last.
fn write_report(out: &OutDir, results: &crate::report::Results<'_>, manifest: &str) -> Result<(), Error> {
    let files = crate::report::files(results).map_err(|(name, e)| Error::Chart(name, e))?;
    let kill_at: Option<usize> = std::env::var(KILL_DURING_WRITE).ok().and_then(|v| v.parse().ok());
    for (i, (name, bytes)) in files.iter().enumerate() {
        if kill_at == Some(i) {
            kill_self();
        }
        out.write(name, bytes)?;
    }
    // The records served their purpose: a complete report holds the outputs only.
    let _ = std::fs::remove_dir_all(out.build().join(RUNS));
    let _ = std::fs::remove_file(out.build().join(PLAN));
    out.write("manifest.json", manifest.as_bytes())
}

/// The test-only switch's SIGKILL: no destructor, no cleanup, as a killed node.
fn kill_self() {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill").args(["-KILL", &pid]).status();
    // `kill` is missing or failed: abort is the next-closest thing (no cleanup either).
    std::process::abort();
}

/// Stops scheduling runs at the first SIGINT or SIGTERM; quits at once at the second.
fn install_signal_handler() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let installed = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                // The second signal: the user means it. Finished runs are on disk already.
                std::process::exit(3);
            }
            warn("\nstopping: finishing the runs under way and keeping every finished run (interrupt again to quit at once)");
        });
        if let Err(e) = installed {
            warn(&format!(
                "warning: could not catch SIGINT/SIGTERM ({e}): an interrupted run keeps its finished runs all the same"
            ));
        }
    });
}

/// The terminal answer of a complete run.
fn terminal_text(
    experiment: &Experiment,
    results: &crate::report::Results<'_>,
    outcome: SequentialOutcome,
    dir: &Path,
    started: std::time::Instant,
) -> String {
    let mut text = crate::report::text::terminal_summary(results);
    if let Some(plan) = &experiment.base.sequential {
        text.push_str(&format!(
            "\nsequential: {} replications per configuration; {}\n",
            outcome.replications,
            if outcome.targets_met {
                "every target half-width reached".to_owned()
            } else {
                format!(
                    "stopped at the cap of {} before every target half-width was reached",
                    plan.max_replications
                )
            }
        ));
    }
    let names: Vec<&str> = crate::report::OUTPUTS.iter().map(|o| o.name).collect();
    text.push_str(&format!(
        "\nwrote {}/: {} ({:.1} s)\n",
        dir.display(),
        names.join(", "),
        started.elapsed().as_secs_f64()
    ));
    text
}

/// `chatsim merge`: the shards' records into the whole report.
pub(super) fn merge(args: &MergeArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let mut plans: Vec<(PathBuf, Plan)> = Vec::new();
    for dir in &args.dirs {
        let plan = outdir::read_manifest(&dir.join("manifest.json"))
            .and_then(|m| m.get("plan").cloned())
            .and_then(|p| serde_json::from_value::<Plan>(p).ok())
            .or_else(|| {
                std::fs::read_to_string(dir.join(PLAN))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
            });
        let Some(plan) = plan else {
            return Err(Error::Merge(format!(
                "'{}' is not the output of `chatsim run --shard` (no manifest.json or {PLAN} with the run's plan)",
                dir.display()
            )));
        };
        if let Some((first, p)) = plans.first() {
            let diff = p.differences(&plan, false);
            if !diff.is_empty() {
                return Err(Error::Merge(format!(
                    "'{}' and '{}' are runs of different plans ({}): only shards of one scenario, seed and replications merge",
                    first.display(),
                    dir.display(),
                    diff.join(", ")
                )));
            }
            if p.bonferroni != plan.bonferroni {
                return Err(Error::Merge(format!(
                    "'{}' and '{}' differ in --bonferroni: run every shard with the same options",
                    first.display(),
                    dir.display()
                )));
            }
        }
        plans.push((dir.clone(), plan));
    }
    let plan = plans[0].1.clone();
    if plan.sequential {
        return Err(Error::Merge(
            "the scenario has a [sequential] plan, which no shard can decide alone: nothing to merge"
                .to_owned(),
        ));
    }
    // The scenario: --scenario, else the first path a shard recorded that can be read from
    // here (shards may have been given it by different relative paths).
    let scenario = args.scenario.clone().unwrap_or_else(|| {
        plans
            .iter()
            .map(|(_, p)| PathBuf::from(&p.scenario))
            .find(|path| path.is_file())
            .unwrap_or_else(|| PathBuf::from(&plan.scenario))
    });
    if !scenario.is_file() {
        return Err(Error::Merge(format!(
            "the shards ran '{}', which cannot be read from here: give the scenario file with --scenario PATH",
            scenario.display()
        )));
    }
    let experiment = super::load_with(&scenario, Some(plan.replications), Some(plan.seed))?;
    let hash = fingerprint(&scenario, &experiment.base).map_err(|_| {
        Error::Merge(format!(
            "the shards ran '{}', which cannot be read from here: give the scenario file with --scenario PATH",
            scenario.display()
        ))
    })?;
    if hash != plan.scenario_hash {
        return Err(Error::Merge(format!(
            "'{}' is not the scenario the shards ran (its text or the data files it reads have changed since): give that file with --scenario PATH",
            scenario.display()
        )));
    }
    let mut runs: BTreeMap<Task, RunMetrics> = BTreeMap::new();
    let mut source: BTreeMap<Task, PathBuf> = BTreeMap::new();
    for (dir, _) in &plans {
        for (file, record) in read_records(&dir.join(RUNS), true)? {
            check_record(&record, &plan, &experiment)
                .map_err(|why| Error::Merge(format!("{}: {why}", file.display())))?;
            let task = (record.key.cell, record.key.replication);
            if task.1 >= u64::from(plan.replications) {
                return Err(Error::Merge(format!(
                    "{}: replication {} is beyond the plan's {}",
                    file.display(),
                    task.1,
                    plan.replications
                )));
            }
            if let Some(other) = source.get(&task) {
                return Err(Error::Merge(format!(
                    "run (configuration \"{}\", replication {}) is in both '{}' and '{}': give each shard once",
                    record.label,
                    task.1,
                    other.display(),
                    dir.display()
                )));
            }
            source.insert(task, dir.clone());
            runs.insert(task, record.metrics);
        }
    }
    let total = experiment.cells.len() as u64 * u64::from(plan.replications);
    if (runs.len() as u64) < total {
        let missing: Vec<Task> = (0..experiment.cells.len())
            .flat_map(|c| (0..u64::from(plan.replications)).map(move |r| (c, r)))
            .filter(|t| !runs.contains_key(t))
            .collect();
        let (c, r) = missing[0];
        let shards = plans
            .iter()
            .filter_map(|(_, p)| p.shard.clone())
            .collect::<Vec<_>>();
        return Err(Error::Merge(format!(
            "{} of {total} runs are missing (the first: configuration \"{}\", replication {r}); the folders given hold shards {}: is a shard missing or unfinished?",
            missing.len(),
            experiment.cells[c].label,
            if shards.is_empty() {
                "none".to_owned()
            } else {
                shards.join(", ")
            }
        )));
    }
    let out = outdir::open(&args.out, args.force)?;
    if out.has_leftover() && !args.force {
        return Err(leftover_error(&out, &scenario));
    }
    out.start(false)?;
    let adjustment = if plan.bonferroni {
        Adjustment::Bonferroni
    } else {
        Adjustment::Unadjusted
    };
    let results = crate::report::Results::new(
        &experiment,
        by_cell(&experiment, runs, plan.replications),
        adjustment,
    );
    let manifest = serde_json::json!({
        "tool": "chatsim",
        "version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario.display().to_string(),
        "scenario_hash": plan.scenario_hash,
        "seed": plan.seed,
        "replications": plan.replications,
        "sequential_targets_met": serde_json::Value::Null,
        "cells": experiment.cells.iter().map(|c| c.label.clone()).collect::<Vec<_>>(),
        "baseline": experiment.cells[experiment.baseline].label,
        "command_line": std::env::args().collect::<Vec<_>>(),
        "merged_from": args.dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
        "wall_time_seconds": started.elapsed().as_secs_f64(),
        "complete": true,
        "plan": Plan { shard: None, scenario: scenario.display().to_string(), ..plan },
    });
    write_report(
        &out,
        &results,
        &(serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n"),
    )?;
    let shown = out.shown.clone();
    out.commit()?;
    if !args.quiet {
        let outcome = SequentialOutcome {
            replications: plan.replications,
            targets_met: true,
        };
        print_out(&terminal_text(&experiment, &results, outcome, &shown, started))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_words() {
        assert_eq!(count_words(950.0), "950");
        assert_eq!(count_words(119_400.0), "119 thousand");
        assert_eq!(count_words(3.24e6), "3.2 million");
        assert_eq!(count_words(1e14), "1.0e14");
    }
}
