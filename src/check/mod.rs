//! Regression checks (`chatsim check`, README.md "Checks in CI"): a scenario's
//! `[[expect]]` expectations judged on 95 % intervals, per configuration.
//!
//! An expectation is *met* when its whole interval is on the right side of its condition,
//! *violated* when the whole interval is on the wrong side, and *undecided* otherwise (the
//! runner adds replications until every expectation is decided or the cap is reached, so
//! noise does not make CI flap). A `baseline` condition is judged on the difference paired
//! by replication with the scenario's baseline configuration; against the results of an
//! earlier run (`--baseline`) the replications are not paired, so the difference of means
//! gets Welch's interval instead — and the finding says it is unpaired.
//!
//! Pure functions of results; reading an earlier `summary.csv` is [`Previous::parse`] on
//! its text (the command line reads the file).

use crate::decision::condition::{Condition, Verdict};
use crate::decision::{Judgement, judge};
use crate::metrics::RunMetrics;
use crate::metrics::summary::{estimate, t_quantile};
use std::collections::BTreeMap;

/// One `[[expect]]` of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// Its name (`name = …`), if given.
    pub name: Option<String>,
    /// What must hold (`that = …`).
    pub condition: Condition,
    /// Only configurations whose compared settings take one of these values (`where = …`);
    /// empty: every configuration.
    pub filter: Vec<(String, Vec<String>)>,
}

impl Expectation {
    /// The name, or the condition as written.
    pub fn title(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.condition.text)
    }

    /// Whether a configuration with these compared settings is judged.
    pub fn applies(&self, assignments: &[(String, String)]) -> bool {
        self.filter.iter().all(|(axis, values)| {
            assignments
                .iter()
                .any(|(k, v)| k == axis && values.iter().any(|w| crate::scenario::compare::same_value(v, w)))
        })
    }
}

/// How an expectation came out for one configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The whole interval is on the right side.
    Met,
    /// The whole interval is on the wrong side.
    Violated,
    /// The interval straddles the limit (or there is none) at the cap.
    Undecided,
}

impl Status {
    /// As printed.
    pub fn name(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Violated => "violated",
            Self::Undecided => "undecided",
        }
    }
}

/// One expectation judged for one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Index of the expectation.
    pub expectation: usize,
    /// Index of the configuration.
    pub cell: usize,
    /// Met, violated or undecided.
    pub status: Status,
    /// The judged interval and its mean (the metric's, or the difference's).
    pub judgement: Judgement,
    /// Judged against an earlier run's results (unpaired, Welch).
    pub unpaired: bool,
    /// Why there is nothing to judge, when that is the case.
    pub note: Option<String>,
}

/// Per configuration label and metric: the mean, sample standard deviation and number of
/// replications of an earlier run (its `summary.csv`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Previous {
    rows: BTreeMap<(String, String), (f64, f64, usize)>,
}

impl Previous {
    /// Reads an earlier `summary.csv`; an error names the row (1 = the header) and what
    /// was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header = reader
            .headers()
            .map_err(|e| format!("row 1: not a CSV header ({e})"))?
            .clone();
        let col = |name: &str| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                format!("row 1: no \"{name}\" column (expected a summary.csv written by chatsim run)")
            })
        };
        let (label, metric, mean, n, sd) =
            (col("label")?, col("metric")?, col("mean")?, col("n")?, col("sd")?);
        let mut rows = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            let record = record.map_err(|e| format!("row {row}: {e}"))?;
            let field = |c: usize| record.get(c).unwrap_or("");
            let number = |c: usize, what: &str| -> Result<Option<f64>, String> {
                let text = field(c);
                if text.is_empty() {
                    return Ok(None);
                }
                text.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(Some)
                    .ok_or_else(|| format!("row {row}: {what} \"{text}\" is not a number"))
            };
            let (Some(m), Some(count)) = (number(mean, "mean")?, number(n, "n")?) else {
                continue;
            };
            if count < 0.0 || count.fract() != 0.0 || count > 1e9 {
                return Err(format!(
                    "row {row}: n \"{}\" is not a count of replications",
                    field(n)
                ));
            }
            let s = number(sd, "sd")?.unwrap_or(0.0);
            if s < 0.0 {
                return Err(format!("row {row}: sd \"{}\" is negative", field(sd)));
            }
            rows.insert(
                (field(label).to_owned(), field(metric).to_owned()),
                (m, s, count as usize),
            );
        }
        if rows.is_empty() {
            return Err("row 2: no metric rows with a mean".to_owned());
        }
        Ok(Self { rows })
    }

    /// Whether the earlier run had a configuration with this label.
    pub fn has_label(&self, label: &str) -> bool {
        self.rows.keys().any(|(l, _)| l == label)
    }

    fn get(&self, label: &str, metric: &str) -> Option<(f64, f64, usize)> {
        self.rows.get(&(label.to_owned(), metric.to_owned())).copied()
    }
}

/// Welch's 95 % interval of `mean(now) − mean(before)` from two independent samples
/// summarised as (mean, sd, n); `None` when either has fewer than 2 values.
pub fn welch(now: (f64, f64, usize), before: (f64, f64, usize)) -> Option<(f64, (f64, f64))> {
    let ((m1, s1, n1), (m0, s0, n0)) = (now, before);
    if n1 < 2 || n0 < 2 {
        return None;
    }
    let (v1, v0) = (s1 * s1 / n1 as f64, s0 * s0 / n0 as f64);
    let se2 = v1 + v0;
    let diff = m1 - m0;
    if se2 == 0.0 {
        return Some((diff, (diff, diff)));
    }
    // Welch–Satterthwaite degrees of freedom.
    let df = se2 * se2 / (v1 * v1 / (n1 - 1) as f64 + v0 * v0 / (n0 - 1) as f64);
    let h = t_quantile(0.975, df) * se2.sqrt();
    Some((diff, (diff - h, diff + h)))
}

/// The configurations an experiment has: label and compared settings, in matrix order.
pub type Cells<'a> = [(&'a str, &'a [(String, String)])];

/// Judges every expectation for every configuration it applies to.
pub fn judge_all(
    expectations: &[Expectation],
    cells: &Cells<'_>,
    runs: &[Vec<RunMetrics>],
    baseline: usize,
    previous: Option<&Previous>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (e, expectation) in expectations.iter().enumerate() {
        for (c, (label, assignments)) in cells.iter().enumerate() {
            let condition = &expectation.condition;
            // Within a run, the baseline compared with itself says nothing: it is judged
            // only against an earlier run.
            if !expectation.applies(assignments)
                || (condition.is_relative() && previous.is_none() && c == baseline)
            {
                continue;
            }
            let (judgement, unpaired, note) = match previous {
                Some(prev) if condition.is_relative() => {
                    let values: Vec<f64> = runs[c]
                        .iter()
                        .filter_map(|r| r.get(&condition.metric.id))
                        .collect();
                    let now = estimate(&values).map(|est| (est.mean, est.std_dev().unwrap_or(0.0), est.n));
                    match (now, prev.get(label, &condition.metric.id)) {
                        (Some(now), Some(before)) => match welch(now, before) {
                            Some((diff, (lo, hi))) => {
                                let (lo, hi) = condition.metric.clip_diff(lo, hi);
                                (
                                    Judgement {
                                        verdict: condition.judge(lo, hi),
                                        interval: Some((lo, hi)),
                                        mean: Some(diff),
                                    },
                                    true,
                                    None,
                                )
                            }
                            None => (
                                undecided(),
                                true,
                                Some("fewer than 2 replications to compare".to_owned()),
                            ),
                        },
                        (_, None) => (
                            undecided(),
                            true,
                            Some(format!(
                                "the earlier run has no \"{label}\" row for {}",
                                condition.metric.id
                            )),
                        ),
                        (None, _) => (
                            undecided(),
                            true,
                            Some("undefined in every replication".to_owned()),
                        ),
                    }
                }
                _ => (judge(condition, runs, c, baseline), false, None),
            };
            let status = match judgement.verdict {
                Verdict::Meets => Status::Met,
                Verdict::Misses => Status::Violated,
                Verdict::Uncertain => Status::Undecided,
            };
            out.push(Finding {
                expectation: e,
                cell: c,
                status,
                judgement,
                unpaired,
                note,
            });
        }
    }
    out
}

fn undecided() -> Judgement {
    Judgement {
        verdict: Verdict::Uncertain,
        interval: None,
        mean: None,
    }
}

/// Whether every finding is met or violated.
pub fn all_decided(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.status != Status::Undecided)
}

/// The exit code of `check`: 1 when any expectation is violated (or, with `strict`,
/// undecided), else 0.
pub fn exit_code(findings: &[Finding], strict: bool) -> u8 {
    let failed = findings
        .iter()
        .any(|f| f.status == Status::Violated || (strict && f.status == Status::Undecided));
    u8::from(failed)
}
