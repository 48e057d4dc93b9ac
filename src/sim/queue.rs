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
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// A min-queue of events.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
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
        self.heap.push(Reverse(Entry {
            key: (time, order, self.seq),
            event,
        }));
    }

    /// When the next event is due.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(e)| e.key.0)
    }

    /// Takes the next event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|Reverse(e)| (e.key.0, e.event))
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
}
