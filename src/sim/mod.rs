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

pub mod queue;

use crate::engine::{
    AgentId, ChatId, ChatStatus, CloseReason, Engine, Event, GroupId, InboxId, Input, Presence, SimTime,
};
use crate::metrics::{Collector, Plan, RunMetrics};
use crate::scenario::{RunKind, Scenario};
use crate::workload::arrivals::Segment;
use crate::workload::calendar::merge;
use crate::workload::dist::Dist;
use crate::workload::{Purpose, Rng, stream, stream_seed, unit};
use queue::{Class, EventQueue};
use std::collections::BTreeMap;

/// Chats added by a volume multiplier above 1 are numbered from here, so base chat k keeps
/// id k (and its attribute streams) whatever the multiplier.
pub const EXTRA_CHAT_BASE: u64 = 1 << 40;

/// What one replication produced.
#[derive(Debug)]
pub struct RunResult {
    /// The metrics.
    pub metrics: RunMetrics,
    /// Sample-path counts, for the identity tests.
    pub counts: Counts,
}

/// Sample-path counts of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    /// Chats that reached the engine.
    pub arrived: u64,
    /// Chats closed, any reason.
    pub closed: u64,
    /// Chats still open at the end.
    pub open: u64,
    /// ∫ queue length dt over the run (chat·ms), from the collector.
    pub queue_area_ms: f64,
    /// Σ of every queue episode's length (ms), re-queues and abandoners included.
    pub queue_episodes_ms: f64,
    /// Engine errors the simulator did not expect (must be 0).
    pub engine_errors: u64,
}

/// The attributes a chat is born with (drawn from its own streams).
#[derive(Clone, Debug, PartialEq)]
pub struct ChatDraw {
    /// Id.
    pub chat: ChatId,
    /// When it reaches the engine.
    pub at: SimTime,
    /// Inbox.
    pub inbox: InboxId,
    /// Group, if known on arrival.
    pub group: Option<GroupId>,
    /// Work to resolve it (ms).
    pub work_ms: u64,
    /// How long the customer waits in the queue before leaving.
    pub patience_ms: Option<u64>,
}

#[derive(Debug)]
enum Ev {
    /// The next arrival of a stream (0 = base, 1 = extra).
    Arrival { stream: u8, index: u64 },
    /// A chat's work is done.
    End { chat: ChatId, version: u32 },
    /// A queued customer gives up.
    Abandon { chat: ChatId },
    /// An agent's presence changes.
    Presence { agent: AgentId, presence: Presence },
}

/// Simulator-side state of an open chat.
#[derive(Debug)]
struct ChatRt {
    remaining_ms: u64,
    working_since: Option<SimTime>,
    version: u32,
    patience_ms: Option<u64>,
    served: bool,
    abandon_scheduled: bool,
    registered: bool,
    needs_human_at: Option<SimTime>,
}

/// Poisson arrivals over piecewise-constant segments, drawn lazily one at a time.
struct ArrivalGen {
    segments: Vec<Segment>,
    seg: usize,
    t: f64,
    scale: f64,
    rng: Rng,
}

impl ArrivalGen {
    fn next(&mut self) -> Option<SimTime> {
        while let Some(seg) = self.segments.get(self.seg) {
            let per_ms = seg.rate_per_hour * self.scale / 3_600_000.0;
            self.t = self.t.max(seg.start.as_millis() as f64);
            if per_ms > 0.0 {
                self.t += -(1.0 - unit(&mut self.rng)).ln() / per_ms;
                if self.t < seg.end.as_millis() as f64 {
                    return Some(SimTime(self.t as u64));
                }
            }
            // Memorylessness: restart the clock at the next segment's start.
            self.seg += 1;
            self.t = 0.0;
        }
        None
    }
}

/// Draws chat `chat`'s attributes from its own streams (common random numbers: the same
/// chat gets the same attributes in every cell). Returns `None` when a volume multiplier
/// below 1 thins it out.
pub fn draw_chat(scenario: &Scenario, replication: u64, chat: ChatId, at: SimTime) -> Option<ChatDraw> {
    let seed = scenario.seed;
    let mut attr = stream(seed, replication, Purpose::ChatAttributes, chat.0);
    let thin = unit(&mut attr);
    if chat.0 < EXTRA_CHAT_BASE && scenario.volume < 1.0 && thin >= scenario.volume {
        return None;
    }
    let inbox = InboxId(pick_share(&scenario.inbox_shares, unit(&mut attr)).unwrap_or(0) as u32);
    let group = pick_share(&scenario.group_shares, unit(&mut attr)).map(|g| GroupId(g as u32));
    let dist: &Dist = group
        .and_then(|g| {
            scenario
                .handle_time_by_group
                .get(g.index())
                .and_then(Option::as_ref)
        })
        .unwrap_or(&scenario.handle_time);
    let work_ms = dist
        .sample_ms(&mut stream(seed, replication, Purpose::Work, chat.0))
        .max(1);
    let patience_ms = scenario
        .patience
        .as_ref()
        .map(|d| d.sample_ms(&mut stream(seed, replication, Purpose::Patience, chat.0)));
    Some(ChatDraw {
        chat,
        at,
        inbox,
        group,
        work_ms,
        patience_ms,
    })
}

/// Index of the share `u` falls in (shares in order); `None` past their sum.
fn pick_share(shares: &[f64], u: f64) -> Option<usize> {
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s;
        if u < acc {
            return Some(i);
        }
    }
    None
}

/// Each agent's presence over the run: the initial presence and the changes after 0.
pub fn presence_plan(scenario: &Scenario, end: SimTime) -> Vec<(Presence, Vec<(SimTime, Presence)>)> {
    scenario
        .agents
        .iter()
        .map(|plan| {
            if plan.shifts.is_empty() {
                return (Presence::Available, Vec::new());
            }
            let intervals = merge(
                plan.shifts
                    .iter()
                    .flat_map(|w| scenario.calendar.occurrences(*w, end))
                    .collect(),
            );
            let initial = if intervals.first().is_some_and(|(a, _)| *a == SimTime::ZERO) {
                Presence::Available
            } else {
                Presence::Offline
            };
            let mut changes = Vec::new();
            for (a, b) in intervals {
                if a > SimTime::ZERO {
                    changes.push((a, Presence::Available));
                }
                if b < end {
                    changes.push((b, Presence::Offline));
                }
            }
            (initial, changes)
        })
        .collect()
}

/// Runs replication `replication` of `scenario`.
pub fn run(scenario: &Scenario, replication: u64) -> RunResult {
    Sim::new(scenario, replication).run()
}

struct Sim<'s> {
    scenario: &'s Scenario,
    replication: u64,
    engine: Engine,
    collector: Collector,
    queue: EventQueue<Ev>,
    chats: BTreeMap<ChatId, ChatRt>,
    generators: [Option<ArrivalGen>; 2],
    counts: Counts,
    last_end: SimTime,
}

impl<'s> Sim<'s> {
    fn new(scenario: &'s Scenario, replication: u64) -> Self {
        let max_end = scenario.end();
        let presence = presence_plan(scenario, max_end);
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
                .map(|a| a.auto_assign && a.role == crate::engine::Role::Agent)
                .collect(),
            n_groups: scenario.engine.groups.len(),
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
        for (i, (initial, changes)) in presence.into_iter().enumerate() {
            let agent = AgentId(i as u32);
            collector.on_presence(agent, initial);
            for (t, p) in changes {
                queue.push(t, Class::Presence, i as u64, Ev::Presence { agent, presence: p });
            }
        }
        let segments = scenario.arrivals.segments(scenario.calendar, scenario.horizon);
        let base = ArrivalGen {
            segments: segments.clone(),
            seg: 0,
            t: 0.0,
            scale: 1.0,
            rng: stream(scenario.seed, replication, Purpose::Arrivals, 0),
        };
        let extra = (scenario.volume > 1.0).then(|| ArrivalGen {
            segments,
            seg: 0,
            t: 0.0,
            scale: scenario.volume - 1.0,
            rng: stream(scenario.seed, replication, Purpose::ExtraArrivals, 0),
        });
        let mut sim = Self {
            scenario,
            replication,
            engine,
            collector,
            queue,
            chats: BTreeMap::new(),
            generators: [Some(base), extra],
            counts: Counts::default(),
            last_end: SimTime::ZERO,
        };
        sim.schedule_arrival(0, 1);
        sim.schedule_arrival(1, 1);
        sim
    }

    fn schedule_arrival(&mut self, stream: u8, index: u64) {
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
            if self.finished(t) {
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
        self.counts.open = self.engine.chats().count() as u64;
        let metrics = self.collector.finish_at(end);
        self.counts.queue_area_ms = metrics.queue_area_ms;
        self.counts.queue_episodes_ms = metrics.queue_episodes_ms;
        RunResult {
            metrics,
            counts: self.counts,
        }
    }

    fn event(&mut self, now: SimTime, ev: Ev) {
        match ev {
            Ev::Arrival { stream, index } => {
                self.schedule_arrival(stream, index + 1);
                let id = ChatId(if stream == 0 {
                    index
                } else {
                    EXTRA_CHAT_BASE + index
                });
                let Some(draw) = draw_chat(self.scenario, self.replication, id, now) else {
                    return;
                };
                self.chats.insert(
                    id,
                    ChatRt {
                        remaining_ms: draw.work_ms,
                        working_since: None,
                        version: 0,
                        patience_ms: draw.patience_ms,
                        served: false,
                        abandon_scheduled: false,
                        registered: false,
                        needs_human_at: None,
                    },
                );
                self.counts.arrived += 1;
                self.step(
                    now,
                    Input::ChatArrived {
                        chat: id,
                        inbox: draw.inbox,
                        group: draw.group,
                        target: None,
                    },
                );
            }
            Ev::End { chat, version } => {
                if self
                    .chats
                    .get(&chat)
                    .is_some_and(|c| c.version == version && c.working_since.is_some())
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
                let never_served = self.chats.get(&chat).is_some_and(|c| !c.served);
                if never_served
                    && self
                        .engine
                        .chat(chat)
                        .is_some_and(|c| c.status == ChatStatus::Queued)
                {
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
                self.collector.on_presence(agent, presence);
                self.step(now, Input::SetPresence { agent, presence });
            }
        }
    }

    /// One engine call and the reactions to its outputs.
    fn step(&mut self, now: SimTime, input: Input) {
        if self.engine.handle(now, input).is_err() {
            self.counts.engine_errors += 1;
        }
        while let Some(output) = self.engine.poll_output() {
            self.collector.advance(output.at);
            let at = output.at;
            match output.event {
                Event::ChatAssigned { chat, .. } | Event::ChatTakenOver { chat, .. } => {
                    self.register(chat, at);
                    if let Some(c) = self.chats.get_mut(&chat) {
                        c.served = true;
                        if c.working_since.is_none() {
                            c.working_since = Some(at);
                            c.version += 1;
                            let version = c.version;
                            self.queue.push(
                                at + crate::engine::SimDuration(c.remaining_ms),
                                Class::Close,
                                chat.0,
                                Ev::End { chat, version },
                            );
                        }
                    }
                }
                Event::ChatUnassigned { chat, .. } => {
                    if let Some(c) = self.chats.get_mut(&chat)
                        && let Some(since) = c.working_since.take()
                    {
                        c.remaining_ms = c
                            .remaining_ms
                            .saturating_sub(at.saturating_since(since).as_millis())
                            .max(1);
                        c.version += 1;
                    }
                }
                Event::ChatQueued { chat, .. } => {
                    self.register(chat, at);
                    if let Some(c) = self.chats.get_mut(&chat)
                        && let (false, false, Some(p), Some(nha)) =
                            (c.served, c.abandon_scheduled, c.patience_ms, c.needs_human_at)
                    {
                        c.abandon_scheduled = true;
                        let when = (nha + crate::engine::SimDuration(p)).max(at);
                        self.queue.push(when, Class::Close, chat.0, Ev::Abandon { chat });
                    }
                }
                Event::ChatClosed { chat, .. } => {
                    self.chats.remove(&chat);
                    self.counts.closed += 1;
                }
                _ => {}
            }
            self.collector.on_output(&output);
        }
    }

    /// Tells the collector a chat needs a human, the first time it is routed.
    fn register(&mut self, chat: ChatId, at: SimTime) {
        let Some(c) = self.chats.get_mut(&chat) else {
            return;
        };
        if c.registered {
            return;
        }
        c.registered = true;
        c.needs_human_at = Some(at);
        let group = self.engine.chat(chat).and_then(|c| c.group);
        self.collector.on_arrival(chat, group);
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
        // The run reports exactly the documented metric ids, in order.
        let ids: Vec<&str> = result
            .metrics
            .values
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !k.starts_with("service_level"))
            .collect();
        assert_eq!(ids, crate::metrics::METRIC_IDS);
        assert!(result.metrics.get("arrivals").unwrap() > 600.0);
    }
}
