//! Derived indexes: the per-(inbox, routing group) queues and the timer set.
//!
//! Queued chats are ordered by (the instant the engine received the chat, chat id) —
//! docs/engine.md#queue. A chat waiting for its target
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

/// A chat's place in queue order: (received, id).
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
    /// Both sets again, counted, for positions in O(log n): built once the queue grows past
    /// [`RANKED_FROM`] chats, dropped when it empties. A short queue counts positions by
    /// walking its sets, cheaper than keeping the treap in step with every insert and remove.
    ranks: Option<RankSet>,
}

/// Queue length past which positions come from a [`RankSet`] rather than a walk.
const RANKED_FROM: usize = 64;

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
        if fresh {
            match &mut queue.ranks {
                Some(ranks) => ranks.insert(place),
                None if queue.open.len() + queue.targeted.len() > RANKED_FROM => {
                    let mut ranks = RankSet::default();
                    queue
                        .open
                        .iter()
                        .chain(&queue.targeted)
                        .for_each(|&p| ranks.insert(p));
                    queue.ranks = Some(ranks);
                }
                None => {}
            }
        }
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
        if removed && let Some(ranks) = &mut queue.ranks {
            ranks.remove(place);
        }
        self.len -= usize::from(removed);
        if queue.open.is_empty() && queue.targeted.is_empty() {
            // The empty queue stays (so a queue that keeps emptying and refilling allocates
            // nothing); every reader skips it, as it finds no chat in it.
            queue.ranks = None;
        }
    }

    /// 1-based position in its (inbox, routing group) queue, targeted chats included:
    /// O(log n), or a walk of at most [`RANKED_FROM`] chats in a short queue — none when
    /// the chat is last in its set, as a chat just queued usually is.
    pub(crate) fn position(&self, slot: Slot, place: Place) -> u32 {
        let Some(queue) = self.by_key.get(&slot.key) else {
            return 0;
        };
        let at_or_before = |set: &BTreeSet<Place>| match set.last() {
            Some(&last) if last > place => set.range(..=place).count(),
            _ => set.len(),
        };
        let rank = match &queue.ranks {
            Some(ranks) => ranks.rank(place),
            None => at_or_before(&queue.open) + at_or_before(&queue.targeted),
        };
        u32::try_from(rank).unwrap_or(u32::MAX)
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

    /// Every queued chat in drain order: (received, id).
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

/// The engine's pending deadlines in order, the earliest kept at hand: every input and
/// every look at the next deadline reads it, which would otherwise be a walk down the tree
/// each time. An insert compares with it; only removing it walks the tree again.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    set: BTreeSet<(SimTime, Timer)>,
    first: Option<(SimTime, Timer)>,
}

impl Timers {
    /// The earliest deadline.
    pub(crate) fn first(&self) -> Option<&(SimTime, Timer)> {
        self.first.as_ref()
    }

    /// Adds a deadline; returns whether it was not there already.
    pub(crate) fn insert(&mut self, entry: (SimTime, Timer)) -> bool {
        if self.first.is_none_or(|first| entry < first) {
            self.first = Some(entry);
        }
        self.set.insert(entry)
    }

    /// Removes a deadline; returns whether it was there.
    pub(crate) fn remove(&mut self, entry: &(SimTime, Timer)) -> bool {
        let removed = self.set.remove(entry);
        if self.first.as_ref() == Some(entry) {
            self.first = self.set.first().copied();
        }
        removed
    }

    /// Takes the earliest deadline out.
    pub(crate) fn pop_first(&mut self) -> Option<(SimTime, Timer)> {
        let first = self.set.pop_first();
        self.first = self.set.first().copied();
        first
    }

    /// Every deadline, in order.
    pub(crate) fn set(&self) -> &BTreeSet<(SimTime, Timer)> {
        &self.set
    }

    /// Whether the earliest deadline kept at hand is the set's.
    pub(crate) fn first_is_current(&self) -> bool {
        self.first.as_ref() == self.set.first()
    }
}

/// An engine timer. The derived order (variant, then id) is the same-instant firing order
/// of docs/engine.md#same-instant-order: auto-close, offline grace, rebalance, menu
/// timeout, group overflow, target fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// A chat has had no message for `auto_close_after`.
    AutoClose(ChatId),
    /// An offline agent's grace period ends.
    OfflineGrace(AgentId),
    /// An agent who became available is balanced against the others.
    Rebalance(AgentId),
    /// A chat's menu times out.
    MenuTimeout(ChatId),
    /// A grouped chat may go to any agent.
    GroupOverflow(ChatId),
    /// A targeted chat stops waiting for its target.
    TargetFallback(ChatId),
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

    /// Index into [`crate::engine::Counters::timers_fired`].
    pub(crate) fn kind_index(self) -> usize {
        match self {
            Self::OfflineGrace(_) => 0,
            Self::MenuTimeout(_) => 1,
            Self::TargetFallback(_) => 2,
            Self::GroupOverflow(_) => 3,
            Self::AutoClose(_) => 4,
            Self::Rebalance(_) => 5,
        }
    }
}

/// An ordered set of places that also answers "how many are <= this one" in O(log n): a
/// treap (a binary search tree kept balanced by random priorities) whose nodes count their
/// subtree. Its shape depends on the priorities, never on what the engine decides.
#[derive(Debug)]
pub(crate) struct RankSet {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    seed: u64,
}

const NIL: u32 = u32::MAX;

impl Default for RankSet {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            seed: 0,
        }
    }
}

#[derive(Debug)]
struct Node {
    key: Place,
    prio: u64,
    left: u32,
    right: u32,
    size: u32,
}

impl RankSet {
    fn size(&self, n: u32) -> u32 {
        if n == NIL { 0 } else { self.nodes[n as usize].size }
    }

    fn fix(&mut self, n: u32) {
        let (l, r) = (self.nodes[n as usize].left, self.nodes[n as usize].right);
        self.nodes[n as usize].size = 1 + self.size(l) + self.size(r);
    }

    /// Splits `t` into (keys < key, keys >= key) when `inclusive` is false, or
    /// (keys <= key, keys > key) when it is true.
    fn split(&mut self, t: u32, key: Place, inclusive: bool) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let k = self.nodes[t as usize].key;
        if k < key || (inclusive && k == key) {
            let right = self.nodes[t as usize].right;
            let (a, b) = self.split(right, key, inclusive);
            self.nodes[t as usize].right = a;
            self.fix(t);
            (t, b)
        } else {
            let left = self.nodes[t as usize].left;
            let (a, b) = self.split(left, key, inclusive);
            self.nodes[t as usize].left = b;
            self.fix(t);
            (a, t)
        }
    }

    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let right = self.nodes[a as usize].right;
            let m = self.merge(right, b);
            self.nodes[a as usize].right = m;
            self.fix(a);
            a
        } else {
            let left = self.nodes[b as usize].left;
            let m = self.merge(a, left);
            self.nodes[b as usize].left = m;
            self.fix(b);
            b
        }
    }

    /// Adds `key` (not already present).
    pub(crate) fn insert(&mut self, key: Place) {
        // splitmix64: well-spread priorities from a counter.
        self.seed = self.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let node = Node {
            key,
            prio: z ^ (z >> 31),
            left: NIL,
            right: NIL,
            size: 1,
        };
        let n = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).expect("fewer than 2^32 queued chats")
            }
        };
        let (a, b) = self.split(self.root, key, false);
        let left = self.merge(a, n);
        self.root = self.merge(left, b);
    }

    /// Removes `key` if present.
    pub(crate) fn remove(&mut self, key: Place) {
        let (a, rest) = self.split(self.root, key, false);
        let (mid, c) = self.split(rest, key, true);
        if mid != NIL {
            self.free.push(mid);
        }
        self.root = self.merge(a, c);
    }

    /// How many keys are <= `key`.
    pub(crate) fn rank(&self, key: Place) -> usize {
        let mut n = self.root;
        let mut count = 0;
        while n != NIL {
            let node = &self.nodes[n as usize];
            if node.key <= key {
                count += self.size(node.left) as usize + 1;
                n = node.right;
            } else {
                n = node.left;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions agree with a sorted list while a queue grows past the ranked length,
    /// shrinks, empties and grows again, targeted chats included.
    #[test]
    fn positions_count_like_a_sorted_list_at_every_length() {
        let key = (InboxId(0), None);
        let mut queues = Queues::default();
        let mut naive: Vec<(Place, Option<AgentId>)> = Vec::new();
        let mut x: u64 = 7;
        for step in 0..20_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Phases that grow (most steps insert) and shrink (most steps remove).
            let grow = (step / 2_000) % 2 == 0;
            let insert = naive.is_empty() || (x >> 40).is_multiple_of(4) != grow;
            if insert {
                let place = (SimTime((x >> 33) % 500), ChatId(step));
                let target = (x >> 20)
                    .is_multiple_of(5)
                    .then_some(AgentId(((x >> 24) % 3) as u32));
                queues.insert(Slot { key, target }, place);
                naive.push((place, target));
            } else {
                let (place, target) = naive.swap_remove((x >> 12) as usize % naive.len());
                queues.remove(Slot { key, target }, place);
            }
            assert_eq!(queues.len(), naive.len());
            if let Some(&(place, target)) = naive.get((x >> 8) as usize % naive.len().max(1)) {
                let want = naive.iter().filter(|(p, _)| *p <= place).count() as u32;
                assert_eq!(queues.position(Slot { key, target }, place), want, "step {step}");
            }
        }
    }

    #[test]
    fn rank_set_counts_like_a_sorted_list() {
        let mut set = RankSet::default();
        let mut naive: Vec<Place> = Vec::new();
        let mut x: u64 = 1;
        for step in 0..4_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let key = (SimTime((x >> 33) % 50), ChatId((x >> 20) % 40));
            if naive.contains(&key) {
                set.remove(key);
                naive.retain(|k| *k != key);
            } else {
                set.insert(key);
                naive.push(key);
            }
            let probe = (SimTime(step % 50), ChatId(step % 40));
            assert_eq!(set.rank(probe), naive.iter().filter(|k| **k <= probe).count());
        }
    }
}
