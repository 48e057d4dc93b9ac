//! `[[schedule]]` (docs/workload.md#configuration-schedule): timed configuration changes,
//! once (`at`, from the start) or weekly (`time`, on `days`), applied in time order on top
//! of the `[engine]` settings.

use super::Walk;
use crate::engine::{Settings, SimTime};
use crate::scenario::ConfigChange;
use crate::scenario::doc::{Problems, Table};
use crate::scenario::error;
use crate::workload::calendar::{Calendar, DAY_MS, Days, Window, parse_time_of_day};

impl Walk<'_> {
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
