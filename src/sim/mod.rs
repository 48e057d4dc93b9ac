//! The discrete-event simulator: one replication of a scenario, driving the engine.
//!
//! A run is a pure function of (scenario, replication): the virtual clock is integer
//! milliseconds, the event queue ([`queue`]) orders same-instant events by a fixed class
//! order and then by entity id, and every random quantity comes from a stream keyed by
//! (seed, replication, purpose, entity) — so nothing depends on scheduling history, thread
//! count or the cell being compared.
//!
//! The engine is driven only through its public API: inputs at their times, `Timeout` at
//! its deadlines (after every input of the same instant), outputs drained after each call.
//! The simulator reacts to outputs — it schedules a chat's end when it is assigned, moves
//! the remaining work when it is reassigned, starts the patience clock when it is queued —
//! and forwards every output to the metrics collector.
//!
//! The workload around the engine (docs/workload.md): a bot phase before hand-off, menu
//! picks, customer messages (in conversation and, optionally, while queued), silent
//! abandonment noticed by the agent, the agent's first reply, concurrency slowdown
//! (remaining work rescheduled whenever an agent's number of chats changes), manual claims,
//! admin takeovers, presence behaviour ([`crate::workload::presence`]) and the configuration schedule.

pub mod queue;
mod work;

use crate::engine::{
    AgentId, Capacity, ChatId, ChatStatus, CloseReason, EligibleAgents, Engine, Event, IdMap, Input, Output,
    Presence, Role, SimDuration, SimTime, StrategyKind,
};
use crate::metrics::{ChatTrack, Collector, Plan, RunMetrics};
use crate::scenario::{RunKind, Scenario, TraceArrival};
use crate::workload::arrivals::PoissonArrivals;
use crate::workload::draw::{COPY_STRIDE, ChatDraw, Draws, EXTRA_CHAT_BASE};
use crate::workload::presence::presence_plan;
use crate::workload::{Purpose, Rng, stream, stream_seed, unit};
use queue::{Class, EventQueue};
use smallvec::SmallVec;
use std::collections::BTreeSet;

// Chat ids are event entities: base chats below `EXTRA_CHAT_BASE`, extra chats and trace
// copies above it, with as many ids again to spare (a run is refused beyond 10^8 chats,
// a trace beyond 256 MiB) — all below what an event key holds.
const _: () = assert!(2 * EXTRA_CHAT_BASE <= queue::ENTITY_LIMIT);

/// What one replication produced.
#[derive(Debug)]
pub struct RunResult {
    /// The metrics.
    pub metrics: RunMetrics,
    /// Sample-path counts, for the identity tests.
    pub counts: Counts,
    /// The first engine invariant found broken (only with [`RunOptions::check_invariants`]).
    pub invariant_failure: Option<String>,
}

/// Sample-path counts of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    /// Chats customers started (after thinning): bot-resolved + arrived + still in the bot.
    pub created: u64,
    /// Chats that reached the engine.
    pub arrived: u64,
    /// Chats the bot resolved (they never reached the engine).
    pub bot_resolved: u64,
    /// Chats closed, any reason.
    pub closed: u64,
    /// Chats still open at the end.
    pub open: u64,
    /// Chats still with the bot at the end (they never reached the engine).
    pub in_bot: u64,
    /// ∫ queue length dt over the run (chat·ms), from the collector.
    pub queue_area_ms: f64,
    /// Σ of every queue episode's length (ms), re-queues and abandoners included.
    pub queue_episodes_ms: f64,
    /// Engine errors the simulator did not expect (must be 0).
    pub engine_errors: u64,
}

#[derive(Debug)]
enum Ev {
    /// The next arrival of a stream (0 = base, 1 = extra).
    Arrival { stream: u8, index: u64 },
    /// The bot hands the chat to the engine.
    Handoff { chat: ChatId },
    /// The customer picks from the menu.
    MenuPick { chat: ChatId },
    /// A chat's work is done.
    End { chat: ChatId, version: u32 },
    /// A queued customer gives up.
    Abandon { chat: ChatId },
    /// An agent's presence changes.
    Presence { agent: AgentId, presence: Presence },
    /// A scheduled configuration change.
    Config { index: usize },
    /// The customer writes.
    Message { chat: ChatId },
    /// The agent's first reply.
    FirstReply { chat: ChatId, version: u32 },
    /// A silent customer leaves.
    Leave { chat: ChatId },
    /// The agent notices the customer left, and closes the chat.
    Notice { chat: ChatId },
    /// An admin takes the chat over.
    Takeover { chat: ChatId },
    /// An agent claims the oldest queued chat (manual mode).
    Claim { agent: AgentId },
}

/// Simulator-side state of an open chat.
///
/// Laid out in declaration order (`repr(C)`), hottest first: the first cache line holds
/// what every event of the chat reads — a customer message touches it and the start of the
/// metrics' track, which follows — and the draw, read at hand-off and assignment, comes
/// last. With ~10^4 open chats the records do not fit in cache, so each line an event
/// touches is a miss.
#[derive(Debug)]
#[repr(C)]
struct ChatRt {
    last_message_at: SimTime,
    /// Who works it now.
    holder: Option<AgentId>,
    /// Bumped whenever its scheduled end stops counting (lazy cancellation of `End`).
    version: u32,
    /// Bumped whenever a scheduled first reply stops counting (lazy cancellation).
    reply_version: u32,
    /// Where it is in its life.
    stage: Stage,
    message_pending: bool,
    notice_pending: bool,
    /// The agent's first reply was sent.
    responded: bool,
    /// Its patience clock is running (first wait only).
    abandon_scheduled: bool,
    /// Its customer's message gaps, seeded at the first message.
    messages: Option<Rng>,
    /// What the metrics collector follows of the chat, from its first routing on (kept
    /// here so that one lookup serves the simulator and the collector).
    track: Option<ChatTrack>,
    /// Work left (ms at concurrency 1): as of `since` on the plain path; while not held on
    /// the general path (see [`work`]).
    remaining: f64,
    since: SimTime,
    /// General path, while held and needing work: the holder's work-clock reading at which
    /// the chat is done.
    target: Option<f64>,
    /// When its scheduled end falls (`None` = not scheduled).
    end_at: Option<SimTime>,
    /// When the engine first routed it (set on entering [`Stage::Routed`]).
    needs_human_at: Option<SimTime>,
    /// General path: the holder's clock reading at which the first reply is due, and when
    /// its event is scheduled.
    reply_target: Option<f64>,
    reply_at: Option<SimTime>,
    draw: ChatDraw,
}

/// Where a chat is in its life as the simulator plays it. The stages only move forward,
/// and each implies the ones before it: a served chat was routed, a chat whose customer
/// left was served (the customer leaves mid-conversation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// With the bot, or awaiting its menu choice: not routed yet.
    Unrouted,
    /// Routed (it needs a human since `needs_human_at`), never held by an agent yet.
    Routed,
    /// Held by an agent at least once (a reassigned chat stays served).
    Served,
    /// Its customer left without a word: no more messages or work; it waits for the
    /// agent (or auto-close) to close it.
    Left,
}

/// Simulator-side state of an agent.
#[derive(Debug)]
struct AgentRt {
    /// Presence changes planned for the run, and the next one to queue (the presence now
    /// is the engine's).
    changes: Vec<(SimTime, Presence)>,
    next_change: usize,
    /// Chats they work on (assigned or taken over), in the order they got them (the usual
    /// few inline, in this record).
    holding: SmallVec<[ChatId; 3]>,
    work: work::AgentWork,
    /// A claim is scheduled.
    claim_pending: bool,
    /// Their entry in the idle-claimers set.
    claimer_key: Option<(u32, AgentId)>,
    claims: Rng,
}

/// Runs replication `replication` of `scenario`.
pub fn run(scenario: &Scenario, replication: u64) -> RunResult {
    run_with(scenario, replication, RunOptions::default())
}

/// How the simulator computes, for tests that compare two ways of getting one result.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Re-settle and reschedule every chat of an agent whenever their number of chats
    /// changes, even without slowdown. Without slowdown only the chat that moves is touched;
    /// both must give exactly the same results.
    pub always_reschedule: bool,
    /// Run the engine's full invariant check (docs/engine.md#invariants) after every engine call:
    /// O(chats × agents) per call, for tests on small scenarios.
    pub check_invariants: bool,
}

/// Runs replication `replication` of `scenario` with `options`.
pub fn run_with(scenario: &Scenario, replication: u64, options: RunOptions) -> RunResult {
    let mut sim = Sim::new(scenario, replication);
    sim.general_work = options.always_reschedule || scenario.behaviour.slowdown > 0.0;
    sim.check_invariants = options.check_invariants;
    sim.run()
}

/// Runs replication `replication` of `scenario` with `options`, showing `observer` every
/// engine output as it is drained, in the order the engine emitted it — nothing is stored,
/// so a whole day can be streamed (`chatsim trace`).
///
/// Observing changes nothing: the run is the one [`run_with`] makes, output for output and
/// metric for metric. The first error the observer returns stops the run there (a reader
/// that went away) and is returned instead of the result.
pub fn run_observed<E>(
    scenario: &Scenario,
    replication: u64,
    options: RunOptions,
    mut observer: impl FnMut(&Output) -> Result<(), E>,
) -> Result<RunResult, E> {
    let mut failure = None;
    let result = {
        let mut hook = |output: &Output| match observer(output) {
            Ok(()) => true,
            Err(e) => {
                failure = Some(e);
                false
            }
        };
        let mut sim = Sim::new(scenario, replication);
        sim.general_work = options.always_reschedule || scenario.behaviour.slowdown > 0.0;
        sim.check_invariants = options.check_invariants;
        sim.observer = Some(&mut hook);
        sim.run()
    };
    match failure {
        Some(e) => Err(e),
        None => Ok(result),
    }
}

/// Every chat the run generates in replication `replication`, as (id, arrival time) in
/// the order they arrive: base chats before thinning, then copies or extra chats of a
/// volume multiplier above 1. Bot-resolved chats are included (they arrive, then leave).
pub fn arrival_times(scenario: &Scenario, replication: u64) -> Vec<(ChatId, SimTime)> {
    let mut sim = Sim::new(scenario, replication);
    let mut out = Vec::new();
    while let Some((t, ev)) = sim.queue.pop() {
        if let Ev::Arrival { stream, index } = ev {
            let (id, _) = sim.next_arrivals(stream, index);
            out.push((id, t));
        }
    }
    out
}

struct Sim<'s> {
    scenario: &'s Scenario,
    draws: Draws<'s>,
    engine: Engine,
    collector: Collector,
    queue: EventQueue<Ev>,
    /// Open chats, by id (O(1) lookups; slots reused).
    chats: IdMap<ChatRt>,
    agents: Vec<AgentRt>,
    generators: [Option<PoissonArrivals>; 2],
    counts: Counts,
    last_end: SimTime,
    /// Available agents with a free slot and no claim scheduled, by (load, id).
    claimers: BTreeSet<(u32, AgentId)>,
    /// Whether agents claim chats by hand in some inbox now.
    claiming: bool,
    /// Whether a change in an agent's number of chats moves the ends of all of them.
    general_work: bool,
    check_invariants: bool,
    invariant_failure: Option<String>,
    /// Shown every output ([`run_observed`]); `false` stops the run.
    observer: Option<&'s mut (dyn FnMut(&Output) -> bool + 's)>,
    /// The observer asked to stop.
    stopped: bool,
}

impl<'s> Sim<'s> {
    fn new(scenario: &'s Scenario, replication: u64) -> Self {
        let max_end = scenario.end();
        let presence = presence_plan(scenario, replication, max_end);
        let mut config = scenario.engine.clone();
        config.rng_seed = stream_seed(scenario.seed, replication, Purpose::Engine, 0);
        for (agent, (initial, _)) in config.agents.iter_mut().zip(&presence) {
            agent.presence = *initial;
        }
        // The scenario was validated, so the workspace is valid.
        let engine = Engine::new(config).expect("a validated scenario builds a valid engine");
        let interval = scenario.interval.as_millis().max(1);
        let plan = Plan {
            capacities: (0..scenario.engine.agents.len())
                .map(|i| engine.capacity(AgentId(i as u32)))
                .collect(),
            auto_assign: scenario
                .engine
                .agents
                .iter()
                .map(|a| a.auto_assign && a.role == Role::Agent)
                .collect(),
            admins: scenario
                .engine
                .agents
                .iter()
                .map(|a| a.role == Role::Admin)
                .collect(),
            n_groups: scenario.engine.groups.len(),
            // Who can take a group's chats: its members when chats are routed by group,
            // else every agent (as configured at the start).
            agent_groups: if scenario.engine.settings.group_routing {
                engine.agents().iter().map(|a| a.groups.clone()).collect()
            } else {
                let all: Vec<crate::engine::GroupId> = (0..scenario.engine.groups.len())
                    .map(|g| crate::engine::GroupId(g as u32))
                    .collect();
                vec![all; scenario.engine.agents.len()]
            },
            n_inboxes: scenario.engine.inboxes.len(),
            agent_inboxes: (0..scenario.engine.agents.len())
                .map(|i| engine.agent_inboxes(AgentId(i as u32)).to_vec())
                .collect(),
            sl_targets: scenario.sl_targets.clone(),
            measure_from: scenario.measure_from(),
            end: max_end,
            interval: scenario.interval,
            interval_offset: scenario.calendar.start_in_week % interval,
            fairness_min_available: scenario.fairness_min_available,
            rebalance_idle_threshold: scenario.engine.settings.rebalance_idle_threshold,
        };
        let mut collector = Collector::new(plan);
        let mut queue = EventQueue::default();
        let draws = Draws::new(scenario, replication);
        let mut agents = Vec::with_capacity(presence.len());
        for (i, (initial, changes)) in presence.into_iter().enumerate() {
            let agent = AgentId(i as u32);
            collector.on_presence(agent, initial);
            // One pending change per agent: the next is queued when it happens.
            if let Some(&(t, p)) = changes.first() {
                queue.push(t, Class::Presence, i as u64, Ev::Presence { agent, presence: p });
            }
            agents.push(AgentRt {
                changes,
                next_change: 1,
                holding: SmallVec::new(),
                work: work::AgentWork::default(),
                claim_pending: false,
                claimer_key: None,
                claims: draws.claims(agent),
            });
        }
        for (i, change) in scenario.schedule.iter().enumerate() {
            queue.push(change.at, Class::Config, i as u64, Ev::Config { index: i });
        }
        let generators = if scenario.arrival_trace.is_some() {
            [None, None]
        } else {
            let segments = scenario.arrivals.segments(scenario.calendar, scenario.horizon);
            let base = PoissonArrivals::new(
                segments.clone(),
                1.0,
                stream(scenario.seed, replication, Purpose::Arrivals, 0),
            );
            let extra = (scenario.volume > 1.0).then(|| {
                PoissonArrivals::new(
                    segments,
                    scenario.volume - 1.0,
                    stream(scenario.seed, replication, Purpose::ExtraArrivals, 0),
                )
            });
            [Some(base), extra]
        };
        let mut sim = Self {
            scenario,
            draws,
            engine,
            collector,
            queue,
            chats: IdMap::new(),
            agents,
            generators,
            counts: Counts::default(),
            last_end: SimTime::ZERO,
            claimers: BTreeSet::new(),
            claiming: false,
            general_work: scenario.behaviour.slowdown > 0.0,
            check_invariants: false,
            invariant_failure: None,
            observer: None,
            stopped: false,
        };
        sim.update_claiming(SimTime::ZERO);
        sim.schedule_arrival(0, 1);
        sim.schedule_arrival(1, 1);
        sim
    }

    fn schedule_arrival(&mut self, stream: u8, index: u64) {
        if let Some(trace) = &self.scenario.arrival_trace {
            // Copies are scheduled by their row's arrival.
            if stream == 0
                && let Some(row) = trace.get(index as usize - 1)
            {
                self.queue
                    .push(row.at, Class::Arrival, index, Ev::Arrival { stream, index });
            }
            return;
        }
        let Some(generator) = self.generators[stream as usize].as_mut() else {
            return;
        };
        if let Some(t) = generator.next() {
            let id = if stream == 0 {
                index
            } else {
                EXTRA_CHAT_BASE + index
            };
            self.queue
                .push(t, Class::Arrival, id, Ev::Arrival { stream, index });
        }
    }

    /// Copies of trace row `index` (1-based) for a volume multiplier above 1: ⌊m − 1⌋ of
    /// them, plus one more with probability frac(m − 1), each at a uniform instant between
    /// the row and the next one (the row's own instant for the last row).
    fn schedule_copies(&mut self, index: u64) {
        let Some(trace) = &self.scenario.arrival_trace else {
            return;
        };
        let extra = self.scenario.volume - 1.0;
        if extra <= 0.0 {
            return;
        }
        let row = &trace[index as usize - 1];
        let next = trace.get(index as usize).map_or(row.at, |r| r.at);
        let mut rng = stream(
            self.scenario.seed,
            self.draws.replication(),
            Purpose::TraceCopies,
            index,
        );
        let n = extra.floor() as u64 + u64::from(unit(&mut rng) < extra.fract());
        for j in 0..n.min(COPY_STRIDE) {
            let gap = next.as_millis() - row.at.as_millis();
            let at = SimTime(row.at.as_millis() + (unit(&mut rng) * gap as f64) as u64);
            let copy = index * COPY_STRIDE + j;
            self.queue.push(
                at,
                Class::Arrival,
                EXTRA_CHAT_BASE + copy,
                Ev::Arrival {
                    stream: 1,
                    index: copy,
                },
            );
        }
    }

    /// The time the run stops: the horizon (steady state) or, for a business day, when the
    /// last chat has closed after the horizon, at most the drain limit.
    fn finished(&self, next: SimTime) -> bool {
        match self.scenario.run_kind {
            RunKind::SteadyState { .. } => next > self.scenario.horizon,
            RunKind::Terminating { .. } => next > self.scenario.end(),
        }
    }

    fn run(mut self) -> RunResult {
        loop {
            let next_event = self.queue.peek_time();
            let next_deadline = self.engine.next_deadline();
            // Inputs at the same instant as an engine deadline go first.
            let (t, timer) = match (next_event, next_deadline) {
                (Some(e), Some(d)) if d < e => (d, true),
                (Some(e), _) => (e, false),
                (None, Some(d)) => (d, true),
                (None, None) => break,
            };
            if self.stopped || self.finished(t) {
                break;
            }
            if matches!(self.scenario.run_kind, RunKind::Terminating { .. })
                && t > self.scenario.horizon
                && self.chats.is_empty()
            {
                break;
            }
            self.collector.advance(t);
            self.last_end = t;
            if timer {
                self.step(t, Input::Timeout);
            } else if let Some((t, ev)) = self.queue.pop() {
                self.event(t, ev);
            }
        }
        let end = match self.scenario.run_kind {
            RunKind::SteadyState { .. } => self.scenario.horizon,
            RunKind::Terminating { .. } => {
                if self.chats.is_empty() {
                    self.last_end.max(self.scenario.horizon)
                } else {
                    self.scenario.end()
                }
            }
        };
        self.counts.open = self.engine.open_chats() as u64;
        self.counts.in_bot = self
            .chats
            .iter_any_order()
            .filter(|(id, _)| self.engine.chat(ChatId(*id)).is_none())
            .count() as u64;
        let open = self
            .chats
            .into_any_order()
            .filter_map(|(id, c)| c.track.map(|t| (ChatId(id), t)))
            .collect();
        let metrics = self.collector.finish_at(end, open);
        self.counts.queue_area_ms = metrics.queue_area_ms;
        self.counts.queue_episodes_ms = metrics.queue_episodes_ms;
        RunResult {
            metrics,
            counts: self.counts,
            invariant_failure: self.invariant_failure,
        }
    }

    fn event(&mut self, now: SimTime, ev: Ev) {
        match ev {
            Ev::Arrival { stream, index } => self.arrival(now, stream, index),
            Ev::Handoff { chat } => self.handoff(now, chat),
            Ev::MenuPick { chat } => {
                if let Some((_, group)) = self.chats.get(chat.0).and_then(|c| c.draw.menu) {
                    self.step(now, Input::MenuChoice { chat, group });
                }
            }
            Ev::End { chat, version } => {
                if self
                    .chats
                    .get(chat.0)
                    .is_some_and(|c| c.version == version && c.holder.is_some() && c.stage != Stage::Left)
                {
                    self.step(
                        now,
                        Input::Close {
                            chat,
                            reason: CloseReason::Resolved,
                        },
                    );
                }
            }
            Ev::Abandon { chat } => {
                // Patience is for the first wait: a customer already served and put back
                // in the queue (agent offline, unassign) waits for the next agent.
                let never_served = self.chats.get(chat.0).is_some_and(|c| c.stage < Stage::Served);
                if never_served && self.status(chat) == Some(ChatStatus::Queued) {
                    self.step(
                        now,
                        Input::Close {
                            chat,
                            reason: CloseReason::Abandoned,
                        },
                    );
                }
            }
            Ev::Presence { agent, presence } => {
                let a = &mut self.agents[agent.index()];
                if let Some(&(t, p)) = a.changes.get(a.next_change) {
                    a.next_change += 1;
                    self.queue.push(
                        t,
                        Class::Presence,
                        u64::from(agent.0),
                        Ev::Presence { agent, presence: p },
                    );
                }
                self.collector.on_presence(agent, presence);
                self.step(now, Input::SetPresence { agent, presence });
                self.refresh_claimer(agent, now);
                if self.claiming && self.agents[agent.index()].claim_pending && !self.can_claim(agent) {
                    // They were about to claim but left: someone else notices at once.
                    self.wake_for_queued(now);
                }
            }
            Ev::Config { index } => {
                let change = &self.scenario.schedule[index];
                self.step(now, Input::Configure(change.settings.clone()));
                if let Some(strategy) = change.strategy {
                    for inbox in 0..self.scenario.engine.inboxes.len() {
                        let inbox = crate::engine::InboxId(inbox as u32);
                        self.step(now, Input::SetStrategy { inbox, strategy });
                    }
                }
                self.update_claiming(now);
            }
            Ev::Message { chat } => self.message(now, chat),
            Ev::FirstReply { chat, version } => {
                let Some(c) = self.chats.get(chat.0) else {
                    return;
                };
                if c.reply_version != version || c.responded {
                    return;
                }
                if let Some(agent) = c.holder {
                    self.sent(now, chat);
                    if let Some(c) = self.chats.get_mut(chat.0) {
                        c.responded = true;
                    }
                    self.reply_sent(chat, agent, now);
                    if let Some(t) = self.chats.get(chat.0).and_then(|c| c.track.as_ref()) {
                        self.collector.on_first_reply(t);
                    }
                    self.step(now, Input::AgentMessage { chat, agent });
                }
            }
            Ev::Leave { chat } => self.leave(now, chat),
            Ev::Notice { chat } => {
                let Some(c) = self.chats.get_mut(chat.0) else {
                    return;
                };
                c.notice_pending = false;
                if c.holder.is_some() {
                    self.step(
                        now,
                        Input::Close {
                            chat,
                            reason: CloseReason::Resolved,
                        },
                    );
                }
            }
            Ev::Takeover { chat } => {
                let admin = self
                    .chats
                    .get(chat.0)
                    .and_then(|c| c.draw.takeover)
                    .map(|(_, a)| a);
                if let Some(admin) = admin
                    && matches!(self.status(chat), Some(ChatStatus::Assigned | ChatStatus::Queued))
                {
                    self.step(now, Input::Takeover { chat, admin });
                }
            }
            Ev::Claim { agent } => {
                self.agents[agent.index()].claim_pending = false;
                let chat = if self.can_claim(agent) {
                    self.claimable(agent)
                } else {
                    None
                };
                let claimed = match chat {
                    Some(chat) => {
                        self.step(now, Input::Claim { chat, agent });
                        true
                    }
                    None => false,
                };
                self.refresh_claimer(agent, now);
                if !claimed {
                    // They could not (gone away, full): the chats they were to take wake
                    // someone else.
                    self.wake_for_queued(now);
                }
            }
        }
    }

    fn status(&self, chat: ChatId) -> Option<ChatStatus> {
        self.engine.chat(chat).map(|c| c.status)
    }

    /// A chat is born: drawn, then resolved by the bot, kept in the bot, or handed off.
    fn arrival(&mut self, now: SimTime, stream: u8, index: u64) {
        let (id, row) = self.next_arrivals(stream, index);
        let Some(draw) = self.draws.chat(id, now, row.as_ref()) else {
            return;
        };
        self.counts.created += 1;
        self.collector.on_created();
        if draw.bot_resolved {
            self.counts.bot_resolved += 1;
            self.collector.on_bot_resolved();
            return;
        }
        let phase = draw.bot_phase_ms;
        self.chats.insert(
            id.0,
            ChatRt {
                remaining: draw.work_ms as f64,
                draw,
                since: now,
                target: None,
                holder: None,
                end_at: None,
                version: 0,
                stage: Stage::Unrouted,
                abandon_scheduled: false,
                needs_human_at: None,
                messages: None,
                message_pending: false,
                last_message_at: now,
                notice_pending: false,
                responded: false,
                reply_version: 0,
                reply_target: None,
                reply_at: None,
                track: None,
            },
        );
        if phase > 0 {
            self.queue.push(
                now + SimDuration(phase),
                Class::Arrival,
                id.0,
                Ev::Handoff { chat: id },
            );
        } else {
            self.handoff(now, id);
        }
    }

    /// The chat of arrival `index` of `stream` (with its trace row), after scheduling the
    /// arrivals that follow it.
    fn next_arrivals(&mut self, stream: u8, index: u64) -> (ChatId, Option<TraceArrival>) {
        let (id, row) = match (&self.scenario.arrival_trace, stream) {
            (Some(trace), 0) => (ChatId(index), trace.get(index as usize - 1)),
            (Some(trace), _) => (
                ChatId(EXTRA_CHAT_BASE + index),
                trace.get((index / COPY_STRIDE) as usize - 1),
            ),
            (None, 0) => (ChatId(index), None),
            (None, _) => (ChatId(EXTRA_CHAT_BASE + index), None),
        };
        let row = row.copied();
        if stream == 0 {
            self.schedule_arrival(stream, index + 1);
            self.schedule_copies(index);
        } else if self.scenario.arrival_trace.is_none() {
            self.schedule_arrival(stream, index + 1);
        }
        (id, row)
    }

    /// The chat reaches the engine (after the bot, if any).
    fn handoff(&mut self, now: SimTime, chat: ChatId) {
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        c.last_message_at = now;
        let (inbox, group, target, menu) = (c.draw.inbox, c.draw.group, c.draw.target, c.draw.menu);
        self.counts.arrived += 1;
        self.step(
            now,
            Input::ChatArrived {
                chat,
                inbox,
                group,
                target,
            },
        );
        if let Some((delay, _)) = menu
            && self
                .engine
                .chat(chat)
                .is_some_and(|c| c.status == ChatStatus::AwaitingMenu)
        {
            self.queue.push(
                now + SimDuration(delay),
                Class::Message,
                chat.0,
                Ev::MenuPick { chat },
            );
        }
    }

    /// The customer's message chain: one message, then the next gap for the chat's state.
    fn message(&mut self, now: SimTime, chat: ChatId) {
        let status = self.status(chat);
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        c.message_pending = false;
        if c.stage == Stage::Left {
            return;
        }
        if self.gaps(status).is_none() {
            return;
        }
        self.sent(now, chat);
        self.step(now, Input::CustomerMessage { chat });
        self.schedule_message(now, chat);
    }

    /// The customer's message gaps in a chat of this status (`None`: they do not write).
    fn gaps(&self, status: Option<ChatStatus>) -> Option<&'s crate::workload::dist::Dist> {
        let customers = &self.scenario.customers;
        match status {
            Some(ChatStatus::Assigned | ChatStatus::TakenOver) => customers.messages.as_ref(),
            Some(ChatStatus::Queued) => customers.queued_messages.as_ref(),
            _ => None,
        }
    }

    /// Records a message in `chat` now (either side).
    fn sent(&mut self, now: SimTime, chat: ChatId) {
        if let Some(c) = self.chats.get_mut(chat.0) {
            c.last_message_at = now;
            if let Some(t) = &mut c.track {
                self.collector.on_message(t);
            }
        }
    }

    /// Schedules the customer's next message, if their chat's state has message activity
    /// and none is scheduled.
    fn schedule_message(&mut self, now: SimTime, chat: ChatId) {
        let customers = &self.scenario.customers;
        if customers.messages.is_none() && customers.queued_messages.is_none() {
            return;
        }
        let Some(gaps) = self.gaps(self.status(chat)) else {
            return;
        };
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        if c.message_pending || c.stage == Stage::Left {
            return;
        }
        let rng = c.messages.get_or_insert_with(|| self.draws.messages(chat));
        let gap = gaps.sample_ms(rng).max(1);
        c.message_pending = true;
        self.queue.push(
            now + SimDuration(gap),
            Class::Message,
            chat.0,
            Ev::Message { chat },
        );
    }

    /// A silent customer leaves: no more messages, no more work; the agent notices later.
    fn leave(&mut self, now: SimTime, chat: ChatId) {
        let holder = match self.chats.get(chat.0) {
            Some(c) if c.stage != Stage::Left => c.holder,
            _ => return,
        };
        // The chat stays with its agent (and in their count) until someone closes it, but
        // needs no more work.
        if let Some(agent) = holder {
            self.stop_needing_work(chat, agent, now);
        }
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        c.stage = Stage::Left;
        c.version += 1;
        c.end_at = None;
        if let Some(t) = &mut c.track {
            self.collector.on_silent_left(t);
        }
        if holder.is_some() {
            self.schedule_notice(now, chat);
        }
    }

    fn schedule_notice(&mut self, now: SimTime, chat: ChatId) {
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        if c.stage != Stage::Left || c.notice_pending {
            return;
        }
        c.notice_pending = true;
        let at = (c.last_message_at + SimDuration(c.draw.notice_ms)).max(now);
        self.queue.push(at, Class::Close, chat.0, Ev::Notice { chat });
    }

    /// One engine call and the reactions to its outputs.
    fn step(&mut self, now: SimTime, input: Input) {
        let described = self.check_invariants.then(|| format!("{input:?}"));
        if self.engine.handle(now, input).is_err() {
            self.counts.engine_errors += 1;
            self.collector.on_engine_error();
        }
        if let Some(input) = described
            && self.invariant_failure.is_none()
            && let Err(v) = crate::engine::invariants::check(&self.engine)
        {
            self.invariant_failure = Some(format!("at {now}, after {input}: {v}"));
        }
        while let Some(output) = self.engine.poll_output() {
            self.collector.advance(output.at);
            let at = output.at;
            // A closed chat's track, taken out with its record.
            let mut closed = None;
            match output.event {
                Event::ChatAssigned { chat, agent, .. } => self.attach(chat, agent, at),
                Event::ChatTakenOver { chat, admin, .. } => self.attach(chat, admin, at),
                Event::ChatUnassigned { chat, agent, .. } => {
                    self.detach(chat, agent, at);
                    if let Some(c) = self.chats.get_mut(chat.0) {
                        c.remaining = c.remaining.max(1.0);
                    }
                    self.refresh_claimer(agent, at);
                }
                Event::ChatQueued { chat, .. } => {
                    self.register(chat, at);
                    if let Some(c) = self.chats.get_mut(chat.0)
                        && let (false, false, Some(p), Some(nha)) = (
                            c.stage >= Stage::Served,
                            c.abandon_scheduled,
                            c.draw.patience_ms,
                            c.needs_human_at,
                        )
                    {
                        c.abandon_scheduled = true;
                        let when = (nha + SimDuration(p)).max(at);
                        self.queue.push(when, Class::Close, chat.0, Ev::Abandon { chat });
                    }
                    self.schedule_message(at, chat);
                    if self.claiming
                        && let Some(inbox) = self.engine.chat(chat).map(|c| c.inbox)
                    {
                        self.wake_claimer(inbox, at);
                    }
                }
                Event::ChatClosed { chat, .. } => {
                    let holder = self.chats.get(chat.0).and_then(|c| c.holder);
                    if let Some(agent) = holder {
                        self.detach(chat, agent, at);
                    }
                    closed = self.chats.remove(chat.0).and_then(|c| c.track);
                    self.counts.closed += 1;
                    if let Some(agent) = holder {
                        self.refresh_claimer(agent, at);
                    }
                }
                _ => {}
            }
            let track = match output.event {
                Event::ChatClosed { .. } => closed.as_mut(),
                Event::ChatAssigned { chat, .. }
                | Event::ChatUnassigned { chat, .. }
                | Event::ChatQueued { chat, .. }
                | Event::ChatTakenOver { chat, .. } => {
                    self.chats.get_mut(chat.0).and_then(|c| c.track.as_mut())
                }
                _ => None,
            };
            self.collector.on_output(&output, track);
            if let Some(observer) = &mut self.observer
                && !self.stopped
            {
                self.stopped = !observer(&output);
            }
        }
    }

    /// `agent` starts working on `chat` (assignment or takeover).
    fn attach(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        self.register(chat, at);
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        let first = c.stage < Stage::Served;
        c.stage = c.stage.max(Stage::Served);
        c.holder = Some(agent);
        self.start_work(chat, agent, at);
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        if first {
            if let Some((delay, _)) = c.draw.takeover {
                self.queue.push(
                    at + SimDuration(delay),
                    Class::Message,
                    chat.0,
                    Ev::Takeover { chat },
                );
            }
            if let Some(frac) = c.draw.silent_after {
                let after = (frac * c.draw.work_ms as f64).ceil() as u64;
                self.queue.push(
                    at + SimDuration(after),
                    Class::Message,
                    chat.0,
                    Ev::Leave { chat },
                );
            }
        }
        // (On the general path the reply is due on the agent's work clock: see `work`.)
        if !self.general_work
            && !c.responded
            && let Some(d) = c.draw.first_response_ms
        {
            let version = c.reply_version;
            self.queue.push(
                at + SimDuration(d),
                Class::Message,
                chat.0,
                Ev::FirstReply { chat, version },
            );
        }
        self.schedule_message(at, chat);
        self.schedule_notice(at, chat);
        self.refresh_claimer(agent, at);
    }

    /// `agent` stops working on `chat`: its work so far is kept, the others' rate changes.
    fn detach(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        self.stop_work(chat, agent, at);
        if let Some(c) = self.chats.get_mut(chat.0) {
            c.holder = None;
            if !c.responded {
                c.reply_version += 1;
            }
        }
    }

    /// Tells the collector a chat needs a human, the first time it is routed.
    fn register(&mut self, chat: ChatId, at: SimTime) {
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        if c.stage >= Stage::Routed {
            return;
        }
        c.stage = Stage::Routed;
        c.needs_human_at = Some(at);
        let inbox = c.draw.inbox;
        let group = self.engine.chat(chat).and_then(|c| c.group);
        c.track = Some(self.collector.on_arrival(inbox, group));
    }

    // Manual claims (docs/workload.md#manual-claims): an available agent with a free slot
    // claims the oldest queued chat of a manual inbox after a claim delay. Idle agents wait
    // in `claimers`; a queued chat wakes one of them, a freed slot wakes its agent.

    /// Re-reads which inboxes are claimed by hand (after a strategy or `enabled` change).
    fn update_claiming(&mut self, now: SimTime) {
        self.claiming = self.scenario.behaviour.claim_delay.is_some()
            && (0..self.scenario.engine.inboxes.len()).any(|i| self.claims_inbox(i));
        self.claimers.clear();
        for agent in &mut self.agents {
            agent.claimer_key = None;
        }
        if self.claiming {
            for i in 0..self.agents.len() {
                self.refresh_claimer(AgentId(i as u32), now);
            }
        }
    }

    fn claims_inbox(&self, inbox: usize) -> bool {
        // The engine's configuration is the live one (the schedule changes it).
        self.engine.config().inboxes[inbox].strategy == StrategyKind::Manual
            || !self.engine.settings().enabled
    }

    fn eligible(&self, agent: AgentId, inbox: usize) -> bool {
        match &self.scenario.engine.inboxes[inbox].eligible {
            EligibleAgents::Everyone => true,
            EligibleAgents::Pinned(list) => list.contains(&agent),
        }
    }

    /// Whether `agent` would claim a chat now: available, an agent, and holding fewer
    /// chats than their capacity (all chats they hold: a person counts what is on screen,
    /// whatever `capacity_counts` says auto-assignment counts).
    fn can_claim(&self, agent: AgentId) -> bool {
        let a = &self.agents[agent.index()];
        self.claiming
            && self
                .engine
                .agent(agent)
                .is_some_and(|e| e.presence == Presence::Available)
            && self.scenario.engine.agents[agent.index()].role == Role::Agent
            && match self.engine.capacity(agent) {
                Capacity::Unlimited => true,
                c => c.admits(a.holding.len() as u32),
            }
    }

    /// The oldest queued chat `agent` may claim.
    fn claimable(&self, agent: AgentId) -> Option<ChatId> {
        (0..self.scenario.engine.inboxes.len())
            .filter(|&i| self.claims_inbox(i) && self.eligible(agent, i))
            .filter_map(|i| self.engine.oldest_queued(crate::engine::InboxId(i as u32)))
            .min()
            .map(|(_, chat)| chat)
    }

    fn schedule_claim(&mut self, agent: AgentId, now: SimTime) {
        let delay = match &self.scenario.behaviour.claim_delay {
            Some(d) => d.sample_ms(&mut self.agents[agent.index()].claims),
            None => return,
        };
        self.agents[agent.index()].claim_pending = true;
        self.queue.push(
            now + SimDuration(delay),
            Class::Message,
            u64::from(agent.0),
            Ev::Claim { agent },
        );
    }

    /// Puts `agent` where they belong: claiming soon, waiting idle, or neither.
    fn refresh_claimer(&mut self, agent: AgentId, now: SimTime) {
        if !self.claiming {
            return;
        }
        if let Some(key) = self.agents[agent.index()].claimer_key.take() {
            self.claimers.remove(&key);
        }
        if self.agents[agent.index()].claim_pending || !self.can_claim(agent) {
            return;
        }
        if self.claimable(agent).is_some() {
            self.schedule_claim(agent, now);
        } else {
            let key = (self.agents[agent.index()].holding.len() as u32, agent);
            self.claimers.insert(key);
            self.agents[agent.index()].claimer_key = Some(key);
        }
    }

    /// Wakes an idle claimer for every claimed-by-hand inbox with a queued chat.
    fn wake_for_queued(&mut self, now: SimTime) {
        for inbox in 0..self.scenario.engine.inboxes.len() {
            let id = crate::engine::InboxId(inbox as u32);
            if self.claims_inbox(inbox) && self.engine.oldest_queued(id).is_some() {
                self.wake_claimer(id, now);
            }
        }
    }

    /// A chat was queued in `inbox`: the least-loaded idle claimer eligible for it notices.
    fn wake_claimer(&mut self, inbox: crate::engine::InboxId, now: SimTime) {
        if !self.claims_inbox(inbox.index()) {
            return;
        }
        let found = self
            .claimers
            .iter()
            .find(|(_, a)| self.eligible(*a, inbox.index()))
            .copied();
        if let Some(key) = found {
            self.claimers.remove(&key);
            self.agents[key.1.index()].claimer_key = None;
            self.schedule_claim(key.1, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_quickstart_runs_and_balances() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
        let scenario = crate::scenario::load(&path).unwrap();
        let result = run(&scenario, 0);
        let c = result.counts;
        assert_eq!(c.engine_errors, 0);
        assert_eq!(c.arrived, c.closed + c.open);
        assert_eq!(c.queue_area_ms, c.queue_episodes_ms);
        assert_eq!(result.metrics.get("violations"), Some(0.0));
        // The run reports exactly the catalogue's metrics (docs/metrics.md), in order.
        let ids: Vec<&str> = result.metrics.values.iter().map(|(k, _)| k.as_str()).collect();
        let want: Vec<String> = crate::metrics::catalogue::run_metrics(&scenario.sl_targets)
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, want);
        assert!(result.metrics.get("arrivals").unwrap() > 600.0);
    }
}
