//! Reports: every output file and the terminal summary, as pure functions of results, plus
//! the one atomic file writer.
//!
//! `csv` builds the tidy CSV files, `text` the terminal table, `charts` the chart data
//! (drawn by `plot`), `html` the self-contained report. Nothing here runs a simulation;
//! only [`write_atomic`] (and [`write_atomic_new`], its never-replace twin for
//! `chatsim init`) touches the filesystem: every file is written to a temporary name in its
//! final folder and renamed (or linked) into place, so an interrupted run never leaves a
//! half-written file under its final name.

pub mod answer;
pub mod charts;
pub mod check;
pub mod csv;
pub mod html;
pub mod plot;
pub mod staff;
pub mod table;
pub mod text;

use crate::engine::SimTime;
use crate::experiment::stats::{Adjustment, CellSummary};
use crate::metrics::catalogue::{self, Metric};
use crate::metrics::summary::{Estimate, estimate};
use crate::metrics::{RunMetrics, SliceRow};
use crate::scenario::{Experiment, Scenario};
use crate::workload::calendar::{DAY_MS, WEEKDAYS};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Everything a report is made from.
#[derive(Debug)]
pub struct Results<'a> {
    /// The experiment.
    pub experiment: &'a Experiment,
    /// Metrics by `[cell][replication]`.
    pub runs: Vec<Vec<RunMetrics>>,
    /// Estimates and paired differences by cell.
    pub summary: Vec<CellSummary>,
    /// How difference intervals are adjusted.
    pub adjustment: Adjustment,
    /// What the decision rules found (docs/decisions.md): constraints judged, the
    /// equivalent set, the recommendation, the ranking.
    pub outcome: crate::decision::Outcome,
}

impl<'a> Results<'a> {
    /// Summarises the runs of an experiment and applies its decision rules.
    pub fn new(experiment: &'a Experiment, runs: Vec<Vec<RunMetrics>>, adjustment: Adjustment) -> Self {
        let summary = crate::experiment::stats::summarize(&runs, experiment.baseline, adjustment);
        let outcome = answer::outcome(experiment, &runs);
        Self {
            experiment,
            runs,
            summary,
            adjustment,
            outcome,
        }
    }
}

impl Results<'_> {
    /// The scenario as written (name, question, targets, calendar).
    pub fn scenario(&self) -> &Scenario {
        &self.experiment.base
    }

    /// Cell indexes in rank order (docs/decisions.md): the equivalent set in preference
    /// order (the recommendation first), then the other configurations that miss no
    /// constraint, then those that miss one; within each by the objective.
    pub fn ranking(&self) -> Vec<usize> {
        self.outcome.order.clone()
    }
}

/// A breakdown of the planner's table (README.md, "Planner's table"): by group or by inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceKind {
    /// By the group a chat was routed with (the last row: chats without a group).
    Group,
    /// By the inbox a chat arrived in.
    Inbox,
}

impl SliceKind {
    /// What one row is ("group", "inbox"): the CSV column and the tables' heading.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Inbox => "inbox",
        }
    }

    /// One run's rows of this breakdown.
    pub fn rows(self, run: &RunMetrics) -> &[SliceRow] {
        match self {
            Self::Group => &run.groups,
            Self::Inbox => &run.inboxes,
        }
    }

    /// The name of row `i`: the group's or inbox's name, "(none)" for chats without a group.
    pub fn name(self, scenario: &Scenario, i: usize) -> String {
        match self {
            Self::Group => scenario.engine.groups.get(i).map_or("(none)", String::as_str),
            Self::Inbox => scenario.engine.inboxes.get(i).map_or("?", |b| b.name.as_str()),
        }
        .to_owned()
    }

    /// Whether the scenario has this breakdown worth a table of its own: groups declared,
    /// or more than one inbox (a single inbox repeats the overall figures).
    pub fn applies(self, scenario: &Scenario) -> bool {
        match self {
            Self::Group => !scenario.engine.groups.is_empty(),
            Self::Inbox => scenario.engine.inboxes.len() > 1,
        }
    }
}

/// One group's or inbox's figures in one configuration, over replications (docs/metrics.md,
/// per group and inbox): each is the mean of the per-run values with its 95 % interval.
#[derive(Clone, Debug)]
pub struct SliceSummaryRow {
    /// The group's or inbox's name ("(none)" for chats without a group).
    pub name: String,
    /// Chats that needed a human, per run.
    pub arrivals: Option<Estimate>,
    /// Mean wait of served chats (s).
    pub wait_mean: Option<Estimate>,
    /// Service level at the first target.
    pub service_level: Option<Estimate>,
    /// Abandonment.
    pub abandonment: Option<Estimate>,
    /// Time-weighted mean of its chats in service.
    pub chats_in_service: Option<Estimate>,
    /// Time-weighted mean of the agents available who can take its chats.
    pub agents_available: Option<Estimate>,
}

impl Results<'_> {
    /// Per-group or per-inbox figures of cell `c`, rows with arrivals only; empty when the
    /// breakdown does not apply to the scenario (see [`SliceKind::applies`]).
    pub fn slice_rows(&self, c: usize, kind: SliceKind) -> Vec<SliceSummaryRow> {
        let scenario = self.scenario();
        if !kind.applies(scenario) {
            return Vec::new();
        }
        let runs = &self.runs[c];
        let n = runs.iter().map(|r| kind.rows(r).len()).max().unwrap_or(0);
        (0..n)
            .map(|i| {
                let rows: Vec<&SliceRow> = runs.iter().filter_map(|r| kind.rows(r).get(i)).collect();
                let over = |f: &dyn Fn(&SliceRow) -> Option<f64>| {
                    estimate(&rows.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
                };
                SliceSummaryRow {
                    name: kind.name(scenario, i),
                    arrivals: over(&|r| Some(r.chats.arrivals as f64)),
                    wait_mean: over(&|r| {
                        (r.chats.served > 0).then(|| r.chats.wait_sum_ms / 1_000.0 / r.chats.served as f64)
                    }),
                    // (`None` without service-level targets.)
                    service_level: over(&|r| r.chats.service_level(0)),
                    abandonment: over(&|r| {
                        (r.chats.arrivals > 0).then(|| r.chats.abandoned as f64 / r.chats.arrivals as f64)
                    }),
                    chats_in_service: over(&|r| r.in_service_mean),
                    agents_available: over(&|r| r.agents_available_mean),
                }
            })
            .filter(|row| row.arrivals.is_some_and(|e| e.mean > 0.0))
            .collect()
    }
}

/// A report that could not be written.
#[derive(Debug)]
pub struct ReportError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not write '{}'", self.path.display())
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over the final name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    write_via_temporary(path, bytes, true, |tmp| std::fs::rename(tmp, path))
}

/// [`write_atomic`] without the sync, for per-run records (README.md, "Running at
/// scale"): a killed process still never leaves a half-written file under the final name,
/// but a machine that loses power may lose the last records written, which are then run
/// again (an unreadable record counts as missing). One sync per run would cost more than a
/// short run itself.
pub fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    write_via_temporary(path, bytes, false, |tmp| std::fs::rename(tmp, path))
}

/// Writes `bytes` to a new file `path`, atomically, and never replaces anything already
/// there: the synced temporary file is hard-linked to the final name, which fails with
/// [`std::io::ErrorKind::AlreadyExists`] if anything (even created a moment ago) holds it.
/// Where the filesystem has no hard links, the file is created with `create_new` and
/// written in place instead (still never replacing anything). Missing folders are created.
pub fn write_atomic_new(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    write_via_temporary(path, bytes, true, |tmp| {
        let linked = std::fs::hard_link(tmp, path);
        let _ = std::fs::remove_file(tmp);
        match linked {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)?;
                file.write_all(bytes)?;
                file.sync_all()
            }
            other => other,
        }
    })
}

/// Writes `bytes` to a temporary file beside `path` (creating the folder), synced when
/// `sync`, then `finish`es with its name; the temporary file is removed if anything fails.
fn write_via_temporary(
    path: &Path,
    bytes: &[u8],
    sync: bool,
    finish: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), ReportError> {
    let err = |source| ReportError {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if sync {
            file.sync_all()?;
        }
        finish(&tmp)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Writes a file the user named on the command line (`--junit`, `--markdown`): a regular
/// file (or a new one) atomically, like [`write_atomic`]; through a symbolic link to the
/// file it points at; into a pipe or device (`/dev/stdout`) directly — never replacing
/// what is there with a file of our own.
pub fn write_user_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let err = |source| ReportError {
        path: path.to_owned(),
        source,
    };
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::canonicalize(path).map_err(err)?;
            write_user_file(&target, bytes)
        }
        Ok(m) if !m.is_file() && !m.is_dir() => {
            let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(err)?;
            file.write_all(bytes).and_then(|()| file.flush()).map_err(err)
        }
        _ => write_atomic(path, bytes),
    }
}

/// A clock label such as `mon 08:00` for simulation time `t`.
pub fn clock_label(scenario: &Scenario, t: SimTime) -> String {
    let w = scenario.calendar.start_in_week + t.as_millis();
    let day = WEEKDAYS[((w / DAY_MS) % 7) as usize];
    let min = (w % DAY_MS) / 60_000;
    format!("{day} {:02}:{:02}", min / 60, min % 60)
}

/// Metrics the ranking table and the answer show: the scenario's `answer_metrics` first,
/// then the headline metrics of docs/metrics.md not already named.
pub fn shown_metrics(scenario: &Scenario) -> Vec<Metric> {
    let mut out: Vec<Metric> = scenario
        .answer_metrics
        .iter()
        .map(|id| catalogue::metric(id))
        .collect();
    for m in catalogue::headline(&scenario.sl_targets) {
        if !out.iter().any(|o| o.id == m.id) {
            out.push(m);
        }
    }
    out
}

/// The metrics the question is about: `answer_metrics`, or the headline metrics.
pub fn answer_metrics(scenario: &Scenario) -> Vec<Metric> {
    if scenario.answer_metrics.is_empty() {
        catalogue::headline(&scenario.sl_targets)
    } else {
        scenario
            .answer_metrics
            .iter()
            .map(|id| catalogue::metric(id))
            .collect()
    }
}

/// An estimate with its interval for people: "12.3 s ± 1.0 s" when the 95 % interval is
/// symmetric, "0.7 s [0.0 s, 2.3 s]" when it was clipped to the metric's bounds, the mean
/// alone without an interval, "–" when undefined.
pub fn fmt_estimate(metric: &Metric, e: Option<Estimate>, ci: Option<(f64, f64)>) -> String {
    let Some(e) = e else {
        return "–".to_owned();
    };
    let unit = metric.unit();
    match (e.half_width, ci) {
        (Some(h), Some((lo, hi))) if unclipped(e.mean, h, lo, hi) => {
            format!("{} ± {}", unit.format(e.mean), unit.format(h))
        }
        (_, Some((lo, hi))) => format!(
            "{} [{}, {}]",
            unit.format(e.mean),
            unit.format(lo),
            unit.format(hi)
        ),
        _ => unit.format(e.mean),
    }
}

/// The size of a paired difference with its interval, shares in percentage points:
/// "41.0 s ± 6.0 s", "3.2 points [0.0 points, 7.1 points]" (sign dropped from the mean;
/// the interval keeps its signs).
pub fn fmt_diff(metric: &Metric, d: &Estimate, ci: Option<(f64, f64)>) -> String {
    let unit = metric.unit();
    match (d.half_width, ci) {
        (Some(h), Some((lo, hi))) if unclipped(d.mean, h, lo, hi) => {
            format!("{} ± {}", unit.format_diff(d.mean.abs()), unit.format_diff(h))
        }
        (_, Some((lo, hi))) => format!(
            "{} [{}, {}]",
            unit.format_diff(d.mean.abs()),
            unit.format_diff(lo),
            unit.format_diff(hi)
        ),
        _ => unit.format_diff(d.mean.abs()),
    }
}

/// Whether [lo, hi] is mean ± h (up to rounding), i.e. no bound clipped it.
fn unclipped(mean: f64, h: f64, lo: f64, hi: f64) -> bool {
    let eps = 1e-9 * (mean.abs() + h.abs()).max(1e-12);
    (lo - (mean - h)).abs() <= eps && (hi - (mean + h)).abs() <= eps
}

/// One metric of one cell, formatted by [`fmt_estimate`].
pub fn fmt_summary(summary: &CellSummary, metric: &Metric) -> String {
    summary
        .get(&metric.id)
        .map_or_else(|| "–".to_owned(), |m| fmt_estimate(metric, m.estimate, m.ci))
}

/// An estimate of per-run values of `metric` (a per-group figure, a planner cell),
/// formatted with its clipped interval.
pub fn fmt_values(metric: &Metric, e: Option<Estimate>) -> String {
    let ci = crate::experiment::stats::clipped(e, |lo, hi| metric.clip(lo, hi));
    fmt_estimate(metric, e, ci)
}

/// One file (or folder) a run writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// Name in the report folder.
    pub name: &'static str,
    /// What it holds, for README and `--help`.
    pub what: &'static str,
}

/// Every output of `chatsim run`, in the order they are written and documented (README
/// lists the same; a test keeps them in step). `manifest.json` is written last, so a
/// folder with a current manifest is complete.
pub const OUTPUTS: &[OutputFile] = &[
    OutputFile {
        name: "summary.csv",
        what: "cell × metric: unit, mean, 95 % CI (clipped to the metric's bounds), n, paired difference vs the baseline",
    },
    OutputFile {
        name: "decision.csv",
        what: "one row per configuration: each constraint met / missed / uncertain, equivalent, recommended, the objective with its CI",
    },
    OutputFile {
        name: "runs.csv",
        what: "cell × replication, one column per metric",
    },
    OutputFile {
        name: "agents.csv",
        what: "cell × replication × agent: availability, assignments, load (the fairness inputs)",
    },
    OutputFile {
        name: "intervals.csv",
        what: "cell × replication × interval: the planner's table",
    },
    OutputFile {
        name: "groups.csv",
        what: "cell × replication × group: arrivals, waits, service level, abandonment, chats in service, agents available",
    },
    OutputFile {
        name: "inboxes.csv",
        what: "cell × replication × inbox: the same figures per inbox",
    },
    OutputFile {
        name: "charts/",
        what: "every chart as SVG and PNG",
    },
    OutputFile {
        name: "report.html",
        what: "the self-contained report: answer, ranking, differences, charts, tables",
    },
    OutputFile {
        name: "manifest.json",
        what: "tool version, scenario hash, seed, command line, jobs, wall time (the only file that differs between equivalent runs)",
    },
];

/// A chart that could not be drawn: its file stem and why.
pub type ChartError = (String, plot::PlotError);

/// Every output file but `manifest.json` (which records the invocation, so the command
/// line writes it), as (path in the report folder, bytes), in [`OUTPUTS`] order.
pub fn files(results: &Results<'_>) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let mut files = Vec::new();
    let mut svgs = Vec::new();
    for output in OUTPUTS {
        match output.name {
            "summary.csv" => files.push((output.name.to_owned(), csv::summary_csv(results))),
            "decision.csv" => files.push((output.name.to_owned(), csv::decision_csv(results))),
            "runs.csv" => files.push((output.name.to_owned(), csv::runs_csv(results))),
            "agents.csv" => files.push((output.name.to_owned(), csv::agents_csv(results))),
            "intervals.csv" => files.push((output.name.to_owned(), csv::intervals_csv(results))),
            "groups.csv" => files.push((output.name.to_owned(), csv::groups_csv(results))),
            "inboxes.csv" => files.push((output.name.to_owned(), csv::inboxes_csv(results))),
            "charts/" => {
                for (stem, chart) in charts::build(results, &results.ranking()) {
                    let fail = |e| (stem.to_owned(), e);
                    let svg = plot::render_svg(&chart).map_err(fail)?;
                    let png = plot::render_png(&chart).map_err(fail)?;
                    files.push((format!("charts/{stem}.svg"), svg.clone().into_bytes()));
                    files.push((format!("charts/{stem}.png"), png));
                    svgs.push((stem, svg));
                }
            }
            "report.html" => files.push((
                output.name.to_owned(),
                html::report_html(results, &svgs).into_bytes(),
            )),
            // Written by the command line, last.
            "manifest.json" => {}
            other => unreachable!("output {other} has no writer"),
        }
    }
    Ok(files)
}
