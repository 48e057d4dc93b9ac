//! Reports: every output file and the terminal summary, as pure functions of results, plus
//! the one atomic file writer.
//!
//! `csv` builds the tidy CSV files, `text` the terminal table, `charts` the chart data
//! (drawn by `plot`), `html` the self-contained report. Nothing here runs a simulation;
//! only [`write_atomic`] touches the filesystem: every file is written to a temporary name
//! in its final folder and renamed into place, so an interrupted run never leaves a
//! half-written file under its final name.

pub mod charts;
pub mod csv;
pub mod html;
pub mod plot;
pub mod text;

use crate::engine::SimTime;
use crate::experiment::stats::{Adjustment, CellSummary};
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
}

impl Results<'_> {
    /// The scenario as written (name, question, targets, calendar).
    pub fn scenario(&self) -> &Scenario {
        &self.experiment.base
    }

    /// Cell indexes from best to worst: highest service level at the first target, then
    /// lowest 95th-percentile wait, lowest abandonment, highest fairness, matrix order.
    pub fn ranking(&self) -> Vec<usize> {
        let sl = headline_ids(self.scenario()).get(1).cloned().unwrap_or_default();
        let key = |c: usize, id: &str| self.summary[c].get(id).and_then(|m| m.estimate).map(|e| e.mean);
        let mut order: Vec<usize> = (0..self.summary.len()).collect();
        order.sort_by(|&a, &b| {
            let desc = |id: &str| {
                key(b, id)
                    .unwrap_or(f64::MIN)
                    .total_cmp(&key(a, id).unwrap_or(f64::MIN))
            };
            let asc = |id: &str| {
                key(a, id)
                    .unwrap_or(f64::MAX)
                    .total_cmp(&key(b, id).unwrap_or(f64::MAX))
            };
            // The metrics the scenario's question is about come first, in their order.
            let asked = self
                .scenario()
                .answer_metrics
                .iter()
                .fold(std::cmp::Ordering::Equal, |o, id| {
                    o.then_with(|| match higher_is_better(id) {
                        Some(true) => desc(id),
                        Some(false) => asc(id),
                        None => std::cmp::Ordering::Equal,
                    })
                });
            asked
                .then(if sl.starts_with("service_level") {
                    desc(&sl)
                } else {
                    std::cmp::Ordering::Equal
                })
                .then(asc("wait_p95"))
                .then(asc("abandonment"))
                .then(desc("fairness_jain"))
                .then(a.cmp(&b))
        });
        order
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

/// One group's or inbox's figures in one configuration, over replications (PRODUCT.md §5
/// "per group/inbox"): each is the mean of the per-run values with its 95 % interval.
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
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// A clock label such as `mon 08:00` for simulation time `t`.
pub fn clock_label(scenario: &Scenario, t: SimTime) -> String {
    let w = scenario.calendar.start_in_week + t.as_millis();
    let day = WEEKDAYS[((w / DAY_MS) % 7) as usize];
    let min = (w % DAY_MS) / 60_000;
    format!("{day} {:02}:{:02}", min / 60, min % 60)
}

/// Metrics shown first (PRODUCT.md §5 headline metrics).
pub fn headline_ids(scenario: &Scenario) -> Vec<String> {
    let mut ids = vec!["wait_p95".to_owned()];
    ids.extend(scenario.sl_targets.iter().map(|t| format!("service_level_{t}")));
    ids.extend(["abandonment", "fairness_jain", "churn_per_100"].map(String::from));
    ids
}

/// Whether a larger value is better for a metric (`None`: neither).
pub fn higher_is_better(id: &str) -> Option<bool> {
    if id.starts_with("service_level") || id.ends_with("_jain") {
        Some(true)
    } else if id.starts_with("wait_")
        || id.starts_with("first_response_")
        || id.ends_with("_wait_mean")
        || matches!(
            id,
            "silent_hold_mean" | "abandonment" | "orphan_minutes" | "time_in_queue_mean" | "queue_len_mean"
        )
        || id.starts_with("churn")
        || id.ends_with("_gini")
    {
        Some(false)
    } else {
        None
    }
}

/// Whether a metric is a share (shown in %).
pub fn is_share(id: &str) -> bool {
    id.starts_with("service_level")
        || id.ends_with("_share")
        || id == "abandonment"
        || id.starts_with("occupancy")
}

/// Unit of a metric for display.
pub fn unit(id: &str) -> &'static str {
    if is_share(id) {
        "%"
    } else if id.starts_with("wait_")
        || id.starts_with("first_response_")
        || id.ends_with("_wait_mean")
        || matches!(id, "time_in_queue_mean" | "handle_time_mean" | "silent_hold_mean")
    {
        "s"
    } else if id == "orphan_minutes" {
        "min"
    } else {
        ""
    }
}

/// A value for people: shares in %, seconds with one decimal, others with three significant decimals.
pub fn fmt_value(id: &str, x: f64) -> String {
    match unit(id) {
        "%" => format!("{:.1} %", x * 100.0),
        "" => format!("{x:.3}"),
        u => format!("{x:.1} {u}"),
    }
}

/// An estimate for people: "12.3 s ± 1.0 s", or "–" when undefined.
pub fn fmt_estimate(id: &str, e: Option<Estimate>) -> String {
    e.map_or_else(
        || "–".to_owned(),
        |e| match e.half_width {
            Some(h) => format!("{} {}", fmt_value(id, e.mean), fmt_half(id, h)),
            None => fmt_value(id, e.mean),
        },
    )
}

/// A half-width for people, in the metric's unit.
pub fn fmt_half(id: &str, h: f64) -> String {
    match unit(id) {
        "%" => format!("± {:.1} %", h * 100.0),
        "" => format!("± {h:.3}"),
        u => format!("± {h:.1} {u}"),
    }
}
