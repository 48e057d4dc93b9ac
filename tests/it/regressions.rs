//! Regression tests for defects found in review of the simulator and reports (issue 5 work).

use assert_cmd::Command;
use std::path::Path;

/// One agent until 09:00, the next from 10:00: chats served before 09:00 go back to the
/// queue when the first agent leaves, and wait for the second.
const HANDOVER: &str = r#"start = "monday 08:00"
horizon = "1h"
drain_limit = "8h"
seed = 4
replications = 8
[engine]
strategy = "least-busy"
max_chats_per_agent = 3
[[teams]]
name = "early"
size = 1
[[teams.shifts]]
start = "08:00"
end = "09:00"
[[teams]]
name = "late"
size = 1
[[teams.shifts]]
start = "10:00"
end = "20:00"
[arrivals]
rate = 15
[handle_time]
distribution = "deterministic"
value = "20m"
[patience]
distribution = "exponential"
mean = "30m"
"#;

fn runs(text: &str) -> Vec<chatsim::sim::RunResult> {
    let s = chatsim::scenario::from_str(text, Path::new("r.toml")).unwrap_or_else(|e| panic!("{e}"));
    chatsim::experiment::run_replications(&s, 1).unwrap()
}

#[test]
fn issue_5_a_served_chat_put_back_in_the_queue_does_not_abandon() {
    for r in runs(HANDOVER) {
        let m = &r.metrics;
        let (arrivals, served, abandoned) = (
            m.get("arrivals").unwrap(),
            m.get("served").unwrap(),
            m.get("abandoned").unwrap(),
        );
        // Every chat is either served or abandoned before service; none vanishes in between.
        assert_eq!(served + abandoned, arrivals, "{:?}", m.values);
        assert!(
            m.get("churn_offline").unwrap() > 0.0,
            "the early agent's chats must have moved"
        );
    }
}

#[test]
fn issue_5_requeues_are_not_first_waits() {
    for r in runs(HANDOVER) {
        let m = &r.metrics;
        // Chats re-queued after service have a re-queue wait, and do not make queued_share 1.
        assert!(
            m.get("requeue_wait_mean").unwrap() > 600.0,
            "{:?}",
            m.get("requeue_wait_mean")
        );
        assert!(m.get("queued_share").unwrap() < 1.0);
    }
}

#[test]
fn issue_5_the_default_output_folder_is_the_file_stem() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("plan.toml"),
        HANDOVER.replace("seed = 4", "seed = 4\nname = \"../../escape\""),
    )
    .unwrap();
    Command::cargo_bin("chatsim")
        .unwrap()
        .current_dir(tmp.path())
        .args(["run", "plan.toml", "--quiet"])
        .assert()
        .success();
    assert!(tmp.path().join("reports/plan/report.html").exists());
}

#[test]
fn issue_5_a_numeric_baseline_matches_whatever_its_spelling() {
    let text = HANDOVER.replace(
        "[patience]",
        "[compare]\nvolume = [1, 1.5]\nbaseline = { volume = 1.0 }\n[patience]",
    );
    let e =
        chatsim::scenario::experiment_from_str(&text, Path::new("r.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.baseline, 0);
    let dup = HANDOVER.replace("[patience]", "[compare]\nvolume = [1, 1.0]\n[patience]");
    assert!(chatsim::scenario::experiment_from_str(&dup, Path::new("r.toml")).is_err());
}

#[test]
fn issue_5_chats_still_waiting_at_the_end_within_the_target_are_not_misses() {
    // Steady state, one slot, chats arriving until the horizon: some are still waiting
    // (for less than 10 minutes) when the run ends; they must not count as misses.
    let text = r#"run = "steady-state"
warmup = "1h"
horizon = "5h"
seed = 9
service_level_targets = ["10m"]
[engine]
strategy = "least-busy"
max_chats_per_agent = 1
[[teams]]
name = "solo"
size = 1
[arrivals]
rate = 30
[handle_time]
distribution = "exponential"
mean = "1m"
"#;
    let r = &runs(text)[0];
    let m = &r.metrics;
    let (arrivals, served) = (m.get("arrivals").unwrap(), m.get("served").unwrap());
    let sl = m.get("service_level_10m").unwrap();
    // Censored chats leave the denominator: SL ≥ served-within ÷ all arrivals.
    assert!(sl * arrivals >= 0.0 && served <= arrivals);
    let within = r.metrics.intervals.iter().map(|i| i.chats.within[0]).sum::<u64>() as f64;
    let censored = r
        .metrics
        .intervals
        .iter()
        .map(|i| i.chats.censored[0])
        .sum::<u64>() as f64;
    assert!((sl - within / (arrivals - censored)).abs() < 1e-12);
}
