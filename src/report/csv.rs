//! The tidy CSV files: one header row, one observation per row, plain numbers (empty when
//! undefined), so pandas and R read them with no options.

use crate::metrics::IntervalRow;
use crate::report::{Results, SliceKind, clock_label};

/// Formats a number: shortest round-trip form; empty when undefined.
pub fn num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v}"))
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

fn bytes(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    w.write_record(header).expect("in-memory CSV");
    for row in rows {
        w.write_record(row).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Leading columns of every per-cell row.
fn cell_cols(results: &Results<'_>, cell: usize) -> Vec<String> {
    vec![cell.to_string(), results.experiment.cells[cell].label.clone()]
}

/// `summary.csv`: one row per cell × metric — its unit (docs/metrics.md), mean, 95 %
/// interval clipped to the metric's bounds, n, the sample standard deviation across
/// replications (what `check --baseline` needs to compare with a later run), and the
/// paired difference to the baseline with its interval.
pub fn summary_csv(results: &Results<'_>) -> Vec<u8> {
    let header = strings(&[
        "cell",
        "label",
        "baseline",
        "metric",
        "unit",
        "mean",
        "ci_low",
        "ci_high",
        "n",
        "sd",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
        "diff_n",
        "diff_adjustment",
    ]);
    let mut rows = Vec::new();
    for (c, cell) in results.summary.iter().enumerate() {
        for m in &cell.metrics {
            let mut row = cell_cols(results, c);
            row.push(cell.baseline.to_string());
            row.push(m.metric.clone());
            row.push(
                crate::metrics::catalogue::lookup(&m.metric)
                    .map_or("", |d| d.unit().name())
                    .to_owned(),
            );
            row.extend([
                num(m.estimate.map(|e| e.mean)),
                num(m.ci.map(|c| c.0)),
                num(m.ci.map(|c| c.1)),
                m.estimate.map_or(0, |e| e.n).to_string(),
                num(m.estimate.and_then(|e| e.std_dev())),
            ]);
            row.extend([
                num(m.diff.map(|e| e.mean)),
                num(m.diff_ci.map(|c| c.0)),
                num(m.diff_ci.map(|c| c.1)),
                m.diff.map_or(0, |e| e.n).to_string(),
                if cell.baseline {
                    String::new()
                } else {
                    results.adjustment.name().to_owned()
                },
            ]);
            rows.push(row);
        }
    }
    bytes(&header, &rows)
}

/// `runs.csv`: one row per cell × replication, one column per metric.
pub fn runs_csv(results: &Results<'_>) -> Vec<u8> {
    let mut header = strings(&["cell", "label", "replication"]);
    header.extend(
        results
            .runs
            .iter()
            .flatten()
            .next()
            .map_or_else(Vec::new, |r| r.values.iter().map(|(k, _)| k.clone()).collect()),
    );
    let mut rows = Vec::new();
    for (c, runs) in results.runs.iter().enumerate() {
        for (rep, r) in runs.iter().enumerate() {
            let mut row = cell_cols(results, c);
            row.push(rep.to_string());
            row.extend(r.values.iter().map(|(_, v)| num(*v)));
            rows.push(row);
        }
    }
    bytes(&header, &rows)
}

/// `intervals.csv`: one row per cell × replication × interval — the planner's table.
pub fn intervals_csv(results: &Results<'_>) -> Vec<u8> {
    let scenario = results.scenario();
    let mut header = strings(&["cell", "label", "replication", "interval", "start"]);
    header.extend(interval_columns(&scenario.sl_targets).into_iter().map(|m| m.id));
    let mut rows = Vec::new();
    for (c, runs) in results.runs.iter().enumerate() {
        for (rep, run) in runs.iter().enumerate() {
            for (i, iv) in run.intervals.iter().enumerate() {
                let mut row = cell_cols(results, c);
                row.extend([rep.to_string(), i.to_string(), clock_label(scenario, iv.start)]);
                row.extend(interval_values(iv));
                rows.push(row);
            }
        }
    }
    bytes(&header, &rows)
}

/// The metrics of the planner's table, in the order of [`interval_numbers`] (each a
/// metric of docs/metrics.md, measured over the chats arriving in / time of the interval).
pub fn interval_columns(sl_targets: &[crate::engine::SimDuration]) -> Vec<crate::metrics::catalogue::Metric> {
    let metric = crate::metrics::catalogue::metric;
    let mut out: Vec<_> = ["arrivals", "served", "abandoned", "wait_mean"]
        .map(metric)
        .into();
    out.extend(sl_targets.iter().map(|t| metric(&format!("service_level_{t}"))));
    out.extend(
        [
            "chats_in_service_mean",
            "agents_available_mean",
            "queue_len_mean",
            "occupancy_mean",
            "abandonment",
        ]
        .map(metric),
    );
    out
}

/// The measured columns of one interval, as numbers.
pub fn interval_numbers(iv: &IntervalRow) -> Vec<Option<f64>> {
    let (c, l) = (&iv.chats, &iv.levels);
    let mut out = vec![
        Some(c.arrivals as f64),
        Some(c.served as f64),
        Some(c.abandoned as f64),
        ratio(c.wait_sum_ms / 1_000.0, c.served as f64),
    ];
    out.extend((0..c.within.len()).map(|i| c.service_level(i)));
    out.extend([
        ratio(l.in_service, l.span_ms),
        ratio(l.available, l.span_ms),
        ratio(l.queue, l.span_ms),
        ratio(l.avail_load, l.avail_capacity),
        ratio(c.abandoned as f64, c.arrivals as f64),
    ]);
    out
}

fn interval_values(iv: &IntervalRow) -> Vec<String> {
    interval_numbers(iv).into_iter().map(num).collect()
}

/// `groups.csv`: one row per cell × replication × group ("(none)": chats without a group).
pub fn groups_csv(results: &Results<'_>) -> Vec<u8> {
    slices_csv(results, SliceKind::Group)
}

/// `inboxes.csv`: one row per cell × replication × inbox (every scenario has at least one).
pub fn inboxes_csv(results: &Results<'_>) -> Vec<u8> {
    slices_csv(results, SliceKind::Inbox)
}

/// The planner's table by group or by inbox, over each whole measured run: chat counters,
/// then the time-weighted means of its chats in service and of the agents available who can
/// take its chats, then the service levels.
fn slices_csv(results: &Results<'_>, kind: SliceKind) -> Vec<u8> {
    let scenario = results.scenario();
    let mut header = strings(&[
        "cell",
        "label",
        "replication",
        kind.noun(),
        "arrivals",
        "served",
        "abandoned",
        "wait_mean",
        "abandonment",
        "chats_in_service_mean",
        "agents_available_mean",
    ]);
    header.extend(scenario.sl_targets.iter().map(|t| format!("service_level_{t}")));
    let mut rows = Vec::new();
    for (c, runs) in results.runs.iter().enumerate() {
        for (rep, run) in runs.iter().enumerate() {
            for (i, r) in kind.rows(run).iter().enumerate() {
                let s = &r.chats;
                let mut row = cell_cols(results, c);
                row.push(rep.to_string());
                row.push(kind.name(scenario, i));
                row.extend([
                    s.arrivals.to_string(),
                    s.served.to_string(),
                    s.abandoned.to_string(),
                    num(ratio(s.wait_sum_ms / 1_000.0, s.served as f64)),
                    num(ratio(s.abandoned as f64, s.arrivals as f64)),
                    num(r.in_service_mean),
                    num(r.agents_available_mean),
                ]);
                row.extend((0..s.within.len()).map(|i| num(s.service_level(i))));
                rows.push(row);
            }
        }
    }
    bytes(&header, &rows)
}

/// `agents.csv`: one row per cell × replication × agent — the fairness inputs.
pub fn agents_csv(results: &Results<'_>) -> Vec<u8> {
    let header = strings(&[
        "cell",
        "label",
        "replication",
        "agent",
        "team",
        "available_hours",
        "auto_assignments",
        "auto_per_hour",
        "held_hours",
        "load_per_hour",
        "occupancy",
        "at_capacity_share",
    ]);
    let mut rows = Vec::new();
    for (c, runs) in results.runs.iter().enumerate() {
        let scenario = &results.experiment.cells[c].scenario;
        for (rep, run) in runs.iter().enumerate() {
            for (i, a) in run.agents.iter().enumerate() {
                let mut row = cell_cols(results, c);
                let team = scenario
                    .agents
                    .get(i)
                    .and_then(|p| scenario.teams.get(p.team))
                    .cloned()
                    .unwrap_or_default();
                let y = ratio(a.held_hours, a.available_hours);
                let cap = match scenario.engine.agents[i]
                    .capacity
                    .unwrap_or(scenario.engine.settings.max_chats_per_agent)
                {
                    crate::engine::Capacity::Limited(k) => Some(f64::from(k)),
                    crate::engine::Capacity::Unlimited => None,
                };
                row.extend([
                    rep.to_string(),
                    scenario.engine.agents[i].name.clone(),
                    team,
                    num(Some(a.available_hours)),
                    a.auto_assignments.to_string(),
                    num(ratio(a.auto_assignments as f64, a.available_hours)),
                    num(Some(a.held_hours)),
                    num(y),
                    num(y.zip(cap).map(|(y, k)| y / k)),
                    num(a.at_capacity_share),
                ]);
                rows.push(row);
            }
        }
    }
    bytes(&header, &rows)
}

/// `decision.csv`: one row per configuration — each constraint of the scenario's
/// `[decision]` judged (`meets`, `misses`, `uncertain`), whether it is in the equivalent
/// set, whether it is the recommendation (exactly one row when any configuration misses no
/// constraint; none when the answer names a Pareto set instead), whether it is in that
/// Pareto set (empty when none was needed), and the objective's mean and clipped interval.
pub fn decision_csv(results: &Results<'_>) -> Vec<u8> {
    let outcome = &results.outcome;
    let objective = crate::report::answer::objective(results);
    let constraints = results
        .scenario()
        .decision
        .as_ref()
        .map_or(&[][..], |d| &d.constraints[..]);
    let mut header = strings(&["cell", "label"]);
    header.extend(constraints.iter().map(|c| c.text.clone()));
    header.extend(strings(&[
        "equivalent",
        "recommended",
        "pareto",
        "objective",
        "unit",
        "mean",
        "ci_low",
        "ci_high",
        "n",
    ]));
    let mut rows = Vec::new();
    for (c, cell) in outcome.cells.iter().enumerate() {
        let mut row = cell_cols(results, c);
        row.extend(cell.constraints.iter().map(|j| j.verdict.name().to_owned()));
        row.extend([
            cell.equivalent.to_string(),
            cell.recommended.to_string(),
            outcome
                .pareto
                .as_ref()
                .map_or_else(String::new, |p| p.contains(&c).to_string()),
            objective.id.clone(),
            objective.unit().name().to_owned(),
            num(cell.objective.map(|e| e.mean)),
            num(cell.objective_ci.map(|x| x.0)),
            num(cell.objective_ci.map(|x| x.1)),
            cell.objective.map_or(0, |e| e.n).to_string(),
        ]);
        rows.push(row);
    }
    bytes(&header, &rows)
}
