//! The simulator's event queue: ordered by (time, class, entity, sequence).
//!
//! Same-instant events run in a fixed class order (docs/workload.md#same-instant-order): chat closes (by chat
//! id) → presence changes (by roster order) → configuration changes → messages (by chat
//! id) → arrivals and hand-offs (by chat id); engine timers come after all of them (the
//! run loop consults the engine's deadline separately). Within a class, the entity id and
//! then a monotonically increasing sequence number break ties, so the order never depends
//! on scheduling history (nexosim's epoch tie-break).
//!
//! Cancellation is lazy: an event carries the version of what it belongs to, and a stale
//! event is dropped when popped; the queue itself never searches.

use crate::engine::SimTime;

/// Same-instant order of event kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Chat closes: resolution, abandonment.
    Close = 0,
    /// Agent presence changes.
    Presence = 1,
    /// Configuration changes.
    Config = 2,
    /// Messages.
    Message = 3,
    /// Arrivals and hand-offs.
    Arrival = 4,
}

/// Bits of [`Entry::order`] below the class: entity ids are below 2^61 (chat ids stay
/// below 2^42, agent and schedule ids below 2^32).
const ENTITY_BITS: u32 = 61;

/// A queued event: when, in which order, and what. The key is three words — (time,
/// class and entity packed, sequence) — so entries stay small and compare fast.
#[derive(Debug)]
struct Entry<E> {
    key: (SimTime, u64, u64),
    event: E,
}

/// Children per node of the heap. A 4-ary heap is half as deep as a binary one, and a
/// node's children sit side by side in memory: with the tens of thousands of pending
/// events of a 10 000-agent day, each level is a cache miss, so fewer levels pay.
const ARITY: usize = 4;

/// A min-queue of events: a 4-ary heap on the entries' keys. Keys are unique (the
/// sequence number), so the order events come out in is fully determined by them.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            heap: Vec::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` in `class`, ordered by `entity` among its class.
    pub fn push(&mut self, time: SimTime, class: Class, entity: u64, event: E) {
        self.seq += 1;
        assert!(entity < 1 << ENTITY_BITS, "entity id {entity} out of range");
        let order = (class as u64) << ENTITY_BITS | entity;
        self.heap.push(Entry {
            key: (time, order, self.seq),
            event,
        });
        // Sift up.
        let mut i = self.heap.len() - 1;
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[i].key >= self.heap[parent].key {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    /// When the next event is due.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| e.key.0)
    }

    /// Takes the next event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.heap.is_empty() {
            return None;
        }
        let top = self.heap.swap_remove(0);
        // Sift the moved last entry down.
        let n = self.heap.len();
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let mut least = first;
            for c in first + 1..(first + ARITY).min(n) {
                if self.heap[c].key < self.heap[least].key {
                    least = c;
                }
            }
            if self.heap[least].key >= self.heap[i].key {
                break;
            }
            self.heap.swap(i, least);
            i = least;
        }
        Some((top.key.0, top.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_instant_order_is_class_then_entity_then_insertion() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), Class::Arrival, 2, "arrival 2");
        q.push(SimTime(5), Class::Arrival, 1, "arrival 1");
        q.push(SimTime(5), Class::Close, 9, "close 9");
        q.push(SimTime(4), Class::Arrival, 7, "early arrival");
        q.push(SimTime(5), Class::Presence, 0, "presence a");
        q.push(SimTime(5), Class::Presence, 0, "presence a again");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            [
                "early arrival",
                "close 9",
                "presence a",
                "presence a again",
                "arrival 1",
                "arrival 2"
            ]
        );
    }

    /// Interleaved pushes and pops come out in key order, like an ordered set's.
    #[test]
    fn pops_in_key_order_under_random_interleaving() {
        let mut q = EventQueue::default();
        let mut model = std::collections::BTreeSet::new();
        let mut x: u64 = 7;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut now = 0;
        for step in 0..50_000u64 {
            let r = next();
            if r % 3 != 0 || model.is_empty() {
                let (t, entity) = (now + r % 50, (r >> 8) % 20);
                let class =
                    [Class::Close, Class::Presence, Class::Message, Class::Arrival][(r >> 20) as usize % 4];
                q.push(SimTime(t), class, entity, step);
                model.insert((t, class, entity, step));
            } else {
                let want = model.pop_first().unwrap();
                now = want.0;
                assert_eq!(q.pop(), Some((SimTime(want.0), want.3)));
            }
            assert_eq!(q.len(), model.len());
        }
        while let Some(want) = model.pop_first() {
            assert_eq!(q.pop(), Some((SimTime(want.0), want.3)));
        }
        assert!(q.is_empty() && q.pop().is_none());
    }
}
