//! Workload generators: who arrives when, how long their chats take, how patient they are,
//! and when agents are on shift (docs/workload.md).
//!
//! Everything here is a pure function of a configuration and a random stream. Streams are
//! keyed by (master seed, replication, purpose, entity id) through [`stream`] — never by
//! the cell being compared — so every cell of a comparison sees the same customers and the
//! same agent behaviour (common random numbers), and adding an agent or changing one
//! distribution leaves every other stream untouched. Nothing here knows about the engine.

pub mod arrivals;
pub mod calendar;
pub mod dist;
pub mod draw;
pub mod presence;
pub mod trace;

use rand_core::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// The random generator every stream uses: PCG-64 MCG, portable and documented.
pub type Rng = Pcg64Mcg;

/// What a stream is for; part of its key, so streams for different purposes never overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u64)]
pub enum Purpose {
    /// Base arrival times (entity 0).
    Arrivals = 1,
    /// Extra arrivals added by a volume multiplier above 1 (entity 0).
    ExtraArrivals = 2,
    /// A chat's attributes: thinning draw, inbox, group (entity = chat).
    ChatAttributes = 3,
    /// A chat's work (handle time) (entity = chat).
    Work = 4,
    /// A chat's patience in the queue (entity = chat).
    Patience = 5,
    /// The engine's own generator (entity 0).
    Engine = 6,
    /// An agent's break offsets (entity = agent's stable id hash).
    Presence = 7,
    /// A chat's bot phase: resolved or not, duration, group, target (entity = chat).
    Bot = 8,
    /// A chat's menu choice: picks or not, delay, group (entity = chat).
    Menu = 9,
    /// A chat's customer messages: the gaps in order (entity = chat).
    Messages = 10,
    /// A chat's silent abandonment: leaves or not, when (entity = chat).
    Silent = 11,
    /// A chat's first response delay and notice delay (entity = chat).
    Reply = 12,
    /// A chat's admin takeover: whether, when, which admin (entity = chat).
    Takeover = 13,
    /// An agent's random away episodes (entity = agent's stable id hash).
    Away = 14,
    /// An agent's random disconnects (entity = agent's stable id hash).
    Flaps = 15,
    /// An agent's claim delays in manual mode (entity = agent's stable id hash).
    Claims = 16,
    /// Copies of trace rows added by a volume multiplier above 1 (entity = row).
    TraceCopies = 17,
}

/// SplitMix64's finalizer: a bijective mix of 64 bits (Steele, Lea & Flood 2014).
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of the stream for (`master`, `replication`, `purpose`, `entity`).
pub fn stream_seed(master: u64, replication: u64, purpose: Purpose, entity: u64) -> u64 {
    entity_seed(purpose_key(master, replication, purpose as u64), entity)
}

/// The part of a stream's key that does not depend on the entity: computed once per
/// (replication, purpose) by code that seeds a stream per chat.
pub fn purpose_key(master: u64, replication: u64, purpose: u64) -> u64 {
    let h = splitmix64(master);
    let h = splitmix64(h ^ replication);
    splitmix64(h ^ purpose)
}

/// The seed of `entity`'s stream under a [`purpose_key`].
pub fn entity_seed(key: u64, entity: u64) -> u64 {
    splitmix64(key ^ entity)
}

/// A fresh generator for one keyed stream.
pub fn stream(master: u64, replication: u64, purpose: Purpose, entity: u64) -> Rng {
    Rng::seed_from_u64(stream_seed(master, replication, purpose, entity))
}

/// A stable 64-bit id for a name (FNV-1a), so an agent's stream follows its name, not its
/// roster position.
pub fn name_id(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A uniform draw in [0, 1) with 53 bits of precision.
pub fn unit(rng: &mut Rng) -> f64 {
    use rand_core::Rng as _;
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_every_key_part_and_repeat_exactly() {
        let base = stream_seed(1, 2, Purpose::Work, 3);
        assert_eq!(base, stream_seed(1, 2, Purpose::Work, 3));
        for other in [
            stream_seed(9, 2, Purpose::Work, 3),
            stream_seed(1, 9, Purpose::Work, 3),
            stream_seed(1, 2, Purpose::Patience, 3),
            stream_seed(1, 2, Purpose::Work, 9),
        ] {
            assert_ne!(base, other);
        }
        assert_ne!(name_id("ann"), name_id("bob"));
        let mut r = stream(1, 0, Purpose::Arrivals, 0);
        let u = unit(&mut r);
        assert!((0.0..1.0).contains(&u));
    }
}
