//! The metric catalogue: every metric a run reports, defined once (id, label, unit,
//! direction, physical bounds, what it is averaged over, a one-line definition).
//!
//! Everything that shows, checks or judges a metric reads it from here: the CSV writers
//! (the `unit` column), the terminal and HTML tables, chart axes, the scenario validator
//! (metric names in `answer_metrics`, `[decision]`, `[sequential]`), conditions and the
//! answer's wording. Nothing elsewhere guesses a unit or a direction from a metric's name.
//! `chatsim metrics` prints this table and `docs/metrics.md` is generated from it (a test
//! keeps the two in step).
//!
//! Two entries are families parameterised by a service-level target T:
//! `service_level_<T>` and `service_level_answered_<T>` (T a duration such as `30s` or
//! `1m`; `service_level_60s` and `service_level_1m` name the same metric, written in its
//! canonical form `1m`).

use crate::engine::SimDuration;

/// What a metric's values are measured in (their CSV unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// A share in [0, 1] (shown in %; differences in percentage points).
    Share,
    /// A number of chats.
    Chats,
    /// A number of agents.
    Agents,
    /// A number of events.
    Count,
    /// Events per 100 chats that needed a human.
    Per100Chats,
    /// A dimensionless index.
    Index,
    /// A dimensionless ratio.
    Ratio,
}

impl Unit {
    /// The unit as written in CSV files and the metric reference.
    pub fn name(self) -> &'static str {
        match self {
            Self::Seconds => "s",
            Self::Minutes => "min",
            Self::Share => "share",
            Self::Chats => "chats",
            Self::Agents => "agents",
            Self::Count => "count",
            Self::Per100Chats => "per 100 chats",
            Self::Index => "index",
            Self::Ratio => "ratio",
        }
    }

    /// A value for people: "21.9 s", "94.5 %", "0.996", "12.0", "−3.1 s" (a true minus
    /// sign; a value that rounds to zero is never "−0.0").
    pub fn format(self, x: f64) -> String {
        let text = self.format_raw(x);
        match text.strip_prefix('-') {
            Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => format!("−{rest}"),
            Some(rest) => rest.to_owned(),
            None => text,
        }
    }

    fn format_raw(self, x: f64) -> String {
        match self {
            Self::Seconds => format!("{x:.1} s"),
            Self::Minutes => format!("{x:.1} min"),
            Self::Share => format!("{:.1} %", x * 100.0),
            Self::Chats | Self::Agents | Self::Count => format!("{x:.1}"),
            Self::Per100Chats | Self::Index | Self::Ratio => format!("{x:.3}"),
        }
    }

    /// A magnitude of difference for people: shares in percentage points.
    pub fn format_diff(self, d: f64) -> String {
        match self {
            Self::Share => format!("{} points", Self::Count.format(d * 100.0)),
            other => other.format(d),
        }
    }

    /// Parses a value as a user writes it for this unit: a duration (`30s`, `2m`) for
    /// times, `0.8` or `80%` for shares, a plain number otherwise.
    pub fn parse(self, text: &str) -> Result<f64, String> {
        let text = text.trim();
        match self {
            Self::Seconds | Self::Minutes => {
                let per = if self == Self::Seconds { 1_000.0 } else { 60_000.0 };
                if let Ok(x) = text.parse::<f64>() {
                    return finite(x, text);
                }
                crate::script::parse_duration(text)
                    .map(|d| d.as_millis() as f64 / per)
                    .map_err(|_| {
                        format!(
                            "invalid value \"{text}\" (expected a duration such as 30s or 2m, or a number of {})",
                            if self == Self::Seconds { "seconds" } else { "minutes" }
                        )
                    })
            }
            Self::Share => {
                let (number, scale) = match text.strip_suffix('%') {
                    Some(n) => (n.trim(), 0.01),
                    None => (text, 1.0),
                };
                number
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(|x| x * scale)
                    .ok_or_else(|| format!("invalid share \"{text}\" (expected e.g. 0.8 or 80%)"))
            }
            _ => text
                .parse::<f64>()
                .map_err(|_| format!("invalid number \"{text}\""))
                .and_then(|x| finite(x, text)),
        }
    }
}

fn finite(x: f64, text: &str) -> Result<f64, String> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(format!("invalid number \"{text}\""))
    }
}

/// Which way a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Smaller is better (waits, abandonment, churn).
    Lower,
    /// Larger is better (service level, fairness).
    Higher,
    /// Neither: a description of the run (arrivals, occupancy).
    Neither,
}

impl Direction {
    /// As written in the reference.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lower => "lower is better",
            Self::Higher => "higher is better",
            Self::Neither => "neither",
        }
    }

    /// +1 when larger is better, −1 when smaller is, 0 for neither: `sign × value` is
    /// then "higher is better" for every metric with a direction.
    pub fn sign(self) -> f64 {
        match self {
            Self::Lower => -1.0,
            Self::Higher => 1.0,
            Self::Neither => 0.0,
        }
    }
}

/// One catalogue entry (a family for the two service-level entries).
#[derive(Debug)]
pub struct MetricDef {
    /// Id (for a family, the prefix before the target).
    pub id: &'static str,
    /// Whether the id is followed by a service-level target (`service_level_30s`).
    pub per_target: bool,
    /// Label for people (for a family, followed by " within T").
    pub label: &'static str,
    /// Short column heading.
    pub short: &'static str,
    /// Unit.
    pub unit: Unit,
    /// Which way is better.
    pub direction: Direction,
    /// Physical bounds [low, high] (infinite when unbounded).
    pub bounds: (f64, f64),
    /// What one run's value is taken over.
    pub over: &'static str,
    /// One-line definition.
    pub definition: &'static str,
    /// A headline metric (docs/metrics.md marks them *), shown first.
    pub headline: bool,
}

const INF: f64 = f64::INFINITY;
const NONNEG: (f64, f64) = (0.0, INF);
const UNIT_RANGE: (f64, f64) = (0.0, 1.0);

macro_rules! metric {
    ($id:literal, $label:literal, $short:literal, $unit:ident, $dir:ident, $bounds:expr, $over:literal, $def:literal) => {
        metric!(
            $id, $label, $short, $unit, $dir, $bounds, $over, $def, false, false
        )
    };
    ($id:literal, $label:literal, $short:literal, $unit:ident, $dir:ident, $bounds:expr, $over:literal, $def:literal, $head:literal, $fam:literal) => {
        MetricDef {
            id: $id,
            per_target: $fam,
            label: $label,
            short: $short,
            unit: Unit::$unit,
            direction: Direction::$dir,
            bounds: $bounds,
            over: $over,
            definition: $def,
            headline: $head,
        }
    };
}

/// Every metric, in report order (the service-level families stand where their columns
/// go, once per declared target).
pub static CATALOGUE: &[MetricDef] = &[
    metric!(
        "arrivals",
        "chats that needed a human",
        "arrivals",
        Chats,
        Neither,
        NONNEG,
        "the run",
        "Chats that reached the engine needing a human (bot-resolved chats excluded)."
    ),
    metric!(
        "served",
        "chats served",
        "served",
        Chats,
        Neither,
        NONNEG,
        "the run",
        "Chats that were assigned to an agent or taken over at least once."
    ),
    metric!(
        "abandoned",
        "chats abandoned",
        "abandoned",
        Chats,
        Lower,
        NONNEG,
        "the run",
        "Chats whose customer left the queue before being served."
    ),
    metric!(
        "open_at_end",
        "chats still open at the end",
        "open at end",
        Chats,
        Neither,
        NONNEG,
        "the run",
        "Chats neither closed nor abandoned when the run stopped."
    ),
    metric!(
        "wait_mean",
        "mean wait",
        "mean wait",
        Seconds,
        Lower,
        NONNEG,
        "served chats",
        "Mean of first assignment (or takeover) minus the moment the chat needed a human."
    ),
    metric!(
        "wait_p50",
        "median wait",
        "p50 wait",
        Seconds,
        Lower,
        NONNEG,
        "served chats",
        "Median queue wait of served chats in the run."
    ),
    metric!(
        "wait_p90",
        "90th-percentile wait",
        "p90 wait",
        Seconds,
        Lower,
        NONNEG,
        "served chats",
        "90th percentile of the queue wait of served chats in the run."
    ),
    metric!(
        "wait_p95",
        "95th-percentile wait",
        "p95 wait",
        Seconds,
        Lower,
        NONNEG,
        "served chats",
        "95th percentile of the queue wait of served chats in the run.",
        true,
        false
    ),
    metric!(
        "wait_p99",
        "99th-percentile wait",
        "p99 wait",
        Seconds,
        Lower,
        NONNEG,
        "served chats",
        "99th percentile of the queue wait of served chats in the run."
    ),
    metric!(
        "wait_max",
        "longest wait",
        "max wait",
        Seconds,
        Lower,
        NONNEG,
        "served chats",
        "Longest queue wait of a served chat in the run."
    ),
    metric!(
        "time_in_queue_mean",
        "mean time in queue",
        "time in queue",
        Seconds,
        Lower,
        NONNEG,
        "chats that needed a human",
        "Total time in the queue (abandoners and re-queues included) per chat: the Erlang A quantity."
    ),
    metric!(
        "queued_share",
        "share of chats that queued",
        "queued",
        Share,
        Lower,
        UNIT_RANGE,
        "chats that needed a human",
        "Share of chats that waited in the queue before their first service."
    ),
    metric!(
        "abandonment",
        "abandonment",
        "abandoned",
        Share,
        Lower,
        UNIT_RANGE,
        "chats that needed a human",
        "Share of chats whose customer left the queue before being served.",
        true,
        false
    ),
    metric!(
        "requeue_wait_mean",
        "mean wait after a re-queue",
        "re-queue wait",
        Seconds,
        Lower,
        NONNEG,
        "re-queue episodes",
        "Mean time back in the queue after an offline reassignment or an unassign."
    ),
    metric!(
        "service_level",
        "service level",
        "SL",
        Share,
        Higher,
        UNIT_RANGE,
        "chats that needed a human, outcome known",
        "Served within T (at most T) ÷ all chats that needed a human; abandons are misses; chats still waiting at the end no longer than T are left out.",
        true,
        true
    ),
    metric!(
        "service_level_answered",
        "service level (answered)",
        "SL answered",
        Share,
        Higher,
        UNIT_RANGE,
        "chats that needed a human, outcome known, not abandoned before T",
        "Served within T ÷ chats that needed a human, leaving out chats abandoned before T.",
        false,
        true
    ),
    metric!(
        "first_response_mean",
        "mean first response",
        "first response",
        Seconds,
        Lower,
        NONNEG,
        "chats with an agent reply",
        "From needing a human to the agent's first reply (queue wait included)."
    ),
    metric!(
        "first_response_p90",
        "90th-percentile first response",
        "p90 first response",
        Seconds,
        Lower,
        NONNEG,
        "chats with an agent reply",
        "90th percentile of the first response time in the run."
    ),
    metric!(
        "handle_time_mean",
        "mean handle time",
        "handle time",
        Seconds,
        Neither,
        NONNEG,
        "closed chats",
        "From first assignment to close."
    ),
    metric!(
        "bot_resolved_share",
        "share resolved by the bot",
        "bot resolved",
        Share,
        Neither,
        UNIT_RANGE,
        "chats customers started",
        "Share of started chats the bot resolved alone (chats still with the bot at the end count as started)."
    ),
    metric!(
        "auto_closed_share",
        "share auto-closed",
        "auto-closed",
        Share,
        Neither,
        UNIT_RANGE,
        "chats that needed a human",
        "Share of chats closed by the engine's auto-close timer."
    ),
    metric!(
        "silent_hold_mean",
        "time a silent customer's chat stays open",
        "silent hold",
        Seconds,
        Lower,
        NONNEG,
        "chats whose customer left silently",
        "From a silent customer's last message to the chat's close."
    ),
    metric!(
        "fairness_agents",
        "agents counted in fairness",
        "fairness agents",
        Agents,
        Neither,
        NONNEG,
        "the run",
        "Auto-assign agents available at least the fairness minimum (30 min by default)."
    ),
    metric!(
        "fairness_jain",
        "fairness (Jain)",
        "fairness (Jain)",
        Index,
        Higher,
        UNIT_RANGE,
        "agents counted in fairness",
        "Jain's index (Σx)²/(n·Σx²) of x = auto-assignments per available hour; 1 = perfectly even.",
        true,
        false
    ),
    metric!(
        "fairness_gini",
        "fairness (Gini)",
        "Gini",
        Index,
        Lower,
        UNIT_RANGE,
        "agents counted in fairness",
        "Gini coefficient of auto-assignments per available hour; 0 = perfectly even."
    ),
    metric!(
        "fairness_cv",
        "fairness (coefficient of variation)",
        "fairness CV",
        Ratio,
        Lower,
        NONNEG,
        "agents counted in fairness",
        "Standard deviation ÷ mean of auto-assignments per available hour."
    ),
    metric!(
        "fairness_max_mean",
        "busiest agent ÷ mean (assignments)",
        "max/mean",
        Ratio,
        Lower,
        (1.0, INF),
        "agents counted in fairness",
        "Largest auto-assignments per available hour ÷ the mean."
    ),
    metric!(
        "load_jain",
        "load fairness (Jain)",
        "load Jain",
        Index,
        Higher,
        UNIT_RANGE,
        "agents counted in fairness",
        "Jain's index of y = chat-hours held per available hour (work-based)."
    ),
    metric!(
        "load_gini",
        "load fairness (Gini)",
        "load Gini",
        Index,
        Lower,
        UNIT_RANGE,
        "agents counted in fairness",
        "Gini coefficient of chat-hours held per available hour."
    ),
    metric!(
        "load_cv",
        "load fairness (coefficient of variation)",
        "load CV",
        Ratio,
        Lower,
        NONNEG,
        "agents counted in fairness",
        "Standard deviation ÷ mean of chat-hours held per available hour."
    ),
    metric!(
        "load_max_mean",
        "busiest agent ÷ mean (load)",
        "load max/mean",
        Ratio,
        Lower,
        (1.0, INF),
        "agents counted in fairness",
        "Largest chat-hours held per available hour ÷ the mean."
    ),
    metric!(
        "at_capacity_share",
        "time at capacity",
        "at capacity",
        Share,
        Neither,
        UNIT_RANGE,
        "agents counted in fairness with a finite capacity",
        "Mean over agents of the share of their available time spent at capacity."
    ),
    metric!(
        "first_login_backlog",
        "chats taken by the first agent to connect",
        "first-login backlog",
        Chats,
        Lower,
        NONNEG,
        "the run",
        "Chats assigned to the first agent to come online, at that instant."
    ),
    metric!(
        "churn_per_100",
        "reassignments per 100 chats",
        "moves/100 chats",
        Per100Chats,
        Lower,
        NONNEG,
        "chats that needed a human",
        "Unassignments of any cause per 100 chats that needed a human.",
        true,
        false
    ),
    metric!(
        "churn_offline",
        "reassignments after going offline per 100 chats",
        "offline moves/100",
        Per100Chats,
        Lower,
        NONNEG,
        "chats that needed a human",
        "Chats taken from an agent whose offline grace ran out, per 100 chats."
    ),
    metric!(
        "churn_rebalance",
        "rebalancing moves per 100 chats",
        "rebalance moves/100",
        Per100Chats,
        Lower,
        NONNEG,
        "chats that needed a human",
        "Chats moved by rebalancing, per 100 chats."
    ),
    metric!(
        "churn_takeover",
        "takeovers per 100 chats",
        "takeovers/100",
        Per100Chats,
        Lower,
        NONNEG,
        "chats that needed a human",
        "Chats an admin took over, per 100 chats."
    ),
    metric!(
        "churn_manual",
        "manual unassignments per 100 chats",
        "manual moves/100",
        Per100Chats,
        Lower,
        NONNEG,
        "chats that needed a human",
        "Chats unassigned or transferred by hand, per 100 chats."
    ),
    metric!(
        "multi_agent_share",
        "share of chats handled by several agents",
        "multi-agent",
        Share,
        Lower,
        UNIT_RANGE,
        "served chats",
        "Share of served chats that had more than one agent."
    ),
    metric!(
        "moves_per_online_event",
        "rebalancing moves per agent coming online",
        "moves/online",
        Ratio,
        Neither,
        NONNEG,
        "agents coming online",
        "Rebalancing moves ÷ agents becoming available."
    ),
    metric!(
        "rebalance_moves_recent",
        "rebalancing moves of recently active chats",
        "recent moves",
        Count,
        Lower,
        NONNEG,
        "the run",
        "Chats moved by rebalancing despite a message within the idle threshold (must be 0)."
    ),
    metric!(
        "orphan_minutes",
        "minutes in chats whose agent is offline",
        "orphan minutes",
        Minutes,
        Lower,
        NONNEG,
        "the run",
        "Chat-minutes held by an agent who is offline (within the grace period)."
    ),
    metric!(
        "occupancy_mean",
        "mean occupancy",
        "occupancy",
        Share,
        Neither,
        UNIT_RANGE,
        "available agents' time",
        "Chats held by available agents ÷ their capacity, time-weighted (blank with unlimited capacity)."
    ),
    metric!(
        "occupancy_peak",
        "peak occupancy (busiest interval)",
        "peak occupancy",
        Share,
        Neither,
        UNIT_RANGE,
        "intervals",
        "Occupancy of the busiest planner interval."
    ),
    metric!(
        "chats_in_service_mean",
        "mean chats in service",
        "in service",
        Chats,
        Neither,
        NONNEG,
        "measured time",
        "Time-weighted mean number of chats assigned to agents."
    ),
    metric!(
        "queue_len_mean",
        "mean queue length",
        "queue length",
        Chats,
        Lower,
        NONNEG,
        "measured time",
        "Time-weighted mean number of chats waiting."
    ),
    metric!(
        "queue_len_max",
        "longest queue",
        "max queue",
        Chats,
        Lower,
        NONNEG,
        "the run",
        "Most chats waiting at once."
    ),
    metric!(
        "agents_available_mean",
        "mean agents available",
        "agents available",
        Agents,
        Neither,
        NONNEG,
        "measured time",
        "Time-weighted mean number of agents available (admins excluded)."
    ),
    metric!(
        "violations",
        "engine invariant violations",
        "violations",
        Count,
        Lower,
        NONNEG,
        "the run",
        "Invariant violations and refused engine inputs (must be 0)."
    ),
];

/// A metric as used in a run: a catalogue entry, resolved for a target if it is a family.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// Canonical id (`service_level_1m`, never `service_level_60s`).
    pub id: String,
    /// Label for people.
    pub label: String,
    /// Short column heading.
    pub short: String,
    /// The service-level target of a family member.
    pub target: Option<SimDuration>,
    /// The catalogue entry.
    pub def: &'static MetricDef,
}

impl PartialEq for MetricDef {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Metric {
    /// Unit.
    pub fn unit(&self) -> Unit {
        self.def.unit
    }

    /// Direction.
    pub fn direction(&self) -> Direction {
        self.def.direction
    }

    /// Clips an interval to the metric's physical bounds.
    pub fn clip(&self, low: f64, high: f64) -> (f64, f64) {
        let (lo, hi) = self.def.bounds;
        (low.clamp(lo, hi), high.clamp(lo, hi))
    }

    /// Clips a difference interval: a difference of two values within the bounds lies
    /// within ±(high − low).
    pub fn clip_diff(&self, low: f64, high: f64) -> (f64, f64) {
        let (lo, hi) = self.def.bounds;
        let span = hi - lo;
        (low.max(-span), high.min(span))
    }
}

/// Resolves a metric id; `service_level_<T>` for any duration T.
pub fn lookup(id: &str) -> Option<Metric> {
    for def in CATALOGUE {
        if def.per_target {
            let Some(t) = id.strip_prefix(def.id).and_then(|rest| rest.strip_prefix('_')) else {
                continue;
            };
            // `service_level_answered_30s` must not resolve as `service_level` with
            // target "answered_30s": a target is a duration or nothing.
            let Ok(t) = crate::script::parse_duration(t) else {
                continue;
            };
            if t == SimDuration::ZERO {
                continue;
            }
            return Some(family_member(def, t));
        } else if def.id == id {
            return Some(Metric {
                id: def.id.to_owned(),
                label: def.label.to_owned(),
                short: def.short.to_owned(),
                target: None,
                def,
            });
        }
    }
    None
}

fn family_member(def: &'static MetricDef, t: SimDuration) -> Metric {
    let (label, short) = if def.id == "service_level" {
        (format!("service level within {t}"), format!("SL {t}"))
    } else {
        (
            format!("service level within {t} (answered)"),
            format!("SL {t} answered"),
        )
    };
    Metric {
        id: format!("{}_{t}", def.id),
        label,
        short,
        target: Some(t),
        def,
    }
}

/// A metric of the catalogue; panics on an unknown id (for ids written in the code).
pub fn metric(id: &str) -> Metric {
    lookup(id).unwrap_or_else(|| panic!("metric \"{id}\" is not in the catalogue"))
}

/// Every metric a run with these service-level targets reports, in report order.
pub fn run_metrics(sl_targets: &[SimDuration]) -> Vec<Metric> {
    let mut out = Vec::new();
    for def in CATALOGUE {
        if def.per_target {
            out.extend(sl_targets.iter().map(|&t| family_member(def, t)));
        } else {
            out.push(lookup(def.id).expect("catalogue ids resolve"));
        }
    }
    out
}

/// The headline metrics of a run with these targets (docs/metrics.md marks them *), in
/// report order: p95 wait, service level at each target, abandonment, fairness, churn.
pub fn headline(sl_targets: &[SimDuration]) -> Vec<Metric> {
    run_metrics(sl_targets)
        .into_iter()
        .filter(|m| m.def.headline)
        .collect()
}

/// The catalogue as a Markdown reference (`docs/metrics.md` is this text).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Metric reference\n\n\
         Generated from the metric catalogue in `src/metrics/catalogue.rs` by `chatsim metrics --markdown`;\n\
         a test fails when this file and the catalogue differ. Every metric is computed once per run\n\
         (replication) over what the \"over\" column names; across replications reports give the mean,\n\
         a 95 % t-interval clipped to the bounds, and n. Headline metrics are marked *.\n\n\
         `service_level_<T>` and `service_level_answered_<T>` exist for every target T the scenario\n\
         declares (`service_level_targets`) or names in a condition; T is a duration (`30s`, `1m`,\n\
         `2m30s`); `service_level_60s` and `service_level_1m` are the same metric.\n\n\
         | id | label | unit | direction | bounds | over | definition |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for def in CATALOGUE {
        let id = if def.per_target {
            format!("{}_<T>", def.id)
        } else {
            def.id.to_owned()
        };
        let label = if def.per_target {
            format!("{} within T", def.label)
        } else {
            def.label.to_owned()
        };
        out.push_str(&format!(
            "| `{id}`{} | {label} | {} | {} | {} | {} | {} |\n",
            if def.headline { " *" } else { "" },
            def.unit.name(),
            def.direction.name(),
            bounds_text(def.bounds),
            def.over,
            def.definition
        ));
    }
    out
}

/// The catalogue as plain text for the terminal.
pub fn reference_text() -> String {
    let rows: Vec<[String; 5]> = CATALOGUE
        .iter()
        .map(|def| {
            [
                if def.per_target {
                    format!("{}_<T>", def.id)
                } else {
                    def.id.to_owned()
                } + if def.headline { " *" } else { "" },
                def.unit.name().to_owned(),
                def.direction.name().to_owned(),
                bounds_text(def.bounds),
                def.definition.to_owned(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::from("metrics (* headline; <T> a service-level target such as 30s)\n\n");
    for r in &rows {
        out.push_str(&format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        ));
    }
    out
}

fn bounds_text((lo, hi): (f64, f64)) -> String {
    if hi.is_infinite() {
        format!("≥ {lo}")
    } else {
        format!("[{lo}, {hi}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_resolve_to_canonical_ids() {
        let m = lookup("service_level_60s").unwrap();
        assert_eq!(m.id, "service_level_1m");
        assert_eq!(m.target, Some(SimDuration::from_secs(60)));
        let a = lookup("service_level_answered_30s").unwrap();
        assert_eq!(a.id, "service_level_answered_30s");
        assert_eq!(a.def.id, "service_level_answered");
        assert!(lookup("service_level_").is_none());
        assert!(lookup("service_level_0s").is_none());
        assert!(lookup("wait_p96").is_none());
    }

    #[test]
    fn ids_are_unique_and_bounds_ordered() {
        let mut ids: Vec<&str> = CATALOGUE.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
        for d in CATALOGUE {
            assert!(d.bounds.0 < d.bounds.1, "{}", d.id);
            if d.unit == Unit::Share {
                assert_eq!(d.bounds, (0.0, 1.0), "{}", d.id);
            }
        }
    }

    #[test]
    fn values_parse_in_the_metric_unit() {
        assert_eq!(Unit::Seconds.parse("30s"), Ok(30.0));
        assert_eq!(Unit::Seconds.parse("2m"), Ok(120.0));
        assert_eq!(Unit::Seconds.parse("12.5"), Ok(12.5));
        assert_eq!(Unit::Minutes.parse("1h"), Ok(60.0));
        assert_eq!(Unit::Share.parse("80%"), Ok(0.8));
        assert_eq!(Unit::Share.parse("0.8"), Ok(0.8));
        assert!(Unit::Share.parse("eighty").is_err());
        assert!(Unit::Seconds.parse("3x").is_err());
        assert!(Unit::Ratio.parse("inf").is_err());
    }

    #[test]
    fn negative_values_get_a_minus_sign_and_never_minus_zero() {
        assert_eq!(Unit::Seconds.format(-3.12), "−3.1 s");
        assert_eq!(Unit::Seconds.format(-0.04), "0.0 s");
        assert_eq!(Unit::Share.format_diff(-0.021), "−2.1 points");
        assert_eq!(Unit::Share.format_diff(-0.0001), "0.0 points");
        assert_eq!(Unit::Index.format(-0.0004), "0.000");
    }

    #[test]
    fn intervals_clip_to_bounds() {
        let wait = metric("wait_p95");
        assert_eq!(wait.clip(-0.9, 2.3), (0.0, 2.3));
        let sl = metric("service_level_30s");
        assert_eq!(sl.clip(0.51, 1.41), (0.51, 1.0));
        assert_eq!(sl.clip_diff(-1.5, 0.2), (-1.0, 0.2));
    }
}
