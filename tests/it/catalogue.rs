//! The metric catalogue (docs/metrics.md) against what runs report: the same metrics, the
//! same units, the reference current, and no interval outside its metric's bounds.

use chatsim::experiment::stats::Adjustment;
use chatsim::metrics::catalogue::{self, CATALOGUE};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_metric_reference_is_generated_from_the_catalogue() {
    let path = root().join("docs/metrics.md");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == catalogue::reference_markdown(),
        "docs/metrics.md is stale: regenerate it with `cargo run -- metrics --markdown > docs/metrics.md`"
    );
    // Every catalogue entry has a row.
    for def in CATALOGUE {
        assert!(on_disk.contains(&format!("| `{}", def.id)), "{} missing", def.id);
    }
}

/// Every shipped scenario's `.toml` files, sorted.
fn shipped() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Runs every cell of a scenario for `reps` replications and summarises.
fn summary_csv(path: &Path, reps: u32) -> Vec<csv::StringRecord> {
    let mut experiment = chatsim::scenario::load_experiment(path).unwrap_or_else(|e| panic!("{e}"));
    for cell in &mut experiment.cells {
        cell.scenario.replications = reps;
    }
    experiment.base.replications = reps;
    let results = chatsim::experiment::run_experiment(&experiment, 0, &|| {}).unwrap();
    let runs: Vec<Vec<_>> = results
        .into_iter()
        .map(|c| c.into_iter().map(|r| r.metrics).collect())
        .collect();
    let results = chatsim::report::Results::new(&experiment, runs, Adjustment::Unadjusted);
    let bytes = chatsim::report::csv::summary_csv(&results);
    csv::Reader::from_reader(&bytes[..])
        .records()
        .map(Result::unwrap)
        .collect()
}

/// summary.csv holds exactly the catalogue's metrics (for the scenario's targets), each
/// with the catalogue's unit; and no interval of any shipped scenario crosses its
/// metric's bounds (a wait's interval starts at 0 at the lowest, a share's stays in [0, 1]).
#[test]
fn summary_csv_follows_the_catalogue_and_intervals_respect_bounds() {
    for path in shipped() {
        let scenario = chatsim::scenario::load(&path).unwrap();
        let want: Vec<String> = catalogue::run_metrics(&scenario.sl_targets)
            .into_iter()
            .map(|m| m.id)
            .collect();
        // Three replications: intervals wide enough to cross a bound if nothing clipped them.
        let rows = summary_csv(&path, 3);
        let cell0: Vec<&str> = rows.iter().filter(|r| &r[0] == "0").map(|r| &r[3]).collect();
        assert_eq!(
            cell0,
            want,
            "{}: metrics differ from the catalogue",
            path.display()
        );
        let mut checked = 0;
        for row in &rows {
            let metric = catalogue::lookup(&row[3]).unwrap();
            assert_eq!(
                &row[4],
                metric.unit().name(),
                "{}: unit of {}",
                path.display(),
                &row[3]
            );
            let (lo, hi) = metric.def.bounds;
            for col in [6, 7] {
                if let Ok(x) = row[col].parse::<f64>() {
                    assert!(
                        (lo..=hi).contains(&x),
                        "{}: {} of {} is {x}, outside [{lo}, {hi}]",
                        path.display(),
                        if col == 6 { "ci_low" } else { "ci_high" },
                        &row[3]
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "{}: only {checked} bounds checked", path.display());
    }
}
