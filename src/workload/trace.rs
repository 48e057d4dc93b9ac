//! Recorded traces: arrivals and presence changes from CSV files (docs/workload.md#traces).
//!
//! Both files have a header row naming their columns (in any order):
//!
//! - arrivals: `timestamp` and, optionally, `inbox`, `group`, `target` (an agent name) and
//!   `handle_time` (seconds, or a duration such as `4m30s`); an empty cell means "not
//!   recorded", and the simulator draws that attribute as for generated chats;
//! - presence: `timestamp`, `agent`, `presence` (`available`, `away` or `offline`).
//!
//! A timestamp is either seconds from the scenario start (`5400`, `5400.5`) or an ISO 8601
//! local date-time (`2026-03-02T09:15:00`, optionally with fractional seconds and `Z`).
//! ISO timestamps are placed on the scenario's calendar: time 0 is the last instant at or
//! before the first ISO timestamp read (of the arrival trace, else of the presence trace)
//! that falls on the scenario's `start` weekday and time of day — or the next one, when the
//! first timestamp is less than a day before it (a log that begins a few minutes early).
//! So a trace recorded from Monday 08:03 to Friday, or a presence log from Monday 07:58,
//! replays from a Monday 08:00 start. Both traces of a scenario share that time 0.
//! Rows must be in time order. Every problem is reported with its row (the file's line
//! number) and column; reading goes on to find them all.

use crate::engine::SimTime;
use crate::workload::calendar::{Calendar, DAY_MS, WEEK_MS};

/// A problem in a trace: 1-based line, 1-based column, message.
pub type RowError = (usize, usize, String);

/// A parsed CSV: header names and rows of (line, cells).
#[derive(Debug)]
pub struct Table {
    /// The header row's line number: blank lines before it are skipped, so it is not
    /// always line 1, and header problems are located on it.
    pub header_line: usize,
    /// Column names, lower-cased and trimmed.
    pub header: Vec<String>,
    /// Each data row with its line number.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads CSV text with a header row. Cells are trimmed; a cell may be double-quoted (with
/// `""` for a quote inside) to hold a comma; blank lines are skipped. A row with an
/// unterminated quote is reported and left out; reading goes on, so every bad row is found.
pub fn read_table(text: &str) -> Result<Table, Vec<RowError>> {
    // Spreadsheet exports often start with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((line, first)) = lines.next() else {
        return Err(vec![(1, 1, "the file is empty (expected a header row)".into())]);
    };
    let unterminated = |line: usize, col: usize| (line, col, format!("row {line}: unterminated quote"));
    let header = split_row(first)
        .map_err(|col| vec![unterminated(line, col)])?
        .into_iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (line, l) in lines {
        match split_row(l) {
            Ok(cells) => rows.push((line, cells)),
            Err(col) => errors.push(unterminated(line, col)),
        }
    }
    if errors.is_empty() {
        Ok(Table {
            header_line: line,
            header,
            rows,
        })
    } else {
        Err(errors)
    }
}

/// Splits one CSV line into trimmed cells; `Err(column)` for an unterminated quote.
fn split_row(line: &str) -> Result<Vec<String>, usize> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.char_indices().peekable();
    let mut quoted = None;
    while let Some((i, c)) = chars.next() {
        match (quoted, c) {
            (Some(_), '"') if chars.peek().is_some_and(|(_, n)| *n == '"') => {
                chars.next();
                cell.push('"');
            }
            (Some(_), '"') => quoted = None,
            (Some(_), c) => cell.push(c),
            (None, '"') if cell.trim().is_empty() => {
                cell.clear();
                quoted = Some(i);
            }
            (None, ',') => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            (None, c) => cell.push(c),
        }
    }
    if let Some(i) = quoted {
        return Err(line[..i].chars().count() + 1);
    }
    cells.push(cell.trim().to_owned());
    Ok(cells)
}

impl Table {
    /// Index of a column, or an error naming the expected columns.
    pub fn column(&self, name: &str, required: bool, known: &[&str]) -> Result<Option<usize>, RowError> {
        let found = self.header.iter().position(|h| h == name);
        if found.is_none() && required {
            return Err((
                self.header_line,
                1,
                format!(
                    "header row: missing column \"{name}\" (expected columns: {})",
                    known.join(", ")
                ),
            ));
        }
        Ok(found)
    }

    /// Columns named more than once, as errors at the second (and later) mention.
    pub fn duplicate_columns(&self) -> Vec<RowError> {
        let mut first: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        let mut out = Vec::new();
        for (i, h) in self.header.iter().enumerate() {
            match first.get(h.as_str()) {
                Some(&j) => out.push((
                    self.header_line,
                    i + 1,
                    format!(
                        "header row: column \"{}\" is named twice (columns {} and {}; each column once)",
                        crate::util::text::clip(h),
                        j + 1,
                        i + 1
                    ),
                )),
                None => {
                    first.insert(h, i);
                }
            }
        }
        out
    }

    /// Header names that are not in `known`, as errors with suggestions.
    pub fn unknown_columns(&self, known: &[&str]) -> Vec<RowError> {
        let mut out = Vec::new();
        for (i, h) in self.header.iter().enumerate() {
            if !known.contains(&h.as_str()) {
                let mut msg = format!(
                    "header row: unknown column \"{}\" (expected columns: {}",
                    crate::util::text::clip(h),
                    known.join(", ")
                );
                if let Some(s) = crate::util::suggest::did_you_mean(h, known.iter().copied()) {
                    msg.push_str(&format!("; did you mean \"{s}\"?"));
                }
                msg.push(')');
                out.push((self.header_line, i + 1, msg));
            }
        }
        out
    }
}

/// A timestamp as written: seconds from the start, or an absolute local date-time (ms since
/// 0001-01-01, proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// Milliseconds from the scenario start.
    Relative(u64),
    /// Milliseconds since 0001-01-01T00:00 local time.
    Absolute(u64),
}

/// Parses one timestamp cell.
pub fn parse_stamp(cell: &str) -> Result<Stamp, String> {
    let expected = || {
        format!(
            "invalid timestamp \"{}\" (expected seconds from the start such as 5400, or an ISO 8601 date-time such as 2026-03-02T09:15:00)",
            crate::util::text::clip(cell)
        )
    };
    if let Ok(secs) = cell.parse::<f64>() {
        if (0.0..1e12).contains(&secs) {
            return Ok(Stamp::Relative((secs * 1_000.0).round() as u64));
        }
        return Err(expected());
    }
    let text = cell.strip_suffix('Z').unwrap_or(cell);
    let (date, time) = text.split_once(['T', ' ']).ok_or_else(expected)?;
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return Err(expected());
    }
    let num = |s: &str| s.parse::<u64>().map_err(|_| expected());
    let (y, m, day) = (num(d[0])?, num(d[1])?, num(d[2])?);
    if !(1..=12).contains(&m) || day == 0 || day > days_in_month(y, m) || y == 0 {
        return Err(expected());
    }
    if time.contains(['+']) || time.matches('-').count() > 0 {
        return Err(format!(
            "timestamp \"{}\" has a UTC offset (write local times, or UTC with Z, all in one zone)",
            crate::util::text::clip(cell)
        ));
    }
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let t: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&t.len()) || t.iter().any(|p| p.len() != 2) {
        return Err(expected());
    }
    let (h, mi, s) = (num(t[0])?, num(t[1])?, t.get(2).map_or(Ok(0), |s| num(s))?);
    if h > 23 || mi > 59 || s > 59 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    let ms_frac = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain("000".chars()).take(3).collect();
        num(&digits)?
    };
    let days = days_from_civil(y, m, day);
    Ok(Stamp::Absolute(
        days * DAY_MS + ((h * 60 + mi) * 60 + s) * 1_000 + ms_frac,
    ))
}

fn is_leap(y: u64) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 0001-01-01 (a Monday) of a proleptic Gregorian date.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y1 = y - 1;
    let before_year = y1 * 365 + y1 / 4 - y1 / 100 + y1 / 400;
    let before_month: u64 = (1..m).map(|mm| days_in_month(y, mm)).sum();
    before_year + before_month + d - 1
}

/// Maps timestamps to simulation time. Absolute stamps are anchored on the scenario's
/// calendar at the first absolute stamp seen (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    calendar: Calendar,
    origin: Option<u64>,
}

impl Clock {
    /// A clock for a scenario starting at `calendar`.
    pub fn new(calendar: Calendar) -> Self {
        Self {
            calendar,
            origin: None,
        }
    }

    /// Simulation time of a stamp; `None` when an absolute stamp is before time 0.
    pub fn at(&mut self, stamp: Stamp) -> Option<SimTime> {
        match stamp {
            Stamp::Relative(ms) => Some(SimTime(ms)),
            Stamp::Absolute(ms) => {
                let origin = *self.origin.get_or_insert_with(|| {
                    // 0001-01-01 is a Monday, so ms % WEEK_MS is the time in the week.
                    let in_week = ms % WEEK_MS;
                    let back = (in_week + WEEK_MS - self.calendar.start_in_week) % WEEK_MS;
                    // The start before, unless the next one is less than a day away.
                    if back + DAY_MS > WEEK_MS || back > ms {
                        ms + (WEEK_MS - back)
                    } else {
                        ms - back
                    }
                });
                ms.checked_sub(origin).map(SimTime)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_stamps_anchor_on_the_scenario_calendar() {
        // 2026-03-02 is a Monday.
        let monday_8 = Calendar::parse("monday 08:00").unwrap();
        let mut clock = Clock::new(monday_8);
        let first = parse_stamp("2026-03-02T08:03:00").unwrap();
        assert_eq!(clock.at(first), Some(SimTime(3 * 60_000)));
        let next_day = parse_stamp("2026-03-03T08:00:00.5Z").unwrap();
        assert_eq!(clock.at(next_day), Some(SimTime(DAY_MS + 500)));
        // A Tuesday trace on a Monday-start calendar starts one day (plus) in.
        let mut clock = Clock::new(monday_8);
        let tuesday = parse_stamp("2026-03-03T09:00").unwrap();
        assert_eq!(clock.at(tuesday), Some(SimTime(DAY_MS + 3_600_000)));
        // A log starting two minutes before the start is anchored on that start.
        let mut clock = Clock::new(monday_8);
        assert_eq!(clock.at(parse_stamp("2026-03-02T07:58").unwrap()), None);
        assert_eq!(
            clock.at(parse_stamp("2026-03-02T08:01").unwrap()),
            Some(SimTime(60_000))
        );
        // A Friday trace on a Monday start replays from that week's Monday.
        let mut clock = Clock::new(monday_8);
        let friday = parse_stamp("2026-03-06T09:00").unwrap();
        assert_eq!(clock.at(friday), Some(SimTime(4 * DAY_MS + 3_600_000)));
        // The first day of the calendar cannot go back a week: time 0 is the next start,
        // and the stamp is before it (no overflow).
        let mut clock = Clock::new(Calendar::parse("saturday 00:00").unwrap());
        assert_eq!(clock.at(parse_stamp("0001-01-01T00:00").unwrap()), None);
        assert_eq!(parse_stamp("90.5"), Ok(Stamp::Relative(90_500)));
        for bad in [
            "2026-02-30T08:00",
            "2026-03-02",
            "08:00",
            "-5",
            "2026-03-02T08:00+01:00",
        ] {
            assert!(parse_stamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tables_keep_line_numbers() {
        let t = read_table("Timestamp, inbox\n10,web\n\n20,\"a,\"\"b\"\"\"\n").unwrap();
        assert_eq!(t.header, vec!["timestamp", "inbox"]);
        assert_eq!(t.rows[1], (4, vec!["20".to_owned(), "a,\"b\"".to_owned()]));
        assert_eq!(
            read_table("timestamp\n\"10\n20\n\"30\n").unwrap_err(),
            vec![
                (2, 1, "row 2: unterminated quote".to_owned()),
                (4, 1, "row 4: unterminated quote".to_owned())
            ]
        );
        let t = read_table("\u{feff}timestamp,agent\r\n5,ann\r\n").unwrap();
        assert_eq!(t.header, vec!["timestamp", "agent"]);
        assert_eq!(t.rows, vec![(2, vec!["5".to_owned(), "ann".to_owned()])]);
        assert_eq!(t.unknown_columns(&["timestamp", "inbx"]).len(), 1);
    }
}
