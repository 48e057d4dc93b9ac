//! Routing: eligibility, picks, assignment, queueing and drains (docs/engine.md, from
//! eligibility to the queue).
//!
//! Every change to an agent or a chat is followed by [`Engine::reindex_agent`] or
//! [`Engine::sync_chat`], which compare what the derived indexes hold with what the core
//! state says they should hold and fix the difference. That one mutate-then-sync rule keeps
//! pools, queues and timers correct without each action knowing about every index. One
//! exception, for the most frequent input: a message ([`Engine::touch_chat`]) leaves the
//! two entries it makes later where they are, and readers move them when they reach them.

use crate::engine::queue::{CHAT_TIMER_KINDS, Place, QueueKey, Queues, Slot, Timer};
use crate::engine::state::{Agent, AgentId, AgentIndex, Chat, ChatId, ChatStatus, GroupId, InboxId};
use crate::engine::strategy::{AgentKey, PickContext, Strategy};
use crate::engine::{
    AssignReason, Capacity, CapacityCounts, Engine, Event, NotifyAssignment, Presence, Recipient, Recipients,
    Role, RotationOrder, Settings, SimTime, ViolationRule,
};
use std::cmp::Reverse;

/// A chat's auto-close deadline, as an index into its deadline array.
pub(crate) const AUTO_CLOSE: usize = CHAT_TIMER_KINDS - 1;

/// Where a drain takes its next chat from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    /// A queue's open chats, taken by its pool.
    Pool(QueueKey),
    /// Chats waiting for this agent alone.
    Target(AgentId),
}

fn pool_slot(group: Option<GroupId>) -> usize {
    group.map_or(0, |g| g.index() + 1)
}

impl Engine {
    /// The agent's load: the chats counted against its capacity (docs/engine.md#entities).
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

    /// The group rule rebalance applies to an assigned chat: its group until its overflow
    /// time, computed from `needs_human_at`, has passed (docs/engine.md#rebalance).
    pub(crate) fn rebalance_group(&self, chat: &Chat) -> Option<GroupId> {
        let settings = &self.core.config.settings;
        let passed = match (settings.group_overflow_after, chat.needs_human_at) {
            (Some(d), Some(nha)) => self.core.now >= nha + d,
            _ => false,
        };
        (settings.group_routing && !passed)
            .then_some(chat.group)
            .flatten()
    }

    pub(crate) fn in_inbox(&self, agent: AgentId, inbox: InboxId) -> bool {
        self.derived
            .agent_inboxes
            .get(agent.index())
            .is_some_and(|list| list.binary_search(&inbox).is_ok())
    }

    /// Whether auto-routing may consider the agent at all: role, `auto_assign`, presence,
    /// still in the roster.
    pub(crate) fn routable(agent: &Agent) -> bool {
        agent.role == Role::Agent
            && !agent.removed
            && agent.auto_assign
            && agent.presence == Presence::Available
    }

    /// Eligibility apart from the chat: routable and a free slot.
    pub(crate) fn base_eligible(&self, agent: &Agent) -> bool {
        Self::routable(agent) && self.capacity_of(agent).admits(self.load_of(agent))
    }

    /// docs/engine.md#eligibility, checked directly against core state (not through any
    /// index), so it can catch an index that disagrees with the data.
    pub(crate) fn eligible(&self, agent_id: AgentId, chat: &Chat) -> bool {
        self.eligible_for(agent_id, chat, self.routing_group(chat))
    }

    /// Eligibility with an explicit group rule (`None` = any group).
    pub(crate) fn eligible_for(&self, agent_id: AgentId, chat: &Chat, group: Option<GroupId>) -> bool {
        let Some(agent) = self.core.agents.get(agent_id.index()) else {
            return false;
        };
        self.inbox_is_auto(chat.inbox)
            && self.base_eligible(agent)
            && self.in_inbox(agent_id, chat.inbox)
            && group.is_none_or(|g| agent.in_group(g))
            && chat.excluded != Some(agent_id)
            && (!chat.target_waiting || chat.target == Some(agent_id))
    }

    /// Whether the chat's target could take it soon: routable, admitted by the inbox and
    /// the group rule, the inbox routing automatically — full or not
    /// (docs/engine.md#targeted-chats).
    pub(crate) fn target_live(&self, chat: &Chat) -> bool {
        let Some(target) = chat.target else { return false };
        let Some(agent) = self.core.agents.get(target.index()) else {
            return false;
        };
        self.inbox_is_auto(chat.inbox)
            && Self::routable(agent)
            && self.in_inbox(target, chat.inbox)
            && self.routing_group(chat).is_none_or(|g| agent.in_group(g))
    }

    pub(crate) fn agent_key(&self, id: AgentId) -> AgentKey {
        let agent = &self.core.agents[id.index()];
        AgentKey {
            agent: id,
            open: agent.n_assigned(),
            last_assigned: agent.last_assigned,
            rotation: self.rotation_key(agent, id),
        }
    }

    pub(crate) fn rotation_key(&self, agent: &Agent, id: AgentId) -> u64 {
        match self.core.config.settings.rotation_order {
            RotationOrder::OnlineSince => agent.online_key,
            RotationOrder::Roster => u64::from(id.0),
        }
    }

    /// What the derived indexes should hold for the agent.
    fn desired_agent_index(&self, id: AgentId) -> AgentIndex {
        let agent = &self.core.agents[id.index()];
        let rebalance_on = self.core.config.settings.rebalance_on_online;
        let available = !agent.removed && agent.presence == Presence::Available;
        AgentIndex {
            key: self.base_eligible(agent).then(|| self.agent_key(id)),
            avail_load: (rebalance_on && available).then(|| self.load_of(agent)),
            mean_load: (rebalance_on && Self::routable(agent)).then(|| self.load_of(agent)),
            grace: agent.grace_deadline,
            rebalance: agent.rebalance_at,
        }
    }

    /// Brings the pools, the rebalance indexes and the agent's timers in line with the agent.
    pub(crate) fn reindex_agent(&mut self, id: AgentId) {
        let want = self.desired_agent_index(id);
        self.set_agent_index(id, want);
    }

    /// Takes the agent out of every pool and rebalance index (timers stay), before a change
    /// to its groups or inboxes, which those indexes are keyed by.
    pub(crate) fn unindex_agent(&mut self, id: AgentId) {
        let idx = &self.core.agents[id.index()].idx;
        let want = AgentIndex {
            key: None,
            avail_load: None,
            mean_load: None,
            grace: idx.grace,
            rebalance: idx.rebalance,
        };
        self.set_agent_index(id, want);
    }

    fn set_agent_index(&mut self, id: AgentId, new: AgentIndex) {
        let old = self.core.agents[id.index()].idx;
        if old.key != new.key {
            let group_routing = self.core.config.settings.group_routing;
            let groups = &self.core.agents[id.index()].groups;
            for &inbox in &self.derived.agent_inboxes[id.index()] {
                let pools = &mut self.derived.pools[inbox.index()];
                let update = |pool: &mut Option<Box<dyn Strategy>>| {
                    let Some(pool) = pool else { return };
                    match (old.key, new.key) {
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
        let balance = &mut self.derived.balance;
        if old.avail_load != new.avail_load {
            if let Some(load) = old.avail_load {
                balance.donors.remove(&(Reverse(load), id));
            }
            if let Some(load) = new.avail_load {
                balance.donors.insert((Reverse(load), id));
            }
        }
        if old.mean_load != new.mean_load {
            for &inbox in &self.derived.agent_inboxes[id.index()] {
                let (count, total) = &mut balance.means[inbox.index()];
                if let Some(load) = old.mean_load {
                    *count -= 1;
                    *total -= u64::from(load);
                }
                if let Some(load) = new.mean_load {
                    *count += 1;
                    *total += u64::from(load);
                }
            }
        }
        for (old_t, new_t, timer) in [
            (old.grace, new.grace, Timer::OfflineGrace(id)),
            (old.rebalance, new.rebalance, Timer::Rebalance(id)),
        ] {
            if old_t != new_t {
                if let Some(t) = old_t {
                    self.derived.timers.remove(&(t, timer));
                }
                if let Some(t) = new_t {
                    self.derived.timers.insert((t, timer));
                }
            }
        }
        self.core.agents[id.index()].idx = new;
    }

    /// Where a queued chat belongs.
    pub(crate) fn desired_slot(&self, id: ChatId, chat: &Chat) -> Option<(Slot, Place)> {
        (chat.status == ChatStatus::Queued).then(|| {
            let key = (chat.inbox, self.routing_group(chat));
            let target = if chat.target_waiting { chat.target } else { None };
            (Slot { key, target }, (chat.created_at, id))
        })
    }

    /// The deadlines a chat should have scheduled: menu, target, overflow, auto-close.
    pub(crate) fn desired_timers(&self, chat: &Chat) -> [Option<SimTime>; CHAT_TIMER_KINDS] {
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
        [menu, target, overflow, auto_close_at(settings, chat)]
    }

    /// Brings the queues and timers in line with the chat.
    pub(crate) fn sync_chat(&mut self, id: ChatId) {
        let (old, new_slot, new_timers, new_idle) = match self.core.chats.get(&id) {
            Some(chat) => (
                chat.idx,
                self.desired_slot(id, chat),
                self.desired_timers(chat),
                self.rebalance_indexed(chat),
            ),
            None => return,
        };
        self.move_idle(id, old.idle, new_idle);
        if old.slot != new_slot {
            if let Some((slot, place)) = old.slot {
                self.derived.queues.remove(slot, place);
            }
            if let Some((slot, place)) = new_slot {
                self.derived.queues.insert(slot, place);
            }
        }
        if old.timers != new_timers {
            for (kind, (old_t, new_t)) in old.timers.into_iter().zip(new_timers).enumerate() {
                self.move_timer(id, kind, old_t, new_t);
            }
        }
        if let Some(chat) = self.core.chats.get_mut(&id) {
            chat.idx.slot = new_slot;
            chat.idx.timers = new_timers;
            chat.idx.idle = new_idle;
        }
    }

    /// Records a message on the chat: moves `last_message_at` to now, and nothing else.
    /// The two index entries that depend on it — the chat's place in the rebalance index
    /// of idle chats and its auto-close timer — are left where they are: a message only
    /// makes them later, so each entry is early, and it is moved to its real place when a
    /// reader reaches it: the auto-close entry when it comes to the front of the timers
    /// ([`Engine::settle_auto_close`] — at most once per `auto_close_after`), the idle entry
    /// when a rebalance walk passes it ([`Engine::settle_idle`]) — instead of two moves in
    /// two trees per message.
    pub(crate) fn touch_chat(&mut self, id: ChatId) {
        let chat = self.core.chats.get_mut(&id).expect("validated");
        chat.last_message_at = self.core.now;
        #[cfg(debug_assertions)]
        {
            let chat = &self.core.chats[&id];
            let want = self.desired_timers(chat);
            let early = |entry: Option<SimTime>, due: Option<SimTime>| match (entry, due) {
                (Some(entry), Some(due)) => entry <= due,
                (entry, due) => entry == due,
            };
            debug_assert_eq!(chat.idx.slot, self.desired_slot(id, chat));
            debug_assert_eq!(chat.idx.timers[..AUTO_CLOSE], want[..AUTO_CLOSE]);
            debug_assert!(early(chat.idx.timers[AUTO_CLOSE], want[AUTO_CLOSE]));
            let idle = self.rebalance_indexed(chat);
            debug_assert_eq!(
                chat.idx.idle.map(|(inbox, _)| inbox),
                idle.map(|(inbox, _)| inbox)
            );
            debug_assert!(early(chat.idx.idle.map(|(_, t)| t), idle.map(|(_, t)| t)));
        }
    }

    /// Moves chat `id`'s entry in the rebalance index of idle chats, found at `entry`, to
    /// the chat's real last message if messages have made that later (see
    /// [`Engine::touch_chat`]); returns whether it moved.
    pub(crate) fn settle_idle(&mut self, id: ChatId, entry: SimTime) -> bool {
        let chat = &self.core.chats[&id];
        let real = self.rebalance_indexed(chat);
        let old = chat.idx.idle;
        debug_assert_eq!(old.map(|(_, t)| t), Some(entry));
        if real == old {
            return false;
        }
        self.core
            .chats
            .get_mut(&id)
            .expect("indexed chats are open")
            .idx
            .idle = real;
        self.move_idle(id, old, real);
        true
    }

    /// Moves chat `id`'s auto-close entry, found at `entry` at the front of the timers, to
    /// the chat's real deadline if messages have made that later (see
    /// [`Engine::touch_chat`]); returns whether it moved. Run on the front entry before any
    /// timer fires and at the end of every input, so the first timer is always a real
    /// deadline: [`Engine::next_deadline`] is exact.
    pub(crate) fn settle_auto_close(&mut self, id: ChatId, entry: SimTime) -> bool {
        let chat = &self.core.chats[&id];
        let due = auto_close_at(&self.core.config.settings, chat);
        if due == Some(entry) {
            return false;
        }
        self.core
            .chats
            .get_mut(&id)
            .expect("timer of an open chat")
            .idx
            .timers[AUTO_CLOSE] = due;
        self.move_timer(id, AUTO_CLOSE, Some(entry), due);
        true
    }

    /// The chat's key in the rebalance index: kept only while rebalancing is on (a
    /// configuration change rebuilds every index), for chats assigned automatically — the
    /// only ones rebalance may move.
    pub(crate) fn rebalance_indexed(&self, chat: &Chat) -> Option<(InboxId, SimTime)> {
        idle_key(&self.core.config.settings, chat)
    }

    /// Moves chat `id`'s entry in the rebalance idle index from `old` to `new`.
    fn move_idle(&mut self, id: ChatId, old: Option<(InboxId, SimTime)>, new: Option<(InboxId, SimTime)>) {
        if old == new {
            return;
        }
        if let Some((inbox, t)) = old {
            self.derived.balance.by_message[inbox.index()].remove(&(t, id));
        }
        if let Some((inbox, t)) = new {
            self.derived.balance.by_message[inbox.index()].insert((t, id));
        }
    }

    /// Moves chat `id`'s timer of kind `kind` from deadline `old` to `new`.
    fn move_timer(&mut self, id: ChatId, kind: usize, old: Option<SimTime>, new: Option<SimTime>) {
        if old == new {
            return;
        }
        if let Some(t) = old {
            self.derived.timers.remove(&(t, Timer::for_chat(kind, id)));
        }
        if let Some(t) = new {
            self.derived.timers.insert((t, Timer::for_chat(kind, id)));
        }
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
        self.move_idle(id, idx.idle, None);
        for (kind, deadline) in idx.timers.into_iter().enumerate() {
            self.move_timer(id, kind, deadline, None);
        }
    }

    /// Recomputes whether a queued chat's overflow time has passed (docs/engine.md#group-overflow):
    /// a deadline strictly in the past has; one at this very instant has only if its timer
    /// fired at this instant (an input at the deadline counts as before it — also when a
    /// configuration change has just moved the deadline to now); a later one has not.
    pub(crate) fn refresh_overflow(&mut self, id: ChatId) {
        let now = self.core.now;
        let overflow_after = self.core.config.settings.group_overflow_after;
        let Some(chat) = self.core.chats.get_mut(&id) else {
            return;
        };
        chat.overflowed = match (chat.needs_human_at, overflow_after) {
            (Some(nha), Some(d)) => {
                let deadline = nha + d;
                deadline < now || (deadline == now && chat.overflowed_at == Some(now))
            }
            _ => false,
        };
    }

    /// Ends a target wait whose target is no longer live or whose fallback time is strictly
    /// past (docs/engine.md#targeted-chats). Returns whether it ended.
    pub(crate) fn refresh_target_wait(&mut self, id: ChatId) -> bool {
        let Some(chat) = self.core.chats.get(&id) else {
            return false;
        };
        if !chat.target_waiting {
            return false;
        }
        let fallback = self.core.config.settings.target_fallback_after;
        let past = chat
            .needs_human_at
            .is_some_and(|nha| nha + fallback < self.core.now);
        if past || !self.target_live(chat) {
            self.core
                .chats
                .get_mut(&id)
                .expect("checked above")
                .target_waiting = false;
            self.sync_chat(id);
            return true;
        }
        false
    }

    /// Ends the waits of chats aimed at `agent` (or every wait) that can no longer go on.
    pub(crate) fn refresh_target_waits(&mut self, agent: Option<AgentId>) {
        let ids: Vec<ChatId> = match agent {
            Some(a) => self
                .derived
                .queues
                .by_target
                .get(&a)
                .map(|set| set.iter().map(|&(_, c)| c).collect())
                .unwrap_or_default(),
            None => self
                .derived
                .queues
                .by_target
                .values()
                .flat_map(|set| set.iter().map(|&(_, c)| c))
                .collect(),
        };
        for id in ids {
            self.refresh_target_wait(id);
        }
    }

    /// Routes a chat that has just become routable (docs/engine.md#targeted-chats): to its
    /// target if eligible; to the queue, waiting for its target alone, if the target is
    /// live but full and the fallback time is ahead; otherwise as any other chat.
    pub(crate) fn route_new(&mut self, id: ChatId) {
        let now = self.core.now;
        let fallback = self.core.config.settings.target_fallback_after;
        let chat = self.core.chats.get_mut(&id).expect("caller checked the chat");
        chat.status = ChatStatus::Queued;
        chat.owner = None;
        chat.target_waiting = false;
        self.refresh_overflow(id);
        let chat = &self.core.chats[&id];
        if let Some(target) = chat.target
            && self.inbox_is_auto(chat.inbox)
        {
            if self.eligible(target, chat) {
                self.checked_assign(id, target, AssignReason::Target);
                return;
            }
            let ahead = chat.needs_human_at.is_some_and(|nha| now < nha + fallback);
            if ahead && self.target_live(chat) {
                self.core
                    .chats
                    .get_mut(&id)
                    .expect("checked above")
                    .target_waiting = true;
                self.enqueue(id);
                return;
            }
        }
        // Made ownerless and queued above, as `route` would.
        self.route_ownerless(id, AssignReason::Auto);
    }

    /// Routes an ownerless chat by its inbox's strategy, or queues it.
    pub(crate) fn route(&mut self, id: ChatId, reason: AssignReason) -> Option<AgentId> {
        let chat = self.core.chats.get_mut(&id)?;
        chat.status = ChatStatus::Queued;
        chat.owner = None;
        chat.target_waiting = false;
        self.refresh_overflow(id);
        self.route_ownerless(id, reason)
    }

    /// [`Engine::route`] for a chat already made ownerless, queued and not waiting for a
    /// target, with its overflow flag fresh.
    fn route_ownerless(&mut self, id: ChatId, reason: AssignReason) -> Option<AgentId> {
        if self.inbox_is_auto(self.core.chats[&id].inbox)
            && let Some(agent) = self.pick(id)
            && self.checked_assign(id, agent, reason)
        {
            return Some(agent);
        }
        self.enqueue(id);
        None
    }

    /// Asks the chat's pool for an agent. The pick is not trusted: see
    /// [`Engine::checked_assign`].
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
        pool.pick(&mut ctx)
    }

    /// The one check every automatic assignment goes through (docs/engine.md#invariants):
    /// the agent must be eligible for the chat at this moment under `group`; otherwise
    /// the assignment is refused and reported as a VIOLATION. Returns whether it passed.
    pub(crate) fn check_pick(&mut self, id: ChatId, agent: AgentId, group: Option<GroupId>) -> bool {
        if self.eligible_for(agent, &self.core.chats[&id], group) {
            return true;
        }
        self.emit(
            Event::Violation {
                rule: ViolationRule::Ineligible,
                chat: id,
                agent,
            },
            Recipients::one(Recipient::AllAdmins),
        );
        false
    }

    /// Assigns an ownerless chat automatically, after [`Engine::check_pick`].
    pub(crate) fn checked_assign(&mut self, id: ChatId, agent: AgentId, reason: AssignReason) -> bool {
        let group = self.routing_group(&self.core.chats[&id]);
        if !self.check_pick(id, agent, group) {
            return false;
        }
        self.assign(id, agent, reason);
        true
    }

    /// Puts a chat (already in status `queued`) in its queue and announces its position.
    pub(crate) fn enqueue(&mut self, id: ChatId) {
        self.sync_chat(id);
        let position = self.queue_position(id).unwrap_or(0);
        self.emit(
            Event::ChatQueued { chat: id, position },
            Recipients::one(Recipient::AllAdmins),
        );
    }

    /// Gives an ownerless chat to `agent` and emits CHAT_ASSIGNED.
    pub(crate) fn assign(&mut self, id: ChatId, agent: AgentId, reason: AssignReason) {
        self.core.assign_seq += 1;
        let seq = self.core.assign_seq;
        let now = self.core.now;
        let chat = self
            .core
            .chats
            .get_mut(&id)
            .expect("assign: caller checked the chat");
        chat.status = ChatStatus::Assigned;
        chat.owner = Some(agent);
        chat.assign_seq = seq;
        chat.assigned_at = now;
        chat.auto = reason.is_auto();
        chat.target_waiting = false;
        // The exclusion of an unassign lasts until the chat's next assignment, whoever
        // makes it (docs/engine.md#manual-actions).
        chat.excluded = None;
        if chat.needs_human_at.is_none() {
            chat.needs_human_at = Some(now);
            chat.menu_deadline = None;
        }
        let chat = &self.core.chats[&id];
        if reason.advances_cursor() {
            let key = (chat.inbox, self.routing_group(chat));
            let rotation = self.rotation_key(&self.core.agents[agent.index()], agent);
            self.core.cursors.insert(key, (rotation, agent));
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

    /// Walks every queued chat in (received, id) order across all queues and assigns each
    /// one that now has an eligible agent (docs/engine.md#drains). Queues whose pool is
    /// empty are never walked, so one group never blocks another and a drain costs nothing
    /// when nobody is free. `reroute` is the chat an unassign just returned: its
    /// assignment, if any, has reason `reroute`.
    pub(crate) fn drain(&mut self, reroute: Option<ChatId>) {
        if self.derived.queues.len() == 0 {
            return;
        }
        if self.derived.queues.by_target.is_empty() && self.derived.queues.by_key.len() == 1 {
            self.drain_one_queue(reroute);
            return;
        }
        // The heap's buffer is kept between drains: no allocation per call.
        let mut heap = std::mem::take(&mut self.derived.drain_heap);
        heap.clear();
        for (&key, queue) in &self.derived.queues.by_key {
            if self.pool_has_agents(key)
                && let Some(first) = queue.open.first()
            {
                heap.push(Reverse((*first, Source::Pool(key))));
            }
        }
        for (&agent, places) in &self.derived.queues.by_target {
            if self
                .core
                .agents
                .get(agent.index())
                .is_some_and(|a| self.base_eligible(a))
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
                    self.drain_from_pool(id, reroute);
                    self.derived
                        .queues
                        .by_key
                        .get(&key)
                        .and_then(|q| Queues::next_after(&q.open, Some(place)))
                }
                Source::Target(agent) => {
                    if !self
                        .core
                        .agents
                        .get(agent.index())
                        .is_some_and(|a| self.base_eligible(a))
                    {
                        continue;
                    }
                    self.checked_assign(id, agent, AssignReason::Target);
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
        self.derived.drain_heap = heap;
    }

    /// [`Engine::drain`] when there is one queue and no chat waits for a particular agent
    /// (the common case): the same walk — the queue's open chats in order, while its pool
    /// has agents — without merging sources.
    fn drain_one_queue(&mut self, reroute: Option<ChatId>) {
        let Some((&key, _)) = self.derived.queues.by_key.first_key_value() else {
            return;
        };
        let mut at = None;
        while self.pool_has_agents(key) {
            let Some(place) = self
                .derived
                .queues
                .by_key
                .get(&key)
                .and_then(|q| Queues::next_after(&q.open, at))
            else {
                return;
            };
            self.drain_from_pool(place.1, reroute);
            at = Some(place);
        }
    }

    /// A drain's assignment of a queued chat to its pool's pick, if any: reason `reroute`
    /// for the chat an unassign just returned, `drain` otherwise.
    fn drain_from_pool(&mut self, id: ChatId, reroute: Option<ChatId>) {
        let reason = if Some(id) == reroute {
            AssignReason::Reroute
        } else {
            AssignReason::Drain
        };
        if let Some(agent) = self.pick(id) {
            self.checked_assign(id, agent, reason);
        }
    }

    fn pool_has_agents(&self, (inbox, group): QueueKey) -> bool {
        self.derived.pools[inbox.index()]
            .get(pool_slot(group))
            .and_then(Option::as_ref)
            .is_some_and(|p| !p.is_empty())
    }
}

/// The chat's key in the rebalance idle index under `settings` (see
/// [`Engine::rebalance_indexed`]).
fn idle_key(settings: &Settings, chat: &Chat) -> Option<(InboxId, SimTime)> {
    (settings.rebalance_on_online && chat.status == ChatStatus::Assigned && chat.auto)
        .then_some((chat.inbox, chat.last_message_at))
}

/// When the chat auto-closes under `settings` (docs/engine.md#auto-close): a fixed time
/// after its last message, never while it awaits the menu.
fn auto_close_at(settings: &Settings, chat: &Chat) -> Option<SimTime> {
    settings
        .auto_close_after
        .filter(|_| chat.status != ChatStatus::AwaitingMenu)
        .map(|d| chat.last_message_at + d)
}
