//! Conditions on a metric — `wait_p95 <= 30s`, `service_level_30s >= 80%`,
//! `abandonment <= baseline + 2%` — parsed once into a typed [`Condition`] and judged on an
//! interval.
//!
//! The grammar is `<metric id> <op> <value>`; whitespace between the tokens is optional.
//! The metric id is any id of the metric catalogue (docs/metrics.md), resolved to its
//! canonical form (`service_level_60s` → `service_level_1m`). The operator is one of `<=`,
//! `>=`, `<`, `>`. The value is written in the metric's unit as people write it (`30s`,
//! `2m`, `0.8`, `80%`, a plain number; see [`Unit::parse`]), or is `baseline`,
//! optionally followed by `+` or `-` and an offset in the same unit: the condition is then
//! on the paired difference against the baseline configuration, so
//! `wait_p95 <= baseline + 5s` means "the paired difference wait_p95 − wait_p95(baseline)
//! is at most 5 s".
//!
//! Every error carries the byte offset in the text where the problem starts, so a caller
//! that knows where the text sits (a TOML string, a command-line argument) can point at it.

use std::fmt;

use crate::metrics::catalogue::{CATALOGUE, Metric, Unit, lookup};
use crate::util::suggest::did_you_mean;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `>`
    Gt,
}

impl Op {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Gt => ">",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The right-hand side of a condition, in the metric's unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rhs {
    /// A value of the metric.
    Value(f64),
    /// `baseline` plus this offset (0 for plain `baseline`): the condition is on the paired
    /// difference against the baseline configuration.
    Baseline(f64),
}

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The metric (canonical id).
    pub metric: Metric,
    /// The comparison.
    pub op: Op,
    /// What the metric is compared with.
    pub rhs: Rhs,
    /// The condition as written, trimmed.
    pub text: String,
}

/// Why a condition does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionError {
    /// Byte offset in the text passed to [`parse`] where the problem starts.
    pub offset: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConditionError {}

/// How an interval of the compared quantity stands against a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is on the right side.
    Meets,
    /// The whole interval is on the wrong side.
    Misses,
    /// The interval straddles the threshold, or there is no interval.
    Uncertain,
}

impl Verdict {
    /// As written in reports: "meets", "misses", "uncertain".
    pub fn name(self) -> &'static str {
        match self {
            Self::Meets => "meets",
            Self::Misses => "misses",
            Self::Uncertain => "uncertain",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Condition {
    /// Judges an interval `[low, high]` of the compared quantity (the metric's interval for
    /// [`Rhs::Value`], the paired-difference interval for [`Rhs::Baseline`]): `Meets` when
    /// the whole interval is on the right side, `Misses` when the whole interval is on the
    /// wrong side, `Uncertain` otherwise. Strictness matters at the edges: `<= v` meets
    /// when high ≤ v and misses when low > v; `< v` meets when high < v and misses when
    /// low ≥ v; symmetrically for `>=` and `>`.
    pub fn judge(&self, low: f64, high: f64) -> Verdict {
        let v = self.threshold();
        let (meets, misses) = match self.op {
            Op::Le => (high <= v, low > v),
            Op::Lt => (high < v, low >= v),
            Op::Ge => (low >= v, high < v),
            Op::Gt => (low > v, high <= v),
        };
        if meets {
            Verdict::Meets
        } else if misses {
            Verdict::Misses
        } else {
            Verdict::Uncertain
        }
    }

    /// The value ([`Rhs::Value`]) or the offset ([`Rhs::Baseline`]) compared with.
    pub fn threshold(&self) -> f64 {
        match self.rhs {
            Rhs::Value(v) | Rhs::Baseline(v) => v,
        }
    }

    /// Whether the condition is on the paired difference against the baseline.
    pub fn is_relative(&self) -> bool {
        matches!(self.rhs, Rhs::Baseline(_))
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Characters an operator is made of (a run of them is one operator token).
const OP_CHARS: &[char] = &['<', '>', '=', '!', '≤', '≥'];

const EXPECTED_OP: &str = "expected <=, >=, < or >";

/// Parses a condition; see the module documentation for the grammar.
pub fn parse(text: &str) -> Result<Condition, ConditionError> {
    let mut at = Cursor { text, pos: 0 };
    at.skip_ws();
    let id_start = at.pos;
    let id = at.take_while(|c| !c.is_whitespace() && !OP_CHARS.contains(&c));
    if id.is_empty() {
        let message = if at.at_end() {
            "empty condition (expected e.g. \"wait_p95 <= 30s\")"
        } else {
            "missing metric before the operator (expected e.g. \"wait_p95 <= 30s\")"
        };
        return Err(error(id_start, message));
    }
    let metric = lookup(id).ok_or_else(|| error(id_start, unknown_metric(id)))?;

    at.skip_ws();
    let op_start = at.pos;
    let op_text = at.take_while(|c| OP_CHARS.contains(&c));
    let op = match op_text {
        "<=" => Op::Le,
        ">=" => Op::Ge,
        "<" => Op::Lt,
        ">" => Op::Gt,
        "" if at.at_end() => {
            return Err(error(
                op_start,
                format!("missing operator after \"{id}\" ({EXPECTED_OP})"),
            ));
        }
        "" => {
            let found = at.token();
            return Err(error(
                op_start,
                format!("expected an operator after \"{id}\", found \"{found}\" ({EXPECTED_OP})"),
            ));
        }
        other => {
            let hint = match other {
                "=<" | "≤" => " (did you mean \"<=\"?)",
                "=>" | "≥" => " (did you mean \">=\"?)",
                "=" | "==" => " (a condition bounds an estimate: use <=, >=, < or >)",
                _ => "",
            };
            let message = if hint.is_empty() {
                format!("unknown operator \"{other}\" ({EXPECTED_OP})")
            } else {
                format!("unknown operator \"{other}\"{hint}")
            };
            return Err(error(op_start, message));
        }
    };

    at.skip_ws();
    if at.at_end() {
        return Err(error(at.pos, format!("missing value after \"{op}\"")));
    }
    let unit = metric.unit();
    let rhs = if at.word() == "baseline" {
        at.pos += "baseline".len();
        at.skip_ws();
        if at.at_end() {
            Rhs::Baseline(0.0)
        } else {
            let sign = match at.rest().chars().next() {
                Some('+') => 1.0,
                Some('-') => -1.0,
                _ => {
                    let found = at.token();
                    return Err(error(
                        at.pos,
                        format!(
                            "expected + or - after \"baseline\", found \"{found}\" \
                             (e.g. \"baseline + 5s\" or \"baseline - 2%\")"
                        ),
                    ));
                }
            };
            let sign_text = &at.rest()[..1];
            at.pos += 1;
            at.skip_ws();
            if at.at_end() {
                return Err(error(
                    at.pos,
                    format!("missing offset after \"baseline {sign_text}\""),
                ));
            }
            if let Some(c) = at.rest().chars().next().filter(|c| matches!(c, '+' | '-')) {
                return Err(error(
                    at.pos,
                    format!(
                        "unexpected \"{c}\": the offset after \"baseline {sign_text}\" takes no sign of its own"
                    ),
                ));
            }
            let value_start = at.pos;
            let offset = at.value(unit)?;
            // A difference of two values within the bounds lies within ±(high − low).
            let (lo, hi) = metric.def.bounds;
            if offset > hi - lo {
                return Err(error(
                    value_start,
                    format!(
                        "offset {} is larger than {} can ever differ ({})",
                        unit.format_diff(offset),
                        metric.id,
                        bounds_hint(&metric)
                    ),
                ));
            }
            Rhs::Baseline(sign * offset)
        }
    } else {
        let value_start = at.pos;
        let value = at.value(unit)?;
        let (lo, hi) = metric.def.bounds;
        if !(lo..=hi).contains(&value) {
            return Err(error(
                value_start,
                format!(
                    "{} is outside what {} can be ({})",
                    at_text(text, value_start),
                    metric.id,
                    bounds_hint(&metric)
                ),
            ));
        }
        Rhs::Value(value)
    };

    at.skip_ws();
    if !at.at_end() {
        return Err(error(
            at.pos,
            format!(
                "unexpected \"{}\" after the value (a condition is <metric> <op> <value>)",
                at.rest().trim_end()
            ),
        ));
    }
    Ok(Condition {
        metric,
        op,
        rhs,
        text: text.trim().to_owned(),
    })
}

/// The value as written, from `start` to the end of the condition.
fn at_text(text: &str, start: usize) -> &str {
    text.get(start..).unwrap_or("").trim()
}

/// A metric's bounds for an error message, with how to write a share.
fn bounds_hint(metric: &Metric) -> String {
    let (lo, hi) = metric.def.bounds;
    match metric.unit() {
        Unit::Share => "a share between 0 and 1: write e.g. 0.05 or 5%".to_owned(),
        unit if hi.is_infinite() => format!("at least {}", unit.format(lo)),
        unit => format!("between {} and {}", unit.format(lo), unit.format(hi)),
    }
}

fn error(offset: usize, message: impl Into<String>) -> ConditionError {
    ConditionError {
        offset,
        message: message.into(),
    }
}

/// "unknown metric …" with a did-you-mean and where to find the list.
fn unknown_metric(id: &str) -> String {
    let families = || CATALOGUE.iter().filter(|d| d.per_target);
    // A family named without a target, or with one that is not a duration.
    if families().any(|d| d.id == id) {
        return format!(
            "metric \"{id}\" needs a service-level target, e.g. \"{id}_30s\" — `chatsim metrics` lists them"
        );
    }
    let longest = families()
        .filter_map(|d| Some((d, id.strip_prefix(d.id)?.strip_prefix('_')?)))
        .max_by_key(|(d, _)| d.id.len());
    if let Some((def, target)) = longest {
        return format!(
            "unknown metric \"{id}\": \"{target}\" is not a service-level target \
             (a duration longer than 0, e.g. \"{}_30s\") — `chatsim metrics` lists them",
            def.id
        );
    }
    let known: Vec<String> = CATALOGUE
        .iter()
        .map(|d| {
            if d.per_target {
                format!("{}_30s", d.id)
            } else {
                d.id.to_owned()
            }
        })
        .collect();
    let mut msg = format!("unknown metric \"{id}\"");
    if let Some(s) = did_you_mean(id, known.iter().map(String::as_str)) {
        msg.push_str(&format!(" (did you mean \"{s}\"?)"));
    }
    msg.push_str(" — `chatsim metrics` lists them");
    msg
}

/// A position in the condition text.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.rest().trim_start().is_empty()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c: char| !keep(c)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// The next whitespace-delimited token, without consuming it.
    fn token(&self) -> &'a str {
        let rest = self.rest();
        &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())]
    }

    /// The identifier-like word at the cursor (letters, digits, `_`), without consuming it.
    fn word(&self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        &rest[..len]
    }

    /// Consumes a value token and parses it in `unit`. A value is one token, except that a
    /// lone `%` after a space belongs to it (`80 %`).
    fn value(&mut self, unit: Unit) -> Result<f64, ConditionError> {
        let start = self.pos;
        self.pos += self.token().len();
        let after = self.rest();
        if after.trim() == "%" {
            self.pos = self.text.len() - (after.len() - after.trim_end().len());
        }
        let value = &self.text[start..self.pos];
        unit.parse(value).map_err(|message| {
            let hint = value
                .chars()
                .all(|c| c.is_alphabetic())
                .then(|| did_you_mean(value, ["baseline"]))
                .flatten();
            match hint {
                Some(s) => error(start, format!("{message} (did you mean \"{s}\"?)")),
                None => error(start, message),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Condition {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {} at {}", e.message, e.offset))
    }

    fn err(text: &str) -> ConditionError {
        match parse(text) {
            Ok(c) => panic!("{text:?} parsed as {c:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn every_form_parses() {
        // Values in the metric's unit as Unit::parse reads them: 30s → 30 (seconds),
        // 2m → 120 s, 80% → 0.8 (share), 1h → 60 (orphan_minutes is in minutes).
        let c = ok("wait_p95 <= 30s");
        assert_eq!(
            (c.metric.id.as_str(), c.op, c.rhs),
            ("wait_p95", Op::Le, Rhs::Value(30.0))
        );
        assert_eq!(c.text, "wait_p95 <= 30s");
        assert_eq!(ok("wait_p95<=30s").rhs, Rhs::Value(30.0));
        assert_eq!(ok("wait_p95 < 2m").op, Op::Lt);
        assert_eq!(ok("wait_p95 < 2m").rhs, Rhs::Value(120.0));
        assert_eq!(ok("wait_p95 <= 12.5").rhs, Rhs::Value(12.5));
        let sl = ok("  service_level_30s>=80%  ");
        assert_eq!((sl.op, sl.rhs), (Op::Ge, Rhs::Value(0.8)));
        assert_eq!(sl.text, "service_level_30s>=80%");
        assert_eq!(ok("service_level_30s > 0.8").op, Op::Gt);
        assert_eq!(ok("service_level_30s >= 80 %").rhs, Rhs::Value(0.8));
        assert_eq!(ok("orphan_minutes <= 1h").rhs, Rhs::Value(60.0));
        assert_eq!(ok("churn_per_100 < 3").rhs, Rhs::Value(3.0));
        // Baseline-relative: the offset is in the metric's unit, signed by + or -.
        assert_eq!(ok("wait_p95 <= baseline").rhs, Rhs::Baseline(0.0));
        assert_eq!(ok("wait_p95 <= baseline + 5s").rhs, Rhs::Baseline(5.0));
        assert_eq!(ok("wait_p95<=baseline+5s").rhs, Rhs::Baseline(5.0));
        assert_eq!(
            ok("service_level_30s >= baseline - 0.02").rhs,
            Rhs::Baseline(-0.02)
        );
        assert_eq!(ok("service_level_30s >= baseline - 2%").rhs, Rhs::Baseline(-0.02));
        assert!(ok("abandonment <= baseline").is_relative());
        assert_eq!(ok("wait_p95 <= baseline + 5s").threshold(), 5.0);
        // A metric without a direction is allowed.
        assert_eq!(ok("occupancy_mean <= 90%").rhs, Rhs::Value(0.9));
        assert_eq!(Op::Le.to_string(), "<=");
        assert_eq!(Op::Gt.to_string(), ">");
        assert_eq!(Verdict::Uncertain.to_string(), "uncertain");
    }

    #[test]
    fn ids_are_canonical() {
        assert_eq!(ok("service_level_60s >= 0.8").metric.id, "service_level_1m");
        assert_eq!(ok("service_level_60s >= 0.8").text, "service_level_60s >= 0.8");
        assert_eq!(
            ok("service_level_answered_90s>=0.9").metric.id,
            "service_level_answered_1m30s"
        );
    }

    #[test]
    fn errors_are_located() {
        // Unknown metric: at the id, with a suggestion and the pointer to the list.
        let e = err("  wiat_p95 <= 30s");
        assert_eq!(e.offset, 2);
        assert!(
            e.message
                .starts_with("unknown metric \"wiat_p95\" (did you mean \"wait_p95\"?)")
        );
        assert!(e.message.contains("`chatsim metrics`"));
        assert!(
            err("wait-p95 <= 30s")
                .message
                .contains("did you mean \"wait_p95\"?")
        );
        let e = err("service_level_60 >= 0.8");
        assert_eq!(e.offset, 0);
        assert!(
            e.message.contains("\"60\" is not a service-level target"),
            "{}",
            e.message
        );
        let e = err("service_level_answered >= 0.8");
        assert!(
            e.message.contains("needs a service-level target"),
            "{}",
            e.message
        );
        let e = err("service_level_answered_x >= 0.8");
        assert!(
            e.message.contains("\"x\" is not a service-level target"),
            "{}",
            e.message
        );
        assert_eq!(err("   ").offset, 3);
        assert_eq!(err("<= 30s").offset, 0);
        // Missing or unknown operator: where the operator is, or should be.
        let e = err("wait_p95 30s");
        assert_eq!(e.offset, 9);
        assert!(
            e.message
                .starts_with("expected an operator after \"wait_p95\", found \"30s\"")
        );
        let e = err("wait_p95");
        assert_eq!((e.offset, e.message.starts_with("missing operator")), (8, true));
        let e = err("wait_p95 = 30s");
        assert_eq!(e.offset, 9);
        assert!(e.message.starts_with("unknown operator \"=\""));
        assert_eq!(err("wait_p95 == 30s").offset, 9);
        let e = err("wait_p95 =< 30s");
        assert_eq!(e.offset, 9);
        assert!(e.message.contains("did you mean \"<=\"?"));
        assert!(err("wait_p95 => 30s").message.contains("did you mean \">=\"?"));
        assert!(err("wait_p95 ≤ 30s").message.contains("did you mean \"<=\"?"));
        let e = err("wait_p95 <== 30s");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (9, "unknown operator \"<==\" (expected <=, >=, < or >)")
        );
        // Missing value: at the end of the text.
        let e = err("wait_p95 <= ");
        assert_eq!(
            e,
            ConditionError {
                offset: 12,
                message: "missing value after \"<=\"".into()
            }
        );
        // Bad value: at the value, with Unit::parse's message.
        let e = err("wait_p95 <= 3Os");
        assert_eq!(e.offset, 12);
        assert_eq!(e.message, Unit::Seconds.parse("3Os").unwrap_err());
        let e = err("service_level_30s >= eighty");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (21, "invalid share \"eighty\" (expected e.g. 0.8 or 80%)")
        );
        assert!(
            err("wait_p95 <= baseine")
                .message
                .ends_with("(did you mean \"baseline\"?)")
        );
        // Trailing garbage: where it starts.
        let e = err("wait_p95 <= 30s and abandonment < 0.1");
        assert_eq!(e.offset, 16);
        assert!(
            e.message
                .starts_with("unexpected \"and abandonment < 0.1\" after the value")
        );
        assert_eq!(err("wait_p95 <= baseline + 5s 3").offset, 26);
        // A baseline offset needs + or - (and only one sign), then a value.
        let e = err("wait_p95 <= baseline * 2");
        assert_eq!(e.offset, 21);
        assert!(
            e.message
                .starts_with("expected + or - after \"baseline\", found \"*\"")
        );
        assert_eq!(err("wait_p95 <= baseline 5s").offset, 21);
        assert_eq!(err("wait_p95 <= baseline ± 5s").offset, 21);
        let e = err("wait_p95 <= baseline + -5s");
        assert_eq!(e.offset, 23);
        assert!(e.message.contains("takes no sign of its own"));
        let e = err("wait_p95 <= baseline +");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (22, "missing offset after \"baseline +\"")
        );
        let e = err("wait_p95 <= baseline - 5q");
        assert_eq!(
            (e.offset, e.message),
            (23, Unit::Seconds.parse("5q").unwrap_err())
        );
    }

    fn cond(text: &str) -> Condition {
        ok(text)
    }

    #[test]
    fn judged_at_the_edges() {
        use Verdict::*;
        // `<= 20`: meets when high ≤ 20, misses when low > 20.
        let le = cond("wait_p95 <= 20");
        assert_eq!(le.judge(10.0, 20.0), Meets);
        assert_eq!(le.judge(10.0, 20.5), Uncertain);
        assert_eq!(le.judge(20.0, 30.0), Uncertain);
        assert_eq!(le.judge(20.5, 30.0), Misses);
        // `< 20`: meets when high < 20, misses when low ≥ 20.
        let lt = cond("wait_p95 < 20");
        assert_eq!(lt.judge(10.0, 20.0), Uncertain);
        assert_eq!(lt.judge(10.0, 19.9), Meets);
        assert_eq!(lt.judge(20.0, 30.0), Misses);
        // `>= 0.8`: meets when low ≥ 0.8, misses when high < 0.8.
        let ge = cond("service_level_30s >= 0.5");
        assert_eq!(ge.judge(0.5, 0.7), Meets);
        assert_eq!(ge.judge(0.3, 0.5), Uncertain);
        assert_eq!(ge.judge(0.3, 0.4), Misses);
        // `> 0.5`: meets when low > 0.5, misses when high ≤ 0.5.
        let gt = cond("service_level_30s > 0.5");
        assert_eq!(gt.judge(0.5, 0.7), Uncertain);
        assert_eq!(gt.judge(0.3, 0.5), Misses);
        assert_eq!(gt.judge(0.6, 0.7), Meets);
        // A point interval exactly at the threshold.
        assert_eq!(le.judge(20.0, 20.0), Meets);
        assert_eq!(lt.judge(20.0, 20.0), Misses);
    }
}
