//! The decision rules: which configuration of a comparison to recommend, from the
//! per-replication results of every cell. Pure functions of numbers; no I/O.
//!
//! A scenario's `[decision]` names an objective (minimised or maximised by the metric's
//! direction, docs/metrics.md), constraints ([`Condition`]s), a tolerance on the objective
//! and preferences among equivalent configurations. The rules, in order:
//!
//! 1. A configuration *meets* a constraint when its whole 95 % interval is on the right
//!    side, *misses* it when the whole interval is on the wrong side, and is *uncertain*
//!    otherwise (also when there is no interval). The interval is the metric's t-interval
//!    over replications, clipped to the metric's bounds, or — for a `baseline` condition —
//!    the paired-difference interval against the baseline configuration (the baseline's
//!    own difference is exactly 0).
//! 2. Among the configurations missing no constraint, the *best* has the best objective
//!    mean (ties → lower cell index); it and every such configuration whose paired
//!    difference from it is within the tolerance or not distinguishable from 0 at 95 %
//!    form the *equivalent set*.
//! 3. The recommendation is the first of the equivalent set ordered by the preferences,
//!    then the baseline first, then matrix order.
//! 4. Without a `[decision]`, the objective is the first answer metric, with no
//!    constraints and no tolerance; when several answer metrics have a direction, a
//!    configuration dominated on them ([`pareto`]) is never recommended, and when the
//!    non-dominated configurations trade one metric against another there is no
//!    recommendation: the outcome names the Pareto set instead.
//!
//! Differences are paired by replication index (replication r of every cell sees the same
//! customers, ARCHITECTURE.md, `src/experiment/`), skipping replications where either value
//! is undefined; [`paired_difference`] is the one place that pairs them.

pub mod condition;

use std::cmp::Ordering;

pub use condition::{Condition, ConditionError, Op, Rhs, Verdict, parse};

use crate::metrics::RunMetrics;
use crate::metrics::catalogue::{Direction, Metric};
use crate::metrics::summary::{Estimate, estimate_at};

/// Confidence level of every interval the rules use.
const LEVEL: f64 = 0.95;

/// How to choose among configurations (a scenario's `[decision]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Minimised or maximised by its direction. With [`Direction::Neither`] it ranks
    /// nothing: every configuration missing no constraint is equivalent.
    pub objective: Metric,
    /// Conditions a recommended configuration must not miss.
    pub constraints: Vec<Condition>,
    /// Differences in the objective up to this (in its unit, ≥ 0; 0 = none) do not matter.
    pub tolerance: f64,
    /// Preferences among equivalent configurations, most important first.
    pub prefer: Vec<Prefer>,
}

/// A preference on one compared setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Prefer {
    /// The compared setting (a key of the configurations' assignments).
    pub axis: String,
    /// Which of its values come first.
    pub order: PreferOrder,
}

/// The order of a setting's values.
#[derive(Clone, Debug, PartialEq)]
pub enum PreferOrder {
    /// Smallest first (durations, numbers, percentages; `unlimited` = +∞).
    Lowest,
    /// Largest first.
    Highest,
    /// In this order; values not in the list after those in it.
    List(Vec<String>),
}

/// What the rules need to know of a configuration besides its results.
#[derive(Clone, Copy, Debug)]
pub struct CellInfo<'a> {
    /// Label for tables.
    pub label: &'a str,
    /// The compared settings' values as text, e.g. `("offline_grace", "2m")`.
    pub assignments: &'a [(String, String)],
}

/// A constraint judged for one configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judgement {
    /// Meets, misses or uncertain.
    pub verdict: Verdict,
    /// The 95 % interval judged (clipped), `None` when there is none.
    pub interval: Option<(f64, f64)>,
    /// Its mean (the metric's, or the mean paired difference), `None` when undefined.
    pub mean: Option<f64>,
}

/// The rules' findings for one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct CellOutcome {
    /// One per constraint, in order.
    pub constraints: Vec<Judgement>,
    /// The objective over replications.
    pub objective: Option<Estimate>,
    /// Its 95 % interval, clipped to the objective's bounds.
    pub objective_ci: Option<(f64, f64)>,
    /// This configuration minus the best on the objective, paired by replication.
    pub diff_from_best: Option<Estimate>,
    /// Dominated on the answer metrics (only without a `[decision]`, see [`pareto`]).
    pub dominated: bool,
    /// In the equivalent set.
    pub equivalent: bool,
    /// The recommendation.
    pub recommended: bool,
}

impl CellOutcome {
    /// Misses at least one constraint.
    pub fn misses_any(&self) -> bool {
        self.constraints.iter().any(|j| j.verdict == Verdict::Misses)
    }

    /// Is uncertain on at least one constraint.
    pub fn uncertain_any(&self) -> bool {
        self.constraints.iter().any(|j| j.verdict == Verdict::Uncertain)
    }
}

/// The rules' findings for a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// By cell index.
    pub cells: Vec<CellOutcome>,
    /// Best objective mean among the configurations eligible for a recommendation (none
    /// when no configuration is, or when the objective has no direction).
    pub best: Option<usize>,
    /// The recommended configuration.
    pub recommended: Option<usize>,
    /// The equivalent set in preference order (the recommendation first, when there is one).
    pub equivalent: Vec<usize>,
    /// `Some` only without a `[decision]` when the answer metrics trade off: the
    /// non-dominated configurations, in cell order (and then `recommended` is `None`).
    pub pareto: Option<Vec<usize>>,
    /// A ranking for tables: the equivalent set (preference order); then the other
    /// configurations missing no constraint — those meeting every constraint, then those
    /// uncertain on one, then (without a `[decision]`) the dominated ones — and last those
    /// missing a constraint; within each group by objective mean (better first), undefined
    /// objective last, ties by cell index.
    pub order: Vec<usize>,
}

/// The values of metric `id` in one cell's replications, where defined.
fn values(cell: &[RunMetrics], id: &str) -> Vec<f64> {
    cell.iter().filter_map(|r| r.get(id)).collect()
}

/// `a − b` for metric `id`, paired by replication index and skipping replications where
/// either value is undefined, summarised with its 95 % interval; `None` when no
/// replication defines both.
pub fn paired_difference(a: &[RunMetrics], b: &[RunMetrics], id: &str) -> Option<Estimate> {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(x.get(id)? - y.get(id)?))
        .collect();
    estimate_at(&d, LEVEL)
}

/// An estimate's 95 % interval (unclipped), `None` without a half-width (n < 2).
pub fn interval(e: &Estimate) -> Option<(f64, f64)> {
    e.half_width.map(|h| (e.mean - h, e.mean + h))
}

/// Whether a difference is indistinguishable from 0 at 95 %: its interval contains 0,
/// or there is no interval (n < 2).
fn indistinguishable(d: &Estimate) -> bool {
    interval(d).is_none_or(|(low, high)| low <= 0.0 && 0.0 <= high)
}

/// Judges `condition` for configuration `cell` (rule 1): on the metric's interval, or on
/// the paired difference against `baseline` for a `baseline` condition.
pub fn judge(condition: &Condition, runs: &[Vec<RunMetrics>], cell: usize, baseline: usize) -> Judgement {
    let metric = &condition.metric;
    let (mean, interval) = match condition.rhs {
        Rhs::Value(_) => return judge_values(condition, &values(&runs[cell], &metric.id)),
        Rhs::Baseline(_) if cell == baseline => (Some(0.0), Some((0.0, 0.0))),
        Rhs::Baseline(_) => {
            let e = paired_difference(&runs[cell], &runs[baseline], &metric.id);
            (
                e.map(|e| e.mean),
                e.as_ref()
                    .and_then(interval)
                    .map(|(lo, hi)| metric.clip_diff(lo, hi)),
            )
        }
    };
    Judgement {
        verdict: interval.map_or(Verdict::Uncertain, |(lo, hi)| condition.judge(lo, hi)),
        interval,
        mean,
    }
}

/// Judges a condition on a value ([`Rhs::Value`]) from the metric's per-replication values
/// (rule 1: the 95 % t-interval, clipped to the metric's bounds). `judge` uses it for
/// every such condition; staffing targets measured on one interval's chats use it
/// directly (README.md, "Staffing"). A `baseline` condition has no meaning without a
/// baseline configuration: it is uncertain here.
pub fn judge_values(condition: &Condition, values: &[f64]) -> Judgement {
    let metric = &condition.metric;
    let e = estimate_at(values, LEVEL);
    let interval = e.as_ref().and_then(interval).map(|(lo, hi)| metric.clip(lo, hi));
    let verdict = match (condition.rhs, interval) {
        (Rhs::Value(_), Some((lo, hi))) => condition.judge(lo, hi),
        _ => Verdict::Uncertain,
    };
    Judgement {
        verdict,
        interval,
        mean: e.map(|e| e.mean),
    }
}

/// Applies the rules of a `[decision]`; `runs[cell][replication]`, `cells` and `runs` in
/// the same (matrix) order, `baseline` a cell index.
pub fn decide(
    decision: &Decision,
    runs: &[Vec<RunMetrics>],
    cells: &[CellInfo<'_>],
    baseline: usize,
) -> Outcome {
    decide_among(decision, runs, cells, baseline, &vec![false; runs.len()])
}

/// The rules without a `[decision]` (rule 4): the objective is the first answer metric with a direction, with no
/// constraints and no tolerance. When at least two answer metrics have a direction, a
/// configuration dominated on them ([`pareto`]) is not eligible (`CellOutcome::dominated`),
/// and when two non-dominated configurations each beat the other on some metric (the
/// metrics disagree), there is no recommendation and `pareto` holds the Pareto set.
/// Non-dominated configurations that beat each other on nothing do not disagree: the
/// equivalent set among them gives the recommendation. No answer metric → no
/// recommendation.
pub fn decide_without(
    answer_metrics: &[Metric],
    runs: &[Vec<RunMetrics>],
    cells: &[CellInfo<'_>],
    baseline: usize,
) -> Outcome {
    let n = runs.len();
    // A metric without a direction ranks nothing: the objective is the first that has one.
    let Some(objective) = answer_metrics
        .iter()
        .find(|m| m.direction() != Direction::Neither)
    else {
        return Outcome {
            cells: vec![
                CellOutcome {
                    constraints: Vec::new(),
                    objective: None,
                    objective_ci: None,
                    diff_from_best: None,
                    dominated: false,
                    equivalent: false,
                    recommended: false,
                };
                n
            ],
            best: None,
            recommended: None,
            equivalent: Vec::new(),
            pareto: None,
            order: (0..n).collect(),
        };
    };
    let decision = Decision {
        objective: objective.clone(),
        constraints: Vec::new(),
        tolerance: 0.0,
        prefer: Vec::new(),
    };
    let directed: Vec<&Metric> = answer_metrics
        .iter()
        .filter(|m| m.direction() != Direction::Neither)
        .collect();
    if directed.len() < 2 {
        return decide(&decision, runs, cells, baseline);
    }
    let wins = wins(&directed, runs);
    let set = non_dominated(&wins);
    let mut dominated = vec![true; n];
    for &c in &set {
        dominated[c] = false;
    }
    let mut out = decide_among(&decision, runs, cells, baseline, &dominated);
    let disagree = set.iter().any(|&p| set.iter().any(|&q| wins[p][q]));
    if disagree {
        // No single best: neither a recommendation nor an equivalent set to report.
        out.recommended = None;
        out.equivalent.clear();
        for c in &mut out.cells {
            c.recommended = false;
            c.equivalent = false;
        }
        out.pareto = Some(set);
    }
    out
}

/// The Pareto set of the configurations on `metrics` (those with a direction; the others
/// are ignored), in cell order. Configuration d *beats* c on a metric when the paired
/// difference d − c is distinguishable from 0 at 95 % in d's favour; c is dominated when
/// some d beats it on at least one metric and c beats d on none.
pub fn pareto(metrics: &[Metric], runs: &[Vec<RunMetrics>]) -> Vec<usize> {
    let directed: Vec<&Metric> = metrics
        .iter()
        .filter(|m| m.direction() != Direction::Neither)
        .collect();
    non_dominated(&wins(&directed, runs))
}

/// `wins[d][c]`: d beats c on at least one of `metrics` (all with a direction).
fn wins(metrics: &[&Metric], runs: &[Vec<RunMetrics>]) -> Vec<Vec<bool>> {
    let n = runs.len();
    let beats = |d: usize, c: usize, m: &Metric| {
        paired_difference(&runs[d], &runs[c], &m.id)
            .and_then(|e| Some(m.direction().sign() * e.mean - e.half_width? > 0.0))
            .unwrap_or(false)
    };
    (0..n)
        .map(|d| {
            (0..n)
                .map(|c| d != c && metrics.iter().any(|m| beats(d, c, m)))
                .collect()
        })
        .collect()
}

fn non_dominated(wins: &[Vec<bool>]) -> Vec<usize> {
    let n = wins.len();
    (0..n)
        .filter(|&c| !(0..n).any(|d| wins[d][c] && !wins[c][d]))
        .collect()
}

/// Rules 1–3, with `excluded` configurations (dominated ones) not eligible for the best
/// or the equivalent set.
fn decide_among(
    decision: &Decision,
    runs: &[Vec<RunMetrics>],
    cells: &[CellInfo<'_>],
    baseline: usize,
    excluded: &[bool],
) -> Outcome {
    let n = runs.len();
    debug_assert_eq!(cells.len(), n, "one CellInfo per cell");
    debug_assert!(n == 0 || baseline < n, "baseline is a cell index");
    let objective = &decision.objective;
    let id = objective.id.as_str();
    let sign = objective.direction().sign();

    let mut out: Vec<CellOutcome> = (0..n)
        .map(|c| {
            let estimate = estimate_at(&values(&runs[c], id), LEVEL);
            CellOutcome {
                constraints: decision
                    .constraints
                    .iter()
                    .map(|k| judge(k, runs, c, baseline))
                    .collect(),
                objective: estimate,
                objective_ci: estimate
                    .as_ref()
                    .and_then(interval)
                    .map(|(lo, hi)| objective.clip(lo, hi)),
                diff_from_best: None,
                dominated: excluded[c],
                equivalent: false,
                recommended: false,
            }
        })
        .collect();
    let misses: Vec<bool> = out.iter().map(CellOutcome::misses_any).collect();
    let uncertain: Vec<bool> = out.iter().map(CellOutcome::uncertain_any).collect();
    // The objective mean as "larger is better" (0 for every value without a direction).
    let scores: Vec<Option<f64>> = out.iter().map(|c| c.objective.map(|e| sign * e.mean)).collect();
    let score = |c: usize| scores[c];
    let eligible: Vec<usize> = (0..n)
        .filter(|&c| !excluded[c] && !misses[c] && scores[c].is_some())
        .collect();

    let best = if sign == 0.0 {
        None
    } else {
        eligible
            .iter()
            .copied()
            .min_by(|&a, &b| score(b).unwrap().total_cmp(&score(a).unwrap()).then(a.cmp(&b)))
    };
    if let Some(b) = best {
        for (c, cell) in out.iter_mut().enumerate() {
            cell.diff_from_best = paired_difference(&runs[c], &runs[b], id);
        }
    }
    let tolerance = decision.tolerance.max(0.0);
    let mut equivalent: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&c| match best {
            None => true,
            Some(_) => out[c]
                .diff_from_best
                .is_some_and(|d| d.mean.abs() <= tolerance || indistinguishable(&d)),
        })
        .collect();
    // Configurations that meet every constraint come before those that may miss one.
    equivalent.sort_by(|&a, &b| {
        uncertain[a]
            .cmp(&uncertain[b])
            .then_with(|| preference(&decision.prefer, cells, baseline, a, b))
    });
    let recommended = equivalent.first().copied();
    for &c in &equivalent {
        out[c].equivalent = true;
    }
    if let Some(r) = recommended {
        out[r].recommended = true;
    }

    let tier = |c: usize| {
        if misses[c] {
            3
        } else if excluded[c] {
            2
        } else if uncertain[c] {
            1
        } else {
            0
        }
    };
    let mut rest: Vec<usize> = (0..n).filter(|&c| !out[c].equivalent).collect();
    rest.sort_by(|&a, &b| {
        tier(a)
            .cmp(&tier(b))
            .then_with(|| match (score(a), score(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (x, y) => y.is_some().cmp(&x.is_some()),
            })
            .then(a.cmp(&b))
    });
    let order = equivalent.iter().copied().chain(rest).collect();

    Outcome {
        cells: out,
        best,
        recommended,
        equivalent,
        pareto: None,
        order,
    }
}

/// Rule 3's order: each preference in turn, then the baseline first, then cell index.
fn preference(prefer: &[Prefer], cells: &[CellInfo<'_>], baseline: usize, a: usize, b: usize) -> Ordering {
    prefer
        .iter()
        .map(|p| {
            p.order
                .compare(axis_value(&cells[a], &p.axis), axis_value(&cells[b], &p.axis))
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then((a != baseline).cmp(&(b != baseline)))
        .then(a.cmp(&b))
}

fn axis_value<'a>(cell: &CellInfo<'a>, axis: &str) -> Option<&'a str> {
    cell.assignments
        .iter()
        .find(|(k, _)| k == axis)
        .map(|(_, v)| v.as_str())
}

/// A setting's value as a number: a duration in seconds (`30s`, `2m`), a plain number, a
/// percentage as a share (`80%` → 0.8), `unlimited` = +∞.
fn numeric(text: &str) -> Option<f64> {
    let text = text.trim();
    // "unlimited" capacity and a timer that is "off" (never fires) are the largest values.
    if text == "unlimited" || text == "off" {
        return Some(f64::INFINITY);
    }
    if let Some(p) = text.strip_suffix('%') {
        return p
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| x / 100.0);
    }
    if let Ok(x) = text.parse::<f64>() {
        return x.is_finite().then_some(x);
    }
    crate::script::parse_duration(text)
        .ok()
        .map(|d| d.as_millis() as f64 / 1_000.0)
}

impl PreferOrder {
    /// Which of two values of the setting comes first; a configuration without the setting
    /// comes after those with it. `Lowest`/`Highest`: values read as numbers (`numeric`)
    /// in numeric order, before the others, which follow in text order (reversed for
    /// `Highest`). `List`: by position; two values match when their texts are equal or
    /// they are the same number (`2m` and `120s`).
    fn compare(&self, a: Option<&str>, b: Option<&str>) -> Ordering {
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (a, b) => return a.is_none().cmp(&b.is_none()),
        };
        match self {
            Self::Lowest | Self::Highest => {
                let o = match (numeric(a), numeric(b)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => return Ordering::Less,
                    (None, Some(_)) => return Ordering::Greater,
                    (None, None) => a.cmp(b),
                };
                if matches!(self, Self::Highest) {
                    o.reverse()
                } else {
                    o
                }
            }
            Self::List(list) => {
                let position = |v: &str| {
                    list.iter()
                        .position(|l| {
                            l.trim() == v.trim() || numeric(l).is_some_and(|x| numeric(v) == Some(x))
                        })
                        .unwrap_or(usize::MAX)
                };
                position(a).cmp(&position(b))
            }
        }
    }
}

#[cfg(test)]
mod tests;
