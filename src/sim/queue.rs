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

/// How the key of an entry packs (time, class, entity, sequence) into one `u128` whose
/// integer order is the tuple's, from the top: the time in ms (44 bits: 557 years — a run
/// is at most 366 days plus its drain, and a later time, which no run reaches, is kept as
/// the largest value), the class (3 bits), the entity (42 bits: chat ids stay below 2^42,
/// agent and schedule ids below 2^32) and the sequence number (39 bits; renumbered, order
/// kept, should a run ever schedule 2^39 events).
const SEQ_BITS: u32 = 39;
const ENTITY_BITS: u32 = 42;
const CLASS_BITS: u32 = 3;
const TIME_BITS: u32 = 128 - SEQ_BITS - ENTITY_BITS - CLASS_BITS;
const TIME_MAX: u64 = (1 << TIME_BITS) - 1;

/// A queued event: its packed key and what it is. Two words of key and (for the
/// simulator's events) two of payload: two entries per cache line.
#[derive(Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> (128 - TIME_BITS)) as u64)
    }
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
        assert!(entity < 1 << ENTITY_BITS, "entity id {entity} out of range");
        if self.seq == (1 << SEQ_BITS) - 1 {
            self.renumber();
        }
        self.seq += 1;
        let key = (u128::from(time.as_millis().min(TIME_MAX)) << (128 - TIME_BITS))
            | (class as u128) << (SEQ_BITS + ENTITY_BITS)
            | u128::from(entity) << SEQ_BITS
            | u128::from(self.seq);
        self.heap.push(Entry { key, event });
        // Sift up.
        let mut i = self.heap.len() - 1;
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if key >= self.heap[parent].key {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    /// Gives the pending entries sequence numbers 1, 2, … in their order, which stays.
    #[cold]
    fn renumber(&mut self) {
        const SEQ_MASK: u128 = (1 << SEQ_BITS) - 1;
        self.heap.sort_unstable_by_key(|e| e.key);
        for (n, e) in self.heap.iter_mut().enumerate() {
            e.key = (e.key & !SEQ_MASK) | (n as u128 + 1);
        }
        // A sorted array is a heap.
        self.seq = self.heap.len() as u64;
    }

    /// When the next event is due.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(Entry::time)
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
            let mut least_key = self.heap[first].key;
            for c in first + 1..(first + ARITY).min(n) {
                let k = self.heap[c].key;
                if k < least_key {
                    least = c;
                    least_key = k;
                }
            }
            if least_key >= self.heap[i].key {
                break;
            }
            self.heap.swap(i, least);
            i = least;
        }
        Some((top.time(), top.event))
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

    /// Running out of sequence numbers renumbers the pending entries without changing the
    /// order anything comes out in, FIFO among equal keys included.
    #[test]
    fn renumbering_keeps_the_order() {
        let mut q = EventQueue::default();
        q.push(SimTime(9), Class::Message, 1, "late");
        q.push(SimTime(3), Class::Message, 1, "first at 3");
        q.seq = (1 << SEQ_BITS) - 2;
        q.push(SimTime(3), Class::Message, 1, "second at 3");
        assert_eq!(q.seq, (1 << SEQ_BITS) - 1);
        q.push(SimTime(3), Class::Message, 1, "third at 3");
        assert_eq!(q.seq, 4, "three renumbered, then one more");
        q.push(SimTime(5), Class::Close, 0, "middle");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            ["first at 3", "second at 3", "third at 3", "middle", "late"]
        );
    }

    /// A time past what the key holds (no run gets there) is kept as the latest one.
    #[test]
    fn times_past_the_key_range_come_last() {
        let mut q = EventQueue::default();
        q.push(SimTime(u64::MAX), Class::Close, 0, "never");
        q.push(SimTime(TIME_MAX - 1), Class::Arrival, 0, "last reachable");
        assert_eq!(q.pop(), Some((SimTime(TIME_MAX - 1), "last reachable")));
        assert_eq!(q.pop(), Some((SimTime(TIME_MAX), "never")));
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
