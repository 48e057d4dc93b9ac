//! Determinism: a run is a pure function of (scenario, seed), whatever the thread count.

use assert_cmd::Command;

/// Every output file but the manifest, by relative path.
fn outputs(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for sub in ["", "charts"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_file() && name != "manifest.json" {
                files.push((format!("{sub}/{name}"), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn run_to(dir: &std::path::Path, extra: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut cmd = Command::cargo_bin("chatsim").expect("binary");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--quiet",
            "--replications",
            "6",
            "--out",
        ])
        .arg(dir)
        .args(extra)
        .assert()
        .success();
    outputs(dir)
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let one = run_to(&tmp.path().join("a"), &["--jobs", "1"]);
    let two = run_to(&tmp.path().join("b"), &["--jobs", "2"]);
    let again = run_to(&tmp.path().join("c"), &["--jobs", "1"]);
    assert_eq!(one.len(), 24, "8 files and 16 charts besides the manifest");
    for ((name, a), (_, b)) in one.iter().zip(&two) {
        assert!(a == b, "{name} differs between --jobs 1 and --jobs 2");
    }
    assert_eq!(one, again, "two runs with the same seed differ");
}

#[test]
fn a_different_seed_gives_different_results() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run_to(&tmp.path().join("a"), &["--seed", "1"]);
    let b = run_to(&tmp.path().join("b"), &["--seed", "2"]);
    assert_ne!(
        a.iter().find(|(n, _)| n == "/runs.csv"),
        b.iter().find(|(n, _)| n == "/runs.csv")
    );
}

/// Common random numbers: the same chat gets the same attributes whatever the strategy,
/// and replications differ from each other.
#[test]
fn chat_attributes_do_not_depend_on_the_cell() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let a = chatsim::scenario::load(&path).unwrap();
    let mut b = a.clone();
    b.engine.inboxes[0].strategy = chatsim::engine::StrategyKind::LeastBusy;
    b.engine.settings.max_chats_per_agent = chatsim::engine::Capacity::Limited(2);
    let t = chatsim::engine::SimTime(1_000);
    for id in 1..200 {
        let chat = chatsim::engine::ChatId(id);
        assert_eq!(
            chatsim::workload::draw::draw_chat(&a, 3, chat, t),
            chatsim::workload::draw::draw_chat(&b, 3, chat, t)
        );
    }
    assert_ne!(
        chatsim::workload::draw::draw_chat(&a, 3, chatsim::engine::ChatId(1), t),
        chatsim::workload::draw::draw_chat(&a, 4, chatsim::engine::ChatId(1), t)
    );
}

const SEQUENTIAL: &str = r#"horizon = "2h"
seed = 3
replications = 4
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
[compare]
strategy = ["least-busy", "random"]
[sequential]
batch = 3
max_replications = 13
[sequential.half_width]
wait_mean = HALF
"#;

fn sequential_runs(dir: &std::path::Path, half: &str, jobs: &str) -> (String, String) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("seq.toml");
    std::fs::write(&path, SEQUENTIAL.replace("HALF", half)).unwrap();
    let out = Command::cargo_bin("chatsim")
        .unwrap()
        .arg("run")
        .arg(&path)
        .args(["--jobs", jobs, "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(out.status.success());
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        std::fs::read_to_string(dir.join("out/runs.csv")).unwrap(),
    )
}

#[test]
fn sequential_mode_stops_at_batch_boundaries_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    // A loose target is met by the first replications.
    let (stdout, runs) = sequential_runs(&tmp.path().join("loose"), "1000.0", "2");
    assert!(
        stdout.contains("sequential: 4 replications per configuration; every target half-width reached"),
        "{stdout}"
    );
    assert_eq!(runs.lines().count(), 1 + 2 * 4);
    // An impossible target runs batches of 3 up to the cap: 4, 7, 10, 13.
    let (stdout, runs) = sequential_runs(&tmp.path().join("strict"), "0.000001", "2");
    assert!(
        stdout.contains("sequential: 13 replications per configuration; stopped at the cap of 13"),
        "{stdout}"
    );
    assert_eq!(runs.lines().count(), 1 + 2 * 13);
    let (_, runs_one_thread) = sequential_runs(&tmp.path().join("strict1"), "0.000001", "1");
    assert_eq!(
        runs, runs_one_thread,
        "--jobs 1 and --jobs 2 differ in sequential mode"
    );
}
