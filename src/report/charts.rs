//! Chart data from results: which charts a report has and what each one shows. Drawing is
//! `plot`'s job; this module only averages and arranges numbers.
//!
//! Every chart lists the configurations in the display order it is given (best first) and
//! names the baseline, so that `plot` can keep 60 configurations readable (the best few
//! and the baseline in colour, the rest in grey). Units, bounds and axis titles come from
//! the metric catalogue: a whisker never leaves its metric's bounds (a wait's is never
//! below 0, a share's stays within 0–100 %). A per-interval value averaged over fewer
//! replications than the others is marked (hollow point) and named in a note.

use crate::engine::SimTime;
use crate::metrics::catalogue::{Metric, Unit, metric};
use crate::report::plot::{BarCi, Chart, ChartKind, Series, Stacked};
use crate::report::{Results, clock_label, csv::interval_numbers};
use crate::workload::calendar::DAY_MS;
use std::collections::BTreeMap;

/// Every chart of the report, with its file stem. `order` lists the cells to show, in
/// display order (best first, e.g. [`Results::ranking`]); cells not in it are left out.
pub fn build(results: &Results<'_>, order: &[usize]) -> Vec<(&'static str, Chart)> {
    let scenario = results.scenario();
    let cells = &results.experiment.cells;
    let labels: Vec<String> = order.iter().map(|&c| cells[c].label.clone()).collect();
    let baseline = if cells.len() > 1 {
        order.iter().position(|&c| c == results.experiment.baseline)
    } else {
        None
    };
    let chart = |title: String, x_label: String, y_label: String, kind: ChartKind| Chart {
        baseline,
        ..Chart::new(title, x_label, y_label, kind)
    };
    let mut charts = Vec::new();

    // Wait CDF per cell, averaged over the replications that served a chat.
    let mut short = Vec::new();
    let series = order
        .iter()
        .zip(&labels)
        .map(|(&c, label)| {
            let runs = &results.runs[c];
            let with: Vec<&Vec<(f64, f64)>> = runs
                .iter()
                .map(|r| &r.wait_cdf)
                .filter(|c| !c.is_empty())
                .collect();
            if !with.is_empty() && with.len() < runs.len() {
                short.push(format!("{label} ({} of {})", with.len(), runs.len()));
            }
            let points = with
                .first()
                .map(|first| {
                    (0..first.len())
                        .map(|i| {
                            let shares: Vec<f64> =
                                with.iter().filter_map(|c| c.get(i)).map(|p| p.1).collect();
                            (
                                first[i].0,
                                shares.iter().sum::<f64>() / shares.len() as f64 * 100.0,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Series {
                name: label.clone(),
                points,
                sparse: Vec::new(),
            }
        })
        .collect();
    let mut cdf = chart(
        "Queue wait: share of served chats answered within x".into(),
        axis_title("wait", &metric("wait_max")).0,
        "served chats (%)".into(),
        ChartKind::Lines(series),
    );
    if !short.is_empty() {
        cdf.notes.push(format!(
            "Over fewer replications (the others served no chat): {}",
            short.join("; ")
        ));
    }
    charts.push(("wait_cdf", cdf));

    let bars = |m: &Metric| -> Vec<BarCi> {
        let scale = unit(m).1;
        order
            .iter()
            .zip(&labels)
            .map(|(&c, label)| {
                bar(
                    label,
                    results.summary[c].get(&m.id).and_then(|s| s.estimate),
                    m,
                    scale,
                )
            })
            .collect()
    };
    let p95 = metric("wait_p95");
    charts.push((
        "wait_p95",
        chart(
            "95th-percentile queue wait per configuration (95 % CI)".into(),
            "configuration".into(),
            axis_title(&p95.short, &p95).0,
            ChartKind::Bars(bars(&p95)),
        ),
    ));
    if let Some(t) = scenario.sl_targets.first() {
        let sl = metric(&format!("service_level_{t}"));
        charts.push((
            "service_level",
            chart(
                format!("{} per configuration (95 % CI)", capitalise(&sl.label)),
                "configuration".into(),
                axis_title(&format!("chats answered within {t}"), &sl).0,
                ChartKind::Bars(bars(&sl)),
            ),
        ));
    }
    let jain = metric("fairness_jain");
    charts.push((
        "fairness",
        chart(
            "Fairness of auto-assignments across agents (Jain, 1 = even; 95 % CI)".into(),
            "configuration".into(),
            axis_title("Jain index (auto-assignments per available hour)", &jain).0,
            ChartKind::Bars(bars(&jain)),
        ),
    ));
    let causes = [
        ("offline", "churn_offline"),
        ("rebalance", "churn_rebalance"),
        ("takeover", "churn_takeover"),
        ("manual", "churn_manual"),
    ];
    let stacked = order
        .iter()
        .zip(&labels)
        .map(|(&c, label)| Stacked {
            label: label.clone(),
            parts: causes
                .iter()
                .map(|(name, id)| {
                    (
                        (*name).to_owned(),
                        results.summary[c]
                            .get(id)
                            .and_then(|m| m.estimate)
                            .map_or(0.0, |e| e.mean),
                    )
                })
                .collect(),
        })
        .collect();
    charts.push((
        "churn",
        chart(
            "Reassignments by cause per configuration".into(),
            "configuration".into(),
            axis_title("reassignments", &metric("churn_per_100")).0,
            ChartKind::StackedBars(stacked),
        ),
    ));

    // By hour of day: the mean over replications of each interval's value.
    let day_offset = scenario.calendar.start_in_week % DAY_MS;
    let by_interval = |column: usize, scale: f64| -> (Vec<Series>, Option<String>) {
        // Interval → its start and the (replications averaged, replications) of each
        // series whose point there averages fewer replications than the series has.
        let mut sparse_at: BTreeMap<usize, (SimTime, Vec<(usize, usize)>)> = BTreeMap::new();
        let series = order
            .iter()
            .zip(&labels)
            .map(|(&c, label)| {
                let runs = &results.runs[c];
                let n_intervals = runs.iter().map(|r| r.intervals.len()).max().unwrap_or(0);
                let mut points = Vec::new();
                let mut sparse = Vec::new();
                for i in 0..n_intervals {
                    let values: Vec<f64> = runs
                        .iter()
                        .filter_map(|r| r.intervals.get(i))
                        .filter_map(|iv| interval_numbers(iv)[column])
                        .collect();
                    let Some(start) = runs.iter().find_map(|r| r.intervals.get(i)).map(|iv| iv.start) else {
                        continue;
                    };
                    if values.is_empty() {
                        continue;
                    }
                    if values.len() < runs.len() {
                        sparse.push(points.len());
                        let entry = sparse_at.entry(i).or_insert((start, Vec::new()));
                        entry.1.push((values.len(), runs.len()));
                    }
                    let hour = (day_offset + start.as_millis()) as f64 / 3_600_000.0;
                    points.push((hour, values.iter().sum::<f64>() / values.len() as f64 * scale));
                }
                Series {
                    name: label.clone(),
                    points,
                    sparse,
                }
            })
            .collect();
        let note = (!sparse_at.is_empty()).then(|| {
            let each: Vec<String> = sparse_at
                .values()
                .map(|(start, counts)| {
                    let range = |v: Vec<usize>| {
                        let (lo, hi) = (v.iter().min().copied(), v.iter().max().copied());
                        match (lo, hi) {
                            (Some(lo), Some(hi)) if lo < hi => format!("{lo}–{hi}"),
                            (Some(lo), _) => lo.to_string(),
                            _ => String::new(),
                        }
                    };
                    format!(
                        "{}: {} of {}",
                        clock_label(scenario, *start),
                        range(counts.iter().map(|c| c.0).collect()),
                        range(counts.iter().map(|c| c.1).collect())
                    )
                })
                .collect();
            format!(
                "Hollow points average fewer replications than the others: {}",
                each.join("; ")
            )
        });
        (series, note)
    };
    let n_targets = scenario.sl_targets.len();
    let by_hour = |title: String, y_label: String, (series, note): (Vec<Series>, Option<String>)| Chart {
        notes: note.into_iter().collect(),
        ..chart(
            title,
            "hour of day (interval start)".into(),
            y_label,
            ChartKind::Lines(series),
        )
    };
    if let Some(t) = scenario.sl_targets.first() {
        let sl = metric(&format!("service_level_{t}"));
        let (y_label, scale) = axis_title(&format!("chats answered within {t}"), &sl);
        charts.push((
            "service_level_by_hour",
            by_hour(
                format!(
                    "Service level within {t} by {} of arrival",
                    interval_word(scenario)
                ),
                y_label,
                by_interval(4, scale),
            ),
        ));
    }
    let queue = metric("queue_len_mean");
    let (y_label, scale) = axis_title("mean queue length", &queue);
    charts.push((
        "queue_by_hour",
        by_hour(
            format!("Mean queue length by {}", interval_word(scenario)),
            y_label,
            by_interval(4 + n_targets + 2, scale),
        ),
    ));

    // Per-agent load: each agent's chat-hours per available hour, averaged over replications.
    let strips = order
        .iter()
        .zip(&labels)
        .map(|(&c, label)| {
            let runs = &results.runs[c];
            let n_agents = runs.first().map_or(0, |r| r.agents.len());
            let values = (0..n_agents)
                .filter_map(|a| {
                    let ys: Vec<f64> = runs
                        .iter()
                        .filter_map(|r| r.agents.get(a))
                        .filter(|row| row.available_hours > 0.0)
                        .map(|row| row.held_hours / row.available_hours)
                        .collect();
                    (!ys.is_empty()).then(|| ys.iter().sum::<f64>() / ys.len() as f64)
                })
                .collect();
            (label.clone(), values)
        })
        .collect();
    charts.push((
        "agent_load",
        chart(
            "Load per agent: chats held per available hour".into(),
            "configuration".into(),
            "chat-hours per available hour".into(),
            ChartKind::Strips(strips),
        ),
    ));
    charts
}

/// A bar for an estimate of metric `m`: mean and 95 % interval clipped to the metric's
/// bounds, then multiplied by the axis `scale`.
fn bar(label: &str, e: Option<crate::metrics::summary::Estimate>, m: &Metric, scale: f64) -> BarCi {
    BarCi {
        label: label.to_owned(),
        mean: e.map_or(f64::NAN, |e| e.mean * scale),
        interval: e.and_then(|e| {
            let h = e.half_width?;
            let (lo, hi) = m.clip(e.mean - h, e.mean + h);
            Some((lo * scale, hi * scale))
        }),
    }
}

/// An axis title for values of metric `m` described by `words`, with the metric's unit
/// from the catalogue, and the factor from its values to the axis.
fn axis_title(words: &str, m: &Metric) -> (String, f64) {
    match unit(m) {
        (Some(unit), scale) => (format!("{words} ({unit})"), scale),
        (None, scale) => (words.to_owned(), scale),
    }
}

/// A metric's unit on a chart axis (none for counts, indexes and ratios), and the factor
/// from its values to the axis: shares are drawn in %.
fn unit(m: &Metric) -> (Option<&'static str>, f64) {
    match m.unit() {
        Unit::Share => (Some("%"), 100.0),
        Unit::Seconds => (Some("s"), 1.0),
        Unit::Minutes => (Some("min"), 1.0),
        Unit::Chats => (Some("chats"), 1.0),
        Unit::Agents => (Some("agents"), 1.0),
        Unit::Per100Chats => (Some("per 100 chats"), 1.0),
        Unit::Count | Unit::Index | Unit::Ratio => (None, 1.0),
    }
}

/// "hour" for hourly intervals, else e.g. "30m interval".
fn interval_word(scenario: &crate::scenario::Scenario) -> String {
    if scenario.interval == crate::engine::SimDuration::from_hours(1) {
        "hour".to_owned()
    } else {
        format!("{} interval", scenario.interval)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}
