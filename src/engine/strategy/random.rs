//! Random: uniform among the eligible agents, drawn from the engine's seeded generator.
//!
//! The pool is kept sorted by agent id so that a draw depends only on *which* agents are
//! eligible, never on the order they became so; one draw per pick. Picking is O(log n) for
//! the draw position plus O(n) for the sorted-vector update on insert/remove, which is
//! a memmove of a few kilobytes even at 10 000 agents.

use crate::engine::state::AgentId;
use crate::engine::strategy::{AgentKey, PickContext, Strategy, uniform_below};

/// Pool index: agents sorted by id.
#[derive(Debug, Default)]
pub struct Random {
    agents: Vec<AgentId>,
}

impl Strategy for Random {
    fn insert(&mut self, key: AgentKey) {
        if let Err(pos) = self.agents.binary_search(&key.agent) {
            self.agents.insert(pos, key.agent);
        }
    }

    fn remove(&mut self, key: AgentKey) {
        if let Ok(pos) = self.agents.binary_search(&key.agent) {
            self.agents.remove(pos);
        }
    }

    fn update(&mut self, old: AgentKey, new: AgentKey) {
        // Only membership matters here, so a load change costs nothing.
        if old.agent != new.agent {
            self.remove(old);
            self.insert(new);
        }
    }

    fn len(&self) -> usize {
        self.agents.len()
    }

    fn pick(&self, ctx: &mut PickContext<'_>) -> Option<AgentId> {
        let skip = ctx.exclude.and_then(|a| self.agents.binary_search(&a).ok());
        let n = self.agents.len() - usize::from(skip.is_some());
        if n == 0 {
            return None;
        }
        let mut idx = uniform_below(ctx.rng, n as u64) as usize;
        if skip.is_some_and(|s| idx >= s) {
            idx += 1;
        }
        Some(self.agents[idx])
    }
}
