//! The production assignment engine: a sans-IO state machine (docs/engine.md).
//!
//! The engine decides which agent gets which chat. It has no clock, no I/O, no OS
//! entropy and no threads: time comes in as `now`, decisions come out as [`Output`]s, and
//! its one random generator (for the random strategy) is seeded from the configuration and
//! serialized with the rest of its state. A live chat service could embed it unchanged;
//! the simulator is its first caller.
//!
//! # Call contract
//!
//! - [`Engine::new`] builds an engine from an [`EngineConfig`]; its clock starts at
//!   [`SimTime::ZERO`].
//! - [`Engine::handle`] takes one [`Input`] at time `now`. `now` must never decrease: an
//!   earlier `now` returns [`EngineError::TimeWentBackwards`] and changes nothing.
//! - After each call, drain [`Engine::poll_output`] until it returns `None`, then read
//!   [`Engine::next_deadline`] and call `handle(deadline, Input::Timeout)` when that time
//!   comes. `Input::Timeout` fires every timer due at or before `now`, in (deadline, kind,
//!   id) order, each applying its own rule (docs/engine.md#same-instant-order).
//! - An input at the same instant as a deadline counts as *before* it: the timer fires only
//!   on `Timeout`, so a host hands over every input of an instant, then sends `Timeout`
//!   (docs/engine.md#same-instant-order). An input at a `now` *later* than a pending
//!   deadline first fires every timer due strictly before `now` (as if the host had sent
//!   `Timeout` at each deadline).
//! - A configuration change that puts a deadline in the past fires it within the same call,
//!   so [`Engine::next_deadline`] is never earlier than `now`.
//! - A refused input (unknown or removed id, wrong status, bad configuration…) returns an
//!   [`EngineError`] and leaves the state as it was — save for timers due strictly before
//!   `now`, which fire first as just described and queue their outputs. So drain
//!   [`Engine::poll_output`] after every call, `Ok` or `Err`. The engine never panics on
//!   input (docs/engine.md#refused-inputs).
//! - A snapshot (serde) is checked when it is restored; an inconsistent one is refused with
//!   a [`SnapshotError`] naming what is wrong (docs/engine.md#snapshots).
//!
//! # Outputs and their order
//!
//! Each input produces, in order: its direct effect (e.g. CHAT_ASSIGNMENT_SYNC on connect,
//! the close, the unassignment), then the drain's assignments in drain order — queued
//! chats in (received, chat id) order across every queue. Rebalance moves come from a timer
//! at the same instant, after every input of it. Every output carries its time and
//! symbolic [`Recipient`]s (docs/engine.md#events).
//!
//! # Example
//!
//! ```
//! use chatsim::engine::*;
//!
//! let config = EngineConfig {
//!     settings: Settings { max_chats_per_agent: Capacity::Limited(1), ..Settings::default() },
//!     groups: vec![],
//!     inboxes: vec![InboxConfig {
//!         name: "web".into(),
//!         strategy: StrategyKind::LeastBusy,
//!         eligible: EligibleAgents::Everyone,
//!     }],
//!     agents: vec![AgentConfig::new("ann")],
//!     rng_seed: 42,
//! };
//! let mut engine = Engine::new(config)?;
//! let arrive = |n| Input::ChatArrived { chat: ChatId(n), inbox: InboxId(0), group: None, target: None };
//! engine.handle(SimTime(1_000), arrive(1))?;
//! engine.handle(SimTime(2_000), arrive(2))?;
//! engine.handle(SimTime(3_000), Input::Close { chat: ChatId(1), reason: CloseReason::Resolved })?;
//! let events: Vec<Event> = std::iter::from_fn(|| engine.poll_output()).map(|o| o.event).collect();
//! assert_eq!(events, vec![
//!     Event::ChatAssigned { chat: ChatId(1), agent: AgentId(0), reason: AssignReason::Auto },
//!     Event::ChatQueued { chat: ChatId(2), position: 1 },
//!     Event::ChatClosed { chat: ChatId(1), reason: CloseReason::Resolved },
//!     Event::ChatAssigned { chat: ChatId(2), agent: AgentId(0), reason: AssignReason::Drain },
//! ]);
//! assert_eq!(engine.next_deadline(), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it deliberately does not do
//!
//! It does not model customers or agents (that is the simulator's workload), deliver
//! notifications, or keep closed chats: memory is bounded by open chats and agents.

mod actions;
mod chats;
pub mod config;
pub mod error;
pub mod event;
pub mod id_map;
pub mod invariants;
mod queue;
mod routing;
pub mod settings;
pub mod state;
pub mod strategy;
pub mod time;

#[cfg(test)]
mod tests;

pub use config::{
    AgentConfig, Capacity, CapacityCounts, ConfigError, EligibleAgents, EngineConfig, InboxConfig,
    NotifyAssignment, Presence, Role, RotationOrder, Settings,
};
pub use error::EngineError;
pub use event::{
    AssignReason, CloseReason, Event, Move, Output, Recipient, Recipients, UnassignReason, ViolationRule,
};
pub use id_map::IdMap;
pub use settings::{SETTINGS, SettingSpec};
pub use state::{Agent, AgentId, Chat, ChatId, ChatStatus, GroupId, HeldChats, InboxId};
pub use strategy::StrategyKind;
pub use time::{SimDuration, SimTime};

use chats::Chats;
use queue::{Queues, Timer, Timers};
use rand_core::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use strategy::Strategy;

/// One input to the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// A chat reaches the engine (at creation, or at the bot's hand-off). Without a group
    /// or target and with the menu on it waits for the menu; otherwise it is routed now.
    ChatArrived {
        /// Its id, unique among open chats.
        chat: ChatId,
        /// Its inbox.
        inbox: InboxId,
        /// Its group, if already known (trace, bot hand-off).
        group: Option<GroupId>,
        /// The agent it is aimed at, if any.
        target: Option<AgentId>,
    },
    /// The customer picked a menu entry. Ignored (as a plain message) unless the chat is
    /// still waiting for the menu.
    MenuChoice {
        /// The chat.
        chat: ChatId,
        /// The group chosen.
        group: GroupId,
    },
    /// The customer wrote.
    CustomerMessage {
        /// The chat.
        chat: ChatId,
    },
    /// An agent wrote; replying to a queued chat claims it (`self_claim`).
    AgentMessage {
        /// The chat.
        chat: ChatId,
        /// Who wrote.
        agent: AgentId,
    },
    /// An agent's presence changed.
    SetPresence {
        /// The agent.
        agent: AgentId,
        /// The new presence.
        presence: Presence,
    },
    /// An agent's `auto_assign` flag changed.
    SetAutoAssign {
        /// The agent.
        agent: AgentId,
        /// The new value.
        auto_assign: bool,
    },
    /// An agent's capacity override changed (`None` = use the workspace setting).
    SetAgentCapacity {
        /// The agent.
        agent: AgentId,
        /// The new override.
        capacity: Option<Capacity>,
    },
    /// An agent's groups changed.
    SetAgentGroups {
        /// The agent.
        agent: AgentId,
        /// Its groups from now on.
        groups: Vec<GroupId>,
    },
    /// An agent's role changed. Making an admin who holds taken-over chats an agent is
    /// refused ([`EngineError::HoldsTakenOverChats`]).
    SetAgentRole {
        /// The agent.
        agent: AgentId,
        /// The new role.
        role: Role,
    },
    /// A new agent joins the roster; its id is the next index, never used before
    /// (docs/engine.md#roster-changes). Pinned inboxes admit it once
    /// [`Input::SetInboxAgents`] names it.
    AddAgent(AgentConfig),
    /// An agent leaves the roster: its chats move at once, its id is never reused.
    RemoveAgent {
        /// The agent.
        agent: AgentId,
    },
    /// Which agents an inbox may route to.
    SetInboxAgents {
        /// The inbox.
        inbox: InboxId,
        /// Everyone, or a pinned list.
        eligible: EligibleAgents,
    },
    /// The workspace settings changed.
    Configure(Settings),
    /// An inbox's strategy changed.
    SetStrategy {
        /// The inbox.
        inbox: InboxId,
        /// The new strategy.
        strategy: StrategyKind,
    },
    /// A person moves a chat to an agent, ignoring presence and capacity.
    Assign {
        /// The chat.
        chat: ChatId,
        /// The new agent.
        agent: AgentId,
    },
    /// An agent takes a queued chat.
    Claim {
        /// The chat.
        chat: ChatId,
        /// The agent.
        agent: AgentId,
    },
    /// The chat goes back to the queue and is drained at once, without its agent.
    Unassign {
        /// The chat.
        chat: ChatId,
    },
    /// An admin takes over an assigned or queued chat.
    Takeover {
        /// The chat.
        chat: ChatId,
        /// The admin.
        admin: AgentId,
    },
    /// The chat ends.
    Close {
        /// The chat.
        chat: ChatId,
        /// Why (not `auto_closed`, which is the engine's).
        reason: CloseReason,
    },
    /// Time passed: fire every timer due at or before `now`.
    Timeout,
}

/// Cumulative counts the engine keeps about itself (observability; serialized with it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Assignments by [`AssignReason`], in [`AssignReason::ALL`] order.
    pub assigned: [u64; 8],
    /// Timers fired: offline grace, menu timeout, target fallback, group overflow,
    /// auto-close, rebalance.
    pub timers_fired: [u64; 6],
    /// Offline grace periods that ended with at least one chat to move.
    pub offline_handoffs: u64,
    /// VIOLATION outputs emitted.
    pub violations: u64,
}

/// The serialized part of the engine: everything that is not an index.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Core {
    config: EngineConfig,
    now: SimTime,
    agents: Vec<Agent>,
    chats: Chats,
    /// Round-robin cursors, per queue: the rotation key of the last pick, and who got it.
    #[serde(with = "as_pairs")]
    cursors: BTreeMap<(InboxId, Option<GroupId>), (u64, AgentId)>,
    rng: Pcg64Mcg,
    assign_seq: u64,
    online_seq: u64,
    counters: Counters,
    outputs: VecDeque<Output>,
}

/// For each agent, the inboxes that may route to it, sorted: every list in one flat
/// array with offsets — two compact arrays that stay in cache at 10 000 agents, where a
/// list per agent costs a miss on its header and another on its heap buffer each time an
/// assignment or a close re-indexes the agent.
#[derive(Debug, Default)]
pub(crate) struct InboxLists {
    /// Agent i's list is `flat[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    flat: Vec<InboxId>,
}

impl InboxLists {
    fn new(lists: &[Vec<InboxId>]) -> Self {
        let mut this = Self {
            start: vec![0],
            flat: Vec::new(),
        };
        for list in lists {
            this.push(list);
        }
        this
    }

    /// Agent `agent`'s list, if the agent exists.
    pub(crate) fn get(&self, agent: usize) -> Option<&[InboxId]> {
        let (from, to) = (*self.start.get(agent)?, *self.start.get(agent + 1)?);
        Some(&self.flat[from as usize..to as usize])
    }

    /// Appends the list of a new agent.
    fn push(&mut self, list: &[InboxId]) {
        self.flat.extend_from_slice(list);
        self.start
            .push(u32::try_from(self.flat.len()).expect("fewer than 2^32 agent-inbox pairs"));
    }

    /// Empties agent `agent`'s list (a removed agent; rare, so the array is rebuilt).
    fn clear(&mut self, agent: usize) {
        let lists: Vec<Vec<InboxId>> = (0..self.start.len() - 1)
            .map(|i| if i == agent { Vec::new() } else { self[i].to_vec() })
            .collect();
        *self = Self::new(&lists);
    }
}

impl std::ops::Index<usize> for InboxLists {
    type Output = [InboxId];

    fn index(&self, agent: usize) -> &[InboxId] {
        self.get(agent).expect("an agent of the roster")
    }
}

/// Indexes rebuilt from [`Core`] (after a restore or a configuration change).
#[derive(Debug, Default)]
struct Derived {
    /// Inboxes each agent may be routed from, sorted.
    agent_inboxes: InboxLists,
    /// Strategy pools per inbox: slot 0 is "no group", slot g + 1 is group g. Empty for
    /// manual inboxes (or with auto-assign off); group slots only with group routing.
    pools: Vec<Vec<Option<Box<dyn Strategy>>>>,
    /// What rebalance looks at (kept only while rebalancing is on).
    balance: Balance,
    queues: Queues,
    timers: Timers,
    /// Live agents by name.
    names: BTreeMap<String, AgentId>,
    /// The drain's merge of queue heads, kept so a drain allocates nothing.
    drain_heap: BinaryHeap<Reverse<(queue::Place, routing::Source)>>,
}

/// The indexes of docs/engine.md#rebalance.
#[derive(Debug, Default)]
struct Balance {
    /// Every available agent still in the roster, by (load desc, roster): the donors.
    donors: BTreeSet<(Reverse<u32>, AgentId)>,
    /// Per inbox: (count, total load) of its routable agents (role agent, `auto_assign` on,
    /// available), for the mean.
    means: Vec<(u64, u64)>,
    /// Per inbox: its automatically assigned chats by (last message, id) — an entry may be
    /// at an earlier message (see `Engine::touch_chat`); a rebalance walk moves such entries
    /// as it reaches them — so rebalance looks at the idle ones (a prefix) instead of
    /// walking every donor's chats.
    by_message: Vec<BTreeSet<(SimTime, ChatId)>>,
}

/// The assignment engine. See the module documentation for the call contract.
#[derive(Debug)]
pub struct Engine {
    core: Core,
    derived: Derived,
}

impl Engine {
    /// Builds an engine; agents start with the presence their configuration gives, those
    /// online ordered by roster for round-robin.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut online_seq = 0;
        let agents = config
            .agents
            .iter()
            .map(|a| {
                let mut groups = a.groups.clone();
                groups.sort_unstable();
                groups.dedup();
                online_seq += 1;
                Agent {
                    name: a.name.clone(),
                    role: a.role,
                    groups,
                    auto_assign: a.auto_assign,
                    capacity: a.capacity,
                    presence: a.presence,
                    online_key: online_seq,
                    last_assigned: 0,
                    assigned: HeldChats::default(),
                    n_auto: 0,
                    taken_over: BTreeSet::new(),
                    grace_deadline: None,
                    rebalance_at: None,
                    removed: false,
                    idx: Default::default(),
                }
            })
            .collect();
        let core = Core {
            rng: Pcg64Mcg::seed_from_u64(config.rng_seed),
            config,
            now: SimTime::ZERO,
            agents,
            chats: Chats::default(),
            cursors: BTreeMap::new(),
            assign_seq: 0,
            online_seq,
            counters: Counters::default(),
            outputs: VecDeque::new(),
        };
        let mut engine = Self {
            core,
            derived: Derived::default(),
        };
        engine.rebuild();
        Ok(engine)
    }

    /// Applies one input at time `now`. See the module documentation for the contract.
    pub fn handle(&mut self, now: SimTime, input: Input) -> Result<(), EngineError> {
        if now < self.core.now {
            return Err(EngineError::TimeWentBackwards {
                now,
                current: self.core.now,
            });
        }
        if input == Input::Timeout {
            self.fire_timers(now, true);
            self.core.now = now;
            return Ok(());
        }
        self.fire_timers(now, false);
        self.validate(&input)?;
        self.core.now = now;
        self.apply(input);
        // A configuration change can put a deadline in the past (auto-close switched on
        // for chats already silent that long): such timers fire now, after the change's
        // own outputs, so `next_deadline` is never earlier than `now`.
        self.fire_timers(now, false);
        Ok(())
    }

    /// The next output, oldest first; `None` when all have been taken.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.core.outputs.pop_front()
    }

    /// When the engine next needs a `Timeout`, if ever.
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.derived.timers.first().map(|&(t, _)| t)
    }

    /// The engine's current time (the last input's `now`).
    pub fn now(&self) -> SimTime {
        self.core.now
    }

    /// The configuration in force. Its agent list holds every agent ever added, removed
    /// ones included (see [`Agent::removed`]): ids are never reused.
    pub fn config(&self) -> &EngineConfig {
        &self.core.config
    }

    /// The workspace settings in force.
    pub fn settings(&self) -> &Settings {
        &self.core.config.settings
    }

    /// Every agent, in roster order (an [`AgentId`] is an index).
    pub fn agents(&self) -> &[Agent] {
        &self.core.agents
    }

    /// One agent.
    pub fn agent(&self, agent: AgentId) -> Option<&Agent> {
        self.core.agents.get(agent.index())
    }

    /// The inboxes that may route to `agent` (its inbox's `eligible` names it, or is
    /// everyone), in id order; empty for an unknown agent.
    pub fn agent_inboxes(&self, agent: AgentId) -> &[InboxId] {
        self.derived.agent_inboxes.get(agent.index()).unwrap_or(&[])
    }

    /// An open chat.
    #[inline]
    pub fn chat(&self, chat: ChatId) -> Option<&Chat> {
        self.core.chats.get(&chat)
    }

    /// Every open chat, by id. Sorts the ids first: O(n log n).
    pub fn chats(&self) -> impl Iterator<Item = (ChatId, &Chat)> {
        self.core.chats.iter()
    }

    /// Number of open chats: O(1).
    pub fn open_chats(&self) -> usize {
        self.core.chats.len()
    }

    /// Number of queued chats.
    pub fn queue_len(&self) -> usize {
        self.derived.queues.len()
    }

    /// Queued chats in drain order: (received, id).
    pub fn queued_chats(&self) -> Vec<ChatId> {
        self.derived.queues.all_in_order()
    }

    /// The chat's 1-based position in its (inbox, routing group) queue right now, chats
    /// waiting for their target included (docs/engine.md#queue); `None` unless it is
    /// queued. O(log n) (a short queue is walked), for admin screens.
    pub fn queue_position(&self, chat: ChatId) -> Option<u32> {
        let (slot, place) = self.core.chats.get(&chat)?.idx.slot?;
        Some(self.derived.queues.position(slot, place))
    }

    /// The id of the agent named `name` in the roster (removed agents have none).
    pub fn agent_id(&self, name: &str) -> Option<AgentId> {
        self.derived.names.get(name).copied()
    }

    /// The oldest chat queued in `inbox` that any eligible agent may take (not one waiting
    /// for its target alone), with the instant the engine received it (its queue place):
    /// what a person claiming by hand
    /// picks first. O(groups · log n).
    pub fn oldest_queued(&self, inbox: InboxId) -> Option<(SimTime, ChatId)> {
        self.derived
            .queues
            .by_key
            .range((inbox, None)..=(inbox, Some(GroupId(u32::MAX))))
            .filter_map(|(_, q)| q.open.first().copied())
            .min()
    }

    /// The agent's load: chats counted against capacity.
    pub fn load(&self, agent: AgentId) -> u32 {
        self.core.agents.get(agent.index()).map_or(0, |a| self.load_of(a))
    }

    /// The agent's capacity in force (admins: unlimited).
    pub fn capacity(&self, agent: AgentId) -> Capacity {
        self.core
            .agents
            .get(agent.index())
            .map_or(Capacity::Unlimited, |a| self.capacity_of(a))
    }

    /// Cumulative counters.
    pub fn counters(&self) -> &Counters {
        &self.core.counters
    }

    fn validate(&self, input: &Input) -> Result<(), EngineError> {
        let agent = |a: AgentId| match self.agent(a) {
            Some(x) if !x.removed => Ok(()),
            _ => Err(EngineError::UnknownAgent(a)),
        };
        let chat = |c: ChatId| self.chat(c).ok_or(EngineError::UnknownChat(c));
        let group = |g: GroupId| {
            (g.index() < self.core.config.groups.len())
                .then_some(())
                .ok_or(EngineError::UnknownGroup(g))
        };
        let inbox = |i: InboxId| {
            (i.index() < self.core.config.inboxes.len())
                .then_some(())
                .ok_or(EngineError::UnknownInbox(i))
        };
        let status_in = |c: ChatId, allowed: &[ChatStatus], action: &'static str| {
            let status = chat(c)?.status;
            if allowed.contains(&status) {
                Ok(())
            } else {
                Err(EngineError::WrongStatus {
                    chat: c,
                    status,
                    action,
                })
            }
        };
        match input {
            &Input::ChatArrived {
                chat: c,
                inbox: i,
                group: g,
                ..
            } => {
                if self.core.chats.contains_key(&c) {
                    return Err(EngineError::DuplicateChat(c));
                }
                inbox(i)?;
                // A target that is not in the roster is not refused: it is simply never
                // live, and the chat is routed at once (docs/engine.md#targeted-chats).
                g.map_or(Ok(()), group)
            }
            &Input::MenuChoice { chat: c, group: g } => {
                chat(c)?;
                group(g)
            }
            &Input::CustomerMessage { chat: c } => chat(c).map(|_| ()),
            &Input::AgentMessage { chat: c, agent: a } => {
                chat(c)?;
                agent(a)
            }
            &Input::SetPresence { agent: a, .. }
            | &Input::SetAutoAssign { agent: a, .. }
            | &Input::RemoveAgent { agent: a } => agent(a),
            &Input::SetAgentCapacity { agent: a, capacity } => {
                agent(a)?;
                capacity
                    .map_or(Ok(()), config::validate_capacity)
                    .map_err(EngineError::from)
            }
            Input::SetAgentGroups { agent: a, groups } => {
                agent(*a)?;
                groups.iter().try_for_each(|&g| group(g))
            }
            &Input::SetAgentRole { agent: a, role } => {
                agent(a)?;
                if role == Role::Agent && !self.core.agents[a.index()].taken_over.is_empty() {
                    return Err(EngineError::HoldsTakenOverChats(a));
                }
                Ok(())
            }
            Input::AddAgent(config) => {
                if self.derived.names.contains_key(&config.name) {
                    return Err(ConfigError::DuplicateAgentName {
                        name: config.name.clone(),
                    }
                    .into());
                }
                if let Some(c) = config.capacity {
                    config::validate_capacity(c)?;
                }
                config.groups.iter().try_for_each(|&g| group(g))
            }
            Input::SetInboxAgents { inbox: i, eligible } => {
                inbox(*i)?;
                match eligible {
                    EligibleAgents::Everyone => Ok(()),
                    EligibleAgents::Pinned(list) => list.iter().try_for_each(|&a| agent(a)),
                }
            }
            Input::Configure(settings) => settings.validate().map_err(EngineError::from),
            &Input::SetStrategy { inbox: i, .. } => inbox(i),
            &Input::Assign { chat: c, agent: a } => {
                agent(a)?;
                let ch = chat(c)?;
                if ch.status == ChatStatus::Assigned && ch.owner == Some(a) {
                    return Err(EngineError::AlreadyAssigned { chat: c, agent: a });
                }
                Ok(())
            }
            &Input::Claim { chat: c, agent: a } => {
                agent(a)?;
                status_in(c, &[ChatStatus::Queued], "claim")
            }
            &Input::Unassign { chat: c } => status_in(c, &[ChatStatus::Assigned], "unassign"),
            &Input::Takeover { chat: c, admin } => {
                agent(admin)?;
                if self.core.agents[admin.index()].role != Role::Admin {
                    return Err(EngineError::NotAdmin(admin));
                }
                status_in(c, &[ChatStatus::Assigned, ChatStatus::Queued], "take over")
            }
            &Input::Close { chat: c, reason } => {
                chat(c)?;
                if reason == CloseReason::AutoClosed {
                    return Err(EngineError::ReservedCloseReason);
                }
                Ok(())
            }
            Input::Timeout => Ok(()),
        }
    }

    fn apply(&mut self, input: Input) {
        match input {
            Input::ChatArrived {
                chat,
                inbox,
                group,
                target,
            } => self.arrive(chat, inbox, group, target),
            Input::MenuChoice { chat, group } => self.menu_choice(chat, group),
            Input::CustomerMessage { chat } => self.message(chat),
            Input::AgentMessage { chat, agent } => self.agent_message(chat, agent),
            Input::SetPresence { agent, presence } => self.set_presence(agent, presence),
            Input::SetAutoAssign { agent, auto_assign } => {
                self.core.agents[agent.index()].auto_assign = auto_assign;
                self.core.config.agents[agent.index()].auto_assign = auto_assign;
                self.agent_changed(agent);
            }
            Input::SetAgentCapacity { agent, capacity } => {
                self.core.agents[agent.index()].capacity = capacity;
                self.core.config.agents[agent.index()].capacity = capacity;
                self.agent_changed(agent);
            }
            Input::SetAgentGroups { agent, mut groups } => {
                groups.sort_unstable();
                groups.dedup();
                self.unindex_agent(agent);
                self.core.agents[agent.index()].groups = groups.clone();
                self.core.config.agents[agent.index()].groups = groups;
                self.agent_changed(agent);
            }
            Input::SetAgentRole { agent, role } => {
                self.core.agents[agent.index()].role = role;
                self.core.config.agents[agent.index()].role = role;
                self.agent_changed(agent);
            }
            Input::AddAgent(config) => self.add_agent(config),
            Input::RemoveAgent { agent } => self.remove_agent(agent),
            Input::SetInboxAgents { inbox, eligible } => {
                for i in 0..self.core.agents.len() {
                    self.unindex_agent(AgentId(i as u32));
                }
                self.core.config.inboxes[inbox.index()].eligible = eligible;
                self.derived.agent_inboxes = self.inbox_lists();
                for i in 0..self.core.agents.len() {
                    self.reindex_agent(AgentId(i as u32));
                }
                self.refresh_target_waits(None);
                self.drain(None);
            }
            Input::Configure(settings) => self.configure(settings),
            Input::SetStrategy { inbox, strategy } => {
                self.core.config.inboxes[inbox.index()].strategy = strategy;
                self.reconfigure();
                self.drain(None);
            }
            Input::Assign { chat, agent } => self.manual_assign(chat, agent),
            Input::Claim { chat, agent } => self.assign(chat, agent, AssignReason::Manual),
            Input::Unassign { chat } => self.unassign(chat),
            Input::Takeover { chat, admin } => self.takeover(chat, admin),
            Input::Close { chat, reason } => {
                self.close(chat, reason);
                self.drain(None);
            }
            Input::Timeout => {}
        }
    }

    /// After a change to one agent's own settings: reindex, end target waits it no longer
    /// allows, drain.
    fn agent_changed(&mut self, agent: AgentId) {
        self.reindex_agent(agent);
        self.refresh_target_waits(Some(agent));
        self.drain(None);
    }

    fn add_agent(&mut self, config: AgentConfig) {
        let id = AgentId(u32::try_from(self.core.agents.len()).expect("fewer than 2^32 agents"));
        let mut groups = config.groups.clone();
        groups.sort_unstable();
        groups.dedup();
        self.core.online_seq += 1;
        let rebalance =
            self.core.config.settings.rebalance_on_online && config.presence == Presence::Available;
        self.core.agents.push(Agent {
            name: config.name.clone(),
            role: config.role,
            groups,
            auto_assign: config.auto_assign,
            capacity: config.capacity,
            presence: config.presence,
            online_key: self.core.online_seq,
            last_assigned: 0,
            assigned: HeldChats::default(),
            n_auto: 0,
            taken_over: BTreeSet::new(),
            grace_deadline: None,
            rebalance_at: rebalance.then_some(self.core.now),
            removed: false,
            idx: Default::default(),
        });
        self.derived.names.insert(config.name.clone(), id);
        self.core.config.agents.push(config);
        let everyone = self
            .core
            .config
            .inboxes
            .iter()
            .enumerate()
            .filter(|(_, inbox)| inbox.eligible == EligibleAgents::Everyone)
            .map(|(i, _)| InboxId(i as u32))
            .collect::<Vec<_>>();
        self.derived.agent_inboxes.push(&everyone);
        self.reindex_agent(id);
        self.drain(None);
    }

    /// A new set of workspace settings (docs/engine.md#configuration).
    fn configure(&mut self, settings: Settings) {
        let old = std::mem::replace(&mut self.core.config.settings, settings);
        let new = &self.core.config.settings;
        if new.rotation_order != old.rotation_order {
            // Cursors hold keys of the old order; they mean nothing in the new one.
            self.core.cursors.clear();
        }
        let now = self.core.now;
        let (reassign_on, reassign_off) = (
            new.reassign_on_offline && !old.reassign_on_offline,
            !new.reassign_on_offline && old.reassign_on_offline,
        );
        let grace = new.offline_grace;
        let rebalance_off = !new.rebalance_on_online;
        for a in &mut self.core.agents {
            if reassign_off {
                // Switching it off during a grace period cancels the move.
                a.grace_deadline = None;
            }
            if reassign_on
                && !a.removed
                && a.presence == Presence::Offline
                && !a.assigned.is_empty()
                && a.grace_deadline.is_none()
            {
                // Agents already offline start their grace period now.
                a.grace_deadline = Some(now + grace);
            }
            if rebalance_off {
                a.rebalance_at = None;
            }
        }
        let menu_off = old.menu_timeout.is_some() && self.core.config.settings.menu_timeout.is_none();
        self.reconfigure();
        if menu_off {
            // Chats waiting for the menu become routable at once, without a group.
            let mut waiting: Vec<(SimTime, ChatId)> = self
                .core
                .chats
                .iter_any_order()
                .filter(|(_, c)| c.status == ChatStatus::AwaitingMenu)
                .map(|(id, c)| (c.created_at, id))
                .collect();
            waiting.sort_unstable();
            for (_, id) in waiting {
                self.become_routable(id);
            }
        }
        self.drain(None);
    }

    /// Fires due timers: those at or before `now` when `inclusive`, strictly before otherwise.
    /// Every input ends here, which leaves the first timer at a real deadline (auto-close
    /// entries left early by messages are moved on the way: [`Engine::settle_auto_close`]).
    fn fire_timers(&mut self, now: SimTime, inclusive: bool) {
        while let Some(&(deadline, timer)) = self.derived.timers.first() {
            // An auto-close entry left early by messages moves to its real deadline first.
            if let Timer::AutoClose(chat) = timer
                && self.settle_auto_close(chat, deadline)
            {
                continue;
            }
            if deadline > now || (!inclusive && deadline == now) {
                break;
            }
            self.derived.timers.pop_first();
            self.core.now = self.core.now.max(deadline);
            self.core.counters.timers_fired[timer.kind_index()] += 1;
            self.fire(timer);
        }
    }

    /// Recomputes the time- and settings-dependent flags of every chat, then rebuilds every
    /// index, after a change of settings or strategies. The caller drains.
    fn reconfigure(&mut self) {
        let ids = self.core.chats.sorted_ids();
        for &id in &ids {
            if self.core.chats[&id].status == ChatStatus::Queued {
                self.refresh_overflow(id);
            }
        }
        self.rebuild();
        for id in ids {
            self.refresh_target_wait(id);
        }
    }

    /// For each agent, the inboxes that admit it, sorted.
    fn inbox_lists(&self) -> InboxLists {
        let config = &self.core.config;
        let mut lists = vec![Vec::new(); self.core.agents.len()];
        for (i, inbox) in config.inboxes.iter().enumerate() {
            let id = InboxId(i as u32);
            match &inbox.eligible {
                EligibleAgents::Everyone => lists.iter_mut().for_each(|list| list.push(id)),
                EligibleAgents::Pinned(pinned) => {
                    for a in pinned {
                        if let Some(list) = lists.get_mut(a.index()) {
                            list.push(id);
                        }
                    }
                }
            }
        }
        for (list, agent) in lists.iter_mut().zip(&self.core.agents) {
            list.dedup();
            if agent.removed {
                list.clear();
            }
        }
        InboxLists::new(&lists)
    }

    /// Recomputes every derived index from core state.
    fn rebuild(&mut self) {
        let config = &self.core.config;
        let n_groups = config.groups.len();
        let auto_on = config.settings.enabled;
        let group_slots = if config.settings.group_routing {
            n_groups
        } else {
            0
        };
        let pools = config
            .inboxes
            .iter()
            .map(|inbox| {
                let kind = if auto_on {
                    inbox.strategy
                } else {
                    StrategyKind::Manual
                };
                (0..=group_slots).map(|_| kind.new_index()).collect()
            })
            .collect();
        let n_inboxes = config.inboxes.len();
        let names = self
            .core
            .agents
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.removed)
            .map(|(i, a)| (a.name.clone(), AgentId(i as u32)))
            .collect();
        self.derived = Derived {
            agent_inboxes: self.inbox_lists(),
            pools,
            balance: Balance {
                donors: BTreeSet::new(),
                means: vec![(0, 0); n_inboxes],
                by_message: vec![BTreeSet::new(); n_inboxes],
            },
            queues: Queues::default(),
            timers: Timers::default(),
            names,
            drain_heap: BinaryHeap::new(),
        };
        for i in 0..self.core.agents.len() {
            self.core.agents[i].idx = Default::default();
            self.reindex_agent(AgentId(i as u32));
        }
        for id in self.core.chats.sorted_ids() {
            if let Some(c) = self.core.chats.get_mut(&id) {
                c.idx = Default::default();
            }
            self.sync_chat(id);
        }
    }

    fn emit(&mut self, event: Event, to: Recipients) {
        if matches!(event, Event::Violation { .. }) {
            self.core.counters.violations += 1;
        }
        self.core.outputs.push_back(Output {
            at: self.core.now,
            event,
            to,
        });
    }
}

impl Serialize for Engine {
    /// Serializes the core state only; indexes are rebuilt on restore.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.core.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Engine {
    /// Restores an engine, checks it (docs/engine.md#snapshots) and rebuilds its indexes;
    /// it then behaves exactly as the engine that was serialized. An inconsistent snapshot
    /// is refused with an error naming what is wrong.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let core = Core::deserialize(deserializer)?;
        Self::restore(core).map_err(serde::de::Error::custom)
    }
}

/// Why a snapshot was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotError(pub String);

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "inconsistent snapshot: {}", self.0)
    }
}

impl std::error::Error for SnapshotError {}

impl Engine {
    fn restore(core: Core) -> Result<Self, SnapshotError> {
        check_core(&core).map_err(SnapshotError)?;
        let mut engine = Self {
            core,
            derived: Derived::default(),
        };
        engine.rebuild();
        engine.check_settled().map_err(SnapshotError)?;
        Ok(engine)
    }

    /// The rules that hold between steps and need the indexes: no queued chat has an
    /// eligible agent (so the first-come rule of docs/engine.md#drains holds), every timer
    /// is in the future or due now. O(queued chats · log n).
    fn check_settled(&self) -> Result<(), String> {
        if let Some(&(t, _)) = self.derived.timers.first()
            && t < self.core.now
        {
            return Err(format!(
                "a timer is due at {t}, before the snapshot's time {}",
                self.core.now
            ));
        }
        // Picks here only test whether anyone could be picked; a copy of the generator keeps
        // the restored one untouched.
        let mut rng = self.core.rng.clone();
        for (&key, queue) in &self.derived.queues.by_key {
            let Some(pool) = self.derived.pools[key.0.index()]
                .get(key.1.map_or(0, |g| g.index() + 1))
                .and_then(Option::as_ref)
            else {
                continue;
            };
            for &(_, id) in &queue.open {
                let chat = &self.core.chats[&id];
                let mut ctx = strategy::PickContext {
                    cursor: None,
                    exclude: chat.excluded,
                    rng: &mut rng,
                };
                if let Some(agent) = pool.pick(&mut ctx) {
                    return Err(format!(
                        "queued chat #{} has an eligible agent #{}",
                        id.0, agent.0
                    ));
                }
            }
        }
        let fallback = self.core.config.settings.target_fallback_after;
        for (&agent, places) in &self.derived.queues.by_target {
            for &(_, id) in places {
                let chat = &self.core.chats[&id];
                if self.eligible(agent, chat) {
                    return Err(format!(
                        "chat #{} waits for agent #{}, who could take it",
                        id.0, agent.0
                    ));
                }
                if !self.target_live(chat)
                    || chat.needs_human_at.is_some_and(|t| t + fallback < self.core.now)
                {
                    return Err(format!(
                        "chat #{} waits for agent #{}, who is not live or past the fallback",
                        id.0, agent.0
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks a snapshot's data before any index is built from it: settings and references in
/// range, every chat in one consistent status, agents' chat lists agreeing with the chats.
fn check_core(core: &Core) -> Result<(), String> {
    let config = &core.config;
    config.settings.validate().map_err(|e| format!("settings: {e}"))?;
    if config.inboxes.is_empty() {
        return Err("no inbox".into());
    }
    if core.agents.len() != config.agents.len() {
        return Err(format!(
            "{} agents in the state but {} in the configuration",
            core.agents.len(),
            config.agents.len()
        ));
    }
    let (n_agents, n_groups, n_inboxes) = (core.agents.len(), config.groups.len(), config.inboxes.len());
    for (i, a) in config.agents.iter().enumerate() {
        if let Some(g) = a.groups.iter().find(|g| g.index() >= n_groups) {
            return Err(format!("configured agent #{i} is in unknown group #{}", g.0));
        }
    }
    let mut names = BTreeSet::new();
    for (i, a) in core.agents.iter().enumerate() {
        if !a.removed && !names.insert(a.name.as_str()) {
            return Err(format!("agent name \"{}\" is used twice", a.name));
        }
        if let Some(g) = a.groups.iter().find(|g| g.index() >= n_groups) {
            return Err(format!("agent #{i} is in unknown group #{}", g.0));
        }
        if a.groups.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!("agent #{i}'s groups are not sorted without repeats"));
        }
        if a.grace_deadline.is_some()
            && (a.presence != Presence::Offline || !config.settings.reassign_on_offline)
        {
            return Err(format!(
                "agent #{i} has a grace timer but is not offline with reassign_on_offline on"
            ));
        }
        if let Some(t) = a.rebalance_at
            && (t > core.now
                || a.removed
                || a.presence != Presence::Available
                || !config.settings.rebalance_on_online)
        {
            return Err(format!("agent #{i} has a rebalance timer it cannot have"));
        }
        if let Some(Err(e)) = a.capacity.map(config::validate_capacity) {
            return Err(format!("agent #{i}: {e}"));
        }
        if a.online_key > core.online_seq || a.last_assigned > core.assign_seq {
            return Err(format!("agent #{i} has a sequence number from the future"));
        }
        if a.removed && (!a.assigned.is_empty() || !a.taken_over.is_empty() || a.grace_deadline.is_some()) {
            return Err(format!("removed agent #{i} still holds chats or a timer"));
        }
        if !a.taken_over.is_empty() && a.role != Role::Admin {
            return Err(format!("agent #{i} holds taken-over chats but is not an admin"));
        }
    }
    for inbox in &config.inboxes {
        if let EligibleAgents::Pinned(list) = &inbox.eligible
            && let Some(a) = list
                .iter()
                .find(|a| a.index() >= n_agents || core.agents[a.index()].removed)
        {
            return Err(format!("inbox \"{}\" pins unknown agent #{}", inbox.name, a.0));
        }
    }
    let mut assigned = vec![BTreeSet::new(); n_agents];
    let mut taken = vec![BTreeSet::new(); n_agents];
    for (id, c) in core.chats.iter() {
        let at = |what: &str| format!("chat #{}: {what}", id.0);
        if c.inbox.index() >= n_inboxes {
            return Err(at("unknown inbox"));
        }
        if c.group.is_some_and(|g| g.index() >= n_groups) {
            return Err(at("unknown group"));
        }
        if c.created_at > core.now || c.last_message_at > core.now || c.assigned_at > core.now {
            return Err(at("a time later than the snapshot's"));
        }
        if c.assign_seq > core.assign_seq {
            return Err(at("an assignment number from the future"));
        }
        if c.target_waiting && c.status != ChatStatus::Queued {
            return Err(at("waits for its target but is not queued"));
        }
        if c.target_waiting
            && c.target
                .is_none_or(|t| core.agents.get(t.index()).is_none_or(|a| a.removed))
        {
            return Err(at("waits for a target that is not in the roster"));
        }
        if c.needs_human_at.is_some_and(|t| t > core.now)
            || c.menu_deadline
                .is_some_and(|_| c.status != ChatStatus::AwaitingMenu)
        {
            return Err(at(
                "a routable time later than the snapshot's, or a menu deadline outside the menu",
            ));
        }
        let owner = match (c.status, c.owner) {
            (ChatStatus::AwaitingMenu, None) if c.needs_human_at.is_none() && c.menu_deadline.is_some() => {
                None
            }
            (ChatStatus::Queued, None) if c.needs_human_at.is_some() => None,
            (ChatStatus::Assigned | ChatStatus::TakenOver, Some(o)) if c.needs_human_at.is_some() => Some(o),
            (status, owner) => return Err(at(&format!("status {status:?} with owner {owner:?}"))),
        };
        if let Some(o) = owner {
            let agent = core
                .agents
                .get(o.index())
                .filter(|a| !a.removed)
                .ok_or_else(|| at(&format!("owner #{} is not in the roster", o.0)))?;
            if c.status == ChatStatus::Assigned {
                assigned[o.index()].insert((c.assign_seq, id));
            } else {
                if agent.role != Role::Admin {
                    return Err(at("taken over by an agent who is not an admin"));
                }
                taken[o.index()].insert(id);
            }
        }
    }
    for (i, a) in core.agents.iter().enumerate() {
        if !a.assigned.iter().eq(&assigned[i]) || a.taken_over != taken[i] {
            return Err(format!("agent #{i}'s chat lists disagree with the chats"));
        }
        let n_auto = a.assigned.iter().filter(|(_, c)| core.chats[c].auto).count();
        if a.n_auto as usize != n_auto {
            return Err(format!(
                "agent #{i} counts {} automatic chats, the chats say {n_auto}",
                a.n_auto
            ));
        }
    }
    for &(inbox, group) in core.cursors.keys() {
        if inbox.index() >= n_inboxes || group.is_some_and(|g| g.index() >= n_groups) {
            return Err("a round-robin cursor names an unknown inbox or group".into());
        }
    }
    Ok(())
}

/// Serializes a map with composite keys as a list of pairs, which every format (JSON
/// included) can hold.
mod as_pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub(super) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub(super) fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(deserializer)?.into_iter().collect())
    }
}
