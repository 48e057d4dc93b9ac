//! Experiments: cells × replications, run in parallel, summarised with paired statistics.
//!
//! Each run is a pure function of (cell scenario, replication); runs are collected into
//! vectors indexed by (cell, replication), so the thread count never changes any output.
//! Every cell shares the seed, so replication r of every cell sees the same customers
//! (common random numbers) and differences against the baseline are paired.

pub mod record;
pub mod stats;

use crate::metrics::RunMetrics;
use crate::scenario::{Experiment, Scenario};
use crate::sim::{self, RunResult};
use rayon::prelude::*;
use std::collections::BTreeMap;

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

/// The same on metrics indexed `[cell][replication]`.
fn targets_met_metrics(runs: &[Vec<&RunMetrics>], targets: &[(String, f64)]) -> bool {
    runs.iter().all(|cell| {
        targets.iter().all(|(id, target)| {
            let values: Vec<f64> = cell.iter().filter_map(|m| m.get(id)).collect();
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

/// One run of an experiment: (configuration index, replication).
pub type Task = (usize, u64);

/// A deterministic slice of an experiment's runs (`--shard i/n`, README.md, "Running at
/// scale"): the runs are numbered configuration by configuration, replication by
/// replication (`cell × replications + replication`), and shard `index` of `count` takes
/// every run whose number is `index − 1` modulo `count`, so every shard gets a share of
/// every configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: u32,
    /// How many.
    pub count: u32,
}

impl Shard {
    /// Parses `i/n` (1 ≤ i ≤ n).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad =
            || format!("--shard \"{text}\" is not i/n with 1 <= i <= n (e.g. 2/8: the second of 8 shards)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<u32>().map_err(|_| bad())?,
            n.trim().parse::<u32>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// Whether run (`cell`, `replication`) of an experiment of `replications` per cell is
    /// in this shard.
    pub fn contains(self, (cell, replication): Task, replications: u64) -> bool {
        let number = cell as u64 * replications + replication;
        number % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a resumable run is told and asked while it goes.
pub struct Hooks<'a> {
    /// Called with each run's metrics the moment it finishes (from any thread): the command
    /// line persists its record there.
    pub finished: &'a (dyn Fn(Task, &RunMetrics) + Sync),
    /// Asked before each run starts; `true` stops scheduling runs (those under way finish).
    pub stop: &'a (dyn Fn() -> bool + Sync),
}

/// How a resumable run ended.
#[derive(Debug)]
pub enum Progress {
    /// Every run asked for is done: the metrics of each (known or new), and how the
    /// sequential plan ended.
    Done {
        /// Metrics by run.
        runs: BTreeMap<Task, RunMetrics>,
        /// Replications per configuration and whether the sequential targets were met.
        outcome: SequentialOutcome,
    },
    /// Stopped before the end (`Hooks::stop`): how many of the runs asked for so far are done.
    Stopped {
        /// Runs done (known ones included).
        finished: usize,
        /// Runs asked for so far.
        wanted: usize,
    },
}

/// The runs an experiment asks for, as [`run_sequential`] would make them, but reusing
/// the `known` ones (records of an earlier, interrupted run), restricted to `shard`, and
/// stoppable: each finished run is handed to [`Hooks::finished`] at once. Sequential mode
/// decides at the same batch boundaries on the same metrics, so a resumed run stops where
/// an uninterrupted one does. A shard of a sequential experiment cannot be decided alone:
/// the command line refuses that combination, and here `shard` is then ignored.
pub fn run_resumable(
    experiment: &Experiment,
    jobs: usize,
    mut known: BTreeMap<Task, RunMetrics>,
    shard: Option<Shard>,
    hooks: &Hooks<'_>,
) -> Result<Progress, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let cells = experiment.cells.len();
    let run = |range: std::ops::Range<u64>,
               in_scope: &dyn Fn(Task) -> bool,
               known: &mut BTreeMap<Task, RunMetrics>| {
        let tasks: Vec<Task> = (0..cells)
            .flat_map(|c| range.clone().map(move |r| (c, r)))
            .filter(|&t| in_scope(t) && !known.contains_key(&t))
            .collect();
        let results = pool.install(|| {
            tasks
                .par_iter()
                .map(|&(c, r)| {
                    if (hooks.stop)() {
                        return None;
                    }
                    let metrics = sim::run(&experiment.cells[c].scenario, r).metrics;
                    (hooks.finished)((c, r), &metrics);
                    Some(metrics)
                })
                .collect::<Vec<_>>()
        });
        let complete = results.iter().all(Option::is_some);
        for (task, metrics) in tasks.into_iter().zip(results) {
            if let Some(m) = metrics {
                known.insert(task, m);
            }
        }
        complete
    };
    let stopped = |known: &BTreeMap<Task, RunMetrics>, wanted: &dyn Fn(Task) -> bool, n: u64| {
        let all: Vec<Task> = (0..cells)
            .flat_map(|c| (0..n).map(move |r| (c, r)))
            .filter(|&t| wanted(t))
            .collect();
        Progress::Stopped {
            finished: all.iter().filter(|t| known.contains_key(t)).count(),
            wanted: all.len(),
        }
    };
    match &experiment.base.sequential {
        Some(plan) => {
            let everything = |_: Task| true;
            let cap = u64::from(plan.max_replications.max(1));
            let mut n = u64::from(experiment.base.replications.max(2)).min(cap);
            let mut from = 0;
            loop {
                if !run(from..n, &everything, &mut known) {
                    return Ok(stopped(&known, &everything, n));
                }
                let by_cell: Vec<Vec<&RunMetrics>> = (0..cells)
                    .map(|c| (0..n).filter_map(|r| known.get(&(c, r))).collect())
                    .collect();
                let met = targets_met_metrics(&by_cell, &plan.half_widths);
                if met || n >= cap {
                    known.retain(|&(_, r), _| r < n);
                    return Ok(Progress::Done {
                        runs: known,
                        outcome: SequentialOutcome {
                            replications: n as u32,
                            targets_met: met,
                        },
                    });
                }
                from = n;
                n = (n + u64::from(plan.batch.max(1))).min(cap);
            }
        }
        None => {
            let n = u64::from(experiment.base.replications);
            let in_scope = |t: Task| shard.is_none_or(|s| s.contains(t, n));
            if !run(0..n, &in_scope, &mut known) {
                return Ok(stopped(&known, &in_scope, n));
            }
            known.retain(|&(c, r), _| c < cells && r < n && in_scope((c, r)));
            Ok(Progress::Done {
                runs: known,
                outcome: SequentialOutcome {
                    replications: n as u32,
                    targets_met: true,
                },
            })
        }
    }
}
