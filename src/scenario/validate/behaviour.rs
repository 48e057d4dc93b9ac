//! The workload beyond arrivals and handle time (docs/workload.md): customers (`[bot]`,
//! `[customers]`), agents (`[agents]`, team presence behaviour), traces and the
//! configuration schedule.

use super::{Walk, group_ref};
use crate::engine::{AgentConfig, AgentId, InboxConfig, Presence, Role, Settings, SimDuration, SimTime};
use crate::scenario::doc::{self, Problems, Table};
use crate::scenario::error::{self, ScenarioError, did_you_mean};
use crate::scenario::{
    AgentBehaviour, Break, ConfigChange, Customers, Episodes, TraceArrival, TracePresence,
};
use crate::workload::calendar::{Calendar, DAY_MS, Days, Window, parse_time_of_day};
use crate::workload::dist::Dist;
use crate::workload::trace::{self, Clock, RowError};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::DeValue;

/// The default gap between customer messages (docs/workload.md#messages): exponential, mean 60 s.
pub(crate) const DEFAULT_MESSAGE_GAP: Dist = Dist::Exponential { mean: 60_000.0 };

/// Episodes per hour are at most this (one a minute).
const MAX_EPISODE_RATE: f64 = 60.0;

/// A file named in the scenario, and where.
pub(super) type Located = (PathBuf, Range<usize>);

/// Presence behaviour of a team, as written.
#[derive(Default)]
pub(super) struct TeamPresence {
    pub(super) breaks: Vec<Break>,
    pub(super) wind_down: SimDuration,
    pub(super) away: Option<Episodes>,
    pub(super) flaps: Option<Episodes>,
}

/// A share in [0, 1], or an error at its place.
fn share(t: Table<'_, '_>, key: &str, p: &mut Problems) -> Option<f64> {
    let (x, span) = t.number(key, p)?;
    if (0.0..=1.0).contains(&x) {
        Some(x)
    } else {
        p.add(
            span,
            error::OUT_OF_RANGE,
            format!(
                "{}{key} {x} is out of range (expected a share from 0 to 1)",
                prefix(t)
            ),
        );
        None
    }
}

fn prefix(t: Table<'_, '_>) -> String {
    let name = t.name.trim_start_matches("[[").trim_start_matches('[');
    let name = name.trim_end_matches("]]").trim_end_matches(']');
    if name.is_empty() {
        String::new()
    } else {
        format!("{name}.")
    }
}

/// Reads a per-group table of non-negative numbers (`{ billing = 0.3 }`).
fn per_group(
    t: Table<'_, '_>,
    key: &str,
    groups: &[String],
    p: &mut Problems,
) -> Option<(Vec<f64>, Range<usize>)> {
    let v = t.get(key)?;
    let gt = Table::of(v, key, p)?;
    let mut out = vec![0.0; groups.len()];
    let mut ok = true;
    for (k, value) in gt.map.iter() {
        let Some(g) = group_ref(k.get_ref(), k.span(), groups, p) else {
            ok = false;
            continue;
        };
        match doc::as_number(value, &format!("{}{key}.{}", prefix(t), k.get_ref()), p) {
            Some(x) if x >= 0.0 => out[g.index()] = x,
            Some(x) => {
                p.add(
                    value.span(),
                    error::SHARES,
                    format!("{}{key}.{}: {x} must not be negative", prefix(t), k.get_ref()),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    ok.then(|| (out, v.span()))
}

impl Walk<'_> {
    /// An optional distribution under `key` of table `t`.
    fn opt_dist(&mut self, t: Table<'_, '_>, key: &str) -> Result<Option<Dist>, ()> {
        match t.get(key) {
            None => Ok(None),
            Some(v) => self.dist(v, &format!("{}{key}", prefix(t))).map(Some).ok_or(()),
        }
    }

    /// `[bot]` and `[customers]`.
    pub(super) fn customers(&mut self, top: Table<'_, '_>, groups: &[String]) -> Option<Customers> {
        let mut c = Customers {
            menu_choice: 1.0,
            menu_weights: vec![1.0; groups.len()],
            ..Customers::default()
        };
        let mut ok = true;
        if let Some(v) = top.get("bot")
            && let Some(t) = Table::of(v, "[bot]", &mut self.p)
        {
            t.check_keys(&["resolved", "phase", "groups", "target"], &mut self.p);
            let before = self.p.list.len();
            c.bot_resolved = share(t, "resolved", &mut self.p).unwrap_or(0.0);
            c.bot_target = share(t, "target", &mut self.p).unwrap_or(0.0);
            c.bot_phase = self.opt_dist(t, "phase").unwrap_or(None);
            c.bot_groups = vec![0.0; groups.len()];
            if let Some((shares, span)) = per_group(t, "groups", groups, &mut self.p) {
                let sum: f64 = shares.iter().sum();
                if sum > 1.0 + 1e-9 {
                    self.p.add(
                        span,
                        error::SHARES,
                        format!("bot.groups shares sum to {sum} (expected at most 1; the rest are handed off without a group)"),
                    );
                }
                c.bot_groups = shares;
            }
            ok &= self.p.list.len() == before;
        }
        if let Some(v) = top.get("customers")
            && let Some(t) = Table::of(v, "[customers]", &mut self.p)
        {
            t.check_keys(
                &[
                    "menu_choice",
                    "menu_delay",
                    "menu_weights",
                    "messages",
                    "queued_messages",
                    "silent_abandonment",
                ],
                &mut self.p,
            );
            let before = self.p.list.len();
            c.menu_choice = share(t, "menu_choice", &mut self.p).unwrap_or(1.0);
            c.menu_delay = self.opt_dist(t, "menu_delay").unwrap_or(None);
            if let Some((w, span)) = per_group(t, "menu_weights", groups, &mut self.p) {
                if w.iter().sum::<f64>() <= 0.0 {
                    self.p.add(
                        span,
                        error::SHARES,
                        "customers.menu_weights: at least one weight must be above 0",
                    );
                }
                c.menu_weights = w;
            }
            c.messages = self.messages(t, "messages");
            c.queued_messages = self.messages(t, "queued_messages");
            c.silent_abandonment = share(t, "silent_abandonment", &mut self.p).unwrap_or(0.0);
            ok &= self.p.list.len() == before;
        }
        ok.then_some(c)
    }

    /// `messages = true` (exponential gaps, mean 60 s), `false`, or a gap distribution.
    fn messages(&mut self, t: Table<'_, '_>, key: &str) -> Option<Dist> {
        let v = t.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(true) => Some(DEFAULT_MESSAGE_GAP),
            DeValue::Boolean(false) => None,
            _ => self.dist(v, &format!("customers.{key}")),
        }
    }

    /// `[agents]`: behaviour parameters and the presence trace's path.
    pub(super) fn behaviour(&mut self, top: Table<'_, '_>) -> Option<(AgentBehaviour, Option<Located>)> {
        let mut b = AgentBehaviour::default();
        let Some(v) = top.get("agents") else {
            return Some((b, None));
        };
        let t = Table::of(v, "[agents]", &mut self.p)?;
        t.check_keys(
            &[
                "slowdown",
                "first_response",
                "notice_delay",
                "claim_delay",
                "takeover",
                "takeover_delay",
                "presence_trace",
            ],
            &mut self.p,
        );
        let before = self.p.list.len();
        if let Some((x, span)) = t.number("slowdown", &mut self.p) {
            if (0.0..=10.0).contains(&x) {
                b.slowdown = x;
            } else {
                self.p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("agents.slowdown {x} is out of range (expected 0 to 10)"),
                );
            }
        }
        b.first_response = self.opt_dist(t, "first_response").unwrap_or(None);
        b.notice_delay = self.opt_dist(t, "notice_delay").unwrap_or(None);
        b.claim_delay = self.opt_dist(t, "claim_delay").unwrap_or(None);
        b.takeover = share(t, "takeover", &mut self.p).unwrap_or(0.0);
        b.takeover_delay = self.opt_dist(t, "takeover_delay").unwrap_or(None);
        if b.takeover > 0.0 && b.takeover_delay.is_none() {
            self.p.add(
                t.get("takeover").map_or(t.span(), |v| v.span()),
                error::MISSING,
                "agents.takeover needs agents.takeover_delay (the delay from assignment to takeover)",
            );
        }
        let trace = t.str("presence_trace", &mut self.p).map(|(file, span)| {
            let path = self.path.parent().unwrap_or(Path::new(".")).join(file);
            (path, span)
        });
        (self.p.list.len() == before).then_some((b, trace))
    }

    /// A team's `breaks`, `wind_down`, `away` and `flaps`.
    pub(super) fn team_presence(&mut self, t: Table<'_, '_>, name: &str) -> TeamPresence {
        let mut out = TeamPresence::default();
        let p = &mut self.p;
        for item in t.array("breaks", p).unwrap_or(&[]) {
            let Some(b) = Table::of(item, "[[teams.breaks]]", p) else {
                continue;
            };
            b.check_keys(&["days", "start", "duration", "stagger"], p);
            let days = b.str("days", p).map_or(Some(Days::ALL), |(d, span)| {
                Days::parse(d)
                    .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                    .ok()
            });
            let from = b
                .require("start", p)
                .and_then(|_| b.str("start", p))
                .and_then(|(s, span)| {
                    parse_time_of_day(s)
                        .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                        .ok()
                });
            let duration = b
                .require("duration", p)
                .and_then(|_| b.duration("duration", false, p));
            let duration = match duration {
                Some((Some(d), span)) if d == SimDuration::ZERO || d.as_millis() >= DAY_MS => {
                    p.add(
                        span,
                        error::OUT_OF_RANGE,
                        format!("team \"{name}\": break duration {d} is out of range (expected more than 0s, less than 24h)"),
                    );
                    None
                }
                Some((d, _)) => d,
                None => None,
            };
            let stagger = match b.duration("stagger", false, p) {
                Some((Some(d), span)) if d.as_millis() >= DAY_MS => {
                    p.add(
                        span,
                        error::OUT_OF_RANGE,
                        format!(
                            "team \"{name}\": break stagger {d} is out of range (expected less than 24h)"
                        ),
                    );
                    None
                }
                Some((d, _)) => d,
                None => Some(SimDuration::ZERO),
            };
            if let (Some(days), Some(from), Some(d), Some(stagger)) = (days, from, duration, stagger) {
                let from = from % DAY_MS;
                out.breaks.push(Break {
                    window: Window {
                        days,
                        from,
                        to: (from + d.as_millis()) % DAY_MS,
                    },
                    stagger,
                });
            }
        }
        match t.duration("wind_down", false, p) {
            Some((Some(d), span)) if d > SimDuration::from_hours(4) => p.add(
                span,
                error::OUT_OF_RANGE,
                format!("team \"{name}\": wind_down {d} is out of range (expected 0s to 4h)"),
            ),
            Some((Some(d), _)) => out.wind_down = d,
            _ => {}
        }
        out.away = self.episodes(t, "away", name);
        out.flaps = self.episodes(t, "flaps", name);
        out
    }

    /// `away = { rate = 0.5, duration = { … } }` or `flaps = …` of a team.
    fn episodes(&mut self, t: Table<'_, '_>, key: &str, team: &str) -> Option<Episodes> {
        let v = t.get(key)?;
        let what = format!("teams.{key}");
        let e = Table::of(v, &what, &mut self.p)?;
        e.check_keys(&["rate", "duration"], &mut self.p);
        let rate = e
            .require("rate", &mut self.p)
            .and_then(|_| e.number("rate", &mut self.p));
        let rate = match rate {
            Some((r, span)) if !(0.0..=MAX_EPISODE_RATE).contains(&r) => {
                self.p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("team \"{team}\": {key}.rate {r} is out of range (expected 0 to {MAX_EPISODE_RATE} per hour on shift)"),
                );
                None
            }
            Some((r, _)) => Some(r),
            None => None,
        };
        let duration = e
            .require("duration", &mut self.p)
            .and_then(|d| self.dist(d, &format!("{what}.duration")));
        Some(Episodes {
            rate_per_hour: rate?,
            duration: duration?,
        })
    }

    /// Reads and checks a trace file; problems go to `external` with the file's rows.
    fn trace_table(&mut self, path: &Path, span: Range<usize>, what: &str) -> Option<trace::Table> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.p.add(
                    span,
                    error::TRACE_FILE,
                    format!("{what}: could not read \"{}\": {e}", path.display()),
                );
                return None;
            }
        };
        match trace::read_table(&text) {
            Ok(t) => Some(t),
            Err(errors) => {
                self.row_errors(path, errors);
                None
            }
        }
    }

    fn row_errors(&mut self, path: &Path, errors: Vec<RowError>) {
        for (line, column, message) in errors {
            self.external.push(ScenarioError {
                path: path.to_owned(),
                line,
                column,
                rule: error::TRACE_FILE,
                message,
            });
        }
    }

    /// The arrival trace named by `arrivals.trace`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn arrival_trace(
        &mut self,
        path: &Path,
        span: Range<usize>,
        clock: &mut Clock,
        horizon: SimTime,
        inboxes: &[InboxConfig],
        groups: &[String],
        agents: &[AgentConfig],
    ) -> Option<Vec<TraceArrival>> {
        const COLUMNS: &[&str] = &["timestamp", "inbox", "group", "target", "handle_time"];
        let table = self.trace_table(path, span.clone(), "arrivals.trace")?;
        let mut errors = table.unknown_columns(COLUMNS);
        // A missing column next to an unknown one is usually a misspelling: one error.
        let misspelt = !errors.is_empty();
        let col = |name: &str, required: bool, errors: &mut Vec<RowError>| {
            table
                .column(name, required && !misspelt, COLUMNS)
                .unwrap_or_else(|e| {
                    errors.push(e);
                    None
                })
        };
        let ts = col("timestamp", true, &mut errors);
        let (inbox_col, group_col, target_col, work_col) = (
            col("inbox", false, &mut errors),
            col("group", false, &mut errors),
            col("target", false, &mut errors),
            col("handle_time", false, &mut errors),
        );
        let Some(ts) = ts else {
            self.row_errors(path, errors);
            return None;
        };
        let mut rows = Vec::with_capacity(table.rows.len());
        let mut last = SimTime::ZERO;
        for (line, cells) in &table.rows {
            let mut row = Row {
                line: *line,
                cells,
                errors: &mut errors,
            };
            let at = row.time(ts, clock, &mut last, false);
            if let Some(at) = at
                && at >= horizon
            {
                row.bad(
                    Some(ts),
                    format!("timestamp {at} is at or after the horizon ({horizon}); extend horizon or trim the trace"),
                );
            }
            let inbox = row
                .lookup(inbox_col, "inbox", inboxes.iter().map(|i| i.name.as_str()))
                .map(|i| crate::engine::InboxId(i as u32));
            let group = row
                .lookup(group_col, "group", groups.iter().map(String::as_str))
                .map(|g| crate::engine::GroupId(g as u32));
            let target = row
                .lookup(target_col, "agent", agents.iter().map(|a| a.name.as_str()))
                .map(|a| AgentId(a as u32));
            let work = row
                .cell(work_col)
                .map(|c| (c.to_owned(), parse_seconds_or_duration(c)));
            let work_ms = match work {
                Some((c, Some(0) | None)) => {
                    row.bad(work_col, format!("invalid handle_time \"{c}\" (expected seconds above 0 such as 270, or a duration such as 4m30s)"));
                    None
                }
                Some((_, ms)) => ms,
                None => None,
            };
            if let Some(at) = at {
                rows.push(TraceArrival {
                    at,
                    inbox,
                    group,
                    target,
                    work_ms,
                });
            }
        }
        let whole = rows
            .is_empty()
            .then(|| format!("arrivals.trace: \"{}\" holds no arrivals", path.display()));
        self.rows_or_errors(path, span, rows, errors, whole)
    }

    /// The presence trace named by `agents.presence_trace`.
    pub(super) fn presence_trace(
        &mut self,
        path: &Path,
        span: Range<usize>,
        clock: &mut Clock,
        end: SimTime,
        agents: &[AgentConfig],
    ) -> Option<Vec<TracePresence>> {
        const COLUMNS: &[&str] = &["timestamp", "agent", "presence"];
        let table = self.trace_table(path, span.clone(), "agents.presence_trace")?;
        let mut errors = table.unknown_columns(COLUMNS);
        let misspelt = !errors.is_empty();
        let mut cols = Vec::new();
        for name in COLUMNS {
            match table.column(name, !misspelt, COLUMNS) {
                Ok(c) => cols.push(c),
                Err(e) => errors.push(e),
            }
        }
        let [Some(ts), Some(agent_col), Some(presence_col)] = cols[..] else {
            self.row_errors(path, errors);
            return None;
        };
        let mut rows = Vec::new();
        let mut last = SimTime::ZERO;
        for (line, cells) in &table.rows {
            let mut row = Row {
                line: *line,
                cells,
                errors: &mut errors,
            };
            let at = row.time(ts, clock, &mut last, true);
            if row.cell(Some(agent_col)).is_none() {
                row.bad(Some(agent_col), "missing agent".into());
            }
            let agent = row
                .lookup(Some(agent_col), "agent", agents.iter().map(|a| a.name.as_str()))
                .map(|a| AgentId(a as u32));
            let presence = match row.cell(Some(presence_col)) {
                Some("available") => Some(Presence::Available),
                Some("away") => Some(Presence::Away),
                Some("offline") => Some(Presence::Offline),
                // Like an empty timestamp or agent: "missing", not `invalid presence ""`.
                None => {
                    row.bad(Some(presence_col), "missing presence".into());
                    None
                }
                Some(other) => {
                    let mut msg =
                        format!("invalid presence \"{other}\" (expected available, away or offline");
                    if let Some(s) = did_you_mean(other, ["available", "away", "offline"]) {
                        msg.push_str(&format!("; did you mean \"{s}\"?"));
                    }
                    msg.push(')');
                    row.bad(Some(presence_col), msg);
                    None
                }
            };
            if let (Some(at), Some(agent), Some(presence)) = (at, agent, presence) {
                rows.push(TracePresence { at, agent, presence });
            }
        }
        // Rows before the start only set the initial presence; a trace entirely after the
        // run is a calendar mistake.
        let whole = (!rows.is_empty() && !rows.iter().any(|r| r.at < end)).then(|| {
            format!(
                "agents.presence_trace: every row of \"{}\" falls after the run (0 to {end}); check its timestamps against start",
                path.display()
            )
        });
        self.rows_or_errors(path, span, rows, errors, whole)
    }

    /// The rows read, or `None` with every row's problem reported; `whole` is a problem of
    /// the file as a whole, reported at `span` when the rows themselves are fine.
    fn rows_or_errors<T>(
        &mut self,
        path: &Path,
        span: Range<usize>,
        rows: Vec<T>,
        errors: Vec<RowError>,
        whole: Option<String>,
    ) -> Option<Vec<T>> {
        if !errors.is_empty() {
            self.row_errors(path, errors);
            return None;
        }
        match whole {
            Some(message) => {
                self.p.add(span, error::TRACE_FILE, message);
                None
            }
            None => Some(rows),
        }
    }

    /// `[[schedule]]`: timed configuration changes, applied in time order on top of the
    /// `[engine]` settings.
    pub(super) fn schedule(
        &mut self,
        top: Table<'_, '_>,
        base: &Settings,
        calendar: Calendar,
        end: SimTime,
    ) -> Option<Vec<ConfigChange>> {
        let Some(items) = top.array("schedule", &mut self.p) else {
            return Some(Vec::new());
        };
        let before = self.p.list.len();
        // Every occurrence of every entry: (time, entry index).
        let mut occurrences: Vec<(SimTime, usize)> = Vec::new();
        let mut tables = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(t) = Table::of(item, "[[schedule]]", &mut self.p) else {
                continue;
            };
            let mut known: Vec<&str> = vec!["at", "time", "days"];
            known.extend(super::engine_keys().into_iter().filter(|k| *k != "groups"));
            t.check_keys(&known, &mut self.p);
            let p = &mut self.p;
            match (t.get("at"), t.get("time")) {
                (Some(_), Some(v)) => p.add(
                    v.span(),
                    error::WRONG_TYPE,
                    "a schedule entry gives either at (from the start) or time (every day, or on days), not both",
                ),
                (Some(_), None) => {
                    if let Some(v) = t.get("days") {
                        p.add(
                            v.span(),
                            error::WRONG_TYPE,
                            "days goes with time (every week on those days), not with at (once, from the start)",
                        );
                    }
                    if let Some((Some(d), _)) = t.duration("at", false, p) {
                        occurrences.push((SimTime::ZERO + d, i));
                    }
                }
                (None, Some(_)) => {
                    let days = t.str("days", p).map_or(Some(Days::ALL), |(d, span)| {
                        Days::parse(d)
                            .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                            .ok()
                    });
                    let from = t.str("time", p).and_then(|(s, span)| {
                        parse_time_of_day(s)
                            .map_err(|m| p.add(span, error::BAD_CALENDAR, m))
                            .ok()
                    });
                    if let (Some(days), Some(from)) = (days, from) {
                        let from = from % DAY_MS;
                        let w = Window {
                            days,
                            from,
                            to: (from + 1) % DAY_MS,
                        };
                        for (a, _) in calendar.occurrences(w, end) {
                            // An occurrence clipped at 0 started before the run.
                            if a > SimTime::ZERO || calendar.start_in_week % DAY_MS == from {
                                occurrences.push((a, i));
                            }
                        }
                    }
                }
                (None, None) => p.add(
                    t.span(),
                    error::MISSING,
                    "a schedule entry needs at (e.g. \"10h\" from the start) or time (e.g. \"18:00\")",
                ),
            }
            tables.push((i, t));
        }
        occurrences.sort_by_key(|&(t, i)| (t, i));
        let mut current = base.clone();
        let mut seen = vec![false; items.len()];
        let mut changes = Vec::new();
        for (at, i) in occurrences {
            let Some((_, t)) = tables.iter().find(|(j, _)| *j == i) else {
                continue;
            };
            // Problems are reported once, for an entry's first occurrence.
            let mut scratch = Problems::default();
            let p = if seen[i] { &mut scratch } else { &mut self.p };
            seen[i] = true;
            let strategy = t.choice("strategy", "strategy", &super::strategies(), p);
            if let Some(s) = super::settings(*t, current.clone(), p) {
                current = s;
            }
            changes.push(ConfigChange {
                at,
                settings: current.clone(),
                strategy,
            });
        }
        (self.p.list.len() == before).then_some(changes)
    }
}

/// One trace row being read: its cells, and where its problems go.
struct Row<'a> {
    line: usize,
    cells: &'a [String],
    errors: &'a mut Vec<RowError>,
}

impl Row<'_> {
    /// The cell of column `col`, if the row has it and it is not empty.
    fn cell(&self, col: Option<usize>) -> Option<&str> {
        col.and_then(|i| self.cells.get(i))
            .map(String::as_str)
            .filter(|c| !c.is_empty())
    }

    /// Records a problem at column `col` (0-based) of this row.
    fn bad(&mut self, col: Option<usize>, msg: String) {
        let line = self.line;
        self.errors
            .push((line, col.map_or(1, |c| c + 1), format!("row {line}: {msg}")));
    }

    /// The row's time from column `col`: parsed, placed on the calendar and not before the
    /// previous row's `last` (which it advances). A time before the start is an error, or
    /// time 0 when `before_start_is_zero` (a presence log's state at the start).
    fn time(
        &mut self,
        col: usize,
        clock: &mut Clock,
        last: &mut SimTime,
        before_start_is_zero: bool,
    ) -> Option<SimTime> {
        let at = match self.cell(Some(col)).map(trace::parse_stamp) {
            None => Err("missing timestamp".to_owned()),
            Some(Err(m)) => Err(m),
            Some(Ok(stamp)) => match clock.at(stamp) {
                Some(at) => Ok(at),
                None if before_start_is_zero => Ok(SimTime::ZERO),
                None => Err("timestamp is before time 0 (the scenario's start weekday and time at or before the trace's first ISO timestamp)".to_owned()),
            },
        };
        match at {
            Ok(at) if at < *last => {
                let msg = format!(
                    "timestamp {at} is before the previous row's {last} (rows must be in time order)"
                );
                self.bad(Some(col), msg);
                None
            }
            Ok(at) => {
                *last = at;
                Some(at)
            }
            Err(m) => {
                self.bad(Some(col), m);
                None
            }
        }
    }

    /// Position of the name in column `col` among `names`; an unknown name is reported, an
    /// empty cell is `None`.
    fn lookup<'n>(
        &mut self,
        col: Option<usize>,
        what: &str,
        names: impl Iterator<Item = &'n str> + Clone,
    ) -> Option<usize> {
        let name = self.cell(col)?.to_owned();
        let found = names.clone().position(|n| n == name);
        if found.is_none() {
            self.bad(col, unknown(what, &name, names));
        }
        found
    }
}

/// "unknown inbox "x" (expected one of: …; did you mean "y"?)".
fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a str> + Clone) -> String {
    let list: Vec<&str> = known.clone().take(12).collect();
    if list.is_empty() {
        return format!("unknown {what} \"{name}\" (the scenario declares none)");
    }
    let mut msg = format!("unknown {what} \"{name}\" (expected one of: {}", list.join(", "));
    if list.len() == 12 {
        msg.push_str(", …");
    }
    if let Some(s) = did_you_mean(name, known) {
        msg.push_str(&format!("; did you mean \"{s}\"?"));
    }
    msg.push(')');
    msg
}

/// Seconds (`270`, `270.5`) or a duration (`4m30s`), in milliseconds.
pub(crate) fn parse_seconds_or_duration(cell: &str) -> Option<u64> {
    cell.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0 && *x < 1e12)
        .map(|s| (s * 1_000.0).round() as u64)
        .or_else(|| crate::script::parse_duration(cell).ok().map(|d| d.as_millis()))
}

/// Whether any agent of the roster is an admin (takeovers need one).
pub(super) fn has_admin(agents: &[AgentConfig]) -> bool {
    agents.iter().any(|a| a.role == Role::Admin)
}
