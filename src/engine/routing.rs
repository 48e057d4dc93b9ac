//! Routing: eligibility, picks, assignment, queueing and drains (docs/engine.md, eligibility to queue).
//!
//! Every change to an agent or a chat is followed by [`Engine::reindex_agent`] or
//! [`Engine::sync_chat`], which compare what the derived indexes hold with what the core
//! state says they should hold and fix the difference. That one mutate-then-sync rule keeps
//! pools, queues and timers correct without each action knowing about every index.

use crate::engine::queue::{CHAT_TIMER_KINDS, Place, QueueKey, Queues, Slot, Timer};
use crate::engine::state::{Agent, AgentId, Chat, ChatId, ChatStatus, GroupId, InboxId};
use crate::engine::strategy::{AgentKey, PickContext, Strategy};
use crate::engine::{
    AssignReason, Capacity, CapacityCounts, Engine, Event, NotifyAssignment, Presence, Recipient, Recipients,
    Role, RotationOrder, ViolationRule,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Where a drain takes its next chat from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// A queue's open chats, taken by its pool.
    Pool(QueueKey),
    /// Chats waiting for this agent alone.
    Target(AgentId),
}

fn pool_slot(group: Option<GroupId>) -> usize {
    group.map_or(0, |g| g.index() + 1)
}

impl Engine {
    pub(crate) fn load_of(&self, agent: &Agent) -> u32 {
        match self.core.config.settings.capacity_counts {
            CapacityCounts::All => agent.n_assigned(),
            CapacityCounts::Auto => agent.n_auto,
        }
    }

    pub(crate) fn capacity_of(&self, agent: &Agent) -> Capacity {
        if agent.role == Role::Admin {
            return Capacity::Unlimited;
        }
        agent
            .capacity
            .unwrap_or(self.core.config.settings.max_chats_per_agent)
    }

    /// Whether the inbox routes automatically right now.
    pub(crate) fn inbox_is_auto(&self, inbox: InboxId) -> bool {
        self.core.config.settings.enabled && self.core.config.inboxes[inbox.index()].strategy.is_auto()
    }

    /// The routing group of a chat: its group while group routing applies to it.
    pub(crate) fn routing_group(&self, chat: &Chat) -> Option<GroupId> {
        if self.core.config.settings.group_routing && !chat.overflowed {
            chat.group
        } else {
            None
        }
    }

    fn in_inbox(&self, agent: AgentId, inbox: InboxId) -> bool {
        self.derived.agent_inboxes[agent.index()]
            .binary_search(&inbox)
            .is_ok()
    }

    /// Eligibility apart from the chat: role, `auto_assign`, presence and a free slot.
    pub(crate) fn base_eligible(&self, agent: &Agent) -> bool {
        agent.role == Role::Agent
            && agent.auto_assign
            && agent.presence == Presence::Available
            && self.capacity_of(agent).admits(self.load_of(agent))
    }

    /// docs/engine.md#eligibility, checked directly against core state (not through any index), so it
    /// can catch an index that disagrees with the data.
    pub(crate) fn eligible(&self, agent_id: AgentId, chat: &Chat) -> bool {
        let Some(agent) = self.core.agents.get(agent_id.index()) else {
            return false;
        };
        self.inbox_is_auto(chat.inbox)
            && self.base_eligible(agent)
            && self.in_inbox(agent_id, chat.inbox)
            && self.routing_group(chat).is_none_or(|g| agent.in_group(g))
            && chat.excluded != Some(agent_id)
            && (!chat.target_waiting || chat.target == Some(agent_id))
    }

    pub(crate) fn agent_key(&self, id: AgentId) -> AgentKey {
        let agent = &self.core.agents[id.index()];
        AgentKey {
            agent: id,
            load: self.load_of(agent),
            last_assigned: agent.last_assigned,
            rotation: match self.core.config.settings.rotation_order {
                RotationOrder::OnlineSince => agent.online_key,
                RotationOrder::Roster => u64::from(id.0),
            },
        }
    }

    /// Brings the pools, the rebalance index and the grace timer in line with the agent.
    pub(crate) fn reindex_agent(&mut self, id: AgentId) {
        let agent = &self.core.agents[id.index()];
        let new_key = self.base_eligible(agent).then(|| self.agent_key(id));
        // The rebalance index is only kept while rebalancing is on (a change rebuilds it).
        let new_avail = (self.core.config.settings.rebalance_on_online
            && agent.role == Role::Agent
            && agent.auto_assign
            && agent.presence == Presence::Available)
            .then(|| self.load_of(agent));
        let new_grace = agent.grace_deadline;
        let old = agent.idx.clone();
        if old.key != new_key {
            let group_routing = self.core.config.settings.group_routing;
            let groups = &self.core.agents[id.index()].groups;
            for &inbox in &self.derived.agent_inboxes[id.index()] {
                let pools = &mut self.derived.pools[inbox.index()];
                let update = |pool: &mut Option<Box<dyn Strategy>>| {
                    let Some(pool) = pool else { return };
                    match (old.key, new_key) {
                        (Some(o), Some(n)) => pool.update(o, n),
                        (Some(o), None) => pool.remove(o),
                        (None, Some(n)) => pool.insert(n),
                        (None, None) => {}
                    }
                };
                update(&mut pools[0]);
                if group_routing {
                    for g in groups {
                        update(&mut pools[pool_slot(Some(*g))]);
                    }
                }
            }
        }
        if old.avail_load != new_avail {
            for &inbox in &self.derived.agent_inboxes[id.index()] {
                let avail = &mut self.derived.avail[inbox.index()];
                if let Some(load) = old.avail_load {
                    avail.by_load.remove(&(Reverse(load), id));
                    avail.total_load -= u64::from(load);
                }
                if let Some(load) = new_avail {
                    avail.by_load.insert((Reverse(load), id));
                    avail.total_load += u64::from(load);
                }
            }
        }
        if old.grace != new_grace {
            if let Some(t) = old.grace {
                self.derived.timers.remove(&(t, Timer::OfflineGrace(id)));
            }
            if let Some(t) = new_grace {
                self.derived.timers.insert((t, Timer::OfflineGrace(id)));
            }
        }
        let idx = &mut self.core.agents[id.index()].idx;
        idx.key = new_key;
        idx.avail_load = new_avail;
        idx.grace = new_grace;
    }

    /// Where a queued chat belongs.
    pub(crate) fn desired_slot(&self, id: ChatId, chat: &Chat) -> Option<(Slot, Place)> {
        let nha = chat.needs_human_at?;
        (chat.status == ChatStatus::Queued).then(|| {
            let key = (chat.inbox, self.routing_group(chat));
            let target = if chat.target_waiting { chat.target } else { None };
            (Slot { key, target }, (nha, id))
        })
    }

    /// The deadlines a chat should have scheduled: menu, target, overflow, auto-close.
    pub(crate) fn desired_timers(&self, chat: &Chat) -> [Option<crate::engine::SimTime>; CHAT_TIMER_KINDS] {
        let settings = &self.core.config.settings;
        let queued = chat.status == ChatStatus::Queued;
        let nha = chat.needs_human_at;
        let menu = if chat.status == ChatStatus::AwaitingMenu {
            chat.menu_deadline
        } else {
            None
        };
        let target = nha
            .filter(|_| queued && chat.target_waiting)
            .map(|t| t + settings.target_fallback_after);
        let overflow = match (nha, settings.group_overflow_after) {
            (Some(t), Some(d))
                if queued && settings.group_routing && chat.group.is_some() && !chat.overflowed =>
            {
                Some(t + d)
            }
            _ => None,
        };
        let auto_close = settings
            .auto_close_after
            .filter(|_| chat.status != ChatStatus::AwaitingMenu)
            .map(|d| chat.last_message_at + d);
        [menu, target, overflow, auto_close]
    }

    /// Brings the queues and timers in line with the chat (or removes it if it is gone).
    pub(crate) fn sync_chat(&mut self, id: ChatId) {
        let (old, new_slot, new_timers, new_idle) = match self.core.chats.get(&id) {
            Some(chat) => (
                chat.idx.clone(),
                self.desired_slot(id, chat),
                self.desired_timers(chat),
                self.rebalance_indexed(chat),
            ),
            None => return,
        };
        if old.idle != new_idle {
            if let Some((inbox, t)) = old.idle {
                self.derived.avail[inbox.index()].by_message.remove(&(t, id));
            }
            if let Some((inbox, t)) = new_idle {
                self.derived.avail[inbox.index()].by_message.insert((t, id));
            }
        }
        if old.slot != new_slot {
            if let Some((slot, place)) = old.slot {
                self.derived.queues.remove(slot, place);
            }
            if let Some((slot, place)) = new_slot {
                self.derived.queues.insert(slot, place);
            }
        }
        for (kind, (old_t, new_t)) in old.timers.iter().zip(&new_timers).enumerate() {
            if old_t != new_t {
                if let Some(t) = *old_t {
                    self.derived.timers.remove(&(t, Timer::for_chat(kind, id)));
                }
                if let Some(t) = *new_t {
                    self.derived.timers.insert((t, Timer::for_chat(kind, id)));
                }
            }
        }
        if let Some(chat) = self.core.chats.get_mut(&id) {
            chat.idx.slot = new_slot;
            chat.idx.timers = new_timers;
            chat.idx.idle = new_idle;
        }
    }

    /// The chat's key in the rebalance index of idle chats: kept only while rebalancing is
    /// on (a configuration change rebuilds every index), for assigned chats.
    pub(crate) fn rebalance_indexed(&self, chat: &Chat) -> Option<(InboxId, crate::engine::SimTime)> {
        let settings = &self.core.config.settings;
        (settings.rebalance_on_online && chat.status == ChatStatus::Assigned)
            .then_some((chat.inbox, chat.last_message_at))
    }

    /// Removes a chat from every index before it leaves the engine.
    pub(crate) fn unindex_chat(&mut self, id: ChatId) {
        let Some(chat) = self.core.chats.get_mut(&id) else {
            return;
        };
        let idx = std::mem::take(&mut chat.idx);
        if let Some((slot, place)) = idx.slot {
            self.derived.queues.remove(slot, place);
        }
        if let Some((inbox, t)) = idx.idle {
            self.derived.avail[inbox.index()].by_message.remove(&(t, id));
        }
        for (kind, deadline) in idx.timers.iter().enumerate() {
            if let Some(t) = deadline {
                self.derived.timers.remove(&(*t, Timer::for_chat(kind, id)));
            }
        }
    }

    /// Recomputes the time-dependent flags of a chat about to be (re)queued or reconfigured.
    pub(crate) fn refresh_flags(&mut self, id: ChatId) {
        let now = self.core.now;
        let settings = &self.core.config.settings;
        let Some(chat) = self.core.chats.get(&id) else {
            return;
        };
        let Some(nha) = chat.needs_human_at else { return };
        let overflowed = chat.overflowed || settings.group_overflow_after.is_some_and(|d| now >= nha + d);
        // The target phase happens once: before the chat's first assignment.
        let target_waiting = chat.status == ChatStatus::Queued
            && chat.assign_seq == 0
            && chat.target.is_some()
            && self.inbox_is_auto(chat.inbox)
            && now < nha + settings.target_fallback_after;
        let chat = self.core.chats.get_mut(&id).expect("checked above");
        chat.overflowed = overflowed;
        chat.target_waiting = target_waiting;
    }

    /// Routes a chat that has just become routable (or lost its agent): to its target, to
    /// the strategy's pick, or to the queue.
    pub(crate) fn route(&mut self, id: ChatId, reason: AssignReason) -> Option<AgentId> {
        let chat = self.core.chats.get_mut(&id)?;
        chat.status = ChatStatus::Queued;
        chat.owner = None;
        self.refresh_flags(id);
        let chat = &self.core.chats[&id];
        if self.inbox_is_auto(chat.inbox) {
            // Before its first assignment, the target gets the chat if eligible while its
            // window is open — also at the very instant it opens, so
            // `target_fallback_after = 0` still prefers an eligible target, never waiting.
            let window_open = chat.assign_seq == 0
                && chat
                    .needs_human_at
                    .is_some_and(|t| self.core.now <= t + self.core.config.settings.target_fallback_after);
            let target = chat.target.filter(|&t| window_open && self.eligible(t, chat));
            let picked = match target {
                Some(t) => Some((t, AssignReason::Target)),
                None if chat.target_waiting => None,
                None => self.pick(id).map(|a| (a, reason)),
            };
            if let Some((agent, reason)) = picked {
                self.assign(id, agent, reason);
                return Some(agent);
            }
        }
        self.enqueue(id);
        None
    }

    /// Asks the chat's pool for an agent and checks the pick (docs/engine.md#eligibility): a pick that
    /// fails the check is refused and reported as a VIOLATION, never applied.
    pub(crate) fn pick(&mut self, id: ChatId) -> Option<AgentId> {
        let chat = &self.core.chats[&id];
        let key = (chat.inbox, self.routing_group(chat));
        let pool = self.derived.pools[key.0.index()]
            .get(pool_slot(key.1))?
            .as_ref()?;
        let mut ctx = PickContext {
            cursor: self.core.cursors.get(&key).copied(),
            exclude: chat.excluded,
            rng: &mut self.core.rng,
        };
        let agent = pool.pick(&mut ctx)?;
        if self.eligible(agent, &self.core.chats[&id]) {
            return Some(agent);
        }
        self.emit(
            Event::Violation {
                rule: ViolationRule::Ineligible,
                chat: id,
                agent,
            },
            Recipients::one(Recipient::AllAdmins),
        );
        None
    }

    /// Puts a chat (already in status `queued`) in its queue and announces its position.
    pub(crate) fn enqueue(&mut self, id: ChatId) {
        self.sync_chat(id);
        let position = match self.core.chats[&id].idx.slot {
            Some((slot, place)) => self.derived.queues.position(slot, place),
            None => 0,
        };
        self.emit(
            Event::ChatQueued { chat: id, position },
            Recipients::one(Recipient::AllAdmins),
        );
    }

    /// Gives an ownerless chat to `agent` and emits CHAT_ASSIGNED.
    pub(crate) fn assign(&mut self, id: ChatId, agent: AgentId, reason: AssignReason) {
        self.core.assign_seq += 1;
        let seq = self.core.assign_seq;
        let chat = self
            .core
            .chats
            .get_mut(&id)
            .expect("assign: caller checked the chat");
        chat.status = ChatStatus::Assigned;
        chat.owner = Some(agent);
        chat.assign_seq = seq;
        chat.auto = reason.is_auto();
        chat.target_waiting = false;
        chat.excluded = None;
        if chat.needs_human_at.is_none() {
            chat.needs_human_at = Some(self.core.now);
            chat.menu_deadline = None;
        }
        let chat = &self.core.chats[&id];
        if reason.advances_cursor() {
            let key = (chat.inbox, self.routing_group(chat));
            let rotation = self.agent_key(agent).rotation;
            self.core.cursors.insert(key, rotation);
        }
        let a = &mut self.core.agents[agent.index()];
        a.assigned.insert((seq, id));
        a.n_auto += u32::from(reason.is_auto());
        a.last_assigned = seq;
        self.core.counters.assigned[reason as usize] += 1;
        self.reindex_agent(agent);
        self.sync_chat(id);
        let to = match self.core.config.settings.notify_assignment {
            NotifyAssignment::AssigneeAndAdmins => {
                Recipients::two(Recipient::Agent(agent), Recipient::AllAdmins)
            }
            NotifyAssignment::Assignee => Recipients::one(Recipient::Agent(agent)),
        };
        self.emit(
            Event::ChatAssigned {
                chat: id,
                agent,
                reason,
            },
            to,
        );
    }

    /// Takes a chat away from its owner (agent or admin) without emitting anything; returns
    /// the previous owner. The chat is left ownerless in its old status for the caller to set.
    pub(crate) fn detach(&mut self, id: ChatId) -> Option<AgentId> {
        let chat = self.core.chats.get_mut(&id)?;
        let owner = chat.owner.take()?;
        let (status, seq, auto) = (chat.status, chat.assign_seq, chat.auto);
        let a = &mut self.core.agents[owner.index()];
        match status {
            ChatStatus::Assigned => {
                a.assigned.remove(&(seq, id));
                a.n_auto -= u32::from(auto);
            }
            ChatStatus::TakenOver => {
                a.taken_over.remove(&id);
            }
            ChatStatus::AwaitingMenu | ChatStatus::Queued => {}
        }
        self.reindex_agent(owner);
        Some(owner)
    }

    /// Walks every queued chat in (`needs_human_at`, id) order across all queues and assigns
    /// each one that now has an eligible agent. Queues whose pool is empty are never walked,
    /// so one group never blocks another and a drain costs nothing when nobody is free.
    /// `reroute` is the chat an unassign just returned: its exclusion holds for this drain.
    pub(crate) fn drain(&mut self, reroute: Option<ChatId>) {
        for id in std::mem::take(&mut self.core.exclusions) {
            if Some(id) == reroute {
                self.core.exclusions.push(id);
            } else if let Some(chat) = self.core.chats.get_mut(&id) {
                chat.excluded = None;
            }
        }
        let mut heap = BinaryHeap::new();
        for (&key, queue) in &self.derived.queues.by_key {
            if self.pool_has_agents(key)
                && let Some(first) = queue.open.first()
            {
                heap.push(Reverse((*first, Source::Pool(key))));
            }
        }
        for (&agent, places) in &self.derived.queues.by_target {
            if self.base_eligible(&self.core.agents[agent.index()])
                && let Some(first) = places.first()
            {
                heap.push(Reverse((*first, Source::Target(agent))));
            }
        }
        while let Some(Reverse((place, source))) = heap.pop() {
            let id = place.1;
            let next = match source {
                Source::Pool(key) => {
                    if !self.pool_has_agents(key) {
                        continue;
                    }
                    let reason = if Some(id) == reroute {
                        AssignReason::Reroute
                    } else {
                        AssignReason::Drain
                    };
                    if let Some(agent) = self.pick(id) {
                        self.assign(id, agent, reason);
                    }
                    self.derived
                        .queues
                        .by_key
                        .get(&key)
                        .and_then(|q| Queues::next_after(&q.open, Some(place)))
                }
                Source::Target(agent) => {
                    if !self.base_eligible(&self.core.agents[agent.index()]) {
                        continue;
                    }
                    if self.eligible(agent, &self.core.chats[&id]) {
                        self.assign(id, agent, AssignReason::Target);
                    }
                    self.derived
                        .queues
                        .by_target
                        .get(&agent)
                        .and_then(|set| Queues::next_after(set, Some(place)))
                }
            };
            if let Some(next) = next {
                heap.push(Reverse((next, source)));
            }
        }
    }

    fn pool_has_agents(&self, (inbox, group): QueueKey) -> bool {
        self.derived.pools[inbox.index()]
            .get(pool_slot(group))
            .and_then(Option::as_ref)
            .is_some_and(|p| !p.is_empty())
    }
}
