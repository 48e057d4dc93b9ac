//! Trace files (docs/workload.md#traces): the arrival trace named by `arrivals.trace` and
//! the presence trace named by `agents.presence_trace`, read row by row with every bad row
//! reported at its line and column.

use super::Walk;
use crate::engine::{AgentConfig, AgentId, InboxConfig, Presence, SimTime};
use crate::scenario::error::{self, ScenarioError, did_you_mean};
use crate::scenario::{TraceArrival, TracePresence};
use crate::workload::trace::{self, Clock, RowError};
use std::ops::Range;
use std::path::Path;

impl Walk<'_> {
    /// Reads and checks a trace file; problems go to `external` with the file's rows.
    fn trace_table(&mut self, path: &Path, span: Range<usize>, what: &str) -> Option<trace::Table> {
        let text = self.data_file(path, span, what, error::TRACE_FILE)?;
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
                other => {
                    let mut msg = format!(
                        "invalid presence \"{}\" (expected available, away or offline",
                        other.unwrap_or("")
                    );
                    if let Some(s) = other.and_then(|o| did_you_mean(o, ["available", "away", "offline"])) {
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
