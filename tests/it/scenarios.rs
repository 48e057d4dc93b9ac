//! Every shipped scenario parses and runs.

use std::path::{Path, PathBuf};

fn files_with_extension(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("readable directory").path();
        if path.is_dir() {
            files_with_extension(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The files under `dir` (relative to the crate root) ending in `.ext`, sorted.
fn shipped(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_with_extension(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir),
        ext,
        &mut files,
    );
    files.sort();
    files
}

/// Loads a shipped scenario file, which must give no warnings.
fn load_cleanly(file: &Path) -> chatsim::scenario::Experiment {
    let experiment = chatsim::scenario::load_experiment(file).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        experiment.base.warnings.is_empty(),
        "{}: {:?}",
        file.display(),
        experiment.base.warnings
    );
    experiment
}

#[test]
fn every_shipped_engine_script_runs() {
    let files = shipped("scenarios", "script");
    assert!(!files.is_empty(), "scenarios/ ships at least one engine script");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable script");
        let log = chatsim::script::run(&text).unwrap_or_else(|e| panic!("{}:{e}", file.display()));
        assert!(
            !log.contains("ERROR") && !log.contains("VIOLATION"),
            "{}:\n{log}",
            file.display()
        );
        assert!(
            log.contains("CHAT_ASSIGNED"),
            "{} assigns nothing",
            file.display()
        );
    }
}

/// Every shipped scenario, every cell of its comparison: validates, and runs a short
/// horizon (one replication) with the sample-path identities holding.
#[test]
fn every_shipped_scenario_validates_and_runs_a_short_horizon() {
    let files = shipped("scenarios", "toml");
    assert!(
        files.len() >= 9,
        "scenarios/ ships the quickstart, the Erlang C check and the seven workload questions"
    );
    for file in files {
        let experiment = load_cleanly(&file);
        assert!(
            experiment.base.question.is_some(),
            "{} asks no question",
            file.display()
        );
        for cell in &experiment.cells {
            let mut s = cell.scenario.clone();
            s.replications = 1;
            let short = chatsim::engine::SimDuration::from_hours(3);
            if let chatsim::scenario::RunKind::SteadyState { warmup } = s.run_kind {
                s.horizon = chatsim::engine::SimTime::ZERO + warmup + short;
            } else {
                s.horizon = s.horizon.min(chatsim::engine::SimTime::ZERO + short);
            }
            let horizon = s.horizon;
            if let Some(trace) = &mut s.arrival_trace {
                trace.retain(|row| row.at < horizon);
            }
            let what = format!("{} ({})", file.display(), cell.label);
            let results = chatsim::experiment::run_replications(&s, 1).unwrap();
            for r in &results {
                assert_eq!(r.counts.engine_errors, 0, "{what}");
                assert_eq!(r.counts.arrived, r.counts.closed + r.counts.open, "{what}");
                assert_eq!(r.counts.queue_area_ms, r.counts.queue_episodes_ms, "{what}");
                assert_eq!(r.metrics.get("violations"), Some(0.0), "{what}");
                assert_eq!(
                    r.metrics.get("rebalance_moves_recent").unwrap_or(0.0),
                    0.0,
                    "{what}"
                );
                assert!(
                    r.metrics.get("arrivals").unwrap_or(0.0) > 0.0,
                    "{what} produced no chats"
                );
            }
        }
    }
}

/// The benchmark and profiling scenarios (`benches/scenarios/`, run by `scripts/bench` and
/// `scripts/profile`, never in CI) still load, without warnings: a format change that
/// breaks them fails here rather than in the next performance report.
#[test]
fn every_benchmark_scenario_loads() {
    let files = shipped("benches/scenarios", "toml");
    let names: Vec<_> = files.iter().filter_map(|f| f.file_stem()?.to_str()).collect();
    assert_eq!(
        names,
        ["profile-b1", "profile-b2", "sim-10k-full", "sim-10k-plain"],
        "the scenarios the benchmark and profile scripts name"
    );
    for file in &files {
        let experiment = load_cleanly(file);
        assert_eq!(experiment.cells.len(), 1, "{}", file.display());
    }
}
