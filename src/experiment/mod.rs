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
    let n = u64::from(experiment.base.replications);
    Ok(run_range(&pool, experiment, 0..n, done))
}

/// How a sequential experiment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequentialOutcome {
    /// Replications run per cell.
    pub replications: u32,
    /// Whether every target half-width was reached (otherwise the cap stopped it).
    pub targets_met: bool,
}

/// Sequential mode (README.md, "Comparing configurations"): the scenario's replications, then batches until every
/// target half-width holds in every cell or the cap is reached. Without `[sequential]` it
/// is [`run_experiment`].
pub fn run_sequential(
    experiment: &Experiment,
    jobs: usize,
    done: &(dyn Fn() + Sync),
) -> Result<(Vec<Vec<RunResult>>, SequentialOutcome), rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let Some(plan) = &experiment.base.sequential else {
        let n = experiment.base.replications;
        let results = run_range(&pool, experiment, 0..u64::from(n), done);
        return Ok((
            results,
            SequentialOutcome {
                replications: n,
                targets_met: true,
            },
        ));
    };
    let cap = u64::from(plan.max_replications);
    let mut n = u64::from(experiment.base.replications.max(2)).min(cap);
    let mut results = run_range(&pool, experiment, 0..n, done);
    loop {
        let met = targets_met(&results, &plan.half_widths);
        if met || n >= cap {
            return Ok((
                results,
                SequentialOutcome {
                    replications: n as u32,
                    targets_met: met,
                },
            ));
        }
        let next = (n + u64::from(plan.batch)).min(cap);
        for (cell, more) in results
            .iter_mut()
            .zip(run_range(&pool, experiment, n..next, done))
        {
            cell.extend(more);
        }
        n = next;
    }
}

/// Whether every cell's 95 % half-width of every listed metric is at most its target.
fn targets_met(results: &[Vec<RunResult>], targets: &[(String, f64)]) -> bool {
    results.iter().all(|cell| {
        targets.iter().all(|(id, target)| {
            let values: Vec<f64> = cell.iter().filter_map(|r| r.metrics.get(id)).collect();
            stats_half_width(&values).is_some_and(|h| h <= *target)
        })
    })
}

fn stats_half_width(values: &[f64]) -> Option<f64> {
    crate::metrics::summary::estimate(values).and_then(|e| e.half_width)
}

/// Runs replications `reps` of every cell; results indexed `[cell][replication − start]`.
fn run_range(
    pool: &rayon::ThreadPool,
    experiment: &Experiment,
    reps: std::ops::Range<u64>,
    done: &(dyn Fn() + Sync),
) -> Vec<Vec<RunResult>> {
    let tasks: Vec<(usize, u64)> = (0..experiment.cells.len())
        .flat_map(|c| reps.clone().map(move |r| (c, r)))
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
    by_cell
}
