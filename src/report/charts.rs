//! Chart data from results: which charts a report has and what each one shows. Drawing is
//! `plot`'s job; this module only averages and arranges numbers.

use crate::report::plot::{BarCi, Chart, ChartKind, Series, Stacked};
use crate::report::{Results, csv::interval_numbers};
use crate::workload::calendar::DAY_MS;

/// Every chart of the report, with its file stem.
pub fn build(results: &Results<'_>) -> Vec<(&'static str, Chart)> {
    let scenario = results.scenario();
    let labels: Vec<String> = results.experiment.cells.iter().map(|c| c.label.clone()).collect();
    let mut charts = Vec::new();

    // Wait CDF per cell, averaged over replications.
    let series = results
        .runs
        .iter()
        .zip(&labels)
        .map(|(runs, label)| {
            let with: Vec<&Vec<(f64, f64)>> = runs
                .iter()
                .map(|r| &r.wait_cdf)
                .filter(|c| !c.is_empty())
                .collect();
            let points = with
                .first()
                .map(|first| {
                    (0..first.len())
                        .map(|i| {
                            (
                                first[i].0,
                                with.iter().map(|c| c[i].1).sum::<f64>() / with.len() as f64 * 100.0,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Series {
                name: label.clone(),
                points,
            }
        })
        .collect();
    charts.push((
        "wait_cdf",
        Chart {
            title: "Queue wait: share of served chats answered within x".into(),
            x_label: "wait (s)".into(),
            y_label: "served chats (%)".into(),
            kind: ChartKind::Lines(series),
        },
    ));

    let bars = |id: &str, scale: f64| -> Vec<BarCi> {
        results
            .summary
            .iter()
            .zip(&labels)
            .map(|(cell, label)| {
                let e = cell.get(id).and_then(|m| m.estimate);
                BarCi {
                    label: label.clone(),
                    mean: e.map_or(f64::NAN, |e| e.mean * scale),
                    half_width: e.and_then(|e| e.half_width).map(|h| h * scale),
                }
            })
            .collect()
    };
    charts.push((
        "wait_p95",
        Chart {
            title: "95th-percentile queue wait per configuration (95 % CI)".into(),
            x_label: "configuration".into(),
            y_label: "p95 wait (s)".into(),
            kind: ChartKind::Bars(bars("wait_p95", 1.0)),
        },
    ));
    if let Some(t) = scenario.sl_targets.first() {
        let id = format!("service_level_{t}");
        charts.push((
            "service_level",
            Chart {
                title: format!(
                    "{} per configuration (95 % CI)",
                    capitalise(&crate::metrics::catalogue::metric(&id).label)
                ),
                x_label: "configuration".into(),
                y_label: format!("chats answered within {t} (%)"),
                kind: ChartKind::Bars(bars(&id, 100.0)),
            },
        ));
    }
    charts.push((
        "fairness",
        Chart {
            title: "Fairness of auto-assignments across agents (Jain, 1 = even; 95 % CI)".into(),
            x_label: "configuration".into(),
            y_label: "Jain index (auto-assignments per available hour)".into(),
            kind: ChartKind::Bars(bars("fairness_jain", 1.0)),
        },
    ));
    let causes = [
        ("offline", "churn_offline"),
        ("rebalance", "churn_rebalance"),
        ("takeover", "churn_takeover"),
        ("manual", "churn_manual"),
    ];
    let stacked = results
        .summary
        .iter()
        .zip(&labels)
        .map(|(cell, label)| Stacked {
            label: label.clone(),
            parts: causes
                .iter()
                .map(|(name, id)| {
                    (
                        (*name).to_owned(),
                        cell.get(id).and_then(|m| m.estimate).map_or(0.0, |e| e.mean),
                    )
                })
                .collect(),
        })
        .collect();
    charts.push((
        "churn",
        Chart {
            title: "Reassignments by cause per configuration".into(),
            x_label: "configuration".into(),
            y_label: "reassignments per 100 chats".into(),
            kind: ChartKind::StackedBars(stacked),
        },
    ));

    // By hour of day: the mean over replications of each interval's value.
    let day_offset = scenario.calendar.start_in_week % DAY_MS;
    let by_interval = |column: usize, scale: f64| -> Vec<Series> {
        results
            .runs
            .iter()
            .zip(&labels)
            .map(|(runs, label)| {
                let n_intervals = runs.iter().map(|r| r.intervals.len()).max().unwrap_or(0);
                let points = (0..n_intervals)
                    .filter_map(|i| {
                        let values: Vec<f64> = runs
                            .iter()
                            .filter_map(|r| r.intervals.get(i))
                            .filter_map(|iv| interval_numbers(iv)[column])
                            .collect();
                        let start = runs.iter().find_map(|r| r.intervals.get(i))?.start.as_millis();
                        let hour = (day_offset + start) as f64 / 3_600_000.0;
                        (!values.is_empty())
                            .then(|| (hour, values.iter().sum::<f64>() / values.len() as f64 * scale))
                    })
                    .collect();
                Series {
                    name: label.clone(),
                    points,
                }
            })
            .collect()
    };
    let n_targets = scenario.sl_targets.len();
    if let Some(t) = scenario.sl_targets.first() {
        charts.push((
            "service_level_by_hour",
            Chart {
                title: format!(
                    "Service level within {t} by {} of arrival",
                    interval_word(scenario)
                ),
                x_label: "hour of day (interval start)".into(),
                y_label: format!("chats answered within {t} (%)"),
                kind: ChartKind::Lines(by_interval(4, 100.0)),
            },
        ));
    }
    charts.push((
        "queue_by_hour",
        Chart {
            title: format!("Mean queue length by {}", interval_word(scenario)),
            x_label: "hour of day (interval start)".into(),
            y_label: "chats waiting (mean)".into(),
            kind: ChartKind::Lines(by_interval(4 + n_targets + 2, 1.0)),
        },
    ));

    // Per-agent load: each agent's chat-hours per available hour, averaged over replications.
    let strips = results
        .runs
        .iter()
        .zip(&labels)
        .map(|(runs, label)| {
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
        Chart {
            title: "Load per agent: chats held per available hour".into(),
            x_label: "configuration".into(),
            y_label: "chat-hours per available hour".into(),
            kind: ChartKind::Strips(strips),
        },
    ));
    charts
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
