//! `chatsim check`: the scenario's `[[expect]]` expectations as a regression check
//! (README.md, "Checks in CI"). Judging is `crate::check`; the outputs are
//! `crate::report::check`; this file only reads, runs, prints and writes.

use super::{CheckArgs, Error, print_out, progress};
use crate::check::{Cells, Previous, all_decided, exit_code, judge_all};
use crate::experiment::stats::Adjustment;
use crate::experiment::{Batches, run_until};
use crate::metrics::RunMetrics;
use crate::report::check::CheckReport;
use std::path::{Path, PathBuf};

/// Default cap on replications per configuration when the scenario has no `[sequential]`.
const DEFAULT_CAP: u32 = 100;
/// Default replications added per round.
const DEFAULT_BATCH: u32 = 10;

/// Runs the check; `Err(Error::Failed)` (exit 1) when an expectation fails.
pub(super) fn check(args: &CheckArgs) -> Result<(), Error> {
    let experiment = super::load_with(&args.path, args.replications, args.seed)?;
    if experiment.base.expectations.is_empty() {
        return Err(Error::NoExpectations(args.path.clone()));
    }
    let previous = args.baseline.as_deref().map(read_previous).transpose()?;
    // The files asked for must be writable before anything is simulated.
    for path in [&args.junit, &args.markdown].into_iter().flatten() {
        writable(path)?;
    }
    for e in &experiment.base.expectations {
        if !experiment.cells.iter().any(|c| e.applies(&c.assignments)) {
            return Err(Error::Selection(format!(
                "{}: expectation \"{}\" applies to no configuration (check its `where`)",
                args.path.display(),
                e.title()
            )));
        }
        if e.condition.is_relative() && previous.is_none() && experiment.cells.len() == 1 {
            return Err(Error::Selection(format!(
                "{}: expectation \"{}\" compares with a baseline, but the scenario has no [compare]: give an earlier run's results with --baseline DIR|summary.csv",
                args.path.display(),
                e.title()
            )));
        }
    }
    let plan = experiment.base.sequential.as_ref();
    let batches = Batches {
        batch: plan.map_or(DEFAULT_BATCH, |q| q.batch),
        // `--max-replications` is a hard cap, even below the scenario's replications.
        cap: match args.max_replications {
            Some(cap) => cap,
            None => plan
                .map(|q| q.max_replications)
                .unwrap_or(DEFAULT_CAP)
                .max(experiment.base.replications),
        },
    };
    if let Some(prev) = &previous {
        let missing: Vec<&str> = experiment
            .cells
            .iter()
            .map(|c| c.label.as_str())
            .filter(|l| !prev.1.has_label(l))
            .collect();
        if missing.len() == experiment.cells.len() {
            return Err(Error::Baseline {
                path: prev.0.clone(),
                message: format!(
                    "no configuration of this scenario is in it (looked for: {})",
                    missing.join("; ")
                ),
            });
        }
    }
    let cells: Vec<(&str, &[(String, String)])> = experiment
        .cells
        .iter()
        .map(|c| (c.label.as_str(), c.assignments.as_slice()))
        .collect();
    let expectations = &experiment.base.expectations;
    let baseline = experiment.baseline;
    let prev = previous.as_ref().map(|p| &p.1);
    let metrics_of = |results: &[Vec<crate::sim::RunResult>]| -> Vec<Vec<RunMetrics>> {
        results
            .iter()
            .map(|cell| cell.iter().map(|r| r.metrics.clone()).collect())
            .collect()
    };
    let decided = |results: &[Vec<crate::sim::RunResult>]| {
        all_decided(&judge_all(
            expectations,
            &cells as &Cells<'_>,
            &metrics_of(results),
            baseline,
            prev,
        ))
    };
    let bar = progress::bar(experiment.cells.len() as u64 * u64::from(batches.cap), args.quiet);
    let (results, outcome) = run_until(&experiment, args.jobs, &|| bar.inc(1), batches, &decided)
        .map_err(|e| Error::Threads(e.to_string()))?;
    bar.finish_and_clear();
    let runs: Vec<Vec<RunMetrics>> = results
        .into_iter()
        .map(|cell| cell.into_iter().map(|r| r.metrics).collect())
        .collect();
    let findings = judge_all(expectations, &cells, &runs, baseline, prev);
    let results = crate::report::Results::new(&experiment, runs, Adjustment::Unadjusted);
    let report = CheckReport {
        scenario: &experiment.base.name,
        expectations,
        labels: results.experiment.cells.iter().map(|c| c.label.clone()).collect(),
        baseline: experiment.cells[baseline].label.clone(),
        previous: previous.as_ref().map(|p| p.0.display().to_string()),
        findings: &findings,
        replications: outcome.replications,
        strict: args.strict,
    };
    if let Some(path) = &args.junit {
        crate::report::write_user_file(path, report.junit().as_bytes()).map_err(Error::Report)?;
    }
    if let Some(path) = &args.markdown {
        crate::report::write_user_file(path, report.markdown().as_bytes()).map_err(Error::Report)?;
    }
    if !args.quiet {
        let mut text = format!(
            "{} — check, seed {}\n",
            experiment.base.name, experiment.base.seed
        );
        text.push_str(&report.table().text());
        text.push_str(&format!("\n{}\n", report.summary_line()));
        if !outcome.targets_met {
            text.push_str(&format!(
                "stopped at the cap of {} replications per configuration with some expectations undecided{}\n",
                outcome.replications,
                if args.strict { "" } else { " (not a failure without --strict)" }
            ));
        }
        print_out(&text)?;
    }
    match exit_code(&findings, args.strict) {
        0 => Ok(()),
        _ => Err(Error::Failed(report.summary_line())),
    }
}

/// Reads `--baseline`: a report folder (its summary.csv) or a summary.csv.
fn read_previous(path: &Path) -> Result<(PathBuf, Previous), Error> {
    let file = if path.is_dir() {
        path.join("summary.csv")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|source| Error::Read {
        path: file.clone(),
        source,
    })?;
    let previous = Previous::parse(&text).map_err(|message| Error::Baseline {
        path: file.clone(),
        message,
    })?;
    Ok((file, previous))
}

/// Whether a file the user asked for can be written: its folder exists (or is created) and
/// takes a new file. A pipe or device (`/dev/stdout`) is left to the write itself.
fn writable(path: &Path) -> Result<(), Error> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(());
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = dir.join(format!(".chatsim-probe-{}", std::process::id()));
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&probe)
        })
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|source| {
            Error::Report(crate::report::ReportError {
                path: path.to_owned(),
                source,
            })
        })
}
