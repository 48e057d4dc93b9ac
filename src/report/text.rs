//! The terminal summary: the answer first, a ranked table, paired differences in words,
//! then (for one cell) every metric.

use crate::metrics::summary::Estimate;
use crate::report::{Results, fmt_estimate, fmt_half, fmt_value, headline_ids, is_share, unit};
use std::fmt::Write as _;

/// A metric's name for people.
pub fn metric_name(id: &str) -> String {
    if let Some(t) = id.strip_prefix("service_level_answered_") {
        return format!("service level within {t} (answered)");
    }
    if let Some(t) = id.strip_prefix("service_level_") {
        return format!("service level within {t}");
    }
    match id {
        "wait_p95" => "95th-percentile wait".into(),
        "wait_mean" => "mean wait".into(),
        "abandonment" => "abandonment".into(),
        "fairness_jain" => "fairness (Jain)".into(),
        "churn_per_100" => "reassignments per 100 chats".into(),
        "churn_offline" => "reassignments after going offline per 100 chats".into(),
        "churn_rebalance" => "rebalancing moves per 100 chats".into(),
        "orphan_minutes" => "minutes in chats whose agent is offline".into(),
        "silent_hold_mean" => "time a silent customer's chat stays open".into(),
        "first_response_mean" => "mean first response".into(),
        "handle_time_mean" => "mean handle time".into(),
        other => other.replace('_', " "),
    }
}

/// "least-busy, cap 2 cuts 95th-percentile wait by 41.0 s ± 6.0 s vs round-robin, cap 3".
pub fn diff_sentence(cell: &str, baseline: &str, id: &str, d: &Estimate, adjustment: &str) -> String {
    let name = metric_name(id);
    let (scale, u) = if is_share(id) {
        (100.0, " points")
    } else {
        (1.0, "")
    };
    let u = if u.is_empty() && !unit(id).is_empty() {
        format!(" {}", unit(id))
    } else {
        u.to_owned()
    };
    let magnitude = (d.mean * scale).abs();
    let digits = if is_share(id) || !unit(id).is_empty() {
        1
    } else {
        3
    };
    let half = d
        .half_width
        .map_or_else(String::new, |h| format!(" ± {:.digits$}{u}", h * scale));
    let verb = if d.mean == 0.0 {
        return format!("{cell} leaves {name} unchanged vs {baseline} ({adjustment} 95 % CI{half})");
    } else if d.mean < 0.0 {
        if super::higher_is_better(id) == Some(false) {
            "cuts"
        } else {
            "lowers"
        }
    } else if super::higher_is_better(id) == Some(true) {
        "raises"
    } else {
        "increases"
    };
    let significant = d.half_width.is_some_and(|h| h < d.mean.abs());
    let note = if significant {
        ""
    } else {
        " — not distinguishable from no change"
    };
    format!(
        "{cell} {verb} {name} by {magnitude:.digits$}{u}{half} vs {baseline} ({adjustment} 95 % CI){note}"
    )
}

/// The one-sentence answer: the best cell and its headline numbers.
pub fn answer(results: &Results<'_>) -> String {
    let ranking = results.ranking();
    let best = ranking[0];
    let cell = &results.summary[best];
    let scenario = results.scenario();
    let ids = if scenario.answer_metrics.is_empty() {
        headline_ids(scenario)
    } else {
        scenario.answer_metrics.clone()
    };
    let n = results.runs[best].len();
    let mut parts = Vec::new();
    for id in &ids {
        match cell.get(id).and_then(|m| m.estimate) {
            Some(e) => {
                let half = e
                    .half_width
                    .map_or_else(String::new, |h| format!(" ({})", fmt_half(id, h)));
                // A metric undefined in some runs (no chat re-queued…) rests on fewer.
                let few = if e.n < n {
                    format!(" [defined in {} of {n} replications]", e.n)
                } else {
                    String::new()
                };
                parts.push(format!(
                    "{} {}{half}{few}",
                    metric_name(id),
                    fmt_value(id, e.mean)
                ));
            }
            None if !scenario.answer_metrics.is_empty() => {
                parts.push(format!("{} undefined (no run had a case)", metric_name(id)));
            }
            None => {}
        }
    }
    // Cells whose customers fare exactly the same (common random numbers make this common:
    // with identical agents and no slowdown, the strategy does not change any wait).
    let service = |c: usize| -> Vec<Option<u64>> {
        ids.iter()
            .filter(|id| !id.starts_with("fairness") && !id.starts_with("churn"))
            .map(|id| {
                results.summary[c]
                    .get(id)
                    .and_then(|m| m.estimate)
                    .map(|e| e.mean.to_bits())
            })
            .collect()
    };
    let ties: Vec<&str> = ranking[1..]
        .iter()
        .filter(|&&c| service(c) == service(best))
        .map(|&c| results.experiment.cells[c].label.as_str())
        .collect();
    let tie_note = if ties.is_empty() {
        String::new()
    } else {
        format!(
            " Customers fare exactly the same with {}; fairness decides.",
            ties.join("; ")
        )
    };
    if results.summary.len() == 1 {
        format!("Answer (over {n} replications): {}.", parts.join(", "))
    } else {
        format!(
            "Answer: {} ranks best (of {} configurations, {n} replications each): {}.{tie_note}",
            results.experiment.cells[best].label,
            results.summary.len(),
            parts.join(", ")
        )
    }
}

/// Per group (scenarios with groups), then per inbox (scenarios with several): arrivals,
/// mean wait, service level at the first target, abandonment, chats in service and agents
/// available, for every configuration in rank order.
fn group_table(results: &Results<'_>, ranking: &[usize], labels: &[String], width: usize, out: &mut String) {
    use crate::report::SliceKind;
    let scenario = results.scenario();
    let sl = scenario
        .sl_targets
        .first()
        .map_or_else(|| "SL".to_owned(), |t| format!("SL {t}"));
    for kind in [SliceKind::Group, SliceKind::Inbox] {
        if !kind.applies(scenario) {
            continue;
        }
        let gw = results
            .slice_rows(ranking[0], kind)
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "\nby {} (mean per replication ± 95 % CI)\n{:>4}  {:<width$}  {:<gw$}  {:>10}  {:>18}  {:>18}  {:>18}  {:>18}  {:>18}",
            kind.noun(),
            "",
            "configuration",
            kind.noun(),
            "arrivals",
            "mean wait",
            sl,
            "abandoned",
            "in service",
            "available"
        );
        for &c in ranking {
            for (i, row) in results.slice_rows(c, kind).iter().enumerate() {
                let label = if i == 0 { labels[c].as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "{:>4}  {label:<width$}  {:<gw$}  {:>10}  {:>18}  {:>18}  {:>18}  {:>18}  {:>18}",
                    "",
                    row.name,
                    row.arrivals
                        .map_or_else(|| "–".to_owned(), |e| format!("{:.1}", e.mean)),
                    fmt_estimate("wait_mean", row.wait_mean),
                    fmt_estimate("service_level", row.service_level),
                    fmt_estimate("abandonment", row.abandonment),
                    fmt_estimate("chats_in_service_mean", row.chats_in_service),
                    fmt_estimate("agents_available_mean", row.agents_available),
                );
            }
        }
    }
}

/// The terminal summary.
pub fn terminal_summary(results: &Results<'_>) -> String {
    let scenario = results.scenario();
    let mut out = String::new();
    let _ = writeln!(out, "{} — seed {}", scenario.name, scenario.seed);
    if let Some(q) = &scenario.question {
        let _ = writeln!(out, "question: {q}");
    }
    let _ = writeln!(out, "{}\n", answer(results));
    let ids = headline_ids(scenario);
    let ranking = results.ranking();
    let labels: Vec<String> = results
        .experiment
        .cells
        .iter()
        .enumerate()
        .map(|(c, cell)| {
            let mark = if results.summary[c].baseline && results.summary.len() > 1 {
                " (baseline)"
            } else {
                ""
            };
            format!("{}{mark}", cell.label)
        })
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(5)
        .max(13);
    let _ = write!(out, "{:>4}  {:<width$}", "rank", "configuration");
    for id in &ids {
        let _ = write!(out, "  {:>18}", short(id));
    }
    let _ = writeln!(out);
    for (rank, &c) in ranking.iter().enumerate() {
        let _ = write!(out, "{:>4}  {:<width$}", rank + 1, labels[c]);
        for id in &ids {
            let cellv = fmt_estimate(id, results.summary[c].get(id).and_then(|m| m.estimate));
            let _ = write!(out, "  {cellv:>18}");
        }
        let _ = writeln!(out);
    }
    group_table(results, &ranking, &labels, width, &mut out);
    if results.summary.len() > 1 {
        let base_label = &results.experiment.cells[results.experiment.baseline].label;
        let _ = writeln!(out, "\npaired differences vs the baseline ({base_label}):");
        for &c in &ranking {
            if results.summary[c].baseline {
                continue;
            }
            // The question's own metrics when the scenario names them, else the two first
            // headline metrics.
            let diff_ids: Vec<&String> = if scenario.answer_metrics.is_empty() {
                ids.iter().take(2).collect()
            } else {
                scenario.answer_metrics.iter().take(3).collect()
            };
            for id in diff_ids {
                if let Some(d) = results.summary[c].get(id).and_then(|m| m.diff) {
                    let _ = writeln!(
                        out,
                        "  {}",
                        diff_sentence(
                            &results.experiment.cells[c].label,
                            base_label,
                            id,
                            &d,
                            results.adjustment.name()
                        )
                    );
                }
            }
        }
    } else {
        let _ = writeln!(
            out,
            "\n{:<30} {:>14} {:>14} {:>4}",
            "metric", "mean", "95 % CI", "n"
        );
        for m in &results.summary[0].metrics {
            match m.estimate {
                Some(e) => {
                    let half = e
                        .half_width
                        .map_or_else(|| "–".to_owned(), |h| fmt_half(&m.metric, h));
                    let _ = writeln!(
                        out,
                        "{:<30} {:>14} {:>14} {:>4}",
                        m.metric,
                        fmt_value(&m.metric, e.mean),
                        half,
                        e.n
                    );
                }
                None => {
                    let _ = writeln!(out, "{:<30} {:>14} {:>14} {:>4}", m.metric, "–", "–", 0);
                }
            }
        }
    }
    out
}

fn short(id: &str) -> String {
    match id {
        "wait_p95" => "p95 wait".into(),
        "abandonment" => "abandoned".into(),
        "fairness_jain" => "fairness (Jain)".into(),
        "churn_per_100" => "moves/100 chats".into(),
        other => other
            .strip_prefix("service_level_")
            .map_or_else(|| other.to_owned(), |t| format!("SL {t}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_in_words() {
        let d = Estimate {
            mean: -41.0,
            half_width: Some(6.0),
            n: 20,
        };
        assert_eq!(
            diff_sentence("least-busy", "round-robin", "wait_p95", &d, "unadjusted"),
            "least-busy cuts 95th-percentile wait by 41.0 s ± 6.0 s vs round-robin (unadjusted 95 % CI)"
        );
        let d = Estimate {
            mean: 0.032,
            half_width: Some(0.05),
            n: 20,
        };
        assert_eq!(
            diff_sentence("b", "a", "service_level_30s", &d, "bonferroni"),
            "b raises service level within 30s by 3.2 points ± 5.0 points vs a (bonferroni 95 % CI) — not distinguishable from no change"
        );
        let d = Estimate {
            mean: 0.0,
            half_width: Some(0.0),
            n: 3,
        };
        assert!(diff_sentence("b", "a", "abandonment", &d, "unadjusted").contains("unchanged"));
    }
}
