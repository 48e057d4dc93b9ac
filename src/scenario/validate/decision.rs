//! `[decision]`: how the scenario chooses among its configurations (docs/decisions.md):
//! the objective, constraints written as conditions, a tolerance in the objective's unit
//! and preferences among equivalent configurations.
//!
//! Conditions are parsed by [`crate::decision::condition::parse`], the one parser that
//! `[decision]`, expectations and staffing targets share; its errors are located inside the
//! string. Whether `prefer` names compared settings is checked with the comparison matrix
//! (`compare.rs`), which knows the axes.

use crate::decision::condition::{self, Condition};
use crate::decision::{Decision, Prefer, PreferOrder};
use crate::metrics::catalogue::{self, Direction};
use crate::scenario::doc::{self, Problems, Table, Val};
use crate::scenario::error;
use std::ops::Range;
use toml::de::DeValue;

/// The keys of `[decision]`.
const KEYS: &[&str] = &["objective", "constraints", "tolerance", "prefer"];

/// Where a condition's text starts in the file: after the opening quote of a basic or
/// literal string.
fn text_start(span: &Range<usize>) -> usize {
    span.start + 1
}

/// A condition written as a TOML string at `span`; its errors are located at the offending
/// character.
pub(crate) fn condition_at(text: &str, span: Range<usize>, key: &str, p: &mut Problems) -> Option<Condition> {
    match condition::parse(text) {
        Ok(c) => Some(c),
        Err(e) => {
            let at = (text_start(&span) + e.offset).min(span.end.saturating_sub(1));
            p.add(at..at + 1, error::DECISION, format!("{key}: {}", e.message));
            None
        }
    }
}

/// Parses `[decision]`.
pub(super) fn decision(v: Val<'_, '_>, p: &mut Problems) -> Option<Decision> {
    let t = Table::of(v, "[decision]", p)?;
    t.check_keys(KEYS, p);
    let objective = t.require("objective", p).and_then(|_| t.str("objective", p));
    let objective = objective.and_then(|(id, span)| {
        let m = catalogue::lookup(id);
        match m {
            Some(m) if m.direction() == Direction::Neither => {
                p.add(
                    span,
                    error::DECISION,
                    format!(
                        "decision.objective \"{id}\" has no direction (neither higher nor lower is better); choose one that has (`chatsim metrics`)"
                    ),
                );
                None
            }
            Some(m) => Some(m),
            None => {
                let known: Vec<&str> = catalogue::CATALOGUE.iter().map(|d| d.id).collect();
                let mut msg = format!("unknown metric \"{id}\" in decision.objective");
                if let Some(s) = error::did_you_mean(id, known.iter().copied()) {
                    msg.push_str(&format!(" (did you mean \"{s}\"?)"));
                }
                msg.push_str(" — `chatsim metrics` lists them");
                p.add(span, error::UNKNOWN_VALUE, msg);
                None
            }
        }
    });
    let mut constraints = Vec::new();
    let mut constraints_ok = true;
    for item in t.array("constraints", p).unwrap_or(&[]) {
        let Some((text, span)) = doc::as_str(item, "a decision.constraints entry", p) else {
            constraints_ok = false;
            continue;
        };
        match condition_at(text, span, "decision.constraints", p) {
            Some(c) => constraints.push(c),
            None => constraints_ok = false,
        }
    }
    let tolerance = match (t.get("tolerance"), &objective) {
        (None, _) => Some(0.0),
        (Some(_), None) => None,
        (Some(v), Some(m)) => {
            let text = match v.get_ref() {
                DeValue::String(s) => Some(s.to_string()),
                DeValue::Integer(_) | DeValue::Float(_) => {
                    doc::as_number(v, "decision.tolerance", p).map(|x| x.to_string())
                }
                other => {
                    p.add(
                        v.span(),
                        error::WRONG_TYPE,
                        format!(
                            "decision.tolerance must be a value in {}'s unit ({}), found {}",
                            m.id,
                            m.unit().name(),
                            doc::type_name(other)
                        ),
                    );
                    None
                }
            };
            match text.map(|s| m.unit().parse(&s)) {
                Some(Ok(x)) if x >= 0.0 => Some(x),
                Some(Ok(x)) => {
                    p.add(
                        v.span(),
                        error::OUT_OF_RANGE,
                        format!("decision.tolerance {x} must be 0 or more"),
                    );
                    None
                }
                Some(Err(e)) => {
                    p.add(v.span(), error::DECISION, format!("decision.tolerance: {e}"));
                    None
                }
                None => None,
            }
        }
    };
    let prefer = match t.get("prefer") {
        None => Some(Vec::new()),
        Some(v) => prefer(v, p),
    };
    if !constraints_ok {
        return None;
    }
    Some(Decision {
        objective: objective?,
        constraints,
        tolerance: tolerance?,
        prefer: prefer?,
    })
}

/// `prefer = { axis = "lowest" | "highest" | [values…] }`, in the order written.
fn prefer(v: Val<'_, '_>, p: &mut Problems) -> Option<Vec<Prefer>> {
    let t = Table::of(v, "decision.prefer", p)?;
    let mut out = Vec::new();
    let mut ok = true;
    let mut entries: Vec<(String, Val<'_, '_>)> = Vec::new();
    for (key, value) in t.map.iter() {
        let key: &str = key.get_ref();
        // `team_size = { support = "lowest" }` names the axis `team_size.support`.
        match value.get_ref() {
            DeValue::Table(inner) => {
                entries.extend(inner.iter().map(|(k, v)| (format!("{key}.{}", k.get_ref()), v)));
            }
            _ => entries.push((key.to_owned(), value)),
        }
    }
    for (axis, value) in entries {
        let axis = axis.as_str();
        let order = match value.get_ref() {
            DeValue::String(s) if s.as_ref() == "lowest" => Some(PreferOrder::Lowest),
            DeValue::String(s) if s.as_ref() == "highest" => Some(PreferOrder::Highest),
            DeValue::Array(items) => {
                let values: Vec<String> = items.iter().filter_map(|i| value_text(i, axis, p)).collect();
                (values.len() == items.len()).then_some(PreferOrder::List(values))
            }
            DeValue::String(s) => {
                p.add(
                    value.span(),
                    error::UNKNOWN_VALUE,
                    format!(
                        "decision.prefer.{axis}: \"{s}\" is not \"lowest\", \"highest\" or a list of values in order"
                    ),
                );
                None
            }
            other => {
                p.add(
                    value.span(),
                    error::WRONG_TYPE,
                    format!(
                        "decision.prefer.{axis} must be \"lowest\", \"highest\" or a list of values, found {}",
                        doc::type_name(other)
                    ),
                );
                None
            }
        };
        match order {
            Some(order) => out.push(Prefer {
                axis: axis.to_owned(),
                order,
            }),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// A preferred value as text, the way `[compare]` labels its values.
fn value_text(v: Val<'_, '_>, axis: &str, p: &mut Problems) -> Option<String> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) => doc::int_value(i).map(|n| n.to_string()),
        // As `[compare]` labels it: 1.0 → "1", 0.20 → "0.2".
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .map(|x| format!("{x}")),
        DeValue::Boolean(b) => Some(b.to_string()),
        other => {
            p.add(
                v.span(),
                error::WRONG_TYPE,
                format!(
                    "decision.prefer.{axis} lists {}, expected compared values",
                    doc::type_name(other)
                ),
            );
            None
        }
    }
}
