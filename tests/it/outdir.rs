//! Output folders, sizes, sharding and resume (README.md, "Output folders", "Running at
//! scale", "Sizes"): a report folder is one unit, a lock refuses a second run, a folder of
//! other files is not written into without --force, writability is checked before
//! simulating, shards merge into the unsharded report byte for byte, and an interrupted run
//! resumes into the uninterrupted one.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn cli() -> Command {
    let mut cmd = Command::cargo_bin("chatsim").expect("the chatsim binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// `chatsim run` of the quickstart with 3 replications (18 runs) and `extra`.
fn run(extra: &[&str]) -> Command {
    let mut cmd = cli();
    cmd.args([
        "run",
        "scenarios/quickstart.toml",
        "--replications",
        "3",
        "--quiet",
    ])
    .args(extra);
    cmd
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// Every file under `dir` with its bytes, by relative path; `manifest.json` left out
/// unless `with_manifest`.
fn files(dir: &Path, with_manifest: bool) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.retain(|(name, _)| with_manifest || name != "manifest.json");
    out.sort();
    out
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], what: &str) {
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: not the same files");
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{what}: {name} differs");
    }
}

/// The names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn merge_of_three_shards_equals_the_unsharded_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    run(&["--out", s(&whole)]).assert().success();
    let shards: Vec<PathBuf> = (1..=3).map(|i| tmp.path().join(format!("shard-{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        // Different thread counts too: a shard's records do not depend on them.
        let jobs = (i + 1).to_string();
        let shard = format!("{}/3", i + 1);
        run(&["--shard", &shard, "--jobs", &jobs, "--out", s(dir)])
            .assert()
            .success();
        assert_eq!(entries(dir), ["manifest.json", "runs"], "a shard is its records");
        assert_eq!(entries(&dir.join("runs")).len(), 6, "18 runs in 3 shards");
    }
    let merged = tmp.path().join("merged");
    cli()
        .arg("merge")
        .args(shards.iter().map(|d| s(d)))
        .args(["--quiet", "--out", s(&merged)])
        .assert()
        .success()
        .stdout("");
    assert_same(
        &files(&whole, false),
        &files(&merged, false),
        "merged vs unsharded",
    );
    assert!(entries(&whole).contains(&"manifest.json".to_owned()));
    assert_eq!(
        entries(tmp.path()),
        ["merged", "shard-1", "shard-2", "shard-3", "whole"],
        "no lock, build folder or temporary file left beside them"
    );

    // Every run exactly once: a missing shard, or one given twice, is refused.
    cli()
        .args(["merge", s(&shards[0]), s(&shards[1]), "--out"])
        .arg(tmp.path().join("partial"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("6 of 18 runs are missing"));
    cli()
        .args([
            "merge",
            s(&shards[0]),
            s(&shards[1]),
            s(&shards[2]),
            s(&shards[0]),
        ])
        .arg("--out")
        .arg(tmp.path().join("twice"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give each shard once"));
    // Shards of another seed are another plan.
    let other = tmp.path().join("other");
    run(&["--shard", "1/3", "--seed", "9", "--out", s(&other)])
        .assert()
        .success();
    cli()
        .args(["merge", s(&other), s(&shards[1]), s(&shards[2]), "--out"])
        .arg(tmp.path().join("mixed"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("different plans (seed 9 vs 2026)"));
}

#[test]
fn a_stopped_run_keeps_its_finished_runs_and_resumes_into_the_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    run(&["--out", s(&whole)]).assert().success();
    let out = tmp.path().join("out");
    // The test-only switch stops scheduling after 5 finished runs, as SIGINT would; one
    // thread makes it exactly 5.
    run(&["--out", s(&out), "--jobs", "1"])
        .env("CHATSIM_TEST_STOP_AFTER", "5")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("stopped: 5 of 18 runs finished"))
        .stderr(predicate::str::contains("--resume"));
    assert!(
        !out.exists(),
        "nothing is put in place before the run is complete"
    );
    let partial = tmp.path().join(".out.partial");
    assert_eq!(entries(&partial.join("runs")).len(), 5);
    // A fresh run does not silently throw them away.
    run(&["--out", s(&out)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("left 5 finished runs"));
    // Resumed (stopped once more on the way, on two threads), it ends as if never stopped.
    cli()
        .args(["run", "scenarios/quickstart.toml", "--quiet", "--resume", s(&out)])
        .env("CHATSIM_TEST_STOP_AFTER", "4")
        .assert()
        .code(3);
    cli()
        .args(["run", "scenarios/quickstart.toml", "--resume", s(&out)])
        .assert()
        .success()
        .stderr(predicate::str::contains("finished runs kept from before"));
    assert_same(
        &files(&whole, false),
        &files(&out, false),
        "resumed vs uninterrupted",
    );
    assert_eq!(entries(tmp.path()), ["out", "whole"]);
    // Resuming a complete run has nothing to do.
    cli()
        .args(["run", "scenarios/quickstart.toml", "--resume", s(&out)])
        .assert()
        .success()
        .stdout(predicate::str::contains("is complete: nothing to run"));
}

#[test]
fn a_sigkill_mid_write_leaves_the_old_report_whole_and_no_stray_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(&["--out", s(&out)]).assert().success();
    let old = files(&out, true);
    // The test-only switch sends the process SIGKILL after 3 of the new report's files.
    let killed = run(&["--seed", "7", "--out", s(&out)])
        .env("CHATSIM_TEST_KILL_DURING_WRITE", "3")
        .output()
        .unwrap();
    assert!(!killed.status.success());
    assert_same(&old, &files(&out, true), "the old report after the kill");
    // Beside it: the lock of the dead process and its resumable build folder, nothing else.
    assert_eq!(entries(tmp.path()), [".out.lock", ".out.partial", "out"]);
    // The next run takes over the dead run's lock, finishes from its records and cleans up.
    run(&["--seed", "7", "--resume", s(&out)])
        .assert()
        .success()
        .stderr(predicate::str::contains("took over the lock"));
    assert_eq!(entries(tmp.path()), ["out"]);
    let fresh = tmp.path().join("fresh");
    run(&["--seed", "7", "--out", s(&fresh)]).assert().success();
    assert_same(
        &files(&fresh, false),
        &files(&out, false),
        "finished after the kill vs a clean run",
    );
}

#[test]
fn a_second_run_into_a_locked_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A lock held by a live process on this host: this test's own.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    std::fs::write(
        tmp.path().join(".out.lock"),
        format!("pid {}\nhost {}\n", std::process::id(), host.trim()),
    )
    .unwrap();
    run(&["--out", s(&out)])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "another chatsim command is writing into",
        ))
        .stderr(predicate::str::contains(".out.lock"));
    assert!(!out.exists());
    assert!(tmp.path().join(".out.lock").exists(), "someone else's lock stays");
}

#[test]
fn a_folder_of_other_files_is_refused_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "my own notes").unwrap();
    run(&["--out", s(&out)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is not a chatsim report folder (it holds 'notes.txt')",
        ))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(entries(&out), ["notes.txt"]);
    run(&["--out", s(&out), "--force"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "my own notes"
    );
    assert!(out.join("summary.csv").exists() && out.join("manifest.json").exists());
    assert_eq!(entries(tmp.path()), ["mine"]);
    // A report folder is replaced as a whole: files of an older report do not linger.
    let report = tmp.path().join("report");
    run(&["--out", s(&report)]).assert().success();
    std::fs::write(report.join("charts/old-chart.svg"), "<svg/>").unwrap();
    run(&["--out", s(&report), "--seed", "3"]).assert().success();
    assert!(!report.join("charts/old-chart.svg").exists());
}

#[test]
fn an_unwritable_folder_is_refused_before_simulating() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    // With the test-only switch at 0, a run that simulated first would stop and say so:
    // the folder's error shows it was checked before.
    run(&["--out", s(&file.join("out"))])
        .env("CHATSIM_TEST_STOP_AFTER", "0")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("output folder"))
        .stderr(predicate::str::contains("stopped").not());
    run(&["--out", s(&file)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a file, not a folder"));
    let locked = tmp.path().join("read-only");
    std::fs::create_dir(&locked).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&locked, perms).unwrap();
    // Permissions do not bind root: check only where they bind.
    if std::fs::write(locked.join("probe"), "").is_err() {
        run(&["--out", s(&locked.join("out"))])
            .env("CHATSIM_TEST_STOP_AFTER", "0")
            .assert()
            .code(3)
            .stderr(predicate::str::contains("could not create the lock"));
    }
}

#[test]
fn absurd_sizes_are_refused_with_the_estimate() {
    let tmp = tempfile::tempdir().unwrap();
    cli()
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--replications",
            "100000",
            "--out",
        ])
        .arg(tmp.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "too large: 6 configurations × 100000 replications = 600000 runs",
        ))
        .stderr(predicate::str::contains("chats"));
    assert_eq!(
        entries(tmp.path()),
        Vec::<String>::new(),
        "refused before anything is written"
    );
    // 1.8 × 10^11 chats in one command: each run stays under the validator's limit of 10^8
    // chats per run (3.75 million an hour for a day = 9 × 10^7), but 2 000 of them are too many.
    let huge = tmp.path().join("huge.toml");
    std::fs::write(
        &huge,
        "horizon = \"24h\"\nreplications = 2000\n[engine]\nstrategy = \"least-busy\"\nmax_chats_per_agent = 1\n[[teams]]\nname = \"t\"\nsize = 10\n[arrivals]\nrate = 3750000\n[handle_time]\ndistribution = \"exponential\"\nmean = \"1s\"\n",
    )
    .unwrap();
    cli()
        .args(["run"])
        .arg(&huge)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("about 180.0 billion chats"))
        .stderr(predicate::str::contains("--shard"));
    // A comparison matrix of 300 000 configurations is refused before one is built.
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml")).unwrap();
    let start = text.find("[compare]").unwrap();
    let end = text.find("[decision]").unwrap();
    let list = |values: Vec<String>| format!("[{}]", values.join(", "));
    let matrix = format!(
        "[compare]\nmax_chats_per_agent = {}\nvolume = {}\noffline_grace = {}\n\n",
        list((1..=100).map(|v| v.to_string()).collect()),
        list(
            (0..100)
                .map(|v| format!("{}", 0.5 + f64::from(v) / 100.0))
                .collect()
        ),
        list((1..=30).map(|v| format!("\"{v}s\"")).collect()),
    );
    let big = tmp.path().join("matrix.toml");
    std::fs::write(&big, format!("{}{matrix}{}", &text[..start], &text[end..])).unwrap();
    cli()
        .args(["validate"])
        .arg(&big)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "[compare] makes 300000 configurations (",
        ))
        .stderr(predicate::str::contains("at most 10000"));
    // Thread counts beyond reason are refused, never clamped in silence.
    run(&["--jobs", "100000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("100000 is not in 0..=1024"));
}

#[test]
fn a_long_run_shows_its_work_estimate_first() {
    let tmp = tempfile::tempdir().unwrap();
    cli()
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--replications",
            "20000",
            "--out",
        ])
        .arg(tmp.path().join("out"))
        .env("CHATSIM_TEST_STOP_AFTER", "0")
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "work: 6 configurations × 20000 replications = 120000 runs, about 98.7 million chats",
        ));
}

#[test]
fn a_sequential_scenario_cannot_be_sharded() {
    cli()
        .args([
            "run",
            "scenarios/fairness-check.toml",
            "--shard",
            "1/2",
            "--out",
            "/nonexistent/x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shard cannot split"));
    run(&["--shard", "4/3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not i/n with 1 <= i <= n"));
}

#[test]
fn shards_partition_every_run() {
    use chatsim::experiment::Shard;
    for count in 1..=7 {
        for replications in [1u64, 3, 20] {
            for cell in 0..5 {
                for r in 0..replications {
                    let owners = (1..=count)
                        .filter(|&index| Shard { index, count }.contains((cell, r), replications))
                        .count();
                    assert_eq!(owners, 1, "run ({cell}, {r}) of {count} shards");
                }
            }
        }
    }
    assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
    assert!(Shard::parse("0/8").is_err() && Shard::parse("9/8").is_err() && Shard::parse("x").is_err());
}

/// README states the limits the code applies, and shows the Kubernetes manifests it names.
#[test]
fn readme_states_the_limits_and_the_deploy_files_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert_eq!(chatsim::scenario::compare::MAX_CONFIGURATIONS, 10_000);
    assert_eq!(chatsim::cli::MAX_RUNS, 200_000);
    assert_eq!(chatsim::cli::MAX_CHATS, 1e11);
    assert_eq!(chatsim::cli::SHOW_ESTIMATE_FROM, 1e7);
    assert_eq!(chatsim::cli::MAX_JOBS, 1024);
    for text in [
        "more than 10 000 configurations",
        "more than 200 000 runs",
        "more than 10¹¹ chats",
        "from 10 million chats on",
        "`--jobs` above 1024",
        "#SBATCH --array=1-8",
        "parallel --halt now,fail=1",
        "deploy/k8s-indexed-job.yaml",
        "CHATSIM_TEST_STOP_AFTER",
        "CHATSIM_TEST_KILL_DURING_WRITE",
    ] {
        assert!(readme.contains(text), "README.md lacks {text:?}");
    }
    let job = std::fs::read_to_string(root.join("deploy/k8s-indexed-job.yaml")).unwrap();
    assert!(job.contains("completionMode: Indexed") && job.contains("--shard \"$i/8\""));
    let merge = std::fs::read_to_string(root.join("deploy/k8s-merge-job.yaml")).unwrap();
    assert!(merge.contains("chatsim merge /data/shards/*"));
}

/// `check` writes no folder, but the files it is asked for are checked before it runs too.
#[test]
fn check_refuses_an_unwritable_junit_file_first() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    cli()
        .args(["check", "scenarios/fairness-check.toml", "--quiet", "--junit"])
        .arg(file.join("junit.xml"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("could not write"));
}

#[test]
fn a_merge_refuses_shards_whose_data_files_changed() {
    // The plan's fingerprint covers what the scenario read from its traces, not only its
    // text: shards of yesterday's trace do not merge against today's.
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(tmp.path().join("traces")).unwrap();
    for f in ["monday-arrivals.csv", "monday-presence.csv"] {
        std::fs::copy(
            root.join("scenarios/traces").join(f),
            tmp.path().join("traces").join(f),
        )
        .unwrap();
    }
    let scenario = tmp.path().join("replay.toml");
    std::fs::copy(root.join("scenarios/trace-replay.toml"), &scenario).unwrap();
    for i in 1..=2 {
        cli()
            .arg("run")
            .arg(&scenario)
            .args([
                "--quiet",
                "--replications",
                "2",
                "--shard",
                &format!("{i}/2"),
                "--out",
            ])
            .arg(tmp.path().join(format!("s{i}")))
            .assert()
            .success();
    }
    // Drop the last recorded chat: the file is still a valid trace, but not the one the shards ran.
    let arrivals = tmp.path().join("traces/monday-arrivals.csv");
    let text = std::fs::read_to_string(&arrivals).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(&arrivals, kept[..kept.len() - 1].join("\n") + "\n").unwrap();
    cli()
        .arg("merge")
        .arg(tmp.path().join("s1"))
        .arg(tmp.path().join("s2"))
        .arg("--out")
        .arg(tmp.path().join("merged"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the data files it reads have changed"));
    assert!(!tmp.path().join("merged").exists());
}

#[test]
fn a_resume_keeps_the_interrupted_runs_bonferroni() {
    // The resume command chatsim prints has no --bonferroni: the saved plan carries it.
    let tmp = tempfile::tempdir().unwrap();
    let (whole, parts) = (tmp.path().join("whole"), tmp.path().join("parts"));
    run(&["--bonferroni", "--jobs", "1", "--out", s(&whole)])
        .assert()
        .success();
    run(&["--bonferroni", "--jobs", "1", "--out", s(&parts)])
        .env("CHATSIM_TEST_STOP_AFTER", "5")
        .assert()
        .code(3);
    run(&["--resume", s(&parts)]).assert().success();
    assert_same(
        &files(&whole, false),
        &files(&parts, false),
        "resumed with the saved adjustment",
    );
    // Asking for another adjustment than the interrupted run's is refused, not mixed.
    let other = tmp.path().join("other");
    run(&["--jobs", "1", "--out", s(&other)])
        .env("CHATSIM_TEST_STOP_AFTER", "5")
        .assert()
        .code(3);
    run(&["--bonferroni", "--resume", s(&other)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--bonferroni"));
}

#[test]
fn a_failed_command_leaves_nothing_and_kept_runs_are_not_discarded_silently() {
    let tmp = tempfile::tempdir().unwrap();
    // A staffing search that fails after its folder was started leaves no build folder, so
    // the next run into that folder is not told about runs that never were.
    let quiet = tmp.path().join("quiet.toml");
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.toml")).unwrap();
    std::fs::write(
        &quiet,
        text.replace("rate = 100 ", "rate = 0 ")
            .replace("rate = 115", "rate = 0"),
    )
    .unwrap();
    let st = tmp.path().join("st");
    let staffed = cli()
        .args([
            "staff",
            s(&quiet),
            "--quiet",
            "--target",
            "service_level_1m >= 80%",
            "--per-interval",
            "--out",
            s(&st),
        ])
        .output()
        .unwrap();
    assert_eq!(staffed.status.code(), Some(2), "{staffed:?}");
    assert_eq!(
        entries(tmp.path()),
        ["quiet.toml"],
        "nothing left beside the folder"
    );
    run(&["--out", s(&st)]).assert().success();
    // A merge into a folder holding an interrupted run's finished runs is refused without
    // --force, like a fresh run.
    let w = tmp.path().join("w");
    run(&["--jobs", "1", "--out", s(&w)])
        .env("CHATSIM_TEST_STOP_AFTER", "5")
        .assert()
        .code(3);
    let shard = tmp.path().join("all");
    run(&["--shard", "1/1", "--out", s(&shard)]).assert().success();
    cli()
        .args(["merge", s(&shard), "--out", s(&w)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resume"));
    assert!(
        tmp.path().join(".w.partial/runs").is_dir(),
        "the finished runs are still there"
    );
}

#[test]
fn forced_reports_beside_user_files_replace_chatsims_own_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let x = tmp.path().join("x");
    std::fs::create_dir(&x).unwrap();
    std::fs::write(x.join("notes.txt"), "mine").unwrap();
    run(&["--shard", "1/3", "--force", "--out", s(&x)])
        .assert()
        .success();
    run(&["--shard", "1/2", "--force", "--out", s(&x)])
        .assert()
        .success();
    // Shard 1/2 of 18 runs holds 9; none of shard 1/3's records stays beside them.
    assert_eq!(std::fs::read_dir(x.join("runs")).unwrap().count(), 9);
    assert_eq!(std::fs::read_to_string(x.join("notes.txt")).unwrap(), "mine");
}
