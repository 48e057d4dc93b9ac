//! `chatsim check` (README.md, "Checks in CI"): expectations judged on intervals, the exit
//! codes, `where`, paired and unpaired baselines, JUnit and Markdown.

use assert_cmd::Command;
use std::path::Path;

/// Three agents with two chats each, 40 chats an hour of 8 minutes for two hours: busy
/// enough that chats queue (offered load 5.3 on 6 slots), so the 95th-percentile wait is
/// well above 0 in every replication.
const BASE: &str = r#"name = "checked"
horizon = "2h"
seed = 5
replications = 4
service_level_targets = ["30s"]
[engine]
strategy = "least-busy"
max_chats_per_agent = 2
[[teams]]
name = "support"
size = 3
[arrivals]
rate = 40
[handle_time]
distribution = "exponential"
mean = "8m"
[patience]
distribution = "exponential"
mean = "2m"
[compare]
notify_assignment = ["assignee-and-admins", "assignee"]
"#;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("s.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `check` with `args` after the scenario; (exit code, stdout, stderr).
fn check(path: &Path, args: &[&str]) -> (i32, String, String) {
    let out = chatsim().arg("check").arg(path).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn met_expectations_exit_0_and_a_violated_one_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // Abandonment is a share, at most 1: "<= 100%" holds for every interval.
    let met = write(
        dir.path(),
        &format!("{BASE}[[expect]]\nthat = \"abandonment <= 100%\"\n"),
    );
    let (code, stdout, _) = check(&met, &[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("2 met, 0 violated, 0 undecided"), "{stdout}");
    // A 95th-percentile wait of at most 0 s cannot hold while chats queue: the whole
    // interval lies above 0.
    let violated = write(
        dir.path(),
        &format!("{BASE}[[expect]]\nname = \"no waiting\"\nthat = \"wait_p95 <= 0s\"\n"),
    );
    let (code, stdout, stderr) = check(&violated, &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("no waiting") && stdout.contains("violated"),
        "{stdout}"
    );
    assert!(stderr.contains("0 met, 2 violated, 0 undecided"), "{stderr}");
}

/// The mean of a metric over the first four replications of configuration 0, from a run.
fn mean_of(dir: &Path, metric: &str) -> f64 {
    let path = write(dir, BASE);
    chatsim()
        .arg("run")
        .arg(&path)
        .args(["--replications", "4", "--quiet", "--out"])
        .arg(dir.join("run"))
        .assert()
        .success();
    let mut reader = csv::Reader::from_path(dir.join("run/summary.csv")).unwrap();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "0" && &r[3] == metric)
        .unwrap();
    row[5].parse().unwrap()
}

/// A limit equal to the mean lies inside the interval (which has a positive half-width):
/// at the cap the expectation is undecided, which passes — unless `--strict`.
#[test]
fn an_expectation_inside_the_noise_is_undecided_and_strict_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let mean = mean_of(dir.path(), "wait_mean");
    assert!(mean > 1.0, "the scenario must queue: mean wait {mean}");
    let path = write(
        dir.path(),
        &format!(
            "{BASE}[[expect]]\nthat = \"wait_mean <= {mean}\"\nwhere = {{ notify_assignment = \"assignee-and-admins\" }}\n"
        ),
    );
    let cap = ["--max-replications", "4"];
    let (code, stdout, _) = check(&path, &cap);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("0 met, 0 violated, 1 undecided"), "{stdout}");
    assert!(
        stdout.contains("stopped at the cap of 4 replications"),
        "{stdout}"
    );
    let junit = dir.path().join("strict.xml");
    let (code, _, stderr) = check(
        &path,
        &[&cap[..], &["--strict", "--junit", junit.to_str().unwrap()]].concat(),
    );
    assert_eq!(code, 1, "{stderr}");
    // The CI report agrees with the exit code: under --strict the undecided one fails.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("failures"), Some("1"), "{xml}");
    assert_eq!(suite.attribute("skipped"), Some("0"), "{xml}");
}

/// `where` limits an expectation to the configurations it names; a `baseline` condition
/// is judged on the difference paired by replication (exactly 0 here: notify_assignment
/// changes nobody's chats).
#[test]
fn where_filters_and_baseline_conditions_are_paired() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!(
            "{BASE}[[expect]]\nthat = \"wait_p95 <= baseline + 5s\"\nwhere = {{ notify_assignment = \"assignee\" }}\n"
        ),
    );
    let junit = dir.path().join("junit.xml");
    let (code, stdout, _) = check(&path, &["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("1 met, 0 violated, 0 undecided"), "{stdout}");
    assert!(
        stdout.contains(
            "difference 0.0 s [0.0 s, 0.0 s] vs notify_assignment=assignee-and-admins, paired by replication"
        ),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 1, "only the configuration `where` names");
    assert_eq!(
        cases[0].attribute("classname"),
        Some("checked.notify_assignment=assignee")
    );
}

/// Against an earlier run's summary.csv the comparison is unpaired (Welch) and says so.
/// The earlier run had four agents, so today's three wait longer: "wait_mean <= baseline"
/// is violated, "wait_mean <= baseline + 1h" is met.
#[test]
fn an_earlier_runs_results_are_compared_unpaired() {
    let dir = tempfile::tempdir().unwrap();
    let earlier = write(dir.path(), &BASE.replace("size = 3", "size = 4"));
    chatsim()
        .arg("run")
        .arg(&earlier)
        .args(["--quiet", "--out"])
        .arg(dir.path().join("earlier"))
        .assert()
        .success();
    let path = write(
        dir.path(),
        &format!(
            "{BASE}[[expect]]\nname = \"no slower\"\nthat = \"wait_mean <= baseline\"\n[[expect]]\nname = \"not an hour slower\"\nthat = \"wait_mean <= baseline + 1h\"\n"
        ),
    );
    let junit = dir.path().join("junit.xml");
    let markdown = dir.path().join("pr.md");
    let (code, stdout, _) = check(
        &path,
        &[
            "--baseline",
            dir.path().join("earlier").to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("unpaired (Welch)"), "{stdout}");
    assert!(stdout.contains("2 met, 2 violated, 0 undecided"), "{stdout}");
    // JUnit: one testcase per expectation × configuration, the violated ones failures.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 2 * 2);
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    assert_eq!(failures, 2);
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("failures"), Some("2"));
    assert_eq!(suite.attribute("tests"), Some("4"));
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        md.contains("| no slower | notify_assignment=assignee-and-admins | ❌ violated |"),
        "{md}"
    );
}

#[test]
fn bad_conditions_and_inputs_exit_2_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("{BASE}[[expect]]\nthat = \"wait_p95 =< 30s\"\n"),
    );
    let (code, _, stderr) = check(&path, &[]);
    assert_eq!(code, 2, "{stderr}");
    // BASE has 21 lines, so `that` is line 23; the string's text starts after `that = "`
    // (col 9) and the operator 9 characters into it: col 18.
    assert!(
        stderr.contains("s.toml:23:18: expect.that: unknown operator \"=<\""),
        "{stderr}"
    );
    // A scenario without expectations has nothing to check.
    let none = write(dir.path(), BASE);
    let (code, _, stderr) = check(&none, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no [[expect]] to check"), "{stderr}");
    // An earlier summary.csv that is not one.
    let bogus = dir.path().join("bogus.csv");
    std::fs::write(&bogus, "a,b\n1,2\n").unwrap();
    let path = write(
        dir.path(),
        &format!("{BASE}[[expect]]\nthat = \"wait_p95 <= baseline\"\n"),
    );
    let (code, _, stderr) = check(&path, &["--baseline", bogus.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bogus.csv: row 1: no \"label\" column"),
        "{stderr}"
    );
}

/// The shipped regression scenario passes as shipped.
#[test]
fn the_shipped_fairness_check_passes() {
    let (code, stdout, stderr) = check(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fairness-check.toml"),
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(" 0 violated, 0 undecided"), "{stdout}");
}
