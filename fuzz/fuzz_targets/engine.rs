//! The engine under arbitrary input sequences (README.md, "Fuzzing"), driven the way the
//! simulator drives it (docs/engine.md#same-instant-order): time never decreases, every
//! timer fires at its own deadline, and after every call the full invariant check
//! (docs/engine.md#invariants) runs and must pass.
//!
//! It also checks the rest of the call contract of `chatsim::engine`: a refused input
//! changes nothing (docs/engine.md#refused-inputs), an earlier `now` is refused, outputs are
//! stamped in time order, no deadline is ever in the past, `Timeout` leaves no timer due,
//! and a snapshot restores to the same state (docs/engine.md#snapshots).
//!
//! Ids in the input are small numbers resolved against what exists, so most name real
//! agents, chats, groups and inboxes and a few name nothing (to be refused).

#![no_main]

use arbitrary::Arbitrary;
use chatsim::engine::{
    AgentConfig, AgentId, Capacity, CapacityCounts, ChatId, CloseReason, EligibleAgents, Engine,
    EngineConfig, EngineError, GroupId, InboxConfig, InboxId, Input, NotifyAssignment, Presence, Role,
    RotationOrder, Settings, SimDuration, SimTime, StrategyKind, invariants,
};
use libfuzzer_sys::fuzz_target;

/// A workspace and the steps to run on it.
#[derive(Arbitrary, Debug)]
struct Case {
    settings: FSettings,
    /// How many groups (0 to 3).
    groups: u8,
    /// The roster (at most 8 agents are used).
    agents: Vec<FAgent>,
    /// The inboxes (1 to 3 are used).
    inboxes: Vec<FInbox>,
    rng_seed: u64,
    steps: Vec<Step>,
}

/// A duration from a table of values around the settings' range limits.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct FDur(u8);

impl FDur {
    fn get(self) -> SimDuration {
        const SEC: u64 = 1_000;
        const DAY: u64 = 86_400 * SEC;
        const TABLE: [u64; 16] = [
            0,
            1,
            SEC,
            10 * SEC,
            30 * SEC,
            59 * SEC,
            60 * SEC,
            120 * SEC,
            300 * SEC,
            1_800 * SEC,
            3_600 * SEC,
            7_200 * SEC,
            DAY,
            DAY + 1,
            30 * DAY,
            30 * DAY + 1,
        ];
        SimDuration(TABLE[usize::from(self.0) % TABLE.len()])
    }
}

/// A capacity: mostly 0 to 4 (0 is refused), sometimes around the upper limit of 100.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum FCap {
    Unlimited,
    Limited(u8),
}

impl FCap {
    fn get(self) -> Capacity {
        match self {
            Self::Unlimited => Capacity::Unlimited,
            Self::Limited(n) if n < 200 => Capacity::Limited(u32::from(n) % 5),
            Self::Limited(n) => Capacity::Limited(u32::from(n) - 100),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct FSettings {
    enabled: bool,
    max_chats_per_agent: FCap,
    counts_auto: bool,
    reassign_on_offline: bool,
    offline_grace: FDur,
    rebalance_on_online: bool,
    rebalance_idle_threshold: Option<FDur>,
    auto_close_after: Option<FDur>,
    menu_timeout: Option<FDur>,
    group_routing: bool,
    group_overflow_after: Option<FDur>,
    target_fallback_after: FDur,
    roster_order: bool,
    assignee_only: bool,
}

impl FSettings {
    fn get(&self) -> Settings {
        Settings {
            enabled: self.enabled,
            max_chats_per_agent: self.max_chats_per_agent.get(),
            capacity_counts: if self.counts_auto {
                CapacityCounts::Auto
            } else {
                CapacityCounts::All
            },
            reassign_on_offline: self.reassign_on_offline,
            offline_grace: self.offline_grace.get(),
            rebalance_on_online: self.rebalance_on_online,
            rebalance_idle_threshold: self.rebalance_idle_threshold.map(FDur::get),
            auto_close_after: self.auto_close_after.map(FDur::get),
            menu_timeout: self.menu_timeout.map(FDur::get),
            group_routing: self.group_routing,
            group_overflow_after: self.group_overflow_after.map(FDur::get),
            target_fallback_after: self.target_fallback_after.get(),
            rotation_order: if self.roster_order {
                RotationOrder::Roster
            } else {
                RotationOrder::OnlineSince
            },
            notify_assignment: if self.assignee_only {
                NotifyAssignment::Assignee
            } else {
                NotifyAssignment::AssigneeAndAdmins
            },
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum FPresence {
    Available,
    Away,
    Offline,
}

impl FPresence {
    fn get(self) -> Presence {
        match self {
            Self::Available => Presence::Available,
            Self::Away => Presence::Away,
            Self::Offline => Presence::Offline,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum FStrategy {
    RoundRobin,
    LeastBusy,
    Random,
    Manual,
}

impl FStrategy {
    fn get(self) -> StrategyKind {
        match self {
            Self::RoundRobin => StrategyKind::RoundRobin,
            Self::LeastBusy => StrategyKind::LeastBusy,
            Self::Random => StrategyKind::Random,
            Self::Manual => StrategyKind::Manual,
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct FAgent {
    admin: bool,
    groups: Vec<u8>,
    auto_assign: bool,
    capacity: Option<FCap>,
    presence: FPresence,
}

#[derive(Arbitrary, Debug, Clone)]
struct FInbox {
    strategy: FStrategy,
    /// `None`: everyone; else the pinned agents.
    pinned: Option<Vec<u8>>,
}

/// How far time moves before a step.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Dt {
    Same,
    Millis(u16),
    Secs(u8),
    Mins(u8),
    Hours(u8),
}

impl Dt {
    fn millis(self) -> u64 {
        match self {
            Self::Same => 0,
            Self::Millis(n) => u64::from(n),
            Self::Secs(n) => u64::from(n) * 1_000,
            Self::Mins(n) => u64::from(n) * 60_000,
            Self::Hours(n) => u64::from(n) * 3_600_000,
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct Step {
    dt: Dt,
    op: Op,
}

/// One step. `u8` ids are resolved by [`Ids`].
#[derive(Arbitrary, Debug, Clone)]
enum Op {
    /// A new chat, or (with `reuse`) one with the id of an earlier chat.
    Arrive {
        inbox: u8,
        group: Option<u8>,
        target: Option<u8>,
        reuse: Option<u8>,
    },
    Menu {
        chat: u8,
        group: u8,
    },
    Message {
        chat: u8,
    },
    Reply {
        chat: u8,
        agent: u8,
    },
    Presence {
        agent: u8,
        presence: FPresence,
    },
    AutoAssign {
        agent: u8,
        on: bool,
    },
    AgentCapacity {
        agent: u8,
        capacity: Option<FCap>,
    },
    Groups {
        agent: u8,
        groups: Vec<u8>,
    },
    Role {
        agent: u8,
        admin: bool,
    },
    /// A new agent, or (with `name` set) one named like an existing agent.
    AddAgent {
        agent: FAgent,
        name: Option<u8>,
    },
    RemoveAgent {
        agent: u8,
    },
    InboxAgents {
        inbox: u8,
        pinned: Option<Vec<u8>>,
    },
    Configure(FSettings),
    /// One setting changed, the others kept (most such changes are accepted).
    Tweak(Tweak),
    SetStrategy {
        inbox: u8,
        strategy: FStrategy,
    },
    Assign {
        chat: u8,
        agent: u8,
    },
    Claim {
        chat: u8,
        agent: u8,
    },
    Unassign {
        chat: u8,
    },
    Takeover {
        chat: u8,
        admin: u8,
    },
    Close {
        chat: u8,
        reason: u8,
    },
    Timeout,
    /// An input at an earlier `now`: refused, nothing changes.
    Backwards {
        by: u16,
    },
    /// Serialize the engine, restore it and go on with the restored one.
    Snapshot,
}

/// A change of one setting.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Tweak {
    Enabled(bool),
    Capacity(FCap),
    CountsAuto(bool),
    Reassign(bool),
    Grace(FDur),
    Rebalance(bool, Option<FDur>),
    AutoClose(Option<FDur>),
    Menu(Option<FDur>),
    GroupRouting(bool),
    Overflow(Option<FDur>),
    Fallback(FDur),
}

impl Tweak {
    fn apply(self, mut s: Settings) -> Settings {
        match self {
            Self::Enabled(on) => s.enabled = on,
            Self::Capacity(c) => s.max_chats_per_agent = c.get(),
            Self::CountsAuto(auto) => {
                s.capacity_counts = if auto {
                    CapacityCounts::Auto
                } else {
                    CapacityCounts::All
                }
            }
            Self::Reassign(on) => s.reassign_on_offline = on,
            Self::Grace(d) => s.offline_grace = d.get(),
            Self::Rebalance(on, threshold) => {
                s.rebalance_on_online = on;
                s.rebalance_idle_threshold = threshold.map(FDur::get);
            }
            Self::AutoClose(d) => s.auto_close_after = d.map(FDur::get),
            Self::Menu(d) => s.menu_timeout = d.map(FDur::get),
            Self::GroupRouting(on) => s.group_routing = on,
            Self::Overflow(d) => s.group_overflow_after = d.map(FDur::get),
            Self::Fallback(d) => s.target_fallback_after = d.get(),
        }
        s
    }
}

/// Resolves the input's small numbers against what exists: most name something real, a
/// few name nothing.
struct Ids {
    n_groups: u32,
    n_inboxes: u32,
    /// Chats created so far (ids 1 to `chats`).
    chats: u64,
    /// Agents added so far (for fresh names).
    added: u32,
}

impl Ids {
    fn group(&self, g: u8) -> GroupId {
        GroupId(u32::from(g) % (self.n_groups + 1))
    }

    fn inbox(&self, i: u8) -> InboxId {
        InboxId(u32::from(i) % (self.n_inboxes + 1))
    }

    fn agent(engine: &Engine, a: u8) -> AgentId {
        AgentId(u32::from(a) % (engine.agents().len() as u32 + 2))
    }

    /// Chat 0 and chat `chats + 1` do not exist.
    fn chat(&self, c: u8) -> ChatId {
        ChatId(u64::from(c) % (self.chats + 2))
    }

    fn agent_config(&self, a: &FAgent, name: String) -> AgentConfig {
        AgentConfig {
            name,
            role: if a.admin { Role::Admin } else { Role::Agent },
            groups: a.groups.iter().take(3).map(|&g| self.group(g)).collect(),
            auto_assign: a.auto_assign,
            capacity: a.capacity.map(FCap::get),
            presence: a.presence.get(),
        }
    }
}

fn config(case: &Case) -> EngineConfig {
    let n_groups = u32::from(case.groups % 4);
    let ids = Ids {
        n_groups: n_groups.saturating_sub(1),
        n_inboxes: 0,
        chats: 0,
        added: 0,
    };
    let agents: Vec<AgentConfig> = case
        .agents
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, a)| {
            // Groups that exist: an unknown group would refuse the whole configuration.
            let mut c = ids.agent_config(a, format!("a{i}"));
            c.groups.retain(|g| g.0 < n_groups);
            // Likewise a capacity out of range (the steps still try those).
            c.capacity = c.capacity.filter(|c| match c {
                Capacity::Limited(k) => (1..=100).contains(k),
                Capacity::Unlimited => true,
            });
            c
        })
        .collect();
    let n_agents = agents.len() as u32;
    let mut inboxes: Vec<InboxConfig> = case
        .inboxes
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, b)| InboxConfig {
            name: format!("inbox{i}"),
            strategy: b.strategy.get(),
            eligible: match &b.pinned {
                None => EligibleAgents::Everyone,
                Some(list) => EligibleAgents::Pinned(
                    list.iter()
                        .take(4)
                        .filter(|_| n_agents > 0)
                        .map(|&a| AgentId(u32::from(a) % n_agents.max(1)))
                        .collect(),
                ),
            },
        })
        .collect();
    if inboxes.is_empty() {
        inboxes.push(InboxConfig {
            name: "main".into(),
            strategy: StrategyKind::RoundRobin,
            eligible: EligibleAgents::Everyone,
        });
    }
    EngineConfig {
        settings: case.settings.get(),
        groups: (0..n_groups).map(|g| format!("g{g}")).collect(),
        inboxes,
        agents,
        rng_seed: case.rng_seed,
    }
}

fn snapshot(engine: &Engine) -> String {
    serde_json::to_string(engine).expect("the engine serializes")
}

/// Everything that must hold after any call at `now`, whatever it returned.
fn after_call(engine: &mut Engine, now: SimTime, last_output: &mut SimTime, what: &dyn Fn() -> String) {
    while let Some(output) = engine.poll_output() {
        assert!(
            output.at >= *last_output && output.at <= now,
            "{}: output at {} out of order (last {}, now {now})",
            what(),
            output.at,
            last_output
        );
        *last_output = output.at;
    }
    if let Err(v) = invariants::check(engine) {
        panic!("{}: invariant broken: {v}", what());
    }
    assert!(
        engine.next_deadline().is_none_or(|d| d >= now),
        "{}: a deadline is already past",
        what()
    );
}

/// Hands one input over at `now`; a refused input must leave the state as it was.
fn call(engine: &mut Engine, now: SimTime, input: Input, last_output: &mut SimTime) {
    let before = snapshot(engine);
    let shown = format!("{input:?} at {now}");
    let result = engine.handle(now, input);
    if let Err(e) = &result {
        assert_eq!(
            snapshot(engine),
            before,
            "refused {shown} ({e}) changed the state"
        );
    } else {
        assert_eq!(engine.now(), now, "{shown}: the engine's clock");
    }
    after_call(engine, now, last_output, &|| shown.clone());
}

/// Fires every timer due strictly before `now`, each at its own deadline.
fn fire_until(engine: &mut Engine, now: SimTime, last_output: &mut SimTime) {
    while let Some(deadline) = engine.next_deadline().filter(|d| *d < now) {
        call(engine, deadline, Input::Timeout, last_output);
        assert!(
            engine.next_deadline().is_none_or(|d| d > deadline),
            "Timeout at {deadline} left a timer due"
        );
    }
}

fuzz_target!(|case: Case| {
    let mut config = config(&case);
    // Random settings are often out of range (refused); the steps still change them.
    if Engine::new(config.clone()).is_err() {
        config.settings = Settings::default();
    }
    let Ok(mut engine) = Engine::new(config.clone()) else {
        return;
    };
    if let Err(v) = invariants::check(&engine) {
        panic!("a new engine breaks an invariant: {v}");
    }
    let mut ids = Ids {
        n_groups: config.groups.len() as u32,
        n_inboxes: config.inboxes.len() as u32,
        chats: 0,
        added: 0,
    };
    let mut now = SimTime::ZERO;
    let mut last_output = SimTime::ZERO;
    for step in case.steps.iter().take(400) {
        now = SimTime(now.0 + step.dt.millis());
        fire_until(&mut engine, now, &mut last_output);
        let agent = |a: u8| Ids::agent(&engine, a);
        let input = match &step.op {
            Op::Arrive {
                inbox,
                group,
                target,
                reuse,
            } => {
                let chat = match reuse {
                    Some(c) => ids.chat(*c),
                    None => {
                        ids.chats += 1;
                        ChatId(ids.chats)
                    }
                };
                Input::ChatArrived {
                    chat,
                    inbox: ids.inbox(*inbox),
                    group: group.map(|g| ids.group(g)),
                    target: target.map(agent),
                }
            }
            Op::Menu { chat, group } => Input::MenuChoice {
                chat: ids.chat(*chat),
                group: ids.group(*group),
            },
            Op::Message { chat } => Input::CustomerMessage {
                chat: ids.chat(*chat),
            },
            Op::Reply { chat, agent: a } => Input::AgentMessage {
                chat: ids.chat(*chat),
                agent: agent(*a),
            },
            Op::Presence { agent: a, presence } => Input::SetPresence {
                agent: agent(*a),
                presence: presence.get(),
            },
            Op::AutoAssign { agent: a, on } => Input::SetAutoAssign {
                agent: agent(*a),
                auto_assign: *on,
            },
            Op::AgentCapacity { agent: a, capacity } => Input::SetAgentCapacity {
                agent: agent(*a),
                capacity: capacity.map(FCap::get),
            },
            Op::Groups { agent: a, groups } => Input::SetAgentGroups {
                agent: agent(*a),
                groups: groups.iter().take(4).map(|&g| ids.group(g)).collect(),
            },
            Op::Role { agent: a, admin } => Input::SetAgentRole {
                agent: agent(*a),
                role: if *admin { Role::Admin } else { Role::Agent },
            },
            Op::AddAgent { agent: a, name } => {
                let name = match name {
                    // The name of an agent there is (or was): refused while they are there.
                    Some(n) => match engine.agents().len() {
                        0 => "a0".to_owned(),
                        len => engine.agents()[usize::from(*n) % len].name.clone(),
                    },
                    None => {
                        ids.added += 1;
                        format!("x{}", ids.added)
                    }
                };
                Input::AddAgent(ids.agent_config(a, name))
            }
            Op::RemoveAgent { agent: a } => Input::RemoveAgent { agent: agent(*a) },
            Op::InboxAgents { inbox, pinned } => Input::SetInboxAgents {
                inbox: ids.inbox(*inbox),
                eligible: match pinned {
                    None => EligibleAgents::Everyone,
                    Some(list) => EligibleAgents::Pinned(list.iter().take(4).map(|&a| agent(a)).collect()),
                },
            },
            Op::Configure(s) => Input::Configure(s.get()),
            Op::Tweak(t) => Input::Configure(t.apply(engine.settings().clone())),
            Op::SetStrategy { inbox, strategy } => Input::SetStrategy {
                inbox: ids.inbox(*inbox),
                strategy: strategy.get(),
            },
            Op::Assign { chat, agent: a } => Input::Assign {
                chat: ids.chat(*chat),
                agent: agent(*a),
            },
            Op::Claim { chat, agent: a } => Input::Claim {
                chat: ids.chat(*chat),
                agent: agent(*a),
            },
            Op::Unassign { chat } => Input::Unassign {
                chat: ids.chat(*chat),
            },
            Op::Takeover { chat, admin } => Input::Takeover {
                chat: ids.chat(*chat),
                admin: agent(*admin),
            },
            Op::Close { chat, reason } => Input::Close {
                chat: ids.chat(*chat),
                reason: match reason % 4 {
                    0 => CloseReason::Resolved,
                    1 => CloseReason::Abandoned,
                    2 => CloseReason::BotResolved,
                    // The engine's own reason: refused from outside.
                    _ => CloseReason::AutoClosed,
                },
            },
            Op::Timeout => Input::Timeout,
            Op::Backwards { by } => {
                // Earlier than the engine's clock, which is the last call's `now` (a step
                // that made no call did not move it).
                let current = engine.now();
                if current > SimTime::ZERO {
                    let earlier = SimTime(current.0.saturating_sub(1 + u64::from(*by)));
                    let before = snapshot(&engine);
                    let result = engine.handle(earlier, Input::Timeout);
                    assert!(
                        matches!(result, Err(EngineError::TimeWentBackwards { .. })),
                        "an input at {earlier} after {current}: {result:?}"
                    );
                    assert_eq!(snapshot(&engine), before, "an earlier `now` changed the state");
                    assert!(engine.poll_output().is_none(), "an earlier `now` produced output");
                }
                continue;
            }
            Op::Snapshot => {
                let json = snapshot(&engine);
                let restored: Engine = serde_json::from_str(&json)
                    .unwrap_or_else(|e| panic!("a snapshot of a running engine is refused: {e}"));
                assert_eq!(
                    snapshot(&restored),
                    json,
                    "a restored engine serializes differently"
                );
                if let Err(v) = invariants::check(&restored) {
                    panic!("a restored engine breaks an invariant: {v}");
                }
                engine = restored;
                continue;
            }
        };
        call(&mut engine, now, input, &mut last_output);
    }
    // The timers still pending fire too (a bounded number of them).
    for _ in 0..64 {
        let Some(deadline) = engine.next_deadline() else {
            break;
        };
        fire_until(&mut engine, SimTime(deadline.0 + 1), &mut last_output);
    }
});
