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
pub mod input;
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

/// Sequential mode (README.md, "Comparing configurations"): after the first `replications`, add `batch` more to
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

/// One agent of the scenario beyond what the engine knows: team, shifts and presence
/// behaviour (docs/workload.md#presence).
#[derive(Clone, Debug, PartialEq)]
pub struct AgentPlan {
    /// Team index.
    pub team: usize,
    /// Weekly shifts; empty = on all the time.
    pub shifts: Vec<Window>,
    /// Weekly breaks (the agent is away, keeping their chats).
    pub breaks: Vec<Break>,
    /// The agent goes away this long before each shift end, so chats finish instead of
    /// being reassigned.
    pub wind_down: SimDuration,
    /// Random away episodes while on shift.
    pub away: Option<Episodes>,
    /// Random disconnects (offline, then back) while on shift.
    pub flaps: Option<Episodes>,
    /// Whether the presence trace drives this agent (shifts and behaviour then do not).
    pub traced: bool,
    /// On-duty spans in run time replacing `shifts` (a staffing plan written by
    /// `chatsim staff --per-interval`, README.md "Staffing"); `None` for the scenario's
    /// own shifts. Breaks, wind-down, away episodes and flaps apply within them as within
    /// shifts.
    pub duty: Option<Vec<(SimTime, SimTime)>>,
}

/// A weekly break: each agent starts it at a random offset in `[0, stagger)` after `window`
/// starts (drawn from their own stream), for the window's length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Break {
    /// Days and time of the break (for an unstaggered agent).
    pub window: Window,
    /// Spread of individual start times.
    pub stagger: SimDuration,
}

/// Random episodes: they start as a Poisson process while the agent is on shift and
/// available, and last a drawn duration.
#[derive(Clone, Debug, PartialEq)]
pub struct Episodes {
    /// Episodes per on-shift hour.
    pub rate_per_hour: f64,
    /// How long one lasts.
    pub duration: Dist,
}

/// Customer behaviour (docs/workload.md: bot hand-off, menu, messages, silent abandonment).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Customers {
    /// Share of chats the bot resolves alone (they never need an agent).
    pub bot_resolved: f64,
    /// Time in the bot before hand-off (none = chats need a human on arrival).
    pub bot_phase: Option<Dist>,
    /// Share of handed-off chats the bot gives each group (sum ≤ 1).
    pub bot_groups: Vec<f64>,
    /// Share of handed-off chats the bot aims at a specific agent.
    pub bot_target: f64,
    /// Probability a customer picks from the menu (else the menu times out).
    pub menu_choice: f64,
    /// How long a customer takes to pick.
    pub menu_delay: Option<Dist>,
    /// Relative weight of each group in menu choices.
    pub menu_weights: Vec<f64>,
    /// Gaps between customer messages in conversation (none = no message activity).
    pub messages: Option<Dist>,
    /// Gaps between messages of a queued customer (none = silent while queued).
    pub queued_messages: Option<Dist>,
    /// Share of served customers who leave mid-chat without a word.
    pub silent_abandonment: f64,
}

/// Agent behaviour (docs/workload.md: slowdown, first response, notice, claims, takeovers).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AgentBehaviour {
    /// Concurrency slowdown α: with k chats each is worked at rate 1 / (1 + α(k − 1)).
    pub slowdown: f64,
    /// Delay of the agent's first reply after assignment (slowed like work).
    pub first_response: Option<Dist>,
    /// How long after the last message an agent notices a silent customer left.
    pub notice_delay: Option<Dist>,
    /// Manual mode: delay before an agent with a free slot claims the oldest queued chat.
    pub claim_delay: Option<Dist>,
    /// Share of chats an admin takes over.
    pub takeover: f64,
    /// Delay of a takeover after the first assignment.
    pub takeover_delay: Option<Dist>,
}

/// One row of an arrival trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceArrival {
    /// When the chat needs the engine (bot phase, if modelled, comes after).
    pub at: SimTime,
    /// Inbox (else drawn from the inbox shares).
    pub inbox: Option<crate::engine::InboxId>,
    /// Group (else drawn from the group shares).
    pub group: Option<crate::engine::GroupId>,
    /// Target agent.
    pub target: Option<crate::engine::AgentId>,
    /// Work (else drawn from the handle-time distribution).
    pub work_ms: Option<u64>,
}

/// One row of a presence trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TracePresence {
    /// When.
    pub at: SimTime,
    /// Who.
    pub agent: crate::engine::AgentId,
    /// New presence.
    pub presence: crate::engine::Presence,
}

/// A timed configuration change (docs/workload.md#configuration-schedule).
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigChange {
    /// When it applies.
    pub at: SimTime,
    /// The settings from then on (earlier changes included).
    pub settings: crate::engine::Settings,
    /// A new strategy for every inbox, if given.
    pub strategy: Option<crate::engine::StrategyKind>,
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
    /// How to choose among the configurations (docs/decisions.md); `None`: by the first
    /// answer metric, or the Pareto set when the answer metrics disagree.
    pub decision: Option<crate::decision::Decision>,
    /// What a regression check requires (`[[expect]]`, README.md "Checks in CI").
    pub expectations: Vec<crate::check::Expectation>,
    /// What `chatsim staff` aims for (`[staffing]`, README.md "Staffing").
    pub staffing: Option<crate::staff::Staffing>,
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
    /// Recorded arrivals replacing the rate profile, in time order.
    pub arrival_trace: Option<Vec<TraceArrival>>,
    /// Recorded presence changes for the agents it names, in time order.
    pub presence_trace: Vec<TracePresence>,
    /// Customer behaviour.
    pub customers: Customers,
    /// Agent behaviour.
    pub behaviour: AgentBehaviour,
    /// Timed configuration changes, in time order.
    pub schedule: Vec<ConfigChange>,
    /// Located warnings (the scenario runs, but probably not as meant).
    pub warnings: Vec<String>,
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

impl Scenario {
    /// The chats one replication is expected to bring (before the bot resolves any): the
    /// integral of the arrival rate over the horizon, or the trace's rows, times the volume.
    pub fn expected_chats(&self) -> f64 {
        let trace_rows = self.arrival_trace.as_ref().map(Vec::len);
        expected_chats(
            &self.arrivals,
            trace_rows,
            self.calendar,
            self.horizon,
            self.volume,
        )
    }
}

/// The chats a run is expected to bring over [0, `horizon`): `trace_rows` when arrivals are
/// replayed from a trace, else the integral of `profile`'s rate; times `volume`.
pub fn expected_chats(
    profile: &RateProfile,
    trace_rows: Option<usize>,
    calendar: Calendar,
    horizon: SimTime,
    volume: f64,
) -> f64 {
    let base = match trace_rows {
        Some(rows) => rows as f64,
        None => profile.expected_arrivals(calendar, horizon),
    };
    base * volume
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    let text = read_scenario(path)?;
    from_str(&text, path)
}

/// Reads a scenario file (docs/workload.md#sizes-and-limits): a file that cannot be read is
/// an error about the file as a whole (`path: message`, there is no line to point at); text
/// that is not UTF-8 is located at its first bad byte.
fn read_scenario(path: &Path) -> Result<String, ScenarioErrors> {
    use input::ReadError;
    input::read_text(path, input::SCENARIO_LIMIT).map_err(|e| {
        let error = match e {
            ReadError::NotUtf8 { line, column, .. } => ScenarioError {
                path: path.to_owned(),
                line,
                column,
                rule: error::INPUT_FILE,
                message: e.to_string(),
            },
            e => ScenarioError::whole_file(
                path,
                error::INPUT_FILE,
                format!("could not read the scenario: {e}"),
            ),
        };
        ScenarioErrors(vec![error])
    })
}

/// Validates scenario text; `path` names it in errors and anchors relative data files.
pub fn from_str(text: &str, path: &Path) -> Result<Scenario, ScenarioErrors> {
    validate::validate(text, path, &input::Files::default())
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
