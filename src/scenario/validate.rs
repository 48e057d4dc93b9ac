//! Scenario text → [`Scenario`], collecting every problem.
//!
//! This file walks the top level of the document and checks across sections (a feature
//! switched on without the behaviour that drives it, warnings). Each part of the schema has
//! a file of its own under `validate/`, so no file holds the whole of it: `engine.rs`,
//! `teams.rs`, `arrivals.rs`, `dist.rs`, `behaviour.rs`, `schedule.rs`, `traces.rs`,
//! `decision.rs` and `staffing.rs`. Nothing here simulates.

use crate::engine::{
    AgentConfig, EngineConfig, GroupId, InboxConfig, Role, Settings, SimDuration, SimTime, StrategyKind,
};
use crate::scenario::doc::{self, Problems, Table, Val};
use crate::scenario::error::{self, ScenarioError, ScenarioErrors, line_col};
use crate::scenario::input::{Files, ReadError};
use crate::scenario::{AgentPlan, RunKind, Scenario, Sequential};

mod arrivals;
mod behaviour;
mod decision;
mod dist;
mod engine;
mod schedule;
mod staffing;
mod teams;
mod traces;

use crate::workload::calendar::{Calendar, WEEK_MS};
pub(super) use engine::{setting_value, switch_value};
use std::ops::Range;
use std::path::Path;
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
/// The most agents a scenario may have, over all its teams (docs/workload.md#sizes-and-limits).
const MAX_AGENTS: usize = 100_000;
/// The most groups a scenario may declare (docs/workload.md#sizes-and-limits): every
/// reference to a group is looked up among them.
const MAX_GROUPS: usize = 1_000;
/// The most chats one run may expect (docs/workload.md#sizes-and-limits).
const MAX_CHATS_PER_RUN: f64 = 1.0e8;
/// How many unknown names in one list get a "did you mean": each costs a pass over the known
/// names, so a list of 100 000 misspellings must not cost 100 000 passes.
const SUGGESTIONS: usize = 16;
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
    warnings: Vec<(Range<usize>, error::Rule, String)>,
    /// The data files read so far (shared by the cells of a comparison).
    files: &'t Files,
}

pub(super) fn validate(text: &str, path: &Path, files: &Files) -> Result<Scenario, ScenarioErrors> {
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
        files,
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
            let lines = error::LineIndex::new(text);
            s.warnings = w
                .warnings
                .iter()
                .map(|(span, _, m)| {
                    let (line, col) = lines.line_col(span.start);
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
        if let (Some(engine), Some(teams)) = (top.get("engine"), &teams) {
            self.capacity_warning(top, engine.span(), teams);
        }
        let teams_span = top.get("teams").map_or(0..0, |v| v.span());
        let (agents, plans, team_names) = self.roster(&teams, teams_span);
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
        if teams.as_ref().is_some_and(|t| t.is_empty()) {
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
        // A run of absurd size is refused before anything runs.
        if let (Some(profile), Some(volume), Some(calendar), Some(horizon)) =
            (&arrivals, volume, calendar, horizon)
        {
            let trace_rows = arrival_trace.as_ref().map(Vec::len);
            let chats = crate::scenario::expected_chats(
                profile,
                trace_rows,
                calendar,
                SimTime::ZERO + horizon,
                volume,
            );
            if chats > MAX_CHATS_PER_RUN {
                self.p.add(
                    top.get("arrivals").map_or(0..0, |v| v.span()),
                    error::SIZE,
                    format!(
                        "arrivals: about {chats:.0} chats are expected in one run over the {horizon} horizon, more than the limit of {MAX_CHATS_PER_RUN:.0} (docs/workload.md#sizes-and-limits; lower the rate, the volume or the horizon)"
                    ),
                );
            }
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
        if let (Some(teams), Some(calendar), Some(end)) = (&teams, calendar, end) {
            self.shift_warnings(teams, &plans, calendar, end);
        }
        let schedule = self.schedule(top, settings.as_ref(), calendar, end);
        // Each check runs on the parts it reads that are valid: a broken section hides no
        // problem of the others (a part that failed counts as turning nothing on).
        self.cross_checks(
            top,
            customers.as_ref(),
            behaviour.as_ref().map(|(b, _)| b),
            settings.as_ref(),
            schedule.as_deref().unwrap_or_default(),
            inboxes.as_ref().map_or(&[][..], |(list, _)| list.as_slice()),
            &groups,
            &agents,
        );
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

    /// A warning when no capacity is set anywhere: agents then take any number of chats at
    /// once (docs/engine.md#load), which is rarely what a planner means.
    fn capacity_warning(&mut self, top: Table<'_, '_>, engine: Range<usize>, teams: &[teams::TeamSpec]) {
        let sets = |v: &toml::Spanned<DeValue<'_>>| match v.get_ref() {
            DeValue::Table(t) => t.contains_key("max_chats_per_agent"),
            _ => false,
        };
        let in_engine = top.get("engine").is_some_and(sets);
        let compared = top.get("compare").is_some_and(sets);
        let scheduled = match top.get("schedule").map(|v| v.get_ref()) {
            Some(DeValue::Array(items)) => items.iter().any(sets),
            _ => false,
        };
        let uncapped = teams
            .iter()
            .any(|t| t.capacity.is_none() && t.role == Role::Agent);
        if uncapped && !in_engine && !compared && !scheduled {
            self.warnings.push((
                engine,
                error::UNLIMITED,
                "max_chats_per_agent is not set, so agents take any number of chats at once and no chat waits for a free slot (an M/M/∞ system); set it, e.g. max_chats_per_agent = 3, or write \"unlimited\" if that is meant".into(),
            ));
        }
    }

    /// A warning for every team whose shifts never fall within the run (`end`): its agents
    /// are offline throughout, which a night shift written against a day's run (start
    /// 08:00, shift 18:00–08:00) would silently mean. Agents driven by a presence trace are
    /// not judged by their shifts.
    fn shift_warnings(
        &mut self,
        teams: &[teams::TeamSpec],
        plans: &[AgentPlan],
        calendar: Calendar,
        end: SimTime,
    ) {
        // A run of more than a week meets every weekday at every time of day.
        if end.as_millis() > WEEK_MS {
            return;
        }
        let mut untraced = vec![false; teams.len()];
        for plan in plans {
            untraced[plan.team] |= !plan.traced;
        }
        for (ti, team) in teams.iter().enumerate() {
            if team.shifts.is_empty() || !untraced[ti] {
                continue;
            }
            if team
                .shifts
                .iter()
                .all(|w| calendar.occurrences(*w, end).is_empty())
            {
                self.warnings.push((
                    team.shifts_span.clone().unwrap_or(team.name_span.clone()),
                    error::NEVER_ON_SHIFT,
                    format!(
                        "team \"{}\" is never on shift during the run ({} to {}): its agents take no chats (check the shifts' days and times against start and horizon)",
                        team.name,
                        calendar.describe(SimTime::ZERO),
                        calendar.describe(end)
                    ),
                ));
            }
        }
    }

    /// Checks across sections: features the engine has that need behaviour to drive them,
    /// and warnings for settings that cannot work as meant.
    #[allow(clippy::too_many_arguments)]
    fn cross_checks(
        &mut self,
        top: Table<'_, '_>,
        customers: Option<&crate::scenario::Customers>,
        behaviour: Option<&crate::scenario::AgentBehaviour>,
        settings: Option<&Settings>,
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
        if manual && behaviour.is_some_and(|b| b.claim_delay.is_none()) {
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
        let ever = |f: &dyn Fn(&Settings) -> bool| {
            settings.is_some_and(f) || schedule.iter().any(|c| f(&c.settings))
        };
        let menu = ever(&|s| s.menu_timeout.is_some());
        if menu && customers.is_some_and(|c| c.menu_delay.is_none()) {
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
        if behaviour.is_some_and(|b| b.takeover > 0.0) && !behaviour::has_admin(agents) {
            self.p.add(
                span_of("agents", "takeover"),
                error::UNSUPPORTED,
                "agents.takeover needs an admin to take chats over (a team with role = \"admin\")",
            );
        }
        if customers.is_some_and(|c| c.silent_abandonment > 0.0)
            && behaviour.is_some_and(|b| b.notice_delay.is_none())
        {
            self.p.add(
                span_of("customers", "silent_abandonment"),
                error::MISSING,
                "customers.silent_abandonment needs agents.notice_delay (how long after the last message an agent notices the customer left)",
            );
        }
        if let Some(customers) = customers
            && customers.messages.is_none()
        {
            if ever(&|s| s.rebalance_on_online) {
                self.warnings.push((
                    where_on("rebalance_on_online", Some("true")),
                    error::NO_MESSAGES,
                    "rebalance_on_online without message activity: no chat ever looks active, so rebalancing moves chats mid-conversation (set customers.messages)".into(),
                ));
            }
            if ever(&|s| s.auto_close_after.is_some()) {
                self.warnings.push((
                    where_on("auto_close_after", Some("!off")),
                    error::NO_MESSAGES,
                    "auto_close_after without message activity: chats go quiet from assignment, so auto-close ends conversations that are still going (set customers.messages)".into(),
                ));
            }
            if customers.silent_abandonment > 0.0 {
                self.warnings.push((
                    span_of("customers", "silent_abandonment"),
                    error::NO_MESSAGES,
                    "silent_abandonment without message activity: the notice delay then counts from the hand-off or the agent's first reply, not from the customer's last message (set customers.messages)".into(),
                ));
            }
        }
        if behaviour.is_some_and(|b| b.claim_delay.is_none()) && ever(&|s| !s.enabled) {
            self.warnings.push((
                where_on("enabled", Some("false")),
                error::NOBODY_CLAIMS,
                "auto-assignment is off without agents.claim_delay: nobody takes queued chats while it is off (set agents.claim_delay for agents who claim by hand)".into(),
            ));
        }
    }
}

impl Walk<'_> {
    /// The text of the data file `path` that the scenario names at `span` as `what`
    /// (`arrivals.trace`), read once per experiment. A file that cannot be read is reported
    /// at `span` with `rule`; text that is not UTF-8 at its first bad byte in the file.
    fn data_file(
        &mut self,
        path: &Path,
        span: Range<usize>,
        what: &str,
        rule: error::Rule,
    ) -> Option<String> {
        let read = self.files.data(path);
        match read.as_ref() {
            Ok(text) => Some(text.clone()),
            Err(ReadError::NotUtf8 { line, column, .. }) => {
                self.external.push(ScenarioError {
                    path: path.to_owned(),
                    line: *line,
                    column: *column,
                    rule,
                    message: read
                        .as_ref()
                        .as_ref()
                        .err()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                });
                None
            }
            Err(e) => {
                self.p.add(
                    span,
                    rule,
                    format!("{what}: could not read \"{}\": {e}", path.display()),
                );
                None
            }
        }
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
    // Every key is read before any is given up on, so one problem does not hide the next.
    let batch = match t.get("batch") {
        Some(_) => t.integer_in("batch", 1, 1_000, p),
        None => Some(10),
    };
    let max = t
        .require("max_replications", p)
        .and_then(|_| t.integer_in("max_replications", 2, MAX_REPLICATIONS, p));
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
        batch: batch? as u32,
        max_replications: max? as u32,
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
