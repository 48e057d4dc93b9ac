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
    Ok(run_scenario_range(
        &pool,
        scenario,
        0..u64::from(scenario.replications),
        &|| {},
    ))
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

/// Sequential mode (README.md, "Comparing configurations"): the scenario's replications,
/// then batches until every target half-width holds in every cell or the cap is reached.
/// Without `[sequential]` it is [`run_experiment`].
pub fn run_sequential(
    experiment: &Experiment,
    jobs: usize,
    done: &(dyn Fn() + Sync),
) -> Result<(Vec<Vec<RunResult>>, SequentialOutcome), rayon::ThreadPoolBuildError> {
    match &experiment.base.sequential {
        Some(plan) => run_until(
            experiment,
            jobs,
            done,
            Batches {
                batch: plan.batch,
                cap: plan.max_replications,
            },
            &|results| targets_met(results, &plan.half_widths),
        ),
        None => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
            let n = experiment.base.replications;
            let results = run_range(&pool, experiment, 0..u64::from(n), done);
            Ok((
                results,
                SequentialOutcome {
                    replications: n,
                    targets_met: true,
                },
            ))
        }
    }
}

/// How replications are added after the scenario's own: `batch` more to every cell at a
/// time, never more than `cap` per cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batches {
    /// Replications added per round.
    pub batch: u32,
    /// The most per cell.
    pub cap: u32,
}

/// Runs the scenario's replications (at least 2, at most the cap), then adds batches until
/// `enough` holds or the cap is reached. `enough` is asked only at batch boundaries, on
/// results indexed `[cell][replication]`, so the thread count cannot change when it stops.
pub fn run_until(
    experiment: &Experiment,
    jobs: usize,
    done: &(dyn Fn() + Sync),
    batches: Batches,
    enough: &dyn Fn(&[Vec<RunResult>]) -> bool,
) -> Result<(Vec<Vec<RunResult>>, SequentialOutcome), rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let cap = u64::from(batches.cap.max(1));
    let mut n = u64::from(experiment.base.replications.max(2)).min(cap);
    let mut results = run_range(&pool, experiment, 0..n, done);
    loop {
        let met = enough(&results);
        if met || n >= cap {
            return Ok((
                results,
                SequentialOutcome {
                    replications: n as u32,
                    targets_met: met,
                },
            ));
        }
        let next = (n + u64::from(batches.batch.max(1))).min(cap);
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

/// Runs replications `reps` of one scenario on `pool`, in replication order; `done` is
/// called after each run. `chatsim staff` grows each staffing level's replications with it,
/// in batches, as [`run_until`] does for every cell.
pub fn run_scenario_range(
    pool: &rayon::ThreadPool,
    scenario: &Scenario,
    reps: std::ops::Range<u64>,
    done: &(dyn Fn() + Sync),
) -> Vec<RunResult> {
    pool.install(|| {
        reps.into_par_iter()
            .map(|r| {
                let result = sim::run(scenario, r);
                done();
                result
            })
            .collect()
    })
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
