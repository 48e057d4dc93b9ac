//! Random: uniform among the eligible agents, drawn from the engine's seeded generator.
//!
//! The pool is a Fenwick tree of present/absent bits over agent ids, so the k-th eligible
//! agent in id order is found in O(log n) and insert/remove cost O(log n) too. A draw
//! therefore depends only on *which* agents are eligible, never on the order they became
//! so; one draw per pick.

use crate::engine::state::AgentId;
use crate::engine::strategy::{AgentKey, PickContext, Strategy, uniform_below};

/// Pool index: a Fenwick tree over agent ids.
#[derive(Debug, Default)]
pub struct Random {
    present: Vec<bool>,
    /// 1-based Fenwick tree; `tree.len() == present.len() + 1`, a power of two plus one.
    tree: Vec<u32>,
    len: usize,
}

impl Random {
    fn grow(&mut self, min_len: usize) {
        let cap = min_len.next_power_of_two();
        self.present.resize(cap, false);
        self.tree = vec![0; cap + 1];
        for i in 1..=cap {
            self.tree[i] += u32::from(self.present[i - 1]);
            let parent = i + (i & i.wrapping_neg());
            if parent <= cap {
                self.tree[parent] += self.tree[i];
            }
        }
    }

    fn add(&mut self, idx: usize, up: bool) {
        let mut j = idx + 1;
        while j < self.tree.len() {
            if up {
                self.tree[j] += 1;
            } else {
                self.tree[j] -= 1;
            }
            j += j & j.wrapping_neg();
        }
    }

    /// Number of present agents with an id below `idx`.
    fn rank(&self, idx: usize) -> usize {
        let mut sum = 0;
        let mut j = idx;
        while j > 0 {
            sum += self.tree[j] as usize;
            j -= j & j.wrapping_neg();
        }
        sum
    }

    /// The id of the `k`-th present agent (0-based), for `k < len`.
    fn select(&self, mut k: usize) -> usize {
        let cap = self.present.len();
        let mut pos = 0;
        let mut step = cap.next_power_of_two();
        while step > 0 {
            if pos + step <= cap && (self.tree[pos + step] as usize) <= k {
                pos += step;
                k -= self.tree[pos] as usize;
            }
            step >>= 1;
        }
        pos
    }
}

impl Strategy for Random {
    fn insert(&mut self, key: AgentKey) {
        let idx = key.agent.index();
        if idx >= self.present.len() {
            self.grow(idx + 1);
        }
        if !self.present[idx] {
            self.present[idx] = true;
            self.add(idx, true);
            self.len += 1;
        }
    }

    fn remove(&mut self, key: AgentKey) {
        let idx = key.agent.index();
        if self.present.get(idx).copied().unwrap_or(false) {
            self.present[idx] = false;
            self.add(idx, false);
            self.len -= 1;
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
        self.len
    }

    fn pick(&self, ctx: &mut PickContext<'_>) -> Option<AgentId> {
        let skip = ctx
            .exclude
            .map(AgentId::index)
            .filter(|&i| self.present.get(i).copied().unwrap_or(false))
            .map(|i| self.rank(i));
        let n = self.len - usize::from(skip.is_some());
        if n == 0 {
            return None;
        }
        let mut k = uniform_below(ctx.rng, n as u64) as usize;
        if skip.is_some_and(|s| k >= s) {
            k += 1;
        }
        Some(AgentId(self.select(k) as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    fn key(agent: u32) -> AgentKey {
        AgentKey {
            agent: AgentId(agent),
            open: 0,
            last_assigned: 0,
            rotation: 0,
        }
    }

    #[test]
    fn selects_the_kth_present_agent_and_honours_exclusion() {
        let mut pool = Random::default();
        for a in [9, 2, 5, 17, 3] {
            pool.insert(key(a));
        }
        pool.remove(key(5));
        pool.remove(key(40)); // absent: no effect
        assert_eq!(pool.len(), 4);
        let ids: Vec<usize> = (0..4).map(|k| pool.select(k)).collect();
        assert_eq!(ids, vec![2, 3, 9, 17]);
        assert_eq!(pool.rank(9), 2);
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let mut seen = [0u32; 18];
        for _ in 0..4_000 {
            let mut ctx = PickContext {
                cursor: None,
                exclude: Some(AgentId(3)),
                rng: &mut rng,
            };
            seen[pool.pick(&mut ctx).unwrap().index()] += 1;
        }
        assert_eq!(seen[3], 0);
        for a in [2, 9, 17] {
            assert!((1_150..1_520).contains(&seen[a]), "{seen:?}");
        }
    }

    /// Every present agent is found by its rank, in id order, for pools of many sizes and
    /// sparse ids (a Fenwick walk that is off by one step only shows past small ids).
    #[test]
    fn select_and_rank_agree_with_a_sorted_list() {
        for n in [1usize, 2, 3, 15, 16, 17, 40, 100, 1_000] {
            let mut pool = Random::default();
            let ids: Vec<u32> = (0..n as u32).map(|i| i * 3 + (i % 2)).collect();
            for &a in ids.iter().rev() {
                pool.insert(key(a));
            }
            for (k, &a) in ids.iter().enumerate() {
                assert_eq!(pool.select(k), a as usize, "n = {n}, k = {k}");
                assert_eq!(pool.rank(a as usize), k, "n = {n}, id = {a}");
            }
        }
    }
}
