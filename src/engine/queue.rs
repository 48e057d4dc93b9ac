//! Derived indexes: the per-(inbox, routing group) queues and the timer set.
//!
//! Queued chats are ordered by (`needs_human_at`, chat id). A chat waiting for its target
//! (docs/engine.md#targeted-chats) sits in its queue's `targeted` set — so it still counts for positions —
//! and in a per-target set, so a drain finds it when the target becomes eligible without
//! walking chats nobody can take. Everything here is rebuilt from core state after a
//! restore; nothing here is serialized.

use crate::engine::state::{AgentId, ChatId, GroupId, InboxId};
use crate::engine::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// A queue: one inbox and one routing group (`None` = no group routing for the chat).
pub(crate) type QueueKey = (InboxId, Option<GroupId>);

/// A chat's place in queue order: (`needs_human_at`, id).
pub(crate) type Place = (SimTime, ChatId);

/// Where a queued chat sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Slot {
    /// Its queue.
    pub(crate) key: QueueKey,
    /// The agent it waits for alone, while in its target phase.
    pub(crate) target: Option<AgentId>,
}

#[derive(Debug, Default)]
pub(crate) struct Queue {
    /// Chats any pool agent may take.
    pub(crate) open: BTreeSet<Place>,
    /// Chats waiting for their target alone.
    pub(crate) targeted: BTreeSet<Place>,
}

/// Every queued chat, indexed for drains and positions.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    pub(crate) by_key: BTreeMap<QueueKey, Queue>,
    pub(crate) by_target: BTreeMap<AgentId, BTreeSet<Place>>,
    len: usize,
}

impl Queues {
    pub(crate) fn insert(&mut self, slot: Slot, place: Place) {
        let queue = self.by_key.entry(slot.key).or_default();
        let fresh = match slot.target {
            Some(agent) => {
                self.by_target.entry(agent).or_default().insert(place);
                queue.targeted.insert(place)
            }
            None => queue.open.insert(place),
        };
        self.len += usize::from(fresh);
    }

    pub(crate) fn remove(&mut self, slot: Slot, place: Place) {
        let Some(queue) = self.by_key.get_mut(&slot.key) else {
            return;
        };
        let removed = match slot.target {
            Some(agent) => {
                if let Some(set) = self.by_target.get_mut(&agent) {
                    set.remove(&place);
                    if set.is_empty() {
                        self.by_target.remove(&agent);
                    }
                }
                queue.targeted.remove(&place)
            }
            None => queue.open.remove(&place),
        };
        self.len -= usize::from(removed);
    }

    /// 1-based position in its (inbox, routing group) queue, targeted chats included.
    pub(crate) fn position(&self, slot: Slot, place: Place) -> u32 {
        let Some(queue) = self.by_key.get(&slot.key) else {
            return 0;
        };
        let rank = |set: &BTreeSet<Place>| match set.last() {
            // The common case: the newest chat joins at the end.
            Some(last) if *last <= place => set.len(),
            _ => set.range(..=place).count(),
        };
        u32::try_from(rank(&queue.open) + rank(&queue.targeted)).unwrap_or(u32::MAX)
    }

    /// Number of queued chats.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The first place after `after` in `set`.
    pub(crate) fn next_after(set: &BTreeSet<Place>, after: Option<Place>) -> Option<Place> {
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        set.range((lower, Bound::Unbounded)).next().copied()
    }

    /// Every queued chat in global (`needs_human_at`, id) order.
    pub(crate) fn all_in_order(&self) -> Vec<ChatId> {
        let mut places: Vec<Place> = self
            .by_key
            .values()
            .flat_map(|q| q.open.iter().chain(q.targeted.iter()).copied())
            .collect();
        places.sort_unstable();
        places.into_iter().map(|(_, chat)| chat).collect()
    }
}

/// An engine timer. The derived order (variant, then id) is the same-instant firing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// An offline agent's grace period ends.
    OfflineGrace(AgentId),
    /// A chat's menu times out.
    MenuTimeout(ChatId),
    /// A targeted chat stops waiting for its target.
    TargetFallback(ChatId),
    /// A grouped chat may go to any agent.
    GroupOverflow(ChatId),
    /// A chat has had no message for `auto_close_after`.
    AutoClose(ChatId),
}

/// Chat timer kinds, as indexes into a chat's deadline array.
pub(crate) const CHAT_TIMER_KINDS: usize = 4;

impl Timer {
    /// The chat timer of kind `kind` (0 = menu, 1 = target, 2 = overflow, 3 = auto-close).
    pub(crate) fn for_chat(kind: usize, chat: ChatId) -> Self {
        match kind {
            0 => Self::MenuTimeout(chat),
            1 => Self::TargetFallback(chat),
            2 => Self::GroupOverflow(chat),
            _ => Self::AutoClose(chat),
        }
    }

    /// Position in the firing order of kinds, for counters.
    pub(crate) fn kind_index(self) -> usize {
        match self {
            Self::OfflineGrace(_) => 0,
            Self::MenuTimeout(_) => 1,
            Self::TargetFallback(_) => 2,
            Self::GroupOverflow(_) => 3,
            Self::AutoClose(_) => 4,
        }
    }
}
