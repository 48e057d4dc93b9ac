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
                "Hollow points average fewer replications than the others — {}",
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
pub(crate) fn axis_title(words: &str, m: &Metric) -> (String, f64) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::stats::Adjustment;
    use crate::metrics::summary::Estimate;
    use crate::report::plot::Chart;

    const SCENARIO: &str = r#"name = "charts"
horizon = "3h"
seed = 11
replications = 4
service_level_targets = ["30s"]
[engine]
strategy = "least-busy"
max_chats_per_agent = 2
[[teams]]
name = "support"
size = 3
[arrivals]
rate = 40
[handle_time]
distribution = "exponential"
mean = "8m"
[patience]
distribution = "exponential"
mean = "2m"
[compare]
max_chats_per_agent = [1, 2, 3]
baseline = { max_chats_per_agent = 2 }
"#;

    fn experiment() -> crate::scenario::Experiment {
        crate::scenario::experiment_from_str(SCENARIO, std::path::Path::new("charts.toml")).unwrap()
    }

    fn runs(experiment: &crate::scenario::Experiment) -> Vec<Vec<crate::metrics::RunMetrics>> {
        crate::experiment::run_experiment(experiment, 1, &|| {})
            .unwrap()
            .into_iter()
            .map(|cell| cell.into_iter().map(|r| r.metrics).collect())
            .collect()
    }

    fn results_of(
        experiment: &crate::scenario::Experiment,
        runs: Vec<Vec<crate::metrics::RunMetrics>>,
    ) -> Results<'_> {
        Results::new(experiment, runs, Adjustment::Unadjusted)
    }

    fn find<'a>(charts: &'a [(&str, Chart)], stem: &str) -> &'a Chart {
        &charts.iter().find(|(s, _)| *s == stem).unwrap().1
    }

    fn names(chart: &Chart) -> Vec<String> {
        match &chart.kind {
            ChartKind::Lines(s) => s.iter().map(|s| s.name.clone()).collect(),
            ChartKind::Bars(b) => b.iter().map(|b| b.label.clone()).collect(),
            ChartKind::StackedBars(s) => s.iter().map(|s| s.label.clone()).collect(),
            ChartKind::Strips(s) => s.iter().map(|s| s.0.clone()).collect(),
        }
    }

    #[test]
    fn every_chart_follows_the_display_order_and_knows_the_baseline() {
        let experiment = experiment();
        let results = results_of(&experiment, runs(&experiment));
        let order = [2, 0, 1];
        let charts = build(&results, &order);
        assert_eq!(charts.len(), 8);
        let labels: Vec<String> = order.iter().map(|&c| experiment.cells[c].label.clone()).collect();
        for (stem, chart) in &charts {
            assert_eq!(names(chart), labels, "{stem}");
            // The baseline (cell 1: cap 2) is third in this order.
            assert_eq!(chart.baseline, Some(2), "{stem}");
        }
        // Units from the catalogue.
        assert_eq!(find(&charts, "wait_p95").y_label, "p95 wait (s)");
        assert_eq!(find(&charts, "wait_cdf").x_label, "wait (s)");
        assert_eq!(
            find(&charts, "service_level").y_label,
            "chats answered within 30s (%)"
        );
        assert_eq!(
            find(&charts, "queue_by_hour").y_label,
            "mean queue length (chats)"
        );
        assert_eq!(find(&charts, "churn").y_label, "reassignments (per 100 chats)");
        // A single configuration has no baseline to name.
        let one = crate::scenario::experiment_from_str(
            &SCENARIO.replace(
                "[compare]\nmax_chats_per_agent = [1, 2, 3]\nbaseline = { max_chats_per_agent = 2 }\n",
                "",
            ),
            std::path::Path::new("one.toml"),
        )
        .unwrap();
        let single = results_of(&one, runs(&one));
        assert!(build(&single, &[0]).iter().all(|(_, c)| c.baseline.is_none()));
    }

    #[test]
    fn whiskers_are_clipped_to_the_metric_bounds() {
        let e = |mean, half_width| {
            Some(Estimate {
                mean,
                half_width: Some(half_width),
                n: 4,
            })
        };
        let wait = bar("a", e(1.0, 3.0), &metric("wait_p95"), 1.0);
        assert_eq!(wait.interval, Some((0.0, 4.0)));
        let sl = metric("service_level_30s");
        let share = bar("a", e(0.98, 0.05), &sl, unit(&sl).1);
        let (lo, hi) = share.interval.unwrap();
        assert!((lo - 93.0).abs() < 1e-9 && hi == 100.0, "{lo} {hi}");
        assert_eq!(bar("a", None, &sl, 100.0).interval, None);
        assert!(bar("a", None, &sl, 100.0).mean.is_nan());
        // In built charts: no wait whisker below 0, no share whisker outside 0–100 %.
        let experiment = experiment();
        let results = results_of(&experiment, runs(&experiment));
        let charts = build(&results, &results.ranking());
        for (stem, bounds) in [
            ("wait_p95", (0.0, f64::INFINITY)),
            ("service_level", (0.0, 100.0)),
            ("fairness", (0.0, 1.0)),
        ] {
            let ChartKind::Bars(bars) = &find(&charts, stem).kind else {
                panic!("{stem} is not a bar chart")
            };
            for b in bars {
                if let Some((lo, hi)) = b.interval {
                    assert!(bounds.0 <= lo && lo <= hi && hi <= bounds.1, "{stem}: {lo}..{hi}");
                }
            }
        }
    }

    #[test]
    fn intervals_over_fewer_replications_are_hollow_and_noted() {
        let experiment = experiment();
        let mut runs = runs(&experiment);
        // Only the first replication of cell 0 reaches its last interval.
        let last = runs[0][0].intervals.len() - 1;
        let start = runs[0][0].intervals[last].start;
        for run in &mut runs[0][1..] {
            run.intervals.truncate(last);
        }
        let results = results_of(&experiment, runs);
        let charts = build(&results, &[0, 1, 2]);
        let queue = find(&charts, "queue_by_hour");
        let ChartKind::Lines(series) = &queue.kind else {
            panic!("lines")
        };
        let first = &series[0];
        assert!(
            first.sparse.contains(&(first.points.len() - 1)),
            "{:?}",
            first.sparse
        );
        let expected = format!("{}: 1 of 4", clock_label(results.scenario(), start));
        assert!(
            queue
                .notes
                .iter()
                .any(|n| n.starts_with("Hollow points") && n.contains(&expected)),
            "{:?} lacks {expected}",
            queue.notes
        );
        // Drawn: still one legend entry per configuration, and the note in the SVG.
        let svg = crate::report::plot::render_svg(queue).unwrap();
        assert!(svg.contains(&expected));
    }
}
