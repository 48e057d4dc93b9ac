//! Command-line behaviour: happy paths and error UX.

use assert_cmd::Command;
use predicates::prelude::*;

fn cli() -> Command {
    Command::cargo_bin("chatsim").expect("the chatsim binary is built")
}

#[test]
fn engine_script_prints_the_event_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.script");
    std::fs::write(&path, "agent ann\n0:00:01 arrive c1\n").unwrap();
    cli()
        .arg("engine-script")
        .arg(&path)
        .assert()
        .success()
        .stdout("0:00:01 CHAT_ASSIGNED c1 -> ann (auto) -> [ann, admins]\n");
}

#[test]
fn bad_script_exits_2_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.script");
    std::fs::write(&path, "agent ann\n0:00:01 arrive c1 target=bob\n").unwrap();
    cli()
        .arg("engine-script")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.script:2:26: unknown agent \"bob\""));
}

#[test]
fn missing_file_exits_2() {
    cli()
        .args(["engine-script", "/nonexistent/x.script"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("could not read '/nonexistent/x.script'"));
}

#[test]
fn an_engine_script_that_is_not_a_regular_file_is_refused() {
    // A device would be read until memory ran out; it is refused before it is opened.
    cli()
        .args(["engine-script", "/dev/zero"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("it is a device, not a regular file"));
}

#[test]
fn unknown_command_exits_2() {
    cli().arg("frobnicate").assert().code(2);
}

#[test]
fn run_compares_the_quickstart_matrix_and_writes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    cli()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "scenarios/quickstart.toml", "--replications", "3", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("quickstart — seed 2026"))
        .stdout(predicate::str::contains("Recommended: "))
        .stdout(predicate::str::contains("rank  configuration"))
        .stdout(predicate::str::contains(
            "paired differences vs the baseline (cap 3, round-robin)",
        ));
    let runs = std::fs::read_to_string(dir.path().join("runs.csv")).unwrap();
    let mut lines = runs.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("cell,label,replication,arrivals,served,")
    );
    assert_eq!(
        lines.count(),
        6 * 3,
        "3 strategies × 2 capacities × 3 replications"
    );
    let intervals = std::fs::read_to_string(dir.path().join("intervals.csv")).unwrap();
    assert!(
        intervals
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("0,\"cap 3, round-robin\",0,0,mon 08:00,"),
        "{intervals}"
    );
    let groups = std::fs::read_to_string(dir.path().join("groups.csv")).unwrap();
    assert!(groups.starts_with("cell,label,replication,group,arrivals,served,abandoned,wait_mean,abandonment,chats_in_service_mean,agents_available_mean,service_level_30s,service_level_1m\n"));
    // The quickstart has one inbox ("main"): one row per cell × replication.
    let inboxes = std::fs::read_to_string(dir.path().join("inboxes.csv")).unwrap();
    assert!(inboxes.starts_with("cell,label,replication,inbox,arrivals,served,abandoned,wait_mean,abandonment,chats_in_service_mean,agents_available_mean,service_level_30s,service_level_1m\n"));
    assert_eq!(inboxes.lines().count(), 1 + 6 * 3);
    let mut names: Vec<String> = walk(dir.path());
    names.sort();
    let mut expected: Vec<String> = [
        "agents.csv",
        "decision.csv",
        "groups.csv",
        "inboxes.csv",
        "intervals.csv",
        "manifest.json",
        "report.html",
        "runs.csv",
        "summary.csv",
    ]
    .map(String::from)
    .to_vec();
    for chart in [
        "agent_load",
        "churn",
        "fairness",
        "queue_by_hour",
        "service_level",
        "service_level_by_hour",
        "wait_cdf",
        "wait_p95",
    ] {
        expected.push(format!("charts/{chart}.png"));
        expected.push(format!("charts/{chart}.svg"));
    }
    expected.sort();
    assert_eq!(names, expected, "every output, and no temporary file left behind");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let sub = path.file_name().unwrap().to_string_lossy().into_owned();
            out.extend(walk(&path).into_iter().map(|n| format!("{sub}/{n}")));
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out
}

#[test]
fn run_with_a_bad_scenario_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "horizon = \"8h\"\n[engine]\nstrategy = \"least-bussy\"\n").unwrap();
    let out = dir.path().join("out");
    cli()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.toml:3:12: unknown strategy \"least-bussy\"",
        ))
        .stderr(predicate::str::contains("did you mean \"least-busy\"?"));
    assert!(!out.exists());
}

#[test]
fn quiet_run_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    cli()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--replications",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("");
}

/// README's "What you see" is a real run: the quickstart's answer, ranking and first
/// paired differences, verbatim (regenerate it with `cargo run --release -- run
/// scenarios/quickstart.toml` when the model changes).
#[test]
fn readme_shows_the_quickstarts_real_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "scenarios/quickstart.toml", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let shown: Vec<&str> = stdout
        .lines()
        .take_while(|l| !l.starts_with("cap 3, random"))
        .filter(|l| !l.starts_with("wrote "))
        .collect();
    assert!(shown.len() > 15, "{stdout}");
    assert!(
        readme.contains(&shown.join("\n")),
        "README.md's \"What you see\" differs from the run:\n{}",
        shown.join("\n")
    );
}
