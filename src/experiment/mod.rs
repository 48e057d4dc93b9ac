//! Experiments: cells × replications, run in parallel, summarised with paired statistics.
//!
//! Each run is a pure function of (cell scenario, replication); runs are collected into
//! vectors indexed by (cell, replication), so the thread count never changes any output.
//! Every cell shares the seed, so replication r of every cell sees the same customers
//! (common random numbers) and differences against the baseline are paired.

pub mod stats;

use crate::scenario::{Experiment, Scenario};
use crate::sim::{self, RunResult};
use rayon::prelude::*;

/// Runs replications `0..scenario.replications` on `jobs` threads (0 = one per core).
pub fn run_replications(
    scenario: &Scenario,
    jobs: usize,
) -> Result<Vec<RunResult>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    Ok(pool.install(|| {
        (0..u64::from(scenario.replications))
            .into_par_iter()
            .map(|rep| sim::run(scenario, rep))
            .collect()
    }))
}

/// Runs every cell's replications on `jobs` threads; `done` is called after each run (from
/// any thread) for progress display. Results are indexed `[cell][replication]`.
pub fn run_experiment(
    experiment: &Experiment,
    jobs: usize,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<RunResult>>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let tasks: Vec<(usize, u64)> = experiment
        .cells
        .iter()
        .enumerate()
        .flat_map(|(c, cell)| (0..u64::from(cell.scenario.replications)).map(move |r| (c, r)))
        .collect();
    let flat: Vec<(usize, RunResult)> = pool.install(|| {
        tasks
            .par_iter()
            .map(|&(c, r)| {
                let result = sim::run(&experiment.cells[c].scenario, r);
                done();
                (c, result)
            })
            .collect()
    });
    let mut by_cell: Vec<Vec<RunResult>> = experiment.cells.iter().map(|_| Vec::new()).collect();
    // `collect` on an indexed parallel iterator keeps task order: cell, then replication.
    for (c, result) in flat {
        by_cell[c].push(result);
    }
    Ok(by_cell)
}
