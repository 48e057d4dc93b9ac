//! The engine's outputs: the events of docs/engine.md#events with symbolic recipients.
//!
//! Recipients are never expanded into lists of agents, so a workspace of 10 000 agents
//! costs nothing extra per event; delivering them (WebSocket, push, e-mail) is the host's job.

use crate::engine::state::{AgentId, ChatId};
use crate::engine::time::SimTime;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a chat was assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignReason {
    /// Picked by the strategy when the chat became routable.
    Auto,
    /// Picked by the strategy while draining the queue.
    Drain,
    /// Picked by the strategy after its agent went offline.
    Reassign,
    /// Picked by the strategy after an unassign, excluding the previous agent.
    Reroute,
    /// Given to the agent it was aimed at.
    Target,
    /// Moved to a newly available agent by rebalancing.
    Rebalance,
    /// Assigned or claimed by a person.
    Manual,
    /// The agent replied to a queued chat.
    SelfClaim,
}

impl AssignReason {
    /// Every reason, in table order.
    pub const ALL: [Self; 8] = [
        Self::Auto,
        Self::Drain,
        Self::Reassign,
        Self::Reroute,
        Self::Target,
        Self::Rebalance,
        Self::Manual,
        Self::SelfClaim,
    ];

    /// Whether the assignment counts as auto-assignment (capacity_counts = auto, fairness x).
    pub fn is_auto(self) -> bool {
        !matches!(self, Self::Manual | Self::SelfClaim)
    }

    /// Whether it advances the round-robin cursor.
    pub fn advances_cursor(self) -> bool {
        matches!(self, Self::Auto | Self::Drain | Self::Reassign | Self::Reroute)
    }

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Drain => "drain",
            Self::Reassign => "reassign",
            Self::Reroute => "reroute",
            Self::Target => "target",
            Self::Rebalance => "rebalance",
            Self::Manual => "manual",
            Self::SelfClaim => "self_claim",
        }
    }
}

/// Why a chat left its agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignReason {
    /// The agent went offline and the grace period ran out.
    Offline,
    /// Moved to a newly available agent.
    Rebalance,
    /// An admin took the chat over.
    Takeover,
    /// A person unassigned or moved it.
    Manual,
    /// Its agent was removed from the roster (docs/engine.md#roster-changes).
    Removed,
}

impl UnassignReason {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Rebalance => "rebalance",
            Self::Takeover => "takeover",
            Self::Manual => "manual",
            Self::Removed => "removed",
        }
    }
}

/// Why a chat closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The conversation ended normally.
    Resolved,
    /// Closed by the engine after `auto_close_after` without a message.
    AutoClosed,
    /// The customer left.
    Abandoned,
    /// The bot resolved it without a human.
    BotResolved,
}

impl CloseReason {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Resolved => "resolved",
            Self::AutoClosed => "auto_closed",
            Self::Abandoned => "abandoned",
            Self::BotResolved => "bot_resolved",
        }
    }
}

/// A rule the per-decision eligibility check found broken (a bug, never applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationRule {
    /// The picked agent was not eligible for the chat (docs/engine.md#eligibility).
    Ineligible,
}

/// One move of AGENT_CHATS_REASSIGNED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The chat.
    pub chat: ChatId,
    /// Its new agent, or `None` if it went to the queue.
    pub to: Option<AgentId>,
}

/// An event of docs/engine.md#events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
    /// A chat got an agent.
    ChatAssigned {
        /// The chat.
        chat: ChatId,
        /// Its agent.
        agent: AgentId,
        /// Why.
        reason: AssignReason,
    },
    /// A chat left its agent.
    ChatUnassigned {
        /// The chat.
        chat: ChatId,
        /// The previous agent.
        agent: AgentId,
        /// Why.
        reason: UnassignReason,
    },
    /// A chat entered (or went back to) the queue.
    ChatQueued {
        /// The chat.
        chat: ChatId,
        /// 1-based position in its (inbox, routing group) queue.
        position: u32,
    },
    /// An admin took a chat over.
    ChatTakenOver {
        /// The chat.
        chat: ChatId,
        /// Its previous agent, if it had one.
        from: Option<AgentId>,
        /// The admin.
        admin: AgentId,
    },
    /// An offline agent's chats were moved (or queued).
    AgentChatsReassigned {
        /// The agent who went offline.
        agent: AgentId,
        /// Each chat and where it went, in assignment order.
        moves: Vec<Move>,
    },
    /// A connecting agent's chats (and, for admins, the queue).
    ChatAssignmentSync {
        /// The agent.
        agent: AgentId,
        /// Their open chats, by id.
        chats: Vec<ChatId>,
        /// Queued chats in queue order (admins only).
        queued: Option<Vec<ChatId>>,
    },
    /// A chat closed.
    ChatClosed {
        /// The chat.
        chat: ChatId,
        /// Why.
        reason: CloseReason,
    },
    /// The engine refused a pick that broke a rule (a bug; must never appear).
    Violation {
        /// Which rule.
        rule: ViolationRule,
        /// The chat.
        chat: ChatId,
        /// The agent the strategy picked.
        agent: AgentId,
    },
}

/// Who an event is for (symbolic; the host expands it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recipient {
    /// One agent or admin.
    Agent(AgentId),
    /// Every admin.
    AllAdmins,
    /// Everyone in the workspace.
    AllAgentsAndAdmins,
}

/// One output: an event, its recipients and when it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// When.
    pub at: SimTime,
    /// What.
    pub event: Event,
    /// For whom.
    pub to: Recipients,
}

/// One or two symbolic recipients; a fixed-size value so an output never allocates for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipients(pub Recipient, pub Option<Recipient>);

impl Recipients {
    /// A single recipient.
    pub fn one(r: Recipient) -> Self {
        Self(r, None)
    }

    /// Two recipients.
    pub fn two(a: Recipient, b: Recipient) -> Self {
        Self(a, Some(b))
    }

    /// The recipients in order.
    pub fn iter(&self) -> impl Iterator<Item = Recipient> + '_ {
        std::iter::once(self.0).chain(self.1)
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Agent(a) => write!(f, "agent#{}", a.0),
            Self::AllAdmins => f.write_str("admins"),
            Self::AllAgentsAndAdmins => f.write_str("everyone"),
        }
    }
}
