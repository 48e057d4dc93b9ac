//! Engine configuration: the roster, inboxes, groups and the settings of docs/engine.md#configuration.
//!
//! [`EngineConfig`] is what [`crate::engine::Engine::new`] takes; [`Settings`] is the part a
//! timed input may replace at run time ([`crate::engine::Input::Configure`]). Validation
//! here checks ranges and references and reports the first problem as a [`ConfigError`];
//! it does not know about files or line numbers (the scenario layer maps its own spans).

use crate::engine::settings;
use crate::engine::state::{AgentId, GroupId, InboxId};
use crate::engine::strategy::StrategyKind;
use crate::engine::time::SimDuration;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Highest finite capacity (workspace-wide or per agent).
pub const MAX_CAPACITY: u32 = 100;

/// How many chats an agent may hold before auto-routing skips them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capacity {
    /// No limit.
    Unlimited,
    /// At most this many (1–100).
    Limited(u32),
}

impl Capacity {
    /// Whether an agent holding `load` chats still has a free slot.
    pub fn admits(self, load: u32) -> bool {
        match self {
            Self::Unlimited => true,
            Self::Limited(k) => load < k,
        }
    }
}

/// Which of an agent's chats count against their capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapacityCounts {
    /// Every chat in status `assigned`.
    All,
    /// Only chats the agent got by auto-assignment (docs/engine.md#configuration).
    Auto,
}

/// Order in which round-robin walks the agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RotationOrder {
    /// Order in which agents came online; a connecting agent re-enters at the end (docs/engine.md#round-robin).
    OnlineSince,
    /// Fixed roster order.
    Roster,
}

/// Who receives CHAT_ASSIGNED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyAssignment {
    /// The assignee and every admin.
    AssigneeAndAdmins,
    /// The assignee only.
    Assignee,
}

/// An agent's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Takes chats; may be auto-routed.
    Agent,
    /// Sees the queue, may take over chats; never auto-routed, no capacity limit.
    Admin,
}

/// Connection and availability state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Presence {
    /// Connected and routable (docs/engine.md#entities).
    Available,
    /// Connected, keeps chats, skipped by auto-routing (docs/engine.md#entities).
    Away,
    /// Disconnected; triggers offline handling.
    Offline,
}

/// The run-time settings of docs/engine.md#configuration except the per-inbox strategy.
///
/// Keys, ranges, defaults and meanings are in one table, [`crate::engine::settings::SETTINGS`]
/// (one entry per field); [`Settings::default`] and [`Settings::validate`] come from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Auto-assign on or off; off behaves like the `manual` strategy everywhere.
    pub enabled: bool,
    /// Workspace-wide capacity; an agent's own override wins.
    pub max_chats_per_agent: Capacity,
    /// Which chats count against capacity.
    pub capacity_counts: CapacityCounts,
    /// Move an offline agent's chats (after the grace period).
    pub reassign_on_offline: bool,
    /// How long an offline agent keeps their chats before they move (0 = at once).
    pub offline_grace: SimDuration,
    /// Give idle chats to an agent who becomes available.
    pub rebalance_on_online: bool,
    /// Only chats with no message for this long are moved; required when rebalancing.
    pub rebalance_idle_threshold: Option<SimDuration>,
    /// Close chats with no message for this long; `None` = off.
    pub auto_close_after: Option<SimDuration>,
    /// Auto-menu timeout; `None` = menu off.
    pub menu_timeout: Option<SimDuration>,
    /// Route a chat that has a group only to that group's members.
    pub group_routing: bool,
    /// After this long from `needs_human_at`, a grouped chat may go to anyone.
    pub group_overflow_after: Option<SimDuration>,
    /// How long a targeted chat waits for its target before normal routing.
    pub target_fallback_after: SimDuration,
    /// Round-robin order.
    pub rotation_order: RotationOrder,
    /// Recipients of CHAT_ASSIGNED.
    pub notify_assignment: NotifyAssignment,
}

impl Default for Settings {
    /// Every setting at its schema default ([`crate::engine::settings::SETTINGS`]).
    fn default() -> Self {
        settings::defaults()
    }
}

/// Which agents an inbox may route to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EligibleAgents {
    /// Every agent of the workspace.
    Everyone,
    /// Only these (pinned teammates).
    Pinned(Vec<AgentId>),
}

/// One inbox (a chat widget or channel).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxConfig {
    /// Display name.
    pub name: String,
    /// Its routing strategy.
    pub strategy: StrategyKind,
    /// Who it may route to.
    pub eligible: EligibleAgents,
}

/// One agent of the roster; its position in [`EngineConfig::agents`] is its [`AgentId`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// Stable name (the scenario's id).
    pub name: String,
    /// Role.
    pub role: Role,
    /// Groups the agent belongs to.
    pub groups: Vec<GroupId>,
    /// Whether auto-routing may pick them at all.
    pub auto_assign: bool,
    /// Per-agent capacity, overriding the workspace setting.
    pub capacity: Option<Capacity>,
    /// Presence when the engine starts.
    pub presence: Presence,
}

impl AgentConfig {
    /// An available auto-assign agent with no groups and no override.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role: Role::Agent,
            groups: Vec::new(),
            auto_assign: true,
            capacity: None,
            presence: Presence::Available,
        }
    }
}

/// Everything [`crate::engine::Engine::new`] needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// Run-time settings.
    pub settings: Settings,
    /// Group names; a position is a [`GroupId`].
    pub groups: Vec<String>,
    /// Inboxes; a position is an [`InboxId`]. At least one.
    pub inboxes: Vec<InboxConfig>,
    /// The roster; a position is an [`AgentId`] and the roster order.
    pub agents: Vec<AgentConfig>,
    /// Seed of the engine's one random generator (the random strategy).
    pub rng_seed: u64,
}

/// A configuration the engine refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A capacity outside 1–100.
    CapacityOutOfRange {
        /// The offending value.
        value: u32,
    },
    /// A setting outside its range ([`crate::engine::settings::SETTINGS`]).
    OutOfRange {
        /// The setting's key.
        setting: &'static str,
        /// The offending value, as the messages print it.
        value: String,
        /// The allowed range, as the messages print it.
        expected: String,
    },
    /// A setting another one needs was not given (rebalancing on, no idle threshold).
    MissingSetting {
        /// The missing setting's key.
        setting: &'static str,
        /// The key of the setting that needs it.
        required_by: &'static str,
        /// Its allowed range.
        expected: String,
    },
    /// The configuration has no inbox.
    NoInbox,
    /// A reference to a group that does not exist.
    UnknownGroup {
        /// The offending id.
        group: GroupId,
    },
    /// A reference to an agent that does not exist.
    UnknownAgent {
        /// The offending id.
        agent: AgentId,
    },
    /// An inbox id that does not exist.
    UnknownInbox {
        /// The offending id.
        inbox: InboxId,
    },
    /// Two agents share a name.
    DuplicateAgentName {
        /// The name.
        name: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CapacityOutOfRange { value } => {
                write!(
                    f,
                    "capacity {value} is out of range (expected 1 to {MAX_CAPACITY} or unlimited)"
                )
            }
            Self::OutOfRange {
                setting,
                value,
                expected,
            } => write!(f, "{setting} {value} is out of range (expected {expected})"),
            Self::MissingSetting {
                setting,
                required_by,
                expected,
            } => write!(f, "{required_by} needs {setting} ({expected})"),
            Self::NoInbox => f.write_str("the configuration has no inbox"),
            Self::UnknownGroup { group } => write!(f, "unknown group #{}", group.0),
            Self::UnknownAgent { agent } => write!(f, "unknown agent #{}", agent.0),
            Self::UnknownInbox { inbox } => write!(f, "unknown inbox #{}", inbox.0),
            Self::DuplicateAgentName { name } => write!(f, "agent name \"{name}\" is used twice"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// Checks every setting against its range in the schema
    /// ([`crate::engine::settings::SETTINGS`]); values are never clamped.
    pub fn validate(&self) -> Result<(), ConfigError> {
        settings::validate(self)
    }
}

impl EngineConfig {
    /// Checks the settings and every cross-reference.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.settings.validate()?;
        if self.inboxes.is_empty() {
            return Err(ConfigError::NoInbox);
        }
        let n_groups = self.groups.len();
        let mut names: Vec<&str> = self.agents.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError::DuplicateAgentName {
                name: w[0].to_owned(),
            });
        }
        for agent in &self.agents {
            if let Some(c) = agent.capacity {
                validate_capacity(c)?;
            }
            if let Some(&group) = agent.groups.iter().find(|g| g.index() >= n_groups) {
                return Err(ConfigError::UnknownGroup { group });
            }
        }
        for inbox in &self.inboxes {
            if let EligibleAgents::Pinned(list) = &inbox.eligible
                && let Some(&agent) = list.iter().find(|a| a.index() >= self.agents.len())
            {
                return Err(ConfigError::UnknownAgent { agent });
            }
        }
        Ok(())
    }
}

pub(crate) fn validate_capacity(c: Capacity) -> Result<(), ConfigError> {
    match c {
        Capacity::Limited(value) if !(1..=MAX_CAPACITY).contains(&value) => {
            Err(ConfigError::CapacityOutOfRange { value })
        }
        _ => Ok(()),
    }
}
