//! The terminal summary: the answer first, a ranked table, paired differences in words,
//! then (for one cell) every metric. Tables come from the shared presentation model
//! (`table`), so the terminal and `report.html` show the same rows.

use crate::experiment::stats::CellSummary;
use crate::metrics::catalogue::{Direction, Metric};
use crate::metrics::summary::Estimate;
use crate::report::SliceKind;
use crate::report::table::{Column, Row, Table};
use crate::report::{
    Results, answer_metrics, fmt_diff, fmt_estimate, fmt_summary, fmt_values, shown_metrics,
};
use std::fmt::Write as _;

/// Whether a difference interval excludes 0 (a difference the report may claim).
pub fn distinguishable(ci: Option<(f64, f64)>) -> bool {
    ci.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0)
}

/// "[defined in 6 of 20 replications]" when a metric rests on fewer runs than were made.
pub fn defined_in(e: Option<Estimate>, runs: usize) -> String {
    match e {
        Some(e) if e.n < runs => format!(" [defined in {} of {runs} replications]", e.n),
        _ => String::new(),
    }
}

/// Each configuration's label, "(baseline)" marked when there is a comparison.
pub fn labels(results: &Results<'_>) -> Vec<String> {
    results
        .experiment
        .cells
        .iter()
        .enumerate()
        .map(|(c, cell)| {
            if results.summary[c].baseline && results.summary.len() > 1 {
                format!("{} (baseline)", cell.label)
            } else {
                cell.label.clone()
            }
        })
        .collect()
}

/// The ranking: every configuration in rank order with every answer metric and the
/// headline metrics (docs/metrics.md), the recommended one emphasised.
pub fn ranking_table(results: &Results<'_>) -> Table {
    let scenario = results.scenario();
    let metrics = shown_metrics(scenario);
    let compared = results.summary.len() > 1;
    let mut columns = vec![Column::number("rank"), Column::text("configuration")];
    if compared {
        columns.push(Column::text("decision"));
    }
    columns.extend(metrics.iter().map(|m| Column::number(m.short.clone())));
    let mut table = Table::new(columns);
    let labels = labels(results);
    for (rank, &c) in results.ranking().iter().enumerate() {
        let mut cells = vec![(rank + 1).to_string(), labels[c].clone()];
        if compared {
            cells.push(standing(&results.outcome, c).to_owned());
        }
        cells.extend(metrics.iter().map(|m| fmt_summary(&results.summary[c], m)));
        table.rows.push(Row {
            cells,
            emphasis: results.outcome.recommended == Some(c),
        });
    }
    let n = results.runs.first().map_or(0, Vec::len);
    table.notes.push(if n < 2 {
        format!("Values of {n} replication: no confidence intervals (run at least 2).")
    } else {
        format!(
            "Means over {n} replications with 95 % confidence intervals (t, n − 1 degrees of freedom), clipped to each metric's bounds; n per metric is in summary.csv."
        )
    });
    if compared {
        table.notes.push(
            "Decision (docs/decisions.md): recommended; equivalent to the best on the objective; may miss a constraint (its interval straddles the limit); misses a constraint; beaten (another configuration is better on an answer metric and worse on none); Pareto set (no single best); worse on the objective."
                .to_owned(),
        );
    }
    table
}

/// Where a configuration stands in the decision, in a word or two.
pub fn standing(outcome: &crate::decision::Outcome, c: usize) -> &'static str {
    let cell = &outcome.cells[c];
    if cell.recommended {
        "recommended"
    } else if outcome.pareto.as_ref().is_some_and(|p| p.contains(&c)) {
        "Pareto set"
    } else if cell.misses_any() {
        "misses"
    } else if cell.equivalent {
        if cell.uncertain_any() {
            "equivalent, may miss"
        } else {
            "equivalent"
        }
    } else if cell.dominated {
        "beaten"
    } else if cell.uncertain_any() {
        "may miss"
    } else {
        "worse"
    }
}

/// Every metric of one cell: mean, 95 % interval, unit and n.
pub fn metrics_table(summary: &CellSummary) -> Table {
    let mut table = Table::new(vec![
        Column::text("metric"),
        Column::number("mean ± 95 % CI"),
        Column::text("unit"),
        Column::number("n"),
    ]);
    for m in &summary.metrics {
        let Some(metric) = crate::metrics::catalogue::lookup(&m.metric) else {
            continue;
        };
        table.rows.push(Row::new(vec![
            m.metric.clone(),
            fmt_estimate(&metric, m.estimate, m.ci),
            metric.unit().name().to_owned(),
            m.estimate.map_or(0, |e| e.n).to_string(),
        ]));
    }
    table
}

/// Per group (scenarios with groups) or per inbox (scenarios with several): arrivals,
/// mean wait, service level at the first target, abandonment, chats in service and agents
/// available, for every configuration in rank order; `None` when it does not apply.
pub fn slice_table(results: &Results<'_>, ranking: &[usize], kind: SliceKind) -> Option<Table> {
    let scenario = results.scenario();
    if !kind.applies(scenario) {
        return None;
    }
    let metric = crate::metrics::catalogue::metric;
    let sl = scenario
        .sl_targets
        .first()
        .map(|t| metric(&format!("service_level_{t}")));
    let mut columns = vec![
        Column::text("configuration"),
        Column::text(kind.noun()),
        Column::number("arrivals"),
        Column::number("mean wait"),
    ];
    columns.extend(sl.iter().map(|m| Column::number(m.short.clone())));
    columns.extend(["abandoned", "in service", "available"].map(Column::number));
    let mut table = Table::new(columns);
    let labels = labels(results);
    for &c in ranking {
        for (i, row) in results.slice_rows(c, kind).iter().enumerate() {
            let mut cells = vec![
                if i == 0 { labels[c].clone() } else { String::new() },
                row.name.clone(),
                row.arrivals
                    .map_or_else(|| "–".to_owned(), |e| format!("{:.1}", e.mean)),
                fmt_values(&metric("wait_mean"), row.wait_mean),
            ];
            if let Some(m) = &sl {
                cells.push(fmt_values(m, row.service_level));
            }
            cells.push(fmt_values(&metric("abandonment"), row.abandonment));
            cells.push(fmt_values(&metric("chats_in_service_mean"), row.chats_in_service));
            cells.push(fmt_values(&metric("agents_available_mean"), row.agents_available));
            table.rows.push(Row::new(cells));
        }
    }
    table.notes.push(format!(
        "Means per replication with 95 % confidence intervals; chats counted in the {} they were routed with{}; in service and available are time-weighted means over the run.",
        kind.noun(),
        if kind == SliceKind::Group { " (\"(none)\": no group)" } else { "" }
    ));
    Some(table)
}

/// The planner's table for cell `c`: per interval, each measure averaged over the
/// replications that reached the interval; an interval reached by fewer replications than
/// the others is marked and footnoted.
pub fn planner_table(results: &Results<'_>, c: usize) -> Table {
    use crate::report::csv::{interval_columns, interval_numbers};
    let scenario = results.scenario();
    let metrics = interval_columns(&scenario.sl_targets);
    let mut columns = vec![Column::text("interval")];
    columns.extend(metrics.iter().map(|m| Column::number(m.short.clone())));
    let mut table = Table::new(columns);
    let runs = &results.runs[c];
    let n_intervals = runs.iter().map(|r| r.intervals.len()).max().unwrap_or(0);
    let mut fewer = Vec::new();
    for i in 0..n_intervals {
        let rows: Vec<Vec<Option<f64>>> = runs
            .iter()
            .filter_map(|r| r.intervals.get(i))
            .map(interval_numbers)
            .collect();
        let Some(first) = runs.iter().find_map(|r| r.intervals.get(i)) else {
            continue;
        };
        let mut label = crate::report::clock_label(scenario, first.start);
        if rows.len() < runs.len() {
            label.push_str(" *");
            fewer.push(format!(
                "{}: {} of {}",
                crate::report::clock_label(scenario, first.start),
                rows.len(),
                runs.len()
            ));
        }
        let mut cells = vec![label];
        for (col, m) in metrics.iter().enumerate() {
            let values: Vec<f64> = rows.iter().filter_map(|r| r[col]).collect();
            cells.push(if values.is_empty() {
                "–".to_owned()
            } else {
                m.unit().format(values.iter().sum::<f64>() / values.len() as f64)
            });
        }
        table.rows.push(Row::new(cells));
    }
    table.notes.push(format!(
        "Means over {} replications; per-chat columns by interval of arrival, levels time-weighted over the interval.",
        runs.len()
    ));
    if !fewer.is_empty() {
        table.notes.push(format!(
            "* averaged over fewer replications (the others had ended before): {}.",
            fewer.join("; ")
        ));
    }
    table
}

/// The terminal summary.
pub fn terminal_summary(results: &Results<'_>) -> String {
    let scenario = results.scenario();
    let mut out = String::new();
    let _ = writeln!(out, "{} — seed {}", scenario.name, scenario.seed);
    if let Some(q) = &scenario.question {
        let _ = writeln!(out, "question: {q}");
    }
    let _ = writeln!(
        out,
        "{}\n",
        crate::report::answer::answer(results, &results.outcome)
    );
    out.push_str(&ranking_table(results).text());
    let ranking = results.ranking();
    for kind in [SliceKind::Group, SliceKind::Inbox] {
        if let Some(table) = slice_table(results, &ranking, kind) {
            let _ = writeln!(out, "\nby {}", kind.noun());
            out.push_str(&table.text());
        }
    }
    if results.summary.len() > 1 {
        let _ = writeln!(
            out,
            "\npaired differences vs the baseline ({})",
            baseline_label(results)
        );
        out.push_str(&diff_table(results, &ranking).text());
    } else {
        out.push('\n');
        out.push_str(&metrics_table(&results.summary[0]).text());
    }
    out
}

/// The baseline configuration's label.
pub fn baseline_label<'a>(results: &'a Results<'_>) -> &'a str {
    &results.experiment.cells[results.experiment.baseline].label
}

/// How a paired difference reads: "better" / "worse" by the metric's direction ("higher" /
/// "lower" for a metric with none), "no distinguishable change" when its interval contains
/// 0, "unchanged" when it is exactly 0 in every replication.
pub fn diff_verdict(metric: &Metric, d: &Estimate, ci: Option<(f64, f64)>) -> &'static str {
    if d.mean == 0.0 && d.half_width == Some(0.0) {
        "unchanged"
    } else if !distinguishable(ci) {
        "no distinguishable change"
    } else {
        match (metric.direction(), d.mean > 0.0) {
            (Direction::Higher, true) | (Direction::Lower, false) => "better",
            (Direction::Higher, false) | (Direction::Lower, true) => "worse",
            (Direction::Neither, true) => "higher",
            (Direction::Neither, false) => "lower",
        }
    }
}

/// A paired difference with its sign: "−41.0 s ± 6.0 s", "+3.2 points ± 5.0 points".
pub fn fmt_signed_diff(metric: &Metric, d: &Estimate, ci: Option<(f64, f64)>) -> String {
    // No sign on a difference that rounds to zero.
    let rounds_to_zero = !metric
        .unit()
        .format_diff(d.mean.abs())
        .chars()
        .any(|c| c.is_ascii_digit() && c != '0');
    let sign = if rounds_to_zero {
        ""
    } else if d.mean > 0.0 {
        "+"
    } else {
        "−"
    };
    format!("{sign}{}", fmt_diff(metric, d, ci))
}

/// Paired differences against the baseline for every answer metric of every other
/// configuration, in rank order: the signed difference with its interval and how it reads.
pub fn diff_table(results: &Results<'_>, ranking: &[usize]) -> Table {
    let metrics = answer_metrics(results.scenario());
    let mut table = Table::new(vec![
        Column::text("configuration"),
        Column::text("metric"),
        Column::number("difference"),
        Column::text("reading"),
    ]);
    for &c in ranking {
        if results.summary[c].baseline {
            continue;
        }
        let mut first = true;
        for m in &metrics {
            let Some(s) = results.summary[c].get(&m.id) else {
                continue;
            };
            let (text, reading) = match s.diff {
                Some(d) => (fmt_signed_diff(m, &d, s.diff_ci), diff_verdict(m, &d, s.diff_ci)),
                None => ("–".to_owned(), "undefined in the replications"),
            };
            let label = if first {
                results.experiment.cells[c].label.clone()
            } else {
                String::new()
            };
            first = false;
            table
                .rows
                .push(Row::new(vec![label, m.label.clone(), text, reading.to_owned()]));
        }
    }
    table.notes.push(format!(
        "Each configuration minus the baseline ({}), paired by replication (every configuration sees the same customers), with {} 95 % confidence intervals.",
        baseline_label(results),
        results.adjustment.name()
    ));
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::catalogue::metric;

    #[test]
    fn differences_read_by_direction_and_noise() {
        let d = |mean: f64, h: f64| Estimate {
            mean,
            half_width: Some(h),
            n: 20,
        };
        let wait = metric("wait_p95");
        // −41 ± 6 s: the interval [−47, −35] excludes 0, and a wait is better lower.
        assert_eq!(
            diff_verdict(&wait, &d(-41.0, 6.0), Some((-47.0, -35.0))),
            "better"
        );
        assert_eq!(
            fmt_signed_diff(&wait, &d(-41.0, 6.0), Some((-47.0, -35.0))),
            "−41.0 s ± 6.0 s"
        );
        // +3.2 ± 5.0 points: the interval contains 0.
        let sl = metric("service_level_30s");
        let ci = Some((0.032 - 0.05, 0.032 + 0.05));
        assert_eq!(
            diff_verdict(&sl, &d(0.032, 0.05), ci),
            "no distinguishable change"
        );
        assert_eq!(
            fmt_signed_diff(&sl, &d(0.032, 0.05), ci),
            "+3.2 points ± 5.0 points"
        );
        // A service level 5 points lower, distinguishably: worse.
        assert_eq!(diff_verdict(&sl, &d(-0.05, 0.01), Some((-0.06, -0.04))), "worse");
        // Exactly 0 in every replication.
        assert_eq!(
            diff_verdict(&metric("abandonment"), &d(0.0, 0.0), Some((0.0, 0.0))),
            "unchanged"
        );
        // A metric without a direction only goes up or down.
        assert_eq!(
            diff_verdict(&metric("occupancy_mean"), &d(0.1, 0.01), Some((0.09, 0.11))),
            "higher"
        );
    }
}
