//! The engine's core state: agents, chats and their ids.
//!
//! Everything here is *core* state, serialized with the engine. Indexes derived from it
//! (strategy pools, queues, timers) live in `engine::queue` and
//! [`crate::engine::strategy`] and are rebuilt after a restore or a configuration change,
//! so a snapshot can never hold an index that disagrees with the data.

use crate::engine::config::{Capacity, Presence, Role};
use crate::engine::queue::{CHAT_TIMER_KINDS, Place, Slot};
use crate::engine::strategy::AgentKey;
use crate::engine::time::SimTime;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::collections::BTreeSet;

/// An agent: its position in the roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentId(pub u32);

/// A chat, numbered by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatId(pub u64);

/// A group (team / menu target): its position in the configuration's group list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupId(pub u32);

/// An inbox: its position in the configuration's inbox list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InboxId(pub u32);

macro_rules! index_newtype {
    ($($t:ty),*) => {$(
        impl $t {
            /// The id as a vector index.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}
index_newtype!(AgentId, GroupId, InboxId);

/// A chat's status (docs/engine.md#chats). Closed chats leave the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    /// Waiting for the customer's menu choice; auto-assign paused.
    AwaitingMenu,
    /// Routable, waiting for an agent.
    Queued,
    /// Held by an agent.
    Assigned,
    /// Held by an admin who took it over.
    TakenOver,
}

/// One agent's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// Stable name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Groups, sorted.
    pub groups: Vec<GroupId>,
    /// Whether auto-routing may pick them.
    pub auto_assign: bool,
    /// Per-agent capacity override.
    pub capacity: Option<Capacity>,
    /// Presence.
    pub presence: Presence,
    /// Round-robin key under `online-since`: set when the agent connects.
    pub online_key: u64,
    /// Global assignment sequence number of the agent's last assignment (0 = never).
    pub last_assigned: u64,
    /// Chats in status `assigned` held by the agent, in assignment order.
    pub assigned: HeldChats,
    /// How many of `assigned` came from auto-assignment.
    pub n_auto: u32,
    /// Chats the agent (an admin) took over.
    pub taken_over: BTreeSet<ChatId>,
    /// When the pending offline grace period ends.
    pub grace_deadline: Option<SimTime>,
    /// When the pending rebalance runs (the instant the agent became available).
    #[serde(default)]
    pub rebalance_at: Option<SimTime>,
    /// Removed from the roster: the id is never reused, every input naming it is refused.
    #[serde(default)]
    pub removed: bool,
    /// Where the derived indexes currently hold the agent.
    #[serde(skip)]
    pub(crate) idx: AgentIndex,
}

/// Where the derived indexes hold an agent: what was inserted, so it can be removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AgentIndex {
    /// Key in the strategy pools, while eligible.
    pub(crate) key: Option<AgentKey>,
    /// Load in the rebalance donor index, while available (any role or `auto_assign`) and
    /// rebalancing is on.
    pub(crate) avail_load: Option<u32>,
    /// Deadline of the scheduled grace timer.
    pub(crate) grace: Option<SimTime>,
    /// Deadline of the scheduled rebalance timer.
    pub(crate) rebalance: Option<SimTime>,
    /// Load counted in the per-inbox rebalance means, while routable (role agent,
    /// `auto_assign` on, available) and rebalancing is on.
    pub(crate) mean_load: Option<u32>,
}

/// Where the derived indexes hold a chat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ChatIndex {
    /// Its queue slot and place, while queued.
    pub(crate) slot: Option<(Slot, Place)>,
    /// Scheduled deadlines: menu, target fallback, group overflow, auto-close (which may be
    /// earlier than the real one: see `Engine::touch_chat`).
    pub(crate) timers: [Option<SimTime>; CHAT_TIMER_KINDS],
    /// Inbox and last message — or an earlier message of the chat's (see
    /// `Engine::touch_chat`) — while assigned: its entry in the rebalance index of idle
    /// chats.
    pub(crate) idle: Option<(InboxId, SimTime)>,
}

/// An agent's chats in status `assigned`: (assignment sequence number, chat), ascending —
/// in assignment order. A sorted vector rather than a tree: an agent holds a handful of
/// chats, a new assignment goes at the end (sequence numbers only grow) and a close removes
/// one by binary search. Up to three are kept inline, in the agent's record (no allocation,
/// no other cache line); a 10 000-agent roster is not 10 000 trees. Serialized as the list
/// it is; a snapshot's list is read in any order, duplicates dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HeldChats(SmallVec<[(u64, ChatId); HELD_INLINE]>);

/// Chats an agent holds without a heap buffer: the usual capacities fit, so an assignment
/// or a close touches the agent's record and no other line.
const HELD_INLINE: usize = 3;

impl HeldChats {
    /// Adds a chat; returns whether it was not there already.
    pub fn insert(&mut self, entry: (u64, ChatId)) -> bool {
        match self.0.last() {
            Some(&last) if last >= entry => match self.0.binary_search(&entry) {
                Ok(_) => false,
                Err(i) => {
                    self.0.insert(i, entry);
                    true
                }
            },
            _ => {
                self.0.push(entry);
                true
            }
        }
    }

    /// Removes a chat; returns whether it was there.
    pub fn remove(&mut self, entry: &(u64, ChatId)) -> bool {
        match self.0.binary_search(entry) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// The chats, in assignment order.
    pub fn iter(&self) -> std::slice::Iter<'_, (u64, ChatId)> {
        self.0.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(u64, ChatId)> for HeldChats {
    fn from_iter<I: IntoIterator<Item = (u64, ChatId)>>(iter: I) -> Self {
        let set: BTreeSet<(u64, ChatId)> = iter.into_iter().collect();
        Self(set.into_iter().collect())
    }
}

impl<'de> Deserialize<'de> for HeldChats {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<(u64, ChatId)>::deserialize(deserializer).map(|list| list.into_iter().collect())
    }
}

impl Agent {
    /// Number of chats in status `assigned`.
    pub fn n_assigned(&self) -> u32 {
        // A roster member cannot hold 2^32 chats; saturate instead of wrapping all the same.
        u32::try_from(self.assigned.len()).unwrap_or(u32::MAX)
    }

    /// Whether the agent is in `group`.
    pub fn in_group(&self, group: GroupId) -> bool {
        self.groups.binary_search(&group).is_ok()
    }
}

/// One open chat's state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Chat {
    /// Inbox it came through.
    pub inbox: InboxId,
    /// Group, from the menu, a trace or the bot hand-off.
    pub group: Option<GroupId>,
    /// Agent the chat is aimed at.
    pub target: Option<AgentId>,
    /// Status.
    pub status: ChatStatus,
    /// Current owner: the assignee, or the admin who took it over.
    pub owner: Option<AgentId>,
    /// Assignment sequence number of the current assignment.
    pub assign_seq: u64,
    /// When the current assignment was made.
    #[serde(default)]
    pub assigned_at: SimTime,
    /// Whether the current assignment counts as auto-assignment.
    pub auto: bool,
    /// When the chat arrived at the engine: its place in the queue (docs/engine.md#queue).
    pub created_at: SimTime,
    /// When it became routable (after bot and menu); `None` while awaiting the menu.
    pub needs_human_at: Option<SimTime>,
    /// Last message from either side.
    pub last_message_at: SimTime,
    /// When the menu times out, while awaiting the menu.
    pub menu_deadline: Option<SimTime>,
    /// Whether its group-overflow time has passed while queued (it may then go to any
    /// agent; docs/engine.md#group-overflow).
    pub overflowed: bool,
    /// When its overflow timer fired, if it did.
    #[serde(default)]
    pub overflowed_at: Option<SimTime>,
    /// Whether it is queued for its target alone (docs/engine.md#targeted-chats).
    pub target_waiting: bool,
    /// The agent who dropped it (unassign), excluded until the chat is next assigned or
    /// closed (docs/engine.md#manual-actions).
    pub excluded: Option<AgentId>,
    /// Where the derived indexes currently hold the chat.
    #[serde(skip)]
    pub(crate) idx: ChatIndex,
}

/// Chats compare by their state, not by where the indexes hold them: an index entry may sit
/// at an earlier message of the chat's (see `Engine::touch_chat`), which depends on the
/// history, not on the state. Every field but `idx` is named, so a new one cannot be missed.
impl PartialEq for Chat {
    fn eq(&self, other: &Self) -> bool {
        let Self {
            inbox,
            group,
            target,
            status,
            owner,
            assign_seq,
            assigned_at,
            auto,
            created_at,
            needs_human_at,
            last_message_at,
            menu_deadline,
            overflowed,
            overflowed_at,
            target_waiting,
            excluded,
            idx: _,
        } = self;
        *inbox == other.inbox
            && *group == other.group
            && *target == other.target
            && *status == other.status
            && *owner == other.owner
            && *assign_seq == other.assign_seq
            && *assigned_at == other.assigned_at
            && *auto == other.auto
            && *created_at == other.created_at
            && *needs_human_at == other.needs_human_at
            && *last_message_at == other.last_message_at
            && *menu_deadline == other.menu_deadline
            && *overflowed == other.overflowed
            && *overflowed_at == other.overflowed_at
            && *target_waiting == other.target_waiting
            && *excluded == other.excluded
    }
}

impl Eq for Chat {}
