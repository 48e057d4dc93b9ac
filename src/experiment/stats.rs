//! Per cell × metric estimates and paired differences against the baseline cell.
//!
//! Differences are paired by replication (common random numbers make replication r of
//! every cell see the same customers), so their intervals are much tighter than those of
//! two independent means. Intervals are 95 % and unadjusted unless Bonferroni is asked
//! for, in which case each is widened for the (cells − 1) comparisons of a metric.

use crate::metrics::RunMetrics;
use crate::metrics::catalogue;
use crate::metrics::summary::{Estimate, estimate_at};

/// Multiple-comparison adjustment of the difference intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    /// Plain 95 % intervals.
    Unadjusted,
    /// 95 % family-wise over the comparisons against the baseline.
    Bonferroni,
}

impl Adjustment {
    /// The label written next to difference intervals.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unadjusted => "unadjusted",
            Self::Bonferroni => "bonferroni",
        }
    }
}

/// One metric of one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSummary {
    /// Metric id.
    pub metric: String,
    /// Mean, 95 % interval and n over the replications where it is defined.
    pub estimate: Option<Estimate>,
    /// The 95 % interval of `estimate`, clipped to the metric's bounds (docs/metrics.md):
    /// a wait's interval never goes below 0, a share's stays within [0, 1].
    pub ci: Option<(f64, f64)>,
    /// This cell minus the baseline, paired by replication (`None` for the baseline itself
    /// or when no replication defines both).
    pub diff: Option<Estimate>,
    /// The interval of `diff`, clipped to what a difference of two values within the
    /// bounds can be.
    pub diff_ci: Option<(f64, f64)>,
}

/// The interval of an estimate, clipped by `clip`; `None` without a half-width.
pub fn clipped(e: Option<Estimate>, clip: impl Fn(f64, f64) -> (f64, f64)) -> Option<(f64, f64)> {
    let e = e?;
    let h = e.half_width?;
    Some(clip(e.mean - h, e.mean + h))
}

/// Every metric of one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellSummary {
    /// Whether this is the baseline.
    pub baseline: bool,
    /// Metrics in run order.
    pub metrics: Vec<MetricSummary>,
}

impl CellSummary {
    /// One metric's summary.
    pub fn get(&self, id: &str) -> Option<&MetricSummary> {
        self.metrics.iter().find(|m| m.metric == id)
    }
}

/// Summarises every cell; `runs[cell][replication]`.
pub fn summarize(runs: &[Vec<RunMetrics>], baseline: usize, adjustment: Adjustment) -> Vec<CellSummary> {
    let comparisons = runs.len().saturating_sub(1).max(1);
    let diff_level = match adjustment {
        Adjustment::Unadjusted => 0.95,
        Adjustment::Bonferroni => 1.0 - 0.05 / comparisons as f64,
    };
    let ids: Vec<String> = runs
        .iter()
        .flatten()
        .next()
        .map_or_else(Vec::new, |r| r.values.iter().map(|(k, _)| k.clone()).collect());
    runs.iter()
        .enumerate()
        .map(|(c, cell)| CellSummary {
            baseline: c == baseline,
            metrics: ids
                .iter()
                .map(|id| {
                    let values: Vec<f64> = cell.iter().filter_map(|r| r.get(id)).collect();
                    let diff = (c != baseline)
                        .then(|| {
                            let d: Vec<f64> = cell
                                .iter()
                                .zip(&runs[baseline])
                                .filter_map(|(a, b)| Some(a.get(id)? - b.get(id)?))
                                .collect();
                            estimate_at(&d, diff_level)
                        })
                        .flatten();
                    let estimate = estimate_at(&values, 0.95);
                    let metric = catalogue::lookup(id);
                    let ci = clipped(estimate, |lo, hi| {
                        metric.as_ref().map_or((lo, hi), |m| m.clip(lo, hi))
                    });
                    let diff_ci = clipped(diff, |lo, hi| {
                        metric.as_ref().map_or((lo, hi), |m| m.clip_diff(lo, hi))
                    });
                    MetricSummary {
                        metric: id.clone(),
                        estimate,
                        ci,
                        diff,
                        diff_ci,
                    }
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(values: &[(&str, Option<f64>)]) -> RunMetrics {
        RunMetrics::from_values(values.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())
    }

    #[test]
    fn paired_differences_by_hand() {
        // Baseline 10, 12, 14; other 7, 10, 10 → differences −3, −2, −4: mean −3,
        // s = 1, t(0.975, 2) = 4.302653 → half-width 4.302653/√3.
        let base: Vec<RunMetrics> = [10.0, 12.0, 14.0]
            .iter()
            .map(|v| run(&[("wait_p95", Some(*v))]))
            .collect();
        let other: Vec<RunMetrics> = [7.0, 10.0, 10.0]
            .iter()
            .map(|v| run(&[("wait_p95", Some(*v))]))
            .collect();
        let s = summarize(&[base.clone(), other], 0, Adjustment::Unadjusted);
        assert!(s[0].baseline && s[0].metrics[0].diff.is_none());
        let d = s[1].metrics[0].diff.unwrap();
        assert_eq!(d.mean, -3.0);
        assert!((d.half_width.unwrap() - 4.302_652_73 / 3f64.sqrt()).abs() < 1e-6);
        // Identical cells: differences exactly 0 with a zero-width interval.
        let same = summarize(&[base.clone(), base.clone(), base], 0, Adjustment::Bonferroni);
        assert_eq!(
            same[2].metrics[0].diff,
            Some(Estimate {
                mean: 0.0,
                half_width: Some(0.0),
                n: 3
            })
        );
    }

    #[test]
    fn intervals_are_clipped_to_the_metric_bounds() {
        // Waits 0, 0, 3 s: mean 1, s = √3, t(0.975, 2) = 4.302653 → half-width 4.30, so the
        // raw interval [−3.30, 5.30] is clipped at 0; the half-width stays in `estimate`.
        let cell: Vec<RunMetrics> = [0.0, 0.0, 3.0]
            .iter()
            .map(|v| run(&[("wait_p95", Some(*v))]))
            .collect();
        let s = summarize(&[cell], 0, Adjustment::Unadjusted);
        let (lo, hi) = s[0].metrics[0].ci.unwrap();
        let h = 4.302_652_73 * 3f64.sqrt() / 3f64.sqrt();
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 + h)).abs() < 1e-6, "{hi}");
    }

    #[test]
    fn undefined_values_are_skipped_not_nan() {
        let base = vec![run(&[("x", None)]), run(&[("x", Some(1.0))])];
        let other = vec![run(&[("x", Some(2.0))]), run(&[("x", None)])];
        let s = summarize(&[base, other], 0, Adjustment::Unadjusted);
        assert_eq!(s[0].metrics[0].estimate.unwrap().n, 1);
        assert_eq!(s[1].metrics[0].diff, None);
    }
}
