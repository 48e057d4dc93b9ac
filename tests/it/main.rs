//! The single integration-test binary.

mod bad_scenarios;
mod catalogue;
mod check;
mod cli;
mod decision;
mod determinism;
mod engine_props;
mod engine_ref;
mod engine_scripts;
mod fuzz_regressions;
mod init;
mod outdir;
mod planner;
mod regressions;
mod report;
mod scenarios;
mod settings_docs;
mod staff;
mod theory;
mod tidy;
mod trace;
mod validation;
mod workload;
