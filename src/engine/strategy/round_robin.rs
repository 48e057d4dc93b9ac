//! Round-robin: the next chat goes to the first eligible agent after the cursor.
//!
//! The cursor is the rotation key of the last agent picked (docs/engine.md#round-robin), not an index,
//! so agents joining or leaving the pool never shift anyone's turn; an agent skipped while
//! ineligible waits for the rotation to come round again. Picking is O(log n).

use crate::engine::state::AgentId;
use crate::engine::strategy::{AgentKey, PickContext, Strategy};
use std::collections::BTreeSet;
use std::ops::Bound;

/// Pool index ordered by rotation key.
#[derive(Debug, Default)]
pub struct RoundRobin {
    by_rotation: BTreeSet<(u64, AgentId)>,
}

impl Strategy for RoundRobin {
    fn insert(&mut self, key: AgentKey) {
        self.by_rotation.insert((key.rotation, key.agent));
    }

    fn remove(&mut self, key: AgentKey) {
        self.by_rotation.remove(&(key.rotation, key.agent));
    }

    fn update(&mut self, old: AgentKey, new: AgentKey) {
        // Only the rotation key orders the pool: a load change costs nothing.
        if (old.rotation, old.agent) != (new.rotation, new.agent) {
            self.remove(old);
            self.insert(new);
        }
    }

    fn len(&self) -> usize {
        self.by_rotation.len()
    }

    fn pick(&self, ctx: &mut PickContext<'_>) -> Option<AgentId> {
        let (after, last) = match ctx.cursor {
            Some((key, agent)) => (Bound::Excluded((key, AgentId(u32::MAX))), Some(agent)),
            None => (Bound::Unbounded, None),
        };
        let mut candidates = self
            .by_rotation
            .range((after, Bound::Unbounded))
            .chain(self.by_rotation.iter())
            .take(self.by_rotation.len())
            .map(|&(_, agent)| agent)
            .filter(|&agent| Some(agent) != ctx.exclude);
        let first = candidates.next()?;
        // The agent who had the last turn re-entered the rotation after the cursor (a
        // reconnect under online-since): they wait until the others have had theirs, unless
        // nobody else is eligible. At most three entries are looked at.
        if Some(first) == last {
            return Some(candidates.next().unwrap_or(first));
        }
        Some(first)
    }
}
