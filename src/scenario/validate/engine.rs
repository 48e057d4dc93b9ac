//! `[engine]`: the default strategy, groups and every engine setting, read through the
//! settings schema (docs/engine.md#configuration); and the run kind (`run`, `warmup`,
//! `drain_limit`).

use super::{MAX_GROUPS, Walk, strategies};
use crate::engine::config::MAX_CAPACITY;
use crate::engine::settings::{Kind, Off, SETTINGS, SettingSpec, Switch, Value};
use crate::engine::{Capacity, ConfigError, Settings, SimDuration, StrategyKind};
use crate::scenario::RunKind;
use crate::scenario::doc::{self, Problems, Table, Val, type_name};
use crate::scenario::error;
use std::ops::Range;
use toml::de::DeValue;

impl Walk<'_> {
    pub(super) fn run_kind(
        &mut self,
        top: Table<'_, '_>,
        steady: bool,
        horizon: Option<SimDuration>,
        warmup: Option<(Option<SimDuration>, Range<usize>)>,
        drain_limit: Option<(Option<SimDuration>, Range<usize>)>,
    ) -> Option<RunKind> {
        let p = &mut self.p;
        if steady {
            if let Some((_, span)) = &drain_limit {
                p.add(
                    span.clone(),
                    error::RUN_KIND,
                    "drain_limit applies to terminating runs only (this run is steady-state)",
                );
            }
            let Some((warmup, span)) = warmup else {
                let span = top.get("run").map_or(0..0, |v| v.span());
                p.add(
                    span,
                    error::RUN_KIND,
                    "a steady-state run needs a warmup (e.g. warmup = \"2h\")",
                );
                return None;
            };
            let warmup = warmup?;
            if horizon.is_some_and(|h| warmup >= h) {
                p.add(
                    span,
                    error::RUN_KIND,
                    format!("warmup {warmup} must be shorter than the horizon"),
                );
                return None;
            }
            Some(RunKind::SteadyState { warmup })
        } else {
            if let Some((_, span)) = &warmup {
                p.add(
                    span.clone(),
                    error::RUN_KIND,
                    "warmup applies to steady-state runs only (set run = \"steady-state\")",
                );
            }
            let drain_limit = match drain_limit {
                Some((d, span)) => {
                    let d = d?;
                    if d > SimDuration::from_hours(24 * 7) {
                        p.add(
                            span,
                            error::OUT_OF_RANGE,
                            format!("drain_limit {d} is out of range (expected at most 7 days)"),
                        );
                        return None;
                    }
                    d
                }
                None => SimDuration::from_hours(4),
            };
            Some(RunKind::Terminating { drain_limit })
        }
    }

    pub(super) fn engine(&mut self, v: Val<'_, '_>) -> (Option<Settings>, Vec<String>, Option<StrategyKind>) {
        let p = &mut self.p;
        let Some(t) = Table::of(v, "[engine]", p) else {
            return (None, Vec::new(), None);
        };
        t.check_keys(&super::engine_keys(), p);
        let mut groups: Vec<String> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        if let Some(items) = t.array("groups", p) {
            for item in items {
                if let Some((g, span)) = doc::as_str(item, "a group name", p) {
                    if !super::teams::named(g, span.clone(), "group", "", "billing", p) {
                        continue;
                    }
                    if !seen.insert(g) {
                        p.add(
                            span,
                            error::DUPLICATE_NAME,
                            format!("group \"{g}\" is declared twice"),
                        );
                    } else {
                        groups.push(g.to_owned());
                    }
                }
            }
            if groups.len() > MAX_GROUPS {
                p.add(
                    t.get("groups").map_or(t.span(), |v| v.span()),
                    error::SIZE,
                    format!(
                        "[engine].groups declares {} groups (expected at most {MAX_GROUPS}; docs/workload.md#sizes-and-limits)",
                        groups.len()
                    ),
                );
            }
        }
        let strategy = t
            .require("strategy", p)
            .and_then(|_| t.choice("strategy", "strategy", &strategies(), p));
        let settings = settings(t, Settings::default(), p);
        (settings, groups, strategy)
    }
}

/// The settings written in `t` (an `[engine]` table or a schedule entry) on top of `base`,
/// every key read through the schema ([`SETTINGS`]); `None` if any of them is invalid.
fn settings(t: Table<'_, '_>, base: Settings, p: &mut Problems) -> Option<Settings> {
    let s = read_settings(t, base, p)?;
    complete(t, s, p)
}

/// The values written in `t` on top of `base`, each checked on its own; `None` if any of
/// them is invalid. Whether they go together is [`complete`]'s question.
pub(super) fn read_settings(t: Table<'_, '_>, base: Settings, p: &mut Problems) -> Option<Settings> {
    let mut s = base;
    let problems_before = p.list.len();
    for spec in SETTINGS {
        let value = t
            .get(spec.key)
            .and_then(|v| setting_value(spec, v, &t.path(spec.key), p));
        let switch = spec
            .switch_key()
            .and_then(|key| t.get(key).and_then(|v| switch_value(spec, v, &t.path(key), p)));
        let combined = spec.combine((spec.get)(&s), switch, value);
        (spec.set)(&mut s, combined);
    }
    // Any problem leaves the settings unusable (and a missing setting would only repeat it).
    (p.list.len() == problems_before).then_some(s)
}

/// `s` if its settings go together (a setting another one needs is there); otherwise an
/// error at the setting that needs it in `t`.
pub(super) fn complete(t: Table<'_, '_>, s: Settings, p: &mut Problems) -> Option<Settings> {
    match s.validate() {
        Ok(()) => Some(s),
        Err(e) => {
            // Every value was checked as it was read: only a setting another one needs can be missing.
            let at = match e {
                ConfigError::MissingSetting { required_by, .. } => t.get(required_by).map(|v| v.span()),
                _ => None,
            };
            p.add(at.unwrap_or(t.span()), error::MISSING, e.to_string());
            None
        }
    }
}

/// One value written for `spec`'s own key, read through the schema: its kind says what it
/// may be, its range what it may take; `name` is what messages call it (`[engine].enabled`).
pub(in crate::scenario) fn setting_value(
    spec: &SettingSpec,
    v: Val<'_, '_>,
    name: &str,
    p: &mut Problems,
) -> Option<Value> {
    let value = match spec.kind {
        Kind::Bool => Value::Bool(doc::as_bool(v, name, p)?),
        Kind::Capacity => match v.get_ref() {
            DeValue::String(text) if text == "unlimited" => Value::Capacity(Capacity::Unlimited),
            _ => Value::Capacity(capacity(v, spec.key, p)?),
        },
        Kind::Duration { .. } => Value::Duration(doc::as_duration(v, name, false, p)??),
        Kind::OptionalDuration { off, .. } => {
            Value::OptionalDuration(doc::as_duration(v, name, off == Off::Word, p)?)
        }
        Kind::Choice(names) => {
            let options: Vec<(&str, usize)> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
            Value::Choice(doc::choice(v, spec.key, &options, p)?)
        }
    };
    checked(spec, value, v, p)
}

/// The value written for `spec`'s switch key (`menu`): on or off, or the duration itself.
pub(in crate::scenario) fn switch_value(
    spec: &SettingSpec,
    v: Val<'_, '_>,
    name: &str,
    p: &mut Problems,
) -> Option<Switch> {
    match v.get_ref() {
        DeValue::Boolean(true) => Some(Switch::On),
        DeValue::Boolean(false) => Some(Switch::Off),
        DeValue::String(_) => {
            let d = doc::as_duration(v, name, false, p)??;
            checked(spec, Value::OptionalDuration(Some(d)), v, p).map(|_| Switch::OnWith(d))
        }
        other => {
            p.add(
                v.span(),
                error::WRONG_TYPE,
                format!(
                    "{name} must be true or false (or the {} itself), found {}",
                    spec.key,
                    type_name(other)
                ),
            );
            None
        }
    }
}

/// `value` if the schema's range admits it; otherwise an error at `v`.
pub(super) fn checked(spec: &SettingSpec, value: Value, v: Val<'_, '_>, p: &mut Problems) -> Option<Value> {
    match spec.check(value) {
        Ok(()) => Some(value),
        Err(e) => {
            p.add(v.span(), error::OUT_OF_RANGE, e.to_string());
            None
        }
    }
}

pub(super) fn capacity(v: Val<'_, '_>, key: &str, p: &mut Problems) -> Option<Capacity> {
    match v.get_ref() {
        DeValue::Integer(i) => {
            let n = doc::int_value(i).unwrap_or(-1);
            if (1..=i64::from(MAX_CAPACITY)).contains(&n) {
                Some(Capacity::Limited(n as u32))
            } else {
                p.add(
                    v.span(),
                    error::OUT_OF_RANGE,
                    format!(
                        "{key} {} is out of range (expected 1 to {MAX_CAPACITY}, or \"unlimited\")",
                        i.as_str()
                    ),
                );
                None
            }
        }
        DeValue::String(s) => {
            let hint = if error::did_you_mean(s, ["unlimited"]).is_some() {
                "; did you mean \"unlimited\"?"
            } else {
                ""
            };
            p.add(
                v.span(),
                error::UNKNOWN_VALUE,
                format!(
                    "{key} \"{s}\" is not a capacity (expected 1 to {MAX_CAPACITY}, or \"unlimited\"{hint})"
                ),
            );
            None
        }
        other => {
            p.add(
                v.span(),
                error::WRONG_TYPE,
                format!(
                    "{key} must be a whole number or \"unlimited\", found {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}
