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
/// Entity ids must be below this.
pub(crate) const ENTITY_LIMIT: u64 = 1 << ENTITY_BITS;
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
    fn time(&self) -> u64 {
        (self.key >> (128 - TIME_BITS)) as u64
    }
}

/// Children per node of the near heap.
const ARITY: usize = 4;
/// A far bucket of at most this many entries moves into the near heap whole on a refill.
const WHOLE_BUCKET: usize = 64;
/// Bits per digit of the radix (buckets per level: 64). Wider digits move entries fewer
/// times (a split drops them a whole digit), at the cost of more buckets to keep.
const DIGIT_BITS: u32 = 6;
const DIGITS: usize = 1 << DIGIT_BITS;
/// Levels: one per digit of a time.
const LEVELS: usize = TIME_BITS.div_ceil(DIGIT_BITS) as usize;
/// Far buckets: one per (level, digit value).
const BUCKETS: usize = LEVELS * DIGITS;
const MASK_WORDS: usize = BUCKETS.div_ceil(64);

/// A min-queue of events in key order. Keys are unique (the sequence number), so the
/// order events come out in is fully determined by them, whatever the structure.
///
/// A radix heap on time (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) with base-64 digits,
/// which needs what a simulation gives it — nothing is scheduled before the last event
/// taken: an entry due after `last` waits in the far bucket of (the highest base-64 digit
/// in which its time differs from `last`, its own value of that digit) — an append, no
/// comparison. Buckets in that (level, digit) order are in time order: every entry of one
/// is due before every entry of the next. When the near heap runs dry, the lowest
/// non-empty bucket is emptied (see `refill`): a small one into the near heap, a large
/// one into lower levels. Each entry moves a few times at most (a level down each time),
/// in sequential sweeps, instead of climbing a heap of every pending event (a cache miss
/// per level with the hundreds of thousands of pending events of a 10 000-agent day). The
/// near heap, a 4-ary heap on the full key, holds what is due at or before `last` —
/// `last` runs ahead of the last event taken (to the end of the bucket taken whole, or
/// when `peek_time` refills), so an event scheduled between the two goes there too, in
/// its place — in order of time, class, entity and sequence.
#[derive(Debug)]
pub struct EventQueue<E> {
    near: Vec<Entry<E>>,
    far: [Vec<Entry<E>>; BUCKETS],
    /// Bit `b` set when `far[b]` is not empty: the lowest one is found in a few
    /// instructions.
    far_used: [u64; MASK_WORDS],
    far_len: usize,
    last: u64,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            near: Vec::new(),
            far: std::array::from_fn(|_| Vec::new()),
            far_used: [0; MASK_WORDS],
            far_len: 0,
            last: 0,
            seq: 0,
        }
    }
}

/// The far bucket of a time after `last`: (the highest digit in which they differ, the
/// time's value of that digit).
fn bucket(time: u64, last: u64) -> usize {
    let level = (u64::BITS - 1 - (time ^ last).leading_zeros()) / DIGIT_BITS;
    let digit = (time >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
    level as usize * DIGITS + digit
}

/// The level of far bucket `b`.
fn level(b: usize) -> u32 {
    (b / DIGITS) as u32
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` in `class`, ordered by `entity` among its class.
    pub fn push(&mut self, time: SimTime, class: Class, entity: u64, event: E) {
        assert!(entity < ENTITY_LIMIT, "entity id {entity} out of range");
        if self.seq == (1 << SEQ_BITS) - 1 {
            self.renumber();
        }
        self.seq += 1;
        let key = (u128::from(time.as_millis().min(TIME_MAX)) << (128 - TIME_BITS))
            | (class as u128) << (SEQ_BITS + ENTITY_BITS)
            | u128::from(entity) << SEQ_BITS
            | u128::from(self.seq);
        self.insert(Entry { key, event });
    }

    fn insert(&mut self, entry: Entry<E>) {
        let time = entry.time();
        if time <= self.last {
            self.push_near(entry);
        } else {
            let b = bucket(time, self.last);
            self.far[b].push(entry);
            self.far_used[b / 64] |= 1 << (b % 64);
            self.far_len += 1;
        }
    }

    /// Gives the pending entries sequence numbers 1, 2, … in their order, which stays.
    #[cold]
    fn renumber(&mut self) {
        const SEQ_MASK: u128 = (1 << SEQ_BITS) - 1;
        let mut all: Vec<Entry<E>> = std::mem::take(&mut self.near);
        for bucket in &mut self.far {
            all.append(bucket);
        }
        self.far_used = [0; MASK_WORDS];
        self.far_len = 0;
        all.sort_unstable_by_key(|e| e.key);
        self.seq = all.len() as u64;
        for (n, mut e) in all.into_iter().enumerate() {
            e.key = (e.key & !SEQ_MASK) | (n as u128 + 1);
            self.insert(e);
        }
    }

    /// When the next event is due.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.refill();
        self.near.first().map(|e| SimTime(e.time()))
    }

    /// Takes the next event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.refill();
        self.pop_near().map(|e| (SimTime(e.time()), e.event))
    }

    /// If the near heap is empty, empties the lowest far bucket `b`, of level `l`: its
    /// entries agree with `last` above digit `l` and share their digit `l`. A small bucket
    /// goes into the near heap whole, and `last` moves to the end of the bucket's range
    /// (its digits below `l` all ones): every far entry due by then is in that bucket (the
    /// lower ones are empty), and every other far entry differs from the new `last` in the
    /// same digit, with the same value, as from the old one — its bucket stays right. A
    /// large bucket is split instead: its earliest time becomes `last`, and its entries
    /// move to lower levels or into the near heap — so the near heap stays small, and
    /// most entries move a level or two, then to it.
    #[inline]
    fn refill(&mut self) {
        if self.near.is_empty() && self.far_len > 0 {
            self.take_lowest_bucket();
        }
    }

    /// [`EventQueue::refill`]'s work, when the near heap is empty and a far bucket is not.
    fn take_lowest_bucket(&mut self) {
        let word = self
            .far_used
            .iter()
            .position(|&w| w != 0)
            .expect("far_len > 0: a bucket is used");
        let b = word * 64 + self.far_used[word].trailing_zeros() as usize;
        self.far_used[word] &= !(1 << (b % 64));
        let mut entries = std::mem::take(&mut self.far[b]);
        self.far_len -= entries.len();
        if entries.len() <= WHOLE_BUCKET {
            let below = (level(b) + 1) * DIGIT_BITS;
            let digit = (b % DIGITS) as u64;
            self.last = (self.last >> below << below)
                | digit << (below - DIGIT_BITS)
                | ((1 << (below - DIGIT_BITS)) - 1);
            for entry in entries.drain(..) {
                self.push_near(entry);
            }
        } else {
            self.last = entries.iter().map(Entry::time).min().expect("non-empty bucket");
            for entry in entries.drain(..) {
                // Every entry lands below bucket `b`'s level: `entries` is not touched.
                self.insert(entry);
            }
        }
        self.far[b] = entries;
    }

    fn push_near(&mut self, entry: Entry<E>) {
        let key = entry.key;
        self.near.push(entry);
        // Sift up.
        let mut i = self.near.len() - 1;
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if key >= self.near[parent].key {
                break;
            }
            self.near.swap(i, parent);
            i = parent;
        }
    }

    fn pop_near(&mut self) -> Option<Entry<E>> {
        if self.near.is_empty() {
            return None;
        }
        let top = self.near.swap_remove(0);
        // Sift the moved last entry down.
        let n = self.near.len();
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            let mut least = first;
            let mut least_key = self.near[first].key;
            for c in first + 1..(first + ARITY).min(n) {
                let k = self.near[c].key;
                if k < least_key {
                    least = c;
                    least_key = k;
                }
            }
            if least_key >= self.near[i].key {
                break;
            }
            self.near.swap(i, least);
            i = least;
        }
        Some(top)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.near.len() + self.far_len
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    #[test]
    fn a_bucket_taken_whole_moves_the_base_to_the_end_of_its_range_only() {
        // One unit of the second digit.
        const D: u64 = DIGITS as u64;
        let mut q = EventQueue::default();
        // From base 0: time D + 2 is in the bucket of times D … 2D − 1 (second digit 1),
        // time 2D + 5 in that of 2D … 3D − 1 (second digit 2).
        q.push(SimTime(D + 2), Class::Arrival, 0, "a");
        q.push(SimTime(2 * D + 5), Class::Arrival, 0, "b");
        // The first bucket goes to the near heap whole: the base becomes 2D − 1, not
        // D² − 1, so time 2D + 6 waits in a far bucket behind 2D + 5 instead of jumping
        // ahead of it...
        assert_eq!(q.pop(), Some((SimTime(D + 2), "a")));
        q.push(SimTime(2 * D + 6), Class::Arrival, 0, "c");
        assert_eq!(q.pop(), Some((SimTime(2 * D + 5), "b")));
        assert_eq!(q.pop(), Some((SimTime(2 * D + 6), "c")));
        // ...and it does become the end of the range: once a look ahead has moved 3D + 5
        // to the near heap, a time before it that is scheduled now (3D + 1) joins it there
        // and comes first.
        q.push(SimTime(3 * D + 5), Class::Arrival, 0, "d");
        assert_eq!(q.peek_time(), Some(SimTime(3 * D + 5)));
        q.push(SimTime(3 * D + 1), Class::Arrival, 0, "e");
        assert_eq!(q.pop(), Some((SimTime(3 * D + 1), "e")));
        assert_eq!(q.pop(), Some((SimTime(3 * D + 5), "d")));
        assert!(q.is_empty());
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

    /// Interleaved pushes, looks and pops come out in key order, like an ordered set's.
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
            // A look at the next time (which may move the queue's base past `now`) must
            // not stop anything from being scheduled at `now` or later.
            if (r >> 30) % 5 == 0 {
                assert_eq!(
                    q.peek_time(),
                    model.first().map(|e: &(u64, Class, u64, u64)| SimTime(e.0))
                );
            }
            // Times near `now` (same-instant events), a little ahead (small buckets, taken
            // whole) and far ahead (large buckets, split).
            let ahead = match (r >> 40) % 8 {
                0 | 1 => (r >> 12) % 5_000_000,
                2..=4 => (r >> 12) % 3_000,
                _ => r % 50,
            };
            if r % 3 != 0 || model.is_empty() {
                let (t, entity) = (now + ahead, (r >> 8) % 20);
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
