//! Experiments: a scenario's replications, run in parallel.
//!
//! Each replication is a pure function of (scenario, replication index); results are
//! collected into a vector indexed by replication, so the thread count never changes any
//! output. (The comparison matrix and paired statistics build on this.)

use crate::scenario::Scenario;
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
