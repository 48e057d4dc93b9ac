//! A reference model of the assignment engine, driven in lockstep with the real one.
//!
//! [`Model`] is a deliberately naive, independent implementation of docs/engine.md: plain
//! vectors and maps, a linear scan over every agent and every chat for every decision,
//! nothing cached. Load, eligibility, queue order, positions, overflow and every timer
//! deadline are recomputed from the raw state each time they are needed; the only stored
//! deadlines are those the rules say are fixed when set (offline grace, rebalance, menu).
//! It never looks at how the engine is built, so a bug the engine and its own tests share
//! shows up here as a disagreement.
//!
//! The test builds random workspaces and random input sequences and feeds both the way the
//! simulator feeds the engine (docs/engine.md#time): before an input at `t`, a `Timeout` at
//! every deadline before `t`; after the last input of an instant, a `Timeout` at `t` if a
//! deadline is due. After every call it compares every output (time, event, recipients),
//! whether the input was refused (a refused input must leave the engine's serialized state
//! unchanged), every open chat, every agent, the settings and inboxes, and the next
//! deadline. A serde round trip of the engine at random points must change nothing. The
//! first mismatch fails with a diff, the input sequence shrunk to a minimal one that still
//! disagrees, and the history.
//!
//! The model also checks itself after every call: nothing left half-routed, and no queued
//! chat with an eligible agent (docs/engine.md#drains). Where the rules leave a choice
//! open, the model makes one and says so where it does (the engine must agree): chats of a
//! hand-off not yet routed are in no queue (positions); an unassigned chat's CHAT_QUEUED
//! follows its drain; a sync lists assigned and taken-over chats; a menu choice is a
//! message; a presence change to the same presence does nothing; an overflow deadline
//! exactly now has passed only if its timer fired; any pick with a cursor-moving reason
//! moves the round-robin cursor, whichever strategy made it.
//!
//! Reach counters fail the test when the run never hits an edge it exists to cover
//! (an exclusion blocking a pick, a target skipped at once, a target wait ended by the
//! target leaving, same-instant connects with rebalance moves, same-instant drops with
//! grace 0, a removal moving chats, snapshot restores, overflow, fallback, menu timeout,
//! auto-close), and any VIOLATION fails it.
//!
//! Environment:
//! - `CHATSIM_REF_STEPS`: random inputs in total (default 300 000, what CI runs: a few
//!   seconds with the test profile);
//! - `CHATSIM_REF_SEED`: seed of the case generator (default fixed, so runs repeat);
//! - `CHATSIM_REF_COLLECT=1`: go on after a disagreeing case and list every distinct first
//!   disagreement (shrunk) at the end, for triage; the test still fails.

use chatsim::engine::{
    AgentConfig, AgentId, AssignReason, Capacity, CapacityCounts, Chat, ChatId, ChatStatus, CloseReason,
    EligibleAgents, Engine, EngineConfig, Event, GroupId, InboxConfig, InboxId, Input, Move,
    NotifyAssignment, Output, Presence, Recipient, Recipients, Role, RotationOrder, Settings, SimDuration,
    SimTime, StrategyKind, UnassignReason,
};
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------

/// A chat's status in the model. `Limbo` is the moment between leaving an agent and being
/// routed again (docs/engine.md#reassignment): not yet in any queue, so it does not count
/// in another chat's position. It never survives a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Menu,
    Queued,
    Assigned,
    TakenOver,
    Limbo,
}

#[derive(Clone, Debug)]
struct MAgent {
    name: String,
    role: Role,
    groups: BTreeSet<GroupId>,
    auto_assign: bool,
    capacity: Option<Capacity>,
    presence: Presence,
    /// Rotation key under `online-since` (docs/engine.md#round-robin).
    online_key: u64,
    /// Global assignment number of the last assignment (0 = never).
    last_assigned: u64,
    removed: bool,
    /// Pending offline grace deadline (docs/engine.md#grace-period).
    grace: Option<SimTime>,
    /// When the agent last went offline (reach counters only).
    offline_at: Option<SimTime>,
    /// Pending rebalance timer (docs/engine.md#rebalance).
    rebalance: Option<SimTime>,
}

#[derive(Clone, Debug)]
struct MChat {
    inbox: InboxId,
    group: Option<GroupId>,
    target: Option<AgentId>,
    st: St,
    owner: Option<AgentId>,
    /// Assignment number of the current assignment.
    seq: u64,
    /// Whether the current assignment counts as automatic.
    auto: bool,
    assigned_at: SimTime,
    /// When `ChatArrived` was handled: the queue order (docs/engine.md#queue-order).
    received: SimTime,
    needs_human_at: Option<SimTime>,
    last_message_at: SimTime,
    menu_deadline: Option<SimTime>,
    /// While queued: its overflow timer has fired, or it was queued past its deadline.
    overflowed: bool,
    /// The deadline its overflow timer last fired at: that deadline is passed for good,
    /// even at its own instant (docs/engine.md#group-overflow).
    overflow_fired: Option<SimTime>,
    /// Queued for its target alone (docs/engine.md#targeted-chats).
    waiting: bool,
    /// Agent excluded by an unassign (docs/engine.md#manual-actions).
    excluded: Option<AgentId>,
}

/// Timer kinds in their same-instant firing order (docs/engine.md#time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    AutoClose,
    Grace,
    Rebalance,
    Menu,
    Overflow,
    Fallback,
}

/// Edges the random run must reach (see the module documentation).
#[derive(Clone, Debug, Default)]
struct Reach {
    exclusion_blocked_pick: u64,
    exclusion_left_queued: u64,
    target_assigned: u64,
    target_wait_started: u64,
    target_skipped_not_live: u64,
    target_wait_ended_presence: u64,
    target_fallback: u64,
    multi_connect_rebalance: u64,
    rebalance_moves: u64,
    grace0_multi_drop: u64,
    offline_handoffs: u64,
    removal_moved_chats: u64,
    restores: u64,
    group_overflow: u64,
    menu_timeout: u64,
    auto_close: u64,
    self_claims: u64,
    refused: u64,
    time_backwards: u64,
    reroutes: u64,
    handoff_older_sibling_unrouted: u64,
    unassign_queued_after_newer_drained: u64,
    sync_lists_taken_over: u64,
    past_deadline_fired_by_input: u64,
}

impl Reach {
    fn add(&mut self, o: &Self) {
        macro_rules! sum {
            ($($f:ident),*) => {$( self.$f += o.$f; )*};
        }
        sum!(
            exclusion_blocked_pick,
            exclusion_left_queued,
            target_assigned,
            target_wait_started,
            target_skipped_not_live,
            target_wait_ended_presence,
            target_fallback,
            multi_connect_rebalance,
            rebalance_moves,
            grace0_multi_drop,
            offline_handoffs,
            removal_moved_chats,
            restores,
            group_overflow,
            menu_timeout,
            auto_close,
            self_claims,
            refused,
            time_backwards,
            reroutes,
            handoff_older_sibling_unrouted,
            unassign_queued_after_newer_drained,
            sync_lists_taken_over,
            past_deadline_fired_by_input
        );
    }

    fn rows(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("unassign exclusion blocked a pick", self.exclusion_blocked_pick),
            ("exclusion left a chat queued", self.exclusion_left_queued),
            ("target assigned", self.target_assigned),
            ("target wait started", self.target_wait_started),
            ("target skipped at once (not live)", self.target_skipped_not_live),
            (
                "target wait ended by target away/offline",
                self.target_wait_ended_presence,
            ),
            ("target fallback fired", self.target_fallback),
            (
                "same-instant multi-connect with rebalance moves",
                self.multi_connect_rebalance,
            ),
            ("rebalance moves", self.rebalance_moves),
            ("grace-0 multi-drop moving chats", self.grace0_multi_drop),
            ("offline hand-offs", self.offline_handoffs),
            ("RemoveAgent moving chats", self.removal_moved_chats),
            ("snapshot restores", self.restores),
            ("group overflow fired", self.group_overflow),
            ("menu timeout fired", self.menu_timeout),
            ("auto-close fired", self.auto_close),
            ("self-claims", self.self_claims),
            ("refused inputs", self.refused),
            ("time going backwards refused", self.time_backwards),
            ("reroutes", self.reroutes),
            (
                "hand-off queued a chat before an older sibling was routed",
                self.handoff_older_sibling_unrouted,
            ),
            (
                "unassign re-queued after its drain gave a newer chat",
                self.unassign_queued_after_newer_drained,
            ),
            (
                "connect sync listing a taken-over chat",
                self.sync_lists_taken_over,
            ),
            (
                "input put a deadline in the past (fired in the call)",
                self.past_deadline_fired_by_input,
            ),
        ]
    }
}

/// The naive engine of docs/engine.md.
#[derive(Clone, Debug)]
struct Model {
    settings: Settings,
    n_groups: u32,
    inboxes: Vec<InboxConfig>,
    agents: Vec<MAgent>,
    chats: BTreeMap<ChatId, MChat>,
    /// Round-robin cursors: rotation key of the last turn and who had it, per (inbox,
    /// routing group).
    cursors: BTreeMap<(InboxId, Option<GroupId>), (u64, AgentId)>,
    rng: Pcg64Mcg,
    seq: u64,
    online_seq: u64,
    now: SimTime,
    out: Vec<Output>,
    /// Assignments by reason, in `AssignReason::ALL` order (the engine's counters).
    assigned_by_reason: [u64; 8],
    reach: Reach,
    /// Per-instant tallies for the reach counters.
    instant: SimTime,
    rebalanced_at_instant: u32,
    rebalance_moves_at_instant: u32,
    grace0_drops_at_instant: u32,
}

/// The random strategy's draw (docs/engine.md#random): Lemire's multiply-shift with
/// rejection on `next_u64`, one draw per pick.
fn uniform_below(rng: &mut Pcg64Mcg, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let p = u128::from(rng.next_u64()) * u128::from(n);
        if (p as u64) >= threshold {
            return (p >> 64) as u64;
        }
    }
}

fn capacity_valid(c: Capacity) -> bool {
    match c {
        Capacity::Unlimited => true,
        Capacity::Limited(k) => (1..=100).contains(&k),
    }
}

/// The ranges of docs/engine.md#configuration, written out again.
fn settings_valid(s: &Settings) -> bool {
    let within = |d: SimDuration, lo: SimDuration, hi: SimDuration| lo <= d && d <= hi;
    capacity_valid(s.max_chats_per_agent)
        && within(s.offline_grace, SimDuration::ZERO, SimDuration::from_hours(24))
        && match s.rebalance_idle_threshold {
            Some(t) => within(t, SimDuration::from_mins(1), SimDuration::from_hours(24)),
            None => !s.rebalance_on_online,
        }
        && s.auto_close_after
            .is_none_or(|t| within(t, SimDuration::from_mins(30), SimDuration::from_mins(43_200)))
        && s.menu_timeout
            .is_none_or(|t| within(t, SimDuration::from_secs(10), SimDuration::from_hours(1)))
}

fn agent_recipient(a: AgentId) -> Recipient {
    Recipient::Agent(a)
}

impl Model {
    fn new(config: &EngineConfig) -> Self {
        let agents = config
            .agents
            .iter()
            .enumerate()
            .map(|(i, a)| MAgent {
                name: a.name.clone(),
                role: a.role,
                groups: a.groups.iter().copied().collect(),
                auto_assign: a.auto_assign,
                capacity: a.capacity,
                presence: a.presence,
                online_key: i as u64 + 1,
                last_assigned: 0,
                removed: false,
                grace: None,
                offline_at: None,
                rebalance: None,
            })
            .collect();
        Self {
            settings: config.settings.clone(),
            n_groups: config.groups.len() as u32,
            inboxes: config.inboxes.clone(),
            agents,
            chats: BTreeMap::new(),
            cursors: BTreeMap::new(),
            rng: Pcg64Mcg::seed_from_u64(config.rng_seed),
            seq: 0,
            online_seq: config.agents.len() as u64,
            now: SimTime::ZERO,
            out: Vec::new(),
            assigned_by_reason: [0; 8],
            reach: Reach::default(),
            instant: SimTime::ZERO,
            rebalanced_at_instant: 0,
            rebalance_moves_at_instant: 0,
            grace0_drops_at_instant: 0,
        }
    }

    // ---- derived quantities, recomputed from the raw state every time ----

    fn ids(&self) -> impl Iterator<Item = AgentId> + use<> {
        (0..self.agents.len() as u32).map(AgentId)
    }

    fn live_agent(&self, a: AgentId) -> bool {
        self.agents.get(a.index()).is_some_and(|x| !x.removed)
    }

    /// docs/engine.md#load
    fn load(&self, a: AgentId) -> u32 {
        let auto_only = self.settings.capacity_counts == CapacityCounts::Auto;
        self.chats
            .values()
            .filter(|c| c.st == St::Assigned && c.owner == Some(a) && (!auto_only || c.auto))
            .count() as u32
    }

    /// Open chats held, for least-busy (docs/engine.md#least-busy).
    fn held(&self, a: AgentId) -> u32 {
        self.chats
            .values()
            .filter(|c| c.st == St::Assigned && c.owner == Some(a))
            .count() as u32
    }

    fn capacity(&self, a: AgentId) -> Capacity {
        let x = &self.agents[a.index()];
        if x.role == Role::Admin {
            Capacity::Unlimited
        } else {
            x.capacity.unwrap_or(self.settings.max_chats_per_agent)
        }
    }

    fn inbox_auto(&self, inbox: InboxId) -> bool {
        self.settings.enabled && self.inboxes[inbox.index()].strategy != StrategyKind::Manual
    }

    fn admitted(&self, inbox: InboxId, a: AgentId) -> bool {
        self.live_agent(a)
            && match &self.inboxes[inbox.index()].eligible {
                EligibleAgents::Everyone => true,
                EligibleAgents::Pinned(list) => list.contains(&a),
            }
    }

    /// The chat's routing group (docs/engine.md#strategies), from its queued-overflow flag.
    fn routing_group(&self, c: &MChat) -> Option<GroupId> {
        if self.settings.group_routing && !c.overflowed {
            c.group
        } else {
            None
        }
    }

    fn overflow_deadline(&self, c: &MChat) -> Option<SimTime> {
        Some(c.needs_human_at? + self.settings.group_overflow_after?)
    }

    /// Whether a queued chat's overflow time has passed (docs/engine.md#group-overflow,
    /// docs/engine.md#same-instant-order): its deadline is before now, or its timer already fired
    /// at that very deadline. A deadline exactly now whose timer has not fired is still
    /// ahead: inputs at an instant come before its timers.
    fn overflow_passed(&self, c: &MChat) -> bool {
        self.overflow_deadline(c)
            .is_some_and(|d| d < self.now || c.overflow_fired == Some(d))
    }

    /// Every condition of docs/engine.md#eligibility but capacity, exclusion and the
    /// target wait: what docs/engine.md#targeted-chats calls a live target.
    fn live_for(&self, a: AgentId, c: &MChat) -> bool {
        let Some(x) = self.agents.get(a.index()) else {
            return false;
        };
        !x.removed
            && x.role == Role::Agent
            && x.auto_assign
            && x.presence == Presence::Available
            && self.inbox_auto(c.inbox)
            && self.admitted(c.inbox, a)
            && self.routing_group(c).is_none_or(|g| x.groups.contains(&g))
    }

    /// docs/engine.md#eligibility
    fn eligible_for(&self, a: AgentId, c: &MChat, ignore_exclusion: bool) -> bool {
        self.live_for(a, c)
            && self.capacity(a).admits(self.load(a))
            && (ignore_exclusion || c.excluded != Some(a))
            && (!c.waiting || c.target == Some(a))
    }

    fn rotation_key(&self, a: AgentId) -> u64 {
        match self.settings.rotation_order {
            RotationOrder::OnlineSince => self.agents[a.index()].online_key,
            RotationOrder::Roster => u64::from(a.0),
        }
    }

    /// Queued chats in drain order (docs/engine.md#queue-order).
    fn queue_order(&self) -> Vec<ChatId> {
        let mut v: Vec<(SimTime, ChatId)> = self
            .chats
            .iter()
            .filter(|(_, c)| c.st == St::Queued)
            .map(|(&id, c)| (c.received, id))
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    }

    /// 1-based rank in the chat's (inbox, routing group) queue.
    fn position(&self, id: ChatId) -> Option<u32> {
        let c = self.chats.get(&id)?;
        if c.st != St::Queued {
            return None;
        }
        let key = (c.inbox, self.routing_group(c));
        let n = self
            .chats
            .iter()
            .filter(|&(&oid, o)| {
                o.st == St::Queued
                    && (o.inbox, self.routing_group(o)) == key
                    && (o.received, oid) <= (c.received, id)
            })
            .count();
        Some(n as u32)
    }

    /// The earliest pending timer: (deadline, kind, id), by scanning everything.
    fn next_timer(&self) -> Option<(SimTime, Kind, u64)> {
        let mut best: Option<(SimTime, Kind, u64)> = None;
        let mut consider = |t: (SimTime, Kind, u64)| {
            if best.is_none_or(|b| t < b) {
                best = Some(t);
            }
        };
        let s = &self.settings;
        for (&id, c) in &self.chats {
            if let Some(after) = s.auto_close_after
                && matches!(c.st, St::Queued | St::Assigned | St::TakenOver)
            {
                consider((c.last_message_at + after, Kind::AutoClose, id.0));
            }
            if c.st == St::Menu
                && let Some(d) = c.menu_deadline
            {
                consider((d, Kind::Menu, id.0));
            }
            if c.st == St::Queued
                && s.group_routing
                && c.group.is_some()
                && !c.overflowed
                && let Some(d) = self.overflow_deadline(c)
            {
                consider((d, Kind::Overflow, id.0));
            }
            if c.st == St::Queued
                && c.waiting
                && let Some(nha) = c.needs_human_at
            {
                consider((nha + s.target_fallback_after, Kind::Fallback, id.0));
            }
        }
        for (i, a) in self.agents.iter().enumerate() {
            if let Some(d) = a.grace {
                consider((d, Kind::Grace, i as u64));
            }
            if let Some(d) = a.rebalance {
                consider((d, Kind::Rebalance, i as u64));
            }
        }
        best
    }

    fn next_deadline(&self) -> Option<SimTime> {
        self.next_timer().map(|(t, _, _)| t)
    }

    /// Self-check of docs/engine.md#drains: after a call no queued chat has an eligible
    /// agent. A failure is a bug in the model (or a contradiction in the rules).
    fn self_check(&self) -> Result<(), String> {
        for (&id, c) in &self.chats {
            if c.st == St::Limbo {
                return Err(format!("chat {} left in limbo", id.0));
            }
            if c.st == St::Queued
                && self.inbox_auto(c.inbox)
                && let Some(a) = self.ids().find(|&a| self.eligible_for(a, c, false))
            {
                return Err(format!("queued chat {} has eligible agent {}", id.0, a.0));
            }
        }
        Ok(())
    }

    // ---- outputs ----

    fn emit(&mut self, event: Event, to: Recipients) {
        self.out.push(Output {
            at: self.now,
            event,
            to,
        });
    }

    // ---- the call ----

    /// Whether `input` is refused (docs/engine.md#refused-inputs), judged on the state.
    fn check(&self, input: &Input) -> Result<(), &'static str> {
        let agent = |a: AgentId| {
            if self.live_agent(a) {
                Ok(())
            } else {
                Err("unknown agent")
            }
        };
        let chat = |c: ChatId| self.chats.get(&c).ok_or("unknown chat");
        let group = |g: GroupId| {
            if g.0 < self.n_groups {
                Ok(())
            } else {
                Err("unknown group")
            }
        };
        let inbox = |i: InboxId| {
            if i.index() < self.inboxes.len() {
                Ok(())
            } else {
                Err("unknown inbox")
            }
        };
        let capacity = |c: Capacity| {
            if capacity_valid(c) {
                Ok(())
            } else {
                Err("capacity")
            }
        };
        match input {
            Input::ChatArrived {
                chat: c,
                inbox: i,
                group: g,
                target: _,
            } => {
                if self.chats.contains_key(c) {
                    return Err("duplicate chat");
                }
                inbox(*i)?;
                g.map_or(Ok(()), group)
            }
            Input::MenuChoice { chat: c, group: g } => {
                chat(*c)?;
                group(*g)
            }
            Input::CustomerMessage { chat: c } => chat(*c).map(|_| ()),
            Input::AgentMessage { chat: c, agent: a } => {
                chat(*c)?;
                agent(*a)
            }
            Input::SetPresence { agent: a, .. } | Input::SetAutoAssign { agent: a, .. } => agent(*a),
            Input::SetAgentCapacity {
                agent: a,
                capacity: c,
            } => {
                agent(*a)?;
                c.map_or(Ok(()), capacity)
            }
            Input::Configure(s) => {
                if settings_valid(s) {
                    Ok(())
                } else {
                    Err("settings")
                }
            }
            Input::SetStrategy { inbox: i, .. } => inbox(*i),
            Input::Assign { chat: c, agent: a } => {
                agent(*a)?;
                let ch = chat(*c)?;
                if ch.st == St::Assigned && ch.owner == Some(*a) {
                    return Err("already assigned");
                }
                Ok(())
            }
            Input::Claim { chat: c, agent: a } => {
                agent(*a)?;
                if chat(*c)?.st != St::Queued {
                    return Err("status");
                }
                Ok(())
            }
            Input::Unassign { chat: c } => {
                if chat(*c)?.st != St::Assigned {
                    return Err("status");
                }
                Ok(())
            }
            Input::Takeover { chat: c, admin } => {
                agent(*admin)?;
                if self.agents[admin.index()].role != Role::Admin {
                    return Err("not admin");
                }
                if !matches!(chat(*c)?.st, St::Assigned | St::Queued) {
                    return Err("status");
                }
                Ok(())
            }
            Input::Close { chat: c, reason } => {
                chat(*c)?;
                if *reason == CloseReason::AutoClosed {
                    return Err("reserved reason");
                }
                Ok(())
            }
            Input::AddAgent(cfg) => {
                for &g in &cfg.groups {
                    group(g)?;
                }
                cfg.capacity.map_or(Ok(()), capacity)?;
                if self.agents.iter().any(|a| !a.removed && a.name == cfg.name) {
                    return Err("duplicate name");
                }
                Ok(())
            }
            Input::RemoveAgent { agent: a } => agent(*a),
            Input::SetAgentRole { agent: a, role } => {
                agent(*a)?;
                // `Input::SetAgentRole`: an admin holding taken-over chats stays an admin.
                let holds = self
                    .chats
                    .values()
                    .any(|c| c.st == St::TakenOver && c.owner == Some(*a));
                if *role == Role::Agent && holds {
                    return Err("holds taken-over chats");
                }
                Ok(())
            }
            Input::SetAgentGroups { agent: a, groups } => {
                agent(*a)?;
                groups.iter().try_for_each(|&g| group(g))
            }
            Input::SetInboxAgents { inbox: i, eligible } => {
                inbox(*i)?;
                match eligible {
                    EligibleAgents::Everyone => Ok(()),
                    EligibleAgents::Pinned(list) => list.iter().try_for_each(|&a| agent(a)),
                }
            }
            Input::Timeout => Ok(()),
        }
    }

    /// One call, as `Engine::handle` then draining its outputs (docs/engine.md#time).
    fn handle(&mut self, now: SimTime, input: &Input) -> (Vec<Output>, bool) {
        self.out.clear();
        if now < self.now {
            self.reach.refused += 1;
            self.reach.time_backwards += 1;
            return (Vec::new(), false);
        }
        if *input == Input::Timeout {
            self.fire_timers(now, true);
            self.now = now;
            return (std::mem::take(&mut self.out), true);
        }
        self.fire_timers(now, false);
        if self.check(input).is_err() {
            self.reach.refused += 1;
            return (std::mem::take(&mut self.out), false);
        }
        self.now = now;
        self.apply(input.clone());
        // A configuration change may put a deadline in the past: it fires now.
        if self.next_deadline().is_some_and(|d| d < now) {
            self.reach.past_deadline_fired_by_input += 1;
        }
        self.fire_timers(now, false);
        (std::mem::take(&mut self.out), true)
    }

    fn fire_timers(&mut self, limit: SimTime, inclusive: bool) {
        while let Some((d, kind, id)) = self.next_timer() {
            if d > limit || (!inclusive && d == limit) {
                break;
            }
            self.now = self.now.max(d);
            if self.now != self.instant {
                self.instant = self.now;
                self.rebalanced_at_instant = 0;
                self.rebalance_moves_at_instant = 0;
                self.grace0_drops_at_instant = 0;
            }
            self.fire(kind, id);
        }
    }

    fn fire(&mut self, kind: Kind, id: u64) {
        match kind {
            Kind::AutoClose => {
                self.reach.auto_close += 1;
                self.close(ChatId(id), CloseReason::AutoClosed);
                self.drain(None);
            }
            Kind::Grace => self.grace_expired(AgentId(id as u32)),
            Kind::Rebalance => self.rebalance(AgentId(id as u32)),
            Kind::Menu => {
                self.reach.menu_timeout += 1;
                self.become_routable(ChatId(id));
            }
            Kind::Overflow => {
                self.reach.group_overflow += 1;
                let now = self.now;
                let c = self.chat_mut(ChatId(id));
                c.overflowed = true;
                c.overflow_fired = Some(now);
                self.drain(None);
            }
            Kind::Fallback => {
                self.reach.target_fallback += 1;
                self.chat_mut(ChatId(id)).waiting = false;
                self.drain(None);
            }
        }
    }

    fn chat_mut(&mut self, id: ChatId) -> &mut MChat {
        self.chats.get_mut(&id).expect("model: chat exists")
    }

    fn apply(&mut self, input: Input) {
        let now = self.now;
        match input {
            Input::ChatArrived {
                chat,
                inbox,
                group,
                target,
            } => {
                self.chats.insert(
                    chat,
                    MChat {
                        inbox,
                        group,
                        target,
                        st: St::Limbo,
                        owner: None,
                        seq: 0,
                        auto: false,
                        assigned_at: now,
                        received: now,
                        needs_human_at: None,
                        last_message_at: now,
                        menu_deadline: None,
                        overflowed: false,
                        overflow_fired: None,
                        waiting: false,
                        excluded: None,
                    },
                );
                match self.settings.menu_timeout {
                    // docs/engine.md#auto-menu-and-groups
                    Some(timeout) if group.is_none() => {
                        let c = self.chat_mut(chat);
                        c.st = St::Menu;
                        c.menu_deadline = Some(now + timeout);
                    }
                    _ => self.become_routable(chat),
                }
            }
            Input::MenuChoice { chat, group } => {
                let c = self.chat_mut(chat);
                c.last_message_at = now;
                if c.st == St::Menu {
                    c.group = Some(group);
                    self.become_routable(chat);
                }
            }
            Input::CustomerMessage { chat } => self.chat_mut(chat).last_message_at = now,
            Input::AgentMessage { chat, agent } => {
                let c = self.chat_mut(chat);
                c.last_message_at = now;
                if c.st == St::Queued {
                    // docs/engine.md#manual-actions: self-claim
                    self.reach.self_claims += 1;
                    self.assign(chat, agent, AssignReason::SelfClaim);
                }
            }
            Input::SetPresence { agent, presence } => self.set_presence(agent, presence),
            Input::SetAutoAssign { agent, auto_assign } => {
                self.agents[agent.index()].auto_assign = auto_assign;
                self.drain(None);
            }
            Input::SetAgentCapacity { agent, capacity } => {
                self.agents[agent.index()].capacity = capacity;
                self.drain(None);
            }
            Input::Configure(settings) => self.configure(settings),
            Input::SetStrategy { inbox, strategy } => {
                self.inboxes[inbox.index()].strategy = strategy;
                self.drain(None);
            }
            Input::Assign { chat, agent } => {
                let c = &self.chats[&chat];
                if matches!(c.st, St::Assigned | St::TakenOver)
                    && let Some(prev) = c.owner
                {
                    self.emit(
                        Event::ChatUnassigned {
                            chat,
                            agent: prev,
                            reason: UnassignReason::Manual,
                        },
                        Recipients::one(agent_recipient(prev)),
                    );
                }
                self.assign(chat, agent, AssignReason::Manual);
                self.drain(None);
            }
            Input::Claim { chat, agent } => {
                self.assign(chat, agent, AssignReason::Manual);
                self.drain(None);
            }
            Input::Unassign { chat } => self.unassign(chat),
            Input::Takeover { chat, admin } => {
                let c = &self.chats[&chat];
                let from = if c.st == St::Assigned { c.owner } else { None };
                if let Some(prev) = from {
                    self.emit(
                        Event::ChatUnassigned {
                            chat,
                            agent: prev,
                            reason: UnassignReason::Takeover,
                        },
                        Recipients::one(agent_recipient(prev)),
                    );
                }
                let c = self.chat_mut(chat);
                c.st = St::TakenOver;
                c.owner = Some(admin);
                c.waiting = false;
                let to = match from {
                    Some(prev) if prev != admin => {
                        Recipients::two(agent_recipient(prev), agent_recipient(admin))
                    }
                    _ => Recipients::one(agent_recipient(admin)),
                };
                self.emit(Event::ChatTakenOver { chat, from, admin }, to);
                self.drain(None);
            }
            Input::Close { chat, reason } => {
                self.close(chat, reason);
                self.drain(None);
            }
            Input::AddAgent(cfg) => {
                // docs/engine.md#roster-changes-and-snapshots
                self.online_seq += 1;
                let rebalance =
                    (cfg.presence == Presence::Available && self.settings.rebalance_on_online).then_some(now);
                self.agents.push(MAgent {
                    name: cfg.name,
                    role: cfg.role,
                    groups: cfg.groups.into_iter().collect(),
                    auto_assign: cfg.auto_assign,
                    capacity: cfg.capacity,
                    presence: cfg.presence,
                    online_key: self.online_seq,
                    last_assigned: 0,
                    removed: false,
                    grace: None,
                    offline_at: None,
                    rebalance,
                });
                self.drain(None);
            }
            Input::RemoveAgent { agent } => self.remove_agent(agent),
            Input::SetAgentGroups { agent, groups } => {
                self.agents[agent.index()].groups = groups.into_iter().collect();
                self.drain(None);
            }
            Input::SetAgentRole { agent, role } => {
                self.agents[agent.index()].role = role;
                self.drain(None);
            }
            Input::SetInboxAgents { inbox, eligible } => {
                self.inboxes[inbox.index()].eligible = eligible;
                self.drain(None);
            }
            Input::Timeout => {}
        }
    }

    // ---- building blocks ----

    fn assign(&mut self, id: ChatId, a: AgentId, reason: AssignReason) {
        self.seq += 1;
        let (seq, now) = (self.seq, self.now);
        let c = self.chat_mut(id);
        c.st = St::Assigned;
        c.owner = Some(a);
        c.seq = seq;
        c.auto = reason.is_auto();
        c.assigned_at = now;
        c.excluded = None;
        c.waiting = false;
        c.menu_deadline = None;
        self.agents[a.index()].last_assigned = seq;
        let k = AssignReason::ALL
            .iter()
            .position(|&r| r == reason)
            .expect("every reason");
        self.assigned_by_reason[k] += 1;
        match reason {
            AssignReason::Target => self.reach.target_assigned += 1,
            AssignReason::Reroute => self.reach.reroutes += 1,
            _ => {}
        }
        let to = match self.settings.notify_assignment {
            NotifyAssignment::AssigneeAndAdmins => Recipients::two(agent_recipient(a), Recipient::AllAdmins),
            NotifyAssignment::Assignee => Recipients::one(agent_recipient(a)),
        };
        self.emit(
            Event::ChatAssigned {
                chat: id,
                agent: a,
                reason,
            },
            to,
        );
    }

    fn enqueue(&mut self, id: ChatId) {
        let c = self.chat_mut(id);
        c.st = St::Queued;
        c.owner = None;
        let position = self.position(id).expect("queued");
        self.emit(
            Event::ChatQueued { chat: id, position },
            Recipients::one(Recipient::AllAdmins),
        );
    }

    /// The strategy's pick among the eligible agents (docs/engine.md#strategies), moving
    /// the round-robin cursor for the reasons that move it.
    fn pick(&mut self, id: ChatId, reason: AssignReason) -> Option<AgentId> {
        let c = self.chats[&id].clone();
        if !self.inbox_auto(c.inbox) {
            return None;
        }
        let eligible: Vec<AgentId> = self.ids().filter(|&a| self.eligible_for(a, &c, false)).collect();
        if let Some(x) = c.excluded
            && self.eligible_for(x, &c, true)
        {
            self.reach.exclusion_blocked_pick += 1;
            if eligible.is_empty() {
                self.reach.exclusion_left_queued += 1;
            }
        }
        if eligible.is_empty() {
            return None;
        }
        let picked = match self.inboxes[c.inbox.index()].strategy {
            StrategyKind::RoundRobin => {
                let mut keyed: Vec<(u64, AgentId)> =
                    eligible.iter().map(|&a| (self.rotation_key(a), a)).collect();
                keyed.sort();
                let cursor = self.cursors.get(&(c.inbox, self.routing_group(&c))).copied();
                // The first agent after the cursor's place, wrapping round.
                let start = cursor
                    .and_then(|(k, _)| keyed.iter().position(|(key, _)| *key > k))
                    .unwrap_or(0);
                let first = keyed[start].1;
                // Whoever had the last turn waits for the others (it can only be first again
                // by re-entering the rotation right after the cursor).
                if cursor.is_some_and(|(_, last)| last == first) && keyed.len() > 1 {
                    keyed[(start + 1) % keyed.len()].1
                } else {
                    first
                }
            }
            StrategyKind::LeastBusy => *eligible
                .iter()
                .min_by_key(|&&a| (self.held(a), self.agents[a.index()].last_assigned, a))
                .expect("non-empty"),
            StrategyKind::Random => eligible[uniform_below(&mut self.rng, eligible.len() as u64) as usize],
            StrategyKind::Manual => unreachable!("manual inboxes never pick"),
        };
        // The cursor follows the reason, whichever strategy picked (docs/engine.md#assignment-reasons).
        if reason.advances_cursor() {
            let key = self.rotation_key(picked);
            self.cursors
                .insert((c.inbox, self.routing_group(&c)), (key, picked));
        }
        Some(picked)
    }

    /// Routes a chat that is in limbo: the strategy's pick, or the queue.
    fn route(&mut self, id: ChatId, reason: AssignReason) -> Option<AgentId> {
        match self.pick(id, reason) {
            Some(a) => {
                self.assign(id, a, reason);
                Some(a)
            }
            None => {
                self.enqueue(id);
                None
            }
        }
    }

    /// The chat becomes routable: arrival without menu, menu choice or timeout, menu off
    /// (docs/engine.md#targeted-chats decides the target phase).
    fn become_routable(&mut self, id: ChatId) {
        let now = self.now;
        let c = self.chat_mut(id);
        c.needs_human_at = Some(now);
        c.menu_deadline = None;
        c.st = St::Limbo;
        c.overflowed = false;
        c.waiting = false;
        let c = c.clone();
        if self.inbox_auto(c.inbox)
            && let Some(t) = c.target
        {
            if self.eligible_for(t, &c, false) {
                self.assign(id, t, AssignReason::Target);
                return;
            }
            if self.live_for(t, &c) {
                if now < now + self.settings.target_fallback_after {
                    self.reach.target_wait_started += 1;
                    self.chat_mut(id).waiting = true;
                    self.enqueue(id);
                    return;
                }
            } else {
                self.reach.target_skipped_not_live += 1;
            }
        }
        self.route(id, AssignReason::Auto);
    }

    /// A chat leaves its agent without being routed yet (docs/engine.md#queue-order keeps its place).
    fn unroute(&mut self, id: ChatId) {
        let passed = self.overflow_passed(&self.chats[&id]);
        let c = self.chat_mut(id);
        c.st = St::Limbo;
        c.owner = None;
        c.waiting = false;
        c.overflowed = passed;
    }

    /// Ends the wait of every chat whose target is no longer live (docs/engine.md#targeted-chats).
    fn end_dead_waits(&mut self) {
        let waiting: Vec<ChatId> = self
            .chats
            .iter()
            .filter(|(_, c)| c.st == St::Queued && c.waiting)
            .map(|(&id, _)| id)
            .collect();
        for id in waiting {
            let c = &self.chats[&id];
            let t = c.target.expect("a waiting chat has a target");
            if !self.live_for(t, c) {
                if self
                    .agents
                    .get(t.index())
                    .is_some_and(|x| !x.removed && x.presence != Presence::Available)
                {
                    self.reach.target_wait_ended_presence += 1;
                }
                self.chat_mut(id).waiting = false;
            }
        }
    }

    /// docs/engine.md#drains
    fn drain(&mut self, reroute: Option<ChatId>) {
        self.end_dead_waits();
        for id in self.queue_order() {
            let c = self.chats[&id].clone();
            if c.st != St::Queued || !self.inbox_auto(c.inbox) {
                continue;
            }
            if c.waiting {
                let t = c.target.expect("a waiting chat has a target");
                if self.eligible_for(t, &c, false) {
                    self.assign(id, t, AssignReason::Target);
                }
                continue;
            }
            let reason = if reroute == Some(id) {
                AssignReason::Reroute
            } else {
                AssignReason::Drain
            };
            if let Some(a) = self.pick(id, reason) {
                self.assign(id, a, reason);
            }
        }
    }

    fn close(&mut self, id: ChatId, reason: CloseReason) {
        let c = self.chats.remove(&id).expect("model: chat exists");
        let to = match c.owner {
            Some(o) => Recipients::two(agent_recipient(o), Recipient::AllAdmins),
            None => Recipients::one(Recipient::AllAdmins),
        };
        self.emit(Event::ChatClosed { chat: id, reason }, to);
    }

    /// docs/engine.md#manual-actions: unassign
    fn unassign(&mut self, id: ChatId) {
        let prev = self.chats[&id].owner.expect("assigned");
        self.emit(
            Event::ChatUnassigned {
                chat: id,
                agent: prev,
                reason: UnassignReason::Manual,
            },
            Recipients::one(agent_recipient(prev)),
        );
        self.unroute(id);
        let c = self.chat_mut(id);
        c.excluded = Some(prev);
        c.st = St::Queued;
        let before = self.out.len();
        self.drain(Some(id));
        if self.chats[&id].st == St::Queued {
            let received = self.chats[&id].received;
            if self.out[before..].iter().any(|o| {
                matches!(o.event, Event::ChatAssigned { chat, .. }
                    if self.chats.get(&chat).is_some_and(|c| c.received > received))
            }) {
                self.reach.unassign_queued_after_newer_drained += 1;
            }
            let position = self.position(id).expect("queued");
            self.emit(
                Event::ChatQueued { chat: id, position },
                Recipients::one(Recipient::AllAdmins),
            );
        }
    }

    /// Moves chats away from an agent and routes each (docs/engine.md#reassignment).
    fn hand_off(&mut self, from: AgentId, chats: &[ChatId], reason: UnassignReason) {
        for &id in chats {
            self.emit(
                Event::ChatUnassigned {
                    chat: id,
                    agent: from,
                    reason,
                },
                Recipients::one(agent_recipient(from)),
            );
        }
        for &id in chats {
            self.unroute(id);
        }
        let mut moves = Vec::new();
        for &id in chats {
            let c = &self.chats[&id];
            let key = (c.inbox, self.routing_group(c), c.received, id);
            let older_unrouted = self.chats.iter().any(|(&o, oc)| {
                oc.st == St::Limbo
                    && o != id
                    && (oc.inbox, self.routing_group(oc)) == (key.0, key.1)
                    && (oc.received, o) < (key.2, key.3)
            });
            let to = self.route(id, AssignReason::Reassign);
            if to.is_none() && older_unrouted {
                self.reach.handoff_older_sibling_unrouted += 1;
            }
            moves.push(Move { chat: id, to });
        }
        self.emit(
            Event::AgentChatsReassigned { agent: from, moves },
            Recipients::one(Recipient::AllAgentsAndAdmins),
        );
    }

    fn assigned_chats_of(&self, a: AgentId) -> Vec<ChatId> {
        let mut v: Vec<(u64, ChatId)> = self
            .chats
            .iter()
            .filter(|(_, c)| c.st == St::Assigned && c.owner == Some(a))
            .map(|(&id, c)| (c.seq, id))
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    }

    /// docs/engine.md#grace-period
    fn grace_expired(&mut self, a: AgentId) {
        let agent = &mut self.agents[a.index()];
        let grace0 = agent.offline_at == agent.grace;
        agent.grace = None;
        let chats = self.assigned_chats_of(a);
        if chats.is_empty() {
            return;
        }
        self.reach.offline_handoffs += 1;
        if grace0 {
            self.grace0_drops_at_instant += 1;
            if self.grace0_drops_at_instant >= 2 {
                self.reach.grace0_multi_drop += 1;
            }
        }
        self.hand_off(a, &chats, UnassignReason::Offline);
    }

    /// docs/engine.md#roster-changes-and-snapshots: removing an agent
    fn remove_agent(&mut self, a: AgentId) {
        let agent = &mut self.agents[a.index()];
        agent.removed = true;
        agent.grace = None;
        agent.rebalance = None;
        for inbox in &mut self.inboxes {
            if let EligibleAgents::Pinned(list) = &mut inbox.eligible {
                list.retain(|&x| x != a);
            }
        }
        let mut chats = self.assigned_chats_of(a);
        chats.extend(
            self.chats
                .iter()
                .filter(|(_, c)| c.st == St::TakenOver && c.owner == Some(a))
                .map(|(&id, _)| id),
        );
        if !chats.is_empty() {
            self.reach.removal_moved_chats += 1;
            self.hand_off(a, &chats, UnassignReason::Removed);
        }
        self.drain(None);
    }

    /// docs/engine.md#presence
    fn set_presence(&mut self, a: AgentId, presence: Presence) {
        let now = self.now;
        let old = self.agents[a.index()].presence;
        if old == presence {
            // Not a change: no sync, no timer (a choice the rules leave open).
            return;
        }
        self.agents[a.index()].presence = presence;
        if presence != Presence::Available {
            // Leaving `available` cancels a pending rebalance (docs/engine.md#rebalance).
            self.agents[a.index()].rebalance = None;
        }
        if presence == Presence::Offline {
            let agent = &mut self.agents[a.index()];
            agent.offline_at = Some(now);
            if self.settings.reassign_on_offline {
                agent.grace = Some(now + self.settings.offline_grace);
            }
            self.drain(None);
            return;
        }
        if old == Presence::Offline {
            // A connect: the agent re-enters the rotation at the end (docs/engine.md#round-robin).
            self.online_seq += 1;
            let agent = &mut self.agents[a.index()];
            agent.grace = None;
            agent.offline_at = None;
            // The cursor stays where it was (a position, not an agent).
            agent.online_key = self.online_seq;
            let chats: Vec<ChatId> = self
                .chats
                .iter()
                .filter(|(_, c)| matches!(c.st, St::Assigned | St::TakenOver) && c.owner == Some(a))
                .map(|(&id, _)| id)
                .collect();
            if chats.iter().any(|id| self.chats[id].st == St::TakenOver) {
                self.reach.sync_lists_taken_over += 1;
            }
            let queued = (self.agents[a.index()].role == Role::Admin).then(|| self.queue_order());
            self.emit(
                Event::ChatAssignmentSync {
                    agent: a,
                    chats,
                    queued,
                },
                Recipients::one(agent_recipient(a)),
            );
        }
        if presence == Presence::Available && self.settings.rebalance_on_online {
            self.agents[a.index()].rebalance = Some(now);
        }
        self.drain(None);
    }

    /// docs/engine.md#configuration
    fn configure(&mut self, settings: Settings) {
        let now = self.now;
        let old = std::mem::replace(&mut self.settings, settings);
        if old.rotation_order != self.settings.rotation_order {
            self.cursors.clear();
        }
        if !old.reassign_on_offline && self.settings.reassign_on_offline {
            for i in 0..self.agents.len() {
                let a = AgentId(i as u32);
                let x = &self.agents[i];
                if !x.removed
                    && x.presence == Presence::Offline
                    && x.grace.is_none()
                    && !self.assigned_chats_of(a).is_empty()
                {
                    self.agents[i].grace = Some(now + self.settings.offline_grace);
                }
            }
        }
        if old.reassign_on_offline && !self.settings.reassign_on_offline {
            for x in &mut self.agents {
                x.grace = None;
            }
        }
        if !self.settings.rebalance_on_online {
            for x in &mut self.agents {
                x.rebalance = None;
            }
        }
        // A wait whose fallback time is now strictly past ends with the change itself; one
        // due exactly now is ended by its timer after the inputs (docs/engine.md#targeted-chats).
        let fallback = self.settings.target_fallback_after;
        for c in self.chats.values_mut() {
            if c.st == St::Queued && c.waiting && c.needs_human_at.is_some_and(|n| n + fallback < now) {
                c.waiting = false;
            }
        }
        // docs/engine.md#group-overflow: recomputed on every change, before anything is
        // routed under the new settings.
        let queued: Vec<ChatId> = self
            .chats
            .iter()
            .filter(|(_, c)| c.st == St::Queued)
            .map(|(&id, _)| id)
            .collect();
        for id in queued {
            let passed = self.overflow_passed(&self.chats[&id]);
            self.chat_mut(id).overflowed = passed;
        }
        if old.menu_timeout.is_some() && self.settings.menu_timeout.is_none() {
            let mut waiting: Vec<(SimTime, ChatId)> = self
                .chats
                .iter()
                .filter(|(_, c)| c.st == St::Menu)
                .map(|(&id, c)| (c.received, id))
                .collect();
            waiting.sort();
            for (_, id) in waiting {
                self.become_routable(id);
            }
        }
        self.drain(None);
    }

    /// docs/engine.md#rebalance
    fn rebalance(&mut self, n: AgentId) {
        self.agents[n.index()].rebalance = None;
        let me = &self.agents[n.index()];
        if !self.settings.rebalance_on_online || me.removed || me.presence != Presence::Available {
            return;
        }
        self.rebalanced_at_instant += 1;
        let threshold = self.settings.rebalance_idle_threshold.expect("validated");
        let now = self.now;
        let mut moved = false;
        for i in 0..self.inboxes.len() {
            let inbox = InboxId(i as u32);
            let me = &self.agents[n.index()];
            if !(self.inbox_auto(inbox)
                && self.admitted(inbox, n)
                && me.role == Role::Agent
                && me.auto_assign)
            {
                continue;
            }
            loop {
                let l = self.load(n);
                let pool: Vec<AgentId> = self
                    .ids()
                    .filter(|&a| {
                        let x = &self.agents[a.index()];
                        self.admitted(inbox, a)
                            && x.presence == Presence::Available
                            && x.auto_assign
                            && x.role == Role::Agent
                    })
                    .collect();
                let total: u64 = pool.iter().map(|&a| u64::from(self.load(a))).sum();
                let mean = total / pool.len() as u64;
                if !(u64::from(l) < mean && self.capacity(n).admits(l)) {
                    break;
                }
                let mut donors: Vec<(std::cmp::Reverse<u32>, AgentId)> = self
                    .ids()
                    .filter(|&a| {
                        a != n && self.live_agent(a) && self.agents[a.index()].presence == Presence::Available
                    })
                    .map(|a| (std::cmp::Reverse(self.load(a)), a))
                    .filter(|(std::cmp::Reverse(load), _)| *load >= l + 2)
                    .collect();
                donors.sort();
                let newcomer = &self.agents[n.index()];
                let found = donors.iter().find_map(|&(_, d)| {
                    self.chats
                        .iter()
                        .filter(|(_, c)| {
                            let overflowed = self.overflow_deadline(c).is_some_and(|t| now >= t);
                            let group_ok = !self.settings.group_routing
                                || overflowed
                                || c.group.is_none_or(|g| newcomer.groups.contains(&g));
                            c.st == St::Assigned
                                && c.owner == Some(d)
                                && c.inbox == inbox
                                && c.auto
                                && c.last_message_at + threshold <= now
                                && c.assigned_at < now
                                && group_ok
                        })
                        .map(|(&id, c)| (c.last_message_at, id))
                        .min()
                        .map(|(_, id)| (d, id))
                });
                let Some((donor, chat)) = found else {
                    break;
                };
                self.emit(
                    Event::ChatUnassigned {
                        chat,
                        agent: donor,
                        reason: UnassignReason::Rebalance,
                    },
                    Recipients::one(agent_recipient(donor)),
                );
                self.assign(chat, n, AssignReason::Rebalance);
                self.reach.rebalance_moves += 1;
                self.rebalance_moves_at_instant += 1;
                moved = true;
            }
        }
        if self.rebalanced_at_instant >= 2 && self.rebalance_moves_at_instant > 0 {
            self.reach.multi_connect_rebalance += 1;
        }
        if moved {
            self.drain(None);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------

fn status_of(st: St) -> Option<ChatStatus> {
    match st {
        St::Menu => Some(ChatStatus::AwaitingMenu),
        St::Queued => Some(ChatStatus::Queued),
        St::Assigned => Some(ChatStatus::Assigned),
        St::TakenOver => Some(ChatStatus::TakenOver),
        St::Limbo => None,
    }
}

fn fmt_recipients(r: &Recipients) -> String {
    r.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("+")
}

fn fmt_output(o: &Output) -> String {
    format!("{} {:?} -> {}", o.at, o.event, fmt_recipients(&o.to))
}

fn fmt_input(i: &Input) -> String {
    format!("{i:?}")
        .replace("ChatId(", "c(")
        .replace("AgentId(", "a(")
        .replace("InboxId(", "i(")
        .replace("GroupId(", "g(")
}

fn diff_outputs(engine: &[Output], model: &[Output]) -> String {
    let mut s = String::new();
    let first = engine
        .iter()
        .zip(model)
        .position(|(e, m)| e != m)
        .unwrap_or(engine.len().min(model.len()));
    let _ = writeln!(s, "  outputs differ (first difference at #{first}):");
    let _ = writeln!(s, "    engine:");
    for (i, o) in engine.iter().enumerate() {
        let mark = if i == first { ">>" } else { "  " };
        let _ = writeln!(s, "    {mark} {}", fmt_output(o));
    }
    let _ = writeln!(s, "    model:");
    for (i, o) in model.iter().enumerate() {
        let mark = if i == first { ">>" } else { "  " };
        let _ = writeln!(s, "    {mark} {}", fmt_output(o));
    }
    s
}

fn compare_state(engine: &Engine, model: &Model) -> Vec<String> {
    let mut d = Vec::new();
    macro_rules! same {
        ($what:expr, $e:expr, $m:expr) => {
            if $e != $m {
                d.push(format!("  {}: engine {:?}, model {:?}", $what, $e, $m));
            }
        };
    }
    same!("agent count", engine.agents().len(), model.agents.len());
    for (i, (ea, ma)) in engine.agents().iter().zip(&model.agents).enumerate() {
        let a = AgentId(i as u32);
        same!(format!("agent {i} presence"), ea.presence, ma.presence);
        same!(format!("agent {i} removed"), ea.removed, ma.removed);
        same!(format!("agent {i} load"), engine.load(a), model.load(a));
        same!(format!("agent {i} role"), ea.role, ma.role);
        same!(format!("agent {i} auto_assign"), ea.auto_assign, ma.auto_assign);
        same!(format!("agent {i} capacity override"), ea.capacity, ma.capacity);
        same!(
            format!("agent {i} groups"),
            ea.groups.clone(),
            ma.groups.iter().copied().collect::<Vec<_>>()
        );
        if !ma.removed {
            same!(
                format!("agent_id({:?})", ma.name),
                engine.agent_id(&ma.name),
                Some(a)
            );
        }
    }
    let ec: BTreeMap<ChatId, &Chat> = engine.chats().collect();
    same!(
        "open chats",
        ec.keys().copied().collect::<Vec<_>>(),
        model.chats.keys().copied().collect::<Vec<_>>()
    );
    for (id, mc) in &model.chats {
        let Some(c) = ec.get(id) else { continue };
        let w = |f: &str| format!("chat {} {f}", id.0);
        same!(w("status"), Some(c.status), status_of(mc.st));
        same!(w("owner"), c.owner, mc.owner);
        same!(w("group"), c.group, mc.group);
        same!(w("target"), c.target, mc.target);
        same!(w("target_waiting"), c.target_waiting, mc.waiting);
        same!(w("excluded"), c.excluded, mc.excluded);
        same!(w("last_message_at"), c.last_message_at, mc.last_message_at);
        same!(
            w("queue position"),
            engine.queue_position(*id),
            model.position(*id)
        );
    }
    same!("next deadline", engine.next_deadline(), model.next_deadline());
    same!("settings", engine.settings(), &model.settings);
    same!("inboxes", &engine.config().inboxes, &model.inboxes);
    same!("violations", engine.counters().violations, 0);
    same!(
        "assignments by reason",
        engine.counters().assigned,
        model.assigned_by_reason
    );
    same!(
        "offline hand-offs",
        engine.counters().offline_handoffs,
        model.reach.offline_handoffs
    );
    d
}

// ---------------------------------------------------------------------------------------
// Lockstep driver
// ---------------------------------------------------------------------------------------

/// One recorded step of a case; the instant it belongs to is stored beside it.
#[derive(Clone, Debug)]
enum Step {
    /// An input at the instant.
    In(Input),
    /// An input at an earlier time than the engine's (must be refused).
    Backwards(SimTime, Input),
    /// Serialize the engine and continue with the restored copy.
    Snapshot,
    /// No input: only the instant's timers (a case that failed before its first input).
    Tick,
}

struct Lockstep {
    engine: Engine,
    model: Model,
    history: Vec<String>,
}

impl Lockstep {
    fn new(config: &EngineConfig) -> Result<Self, String> {
        Ok(Self {
            engine: Engine::new(config.clone()).map_err(|e| format!("config refused: {e}"))?,
            model: Model::new(config),
            history: Vec::new(),
        })
    }

    fn call(&mut self, t: SimTime, input: &Input) -> Result<(), String> {
        let predicted_refusal = t < self.model.now || self.model.check(input).is_err();
        let before = predicted_refusal.then(|| serde_json::to_string(&self.engine).expect("serialize"));
        let (m_out, m_ok) = self.model.handle(t, input);
        let e_res = self.engine.handle(t, input.clone());
        let e_out: Vec<Output> = std::iter::from_fn(|| self.engine.poll_output()).collect();
        let verdict = match &e_res {
            Ok(()) => String::new(),
            Err(e) => format!("  [refused: {e}]"),
        };
        self.history.push(format!("{t} {}{verdict}", fmt_input(input)));
        for o in &e_out {
            self.history.push(format!("      {}", fmt_output(o)));
        }
        let mut diffs = Vec::new();
        if e_res.is_ok() != m_ok {
            diffs.push(format!(
                "  refusal: engine {}, model {}",
                match &e_res {
                    Ok(()) => "accepted".to_owned(),
                    Err(e) => format!("refused ({e})"),
                },
                if m_ok { "accepted" } else { "refused" }
            ));
        }
        if e_out != m_out {
            diffs.push(diff_outputs(&e_out, &m_out));
        }
        if let Some(before) = before
            && e_res.is_err()
            && serde_json::to_string(&self.engine).expect("serialize") != before
        {
            diffs.push("  the refused input changed the engine's state".to_owned());
        }
        diffs.extend(compare_state(&self.engine, &self.model));
        if let Err(e) = self.model.self_check() {
            diffs.push(format!("  MODEL SELF-CHECK: {e}"));
        }
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(format!("after {t} {}:\n{}", fmt_input(input), diffs.join("\n")))
        }
    }

    /// Timers due before `t` fire at their own deadlines, as the simulator sends them.
    fn before_instant(&mut self, t: SimTime) -> Result<(), String> {
        while let Some(d) = self.engine.next_deadline().filter(|&d| d < t) {
            self.call(d, &Input::Timeout)?;
            if self.engine.next_deadline().is_some_and(|n| n <= d) {
                return Err(format!("a Timeout at {d} left a deadline at or before it"));
            }
        }
        Ok(())
    }

    /// After the last input of an instant, the timers due at it.
    fn after_instant(&mut self, t: SimTime) -> Result<(), String> {
        if self.engine.next_deadline().is_some_and(|d| d <= t) {
            self.call(t, &Input::Timeout)?;
        }
        Ok(())
    }

    fn step(&mut self, t: SimTime, step: &Step) -> Result<(), String> {
        match step {
            Step::In(input) => self.call(t, input),
            Step::Tick => Ok(()),
            Step::Backwards(tb, input) => self.call(*tb, input),
            Step::Snapshot => {
                self.history
                    .push("-- snapshot: serde round trip of the engine".to_owned());
                let json = serde_json::to_string(&self.engine).expect("serialize");
                self.engine =
                    serde_json::from_str(&json).map_err(|e| format!("snapshot refused on restore: {e}"))?;
                self.model.reach.restores += 1;
                let again = serde_json::to_string(&self.engine).expect("serialize");
                let mut diffs = compare_state(&self.engine, &self.model);
                if again != json {
                    diffs.push("  the restored engine serializes differently".to_owned());
                }
                if diffs.is_empty() {
                    Ok(())
                } else {
                    Err(format!("after a snapshot restore:\n{}", diffs.join("\n")))
                }
            }
        }
    }
}

/// Replays recorded steps (grouped into instants by their time) from a fresh engine.
fn replay(config: &EngineConfig, steps: &[(SimTime, Step)]) -> Result<Lockstep, (String, Vec<String>)> {
    let mut ls = Lockstep::new(config).map_err(|e| (e, Vec::new()))?;
    let mut i = 0;
    while i < steps.len() {
        let t = steps[i].0;
        let j = i + steps[i..].iter().take_while(|(u, _)| *u == t).count();
        let r = ls.before_instant(t).and_then(|()| {
            steps[i..j]
                .iter()
                .try_for_each(|(_, s)| ls.step(t, s))
                .and_then(|()| ls.after_instant(t))
        });
        if let Err(e) = r {
            return Err((e, ls.history));
        }
        i = j;
    }
    Ok(ls)
}

/// Removes steps while the replay still disagrees (delta debugging), within a budget.
fn shrink(
    config: &EngineConfig,
    steps: &[(SimTime, Step)],
    mut budget: u32,
) -> (Vec<(SimTime, Step)>, String, Vec<String>) {
    let mut cur = steps.to_vec();
    let (mut msg, mut hist) = replay(config, &cur).err().expect("the case disagrees");
    let mut chunk = cur.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        let mut progressed = false;
        while i < cur.len() && budget > 0 {
            budget -= 1;
            let mut cand = cur[..i].to_vec();
            cand.extend_from_slice(&cur[(i + chunk).min(cur.len())..]);
            match replay(config, &cand) {
                Err((m, h)) => {
                    cur = cand;
                    msg = m;
                    hist = h;
                    progressed = true;
                }
                Ok(_) => i += chunk,
            }
        }
        if budget == 0 || (chunk == 1 && !progressed) {
            break;
        }
        if !progressed {
            chunk = chunk.div_ceil(2);
        }
    }
    (cur, msg, hist)
}

// ---------------------------------------------------------------------------------------
// Random workspaces and inputs
// ---------------------------------------------------------------------------------------

struct Gen(Pcg64Mcg);

impl Gen {
    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.0.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize].clone()
    }

    fn weighted(&mut self, ws: &[u32]) -> usize {
        let total: u32 = ws.iter().sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (i, &w) in ws.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        ws.len() - 1
    }
}

const SEC: u64 = 1_000;
const MIN: u64 = 60 * SEC;

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn gen_settings(g: &mut Gen) -> Settings {
    Settings {
        enabled: g.chance(0.92),
        max_chats_per_agent: g.pick(&[
            Capacity::Unlimited,
            Capacity::Limited(1),
            Capacity::Limited(2),
            Capacity::Limited(3),
            Capacity::Limited(4),
        ]),
        capacity_counts: if g.chance(0.5) {
            CapacityCounts::Auto
        } else {
            CapacityCounts::All
        },
        reassign_on_offline: g.chance(0.8),
        offline_grace: secs(g.pick(&[0, 0, 0, 30, 120])),
        rebalance_on_online: g.chance(0.5),
        rebalance_idle_threshold: Some(secs(g.pick(&[60, 60, 120]))),
        auto_close_after: g.pick(&[None, None, Some(SimDuration::from_mins(30))]),
        menu_timeout: g.pick(&[None, None, Some(secs(10)), Some(secs(60))]),
        group_routing: g.chance(0.5),
        group_overflow_after: g.pick(&[None, Some(SimDuration::ZERO), Some(secs(30)), Some(secs(90))]),
        target_fallback_after: secs(g.pick(&[0, 30, 120])),
        rotation_order: g.pick(&[RotationOrder::OnlineSince, RotationOrder::Roster]),
        notify_assignment: g.pick(&[NotifyAssignment::AssigneeAndAdmins, NotifyAssignment::Assignee]),
    }
}

fn gen_groups(g: &mut Gen, n_groups: u32) -> Vec<GroupId> {
    (0..n_groups).filter(|_| g.chance(0.5)).map(GroupId).collect()
}

fn gen_agent(g: &mut Gen, name: String, n_groups: u32) -> AgentConfig {
    AgentConfig {
        name,
        role: Role::Agent,
        groups: gen_groups(g, n_groups),
        auto_assign: g.chance(0.85),
        capacity: g.pick(&[
            None,
            None,
            None,
            Some(Capacity::Limited(1)),
            Some(Capacity::Limited(2)),
            Some(Capacity::Limited(3)),
            Some(Capacity::Unlimited),
        ]),
        presence: [Presence::Available, Presence::Away, Presence::Offline][g.weighted(&[6, 1, 3])],
    }
}

fn gen_strategy(g: &mut Gen) -> StrategyKind {
    [
        StrategyKind::RoundRobin,
        StrategyKind::LeastBusy,
        StrategyKind::Random,
        StrategyKind::Manual,
    ][g.weighted(&[3, 3, 3, 1])]
}

fn gen_config(g: &mut Gen) -> EngineConfig {
    let n_groups = g.below(3) as u32;
    let n_agents = 3 + g.below(4) as u32;
    let admin = g.below(u64::from(n_agents)) as u32;
    let agents: Vec<AgentConfig> = (0..n_agents)
        .map(|i| {
            let mut a = gen_agent(g, format!("a{i}"), n_groups);
            if i == admin {
                a.role = Role::Admin;
                a.presence = if g.chance(0.8) {
                    Presence::Available
                } else {
                    Presence::Offline
                };
            }
            a
        })
        .collect();
    let inboxes = (0..1 + g.below(2))
        .map(|i| InboxConfig {
            name: format!("inbox{i}"),
            strategy: gen_strategy(g),
            eligible: if g.chance(0.6) {
                EligibleAgents::Everyone
            } else {
                EligibleAgents::Pinned((0..n_agents).filter(|_| g.chance(0.6)).map(AgentId).collect())
            },
        })
        .collect();
    let mut settings = gen_settings(g);
    // Some workspaces aim at rebalancing: room for piles of chats, agents joining often.
    if g.chance(0.25) {
        settings.rebalance_on_online = true;
        settings.max_chats_per_agent = Capacity::Unlimited;
        settings.offline_grace = SimDuration::ZERO;
        settings.reassign_on_offline = g.chance(0.5);
    }
    EngineConfig {
        settings,
        groups: (0..n_groups).map(|i| format!("g{i}")).collect(),
        inboxes,
        agents,
        rng_seed: g.0.next_u64(),
    }
}

/// Chooses the next input from the model's state (mostly valid, sometimes not).
struct Picker<'a> {
    m: &'a Model,
    live: Vec<AgentId>,
    open: Vec<ChatId>,
    next_chat: u64,
}

impl<'a> Picker<'a> {
    fn new(m: &'a Model, next_chat: u64) -> Self {
        Self {
            m,
            live: m.ids().filter(|&a| m.live_agent(a)).collect(),
            open: m.chats.keys().copied().collect(),
            next_chat,
        }
    }

    fn agent(&self, g: &mut Gen) -> AgentId {
        if self.live.is_empty() || g.chance(0.05) {
            AgentId(g.below(self.m.agents.len() as u64 + 2) as u32)
        } else {
            g.pick(&self.live)
        }
    }

    /// Often the target of a chat waiting for it, so waits end by presence too.
    fn presence_agent(&self, g: &mut Gen) -> AgentId {
        let targets: Vec<AgentId> = self
            .m
            .chats
            .values()
            .filter(|c| c.waiting)
            .filter_map(|c| c.target)
            .collect();
        if !targets.is_empty() && g.chance(0.3) {
            g.pick(&targets)
        } else {
            self.agent(g)
        }
    }

    fn admin(&self, g: &mut Gen) -> AgentId {
        let admins: Vec<AgentId> = self
            .live
            .iter()
            .copied()
            .filter(|a| self.m.agents[a.index()].role == Role::Admin)
            .collect();
        if admins.is_empty() || g.chance(0.1) {
            self.agent(g)
        } else {
            g.pick(&admins)
        }
    }

    fn chat_where(&self, g: &mut Gen, f: impl Fn(&MChat) -> bool) -> ChatId {
        let fit: Vec<ChatId> = self
            .open
            .iter()
            .copied()
            .filter(|id| f(&self.m.chats[id]))
            .collect();
        if !fit.is_empty() && !g.chance(0.1) {
            g.pick(&fit)
        } else {
            self.chat(g)
        }
    }

    fn chat(&self, g: &mut Gen) -> ChatId {
        if self.open.is_empty() || g.chance(0.04) {
            ChatId(g.below(self.next_chat + 2))
        } else {
            g.pick(&self.open)
        }
    }

    fn groups(&self, g: &mut Gen) -> Vec<GroupId> {
        let mut v = gen_groups(g, self.m.n_groups);
        if g.chance(0.03) {
            v.push(GroupId(self.m.n_groups));
        }
        v
    }

    fn group(&self, g: &mut Gen) -> GroupId {
        let extra = u64::from(g.chance(0.05));
        GroupId(g.below(u64::from(self.m.n_groups) + extra) as u32)
    }

    fn inbox(&self, g: &mut Gen) -> InboxId {
        let extra = u64::from(g.chance(0.03));
        InboxId(g.below(self.m.inboxes.len() as u64 + extra) as u32)
    }

    fn capacity(g: &mut Gen) -> Option<Capacity> {
        if g.chance(0.03) {
            return Some(Capacity::Limited(0));
        }
        g.pick(&[
            None,
            Some(Capacity::Unlimited),
            Some(Capacity::Limited(1)),
            Some(Capacity::Limited(2)),
            Some(Capacity::Limited(4)),
        ])
    }

    fn settings(&self, g: &mut Gen) -> Settings {
        let mut s = self.m.settings.clone();
        let fresh = gen_settings(g);
        for _ in 0..1 + g.below(3) {
            match g.below(14) {
                0 => s.enabled = !s.enabled,
                1 => s.max_chats_per_agent = fresh.max_chats_per_agent,
                2 => s.capacity_counts = fresh.capacity_counts,
                3 => s.reassign_on_offline = !s.reassign_on_offline,
                4 => s.offline_grace = fresh.offline_grace,
                5 => s.rebalance_on_online = !s.rebalance_on_online,
                6 => s.auto_close_after = fresh.auto_close_after,
                7 => s.menu_timeout = fresh.menu_timeout,
                8 => s.group_routing = !s.group_routing,
                9 => s.group_overflow_after = fresh.group_overflow_after,
                10 => s.target_fallback_after = fresh.target_fallback_after,
                11 => s.rotation_order = fresh.rotation_order,
                12 => s.notify_assignment = fresh.notify_assignment,
                _ => s.rebalance_idle_threshold = fresh.rebalance_idle_threshold,
            }
        }
        if g.chance(0.08) {
            match g.below(6) {
                0 => s.max_chats_per_agent = Capacity::Limited(g.pick(&[0, 101])),
                1 => {
                    s.rebalance_on_online = true;
                    s.rebalance_idle_threshold = None;
                }
                2 => s.offline_grace = SimDuration::from_hours(25),
                3 => s.auto_close_after = Some(SimDuration::from_mins(10)),
                4 => s.menu_timeout = Some(g.pick(&[secs(5), SimDuration::from_hours(2)])),
                _ => s.rebalance_idle_threshold = Some(secs(30)),
            }
        }
        s
    }

    fn input(&mut self, g: &mut Gen) -> Input {
        let crowded = self.open.len() > 25;
        let w = [
            if crowded { 4 } else { 20 }, // arrive
            5,                            // menu choice
            8,                            // customer message
            6,                            // agent message
            14,                           // presence
            if crowded { 40 } else { 10 },
            3, // assign
            3, // claim
            4, // unassign
            3, // takeover
            3, // configure
            2, // strategy
            2, // auto-assign
            2, // capacity
            if self.m.agents.len() < 10 { 2 } else { 0 },
            if self.live.len() > 3 { 1 } else { 0 },
            2, // groups
            1, // role
            2, // inbox agents
            2, // timeout
        ];
        match g.weighted(&w) {
            0 => {
                let chat = if !self.open.is_empty() && g.chance(0.03) {
                    g.pick(&self.open)
                } else {
                    self.next_chat += 1;
                    ChatId(self.next_chat)
                };
                let group = if g.chance(0.4) { Some(self.group(g)) } else { None };
                let target = if g.chance(0.35) {
                    Some(AgentId(g.below(self.m.agents.len() as u64 + 1) as u32))
                } else {
                    None
                };
                Input::ChatArrived {
                    chat,
                    inbox: self.inbox(g),
                    group,
                    target,
                }
            }
            1 => Input::MenuChoice {
                chat: self.chat_where(g, |c| c.st == St::Menu),
                group: self.group(g),
            },
            2 => Input::CustomerMessage { chat: self.chat(g) },
            3 => Input::AgentMessage {
                chat: self.chat_where(g, |c| c.st == St::Queued),
                agent: self.agent(g),
            },
            4 => Input::SetPresence {
                agent: self.presence_agent(g),
                presence: [Presence::Available, Presence::Away, Presence::Offline][g.weighted(&[5, 2, 3])],
            },
            5 => Input::Close {
                chat: self.chat(g),
                reason: if g.chance(0.03) {
                    CloseReason::AutoClosed
                } else {
                    g.pick(&[
                        CloseReason::Resolved,
                        CloseReason::Abandoned,
                        CloseReason::BotResolved,
                    ])
                },
            },
            6 => Input::Assign {
                chat: self.chat(g),
                agent: self.agent(g),
            },
            7 => Input::Claim {
                chat: self.chat_where(g, |c| c.st == St::Queued),
                agent: self.agent(g),
            },
            8 => Input::Unassign {
                chat: self.chat_where(g, |c| c.st == St::Assigned),
            },
            9 => Input::Takeover {
                chat: self.chat_where(g, |c| matches!(c.st, St::Assigned | St::Queued)),
                admin: self.admin(g),
            },
            10 => Input::Configure(self.settings(g)),
            11 => Input::SetStrategy {
                inbox: self.inbox(g),
                strategy: gen_strategy(g),
            },
            12 => Input::SetAutoAssign {
                agent: self.agent(g),
                auto_assign: g.chance(0.6),
            },
            13 => Input::SetAgentCapacity {
                agent: self.agent(g),
                capacity: Self::capacity(g),
            },
            14 => {
                let n = self.m.agents.len();
                let name = match g.below(10) {
                    0 => self.m.agents[g.below(n as u64) as usize].name.clone(),
                    _ => format!("a{n}"),
                };
                let mut cfg = gen_agent(g, name, self.m.n_groups);
                if g.chance(0.2) {
                    cfg.role = Role::Admin;
                }
                if g.chance(0.05) {
                    cfg.groups.push(GroupId(self.m.n_groups));
                }
                if g.chance(0.05) {
                    cfg.capacity = Some(Capacity::Limited(0));
                }
                Input::AddAgent(cfg)
            }
            15 => Input::RemoveAgent { agent: self.agent(g) },
            16 => Input::SetAgentGroups {
                agent: self.agent(g),
                groups: self.groups(g),
            },
            17 => Input::SetAgentRole {
                agent: self.agent(g),
                role: if g.chance(0.7) { Role::Agent } else { Role::Admin },
            },
            18 => Input::SetInboxAgents {
                inbox: self.inbox(g),
                eligible: if g.chance(0.3) {
                    EligibleAgents::Everyone
                } else {
                    let mut list: Vec<AgentId> =
                        self.live.iter().copied().filter(|_| g.chance(0.6)).collect();
                    if g.chance(0.05) {
                        list.push(AgentId(self.m.agents.len() as u32));
                    }
                    EligibleAgents::Pinned(list)
                },
            },
            _ => Input::Timeout,
        }
    }

    /// Several agents changing presence together (docs/engine.md#grace-period, #rebalance).
    fn burst(&self, g: &mut Gen) -> Vec<Input> {
        let connect = g.chance(0.5);
        let mut who: Vec<AgentId> = self
            .live
            .iter()
            .copied()
            .filter(|a| {
                let p = self.m.agents[a.index()].presence;
                if connect {
                    p != Presence::Available
                } else {
                    p != Presence::Offline
                }
            })
            .collect();
        let k = 2 + g.below(2) as usize;
        let mut out = Vec::new();
        while out.len() < k && !who.is_empty() {
            let i = g.below(who.len() as u64) as usize;
            out.push(Input::SetPresence {
                agent: who.swap_remove(i),
                presence: if connect {
                    Presence::Available
                } else {
                    Presence::Offline
                },
            });
        }
        out
    }
}

/// A case that disagreed: what it was and the steps that got there.
struct Failure {
    config: EngineConfig,
    steps: Vec<(SimTime, Step)>,
    msg: String,
    history: Vec<String>,
}

/// Runs one random case of about `n_steps` inputs; returns its reach counters.
fn run_case(seed: u64, n_steps: usize) -> Result<Reach, Box<Failure>> {
    let mut g = Gen(Pcg64Mcg::seed_from_u64(seed));
    let config = gen_config(&mut g);
    let mut ls = Lockstep::new(&config).expect("generated configurations are valid");
    let mut steps: Vec<(SimTime, Step)> = Vec::new();
    let mut next_chat = 0u64;
    let mut t = SimTime(g.pick(&[0, 0, 1, 1_000]));
    let fail = |ls: Lockstep, steps: Vec<(SimTime, Step)>, msg: String| {
        Box::new(Failure {
            config: config.clone(),
            steps,
            msg,
            history: ls.history,
        })
    };
    let mut done = 0;
    while done < n_steps {
        if let Err(msg) = ls.before_instant(t) {
            steps.push((t, Step::Tick));
            return Err(fail(ls, steps, msg));
        }
        let k = [1, 1, 1, 2, 2, 3, 4][g.below(7) as usize];
        let burst_at = if g.chance(0.08) {
            Some(g.below(k as u64 + 1))
        } else {
            None
        };
        let mut i = 0;
        while i < k + usize::from(burst_at.is_some()) {
            let step = if burst_at == Some(i as u64) {
                let b = Picker::new(&ls.model, next_chat).burst(&mut g);
                for input in b {
                    let s = Step::In(input);
                    steps.push((t, s.clone()));
                    done += 1;
                    if let Err(msg) = ls.step(t, &s) {
                        return Err(fail(ls, steps, msg));
                    }
                }
                i += 1;
                continue;
            } else if g.chance(0.004) {
                Step::Snapshot
            } else {
                let mut p = Picker::new(&ls.model, next_chat);
                let input = p.input(&mut g);
                next_chat = p.next_chat;
                Step::In(input)
            };
            steps.push((t, step.clone()));
            done += 1;
            if let Err(msg) = ls.step(t, &step) {
                return Err(fail(ls, steps, msg));
            }
            i += 1;
        }
        if t.0 > 0 && g.chance(0.01) {
            let mut p = Picker::new(&ls.model, next_chat);
            let input = p.input(&mut g);
            next_chat = p.next_chat;
            let s = Step::Backwards(SimTime(t.0 - 1 - g.below(t.0.min(5_000))), input);
            steps.push((t, s.clone()));
            if let Err(msg) = ls.step(t, &s) {
                return Err(fail(ls, steps, msg));
            }
        }
        if let Err(msg) = ls.after_instant(t) {
            return Err(fail(ls, steps, msg));
        }
        // The next instant: a gap, or exactly the next deadline.
        let next_deadline = ls.engine.next_deadline();
        t = match next_deadline {
            Some(d) if d > t && g.chance(0.12) => d,
            _ => {
                let gaps = [
                    1,
                    200,
                    SEC,
                    5 * SEC,
                    15 * SEC,
                    30 * SEC,
                    MIN,
                    2 * MIN,
                    5 * MIN,
                    31 * MIN,
                    60 * MIN,
                ];
                let gap = gaps[g.weighted(&[4, 4, 8, 10, 14, 14, 14, 10, 5, 2, 1])];
                SimTime(t.0 + gap)
            }
        };
    }
    Ok(ls.model.reach)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
}

/// What kind of disagreement a message shows, ids blanked out: to list distinct ones.
fn signature(msg: &str) -> String {
    let lines: Vec<&str> = msg.lines().skip(1).collect();
    let marked: Vec<&str> = lines.iter().copied().filter(|l| l.contains(">>")).collect();
    let picked = if marked.is_empty() {
        lines.first().copied().unwrap_or_default().to_owned()
    } else {
        marked.join(" | ")
    };
    let mut out = String::new();
    let mut in_digits = false;
    for ch in picked.chars() {
        if ch.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(ch);
        }
    }
    out
}

fn report_failure(f: &Failure) -> String {
    let (shrunk, msg, hist) = shrink(&f.config, &f.steps, 3_000);
    let mut s = String::new();
    let _ = writeln!(s, "engine and reference model disagree\n\n{}\n", f.msg);
    let _ = writeln!(s, "last calls of the case ({} steps):", f.steps.len());
    for line in f.history.iter().rev().take(40).rev() {
        let _ = writeln!(s, "  {line}");
    }
    let _ = writeln!(
        s,
        "\nshrunk to {} steps, which disagree as:\n{msg}\n",
        shrunk.len()
    );
    let _ = writeln!(s, "configuration: {:?}\n", f.config);
    let _ = writeln!(s, "shrunk steps (instant, step):");
    for (t, step) in &shrunk {
        let line = match step {
            Step::In(i) => fmt_input(i),
            Step::Backwards(tb, i) => format!("at {tb} (backwards): {}", fmt_input(i)),
            Step::Snapshot => "snapshot".to_owned(),
            Step::Tick => "(timers only)".to_owned(),
        };
        let _ = writeln!(s, "  {t} {line}");
    }
    let _ = writeln!(s, "\nshrunk history (every call, with the engine's outputs):");
    for line in &hist {
        let _ = writeln!(s, "  {line}");
    }
    s
}

#[test]
fn engine_matches_reference_model() {
    let total = env_u64("CHATSIM_REF_STEPS").unwrap_or(300_000) as usize;
    let seed = env_u64("CHATSIM_REF_SEED").unwrap_or(2026);
    let collect = std::env::var_os("CHATSIM_REF_COLLECT").is_some();
    // Cases of 200 to 1 500 inputs: many fresh workspaces, and some long-lived states.
    let mut master = Pcg64Mcg::seed_from_u64(seed);
    let mut reach = Reach::default();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    let mut failed_cases = 0;
    let mut done = 0;
    while done < total {
        let case_seed = master.next_u64();
        let n = (200 + (master.next_u64() % 1_300) as usize).min(total - done);
        done += n;
        match run_case(case_seed, n) {
            Ok(r) => reach.add(&r),
            Err(f) => {
                failed_cases += 1;
                if !collect {
                    panic!("case seed {case_seed}: {}", report_failure(&f));
                }
                failures
                    .entry(signature(&f.msg))
                    .or_insert_with(|| format!("case seed {case_seed}: {}", report_failure(&f)));
            }
        }
    }
    let mut table = String::new();
    let mut missing = Vec::new();
    for (name, n) in reach.rows() {
        let _ = writeln!(table, "  {n:>8}  {name}");
        if n == 0 {
            missing.push(name);
        }
    }
    eprintln!("reference model reach over {total} steps (cases that agreed):\n{table}");
    if collect && !failures.is_empty() {
        for report in failures.values() {
            eprintln!("==========\n{report}");
        }
        panic!(
            "{failed_cases} case(s) disagreed; {} distinct first disagreements listed above",
            failures.len()
        );
    }
    assert!(missing.is_empty(), "never reached: {missing:?}\n{table}");
}
