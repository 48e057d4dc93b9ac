//! Scenario errors, each located (`file:line:col`) and tied to a validation rule.
//!
//! [`RULES`] is the one list of every validation rule; the bad-scenario catalogue under
//! `tests/scenarios/bad/` proves each rule has a test.

use std::fmt;
use std::path::PathBuf;

/// A validation rule: a stable id and what it checks. Ids `S…` are errors (the scenario is
/// refused), ids `W…` warnings (it runs, but probably not as meant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule(pub &'static str);

/// Every validation rule, with what it checks: errors, then warnings.
pub const RULES: &[(Rule, &str)] = &[
    (SYNTAX, "the file is valid TOML"),
    (
        UNKNOWN_KEY,
        "every key is known (with a suggestion for misspellings)",
    ),
    (WRONG_TYPE, "every value has the expected type"),
    (MISSING, "required keys are present"),
    (
        OUT_OF_RANGE,
        "numbers and durations are within their allowed range",
    ),
    (
        UNKNOWN_VALUE,
        "enumerated values (strategy, distribution, run kind, …) are known",
    ),
    (BAD_DURATION, "durations are written like 90s, 5m or 1h30m"),
    (BAD_CALENDAR, "days, times of day and the start are well formed"),
    (
        UNKNOWN_GROUP,
        "referenced groups are declared under [engine] groups",
    ),
    (UNKNOWN_AGENT, "referenced agents exist"),
    (EMPTY_TEAM, "every team has at least one agent"),
    (SHIFT_OVERLAP, "a team's shifts do not overlap each other"),
    (DUPLICATE_NAME, "agent, team, inbox and group names are unique"),
    (
        SHARES,
        "shares (inboxes, groups) are non-negative and sum to at most 1",
    ),
    (
        RUN_KIND,
        "warm-up and drain limit fit the run kind and the horizon",
    ),
    (
        DISTRIBUTION,
        "distribution parameters are valid for the distribution",
    ),
    (
        EMPIRICAL_FILE,
        "an empirical distribution's CSV file exists and holds durations",
    ),
    (
        NO_AGENTS,
        "the scenario has at least one agent who can take chats",
    ),
    (
        UNSUPPORTED,
        "engine features get the behaviour that drives them (manual strategy → claim delay, menu → menu delay, takeover → an admin)",
    ),
    (
        DECISION,
        "[decision] and conditions are well formed: a known metric, an operator (<=, >=, <, >), a value in the metric's unit or baseline ± an offset; an objective with a direction; prefer names compared settings and values",
    ),
    (
        TRACE_FILE,
        "a trace CSV exists, has the expected columns, and every row is well formed and in time order",
    ),
    (
        INPUT_FILE,
        "the scenario and every file it names are regular files within their size limit, in UTF-8",
    ),
    (
        SIZE,
        "the scenario is within the documented sizes (agents in all, chats expected in one run)",
    ),
    (EMPTY_NAME, "team, agent, inbox and group names are not empty"),
    (
        NO_MESSAGES,
        "warning: rebalance, auto-close and silent abandonment have the message activity they depend on",
    ),
    (
        NOBODY_CLAIMS,
        "warning: while auto-assignment is off, agents claim chats (agents.claim_delay)",
    ),
    (
        UNLIMITED,
        "warning: agents have a capacity (max_chats_per_agent or a team's capacity), or say \"unlimited\"",
    ),
    (
        NEVER_ON_SHIFT,
        "warning: every team with shifts is on shift at some time during the run",
    ),
    (
        NEVER_APPLIES,
        "warning: every schedule entry applies at some time during the run",
    ),
];

macro_rules! rules {
    ($($name:ident = $id:literal;)*) => {$(
        #[doc = concat!("Rule ", $id, ".")]
        pub const $name: Rule = Rule($id);
    )*};
}

rules! {
    SYNTAX = "S01";
    UNKNOWN_KEY = "S02";
    WRONG_TYPE = "S03";
    MISSING = "S04";
    OUT_OF_RANGE = "S05";
    UNKNOWN_VALUE = "S06";
    BAD_DURATION = "S07";
    BAD_CALENDAR = "S08";
    UNKNOWN_GROUP = "S09";
    UNKNOWN_AGENT = "S10";
    EMPTY_TEAM = "S11";
    SHIFT_OVERLAP = "S12";
    DUPLICATE_NAME = "S13";
    SHARES = "S14";
    RUN_KIND = "S15";
    DISTRIBUTION = "S16";
    EMPIRICAL_FILE = "S17";
    NO_AGENTS = "S18";
    UNSUPPORTED = "S19";
    TRACE_FILE = "S20";
    DECISION = "S21";
    INPUT_FILE = "S22";
    SIZE = "S23";
    EMPTY_NAME = "S24";
    NO_MESSAGES = "W01";
    NOBODY_CLAIMS = "W02";
    UNLIMITED = "W03";
    NEVER_ON_SHIFT = "W04";
    NEVER_APPLIES = "W05";
}

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or the data file it refers to).
    pub path: PathBuf,
    /// 1-based line; 0 when the problem is the file as a whole (it could not be read), and
    /// the error is shown as `path: message`.
    pub line: usize,
    /// 1-based column (in characters); 0 with `line`.
    pub column: usize,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ScenarioError {
    /// A problem with the file at `path` as a whole, which has no line to point at.
    pub fn whole_file(path: &std::path::Path, rule: Rule, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line: 0,
            column: 0,
            rule,
            message: message.into(),
        }
    }
}

/// The longest message shown, in characters: values quoted in messages are cut short where
/// they are quoted (`util::text::clip`); this is the net for any that is not.
const MAX_MESSAGE: usize = 1_000;

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self.message.char_indices().nth(MAX_MESSAGE) {
            Some((cut, _)) => format!("{}… (message cut)", &self.message[..cut]),
            None => self.message.clone(),
        };
        if self.line == 0 {
            return write!(f, "{}: {message}", self.path.display());
        }
        write!(
            f,
            "{}:{}:{}: {message}",
            self.path.display(),
            self.line,
            self.column,
        )
    }
}

impl std::error::Error for ScenarioError {}

/// Every problem found in a scenario (never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(offset)
}

/// Where the lines of a text start, so that many positions are located in O(log n) each
/// rather than by counting newlines from the top every time. Positions asked for in
/// increasing order on one long line count its characters once, not once per position.
pub struct LineIndex<'t> {
    text: &'t str,
    /// Byte offset of the start of every line after the first.
    starts: Vec<usize>,
    /// The last position located: (byte offset, line, column).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'t> LineIndex<'t> {
    /// The index of `text`'s lines.
    pub fn new(text: &'t str) -> Self {
        let starts = text.match_indices('\n').map(|(i, _)| i + 1).collect();
        Self {
            text,
            starts,
            last: std::cell::Cell::new((0, 1, 1)),
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // Lines before `offset`'s: those starting at or before it.
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = if line == 0 { 0 } else { self.starts[line - 1] };
        let (last_offset, last_line, last_column) = self.last.get();
        let column = if last_line == line + 1 && (line_start..=offset).contains(&last_offset) {
            last_column + self.text[last_offset..offset].chars().count()
        } else {
            self.text[line_start..offset].chars().count() + 1
        };
        self.last.set((offset, line + 1, column));
        (line + 1, column)
    }
}

pub use crate::util::suggest::did_you_mean;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_and_positions() {
        assert_eq!(
            did_you_mean("least-bussy", ["round-robin", "least-busy", "random"]),
            Some("least-busy")
        );
        assert_eq!(did_you_mean("zzz", ["round-robin", "least-busy"]), None);
        assert_eq!(line_col("ab\ncdé\nx", 7), (2, 4));
        assert_eq!(line_col("ab", 0), (1, 1));
        let lines = LineIndex::new("aé b\ncdé\nx");
        for (offset, want) in [
            (0, (1, 1)),
            (4, (1, 4)),
            (5, (1, 5)),
            (3, (1, 3)),
            (9, (2, 3)),
            (10, (2, 4)),
            (11, (3, 1)),
        ] {
            assert_eq!(lines.line_col(offset), want, "{offset}");
        }
    }

    #[test]
    fn rule_ids_are_unique() {
        let mut ids: Vec<&str> = RULES.iter().map(|(r, _)| r.0).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }
}
