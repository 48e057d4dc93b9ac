//! Validation beyond the one-problem catalogue (`tests/scenarios/bad/`): files that are not
//! files, sizes, speed on large scenarios, warnings, and a closed stderr (issue 14).

use assert_cmd::Command;
use std::path::Path;

fn cli() -> Command {
    Command::cargo_bin("chatsim").expect("the chatsim binary is built")
}

/// A small valid scenario; `extra` is appended (its own tables).
const SMALL: &str = r#"
horizon = "8h"

[engine]
strategy = "round-robin"
max_chats_per_agent = 2

[[teams]]
name = "support"
size = 3

[arrivals]
rate = 10

[handle_time]
distribution = "exponential"
mean = "5m"
"#;

/// `chatsim validate <path>`: (exit code, stderr).
fn validate(path: &Path) -> (Option<i32>, String) {
    let out = cli().arg("validate").arg(path).output().expect("chatsim runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn issue_14_a_missing_scenario_has_no_made_up_position() {
    let (code, stderr) = validate(Path::new("no/such/scenario.toml"));
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: no/such/scenario.toml: could not read the scenario: No such file or directory (os error 2)\n"
    );
}

#[test]
fn issue_14_a_folder_is_not_read_as_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = validate(dir.path());
    assert_eq!(code, Some(2));
    assert!(
        stderr.ends_with(": could not read the scenario: it is a folder, not a regular file\n"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn issue_14_devices_and_fifos_are_refused_without_reading_them() {
    // /dev/zero would be read until memory runs out, a FIFO would block for ever: the
    // command must answer at once either way (the test harness's own timeout is the guard).
    for device in ["/dev/zero", "/dev/urandom"] {
        let (code, stderr) = validate(Path::new(device));
        assert_eq!(code, Some(2), "{device}");
        assert_eq!(
            stderr,
            format!("error: {device}: could not read the scenario: it is a device, not a regular file\n")
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("s.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let (code, stderr) = validate(&fifo);
        assert_eq!(code, Some(2));
        assert!(
            stderr
                .ends_with(": could not read the scenario: it is a FIFO (named pipe), not a regular file\n"),
            "{stderr}"
        );
        // As a trace the FIFO is refused where the scenario names it.
        let scenario = dir.path().join("t.toml");
        let text = SMALL.replace("rate = 10", "trace = \"s.toml\"");
        std::fs::write(&scenario, text).unwrap();
        let (code, stderr) = validate(&scenario);
        assert_eq!(code, Some(2));
        assert!(
            stderr.contains(":13:9: arrivals.trace: could not read \"")
                && stderr.contains("it is a FIFO (named pipe), not a regular file"),
            "{stderr}"
        );
    }
}

#[test]
fn issue_14_non_utf8_is_reported_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.toml");
    let mut bytes = SMALL.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n# caf\xe9 au lait\n");
    std::fs::write(&path, &bytes).unwrap();
    let (code, stderr) = validate(&path);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "error: {}:19:6: the file is not UTF-8 text (byte 0xe9)\n",
            path.display()
        )
    );
}

#[test]
fn issue_14_an_oversized_scenario_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let file = std::fs::File::create(&path).unwrap();
    // A sparse file: 17 MiB on paper, nothing on disk.
    file.set_len(17 * 1024 * 1024).unwrap();
    let (code, stderr) = validate(&path);
    assert_eq!(code, Some(2));
    assert!(
        stderr.ends_with(": could not read the scenario: it is 17.0 MiB, over the limit of 16.0 MiB\n"),
        "{stderr}"
    );
}

/// Writes `text` as `name` in `dir` and returns the path.
fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn issue_14_every_problem_of_sequential_and_schedule_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{SMALL}{}",
        r#"
[sequential]
batch = 0
max_replications = 1
half_width = { wait_p95 = -1, wiat_p50 = 2 }

[[schedule]]
at = "8x"
max_chats_per_agent = 0

[[schedule]]
time = "25:00"
strategy = "least-bussy"

[[schedule]]
days = "sat"
time = "10:00"
offline_grace = "forever"
"#
    );
    let path = write(dir.path(), "s.toml", &text);
    let (code, stderr) = validate(&path);
    assert_eq!(code, Some(2));
    let p = path.display();
    let want = [
        format!("error: {p}:20:9: [sequential].batch 0 is out of range (expected 1 to 1000)"),
        format!("error: {p}:21:20: [sequential].max_replications 1 is out of range (expected 2 to 100000)"),
        format!("error: {p}:22:27: sequential.half_width.wait_p95 -1 must be more than 0"),
        format!(
            "error: {p}:22:31: unknown metric \"wiat_p50\" in sequential.half_width (did you mean \"wait_p50\"?) — `chatsim metrics` lists them"
        ),
        // The entry's time is wrong, and so is its value: both are reported.
        format!(
            "error: {p}:25:6: [[schedule]].at: invalid duration \"8x\" (expected e.g. 90s, 5m, 1h30m, 250ms)"
        ),
        format!(
            "error: {p}:26:23: max_chats_per_agent 0 is out of range (expected 1 to 100, or \"unlimited\")"
        ),
        format!("error: {p}:29:8: invalid time of day \"25:00\" (expected HH:MM, 00:00 to 24:00)"),
        format!(
            "error: {p}:30:12: unknown strategy \"least-bussy\" (expected one of: round-robin, least-busy, random, manual; did you mean \"least-busy\"?)"
        ),
        // An entry that never occurs in the run (a Saturday in a Monday's run) is checked too.
        format!(
            "error: {p}:35:17: [[schedule]].offline_grace: invalid duration \"forever\" (expected e.g. 90s, 5m, 1h30m, 250ms)"
        ),
    ];
    let got: Vec<&str> = stderr.lines().collect();
    assert_eq!(got, want, "{stderr}");
}

#[test]
fn issue_14_an_engine_error_does_not_hide_the_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let text = SMALL.replace("max_chats_per_agent = 2", "max_chats_per_agent = 0")
        + "\n[[schedule]]\nat = \"1h\"\nstrategy = \"least-bussy\"\n";
    let (code, stderr) = validate(&write(dir.path(), "s.toml", &text));
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains("max_chats_per_agent 0 is out of range"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown strategy \"least-bussy\""), "{stderr}");
}

#[test]
fn issue_14_a_broken_section_does_not_hide_a_check_across_the_others() {
    // [customers] has an error of its own; manual assignment without agents.claim_delay
    // involves only [engine] and [agents], both valid, so it is still reported.
    let dir = tempfile::tempdir().unwrap();
    let text = SMALL.replace("strategy = \"round-robin\"", "strategy = \"manual\"")
        + "\n[customers]\nsilent_abandonment = 2\n";
    let (code, stderr) = validate(&write(dir.path(), "s.toml", &text));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("customers.silent_abandonment"), "{stderr}");
    assert!(
        stderr.contains("strategy \"manual\" needs agents.claim_delay"),
        "{stderr}"
    );
}

/// `chatsim validate <path>` with stderr the write end of a pipe nobody reads: every write
/// to it fails with EPIPE.
#[cfg(unix)]
fn validate_into_a_broken_pipe(path: &Path) -> Option<i32> {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(assert_cmd::cargo::cargo_bin("chatsim"))
        .arg("validate")
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .unwrap()
        .code()
}

#[cfg(unix)]
#[test]
fn issue_14_a_closed_stderr_is_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.toml", &SMALL.replace("size = 3", "size = 0"));
    let warned = write(
        dir.path(),
        "warned.toml",
        &SMALL.replace("max_chats_per_agent = 2\n", ""),
    );
    // Errors and warnings into a pipe whose reader is gone: the usual exit codes, not 101.
    assert_eq!(validate_into_a_broken_pipe(&bad), Some(2));
    assert_eq!(validate_into_a_broken_pipe(&warned), Some(0));
    assert_eq!(validate_into_a_broken_pipe(Path::new("no/such.toml")), Some(2));
    // And with stderr closed altogether (`2>&-`).
    for (path, want) in [(&bad, 2), (&warned, 0)] {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" validate \"$1\" 2>&-")
            .arg(assert_cmd::cargo::cargo_bin("chatsim"))
            .arg(path)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(want), "{}", path.display());
    }
}

#[test]
fn issue_14_a_huge_trace_cell_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let cell = "x".repeat(10 * 1024 * 1024);
    write(dir.path(), "t.csv", &format!("timestamp,group\n60,{cell}\n"));
    let text = SMALL
        .replace(
            "strategy = \"round-robin\"",
            "strategy = \"round-robin\"\ngroups = [\"billing\"]",
        )
        .replace("rate = 10", "trace = \"t.csv\"");
    let (code, stderr) = validate(&write(dir.path(), "s.toml", &text));
    assert_eq!(code, Some(2));
    assert!(stderr.len() < 400, "{} bytes of stderr", stderr.len());
    assert!(stderr.contains(":2:2: row 2: unknown group \"xxxx"), "{stderr}");
}

#[test]
fn issue_14_a_file_of_bad_rows_lists_a_hundred_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("timestamp\n");
    for _ in 0..1_000 {
        csv.push_str("soon\n");
    }
    let trace = write(dir.path(), "t.csv", &csv);
    let text = SMALL.replace("rate = 10", "trace = \"t.csv\"");
    let (code, stderr) = validate(&write(dir.path(), "s.toml", &text));
    assert_eq!(code, Some(2));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 101, "{stderr}");
    assert_eq!(
        lines[100],
        format!(
            "error: {}: 900 more problems in this file (the first 100 are listed)",
            trace.display()
        )
    );
}

/// 100 000 agents (the documented maximum) in 20 teams listed by name, an inbox pinning all
/// of them, a trace of 100 000 chats each aimed at one of them, and a comparison of three
/// configurations: every check is a set or map lookup or a sort, so this validates in well
/// under a second (a quadratic pass would take minutes).
#[test]
fn issue_14_the_largest_scenario_validates_in_n_log_n() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..100_000).map(|i| format!("a{i:06}")).collect();
    let mut text =
        String::from("horizon = \"8h\"\n[engine]\nstrategy = \"round-robin\"\nmax_chats_per_agent = 2\n");
    for (t, team) in names.chunks(5_000).enumerate() {
        let list: Vec<String> = team.iter().map(|n| format!("\"{n}\"")).collect();
        text.push_str(&format!(
            "[[teams]]\nname = \"t{t}\"\nagents = [{}]\n[[teams.shifts]]\ndays = \"mon-fri\"\nstart = \"22:00\"\nend = \"06:00\"\n[[teams.shifts]]\ndays = \"mon-fri\"\nstart = \"06:00\"\nend = \"14:00\"\n",
            list.join(", ")
        ));
    }
    let all: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    text.push_str(&format!(
        "[[inboxes]]\nname = \"web\"\nagents = [{}]\n",
        all.join(", ")
    ));
    let mut csv = String::from("timestamp,target\n");
    for (i, n) in names.iter().enumerate() {
        csv.push_str(&format!("{},{n}\n", i / 10));
    }
    write(dir.path(), "t.csv", &csv);
    text.push_str(
        "[arrivals]\ntrace = \"t.csv\"\n[handle_time]\ndistribution = \"exponential\"\nmean = \"5m\"\n",
    );
    text.push_str("[compare]\nstrategy = [\"round-robin\", \"least-busy\", \"random\"]\n");
    let path = write(dir.path(), "big.toml", &text);
    let experiment = chatsim::scenario::load_experiment(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(experiment.cells.len(), 3);
    assert_eq!(experiment.base.engine.agents.len(), 100_000);
    assert_eq!(experiment.base.expected_chats(), 100_000.0);
}

#[test]
fn issue_14_overnight_shifts_cross_midnight_and_the_weeks_end() {
    use chatsim::engine::SimTime;
    const H: u64 = 3_600_000;
    // A Sunday night shift seen from a run that starts on Monday at 00:00: it started the
    // day before, in the previous week, and runs on until 06:00.
    let text = r#"
start = "monday 00:00"
horizon = "8h"
drain_limit = "1h"
replications = 1
[engine]
strategy = "round-robin"
max_chats_per_agent = 3
[[teams]]
name = "night"
size = 2
[[teams.shifts]]
days = "sun"
start = "22:00"
end = "06:00"
[[teams]]
name = "evening"
size = 2
[[teams.shifts]]
days = "mon"
start = "18:00"
end = "02:00"
[arrivals]
rate = 20
[handle_time]
distribution = "exponential"
mean = "3m"
"#;
    let s = chatsim::scenario::from_str(text, Path::new("night.toml")).unwrap_or_else(|e| panic!("{e}"));
    let night = s.agents[0].shifts[0];
    assert_eq!(
        s.calendar.occurrences(night, s.end()),
        vec![(SimTime(0), SimTime(6 * H))]
    );
    // Seen from a Monday 20:00 start, Monday's 18:00–02:00 shift runs across midnight.
    let evening = s.agents[2].shifts[0];
    let later = chatsim::workload::calendar::Calendar::parse("monday 20:00").unwrap();
    assert_eq!(
        later.occurrences(evening, SimTime(12 * H)),
        vec![(SimTime(0), SimTime(6 * H))]
    );
    // The evening team is never on within this run (00:00 to 09:00): a warning says so.
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(
        s.warnings[0].starts_with("night.toml:19:1: warning: team \"evening\" is never on shift"),
        "{:?}",
        s.warnings
    );
    // The night team serves the chats of the first six hours.
    let run = chatsim::sim::run(&s, 0);
    assert!(run.metrics.get("served").unwrap() > 50.0);
}
