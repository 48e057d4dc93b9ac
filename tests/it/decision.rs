//! Decisions end to end (docs/decisions.md): the rules applied to real runs, read back from
//! `decision.csv` and the answer.

use assert_cmd::Command;
use std::path::Path;

/// Three agents, two chats each, 40 chats an hour for two hours.
const BASE: &str = r#"name = "decide"
horizon = "2h"
seed = 11
replications = 6
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
"#;

/// Runs `text` and returns (stdout, decision.csv rows as (label, field map)).
fn run(dir: &Path, text: &str) -> (String, Vec<std::collections::BTreeMap<String, String>>) {
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = Command::cargo_bin("chatsim")
        .unwrap()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_path(dir.join("out/decision.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header.iter().cloned().zip(r.iter().map(String::from)).collect()
        })
        .collect();
    (String::from_utf8(out.stdout).unwrap(), rows)
}

/// `notify_assignment` only changes who is told about an assignment, never who gets it:
/// every configuration is pathwise identical on every metric (common random numbers), so
/// their paired differences are exactly 0, all are equivalent, and by default the baseline
/// is recommended.
#[test]
fn pathwise_identical_configurations_recommend_the_baseline_and_call_the_rest_equivalent() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{BASE}[compare]\nnotify_assignment = [\"assignee-and-admins\", \"assignee\"]\nbaseline = {{ notify_assignment = \"assignee\" }}\n[decision]\nobjective = \"wait_p95\"\n"
    );
    let (stdout, rows) = run(dir.path(), &text);
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["equivalent"], "true", "{row:?}");
        let is_baseline = row["label"] == "notify_assignment=assignee";
        assert_eq!(row["recommended"], is_baseline.to_string(), "{row:?}");
        assert_eq!(row["objective"], "wait_p95");
        assert_eq!(row["unit"], "s");
    }
    // Identical means: the two objective means are the same number.
    assert!(rows.windows(2).all(|w| w[0]["mean"] == w[1]["mean"]));
    assert!(
        stdout.contains("Recommended: notify_assignment=assignee"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Equivalent on 95th-percentile wait (not distinguishable from the best): notify_assignment=assignee-and-admins."),
        "{stdout}"
    );
}

/// Capacity 3 waits less than capacity 1 (more slots), so it is the best on the objective;
/// but it holds more chats in service than the baseline (capacity 1) in every replication,
/// so its paired difference on `chats_in_service_mean` is entirely above 0 and it misses
/// `chats_in_service_mean <= baseline`. The baseline's own difference is exactly 0, which
/// meets `<=`. So the baseline is recommended, capacity 3 never.
#[test]
fn a_configuration_missing_a_constraint_is_never_recommended() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{BASE}[compare]\nmax_chats_per_agent = [1, 3]\nbaseline = {{ max_chats_per_agent = 1 }}\n[decision]\nobjective = \"wait_mean\"\nconstraints = [\"chats_in_service_mean <= baseline\"]\n"
    );
    let (stdout, rows) = run(dir.path(), &text);
    let find = |label: &str| rows.iter().find(|r| r["label"] == label).unwrap();
    let (cap1, cap3) = (find("cap 1"), find("cap 3"));
    let mean = |r: &std::collections::BTreeMap<String, String>| r["mean"].parse::<f64>().unwrap();
    assert!(
        mean(cap3) < mean(cap1),
        "capacity 3 must be best on the objective"
    );
    assert_eq!(cap3["chats_in_service_mean <= baseline"], "misses");
    assert_eq!(cap1["chats_in_service_mean <= baseline"], "meets");
    assert_eq!(cap3["recommended"], "false");
    assert_eq!(cap3["equivalent"], "false");
    assert_eq!(cap1["recommended"], "true");
    assert!(stdout.contains("Recommended: cap 1"), "{stdout}");
    assert!(stdout.contains("Miss a constraint: cap 3"), "{stdout}");
}

/// Every configuration missing a constraint → no recommendation, said in words,
/// and no row of decision.csv recommended.
#[test]
fn no_feasible_configuration_recommends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A wait of at most 0 s at the 95th percentile cannot hold with 3 agents for 40 chats
    // an hour of 8 minutes each (load 5.3 on 6 slots): every interval lies above 0.
    let text = format!(
        "{BASE}[compare]\nstrategy = [\"least-busy\", \"round-robin\"]\n[decision]\nobjective = \"abandonment\"\nconstraints = [\"wait_p95 <= 0s\"]\n"
    );
    let (stdout, rows) = run(dir.path(), &text);
    for row in &rows {
        assert_eq!(row["wait_p95 <= 0s"], "misses", "{row:?}");
        assert_eq!(row["recommended"], "false");
    }
    assert!(stdout.contains("No configuration can be recommended"), "{stdout}");
}
