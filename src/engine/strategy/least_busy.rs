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
    by_load: BTreeSet<(u32, u64, AgentId)>,
}

impl Strategy for LeastBusy {
    fn insert(&mut self, key: AgentKey) {
        self.by_load.insert((key.open, key.last_assigned, key.agent));
    }

    fn remove(&mut self, key: AgentKey) {
        self.by_load.remove(&(key.open, key.last_assigned, key.agent));
    }

    fn len(&self) -> usize {
        self.by_load.len()
    }

    fn pick(&self, ctx: &mut PickContext<'_>) -> Option<AgentId> {
        self.by_load
            .iter()
            .map(|&(_, _, agent)| agent)
            .find(|&agent| Some(agent) != ctx.exclude)
    }
}
