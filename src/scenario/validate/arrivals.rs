//! `[arrivals]`: the rate profile, bursts, volume, group shares and the trace file, if any
//! (docs/workload.md#arrivals).

use super::teams::{clock, window_parts};
use super::{MAX_RATE_PER_HOUR, Walk, group_ref};
use crate::engine::SimTime;
use crate::scenario::doc::{self, Problems, Table, Val};
use crate::scenario::error;
use crate::workload::arrivals::{Burst, ProfileWindow, RateProfile};
use crate::workload::calendar::{DAY_MS, Window};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// `[arrivals]`: rate profile, volume, group shares and the trace file, if any.
pub(super) type ArrivalsSpec = (
    Option<RateProfile>,
    Option<f64>,
    Option<Vec<f64>>,
    Option<(PathBuf, Range<usize>)>,
);

impl Walk<'_> {
    pub(super) fn arrivals(&mut self, v: Val<'_, '_>, groups: &[String]) -> ArrivalsSpec {
        let p = &mut self.p;
        let Some(t) = Table::of(v, "[arrivals]", p) else {
            return (None, None, None, None);
        };
        t.check_keys(&["rate", "profile", "bursts", "volume", "groups", "trace"], p);
        let trace = t
            .str("trace", p)
            .map(|(file, span)| (self.path.parent().unwrap_or(Path::new(".")).join(file), span));
        if trace.is_some() {
            for key in ["rate", "profile", "bursts"] {
                if let Some(v) = t.get(key) {
                    p.add(
                        v.span(),
                        error::WRONG_TYPE,
                        format!("arrivals.{key} cannot be combined with arrivals.trace (the trace gives the arrival times)"),
                    );
                }
            }
        }
        let rate = |v: Option<(f64, Range<usize>)>, what: &str, p: &mut Problems| match v {
            Some((r, span)) if !(0.0..=MAX_RATE_PER_HOUR).contains(&r) => {
                p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("{what} {r} is out of range (expected 0 to {MAX_RATE_PER_HOUR} chats per hour)"),
                );
                None
            }
            Some((r, _)) => Some(r),
            None => None,
        };
        let base = if trace.is_some() {
            Some(0.0)
        } else {
            t.require("rate", p)
                .and_then(|_| rate(t.number("rate", p), "arrivals.rate", p))
        };
        let mut windows = Vec::new();
        for (i, item) in t.array("profile", p).unwrap_or(&[]).iter().enumerate() {
            let Some(w) = Table::of(item, "[[arrivals.profile]]", p) else {
                continue;
            };
            w.check_keys(&["days", "from", "to", "rate"], p);
            let (days, from, to) = window_parts(&w, "from", "to", p);
            if let (Some(a), Some(b)) = (from, to)
                && a == b
            {
                // 12:00–12:00 is no time at all; 00:00–24:00 is the whole day.
                p.add(
                    w.get("to").map_or(w.span(), |v| v.span()),
                    error::BAD_CALENDAR,
                    format!(
                        "arrivals.profile window {} runs from {} to {} (a window needs a length; for the whole day write from = \"00:00\" and to = \"24:00\")",
                        i + 1,
                        clock(a),
                        clock(b)
                    ),
                );
                continue;
            }
            let r = w
                .require("rate", p)
                .and_then(|_| rate(w.number("rate", p), "profile rate", p));
            if let (Some(days), Some(from), Some(to), Some(r)) = (days, from, to, r) {
                windows.push(ProfileWindow {
                    window: Window {
                        days,
                        from: from % DAY_MS,
                        to: to % DAY_MS,
                    },
                    rate_per_hour: r,
                });
            }
        }
        let mut bursts = Vec::new();
        for item in t.array("bursts", p).unwrap_or(&[]) {
            let Some(b) = Table::of(item, "[[arrivals.bursts]]", p) else {
                continue;
            };
            b.check_keys(&["start", "duration", "extra"], p);
            let start = b
                .require("start", p)
                .and_then(|_| b.duration("start", false, p))
                .and_then(|(d, _)| d);
            let duration = b
                .require("duration", p)
                .and_then(|_| b.duration("duration", false, p))
                .and_then(|(d, _)| d);
            let extra = b
                .require("extra", p)
                .and_then(|_| rate(b.number("extra", p), "burst extra rate", p));
            if let (Some(s), Some(d), Some(x)) = (start, duration, extra) {
                bursts.push(Burst {
                    start: SimTime::ZERO + s,
                    end: SimTime::ZERO + s + d,
                    extra_per_hour: x,
                });
            }
        }
        let volume = match t.number("volume", p) {
            Some((x, span)) if !(0.0..=100.0).contains(&x) => {
                p.add(
                    span,
                    error::OUT_OF_RANGE,
                    format!("volume {x} is out of range (expected 0 to 100)"),
                );
                None
            }
            Some((x, _)) => Some(x),
            None => Some(1.0),
        };
        let mut group_shares = vec![0.0; groups.len()];
        let mut shares_ok = true;
        if let Some(gv) = t.get("groups")
            && let Some(gt) = Table::of(gv, "[arrivals.groups]", p)
        {
            let mut sum = 0.0;
            for (key, value) in gt.map.iter() {
                let Some(g) = group_ref(key.get_ref(), key.span(), groups, p) else {
                    shares_ok = false;
                    continue;
                };
                match doc::as_number(value, &format!("arrivals.groups.{}", key.get_ref()), p) {
                    Some(x) if x >= 0.0 => {
                        group_shares[g.index()] = x;
                        sum += x;
                    }
                    Some(x) => {
                        p.add(
                            value.span(),
                            error::SHARES,
                            format!("group share {x} must not be negative"),
                        );
                        shares_ok = false;
                    }
                    None => shares_ok = false,
                }
            }
            if sum > 1.0 + 1e-9 {
                p.add(
                    gv.span(),
                    error::SHARES,
                    format!(
                        "group shares sum to {sum} (expected at most 1; the rest arrive without a group)"
                    ),
                );
                shares_ok = false;
            }
        }
        let profile = base.map(|b| RateProfile {
            base_per_hour: b,
            windows,
            bursts,
        });
        (profile, volume, shares_ok.then_some(group_shares), trace)
    }
}
