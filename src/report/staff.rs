//! What `chatsim staff` prints and writes (README.md, "Staffing"): the answer in words per
//! configuration, `staffing.csv` (the answer: agents, heads after shrinkage, each target's
//! achieved value), `curves.csv` (each target against the staffing levels run) and the
//! charts. Pure functions of the staffing answers.

use crate::decision::Judgement;
use crate::decision::condition::{Condition, Verdict};
use crate::engine::SimTime;
use crate::metrics::catalogue::Metric;
use crate::report::charts::axis_title;
use crate::report::csv::num;
use crate::report::plot::{Chart, ChartKind, Series};
use crate::report::table::{Column, Row, Table};
use crate::report::{ChartError, OutputFile, clock_label, plot};
use crate::scenario::Scenario;
use crate::staff::{CellAnswer, IntervalPlan, Level, WholeAnswer, heads};

/// Every output of `chatsim staff`, in the order written (README lists the same).
pub const STAFF_OUTPUTS: &[OutputFile] = &[
    OutputFile {
        name: "staffing.csv",
        what: "per configuration (and interval, with --per-interval) × target: agents on line, heads after shrinkage, the target's achieved mean and 95 % CI, met",
    },
    OutputFile {
        name: "curves.csv",
        what: "per configuration × staffing level run × target: mean and 95 % CI, verdict — each target against the number of agents",
    },
    OutputFile {
        name: "charts/",
        what: "agents needed by interval with the arrival rate, and each target against the agents (or by interval), as SVG and PNG",
    },
    OutputFile {
        name: "manifest.json",
        what: "tool version, scenario, seed, team, targets, command line, jobs, runs, wall time",
    },
];

/// Everything the staffing outputs are made from.
#[derive(Debug)]
pub struct StaffReport<'a> {
    /// The scenario as written (name, calendar, interval).
    pub scenario: &'a Scenario,
    /// Each configuration's label, in matrix order.
    pub labels: Vec<String>,
    /// The staffed team.
    pub team: &'a str,
    /// The targets, in order.
    pub targets: &'a [Condition],
    /// Shrinkage in [0, 1).
    pub shrinkage: f64,
    /// The most agents tried.
    pub max_agents: usize,
    /// One answer per configuration, in matrix order.
    pub answers: &'a [CellAnswer],
}

/// A judged value for people: "84.2 % [81.0 %, 87.4 %]".
pub fn judged(metric: &Metric, j: &Judgement) -> String {
    let unit = metric.unit();
    match (j.mean, j.interval) {
        (Some(m), Some((lo, hi))) => format!("{} [{}, {}]", unit.format(m), unit.format(lo), unit.format(hi)),
        (Some(m), None) => format!("{} (no interval)", unit.format(m)),
        _ => "undefined".to_owned(),
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Meets => "meets",
        Verdict::Misses => "misses",
        Verdict::Uncertain => "uncertain",
    }
}

impl StaffReport<'_> {
    fn heads(&self, agents: usize) -> usize {
        heads(agents, self.shrinkage)
    }

    fn interval_label(&self, t: SimTime) -> String {
        clock_label(self.scenario, t)
    }

    /// "service_level_1m 84.2 % [81.0 %, 87.4 %], abandonment 1.1 % [0.8 %, 1.4 %]" with each
    /// verdict when `verdicts`.
    fn values(&self, level: &Level, verdicts: bool) -> String {
        let parts: Vec<String> = self
            .targets
            .iter()
            .zip(&level.judgements)
            .map(|(t, j)| {
                let mut s = format!("{} {}", t.metric.id, judged(&t.metric, j));
                if verdicts {
                    s.push_str(&format!(" ({} {})", verdict_word(j.verdict), t.text));
                }
                s
            })
            .collect();
        parts.join(", ")
    }

    fn heads_words(&self, agents: usize) -> String {
        if self.shrinkage > 0.0 {
            format!(
                " ({} heads scheduled at {} shrinkage)",
                self.heads(agents),
                crate::metrics::catalogue::Unit::Share.format(self.shrinkage)
            )
        } else {
            String::new()
        }
    }

    /// The answer for the terminal.
    pub fn text(&self) -> String {
        let targets: Vec<&str> = self.targets.iter().map(|t| t.text.as_str()).collect();
        let mut out = format!(
            "{} — staffing team \"{}\", seed {}\ntargets: {} (a target is met when its whole 95 % interval is on the right side)\n",
            self.scenario.name,
            self.team,
            self.scenario.seed,
            targets.join(", ")
        );
        for (c, answer) in self.answers.iter().enumerate() {
            out.push('\n');
            match answer {
                CellAnswer::Whole(w) => out.push_str(&self.whole_text(&self.labels[c], w)),
                CellAnswer::Intervals(p) => out.push_str(&self.plan_text(&self.labels[c], p)),
            }
        }
        out
    }

    fn whole_text(&self, label: &str, w: &WholeAnswer) -> String {
        match w.answer {
            Some(n) => {
                let mut s = format!(
                    "{label}: {n} agent{} on line{} — {} ({} replications)",
                    if n == 1 { "" } else { "s" },
                    self.heads_words(n),
                    self.values(&w.at, false),
                    w.at.replications
                );
                match &w.below {
                    Some(b) => s.push_str(&format!(
                        "; with {}: {} ({} replications)\n",
                        b.agents,
                        self.values(b, true),
                        b.replications
                    )),
                    None => s.push_str(&format!("; {n} is the fewest tried\n")),
                }
                s
            }
            None => format!(
                "{label}: no level up to {} agents meets the targets: best reached with {} agents — {} ({} replications)\n",
                self.max_agents,
                w.at.agents,
                self.values(&w.at, true),
                w.at.replications
            ),
        }
    }

    fn plan_text(&self, label: &str, p: &IntervalPlan) -> String {
        let mut s = format!(
            "{label}: per-{} plan, re-simulated as a whole ({} replications)\n",
            interval_word(self.scenario),
            p.replications
        );
        let mut columns = vec![
            Column::text("interval"),
            Column::number("agents"),
            Column::number("heads"),
            Column::number("arrivals"),
        ];
        columns.extend(self.targets.iter().map(|t| Column::number(t.text.clone())));
        columns.push(Column::text(""));
        let mut table = Table::new(columns);
        for row in &p.rows {
            let mut cells = vec![
                self.interval_label(row.span.0),
                row.agents.to_string(),
                self.heads(row.agents).to_string(),
                row.arrivals.map_or_else(|| "–".to_owned(), |a| format!("{a:.1}")),
            ];
            cells.extend(
                self.targets
                    .iter()
                    .zip(&row.judgements)
                    .map(|(t, j)| judged(&t.metric, j)),
            );
            cells.push(if row.empty {
                "no chats".to_owned()
            } else if row.unreachable {
                format!("not met up to {} agents", self.max_agents)
            } else if row.judgements.iter().all(|j| j.verdict == Verdict::Meets) {
                "meets".to_owned()
            } else {
                "does not meet".to_owned()
            });
            table.rows.push(Row::new(cells));
        }
        table.notes.push(format!(
            "Agents of team \"{}\" on duty per interval (the plan replaces the team's shifts; breaks, away time and flaps the scenario models still happen on duty); heads = ⌈agents / (1 − {})⌉ for the time the scenario does not model; arrivals: mean chats arriving per replication; the targets are measured on the chats arriving in the interval.",
            self.team, self.shrinkage
        ));
        s.push_str(&table.text());
        let failing: Vec<String> = p
            .rows
            .iter()
            .filter(|r| !r.empty && !r.judgements.iter().all(|j| j.verdict == Verdict::Meets))
            .map(|r| self.interval_label(r.span.0))
            .collect();
        if failing.is_empty() {
            s.push_str("every interval with chats meets every target\n");
        } else {
            s.push_str(&format!(
                "the plan (at most {} agents) does not meet every target in: {}\n",
                self.max_agents,
                failing.join(", ")
            ));
        }
        s
    }

    /// `Some(summary)` when a configuration has no staffing meeting the targets (exit 1).
    pub fn failure(&self) -> Option<String> {
        let failed: Vec<String> = self
            .answers
            .iter()
            .zip(&self.labels)
            .filter_map(|(a, label)| match a {
                CellAnswer::Whole(w) if w.answer.is_none() => Some(format!(
                    "{label}: best reached with {} agents — {}",
                    w.at.agents,
                    self.values(&w.at, true)
                )),
                CellAnswer::Intervals(p) if !p.met() => {
                    let rows: Vec<String> = p
                        .rows
                        .iter()
                        .filter(|r| !r.empty && !r.judgements.iter().all(|j| j.verdict == Verdict::Meets))
                        .map(|r| {
                            let level = Level {
                                agents: r.agents,
                                judgements: r.judgements.clone(),
                                replications: p.replications,
                            };
                            format!(
                                "{} with {} agents — {}",
                                self.interval_label(r.span.0),
                                r.agents,
                                self.values(&level, true)
                            )
                        })
                        .collect();
                    Some(format!(
                        "{label}: the plan does not meet every target in {}",
                        rows.join("; ")
                    ))
                }
                _ => None,
            })
            .collect();
        (!failed.is_empty()).then(|| {
            format!(
                "no staffing up to {} agents meets every target: {}",
                self.max_agents,
                failed.join(" | ")
            )
        })
    }

    /// `staffing.csv`: one row per configuration (× interval) × target.
    pub fn staffing_csv(&self) -> Vec<u8> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        let header = [
            "cell",
            "label",
            "interval_start",
            "team",
            "agents",
            "heads",
            "shrinkage",
            "status",
            "target",
            "metric",
            "unit",
            "mean",
            "ci_low",
            "ci_high",
            "n",
            "verdict",
            "met",
        ];
        w.write_record(header).expect("in-memory CSV");
        let mut write = |c: usize, start: String, agents: usize, status: &str, level: &Level| {
            for (t, j) in self.targets.iter().zip(&level.judgements) {
                let (lo, hi) = j.interval.unzip();
                let record = [
                    c.to_string(),
                    self.labels[c].clone(),
                    start.clone(),
                    self.team.to_owned(),
                    agents.to_string(),
                    self.heads(agents).to_string(),
                    num(Some(self.shrinkage)),
                    status.to_owned(),
                    t.text.clone(),
                    t.metric.id.clone(),
                    t.metric.unit().name().to_owned(),
                    num(j.mean),
                    num(lo),
                    num(hi),
                    level.replications.to_string(),
                    verdict_word(j.verdict).to_owned(),
                    (j.verdict == Verdict::Meets).to_string(),
                ];
                w.write_record(&record).expect("in-memory CSV");
            }
        };
        for (c, answer) in self.answers.iter().enumerate() {
            match answer {
                CellAnswer::Whole(a) => {
                    let status = if a.answer.is_some() {
                        "meets"
                    } else {
                        "unreachable"
                    };
                    write(c, String::new(), a.at.agents, status, &a.at);
                }
                CellAnswer::Intervals(p) => {
                    for row in &p.rows {
                        let level = Level {
                            agents: row.agents,
                            judgements: row.judgements.clone(),
                            replications: p.replications,
                        };
                        let status = if row.empty {
                            "no chats"
                        } else if row.unreachable {
                            "unreachable"
                        } else if level.meets() {
                            "meets"
                        } else {
                            "does not meet"
                        };
                        write(c, self.interval_label(row.span.0), row.agents, status, &level);
                    }
                }
            }
        }
        w.into_inner().expect("in-memory CSV")
    }

    /// `curves.csv`: every level run × target with its mean, interval and verdict (per
    /// interval: the levels tried for that interval, the earlier intervals fixed).
    pub fn curves_csv(&self) -> Vec<u8> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        let header = [
            "cell",
            "label",
            "interval_start",
            "agents",
            "metric",
            "mean",
            "ci_low",
            "ci_high",
            "n",
            "verdict",
        ];
        w.write_record(header).expect("in-memory CSV");
        let mut write = |c: usize, start: &str, level: &Level| {
            for (t, j) in self.targets.iter().zip(&level.judgements) {
                let (lo, hi) = j.interval.unzip();
                let record = [
                    c.to_string(),
                    self.labels[c].clone(),
                    start.to_owned(),
                    level.agents.to_string(),
                    t.metric.id.clone(),
                    num(j.mean),
                    num(lo),
                    num(hi),
                    level.replications.to_string(),
                    verdict_word(j.verdict).to_owned(),
                ];
                w.write_record(&record).expect("in-memory CSV");
            }
        };
        for (c, answer) in self.answers.iter().enumerate() {
            match answer {
                CellAnswer::Whole(a) => {
                    for level in &a.curve {
                        write(c, "", level);
                    }
                }
                CellAnswer::Intervals(p) => {
                    for (row, levels) in p.rows.iter().zip(&p.tried) {
                        let start = self.interval_label(row.span.0);
                        for level in levels {
                            write(c, &start, level);
                        }
                    }
                }
            }
        }
        w.into_inner().expect("in-memory CSV")
    }

    /// The charts, by file stem.
    pub fn charts(&self) -> Vec<(String, Chart)> {
        let mut charts = Vec::new();
        let plans: Vec<(usize, &IntervalPlan)> = self
            .answers
            .iter()
            .enumerate()
            .filter_map(|(c, a)| match a {
                CellAnswer::Intervals(p) => Some((c, p)),
                CellAnswer::Whole(_) => None,
            })
            .collect();
        let day_offset = self.scenario.calendar.start_in_week % crate::workload::calendar::DAY_MS;
        let hour = |t: SimTime| (day_offset + t.as_millis()) as f64 / 3_600_000.0;
        if !plans.is_empty() {
            // Agents as steps over each interval, and the arrival rate on the same axis,
            // divided by a round factor so both read.
            let mut series: Vec<Series> = plans
                .iter()
                .map(|(c, p)| Series {
                    name: self.labels[*c].clone(),
                    points: p
                        .rows
                        .iter()
                        .flat_map(|r| {
                            [
                                (hour(r.span.0), r.agents as f64),
                                (hour(r.span.1), r.agents as f64),
                            ]
                        })
                        .collect(),
                    sparse: Vec::new(),
                })
                .collect();
            let (_, first) = plans[0];
            let rates: Vec<(SimTime, SimTime, f64)> = first
                .rows
                .iter()
                .filter_map(|r| {
                    let hours = (r.span.1.as_millis() - r.span.0.as_millis()) as f64 / 3_600_000.0;
                    Some((r.span.0, r.span.1, r.arrivals? / hours))
                })
                .collect();
            let top_agents = plans
                .iter()
                .flat_map(|(_, p)| p.rows.iter().map(|r| r.agents))
                .max()
                .unwrap_or(1)
                .max(1) as f64;
            let top_rate = rates.iter().map(|r| r.2).fold(0.0, f64::max);
            let factor = if top_rate > 2.0 * top_agents {
                10f64.powf((top_rate / top_agents).log10().round())
            } else {
                1.0
            };
            let name = if factor == 1.0 {
                "arrival rate (chats/h)".to_owned()
            } else {
                format!("arrival rate (chats/h ÷ {factor})")
            };
            series.push(Series {
                name,
                points: rates
                    .iter()
                    .flat_map(|&(a, b, r)| [(hour(a), r / factor), (hour(b), r / factor)])
                    .collect(),
                sparse: Vec::new(),
            });
            let mut chart = Chart::new(
                format!(
                    "Agents on line needed per {} (team {})",
                    interval_word(self.scenario),
                    self.team
                ),
                "hour of day",
                "agents on line",
                ChartKind::Lines(series),
            );
            chart.notes.push(format!("Targets: {}", self.target_list()));
            charts.push(("agents_by_interval".to_owned(), chart));
            for (i, t) in self.targets.iter().enumerate() {
                let (y_label, scale) = axis_title(&t.metric.label, &t.metric);
                let mut series: Vec<Series> = plans
                    .iter()
                    .map(|(c, p)| Series {
                        name: self.labels[*c].clone(),
                        points: p
                            .rows
                            .iter()
                            .filter_map(|r| Some((hour(r.span.0), r.judgements[i].mean? * scale)))
                            .collect(),
                        sparse: Vec::new(),
                    })
                    .collect();
                let xs: Vec<f64> = first.rows.iter().map(|r| hour(r.span.0)).collect();
                series.push(target_line(t, scale, &xs));
                let mut chart = Chart::new(
                    format!(
                        "{} per {} with the plan",
                        capitalise(&t.metric.label),
                        interval_word(self.scenario)
                    ),
                    "hour of day (interval start)",
                    y_label,
                    ChartKind::Lines(series),
                );
                chart
                    .notes
                    .push(format!("Chats arriving in each interval; target {}", t.text));
                charts.push((format!("{}_by_interval", t.metric.id), chart));
            }
        }
        let wholes: Vec<(usize, &WholeAnswer)> = self
            .answers
            .iter()
            .enumerate()
            .filter_map(|(c, a)| match a {
                CellAnswer::Whole(w) => Some((c, w)),
                CellAnswer::Intervals(_) => None,
            })
            .collect();
        if !wholes.is_empty() {
            for (i, t) in self.targets.iter().enumerate() {
                let (y_label, scale) = axis_title(&t.metric.label, &t.metric);
                let mut series: Vec<Series> = wholes
                    .iter()
                    .map(|(c, w)| Series {
                        name: self.labels[*c].clone(),
                        points: w
                            .curve
                            .iter()
                            .filter_map(|l| Some((l.agents as f64, l.judgements[i].mean? * scale)))
                            .collect(),
                        sparse: Vec::new(),
                    })
                    .collect();
                let xs: Vec<f64> = wholes
                    .iter()
                    .flat_map(|(_, w)| w.curve.iter().map(|l| l.agents as f64))
                    .collect();
                series.push(target_line(t, scale, &xs));
                let mut chart = Chart::new(
                    format!(
                        "{} against agents on line (team {})",
                        capitalise(&t.metric.label),
                        self.team
                    ),
                    "agents on line",
                    y_label,
                    ChartKind::Lines(series),
                );
                chart
                    .notes
                    .push(format!("Means over replications; target {}", t.text));
                charts.push((format!("{}_vs_agents", t.metric.id), chart));
            }
        }
        charts
    }

    fn target_list(&self) -> String {
        self.targets
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every output file but `manifest.json` (which records the invocation, so the command
    /// line writes it), as (path in the report folder, bytes), in [`STAFF_OUTPUTS`] order.
    pub fn files(&self) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
        let mut files = vec![
            ("staffing.csv".to_owned(), self.staffing_csv()),
            ("curves.csv".to_owned(), self.curves_csv()),
        ];
        for (stem, chart) in self.charts() {
            let fail = |e| (stem.clone(), e);
            let svg = plot::render_svg(&chart).map_err(fail)?;
            let png = plot::render_png(&chart).map_err(fail)?;
            files.push((format!("charts/{stem}.svg"), svg.into_bytes()));
            files.push((format!("charts/{stem}.png"), png));
        }
        Ok(files)
    }
}

/// The target's threshold as a flat line across `xs`.
fn target_line(t: &Condition, scale: f64, xs: &[f64]) -> Series {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y = t.threshold() * scale;
    Series {
        name: format!("target: {}", t.text),
        points: if lo.is_finite() {
            vec![(lo, y), (hi, y)]
        } else {
            Vec::new()
        },
        sparse: Vec::new(),
    }
}

/// "hour" for hourly intervals, else e.g. "30m interval".
fn interval_word(scenario: &Scenario) -> String {
    if scenario.interval == crate::engine::SimDuration::from_hours(1) {
        "hour".to_owned()
    } else {
        format!("{} interval", scenario.interval)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}
