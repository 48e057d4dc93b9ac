//! Distributions of durations (handle time, patience, delays): the `distribution` table,
//! its parameters, per-group overrides and empirical CSV files (docs/workload.md).

use super::{Walk, group_ref};
use crate::engine::SimDuration;
use crate::scenario::doc::{Problems, Table, Val};
use crate::scenario::error::{self, ScenarioError};
use crate::workload::dist::{Dist, gamma_fn};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::DeValue;

/// The smallest Weibull shape: below it the median draw is under a thousandth of the mean
/// (at 0.2 it is 0.13 % of it), so almost every chat would take no time and a rare huge one
/// would carry the mean (docs/workload.md#handle-time).
const MIN_WEIBULL_SHAPE: f64 = 0.2;

/// The largest gamma cv, by the same rule as [`MIN_WEIBULL_SHAPE`] (at 3.5 the median is
/// about 0.15 % of the mean).
const MAX_GAMMA_CV: f64 = 3.5;

impl Walk<'_> {
    /// A distribution table plus optional per-group overrides under `groups`.
    pub(super) fn dist_with_groups(
        &mut self,
        v: Val<'_, '_>,
        name: &str,
        groups: &[String],
    ) -> Option<(Dist, Vec<Option<Dist>>)> {
        let base = self.dist_inner(v, name, true);
        let mut by_group = vec![None; groups.len()];
        let mut ok = true;
        if let DeValue::Table(map) = v.get_ref()
            && let Some(gv) = map.get("groups")
            && let Some(gt) = Table::of(gv, "handle_time.groups", &mut self.p)
        {
            for (key, value) in gt.map.iter() {
                let g = group_ref(key.get_ref(), key.span(), groups, &mut self.p);
                let d = self.dist_inner(value, &format!("{name}.groups.{}", key.get_ref()), false);
                match (g, d) {
                    (Some(g), Some(d)) => by_group[g.index()] = Some(d),
                    _ => ok = false,
                }
            }
        }
        ok.then_some((base?, by_group))
    }

    pub(super) fn dist(&mut self, v: Val<'_, '_>, name: &str) -> Option<Dist> {
        self.dist_inner(v, name, false)
    }

    pub(super) fn dist_inner(&mut self, v: Val<'_, '_>, name: &str, allow_groups: bool) -> Option<Dist> {
        let p = &mut self.p;
        let t = Table::of(v, name, p)?;
        let kinds = [
            "exponential",
            "lognormal",
            "gamma",
            "weibull",
            "deterministic",
            "uniform",
            "empirical",
        ];
        let options: Vec<(&str, usize)> = kinds.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let kind = t
            .require("distribution", p)
            .and_then(|_| t.choice("distribution", "distribution", &options, p))?;
        let params: &[&str] = match kinds[kind] {
            "exponential" => &["mean"],
            "lognormal" | "gamma" => &["mean", "cv"],
            "weibull" => &["mean", "shape"],
            "deterministic" => &["value"],
            "uniform" => &["min", "max"],
            _ => &["file"],
        };
        let mut known = vec!["distribution"];
        known.extend_from_slice(params);
        if allow_groups {
            known.push("groups");
        }
        t.check_keys(&known, p);
        let dur = |key: &str, p: &mut Problems| -> Option<f64> {
            t.require(key, p)?;
            t.duration(key, false, p)
                .and_then(|(d, _)| d)
                .map(|d| d.as_millis() as f64)
        };
        let positive = |key: &str, p: &mut Problems| -> Option<f64> {
            t.require(key, p)?;
            match t.number(key, p) {
                Some((x, _)) if x > 0.0 && x <= 100.0 => Some(x),
                Some((x, span)) => {
                    p.add(
                        span,
                        error::DISTRIBUTION,
                        format!("{name}.{key} {x} is out of range (expected more than 0, at most 100)"),
                    );
                    None
                }
                None => None,
            }
        };
        let nonzero_mean = |m: Option<f64>, p: &mut Problems| match m {
            Some(m) if m <= 0.0 => {
                p.add(
                    t.get("mean").map_or(t.span(), |v| v.span()),
                    error::DISTRIBUTION,
                    format!("{name}.mean must be more than 0s"),
                );
                None
            }
            other => other,
        };
        match kinds[kind] {
            "exponential" => Some(Dist::Exponential {
                mean: nonzero_mean(dur("mean", p), p)?,
            }),
            "lognormal" => {
                let (m, cv) = (nonzero_mean(dur("mean", p), p), positive("cv", p));
                Some(Dist::Lognormal { mean: m?, cv: cv? })
            }
            "gamma" => {
                let (m, cv) = (nonzero_mean(dur("mean", p), p), positive("cv", p));
                if cv.is_some_and(|cv| cv > MAX_GAMMA_CV) {
                    p.add(
                        t.get("cv").map_or(t.span(), |v| v.span()),
                        error::DISTRIBUTION,
                        format!(
                            "{name}.cv {} is out of range for a gamma (expected more than 0, at most {MAX_GAMMA_CV}): the median draw would be under a thousandth of the mean, the mean carried by rare huge draws",
                            cv.unwrap_or_default()
                        ),
                    );
                    return None;
                }
                Some(Dist::Gamma { mean: m?, cv: cv? })
            }
            "weibull" => {
                let (m, k) = (nonzero_mean(dur("mean", p), p), positive("shape", p));
                if let Some(k) = k.filter(|k| *k < MIN_WEIBULL_SHAPE) {
                    // The median of a Weibull of mean m and shape k: m · ln(2)^(1/k) / Γ(1 + 1/k).
                    let said = match m {
                        Some(m) => {
                            let median = m * std::f64::consts::LN_2.powf(1.0 / k) / gamma_fn(1.0 + 1.0 / k);
                            format!(
                                "the median draw would be {} against a {} mean",
                                SimDuration(median.round() as u64),
                                SimDuration(m.round() as u64)
                            )
                        }
                        None => "the median draw would be under a thousandth of the mean".to_owned(),
                    };
                    p.add(
                        t.get("shape").map_or(t.span(), |v| v.span()),
                        error::DISTRIBUTION,
                        format!(
                            "{name}.shape {k} is out of range (expected {MIN_WEIBULL_SHAPE} to 100): {said}, the mean carried by rare huge draws"
                        ),
                    );
                    return None;
                }
                Some(Dist::Weibull { mean: m?, shape: k? })
            }
            "deterministic" => Some(Dist::Deterministic {
                value: dur("value", p)?,
            }),
            "uniform" => {
                let (a, b) = (dur("min", p), dur("max", p));
                let (a, b) = (a?, b?);
                if a > b {
                    p.add(
                        t.get("max").map_or(t.span(), |v| v.span()),
                        error::DISTRIBUTION,
                        format!(
                            "{name}.max {} must not be below min {}",
                            SimDuration(b as u64),
                            SimDuration(a as u64)
                        ),
                    );
                    return None;
                }
                Some(Dist::Uniform { min: a, max: b })
            }
            _ => {
                let (file, span) = t.require("file", p).and_then(|_| t.str("file", p))?;
                let path = self.path.parent().unwrap_or(Path::new(".")).join(file);
                self.empirical(&path, span, name)
            }
        }
    }

    /// Reads an empirical distribution: one duration per row (seconds, or a duration such as
    /// `4m30s`), an optional header row.
    pub(super) fn empirical(&mut self, path: &Path, span: Range<usize>, name: &str) -> Option<Dist> {
        let text = self.data_file(path, span.clone(), name, error::EMPIRICAL_FILE)?;
        let mut values = Vec::new();
        let mut ok = true;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for (i, line) in text.lines().enumerate() {
            let cell = line.split(',').next().unwrap_or("").trim();
            if cell.is_empty() {
                continue;
            }
            let parsed = cell
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(|s| s * 1_000.0)
                .or_else(|| {
                    crate::script::parse_duration(cell)
                        .ok()
                        .map(|d| d.as_millis() as f64)
                });
            match parsed {
                Some(v) => values.push(v),
                None if i == 0 => {} // a header row
                None => {
                    ok = false;
                    self.external.push(ScenarioError {
                        path: PathBuf::from(path),
                        line: i + 1,
                        column: 1,
                        rule: error::EMPIRICAL_FILE,
                        message: format!("row {}: invalid duration \"{cell}\" (expected seconds such as 270, or a duration such as 4m30s)", i + 1),
                    });
                }
            }
        }
        if values.is_empty() && ok {
            self.p.add(
                span,
                error::EMPIRICAL_FILE,
                format!("{name}: \"{}\" holds no durations", path.display()),
            );
            return None;
        }
        ok.then_some(Dist::Empirical { values })
    }
}
