//! Scenario files: the TOML a planner writes, validated into a [`Scenario`].
//!
//! Loading collects *every* problem (unknown keys with suggestions, wrong types, ranges,
//! references, shifts, shares…) as `path:line:col: message` errors, each tied to a rule of
//! [`error::RULES`]. Nothing is clamped or defaulted silently: a value out of range is an
//! error. The reference of every key is `scenarios/quickstart.toml`, which is commented.
//!
//! This module reads the scenario file and the data files it names (empirical
//! distributions); it does not simulate.

pub mod compare;
mod doc;
pub mod error;
mod validate;

pub use compare::{Cell, Experiment, experiment_from_str, load_experiment};
pub use error::{RULES, Rule, ScenarioError, ScenarioErrors};

use crate::engine::{EngineConfig, SimDuration, SimTime};
use crate::workload::arrivals::RateProfile;
use crate::workload::calendar::{Calendar, Window};
use crate::workload::dist::Dist;
use std::path::{Path, PathBuf};

/// How a run ends and which part of it is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// A business day: arrivals stop at the horizon; open chats then finish, for at most
    /// `drain_limit`. Everything from time 0 is measured.
    Terminating {
        /// How long after the horizon open chats may run.
        drain_limit: SimDuration,
    },
    /// A long run in equilibrium: the first `warmup` is discarded; the run ends at the horizon.
    SteadyState {
        /// Discarded start.
        warmup: SimDuration,
    },
}

/// Sequential mode (PRODUCT.md §6): after the first `replications`, add `batch` more to
/// every cell until each listed metric's 95 % half-width (in its CSV unit: seconds, shares…)
/// is at most its target in every cell, or `max_replications` is reached. The decision is
/// taken only at batch boundaries, so the thread count cannot change when it stops.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential {
    /// Replications added per round.
    pub batch: u32,
    /// Never more than this many per cell.
    pub max_replications: u32,
    /// Metric id → largest acceptable half-width.
    pub half_widths: Vec<(String, f64)>,
}

/// One agent of the scenario beyond what the engine knows: team and shifts.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentPlan {
    /// Team index.
    pub team: usize,
    /// Weekly shifts; empty = on all the time.
    pub shifts: Vec<Window>,
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Name (the `name` key, or the file stem).
    pub name: String,
    /// The question the scenario asks, for reports.
    pub question: Option<String>,
    /// The scenario file.
    pub path: PathBuf,
    /// Calendar of the start.
    pub calendar: Calendar,
    /// When arrivals stop (terminating) or the run ends (steady state).
    pub horizon: SimTime,
    /// Run kind.
    pub run_kind: RunKind,
    /// Master seed.
    pub seed: u64,
    /// Number of replications.
    pub replications: u32,
    /// Length of the planner's intervals.
    pub interval: SimDuration,
    /// Service-level targets T (sorted, unique).
    pub sl_targets: Vec<SimDuration>,
    /// Metrics the report's answer states (default: the headline metrics).
    pub answer_metrics: Vec<String>,
    /// Sequential mode: add replications until intervals are narrow enough.
    pub sequential: Option<Sequential>,
    /// Agents count in fairness only if available at least this long.
    pub fairness_min_available: SimDuration,
    /// The engine's workspace (agents in roster order; `rng_seed` is set per replication).
    pub engine: EngineConfig,
    /// Team names.
    pub teams: Vec<String>,
    /// Per agent (roster order): team and shifts.
    pub agents: Vec<AgentPlan>,
    /// Arrival rate over time.
    pub arrivals: RateProfile,
    /// Volume multiplier.
    pub volume: f64,
    /// Share of chats per inbox (sums to 1).
    pub inbox_shares: Vec<f64>,
    /// Share of chats arriving with each group already known (sum ≤ 1; the rest have none).
    pub group_shares: Vec<f64>,
    /// Work from assignment to resolution.
    pub handle_time: Dist,
    /// Per-group overrides of `handle_time`.
    pub handle_time_by_group: Vec<Option<Dist>>,
    /// Time a queued customer waits before leaving; `None` = never leaves.
    pub patience: Option<Dist>,
}

impl Scenario {
    /// Where measurement starts.
    pub fn measure_from(&self) -> SimTime {
        match self.run_kind {
            RunKind::Terminating { .. } => SimTime::ZERO,
            RunKind::SteadyState { warmup } => SimTime::ZERO + warmup,
        }
    }

    /// When the run stops.
    pub fn end(&self) -> SimTime {
        match self.run_kind {
            RunKind::Terminating { drain_limit } => self.horizon + drain_limit,
            RunKind::SteadyState { .. } => self.horizon,
        }
    }
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    let text = read_scenario(path)?;
    from_str(&text, path)
}

/// Reads a scenario file; an unreadable file is a located error like any other.
fn read_scenario(path: &Path) -> Result<String, ScenarioErrors> {
    std::fs::read_to_string(path).map_err(|e| {
        ScenarioErrors(vec![ScenarioError {
            path: path.to_owned(),
            line: 1,
            column: 1,
            rule: error::SYNTAX,
            message: format!("could not read the file: {e}"),
        }])
    })
}

/// Validates scenario text; `path` names it in errors and anchors relative data files.
pub fn from_str(text: &str, path: &Path) -> Result<Scenario, ScenarioErrors> {
    validate::validate(text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quickstart_validates() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
        let s = load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.engine.agents.len(), 12);
        assert_eq!(s.engine.agents[0].name, "support-01");
        assert_eq!(
            s.sl_targets,
            vec![SimDuration::from_secs(30), SimDuration::from_secs(60)]
        );
        assert_eq!(s.end(), SimTime(10 * 3_600_000));
    }

    #[test]
    fn all_problems_are_reported_with_locations() {
        let text = "horizon = \"8x\"\nstrat = 1\n[engine]\nstrategy = \"least-bussy\"\n";
        let err = from_str(text, Path::new("s.toml")).unwrap_err();
        let lines: Vec<String> = err.0.iter().map(ToString::to_string).collect();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("s.toml:1:11: horizon: invalid duration \"8x\"")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("s.toml:2:1: unknown key \"strat\"")
                    && l.contains("did you mean \"start\"?")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("s.toml:4:12: unknown strategy \"least-bussy\"")
                    && l.contains("did you mean \"least-busy\"?")),
            "{lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("missing key \"teams\"")),
            "{lines:#?}"
        );
    }
}
