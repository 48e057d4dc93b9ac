//! `chatsim staff`: the fewest agents of a team meeting service targets, per configuration
//! or per interval (README.md, "Staffing"). The search is `crate::staff`; the outputs are
//! `crate::report::staff`; this file only resolves the request, runs, prints and writes.

use super::{Error, StaffArgs, print_out, progress};
use crate::decision::condition::Condition;
use crate::report::staff::{STAFF_OUTPUTS, StaffReport};
use crate::staff::{CellAnswer, Options, Staffer, Staffing, check_targets};
use std::path::PathBuf;

/// Default cap on replications per staffing level without `[sequential]`.
const DEFAULT_CAP: u32 = 100;
/// Default replications added per round.
const DEFAULT_BATCH: u32 = 10;

/// Runs the search; `Err(Error::Failed)` (exit 1) when a configuration has no level up to
/// the maximum meeting every target.
pub(super) fn staff(args: &StaffArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let experiment = super::load_with(&args.path, args.replications, args.seed)?;
    let written = experiment.base.staffing.clone().unwrap_or_default();
    let targets = targets(args, &written)?;
    let per_interval = args.per_interval || written.per_interval == Some(true);
    check_targets(&targets, per_interval).map_err(Error::Staffing)?;
    let base = &experiment.base;
    // The planner's table leaves out the warm-up hours, so per-interval planning would
    // judge one hour on another's chats: only a terminating run (measured from time 0) is
    // planned hour by hour.
    if per_interval && matches!(base.run_kind, crate::scenario::RunKind::SteadyState { .. }) {
        return Err(Error::Staffing(
            "--per-interval needs a terminating run (run = \"terminating\"): a steady-state run discards its warm-up hours, so there is no plan to make for them; plan the whole horizon instead (without --per-interval)"
                .to_owned(),
        ));
    }
    let team = match args.team.as_ref().or(written.team.as_ref()) {
        Some(t) if base.teams.contains(t) => t.clone(),
        Some(t) => {
            let mut msg = format!("unknown team \"{t}\"");
            if let Some(s) = crate::util::suggest::did_you_mean(t, base.teams.iter().map(String::as_str)) {
                msg.push_str(&format!(" (did you mean \"{s}\"?)"));
            }
            msg.push_str(&format!(
                "; the teams of {} are: {}",
                args.path.display(),
                base.teams.join(", ")
            ));
            return Err(Error::Staffing(msg));
        }
        None if base.teams.len() == 1 => base.teams[0].clone(),
        None => {
            return Err(Error::Staffing(format!(
                "{} has {} teams ({}): say which one to staff with --team NAME (or [staffing] team)",
                args.path.display(),
                base.teams.len(),
                base.teams.join(", ")
            )));
        }
    };
    if let Some(cell) = experiment.cells.iter().find(|c| {
        c.assignments
            .iter()
            .any(|(k, _)| *k == format!("team_size.{team}"))
    }) {
        return Err(Error::Staffing(format!(
            "team \"{team}\"'s size is compared in [compare] (team_size, e.g. \"{}\"): staffing searches it; remove that axis or staff another team",
            cell.label
        )));
    }
    let shrinkage = match &args.shrinkage {
        Some(text) => crate::metrics::catalogue::Unit::Share
            .parse(text)
            .map_err(|e| Error::Staffing(format!("--shrinkage: {e}")))?,
        None => written.shrinkage.unwrap_or(0.0),
    };
    if !(0.0..1.0).contains(&shrinkage) {
        return Err(Error::Staffing(format!(
            "--shrinkage {shrinkage} is out of range (expected at least 0 and less than 1, e.g. 0.3 or 30%)"
        )));
    }
    let team_index = base.teams.iter().position(|t| *t == team).unwrap_or(0);
    let largest = experiment
        .cells
        .iter()
        .map(|c| c.scenario.agents.iter().filter(|a| a.team == team_index).count())
        .max()
        .unwrap_or(1);
    let max_agents = args
        .max_agents
        .or(written.max_agents)
        .map_or_else(|| (4 * largest).max(50), |n| n as usize);
    let plan = experiment.base.sequential.as_ref();
    let start = experiment.base.replications.max(2);
    let options = Options {
        team: team.clone(),
        targets: targets.clone(),
        max_agents,
        batch: plan.map_or(DEFAULT_BATCH, |q| q.batch),
        cap: args
            .max_replications
            .or(plan.map(|q| q.max_replications))
            .unwrap_or(DEFAULT_CAP)
            .max(start),
        jobs: args.jobs,
    };
    let stem = args
        .path
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{stem}-staffing")));
    // Writability, the lock and a foreign folder are settled before the search (README.md,
    // "Output folders"). A search has no per-run records of its own; an interrupted `run`'s
    // finished runs there are not discarded without --force.
    let out = super::outdir::open(&dir, args.force)?;
    if out.has_leftover() && !args.force {
        return Err(super::run::leftover_error(&out, &args.path));
    }
    out.start(false)?;
    let bar = progress::counter(args.quiet, "staffing");
    let done = || bar.inc(1);
    let mut staffer = Staffer::new(&experiment, options, &done).map_err(staff_error)?;
    let mut answers = Vec::new();
    for (c, cell) in experiment.cells.iter().enumerate() {
        bar.set_message(cell.label.clone());
        answers.push(if per_interval {
            CellAnswer::Intervals(staffer.per_interval(c).map_err(staff_error)?)
        } else {
            CellAnswer::Whole(staffer.whole(c).map_err(staff_error)?)
        });
    }
    bar.finish_and_clear();
    let report = StaffReport {
        scenario: &experiment.base,
        labels: experiment.cells.iter().map(|c| c.label.clone()).collect(),
        team: &team,
        targets: &targets,
        shrinkage,
        max_agents,
        answers: &answers,
    };
    for (name, bytes) in report.files().map_err(|(name, e)| Error::Chart(name, e))? {
        out.write(&name, &bytes)?;
    }
    let manifest = serde_json::json!({
        "tool": "chatsim",
        "version": env!("CARGO_PKG_VERSION"),
        "command": "staff",
        "scenario": args.path.display().to_string(),
        "seed": experiment.base.seed,
        "team": team,
        "targets": targets.iter().map(|t| t.text.clone()).collect::<Vec<_>>(),
        "per_interval": per_interval,
        "shrinkage": shrinkage,
        "max_agents": max_agents,
        "command_line": std::env::args().collect::<Vec<_>>(),
        "jobs": if args.jobs == 0 { rayon::current_num_threads() } else { args.jobs },
        "runs": bar.position(),
        "wall_time_seconds": started.elapsed().as_secs_f64(),
    });
    let manifest = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    out.write("manifest.json", manifest.as_bytes())?;
    let _ = std::fs::remove_dir(out.build().join(super::outdir::RUNS));
    out.commit()?;
    if !args.quiet {
        let mut text = report.text();
        let names: Vec<&str> = STAFF_OUTPUTS.iter().map(|o| o.name).collect();
        text.push_str(&format!(
            "\nwrote {}/: {} ({} runs, {:.1} s)\n",
            dir.display(),
            names.join(", "),
            bar.position(),
            started.elapsed().as_secs_f64()
        ));
        print_out(&text)?;
    }
    match report.failure() {
        Some(summary) => Err(Error::Failed(summary)),
        None => Ok(()),
    }
}

/// The targets: `--target` (each parsed, an error pointing into it), else the scenario's.
fn targets(args: &StaffArgs, written: &Staffing) -> Result<Vec<Condition>, Error> {
    if args.targets.is_empty() {
        return Ok(written.targets.clone());
    }
    args.targets
        .iter()
        .map(|text| {
            crate::decision::condition::parse(text).map_err(|e| {
                Error::Staffing(format!(
                    "--target \"{text}\": {} (at character {})",
                    e.message,
                    text[..e.offset.min(text.len())].chars().count() + 1
                ))
            })
        })
        .collect()
}

fn staff_error(e: crate::staff::Error) -> Error {
    match e {
        crate::staff::Error::Scenario(errors) => Error::Scenario(errors),
        crate::staff::Error::Threads(message) => Error::Threads(message),
        crate::staff::Error::Request(message) => Error::Staffing(message),
    }
}
