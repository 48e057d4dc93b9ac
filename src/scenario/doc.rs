//! A located view of a parsed TOML document for validation.
//!
//! Serde would stop at the first problem; a scenario must report *all* of them with their
//! positions. So the file is parsed into toml's spanned tree and walked by hand: every
//! getter checks the type, records a located error on a mismatch and carries on, and every
//! table checks its keys against the known ones (with a "did you mean").

use crate::engine::SimDuration;
use crate::scenario::error::{self, Rule, did_you_mean};
use crate::script::parse_duration;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Problems collected so far: byte span, rule, message.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub(crate) list: Vec<(Range<usize>, Rule, String)>,
}

impl Problems {
    /// The problems as located errors in `path`, in file order.
    pub(crate) fn into_errors(self, text: &str, path: &std::path::Path) -> Vec<error::ScenarioError> {
        let lines = error::LineIndex::new(text);
        let mut list = self.list;
        // In file order, so the positions on one long line are counted in one pass.
        list.sort_by_key(|(span, _, _)| span.start);
        let mut errors: Vec<error::ScenarioError> = list
            .into_iter()
            .map(|(span, rule, message)| {
                let (line, column) = lines.line_col(span.start);
                error::ScenarioError {
                    path: path.to_owned(),
                    line,
                    column,
                    rule,
                    message,
                }
            })
            .collect();
        errors.sort_by_key(|e| (e.line, e.column));
        errors
    }

    pub(crate) fn add(&mut self, span: Range<usize>, rule: Rule, message: impl Into<String>) {
        self.list.push((span, rule, message.into()));
    }
}

/// A value and where it is.
pub(crate) type Val<'a, 'i> = &'a Spanned<DeValue<'i>>;

/// A table being validated: its entries, its span and its dotted name for messages.
#[derive(Clone, Copy)]
pub(crate) struct Table<'a, 'i> {
    pub(crate) map: &'a DeTable<'i>,
    /// Where the table starts (missing-key errors point here).
    pub(crate) start: usize,
    pub(crate) name: &'a str,
}

pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'a, 'i> Table<'a, 'i> {
    /// The value as a table, or an error.
    pub(crate) fn of(v: Val<'a, 'i>, name: &'a str, p: &mut Problems) -> Option<Self> {
        match v.get_ref() {
            DeValue::Table(map) => Some(Self {
                map,
                start: v.span().start,
                name,
            }),
            other => {
                p.add(
                    v.span(),
                    error::WRONG_TYPE,
                    format!("{name} must be a table, found {}", type_name(other)),
                );
                None
            }
        }
    }

    /// Reports every key not in `known`.
    pub(crate) fn check_keys(&self, known: &[&str], p: &mut Problems) {
        for (key, _) in self.map.iter() {
            let k: &str = key.get_ref();
            if known.contains(&k) {
                continue;
            }
            let place = if self.name.is_empty() {
                String::new()
            } else {
                format!(" in {}", self.name)
            };
            let mut msg = format!(
                "unknown key \"{}\"{place} (expected one of: {})",
                crate::util::text::clip(k),
                known.join(", ")
            );
            if let Some(s) = did_you_mean(k, known.iter().copied()) {
                msg.push_str(&format!("; did you mean \"{s}\"?"));
            }
            p.add(key.span(), error::UNKNOWN_KEY, msg);
        }
    }

    /// An empty span at the table's start.
    pub(crate) fn span(&self) -> Range<usize> {
        self.start..self.start
    }

    pub(crate) fn get(&self, key: &str) -> Option<Val<'a, 'i>> {
        self.map.get(key)
    }

    /// `key` as messages name it: `[engine].enabled`.
    pub(crate) fn path(&self, key: &str) -> String {
        if self.name.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.name)
        }
    }

    /// A required key's value, or a "missing" error at the table.
    pub(crate) fn require(&self, key: &str, p: &mut Problems) -> Option<Val<'a, 'i>> {
        let v = self.get(key);
        if v.is_none() {
            let at = if self.name.is_empty() {
                "the scenario".to_owned()
            } else {
                self.name.to_owned()
            };
            p.add(
                self.span(),
                error::MISSING,
                format!("missing key \"{key}\" in {at}"),
            );
        }
        v
    }

    pub(crate) fn str(&self, key: &str, p: &mut Problems) -> Option<(&'a str, Range<usize>)> {
        let v = self.get(key)?;
        as_str(v, &self.path(key), p)
    }

    pub(crate) fn bool(&self, key: &str, p: &mut Problems) -> Option<bool> {
        let v = self.get(key)?;
        as_bool(v, &self.path(key), p)
    }

    /// A number (integer or float).
    pub(crate) fn number(&self, key: &str, p: &mut Problems) -> Option<(f64, Range<usize>)> {
        let v = self.get(key)?;
        as_number(v, &self.path(key), p).map(|n| (n, v.span()))
    }

    /// A whole number.
    pub(crate) fn integer(&self, key: &str, p: &mut Problems) -> Option<(i64, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Integer(i) => match int_value(i) {
                Some(n) => Some((n, v.span())),
                None => {
                    p.add(
                        v.span(),
                        error::OUT_OF_RANGE,
                        format!("{} is too large", self.path(key)),
                    );
                    None
                }
            },
            other => {
                p.add(
                    v.span(),
                    error::WRONG_TYPE,
                    format!(
                        "{} must be a whole number, found {}",
                        self.path(key),
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    /// A whole number in `lo..=hi`; too large to hold is out of range too.
    pub(crate) fn integer_in(&self, key: &str, lo: i64, hi: i64, p: &mut Problems) -> Option<i64> {
        let v = self.get(key)?;
        let DeValue::Integer(i) = v.get_ref() else {
            return self.integer(key, p).map(|(n, _)| n);
        };
        let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
        match int_value(i) {
            Some(n) if (lo..=hi).contains(&n) => Some(n),
            _ => {
                p.add(
                    v.span(),
                    error::OUT_OF_RANGE,
                    format!(
                        "{} {digits} is out of range (expected {lo} to {hi})",
                        self.path(key)
                    ),
                );
                None
            }
        }
    }

    /// A duration string; `allow_off` also accepts "off" (→ `Some(None)`).
    pub(crate) fn duration(
        &self,
        key: &str,
        allow_off: bool,
        p: &mut Problems,
    ) -> Option<(Option<SimDuration>, Range<usize>)> {
        let v = self.get(key)?;
        as_duration(v, &self.path(key), allow_off, p).map(|d| (d, v.span()))
    }

    pub(crate) fn array(&self, key: &str, p: &mut Problems) -> Option<&'a [Spanned<DeValue<'i>>]> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Array(items) => Some(&items[..]),
            other => {
                p.add(
                    v.span(),
                    error::WRONG_TYPE,
                    format!("{} must be an array, found {}", self.path(key), type_name(other)),
                );
                None
            }
        }
    }

    /// One of `options`, with a suggestion for near misses.
    pub(crate) fn choice<T: Copy>(
        &self,
        key: &str,
        what: &str,
        options: &[(&str, T)],
        p: &mut Problems,
    ) -> Option<T> {
        let v = self.get(key)?;
        choice(v, what, options, p)
    }
}

/// A TOML integer's value; `None` when it does not fit in 64 bits.
pub(crate) fn int_value(i: &toml::de::DeInteger<'_>) -> Option<i64> {
    let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
    i64::from_str_radix(&digits, i.radix()).ok()
}

pub(crate) fn as_str<'a>(v: Val<'a, '_>, name: &str, p: &mut Problems) -> Option<(&'a str, Range<usize>)> {
    match v.get_ref() {
        DeValue::String(s) => Some((s.as_ref(), v.span())),
        other => {
            p.add(
                v.span(),
                error::WRONG_TYPE,
                format!("{name} must be a string, found {}", type_name(other)),
            );
            None
        }
    }
}

pub(crate) fn as_bool(v: Val<'_, '_>, name: &str, p: &mut Problems) -> Option<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        other => {
            p.add(
                v.span(),
                error::WRONG_TYPE,
                format!("{name} must be true or false, found {}", type_name(other)),
            );
            None
        }
    }
}

pub(crate) fn as_number(v: Val<'_, '_>, name: &str, p: &mut Problems) -> Option<f64> {
    let parsed = match v.get_ref() {
        DeValue::Integer(i) => int_value(i).map(|n| n as f64),
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        other => {
            p.add(
                v.span(),
                error::WRONG_TYPE,
                format!("{name} must be a number, found {}", type_name(other)),
            );
            return None;
        }
    };
    match parsed {
        Some(n) if n.is_finite() => Some(n),
        _ => {
            p.add(
                v.span(),
                error::OUT_OF_RANGE,
                format!("{name} must be a finite number"),
            );
            None
        }
    }
}

pub(crate) fn as_duration(
    v: Val<'_, '_>,
    name: &str,
    allow_off: bool,
    p: &mut Problems,
) -> Option<Option<SimDuration>> {
    if !matches!(v.get_ref(), DeValue::String(_)) {
        let off = if allow_off { " or \"off\"" } else { "" };
        p.add(
            v.span(),
            error::WRONG_TYPE,
            format!(
                "{name} must be a duration such as \"90s\", \"5m\" or \"1h30m\"{off}, found {}",
                type_name(v.get_ref())
            ),
        );
        return None;
    }
    let (text, span) = as_str(v, name, p)?;
    if allow_off && text == "off" {
        return Some(None);
    }
    match parse_duration(text) {
        Ok(d) => Some(Some(d)),
        Err(msg) => {
            let hint = if allow_off { " or \"off\"" } else { "" };
            p.add(span, error::BAD_DURATION, format!("{name}: {msg}{hint}"));
            None
        }
    }
}

pub(crate) fn choice<T: Copy>(
    v: Val<'_, '_>,
    what: &str,
    options: &[(&str, T)],
    p: &mut Problems,
) -> Option<T> {
    let (text, span) = as_str(v, what, p)?;
    if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
        return Some(*value);
    }
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let mut msg = format!(
        "unknown {what} \"{}\" (expected one of: {}",
        crate::util::text::clip(text),
        names.join(", ")
    );
    if let Some(s) = did_you_mean(text, names.iter().copied()) {
        msg.push_str(&format!("; did you mean \"{s}\"?"));
    }
    msg.push(')');
    p.add(span, error::UNKNOWN_VALUE, msg);
    None
}
