//! `[[teams]]` and `[[inboxes]]`: team sizes or agent lists, capacities, roles and weekly
//! shifts (docs/workload.md#presence); the roster numbered from them; inbox shares and pinned
//! agents.

use super::engine::capacity;
use super::{MAX_AGENTS, SUGGESTIONS, Walk, group_ref, round6, strategies};
use crate::engine::{
    AgentConfig, Capacity, EligibleAgents, GroupId, InboxConfig, Presence, Role, StrategyKind,
};
use crate::scenario::AgentPlan;
use crate::scenario::doc::{self, Problems, Table};
use crate::scenario::error;
use crate::workload::calendar::{DAY_MS, Days, WEEK_MS, Window, parse_time_of_day};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use toml::de::DeValue;

/// A team as written, before agents are numbered.
pub(super) struct TeamSpec {
    pub(super) name: String,
    pub(super) name_span: Range<usize>,
    /// Agent names with where each is written (the `size` value for numbered agents).
    pub(super) agent_names: Vec<(String, Range<usize>)>,
    /// Where `role` is written, if it is.
    pub(super) role_span: Option<Range<usize>>,
    pub(super) groups: Vec<GroupId>,
    pub(super) capacity: Option<Capacity>,
    pub(super) role: Role,
    pub(super) auto_assign: bool,
    pub(super) shifts: Vec<Window>,
    /// Where `shifts` is written, if it is.
    pub(super) shifts_span: Option<Range<usize>>,
    pub(super) presence: super::behaviour::TeamPresence,
}

impl Walk<'_> {
    pub(super) fn teams(&mut self, top: Table<'_, '_>, groups: &[String]) -> Option<Vec<TeamSpec>> {
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
            named(name, name_span.clone(), "team", "", "support", p);
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
                        // A set, so a list of 100 000 names is checked in O(n log n).
                        let mut listed = BTreeSet::new();
                        for v in list {
                            if let Some((a, span)) = doc::as_str(v, "an agent name", p) {
                                if !named(
                                    a,
                                    span.clone(),
                                    "agent",
                                    &format!(" in team \"{name}\""),
                                    "ann",
                                    p,
                                ) {
                                    continue;
                                }
                                if !listed.insert(a) {
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
                shifts_span: t.get("shifts").map(|v| v.span()),
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
        let (days, from, to) = window_parts(&t, "start", "end", p);
        if let (Some(from), Some(to)) = (from, to)
            && from == to
        {
            // 08:00–08:00 is no time at all; 00:00–24:00 is the whole day.
            p.add(
                t.get("end").map_or(t.span(), |v| v.span()),
                error::BAD_CALENDAR,
                format!(
                    "team \"{name}\": shift {} starts and ends at {} (a shift needs a length; for the whole day write start = \"00:00\" and end = \"24:00\")",
                    shifts.len() + 1,
                    clock(from)
                ),
            );
            continue;
        }
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
    for (later, other) in overlaps(&shifts) {
        let msg = if later == other {
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
    shifts.into_iter().map(|(w, _)| w).collect()
}

/// Overlapping shifts of one team, as (later shift, earlier shift) indexes, each later shift
/// once. Every occurrence in a week (and its copy a week on, for shifts that run past the
/// week's end) is swept in time order: O(n log n) in the number of occurrences.
fn overlaps(shifts: &[(Window, Range<usize>)]) -> Vec<(usize, usize)> {
    let mut occurrences: Vec<(u64, u64, usize)> = shifts
        .iter()
        .enumerate()
        .flat_map(|(i, (w, _))| {
            (0..7u64)
                .filter(move |d| w.days.contains(*d as usize))
                .flat_map(move |d| {
                    let from = d * DAY_MS + w.from;
                    [0, WEEK_MS].map(|off| (from + off, from + off + w.len(), i))
                })
        })
        .collect();
    occurrences.sort_unstable();
    let mut found = Vec::new();
    let mut reported = BTreeSet::new();
    // The occurrence seen so far that ends last: any later start before its end overlaps it.
    let mut reach: Option<(u64, usize)> = None;
    for &(start, end, i) in &occurrences {
        if let Some((until, j)) = reach
            && start < until
        {
            let later = i.max(j);
            if reported.insert(later) {
                found.push((later, i.min(j)));
            }
        }
        if reach.is_none_or(|(until, _)| end > until) {
            reach = Some((end, i));
        }
    }
    found.sort_unstable();
    found
}

/// The parts of a calendar window written as `days` (optional: every day) and two required
/// times of day under `from` and `to` — shift or profile window alike — each parsed, or
/// reported where it is written.
pub(super) fn window_parts(
    t: &Table<'_, '_>,
    from: &str,
    to: &str,
    p: &mut Problems,
) -> (Option<Days>, Option<u64>, Option<u64>) {
    let days = t.str("days", p).map_or(Some(Days::ALL), |(d, span)| {
        Days::parse(d)
            .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
            .ok()
    });
    let mut time = |key: &str| {
        let (s, span) = t.require(key, p).and_then(|_| t.str(key, p))?;
        parse_time_of_day(s)
            .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
            .ok()
    };
    let (from, to) = (time(from), time(to));
    (days, from, to)
}

/// `HH:MM` of ms after midnight (`24:00` for the end of the day).
pub(super) fn clock(ms: u64) -> String {
    let minutes = ms / 60_000;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Whether `name` is a usable name (not empty or blank); reports it otherwise. `what` is the
/// kind of thing named, `place` where (" in team \"support\""), `example` a sample name.
pub(super) fn named(
    name: &str,
    span: Range<usize>,
    what: &str,
    place: &str,
    example: &str,
    p: &mut Problems,
) -> bool {
    if !name.trim().is_empty() {
        return true;
    }
    let state = if name.is_empty() { "empty" } else { "blank" };
    p.add(
        span,
        error::EMPTY_NAME,
        format!("{what} name \"{name}\"{place} is {state} (expected a name such as \"{example}\")"),
    );
    false
}

impl Walk<'_> {
    /// Numbers the agents team by team; checks names are unique.
    pub(super) fn roster(
        &mut self,
        teams: &Option<Vec<TeamSpec>>,
        teams_span: Range<usize>,
    ) -> (Vec<AgentConfig>, Vec<AgentPlan>, Vec<String>) {
        let (mut agents, mut plans, mut names) = (Vec::new(), Vec::new(), Vec::new());
        let Some(teams) = teams else {
            return (agents, plans, names);
        };
        // Names seen so far: sets, so 100 000 agents are checked in O(n log n).
        let mut seen = BTreeSet::new();
        let mut team_names = BTreeSet::new();
        let total: usize = teams.iter().map(|t| t.agent_names.len()).sum();
        if total > MAX_AGENTS {
            self.p.add(
                teams_span,
                error::SIZE,
                format!(
                    "the teams hold {total} agents in all (expected at most {MAX_AGENTS}; docs/workload.md#sizes-and-limits)"
                ),
            );
            return (agents, plans, names);
        }
        for (ti, team) in teams.iter().enumerate() {
            if !team_names.insert(team.name.as_str()) {
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

    pub(super) fn inboxes(
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
        let mut inbox_names = BTreeSet::new();
        // Agents by name, so pinning 100 000 agents is O(n log n).
        let by_name: BTreeMap<&str, usize> = agents
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect();
        let mut unknown = 0;
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
            named(name, span.clone(), "inbox", "", "web", p);
            if !inbox_names.insert(name) {
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
                        match by_name.get(a) {
                            Some(&i) => pinned.push(crate::engine::AgentId(i as u32)),
                            None => {
                                let mut msg = format!("unknown agent \"{a}\" in inbox \"{name}\"");
                                // Suggestions cost a pass over every agent: the first few only.
                                unknown += 1;
                                let suggestion = (unknown <= SUGGESTIONS)
                                    .then(|| error::did_you_mean(a, agents.iter().map(|x| x.name.as_str())))
                                    .flatten();
                                if let Some(s) = suggestion {
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
}
