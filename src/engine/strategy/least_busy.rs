//! Least-busy: fewest open chats, then the oldest last assignment, then roster order.
//!
//! The tie-break uses the engine's global assignment sequence number (the agent whose last
//! chat is oldest; never assigned counts as oldest — docs/engine.md#least-busy), so several chats
//! drained at the same instant still spread. Picking is O(log n) from an ordered set.

use crate::engine::state::AgentId;
use crate::engine::strategy::{AgentKey, PickContext, Strategy};
use std::collections::BTreeSet;

/// Pool index ordered by (open chats, last assignment, roster).
#[derive(Debug, Default)]
pub struct LeastBusy {
    /// (open chats, last assignment, roster) packed into one integer whose order is the
    /// tuple's: one comparison per step of a search instead of three.
    by_load: BTreeSet<u128>,
}

/// The pool order of `key`, packed: open chats in the top 32 bits, the last assignment in
/// the next 64, the agent in the low 32.
fn packed(key: AgentKey) -> u128 {
    (u128::from(key.open) << 96) | (u128::from(key.last_assigned) << 32) | u128::from(key.agent.0)
}

impl Strategy for LeastBusy {
    fn insert(&mut self, key: AgentKey) {
        self.by_load.insert(packed(key));
    }

    fn remove(&mut self, key: AgentKey) {
        self.by_load.remove(&packed(key));
    }

    fn update(&mut self, old: AgentKey, new: AgentKey) {
        // The rotation key plays no part here: a change of it alone costs nothing.
        let (old, new) = (packed(old), packed(new));
        if old != new {
            self.by_load.remove(&old);
            self.by_load.insert(new);
        }
    }

    fn len(&self) -> usize {
        self.by_load.len()
    }

    fn pick(&self, ctx: &mut PickContext<'_>) -> Option<AgentId> {
        self.by_load
            .iter()
            .map(|&k| AgentId(k as u32))
            .find(|&agent| Some(agent) != ctx.exclude)
    }
}
