//! What each input and timer does (docs/engine.md, targeted chats to auto-close), in terms of the routing
//! primitives of `routing.rs`. Inputs reach these functions only after validation, so they
//! may rely on the ids they are given.

use crate::engine::queue::Timer;
use crate::engine::state::{AgentId, Chat, ChatId, ChatStatus, GroupId, InboxId};
use crate::engine::time::SimTime;
use crate::engine::{
    AssignReason, CloseReason, EligibleAgents, Engine, Event, Move, Presence, Recipient, Recipients, Role,
    UnassignReason,
};
use std::cmp::Reverse;
use std::ops::Bound;

impl Engine {
    pub(crate) fn arrive(
        &mut self,
        id: ChatId,
        inbox: InboxId,
        group: Option<GroupId>,
        target: Option<AgentId>,
    ) {
        let now = self.core.now;
        // A chat whose group is already known skips the menu (docs/engine.md#auto-menu-and-groups); a
        // targeted chat without a group still sees it.
        let menu = self.core.config.settings.menu_timeout.filter(|_| group.is_none());
        let chat = Chat {
            inbox,
            group,
            target,
            status: ChatStatus::AwaitingMenu,
            owner: None,
            assign_seq: 0,
            assigned_at: SimTime::ZERO,
            auto: false,
            created_at: now,
            needs_human_at: None,
            last_message_at: now,
            menu_deadline: menu.map(|d| now + d),
            overflowed: false,
            overflowed_at: None,
            target_waiting: false,
            excluded: None,
            idx: Default::default(),
        };
        self.core.chats.insert(id, chat);
        if menu.is_some() {
            self.sync_chat(id);
        } else {
            self.become_routable(id);
        }
    }

    /// The chat leaves the bot/menu phase: `needs_human_at` is now.
    pub(crate) fn become_routable(&mut self, id: ChatId) {
        let now = self.core.now;
        let chat = self.core.chats.get_mut(&id).expect("caller checked the chat");
        chat.needs_human_at = Some(now);
        chat.menu_deadline = None;
        self.route_new(id);
    }

    pub(crate) fn menu_choice(&mut self, id: ChatId, group: GroupId) {
        self.message(id);
        let chat = self.core.chats.get_mut(&id).expect("validated");
        // A late choice (after the timeout, or after a first choice) is only a message.
        if chat.status == ChatStatus::AwaitingMenu {
            chat.group = Some(group);
            self.become_routable(id);
        }
    }

    pub(crate) fn message(&mut self, id: ChatId) {
        self.touch_chat(id);
    }

    pub(crate) fn agent_message(&mut self, id: ChatId, agent: AgentId) {
        self.message(id);
        // Replying to an unassigned, routable chat makes the writer its owner (docs/engine.md#manual-actions).
        if self.core.chats[&id].status == ChatStatus::Queued {
            self.assign(id, agent, AssignReason::SelfClaim);
        }
    }

    pub(crate) fn set_presence(&mut self, agent: AgentId, presence: Presence) {
        let old = self.core.agents[agent.index()].presence;
        if old == presence {
            return;
        }
        self.core.agents[agent.index()].presence = presence;
        if old == Presence::Offline {
            self.connect(agent);
        }
        let now = self.core.now;
        let settings = &self.core.config.settings;
        let (reassign, grace, rebalance) = (
            settings.reassign_on_offline,
            settings.offline_grace,
            settings.rebalance_on_online,
        );
        let a = &mut self.core.agents[agent.index()];
        match presence {
            // The chats move when the grace timer fires — after every other input of this
            // instant, even with a grace of 0 (docs/engine.md#agent-offline).
            Presence::Offline => {
                a.rebalance_at = None;
                if reassign {
                    a.grace_deadline = Some(now + grace);
                }
            }
            // Balanced in a timer at this instant, once everyone who comes back now is in
            // (docs/engine.md#rebalance).
            Presence::Available => {
                if rebalance {
                    a.rebalance_at = Some(now);
                }
            }
            Presence::Away => a.rebalance_at = None,
        }
        self.reindex_agent(agent);
        self.refresh_target_waits(Some(agent));
        self.drain(None);
    }

    /// Offline → away or available: re-enter the rotation at the end, keep the chats (the
    /// grace period, if any, is cancelled) and sync the agent's view.
    fn connect(&mut self, agent: AgentId) {
        self.core.online_seq += 1;
        let new_key = self.core.online_seq;
        let admin = self.core.agents[agent.index()].role == Role::Admin;
        let a = &mut self.core.agents[agent.index()];
        // The cursor stays where it was: a position, not an agent (docs/engine.md#round-robin).
        a.online_key = new_key;
        a.grace_deadline = None;
        let a = &self.core.agents[agent.index()];
        let mut chats: Vec<ChatId> = a
            .assigned
            .iter()
            .map(|&(_, c)| c)
            .chain(a.taken_over.iter().copied())
            .collect();
        chats.sort_unstable();
        let queued = admin.then(|| self.queued_chats());
        self.emit(
            Event::ChatAssignmentSync { agent, chats, queued },
            Recipients::one(Recipient::Agent(agent)),
        );
    }

    /// The grace period is over: unassign every chat of the agent, then reassign or queue
    /// each one, in assignment order (docs/engine.md#agent-offline).
    fn offline_handoff(&mut self, agent: AgentId) {
        let chats: Vec<ChatId> = self.core.agents[agent.index()]
            .assigned
            .iter()
            .map(|&(_, c)| c)
            .collect();
        if chats.is_empty() {
            return;
        }
        self.core.counters.offline_handoffs += 1;
        self.hand_off(agent, chats, UnassignReason::Offline);
    }

    /// Unassigns `chats` from `agent` (all first), then routes each in the same order, then
    /// announces the moves.
    fn hand_off(&mut self, agent: AgentId, chats: Vec<ChatId>, reason: UnassignReason) {
        for &chat in &chats {
            self.detach(chat);
            self.emit(
                Event::ChatUnassigned { chat, agent, reason },
                Recipients::one(Recipient::Agent(agent)),
            );
        }
        let moves = chats
            .iter()
            .map(|&chat| Move {
                chat,
                to: self.route(chat, AssignReason::Reassign),
            })
            .collect();
        self.emit(
            Event::AgentChatsReassigned { agent, moves },
            Recipients::one(Recipient::AllAgentsAndAdmins),
        );
    }

    /// Removes an agent from the roster (docs/engine.md#roster-changes): its chats move at
    /// once, whatever the grace settings; it leaves every pool, pinned list and timer.
    pub(crate) fn remove_agent(&mut self, agent: AgentId) {
        self.unindex_agent(agent);
        let a = &mut self.core.agents[agent.index()];
        a.removed = true;
        a.grace_deadline = None;
        a.rebalance_at = None;
        let mut chats: Vec<ChatId> = a.assigned.iter().map(|&(_, c)| c).collect();
        chats.extend(a.taken_over.iter().copied());
        for inbox in &mut self.core.config.inboxes {
            if let EligibleAgents::Pinned(list) = &mut inbox.eligible {
                list.retain(|&x| x != agent);
            }
        }
        self.derived.agent_inboxes.clear(agent.index());
        self.derived.names.remove(&self.core.agents[agent.index()].name);
        self.reindex_agent(agent);
        if !chats.is_empty() {
            self.hand_off(agent, chats, UnassignReason::Removed);
        }
        self.refresh_target_waits(Some(agent));
        self.drain(None);
    }

    /// A rebalance timer fired (docs/engine.md#rebalance).
    fn rebalance_timer(&mut self, agent: AgentId) {
        let a = &self.core.agents[agent.index()];
        if self.core.config.settings.rebalance_on_online
            && !a.removed
            && a.presence == Presence::Available
            && self.rebalance(agent)
        {
            // Donors freed slots: chats queued for them may now be placed.
            self.drain(None);
        }
    }

    /// docs/engine.md#rebalance. Returns whether any chat moved.
    fn rebalance(&mut self, newcomer: AgentId) -> bool {
        let settings = &self.core.config.settings;
        let Some(threshold) = settings
            .rebalance_idle_threshold
            .filter(|_| settings.rebalance_on_online)
        else {
            return false;
        };
        // No chat can have been silent for the threshold before the threshold has passed
        // since time 0 (a saturating `now - threshold` would call every chat idle).
        if self.core.now < SimTime::ZERO + threshold {
            return false;
        }
        let idle_before = self.core.now - threshold;
        let mut moved = false;
        let inboxes = self.derived.agent_inboxes[newcomer.index()].to_vec();
        for inbox in inboxes {
            if !self.inbox_is_auto(inbox) || !Self::routable(&self.core.agents[newcomer.index()]) {
                continue;
            }
            while let Some((donor, chat)) = self.rebalance_candidate(newcomer, inbox, idle_before) {
                let group = self.rebalance_group(&self.core.chats[&chat]);
                if !self.check_pick(chat, newcomer, group) {
                    break;
                }
                self.detach(chat);
                self.emit(
                    Event::ChatUnassigned {
                        chat,
                        agent: donor,
                        reason: UnassignReason::Rebalance,
                    },
                    Recipients::one(Recipient::Agent(donor)),
                );
                self.assign(chat, newcomer, AssignReason::Rebalance);
                moved = true;
            }
        }
        moved
    }

    /// The next rebalance move into `inbox`, if the newcomer is still below the floor of the
    /// mean load and below capacity, and some donor has a chat the newcomer may take.
    fn rebalance_candidate(
        &mut self,
        newcomer: AgentId,
        inbox: InboxId,
        idle_before: SimTime,
    ) -> Option<(AgentId, ChatId)> {
        let me = &self.core.agents[newcomer.index()];
        let my_load = self.load_of(me);
        let (count, total) = self.derived.balance.means[inbox.index()];
        if count == 0 || u64::from(my_load) >= total / count || !self.capacity_of(me).admits(my_load) {
            return None;
        }
        let found = self.rebalance_choice(newcomer, inbox, idle_before, my_load);
        // The lockstep search gives the rule's choice; the tests check it on every rebalance.
        debug_assert_eq!(
            found,
            self.candidate_by_donor_walk(newcomer, inbox, idle_before, my_load)
        );
        found
    }

    /// Whether `c` may move to `newcomer` by rebalancing, idleness and inbox aside: assigned
    /// automatically, not assigned at this very instant (no chat moves twice in one
    /// instant), and the newcomer eligible for it under the rebalance group rule.
    fn movable(&self, newcomer: AgentId, c: &Chat) -> bool {
        c.status == ChatStatus::Assigned
            && c.auto
            && c.assigned_at < self.core.now
            && self.eligible_for(newcomer, c, self.rebalance_group(c))
    }

    /// The choice of docs/engine.md#rebalance, found two ways at once, stopping at whichever
    /// ends first: the donor walk (the most loaded donor first; the first with a movable
    /// idle chat gives its chat idle longest) is quick when many chats are idle; the idle
    /// chats (a prefix of the inbox's automatically assigned chats by last message, early
    /// entries moved on the way by `next_idle`), of
    /// which the best by (donor order, idleness) is the same choice, are few when customers
    /// write. So a rebalance costs the smaller of the two, not a walk over every donor.
    fn rebalance_choice(
        &mut self,
        newcomer: AgentId,
        inbox: InboxId,
        idle_before: SimTime,
        my_load: u32,
    ) -> Option<(AgentId, ChatId)> {
        // Both walks keep a cursor rather than an iterator: the idle walk moves entries as it
        // goes (`next_idle`).
        let mut donor_at: Option<(Reverse<u32>, AgentId)> = None;
        let mut idle_at: Option<(SimTime, ChatId)> = None;
        // (donor order, (last message, chat)) of the best idle chat seen so far.
        type Choice = ((Reverse<u32>, AgentId), (SimTime, ChatId));
        let mut best: Option<Choice> = None;
        loop {
            // One donor.
            let lower = donor_at.map_or(Bound::Unbounded, Bound::Excluded);
            match self
                .derived
                .balance
                .donors
                .range((lower, Bound::Unbounded))
                .next()
            {
                Some(&(Reverse(load), donor)) if load >= my_load + 2 => {
                    donor_at = Some((Reverse(load), donor));
                    if donor != newcomer
                        && let Some(chat) = self.oldest_idle_chat(newcomer, donor, inbox, idle_before)
                    {
                        return Some((donor, chat));
                    }
                }
                _ => return None,
            }
            // A few idle chats.
            for _ in 0..4 {
                let Some((t, id)) = self.next_idle(inbox, idle_before, &mut idle_at) else {
                    return best.map(|((_, donor), (_, chat))| (donor, chat));
                };
                let c = &self.core.chats[&id];
                let Some(donor) = c.owner.filter(|d| *d != newcomer) else {
                    continue;
                };
                let Some(load) = self.core.agents[donor.index()].idx.avail_load else {
                    continue;
                };
                let key = (Reverse(load), donor);
                if load >= my_load + 2 && self.movable(newcomer, c) && best.is_none_or(|b| (key, (t, id)) < b)
                {
                    best = Some((key, (t, id)));
                }
            }
        }
    }

    /// The next chat after `at` in `inbox`'s index of assigned chats by last message, if its
    /// last message is at or before `idle_before`; `at` moves to it. Entries that messages
    /// have left early (see [`Engine::touch_chat`]) are moved to their real place on the
    /// way, so the chats come in the order of their real last messages.
    fn next_idle(
        &mut self,
        inbox: InboxId,
        idle_before: SimTime,
        at: &mut Option<(SimTime, ChatId)>,
    ) -> Option<(SimTime, ChatId)> {
        loop {
            let lower = at.map_or(Bound::Unbounded, Bound::Excluded);
            let upper = Bound::Included((idle_before, ChatId(u64::MAX)));
            let &(t, id) = self.derived.balance.by_message[inbox.index()]
                .range((lower, upper))
                .next()?;
            if self.settle_idle(id, t) {
                continue;
            }
            *at = Some((t, id));
            return Some((t, id));
        }
    }

    /// `donor`'s movable chat of `inbox` idle longest (no message since `idle_before`).
    fn oldest_idle_chat(
        &self,
        newcomer: AgentId,
        donor: AgentId,
        inbox: InboxId,
        idle_before: SimTime,
    ) -> Option<ChatId> {
        self.core.agents[donor.index()]
            .assigned
            .iter()
            .map(|&(_, c)| (c, &self.core.chats[&c]))
            .filter(|(_, c)| {
                c.inbox == inbox && c.last_message_at <= idle_before && self.movable(newcomer, c)
            })
            .min_by_key(|(id, c)| (c.last_message_at, *id))
            .map(|(id, _)| id)
    }

    /// The rebalance choice by walking donors from the most loaded (docs/engine.md#rebalance
    /// as written): the first with a movable idle chat gives its chat idle longest.
    fn candidate_by_donor_walk(
        &self,
        newcomer: AgentId,
        inbox: InboxId,
        idle_before: SimTime,
        my_load: u32,
    ) -> Option<(AgentId, ChatId)> {
        for &(Reverse(load), donor) in &self.derived.balance.donors {
            if load < my_load + 2 {
                break;
            }
            if donor == newcomer {
                continue;
            }
            if let Some(chat) = self.oldest_idle_chat(newcomer, donor, inbox, idle_before) {
                return Some((donor, chat));
            }
        }
        None
    }

    pub(crate) fn manual_assign(&mut self, id: ChatId, agent: AgentId) {
        let status = self.core.chats[&id].status;
        let freed = match self.detach(id) {
            Some(prev) => {
                self.emit(
                    Event::ChatUnassigned {
                        chat: id,
                        agent: prev,
                        reason: UnassignReason::Manual,
                    },
                    Recipients::one(Recipient::Agent(prev)),
                );
                status == ChatStatus::Assigned
            }
            None => false,
        };
        self.assign(id, agent, AssignReason::Manual);
        if freed {
            self.drain(None);
        }
    }

    pub(crate) fn unassign(&mut self, id: ChatId) {
        let prev = self.detach(id).expect("validated: the chat is assigned");
        self.emit(
            Event::ChatUnassigned {
                chat: id,
                agent: prev,
                reason: UnassignReason::Manual,
            },
            Recipients::one(Recipient::Agent(prev)),
        );
        let chat = self.core.chats.get_mut(&id).expect("validated");
        chat.status = ChatStatus::Queued;
        chat.excluded = Some(prev);
        chat.target_waiting = false;
        self.refresh_overflow(id);
        self.sync_chat(id);
        self.drain(Some(id));
        if self.core.chats[&id].status == ChatStatus::Queued {
            self.enqueue(id);
        }
    }

    pub(crate) fn takeover(&mut self, id: ChatId, admin: AgentId) {
        let from = self.detach(id);
        if let Some(prev) = from {
            self.emit(
                Event::ChatUnassigned {
                    chat: id,
                    agent: prev,
                    reason: UnassignReason::Takeover,
                },
                Recipients::one(Recipient::Agent(prev)),
            );
        }
        let chat = self.core.chats.get_mut(&id).expect("validated");
        chat.status = ChatStatus::TakenOver;
        chat.owner = Some(admin);
        chat.target_waiting = false;
        if chat.needs_human_at.is_none() {
            chat.needs_human_at = Some(self.core.now);
        }
        self.core.agents[admin.index()].taken_over.insert(id);
        self.sync_chat(id);
        // The admin who already held the chat is told once.
        let to = match from {
            Some(prev) if prev != admin => Recipients::two(Recipient::Agent(prev), Recipient::Agent(admin)),
            _ => Recipients::one(Recipient::Agent(admin)),
        };
        self.emit(
            Event::ChatTakenOver {
                chat: id,
                from,
                admin,
            },
            to,
        );
        if from.is_some() {
            self.drain(None);
        }
    }

    /// Closes a chat and forgets it; the caller drains.
    pub(crate) fn close(&mut self, id: ChatId, reason: CloseReason) {
        let owner = self.detach(id);
        self.unindex_chat(id);
        self.core.chats.remove(&id);
        let to = match owner {
            Some(a) => Recipients::two(Recipient::Agent(a), Recipient::AllAdmins),
            None => Recipients::one(Recipient::AllAdmins),
        };
        self.emit(Event::ChatClosed { chat: id, reason }, to);
    }

    pub(crate) fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::OfflineGrace(agent) => {
                self.core.agents[agent.index()].grace_deadline = None;
                self.core.agents[agent.index()].idx.grace = None;
                self.offline_handoff(agent);
            }
            Timer::Rebalance(agent) => {
                self.core.agents[agent.index()].rebalance_at = None;
                self.core.agents[agent.index()].idx.rebalance = None;
                self.rebalance_timer(agent);
            }
            Timer::MenuTimeout(chat) => {
                self.core
                    .chats
                    .get_mut(&chat)
                    .expect("timer of an open chat")
                    .idx
                    .timers[0] = None;
                // No choice in time: routable without a group.
                self.become_routable(chat);
            }
            Timer::TargetFallback(chat) => {
                let c = self.core.chats.get_mut(&chat).expect("timer of an open chat");
                c.idx.timers[1] = None;
                c.target_waiting = false;
                self.sync_chat(chat);
                self.drain(None);
            }
            Timer::GroupOverflow(chat) => {
                let c = self.core.chats.get_mut(&chat).expect("timer of an open chat");
                c.idx.timers[2] = None;
                c.overflowed = true;
                c.overflowed_at = Some(self.core.now);
                self.sync_chat(chat);
                // Overflow only widens who may take it; the wait is re-checked all the same
                // (docs/engine.md#targeted-chats).
                self.refresh_target_wait(chat);
                self.drain(None);
            }
            Timer::AutoClose(chat) => {
                self.core
                    .chats
                    .get_mut(&chat)
                    .expect("timer of an open chat")
                    .idx
                    .timers[3] = None;
                self.close(chat, CloseReason::AutoClosed);
                self.drain(None);
            }
        }
    }
}
