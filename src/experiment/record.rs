//! Per-run records: one finished (configuration, replication) as a small JSON document
//! holding everything one run measured, so that a report rebuilt from records is byte for
//! byte the report of the run that made them (README.md, "Running at scale").
//!
//! The same format serves every use: a run persists each record the moment it finishes
//! (so an interrupted run keeps them), `--shard i/n` leaves its slice as records, `merge`
//! and `--resume` read them back. A record names the plan it belongs to (scenario
//! fingerprint and seed) and its cell and replication; [`RunKey`] is that identity.
//!
//! Numbers are exact: every `f64` is written as the shortest decimal that reads back to the
//! same bits (serde_json's `float_roundtrip` parses it back exactly), and the values JSON
//! has no number for (NaN, ±infinity) are written as strings. The conversion destructures
//! every field of [`RunMetrics`], so a field added there does not compile until it is
//! recorded here too.
//!
//! What it does not do: files. Reading and writing them is the command line's.

use crate::engine::SimTime;
use crate::metrics::{AgentRow, IntervalRow, Levels, RunMetrics, Slice, SliceRow};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The record format's version; a record of another version is refused, not misread.
pub const FORMAT: u32 = 1;

/// Which plan a record belongs to: records of one plan can be combined, whichever process
/// or machine made them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunKey {
    /// The scenario's fingerprint (its text and the data it reads; README.md, "Running at
    /// scale").
    pub scenario_hash: String,
    /// The master seed.
    pub seed: u64,
    /// The configuration's index in matrix order.
    pub cell: usize,
    /// The replication.
    pub replication: u64,
}

/// One finished run: its identity and everything it measured.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// Which run.
    pub key: RunKey,
    /// The configuration's label (a reader's check: the index and the label agree).
    pub label: String,
    /// What it measured.
    pub metrics: RunMetrics,
}

/// The file name of the record of (`cell`, `replication`) in a `runs/` folder.
pub fn file_name(cell: usize, replication: u64) -> String {
    format!("c{cell:04}-r{replication:05}.json")
}

impl RunRecord {
    /// The record as JSON text (one line and a newline).
    pub fn to_json(&self) -> String {
        let file = File {
            tool: "chatsim".to_owned(),
            format: FORMAT,
            key: self.key.clone(),
            label: self.label.clone(),
            metrics: Metrics::from(&self.metrics),
        };
        // Every field is a plain value, a string or a sequence: serialising cannot fail.
        serde_json::to_string(&file).unwrap_or_default() + "\n"
    }

    /// Reads a record; the error says what is wrong with it.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: File = serde_json::from_str(text).map_err(|e| format!("not a chatsim run record ({e})"))?;
        if file.tool != "chatsim" {
            return Err(format!("not a chatsim run record (tool \"{}\")", file.tool));
        }
        if file.format != FORMAT {
            return Err(format!(
                "a run record of format {} (this chatsim reads format {FORMAT})",
                file.format
            ));
        }
        Ok(Self {
            key: file.key,
            label: file.label,
            metrics: file.metrics.into(),
        })
    }
}

/// The record as stored.
#[derive(Serialize, Deserialize)]
struct File {
    tool: String,
    format: u32,
    #[serde(flatten)]
    key: RunKey,
    label: String,
    metrics: Metrics,
}

/// An `f64` written exactly: a JSON number when finite, else "NaN", "inf" or "-inf".
#[derive(Clone, Copy, Debug, PartialEq)]
struct F64(f64);

impl Serialize for F64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for F64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = F64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
            }
            fn visit_f64<E>(self, v: f64) -> Result<F64, E> {
                Ok(F64(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<F64, E> {
                Ok(F64(v as f64))
            }
            fn visit_i64<E>(self, v: i64) -> Result<F64, E> {
                Ok(F64(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<F64, E> {
                match v {
                    "NaN" => Ok(F64(f64::NAN)),
                    "inf" => Ok(F64(f64::INFINITY)),
                    "-inf" => Ok(F64(f64::NEG_INFINITY)),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

fn opt(x: Option<f64>) -> Option<F64> {
    x.map(F64)
}

fn unopt(x: Option<F64>) -> Option<f64> {
    x.map(|F64(v)| v)
}

#[derive(Serialize, Deserialize)]
struct Metrics {
    values: Vec<(String, Option<F64>)>,
    intervals: Vec<Interval>,
    groups: Vec<Part>,
    inboxes: Vec<Part>,
    agents: Vec<Agent>,
    queue_area_ms: F64,
    wait_cdf: Vec<(F64, F64)>,
    queue_episodes_ms: F64,
}

#[derive(Serialize, Deserialize)]
struct Interval {
    start_ms: u64,
    chats: Chats,
    levels: [F64; 6],
}

#[derive(Serialize, Deserialize)]
struct Chats {
    arrivals: u64,
    served: u64,
    abandoned: u64,
    wait_sum_ms: F64,
    within: Vec<u64>,
    abandoned_before: Vec<u64>,
    censored: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
struct Part {
    chats: Chats,
    in_service_mean: Option<F64>,
    agents_available_mean: Option<F64>,
}

#[derive(Serialize, Deserialize)]
struct Agent {
    available_hours: F64,
    auto_assignments: u64,
    held_hours: F64,
    at_capacity_share: Option<F64>,
}

impl From<&RunMetrics> for Metrics {
    fn from(m: &RunMetrics) -> Self {
        let RunMetrics {
            values,
            intervals,
            groups,
            inboxes,
            agents,
            queue_area_ms,
            wait_cdf,
            queue_episodes_ms,
        } = m;
        Self {
            values: values.iter().map(|(k, v)| (k.clone(), opt(*v))).collect(),
            intervals: intervals.iter().map(Interval::from).collect(),
            groups: groups.iter().map(Part::from).collect(),
            inboxes: inboxes.iter().map(Part::from).collect(),
            agents: agents.iter().map(Agent::from).collect(),
            queue_area_ms: F64(*queue_area_ms),
            wait_cdf: wait_cdf.iter().map(|&(x, y)| (F64(x), F64(y))).collect(),
            queue_episodes_ms: F64(*queue_episodes_ms),
        }
    }
}

impl From<Metrics> for RunMetrics {
    fn from(m: Metrics) -> Self {
        Self {
            values: m.values.into_iter().map(|(k, v)| (k, unopt(v))).collect(),
            intervals: m.intervals.into_iter().map(IntervalRow::from).collect(),
            groups: m.groups.into_iter().map(SliceRow::from).collect(),
            inboxes: m.inboxes.into_iter().map(SliceRow::from).collect(),
            agents: m.agents.into_iter().map(AgentRow::from).collect(),
            queue_area_ms: m.queue_area_ms.0,
            wait_cdf: m.wait_cdf.into_iter().map(|(x, y)| (x.0, y.0)).collect(),
            queue_episodes_ms: m.queue_episodes_ms.0,
        }
    }
}

impl From<&IntervalRow> for Interval {
    fn from(row: &IntervalRow) -> Self {
        let IntervalRow { start, chats, levels } = row;
        let Levels {
            queue,
            in_service,
            available,
            avail_load,
            avail_capacity,
            span_ms,
        } = levels;
        Self {
            start_ms: start.as_millis(),
            chats: Chats::from(chats),
            levels: [
                *queue,
                *in_service,
                *available,
                *avail_load,
                *avail_capacity,
                *span_ms,
            ]
            .map(F64),
        }
    }
}

impl From<Interval> for IntervalRow {
    fn from(row: Interval) -> Self {
        let [queue, in_service, available, avail_load, avail_capacity, span_ms] = row.levels.map(|x| x.0);
        Self {
            start: SimTime(row.start_ms),
            chats: row.chats.into(),
            levels: Levels {
                queue,
                in_service,
                available,
                avail_load,
                avail_capacity,
                span_ms,
            },
        }
    }
}

impl From<&Slice> for Chats {
    fn from(s: &Slice) -> Self {
        let Slice {
            arrivals,
            served,
            abandoned,
            wait_sum_ms,
            within,
            abandoned_before,
            censored,
        } = s;
        Self {
            arrivals: *arrivals,
            served: *served,
            abandoned: *abandoned,
            wait_sum_ms: F64(*wait_sum_ms),
            within: within.clone(),
            abandoned_before: abandoned_before.clone(),
            censored: censored.clone(),
        }
    }
}

impl From<Chats> for Slice {
    fn from(c: Chats) -> Self {
        Self {
            arrivals: c.arrivals,
            served: c.served,
            abandoned: c.abandoned,
            wait_sum_ms: c.wait_sum_ms.0,
            within: c.within,
            abandoned_before: c.abandoned_before,
            censored: c.censored,
        }
    }
}

impl From<&SliceRow> for Part {
    fn from(row: &SliceRow) -> Self {
        let SliceRow {
            chats,
            in_service_mean,
            agents_available_mean,
        } = row;
        Self {
            chats: chats.into(),
            in_service_mean: opt(*in_service_mean),
            agents_available_mean: opt(*agents_available_mean),
        }
    }
}

impl From<Part> for SliceRow {
    fn from(p: Part) -> Self {
        Self {
            chats: p.chats.into(),
            in_service_mean: unopt(p.in_service_mean),
            agents_available_mean: unopt(p.agents_available_mean),
        }
    }
}

impl From<&AgentRow> for Agent {
    fn from(a: &AgentRow) -> Self {
        let AgentRow {
            available_hours,
            auto_assignments,
            held_hours,
            at_capacity_share,
        } = a;
        Self {
            available_hours: F64(*available_hours),
            auto_assignments: *auto_assignments,
            held_hours: F64(*held_hours),
            at_capacity_share: opt(*at_capacity_share),
        }
    }
}

impl From<Agent> for AgentRow {
    fn from(a: Agent) -> Self {
        Self {
            available_hours: a.available_hours.0,
            auto_assignments: a.auto_assignments,
            held_hours: a.held_hours.0,
            at_capacity_share: unopt(a.at_capacity_share),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values whose shortest decimal is long, tiny, huge or not a number at all.
    const AWKWARD: [f64; 12] = [
        0.1 + 0.2,
        -0.0,
        1.0 / 3.0,
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
        -1.234_567_890_123_456_7e-300,
        1_152_921_504_606_851_072.0, // 2^60 + 4096
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        123_456.789_012_345_68,
    ];

    fn bits(m: &RunMetrics) -> String {
        // Debug shows every f64 exactly enough to tell two apart, NaN included.
        format!("{m:?}")
    }

    #[test]
    fn a_record_reads_back_bit_for_bit() {
        let mut values: Vec<(String, Option<f64>)> = AWKWARD
            .iter()
            .enumerate()
            .map(|(i, &x)| (format!("m{i}"), Some(x)))
            .collect();
        values.push(("undefined".to_owned(), None));
        let slice = Slice {
            arrivals: 7,
            served: 5,
            abandoned: 1,
            wait_sum_ms: 0.1 + 0.7,
            within: vec![3, 4],
            abandoned_before: vec![0, 1],
            censored: vec![1, 0],
        };
        let metrics = RunMetrics {
            values,
            intervals: vec![IntervalRow {
                start: SimTime(3_600_000),
                chats: slice.clone(),
                levels: Levels {
                    queue: 1.0 / 7.0,
                    in_service: 2.5,
                    available: 0.0,
                    avail_load: 1e-17,
                    avail_capacity: 3.0,
                    span_ms: 3.6e6,
                },
            }],
            groups: vec![SliceRow {
                chats: slice.clone(),
                in_service_mean: Some(0.3),
                agents_available_mean: None,
            }],
            inboxes: vec![SliceRow {
                chats: slice,
                in_service_mean: None,
                agents_available_mean: Some(f64::EPSILON),
            }],
            agents: vec![AgentRow {
                available_hours: 7.999_999_999_999_999,
                auto_assignments: 40,
                held_hours: 1.1,
                at_capacity_share: Some(2.0 / 3.0),
            }],
            queue_area_ms: 9.87654321e12,
            wait_cdf: vec![(0.0, 0.1), (5.0, 1.0 / 3.0)],
            queue_episodes_ms: -0.0,
        };
        let record = RunRecord {
            key: RunKey {
                scenario_hash: "00ff".to_owned(),
                seed: u64::MAX,
                cell: 3,
                replication: 17,
            },
            label: "cap 3, \"least-busy\"".to_owned(),
            metrics,
        };
        let text = record.to_json();
        let back = RunRecord::from_json(&text).unwrap();
        assert_eq!(back.key, record.key);
        assert_eq!(back.label, record.label);
        assert_eq!(bits(&back.metrics), bits(&record.metrics));
        for ((_, a), (_, b)) in back.metrics.values.iter().zip(&record.metrics.values) {
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{text}");
        }
        assert_eq!(back.to_json(), text, "writing it again gives the same bytes");
    }

    #[test]
    fn a_foreign_or_newer_record_is_refused() {
        assert!(
            RunRecord::from_json("{}")
                .unwrap_err()
                .contains("not a chatsim run record")
        );
        let text = RunRecord {
            key: RunKey {
                scenario_hash: "1".to_owned(),
                seed: 1,
                cell: 0,
                replication: 0,
            },
            label: String::new(),
            metrics: RunMetrics::from_values(Vec::new()),
        }
        .to_json()
        .replace("\"format\":1", "\"format\":99");
        assert!(RunRecord::from_json(&text).unwrap_err().contains("format 99"));
    }
}
