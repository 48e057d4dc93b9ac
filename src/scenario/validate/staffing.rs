//! `[staffing]`: what `chatsim staff` aims for (README.md, "Staffing") — targets written as
//! conditions (the parser `[decision]` uses, errors located inside the string), the team
//! to staff, shrinkage, the most agents to try and whether to plan per interval.

use super::decision::condition_at;
use crate::scenario::doc::{self, Problems, Table, Val};
use crate::scenario::error;
use crate::staff::{PER_INTERVAL_METRICS, Staffing, per_interval_metric};
use std::ops::Range;
use toml::de::DeValue;

/// The keys of `[staffing]`.
const KEYS: &[&str] = &["targets", "team", "shrinkage", "max_agents", "per_interval"];

/// Parses `[staffing]`; the team's name comes back with its place, to be checked against
/// the teams once they are known.
pub(super) fn staffing(
    v: Val<'_, '_>,
    max_agents: i64,
    p: &mut Problems,
) -> Option<(Staffing, Option<Range<usize>>)> {
    let t = Table::of(v, "[staffing]", p)?;
    t.check_keys(KEYS, p);
    let per_interval = t.bool("per_interval", p);
    let mut ok = true;
    let mut targets = Vec::new();
    for item in t.array("targets", p).unwrap_or(&[]) {
        let Some((text, span)) = doc::as_str(item, "a staffing.targets entry", p) else {
            ok = false;
            continue;
        };
        let Some(c) = condition_at(text, span.clone(), "staffing.targets", p) else {
            ok = false;
            continue;
        };
        if c.is_relative() {
            p.add(
                span,
                error::DECISION,
                format!(
                    "staffing.targets: \"{}\" compares with the baseline; a staffing target is a level to reach (e.g. \"service_level_1m >= 80%\")",
                    c.text
                ),
            );
            ok = false;
        } else if per_interval == Some(true) && !per_interval_metric(&c.metric) {
            p.add(
                span,
                error::DECISION,
                format!(
                    "staffing.targets: {} cannot be measured per interval (per_interval = true; per-interval targets: {PER_INTERVAL_METRICS})",
                    c.metric.id
                ),
            );
            ok = false;
        } else {
            targets.push(c);
        }
    }
    let team = t.str("team", p).map(|(s, span)| (s.to_owned(), span));
    let shrinkage = t.get("shrinkage").and_then(|v| {
        let x = match v.get_ref() {
            DeValue::String(s) => crate::metrics::catalogue::Unit::Share
                .parse(s)
                .map_err(|e| p.add(v.span(), error::WRONG_TYPE, format!("staffing.shrinkage: {e}")))
                .ok()?,
            _ => doc::as_number(v, "staffing.shrinkage", p)?,
        };
        if (0.0..1.0).contains(&x) {
            Some(x)
        } else {
            p.add(
                v.span(),
                error::OUT_OF_RANGE,
                format!("staffing.shrinkage {x} is out of range (expected at least 0 and less than 1, e.g. 0.3 or \"30%\")"),
            );
            ok = false;
            None
        }
    });
    let max_agents = match t.get("max_agents") {
        Some(_) => match t.integer_in("max_agents", 1, max_agents, p) {
            Some(n) => Some(n as u32),
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    ok.then(|| {
        let (team, span) = team.map_or((None, None), |(n, s)| (Some(n), Some(s)));
        (
            Staffing {
                targets,
                team,
                shrinkage,
                max_agents,
                per_interval,
            },
            span,
        )
    })
}
