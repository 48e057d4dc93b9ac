//! Trace files (docs/workload.md#traces): the arrival trace named by `arrivals.trace` and
//! the presence trace named by `agents.presence_trace`, read row by row with every bad row
//! reported at its line and column.
//!
//! Every row has one cell per column of the header, no column is named twice, and every
//! timestamp of a file is written the same way (seconds from the start, or ISO 8601): a
//! ragged row, a duplicated column or a mix of formats is a mistake in the export, not
//! something to guess around. Names are looked up in maps, so a trace of a million rows
//! against 100 000 agents is read in O(n log n); values quoted back are cut short, and a
//! file's problems are listed up to [`LISTED`], the rest counted.

use super::{SUGGESTIONS, Walk};
use crate::engine::{AgentConfig, AgentId, InboxConfig, Presence, SimTime};
use crate::scenario::error::{self, ScenarioError, did_you_mean};
use crate::scenario::{TraceArrival, TracePresence};
use crate::util::text::clip;
use crate::workload::trace::{self, Clock, RowError, Stamp};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

/// At most this many problems of one data file are listed; the rest are counted in one
/// more line, so a file of a million bad rows does not print a million lines.
pub(super) const LISTED: usize = 100;

/// The problems found in one file: the first [`LISTED`], and how many more.
#[derive(Default)]
struct Found {
    list: Vec<RowError>,
    more: usize,
}

impl Found {
    fn push(&mut self, e: RowError) {
        if self.list.len() < LISTED {
            self.list.push(e);
        } else {
            self.more += 1;
        }
    }

    fn extend(&mut self, errors: impl IntoIterator<Item = RowError>) {
        for e in errors {
            self.push(e);
        }
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Names by position, for lookups in O(log n).
fn index<'n>(names: impl Iterator<Item = &'n str>) -> BTreeMap<&'n str, usize> {
    let mut map = BTreeMap::new();
    for (i, n) in names.enumerate() {
        map.entry(n).or_insert(i);
    }
    map
}

impl Walk<'_> {
    /// Reads and checks a trace file; problems go to `external` with the file's rows.
    fn trace_table(&mut self, path: &Path, span: Range<usize>, what: &str) -> Option<trace::Table> {
        let text = self.data_file(path, span, what, error::TRACE_FILE)?;
        match trace::read_table(&text) {
            Ok(t) => Some(t),
            Err(errors) => {
                let mut found = Found::default();
                found.extend(errors);
                self.row_errors(path, found);
                None
            }
        }
    }

    fn row_errors(&mut self, path: &Path, found: Found) {
        for (line, column, message) in found.list {
            self.external.push(ScenarioError {
                path: path.to_owned(),
                line,
                column,
                rule: error::TRACE_FILE,
                message,
            });
        }
        if found.more > 0 {
            self.external.push(ScenarioError::whole_file(
                path,
                error::TRACE_FILE,
                format!(
                    "{} more problems in this file (the first {LISTED} are listed)",
                    found.more
                ),
            ));
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
        let mut errors = Found::default();
        let unknown_columns = table.unknown_columns(COLUMNS);
        // A missing column next to an unknown one is usually a misspelling: one error.
        let misspelt = !unknown_columns.is_empty();
        errors.extend(unknown_columns);
        errors.extend(table.duplicate_columns());
        let col = |name: &str, required: bool, errors: &mut Found| {
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
        let inbox_names: Vec<&str> = inboxes.iter().map(|i| i.name.as_str()).collect();
        let group_names: Vec<&str> = groups.iter().map(String::as_str).collect();
        let agent_names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
        let (inbox_index, group_index, agent_index) = (
            index(inbox_names.iter().copied()),
            index(group_names.iter().copied()),
            index(agent_names.iter().copied()),
        );
        let mut rows = Vec::with_capacity(table.rows.len());
        let mut last = SimTime::ZERO;
        let mut first_stamp = None;
        for (line, cells) in &table.rows {
            let mut row = Row {
                line: *line,
                cells,
                errors: &mut errors,
            };
            if !row.fits(&table.header) {
                continue;
            }
            let at = row.time(ts, clock, &mut last, &mut first_stamp, false);
            if let Some(at) = at
                && at >= horizon
            {
                row.bad(
                    Some(ts),
                    format!("timestamp {at} is at or after the horizon ({horizon}); extend horizon or trim the trace"),
                );
            }
            let inbox = row
                .lookup(inbox_col, "inbox", &inbox_index, &inbox_names)
                .map(|i| crate::engine::InboxId(i as u32));
            let group = row
                .lookup(group_col, "group", &group_index, &group_names)
                .map(|g| crate::engine::GroupId(g as u32));
            let target = row
                .lookup(target_col, "agent", &agent_index, &agent_names)
                .map(|a| AgentId(a as u32));
            let work = row
                .cell(work_col)
                .map(|c| (c.to_owned(), parse_seconds_or_duration(c)));
            let work_ms = match work {
                Some((c, Some(0) | None)) => {
                    row.bad(work_col, format!("invalid handle_time \"{}\" (expected seconds above 0 such as 270, or a duration such as 4m30s)", clip(&c)));
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
        let mut errors = Found::default();
        let unknown_columns = table.unknown_columns(COLUMNS);
        let misspelt = !unknown_columns.is_empty();
        errors.extend(unknown_columns);
        errors.extend(table.duplicate_columns());
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
        let agent_names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
        let agent_index = index(agent_names.iter().copied());
        let mut rows = Vec::new();
        let mut last = SimTime::ZERO;
        let mut first_stamp = None;
        for (line, cells) in &table.rows {
            let mut row = Row {
                line: *line,
                cells,
                errors: &mut errors,
            };
            if !row.fits(&table.header) {
                continue;
            }
            let at = row.time(ts, clock, &mut last, &mut first_stamp, true);
            if row.cell(Some(agent_col)).is_none() {
                row.bad(Some(agent_col), "missing agent".into());
            }
            let agent = row
                .lookup(Some(agent_col), "agent", &agent_index, &agent_names)
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
                    let mut msg = format!(
                        "invalid presence \"{}\" (expected available, away or offline",
                        clip(other)
                    );
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
        errors: Found,
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
}

/// One trace row being read: its cells, and where its problems go.
struct Row<'a> {
    line: usize,
    cells: &'a [String],
    errors: &'a mut Found,
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

    /// Whether the row has one cell per column of `header`; reports it otherwise (its cells
    /// cannot be trusted to be in their columns, so nothing else of it is checked).
    fn fits(&mut self, header: &[String]) -> bool {
        let (n, want) = (self.cells.len(), header.len());
        if n == want {
            return true;
        }
        let plural = |k: usize| if k == 1 { "" } else { "s" };
        self.bad(
            Some(n.min(want)),
            format!(
                "{n} cell{}, but the header row has {want} column{} (write one cell per column; an empty cell means \"not recorded\")",
                plural(n),
                plural(want)
            ),
        );
        false
    }

    /// The row's time from column `col`: parsed, placed on the calendar and not before the
    /// previous row's `last` (which it advances), written the same way as the file's first
    /// timestamp (`first`: whether it is ISO 8601, and its line). A time before the start is
    /// an error, or time 0 when `before_start_is_zero` (a presence log's state at the start).
    fn time(
        &mut self,
        col: usize,
        clock: &mut Clock,
        last: &mut SimTime,
        first: &mut Option<(bool, usize)>,
        before_start_is_zero: bool,
    ) -> Option<SimTime> {
        let cell = self.cell(Some(col));
        let at = match cell.map(trace::parse_stamp) {
            None => Err("missing timestamp".to_owned()),
            Some(Err(m)) => Err(m),
            Some(Ok(stamp)) => {
                let iso = matches!(stamp, Stamp::Absolute(_));
                let (first_iso, first_line) = *first.get_or_insert((iso, self.line));
                let form = |iso: bool| {
                    if iso {
                        "an ISO 8601 date-time"
                    } else {
                        "seconds from the start"
                    }
                };
                if iso != first_iso {
                    Err(format!(
                        "timestamp \"{}\" is {}, but row {first_line} has {} (write every timestamp of a file the same way)",
                        clip(cell.unwrap_or_default()),
                        form(iso),
                        form(first_iso)
                    ))
                } else {
                    match clock.at(stamp) {
                        Some(at) => Ok(at),
                        None if before_start_is_zero => Ok(SimTime::ZERO),
                        None => Err("timestamp is before time 0 (the scenario's start weekday and time at or before the trace's first ISO timestamp)".to_owned()),
                    }
                }
            }
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

    /// Position of the name in column `col` (looked up in `index`, a map of `names`); an
    /// unknown name is reported, an empty cell is `None`.
    fn lookup(
        &mut self,
        col: Option<usize>,
        what: &str,
        index: &BTreeMap<&str, usize>,
        names: &[&str],
    ) -> Option<usize> {
        let name = self.cell(col)?;
        let found = index.get(name).copied();
        if found.is_none() {
            // A suggestion is a pass over every name: for the first few problems only.
            let suggest = self.errors.list.len() < SUGGESTIONS;
            let msg = unknown(what, name, names, suggest);
            self.bad(col, msg);
        }
        found
    }
}

/// "unknown inbox "x" (expected one of: …; did you mean "y"?)".
fn unknown(what: &str, name: &str, known: &[&str], suggest: bool) -> String {
    let shown = clip(name);
    if known.is_empty() {
        return format!("unknown {what} \"{shown}\" (the scenario declares none)");
    }
    let list: Vec<&str> = known.iter().copied().take(12).collect();
    let mut msg = format!("unknown {what} \"{shown}\" (expected one of: {}", list.join(", "));
    if known.len() > 12 {
        msg.push_str(", …");
    }
    if let Some(s) = suggest
        .then(|| did_you_mean(name, known.iter().copied()))
        .flatten()
    {
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
