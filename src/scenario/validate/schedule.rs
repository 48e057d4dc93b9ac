//! `[[schedule]]` (docs/workload.md#configuration-schedule): timed configuration changes,
//! once (`at`, from the start) or weekly (`time`, on `days`), applied in time order on top
//! of the `[engine]` settings.

use super::Walk;
use super::engine::{complete, read_settings};
use crate::engine::{Settings, SimTime};
use crate::scenario::ConfigChange;
use crate::scenario::doc::{Problems, Table};
use crate::scenario::error;
use crate::workload::calendar::{Calendar, DAY_MS, Days, Window, parse_time_of_day};

impl Walk<'_> {
    /// `[[schedule]]`: timed configuration changes, applied in time order on top of the
    /// `[engine]` settings. Without valid `[engine]` settings, start or run end (reported
    /// elsewhere) the entries' own values are still checked.
    pub(super) fn schedule(
        &mut self,
        top: Table<'_, '_>,
        base: Option<&Settings>,
        calendar: Option<Calendar>,
        end: Option<SimTime>,
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
                tables.push(None);
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
                    if let (Some(days), Some(from), Some(calendar), Some(end)) = (days, from, calendar, end) {
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
            // Every entry's values are checked here, once, whether or not its time is valid
            // and whether or not it falls within the run: one problem does not hide the next.
            t.choice("strategy", "strategy", &super::strategies(), p);
            read_settings(t, Settings::default(), p);
            tables.push(Some(t));
        }
        let (Some(base), Some(calendar), Some(end)) = (base, calendar, end) else {
            return None;
        };
        occurrences.sort_by_key(|&(t, i)| (t, i));
        let mut current = base.clone();
        let mut seen = vec![false; items.len()];
        let mut changes = Vec::new();
        for (at, i) in occurrences {
            let Some(Some(t)) = tables.get(i) else {
                continue;
            };
            // Values were reported above; whether they go with the settings in force then is
            // reported once, at the entry's first occurrence.
            let mut scratch = Problems::default();
            let strategy = t.choice("strategy", "strategy", &super::strategies(), &mut scratch);
            let p = if seen[i] { &mut scratch } else { &mut self.p };
            seen[i] = true;
            if let Some(s) =
                read_settings(*t, current.clone(), &mut Problems::default()).and_then(|s| complete(*t, s, p))
            {
                current = s;
            }
            changes.push(ConfigChange {
                at,
                settings: current.clone(),
                strategy,
            });
        }
        // An entry that never applies is probably a mistake in its days or time.
        for (i, t) in tables.iter().enumerate() {
            if let Some(t) = t
                && !seen[i]
                && self.p.list.len() == before
            {
                self.warnings.push((
                    t.get("time").or_else(|| t.get("at")).map_or(t.span(), |v| v.span()),
                    error::NEVER_APPLIES,
                    format!(
                        "schedule entry {} never applies during the run ({} to {}): it changes nothing (check its days and time against start and horizon)",
                        i + 1,
                        calendar.describe(SimTime::ZERO),
                        calendar.describe(end)
                    ),
                ));
            }
        }
        (self.p.list.len() == before).then_some(changes)
    }
}
