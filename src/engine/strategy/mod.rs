//! Routing strategies: the one place that decides *which* eligible agent gets a chat.
//!
//! A strategy keeps an index over one *pool* — the agents currently eligible for one
//! (inbox, routing group) — and picks from it. The engine owns eligibility: it inserts an
//! agent when they become eligible, removes them when they stop, and re-inserts them when
//! their [`AgentKey`] changes (load, last assignment, rotation key). So a strategy never
//! scans the roster, and a new strategy is one new file implementing [`Strategy`] plus a
//! [`StrategyKind`] variant.
//!
//! Strategy indexes are derived state: they are not serialized and are rebuilt from the
//! agents after a restore. What must survive (round-robin cursors, the random generator)
//! lives in the engine's core state and is handed in through [`PickContext`].

mod least_busy;
mod random;
mod round_robin;

pub use least_busy::LeastBusy;
pub use random::Random;
pub use round_robin::RoundRobin;

use crate::engine::state::AgentId;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The strategies an inbox may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    /// Rotation A → B → C → A (docs/engine.md#round-robin).
    RoundRobin,
    /// Fewest chats, then oldest last assignment, then roster order.
    LeastBusy,
    /// Uniform among eligible agents.
    Random,
    /// Nothing is auto-assigned (docs/engine.md#strategies).
    Manual,
}

impl StrategyKind {
    /// Every kind, in documentation order.
    pub const ALL: [Self; 4] = [Self::RoundRobin, Self::LeastBusy, Self::Random, Self::Manual];

    /// The kebab-case name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::RoundRobin => "round-robin",
            Self::LeastBusy => "least-busy",
            Self::Random => "random",
            Self::Manual => "manual",
        }
    }

    /// Whether the strategy routes chats automatically.
    pub fn is_auto(self) -> bool {
        self != Self::Manual
    }

    /// A fresh, empty index for one pool; `None` for `manual`, which has no pools.
    pub(crate) fn new_index(self) -> Option<Box<dyn Strategy>> {
        match self {
            Self::RoundRobin => Some(Box::<RoundRobin>::default()),
            Self::LeastBusy => Some(Box::<LeastBusy>::default()),
            Self::Random => Some(Box::<Random>::default()),
            Self::Manual => None,
        }
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a strategy may know about an eligible agent. Any field may change while the agent
/// is in a pool; the engine then removes the old key and inserts the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AgentKey {
    /// The agent.
    pub agent: AgentId,
    /// Open chats held (every chat in status `assigned`, however it came — least-busy's
    /// measure, whatever `capacity_counts` says; docs/engine.md#least-busy).
    pub open: u32,
    /// Global sequence number of the agent's last assignment of any kind (0 = never).
    pub last_assigned: u64,
    /// Position in the rotation (unique per agent; larger = later).
    pub rotation: u64,
}

/// What a pick may use besides the pool.
pub struct PickContext<'a> {
    /// (rotation key, agent) of the last round-robin turn in this pool, if any.
    pub cursor: Option<(u64, AgentId)>,
    /// An agent that must not be picked (the agent who unassigned the chat, excluded until
    /// its next assignment).
    pub exclude: Option<AgentId>,
    /// The engine's seeded generator.
    pub rng: &'a mut Pcg64Mcg,
}

/// An index over one pool of eligible agents.
pub trait Strategy: fmt::Debug + Send + Sync {
    /// Adds an agent who became eligible (or whose key changed).
    fn insert(&mut self, key: AgentKey);
    /// Removes an agent, given the key they were inserted with.
    fn remove(&mut self, key: AgentKey);
    /// Replaces an agent's key; strategies whose order ignores some fields may do less.
    fn update(&mut self, old: AgentKey, new: AgentKey) {
        self.remove(old);
        self.insert(new);
    }
    /// Number of agents in the pool.
    fn len(&self) -> usize;
    /// Whether the pool is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Chooses an agent, or `None` if every agent is excluded. Must not change the pool.
    fn pick(&self, ctx: &mut PickContext<'_>) -> Option<AgentId>;
}

/// A uniform draw from `0..n` (n > 0) by Lemire's multiply-and-reject method on 64-bit
/// outputs: unbiased, and pinned here so a seed means the same pick on every platform and
/// every version of `rand`.
pub(crate) fn uniform_below(rng: &mut Pcg64Mcg, n: u64) -> u64 {
    use rand_core::Rng;
    debug_assert!(n > 0);
    let threshold = n.wrapping_neg() % n;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(n);
        // The low half decides rejection; the high half is the draw.
        if (product as u64) >= threshold {
            return (product >> 64) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn uniform_below_is_roughly_uniform_and_in_range() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[uniform_below(&mut rng, 3) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
        assert_eq!(uniform_below(&mut rng, 1), 0);
    }
}
