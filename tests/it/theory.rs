//! The simulator against queueing theory (docs/validation.md).
//!
//! Each check runs independent replications with fixed seeds, builds a 99 % t-interval
//! (Bonferroni-adjusted where one test makes several checks) over the per-replication
//! values — never over the autocorrelated chats of one run — and requires the theoretical
//! value inside it *and* the interval narrower than a stated bound, so a vague estimate
//! cannot pass. The formulas are computed here, independently of the crate, and
//! cross-checked against each other and against a published example first.

use chatsim::experiment::run_replications;
use chatsim::metrics::summary::estimate_at;
use chatsim::scenario::{self, Scenario};
use chatsim::sim::RunResult;
use std::path::Path;

// ---------------------------------------------------------------------------------------
// Formulas (docs/validation.md), in rates per second.

/// Erlang B by the stable recursion.
fn erlang_b(n: u32, r: f64) -> f64 {
    (1..=n).fold(1.0, |b, k| r * b / (f64::from(k) + r * b))
}

/// Erlang C: P(W > 0) for M/M/n with offered load r = λ/μ < n.
fn erlang_c(n: u32, r: f64) -> f64 {
    let b = erlang_b(n, r);
    f64::from(n) * b / (f64::from(n) - r * (1.0 - b))
}

struct ErlangC {
    p_wait: f64,
    mean_wait: f64,
    /// Decay rate nμ − λ of the waiting-time tail.
    decay: f64,
}

fn erlang_c_model(lambda: f64, mu: f64, n: u32) -> ErlangC {
    let c = erlang_c(n, lambda / mu);
    let decay = f64::from(n) * mu - lambda;
    ErlangC {
        p_wait: c,
        mean_wait: c / decay,
        decay,
    }
}

impl ErlangC {
    fn service_level(&self, t: f64) -> f64 {
        1.0 - self.p_wait * (-self.decay * t).exp()
    }
}

/// Erlang A (M/M/n+M) by its birth–death chain: (P(W > 0), P(abandon), E[time in queue]).
fn erlang_a_chain(lambda: f64, mu: f64, n: u32, theta: f64) -> (f64, f64, f64) {
    let mut pi = vec![1.0f64];
    for j in 1..=n {
        let prev = pi[pi.len() - 1];
        pi.push(prev * lambda / (f64::from(j) * mu));
    }
    let mut j = n;
    loop {
        j += 1;
        let prev = pi[pi.len() - 1];
        let next = prev * lambda / (f64::from(n) * mu + f64::from(j - n) * theta);
        pi.push(next);
        let total: f64 = pi.iter().sum();
        if next < 1e-18 * total && j > n + 10 {
            break;
        }
        assert!(j < n + 10_000_000, "chain does not converge");
    }
    let total: f64 = pi.iter().sum();
    let p_wait = pi[n as usize..].iter().sum::<f64>() / total;
    let queue_mean: f64 = pi
        .iter()
        .enumerate()
        .skip(n as usize)
        .map(|(j, p)| (j as f64 - f64::from(n)) * p)
        .sum::<f64>()
        / total;
    (p_wait, theta * queue_mean / lambda, queue_mean / lambda)
}

/// Erlang A closed form (Mandelbaum & Zeltyn): P(W > 0) and P(abandon).
fn erlang_a_closed(lambda: f64, mu: f64, n: u32, theta: f64) -> (f64, f64) {
    let (x, y) = (f64::from(n) * mu / theta, lambda / theta);
    let mut a = 1.0;
    let mut term = 1.0;
    for j in 1..100_000 {
        term *= y / (x + f64::from(j));
        a += term;
        if term < 1e-18 * a {
            break;
        }
    }
    let e = erlang_b(n, lambda / mu);
    let rho = lambda / (f64::from(n) * mu);
    let p_wait = a * e / (1.0 + (a - 1.0) * e);
    let ab_given_wait = 1.0 / (rho * a) + 1.0 - 1.0 / rho;
    (p_wait, p_wait * ab_given_wait)
}

#[test]
fn formulas_agree_with_a_published_example_and_each_other() {
    // pyworkforce / R ErlangC: 100 chats per 30 min, 180 s handle time.
    let (lambda, mu) = (100.0 / 1_800.0, 1.0 / 180.0);
    let m = erlang_c_model(lambda, mu, 14);
    assert!((m.p_wait - 0.174_131_933_6).abs() < 1e-9, "{}", m.p_wait);
    assert!((m.service_level(20.0) - 0.888_350_019_2).abs() < 1e-9);
    assert!((m.mean_wait - 7.8359).abs() < 1e-4);
    let m11 = erlang_c_model(lambda, mu, 11);
    assert!((m11.p_wait - 0.682_118_2).abs() < 1e-6);
    assert!((m11.service_level(20.0) - 0.389_613_8).abs() < 1e-6);
    // θ → 0: the Erlang A chain recovers Erlang C.
    let (p_wait, p_ab, wq) = erlang_a_chain(lambda, mu, 14, 1e-12);
    assert!((p_wait - m.p_wait).abs() < 1e-6 && p_ab < 1e-9 && (wq - m.mean_wait).abs() < 1e-4);
    // Chain and closed form agree on Erlang A.
    for (n, theta) in [(10, 1.0 / 180.0), (14, 1.0 / 60.0), (8, 1.0 / 600.0)] {
        let (w1, a1, _) = erlang_a_chain(lambda, mu, n, theta);
        let (w2, a2) = erlang_a_closed(lambda, mu, n, theta);
        assert!(
            (w1 - w2).abs() < 1e-9 && (a1 - a2).abs() < 1e-9,
            "n {n}: {w1} {w2} {a1} {a2}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios and statistics.

/// Bonferroni-adjusted 99 % check: the theory inside the interval, the interval no wider
/// than `max_half_width`.
fn check(results: &[RunResult], id: &str, theory: f64, max_half_width: f64, n_checks: usize) {
    let values: Vec<f64> = results
        .iter()
        .map(|r| r.metrics.get(id).unwrap_or_else(|| panic!("{id} undefined")))
        .collect();
    let level = 1.0 - 0.01 / n_checks as f64;
    let e = estimate_at(&values, level).expect("replications");
    let half = e.half_width.expect("at least two replications");
    eprintln!(
        "{id}: theory {theory:.5}, measured {:.5} ± {half:.5} (n = {}, level {level:.4})",
        e.mean, e.n
    );
    assert!(
        half <= max_half_width,
        "{id}: half-width {half} exceeds {max_half_width}: the test would be too vague"
    );
    assert!(
        (e.mean - theory).abs() <= half,
        "{id}: theory {theory} outside {} ± {half}",
        e.mean
    );
}

fn identities_hold(results: &[RunResult]) {
    for (rep, r) in results.iter().enumerate() {
        let c = r.counts;
        assert_eq!(c.engine_errors, 0, "replication {rep}");
        assert_eq!(
            c.arrived,
            c.closed + c.open,
            "replication {rep}: arrivals = closed + open"
        );
        assert_eq!(
            c.queue_area_ms, c.queue_episodes_ms,
            "replication {rep}: ∫ queue length = Σ queue episodes"
        );
        assert_eq!(r.metrics.get("violations"), Some(0.0));
    }
}

fn scenario(text: &str) -> Scenario {
    scenario::from_str(text, Path::new("theory.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// A steady-state M/M/n(+M) scenario: `teams` as (size, capacity).
fn mmn(
    strategy: &str,
    per_hour: f64,
    handle: &str,
    teams: &[(u32, u32)],
    patience: Option<&str>,
    hours: u32,
    reps: u32,
) -> Scenario {
    let mut t = format!(
        "run = \"steady-state\"\nwarmup = \"3h\"\nhorizon = \"{}h\"\nseed = 17\nreplications = {reps}\n\
         service_level_targets = [\"20s\", \"60s\"]\n[engine]\nstrategy = \"{strategy}\"\n\
         [arrivals]\nrate = {per_hour}\n[handle_time]\ndistribution = \"exponential\"\nmean = \"{handle}\"\n",
        hours + 3
    );
    for (i, (size, cap)) in teams.iter().enumerate() {
        t.push_str(&format!(
            "[[teams]]\nname = \"t{i}\"\nsize = {size}\ncapacity = {cap}\n"
        ));
    }
    if let Some(p) = patience {
        t.push_str(&format!(
            "[patience]\ndistribution = \"exponential\"\nmean = \"{p}\"\n"
        ));
    }
    scenario(&t)
}

fn erlang_c_case(strategy: &str, per_hour: f64, handle_s: f64, teams: &[(u32, u32)], hours: u32, reps: u32) {
    let n: u32 = teams.iter().map(|(s, k)| s * k).sum();
    let s = mmn(
        strategy,
        per_hour,
        &format!("{handle_s}s"),
        teams,
        None,
        hours,
        reps,
    );
    let results = run_replications(&s, 0).expect("threads");
    identities_hold(&results);
    let m = erlang_c_model(per_hour / 3_600.0, 1.0 / handle_s, n);
    eprintln!(
        "{strategy} n = {n} ρ = {:.3}",
        per_hour / 3_600.0 * handle_s / f64::from(n)
    );
    check(&results, "queued_share", m.p_wait, 0.03, 4);
    check(
        &results,
        "wait_mean",
        m.mean_wait,
        (0.15 * m.mean_wait).max(0.5),
        4,
    );
    check(&results, "service_level_20s", m.service_level(20.0), 0.02, 4);
    check(&results, "service_level_1m", m.service_level(60.0), 0.02, 4);
}

#[test]
fn erlang_c_round_robin_at_rho_0_9() {
    // 20 agents × 3 chats = 60 slots, 54 erlangs offered.
    erlang_c_case("round-robin", 540.0, 360.0, &[(20, 3)], 150, 40);
}

#[test]
fn erlang_c_least_busy_single_chat_agents() {
    // The published example: 200 chats/h, 180 s, 14 agents (ρ = 0.71).
    erlang_c_case("least-busy", 200.0, 180.0, &[(14, 1)], 150, 40);
}

#[test]
fn erlang_c_random_with_unequal_capacities() {
    // 5 agents × 1 + 5 agents × 3 = 20 slots, 18 erlangs offered (ρ = 0.9).
    erlang_c_case("random", 180.0, 360.0, &[(5, 1), (5, 3)], 150, 40);
}

#[test]
fn erlang_c_least_busy_high_load() {
    // 8 agents × 2 = 16 slots, 14.4 erlangs (ρ = 0.9).
    erlang_c_case("least-busy", 144.0, 360.0, &[(8, 2)], 200, 40);
}

#[test]
fn erlang_a_abandonment_and_time_in_queue() {
    // 10 slots at ρ = 1.0 with exponential patience (mean 3 min): stable only thanks to
    // abandonment, the regime where Erlang A differs most from Erlang C.
    let (per_hour, handle_s, patience_s) = (100.0, 360.0, 180.0);
    let s = mmn("least-busy", per_hour, "6m", &[(5, 2)], Some("3m"), 100, 40);
    let results = run_replications(&s, 0).expect("threads");
    identities_hold(&results);
    let (p_wait, p_ab, wq) = erlang_a_chain(per_hour / 3_600.0, 1.0 / handle_s, 10, 1.0 / patience_s);
    check(&results, "queued_share", p_wait, 0.03, 3);
    check(&results, "abandonment", p_ab, 0.015, 3);
    check(&results, "time_in_queue_mean", wq, 0.1 * wq, 3);
}

#[test]
fn mt_m_infinity_follows_the_time_varying_rate() {
    // Unlimited capacity, exponential 20-minute chats, 60/h with a 180/h window from
    // 10:00 to 12:00: E[chats in service] solves m' = λ(t) − μ·m from m(0) = 0.
    let s = scenario(
        "start = \"monday 08:00\"\nhorizon = \"8h\"\nrun = \"terminating\"\ndrain_limit = \"0s\"\nseed = 5\n\
         replications = 160\ninterval = \"1h\"\n[engine]\nstrategy = \"least-busy\"\nmax_chats_per_agent = \"unlimited\"\n\
         [[teams]]\nname = \"all\"\nsize = 1\n[arrivals]\nrate = 60\n[[arrivals.profile]]\nfrom = \"10:00\"\nto = \"12:00\"\nrate = 180\n\
         [handle_time]\ndistribution = \"exponential\"\nmean = \"20m\"\n",
    );
    let results = run_replications(&s, 0).expect("threads");
    identities_hold(&results);
    let mu: f64 = 3.0; // per hour
    let rate = |h: usize| -> f64 { if (2..4).contains(&h) { 180.0 } else { 60.0 } };
    // Exact average of m(t) over each hour, carrying m from hour to hour.
    let mut m0 = 0.0;
    let n_hours = 8;
    for h in 0..n_hours {
        let target = rate(h) / mu;
        let decay: f64 = (-mu).exp();
        let avg = target + (m0 - target) * (1.0 - decay) / mu;
        m0 = target + (m0 - target) * decay;
        let values: Vec<f64> = results
            .iter()
            .map(|r| {
                let row = &r.metrics.intervals[h];
                row.levels.in_service / row.levels.span_ms
            })
            .collect();
        let e = estimate_at(&values, 1.0 - 0.01 / n_hours as f64).unwrap();
        let half = e.half_width.unwrap();
        eprintln!("hour {h}: theory {avg:.3}, measured {:.3} ± {half:.3}", e.mean);
        assert!(
            half <= 0.08 * avg.max(5.0),
            "hour {h}: interval too wide ({half})"
        );
        assert!(
            (e.mean - avg).abs() <= half,
            "hour {h}: theory {avg} outside {} ± {half}",
            e.mean
        );
    }
}
