//! Full invariant check of docs/engine.md#invariants, for tests: run it after every step.
//!
//! The cheap per-decision check (a pick must be eligible) is always on, inside the
//! engine; this module recomputes everything the engine derives — loads, queues, pools,
//! timers — from scratch and compares, and checks that no queued chat has an eligible
//! agent (which implies the first-come rule of docs/engine.md#drains). It is O(chats × agents): a test tool, not
//! something to call per step in production.

use crate::engine::queue::{CHAT_TIMER_KINDS, Timer};
use crate::engine::routing::AUTO_CLOSE;
use crate::engine::state::{AgentId, ChatStatus};
use crate::engine::{Engine, Role};
use std::collections::BTreeSet;
use std::fmt;

/// A broken invariant, described for a test failure message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantViolation(pub String);

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvariantViolation {}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(InvariantViolation(format!($($fmt)+)));
        }
    };
}

/// Checks every invariant; the first one broken is returned.
pub fn check(engine: &Engine) -> Result<(), InvariantViolation> {
    let core = &engine.core;
    ensure!(
        core.counters.violations == 0,
        "{} VIOLATION outputs were emitted",
        core.counters.violations
    );

    // The rebalance index of assigned chats by last message, per inbox: every chat that
    // belongs there, once, where the chat says its entry is — at its last message, or
    // earlier (messages since; readers move it when they reach it).
    let mut expected = vec![BTreeSet::new(); engine.derived.balance.by_message.len()];
    for (id, c) in core.chats.iter_any_order() {
        let due = engine.rebalance_indexed(c);
        match (c.idx.idle, due) {
            (Some((inbox, entry)), Some((due_inbox, due))) if inbox == due_inbox && entry <= due => {
                ensure!(
                    inbox.index() < expected.len(),
                    "chat {id:?} is indexed under inbox {inbox:?}, which does not exist"
                );
                expected[inbox.index()].insert((entry, id));
            }
            (entry, due) => ensure!(
                entry == due,
                "chat {id:?}'s place in the index of idle chats {entry:?} is not {due:?}"
            ),
        }
    }
    for (i, (by_message, expected)) in engine
        .derived
        .balance
        .by_message
        .iter()
        .zip(&expected)
        .enumerate()
    {
        ensure!(
            by_message == expected,
            "inbox {i}: the index of assigned chats by last message is stale"
        );
    }

    // The rebalance indexes: donors (available agents by load) and, per inbox, the count and
    // total load of its routable agents — recomputed from scratch.
    let rebalance_on = core.config.settings.rebalance_on_online;
    let donors: BTreeSet<(std::cmp::Reverse<u32>, AgentId)> = core
        .agents
        .iter()
        .enumerate()
        .filter(|(_, a)| rebalance_on && !a.removed && a.presence == crate::engine::Presence::Available)
        .map(|(i, a)| (std::cmp::Reverse(engine.load_of(a)), AgentId(i as u32)))
        .collect();
    ensure!(
        engine.derived.balance.donors == donors,
        "the rebalance donor index is stale"
    );
    for (inbox, &(count, total)) in engine.derived.balance.means.iter().enumerate() {
        let members: Vec<&crate::engine::Agent> = core
            .agents
            .iter()
            .enumerate()
            .filter(|(i, a)| {
                rebalance_on
                    && Engine::routable(a)
                    && engine.derived.agent_inboxes[*i]
                        .iter()
                        .any(|b| b.index() == inbox)
            })
            .map(|(_, a)| a)
            .collect();
        let want_total: u64 = members.iter().map(|a| u64::from(engine.load_of(a))).sum();
        ensure!(
            (count, total) == (members.len() as u64, want_total),
            "inbox {inbox}: rebalance mean over ({count}, {total}), agents say ({}, {want_total})",
            members.len()
        );
    }

    // Ownership: every open chat is in exactly one status with a consistent owner.
    let mut assigned_of = vec![BTreeSet::new(); core.agents.len()];
    let mut taken_of = vec![BTreeSet::new(); core.agents.len()];
    let mut n_queued = 0;
    for (id, chat) in core.chats.iter() {
        match chat.status {
            ChatStatus::AwaitingMenu => {
                ensure!(
                    chat.owner.is_none() && chat.needs_human_at.is_none(),
                    "chat {id:?} awaiting menu has an owner or needs_human_at"
                );
                ensure!(
                    chat.menu_deadline.is_some(),
                    "chat {id:?} awaits the menu without a deadline"
                );
            }
            ChatStatus::Queued => {
                n_queued += 1;
                ensure!(
                    chat.owner.is_none() && chat.needs_human_at.is_some(),
                    "queued chat {id:?} has an owner or no needs_human_at"
                );
            }
            ChatStatus::Assigned => {
                let owner = chat
                    .owner
                    .ok_or_else(|| InvariantViolation(format!("assigned chat {id:?} has no owner")))?;
                assigned_of[owner.index()].insert((chat.assign_seq, id));
            }
            ChatStatus::TakenOver => {
                let owner = chat
                    .owner
                    .ok_or_else(|| InvariantViolation(format!("taken-over chat {id:?} has no owner")))?;
                ensure!(
                    core.agents[owner.index()].role == Role::Admin,
                    "chat {id:?} taken over by non-admin {owner:?}"
                );
                taken_of[owner.index()].insert(id);
            }
        }
        ensure!(
            chat.status == ChatStatus::Queued || !chat.target_waiting,
            "chat {id:?} waits for a target outside the queue"
        );
    }
    for (i, agent) in core.agents.iter().enumerate() {
        ensure!(
            agent.assigned.iter().eq(&assigned_of[i]),
            "agent {i} holds {:?} but chats say {:?}",
            agent.assigned,
            assigned_of[i]
        );
        ensure!(
            agent.taken_over == taken_of[i],
            "admin {i} holds {:?} but chats say {:?}",
            agent.taken_over,
            taken_of[i]
        );
        let n_auto = agent.assigned.iter().filter(|(_, c)| core.chats[c].auto).count() as u32;
        ensure!(
            agent.n_auto == n_auto,
            "agent {i} counts {} auto chats, chats say {n_auto}",
            agent.n_auto
        );
        ensure!(
            agent.last_assigned <= core.assign_seq,
            "agent {i} last assignment is in the future"
        );
    }

    // Queues: exactly the queued chats, each where it belongs.
    ensure!(
        engine.derived.queues.len() == n_queued,
        "queues hold {} chats, {n_queued} are queued",
        engine.derived.queues.len()
    );
    for (id, chat) in core.chats.iter() {
        ensure!(
            chat.idx.slot == engine.desired_slot(id, chat),
            "chat {id:?} is indexed at {:?}",
            chat.idx.slot
        );
    }

    // Pools: each agent indexed with its current key, each pool of the right size.
    for (i, agent) in core.agents.iter().enumerate() {
        let id = AgentId(i as u32);
        let want = engine.base_eligible(agent).then(|| engine.agent_key(id));
        ensure!(
            agent.idx.key == want,
            "agent {i} is indexed with {:?}, expected {want:?}",
            agent.idx.key
        );
    }
    for (inbox, pools) in engine.derived.pools.iter().enumerate() {
        for (slot, pool) in pools.iter().enumerate() {
            let Some(pool) = pool else { continue };
            let want = core
                .agents
                .iter()
                .enumerate()
                .filter(|(i, a)| {
                    engine.base_eligible(a)
                        && engine.derived.agent_inboxes[*i]
                            .iter()
                            .any(|b| b.index() == inbox)
                        && (slot == 0 || a.groups.iter().any(|g| g.index() + 1 == slot))
                })
                .count();
            ensure!(
                pool.len() == want,
                "pool ({inbox}, {slot}) holds {} agents, {want} are eligible",
                pool.len()
            );
        }
    }

    // Timers: exactly the deadlines the state asks for — except that a chat's auto-close
    // entry may be earlier than its deadline (messages since; the engine moves it when it
    // reaches the front), though never the first timer.
    let mut want = BTreeSet::new();
    for (i, agent) in core.agents.iter().enumerate() {
        if let Some(t) = agent.grace_deadline {
            want.insert((t, Timer::OfflineGrace(AgentId(i as u32))));
        }
        if let Some(t) = agent.rebalance_at {
            want.insert((t, Timer::Rebalance(AgentId(i as u32))));
        }
    }
    for (id, chat) in core.chats.iter() {
        let mut timers = engine.desired_timers(chat);
        let entry = chat.idx.timers[AUTO_CLOSE];
        match (entry, timers[AUTO_CLOSE]) {
            (Some(entry), Some(due)) if entry < due => timers[AUTO_CLOSE] = Some(entry),
            (entry, due) => ensure!(
                entry == due,
                "chat {id:?}'s auto-close entry {entry:?} is not its deadline {due:?}"
            ),
        }
        for (kind, t) in timers.iter().enumerate().take(CHAT_TIMER_KINDS) {
            if let Some(t) = t {
                want.insert((*t, Timer::for_chat(kind, id)));
            }
        }
    }
    ensure!(
        *engine.derived.timers.set() == want,
        "timers {:?} differ from the state's {want:?}",
        engine.derived.timers.set()
    );
    ensure!(
        engine.derived.timers.first_is_current(),
        "the earliest timer kept at hand, {:?}, is not the first of {:?}",
        engine.derived.timers.first(),
        engine.derived.timers.set()
    );
    if let Some(&(entry, Timer::AutoClose(id))) = engine.derived.timers.first() {
        let due = engine.desired_timers(&core.chats[&id])[AUTO_CLOSE];
        ensure!(
            due == Some(entry),
            "the first timer, chat {id:?}'s auto-close at {entry}, is not its deadline {due:?}"
        );
    }

    // No queued chat has an eligible agent: every drain ran to completion, so no agent was
    // ever given a newer chat while an older one they could take stayed queued.
    for (id, chat) in core.chats.iter() {
        if chat.status != ChatStatus::Queued {
            continue;
        }
        for i in 0..core.agents.len() {
            let agent = AgentId(i as u32);
            ensure!(
                !engine.eligible(agent, chat),
                "queued chat {id:?} has eligible agent {agent:?}"
            );
        }
    }
    Ok(())
}
