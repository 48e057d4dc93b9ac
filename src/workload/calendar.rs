//! The scenario's calendar: weekdays, times of day, weekly windows and shifts.
//!
//! Simulation time 0 is the scenario's `start` (a weekday and time of day); a [`Calendar`]
//! turns simulation time into time within the week and back, so shifts and rate profiles
//! written as "Mon–Fri 08:00–16:00" become plain intervals of simulation time.

use crate::engine::SimTime;

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;
/// Milliseconds in a week.
pub const WEEK_MS: u64 = 7 * DAY_MS;
/// Weekday names, Monday first, as written in scenario files.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Maps simulation time to the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    /// Milliseconds from Monday 00:00 to the scenario start.
    pub start_in_week: u64,
}

/// A set of weekdays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Days(pub [bool; 7]);

impl Days {
    /// Every day.
    pub const ALL: Self = Self([true; 7]);

    /// Parses `mon-fri`, `sat,sun`, `tue`, `daily`, or a mix such as `mon-wed,fri`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let err = || {
            format!(
                "invalid days \"{text}\" (expected e.g. mon-fri, sat,sun or daily{})",
                days_hint(text)
            )
        };
        if text == "daily" || text == "all" {
            return Ok(Self::ALL);
        }
        let day = |d: &str| WEEKDAYS.iter().position(|w| *w == d.trim());
        let mut set = [false; 7];
        for part in text.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a).ok_or_else(err)?, day(b).ok_or_else(err)?);
                    // A range may wrap over the weekend: fri-mon.
                    let mut d = a;
                    loop {
                        set[d] = true;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => set[day(part).ok_or_else(err)?] = true,
            }
        }
        Ok(Self(set))
    }

    /// Whether weekday `d` (0 = Monday) is in the set.
    pub fn contains(self, d: usize) -> bool {
        self.0[d % 7]
    }
}

/// A daily window on some weekdays: from `from` to `to` (ms after midnight); a window
/// whose `to` is not after `from` runs past midnight into the next day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Days on which the window starts.
    pub days: Days,
    /// Start, ms after midnight.
    pub from: u64,
    /// End, ms after midnight.
    pub to: u64,
}

impl Window {
    /// Length of one occurrence.
    pub fn len(&self) -> u64 {
        if self.to > self.from {
            self.to - self.from
        } else {
            self.to + DAY_MS - self.from
        }
    }

    /// Whether the window has zero length (never: `to == from` means a full day).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Parses `HH:MM` (or `HH:MM:SS`) into ms after midnight; `24:00` is allowed as an end.
pub fn parse_time_of_day(text: &str) -> Result<u64, String> {
    let err = || format!("invalid time of day \"{text}\" (expected HH:MM, 00:00 to 24:00)");
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return Err(err());
    }
    let nums: Vec<u64> = parts
        .iter()
        .map(|p| p.parse().map_err(|_| err()))
        .collect::<Result<_, _>>()?;
    let (h, m, s) = (nums[0], nums[1], nums.get(2).copied().unwrap_or(0));
    if m >= 60 || s >= 60 || h > 24 || (h == 24 && (m, s) != (0, 0)) {
        return Err(err());
    }
    Ok(((h * 60 + m) * 60 + s) * 1_000)
}

impl Calendar {
    /// Parses a start such as `monday 08:00` or `wed 00:00`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let err = || {
            // Suggest the closest weekday for a misspelt one, keeping the time as written.
            let hint = text.trim().split_once(' ').and_then(|(day, time)| {
                let lower = day.to_ascii_lowercase();
                let suggestion = crate::util::suggest::did_you_mean(&lower, FULL_DAYS);
                suggestion
                    .filter(|_| !is_day_name(&lower))
                    .map(|d| format!("; did you mean \"{d} {}\"?", time.trim()))
            });
            format!(
                "invalid start \"{text}\" (expected a weekday and a time, e.g. \"monday 08:00\"{})",
                hint.unwrap_or_default()
            )
        };
        let (day, time) = text.trim().split_once(' ').ok_or_else(err)?;
        let day = day.to_ascii_lowercase();
        let d = WEEKDAYS
            .iter()
            .position(|w| day.get(..3).is_some_and(|p| w.starts_with(p)) && is_day_name(&day))
            .ok_or_else(err)?;
        let tod = parse_time_of_day(time.trim()).map_err(|_| err())?;
        if tod >= DAY_MS {
            return Err(err());
        }
        Ok(Self {
            start_in_week: d as u64 * DAY_MS + tod,
        })
    }

    /// The weekday and time of day of simulation time `t`, as a scenario's `start` is
    /// written: `monday 08:00`.
    pub fn describe(self, t: SimTime) -> String {
        let in_week = (self.start_in_week + t.as_millis()) % WEEK_MS;
        let minutes = in_week % DAY_MS / 60_000;
        format!(
            "{} {:02}:{:02}",
            FULL_DAYS[(in_week / DAY_MS) as usize],
            minutes / 60,
            minutes % 60
        )
    }

    /// Every occurrence of `window` overlapping [0, `end`), as simulation-time intervals
    /// clipped to that range, in order.
    pub fn occurrences(self, window: Window, end: SimTime) -> Vec<(SimTime, SimTime)> {
        // Work one week later than the real week time so the day before the start (whose
        // window may run past midnight into it) is never before zero.
        let origin = self.start_in_week + WEEK_MS;
        let last = origin + end.as_millis();
        let mut out = Vec::new();
        let mut day = origin / DAY_MS - 1;
        while day * DAY_MS < last {
            if window.days.contains((day % 7) as usize) {
                let from = day * DAY_MS + window.from;
                let to = from + window.len();
                let (a, b) = (from.max(origin), to.min(last));
                if a < b {
                    out.push((SimTime(a - origin), SimTime(b - origin)));
                }
            }
            day += 1;
        }
        out
    }
}

/// Full weekday names, Monday first.
const FULL_DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn is_day_name(day: &str) -> bool {
    WEEKDAYS.contains(&day) || FULL_DAYS.contains(&day)
}

/// "; did you mean \"mon-fri\"?" for a days text with misspelt weekdays, or "".
fn days_hint(text: &str) -> String {
    let mut changed = false;
    let fixed: String = text
        .split_inclusive([',', '-'])
        .map(|part| {
            let word = part.trim_end_matches([',', '-']);
            let sep = &part[word.len()..];
            if WEEKDAYS.contains(&word.trim()) {
                return part.to_owned();
            }
            match crate::util::suggest::did_you_mean(word.trim(), WEEKDAYS) {
                Some(d) => {
                    changed = true;
                    format!("{d}{sep}")
                }
                None => part.to_owned(),
            }
        })
        .collect();
    if changed {
        format!("; did you mean \"{fixed}\"?")
    } else {
        String::new()
    }
}

/// Merges intervals that overlap or touch, in order.
pub fn merge(mut intervals: Vec<(SimTime, SimTime)>) -> Vec<(SimTime, SimTime)> {
    intervals.sort_unstable();
    let mut out: Vec<(SimTime, SimTime)> = Vec::with_capacity(intervals.len());
    for (a, b) in intervals {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_days_times_and_starts() {
        assert_eq!(
            Days::parse("mon-fri").unwrap().0,
            [true, true, true, true, true, false, false]
        );
        assert_eq!(
            Days::parse("fri-mon").unwrap().0,
            [true, false, false, false, true, true, true]
        );
        assert_eq!(
            Days::parse("sat,sun").unwrap().0,
            [false, false, false, false, false, true, true]
        );
        assert!(Days::parse("funday").is_err());
        assert_eq!(parse_time_of_day("08:30"), Ok(30_600_000));
        assert_eq!(parse_time_of_day("24:00"), Ok(DAY_MS));
        assert!(parse_time_of_day("24:01").is_err());
        assert!(parse_time_of_day("8:30").is_err());
        assert_eq!(
            Calendar::parse("tuesday 08:00").unwrap().start_in_week,
            DAY_MS + 28_800_000
        );
        assert_eq!(Calendar::parse("Mon 00:00").unwrap().start_in_week, 0);
        assert!(Calendar::parse("tuesdayy 08:00").is_err());
    }

    #[test]
    fn window_occurrences_cross_midnight_and_clip() {
        let cal = Calendar::parse("monday 20:00").unwrap();
        let night = Window {
            days: Days::ALL,
            from: 22 * 3_600_000,
            to: 6 * 3_600_000,
        };
        let occ = cal.occurrences(night, SimTime(24 * 3_600_000));
        // Sunday night's shift ends Monday 06:00, before the start: not included.
        assert_eq!(occ, vec![(SimTime(2 * 3_600_000), SimTime(10 * 3_600_000))]);
        let early = Calendar::parse("monday 03:00").unwrap();
        let occ = early.occurrences(night, SimTime(3_600_000));
        assert_eq!(occ, vec![(SimTime(0), SimTime(3_600_000))]);
    }
}
