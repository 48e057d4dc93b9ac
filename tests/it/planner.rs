//! The planner's table per group and per inbox (README.md, "Planner's table"): arrivals,
//! chats in service and agents available add up to the overall figures, and availability
//! follows group membership and inbox routing.

use assert_cmd::Command;
use chatsim::metrics::{RunMetrics, SliceRow};
use chatsim::scenario::Scenario;
use chatsim::sim::run;
use std::path::Path;

/// Two groups and two inboxes with known membership. Measured: 08:00–16:00 (a steady-state
/// run from 07:00 with a one-hour warm-up), 8 h.
/// - team `early` (4 agents, billing only) works 08:00–12:00: available 4 h of the 8 h;
/// - team `all` (2 agents, billing and tech) has no shift: available all the time.
/// - inbox `web` routes to everyone; inbox `app` only to the two agents of `all`.
/// - chats are routed by group, so a group's agents are its members (without group
///   routing every agent can take every group's chats, and counts for every group).
const TWO_BY_TWO: &str = r#"
name = "planner"
start = "monday 07:00"
horizon = "9h"
run = "steady-state"
warmup = "1h"
seed = 17
replications = 3
service_level_targets = ["1m"]
[engine]
strategy = "least-busy"
max_chats_per_agent = 3
groups = ["billing", "tech"]
group_routing = true
[[teams]]
name = "early"
size = 4
groups = ["billing"]
[[teams.shifts]]
start = "08:00"
end = "12:00"
[[teams]]
name = "all"
size = 2
groups = ["billing", "tech"]
[[inboxes]]
name = "web"
share = 0.5
[[inboxes]]
name = "app"
share = 0.5
agents = ["all-01", "all-02"]
[arrivals]
rate = 30
[arrivals.groups]
billing = 0.5
tech = 0.3
[handle_time]
distribution = "exponential"
mean = "8m"
[patience]
distribution = "exponential"
mean = "5m"
"#;

fn scenario() -> Scenario {
    chatsim::scenario::from_str(TWO_BY_TWO, Path::new("planner.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn runs() -> Vec<RunMetrics> {
    let s = scenario();
    (0..3).map(|r| run(&s, r).metrics).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn sum(rows: &[SliceRow], f: impl Fn(&SliceRow) -> f64) -> f64 {
    rows.iter().map(f).sum()
}

#[test]
fn arrivals_and_chats_in_service_add_up_over_groups_and_over_inboxes() {
    for (r, m) in runs().iter().enumerate() {
        assert_eq!(m.groups.len(), 3, "billing, tech, (none)");
        assert_eq!(m.inboxes.len(), 2, "web, app");
        let arrivals = m.get("arrivals").unwrap();
        let in_service = m.get("chats_in_service_mean").unwrap();
        assert!(
            arrivals > 100.0 && in_service > 1.0,
            "replication {r}: a real load"
        );
        for (what, rows) in [("groups", &m.groups), ("inboxes", &m.inboxes)] {
            // Every chat is in exactly one group (or none) and arrived in exactly one inbox…
            assert_eq!(
                sum(rows, |s| s.chats.arrivals as f64),
                arrivals,
                "replication {r}: arrivals over {what}"
            );
            assert_eq!(
                sum(rows, |s| s.chats.served as f64),
                m.get("served").unwrap(),
                "replication {r}: served over {what}"
            );
            // …so at every instant the chats in service split over them: the time-weighted
            // means (same measured span) add up to the overall mean.
            let parts = sum(rows, |s| s.in_service_mean.unwrap());
            assert!(
                close(parts, in_service),
                "replication {r}: in service over {what} {parts} vs {in_service}"
            );
            assert!(rows.iter().all(|s| s.in_service_mean.unwrap() > 0.0));
        }
        // Chats of `app` go only to the two agents of `all`, 3 chats each at most.
        assert!(m.inboxes[1].in_service_mean.unwrap() <= 6.0);
    }
}

#[test]
fn agents_available_follow_group_membership_and_inbox_routing() {
    for (r, m) in runs().iter().enumerate() {
        let overall = m.get("agents_available_mean").unwrap();
        // Overall: `early` 4 agents × 4 h + `all` 2 agents × 8 h over 8 h = 2 + 2 = 4.
        assert!(close(overall, 4.0), "replication {r}: overall {overall}");
        let available = |rows: &[SliceRow], i: usize| rows[i].agents_available_mean.unwrap();
        // billing: every agent is a member, so it is the overall figure.
        assert!(
            close(available(&m.groups, 0), overall),
            "replication {r}: billing"
        );
        // tech: only the 2 agents of `all`, always available: 2 < 4.
        assert!(close(available(&m.groups, 1), 2.0), "replication {r}: tech");
        // (none): a chat without a group may go to anyone: everyone counts, as overall.
        assert!(close(available(&m.groups, 2), overall), "replication {r}: (none)");
        // web routes to everyone: the overall figure.
        assert!(close(available(&m.inboxes, 0), overall), "replication {r}: web");
        // app routes to the 2 agents of `all` only: 2.
        assert!(close(available(&m.inboxes, 1), 2.0), "replication {r}: app");
    }
}

#[test]
fn groups_and_inboxes_csv_carry_chats_in_service_and_agents_available() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("planner.toml");
    std::fs::write(&path, TWO_BY_TWO).unwrap();
    let out = dir.path().join("out");
    let assert = Command::cargo_bin("chatsim")
        .unwrap()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("\nby group\n"), "{stdout}");
    assert!(stdout.contains("\nby inbox\n"), "{stdout}");
    assert!(stdout.contains("inboxes.csv"), "{stdout}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>By inbox</h2>") && html.contains("<th>available</th>"));
    for (file, column, names, expected) in [
        (
            "groups.csv",
            "group",
            ["billing", "tech", "(none)"].as_slice(),
            [4.0, 2.0, 4.0].as_slice(),
        ),
        (
            "inboxes.csv",
            "inbox",
            ["web", "app"].as_slice(),
            [4.0, 2.0].as_slice(),
        ),
    ] {
        let mut reader = csv::Reader::from_path(out.join(file)).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header,
            [
                "cell",
                "label",
                "replication",
                column,
                "arrivals",
                "served",
                "abandoned",
                "wait_mean",
                "abandonment",
                "chats_in_service_mean",
                "agents_available_mean",
                "service_level_1m",
            ],
            "{file}"
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3 * names.len(), "{file}: replications × {column}s");
        for (k, row) in rows.iter().enumerate() {
            let i = k % names.len();
            assert_eq!(&row[2], (k / names.len()).to_string(), "{file}");
            assert_eq!(&row[3], names[i], "{file}");
            // The same availability as derived from membership above.
            let available: f64 = row[10].parse().unwrap();
            assert!(close(available, expected[i]), "{file} row {k}: {available}");
            let in_service: f64 = row[9].parse().unwrap();
            assert!(in_service > 0.0, "{file} row {k}");
        }
    }
}
