//! Statistics: across-replication summaries and fairness indexes.
//!
//! Pure functions of numbers; no I/O. Every function is NaN-safe in the sense that an
//! undefined result is `None`, never a NaN that would poison a CSV or a comparison.

/// Mean, 95 % t-interval half-width and count of a sample of per-replication values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the 95 % t-interval (n − 1 degrees of freedom); `None` when n < 2.
    pub half_width: Option<f64>,
    /// Number of values.
    pub n: usize,
}

impl Estimate {
    /// The sample standard deviation the half-width came from (`None` when n < 2).
    pub fn std_dev(&self) -> Option<f64> {
        let h = self.half_width?;
        Some(h * (self.n as f64).sqrt() / t_quantile(0.975, (self.n - 1) as f64))
    }
}

/// Summarises per-replication values; `None` if there are none.
pub fn estimate(values: &[f64]) -> Option<Estimate> {
    estimate_at(values, 0.95)
}

/// Summarises with a two-sided confidence `level` (e.g. 0.99).
pub fn estimate_at(values: &[f64], level: f64) -> Option<Estimate> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let half_width = (n >= 2).then(|| {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        t_quantile(0.5 + level / 2.0, (n - 1) as f64) * (var / n as f64).sqrt()
    });
    Some(Estimate { mean, half_width, n })
}

/// Jain's fairness index (Σx)² / (n·Σx²); 1 = perfectly even.
pub fn jain(xs: &[f64]) -> Option<f64> {
    let sum_sq: f64 = xs.iter().map(|x| x * x).sum();
    (!xs.is_empty() && sum_sq > 0.0).then(|| xs.iter().sum::<f64>().powi(2) / (xs.len() as f64 * sum_sq))
}

/// Gini coefficient (mean absolute difference ÷ twice the mean); 0 = perfectly even.
pub fn gini(xs: &[f64]) -> Option<f64> {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.is_empty() || mean <= 0.0 {
        return None;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Σ_i (2i − n − 1)·x_(i) / (n² · mean), i = 1..n, the sorted-sample identity.
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
        .sum();
    Some(weighted / (n * n * mean))
}

/// Coefficient of variation (population standard deviation ÷ mean).
pub fn cv(xs: &[f64]) -> Option<f64> {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.is_empty() || mean <= 0.0 {
        return None;
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    Some(var.sqrt() / mean)
}

/// Largest value ÷ mean.
pub fn max_over_mean(xs: &[f64]) -> Option<f64> {
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    if xs.is_empty() || mean <= 0.0 {
        return None;
    }
    Some(xs.iter().copied().fold(f64::MIN, f64::max) / mean)
}

/// The `p`-quantile of Student's t distribution with `df` degrees of freedom, by bisection
/// on the CDF (exact to ~1e-10 for the df and levels used here).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while t_cdf(hi, df) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        // Adjacent floats: no later step can move the midpoint any more, so it is the
        // answer the remaining steps would reach (about 60 steps instead of 200).
        if mid == lo || mid == hi {
            return mid;
        }
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// CDF of Student's t: 1 − I_{df/(df+t²)}(df/2, 1/2) / 2 for t ≥ 0.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * reg_inc_beta(df / 2.0, 0.5, x);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz).
pub fn reg_inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

pub use crate::util::special::ln_gamma;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95 %: 12.706 (df 1), 2.262 (df 9), 2.093 (df 19), 1.960 (df → ∞).
        for (df, want) in [
            (1.0, 12.706_204_736),
            (9.0, 2.262_157_163),
            (19.0, 2.093_024_054),
            (1e7, 1.959_964),
        ] {
            let got = t_quantile(0.975, df);
            assert!((got - want).abs() < 1e-5, "df {df}: {got} vs {want}");
        }
        assert!((t_quantile(0.995, 29.0) - 2.756_385_904).abs() < 1e-6);
    }

    #[test]
    fn estimate_by_hand() {
        // Values 1..=5: mean 3, s² = 2.5, s/√n = 0.7071, t(0.975, 4) = 2.776445.
        let e = estimate(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(e.mean, 3.0);
        assert_eq!(e.n, 5);
        assert!((e.half_width.unwrap() - 2.776_445_105 * (2.5f64 / 5.0).sqrt()).abs() < 1e-6);
        assert_eq!(estimate(&[4.0]).unwrap().half_width, None);
        assert_eq!(estimate(&[]), None);
        // A constant metric has a zero-width interval, not a NaN.
        assert_eq!(estimate(&[2.0, 2.0, 2.0]).unwrap().half_width, Some(0.0));
    }

    #[test]
    fn fairness_indexes_by_hand() {
        let even = [2.0, 2.0, 2.0, 2.0];
        assert_eq!(jain(&even), Some(1.0));
        assert_eq!(gini(&even), Some(0.0));
        assert_eq!(cv(&even), Some(0.0));
        assert_eq!(max_over_mean(&even), Some(1.0));
        // One agent does everything: Jain = 1/n, Gini = (n − 1)/n, max/mean = n.
        let one = [0.0, 0.0, 0.0, 8.0];
        assert_eq!(jain(&one), Some(0.25));
        assert_eq!(gini(&one), Some(0.75));
        assert_eq!(max_over_mean(&one), Some(4.0));
        assert!((cv(&one).unwrap() - 3f64.sqrt()).abs() < 1e-12);
        // [1, 2, 3]: Jain = 36 / (3·14) = 0.857142…, Gini = 2/9.
        assert!((jain(&[1.0, 2.0, 3.0]).unwrap() - 36.0 / 42.0).abs() < 1e-12);
        assert!((gini(&[1.0, 2.0, 3.0]).unwrap() - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(jain(&[0.0, 0.0]), None);
        assert_eq!(gini(&[]), None);
    }
}
