//! Metrics (docs/metrics.md): what one run measured, computed as it goes.
//!
//! The [`Collector`] observes the engine's outputs and the simulator's presence changes
//! and arrivals; it never reaches into the engine. Time-weighted quantities (queue length,
//! chats in service, agents available, orphaned chats, per-agent load) are integrated at
//! each change, per calendar interval as well as overall; chats in service and agents
//! available also per group and per inbox (the planner's table of README.md, "Planner's
//! table"), each integrated lazily when its own level changes, so a presence change costs
//! one update per group and inbox of that agent, never a scan of the roster. Memory is
//! bounded by open chats, agents, groups, inboxes and intervals: a served chat's wait goes
//! into a fixed-size histogram and exact counters, never into a list.
//!
//! What it does not do: statistics across replications (see [`summary`]) or formatting.

pub mod catalogue;
pub mod summary;

use crate::engine::{
    AgentId, AssignReason, Capacity, ChatId, CloseReason, Event, GroupId, InboxId, Output, Presence,
    SimDuration, SimTime, UnassignReason,
};
use hdrhistogram::Histogram;

/// What the collector needs to know about the run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Capacity of each agent (roster order).
    pub capacities: Vec<Capacity>,
    /// Whether each agent may be auto-assigned (fairness counts only those).
    pub auto_assign: Vec<bool>,
    /// Whether each member of the roster is an admin: admins hold only chats they took
    /// over and count in neither availability, occupancy nor orphan time.
    pub admins: Vec<bool>,
    /// Number of groups.
    pub n_groups: usize,
    /// The groups each agent is a member of (roster order), as the engine routes them.
    pub agent_groups: Vec<Vec<GroupId>>,
    /// Number of inboxes.
    pub n_inboxes: usize,
    /// The inboxes that may route to each agent (roster order), as the engine routes them.
    pub agent_inboxes: Vec<Vec<InboxId>>,
    /// Service-level targets.
    pub sl_targets: Vec<SimDuration>,
    /// Start of measurement (end of warm-up).
    pub measure_from: SimTime,
    /// End of the run.
    pub end: SimTime,
    /// Interval length.
    pub interval: SimDuration,
    /// Offset of the first interval boundary after time 0 (aligns intervals to the clock).
    pub interval_offset: u64,
    /// Minimum available time for an agent to count in fairness.
    pub fairness_min_available: SimDuration,
    /// Rebalance idle threshold (a move of a chat with a newer message is counted as recent).
    pub rebalance_idle_threshold: Option<SimDuration>,
}

/// What the collector follows of one chat while it is open, from the moment it needs a
/// human ([`Collector::on_arrival`]) to its close. The simulator keeps it inside its own
/// record of the chat — one slab of open chats for both, one lookup per chat event — and
/// hands it to every call about that chat.
///
/// Laid out in declaration order (`repr(C)`): what a message touches first, beside the flags
/// (see the simulator's chat record, which holds the track after its own hot fields).
#[derive(Clone, Debug)]
#[repr(C)]
pub struct ChatTrack {
    last_message_at: SimTime,
    measured: bool,
    served: bool,
    /// Whether the current queue episode follows a service (a re-queue).
    requeued: bool,
    /// Whether the chat waited in the queue before its first service.
    ever_queued: bool,
    in_service: bool,
    multi_agent: bool,
    inbox: InboxId,
    needs_human_at: SimTime,
    group: Option<GroupId>,
    interval: usize,
    queued_since: Option<SimTime>,
    /// Agent currently holding it in status `assigned` (counts in their load).
    holder: Option<AgentId>,
    first_agent: Option<AgentId>,
    /// First service (assignment or takeover).
    served_at: Option<SimTime>,
    /// When a silent customer left.
    left_at: Option<SimTime>,
}

/// One agent's figures while the run goes, with what its updates need of the plan (kept
/// here so that an update touches one record).
#[derive(Clone, Debug)]
struct AgentTrack {
    capacity: Capacity,
    admin: bool,
    load: u32,
    presence: Option<Presence>,
    since: SimTime,
    available_ms: u64,
    held_ms: u64,
    at_capacity_ms: u64,
    auto_assignments: u64,
}

/// Counters by arrival interval, group or inbox.
#[derive(Clone, Debug, Default)]
pub struct Slice {
    /// Chats that needed a human.
    pub arrivals: u64,
    /// Chats served (first assignment or takeover).
    pub served: u64,
    /// Chats that abandoned before service.
    pub abandoned: u64,
    /// Sum of waits of served chats (ms).
    pub wait_sum_ms: f64,
    /// Served within each target.
    pub within: Vec<u64>,
    /// Abandoned strictly before each target.
    pub abandoned_before: Vec<u64>,
    /// Still waiting unserved when the run ended, having waited at most each target: the
    /// outcome is unknown (censored), so they are left out of that target's service level.
    pub censored: Vec<u64>,
}

impl Slice {
    /// Service level at target `i`: served within it ÷ chats whose outcome is known.
    pub fn service_level(&self, i: usize) -> Option<f64> {
        let n = self.arrivals as f64 - *self.censored.get(i)? as f64;
        (n > 0.0).then(|| self.within[i] as f64 / n)
    }

    /// The same, also leaving out chats abandoned before the target.
    pub fn service_level_answered(&self, i: usize) -> Option<f64> {
        let n = self.arrivals as f64 - *self.censored.get(i)? as f64 - self.abandoned_before[i] as f64;
        (n > 0.0).then(|| self.within[i] as f64 / n)
    }
}

/// Time-weighted levels of one interval (areas in level·ms).
#[derive(Clone, Debug, Default)]
pub struct Levels {
    /// ∫ queue length.
    pub queue: f64,
    /// ∫ chats in service.
    pub in_service: f64,
    /// ∫ agents available.
    pub available: f64,
    /// ∫ load of available agents.
    pub avail_load: f64,
    /// ∫ capacity of available agents (finite capacities only).
    pub avail_capacity: f64,
    /// Measured length (ms).
    pub span_ms: f64,
}

impl Levels {
    /// Adds `dt` ms at these levels (queue, in service, available, their load, their
    /// capacity).
    #[inline]
    fn add(&mut self, levels: &[f64; 5], dt: f64) {
        self.queue += levels[0] * dt;
        self.in_service += levels[1] * dt;
        self.available += levels[2] * dt;
        self.avail_load += levels[3] * dt;
        self.avail_capacity += levels[4] * dt;
        self.span_ms += dt;
    }
}

/// One interval's row of the planner's table.
#[derive(Clone, Debug)]
pub struct IntervalRow {
    /// Start (simulation time).
    pub start: SimTime,
    /// Counters by arrival in the interval.
    pub chats: Slice,
    /// Time-weighted levels.
    pub levels: Levels,
}

/// One group's or inbox's row of the planner's table, over the measured run.
#[derive(Clone, Debug)]
pub struct SliceRow {
    /// Counters of its chats (a chat belongs to the group it was routed with and the inbox
    /// it arrived in).
    pub chats: Slice,
    /// Time-weighted mean number of its chats in service (assigned to an agent or taken
    /// over); `None` when nothing was measured.
    pub in_service_mean: Option<f64>,
    /// Time-weighted mean number of agents available who can take its chats: a group's
    /// members, every agent for chats without a group, the agents an inbox routes to.
    /// Admins count in no availability, as overall.
    pub agents_available_mean: Option<f64>,
}

/// A group's or inbox's chats and levels while the run goes (areas in level·ms, integrated
/// up to `since`).
#[derive(Clone, Debug, Default)]
struct Part {
    chats: Slice,
    in_service: u64,
    available: u64,
    since: SimTime,
    in_service_area: f64,
    available_area: f64,
}

impl Part {
    /// Integrates the levels from `since` to `now`, the measured part only.
    fn touch(&mut self, now: SimTime, from: SimTime) {
        let start = self.since.max(from);
        if now > start {
            let dt = (now.as_millis() - start.as_millis()) as f64;
            self.in_service_area += self.in_service as f64 * dt;
            self.available_area += self.available as f64 * dt;
        }
        self.since = self.since.max(now);
    }

    fn row(self, span_ms: f64) -> SliceRow {
        let mean = |area: f64| (span_ms > 0.0).then(|| area / span_ms);
        SliceRow {
            in_service_mean: mean(self.in_service_area),
            agents_available_mean: mean(self.available_area),
            chats: self.chats,
        }
    }
}

/// A list of indices per agent, all in one vector (one allocation for the roster, not one
/// per agent).
#[derive(Clone, Debug, Default)]
struct Rows {
    items: Vec<usize>,
    /// Where each row ends in `items` (a row starts where the previous one ends).
    ends: Vec<usize>,
}

impl Rows {
    /// `n` rows, row `i` as `fill(i, row)` leaves `row` (handed over empty).
    fn build(n: usize, mut fill: impl FnMut(usize, &mut Vec<usize>)) -> Self {
        let mut rows = Self {
            items: Vec::new(),
            ends: Vec::with_capacity(n),
        };
        let mut row = Vec::new();
        for i in 0..n {
            row.clear();
            fill(i, &mut row);
            rows.items.extend_from_slice(&row);
            rows.ends.push(rows.items.len());
        }
        rows
    }

    /// Row `i`.
    fn row(&self, i: usize) -> &[usize] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.items[start..self.ends[i]]
    }
}

/// Everything one run measured.
#[derive(Clone, Debug)]
pub struct RunMetrics {
    /// Metric id → value (`None` = undefined in this run), in a fixed order.
    pub values: Vec<(String, Option<f64>)>,
    /// Per-interval table.
    pub intervals: Vec<IntervalRow>,
    /// Per group (index = group; last = no group).
    pub groups: Vec<SliceRow>,
    /// Per inbox (index = inbox).
    pub inboxes: Vec<SliceRow>,
    /// Per agent, roster order.
    pub agents: Vec<AgentRow>,
    /// ∫ queue length dt over the measured run (chat·ms).
    pub queue_area_ms: f64,
    /// Share of served chats that waited at most x seconds, at x = 0, 5, …, 600 (empty
    /// when no chat was served).
    pub wait_cdf: Vec<(f64, f64)>,
    /// Σ of every queue episode within the measurement window (ms), re-queues, abandoners,
    /// warm-up arrivals and open chats included.
    pub queue_episodes_ms: f64,
}

/// One agent's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentRow {
    /// Available hours.
    pub available_hours: f64,
    /// Auto-assignments.
    pub auto_assignments: u64,
    /// Chat-hours held while available.
    pub held_hours: f64,
    /// Share of available time at capacity (`None` with unlimited capacity or no available time).
    pub at_capacity_share: Option<f64>,
}

impl RunMetrics {
    /// Metrics with these values and nothing else (tables empty): for tests and for
    /// results read back from files.
    pub fn from_values(values: Vec<(String, Option<f64>)>) -> Self {
        Self {
            values,
            intervals: Vec::new(),
            groups: Vec::new(),
            inboxes: Vec::new(),
            agents: Vec::new(),
            queue_area_ms: 0.0,
            queue_episodes_ms: 0.0,
            wait_cdf: Vec::new(),
        }
    }

    /// The value of a metric.
    pub fn get(&self, id: &str) -> Option<f64> {
        self.values.iter().find(|(k, _)| k == id).and_then(|(_, v)| *v)
    }
}

/// Observes one run.
///
/// Cost: every input and output costs O(1) — updates of what it touches (the chat's
/// [`ChatTrack`], handed in by the caller, its agent, its group and inbox, the current
/// interval); a presence change also one update per group and inbox of that agent. Nothing
/// scans the roster, the groups, the inboxes, the intervals or the open chats before
/// [`Collector::finish_at`]. It keeps no chats itself: memory is bounded by the caller's
/// open chats.
#[derive(Debug)]
pub struct Collector {
    books: Books,
}

/// The collector's levels, integrals and counters.
#[derive(Debug)]
struct Books {
    plan: Plan,
    agents: Vec<AgentTrack>,
    last: SimTime,
    /// The levels are integrated up to here (at most `last`, in its interval; see `advance`).
    integrated: SimTime,
    /// The interval `last` is in (`interval_index(last)`) and where it ends, kept so that
    /// integrating divides only when a boundary is crossed.
    interval: usize,
    interval_end: u64,
    // Current levels.
    queue_len: u64,
    in_service: u64,
    available: u64,
    avail_load: u64,
    avail_capacity: u64,
    orphaned: u64,
    // Integrals.
    total: Levels,
    orphan_area: f64,
    queue_max: u64,
    intervals: Vec<Levels>,
    interval_chats: Vec<Slice>,
    /// Per group (index = group; last = no group).
    groups: Vec<Part>,
    /// Per inbox.
    inboxes: Vec<Part>,
    /// Per agent: the group slots whose availability it counts in (its groups, and the
    /// no-group slot: a chat without a group may go to anyone).
    agent_group_slots: Rows,
    /// Per agent: the inboxes that route to it.
    agent_inbox_slots: Rows,
    all: Slice,
    // Waits.
    waits: Histogram<u64>,
    wait_max: u64,
    queue_time_ms: f64,
    /// Every chat's queue episodes clipped to the measurement window (the identity's side).
    queue_episodes_ms: f64,
    queued_chats: u64,
    requeue_ms: f64,
    requeues: u64,
    // Churn.
    unassigned: [u64; 4],
    multi_agent: u64,
    rebalance_moves: u64,
    rebalance_recent: u64,
    online_events: u64,
    first_login: Option<(AgentId, SimTime)>,
    first_login_backlog: u64,
    violations: u64,
    // Workload behaviour.
    first_replies: Histogram<u64>,
    first_reply_sum_ms: f64,
    handle_sum_ms: f64,
    handled: u64,
    created: u64,
    bot_resolved: u64,
    auto_closed: u64,
    silent_hold_sum_ms: f64,
    silent_closed: u64,
}

impl Collector {
    /// A collector for a run with `n_agents` agents, all offline until told otherwise.
    pub fn new(plan: Plan) -> Self {
        let n_targets = plan.sl_targets.len();
        let slice = || Slice {
            within: vec![0; n_targets],
            abandoned_before: vec![0; n_targets],
            censored: vec![0; n_targets],
            ..Slice::default()
        };
        let n_intervals = interval_index(&plan, plan.end.as_millis().saturating_sub(1)) + 1;
        let n_agents = plan.capacities.len();
        let part = || Part {
            chats: slice(),
            ..Part::default()
        };
        let agent_group_slots = Rows::build(n_agents, |i, row| {
            let groups = plan.agent_groups.get(i).map_or(&[][..], Vec::as_slice);
            row.extend(groups.iter().map(|g| g.index()).filter(|&g| g < plan.n_groups));
            row.sort_unstable();
            row.dedup();
            row.push(plan.n_groups);
        });
        let agent_inbox_slots = Rows::build(n_agents, |i, row| {
            let inboxes = plan.agent_inboxes.get(i).map_or(&[][..], Vec::as_slice);
            row.extend(inboxes.iter().map(|b| b.index()).filter(|&b| b < plan.n_inboxes));
            row.sort_unstable();
            row.dedup();
        });
        let agents = (0..n_agents)
            .map(|i| AgentTrack {
                capacity: plan.capacities[i],
                admin: plan.admins[i],
                load: 0,
                presence: None,
                since: SimTime::ZERO,
                available_ms: 0,
                held_ms: 0,
                at_capacity_ms: 0,
                auto_assignments: 0,
            })
            .collect();
        let interval = interval_index(&plan, 0);
        let books = Books {
            agents,
            last: SimTime::ZERO,
            integrated: SimTime::ZERO,
            interval,
            interval_end: interval_end(&plan, interval),
            queue_len: 0,
            in_service: 0,
            available: 0,
            avail_load: 0,
            avail_capacity: 0,
            orphaned: 0,
            total: Levels::default(),
            orphan_area: 0.0,
            queue_max: 0,
            intervals: vec![Levels::default(); n_intervals],
            interval_chats: (0..n_intervals).map(|_| slice()).collect(),
            groups: (0..=plan.n_groups).map(|_| part()).collect(),
            inboxes: (0..plan.n_inboxes).map(|_| part()).collect(),
            agent_group_slots,
            agent_inbox_slots,
            all: slice(),
            // Waits up to a year at 3 significant digits: the bounds are constants, so
            // creation cannot fail.
            waits: Histogram::new_with_bounds(1, 366 * 86_400_000, 3).expect("valid constant bounds"),
            wait_max: 0,
            queue_time_ms: 0.0,
            queue_episodes_ms: 0.0,
            queued_chats: 0,
            requeue_ms: 0.0,
            requeues: 0,
            unassigned: [0; 4],
            multi_agent: 0,
            rebalance_moves: 0,
            rebalance_recent: 0,
            online_events: 0,
            first_login: None,
            first_login_backlog: 0,
            violations: 0,
            first_replies: Histogram::new_with_bounds(1, 366 * 86_400_000, 3).expect("valid constant bounds"),
            first_reply_sum_ms: 0.0,
            handle_sum_ms: 0.0,
            handled: 0,
            created: 0,
            bot_resolved: 0,
            auto_closed: 0,
            silent_hold_sum_ms: 0.0,
            silent_closed: 0,
            plan,
        };
        Self { books }
    }

    /// Moves the collector's clock to `now` (at most the run's end). Called before every
    /// event and output: when the time has not moved (several outputs at one instant) it
    /// costs one comparison. The levels are integrated when one of them changes, or at an
    /// interval boundary — not at every event (see `Books::settle`).
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        if now > self.books.last {
            self.books.advance(now);
        }
    }

    /// An agent's presence (initial or changed), after `advance(now)`.
    pub fn on_presence(&mut self, agent: AgentId, presence: Presence) {
        self.books.on_presence(agent, presence);
    }

    /// A chat of `inbox` needs a human from now on (its arrival or hand-off), with the group
    /// it is routed with, after `advance(now)`.
    /// Returns the chat's track, for the caller to keep until the chat closes.
    pub fn on_arrival(&mut self, inbox: InboxId, group: Option<GroupId>) -> ChatTrack {
        let b = &mut self.books;
        let now = b.last;
        let measured = now >= b.plan.measure_from;
        // `interval_index(now)`, kept by `integrate`.
        let interval = b.interval;
        if measured {
            b.all.arrivals += 1;
            b.interval_chats[interval].arrivals += 1;
            let g = b.group_slot(group);
            b.groups[g].chats.arrivals += 1;
            b.inboxes[inbox.index()].chats.arrivals += 1;
        }
        ChatTrack {
            needs_human_at: now,
            measured,
            group,
            inbox,
            interval,
            served: false,
            queued_since: None,
            requeued: false,
            ever_queued: false,
            holder: None,
            in_service: false,
            first_agent: None,
            multi_agent: false,
            last_message_at: now,
            served_at: None,
            left_at: None,
        }
    }

    /// The engine refused an input the simulator sent (a bug, like a VIOLATION): counted in
    /// `violations`, so it can never pass unnoticed.
    pub fn on_engine_error(&mut self) {
        self.books.violations += 1;
    }

    /// A customer starts a chat (with the bot, if there is one), after `advance(now)`.
    pub fn on_created(&mut self) {
        if self.books.measured_now() {
            self.books.created += 1;
        }
    }

    /// The bot resolved a chat alone (it never needs a human), after `advance(now)`.
    pub fn on_bot_resolved(&mut self) {
        if self.books.measured_now() {
            self.books.bot_resolved += 1;
        }
    }

    /// The agent's first reply in a chat, after `advance(now)`: the customer's first
    /// response time runs from when the chat needed a human.
    pub fn on_first_reply(&mut self, c: &ChatTrack) {
        let b = &mut self.books;
        let now = b.last;
        if c.measured {
            let ms = now.saturating_since(c.needs_human_at).as_millis();
            b.first_replies.saturating_record(ms);
            b.first_reply_sum_ms += ms as f64;
        }
    }

    /// A served customer left without a word, after `advance(now)`.
    pub fn on_silent_left(&mut self, c: &mut ChatTrack) {
        c.left_at = Some(self.books.last);
    }

    /// A message in a chat (for the recent-rebalance check), after `advance(now)`.
    pub fn on_message(&mut self, c: &mut ChatTrack) {
        c.last_message_at = self.books.last;
    }

    /// One engine output, after `advance(output.at)`, with the track of the chat it is
    /// about (`None`: no chat, or one that never needed a human); after a close the caller
    /// drops the track.
    pub fn on_output(&mut self, output: &Output, chat: Option<&mut ChatTrack>) {
        let b = &mut self.books;
        match output.event {
            Event::ChatAssigned { agent, reason, .. } => b.assigned(chat, agent, reason),
            Event::ChatUnassigned { agent, reason, .. } => b.unassigned(chat, agent, reason),
            Event::ChatQueued { .. } => {
                if let Some(c) = chat {
                    b.queued(c);
                }
            }
            Event::ChatTakenOver { .. } => {
                if let Some(c) = chat {
                    b.taken_over(c);
                }
            }
            Event::ChatClosed { reason, .. } => {
                if let Some(c) = chat {
                    b.closed(c, reason);
                }
            }
            Event::Violation { .. } => b.violations += 1,
            Event::AgentChatsReassigned { .. } | Event::ChatAssignmentSync { .. } => {}
        }
    }

    /// Closes the books at `end` (at most the planned end), with the tracks of the chats
    /// still open, in any order.
    pub fn finish_at(self, end: SimTime, open: Vec<(ChatId, ChatTrack)>) -> RunMetrics {
        self.books.finish_at(open, end)
    }

    /// Current queue length as the collector sees it (checked against the engine in tests).
    pub fn queue_len(&self) -> u64 {
        self.books.queue_len
    }
}

impl Books {
    /// Moves the clock to `now` (at most the run's end). Within the interval of `last`
    /// nothing is integrated yet: the levels have not changed since `integrated`, and the
    /// integral of a constant over two spans is its integral over their sum — exactly, as
    /// every level and every span is a whole number (of chats, agents, milliseconds) far
    /// below 2^53, so the sums come out the same to the bit. Crossing into another interval
    /// integrates, so each interval gets its own share.
    fn advance(&mut self, now: SimTime) {
        let now = now.min(self.plan.end);
        if now.as_millis() >= self.interval_end {
            self.integrate(now);
        } else if now > self.last {
            self.last = now;
        }
    }

    /// Integrates the levels over the span from `integrated` to `last`, within one
    /// interval. Called before any level changes.
    #[inline]
    fn settle(&mut self) {
        if self.integrated < self.last {
            let from = self.integrated.max(self.plan.measure_from);
            if self.last > from {
                self.add_levels((self.last.as_millis() - from.as_millis()) as f64);
            }
            self.integrated = self.last;
        }
    }

    /// Adds `dt` ms at the current levels to the current interval's and the run's integrals.
    fn add_levels(&mut self, dt: f64) {
        let levels = [
            self.queue_len as f64,
            self.in_service as f64,
            self.available as f64,
            self.avail_load as f64,
            self.avail_capacity as f64,
        ];
        self.intervals[self.interval].add(&levels, dt);
        self.total.add(&levels, dt);
        self.orphan_area += self.orphaned as f64 * dt;
    }

    /// Integrates every level from `integrated` up to `now` (at most the run's end), split
    /// at interval boundaries: per segment, one addition to each of the interval's and the
    /// run's integrals.
    fn integrate(&mut self, now: SimTime) {
        self.settle();
        let now = now.min(self.plan.end);
        while self.last < now {
            let boundary = self.interval_end;
            let seg_end = now.min(SimTime(boundary));
            let from = self.last.max(self.plan.measure_from);
            if seg_end > from {
                self.add_levels((seg_end.as_millis() - from.as_millis()) as f64);
            }
            self.last = seg_end;
            if seg_end.as_millis() >= boundary {
                // `interval_index(boundary)` is the next interval.
                self.interval += 1;
                self.interval_end = interval_end(&self.plan, self.interval);
            }
        }
        self.integrated = self.last;
    }

    fn measured_now(&self) -> bool {
        self.last >= self.plan.measure_from
    }

    /// Brings one agent's personal integrals up to now.
    fn touch_agent(&mut self, agent: AgentId) {
        let now = self.last;
        let from = self.plan.measure_from;
        let a = &mut self.agents[agent.index()];
        let start = a.since.max(from);
        if now > start && a.presence == Some(Presence::Available) {
            let dt = now.as_millis() - start.as_millis();
            a.available_ms += dt;
            a.held_ms += u64::from(a.load) * dt;
            if !a.capacity.admits(a.load) {
                a.at_capacity_ms += dt;
            }
        }
        a.since = now;
    }

    fn change_load(&mut self, agent: AgentId, up: bool) {
        self.settle();
        self.touch_agent(agent);
        let a = &mut self.agents[agent.index()];
        if up {
            a.load += 1;
        } else {
            a.load = a.load.saturating_sub(1);
        }
        if a.admin {
            return;
        }
        match a.presence {
            Some(Presence::Available) => bump(&mut self.avail_load, up),
            Some(Presence::Offline) | None => bump(&mut self.orphaned, up),
            Some(Presence::Away) => {}
        }
    }

    fn on_presence(&mut self, agent: AgentId, presence: Presence) {
        self.settle();
        self.touch_agent(agent);
        let a = &mut self.agents[agent.index()];
        let cap = match a.capacity {
            Capacity::Limited(k) => u64::from(k),
            Capacity::Unlimited => 0,
        };
        let load = u64::from(a.load);
        let old = a.presence.replace(presence);
        if a.admin {
            return;
        }
        let was = old == Some(Presence::Available);
        if was != (presence == Presence::Available) {
            self.availability_changed(agent, !was);
        }
        match old {
            Some(Presence::Available) => {
                self.available -= 1;
                self.avail_load -= load;
                self.avail_capacity -= cap;
            }
            Some(Presence::Offline) | None => self.orphaned -= load,
            Some(Presence::Away) => {}
        }
        match presence {
            Presence::Available => {
                self.available += 1;
                self.avail_load += load;
                self.avail_capacity += cap;
                // The presence an agent starts with is not a login.
                if old.is_some() && old != Some(Presence::Available) && self.measured_now() {
                    self.online_events += 1;
                    if self.first_login.is_none() {
                        self.first_login = Some((agent, self.last));
                    }
                }
            }
            Presence::Offline => self.orphaned += load,
            Presence::Away => {}
        }
    }

    /// An agent becomes available (`up`) or stops being available: every group and inbox
    /// whose chats they can take sees one agent more or fewer.
    fn availability_changed(&mut self, agent: AgentId, up: bool) {
        let (now, from) = (self.last, self.plan.measure_from);
        let i = agent.index();
        for &g in self.agent_group_slots.row(i) {
            let part = &mut self.groups[g];
            part.touch(now, from);
            bump(&mut part.available, up);
        }
        for &b in self.agent_inbox_slots.row(i) {
            let part = &mut self.inboxes[b];
            part.touch(now, from);
            bump(&mut part.available, up);
        }
    }

    /// A chat of `group` and `inbox` enters (`up`) or leaves service: the overall level and
    /// its group's and inbox's.
    fn in_service_changed(&mut self, group: Option<GroupId>, inbox: InboxId, up: bool) {
        self.settle();
        let (now, from) = (self.last, self.plan.measure_from);
        let g = self.group_slot(group);
        for part in [&mut self.groups[g], &mut self.inboxes[inbox.index()]] {
            part.touch(now, from);
            bump(&mut part.in_service, up);
        }
        bump(&mut self.in_service, up);
    }

    /// The group slot of a chat: its group, or the last slot for chats without one.
    fn group_slot(&self, group: Option<GroupId>) -> usize {
        group.map_or(self.plan.n_groups, GroupId::index)
    }

    /// CHAT_ASSIGNED (`c`: the chat, if tracked).
    fn assigned(&mut self, mut c: Option<&mut ChatTrack>, agent: AgentId, reason: AssignReason) {
        let now = self.last;
        if let Some(c) = c.as_deref_mut() {
            self.leave_queue(c);
            self.serve(c);
        }
        if reason == AssignReason::Rebalance && self.measured_now() {
            self.rebalance_moves += 1;
            let recent = c
                .as_deref()
                .zip(self.plan.rebalance_idle_threshold)
                .is_some_and(|(c, t)| now.saturating_since(c.last_message_at) < t);
            self.rebalance_recent += u64::from(recent);
        }
        if let Some(c) = c {
            match c.first_agent {
                None => c.first_agent = Some(agent),
                Some(first) if first != agent && !c.multi_agent => {
                    c.multi_agent = true;
                    if c.measured {
                        self.multi_agent += 1;
                    }
                }
                Some(_) => {}
            }
            c.holder = Some(agent);
            if !c.in_service {
                c.in_service = true;
                self.in_service_changed(c.group, c.inbox, true);
            }
        }
        self.change_load(agent, true);
        if reason.is_auto() && self.measured_now() {
            self.agents[agent.index()].auto_assignments += 1;
        }
        if self.first_login == Some((agent, now)) {
            self.first_login_backlog += 1;
        }
    }

    /// CHAT_UNASSIGNED (`c`: the chat, if tracked).
    fn unassigned(&mut self, c: Option<&mut ChatTrack>, agent: AgentId, reason: UnassignReason) {
        if self.measured_now() {
            self.unassigned[unassign_index(reason)] += 1;
        }
        if let Some(c) = c {
            c.holder = None;
            if c.in_service {
                c.in_service = false;
                self.in_service_changed(c.group, c.inbox, false);
            }
        }
        self.change_load(agent, false);
    }

    /// CHAT_QUEUED.
    fn queued(&mut self, c: &mut ChatTrack) {
        self.settle();
        if c.queued_since.is_none() {
            c.queued_since = Some(self.last);
            // A wait before first service makes the chat "queued"; one after it is a
            // re-queue (agent offline, unassign).
            c.requeued = c.served;
            if !c.served && !c.ever_queued && c.measured {
                self.queued_chats += 1;
            }
            c.ever_queued |= !c.served;
            self.queue_len += 1;
            self.queue_max = self.queue_max.max(self.queue_len);
        }
    }

    /// CHAT_TAKEN_OVER.
    fn taken_over(&mut self, c: &mut ChatTrack) {
        self.leave_queue(c);
        self.serve(c);
        if !c.in_service {
            c.in_service = true;
            self.in_service_changed(c.group, c.inbox, true);
        }
    }

    /// CHAT_CLOSED (`c`: the chat, no longer tracked).
    fn closed(&mut self, c: &mut ChatTrack, reason: CloseReason) {
        let now = self.last;
        self.leave_queue(c);
        if c.measured {
            if let Some(since) = c.served_at
                && reason != CloseReason::Abandoned
            {
                self.handle_sum_ms += now.saturating_since(since).as_millis() as f64;
                self.handled += 1;
            }
            if let Some(left) = c.left_at {
                self.silent_hold_sum_ms += now.saturating_since(left).as_millis() as f64;
                self.silent_closed += 1;
            }
            self.auto_closed += u64::from(reason == CloseReason::AutoClosed);
        }
        if let Some(agent) = c.holder {
            self.change_load(agent, false);
        }
        if c.in_service {
            self.in_service_changed(c.group, c.inbox, false);
        }
        if reason == CloseReason::Abandoned && !c.served && c.measured {
            let waited = now.saturating_since(c.needs_human_at);
            let g = self.group_slot(c.group);
            for slice in [
                &mut self.all,
                &mut self.interval_chats[c.interval],
                &mut self.groups[g].chats,
                &mut self.inboxes[c.inbox.index()].chats,
            ] {
                slice.abandoned += 1;
                for (i, t) in self.plan.sl_targets.iter().enumerate() {
                    slice.abandoned_before[i] += u64::from(waited < *t);
                }
            }
        }
    }

    /// The chat leaves the queue, if it is in it: its episode counts.
    fn leave_queue(&mut self, c: &mut ChatTrack) {
        self.settle();
        let now = self.last;
        let from = self.plan.measure_from;
        if let Some(since) = c.queued_since.take() {
            self.queue_len -= 1;
            // Only the measured part of an episode counts, like the queue-length area.
            let d = now.saturating_since(since.max(from)).as_millis() as f64;
            self.queue_episodes_ms += d;
            if c.measured {
                self.queue_time_ms += d;
                if c.requeued {
                    self.requeue_ms += d;
                    self.requeues += 1;
                }
            }
        }
    }

    /// The chat is served (assigned or taken over), if it was not yet: its wait counts.
    fn serve(&mut self, c: &mut ChatTrack) {
        let now = self.last;
        if c.served {
            return;
        }
        c.served = true;
        c.served_at = Some(now);
        if !c.measured {
            return;
        }
        let wait = now.saturating_since(c.needs_human_at).as_millis();
        // Values beyond the histogram's range saturate at its top; the exact max is kept apart.
        self.waits.saturating_record(wait);
        self.wait_max = self.wait_max.max(wait);
        let targets = &self.plan.sl_targets;
        for slice in [
            &mut self.all,
            &mut self.interval_chats[c.interval],
            &mut self.groups[c.group.map_or(self.plan.n_groups, GroupId::index)].chats,
            &mut self.inboxes[c.inbox.index()].chats,
        ] {
            slice.served += 1;
            slice.wait_sum_ms += wait as f64;
            for (i, t) in targets.iter().enumerate() {
                slice.within[i] += u64::from(wait <= t.as_millis());
            }
        }
    }

    /// Closes the books at `end` (at most the planned end), with the chats still open.
    fn finish_at(mut self, mut chats: Vec<(ChatId, ChatTrack)>, end: SimTime) -> RunMetrics {
        self.plan.end = end.min(self.plan.end);
        self.integrate(self.plan.end);
        for i in 0..self.agents.len() {
            self.touch_agent(AgentId(i as u32));
        }
        // Chats still queued at the end: their episodes count up to the end, in id order
        // (the sums are floating-point: their order must not depend on the caller's).
        chats.sort_unstable_by_key(|&(id, _)| id);
        for (_, c) in &mut chats {
            if c.queued_since.is_some() {
                self.leave_queue(c);
            }
        }
        // Unserved chats still waiting at the end, for no longer than a target: censored
        // (only counted: the order does not matter).
        let end = self.plan.end;
        for (_, c) in &chats {
            if !c.measured || c.served {
                continue;
            }
            let waited = end.saturating_since(c.needs_human_at).as_millis();
            let group = self.group_slot(c.group);
            for (i, t) in self.plan.sl_targets.iter().enumerate() {
                if waited <= t.as_millis() {
                    self.all.censored[i] += 1;
                    self.interval_chats[c.interval].censored[i] += 1;
                    self.groups[group].chats.censored[i] += 1;
                    self.inboxes[c.inbox.index()].chats.censored[i] += 1;
                }
            }
        }
        // Every group's and inbox's levels up to the end.
        for part in self.groups.iter_mut().chain(&mut self.inboxes) {
            part.touch(self.last, self.plan.measure_from);
        }
        let mut v: Vec<(String, Option<f64>)> = Vec::new();
        let mut put = |k: &str, x: Option<f64>| v.push((k.to_owned(), x.filter(|x| x.is_finite())));
        let all = &self.all;
        let n = all.arrivals as f64;
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        put("arrivals", Some(n));
        put("served", Some(all.served as f64));
        put("abandoned", Some(all.abandoned as f64));
        put(
            "open_at_end",
            Some(chats.iter().filter(|(_, c)| c.measured).count() as f64),
        );
        put("wait_mean", ratio(all.wait_sum_ms / 1_000.0, all.served as f64));
        let q = |h: &Histogram<u64>, p: f64| (!h.is_empty()).then(|| h.value_at_quantile(p) as f64 / 1_000.0);
        put("wait_p50", q(&self.waits, 0.50));
        put("wait_p90", q(&self.waits, 0.90));
        put("wait_p95", q(&self.waits, 0.95));
        put("wait_p99", q(&self.waits, 0.99));
        put(
            "wait_max",
            (all.served > 0).then(|| self.wait_max as f64 / 1_000.0),
        );
        put("time_in_queue_mean", ratio(self.queue_time_ms / 1_000.0, n));
        put("queued_share", ratio(self.queued_chats as f64, n));
        put("abandonment", ratio(all.abandoned as f64, n));
        put(
            "requeue_wait_mean",
            ratio(self.requeue_ms / 1_000.0, self.requeues as f64),
        );
        for (i, t) in self.plan.sl_targets.iter().enumerate() {
            put(&format!("service_level_{t}"), all.service_level(i));
        }
        for (i, t) in self.plan.sl_targets.iter().enumerate() {
            put(
                &format!("service_level_answered_{t}"),
                all.service_level_answered(i),
            );
        }
        let replies = self.first_replies.len() as f64;
        put(
            "first_response_mean",
            ratio(self.first_reply_sum_ms / 1_000.0, replies),
        );
        put("first_response_p90", q(&self.first_replies, 0.90));
        put(
            "handle_time_mean",
            ratio(self.handle_sum_ms / 1_000.0, self.handled as f64),
        );
        // Of the chats customers started (those still with the bot at the end included).
        put(
            "bot_resolved_share",
            ratio(self.bot_resolved as f64, self.created as f64),
        );
        put("auto_closed_share", ratio(self.auto_closed as f64, n));
        put(
            "silent_hold_mean",
            ratio(self.silent_hold_sum_ms / 1_000.0, self.silent_closed as f64),
        );
        // Fairness over auto-assign agents available long enough.
        let min_ms = self.plan.fairness_min_available.as_millis();
        let eligible: Vec<usize> = (0..self.agents.len())
            .filter(|&i| self.plan.auto_assign[i] && self.agents[i].available_ms >= min_ms.max(1))
            .collect();
        let xs: Vec<f64> = eligible
            .iter()
            .map(|&i| self.agents[i].auto_assignments as f64 / hours(self.agents[i].available_ms))
            .collect();
        let ys: Vec<f64> = eligible
            .iter()
            .map(|&i| self.agents[i].held_ms as f64 / self.agents[i].available_ms as f64)
            .collect();
        put("fairness_agents", Some(eligible.len() as f64));
        put("fairness_jain", summary::jain(&xs));
        put("fairness_gini", summary::gini(&xs));
        put("fairness_cv", summary::cv(&xs));
        put("fairness_max_mean", summary::max_over_mean(&xs));
        put("load_jain", summary::jain(&ys));
        put("load_gini", summary::gini(&ys));
        put("load_cv", summary::cv(&ys));
        put("load_max_mean", summary::max_over_mean(&ys));
        let finite: Vec<usize> = eligible
            .iter()
            .copied()
            .filter(|&i| matches!(self.plan.capacities[i], Capacity::Limited(_)))
            .collect();
        let at_cap: Vec<f64> = finite
            .iter()
            .map(|&i| self.agents[i].at_capacity_ms as f64 / self.agents[i].available_ms as f64)
            .collect();
        put(
            "at_capacity_share",
            (!at_cap.is_empty()).then(|| at_cap.iter().sum::<f64>() / at_cap.len() as f64),
        );
        put(
            "first_login_backlog",
            self.first_login.map(|_| self.first_login_backlog as f64),
        );
        let churn = |k: u64| ratio(100.0 * k as f64, n);
        put("churn_per_100", churn(self.unassigned.iter().sum()));
        put("churn_offline", churn(self.unassigned[0]));
        put("churn_rebalance", churn(self.unassigned[1]));
        put("churn_takeover", churn(self.unassigned[2]));
        put("churn_manual", churn(self.unassigned[3]));
        put(
            "multi_agent_share",
            ratio(self.multi_agent as f64, all.served as f64),
        );
        put(
            "moves_per_online_event",
            ratio(self.rebalance_moves as f64, self.online_events as f64),
        );
        put("rebalance_moves_recent", Some(self.rebalance_recent as f64));
        put("orphan_minutes", Some(self.orphan_area / 60_000.0));
        let t = &self.total;
        let all_finite = self
            .plan
            .capacities
            .iter()
            .zip(&self.plan.admins)
            .all(|(c, admin)| *admin || matches!(c, Capacity::Limited(_)));
        put(
            "occupancy_mean",
            all_finite
                .then(|| ratio(t.avail_load, t.avail_capacity))
                .flatten(),
        );
        let peak = self
            .intervals
            .iter()
            .filter_map(|l| ratio(l.avail_load, l.avail_capacity))
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        put("occupancy_peak", all_finite.then_some(peak).flatten());
        put("chats_in_service_mean", ratio(t.in_service, t.span_ms));
        put("queue_len_mean", ratio(t.queue, t.span_ms));
        put("queue_len_max", Some(self.queue_max as f64));
        put("agents_available_mean", ratio(t.available, t.span_ms));
        put("violations", Some(self.violations as f64));
        let end_ms = self.plan.end.as_millis();
        let span_ms = self.total.span_ms;
        let intervals = self
            .intervals
            .iter()
            .zip(self.interval_chats)
            .enumerate()
            .map(|(i, (levels, chats))| IntervalRow {
                start: SimTime(interval_start(&self.plan, i)),
                chats,
                levels: levels.clone(),
            })
            .filter(|row| row.start.as_millis() < end_ms.max(1))
            // Warm-up intervals measure nothing: leave them out of the planner's table.
            .filter(|row| row.levels.span_ms > 0.0 || row.chats.arrivals > 0)
            .collect();
        let agents = self
            .agents
            .iter()
            .enumerate()
            .map(|(i, a)| AgentRow {
                available_hours: hours(a.available_ms),
                auto_assignments: a.auto_assignments,
                held_hours: hours(a.held_ms),
                at_capacity_share: (a.available_ms > 0
                    && matches!(self.plan.capacities[i], Capacity::Limited(_)))
                .then(|| a.at_capacity_ms as f64 / a.available_ms as f64),
            })
            .collect();
        RunMetrics {
            values: v,
            intervals,
            groups: self.groups.into_iter().map(|p| p.row(span_ms)).collect(),
            inboxes: self.inboxes.into_iter().map(|p| p.row(span_ms)).collect(),
            agents,
            queue_area_ms: self.total.queue,
            queue_episodes_ms: self.queue_episodes_ms,
            wait_cdf: if self.waits.is_empty() {
                Vec::new()
            } else {
                // `count_between(0, x)` for each x, summed as it goes: each step adds the
                // buckets after the last one counted (from the lowest value of the next
                // bucket), so the histogram is walked once, not once per point.
                let mut below = 0u64;
                let mut next = 0u64;
                (0..=120u64)
                    .map(|i| {
                        let x = i * 5;
                        let high = x * 1_000;
                        if high >= next {
                            below += self.waits.count_between(next, high);
                            next = self.waits.highest_equivalent(high) + 1;
                        }
                        (x as f64, below as f64 / self.waits.len() as f64)
                    })
                    .collect()
            },
        }
    }
}

/// One more (`up`) or one fewer.
fn bump(level: &mut u64, up: bool) {
    if up {
        *level += 1;
    } else {
        *level -= 1;
    }
}

fn hours(ms: u64) -> f64 {
    ms as f64 / 3_600_000.0
}

fn unassign_index(reason: UnassignReason) -> usize {
    match reason {
        // An agent removed from the roster left like one who went offline for good.
        UnassignReason::Offline | UnassignReason::Removed => 0,
        UnassignReason::Rebalance => 1,
        UnassignReason::Takeover => 2,
        UnassignReason::Manual => 3,
    }
}

fn interval_index(plan: &Plan, t_ms: u64) -> usize {
    let len = plan.interval.as_millis().max(1);
    ((t_ms + plan.interval_offset) / len) as usize
}

fn interval_start(plan: &Plan, idx: usize) -> u64 {
    (idx as u64 * plan.interval.as_millis()).saturating_sub(plan.interval_offset)
}

fn interval_end(plan: &Plan, idx: usize) -> u64 {
    (idx as u64 + 1) * plan.interval.as_millis() - plan.interval_offset
}
