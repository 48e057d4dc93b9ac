//! Distributions of durations (handle time, patience, …) in milliseconds.
//!
//! Each [`Dist`] is parameterised the way planners think — by its mean and spread — and
//! knows its own mean and variance, which the moment tests check samples against.
//! Sampling uses `rand_distr`'s documented algorithms on our portable [`Rng`].

use crate::workload::{Rng, unit};
use rand_distr::Distribution as _;

/// A distribution of non-negative durations, in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Exponential with this mean.
    Exponential {
        /// Mean (ms).
        mean: f64,
    },
    /// Lognormal with this mean and coefficient of variation.
    Lognormal {
        /// Mean (ms).
        mean: f64,
        /// Standard deviation ÷ mean.
        cv: f64,
    },
    /// Gamma with this mean and coefficient of variation (shape = 1/cv²).
    Gamma {
        /// Mean (ms).
        mean: f64,
        /// Standard deviation ÷ mean.
        cv: f64,
    },
    /// Weibull with this mean and shape.
    Weibull {
        /// Mean (ms).
        mean: f64,
        /// Shape k (> 0); 1 is exponential.
        shape: f64,
    },
    /// Always this value.
    Deterministic {
        /// The value (ms).
        value: f64,
    },
    /// Uniform between two values.
    Uniform {
        /// Lower bound (ms).
        min: f64,
        /// Upper bound (ms).
        max: f64,
    },
    /// Resampled uniformly from observed values (bootstrap).
    Empirical {
        /// The observations (ms), non-empty.
        values: Vec<f64>,
    },
}

impl Dist {
    /// One draw, in milliseconds (never negative).
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        let x = match self {
            Self::Exponential { mean } => -mean * (1.0 - unit(rng)).ln(),
            Self::Lognormal { mean, cv } => {
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                rand_distr::LogNormal::new(mu, sigma2.sqrt()).map_or(*mean, |d| d.sample(rng))
            }
            Self::Gamma { mean, cv } => {
                let shape = 1.0 / (cv * cv);
                rand_distr::Gamma::new(shape, mean / shape).map_or(*mean, |d| d.sample(rng))
            }
            Self::Weibull { mean, shape } => {
                let scale = mean / gamma_fn(1.0 + 1.0 / shape);
                // Inverse CDF: scale · (−ln(1 − u))^(1/k).
                scale * (-(1.0 - unit(rng)).ln()).powf(1.0 / shape)
            }
            Self::Deterministic { value } => *value,
            Self::Uniform { min, max } => min + (max - min) * unit(rng),
            Self::Empirical { values } => {
                let idx = (unit(rng) * values.len() as f64) as usize;
                values[idx.min(values.len() - 1)]
            }
        };
        x.max(0.0)
    }

    /// One draw rounded to whole milliseconds.
    pub fn sample_ms(&self, rng: &mut Rng) -> u64 {
        self.sample(rng).round() as u64
    }

    /// The distribution's mean (ms).
    pub fn mean(&self) -> f64 {
        match self {
            Self::Exponential { mean }
            | Self::Lognormal { mean, .. }
            | Self::Gamma { mean, .. }
            | Self::Weibull { mean, .. } => *mean,
            Self::Deterministic { value } => *value,
            Self::Uniform { min, max } => (min + max) / 2.0,
            Self::Empirical { values } => values.iter().sum::<f64>() / values.len() as f64,
        }
    }

    /// The distribution's variance (ms²).
    pub fn variance(&self) -> f64 {
        match self {
            Self::Exponential { mean } => mean * mean,
            Self::Lognormal { mean, cv } | Self::Gamma { mean, cv } => (mean * cv).powi(2),
            Self::Weibull { mean, shape } => {
                let scale = mean / gamma_fn(1.0 + 1.0 / shape);
                scale * scale * (gamma_fn(1.0 + 2.0 / shape) - gamma_fn(1.0 + 1.0 / shape).powi(2))
            }
            Self::Deterministic { .. } => 0.0,
            Self::Uniform { min, max } => (max - min).powi(2) / 12.0,
            Self::Empirical { values } => {
                let m = self.mean();
                values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64
            }
        }
    }
}

pub use crate::util::special::gamma as gamma_fn;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Purpose, stream};

    /// Sample mean and variance within 5 standard errors of the distribution's own (the
    /// variance's standard error estimated from the sample's fourth moment).
    #[test]
    fn every_distribution_matches_its_moments() {
        let dists = [
            Dist::Exponential { mean: 300_000.0 },
            Dist::Lognormal {
                mean: 300_000.0,
                cv: 0.8,
            },
            Dist::Gamma {
                mean: 300_000.0,
                cv: 0.5,
            },
            Dist::Gamma {
                mean: 300_000.0,
                cv: 2.0,
            },
            Dist::Weibull {
                mean: 300_000.0,
                shape: 1.5,
            },
            Dist::Weibull {
                mean: 300_000.0,
                shape: 0.8,
            },
            Dist::Deterministic { value: 300_000.0 },
            Dist::Uniform {
                min: 60_000.0,
                max: 540_000.0,
            },
            Dist::Empirical {
                values: vec![60_000.0, 120_000.0, 120_000.0, 900_000.0],
            },
        ];
        let n = 200_000;
        for (i, d) in dists.iter().enumerate() {
            let mut rng = stream(11, 0, Purpose::Work, i as u64);
            let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64;
            let se_mean = (d.variance() / n as f64).sqrt();
            let se_var = ((m4 - var * var).max(0.0) / n as f64).sqrt();
            assert!(
                (mean - d.mean()).abs() <= 5.0 * se_mean + 1e-9,
                "{d:?}: mean {mean} vs {}",
                d.mean()
            );
            assert!(
                (var - d.variance()).abs() <= 5.0 * se_var + 1e-6 * d.variance() + 1e-9,
                "{d:?}: variance {var} vs {}",
                d.variance()
            );
            assert!(xs.iter().all(|&x| x >= 0.0));
        }
    }
}
