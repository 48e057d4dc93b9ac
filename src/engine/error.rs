//! API misuse: every way a call into the engine can be refused.
//!
//! A refused call leaves the engine exactly as it was (docs/engine.md#refused-inputs); misuse is never
//! a panic and never an output event.

use crate::engine::config::ConfigError;
use crate::engine::state::{AgentId, ChatId, ChatStatus, GroupId, InboxId};
use crate::engine::time::SimTime;
use std::fmt;

/// Why the engine refused an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// `now` is earlier than the last input's.
    TimeWentBackwards {
        /// The time given.
        now: SimTime,
        /// The engine's current time.
        current: SimTime,
    },
    /// No such agent in the roster.
    UnknownAgent(AgentId),
    /// No open chat with this id (never arrived, or already closed).
    UnknownChat(ChatId),
    /// A chat with this id is already open.
    DuplicateChat(ChatId),
    /// No such group.
    UnknownGroup(GroupId),
    /// No such inbox.
    UnknownInbox(InboxId),
    /// The action needs the chat in another status.
    WrongStatus {
        /// The chat.
        chat: ChatId,
        /// Its status.
        status: ChatStatus,
        /// The action refused.
        action: &'static str,
    },
    /// Only admins may take chats over.
    NotAdmin(AgentId),
    /// The chat is already assigned to this agent.
    AlreadyAssigned {
        /// The chat.
        chat: ChatId,
        /// The agent.
        agent: AgentId,
    },
    /// `auto_closed` is the engine's own close reason.
    ReservedCloseReason,
    /// An admin holding taken-over chats cannot become an agent (agents never hold them).
    HoldsTakenOverChats(AgentId),
    /// A configuration input was invalid.
    Config(ConfigError),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimeWentBackwards { now, current } => {
                write!(f, "time went backwards: input at {now} after {current}")
            }
            Self::UnknownAgent(a) => write!(f, "unknown agent #{}", a.0),
            Self::UnknownChat(c) => write!(f, "no open chat #{}", c.0),
            Self::DuplicateChat(c) => write!(f, "chat #{} is already open", c.0),
            Self::UnknownGroup(g) => write!(f, "unknown group #{}", g.0),
            Self::UnknownInbox(i) => write!(f, "unknown inbox #{}", i.0),
            Self::WrongStatus { chat, status, action } => {
                write!(f, "cannot {action} chat #{} in status {status:?}", chat.0)
            }
            Self::NotAdmin(a) => write!(f, "agent #{} is not an admin", a.0),
            Self::AlreadyAssigned { chat, agent } => {
                write!(f, "chat #{} is already assigned to agent #{}", chat.0, agent.0)
            }
            Self::ReservedCloseReason => f.write_str("auto_closed is reserved for the engine"),
            Self::HoldsTakenOverChats(a) => {
                write!(f, "agent #{} holds taken-over chats and must stay an admin", a.0)
            }
            Self::Config(e) => write!(f, "invalid configuration: {e}"),
        }
    }
}

impl std::error::Error for EngineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for EngineError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}
