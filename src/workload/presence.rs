//! Each agent's presence over a run (docs/workload.md#presence).
//!
//! An agent is offline outside their shifts (or outside the on-duty spans of a staffing
//! plan, which replace them). On shift they are available, except:
//! - away during breaks (each agent starts a team break at their own offset in
//!   `[0, stagger)`), during the wind-down before a shift ends, and during random away
//!   episodes;
//! - offline during random disconnects (flaps), whatever else holds — then back to what
//!   they were.
//!
//! Random episodes start as a Poisson process over on-shift time and last a drawn duration;
//! every draw comes from the agent's own streams, keyed by their name, so adding an agent
//! (or a team) leaves everyone else's presence unchanged. Agents named in a presence trace
//! follow the trace alone.

use crate::engine::{Presence, SimDuration, SimTime};
use crate::scenario::{AgentPlan, Episodes, Scenario};
use crate::workload::calendar::{Calendar, WEEK_MS, merge};
use crate::workload::{Purpose, Rng, name_id, stream, unit};

/// One agent's presence: at time 0, and every change after it, in time order.
pub type Plan = (Presence, Vec<(SimTime, Presence)>);

/// Every agent's presence over [0, `end`) in replication `replication` (roster order).
pub fn presence_plan(scenario: &Scenario, replication: u64, end: SimTime) -> Vec<Plan> {
    let mut plans: Vec<Plan> = scenario
        .agents
        .iter()
        .zip(&scenario.engine.agents)
        .map(|(plan, agent)| {
            if plan.traced {
                return (Presence::Offline, Vec::new());
            }
            let key = name_id(&agent.name);
            let rng = |purpose| stream(scenario.seed, replication, purpose, key);
            agent_plan(
                scenario,
                plan,
                end,
                [rng(Purpose::Presence), rng(Purpose::Away), rng(Purpose::Flaps)],
            )
        })
        .collect();
    for row in &scenario.presence_trace {
        let (initial, changes) = &mut plans[row.agent.index()];
        if row.at == SimTime::ZERO {
            *initial = row.presence;
        } else if row.at < end {
            changes.push((row.at, row.presence));
        }
    }
    plans
}

/// What holds over an interval.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Shift = 0,
    Away = 1,
    Flap = 2,
}

fn agent_plan(
    scenario: &Scenario,
    plan: &AgentPlan,
    end: SimTime,
    [mut breaks, mut away, mut flaps]: [Rng; 3],
) -> Plan {
    let shifts = if let Some(duty) = &plan.duty {
        // A staffing plan: on duty exactly within these spans (README.md, "Staffing").
        merge(
            duty.iter()
                .map(|&(a, b)| (a, b.min(end)))
                .filter(|(a, b)| a < b)
                .collect(),
        )
    } else if plan.shifts.is_empty() {
        vec![(SimTime::ZERO, end)]
    } else {
        merge(
            plan.shifts
                .iter()
                .flat_map(|w| scenario.calendar.occurrences(*w, end))
                .collect(),
        )
    };
    let mut spans: Vec<(SimTime, SimTime, Kind)> = shifts.iter().map(|&(a, b)| (a, b, Kind::Shift)).collect();
    // Wind-down: away for the last minutes of each shift that really ends in the run.
    if plan.wind_down > SimDuration::ZERO && (plan.duty.is_some() || !plan.shifts.is_empty()) {
        for &(a, b) in &shifts {
            if b < end {
                let from = SimTime(b.as_millis().saturating_sub(plan.wind_down.as_millis())).max(a);
                spans.push((from, b, Kind::Away));
            }
        }
    }
    for brk in &plan.breaks {
        let offset = (unit(&mut breaks) * brk.stagger.as_millis() as f64) as u64 % WEEK_MS;
        // The agent's break is the window `offset` later: seen from a calendar that starts
        // `offset` earlier, its occurrences are already in run time, clipped to the run (a
        // break under way at the start counts from 0).
        let shifted = Calendar {
            start_in_week: (scenario.calendar.start_in_week + WEEK_MS - offset) % WEEK_MS,
        };
        for (a, b) in shifted.occurrences(brk.window, end) {
            spans.push((a, b, Kind::Away));
        }
    }
    for (episodes, rng, kind) in [
        (&plan.away, &mut away, Kind::Away),
        (&plan.flaps, &mut flaps, Kind::Flap),
    ] {
        if let Some(e) = episodes {
            random_episodes(e, &shifts, rng, kind, &mut spans);
        }
    }
    // Sweep: count what holds; the presence follows from the counts.
    let mut edges: Vec<(SimTime, i32, Kind)> = Vec::with_capacity(spans.len() * 2);
    for (a, b, k) in spans {
        if a < b {
            edges.push((a, 1, k));
            edges.push((b, -1, k));
        }
    }
    edges.sort_unstable_by_key(|&(t, d, k)| (t, k, d));
    let mut count = [0i32; 3];
    let state = |c: &[i32; 3]| {
        if c[Kind::Shift as usize] == 0 || c[Kind::Flap as usize] > 0 {
            Presence::Offline
        } else if c[Kind::Away as usize] > 0 {
            Presence::Away
        } else {
            Presence::Available
        }
    };
    let mut initial = Presence::Offline;
    let mut current = Presence::Offline;
    let mut changes = Vec::new();
    let mut i = 0;
    while i < edges.len() {
        let t = edges[i].0;
        while i < edges.len() && edges[i].0 == t {
            count[edges[i].2 as usize] += edges[i].1;
            i += 1;
        }
        let now = state(&count);
        if t == SimTime::ZERO {
            initial = now;
        } else if now != current && t < end {
            changes.push((t, now));
        }
        current = now;
    }
    (initial, changes)
}

/// Poisson episode starts over on-shift time (the clock runs only on shift), each lasting a
/// drawn duration; the next can start only after the previous ends.
fn random_episodes(
    e: &Episodes,
    shifts: &[(SimTime, SimTime)],
    rng: &mut Rng,
    kind: Kind,
    out: &mut Vec<(SimTime, SimTime, Kind)>,
) {
    if e.rate_per_hour <= 0.0 {
        return;
    }
    let per_ms = e.rate_per_hour / 3_600_000.0;
    for &(a, b) in shifts {
        let mut t = a.as_millis() as f64;
        loop {
            t += -(1.0 - unit(rng)).ln() / per_ms;
            if t >= b.as_millis() as f64 {
                break;
            }
            let d = e.duration.sample_ms(rng).max(1) as f64;
            out.push((SimTime(t as u64), SimTime((t + d) as u64), kind));
            t += d;
        }
    }
}
