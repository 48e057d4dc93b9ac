//! Scenario text → [`Scenario`], collecting every problem.

use crate::engine::config::MAX_CAPACITY;
use crate::engine::settings::{Kind, Off, SETTINGS, SettingSpec, Switch, Value};
use crate::engine::{
    AgentConfig, Capacity, ConfigError, EligibleAgents, EngineConfig, GroupId, InboxConfig, Presence, Role,
    Settings, SimDuration, SimTime, StrategyKind,
};
use crate::scenario::doc::{self, Problems, Table, Val, type_name};
use crate::scenario::error::{self, ScenarioError, ScenarioErrors, line_col};
use crate::scenario::{AgentPlan, RunKind, Scenario, Sequential};

mod behaviour;
mod decision;
mod staffing;
use crate::workload::arrivals::{Burst, ProfileWindow, RateProfile};
use crate::workload::calendar::{Calendar, DAY_MS, Days, WEEK_MS, Window, parse_time_of_day};
use crate::workload::dist::Dist;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

const TOP_KEYS: &[&str] = &[
    "name",
    "question",
    "start",
    "horizon",
    "run",
    "warmup",
    "drain_limit",
    "seed",
    "replications",
    "interval",
    "service_level_targets",
    "fairness_min_available",
    "engine",
    "inboxes",
    "teams",
    "arrivals",
    "handle_time",
    "patience",
    "compare",
    "answer_metrics",
    "sequential",
    "decision",
    "expect",
    "staffing",
    "bot",
    "customers",
    "agents",
    "schedule",
];

/// The keys of `[engine]`: its own, then every setting of the schema.
pub(super) fn engine_keys() -> Vec<&'static str> {
    ["groups", "strategy"]
        .into_iter()
        .chain(crate::engine::settings::keys())
        .collect()
}

const MAX_REPLICATIONS: i64 = 100_000;
const MAX_AGENTS: usize = 100_000;
const MAX_RATE_PER_HOUR: f64 = 1.0e7;

fn strategies() -> Vec<(&'static str, StrategyKind)> {
    StrategyKind::ALL.iter().map(|s| (s.name(), *s)).collect()
}

/// Everything the walk needs.
struct Walk<'t> {
    p: Problems,
    path: &'t Path,
    /// Errors in other files (empirical CSVs, traces), already located.
    external: Vec<ScenarioError>,
    /// Warnings: where and what.
    warnings: Vec<(Range<usize>, String)>,
}

pub(super) fn validate(text: &str, path: &Path) -> Result<Scenario, ScenarioErrors> {
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let (line, column) = line_col(text, span.start);
            let mut message = e.message().trim_end().replace('\n', " ");
            if message == "duplicate key" {
                // Name the key: it is what the span covers.
                let key = text.get(span.clone()).unwrap_or("").trim().trim_matches('"');
                if !key.is_empty() {
                    message = format!("duplicate key \"{key}\"");
                }
            }
            return Err(ScenarioErrors(vec![ScenarioError {
                path: path.to_owned(),
                line,
                column,
                rule: error::SYNTAX,
                message: format!("invalid TOML: {message}"),
            }]));
        }
    };
    let mut w = Walk {
        p: Problems::default(),
        path,
        external: Vec::new(),
        warnings: Vec::new(),
    };
    let table = Table {
        map: root.get_ref(),
        start: 0,
        name: "",
    };
    let scenario = w.scenario(table);
    let mut errors = w.p.into_errors(text, path);
    errors.extend(w.external);
    match scenario {
        Some(mut s) if errors.is_empty() => {
            s.warnings = w
                .warnings
                .iter()
                .map(|(span, m)| {
                    let (line, col) = line_col(text, span.start);
                    format!("{}:{line}:{col}: warning: {m}", path.display())
                })
                .collect();
            Ok(s)
        }
        _ => {
            if errors.is_empty() {
                // Every path that returns None records a problem first; this is a guard.
                errors.push(ScenarioError {
                    path: path.to_owned(),
                    line: 1,
                    column: 1,
                    rule: error::MISSING,
                    message: "the scenario is incomplete".into(),
                });
            }
            Err(ScenarioErrors(errors))
        }
    }
}

/// `[arrivals]`: rate profile, volume, group shares and the trace file, if any.
type ArrivalsSpec = (
    Option<RateProfile>,
    Option<f64>,
    Option<Vec<f64>>,
    Option<(PathBuf, Range<usize>)>,
);

/// A team as written, before agents are numbered.
struct TeamSpec {
    name: String,
    name_span: Range<usize>,
    /// Agent names with where each is written (the `size` value for numbered agents).
    agent_names: Vec<(String, Range<usize>)>,
    /// Where `role` is written, if it is.
    role_span: Option<Range<usize>>,
    groups: Vec<GroupId>,
    capacity: Option<Capacity>,
    role: Role,
    auto_assign: bool,
    shifts: Vec<Window>,
    presence: behaviour::TeamPresence,
}

impl Walk<'_> {
    fn scenario(&mut self, top: Table<'_, '_>) -> Option<Scenario> {
        let p = &mut self.p;
        top.check_keys(TOP_KEYS, p);
        let name = top.str("name", p).map(|(s, _)| s.to_owned()).unwrap_or_else(|| {
            self.path
                .file_stem()
                .map_or_else(|| "scenario".to_owned(), |s| s.to_string_lossy().into_owned())
        });
        let question = top.str("question", p).map(|(s, _)| s.to_owned());
        let calendar = match top.str("start", p) {
            Some((s, span)) => Calendar::parse(s)
                .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                .ok(),
            None => Some(Calendar { start_in_week: 0 }),
        };
        let horizon = top
            .require("horizon", p)
            .and_then(|_| top.duration("horizon", false, p));
        let horizon = match horizon {
            Some((Some(d), span)) if d == SimDuration::ZERO || d > SimDuration::from_hours(24 * 366) => {
                p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("horizon {d} is out of range (expected more than 0s, at most 366 days)"),
                );
                None
            }
            Some((d, _)) => d,
            None => None,
        };
        let run = top.choice(
            "run",
            "run kind",
            &[("terminating", false), ("steady-state", true)],
            p,
        );
        let warmup = top.duration("warmup", false, p);
        let drain_limit = top.duration("drain_limit", false, p);
        // With an unknown run kind, checks that depend on it would only add noise.
        let run_kind = if top.get("run").is_some() && run.is_none() {
            None
        } else {
            self.run_kind(top, run.unwrap_or(false), horizon, warmup, drain_limit)
        };
        let p = &mut self.p;
        let seed = top.integer("seed", p).map_or(Some(0), |(n, span)| {
            u64::try_from(n)
                .map_err(|_| {
                    p.add(
                        span,
                        error::OUT_OF_RANGE,
                        format!("seed {n} must not be negative"),
                    )
                })
                .ok()
        });
        let replications = match top.get("replications") {
            Some(_) => top
                .integer_in("replications", 1, MAX_REPLICATIONS, p)
                .map(|n| n as u32),
            None => Some(1),
        };
        let interval = match top.duration("interval", false, p) {
            Some((Some(d), span)) if d < SimDuration::from_mins(1) || d > SimDuration::from_hours(24 * 7) => {
                p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("interval {d} is out of range (expected 1m to 7 days)"),
                );
                None
            }
            Some((d, _)) => d,
            None => Some(SimDuration::from_hours(1)),
        };
        let fairness_min_available = match top.duration("fairness_min_available", false, p) {
            Some((d, _)) => d,
            None => Some(SimDuration::from_mins(30)),
        };
        let mut sl_targets = Vec::new();
        if let Some(items) = top.array("service_level_targets", p) {
            for item in items {
                if let Some(Some(d)) = doc::as_duration(item, "service_level_targets entry", false, p) {
                    sl_targets.push(d);
                }
            }
        }
        let mut answer_metrics = Vec::new();
        for item in top.array("answer_metrics", p).unwrap_or(&[]) {
            let Some((id, span)) = doc::as_str(item, "an answer_metrics entry", p) else {
                continue;
            };
            if let Some(id) = known_metric(id, span, "answer_metrics", p) {
                answer_metrics.push(id);
            }
        }
        let sequential = top.get("sequential").and_then(|v| sequential(v, p));
        let decision = top.get("decision").and_then(|v| decision::decision(v, p));
        let expectations = top
            .get("expect")
            .and_then(|v| decision::expectations(v, p))
            .unwrap_or_default();
        let staffing = top
            .get("staffing")
            .and_then(|v| staffing::staffing(v, MAX_AGENTS as i64, p));
        // Every target a metric name mentions is measured too (docs/metrics.md).
        let named = answer_metrics
            .iter()
            .chain(
                sequential
                    .iter()
                    .flat_map(|s| s.half_widths.iter().map(|(id, _)| id)),
            )
            .chain(decision.iter().flat_map(|d| {
                std::iter::once(&d.objective.id).chain(d.constraints.iter().map(|c| &c.metric.id))
            }))
            .chain(expectations.iter().map(|e| &e.condition.metric.id))
            .chain(
                staffing
                    .iter()
                    .flat_map(|(s, _)| s.targets.iter().map(|c| &c.metric.id)),
            );
        sl_targets.extend(named.filter_map(|id| crate::metrics::catalogue::lookup(id)?.target));
        sl_targets.sort_unstable();
        sl_targets.dedup();

        // [engine]: settings and groups.
        let (settings, groups, default_strategy) = match top.require("engine", p) {
            Some(v) => self.engine(v),
            None => (None, Vec::new(), None),
        };
        let teams = self.teams(top, &groups);
        let (agents, plans, team_names) = self.roster(&teams);
        if let Some((Some(team), Some(span))) = staffing.as_ref().map(|(s, span)| (&s.team, span))
            && teams.is_some()
            && !team_names.iter().any(|n| n == team)
        {
            let mut msg = format!("unknown team \"{team}\" in staffing.team");
            if let Some(s) = error::did_you_mean(team, team_names.iter().map(String::as_str)) {
                msg.push_str(&format!(" (did you mean \"{s}\"?)"));
            } else {
                msg.push_str(&format!(" (teams: {})", team_names.join(", ")));
            }
            self.p.add(span.clone(), error::UNKNOWN_VALUE, msg);
        }
        let inboxes = self.inboxes(top, default_strategy.unwrap_or(StrategyKind::RoundRobin), &agents);
        let (arrivals, volume, group_shares, trace_path) = match top.require("arrivals", &mut self.p) {
            Some(v) => self.arrivals(v, &groups),
            None => (None, None, None, None),
        };
        let handle = top
            .require("handle_time", &mut self.p)
            .and_then(|v| self.dist_with_groups(v, "handle_time", &groups));
        let patience = top.get("patience").map(|v| self.dist(v, "patience"));
        if !agents.is_empty() && !agents.iter().any(|a| a.role == Role::Agent) {
            // Point at the first `role` that made everyone an admin.
            let span = teams
                .as_ref()
                .and_then(|t| t.iter().find_map(|t| t.role_span.clone()))
                .unwrap_or(top.span());
            self.p.add(
                span,
                error::NO_AGENTS,
                "the scenario has no agent with role \"agent\" to take chats",
            );
        }
        if teams.is_some_and(|t| t.is_empty()) {
            let span = top.get("teams").map_or(0..0, |v| v.span());
            self.p.add(
                span,
                error::NO_AGENTS,
                "the scenario has no team (add at least one [[teams]] entry)",
            );
        }
        let customers = self.customers(top, &groups);
        let behaviour = self.behaviour(top);
        let mut plans = plans;
        let mut arrival_trace = None;
        let mut presence_trace = Vec::new();
        let mut trace_ok = true;
        // Both traces share one time 0 (see `workload::trace`).
        let mut clock = calendar.map(crate::workload::trace::Clock::new);
        if let (Some((path, span)), Some(clock), Some(horizon), Some((inbox_list, _))) =
            (trace_path, &mut clock, horizon, &inboxes)
        {
            arrival_trace = self.arrival_trace(
                &path,
                span,
                clock,
                SimTime::ZERO + horizon,
                inbox_list,
                &groups,
                &agents,
            );
            trace_ok &= arrival_trace.is_some();
        }
        let end = match (run_kind, horizon) {
            (Some(RunKind::Terminating { drain_limit }), Some(h)) => Some(SimTime::ZERO + h + drain_limit),
            (Some(RunKind::SteadyState { .. }), Some(h)) => Some(SimTime::ZERO + h),
            _ => None,
        };
        if let (Some((_, Some((path, span)))), Some(clock), Some(end)) = (&behaviour, &mut clock, end) {
            match self.presence_trace(path, span.clone(), clock, end, &agents) {
                Some(rows) => {
                    for row in &rows {
                        plans[row.agent.index()].traced = true;
                    }
                    presence_trace = rows;
                }
                None => trace_ok = false,
            }
        }
        let schedule = match (&settings, calendar, end) {
            (Some(base), Some(calendar), Some(end)) => self.schedule(top, base, calendar, end),
            _ => Some(Vec::new()),
        };
        if let (Some(c), Some((b, _)), Some(settings), Some(schedule), Some((inbox_list, _))) =
            (&customers, &behaviour, &settings, &schedule, &inboxes)
        {
            self.cross_checks(top, c, b, settings, schedule, inbox_list, &groups, &agents);
        }
        let (inboxes, inbox_shares) = inboxes?;
        let (handle_time, handle_time_by_group) = handle?;
        let (behaviour, _) = behaviour?;
        if !trace_ok {
            return None;
        }
        let patience = match patience {
            Some(d) => Some(d?),
            None => None,
        };
        Some(Scenario {
            name,
            question,
            path: self.path.to_owned(),
            calendar: calendar?,
            horizon: SimTime::ZERO + horizon?,
            run_kind: run_kind?,
            seed: seed?,
            replications: replications?,
            interval: interval?,
            sl_targets,
            answer_metrics,
            sequential,
            decision,
            expectations,
            staffing: staffing.map(|(s, _)| s),
            fairness_min_available: fairness_min_available?,
            engine: EngineConfig {
                settings: settings?,
                groups,
                inboxes,
                agents,
                rng_seed: 0,
            },
            teams: team_names,
            agents: plans,
            arrivals: arrivals?,
            volume: volume?,
            inbox_shares,
            group_shares: group_shares?,
            handle_time,
            handle_time_by_group,
            patience,
            arrival_trace,
            presence_trace,
            customers: customers?,
            behaviour,
            schedule: schedule?,
            warnings: Vec::new(),
        })
    }

    /// Checks across sections: features the engine has that need behaviour to drive them,
    /// and warnings for settings that cannot work as meant.
    #[allow(clippy::too_many_arguments)]
    fn cross_checks(
        &mut self,
        top: Table<'_, '_>,
        customers: &crate::scenario::Customers,
        behaviour: &crate::scenario::AgentBehaviour,
        settings: &Settings,
        schedule: &[crate::scenario::ConfigChange],
        inboxes: &[InboxConfig],
        groups: &[String],
        agents: &[AgentConfig],
    ) {
        let engine = top
            .get("engine")
            .and_then(|v| Table::of(v, "[engine]", &mut Problems::default()));
        // Where a setting is turned on: in [engine], else in the first schedule entry that
        // sets it (to a value other than `off`/false, when `on` says so).
        let entries: Vec<Table<'_, '_>> = match top.get("schedule").map(|v| v.get_ref()) {
            Some(DeValue::Array(items)) => items
                .iter()
                .filter_map(|i| Table::of(i, "[[schedule]]", &mut Problems::default()))
                .collect(),
            _ => Vec::new(),
        };
        // `on`: the value wanted ("manual", "true"), or "!x" for any value but x.
        let set_to = |v: &toml::Spanned<DeValue<'_>>, on: Option<&str>| {
            let text = match v.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Boolean(b) => b.to_string(),
                _ => String::new(),
            };
            match on {
                None => true,
                Some(want) => match want.strip_prefix('!') {
                    Some(not) => text != not,
                    None => text == want,
                },
            }
        };
        let where_on = |key: &str, on: Option<&str>| {
            engine
                .and_then(|t| t.get(key))
                .filter(|v| set_to(v, on))
                .or_else(|| entries.iter().find_map(|e| e.get(key).filter(|v| set_to(v, on))))
                .map_or(0..0, |v| v.span())
        };
        let manual = inboxes.iter().any(|i| i.strategy == StrategyKind::Manual)
            || schedule.iter().any(|c| c.strategy == Some(StrategyKind::Manual));
        if manual && behaviour.claim_delay.is_none() {
            // [engine] or a schedule entry; else an inbox of its own.
            let span = match where_on("strategy", Some("manual")) {
                Range { start: 0, end: 0 } => top.get("inboxes").map_or(0..0, |v| v.span()),
                s => s,
            };
            self.p.add(
                span,
                error::UNSUPPORTED,
                "strategy \"manual\" needs agents.claim_delay (how long an agent with a free slot takes to claim the oldest queued chat)",
            );
        }
        // Whether the [engine] settings or any scheduled change have `f`.
        let ever = |f: &dyn Fn(&Settings) -> bool| f(settings) || schedule.iter().any(|c| f(&c.settings));
        let menu = ever(&|s| s.menu_timeout.is_some());
        if menu && customers.menu_delay.is_none() {
            self.p.add(
                where_on("menu", Some("!false")),
                error::UNSUPPORTED,
                "menu = true needs customers.menu_delay (how long customers take to pick a group; menu_choice and menu_weights are optional)",
            );
        } else if menu && groups.is_empty() {
            self.p.add(
                where_on("menu", Some("!false")),
                error::UNKNOWN_GROUP,
                "menu = true needs groups to choose from (add groups = [...] under [engine])",
            );
        }
        // Where `key` is written in the top-level table `section`.
        let span_of = |section: &str, key: &str| {
            top.get(section)
                .and_then(|v| match v.get_ref() {
                    DeValue::Table(t) => t.get(key).map(|v| v.span()),
                    _ => None,
                })
                .unwrap_or(0..0)
        };
        if behaviour.takeover > 0.0 && !behaviour::has_admin(agents) {
            self.p.add(
                span_of("agents", "takeover"),
                error::UNSUPPORTED,
                "agents.takeover needs an admin to take chats over (a team with role = \"admin\")",
            );
        }
        if customers.silent_abandonment > 0.0 && behaviour.notice_delay.is_none() {
            self.p.add(
                span_of("customers", "silent_abandonment"),
                error::MISSING,
                "customers.silent_abandonment needs agents.notice_delay (how long after the last message an agent notices the customer left)",
            );
        }
        if customers.messages.is_none() {
            if ever(&|s| s.rebalance_on_online) {
                self.warnings.push((
                    where_on("rebalance_on_online", Some("true")),
                    "rebalance_on_online without message activity: no chat ever looks active, so rebalancing moves chats mid-conversation (set customers.messages)".into(),
                ));
            }
            if ever(&|s| s.auto_close_after.is_some()) {
                self.warnings.push((
                    where_on("auto_close_after", Some("!off")),
                    "auto_close_after without message activity: chats go quiet from assignment, so auto-close ends conversations that are still going (set customers.messages)".into(),
                ));
            }
            if customers.silent_abandonment > 0.0 {
                self.warnings.push((
                    span_of("customers", "silent_abandonment"),
                    "silent_abandonment without message activity: the notice delay then counts from the hand-off or the agent's first reply, not from the customer's last message (set customers.messages)".into(),
                ));
            }
        }
        if behaviour.claim_delay.is_none() && ever(&|s| !s.enabled) {
            self.warnings.push((
                where_on("enabled", Some("false")),
                "auto-assignment is off without agents.claim_delay: nobody takes queued chats while it is off (set agents.claim_delay for agents who claim by hand)".into(),
            ));
        }
    }

    fn run_kind(
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

    fn engine(&mut self, v: Val<'_, '_>) -> (Option<Settings>, Vec<String>, Option<StrategyKind>) {
        let p = &mut self.p;
        let Some(t) = Table::of(v, "[engine]", p) else {
            return (None, Vec::new(), None);
        };
        t.check_keys(&engine_keys(), p);
        let mut groups: Vec<String> = Vec::new();
        if let Some(items) = t.array("groups", p) {
            for item in items {
                if let Some((g, span)) = doc::as_str(item, "a group name", p) {
                    if groups.iter().any(|x| x == g) {
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
pub(super) fn settings(t: Table<'_, '_>, base: Settings, p: &mut Problems) -> Option<Settings> {
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
    if p.list.len() > problems_before {
        // Any problem leaves the settings unusable (and a missing setting would only repeat it).
        return None;
    }
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
pub(super) fn setting_value(
    spec: &SettingSpec,
    v: Val<'_, '_>,
    name: &str,
    p: &mut Problems,
) -> Option<Value> {
    let value = match spec.kind {
        Kind::Bool => match v.get_ref() {
            DeValue::Boolean(b) => Value::Bool(*b),
            other => {
                p.add(
                    v.span(),
                    error::WRONG_TYPE,
                    format!("{name} must be true or false, found {}", type_name(other)),
                );
                return None;
            }
        },
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
pub(super) fn switch_value(
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
fn checked(spec: &SettingSpec, value: Value, v: Val<'_, '_>, p: &mut Problems) -> Option<Value> {
    match spec.check(value) {
        Ok(()) => Some(value),
        Err(e) => {
            p.add(v.span(), error::OUT_OF_RANGE, e.to_string());
            None
        }
    }
}

impl Walk<'_> {
    fn teams(&mut self, top: Table<'_, '_>, groups: &[String]) -> Option<Vec<TeamSpec>> {
        let items = top
            .require("teams", &mut self.p)
            .and_then(|_| top.array("teams", &mut self.p))?;
        let mut teams = Vec::new();
        for item in items {
            let p = &mut self.p;
            let Some(t) = Table::of(item, "[[teams]]", p) else {
                continue;
            };
            t.check_keys(
                &[
                    "name",
                    "size",
                    "agents",
                    "groups",
                    "capacity",
                    "role",
                    "auto_assign",
                    "shifts",
                    "breaks",
                    "wind_down",
                    "away",
                    "flaps",
                ],
                p,
            );
            let Some((name, name_span)) = t.require("name", p).and_then(|_| t.str("name", p)) else {
                continue;
            };
            let mut agent_names = Vec::new();
            match (t.get("size"), t.get("agents")) {
                (Some(_), Some(v)) => p.add(
                    v.span(),
                    error::WRONG_TYPE,
                    format!("team \"{name}\": give either size or agents, not both"),
                ),
                (Some(_), None) => {
                    if let Some((n, span)) = t.integer("size", p) {
                        if n <= 0 {
                            p.add(
                                span,
                                error::EMPTY_TEAM,
                                format!("team \"{name}\" has size {n} (expected at least 1)"),
                            );
                        } else if n as usize > MAX_AGENTS {
                            p.add(
                                span,
                                error::OUT_OF_RANGE,
                                format!("team \"{name}\" has size {n} (expected at most {MAX_AGENTS})"),
                            );
                        } else {
                            let width = n.to_string().len().max(2);
                            agent_names = (1..=n)
                                .map(|i| (format!("{name}-{i:0width$}"), span.clone()))
                                .collect();
                        }
                    }
                }
                (None, Some(_)) => {
                    if let Some(list) = t.array("agents", p) {
                        if list.is_empty() {
                            p.add(
                                t.get("agents").map_or(t.span(), |v| v.span()),
                                error::EMPTY_TEAM,
                                format!("team \"{name}\" has no agents"),
                            );
                        }
                        for v in list {
                            if let Some((a, span)) = doc::as_str(v, "an agent name", p) {
                                if agent_names.iter().any(|(n, _)| n == a) {
                                    p.add(
                                        span,
                                        error::DUPLICATE_NAME,
                                        format!("agent \"{a}\" is listed twice in team \"{name}\""),
                                    );
                                } else {
                                    agent_names.push((a.to_owned(), span));
                                }
                            }
                        }
                    }
                }
                (None, None) => p.add(
                    t.span(),
                    error::MISSING,
                    format!("team \"{name}\" needs size or agents"),
                ),
            }
            let mut group_ids = Vec::new();
            for v in t.array("groups", p).unwrap_or(&[]) {
                if let Some((g, span)) = doc::as_str(v, "a group name", p) {
                    group_ids.extend(group_ref(g, span, groups, p));
                }
            }
            let capacity = t.get("capacity").and_then(|v| match v.get_ref() {
                DeValue::String(s) if s == "unlimited" => Some(Capacity::Unlimited),
                _ => capacity(v, "capacity", p),
            });
            let role = t
                .choice(
                    "role",
                    "role",
                    &[("agent", Role::Agent), ("admin", Role::Admin)],
                    p,
                )
                .unwrap_or(Role::Agent);
            let auto_assign = t.bool("auto_assign", p).unwrap_or(true);
            let shifts = shifts(t, name, p);
            let role_span = t.get("role").map(|v| v.span());
            let presence = self.team_presence(t, name);
            teams.push(TeamSpec {
                name: name.to_owned(),
                name_span,
                role_span,
                agent_names,
                groups: group_ids,
                capacity,
                role,
                auto_assign,
                shifts,
                presence,
            });
        }
        Some(teams)
    }
}

fn shifts(team: Table<'_, '_>, name: &str, p: &mut Problems) -> Vec<Window> {
    let Some(items) = team.array("shifts", p) else {
        return Vec::new();
    };
    let mut shifts: Vec<(Window, Range<usize>)> = Vec::new();
    for item in items {
        let Some(t) = Table::of(item, "[[teams.shifts]]", p) else {
            continue;
        };
        t.check_keys(&["days", "start", "end"], p);
        let days = t.str("days", p).map_or(Some(Days::ALL), |(d, span)| {
            Days::parse(d)
                .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                .ok()
        });
        let time = |key: &str, p: &mut Problems| {
            let (s, span) = t.require(key, p).and_then(|_| t.str(key, p))?;
            parse_time_of_day(s)
                .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                .ok()
        };
        let (from, to) = (time("start", p), time("end", p));
        if let (Some(days), Some(from), Some(to)) = (days, from, to) {
            shifts.push((
                Window {
                    days,
                    from: from % DAY_MS,
                    to: to % DAY_MS,
                },
                item.span(),
            ));
        }
    }
    // Overlap: compare every pair of occurrences over one week (plus a day of spill).
    let week: Vec<(u64, u64, usize)> = shifts
        .iter()
        .enumerate()
        .flat_map(|(i, (w, _))| {
            (0..7u64)
                .filter(move |d| w.days.contains(*d as usize))
                .map(move |d| (d * DAY_MS + w.from, d * DAY_MS + w.from + w.len(), i))
        })
        .collect();
    let mut reported = Vec::new();
    for (i, a) in week.iter().enumerate() {
        for b in &week[i + 1..] {
            let overlaps = |x: &(u64, u64, usize), y: &(u64, u64, usize)| {
                // Also compare across the week boundary.
                [0, WEEK_MS].iter().any(|off| x.0 + off < y.1 && y.0 < x.1 + off)
                    || [0, WEEK_MS].iter().any(|off| y.0 + off < x.1 && x.0 < y.1 + off)
            };
            let later = a.2.max(b.2);
            if overlaps(a, b) && !reported.contains(&later) {
                reported.push(later);
                let other = a.2.min(b.2);
                let msg = if a.2 == b.2 {
                    format!(
                        "team \"{name}\": shift {} overlaps itself on consecutive days",
                        later + 1
                    )
                } else {
                    format!(
                        "team \"{name}\": shift {} overlaps shift {}",
                        later + 1,
                        other + 1
                    )
                };
                p.add(shifts[later].1.clone(), error::SHIFT_OVERLAP, msg);
            }
        }
    }
    shifts.into_iter().map(|(w, _)| w).collect()
}

impl Walk<'_> {
    /// Numbers the agents team by team; checks names are unique.
    fn roster(&mut self, teams: &Option<Vec<TeamSpec>>) -> (Vec<AgentConfig>, Vec<AgentPlan>, Vec<String>) {
        let (mut agents, mut plans, mut names) = (Vec::new(), Vec::new(), Vec::new());
        let Some(teams) = teams else {
            return (agents, plans, names);
        };
        // Agent names seen so far: a set, so 100 000 agents are checked in O(n log n).
        let mut seen = std::collections::BTreeSet::new();
        for (ti, team) in teams.iter().enumerate() {
            if names.contains(&team.name) {
                self.p.add(
                    team.name_span.clone(),
                    error::DUPLICATE_NAME,
                    format!("team \"{}\" is declared twice", team.name),
                );
            }
            names.push(team.name.clone());
            for (agent, span) in &team.agent_names {
                if !seen.insert(agent.as_str()) {
                    self.p.add(
                        span.clone(),
                        error::DUPLICATE_NAME,
                        format!("agent \"{agent}\" is in two teams (names must be unique)"),
                    );
                    continue;
                }
                agents.push(AgentConfig {
                    name: agent.clone(),
                    role: team.role,
                    groups: team.groups.clone(),
                    auto_assign: team.auto_assign,
                    capacity: team.capacity,
                    presence: Presence::Offline,
                });
                plans.push(AgentPlan {
                    team: ti,
                    shifts: team.shifts.clone(),
                    breaks: team.presence.breaks.clone(),
                    wind_down: team.presence.wind_down,
                    away: team.presence.away.clone(),
                    flaps: team.presence.flaps.clone(),
                    traced: false,
                    duty: None,
                });
            }
        }
        (agents, plans, names)
    }

    fn inboxes(
        &mut self,
        top: Table<'_, '_>,
        default: StrategyKind,
        agents: &[AgentConfig],
    ) -> Option<(Vec<InboxConfig>, Vec<f64>)> {
        let p = &mut self.p;
        let Some(items) = top.array("inboxes", p) else {
            let inbox = InboxConfig {
                name: "main".into(),
                strategy: default,
                eligible: EligibleAgents::Everyone,
            };
            return Some((vec![inbox], vec![1.0]));
        };
        let mut inboxes = Vec::new();
        let mut shares: Vec<Option<f64>> = Vec::new();
        let mut share_span = None;
        for item in items {
            let Some(t) = Table::of(item, "[[inboxes]]", p) else {
                continue;
            };
            t.check_keys(&["name", "strategy", "agents", "share"], p);
            let Some((name, span)) = t.require("name", p).and_then(|_| t.str("name", p)) else {
                continue;
            };
            if inboxes.iter().any(|i: &InboxConfig| i.name == name) {
                p.add(
                    span,
                    error::DUPLICATE_NAME,
                    format!("inbox \"{name}\" is declared twice"),
                );
            }
            let chosen = t.choice("strategy", "strategy", &strategies(), p);
            let strategy = chosen.unwrap_or(default);
            let eligible = match t.array("agents", p) {
                Some(list) => {
                    let mut pinned = Vec::new();
                    for v in list {
                        let Some((a, span)) = doc::as_str(v, "an agent name", p) else {
                            continue;
                        };
                        match agents.iter().position(|x| x.name == a) {
                            Some(i) => pinned.push(crate::engine::AgentId(i as u32)),
                            None => {
                                let mut msg = format!("unknown agent \"{a}\" in inbox \"{name}\"");
                                if let Some(s) =
                                    error::did_you_mean(a, agents.iter().map(|x| x.name.as_str()))
                                {
                                    msg.push_str(&format!(" (did you mean \"{s}\"?)"));
                                }
                                p.add(span, error::UNKNOWN_AGENT, msg);
                            }
                        }
                    }
                    EligibleAgents::Pinned(pinned)
                }
                None => EligibleAgents::Everyone,
            };
            let share = t.number("share", p).and_then(|(x, span)| {
                share_span.get_or_insert(span.clone());
                if x < 0.0 {
                    p.add(
                        span,
                        error::SHARES,
                        format!("inbox \"{name}\": share {x} must not be negative"),
                    );
                    None
                } else {
                    Some(x)
                }
            });
            shares.push(share);
            inboxes.push(InboxConfig {
                name: name.to_owned(),
                strategy,
                eligible,
            });
        }
        if inboxes.is_empty() {
            p.add(
                top.get("inboxes").map_or(0..0, |v| v.span()),
                error::MISSING,
                "inboxes is empty (remove it for one default inbox)",
            );
            return None;
        }
        let given: f64 = shares.iter().flatten().sum();
        let n_missing = shares.iter().filter(|s| s.is_none()).count();
        if given > 1.0 + 1e-9 || (n_missing == 0 && (given - 1.0).abs() > 1e-9) {
            p.add(
                share_span.unwrap_or(0..0),
                error::SHARES,
                format!("inbox shares sum to {} (expected 1)", round6(given)),
            );
        }
        let rest = if n_missing > 0 {
            (1.0 - given).max(0.0) / n_missing as f64
        } else {
            0.0
        };
        let shares = shares.iter().map(|s| s.unwrap_or(rest)).collect();
        Some((inboxes, shares))
    }

    fn arrivals(&mut self, v: Val<'_, '_>, groups: &[String]) -> ArrivalsSpec {
        let p = &mut self.p;
        let Some(t) = Table::of(v, "[arrivals]", p) else {
            return (None, None, None, None);
        };
        t.check_keys(&["rate", "profile", "bursts", "volume", "groups", "trace"], p);
        let trace = t
            .str("trace", p)
            .map(|(file, span)| (self.path.parent().unwrap_or(Path::new(".")).join(file), span));
        if trace.is_some() {
            for key in ["rate", "profile", "bursts"] {
                if let Some(v) = t.get(key) {
                    p.add(
                        v.span(),
                        error::WRONG_TYPE,
                        format!("arrivals.{key} cannot be combined with arrivals.trace (the trace gives the arrival times)"),
                    );
                }
            }
        }
        let rate = |v: Option<(f64, Range<usize>)>, what: &str, p: &mut Problems| match v {
            Some((r, span)) if !(0.0..=MAX_RATE_PER_HOUR).contains(&r) => {
                p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("{what} {r} is out of range (expected 0 to {MAX_RATE_PER_HOUR} chats per hour)"),
                );
                None
            }
            Some((r, _)) => Some(r),
            None => None,
        };
        let base = if trace.is_some() {
            Some(0.0)
        } else {
            t.require("rate", p)
                .and_then(|_| rate(t.number("rate", p), "arrivals.rate", p))
        };
        let mut windows = Vec::new();
        for item in t.array("profile", p).unwrap_or(&[]) {
            let Some(w) = Table::of(item, "[[arrivals.profile]]", p) else {
                continue;
            };
            w.check_keys(&["days", "from", "to", "rate"], p);
            let days = w.str("days", p).map_or(Some(Days::ALL), |(d, span)| {
                Days::parse(d)
                    .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                    .ok()
            });
            let time = |key: &str, p: &mut Problems| {
                let (s, span) = w.require(key, p).and_then(|_| w.str(key, p))?;
                parse_time_of_day(s)
                    .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                    .ok()
            };
            let (from, to) = (time("from", p), time("to", p));
            let r = w
                .require("rate", p)
                .and_then(|_| rate(w.number("rate", p), "profile rate", p));
            if let (Some(days), Some(from), Some(to), Some(r)) = (days, from, to, r) {
                windows.push(ProfileWindow {
                    window: Window {
                        days,
                        from: from % DAY_MS,
                        to: to % DAY_MS,
                    },
                    rate_per_hour: r,
                });
            }
        }
        let mut bursts = Vec::new();
        for item in t.array("bursts", p).unwrap_or(&[]) {
            let Some(b) = Table::of(item, "[[arrivals.bursts]]", p) else {
                continue;
            };
            b.check_keys(&["start", "duration", "extra"], p);
            let start = b
                .require("start", p)
                .and_then(|_| b.duration("start", false, p))
                .and_then(|(d, _)| d);
            let duration = b
                .require("duration", p)
                .and_then(|_| b.duration("duration", false, p))
                .and_then(|(d, _)| d);
            let extra = b
                .require("extra", p)
                .and_then(|_| rate(b.number("extra", p), "burst extra rate", p));
            if let (Some(s), Some(d), Some(x)) = (start, duration, extra) {
                bursts.push(Burst {
                    start: SimTime::ZERO + s,
                    end: SimTime::ZERO + s + d,
                    extra_per_hour: x,
                });
            }
        }
        let volume = match t.number("volume", p) {
            Some((x, span)) if !(0.0..=100.0).contains(&x) => {
                p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("volume {x} is out of range (expected 0 to 100)"),
                );
                None
            }
            Some((x, _)) => Some(x),
            None => Some(1.0),
        };
        let mut group_shares = vec![0.0; groups.len()];
        let mut shares_ok = true;
        if let Some(gv) = t.get("groups")
            && let Some(gt) = Table::of(gv, "[arrivals.groups]", p)
        {
            let mut sum = 0.0;
            for (key, value) in gt.map.iter() {
                let Some(g) = group_ref(key.get_ref(), key.span(), groups, p) else {
                    shares_ok = false;
                    continue;
                };
                match doc::as_number(value, &format!("arrivals.groups.{}", key.get_ref()), p) {
                    Some(x) if x >= 0.0 => {
                        group_shares[g.index()] = x;
                        sum += x;
                    }
                    Some(x) => {
                        p.add(
                            value.span(),
                            error::SHARES,
                            format!("group share {x} must not be negative"),
                        );
                        shares_ok = false;
                    }
                    None => shares_ok = false,
                }
            }
            if sum > 1.0 + 1e-9 {
                p.add(
                    gv.span(),
                    error::SHARES,
                    format!(
                        "group shares sum to {sum} (expected at most 1; the rest arrive without a group)"
                    ),
                );
                shares_ok = false;
            }
        }
        let profile = base.map(|b| RateProfile {
            base_per_hour: b,
            windows,
            bursts,
        });
        (profile, volume, shares_ok.then_some(group_shares), trace)
    }

    /// A distribution table plus optional per-group overrides under `groups`.
    fn dist_with_groups(
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

    fn dist(&mut self, v: Val<'_, '_>, name: &str) -> Option<Dist> {
        self.dist_inner(v, name, false)
    }

    fn dist_inner(&mut self, v: Val<'_, '_>, name: &str, allow_groups: bool) -> Option<Dist> {
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
                Some(Dist::Gamma { mean: m?, cv: cv? })
            }
            "weibull" => {
                let (m, k) = (nonzero_mean(dur("mean", p), p), positive("shape", p));
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
    fn empirical(&mut self, path: &Path, span: Range<usize>, name: &str) -> Option<Dist> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.p.add(
                    span,
                    error::EMPIRICAL_FILE,
                    format!("{name}: could not read \"{}\": {e}", path.display()),
                );
                return None;
            }
        };
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

/// The canonical id of the metric `id` names (docs/metrics.md); reports it at `span`
/// otherwise. A service-level metric for a target the scenario does not declare is known:
/// naming it adds the target (see `extra_targets`).
fn known_metric(id: &str, span: Range<usize>, key: &str, p: &mut Problems) -> Option<String> {
    if let Some(m) = crate::metrics::catalogue::lookup(id) {
        return Some(m.id);
    }
    let known = crate::metrics::catalogue::CATALOGUE.iter().map(|d| {
        if d.per_target {
            format!("{}_30s", d.id)
        } else {
            d.id.to_owned()
        }
    });
    let known: Vec<String> = known.collect();
    let mut msg = format!("unknown metric \"{id}\" in {key}");
    if let Some(s) = error::did_you_mean(id, known.iter().map(String::as_str)) {
        msg.push_str(&format!(" (did you mean \"{s}\"?)"));
    }
    msg.push_str(" — `chatsim metrics` lists them");
    p.add(span, error::UNKNOWN_VALUE, msg);
    None
}

/// `[sequential]`: batch size, cap and the half-width each metric must reach.
fn sequential(v: Val<'_, '_>, p: &mut Problems) -> Option<Sequential> {
    let t = Table::of(v, "[sequential]", p)?;
    t.check_keys(&["batch", "max_replications", "half_width"], p);
    let batch = match t.get("batch") {
        Some(_) => t.integer_in("batch", 1, 1_000, p)?,
        None => 10,
    };
    let max = t
        .require("max_replications", p)
        .and_then(|_| t.integer_in("max_replications", 2, MAX_REPLICATIONS, p))?;
    let hw = t
        .require("half_width", p)
        .and_then(|v| Table::of(v, "[sequential.half_width]", p))?;
    let mut targets = Vec::new();
    for (key, value) in hw.map.iter() {
        let id: &str = key.get_ref();
        let name = format!("sequential.half_width.{id}");
        let number = doc::as_number(value, &name, p);
        let Some(id) = known_metric(id, key.span(), "sequential.half_width", p) else {
            continue;
        };
        match number {
            Some(x) if x > 0.0 => targets.push((id, x)),
            Some(x) => p.add(
                value.span(),
                error::OUT_OF_RANGE,
                format!("{name} {x} must be more than 0"),
            ),
            None => {}
        }
    }
    if hw.map.is_empty() {
        p.add(
            v.span(),
            error::MISSING,
            "[sequential.half_width] names no metric (e.g. wait_p95 = 5.0)",
        );
    }
    if targets.is_empty() {
        return None;
    }
    Some(Sequential {
        batch: batch as u32,
        max_replications: max as u32,
        half_widths: targets,
    })
}

/// A ratio for messages: at most six decimals, no binary-float noise (1.3, not 1.2999999999999998).
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn group_ref(name: &str, span: Range<usize>, groups: &[String], p: &mut Problems) -> Option<GroupId> {
    match groups.iter().position(|g| g == name) {
        Some(i) => Some(GroupId(i as u32)),
        None => {
            let mut msg = format!("unknown group \"{name}\"");
            if groups.is_empty() {
                msg.push_str(" (no groups are declared: add groups = [...] under [engine])");
            } else {
                msg.push_str(&format!(" (expected one of: {}", groups.join(", ")));
                if let Some(s) = error::did_you_mean(name, groups.iter().map(String::as_str)) {
                    msg.push_str(&format!("; did you mean \"{s}\"?"));
                }
                msg.push(')');
            }
            p.add(span, error::UNKNOWN_GROUP, msg);
            None
        }
    }
}

fn capacity(v: Val<'_, '_>, key: &str, p: &mut Problems) -> Option<Capacity> {
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
