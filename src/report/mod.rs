//! Reports: CSV files and the terminal summary, as pure functions of run results, plus
//! the one atomic file writer.
//!
//! Every file is written to a temporary name in its final folder and renamed into place,
//! so an interrupted run never leaves a half-written file under its final name.

use crate::engine::SimTime;
use crate::metrics::summary::{Estimate, estimate};
use crate::metrics::{IntervalRow, RunMetrics};
use crate::scenario::Scenario;
use crate::workload::calendar::{DAY_MS, WEEKDAYS};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

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

/// Formats a number for CSV: shortest round-trip form; empty when undefined.
fn num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v}"))
}

fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    w.write_record(header).expect("in-memory CSV");
    for row in rows {
        w.write_record(row).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

/// `runs.csv`: one row per replication, one column per metric.
pub fn runs_csv(runs: &[RunMetrics]) -> Vec<u8> {
    let mut header = vec!["replication".to_owned()];
    header.extend(
        runs.first()
            .map_or_else(Vec::new, |r| r.values.iter().map(|(k, _)| k.clone()).collect()),
    );
    let rows: Vec<Vec<String>> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            std::iter::once(i.to_string())
                .chain(r.values.iter().map(|(_, v)| num(*v)))
                .collect()
        })
        .collect();
    csv_bytes(&header, &rows)
}

/// A clock label such as `mon 08:00` for simulation time `t`.
pub fn clock_label(scenario: &Scenario, t: SimTime) -> String {
    let w = scenario.calendar.start_in_week + t.as_millis();
    let day = WEEKDAYS[((w / DAY_MS) % 7) as usize];
    let min = (w % DAY_MS) / 60_000;
    format!("{day} {:02}:{:02}", min / 60, min % 60)
}

/// `intervals.csv`: one row per (replication, interval) — the planner's table.
pub fn intervals_csv(scenario: &Scenario, runs: &[RunMetrics]) -> Vec<u8> {
    let mut header: Vec<String> = [
        "replication",
        "interval",
        "start",
        "arrivals",
        "served",
        "abandoned",
        "wait_mean",
    ]
    .map(String::from)
    .to_vec();
    for t in &scenario.sl_targets {
        header.push(format!("service_level_{t}"));
    }
    header.extend(
        [
            "chats_in_service_mean",
            "agents_available_mean",
            "queue_len_mean",
            "occupancy_mean",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for (rep, run) in runs.iter().enumerate() {
        for (i, row) in run.intervals.iter().enumerate() {
            rows.push(interval_row(scenario, rep, i, row));
        }
    }
    csv_bytes(&header, &rows)
}

fn interval_row(scenario: &Scenario, rep: usize, i: usize, row: &IntervalRow) -> Vec<String> {
    let c = &row.chats;
    let l = &row.levels;
    let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
    let mut out = vec![
        rep.to_string(),
        i.to_string(),
        clock_label(scenario, row.start),
        c.arrivals.to_string(),
        c.served.to_string(),
        c.abandoned.to_string(),
        num(ratio(c.wait_sum_ms / 1_000.0, c.served as f64)),
    ];
    for within in &c.within {
        out.push(num(ratio(*within as f64, c.arrivals as f64)));
    }
    out.push(num(ratio(l.in_service, l.span_ms)));
    out.push(num(ratio(l.available, l.span_ms)));
    out.push(num(ratio(l.queue, l.span_ms)));
    out.push(num(ratio(l.avail_load, l.avail_capacity)));
    out
}

/// `groups.csv`: one row per (replication, group) — the last group is "(none)", chats
/// that arrived without a group.
pub fn groups_csv(scenario: &Scenario, runs: &[RunMetrics]) -> Vec<u8> {
    let mut header: Vec<String> = [
        "replication",
        "group",
        "arrivals",
        "served",
        "abandoned",
        "wait_mean",
        "abandonment",
    ]
    .map(String::from)
    .to_vec();
    for t in &scenario.sl_targets {
        header.push(format!("service_level_{t}"));
    }
    let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
    let mut rows = Vec::new();
    for (rep, run) in runs.iter().enumerate() {
        for (g, slice) in run.groups.iter().enumerate() {
            let name = scenario.engine.groups.get(g).map_or("(none)", String::as_str);
            let mut row = vec![
                rep.to_string(),
                name.to_owned(),
                slice.arrivals.to_string(),
                slice.served.to_string(),
                slice.abandoned.to_string(),
                num(ratio(slice.wait_sum_ms / 1_000.0, slice.served as f64)),
                num(ratio(slice.abandoned as f64, slice.arrivals as f64)),
            ];
            row.extend(
                slice
                    .within
                    .iter()
                    .map(|w| num(ratio(*w as f64, slice.arrivals as f64))),
            );
            rows.push(row);
        }
    }
    csv_bytes(&header, &rows)
}

/// Metrics shown first in the terminal summary (PRODUCT.md §5 headline metrics).
pub fn headline_ids(scenario: &Scenario) -> Vec<String> {
    let mut ids = vec!["wait_p95".to_owned()];
    ids.extend(scenario.sl_targets.iter().map(|t| format!("service_level_{t}")));
    ids.extend(["abandonment", "fairness_jain", "churn_per_100"].map(String::from));
    ids
}

/// Across-replication estimate of every metric, in run order.
pub fn estimates(runs: &[RunMetrics]) -> Vec<(String, Option<Estimate>)> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .values
        .iter()
        .map(|(id, _)| {
            let values: Vec<f64> = runs.iter().filter_map(|r| r.get(id)).collect();
            (id.clone(), estimate(&values))
        })
        .collect()
}

/// Unit of a metric for display.
fn unit(id: &str) -> &'static str {
    if id.starts_with("wait_") || id.ends_with("_wait_mean") || id == "time_in_queue_mean" {
        "s"
    } else if id == "orphan_minutes" {
        "min"
    } else {
        ""
    }
}

fn fmt_value(id: &str, x: f64) -> String {
    let share = id.starts_with("service_level")
        || id.ends_with("_share")
        || id == "abandonment"
        || id.starts_with("occupancy");
    if share {
        format!("{:.1} %", x * 100.0)
    } else {
        format!(
            "{x:.3}{}",
            if unit(id).is_empty() {
                String::new()
            } else {
                format!(" {}", unit(id))
            }
        )
    }
}

fn fmt_half(id: &str, h: f64) -> String {
    let share = id.starts_with("service_level")
        || id.ends_with("_share")
        || id == "abandonment"
        || id.starts_with("occupancy");
    if share {
        format!("± {:.1} %", h * 100.0)
    } else {
        format!("± {h:.3}")
    }
}

/// The terminal summary: headline metrics first, then the rest.
pub fn terminal_summary(scenario: &Scenario, runs: &[RunMetrics]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} replications, seed {}",
        scenario.name,
        runs.len(),
        scenario.seed
    );
    if let Some(q) = &scenario.question {
        let _ = writeln!(out, "question: {q}");
    }
    let est = estimates(runs);
    let headline = headline_ids(scenario);
    let mut order: Vec<&(String, Option<Estimate>)> = headline
        .iter()
        .filter_map(|h| est.iter().find(|(id, _)| id == h))
        .collect();
    order.extend(est.iter().filter(|(id, _)| !headline.contains(id)));
    let _ = writeln!(
        out,
        "\n{:<28} {:>14} {:>14} {:>4}",
        "metric", "mean", "95 % CI", "n"
    );
    for (i, (id, e)) in order.iter().enumerate() {
        if i == headline.len() {
            let _ = writeln!(out);
        }
        match e {
            Some(e) => {
                let half = e.half_width.map_or_else(|| "–".to_owned(), |h| fmt_half(id, h));
                let _ = writeln!(
                    out,
                    "{:<28} {:>14} {:>14} {:>4}",
                    id,
                    fmt_value(id, e.mean),
                    half,
                    e.n
                );
            }
            None => {
                let _ = writeln!(out, "{id:<28} {:>14} {:>14} {:>4}", "–", "–", 0);
            }
        }
    }
    out
}
