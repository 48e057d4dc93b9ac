//! Running staffing levels: each (configuration, level) is simulated once, its replications
//! grown in batches until every target is decided at it (or the cap is reached), and kept
//! for every later question about it.

use super::search::search;
use super::slice_value;
use crate::decision::condition::{Condition, Verdict};
use crate::decision::{Judgement, judge_values};
use crate::engine::{SimDuration, SimTime};
use crate::experiment::run_scenario_range;
use crate::metrics::RunMetrics;
use crate::scenario::{Experiment, Scenario, ScenarioErrors};
use std::collections::BTreeMap;

/// How to staff.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The team whose size is searched (its name).
    pub team: String,
    /// Every target to meet (none relative to a baseline).
    pub targets: Vec<Condition>,
    /// The most agents tried.
    pub max_agents: usize,
    /// Replications added at a time once the scenario's own are run.
    pub batch: u32,
    /// The most replications per level.
    pub cap: u32,
    /// Worker threads (0 = one per core); results do not depend on it.
    pub jobs: usize,
}

/// What a level is: agents on line over the whole horizon, or per planning interval.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LevelKey {
    /// The team has this many agents all along (its shifts as written).
    Agents(usize),
    /// The team's first n_i agents are on duty in interval i (the last level holds until
    /// the run ends).
    Plan(Vec<usize>),
}

/// One level's targets as judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// Agents on line (in the interval, for a plan).
    pub agents: usize,
    /// One judgement per target, in order.
    pub judgements: Vec<Judgement>,
    /// Replications run.
    pub replications: usize,
}

impl Level {
    /// Whether every target is met.
    pub fn meets(&self) -> bool {
        meets(&self.judgements)
    }
}

/// The answer for one configuration over the whole horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct WholeAnswer {
    /// The fewest agents meeting every target (verified: the level below does not), or
    /// `None` when no level up to the maximum does.
    pub answer: Option<usize>,
    /// The answer's level, or the best level reached when there is no answer.
    pub at: Level,
    /// The level just below the answer, which does not meet (none at the lowest level).
    pub below: Option<Level>,
    /// Levels around the answer (and every level the search ran), by agents.
    pub curve: Vec<Level>,
}

/// One interval of a per-interval plan, as the whole plan achieved it.
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalRowResult {
    /// Start and end (simulation time; the end clipped to the horizon).
    pub span: (SimTime, SimTime),
    /// Agents on line.
    pub agents: usize,
    /// No chat arrived in it in any replication: nothing to meet, it keeps the level before
    /// it (the first such intervals take the first planned level).
    pub empty: bool,
    /// No level up to the maximum met the targets here (the maximum is planned).
    pub unreachable: bool,
    /// The targets judged on the chats arriving in it, from the whole plan's runs.
    pub judgements: Vec<Judgement>,
    /// Mean chats arriving in it per replication.
    pub arrivals: Option<f64>,
}

/// A per-interval plan for one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalPlan {
    /// Per planning interval, in time order.
    pub rows: Vec<IntervalRowResult>,
    /// Every level tried per interval while planning (the earlier intervals fixed).
    pub tried: Vec<Vec<Level>>,
    /// Replications of the whole plan's final run.
    pub replications: usize,
}

impl IntervalPlan {
    /// Whether every interval with chats meets every target.
    pub fn met(&self) -> bool {
        self.rows.iter().all(|r| r.empty || meets(&r.judgements))
    }
}

/// The answer for one configuration.
#[derive(Clone, Debug, PartialEq)]
pub enum CellAnswer {
    /// Over the whole horizon.
    Whole(WholeAnswer),
    /// Interval by interval.
    Intervals(IntervalPlan),
}

/// Why staffing could not run.
#[derive(Debug)]
pub enum Error {
    /// A staffing level is not a valid scenario (e.g. the team's agents are named elsewhere).
    Scenario(ScenarioErrors),
    /// The worker threads could not start.
    Threads(String),
    /// The request does not fit the scenario (team, targets, comparison).
    Request(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Scenario(e) => write!(f, "{e}"),
            Self::Threads(e) => write!(f, "could not start worker threads: {e}"),
            Self::Request(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for Error {}

fn meets(judgements: &[Judgement]) -> bool {
    judgements.iter().all(|j| j.verdict == Verdict::Meets)
}

/// Decided: every target met, or one missed (more replications cannot make it meet).
fn decided(judgements: &[Judgement]) -> bool {
    meets(judgements) || judgements.iter().any(|j| j.verdict == Verdict::Misses)
}

/// The targets judged over the whole horizon of `runs`.
pub fn judge_whole(targets: &[Condition], runs: &[RunMetrics]) -> Vec<Judgement> {
    targets
        .iter()
        .map(|c| {
            let values: Vec<f64> = runs.iter().filter_map(|r| r.get(&c.metric.id)).collect();
            judge_values(c, &values)
        })
        .collect()
}

/// The targets judged on the chats arriving in interval `k` of `runs`.
pub fn judge_interval(
    targets: &[Condition],
    runs: &[RunMetrics],
    k: usize,
    sl_targets: &[SimDuration],
) -> Vec<Judgement> {
    targets
        .iter()
        .map(|c| {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| slice_value(&c.metric, &r.intervals.get(k)?.chats, sl_targets))
                .collect();
            judge_values(c, &values)
        })
        .collect()
}

/// The planning intervals of a scenario: the planner's intervals (`interval`, aligned to
/// the clock as the planner's table is) that start before the horizon, each clipped to it.
/// Interval i is interval i of every run's per-interval table.
pub fn interval_spans(scenario: &Scenario) -> Vec<(SimTime, SimTime)> {
    let len = scenario.interval.as_millis().max(1);
    let offset = scenario.calendar.start_in_week % len;
    let horizon = scenario.horizon.as_millis();
    let mut out = Vec::new();
    for k in 0u64.. {
        let a = (k * len).saturating_sub(offset);
        if a >= horizon {
            break;
        }
        out.push((SimTime(a), SimTime(((k + 1) * len - offset).min(horizon))));
    }
    out
}

/// Runs staffing levels of an experiment's configurations, each (configuration, level)
/// at most once (its replications grown as questions need them).
pub struct Staffer<'a> {
    experiment: &'a Experiment,
    options: Options,
    team: usize,
    width: usize,
    pool: rayon::ThreadPool,
    done: &'a (dyn Fn() + Sync),
    runs: BTreeMap<(usize, LevelKey), Vec<RunMetrics>>,
    sized: BTreeMap<(usize, usize), Scenario>,
    /// Per configuration: its service-level targets with those the targets name (a target
    /// naming a T the scenario does not measure adds it).
    sl_targets: Vec<Vec<SimDuration>>,
}

impl<'a> Staffer<'a> {
    /// A staffer for `experiment`; `done` is called after every run (progress).
    pub fn new(
        experiment: &'a Experiment,
        options: Options,
        done: &'a (dyn Fn() + Sync),
    ) -> Result<Self, Error> {
        let base = &experiment.base;
        let team = base
            .teams
            .iter()
            .position(|t| *t == options.team)
            .ok_or_else(|| Error::Request(format!("unknown team \"{}\"", options.team)))?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.jobs)
            .build()
            .map_err(|e| Error::Threads(e.to_string()))?;
        // One name width for every size tried: agents keep their names, and so their random
        // streams, whatever the size.
        let width = options.max_agents.to_string().len().max(2);
        let sl_targets = experiment
            .cells
            .iter()
            .map(|c| {
                let mut sl = c.scenario.sl_targets.clone();
                sl.extend(options.targets.iter().filter_map(|t| t.metric.target));
                sl.sort_unstable();
                sl.dedup();
                sl
            })
            .collect();
        Ok(Self {
            experiment,
            options,
            team,
            width,
            pool,
            done,
            runs: BTreeMap::new(),
            sized: BTreeMap::new(),
            sl_targets,
        })
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The team's size in configuration `cell` as the scenario has it.
    pub fn scenario_size(&self, cell: usize) -> usize {
        let s = &self.experiment.cells[cell].scenario;
        s.agents.iter().filter(|a| a.team == self.team).count()
    }

    /// Configuration `cell` with the team at `size` agents (validated once per size), with
    /// the command line's seed, replications and service-level targets.
    fn sized(&mut self, cell: usize, size: usize) -> Result<&Scenario, Error> {
        if !self.sized.contains_key(&(cell, size)) {
            let c = &self.experiment.cells[cell];
            let mut s = c
                .with_team_size(&self.options.team, size, self.width)
                .map_err(Error::Scenario)?;
            s.seed = c.scenario.seed;
            s.replications = c.scenario.replications;
            s.sl_targets.clone_from(&self.sl_targets[cell]);
            self.sized.insert((cell, size), s);
        }
        Ok(&self.sized[&(cell, size)])
    }

    /// The scenario of a level.
    fn scenario(&mut self, cell: usize, key: &LevelKey) -> Result<Scenario, Error> {
        match key {
            LevelKey::Agents(n) => self.sized(cell, *n).cloned(),
            LevelKey::Plan(levels) => {
                let size = levels.iter().copied().max().unwrap_or(0).max(1);
                let team = self.team;
                let mut s = self.sized(cell, size)?.clone();
                let spans = interval_spans(&s);
                let end = s.end();
                for (j, agent) in s.agents.iter_mut().filter(|a| a.team == team).enumerate() {
                    let duty = spans
                        .iter()
                        .zip(levels)
                        .enumerate()
                        .filter(|(_, (_, n))| **n > j)
                        .map(|(k, ((a, b), _))| (*a, if k + 1 == spans.len() { end } else { *b }))
                        .collect();
                    agent.duty = Some(duty);
                }
                Ok(s)
            }
        }
    }

    /// Runs level `key` of `cell` until `enough` holds of its runs (asked at batch
    /// boundaries only, so the thread count cannot change when it stops) or the cap.
    fn ensure(
        &mut self,
        cell: usize,
        key: &LevelKey,
        enough: &dyn Fn(&[RunMetrics]) -> bool,
    ) -> Result<(), Error> {
        let cap = u64::from(self.options.cap.max(2));
        let first = u64::from(self.experiment.cells[cell].scenario.replications.max(2)).min(cap);
        let batch = u64::from(self.options.batch.max(1));
        let mut scenario = None;
        loop {
            let have = self.runs.get(&(cell, key.clone())).map_or(0, Vec::len) as u64;
            let next = if have < first {
                first
            } else if have >= cap || enough(&self.runs[&(cell, key.clone())]) {
                return Ok(());
            } else {
                // Batch boundaries counted from the first replications.
                (first + (have - first) / batch * batch + batch).min(cap)
            };
            if scenario.is_none() {
                scenario = Some(self.scenario(cell, key)?);
            }
            let s = scenario.as_ref().expect("built above");
            let more = run_scenario_range(&self.pool, s, have..next, self.done);
            self.runs
                .entry((cell, key.clone()))
                .or_default()
                .extend(more.into_iter().map(|r| r.metrics));
        }
    }

    fn level_runs(&self, cell: usize, key: &LevelKey) -> &[RunMetrics] {
        self.runs.get(&(cell, key.clone())).map_or(&[], Vec::as_slice)
    }

    /// Level `n` over the whole horizon, run until decided.
    fn whole_level(&mut self, cell: usize, n: usize) -> Result<Level, Error> {
        let key = LevelKey::Agents(n);
        let targets = self.options.targets.clone();
        self.ensure(cell, &key, &|runs| decided(&judge_whole(&targets, runs)))?;
        let runs = self.level_runs(cell, &key);
        Ok(Level {
            agents: n,
            judgements: judge_whole(&targets, runs),
            replications: runs.len(),
        })
    }

    /// The fewest agents over the whole horizon for configuration `cell`.
    pub fn whole(&mut self, cell: usize) -> Result<WholeAnswer, Error> {
        let (lowest, highest) = (1, self.options.max_agents.max(1));
        let mut failure = None;
        let mut levels: BTreeMap<usize, Level> = BTreeMap::new();
        let found = search(lowest, highest, self.scenario_size(cell), |n| {
            if failure.is_some() {
                return false;
            }
            match self.whole_level(cell, n) {
                Ok(level) => {
                    let m = level.meets();
                    levels.insert(n, level);
                    m
                }
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        // The curve: a few levels either side of the answer (or below the maximum).
        let centre = found.answer.unwrap_or(highest);
        for n in centre.saturating_sub(3).max(lowest)..=(centre + 2).min(highest) {
            if let std::collections::btree_map::Entry::Vacant(slot) = levels.entry(n) {
                slot.insert(self.whole_level(cell, n)?);
            }
        }
        let at = match found.answer {
            Some(n) => levels[&n].clone(),
            None => best(levels.values()).clone(),
        };
        let below = found
            .answer
            .filter(|n| *n > lowest)
            .map(|n| levels[&(n - 1)].clone());
        Ok(WholeAnswer {
            answer: found.answer,
            at,
            below,
            curve: levels.into_values().collect(),
        })
    }

    /// A per-interval plan for configuration `cell` (see the module documentation).
    pub fn per_interval(&mut self, cell: usize) -> Result<IntervalPlan, Error> {
        let spans = interval_spans(&self.experiment.cells[cell].scenario);
        let k_count = spans.len();
        let sl = self.sl_targets[cell].clone();
        let targets = self.options.targets.clone();
        let highest = self.options.max_agents.max(1);
        let guess = self.scenario_size(cell).min(highest);
        // Which intervals have chats (arrivals do not depend on the staffing).
        let probe = LevelKey::Plan(vec![guess; k_count]);
        self.ensure(cell, &probe, &|_| true)?;
        let empty: Vec<bool> = (0..k_count)
            .map(|k| {
                self.level_runs(cell, &probe)
                    .iter()
                    .all(|r| r.intervals.get(k).is_none_or(|iv| iv.chats.arrivals == 0))
            })
            .collect();
        if empty.iter().all(|e| *e) {
            return Err(Error::Request(
                "no chat arrives in any interval: there is nothing to staff for".to_owned(),
            ));
        }
        let mut plan = vec![guess; k_count];
        let mut unreachable = vec![false; k_count];
        let mut tried: Vec<Vec<Level>> = vec![Vec::new(); k_count];
        let mut first = true;
        for k in 0..k_count {
            if empty[k] {
                if !first {
                    plan[k] = plan[k - 1];
                }
                continue;
            }
            let start = if first { guess } else { plan[k - 1] };
            let fixed = plan[..k].to_vec();
            let levels_for = |n: usize| -> Vec<usize> {
                let mut v = if first { vec![n; k] } else { fixed.clone() };
                v.resize(k_count, n);
                v
            };
            let mut failure = None;
            let mut seen = Vec::new();
            let found = search(0, highest, start, |n| {
                if failure.is_some() {
                    return false;
                }
                let key = LevelKey::Plan(levels_for(n));
                let enough = |runs: &[RunMetrics]| decided(&judge_interval(&targets, runs, k, &sl));
                if let Err(e) = self.ensure(cell, &key, &enough) {
                    failure = Some(e);
                    return false;
                }
                let runs = self.level_runs(cell, &key);
                let level = Level {
                    agents: n,
                    judgements: judge_interval(&targets, runs, k, &sl),
                    replications: runs.len(),
                };
                let m = level.meets();
                seen.push(level);
                m
            });
            if let Some(e) = failure {
                return Err(e);
            }
            seen.sort_by_key(|l| l.agents);
            tried[k] = seen;
            let answer = found.answer.unwrap_or(highest);
            unreachable[k] = found.answer.is_none();
            if first {
                plan[..=k].fill(answer);
                first = false;
            } else {
                plan[k] = answer;
            }
        }
        // The whole plan, re-simulated. An interval that no longer meets (a later interval
        // planned lower leaves it a backlog) gets one more agent, until every interval
        // meets or can have no more.
        let with_chats: Vec<usize> = (0..k_count).filter(|k| !empty[*k]).collect();
        let all_decided = |runs: &[RunMetrics]| {
            with_chats
                .iter()
                .all(|&k| decided(&judge_interval(&targets, runs, k, &sl)))
        };
        for round in 0..=k_count {
            let key = LevelKey::Plan(plan.clone());
            self.ensure(cell, &key, &all_decided)?;
            let runs = self.level_runs(cell, &key);
            let failing: Vec<usize> = with_chats
                .iter()
                .copied()
                .filter(|&k| plan[k] < highest && !meets(&judge_interval(&targets, runs, k, &sl)))
                .collect();
            if failing.is_empty() || round == k_count {
                break;
            }
            for k in failing {
                plan[k] += 1;
            }
        }
        let key = LevelKey::Plan(plan.clone());
        let runs = self.level_runs(cell, &key);
        let rows = (0..k_count)
            .map(|k| {
                let arrivals: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| r.intervals.get(k).map(|iv| iv.chats.arrivals as f64))
                    .collect();
                IntervalRowResult {
                    span: spans[k],
                    agents: plan[k],
                    empty: empty[k],
                    unreachable: unreachable[k],
                    judgements: judge_interval(&targets, runs, k, &sl),
                    arrivals: (!arrivals.is_empty())
                        .then(|| arrivals.iter().sum::<f64>() / arrivals.len() as f64),
                }
            })
            .collect();
        Ok(IntervalPlan {
            rows,
            tried,
            replications: runs.len(),
        })
    }
}

/// The best level reached when none meets: the most targets met, then the fewest missed,
/// then the most agents.
fn best<'l>(levels: impl Iterator<Item = &'l Level>) -> &'l Level {
    levels
        .max_by_key(|l| {
            let count = |v| l.judgements.iter().filter(|j| j.verdict == v).count();
            (
                count(Verdict::Meets),
                usize::MAX - count(Verdict::Misses),
                l.agents,
            )
        })
        .expect("the search runs at least one level")
}
