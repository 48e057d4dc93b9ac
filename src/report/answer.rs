//! The answer in words (docs/decisions.md): what is recommended and why, what is
//! equivalent, what misses or may miss a constraint, and the recommended configuration's
//! difference from the baseline for every answer metric — each number with its interval,
//! and no sentence claiming a difference its interval does not support.

use crate::decision::condition::Verdict;
use crate::decision::{self, CellInfo, Condition, Outcome};
use crate::metrics::catalogue::{Direction, Metric};
use crate::report::text::{defined_in, diff_verdict, distinguishable, fmt_signed_diff};
use crate::report::{Results, answer_metrics, fmt_summary};

/// The decision's outcome for an experiment's runs (`[cell][replication]`): by the
/// scenario's `[decision]`, or without one by the first answer metric (the Pareto set when
/// the answer metrics disagree).
pub fn outcome(
    experiment: &crate::scenario::Experiment,
    runs: &[Vec<crate::metrics::RunMetrics>],
) -> Outcome {
    let cells: Vec<CellInfo<'_>> = experiment
        .cells
        .iter()
        .map(|c| CellInfo {
            label: &c.label,
            assignments: &c.assignments,
        })
        .collect();
    let baseline = experiment.baseline;
    match &experiment.base.decision {
        Some(d) => decision::decide(d, runs, &cells, baseline),
        None => decision::decide_without(&answer_metrics(&experiment.base), runs, &cells, baseline),
    }
}

/// The objective of the outcome: the decision's, or the first answer metric.
pub fn objective(results: &Results<'_>) -> Metric {
    match &results.scenario().decision {
        Some(d) => d.objective.clone(),
        // The first answer metric with a direction (docs/decisions.md).
        None => answer_metrics(results.scenario())
            .into_iter()
            .find(|m| m.direction() != Direction::Neither)
            .unwrap_or_else(|| crate::metrics::catalogue::metric("wait_p95")),
    }
}

/// At most this many configurations are named in one list of the answer; decision.csv has
/// them all.
const MAX_LISTED: usize = 8;

/// "A, B and C" — or "A; B and C" when an item has a comma of its own (labels such as
/// "cap 3, least-busy"); beyond [`MAX_LISTED`] items, "… and 12 more (decision.csv lists
/// all)".
fn list(items: &[String]) -> String {
    let sep = if items.iter().any(|i| i.contains(',')) {
        "; "
    } else {
        ", "
    };
    if items.len() > MAX_LISTED {
        return format!(
            "{}{sep}and {} more (decision.csv lists all)",
            items[..MAX_LISTED].join(sep),
            items.len() - MAX_LISTED
        );
    }
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(sep)),
    }
}

/// The constraints as written.
fn texts(constraints: &[Condition]) -> Vec<String> {
    constraints.iter().map(|c| c.text.clone()).collect()
}

/// "lowest" or "highest" for the objective's direction.
fn best_word(m: &Metric) -> &'static str {
    match m.direction() {
        Direction::Higher => "highest",
        _ => "lowest",
    }
}

/// The answer paragraph.
pub fn answer(results: &Results<'_>, outcome: &Outcome) -> String {
    let scenario = results.scenario();
    let label = |c: usize| results.experiment.cells[c].label.clone();
    let n = results.runs.first().map_or(0, Vec::len);
    let objective = objective(results);
    let constraints = scenario.decision.as_ref().map_or(&[][..], |d| &d.constraints[..]);
    let mut out = Vec::new();

    if results.summary.len() == 1 {
        let parts = headline_numbers(results, 0);
        out.push(format!("Answer (over {n} replications): {}.", parts.join(", ")));
        if !constraints.is_empty() {
            out.push(constraint_sentence(results, outcome, 0));
        }
        return out.join(" ");
    }

    if let Some(pareto) = &outcome.pareto {
        let names: Vec<String> = pareto.iter().map(|&c| label(c)).collect();
        out.push(format!(
            "No single configuration is best on every answer metric ({} configurations, {n} replications each): {} — none of them is beaten by another on one metric without beating it on another.",
            results.summary.len(),
            list(&names)
        ));
        out.push("Add a [decision] to choose among them.".to_owned());
        return out.join(" ");
    }

    let Some(rec) = outcome.recommended else {
        let misses: Vec<String> = (0..results.summary.len())
            .filter_map(|c| missed(results, outcome, c).map(|m| format!("{} ({m})", label(c))))
            .collect();
        let undefined: Vec<String> = (0..results.summary.len())
            .filter(|&c| !outcome.cells[c].misses_any() && outcome.cells[c].objective.is_none())
            .map(label)
            .collect();
        out.push("No configuration can be recommended.".to_owned());
        if !misses.is_empty() {
            out.push(format!("Miss a constraint: {}.", list(&misses)));
        }
        if !undefined.is_empty() {
            out.push(format!(
                "{} is undefined in every replication of {} (no run had a case to measure).",
                objective.label,
                list(&undefined)
            ));
        }
        return out.join(" ");
    };

    // What is recommended, and why.
    // Configurations beaten on the answer metrics (without a [decision]) are out of the
    // running too, whatever their objective: say so, or "the lowest" would be false.
    let beaten: Vec<String> = (0..results.summary.len())
        .filter(|&c| outcome.cells[c].dominated)
        .map(label)
        .collect();
    let feasible_set = match (constraints.is_empty(), beaten.is_empty()) {
        (true, true) => String::new(),
        (false, _) => format!(
            " among the configurations that do not miss {}",
            list(&texts(constraints))
        ),
        (true, false) => format!(
            " among the configurations no other beats on the answer metrics ({} {} beaten: better on none and worse on at least one)",
            list(&beaten),
            if beaten.len() == 1 { "is" } else { "are" }
        ),
    };
    let rec_obj = fmt_summary(&results.summary[rec], &objective);
    match outcome.best {
        Some(best) if best != rec => {
            let of = if feasible_set.is_empty() {
                "Of all configurations".to_owned()
            } else {
                format!(
                    "Of the configurations that do not miss {}",
                    list(&texts(constraints))
                )
            };
            out.push(format!(
                "Recommended: {} ({} {rec_obj}). {of}, {} has the {} {} ({}); {} differs from it by {} and comes first among the equivalent ones by {}.",
                label(rec),
                objective.label,
                label(best),
                best_word(&objective),
                objective.label,
                fmt_summary(&results.summary[best], &objective),
                label(rec),
                equivalence_reason(results, outcome, rec, &objective),
                preference_reason(results, rec),
            ));
        }
        Some(_) => {
            out.push(format!(
                "Recommended: {} — the {} {} ({rec_obj}){feasible_set}.",
                label(rec),
                best_word(&objective),
                objective.label,
            ));
        }
        None => {
            out.push(format!(
                "Recommended: {} ({} {rec_obj}) — no configuration is better than another on {}{feasible_set}; it comes first by {}.",
                label(rec),
                objective.label,
                objective.label,
                preference_reason(results, rec),
            ));
        }
    }
    if let Some(u) = uncertain(results, outcome, rec) {
        out.push(format!(
            "It may miss a constraint ({u}): no equivalent configuration meets them all."
        ));
    }
    // Equivalents.
    let others: Vec<String> = outcome
        .equivalent
        .iter()
        .filter(|&&c| c != rec)
        .map(|&c| label(c))
        .collect();
    let tolerance = scenario
        .decision
        .as_ref()
        .map(|d| d.tolerance)
        .filter(|t| *t > 0.0);
    let how = match tolerance {
        Some(t) => format!(
            "within {} of the best or not distinguishable from it",
            objective.unit().format_diff(t)
        ),
        None => "not distinguishable from the best".to_owned(),
    };
    if others.is_empty() {
        out.push(format!(
            "No other configuration is equivalent on {} ({how}).",
            objective.label
        ));
    } else {
        out.push(format!(
            "Equivalent on {} ({how}): {}.",
            objective.label,
            list(&others)
        ));
    }
    // Constraints missed or uncertain.
    if !constraints.is_empty() {
        let misses: Vec<String> = (0..results.summary.len())
            .filter_map(|c| missed(results, outcome, c).map(|m| format!("{} ({m})", label(c))))
            .collect();
        let maybe: Vec<String> = (0..results.summary.len())
            .filter(|&c| !outcome.cells[c].misses_any() && c != rec)
            .filter_map(|c| uncertain(results, outcome, c).map(|m| format!("{} ({m})", label(c))))
            .collect();
        if !misses.is_empty() {
            out.push(format!("Miss a constraint: {}.", list(&misses)));
        }
        if !maybe.is_empty() {
            out.push(format!(
                "{} a constraint (its interval straddles the limit): {}.",
                if outcome.cells[rec].uncertain_any() {
                    "Others that may miss"
                } else {
                    "May miss"
                },
                list(&maybe)
            ));
        }
        if misses.is_empty() && maybe.is_empty() && !outcome.cells[rec].uncertain_any() {
            out.push("Every configuration meets every constraint.".to_owned());
        }
    }
    // The recommendation against the baseline, metric by metric.
    let baseline = results.experiment.baseline;
    if rec == baseline {
        out.push(format!(
            "{} is the baseline: {}.",
            label(rec),
            headline_numbers(results, rec).join(", ")
        ));
    } else {
        let mut same = Vec::new();
        let mut diffs = Vec::new();
        for m in answer_metrics(scenario) {
            let Some(s) = results.summary[rec].get(&m.id) else {
                continue;
            };
            let Some(d) = s.diff else {
                let defined = |c: usize| results.summary[c].get(&m.id).and_then(|s| s.estimate).is_some();
                same.push(format!(
                    "{} ({})",
                    m.label,
                    if defined(rec) && defined(baseline) {
                        "no replication defines it in both"
                    } else {
                        "undefined in every replication of one of them"
                    }
                ));
                continue;
            };
            let text = fmt_signed_diff(&m, &d, s.diff_ci);
            if distinguishable(s.diff_ci) {
                diffs.push(format!(
                    "{} {text} ({})",
                    m.label,
                    diff_verdict(&m, &d, s.diff_ci)
                ));
            } else {
                same.push(format!("{} ({text})", m.label));
            }
        }
        let mut sentence = format!(
            "Against the baseline {} (paired by replication, {} 95 % CI):",
            label(baseline),
            results.adjustment.name()
        );
        if !diffs.is_empty() {
            sentence.push_str(&format!(" {}", list(&diffs)));
        }
        if !same.is_empty() {
            sentence.push_str(&format!(
                "{}no distinguishable difference in {}",
                if diffs.is_empty() { " " } else { "; " },
                list(&same)
            ));
        }
        sentence.push('.');
        out.push(sentence);
    }
    if results.adjustment == crate::experiment::stats::Adjustment::Bonferroni {
        out.push(
            "Constraints and equivalence are judged on unadjusted 95 % intervals; the differences listed are Bonferroni-adjusted."
                .to_owned(),
        );
    }
    out.join(" ")
}

/// The answer metrics of cell `c` with their intervals, e.g. "95th-percentile wait
/// 21.9 s ± 9.3 s".
fn headline_numbers(results: &Results<'_>, c: usize) -> Vec<String> {
    let n = results.runs[c].len();
    answer_metrics(results.scenario())
        .iter()
        .map(|m| {
            let e = results.summary[c].get(&m.id).and_then(|s| s.estimate);
            format!(
                "{} {}{}",
                m.label,
                fmt_summary(&results.summary[c], m),
                defined_in(e, n)
            )
        })
        .collect()
}

/// The constraints cell `c` misses, e.g. "abandonment 7.2 % [6.1 %, 8.3 %] > 5 %".
fn missed(results: &Results<'_>, outcome: &Outcome, c: usize) -> Option<String> {
    judged(results, outcome, c, Verdict::Misses)
}

/// The constraints cell `c` may miss.
fn uncertain(results: &Results<'_>, outcome: &Outcome, c: usize) -> Option<String> {
    judged(results, outcome, c, Verdict::Uncertain)
}

fn judged(results: &Results<'_>, outcome: &Outcome, c: usize, verdict: Verdict) -> Option<String> {
    let constraints = &results.scenario().decision.as_ref()?.constraints;
    let parts: Vec<String> = constraints
        .iter()
        .zip(&outcome.cells[c].constraints)
        .filter(|(_, j)| j.verdict == verdict)
        .map(|(cond, j)| {
            let interval = j.interval.map_or_else(
                || "no interval".to_owned(),
                |(lo, hi)| {
                    let u = cond.metric.unit();
                    if cond.is_relative() {
                        format!(
                            "difference from the baseline [{}, {}]",
                            u.format_diff(lo),
                            u.format_diff(hi)
                        )
                    } else {
                        format!("[{}, {}]", u.format(lo), u.format(hi))
                    }
                },
            );
            format!("{}: {interval}", cond.text)
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// One sentence on the constraints of a single configuration.
fn constraint_sentence(results: &Results<'_>, outcome: &Outcome, c: usize) -> String {
    match (missed(results, outcome, c), uncertain(results, outcome, c)) {
        (None, None) => "It meets every constraint.".to_owned(),
        (Some(m), None) => format!("It misses {m}."),
        (None, Some(u)) => format!("It may miss {u}."),
        (Some(m), Some(u)) => format!("It misses {m}, and may miss {u}."),
    }
}

/// Why `rec` is equivalent to the best: within the tolerance, or not distinguishable.
fn equivalence_reason(results: &Results<'_>, outcome: &Outcome, rec: usize, objective: &Metric) -> String {
    let Some(d) = outcome.cells[rec].diff_from_best else {
        return "not distinguishable from it".to_owned();
    };
    let unit = objective.unit();
    let half = d
        .half_width
        .map_or_else(String::new, |h| format!(" ± {}", unit.format_diff(h)));
    let tol = results.scenario().decision.as_ref().map_or(0.0, |d| d.tolerance);
    match d.half_width {
        None => format!(
            "{} (one replication: no interval, so nothing is distinguishable)",
            unit.format_diff(d.mean.abs())
        ),
        Some(h) if d.mean.abs() <= h => format!(
            "{}{half}, not distinguishable from 0",
            unit.format_diff(d.mean.abs())
        ),
        Some(_) => format!(
            "{}{half} on average — a mean difference within the tolerance of {}",
            unit.format_diff(d.mean.abs()),
            unit.format_diff(tol)
        ),
    }
}

/// Why `rec` comes first among the equivalent configurations.
fn preference_reason(results: &Results<'_>, rec: usize) -> String {
    let prefer = results
        .scenario()
        .decision
        .as_ref()
        .map_or(&[][..], |d| &d.prefer[..]);
    if !prefer.is_empty() {
        let texts: Vec<String> = prefer
            .iter()
            .map(|p| match &p.order {
                decision::PreferOrder::Lowest => format!("the lowest {}", p.axis),
                decision::PreferOrder::Highest => format!("the highest {}", p.axis),
                decision::PreferOrder::List(values) => {
                    format!("{} in the order {}", p.axis, values.join(", "))
                }
            })
            .collect();
        format!("the scenario's preference ({})", list(&texts))
    } else if rec == results.experiment.baseline {
        "being the baseline".to_owned()
    } else {
        "the order of the comparison".to_owned()
    }
}
