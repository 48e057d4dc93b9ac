//! chatsim: a discrete-event simulator and strategy benchmark for chat auto-assignment.
//!
//! Crate map (dependency rule: `engine` ← `sim` ← `experiment` ← `cli`; `engine` imports
//! nothing else of ours):
//! - [`engine`]: the production assignment engine, a sans-IO state machine.
//! - [`sim`]: the discrete-event simulator; one replication of a scenario.
//! - [`metrics`]: what a run measured (docs/metrics.md) and statistics across runs.
//! - [`script`]: engine scripts — timed inputs as text in, the event log as text out.
//! - [`scenario`]: scenario files (TOML) validated into a `Scenario`, with located errors.
//! - [`workload`]: arrivals, handle times, patience and shifts from keyed random streams.
//! - [`experiment`]: a scenario's replications in parallel (rayon), deterministic.
//! - [`trace`]: one run's event log streamed as text, CSV or JSON lines; per-chat fate diffs.
//! - [`decision`]: conditions on metrics and the rules that recommend a configuration.
//! - [`check`]: `[[expect]]` expectations judged on intervals, for regression checks in CI.
//! - [`staff`]: capacity planning — the fewest agents meeting staffing targets, per interval.
//! - [`report`]: CSV files and the terminal summary; the atomic file writer.
//! - [`util`]: self-contained helpers (spelling suggestions, special functions).
//! - [`cli`]: the command line; the only module that touches files and the terminal.

#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod decision;
pub mod engine;
pub mod experiment;
pub mod metrics;
pub mod report;
pub mod scenario;
pub mod script;
pub mod sim;
pub mod staff;
pub mod trace;
pub mod util;
pub mod workload;
