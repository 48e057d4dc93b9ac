//! Helpers shared by the fuzz targets (README.md, "Fuzzing"): a private folder holding the
//! data files the seed scenarios name, and the oracle that every scenario error is located.
//!
//! The oracle is what `chatsim validate` promises (README.md, "Checks in CI"): a bad
//! scenario is never a panic, it is a non-empty list of problems, each with its file, a
//! 1-based line and column inside that file, and a message.

use chatsim::scenario::ScenarioErrors;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The data files the seed corpus refers to, at the paths the seeds use (relative to the
/// scenario): the shipped traces and the bad-scenario catalogue's CSV files.
const DATA: &[(&str, &[u8])] = &[
    (
        "traces/monday-arrivals.csv",
        include_bytes!("../../scenarios/traces/monday-arrivals.csv"),
    ),
    (
        "traces/monday-presence.csv",
        include_bytes!("../../scenarios/traces/monday-presence.csv"),
    ),
    (
        "data/bad_row.csv",
        include_bytes!("../../tests/scenarios/bad/data/bad_row.csv"),
    ),
    (
        "data/header_only.csv",
        include_bytes!("../../tests/scenarios/bad/data/header_only.csv"),
    ),
    (
        "data/presence_bad_value.csv",
        include_bytes!("../../tests/scenarios/bad/data/presence_bad_value.csv"),
    ),
    (
        "data/presence_unknown_agent.csv",
        include_bytes!("../../tests/scenarios/bad/data/presence_unknown_agent.csv"),
    ),
    (
        "data/trace_after_horizon.csv",
        include_bytes!("../../tests/scenarios/bad/data/trace_after_horizon.csv"),
    ),
    (
        "data/trace_bad_handle_time.csv",
        include_bytes!("../../tests/scenarios/bad/data/trace_bad_handle_time.csv"),
    ),
    (
        "data/trace_bad_timestamp.csv",
        include_bytes!("../../tests/scenarios/bad/data/trace_bad_timestamp.csv"),
    ),
    (
        "data/trace_missing_column.csv",
        include_bytes!("../../tests/scenarios/bad/data/trace_missing_column.csv"),
    ),
    (
        "data/trace_ok.csv",
        include_bytes!("../../tests/scenarios/bad/data/trace_ok.csv"),
    ),
    (
        "data/trace_out_of_order.csv",
        include_bytes!("../../tests/scenarios/bad/data/trace_out_of_order.csv"),
    ),
    (
        "data/trace_unknown_group.csv",
        include_bytes!("../../tests/scenarios/bad/data/trace_unknown_group.csv"),
    ),
];

/// This process's own folder under the system temporary folder, holding [`DATA`]; made once.
/// One folder per process, so fuzzing with several jobs never shares a file.
pub fn data_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("chatsim-fuzz-{}", std::process::id()));
        for (name, bytes) in DATA {
            let path = dir.join(name);
            let parent = path.parent().expect("a data file is in a folder");
            std::fs::create_dir_all(parent).expect("the fuzz data folder can be made");
            std::fs::write(&path, bytes).expect("the fuzz data files can be written");
        }
        dir
    })
}

/// Panics unless `errors` is a non-empty list of located problems: each names a file, a
/// line and column inside it (the line after the last counts, for a problem at the end),
/// and says something. `scenario` is the text validated as `path`; other files are read
/// back from disk (a file that cannot be read is a problem located in the scenario).
pub fn assert_located(errors: &ScenarioErrors, path: &Path, scenario: &str) {
    assert!(!errors.0.is_empty(), "validation failed without saying why");
    for e in &errors.0 {
        let shown = e.to_string();
        assert!(
            !e.message.trim().is_empty(),
            "an error without a message: {shown}"
        );
        assert!(
            e.line >= 1 && e.column >= 1,
            "an error at line or column 0: {shown}"
        );
        let text = if e.path == path {
            Some(scenario.to_owned())
        } else {
            std::fs::read(&e.path)
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        if let Some(text) = text {
            let lines: Vec<&str> = text.split('\n').collect();
            assert!(
                e.line <= lines.len(),
                "{shown}: line {} is past the end of the file ({} lines)",
                e.line,
                lines.len()
            );
            // In the scenario a column counts characters; in a CSV file it counts cells
            // (docs/workload.md#traces: `file:row:column`), and a cell the row lacks is
            // still a column of the header.
            let width = |l: &str| l.chars().count();
            let mut limit = width(lines[e.line - 1]);
            if e.path != path {
                let header = lines.iter().find(|l| !l.trim().is_empty()).copied().unwrap_or("");
                limit = limit.max(width(header));
            }
            assert!(
                e.column <= limit + 1,
                "{shown}: column {} is past the end of line {} ({limit} characters)",
                e.column,
                e.line
            );
        }
    }
}
