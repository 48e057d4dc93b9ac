//! Regression tests for what fuzzing found (README.md, "Fuzzing"): each runs the fuzzer's
//! minimised input through the same public path as its target (`chatsim validate`'s
//! `scenario::experiment_from_str`, or the engine's `handle`) and checks the located error
//! or the invariant it broke.

use chatsim::scenario::experiment_from_str;

/// A scenario around a trace file `trace.csv` beside it (the `trace` target's roster).
const ARRIVAL_TRACE: &str = r#"horizon = "2d"
start = "monday 07:30"

[engine]
groups = ["billing", "tech"]
strategy = "round-robin"

[[teams]]
name = "support"
agents = ["ana", "ben"]

[arrivals]
trace = "trace.csv"

[handle_time]
distribution = "exponential"
mean = "5m"
"#;

/// Validates `scenario` (as `dir/s.toml`) beside `dir/trace.csv` holding `csv`; returns the
/// errors as `chatsim validate` prints them, with the folder written `{dir}`.
fn errors_with_trace(scenario: &str, csv: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("trace.csv"), csv).expect("the trace is written");
    let shown = dir.path().display().to_string();
    match experiment_from_str(scenario, &dir.path().join("s.toml")) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .0
            .iter()
            .map(|e| e.to_string().replace(&shown, "{dir}"))
            .collect(),
    }
}

/// Fuzzing (`trace` target): with blank lines before the header row, header problems were
/// located on line 1, a blank line, instead of the header's own line.
#[test]
fn trace_header_problems_are_on_the_header_line() {
    let errors = errors_with_trace(ARRIVAL_TRACE, b"\n4ahorizo0ntu,argh\n0\n4");
    let expected = [
        "{dir}/trace.csv:2:1: header row: unknown column \"4ahorizo0ntu\"",
        "{dir}/trace.csv:2:2: header row: unknown column \"argh\"",
    ];
    for (line, want) in errors.iter().zip(expected) {
        assert!(line.starts_with(want), "{line}\nshould start with\n{want}");
    }
    assert_eq!(errors.len(), 2, "{errors:#?}");
    // The same for a missing column.
    let errors = errors_with_trace(ARRIVAL_TRACE, b"\r\n\r\ngroup\nbilling\n");
    assert_eq!(
        errors,
        [
            "{dir}/trace.csv:3:1: header row: missing column \"timestamp\" (expected columns: timestamp, inbox, group, target, handle_time)"
        ]
    );
}

/// Fuzzing (`trace` target): a presence row without its presence cell was reported as
/// `invalid presence ""`, where an empty timestamp or agent is "missing".
#[test]
fn a_presence_row_without_its_presence_says_missing() {
    let scenario = r#"horizon = "8h"

[engine]
strategy = "round-robin"

[[teams]]
name = "support"
agents = ["ana", "ben"]

[agents]
presence_trace = "trace.csv"

[arrivals]
rate = 20

[handle_time]
distribution = "exponential"
mean = "5m"
"#;
    let errors = errors_with_trace(
        scenario,
        b"timestamp,agent,presence\n0,ana,available\n0\n60,ben,\n",
    );
    assert_eq!(
        errors,
        [
            // Row 3 ("0") is ragged: one cell where the header has three — reported as such,
            // not as its missing cells. Row 4 has its presence cell, empty: "missing".
            "{dir}/trace.csv:3:2: row 3: 1 cell, but the header row has 3 columns (write one cell per column; an empty cell means \"not recorded\")",
            "{dir}/trace.csv:4:3: row 4: missing presence",
        ]
    );
}
