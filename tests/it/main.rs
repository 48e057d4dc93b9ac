//! The single integration-test binary.

mod cli;
mod engine_props;
mod engine_scripts;
mod scenarios;
mod tidy;
