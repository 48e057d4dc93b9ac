//! The decision rules on small synthetic result sets. Every expectation is derived by hand
//! from the rule it pins; t(0.975, 2) = 4.302653, so with three replications a half-width
//! is 4.302653 · s / √3 = 2.484138 · s.

use super::*;
use crate::metrics::catalogue::metric;

/// One cell: `metrics` maps an id to its value in each replication (NaN = undefined).
fn cell(metrics: &[(&str, &[f64])]) -> Vec<RunMetrics> {
    let reps = metrics.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    (0..reps)
        .map(|r| {
            RunMetrics::from_values(
                metrics
                    .iter()
                    .map(|(id, v)| ((*id).to_owned(), v.get(r).copied().filter(|x| !x.is_nan())))
                    .collect(),
            )
        })
        .collect()
}

/// Cells with the wait alone.
fn waits(cells: &[&[f64]]) -> Vec<Vec<RunMetrics>> {
    cells.iter().map(|v| cell(&[("wait_p95", v)])).collect()
}

/// Configuration settings, one `Vec` per cell.
fn settings(cells: &[&[(&str, &str)]]) -> Vec<Vec<(String, String)>> {
    cells
        .iter()
        .map(|a| {
            a.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        })
        .collect()
}

fn infos(settings: &[Vec<(String, String)>]) -> Vec<CellInfo<'_>> {
    settings
        .iter()
        .map(|a| CellInfo {
            label: "",
            assignments: a,
        })
        .collect()
}

fn plain(n: usize) -> Vec<Vec<(String, String)>> {
    vec![Vec::new(); n]
}

fn decision(objective: &str, constraints: &[&str], tolerance: f64, prefer: Vec<Prefer>) -> Decision {
    Decision {
        objective: metric(objective),
        constraints: constraints.iter().map(|c| parse(c).unwrap()).collect(),
        tolerance,
        prefer,
    }
}

fn close(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-3
}

#[test]
fn constraints_meet_miss_or_are_uncertain_at_the_edges() {
    // Cell 0: 20, 20, 20 → s = 0 → interval [20, 20]. Cell 1: 10, 12, 14 → mean 12,
    // s = 2 → half-width 4.968 → [7.03, 16.97]. Cell 2: one value (no half-width).
    // Cell 3: undefined in every run.
    let runs = waits(&[&[20.0; 3], &[10.0, 12.0, 14.0], &[5.0], &[f64::NAN; 3]]);
    let j = |text: &str, c: usize| judge(&parse(text).unwrap(), &runs, c, 0);
    use Verdict::*;
    // [20, 20] against 20: `<=`/`>=` meet (high ≤ 20, low ≥ 20), `<`/`>` miss
    // (low ≥ 20, high ≤ 20).
    assert_eq!(j("wait_p95 <= 20s", 0).verdict, Meets);
    assert_eq!(j("wait_p95 < 20s", 0).verdict, Misses);
    assert_eq!(j("wait_p95 >= 20s", 0).verdict, Meets);
    assert_eq!(j("wait_p95 > 20s", 0).verdict, Misses);
    // [7.03, 16.97]: below 20 → meets `<= 20`; above 5 → misses `<= 5`; straddles 15.
    let w = j("wait_p95 <= 20", 1);
    assert_eq!(w.verdict, Meets);
    assert_eq!(w.mean, Some(12.0));
    assert!(close(w.interval.unwrap(), (7.032, 16.968)));
    assert_eq!(j("wait_p95 <= 5", 1).verdict, Misses);
    assert_eq!(j("wait_p95 <= 15", 1).verdict, Uncertain);
    assert_eq!(j("wait_p95 >= 7", 1).verdict, Meets);
    assert_eq!(j("wait_p95 > 17", 1).verdict, Misses);
    // Fewer than 2 values or none: no interval → uncertain, even when the one value is far
    // on the right side.
    let one = j("wait_p95 <= 1h", 2);
    assert_eq!(
        (one.verdict, one.interval, one.mean),
        (Uncertain, None, Some(5.0))
    );
    let none = j("wait_p95 <= 1h", 3);
    assert_eq!((none.verdict, none.interval, none.mean), (Uncertain, None, None));
}

#[test]
fn value_intervals_are_clipped_to_the_bounds() {
    // Abandonment 0, 0.01, 0.02: mean 0.01, s = 0.01 → half-width 0.0248 → [−0.0148,
    // 0.0348], clipped to [0, 0.0348]: `abandonment >= 0` meets only because of the clip.
    let runs = vec![cell(&[("abandonment", &[0.0, 0.01, 0.02])])];
    let j = judge(&parse("abandonment >= 0").unwrap(), &runs, 0, 0);
    assert_eq!(j.verdict, Verdict::Meets);
    assert!(close(j.interval.unwrap(), (0.0, 0.0348)));
}

#[test]
fn baseline_conditions_are_judged_on_the_paired_difference() {
    // Baseline 10, 12, 14, (undefined); other 7, 10, 10, 99. The fourth replication is
    // skipped (baseline undefined), so the differences are −3, −2, −4: mean −3, s = 1 →
    // half-width 2.484 → [−5.484, −0.516].
    let runs = waits(&[&[10.0, 12.0, 14.0, f64::NAN], &[7.0, 10.0, 10.0, 99.0]]);
    let j = |text: &str, c: usize| judge(&parse(text).unwrap(), &runs, c, 0);
    use Verdict::*;
    let d = j("wait_p95 <= baseline", 1);
    assert_eq!((d.verdict, d.mean), (Meets, Some(-3.0)));
    assert!(close(d.interval.unwrap(), (-5.484, -0.516)));
    // `<= baseline - 5s`: threshold −5 lies inside → uncertain; `- 6s`: low −5.484 > −6 →
    // misses; `< baseline + 1s`: high −0.516 < 1 → meets.
    assert_eq!(j("wait_p95 <= baseline - 5s", 1).verdict, Uncertain);
    assert_eq!(j("wait_p95 <= baseline - 6s", 1).verdict, Misses);
    assert_eq!(j("wait_p95 < baseline + 1s", 1).verdict, Meets);
    // On its own values (7, 10, 10, 99: mean 31.5, s = 45.02, t(0.975, 3) = 3.182446 →
    // half-width 71.64 → [0, 103.1] clipped) the same cell is uncertain against 12 s:
    // the plain condition uses every replication, unpaired.
    assert_eq!(j("wait_p95 <= 12s", 1).verdict, Uncertain);
    // The baseline differs from itself by exactly 0: [0, 0].
    let b = j("wait_p95 <= baseline", 0);
    assert_eq!(
        (b.verdict, b.interval, b.mean),
        (Meets, Some((0.0, 0.0)), Some(0.0))
    );
    assert_eq!(j("wait_p95 <= baseline - 5s", 0).verdict, Misses);
    assert_eq!(j("wait_p95 < baseline", 0).verdict, Misses);
}

#[test]
fn tolerance_forms_the_equivalent_set() {
    // Cell 1 is best (mean 12). Cell 0 (baseline) is 4 s worse in every replication:
    // differences 4, 4, 4 → interval [4, 4], distinguishable from 0, but |4| ≤ 5 s
    // tolerance → equivalent. Cell 2 is 10 s worse → not equivalent. Among the equivalent
    // the baseline comes first.
    let runs = waits(&[&[14.0, 16.0, 18.0], &[10.0, 12.0, 14.0], &[20.0, 22.0, 24.0]]);
    let s = plain(3);
    let out = decide(&decision("wait_p95", &[], 5.0, Vec::new()), &runs, &infos(&s), 0);
    assert_eq!(out.best, Some(1));
    assert_eq!(out.equivalent, vec![0, 1]);
    assert_eq!(out.recommended, Some(0));
    assert_eq!(out.order, vec![0, 1, 2]);
    let d = out.cells[0].diff_from_best.unwrap();
    assert_eq!((d.mean, d.half_width, d.n), (4.0, Some(0.0), 3));
    assert!(out.cells[0].recommended && out.cells[0].equivalent && !out.cells[2].equivalent);
    assert_eq!(out.cells[1].objective.unwrap().mean, 12.0);
    assert!(close(out.cells[1].objective_ci.unwrap(), (7.032, 16.968)));
    // No tolerance: the 4 s difference matters; the best alone is equivalent.
    let out = decide(&decision("wait_p95", &[], 0.0, Vec::new()), &runs, &infos(&s), 0);
    assert_eq!((out.equivalent, out.recommended), (vec![1], Some(1)));
    assert_eq!(out.order, vec![1, 0, 2]);
}

#[test]
fn non_significance_forms_the_equivalent_set() {
    // Cell 0 best (mean 12). Cell 1: 11, 11, 16 → differences 1, −1, 2: mean 0.667,
    // s = 1.528 → half-width 3.795 → [−3.13, 4.46] contains 0 → equivalent without
    // tolerance. Cell 2: one defined value (30): difference n = 1, no interval → not
    // distinguishable → equivalent (rule 2's "or n < 2"). Cell 3: 20, 22, 24 → differences
    // 10, 10, 10 → not equivalent. Baseline 3 is not in the set → lowest index first.
    let runs = waits(&[
        &[10.0, 12.0, 14.0],
        &[11.0, 11.0, 16.0],
        &[30.0, f64::NAN, f64::NAN],
        &[20.0, 22.0, 24.0],
    ]);
    let s = plain(4);
    let out = decide(&decision("wait_p95", &[], 0.0, Vec::new()), &runs, &infos(&s), 3);
    assert_eq!(out.best, Some(0));
    assert_eq!(out.equivalent, vec![0, 1, 2]);
    assert_eq!(out.recommended, Some(0));
    let d = out.cells[1].diff_from_best.unwrap();
    assert!((d.mean - 2.0 / 3.0).abs() < 1e-12);
    assert!((d.half_width.unwrap() - 3.795).abs() < 1e-3);
    assert_eq!(out.cells[2].diff_from_best.unwrap().half_width, None);
}

#[test]
fn pathwise_identical_configurations_are_equivalent_and_the_baseline_wins() {
    // Identical values every replication: differences exactly 0 with a zero-width
    // interval → all equivalent; the baseline (cell 1) comes first, then matrix order.
    let runs = waits(&[&[10.0, 13.0, 11.0][..]; 3]);
    let s = plain(3);
    let out = decide(&decision("wait_p95", &[], 0.0, Vec::new()), &runs, &infos(&s), 1);
    assert_eq!(out.best, Some(0));
    assert_eq!(out.equivalent, vec![1, 0, 2]);
    assert_eq!(out.recommended, Some(1));
    assert_eq!(out.order, vec![1, 0, 2]);
}

#[test]
fn prefer_orders_the_equivalent_set() {
    // Every configuration identical on the objective, so all are equivalent and the
    // preference alone decides. Values read as numbers: 30s = 30, 90s = 90, 2m = 120,
    // unlimited = +∞.
    let runs = waits(&[&[10.0, 11.0][..]; 4]);
    let s = settings(&[
        &[("offline_grace", "2m")],
        &[("offline_grace", "30s")],
        &[("offline_grace", "unlimited")],
        &[("offline_grace", "90s")],
    ]);
    let by = |order: PreferOrder| {
        let prefer = vec![Prefer {
            axis: "offline_grace".into(),
            order,
        }];
        decide(&decision("wait_p95", &[], 0.0, prefer), &runs, &infos(&s), 0)
    };
    assert_eq!(by(PreferOrder::Lowest).equivalent, vec![1, 3, 0, 2]);
    assert_eq!(by(PreferOrder::Lowest).recommended, Some(1));
    assert_eq!(by(PreferOrder::Highest).equivalent, vec![2, 0, 3, 1]);
    // A list: 90s, then 2m (written 120s: the same duration); the others after, baseline
    // first then matrix order (cell 0 is the baseline but already placed).
    let list = by(PreferOrder::List(vec!["90s".into(), "120s".into()]));
    assert_eq!(list.equivalent, vec![3, 0, 1, 2]);
    assert_eq!(list.order, vec![3, 0, 1, 2]);
}

#[test]
fn preferences_apply_in_turn_then_the_baseline() {
    // Round-robin first (a list), then the highest grace; cells without a preference
    // between them fall back to the baseline (cell 2) first.
    let runs = waits(&[&[10.0, 11.0][..]; 5]);
    let s = settings(&[
        &[("strategy", "least-busy"), ("offline_grace", "30s")],
        &[("strategy", "round-robin"), ("offline_grace", "30s")],
        &[("strategy", "least-busy"), ("offline_grace", "2m")],
        &[("strategy", "round-robin"), ("offline_grace", "2m")],
        &[("strategy", "random"), ("offline_grace", "2m")],
    ]);
    let prefer = vec![
        Prefer {
            axis: "strategy".into(),
            order: PreferOrder::List(vec!["round-robin".into()]),
        },
        Prefer {
            axis: "offline_grace".into(),
            order: PreferOrder::Highest,
        },
    ];
    let out = decide(&decision("wait_p95", &[], 0.0, prefer), &runs, &infos(&s), 2);
    // Round-robin: 3 (2m), 1 (30s); the others at 2m: 2 (baseline), 4; then 0 (30s).
    assert_eq!(out.equivalent, vec![3, 1, 2, 4, 0]);
}

#[test]
fn prefer_compares_numbers_then_text_and_missing_values_last() {
    use Ordering::*;
    let lowest = PreferOrder::Lowest;
    assert_eq!(lowest.compare(Some("3"), Some("unlimited")), Less);
    assert_eq!(lowest.compare(Some("80%"), Some("0.9")), Less);
    assert_eq!(lowest.compare(Some("1m"), Some("60s")), Equal);
    assert_eq!(lowest.compare(Some("99"), Some("abc")), Less);
    assert_eq!(lowest.compare(Some("least-busy"), Some("round-robin")), Less);
    assert_eq!(
        PreferOrder::Highest.compare(Some("least-busy"), Some("round-robin")),
        Greater
    );
    assert_eq!(PreferOrder::Highest.compare(Some("99"), Some("abc")), Less);
    assert_eq!(lowest.compare(None, Some("1")), Greater);
    assert_eq!(PreferOrder::Highest.compare(Some("1"), None), Less);
    assert_eq!(
        PreferOrder::List(vec!["b".into()]).compare(Some("a"), Some("c")),
        Equal
    );
}

#[test]
fn a_configuration_missing_a_constraint_is_never_recommended() {
    // Objective wait_p95; constraint abandonment <= 5 %.
    // Cell 0: best wait (10, 12, 14) but abandonment 0.1 every run → [0.1, 0.1] → misses.
    // Cell 1: wait 14, 16, 18; abandonment 0.01, 0.02, 0.03 → half-width 0.0248 → [0, 0.045]
    //   (clipped) → meets; the best among the feasible.
    // Cell 2: wait 20, 22, 24; abandonment 0.02, 0.05, 0.08 → half-width 0.0745 → [0, 0.125]
    //   → uncertain; 6 s worse than cell 1 every run → not equivalent.
    // Cell 3: wait 30 every run; abandonment 0 → meets; 16, 14, 12 s worse: mean 14, s = 2 →
    //   [9.03, 18.97] → not equivalent.
    let runs = vec![
        cell(&[("wait_p95", &[10.0, 12.0, 14.0]), ("abandonment", &[0.1; 3])]),
        cell(&[
            ("wait_p95", &[14.0, 16.0, 18.0]),
            ("abandonment", &[0.01, 0.02, 0.03]),
        ]),
        cell(&[
            ("wait_p95", &[20.0, 22.0, 24.0]),
            ("abandonment", &[0.02, 0.05, 0.08]),
        ]),
        cell(&[("wait_p95", &[30.0; 3]), ("abandonment", &[0.0; 3])]),
    ];
    let s = plain(4);
    let d = decision("wait_p95", &["abandonment <= 5%"], 0.0, Vec::new());
    let out = decide(&d, &runs, &infos(&s), 0);
    let verdicts: Vec<Verdict> = out.cells.iter().map(|c| c.constraints[0].verdict).collect();
    use Verdict::*;
    assert_eq!(verdicts, vec![Misses, Meets, Uncertain, Meets]);
    assert!(out.cells[0].misses_any() && !out.cells[2].misses_any() && out.cells[2].uncertain_any());
    assert_eq!((out.best, out.recommended), (Some(1), Some(1)));
    assert_eq!(out.equivalent, vec![1]);
    // Ranking: the equivalent set; then those meeting every constraint (3); then the
    // uncertain (2, although its mean 22 beats 30); then those missing one (0).
    assert_eq!(out.order, vec![1, 3, 2, 0]);
    // The difference from the best is given for every cell, the missing one included:
    // cell 0 − cell 1 = −4 every run.
    assert_eq!(out.cells[0].diff_from_best.unwrap().mean, -4.0);
}

#[test]
fn no_feasible_configuration_means_no_recommendation() {
    // Both miss `wait_p95 <= 5s` (intervals [7.03, 16.97] and [20, 20]).
    let runs = waits(&[&[20.0; 3], &[10.0, 12.0, 14.0]]);
    let s = plain(2);
    let out = decide(
        &decision("wait_p95", &["wait_p95 <= 5s"], 0.0, Vec::new()),
        &runs,
        &infos(&s),
        0,
    );
    assert_eq!((out.best, out.recommended), (None, None));
    assert!(out.equivalent.is_empty());
    assert!(
        out.cells
            .iter()
            .all(|c| c.misses_any() && !c.recommended && c.diff_from_best.is_none())
    );
    // Ranked by objective mean among those missing: 12 before 20.
    assert_eq!(out.order, vec![1, 0]);
}

#[test]
fn pareto_set_of_disagreeing_and_agreeing_metrics() {
    let lower = [metric("wait_p95"), metric("churn_per_100"), metric("arrivals")];
    // Cell 0 beats cell 1 on wait (1 − 0 = +10 every run: [10, 10]), cell 1 beats cell 0
    // on churn (−4 every run); cell 2 is beaten by 0 on wait and by 1 on churn and beats
    // neither on anything → dominated. `arrivals` has no direction and is ignored.
    let runs = vec![
        cell(&[
            ("wait_p95", &[10.0, 12.0, 14.0]),
            ("churn_per_100", &[5.0; 3]),
            ("arrivals", &[1.0, 2.0, 3.0]),
        ]),
        cell(&[
            ("wait_p95", &[20.0, 22.0, 24.0]),
            ("churn_per_100", &[1.0; 3]),
            ("arrivals", &[9.0, 9.0, 9.0]),
        ]),
        cell(&[
            ("wait_p95", &[20.0, 22.0, 24.0]),
            ("churn_per_100", &[5.0; 3]),
            ("arrivals", &[0.0; 3]),
        ]),
    ];
    assert_eq!(pareto(&lower, &runs), vec![0, 1]);
    let s = plain(3);
    let out = decide_without(&lower, &runs, &infos(&s), 2);
    assert_eq!(out.pareto, Some(vec![0, 1]));
    assert_eq!(out.recommended, None);
    assert!(out.cells[2].dominated && !out.cells[0].dominated);
    assert!(out.cells.iter().all(|c| !c.recommended));

    // Agreeing: cell 0 is better on both wait (−10 every run) and abandonment (−0.04
    // every run) → the Pareto set is cell 0 alone, and it is recommended although the
    // baseline is cell 1.
    let agree = [metric("wait_p95"), metric("abandonment")];
    let runs = vec![
        cell(&[("wait_p95", &[10.0, 12.0, 14.0]), ("abandonment", &[0.01; 3])]),
        cell(&[("wait_p95", &[20.0, 22.0, 24.0]), ("abandonment", &[0.05; 3])]),
    ];
    assert_eq!(pareto(&agree, &runs), vec![0]);
    let s = plain(2);
    let out = decide_without(&agree, &runs, &infos(&s), 1);
    assert_eq!((out.pareto, out.recommended, out.best), (None, Some(0), Some(0)));
    assert!(out.cells[1].dominated);
}

#[test]
fn without_a_decision_indistinguishable_configurations_do_not_disagree() {
    // Pathwise identical on both metrics: nobody beats anybody, so the Pareto set holds
    // every cell but nothing trades off → the objective's equivalent set decides and the
    // baseline is recommended.
    let metrics = [metric("wait_p95"), metric("abandonment")];
    let one = cell(&[
        ("wait_p95", &[10.0, 12.0, 14.0]),
        ("abandonment", &[0.01, 0.02, 0.03]),
    ]);
    let runs = vec![one.clone(), one.clone(), one];
    assert_eq!(pareto(&metrics, &runs), vec![0, 1, 2]);
    let s = plain(3);
    let out = decide_without(&metrics, &runs, &infos(&s), 2);
    assert_eq!(out.pareto, None);
    assert_eq!((out.recommended, out.equivalent), (Some(2), vec![2, 0, 1]));
    // A single answer metric: plain rules 1–3 with the first as the objective.
    let out = decide_without(&metrics[..1], &runs, &infos(&s), 1);
    assert_eq!((out.recommended, out.pareto), (Some(1), None));
    // No answer metric: nothing to decide on.
    let out = decide_without(&[], &runs, &infos(&s), 1);
    assert_eq!((out.recommended, out.order), (None, vec![0, 1, 2]));
}

#[test]
fn an_objective_without_a_direction_ranks_nothing() {
    // Occupancy has no direction: no best; every configuration missing no constraint is
    // equivalent, and the baseline is recommended.
    let runs = vec![
        cell(&[("occupancy_mean", &[0.5, 0.6])]),
        cell(&[("occupancy_mean", &[0.9, 0.8])]),
    ];
    let s = plain(2);
    let out = decide(
        &decision("occupancy_mean", &[], 0.0, Vec::new()),
        &runs,
        &infos(&s),
        1,
    );
    assert_eq!(out.best, None);
    assert_eq!((out.equivalent, out.recommended), (vec![1, 0], Some(1)));
}
