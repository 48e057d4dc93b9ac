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

// Issue 4 review: defects found by probing the workload model.

/// A small base scenario for the issue 4 regressions (extra `[engine]` keys, team keys and
/// sections appended).
fn base4(engine: &str, team: &str, extra: &str) -> String {
    format!(
        "start = \"monday 08:00\"\nhorizon = \"2h\"\nseed = 5\nreplications = 2\n[engine]\nstrategy = \"round-robin\"\nmax_chats_per_agent = 2\n{engine}\n\
         [[teams]]\nname = \"a\"\nsize = 4\n{team}\n[arrivals]\nrate = 20\n[handle_time]\ndistribution = \"exponential\"\nmean = \"5m\"\n{extra}\n"
    )
}

#[test]
fn issue_4_groups_without_service_level_targets_report_fine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    let text =
        base4("groups = [\"billing\"]", "", "").replace("rate = 20", "rate = 20\ngroups = { billing = 0.5 }");
    std::fs::write(&path, text).unwrap();
    Command::cargo_bin("chatsim")
        .unwrap()
        .args(["run", path.to_str().unwrap(), "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    assert!(dir.path().join("out/report.html").exists());
}

#[test]
fn issue_4_a_claim_its_agent_cannot_make_wakes_another_agent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.csv"), "timestamp,handle_time\n100,5m\n").unwrap();
    std::fs::write(
        dir.path().join("p.csv"),
        "timestamp,agent,presence\n0,a-01,available\n0,a-02,available\n130,a-01,away\n3600,a-01,available\n",
    )
    .unwrap();
    let text = base4("", "", "[agents]\nclaim_delay = { distribution = \"deterministic\", value = \"60s\" }\npresence_trace = \"p.csv\"")
        .replace("strategy = \"round-robin\"", "strategy = \"manual\"")
        .replace("rate = 20", "trace = \"one.csv\"")
        .replace("size = 4", "size = 2");
    let s = chatsim::scenario::from_str(&text, &dir.path().join("m.toml")).unwrap_or_else(|e| panic!("{e}"));
    let wait = chatsim::sim::run(&s, 0).metrics.get("wait_mean").unwrap();
    // a-01 is woken at 100 s and away at 130 s; a-02 claims 60 s after that.
    assert_eq!(wait, 90.0);
}

#[test]
fn issue_4_chats_still_with_the_bot_are_counted() {
    let text = base4(
        "",
        "",
        "[bot]\nresolved = 0.2\nphase = { distribution = \"deterministic\", value = \"3h\" }",
    )
    .replace("horizon = \"2h\"", "horizon = \"1h\"\ndrain_limit = \"30m\"");
    let s = chatsim::scenario::from_str(&text, Path::new("b.toml")).unwrap();
    let r = chatsim::sim::run(&s, 0);
    let c = r.counts;
    assert!(c.in_bot > 0 && c.arrived == 0);
    assert_eq!(c.created, c.bot_resolved + c.arrived + c.in_bot);
    let share = r.metrics.get("bot_resolved_share").unwrap();
    assert_eq!(share, c.bot_resolved as f64 / c.created as f64);
}

#[test]
fn issue_4_a_break_under_way_at_the_start_counts() {
    let text = base4(
        "",
        "breaks = [{ start = \"12:00\", duration = \"30m\", stagger = \"1h30m\" }]",
        "",
    )
    .replace("start = \"monday 08:00\"", "start = \"monday 12:40\"")
    .replace("size = 4", "size = 20");
    let s = chatsim::scenario::from_str(&text, Path::new("k.toml")).unwrap();
    let plans = chatsim::workload::presence::presence_plan(&s, 0, s.end());
    let away_at_start = plans
        .iter()
        .filter(|(initial, _)| *initial == chatsim::engine::Presence::Away)
        .count();
    let away_later = plans
        .iter()
        .filter(|(_, changes)| changes.iter().any(|(_, p)| *p == chatsim::engine::Presence::Away))
        .count();
    assert!(
        away_at_start > 0,
        "some lunches run from 12:00 + offset < 12:40 to after 12:40"
    );
    assert!(away_later > 0, "others start after 12:40");
}

#[test]
fn issue_4_the_bot_aims_only_at_agents_the_inbox_routes_to() {
    let text = base4(
        "target_fallback_after = \"5m\"",
        "[[teams]]\nname = \"b\"\nsize = 4",
        "[[inboxes]]\nname = \"web\"\nagents = [\"a-01\", \"a-02\", \"a-03\", \"a-04\"]\n[bot]\ntarget = 1.0",
    );
    let s = chatsim::scenario::from_str(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    let draws = chatsim::workload::draw::Draws::new(&s, 0);
    for (id, t) in chatsim::sim::arrival_times(&s, 0) {
        let target = draws.chat(id, t, None).unwrap().target.unwrap();
        assert!(s.engine.agents[target.index()].name.starts_with("a-"));
    }
}

#[test]
fn issue_4_traces_starting_late_in_the_week_or_early_are_placed_right() {
    let dir = tempfile::tempdir().unwrap();
    // A Friday log on a Monday start replays on that week's Friday.
    std::fs::write(
        dir.path().join("fri.csv"),
        "timestamp\n2026-03-06T09:00:00\n2026-03-06T09:05:00\n",
    )
    .unwrap();
    // A presence log that only sets the state before the start is fine.
    std::fs::write(
        dir.path().join("p.csv"),
        "timestamp,agent,presence\n2026-03-06T07:55:00,a-01,available\n2026-03-06T07:56:00,a-02,available\n",
    )
    .unwrap();
    let text = base4("", "", "[agents]\npresence_trace = \"p.csv\"")
        .replace("horizon = \"2h\"", "horizon = \"7d\"")
        .replace("rate = 20", "trace = \"fri.csv\"");
    let s = chatsim::scenario::from_str(&text, &dir.path().join("f.toml")).unwrap_or_else(|e| panic!("{e}"));
    let times: Vec<u64> = s
        .arrival_trace
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.at.as_millis())
        .collect();
    let friday_9 = (4 * 24 + 1) * 3_600_000;
    assert_eq!(times, vec![friday_9, friday_9 + 300_000]);
    // Rows before the start set the initial presence (they share the arrivals' time 0).
    let plans = chatsim::workload::presence::presence_plan(&s, 0, s.end());
    assert_eq!(plans[0].0, chatsim::engine::Presence::Offline);
}

#[test]
fn issue_4_settings_turned_on_by_the_schedule_are_checked_where_they_are_written() {
    let text = base4(
        "",
        "",
        "[[schedule]]\nat = \"1h\"\nenabled = false\n[[schedule]]\nat = \"90m\"\nmenu = true\n",
    );
    let err = chatsim::scenario::from_str(&text, Path::new("s.toml")).unwrap_err();
    let lines: Vec<String> = err.0.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("s.toml:23:8: menu = true needs customers.menu_delay"),
        "{lines:?}"
    );
    let text = base4(
        "",
        "",
        "[[schedule]]\nat = \"1h\"\nenabled = false\n[customers]\nsilent_abandonment = 0.1\n[agents]\nnotice_delay = { distribution = \"deterministic\", value = \"5m\" }",
    );
    let s = chatsim::scenario::from_str(&text, Path::new("s.toml")).unwrap();
    assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.starts_with("s.toml:20:11: warning: auto-assignment is off"))
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("silent_abandonment without message activity"))
    );
}
