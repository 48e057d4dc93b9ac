//! The single integration-test binary.

mod cli;
mod determinism;
mod engine_props;
mod engine_scripts;
mod scenarios;
mod theory;
mod tidy;
