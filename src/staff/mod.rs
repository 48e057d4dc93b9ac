//! Capacity planning (`chatsim staff`, README.md "Staffing"): the fewest on-line agents of
//! one team that meet every staffing target, per configuration of the comparison matrix —
//! over the whole horizon, or interval by interval as a plan.
//!
//! A target is a condition (`service_level_1m >= 80%`, docs/decisions.md "Conditions")
//! judged at the pessimistic end: a staffing level meets it only when the whole 95 %
//! interval over replications is on the right side ([`crate::decision::judge`], verdict
//! *meets*). Every level of one configuration sees the same customers (common random
//! numbers: every random stream is keyed by seed, replication, purpose and entity, never by
//! the team's size, docs/workload.md "Common random numbers"), so the levels differ only by
//! the agents added.
//!
//! The search ([`search()`]) verifies its answer instead of assuming the metrics are
//! monotone in the number of agents run by run: the answer n meets every target, and n − 1
//! was run and does not (it misses or is uncertain on some target).
//!
//! Per interval ([`Staffer::per_interval`]), the targets are measured on the chats *arriving* in
//! each interval (the per-interval slices of the planner's table), so only the metrics
//! such a slice gives are allowed ([`per_interval_metric`]). The plan is found in time
//! order, re-simulating the whole horizon with the earlier intervals fixed, so a backlog
//! carries over; the staffed team's on-line agents in interval i are its first n_i, the
//! others off duty (their shifts replaced by the plan, [`crate::scenario::AgentPlan`]
//! `duty`).
//!
//! This module runs simulations (through [`crate::experiment`]) but does no I/O; progress
//! is a callback. The outputs are `crate::report::staff`, the command `crate::cli`.

mod run;
mod search;

pub use run::{
    CellAnswer, Error, IntervalPlan, IntervalRowResult, Level, LevelKey, Options, Staffer, WholeAnswer,
    interval_spans, judge_interval, judge_whole,
};
pub use search::{Search, search};

use crate::decision::condition::Condition;
use crate::engine::SimDuration;
use crate::metrics::Slice;
use crate::metrics::catalogue::Metric;

/// A scenario's `[staffing]` table (README.md, "Staffing"): what `chatsim staff` aims for.
/// Every key may be overridden from the command line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Staffing {
    /// The targets, every one to be met (`targets = [...]`).
    pub targets: Vec<Condition>,
    /// The team to staff (default: the only team).
    pub team: Option<String>,
    /// Share of paid time agents are not on line (breaks, meetings, absence): heads =
    /// ⌈agents / (1 − shrinkage)⌉.
    pub shrinkage: Option<f64>,
    /// The most agents to try.
    pub max_agents: Option<u32>,
    /// Plan interval by interval.
    pub per_interval: Option<bool>,
}

/// Scheduled heads for `agents` on line at `shrinkage` (in [0, 1)): ⌈agents / (1 −
/// shrinkage)⌉. A quotient within rounding error of a whole number is that number
/// (10 agents at 50 % → 20 heads, not 21).
pub fn heads(agents: usize, shrinkage: f64) -> usize {
    if agents == 0 {
        return 0;
    }
    let exact = agents as f64 / (1.0 - shrinkage);
    let nearest = exact.round();
    if (exact - nearest).abs() <= 1e-9 * exact.max(1.0) {
        nearest as usize
    } else {
        exact.ceil() as usize
    }
}

/// Whether a per-interval target can use `metric`: the metrics a slice of chats arriving
/// in one interval gives (arrivals, served, abandoned, abandonment, the mean wait and the
/// service levels).
pub fn per_interval_metric(metric: &Metric) -> bool {
    matches!(
        metric.def.id,
        "arrivals"
            | "served"
            | "abandoned"
            | "abandonment"
            | "wait_mean"
            | "service_level"
            | "service_level_answered"
    )
}

/// The metric ids a per-interval target may name, for error messages.
pub const PER_INTERVAL_METRICS: &str =
    "service_level_<T>, service_level_answered_<T>, abandonment, wait_mean, arrivals, served, abandoned";

/// `metric`'s value on one interval's chats (`None` when undefined there, or when the
/// metric is not a per-interval one); `sl_targets` are the run's service-level targets.
pub fn slice_value(metric: &Metric, slice: &Slice, sl_targets: &[SimDuration]) -> Option<f64> {
    let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
    let target = || {
        metric
            .target
            .and_then(|t| sl_targets.iter().position(|x| *x == t))
    };
    match metric.def.id {
        "arrivals" => Some(slice.arrivals as f64),
        "served" => Some(slice.served as f64),
        "abandoned" => Some(slice.abandoned as f64),
        "abandonment" => ratio(slice.abandoned as f64, slice.arrivals as f64),
        "wait_mean" => ratio(slice.wait_sum_ms / 1_000.0, slice.served as f64),
        "service_level" => slice.service_level(target()?),
        "service_level_answered" => slice.service_level_answered(target()?),
        _ => None,
    }
}

/// Why a staffing request cannot be run as given.
pub fn check_targets(targets: &[Condition], per_interval: bool) -> Result<(), String> {
    if targets.is_empty() {
        return Err(
            "no staffing target: give --target \"service_level_1m >= 80%\" (repeatable) or [staffing] targets in the scenario"
                .to_owned(),
        );
    }
    for t in targets {
        if t.is_relative() {
            return Err(format!(
                "target \"{}\" compares with the baseline; a staffing target is a level to reach (e.g. \"{} >= 80%\")",
                t.text,
                if t.metric.target.is_some() {
                    t.metric.id.as_str()
                } else {
                    "service_level_1m"
                }
            ));
        }
        if per_interval && !per_interval_metric(&t.metric) {
            return Err(format!(
                "target \"{}\": {} cannot be measured per interval (per-interval targets: {PER_INTERVAL_METRICS})",
                t.text, t.metric.id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_heads_round_up_after_shrinkage() {
        assert_eq!(heads(10, 0.3), 15);
        assert_eq!(heads(10, 0.0), 10);
        assert_eq!(heads(7, 0.3), 10);
        assert_eq!(heads(10, 0.5), 20);
        assert_eq!(heads(0, 0.4), 0);
        assert_eq!(heads(1, 0.99), 100);
    }

    #[test]
    fn staff_per_interval_metrics() {
        let ok = |id: &str| per_interval_metric(&crate::metrics::catalogue::lookup(id).unwrap());
        assert!(ok("service_level_1m") && ok("abandonment") && ok("wait_mean") && ok("arrivals"));
        assert!(ok("service_level_answered_20s"));
        assert!(!ok("wait_p95") && !ok("fairness_jain") && !ok("queued_share"));
    }

    #[test]
    fn staff_slice_values() {
        let slice = Slice {
            arrivals: 10,
            served: 8,
            abandoned: 2,
            wait_sum_ms: 16_000.0,
            within: vec![6],
            abandoned_before: vec![1],
            censored: vec![0],
        };
        let t = [SimDuration::from_secs(60)];
        let v = |id: &str| slice_value(&crate::metrics::catalogue::lookup(id).unwrap(), &slice, &t);
        assert_eq!(v("abandonment"), Some(0.2));
        assert_eq!(v("wait_mean"), Some(2.0));
        assert_eq!(v("service_level_1m"), Some(0.6));
        assert_eq!(v("service_level_30s"), None);
        assert_eq!(v("wait_p95"), None);
    }

    #[test]
    fn staff_refuses_baseline_and_non_interval_targets() {
        let c = |s: &str| crate::decision::parse(s).unwrap();
        assert!(check_targets(&[], false).is_err());
        let e = check_targets(&[c("wait_p95 <= baseline + 5s")], false).unwrap_err();
        assert!(e.contains("compares with the baseline"), "{e}");
        assert!(check_targets(&[c("wait_p95 <= 30s")], false).is_ok());
        let e = check_targets(&[c("wait_p95 <= 30s")], true).unwrap_err();
        assert!(e.contains("cannot be measured per interval"), "{e}");
    }
}
