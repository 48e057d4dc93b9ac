//! Arrival times: an exact non-homogeneous Poisson process over a piecewise-constant rate.
//!
//! The rate (a base rate, a weekly profile of windows, bursts on top) is constant between
//! breakpoints, so within each segment arrivals are drawn with exponential gaps at that
//! segment's rate and the process restarts at the next breakpoint (memorylessness makes
//! this exact). A 3-minute peak is therefore never skipped, however short.
//!
//! A volume multiplier keeps the base chats the same chats: above 1, extra chats come from
//! a separate stream at rate (m − 1)·λ(t); below 1, each base chat is kept with
//! probability m by its own per-chat draw (done by the caller, who owns chat attributes).

use crate::engine::SimTime;
use crate::workload::calendar::{Calendar, Window};
use crate::workload::{Rng, unit};

/// A rate that applies in a weekly window, replacing the base rate there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfileWindow {
    /// When.
    pub window: Window,
    /// Chats per hour.
    pub rate_per_hour: f64,
}

/// Extra arrivals over one span of simulation time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Burst {
    /// Start.
    pub start: SimTime,
    /// End.
    pub end: SimTime,
    /// Extra chats per hour on top of the profile.
    pub extra_per_hour: f64,
}

/// The arrival rate over time.
#[derive(Clone, Debug, PartialEq)]
pub struct RateProfile {
    /// Chats per hour where no window applies.
    pub base_per_hour: f64,
    /// Windows; where several contain an instant, the last listed wins.
    pub windows: Vec<ProfileWindow>,
    /// Bursts, added on top.
    pub bursts: Vec<Burst>,
}

/// A span of constant rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    /// Start (inclusive).
    pub start: SimTime,
    /// End (exclusive).
    pub end: SimTime,
    /// Chats per hour.
    pub rate_per_hour: f64,
}

impl RateProfile {
    /// A constant rate.
    pub fn constant(per_hour: f64) -> Self {
        Self {
            base_per_hour: per_hour,
            windows: Vec::new(),
            bursts: Vec::new(),
        }
    }

    /// The piecewise-constant rate over [0, `end`), as maximal segments in order.
    pub fn segments(&self, calendar: Calendar, end: SimTime) -> Vec<Segment> {
        let mut cuts = vec![SimTime::ZERO, end];
        let mut spans: Vec<(SimTime, SimTime, f64, usize)> = Vec::new();
        for (i, w) in self.windows.iter().enumerate() {
            for (a, b) in calendar.occurrences(w.window, end) {
                cuts.extend([a, b]);
                spans.push((a, b, w.rate_per_hour, i));
            }
        }
        for b in &self.bursts {
            cuts.extend([b.start.min(end), b.end.min(end)]);
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut out: Vec<Segment> = Vec::new();
        for pair in cuts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let base = spans
                .iter()
                .filter(|(s, e, _, _)| *s <= a && a < *e)
                .max_by_key(|(_, _, _, i)| *i)
                .map_or(self.base_per_hour, |(_, _, r, _)| *r);
            let extra: f64 = self
                .bursts
                .iter()
                .filter(|x| x.start <= a && a < x.end)
                .map(|x| x.extra_per_hour)
                .sum();
            let rate = base + extra;
            match out.last_mut() {
                Some(last) if last.rate_per_hour == rate => last.end = b,
                _ => out.push(Segment {
                    start: a,
                    end: b,
                    rate_per_hour: rate,
                }),
            }
        }
        out
    }
}

impl RateProfile {
    /// The expected number of arrivals over [0, `end`): the integral of the rate. The same
    /// number as [`expected_count`] of [`RateProfile::segments`], computed by a sweep over the
    /// window occurrences in O(n log n), so a scenario of many windows or bursts is sized
    /// before it is run (docs/workload.md#sizes-and-limits).
    pub fn expected_arrivals(&self, calendar: Calendar, end: SimTime) -> f64 {
        // Window edges: (time, +1 opens / -1 closes, window index).
        let mut edges: Vec<(SimTime, i8, usize)> = Vec::new();
        for (i, w) in self.windows.iter().enumerate() {
            for (a, b) in calendar.occurrences(w.window, end) {
                edges.push((a, 1, i));
                edges.push((b, -1, i));
            }
        }
        edges.sort_unstable();
        // Open occurrences per window (windows of one team may overlap themselves).
        let mut open: std::collections::BTreeMap<usize, u32> = std::collections::BTreeMap::new();
        let mut total = 0.0;
        let mut t = SimTime::ZERO;
        let rate = |open: &std::collections::BTreeMap<usize, u32>| {
            // The last listed window wins.
            open.keys()
                .next_back()
                .map_or(self.base_per_hour, |&i| self.windows[i].rate_per_hour)
        };
        for (at, change, i) in edges {
            total += rate(&open) * (at.as_millis() - t.as_millis()) as f64;
            t = at;
            if change > 0 {
                *open.entry(i).or_default() += 1;
            } else if let Some(n) = open.get_mut(&i) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&i);
                }
            }
        }
        total += rate(&open) * end.as_millis().saturating_sub(t.as_millis()) as f64;
        for b in &self.bursts {
            let (a, z) = (b.start.min(end), b.end.min(end));
            total += b.extra_per_hour * z.as_millis().saturating_sub(a.as_millis()) as f64;
        }
        total / 3_600_000.0
    }
}

/// Poisson arrivals over piecewise-constant segments, each rate multiplied by `scale`,
/// drawn lazily one at a time (the simulator keeps one pending arrival per stream, so a
/// run of 10^8 chats never holds their times).
#[derive(Debug)]
pub struct PoissonArrivals {
    segments: Vec<Segment>,
    seg: usize,
    t: f64,
    scale: f64,
    rng: Rng,
}

impl PoissonArrivals {
    /// The arrivals over `segments` at `scale` times their rates, drawn from `rng`.
    pub fn new(segments: Vec<Segment>, scale: f64, rng: Rng) -> Self {
        Self {
            segments,
            seg: 0,
            t: 0.0,
            scale,
            rng,
        }
    }
}

impl Iterator for PoissonArrivals {
    type Item = SimTime;

    fn next(&mut self) -> Option<SimTime> {
        while let Some(seg) = self.segments.get(self.seg) {
            let per_ms = seg.rate_per_hour * self.scale / 3_600_000.0;
            self.t = self.t.max(seg.start.as_millis() as f64);
            if per_ms > 0.0 {
                self.t += -(1.0 - unit(&mut self.rng)).ln() / per_ms;
                if self.t < seg.end.as_millis() as f64 {
                    return Some(SimTime(self.t as u64));
                }
            }
            // Memorylessness: restart the clock at the next segment's start.
            self.seg += 1;
            self.t = 0.0;
        }
        None
    }
}

/// Expected number of arrivals over `segments`.
pub fn expected_count(segments: &[Segment]) -> f64 {
    segments
        .iter()
        .map(|s| s.rate_per_hour * (s.end.as_millis() - s.start.as_millis()) as f64 / 3_600_000.0)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::calendar::Days;
    use crate::workload::{Purpose, stream};

    const H: u64 = 3_600_000;

    #[test]
    fn expected_arrivals_match_the_segments() {
        let cal = Calendar::parse("monday 08:00").unwrap();
        let window = |from: u64, to: u64, rate: f64| ProfileWindow {
            window: Window {
                days: Days::ALL,
                from: from * H,
                to: to * H,
            },
            rate_per_hour: rate,
        };
        let profile = RateProfile {
            base_per_hour: 60.0,
            // Overlapping windows (the last listed wins) and one across midnight.
            windows: vec![window(9, 17, 100.0), window(12, 14, 150.0), window(22, 2, 5.0)],
            bursts: vec![Burst {
                start: SimTime(3 * H),
                end: SimTime(4 * H + H / 2),
                extra_per_hour: 40.0,
            }],
        };
        for end in [SimTime(H / 2), SimTime(10 * H), SimTime(100 * H)] {
            let want = expected_count(&profile.segments(cal, end));
            let got = profile.expected_arrivals(cal, end);
            assert!(
                (want - got).abs() < 1e-6 * want.max(1.0),
                "{end}: {want} vs {got}"
            );
        }
    }

    #[test]
    fn profile_windows_replace_the_base_and_bursts_add() {
        let cal = Calendar::parse("monday 08:00").unwrap();
        let profile = RateProfile {
            base_per_hour: 100.0,
            windows: vec![ProfileWindow {
                window: Window {
                    days: Days::ALL,
                    from: 12 * H,
                    to: 13 * H,
                },
                rate_per_hour: 160.0,
            }],
            bursts: vec![Burst {
                start: SimTime(H),
                end: SimTime(H + 900_000),
                extra_per_hour: 40.0,
            }],
        };
        let segs = profile.segments(cal, SimTime(8 * H));
        let rates: Vec<(u64, u64, f64)> = segs
            .iter()
            .map(|s| (s.start.as_millis(), s.end.as_millis(), s.rate_per_hour))
            .collect();
        assert_eq!(
            rates,
            vec![
                (0, H, 100.0),
                (H, H + 900_000, 140.0),
                (H + 900_000, 4 * H, 100.0),
                (4 * H, 5 * H, 160.0),
                (5 * H, 8 * H, 100.0)
            ]
        );
        assert!((expected_count(&segs) - (800.0 + 10.0 + 60.0)).abs() < 1e-9);
    }

    /// A 3-minute peak of 2 000 chats/h on a base of 10/h: about 100 arrivals must land in
    /// those 3 minutes, every replication.
    #[test]
    fn a_three_minute_peak_is_not_skipped() {
        let cal = Calendar::parse("monday 00:00").unwrap();
        let profile = RateProfile {
            base_per_hour: 10.0,
            windows: vec![ProfileWindow {
                window: Window {
                    days: Days::ALL,
                    from: 2 * H,
                    to: 2 * H + 180_000,
                },
                rate_per_hour: 2_000.0,
            }],
            bursts: vec![],
        };
        let segs = profile.segments(cal, SimTime(4 * H));
        let mut total_in_peak = 0;
        for rep in 0..50 {
            let times: Vec<SimTime> =
                PoissonArrivals::new(segs.clone(), 1.0, stream(5, rep, Purpose::Arrivals, 0)).collect();
            let in_peak = times
                .iter()
                .filter(|t| (2 * H..2 * H + 180_000).contains(&t.as_millis()))
                .count();
            assert!(
                in_peak >= 60,
                "replication {rep}: only {in_peak} arrivals in the peak"
            );
            total_in_peak += in_peak;
        }
        let mean = total_in_peak as f64 / 50.0;
        assert!((mean - 100.0).abs() < 5.0, "mean arrivals in the peak {mean}");
    }

    #[test]
    fn constant_rate_count_matches_poisson() {
        let segs = RateProfile::constant(120.0).segments(Calendar { start_in_week: 0 }, SimTime(10 * H));
        let counts: Vec<f64> = (0..200)
            .map(|rep| {
                PoissonArrivals::new(segs.clone(), 1.0, stream(3, rep, Purpose::Arrivals, 0)).count() as f64
            })
            .collect();
        let mean = counts.iter().sum::<f64>() / 200.0;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / 199.0;
        // Mean 1 200, Poisson variance 1 200: standard error of the mean ≈ 2.45.
        assert!((mean - 1_200.0).abs() < 10.0, "mean {mean}");
        assert!((var / 1_200.0 - 1.0).abs() < 0.3, "variance {var}");
    }
}
