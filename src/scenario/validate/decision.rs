//! `[decision]`: how the scenario chooses among its configurations (docs/decisions.md):
//! the objective, constraints written as conditions, a tolerance in the objective's unit
//! and preferences among equivalent configurations.
//!
//! Conditions are parsed by [`crate::decision::condition::parse`], the one parser that
//! `[decision]`, expectations and staffing targets share; its errors are located inside the
//! string. Whether `prefer` names compared settings is checked with the comparison matrix
//! (`compare.rs`), which knows the axes.

use crate::check::Expectation;
use crate::decision::condition::{self, Condition};
use crate::decision::{Decision, Prefer, PreferOrder};
use crate::metrics::catalogue::{self, Direction};
use crate::scenario::doc::{self, Problems, Table, Val};
use crate::scenario::error;
use std::ops::Range;
use toml::de::DeValue;

/// The keys of `[decision]`.
const KEYS: &[&str] = &["objective", "constraints", "tolerance", "prefer"];

/// A condition written as a TOML string at `span`; its errors are located at the offending
/// character.
pub(crate) fn condition_at(text: &str, span: Range<usize>, key: &str, p: &mut Problems) -> Option<Condition> {
    match condition::parse(text) {
        Ok(c) => Some(c),
        Err(e) => {
            // A one-line string without escapes is the text between two quotes: point at
            // the offending character. Otherwise (escapes, triple quotes, line
            // continuations) the file's bytes do not map one to one: point at the string.
            let at = if span.len() == text.len() + 2 {
                span.start + 1 + e.offset
            } else {
                span.start
            };
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
            let span = m.def.bounds.1 - m.def.bounds.0;
            match text.map(|s| m.unit().parse(&s)) {
                Some(Ok(x)) if x > span => {
                    p.add(
                        v.span(),
                        error::OUT_OF_RANGE,
                        format!(
                            "decision.tolerance {} is more than {} can ever differ",
                            m.unit().format_diff(x),
                            m.id
                        ),
                    );
                    None
                }
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
    let mut entries: Vec<(usize, String, Val<'_, '_>)> = Vec::new();
    for (key, value) in t.map.iter() {
        let name: &str = key.get_ref();
        // `team_size = { support = "lowest" }` names the axis `team_size.support`.
        match value.get_ref() {
            DeValue::Table(inner) => entries.extend(
                inner
                    .iter()
                    .map(|(k, v)| (k.span().start, format!("{name}.{}", k.get_ref()), v)),
            ),
            _ => entries.push((key.span().start, name.to_owned(), value)),
        }
    }
    // The table is read sorted by key; preferences apply in the order written.
    entries.sort_by_key(|(at, _, _)| *at);
    for (_, axis, value) in entries {
        let axis = axis.as_str();
        let order = match value.get_ref() {
            DeValue::String(s) if s.as_ref() == "lowest" => Some(PreferOrder::Lowest),
            DeValue::String(s) if s.as_ref() == "highest" => Some(PreferOrder::Highest),
            DeValue::Array(items) => {
                let values: Vec<String> = items
                    .iter()
                    .filter_map(|i| value_text(i, &format!("decision.prefer.{axis}"), p))
                    .collect();
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
fn value_text(v: Val<'_, '_>, name: &str, p: &mut Problems) -> Option<String> {
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
                format!("{name} lists {}, expected compared values", doc::type_name(other)),
            );
            None
        }
    }
}

/// `[[expect]]`: what a regression check requires (README.md, "Checks in CI"). Each has
/// `that` (a condition), optionally `where` (compared settings → a value or a list of
/// values; checked against the comparison matrix in `compare.rs`) and `name`.
pub(super) fn expectations(v: Val<'_, '_>, p: &mut Problems) -> Option<Vec<Expectation>> {
    let items: &[toml::Spanned<DeValue<'_>>] = match v.get_ref() {
        DeValue::Array(items) => items,
        other => {
            p.add(
                v.span(),
                error::WRONG_TYPE,
                format!(
                    "expect must be an array of tables ([[expect]]), found {}",
                    doc::type_name(other)
                ),
            );
            return None;
        }
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let Some(t) = Table::of(item, "[[expect]]", p) else {
            ok = false;
            continue;
        };
        t.check_keys(&["that", "where", "name"], p);
        let name = t.str("name", p).map(|(s, _)| s.to_owned());
        let condition = t
            .require("that", p)
            .and_then(|_| t.str("that", p))
            .and_then(|(text, span)| condition_at(text, span, "expect.that", p));
        let mut filter = Vec::new();
        if let Some(w) = t.get("where") {
            match Table::of(w, "expect.where", p) {
                Some(wt) => {
                    let mut entries: Vec<(String, Val<'_, '_>)> = Vec::new();
                    for (key, value) in wt.map.iter() {
                        let name: &str = key.get_ref();
                        // `team_size = { support = 8 }` names the axis `team_size.support`.
                        match value.get_ref() {
                            DeValue::Table(inner) => {
                                entries.extend(
                                    inner.iter().map(|(k, v)| (format!("{name}.{}", k.get_ref()), v)),
                                );
                            }
                            _ => entries.push((name.to_owned(), value)),
                        }
                    }
                    for (axis, value) in entries {
                        let axis = axis.as_str();
                        let values: Vec<String> = match value.get_ref() {
                            DeValue::Array(vs) => vs
                                .iter()
                                .filter_map(|x| value_text(x, &format!("expect.where.{axis}"), p))
                                .collect(),
                            _ => value_text(value, &format!("expect.where.{axis}"), p)
                                .into_iter()
                                .collect(),
                        };
                        filter.push((axis.to_owned(), values));
                    }
                }
                None => ok = false,
            }
        }
        match condition {
            Some(condition) => out.push(Expectation {
                name,
                condition,
                filter,
            }),
            None => ok = false,
        }
    }
    ok.then_some(out)
}
