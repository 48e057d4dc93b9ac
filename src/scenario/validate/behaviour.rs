//! The workload beyond arrivals and handle time (docs/workload.md): customers (`[bot]`,
//! `[customers]`) and agents (`[agents]`, team presence behaviour). Traces and the
//! configuration schedule have modules of their own.

use super::{Walk, group_ref};
use crate::engine::{AgentConfig, Role, SimDuration};
use crate::scenario::doc::{self, Problems, Table};
use crate::scenario::error;
use crate::scenario::{AgentBehaviour, Break, Customers, Episodes};
use crate::workload::calendar::{DAY_MS, Days, Window, parse_time_of_day};
use crate::workload::dist::Dist;
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
}

/// Whether any agent of the roster is an admin (takeovers need one).
pub(super) fn has_admin(agents: &[AgentConfig]) -> bool {
    agents.iter().any(|a| a.role == Role::Admin)
}
