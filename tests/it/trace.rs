//! `chatsim trace`: the event log of one run agrees with what the run measured, every format
//! carries the same events, observing changes nothing, and `--diff` finds what differs.

use assert_cmd::Command;
use chatsim::engine::Output;
use chatsim::scenario::{Experiment, load_experiment};
use chatsim::sim::{RunOptions, run, run_observed};
use predicates::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::path::Path;

const QUICKSTART: &str = "scenarios/quickstart.toml";

fn cli() -> Command {
    let mut cmd = Command::cargo_bin("chatsim").expect("the chatsim binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn quickstart() -> Experiment {
    load_experiment(&Path::new(env!("CARGO_MANIFEST_DIR")).join(QUICKSTART)).unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = cli()
        .arg("trace")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// Watching a run is free of effects: metric for metric, count for count, the same run.
#[test]
fn observing_a_run_changes_nothing() {
    let e = quickstart();
    for replication in 0..2 {
        for cell in [0, 4] {
            let scenario = &e.cells[cell].scenario;
            let plain = run(scenario, replication);
            let mut outputs = 0u64;
            let Ok(observed) = run_observed(scenario, replication, RunOptions::default(), |_: &Output| {
                outputs += 1;
                Ok::<(), Infallible>(())
            });
            assert!(outputs > 1_000);
            assert_eq!(format!("{:?}", plain.metrics), format!("{:?}", observed.metrics));
            assert_eq!(plain.counts, observed.counts);
        }
    }
}

/// An observer's error stops the run at once and comes back.
#[test]
fn an_observer_error_stops_the_run() {
    let e = quickstart();
    let mut seen = 0;
    let result = run_observed(&e.cells[0].scenario, 0, RunOptions::default(), |_: &Output| {
        seen += 1;
        if seen == 10 { Err("enough") } else { Ok(()) }
    });
    assert_eq!(result.err(), Some("enough"));
    assert_eq!(seen, 10);
}

/// The text trace of replication 1 of the baseline, line by line, tallied the way the
/// metrics collector counts (docs/metrics.md):
/// - `CHAT_CLOSED` lines = `Counts::closed` (the simulator counts every close);
/// - chats with a `CHAT_QUEUED`, `CHAT_ASSIGNED` or `CHAT_TAKEN_OVER` = `arrivals` (a chat
///   needs a human from its first routing; the quickstart is a business day measured from 0);
/// - chats with a `CHAT_ASSIGNED` or `CHAT_TAKEN_OVER` = `served`;
/// - `CHAT_CLOSED … (abandoned)` of chats never served = `abandoned`;
/// - `CHAT_ASSIGNED` with an auto-assignment reason (docs/engine.md#assignment-reasons) = Σ
///   of the agents' `auto_assignments`;
/// - `CHAT_UNASSIGNED` lines = `churn_per_100` × `arrivals` / 100.
#[test]
fn the_trace_counts_what_the_run_counts() {
    let e = quickstart();
    let result = run(&e.cells[e.baseline].scenario, 1);
    let text = stdout(&[QUICKSTART, "--replication", "1"]);
    let (mut closed, mut auto, mut unassigned) = (0u64, 0u64, 0u64);
    let (mut routed, mut served, mut abandoned) = (BTreeSet::new(), BTreeSet::new(), 0u64);
    for line in text.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let chat = words.get(2).copied().unwrap_or("");
        match words[1] {
            "CHAT_QUEUED" => {
                routed.insert(chat);
            }
            "CHAT_ASSIGNED" | "CHAT_TAKEN_OVER" => {
                routed.insert(chat);
                served.insert(chat);
                if words[1] == "CHAT_ASSIGNED" && !matches!(words[5], "(manual)" | "(self_claim)") {
                    auto += 1;
                }
            }
            "CHAT_CLOSED" => {
                closed += 1;
                abandoned += u64::from(words[3] == "(abandoned)" && !served.contains(chat));
            }
            "CHAT_UNASSIGNED" => unassigned += 1,
            _ => {}
        }
    }
    let metric = |id: &str| result.metrics.get(id).unwrap();
    assert!(closed > 600);
    assert_eq!(closed, result.counts.closed);
    assert_eq!(routed.len() as f64, metric("arrivals"));
    assert_eq!(served.len() as f64, metric("served"));
    assert_eq!(abandoned as f64, metric("abandoned"));
    assert!(
        abandoned > 0,
        "the quickstart's customers do give up now and then"
    );
    let auto_assignments: u64 = result.metrics.agents.iter().map(|a| a.auto_assignments).sum();
    assert_eq!(auto, auto_assignments);
    let churn = metric("churn_per_100") * metric("arrivals") / 100.0;
    assert_eq!(unassigned as f64, churn.round());
    assert!(unassigned > 0);
}

/// CSV and JSON lines parse, and carry the text's events in its order.
#[test]
fn csv_and_jsonl_carry_the_same_events_as_text() {
    let args = [QUICKSTART, "--cell", "cap 3, least-busy"];
    let text = stdout(&args);
    let events: Vec<(&str, &str)> = text
        .lines()
        .map(|l| {
            let mut words = l.split(' ');
            (words.next().unwrap(), words.next().unwrap())
        })
        .collect();
    assert!(events.len() > 1_000);

    let csv = stdout(&[&args[..], &["--format", "csv"]].concat());
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, chatsim::trace::CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), events.len());
    for (row, (time, event)) in rows.iter().zip(&events) {
        assert_eq!((&row[1], &row[2]), (*time, *event));
    }
    // The compound events keep the text form's tail; chats are numbers.
    assert!(
        rows.iter()
            .any(|r| &r[2] == "CHAT_ASSIGNMENT_SYNC" && r[8].starts_with("chats=["))
    );
    assert!(
        rows.iter()
            .filter(|r| !r[3].is_empty())
            .all(|r| r[3].parse::<u64>().is_ok())
    );

    let jsonl = stdout(&[&args[..], &["--format", "jsonl"]].concat());
    let objects: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), events.len());
    for ((o, row), (time, event)) in objects.iter().zip(&rows).zip(&events) {
        assert_eq!(o["time"], *time);
        assert_eq!(o["event"], *event);
        assert_eq!(o["time_ms"].as_u64().unwrap().to_string(), row[0]);
        assert!(o["to"].is_array());
    }
}

/// A configuration compared with itself: the same customers, the same engine, no difference.
#[test]
fn a_configuration_diffed_with_itself_differs_nowhere() {
    let e = quickstart();
    let s = &e.cells[e.baseline].scenario;
    let diff = chatsim::trace::diff(s, s, 0);
    assert!(diff.differ.is_empty());
    assert_eq!(diff.chats as f64, run(s, 0).metrics.get("arrivals").unwrap());
    let text = stdout(&[QUICKSTART, "--diff", "cap 3, round-robin"]);
    assert_eq!(
        text,
        format!(
            "0 of {} chats differ between A \"cap 3, round-robin\" and B \"cap 3, round-robin\" (replication 0)\n",
            diff.chats
        )
    );
}

/// With agents slowing down per extra chat, least-busy and round-robin send the same
/// customers to other agents, at other waits, and a few give up in one and not the other.
#[test]
fn round_robin_and_least_busy_part_ways_on_a_loaded_day() {
    let e = quickstart();
    let (rr, lb) = (
        e.select_cell("strategy=round-robin,max_chats_per_agent=3", 0)
            .unwrap(),
        e.select_cell("cap 3, least-busy", 0).unwrap(),
    );
    let (a, b) = (&e.cells[rr].scenario, &e.cells[lb].scenario);
    assert!(a.behaviour.slowdown > 0.0);
    let diff = chatsim::trace::diff(a, b, 0);
    assert!(!diff.differ.is_empty());
    assert!(
        diff.differ
            .iter()
            .all(|(_, x, y)| x.as_ref().unwrap().differs(y.as_ref().unwrap()))
    );
    assert!(
        diff.differ
            .iter()
            .any(|(_, x, y)| x.as_ref().unwrap().wait != y.as_ref().unwrap().wait)
    );
    assert!(diff.differ.windows(2).all(|w| w[0].0 < w[1].0), "by chat");
    // The same customers: every chat is in both runs.
    assert_eq!(diff.chats as f64, run(a, 0).metrics.get("arrivals").unwrap());

    let text = stdout(&[QUICKSTART, "--diff", "strategy=least-busy"]);
    let mut lines = text.lines();
    let first = lines.next().unwrap();
    assert!(
        first.starts_with(&format!(
            "{} of {} chats differ between A \"cap 3, round-robin\" and B \"cap 3, least-busy\" (replication 0): ",
            diff.differ.len(),
            diff.chats
        )),
        "{first}"
    );
    assert!(lines.next().unwrap().starts_with("chat  A assignees"));
    assert_eq!(lines.count(), diff.differ.len());

    // The machine forms: one record per differing chat, the count on stderr.
    let csv = cli()
        .args(["trace", QUICKSTART, "--diff", "1", "--format", "csv"])
        .assert()
        .success()
        .stderr(predicate::str::starts_with(first))
        .get_output()
        .stdout
        .clone();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(
        reader.headers().unwrap(),
        chatsim::trace::DIFF_CSV_COLUMNS.as_slice()
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), diff.differ.len());
    let waits: BTreeMap<u64, (String, String)> = rows
        .iter()
        .map(|r| (r[0].parse().unwrap(), (r[2].to_owned(), r[5].to_owned())))
        .collect();
    let (chat, x, _) = &diff.differ[0];
    let want = x
        .as_ref()
        .unwrap()
        .wait
        .map(|w| w.as_millis().to_string())
        .unwrap_or_default();
    assert_eq!(waits[&chat.0].0, want);
    let jsonl = stdout(&[QUICKSTART, "--diff", "1", "--format", "jsonl"]);
    let objects: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), diff.differ.len());
    assert!(objects[0]["a"]["assignees"].is_array());
}

#[test]
fn an_unknown_configuration_or_replication_exits_2() {
    for (args, says) in [
        (&["--cell", "nope"][..], "no configuration is labelled \"nope\""),
        (
            &["--cell", "6"],
            "there is no configuration 6 (indexes go from 0 to 5)",
        ),
        (&["--diff", "strategy=lb"], "strategy = lb is not compared"),
        (&["--diff", "stratgy=random"], "did you mean \"strategy\"?"),
    ] {
        cli()
            .arg("trace")
            .arg(QUICKSTART)
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("  1  cap 3, least-busy\n"))
            .stderr(predicate::str::contains("  0  cap 3, round-robin (baseline)\n"));
    }
    cli()
        .args(["trace", QUICKSTART, "--replication", "20"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: there is no replication 20 in scenarios/quickstart.toml: it runs 20 (0 to 19)\n");
    cli()
        .args(["trace", QUICKSTART, "--format", "xml"])
        .assert()
        .code(2);
}

/// A reader that stops early (`| head`) is not a failure.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    for format in ["text", "csv", "jsonl"] {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("chatsim"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["trace", QUICKSTART, "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader (and the pipe) is dropped here, long before the trace's end.
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{format}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{format}");
    }
}

/// The README's trace and diff excerpts are real output of the commands it shows.
#[test]
fn readme_excerpts_are_real_output() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    // The output block that follows the command `chatsim … <command>`.
    let block = |command: &str| -> Vec<String> {
        let at = readme
            .find(&format!("cargo run --release -- {command}\n"))
            .unwrap_or_else(|| panic!("README shows `{command}`"));
        // Past the command's own block, into the next one.
        let rest = &readme[at..];
        let rest = &rest[rest.find("```\n").unwrap() + 4..];
        let start = rest.find("```\n").unwrap() + 4;
        let end = start + rest[start..].find("```").unwrap();
        rest[start..end].lines().map(str::to_owned).collect()
    };
    let trace = stdout(&[QUICKSTART]);
    let excerpt = block("trace scenarios/quickstart.toml > trace.txt");
    assert!(excerpt.len() >= 5);
    let excerpt = excerpt.join("\n");
    assert!(
        trace.contains(&format!("{excerpt}\n")),
        "not in the trace:\n{excerpt}"
    );
    let diff = stdout(&[QUICKSTART, "--diff", "strategy=least-busy"]);
    let lines: Vec<&str> = diff.lines().collect();
    let shown = block("trace scenarios/quickstart.toml --diff strategy=least-busy");
    assert!(shown.iter().filter(|l| *l != "…").count() >= 5);
    for line in shown {
        assert!(
            line == "…" || lines.contains(&line.as_str()),
            "not in the diff: {line}"
        );
    }
}

/// Agents are compared by name, not by their number in the roster: growing team `a`
/// renumbers every agent of team `b`, but team `a` never works on this Monday (its only
/// shift is on Sunday), so every chat meets the same people in both configurations and
/// nothing differs.
#[test]
fn agents_are_compared_by_name_when_a_team_grows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("teams.toml");
    std::fs::write(
        &path,
        r#"name = "teams"
start = "monday 08:00"
horizon = "2h"
seed = 4
replications = 1
[engine]
strategy = "least-busy"
max_chats_per_agent = 2
[[teams]]
name = "a"
size = 3
[[teams.shifts]]
days = "sun"
start = "08:00"
end = "10:00"
[[teams]]
name = "b"
size = 3
[arrivals]
rate = 30
[handle_time]
distribution = "exponential"
mean = "8m"
[compare]
team_size = { a = [3, 4] }
"#,
    )
    .unwrap();
    let out = stdout(&[path.to_str().unwrap(), "--cell", "0", "--diff", "1"]);
    assert!(out.starts_with("0 of "), "{out}");
}
