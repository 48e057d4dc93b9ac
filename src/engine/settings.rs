//! The schema of the workspace settings: one table, [`SETTINGS`], says for every field of
//! [`Settings`] how it is written (the key of scenario files, engine scripts and
//! `[compare]`), what it may take, its default and what it means.
//!
//! Everything else reads the table: [`Settings::default`] is every entry's default,
//! [`Settings::validate`] checks every entry's range (never clamping), the scenario validator
//! and the script's `set KEY=VALUE` look keys up here and report the ranges given here, and
//! the configuration table of docs/engine.md is checked against [`markdown_table`]. A new
//! setting is a field of [`Settings`] plus one entry below.
//!
//! How a value is *spelled* in text (TOML values, script tokens, duration syntax) is the
//! caller's business; this module deals in typed [`Value`]s and knows no file format.

use crate::engine::config::{
    Capacity, CapacityCounts, ConfigError, MAX_CAPACITY, NotifyAssignment, RotationOrder, Settings,
};
use crate::engine::time::SimDuration;
use std::fmt::Write as _;

/// What a setting may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// On or off.
    Bool,
    /// `unlimited`, or 1 to [`MAX_CAPACITY`] chats.
    Capacity,
    /// A duration from `min` to `max` (both included).
    Duration {
        /// Shortest allowed.
        min: SimDuration,
        /// Longest allowed.
        max: SimDuration,
    },
    /// No duration at all, or one from `min` to `max`; `off` says how "none" is written.
    OptionalDuration {
        /// Shortest allowed.
        min: SimDuration,
        /// Longest allowed.
        max: SimDuration,
        /// How the absence of a duration is written.
        off: Off,
    },
    /// One of these spellings (in the order [`Value::Choice`] counts them).
    Choice(&'static [&'static str]),
}

/// How an [`Kind::OptionalDuration`] says "none".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Off {
    /// The value `off`.
    Word,
    /// By not being written; the bool setting `required_by` being on makes it required.
    Unset {
        /// Key of the bool setting that needs this one.
        required_by: &'static str,
    },
    /// By a separate on/off key (`menu`); the setting's own key (`menu_timeout`) gives the
    /// duration while it is on, `when_on` if none was ever given. The switch key also takes
    /// a duration itself, meaning "on, with this duration".
    Switch {
        /// The on/off key.
        key: &'static str,
        /// The duration when switched on without one.
        when_on: SimDuration,
    },
}

/// A setting's value, typed by its [`Kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// Of a [`Kind::Bool`].
    Bool(bool),
    /// Of a [`Kind::Capacity`].
    Capacity(Capacity),
    /// Of a [`Kind::Duration`].
    Duration(SimDuration),
    /// Of a [`Kind::OptionalDuration`]; `None` = off.
    OptionalDuration(Option<SimDuration>),
    /// Of a [`Kind::Choice`]: the index of its spelling.
    Choice(usize),
}

/// What a place that writes settings (a scenario table, a script `set` line) says about the
/// switch key of an [`Off::Switch`] setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    /// `menu = true`: on, with the duration given beside it, in force, or the default.
    On,
    /// `menu = false`.
    Off,
    /// `menu = "2m"`: on, with this duration.
    OnWith(SimDuration),
}

/// One entry of the schema.
#[derive(Clone, Copy, Debug)]
pub struct SettingSpec {
    /// The key as written in scenario files, scripts and `[compare]`.
    pub key: &'static str,
    /// What it may take.
    pub kind: Kind,
    /// Its value in [`Settings::default`].
    pub default: Value,
    /// One line: what it means.
    pub meaning: &'static str,
    /// Reads it from settings.
    pub get: fn(&Settings) -> Value,
    /// Writes it; a value of another kind is ignored (the table never passes one).
    pub set: fn(&mut Settings, Value),
}

const fn names<T: Copy, const N: usize>(options: &[(&'static str, T); N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = options[i].0;
        i += 1;
    }
    out
}

fn index_of<T: PartialEq>(options: &[(&str, T)], value: T) -> usize {
    options.iter().position(|(_, v)| *v == value).unwrap_or(0)
}

fn pick<T: Copy>(options: &[(&str, T)], value: Value) -> Option<T> {
    match value {
        Value::Choice(i) => options.get(i).map(|&(_, v)| v),
        _ => None,
    }
}

const CAPACITY_COUNTS: [(&str, CapacityCounts); 2] =
    [("all", CapacityCounts::All), ("auto", CapacityCounts::Auto)];
const ROTATION_ORDERS: [(&str, RotationOrder); 2] = [
    ("online-since", RotationOrder::OnlineSince),
    ("roster", RotationOrder::Roster),
];
const NOTIFY_ASSIGNMENT: [(&str, NotifyAssignment); 2] = [
    ("assignee-and-admins", NotifyAssignment::AssigneeAndAdmins),
    ("assignee", NotifyAssignment::Assignee),
];
const CAPACITY_COUNTS_NAMES: [&str; 2] = names(&CAPACITY_COUNTS);
const ROTATION_ORDER_NAMES: [&str; 2] = names(&ROTATION_ORDERS);
const NOTIFY_ASSIGNMENT_NAMES: [&str; 2] = names(&NOTIFY_ASSIGNMENT);

const ZERO: SimDuration = SimDuration::ZERO;
const DAY: SimDuration = SimDuration::from_hours(24);

/// Every workspace setting, in the order of [`Settings`]' fields (and of error listings).
pub static SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        key: "enabled",
        kind: Kind::Bool,
        default: Value::Bool(true),
        meaning: "auto-assignment on or off; off behaves like `manual` in every inbox",
        get: |s| Value::Bool(s.enabled),
        set: |s, v| {
            if let Value::Bool(b) = v {
                s.enabled = b;
            }
        },
    },
    SettingSpec {
        key: "max_chats_per_agent",
        kind: Kind::Capacity,
        default: Value::Capacity(Capacity::Unlimited),
        meaning: "how many chats an agent may hold before auto-routing skips them (an agent's own capacity wins)",
        get: |s| Value::Capacity(s.max_chats_per_agent),
        set: |s, v| {
            if let Value::Capacity(c) = v {
                s.max_chats_per_agent = c;
            }
        },
    },
    SettingSpec {
        key: "capacity_counts",
        kind: Kind::Choice(&CAPACITY_COUNTS_NAMES),
        default: Value::Choice(0),
        meaning: "which chats count against capacity: every assigned chat, or only auto-assigned ones (see [Load](#load))",
        get: |s| Value::Choice(index_of(&CAPACITY_COUNTS, s.capacity_counts)),
        set: |s, v| {
            if let Some(c) = pick(&CAPACITY_COUNTS, v) {
                s.capacity_counts = c;
            }
        },
    },
    SettingSpec {
        key: "reassign_on_offline",
        kind: Kind::Bool,
        default: Value::Bool(true),
        meaning: "move an offline agent's chats after the grace period",
        get: |s| Value::Bool(s.reassign_on_offline),
        set: |s, v| {
            if let Value::Bool(b) = v {
                s.reassign_on_offline = b;
            }
        },
    },
    SettingSpec {
        key: "offline_grace",
        kind: Kind::Duration { min: ZERO, max: DAY },
        // A connection blip should not move chats.
        default: Value::Duration(SimDuration::from_mins(1)),
        meaning: "how long an offline agent keeps their chats before they move; 0 moves them at the same instant",
        get: |s| Value::Duration(s.offline_grace),
        set: |s, v| {
            if let Value::Duration(d) = v {
                s.offline_grace = d;
            }
        },
    },
    SettingSpec {
        key: "rebalance_on_online",
        kind: Kind::Bool,
        default: Value::Bool(false),
        meaning: "give idle chats to an agent who becomes available (no effect under `manual`)",
        get: |s| Value::Bool(s.rebalance_on_online),
        set: |s, v| {
            if let Value::Bool(b) = v {
                s.rebalance_on_online = b;
            }
        },
    },
    SettingSpec {
        key: "rebalance_idle_threshold",
        kind: Kind::OptionalDuration {
            min: SimDuration::from_mins(1),
            max: DAY,
            off: Off::Unset {
                required_by: "rebalance_on_online",
            },
        },
        default: Value::OptionalDuration(None),
        meaning: "rebalancing moves only chats with no message for this long; required when it is on",
        get: |s| Value::OptionalDuration(s.rebalance_idle_threshold),
        set: |s, v| {
            if let Value::OptionalDuration(d) = v {
                s.rebalance_idle_threshold = d;
            }
        },
    },
    SettingSpec {
        key: "auto_close_after",
        kind: Kind::OptionalDuration {
            min: SimDuration::from_mins(30),
            // 30 days.
            max: SimDuration::from_mins(43_200),
            off: Off::Word,
        },
        default: Value::OptionalDuration(None),
        meaning: "close chats with no message for this long",
        get: |s| Value::OptionalDuration(s.auto_close_after),
        set: |s, v| {
            if let Value::OptionalDuration(d) = v {
                s.auto_close_after = d;
            }
        },
    },
    SettingSpec {
        key: "menu_timeout",
        kind: Kind::OptionalDuration {
            min: SimDuration::from_secs(10),
            max: SimDuration::from_hours(1),
            off: Off::Switch {
                key: "menu",
                when_on: SimDuration::from_mins(5),
            },
        },
        default: Value::OptionalDuration(None),
        meaning: "the auto-menu: customers pick a group, or the menu times out after this long",
        get: |s| Value::OptionalDuration(s.menu_timeout),
        set: |s, v| {
            if let Value::OptionalDuration(d) = v {
                s.menu_timeout = d;
            }
        },
    },
    SettingSpec {
        key: "group_routing",
        kind: Kind::Bool,
        default: Value::Bool(false),
        meaning: "route a grouped chat only to members of its group",
        get: |s| Value::Bool(s.group_routing),
        set: |s, v| {
            if let Value::Bool(b) = v {
                s.group_routing = b;
            }
        },
    },
    SettingSpec {
        key: "group_overflow_after",
        kind: Kind::OptionalDuration {
            min: ZERO,
            max: DAY,
            off: Off::Word,
        },
        default: Value::OptionalDuration(None),
        meaning: "how long after `needs_human_at` a grouped chat may go to anyone",
        get: |s| Value::OptionalDuration(s.group_overflow_after),
        set: |s, v| {
            if let Value::OptionalDuration(d) = v {
                s.group_overflow_after = d;
            }
        },
    },
    SettingSpec {
        key: "target_fallback_after",
        kind: Kind::Duration { min: ZERO, max: DAY },
        default: Value::Duration(SimDuration::from_mins(2)),
        meaning: "how long a targeted chat waits for its (live but full) target before normal routing",
        get: |s| Value::Duration(s.target_fallback_after),
        set: |s, v| {
            if let Value::Duration(d) = v {
                s.target_fallback_after = d;
            }
        },
    },
    SettingSpec {
        key: "rotation_order",
        kind: Kind::Choice(&ROTATION_ORDER_NAMES),
        default: Value::Choice(0),
        meaning: "round-robin order: by when agents came online, or the roster (see [Round-robin](#round-robin))",
        get: |s| Value::Choice(index_of(&ROTATION_ORDERS, s.rotation_order)),
        set: |s, v| {
            if let Some(o) = pick(&ROTATION_ORDERS, v) {
                s.rotation_order = o;
            }
        },
    },
    SettingSpec {
        key: "notify_assignment",
        kind: Kind::Choice(&NOTIFY_ASSIGNMENT_NAMES),
        default: Value::Choice(0),
        meaning: "recipients of CHAT_ASSIGNED",
        get: |s| Value::Choice(index_of(&NOTIFY_ASSIGNMENT, s.notify_assignment)),
        set: |s, v| {
            if let Some(n) = pick(&NOTIFY_ASSIGNMENT, v) {
                s.notify_assignment = n;
            }
        },
    },
];

/// The schema entry written with `key`, and whether `key` is its switch key (`menu`).
pub fn lookup(key: &str) -> Option<(&'static SettingSpec, bool)> {
    SETTINGS.iter().find_map(|spec| {
        if spec.key == key {
            Some((spec, false))
        } else {
            (spec.switch_key() == Some(key)).then_some((spec, true))
        }
    })
}

/// Every key a place that writes settings accepts, in schema order (a switch key before
/// the key it switches).
pub fn keys() -> impl Iterator<Item = &'static str> {
    SETTINGS
        .iter()
        .flat_map(|spec| spec.switch_key().into_iter().chain([spec.key]))
}

/// The settings with every entry at its default: what [`Settings::default`] returns.
pub(crate) fn defaults() -> Settings {
    // Every field is overwritten below: the schema has one entry per field (a unit test
    // checks it), so these placeholders never survive.
    let mut s = Settings {
        enabled: false,
        max_chats_per_agent: Capacity::Unlimited,
        capacity_counts: CapacityCounts::All,
        reassign_on_offline: false,
        offline_grace: ZERO,
        rebalance_on_online: false,
        rebalance_idle_threshold: None,
        auto_close_after: None,
        menu_timeout: None,
        group_routing: false,
        group_overflow_after: None,
        target_fallback_after: ZERO,
        rotation_order: RotationOrder::OnlineSince,
        notify_assignment: NotifyAssignment::AssigneeAndAdmins,
    };
    for spec in SETTINGS {
        (spec.set)(&mut s, spec.default);
    }
    s
}

/// Checks every entry of `s` against the schema: what [`Settings::validate`] does.
pub(crate) fn validate(s: &Settings) -> Result<(), ConfigError> {
    for spec in SETTINGS {
        let value = (spec.get)(s);
        spec.check(value)?;
        if let Kind::OptionalDuration {
            off: Off::Unset { required_by },
            ..
        } = spec.kind
            && value == Value::OptionalDuration(None)
            && lookup(required_by).is_some_and(|(r, _)| (r.get)(s) == Value::Bool(true))
        {
            return Err(ConfigError::MissingSetting {
                setting: spec.key,
                required_by,
                expected: spec.expected(),
            });
        }
    }
    Ok(())
}

impl SettingSpec {
    /// The on/off key of an [`Off::Switch`] setting.
    pub fn switch_key(&self) -> Option<&'static str> {
        match self.kind {
            Kind::OptionalDuration {
                off: Off::Switch { key, .. },
                ..
            } => Some(key),
            _ => None,
        }
    }

    /// The allowed range as error messages give it (`1m to 24h`, `1 to 100, or
    /// "unlimited"`); empty for kinds without a range.
    pub fn expected(&self) -> String {
        match self.kind {
            Kind::Capacity => format!("1 to {MAX_CAPACITY}, or \"unlimited\""),
            Kind::Duration { min, max } | Kind::OptionalDuration { min, max, .. } => {
                format!("{min} to {max}")
            }
            Kind::Bool | Kind::Choice(_) => String::new(),
        }
    }

    /// The message for a value outside the range, `written` as the user wrote it.
    pub fn out_of_range(&self, written: &str) -> String {
        format!(
            "{} {written} is out of range (expected {})",
            self.key,
            self.expected()
        )
    }

    /// Refuses a value outside the range; never clamps.
    pub fn check(&self, value: Value) -> Result<(), ConfigError> {
        let bad = match (self.kind, value) {
            (Kind::Capacity, Value::Capacity(Capacity::Limited(n))) if !(1..=MAX_CAPACITY).contains(&n) => {
                Some(n.to_string())
            }
            (Kind::Duration { min, max }, Value::Duration(d))
            | (Kind::OptionalDuration { min, max, .. }, Value::OptionalDuration(Some(d)))
                if d < min || d > max =>
            {
                Some(d.to_string())
            }
            _ => None,
        };
        match bad {
            Some(value) => Err(ConfigError::OutOfRange {
                setting: self.key,
                value,
                expected: self.expected(),
            }),
            None => Ok(()),
        }
    }

    /// The value after one place writes this setting on top of `current`: `value` is what
    /// its own key says, `switch` what its switch key says (only for [`Off::Switch`]).
    /// A duration written while the switch is off is dropped (the setting is off).
    pub fn combine(&self, current: Value, switch: Option<Switch>, value: Option<Value>) -> Value {
        let Kind::OptionalDuration {
            off: Off::Switch { when_on, .. },
            ..
        } = self.kind
        else {
            return value.unwrap_or(current);
        };
        let current = match current {
            Value::OptionalDuration(d) => d,
            _ => None,
        };
        let written = match value {
            Some(Value::OptionalDuration(d)) => d,
            Some(Value::Duration(d)) => Some(d),
            _ => None,
        };
        let (on, with) = match switch {
            Some(Switch::On) => (true, None),
            Some(Switch::Off) => (false, None),
            Some(Switch::OnWith(d)) => (true, Some(d)),
            None => (current.is_some(), None),
        };
        Value::OptionalDuration(on.then(|| with.or(written).or(current).unwrap_or(when_on)))
    }

    /// A value as a scenario file writes it (`true`, `"unlimited"`, `3`, `"1m"`, `"off"`,
    /// `"online-since"`); an unset optional duration is `none`.
    pub fn display(&self, value: Value) -> String {
        match (self.kind, value) {
            (_, Value::Bool(b)) => b.to_string(),
            (_, Value::Capacity(Capacity::Unlimited)) => "\"unlimited\"".to_owned(),
            (_, Value::Capacity(Capacity::Limited(n))) => n.to_string(),
            (_, Value::Duration(d) | Value::OptionalDuration(Some(d))) => format!("\"{d}\""),
            (Kind::OptionalDuration { off, .. }, Value::OptionalDuration(None)) => match off {
                Off::Word => "\"off\"".to_owned(),
                Off::Unset { .. } => "none".to_owned(),
                Off::Switch { .. } => "false".to_owned(),
            },
            (_, Value::OptionalDuration(None)) => "none".to_owned(),
            (Kind::Choice(names), Value::Choice(i)) => {
                format!("\"{}\"", names.get(i).copied().unwrap_or("?"))
            }
            (_, Value::Choice(i)) => i.to_string(),
        }
    }

    /// The values it takes, as the configuration table of docs/engine.md lists them.
    pub fn values_text(&self) -> String {
        match self.kind {
            Kind::Bool => "`true`, `false`".to_owned(),
            Kind::Capacity => format!("`\"unlimited\"`, or 1 to {MAX_CAPACITY}"),
            Kind::Duration { min, max } => format!("`\"{min}\"` to `\"{max}\"`"),
            Kind::OptionalDuration { min, max, off } => match off {
                Off::Word => format!("`\"off\"`, or `\"{min}\"` to `\"{max}\"`"),
                Off::Unset { required_by } => {
                    format!("`\"{min}\"` to `\"{max}\"`; required when `{required_by}` is on")
                }
                Off::Switch { key, .. } => format!(
                    "`{key}`: `true`, `false`, or the timeout itself; `{}`: `\"{min}\"` to `\"{max}\"`",
                    self.key
                ),
            },
            Kind::Choice(names) => names
                .iter()
                .map(|n| format!("`\"{n}\"`"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The default as the configuration table of docs/engine.md gives it.
    pub fn default_text(&self) -> String {
        match self.kind {
            Kind::OptionalDuration {
                off: Off::Switch { when_on, .. },
                ..
            } => format!("`{}`; `\"{when_on}\"`", self.display(self.default)),
            _ => match self.display(self.default) {
                none if none == "none" => none,
                text => format!("`{text}`"),
            },
        }
    }
}

/// The configuration table of docs/engine.md (Markdown), one row per setting; the docs must
/// contain it verbatim (an integration test checks).
pub fn markdown_table() -> String {
    let mut out = String::from("| setting | meaning | values | default |\n|---|---|---|---|\n");
    for spec in SETTINGS {
        let key = match spec.switch_key() {
            Some(switch) => format!("`{switch}` / `{}`", spec.key),
            None => format!("`{}`", spec.key),
        };
        let _ = writeln!(
            out,
            "| {key} | {} | {} | {} |",
            spec.meaning,
            spec.values_text(),
            spec.default_text()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of each kind worth trying: the default, the ends of the range, each choice.
    fn samples(spec: &SettingSpec) -> Vec<Value> {
        let mut out = vec![spec.default];
        match spec.kind {
            Kind::Bool => out.extend([Value::Bool(false), Value::Bool(true)]),
            Kind::Capacity => out.extend([
                Value::Capacity(Capacity::Limited(1)),
                Value::Capacity(Capacity::Limited(MAX_CAPACITY)),
                Value::Capacity(Capacity::Unlimited),
            ]),
            Kind::Duration { min, max } => out.extend([Value::Duration(min), Value::Duration(max)]),
            Kind::OptionalDuration { min, max, .. } => out.extend([
                Value::OptionalDuration(Some(min)),
                Value::OptionalDuration(Some(max)),
                Value::OptionalDuration(None),
            ]),
            Kind::Choice(names) => out.extend((0..names.len()).map(Value::Choice)),
        }
        out
    }

    #[test]
    fn every_key_round_trips_its_default_and_its_range() {
        let defaults = Settings::default();
        for spec in SETTINGS {
            assert_eq!((spec.get)(&defaults), spec.default, "{}", spec.key);
            for value in samples(spec) {
                let mut s = Settings::default();
                (spec.set)(&mut s, value);
                assert_eq!((spec.get)(&s), value, "{} {value:?}", spec.key);
                assert_eq!(spec.check(value), Ok(()), "{} {value:?}", spec.key);
            }
        }
        assert_eq!(defaults.validate(), Ok(()));
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::default();
        assert_eq!(s.offline_grace, SimDuration::from_mins(1));
        assert_eq!(s.target_fallback_after, SimDuration::from_mins(2));
        assert_eq!(s.max_chats_per_agent, Capacity::Unlimited);
        assert!(s.enabled && s.reassign_on_offline);
        assert!(!s.rebalance_on_online && !s.group_routing);
        assert_eq!(s.menu_timeout, None);
        assert_eq!(s.rotation_order, RotationOrder::OnlineSince);
        assert_eq!(s.notify_assignment, NotifyAssignment::AssigneeAndAdmins);
        assert_eq!(s.capacity_counts, CapacityCounts::All);
    }

    #[test]
    fn out_of_range_is_refused_with_the_range() {
        let cases = [
            (
                "max_chats_per_agent",
                Value::Capacity(Capacity::Limited(0)),
                "max_chats_per_agent 0 is out of range (expected 1 to 100, or \"unlimited\")",
            ),
            (
                "max_chats_per_agent",
                Value::Capacity(Capacity::Limited(101)),
                "max_chats_per_agent 101 is out of range (expected 1 to 100, or \"unlimited\")",
            ),
            (
                "offline_grace",
                Value::Duration(SimDuration::from_hours(25)),
                "offline_grace 25h is out of range (expected 0s to 24h)",
            ),
            (
                "rebalance_idle_threshold",
                Value::OptionalDuration(Some(SimDuration::from_secs(59))),
                "rebalance_idle_threshold 59s is out of range (expected 1m to 24h)",
            ),
            (
                "auto_close_after",
                Value::OptionalDuration(Some(SimDuration::from_mins(29))),
                "auto_close_after 29m is out of range (expected 30m to 720h)",
            ),
            (
                "auto_close_after",
                Value::OptionalDuration(Some(SimDuration::from_mins(43_201))),
                "auto_close_after 720h1m is out of range (expected 30m to 720h)",
            ),
            (
                "menu_timeout",
                Value::OptionalDuration(Some(SimDuration::from_secs(9))),
                "menu_timeout 9s is out of range (expected 10s to 1h)",
            ),
            (
                "menu_timeout",
                Value::OptionalDuration(Some(SimDuration::from_secs(3_601))),
                "menu_timeout 1h1s is out of range (expected 10s to 1h)",
            ),
            (
                "group_overflow_after",
                Value::OptionalDuration(Some(SimDuration::from_hours(25))),
                "group_overflow_after 25h is out of range (expected 0s to 24h)",
            ),
            (
                "target_fallback_after",
                Value::Duration(SimDuration::from_hours(25)),
                "target_fallback_after 25h is out of range (expected 0s to 24h)",
            ),
        ];
        for (key, value, message) in cases {
            let (spec, _) = lookup(key).unwrap();
            let err = spec.check(value).unwrap_err();
            assert_eq!(err.to_string(), message);
            // Settings::validate reports the same, and the value is kept, not clamped.
            let mut s = Settings::default();
            (spec.set)(&mut s, value);
            assert_eq!(s.validate(), Err(err));
            assert_eq!((spec.get)(&s), value);
        }
        let s = Settings {
            rebalance_on_online: true,
            ..Settings::default()
        };
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "rebalance_on_online needs rebalance_idle_threshold (1m to 24h)"
        );
    }

    #[test]
    fn every_field_has_exactly_one_entry() {
        // As many entries as fields…
        let fields = serde_json::to_value(Settings::default()).unwrap();
        let fields = fields.as_object().unwrap();
        assert_eq!(SETTINGS.len(), fields.len());
        // …each writing its own field and no other…
        for spec in SETTINGS {
            let base = Settings::default();
            let other = samples(spec).into_iter().find(|v| *v != spec.default).unwrap();
            let mut s = base.clone();
            (spec.set)(&mut s, other);
            assert_ne!(s, base, "{} writes nothing", spec.key);
            for o in SETTINGS.iter().filter(|o| o.key != spec.key) {
                assert_eq!((o.get)(&s), (o.get)(&base), "{} also writes {}", spec.key, o.key);
            }
        }
        // …keys unique, and named like the fields they hold (the serde names).
        let keys: Vec<&str> = keys().collect();
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
        for spec in SETTINGS {
            assert!(fields.contains_key(spec.key), "{} is not a field", spec.key);
        }
    }

    #[test]
    fn choices_are_spelled_as_serde_spells_them() {
        let s = Settings::default();
        for spec in SETTINGS {
            if let Kind::Choice(names) = spec.kind {
                for (i, name) in names.iter().enumerate() {
                    let mut t = s.clone();
                    (spec.set)(&mut t, Value::Choice(i));
                    let json = serde_json::to_value(&t).unwrap();
                    assert_eq!(json[spec.key], *name, "{}", spec.key);
                }
            }
        }
    }

    #[test]
    fn a_switch_and_its_duration_combine_in_any_order() {
        let (menu, is_switch) = lookup("menu").unwrap();
        assert!(is_switch && menu.key == "menu_timeout");
        let off = Value::OptionalDuration(None);
        let on = |m| Value::OptionalDuration(Some(SimDuration::from_mins(m)));
        let two = Some(on(2));
        assert_eq!(menu.combine(off, Some(Switch::On), None), on(5));
        assert_eq!(menu.combine(off, Some(Switch::On), two), on(2));
        assert_eq!(menu.combine(off, None, two), off);
        assert_eq!(menu.combine(on(3), None, two), on(2));
        assert_eq!(menu.combine(on(3), Some(Switch::On), None), on(3));
        assert_eq!(menu.combine(on(3), Some(Switch::Off), two), off);
        assert_eq!(
            menu.combine(off, Some(Switch::OnWith(SimDuration::from_mins(7))), None),
            on(7)
        );
        let (grace, _) = lookup("offline_grace").unwrap();
        assert_eq!(grace.combine(grace.default, None, None), grace.default);
    }
}
