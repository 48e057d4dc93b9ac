//! Engine throughput at scale: 10 000 agents, 1 000 000 chats, each strategy.
//!
//! A tiny self-contained driver (exponential gaps and handle times from the engine's own
//! kind of generator) keeps the engine near 90 % occupancy so picks, drains and queueing
//! all run; a few thousand presence flaps exercise reindexing. Run with
//! `cargo bench --bench engine`; it prints chats per second per strategy.

use chatsim::engine::{
    AgentConfig, AgentId, Capacity, ChatId, CloseReason, EligibleAgents, Engine, EngineConfig, Event,
    InboxConfig, InboxId, Input, Presence, Settings, SimDuration, SimTime, StrategyKind,
};
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

const N_AGENTS: u32 = 10_000;
const CAPACITY: u32 = 3;
const N_CHATS: u64 = 1_000_000;
const MEAN_HANDLE_MS: f64 = 600_000.0;

fn exp(rng: &mut Pcg64Mcg, mean: f64) -> u64 {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-(1.0 - u).ln() * mean) as u64
}

fn run(strategy: StrategyKind) -> (f64, u64) {
    let config = EngineConfig {
        settings: Settings {
            max_chats_per_agent: Capacity::Limited(CAPACITY),
            offline_grace: SimDuration::from_secs(60),
            ..Settings::default()
        },
        groups: vec![],
        inboxes: vec![InboxConfig {
            name: "web".into(),
            strategy,
            eligible: EligibleAgents::Everyone,
        }],
        agents: (0..N_AGENTS).map(|i| AgentConfig::new(format!("a{i}"))).collect(),
        rng_seed: 7,
    };
    let mut engine = Engine::new(config).expect("valid workspace");
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    let slots = f64::from(N_AGENTS * CAPACITY);
    let mean_gap = MEAN_HANDLE_MS / (0.9 * slots);
    // Pending closes and flaps: (time, kind, id).
    let mut pending: BinaryHeap<Reverse<(u64, u8, u64)>> = BinaryHeap::new();
    let mut now = 0u64;
    let mut next_arrival = 0u64;
    let mut arrived = 0u64;
    let mut assigned = 0u64;
    let started = Instant::now();
    while arrived < N_CHATS || !pending.is_empty() {
        let next_pending = pending.peek().map(|Reverse((t, _, _))| *t);
        let deadline = engine.next_deadline().map(|d| d.as_millis());
        let arrival = (arrived < N_CHATS).then_some(next_arrival);
        let Some(t) = [next_pending, deadline, arrival].into_iter().flatten().min() else {
            break;
        };
        now = now.max(t);
        let input = if next_pending == Some(t) {
            let Reverse((_, kind, id)) = pending.pop().expect("peeked");
            match kind {
                0 => Input::Close {
                    chat: ChatId(id),
                    reason: CloseReason::Resolved,
                },
                1 => Input::SetPresence {
                    agent: AgentId(id as u32),
                    presence: Presence::Offline,
                },
                _ => Input::SetPresence {
                    agent: AgentId(id as u32),
                    presence: Presence::Available,
                },
            }
        } else if arrival == Some(t) && deadline != Some(t) {
            arrived += 1;
            next_arrival = t + exp(&mut rng, mean_gap);
            if arrived.is_multiple_of(500) {
                let agent = u64::from(rng.next_u32() % N_AGENTS);
                pending.push(Reverse((t + 1, 1, agent)));
                pending.push(Reverse((t + 1 + exp(&mut rng, 40_000.0), 2, agent)));
            }
            Input::ChatArrived {
                chat: ChatId(arrived),
                inbox: InboxId(0),
                group: None,
                target: None,
            }
        } else {
            Input::Timeout
        };
        // A close of a chat that already closed (it moved and closed twice) is refused: fine.
        let _ = engine.handle(SimTime(now), input);
        while let Some(out) = engine.poll_output() {
            if let Event::ChatAssigned { chat, .. } = out.event {
                assigned += 1;
                pending.push(Reverse((now + exp(&mut rng, MEAN_HANDLE_MS), 0, chat.0)));
            }
        }
    }
    (started.elapsed().as_secs_f64(), assigned)
}

fn main() {
    println!("engine: {N_AGENTS} agents × capacity {CAPACITY}, {N_CHATS} chats at ~90 % occupancy");
    for strategy in [
        StrategyKind::LeastBusy,
        StrategyKind::RoundRobin,
        StrategyKind::Random,
    ] {
        let (secs, assigned) = run(strategy);
        println!(
            "{:<12} {:>8.2} s  {:>10.0} chats/s  ({assigned} assignments)",
            strategy.name(),
            secs,
            N_CHATS as f64 / secs
        );
    }
}
