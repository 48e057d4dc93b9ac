//! The comparison matrix: `[compare]` lists values for settings; cells are their
//! cartesian product, each a fully validated [`Scenario`].
//!
//! ```toml
//! [compare]
//! strategy = ["round-robin", "least-busy", "random"]   # any [engine] setting
//! max_chats_per_agent = [2, 3]
//! volume = [1.0, 1.2]                                  # the arrivals' volume multiplier
//! team_size = { support = [10, 12] }                   # a team's size
//! wind_down = { support = ["0s", "15m"] }              # a team's wind-down
//! bot_resolved = [0.0, 0.2, 0.4]                       # also: silent_abandonment, menu_choice,
//!                                                      # slowdown, takeover
//! baseline = { strategy = "round-robin", max_chats_per_agent = 3 }  # default: first values
//! ```
//! A cell is the scenario file with its values substituted, validated like any scenario,
//! so a value out of range is reported at its place in `[compare]`. Axes are ordered by key
//! (the last varies fastest); every cell shares the seed, so cells see the same customers.

use crate::engine::settings;
use crate::scenario::doc::{self, Problems, Table};
use crate::scenario::error::{self, ScenarioErrors, did_you_mean};
use crate::scenario::input::Files;
use crate::scenario::{Scenario, validate};
use std::path::Path;
use toml::Value;
use toml::de::{DeTable, DeValue};

/// The most configurations a `[compare]` matrix may make: each is validated, simulated
/// and reported (README.md, "Sizes").
pub const MAX_CONFIGURATIONS: usize = 10_000;

/// A validated experiment: the cells to compare and which one is the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The scenario as written (its own values, without `[compare]`).
    pub base: Scenario,
    /// The cells, in matrix order; a single cell (the base) without `[compare]`.
    pub cells: Vec<Cell>,
    /// Index of the baseline cell.
    pub baseline: usize,
}

impl Experiment {
    /// The cell `spec` names: its exact label (`cap 3, least-busy`), its index (`0`, `3`)
    /// or `key=value[,key=value…]` of compared settings (`strategy=least-busy`), the keys
    /// left out keeping the values of cell `reference`. Numbers match by value (`1` and
    /// `1.0` alike). The error says what did not match.
    pub fn select_cell(&self, spec: &str, reference: usize) -> Result<usize, String> {
        let spec = spec.trim();
        if let Some(i) = self.cells.iter().position(|c| c.label == spec) {
            return Ok(i);
        }
        if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) {
            return match spec.parse::<usize>() {
                Ok(i) if i < self.cells.len() => Ok(i),
                _ => Err(format!(
                    "there is no configuration {spec} (indexes go from 0 to {})",
                    self.cells.len() - 1
                )),
            };
        }
        if !spec.contains('=') {
            let mut msg = format!("no configuration is labelled \"{spec}\"");
            if let Some(s) = did_you_mean(spec, self.cells.iter().map(|c| c.label.as_str())) {
                msg.push_str(&format!(" (did you mean \"{s}\"?)"));
            }
            return Err(msg);
        }
        let reference = &self.cells[reference.min(self.cells.len() - 1)];
        let keys: Vec<&str> = reference.assignments.iter().map(|(k, _)| k.as_str()).collect();
        if keys.is_empty() {
            return Err(format!(
                "\"{spec}\" names compared settings, but the scenario has no [compare]"
            ));
        }
        let mut want = reference.assignments.clone();
        for pair in spec.split(',') {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(format!("\"{}\" is not key=value", pair.trim()));
            };
            let (key, value) = (key.trim(), value.trim());
            // A team's axis may be named by the team alone when only one axis has it.
            let by_leaf: Vec<&str> = keys.iter().copied().filter(|k| axis_leaf(k) == key).collect();
            let key = match (keys.iter().find(|k| **k == key), by_leaf.as_slice()) {
                (Some(k), _) => *k,
                (None, [k]) => *k,
                (None, _) => {
                    let mut msg = format!("\"{key}\" is not compared");
                    if let Some(s) = did_you_mean(key, keys.iter().copied()) {
                        msg.push_str(&format!(" (did you mean \"{s}\"?)"));
                    }
                    msg.push_str(&format!(" (compared: {})", keys.join(", ")));
                    return Err(msg);
                }
            };
            let values: Vec<&str> = self
                .cells
                .iter()
                .filter_map(|c| c.assignments.iter().find(|(k, _)| k == key))
                .map(|(_, v)| v.as_str())
                .fold(Vec::new(), |mut seen, v| {
                    if !seen.contains(&v) {
                        seen.push(v);
                    }
                    seen
                });
            let Some(found) = values.iter().find(|v| same_value(v, value)) else {
                return Err(format!(
                    "{key} = {value} is not compared (compared: {})",
                    values.join(", ")
                ));
            };
            if let Some(slot) = want.iter_mut().find(|(k, _)| k == key) {
                slot.1 = (*found).to_owned();
            }
        }
        self.cells
            .iter()
            .position(|c| c.assignments == want)
            .ok_or_else(|| format!("no configuration has {spec}"))
    }
}

/// Whether two compared values are the same, numerically when both are numbers or
/// durations (`120s` and `2m`, `0.20` and `0.2`), else as text. The one rule for matching a
/// value someone wrote (`where`, `prefer` lists, `trace --cell`) to a compared value.
pub fn same_value(a: &str, b: &str) -> bool {
    let num = |s: &str| {
        s.parse::<f64>().ok().or_else(|| {
            crate::script::parse_duration(s)
                .ok()
                .map(|d| d.as_millis() as f64 / 1000.0)
        })
    };
    a == b || matches!((num(a), num(b)), (Some(x), Some(y)) if x == y)
}

/// One configuration of the comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Short label for tables and charts, e.g. `least-busy, cap 2`.
    pub label: String,
    /// The settings varied, as (key, value) text.
    pub assignments: Vec<(String, String)>,
    /// The scenario with those values.
    pub scenario: Scenario,
    /// The data files the scenario names, read once for every cell and staffing level.
    files: Files,
    /// The scenario file's table with those values substituted (no `[compare]`): what
    /// [`Cell::with_team_size`] resizes a team in.
    table: toml::Table,
}

impl Cell {
    /// This configuration with team `team` resized to `agents` agents, as `[compare]
    /// team_size` resizes it (the same substitution, validated like any scenario), its
    /// agents named `team-01`, `team-02`… with at least `width` digits: with one width for
    /// every size, an agent keeps their name — and so their random streams (docs/workload.md,
    /// "Common random numbers") — whatever the size. Errors are the validator's.
    pub fn with_team_size(
        &self,
        team: &str,
        agents: usize,
        width: usize,
    ) -> Result<Scenario, ScenarioErrors> {
        let mut table = self.table.clone();
        apply(
            &mut table,
            &format!("team_size.{team}"),
            Value::Integer(i64::try_from(agents).unwrap_or(i64::MAX)),
        );
        // `size` names agents with max(2, digits of the size) digits; a wider width
        // lists the same agents by name instead.
        if width > agents.to_string().len().max(2)
            && let Some(Value::Array(teams)) = table.get_mut("teams")
        {
            for t in teams.iter_mut() {
                if let Value::Table(t) = t
                    && t.get("name").and_then(Value::as_str) == Some(team)
                {
                    t.remove("size");
                    let names = (1..=agents)
                        .map(|i| Value::String(format!("{team}-{i:0width$}")))
                        .collect();
                    t.insert("agents".to_owned(), Value::Array(names));
                }
            }
        }
        let text = toml::to_string(&table).unwrap_or_default();
        validate::validate(&text, &self.scenario.path, &self.files)
    }
}

/// One varied setting.
struct Axis {
    key: String,
    values: Vec<(Value, std::ops::Range<usize>)>,
}

/// Reads and validates a scenario file with its comparison matrix.
pub fn load_experiment(path: &Path) -> Result<Experiment, ScenarioErrors> {
    let text = super::read_scenario(path)?;
    experiment_from_str(&text, path)
}

/// Validates scenario text with its comparison matrix.
pub fn experiment_from_str(text: &str, path: &Path) -> Result<Experiment, ScenarioErrors> {
    // Every cell names the same data files: each is read once (docs/workload.md#traces).
    let files = Files::default();
    let base = validate::validate(text, path, &files)?;
    // The text is valid TOML: validation parsed it already.
    let root = DeTable::parse(text).map_err(|_| ScenarioErrors(Vec::new()))?;
    let Some(compare) = root.get_ref().get("compare") else {
        let mut p = Problems::default();
        check_prefer(root.get_ref(), &[], &mut p);
        check_where(root.get_ref(), &[], &mut p);
        check_baseline_conditions(root.get_ref(), &mut p);
        if !p.list.is_empty() {
            return Err(ScenarioErrors(p.into_errors(text, path)));
        }
        let cell = Cell {
            label: "as configured".to_owned(),
            assignments: Vec::new(),
            scenario: base.clone(),
            files,
            table: toml::from_str(text).map_err(|_| ScenarioErrors(Vec::new()))?,
        };
        return Ok(Experiment {
            base,
            cells: vec![cell],
            baseline: 0,
        });
    };
    let mut p = Problems::default();
    // Compared values the schema refuses (engine settings): reported where they are written.
    let mut refused = Problems::default();
    let (axes, baseline_spec) = axes(compare, &base, &mut p, &mut refused);
    let any_refused = !refused.list.is_empty();
    p.list.extend(refused.list);
    let full: toml::Table = toml::from_str(text).map_err(|_| ScenarioErrors(Vec::new()))?;
    let mut cells = Vec::new();
    // What has been reported at which compared value: a set, so that a thousand failing
    // cells are not compared with each other.
    let mut reported = std::collections::BTreeSet::new();
    // A value refused already would only be refused again by every cell that takes it.
    // Each configuration is validated and simulated: a matrix beyond the limit is refused
    // here, before any is built (README.md, "Sizes").
    let n = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_CONFIGURATIONS);
    if n.is_none() && !any_refused {
        let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
        let product = axes.iter().map(|a| a.values.len() as f64).product::<f64>();
        p.add(
            compare.span(),
            error::OUT_OF_RANGE,
            format!(
                "[compare] makes {} configurations ({}), more than chatsim runs in one experiment (at most {MAX_CONFIGURATIONS}): compare fewer values, or split the sweep into several scenarios",
                if product < 1e15 { format!("{product:.0}") } else { format!("{product:.1e}") },
                sizes.join(" × ")
            ),
        );
    }
    if let (false, false, Some(n)) = (axes.is_empty(), any_refused, n) {
        for index in 0..n {
            // Mixed-radix digits, the last axis varying fastest.
            let mut rest = index;
            let mut choice = vec![0; axes.len()];
            for (i, axis) in axes.iter().enumerate().rev() {
                choice[i] = rest % axis.values.len();
                rest /= axis.values.len();
            }
            let mut table = full.clone();
            table.remove("compare");
            let mut assignments = Vec::new();
            for (axis, &c) in axes.iter().zip(&choice) {
                let (value, _) = &axis.values[c];
                apply(&mut table, &axis.key, value.clone());
                assignments.push((axis.key.clone(), display(value)));
            }
            let cell_text = toml::to_string(&table).unwrap_or_default();
            match validate::validate(&cell_text, path, &files) {
                Ok(scenario) => cells.push(Cell {
                    label: label(&assignments),
                    assignments,
                    scenario,
                    files: files.clone(),
                    table,
                }),
                Err(errors) => {
                    // Report each problem at the compare value that caused it (once).
                    for e in errors.0 {
                        let culprit = axes
                            .iter()
                            .zip(&choice)
                            .find(|(axis, _)| e.message.contains(axis_leaf(&axis.key)));
                        let (axis, &c) = culprit.unwrap_or((&axes[0], &choice[0]));
                        let span = axis.values[c].1.clone();
                        let message = format!("compare.{}: {}", axis.key, e.message);
                        if reported.insert((span.start, span.end, message.clone())) {
                            p.add(span, e.rule, message);
                        }
                    }
                }
            }
        }
    }
    let baseline = match (&baseline_spec, p.list.is_empty()) {
        (Some((want, span)), true) => match cells
            .iter()
            .position(|c| want.iter().all(|kv| c.assignments.contains(kv)))
        {
            Some(i) => i,
            None => {
                p.add(
                    span.clone(),
                    error::UNKNOWN_VALUE,
                    "compare.baseline matches no cell (give one value of each compared setting)",
                );
                0
            }
        },
        _ => 0,
    };
    let axis_values: Vec<(String, Vec<String>)> = axes
        .iter()
        .map(|a| (a.key.clone(), a.values.iter().map(|(v, _)| display(v)).collect()))
        .collect();
    check_prefer(root.get_ref(), &axis_values, &mut p);
    check_where(root.get_ref(), &axis_values, &mut p);
    if !p.list.is_empty() {
        let errors = p.into_errors(text, path);
        return Err(ScenarioErrors(errors));
    }
    Ok(Experiment {
        base,
        cells,
        baseline,
    })
}

/// Without `[compare]` there is no baseline to compare with: a `baseline` condition would
/// compare the scenario with itself.
fn check_baseline_conditions(root: &DeTable<'_>, p: &mut Problems) {
    let strings = |table: &str, key: &str| -> Vec<(String, std::ops::Range<usize>)> {
        let tables: Vec<&DeTable<'_>> = match root.get(table).map(toml::Spanned::get_ref) {
            Some(DeValue::Table(t)) => vec![t],
            Some(DeValue::Array(items)) => items
                .iter()
                .filter_map(|i| match i.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        for t in tables {
            match t.get(key).map(|v| (v.get_ref(), v.span())) {
                Some((DeValue::String(s), span)) => out.push((s.to_string(), span)),
                Some((DeValue::Array(items), _)) => {
                    out.extend(items.iter().filter_map(|i| match i.get_ref() {
                        DeValue::String(s) => Some((s.to_string(), i.span())),
                        _ => None,
                    }))
                }
                _ => {}
            }
        }
        out
    };
    // (An expectation may compare with an earlier run's results: `check --baseline`.)
    for (text, span) in strings("decision", "constraints") {
        if crate::decision::condition::parse(&text).is_ok_and(|c| c.is_relative()) {
            p.add(
                span,
                error::DECISION,
                format!(
                    "\"{}\" compares with the baseline, but the scenario has no [compare]",
                    text.trim()
                ),
            );
        }
    }
}

/// `[decision] prefer` may only name compared settings (axes, with their compared values
/// when it lists some): anything else could never order a configuration.
fn check_prefer(root: &DeTable<'_>, axes: &[(String, Vec<String>)], p: &mut Problems) {
    let Some(DeValue::Table(decision)) = root.get("decision").map(toml::Spanned::get_ref) else {
        return;
    };
    if let Some(DeValue::Table(prefer)) = decision.get("prefer").map(toml::Spanned::get_ref) {
        check_axis_table(prefer, "decision.prefer", false, axes, p);
    }
}

/// `[[expect]] where` may only name compared settings and values they take.
fn check_where(root: &DeTable<'_>, axes: &[(String, Vec<String>)], p: &mut Problems) {
    let Some(DeValue::Array(items)) = root.get("expect").map(toml::Spanned::get_ref) else {
        return;
    };
    for item in items {
        if let DeValue::Table(t) = item.get_ref()
            && let Some(DeValue::Table(w)) = t.get("where").map(toml::Spanned::get_ref)
        {
            check_axis_table(w, "expect.where", true, axes, p);
        }
    }
}

/// Checks a table keyed by compared settings (`team_size = { support = … }` names
/// `team_size.support`): every key is an axis, and every value listed (every scalar too
/// when `scalars_are_values`) is one of the axis's compared values.
fn check_axis_table(
    table: &DeTable<'_>,
    prefix: &str,
    scalars_are_values: bool,
    axes: &[(String, Vec<String>)],
    p: &mut Problems,
) {
    let mut entries = Vec::new();
    for (key, value) in table.iter() {
        match value.get_ref() {
            DeValue::Table(inner) => entries.extend(
                inner
                    .iter()
                    .map(|(k, v)| (format!("{}.{}", key.get_ref(), k.get_ref()), k.span(), v)),
            ),
            _ => entries.push((key.get_ref().to_string(), key.span(), value)),
        }
    }
    for (key, span, value) in entries {
        let Some((_, values)) = axes.iter().find(|(k, _)| *k == key) else {
            let mut msg = format!("{prefix}.{key}: \"{key}\" is not compared");
            match did_you_mean(&key, axes.iter().map(|(k, _)| k.as_str())) {
                Some(s) => msg.push_str(&format!(" (did you mean \"{s}\"?)")),
                None if axes.is_empty() => msg.push_str(" (the scenario has no [compare])"),
                None => {
                    let names: Vec<&str> = axes.iter().map(|(k, _)| k.as_str()).collect();
                    msg.push_str(&format!(" (compared: {})", names.join(", ")));
                }
            }
            p.add(span, error::DECISION, msg);
            continue;
        };
        let listed: Vec<&toml::Spanned<DeValue<'_>>> = match value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            _ if scalars_are_values => vec![value],
            _ => Vec::new(),
        };
        for item in listed {
            let text = display(&to_value(item.get_ref()));
            if !values.iter().any(|v| same_value(v, &text)) {
                p.add(
                    item.span(),
                    error::DECISION,
                    format!(
                        "{prefix}.{key}: {text} is not a compared value (compared: {})",
                        values.join(", ")
                    ),
                );
            }
        }
    }
}

fn axis_leaf(key: &str) -> &str {
    match key.rsplit_once('.') {
        Some(("team_size" | "wind_down", _)) | None => key.split('.').next_back().unwrap_or(key),
        Some((_, leaf)) => leaf,
    }
}

type BaselineSpec = Option<(Vec<(String, String)>, std::ops::Range<usize>)>;

fn axes(
    compare: &toml::Spanned<DeValue<'_>>,
    base: &Scenario,
    p: &mut Problems,
    refused: &mut Problems,
) -> (Vec<Axis>, BaselineSpec) {
    let Some(t) = Table::of(compare, "[compare]", p) else {
        return (Vec::new(), None);
    };
    let mut known: Vec<&str> = validate::engine_keys()
        .into_iter()
        .filter(|k| *k != "groups")
        .collect();
    known.extend(["volume", "team_size", "wind_down", "baseline"]);
    known.extend(WORKLOAD_AXES.iter().map(|(k, _, _)| *k));
    t.check_keys(&known, p);
    let mut axes = Vec::new();
    let mut baseline = None;
    for (key, value) in t.map.iter() {
        let key: &str = key.get_ref();
        match key {
            "baseline" => {
                if let Some(bt) = Table::of(value, "compare.baseline", p) {
                    let mut pairs = Vec::new();
                    for (k, v) in bt.map.iter() {
                        match to_value(v.get_ref()) {
                            // `team_size.support = 4` is a nested table.
                            Value::Table(inner) => {
                                pairs.extend(
                                    inner
                                        .iter()
                                        .map(|(ik, iv)| (format!("{}.{ik}", k.get_ref()), display(iv))),
                                );
                            }
                            other => pairs.push((k.get_ref().to_string(), display(&other))),
                        }
                    }
                    baseline = Some((pairs, value.span()));
                }
            }
            "team_size" | "wind_down" => {
                let Some(tt) = Table::of(
                    value,
                    if key == "team_size" {
                        "compare.team_size"
                    } else {
                        "compare.wind_down"
                    },
                    p,
                ) else {
                    continue;
                };
                for (team, list) in tt.map.iter() {
                    let team: &str = team.get_ref();
                    if !base.teams.iter().any(|n| n == team) {
                        let mut msg = format!("unknown team \"{team}\" in compare.{key}");
                        if let Some(s) = did_you_mean(team, base.teams.iter().map(String::as_str)) {
                            msg.push_str(&format!(" (did you mean \"{s}\"?)"));
                        }
                        p.add(value.span(), error::UNKNOWN_VALUE, msg);
                        continue;
                    }
                    axes.extend(axis(&format!("{key}.{team}"), list, p, refused));
                }
            }
            _ if known.contains(&key) => axes.extend(axis(key, value, p, refused)),
            _ => {}
        }
    }
    if axes.is_empty() && p.list.is_empty() {
        p.add(
            compare.span(),
            error::MISSING,
            "[compare] lists no setting to compare",
        );
    }
    (axes, baseline)
}

fn axis(key: &str, v: &toml::Spanned<DeValue<'_>>, p: &mut Problems, refused: &mut Problems) -> Option<Axis> {
    let DeValue::Array(items) = v.get_ref() else {
        p.add(
            v.span(),
            error::WRONG_TYPE,
            format!("compare.{key} must be an array of values, e.g. [2, 3]"),
        );
        return None;
    };
    if items.is_empty() {
        p.add(v.span(), error::MISSING, format!("compare.{key} lists no value"));
        return None;
    }
    // An engine setting's values are read through the schema, each where it is written,
    // before any cell is built from them.
    if let Some((spec, is_switch)) = settings::lookup(key) {
        for item in items {
            let mut scratch = Problems::default();
            let name = format!("[engine].{key}");
            if is_switch {
                validate::switch_value(spec, item, &name, &mut scratch);
            } else {
                validate::setting_value(spec, item, &name, &mut scratch);
            }
            for (span, rule, message) in scratch.list {
                refused.add(span, rule, format!("compare.{key}: {message}"));
            }
        }
    }
    let values: Vec<(Value, std::ops::Range<usize>)> =
        items.iter().map(|i| (to_value(i.get_ref()), i.span())).collect();
    let mut seen = std::collections::BTreeSet::new();
    for (value, span) in &values {
        if !seen.insert(display(value)) {
            p.add(
                span.clone(),
                error::DUPLICATE_NAME,
                format!("compare.{key} lists {} twice", display(value)),
            );
        }
    }
    Some(Axis {
        key: key.to_owned(),
        values,
    })
}

fn to_value(v: &DeValue<'_>) -> Value {
    match v {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => doc::int_value(i).map_or(Value::Integer(i64::MIN), Value::Integer),
        DeValue::Float(f) => Value::Float(f.as_str().replace('_', "").parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Boolean(*b),
        DeValue::Datetime(d) => Value::Datetime(*d),
        DeValue::Array(a) => Value::Array(a.iter().map(|x| to_value(x.get_ref())).collect()),
        DeValue::Table(t) => Value::Table(
            t.iter()
                .map(|(k, v)| (k.get_ref().to_string(), to_value(v.get_ref())))
                .collect(),
        ),
    }
}

/// A value as text; numbers in their shortest form, so `1` and `1.0` read (and match) alike.
fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Float(f) => format!("{f}"),
        other => other.to_string(),
    }
}

/// Workload settings a comparison may vary: compare key, scenario table, key in it.
const WORKLOAD_AXES: &[(&str, &str, &str)] = &[
    ("bot_resolved", "bot", "resolved"),
    ("silent_abandonment", "customers", "silent_abandonment"),
    ("menu_choice", "customers", "menu_choice"),
    ("slowdown", "agents", "slowdown"),
    ("takeover", "agents", "takeover"),
];

/// Sets one compared value in the scenario table.
fn apply(table: &mut toml::Table, key: &str, value: Value) {
    if let Some((_, section, field)) = WORKLOAD_AXES.iter().find(|(k, _, _)| *k == key) {
        let entry = table
            .entry((*section).to_owned())
            .or_insert_with(|| Value::Table(toml::Table::new()));
        if let Value::Table(t) = entry {
            t.insert((*field).to_owned(), value);
        }
    } else if let Some(team) = key.strip_prefix("wind_down.") {
        if let Some(Value::Array(teams)) = table.get_mut("teams") {
            for t in teams.iter_mut() {
                if let Value::Table(t) = t
                    && t.get("name").and_then(Value::as_str) == Some(team)
                {
                    t.insert("wind_down".to_owned(), value.clone());
                }
            }
        }
    } else if let Some(team) = key.strip_prefix("team_size.") {
        if let Some(Value::Array(teams)) = table.get_mut("teams") {
            for t in teams.iter_mut() {
                if let Value::Table(t) = t
                    && t.get("name").and_then(Value::as_str) == Some(team)
                {
                    t.remove("agents");
                    t.insert("size".to_owned(), value.clone());
                }
            }
        }
    } else if key == "volume" {
        if let Some(Value::Table(arrivals)) = table.get_mut("arrivals") {
            arrivals.insert("volume".to_owned(), value);
        }
    } else if let Some(Value::Table(engine)) = table.get_mut("engine") {
        engine.insert(key.to_owned(), value);
    }
}

/// "0.2" → "20 %" (labels of shares).
fn percent(v: &str) -> String {
    v.parse::<f64>()
        .map_or_else(|_| v.to_owned(), |x| format!("{} %", (x * 1000.0).round() / 10.0))
}

/// A short label: strategy values alone, capacity as "cap N", others as key=value.
fn label(assignments: &[(String, String)]) -> String {
    let parts: Vec<String> = assignments
        .iter()
        .map(|(k, v)| match k.as_str() {
            "strategy" => v.clone(),
            "max_chats_per_agent" => format!("cap {v}"),
            "volume" => format!("volume ×{v}"),
            "bot_resolved" => format!("bot resolves {}", percent(v)),
            "silent_abandonment" => format!("{} silent", percent(v)),
            _ if k.starts_with("wind_down.") => format!("wind-down {v}"),
            _ => match k.strip_prefix("team_size.") {
                Some(team) => format!("{team} {v}"),
                None => format!("{k}={v}"),
            },
        })
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "horizon = \"1h\"\n[engine]\nstrategy = \"round-robin\"\n[[teams]]\nname = \"support\"\nsize = 4\n\
                        [arrivals]\nrate = 60\n[handle_time]\ndistribution = \"exponential\"\nmean = \"5m\"\n";

    #[test]
    fn cells_are_the_cartesian_product_with_a_baseline() {
        let text = format!(
            "{BASE}[compare]\nstrategy = [\"round-robin\", \"least-busy\"]\nmax_chats_per_agent = [2, 3]\n\
             team_size = {{ support = [4, 6] }}\nbaseline = {{ strategy = \"least-busy\", max_chats_per_agent = 3, support = 4 }}\n"
        );
        let text = text.replace("support = 4 }\n", "team_size.support = 4 }\n");
        let e = experiment_from_str(&text, Path::new("c.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.cells.len(), 8);
        let labels: Vec<&str> = e.cells.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels[0], "cap 2, round-robin, support 4");
        assert_eq!(labels[1], "cap 2, round-robin, support 6");
        assert_eq!(labels[7], "cap 3, least-busy, support 6");
        assert_eq!(e.cells[e.baseline].label, "cap 3, least-busy, support 4");
        assert_eq!(e.cells[1].scenario.engine.agents.len(), 6);
        assert_eq!(
            e.cells[2].scenario.engine.inboxes[0].strategy,
            crate::engine::StrategyKind::LeastBusy
        );
    }

    #[test]
    fn workload_settings_and_wind_down_can_be_compared() {
        let text = format!(
            "{BASE}[compare]\nbot_resolved = [0.0, 0.4]\nwind_down = {{ support = [\"0s\", \"15m\"] }}\n\
             slowdown = [0.2]\nbaseline = {{ bot_resolved = 0.4, wind_down = {{ support = \"15m\" }} }}\n"
        );
        let e = experiment_from_str(&text, Path::new("c.toml")).unwrap_or_else(|e| panic!("{e}"));
        let labels: Vec<&str> = e.cells.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "bot resolves 0 %, slowdown=0.2, wind-down 0s",
                "bot resolves 0 %, slowdown=0.2, wind-down 15m",
                "bot resolves 40 %, slowdown=0.2, wind-down 0s",
                "bot resolves 40 %, slowdown=0.2, wind-down 15m"
            ]
        );
        assert_eq!(e.baseline, 3);
        let s = &e.cells[3].scenario;
        assert_eq!(s.customers.bot_resolved, 0.4);
        assert_eq!(s.behaviour.slowdown, 0.2);
        assert!(
            s.agents
                .iter()
                .all(|a| a.wind_down == crate::engine::SimDuration::from_mins(15))
        );
        assert!(
            e.cells[0]
                .scenario
                .agents
                .iter()
                .all(|a| a.wind_down == crate::engine::SimDuration::ZERO)
        );
    }

    #[test]
    fn a_bad_compared_value_is_reported_where_it_is_written() {
        let text = format!("{BASE}[compare]\nmax_chats_per_agent = [2, 0]\nstrategi = [\"random\"]\n");
        let err = experiment_from_str(&text, Path::new("c.toml")).unwrap_err();
        let lines: Vec<String> = err.0.iter().map(ToString::to_string).collect();
        assert!(
            lines.iter().any(|l| l.starts_with(
                "c.toml:13:27: compare.max_chats_per_agent: max_chats_per_agent 0 is out of range"
            )),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("c.toml:14:1: unknown key \"strategi\"")
                    && l.contains("did you mean \"strategy\"?")),
            "{lines:#?}"
        );
    }

    #[test]
    fn compared_engine_settings_are_checked_through_the_schema() {
        let text = format!(
            "{BASE}[compare]\noffline_grace = [\"0s\", \"25h\"]\nrotation_order = [\"roster\", \"fifo\"]\n"
        );
        let err = experiment_from_str(&text, Path::new("c.toml")).unwrap_err();
        let lines: Vec<String> = err.0.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "c.toml:13:24: compare.offline_grace: offline_grace 25h is out of range (expected 0s to 24h)",
                "c.toml:14:29: compare.rotation_order: unknown rotation_order \"fifo\" (expected one of: online-since, roster)",
            ],
            "one error per refused value, none from the cells"
        );
        // The default applies where nothing is compared or written.
        let text = format!("{BASE}[compare]\nmax_chats_per_agent = [2, 3]\n");
        let e = experiment_from_str(&text, Path::new("c.toml")).unwrap_or_else(|e| panic!("{e}"));
        let settings = &e.cells[0].scenario.engine.settings;
        assert_eq!(settings.offline_grace, crate::engine::SimDuration::from_mins(1));
        assert_eq!(settings.max_chats_per_agent, crate::engine::Capacity::Limited(2));
    }

    #[test]
    fn a_cell_is_named_by_label_index_or_compared_values() {
        let text = format!(
            "{BASE}[compare]\nstrategy = [\"round-robin\", \"least-busy\"]\nmax_chats_per_agent = [2, 3]\n\
             team_size = {{ support = [4, 6] }}\nbaseline = {{ strategy = \"least-busy\", max_chats_per_agent = 3, team_size.support = 4 }}\n"
        );
        let e = experiment_from_str(&text, Path::new("c.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.baseline, 6);
        assert_eq!(e.select_cell("cap 2, round-robin, support 6", 6), Ok(1));
        assert_eq!(e.select_cell("3", 6), Ok(3));
        // Keys left out keep the reference cell's values; numbers match by value; a team's
        // axis may be named by the team.
        assert_eq!(e.select_cell("strategy=round-robin", 6), Ok(4));
        assert_eq!(e.select_cell("strategy=round-robin", 3), Ok(1));
        assert_eq!(e.select_cell("max_chats_per_agent=2.0, support=6", 6), Ok(3));
        assert_eq!(
            e.select_cell("team_size.support=6,strategy=round-robin", 0),
            Ok(1)
        );
        let err = |spec: &str| e.select_cell(spec, 6).unwrap_err();
        assert_eq!(err("8"), "there is no configuration 8 (indexes go from 0 to 7)");
        assert_eq!(
            err("cap 3, least-bussy, support 6"),
            "no configuration is labelled \"cap 3, least-bussy, support 6\" (did you mean \"cap 3, least-busy, support 6\"?)"
        );
        assert_eq!(
            err("strategy=random"),
            "strategy = random is not compared (compared: round-robin, least-busy)"
        );
        assert!(
            err("stratgy=random").starts_with("\"stratgy\" is not compared (did you mean \"strategy\"?)")
        );
        assert_eq!(err("strategy"), "no configuration is labelled \"strategy\"");
    }

    #[test]
    fn without_compare_there_is_one_cell() {
        let e = experiment_from_str(BASE, Path::new("c.toml")).unwrap();
        assert_eq!(e.cells.len(), 1);
        assert_eq!(e.baseline, 0);
    }
}
