//! The workload model (docs/workload.md): common random numbers, slowdown, traces, and one
//! test per customer or agent behaviour showing it has the effect it should.

use chatsim::engine::{AgentId, ChatId, Presence, SimTime};
use chatsim::metrics::summary::estimate;
use chatsim::scenario::{Scenario, experiment_from_str};
use chatsim::sim::{RunOptions, arrival_times, run, run_with};
use chatsim::workload::draw::Draws;
use chatsim::workload::presence::presence_plan;
use std::path::Path;

/// A scenario with every behaviour of docs/workload.md switched on.
const RICH: &str = r#"
start = "monday 08:00"
horizon = "6h"
seed = 11
replications = 2
[engine]
strategy = "round-robin"
groups = ["billing", "tech"]
max_chats_per_agent = 3
offline_grace = "1m"
menu = true
group_routing = true
group_overflow_after = "3m"
auto_close_after = "30m"
[[teams]]
name = "day"
size = 5
wind_down = "15m"
breaks = [{ start = "11:00", duration = "30m", stagger = "1h" }]
away = { rate = 0.5, duration = { distribution = "exponential", mean = "4m" } }
flaps = { rate = 1, duration = { distribution = "exponential", mean = "40s" } }
[[teams.shifts]]
start = "08:00"
end = "13:00"
[[teams]]
name = "late"
size = 4
[[teams.shifts]]
start = "09:00"
end = "16:00"
[[teams]]
name = "leads"
size = 1
role = "admin"
[arrivals]
rate = 50
[handle_time]
distribution = "lognormal"
mean = "10m"
cv = 0.8
[patience]
distribution = "exponential"
mean = "6m"
[bot]
resolved = 0.2
phase = { distribution = "exponential", mean = "90s" }
target = 0.05
[customers]
menu_choice = 0.9
menu_delay = { distribution = "exponential", mean = "20s" }
menu_weights = { billing = 2, tech = 1 }
messages = true
queued_messages = { distribution = "exponential", mean = "2m" }
silent_abandonment = 0.1
[agents]
first_response = { distribution = "exponential", mean = "30s" }
notice_delay = { distribution = "exponential", mean = "10m" }
claim_delay = { distribution = "exponential", mean = "40s" }
takeover = 0.05
takeover_delay = { distribution = "exponential", mean = "5m" }
"#;

fn scenario(text: &str) -> Scenario {
    chatsim::scenario::from_str(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Per-replication values of `metric` over `n` replications.
fn values(s: &Scenario, metric: &str, n: u64) -> Vec<f64> {
    (0..n)
        .map(|r| {
            let result = run(s, r);
            assert_eq!(result.counts.engine_errors, 0);
            assert_eq!(result.metrics.get("violations"), Some(0.0));
            assert_eq!(result.counts.arrived, result.counts.closed + result.counts.open);
            result
                .metrics
                .get(metric)
                .unwrap_or_else(|| panic!("{metric} is undefined"))
        })
        .collect()
}

fn mean(s: &Scenario, metric: &str, n: u64) -> f64 {
    let v = values(s, metric, n);
    v.iter().sum::<f64>() / v.len() as f64
}

fn drawn(s: &Scenario, replication: u64) -> Vec<chatsim::workload::draw::ChatDraw> {
    let draws = Draws::new(s, replication);
    arrival_times(s, replication)
        .into_iter()
        .map(|(id, t)| draws.chat(id, t, None).expect("volume 1 keeps every chat"))
        .collect()
}

fn message_gaps(s: &Scenario, replication: u64, chat: ChatId) -> Vec<u64> {
    let gaps = s.customers.messages.as_ref().expect("messages on");
    let mut rng = Draws::new(s, replication).messages(chat);
    (0..5).map(|_| gaps.sample_ms(&mut rng)).collect()
}

/// docs/workload.md#common-random-numbers: cells that differ only in strategy get the same
/// arrivals, the same attributes for every chat, the same message gaps and the same
/// presence for every agent — compared attribute by attribute, not through summaries.
#[test]
fn cells_differing_only_in_strategy_see_the_same_customers_and_agents() {
    let text =
        format!("{RICH}\n[compare]\nstrategy = [\"round-robin\", \"least-busy\", \"random\", \"manual\"]\n");
    let experiment = experiment_from_str(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(experiment.cells.len(), 4);
    let first = &experiment.cells[0].scenario;
    let end = first.end();
    for replication in 0..2 {
        let arrivals = arrival_times(first, replication);
        assert!(arrivals.len() > 200, "{} arrivals", arrivals.len());
        let chats = drawn(first, replication);
        let presence = presence_plan(first, replication, end);
        for cell in &experiment.cells[1..] {
            let s = &cell.scenario;
            assert_ne!(s.engine.inboxes[0].strategy, first.engine.inboxes[0].strategy);
            assert_eq!(arrival_times(s, replication), arrivals, "{}", cell.label);
            assert_eq!(drawn(s, replication), chats, "{}", cell.label);
            assert_eq!(presence_plan(s, replication, end), presence, "{}", cell.label);
            for (id, _) in arrivals.iter().take(50) {
                assert_eq!(
                    message_gaps(s, replication, *id),
                    message_gaps(first, replication, *id)
                );
            }
        }
    }
    // The comparison is not vacuous: the attributes vary between chats and replications,
    // and every behaviour is drawn.
    let chats = drawn(first, 0);
    assert_ne!(chats, drawn(first, 1));
    assert!(chats.iter().any(|c| c.bot_resolved) && chats.iter().any(|c| !c.bot_resolved));
    assert!(chats.iter().any(|c| c.menu.is_some()) && chats.iter().any(|c| c.silent_after.is_some()));
    assert!(chats.iter().any(|c| c.takeover.is_some()) && chats.iter().any(|c| c.target.is_some()));
    let presence = presence_plan(first, 0, end);
    assert!(
        presence.iter().any(|(_, changes)| changes.len() > 4),
        "flaps and breaks change presence"
    );
}

/// Adding an agent (a bigger team) leaves every other agent's presence unchanged, and the
/// customers too (apart from which agent a bot aims a chat at, which depends on the roster).
#[test]
fn adding_an_agent_leaves_everyone_else_unchanged() {
    let text = format!("{RICH}\n[compare]\nteam_size = {{ day = [5, 6] }}\n");
    let experiment = experiment_from_str(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"));
    let (small, big) = (&experiment.cells[0].scenario, &experiment.cells[1].scenario);
    assert_eq!(big.engine.agents.len(), small.engine.agents.len() + 1);
    let end = small.end();
    let (a, b) = (presence_plan(small, 0, end), presence_plan(big, 0, end));
    for (i, agent) in small.engine.agents.iter().enumerate() {
        let j = big
            .engine
            .agents
            .iter()
            .position(|x| x.name == agent.name)
            .expect("same agent");
        assert_eq!(a[i], b[j], "{}", agent.name);
    }
    // Agents by name (ids are roster positions, which shift).
    let by_name = |s: &Scenario| {
        drawn(s, 0)
            .into_iter()
            .map(|mut c| {
                c.target = None;
                let admin = c
                    .takeover
                    .map(|(d, a)| (d, s.engine.agents[a.index()].name.clone()));
                c.takeover = None;
                (c, admin)
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (by_name(small), by_name(big));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
}

/// A single agent with `capacity` chats, always full (arrivals far above capacity, nobody
/// leaves the queue): every chat is worked at concurrency `capacity`.
fn saturated(capacity: u32, slowdown: f64) -> Scenario {
    scenario(&format!(
        r#"
horizon = "30h"
run = "steady-state"
warmup = "2h"
seed = 5
[engine]
strategy = "least-busy"
max_chats_per_agent = {capacity}
[[teams]]
name = "solo"
size = 1
[arrivals]
rate = 60
[handle_time]
distribution = "exponential"
mean = "5m"
[agents]
slowdown = {slowdown}
"#
    ))
}

/// docs/workload.md#handle-time: with k chats an agent works each at rate 1/s(k), s(k) = 1 + α(k − 1), so
/// the measured mean handle time at concurrency k is s(k) × the base mean.
#[test]
fn slowdown_stretches_handle_time_by_s_of_k() {
    let alpha = 0.5;
    for k in [1u32, 2, 4] {
        let s = saturated(k, alpha);
        let v = values(&s, "handle_time_mean", 10);
        let e = estimate(&v).unwrap();
        let expected = (1.0 + alpha * f64::from(k - 1)) * 300.0;
        let h = e.half_width.unwrap();
        assert!(
            (e.mean - expected).abs() <= h,
            "k = {k}: mean handle {:.1} s ± {h:.1}, expected s(k) × 300 s = {expected:.1} s",
            e.mean
        );
    }
    // And without slowdown, concurrency does not stretch it.
    let v = values(&saturated(4, 0.0), "handle_time_mean", 10);
    let e = estimate(&v).unwrap();
    assert!((e.mean - 300.0).abs() <= e.half_width.unwrap(), "{e:?}");
}

/// Remaining work is rescheduled when k changes: chat A (10 min of work) runs alone for
/// 5 min, then shares the agent with chat B (10 min) at s(2) = 1.5 — A's last 5 min take
/// 7.5 min, B does 5 min of work meanwhile and its last 5 min alone: both take 12.5 min.
/// One agent with 2 slots replaying `rows` (a trace with `timestamp,handle_time`), with
/// `[agents]` keys `agents`.
fn solo_replay(dir: &Path, rows: &str, agents: &str) -> Scenario {
    std::fs::write(dir.join("two.csv"), format!("timestamp,handle_time\n{rows}")).unwrap();
    let text = format!(
        "horizon = \"1h\"\n[engine]\nstrategy = \"least-busy\"\nmax_chats_per_agent = 2\n[[teams]]\nname = \"solo\"\nsize = 1\n\
         [arrivals]\ntrace = \"two.csv\"\n[handle_time]\ndistribution = \"exponential\"\nmean = \"5m\"\n[agents]\n{agents}\n"
    );
    chatsim::scenario::from_str(&text, &dir.join("s.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn slowdown_reschedules_remaining_work_when_concurrency_changes() {
    let dir = tempfile::tempdir().unwrap();
    for (alpha, expected) in [(0.5, 750.0), (0.0, 600.0)] {
        let s = solo_replay(dir.path(), "0,10m\n300,10m\n", &format!("slowdown = {alpha}"));
        let m = run(&s, 0).metrics;
        assert_eq!(m.get("arrivals"), Some(2.0));
        assert_eq!(m.get("handle_time_mean"), Some(expected), "alpha {alpha}");
    }
}

/// With α = 0 the general path (every chat of an agent re-settled and rescheduled whenever
/// their count changes) gives exactly the plain path's results, bit for bit.
#[test]
fn without_slowdown_rescheduling_changes_nothing() {
    let mut quickstart =
        chatsim::scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml"))
            .unwrap();
    // The quickstart slows agents down; without it, it is a rich slowdown-free day
    // (breaks, away, blips, rebalance, messages, first replies).
    assert!(quickstart.behaviour.slowdown > 0.0);
    quickstart.behaviour.slowdown = 0.0;
    for s in [scenario(RICH), quickstart] {
        for replication in 0..2 {
            let plain = run(&s, replication);
            let general = run_with(
                &s,
                replication,
                RunOptions {
                    always_reschedule: true,
                    ..RunOptions::default()
                },
            );
            assert_eq!(format!("{:?}", plain.metrics), format!("{:?}", general.metrics));
            assert_eq!(plain.counts, general.counts);
        }
    }
    // A tiny slowdown does change results (the comparison above can fail).
    let mut slowed = scenario(RICH);
    slowed.behaviour.slowdown = 0.05;
    assert_ne!(
        format!("{:?}", run(&slowed, 0).metrics.values),
        format!("{:?}", run(&scenario(RICH), 0).metrics.values)
    );
}

const TRACE: &str = "timestamp,inbox,group,target,handle_time
2026-03-02T08:00:00,,,,
2026-03-02T08:00:30.250Z,web,billing,,4m30s
2026-03-02T08:01:00,app,,ann,
2026-03-02T08:01:00,,tech,,90
2026-03-02T09:59:59,web,,,
";

fn trace_scenario(dir: &Path, volume: f64) -> Scenario {
    std::fs::write(dir.join("arrivals.csv"), TRACE).unwrap();
    std::fs::write(
        dir.join("presence.csv"),
        "timestamp,agent,presence\n2026-03-02T08:00:00,ann,available\n2026-03-02T08:30:00,ann,away\n2026-03-02T08:45:00,ann,offline\n",
    )
    .unwrap();
    let text = format!(
        r#"
start = "monday 08:00"
horizon = "2h"
[engine]
strategy = "least-busy"
groups = ["billing", "tech"]
[[inboxes]]
name = "web"
[[inboxes]]
name = "app"
[[teams]]
name = "support"
agents = ["ann", "bob"]
[arrivals]
trace = "arrivals.csv"
volume = {volume}
[handle_time]
distribution = "exponential"
mean = "5m"
[agents]
presence_trace = "presence.csv"
"#
    );
    chatsim::scenario::from_str(&text, &dir.join("s.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Trace replay reproduces the trace's arrivals exactly — count, timestamps (ISO, anchored
/// on the scenario's start), and the columns given — and its presence changes.
#[test]
fn trace_replay_reproduces_the_recorded_arrivals_and_presence() {
    let dir = tempfile::tempdir().unwrap();
    let s = trace_scenario(dir.path(), 1.0);
    let expected: Vec<(ChatId, SimTime)> = [0, 30_250, 60_000, 60_000, 7_199_000]
        .iter()
        .enumerate()
        .map(|(i, &ms)| (ChatId(i as u64 + 1), SimTime(ms)))
        .collect();
    assert_eq!(arrival_times(&s, 0), expected);
    assert_eq!(
        arrival_times(&s, 7),
        expected,
        "a trace is the same in every replication"
    );
    let rows = s.arrival_trace.as_ref().unwrap();
    let draws = Draws::new(&s, 0);
    let second = draws.chat(ChatId(2), SimTime(30_250), Some(&rows[1])).unwrap();
    assert_eq!(
        (second.inbox.0, second.group.map(|g| g.0), second.work_ms),
        (0, Some(0), 270_000)
    );
    let third = draws.chat(ChatId(3), SimTime(60_000), Some(&rows[2])).unwrap();
    assert_eq!((third.inbox.0, third.target), (1, Some(AgentId(0))));
    let result = run(&s, 0);
    assert_eq!(result.counts.arrived, 5);
    assert_eq!(result.metrics.get("arrivals"), Some(5.0));
    let plan = presence_plan(&s, 0, s.end());
    assert_eq!(
        plan[0],
        (
            Presence::Available,
            vec![
                (SimTime(1_800_000), Presence::Away),
                (SimTime(2_700_000), Presence::Offline)
            ]
        )
    );
    assert_eq!(
        plan[1],
        (Presence::Available, vec![]),
        "bob is not in the trace: he follows his team, which has no shifts"
    );
}

/// The volume multiplier on a trace: below 1 it keeps a subset of the rows (by each
/// chat's own draw); above 1 it adds ⌊m − 1⌋ or ⌈m − 1⌉ copies of each row, arriving
/// between that row and the next.
#[test]
fn volume_thins_or_copies_trace_rows() {
    let dir = tempfile::tempdir().unwrap();
    let base = arrival_times(&trace_scenario(dir.path(), 1.0), 0);
    let half = trace_scenario(dir.path(), 0.5);
    let draws = Draws::new(&half, 0);
    let kept: Vec<ChatId> = base
        .iter()
        .filter(|(id, t)| draws.chat(*id, *t, None).is_some())
        .map(|(id, _)| *id)
        .collect();
    assert!(kept.len() < base.len());
    let result = run(&half, 0);
    assert_eq!(result.counts.arrived, kept.len() as u64);
    let more = trace_scenario(dir.path(), 2.5);
    let all = arrival_times(&more, 0);
    let rows = more.arrival_trace.as_ref().unwrap();
    for (i, row) in rows.iter().enumerate() {
        let index = i as u64 + 1;
        let copies: Vec<SimTime> = all
            .iter()
            .filter(|(id, _)| {
                id.0 >= chatsim::workload::draw::EXTRA_CHAT_BASE
                    && (id.0 - chatsim::workload::draw::EXTRA_CHAT_BASE) / 128 == index
            })
            .map(|(_, t)| *t)
            .collect();
        assert!(
            (1..=2).contains(&copies.len()),
            "row {index}: {} copies",
            copies.len()
        );
        let next = rows.get(i + 1).map_or(row.at, |r| r.at);
        assert!(copies.iter().all(|t| *t >= row.at && *t <= next));
    }
    assert!(all.len() > 2 * rows.len() && all.len() <= 3 * rows.len());
}

/// A lightly loaded team of 6 (30 chats/h, 8 minutes each, 3 chats per agent) with extra
/// `[engine]` keys, extra keys of the team, and extra sections.
fn light(engine: &str, team: &str, extra: &str) -> Scenario {
    scenario(&format!(
        r#"
horizon = "8h"
seed = 3
[engine]
strategy = "least-busy"
max_chats_per_agent = 3
{engine}
[[teams]]
name = "support"
size = 6
{team}
[arrivals]
rate = 30
[handle_time]
distribution = "exponential"
mean = "8m"
{extra}
"#,
    ))
}

#[test]
fn the_bot_resolves_its_share_and_hands_off_the_rest_later() {
    let s = light(
        "",
        "",
        "[bot]\nresolved = 0.4\nphase = { distribution = \"deterministic\", value = \"2m\" }",
    );
    let share = mean(&s, "bot_resolved_share", 6);
    assert!((share - 0.4).abs() < 0.04, "bot resolved {share}");
    let handed = mean(&s, "arrivals", 6);
    let all = mean(&light("", "", ""), "arrivals", 6);
    assert!((handed / all - 0.6).abs() < 0.06, "{handed} of {all} handed off");
}

#[test]
fn menu_choices_follow_the_weights() {
    let s = light(
        "groups = [\"billing\", \"tech\"]\nmenu = true",
        "",
        "[customers]\nmenu_choice = 1.0\nmenu_delay = { distribution = \"exponential\", mean = \"15s\" }\nmenu_weights = { billing = 3, tech = 1 }",
    );
    let (mut billing, mut tech, mut none) = (0, 0, 0);
    for r in 0..6 {
        let g = &run(&s, r).metrics.groups;
        billing += g[0].chats.arrivals;
        tech += g[1].chats.arrivals;
        none += g[2].chats.arrivals;
    }
    assert_eq!(
        none, 0,
        "everyone picks before the 5-minute menu timeout… almost surely"
    );
    let share = billing as f64 / (billing + tech) as f64;
    assert!((share - 0.75).abs() < 0.04, "billing share {share}");
}

#[test]
fn silent_customers_hold_a_slot_until_noticed_or_auto_closed() {
    let engine = "auto_close_after = \"30m\"";
    let base = "[customers]\nmessages = true\nsilent_abandonment = 0.3\n[agents]\n";
    // Agents who notice after 5 minutes close every silent chat before auto-close…
    let quick = light(
        engine,
        "",
        &format!("{base}notice_delay = {{ distribution = \"deterministic\", value = \"5m\" }}"),
    );
    assert_eq!(mean(&quick, "auto_closed_share", 4), 0.0);
    let hold = mean(&quick, "silent_hold_mean", 4);
    // (Measured from the last message, a little before the customer left.)
    assert!((200.0..=300.0).contains(&hold), "silent hold {hold} s");
    // …agents who would take 2 hours leave it to auto-close, 30 minutes after the last message.
    let slow = light(
        engine,
        "",
        &format!("{base}notice_delay = {{ distribution = \"deterministic\", value = \"2h\" }}"),
    );
    let closed = mean(&slow, "auto_closed_share", 4);
    assert!((closed - 0.3).abs() < 0.07, "auto-closed {closed}");
    let hold = mean(&slow, "silent_hold_mean", 4);
    assert!((1_700.0..=1_800.0).contains(&hold), "silent hold {hold} s");
}

#[test]
fn first_response_is_wait_plus_the_agents_reply_delay() {
    let s = light(
        "",
        "",
        "[agents]\nfirst_response = { distribution = \"deterministic\", value = \"20s\" }",
    );
    let wait = mean(&s, "wait_mean", 4);
    let first = mean(&s, "first_response_mean", 4);
    assert!(wait < 1.0, "light load: no wait ({wait} s)");
    assert!((first - wait - 20.0).abs() < 1.0, "first response {first} s");
    assert!(light("", "", "").metrics_undefined("first_response_mean"));
}

trait Undefined {
    fn metrics_undefined(&self, id: &str) -> bool;
}

impl Undefined for Scenario {
    fn metrics_undefined(&self, id: &str) -> bool {
        run(self, 0).metrics.get(id).is_none()
    }
}

#[test]
fn manual_agents_claim_after_their_claim_delay() {
    let s = scenario(
        r#"
horizon = "8h"
seed = 3
[engine]
strategy = "manual"
max_chats_per_agent = 3
[[teams]]
name = "support"
size = 6
[arrivals]
rate = 30
[handle_time]
distribution = "exponential"
mean = "8m"
[agents]
claim_delay = { distribution = "deterministic", value = "30s" }
"#,
    );
    let w = mean(&s, "wait_p50", 4);
    assert!(
        (29.9..=31.0).contains(&w),
        "median wait {w} s: an idle agent claims after 30 s"
    );
    // An agent already about to look at the queue (their slot freed a moment ago) may take
    // a chat sooner, so the mean is a little lower.
    let w = mean(&s, "wait_mean", 4);
    assert!((20.0..=31.0).contains(&w), "mean wait {w} s");
    assert_eq!(mean(&s, "open_at_end", 4), 0.0);
    // Busy agents claim when a slot frees (plus the delay): waits grow, nobody is left.
    let mut busy = s.clone();
    busy.engine.settings.max_chats_per_agent = chatsim::engine::Capacity::Limited(1);
    assert!(mean(&busy, "wait_mean", 4) > 60.0);
}

#[test]
fn admins_take_over_their_share() {
    let s = light(
        "",
        "",
        "[[teams]]\nname = \"leads\"\nsize = 1\nrole = \"admin\"\n[agents]\ntakeover = 0.5\ntakeover_delay = { distribution = \"deterministic\", value = \"1m\" }",
    );
    let churn = mean(&s, "churn_takeover", 4);
    assert!((churn - 50.0).abs() < 8.0, "takeovers per 100 chats {churn}");
    assert!(
        mean(&s, "occupancy_mean", 2) > 0.0,
        "admins do not blank occupancy"
    );
}

#[test]
fn flaps_cost_reassignments_only_when_longer_than_the_grace_period() {
    let team = "flaps = { rate = 2, duration = { distribution = \"deterministic\", value = \"40s\" } }";
    let short = light("offline_grace = \"0s\"", team, "");
    assert!(mean(&short, "churn_offline", 4) > 5.0);
    assert!(mean(&short, "agents_available_mean", 4) < 6.0);
    let long = light("offline_grace = \"1m\"", team, "");
    assert_eq!(mean(&long, "churn_offline", 4), 0.0);
}

#[test]
fn away_episodes_and_breaks_reduce_availability() {
    let away = light(
        "",
        "away = { rate = 1, duration = { distribution = \"deterministic\", value = \"6m\" } }",
        "",
    );
    let available = mean(&away, "agents_available_mean", 4);
    // One 6-minute episode per ~66 minutes on shift: available 60/66 of the time.
    assert!((available - 6.0 * 60.0 / 66.0).abs() < 0.25, "{available}");
    let breaks = light("", "breaks = [{ start = \"02:00\", duration = \"1h\" }]", "");
    let available = mean(&breaks, "agents_available_mean", 2);
    assert!((available - 6.0 * 7.0 / 8.0).abs() < 0.3, "{available}");
}

#[test]
fn wind_down_lets_chats_finish_instead_of_being_reassigned() {
    let shifts = "[[teams.shifts]]\nstart = \"00:00\"\nend = \"04:00\"\n[[teams]]\nname = \"late\"\nsize = 6\n[[teams.shifts]]\nstart = \"03:00\"\nend = \"23:00\"";
    let abrupt = light("offline_grace = \"0s\"", shifts, "");
    let wound = light(
        "offline_grace = \"0s\"",
        &format!("wind_down = \"30m\"\n{shifts}"),
        "",
    );
    assert!(mean(&abrupt, "churn_offline", 4) > 0.5);
    assert!(mean(&wound, "churn_offline", 4) < mean(&abrupt, "churn_offline", 4) / 4.0);
}

#[test]
fn the_schedule_turns_auto_assignment_off() {
    let s = light("", "", "[[schedule]]\nat = \"4h\"\nenabled = false");
    let open = mean(&s, "open_at_end", 2);
    assert!(open > 50.0, "after 4 h nobody assigns: {open} chats left open");
    // The same with agents claiming by hand once auto-assignment is off.
    let claimed = light(
        "",
        "",
        "[[schedule]]\nat = \"4h\"\nenabled = false\n[agents]\nclaim_delay = { distribution = \"deterministic\", value = \"1m\" }",
    );
    assert_eq!(mean(&claimed, "open_at_end", 2), 0.0);
}

/// Random workloads (every behaviour of docs/workload.md on or off, random strategies, capacities, grace
/// periods and slowdown), small enough to run the engine's full invariant check after
/// every engine call: no invariant breaks, no engine error, and the sample-path identities
/// hold.
#[test]
fn random_workloads_keep_the_engine_invariants_after_every_step() {
    use proptest::prelude::*;
    let strategies = prop_oneof![
        Just("round-robin"),
        Just("least-busy"),
        Just("random"),
        Just("manual")
    ];
    let case = (
        (
            strategies,
            1u32..4,
            0u32..4,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            0.0f64..0.6,
            0.0f64..0.5,
            0.0f64..0.3,
            0.0f64..1.0,
            any::<bool>(),
            any::<bool>(),
        ),
        (
            0.0f64..3.0,
            0.0f64..2.0,
            any::<bool>(),
            20.0f64..90.0,
            any::<bool>(),
        ),
    );
    let reached: [std::cell::Cell<u64>; 4] = Default::default();
    crate::engine_props::runner(64)
        .run(&case, |((strategy, cap, grace_min, menu, rebalance, auto_close), (bot, silent, takeover, alpha, queued_msgs, schedule), (flaps, away, breaks, rate, trace_presence))| {
            let engine = format!(
                "strategy = \"{strategy}\"\nmax_chats_per_agent = {cap}\noffline_grace = \"{grace_min}m\"\ngroups = [\"a\", \"b\"]\ngroup_routing = true\ngroup_overflow_after = \"2m\"\nmenu = {menu}\nrebalance_on_online = {rebalance}\nrebalance_idle_threshold = \"3m\"\nauto_close_after = \"{}\"\n",
                if auto_close { "30m" } else { "off" }
            );
            let breaks = if breaks { "breaks = [{ start = \"01:00\", duration = \"20m\", stagger = \"40m\" }]\nwind_down = \"10m\"" } else { "" };
            let schedule = if schedule { "[[schedule]]\nat = \"90m\"\nenabled = false\n[[schedule]]\nat = \"2h\"\nenabled = true\nmax_chats_per_agent = 2\n" } else { "" };
            let text = format!(
                r#"
horizon = "3h"
drain_limit = "1h"
seed = 9
[engine]
{engine}
[[teams]]
name = "a"
size = 3
groups = ["a"]
flaps = {{ rate = {flaps}, duration = {{ distribution = "exponential", mean = "1m" }} }}
away = {{ rate = {away}, duration = {{ distribution = "exponential", mean = "5m" }} }}
{breaks}
[[teams.shifts]]
start = "00:00"
end = "02:30"
[[teams]]
name = "b"
size = 2
groups = ["b"]
[[teams]]
name = "lead"
size = 1
role = "admin"
[arrivals]
rate = {rate}
groups = {{ a = 0.3 }}
[handle_time]
distribution = "lognormal"
mean = "9m"
cv = 1.0
[patience]
distribution = "exponential"
mean = "5m"
[bot]
resolved = {bot}
phase = {{ distribution = "exponential", mean = "1m" }}
target = 0.1
[customers]
menu_delay = {{ distribution = "exponential", mean = "30s" }}
menu_choice = 0.8
messages = true
queued_messages = {queued_msgs}
silent_abandonment = {silent}
[agents]
slowdown = {alpha}
first_response = {{ distribution = "exponential", mean = "20s" }}
notice_delay = {{ distribution = "exponential", mean = "8m" }}
claim_delay = {{ distribution = "exponential", mean = "40s" }}
takeover = {takeover}
takeover_delay = {{ distribution = "exponential", mean = "4m" }}
{schedule}"#
            );
            let mut s = scenario(&text);
            if trace_presence {
                // Bob of team b follows a recorded day instead.
                let agent = AgentId(4);
                s.agents[agent.index()].traced = true;
                s.presence_trace = [(0, Presence::Offline), (600_000, Presence::Available), (3_000_000, Presence::Away), (3_600_000, Presence::Offline), (3_650_000, Presence::Available)]
                    .into_iter()
                    .map(|(ms, presence)| chatsim::scenario::TracePresence { at: SimTime(ms), agent, presence })
                    .collect();
            }
            let r = run_with(&s, 0, RunOptions { check_invariants: true, ..RunOptions::default() });
            prop_assert!(r.invariant_failure.is_none(), "{:?}", r.invariant_failure);
            prop_assert_eq!(r.counts.engine_errors, 0);
            prop_assert_eq!(r.counts.arrived, r.counts.closed + r.counts.open);
            prop_assert_eq!(r.counts.queue_area_ms, r.counts.queue_episodes_ms);
            prop_assert_eq!(r.metrics.get("violations"), Some(0.0));
            prop_assert_eq!(r.metrics.get("rebalance_moves_recent").unwrap_or(0.0), 0.0);
            let m = &r.metrics;
            reached[0].set(reached[0].get() + u64::from(m.get("churn_takeover").unwrap_or(0.0) > 0.0));
            reached[1].set(reached[1].get() + u64::from(m.get("churn_offline").unwrap_or(0.0) > 0.0));
            reached[2].set(reached[2].get() + u64::from(m.get("silent_hold_mean").is_some()));
            reached[3].set(reached[3].get() + u64::from(strategy == "manual" && m.get("served").unwrap_or(0.0) > 0.0));
            Ok(())
        })
        .unwrap();
    // The rare paths ran: takeovers, offline reassignments, silent customers, manual claims.
    let reached: Vec<u64> = reached.iter().map(std::cell::Cell::get).collect();
    assert!(reached.iter().all(|&n| n > 0), "{reached:?}");
}

/// docs/workload.md#messages: rebalance or auto-close without message activity gets
/// a located validation warning (the scenario still runs).
#[test]
fn rebalance_or_auto_close_without_messages_is_warned_about() {
    let silent = light(
        "rebalance_on_online = true\nrebalance_idle_threshold = \"5m\"\nauto_close_after = \"1h\"",
        "",
        "",
    );
    assert_eq!(silent.warnings.len(), 2, "{:?}", silent.warnings);
    assert!(
        silent.warnings[0]
            .starts_with("test.toml:7:23: warning: rebalance_on_online without message activity")
    );
    assert!(silent.warnings[1].contains("auto_close_after without message activity"));
    let talking = light(
        "rebalance_on_online = true\nrebalance_idle_threshold = \"5m\"\nauto_close_after = \"1h\"",
        "",
        "[customers]\nmessages = true",
    );
    assert!(talking.warnings.is_empty(), "{:?}", talking.warnings);
}

/// docs/workload.md#arrivals: a volume multiplier keeps the base chats the same chats —
/// below 1 a subset of them, at the same times; above 1 all of them plus extra chats from
/// their own stream — and scales the count.
#[test]
fn volume_keeps_the_base_chats_and_scales_the_count() {
    let at = |volume: f64| {
        let mut s = light("", "", "");
        s.volume = volume;
        let draws = Draws::new(&s, 0);
        arrival_times(&s, 0)
            .into_iter()
            .filter(|(id, t)| draws.chat(*id, *t, None).is_some())
            .collect::<Vec<_>>()
    };
    let base = at(1.0);
    let less = at(0.6);
    let more = at(1.4);
    let is_base = |id: &ChatId| id.0 < chatsim::workload::draw::EXTRA_CHAT_BASE;
    assert!(
        less.iter().all(|c| base.contains(c)),
        "thinning keeps base chats at their times"
    );
    assert!(
        base.iter().all(|c| more.contains(c)),
        "adding keeps every base chat"
    );
    assert!(more.iter().filter(|(id, _)| !is_base(id)).count() > 0);
    let ratio = |v: &[(ChatId, SimTime)]| v.len() as f64 / base.len() as f64;
    assert!((ratio(&less) - 0.6).abs() < 0.1, "{}", ratio(&less));
    assert!((ratio(&more) - 1.4).abs() < 0.1, "{}", ratio(&more));
}

/// docs/workload.md#handle-time: per-group overrides apply to the chats of that group.
#[test]
fn handle_time_has_per_group_overrides() {
    let s = light(
        "groups = [\"billing\", \"tech\"]",
        "",
        "[arrivals.groups]\nbilling = 0.5\n[handle_time.groups]\nbilling = { distribution = \"deterministic\", value = \"7m\" }",
    );
    let chats = drawn(&s, 0);
    let billing: Vec<u64> = chats
        .iter()
        .filter(|c| c.group.is_some_and(|g| g.0 == 0))
        .map(|c| c.work_ms)
        .collect();
    assert!(billing.len() > 50);
    assert!(billing.iter().all(|&w| w == 420_000));
    assert!(
        chats
            .iter()
            .filter(|c| c.group.is_none())
            .any(|c| c.work_ms != 420_000)
    );
}

/// The first reply is slowed like work and re-timed when k changes: A's reply (20 s of
/// work) has 10 s done when B arrives, and the other 10 s take 15 s at s(2) = 1.5 — a reply
/// after 25 s; B's takes 30 s. (Timed once at assignment it would be 20 s and 30 s.)
#[test]
fn the_first_reply_is_re_timed_when_concurrency_changes() {
    let dir = tempfile::tempdir().unwrap();
    let s = solo_replay(
        dir.path(),
        "0,10m\n10,10m\n",
        "slowdown = 0.5\nfirst_response = { distribution = \"deterministic\", value = \"20s\" }",
    );
    let m = run(&s, 0).metrics;
    assert_eq!(m.get("first_response_mean"), Some(27.5));
}
