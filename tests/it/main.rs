//! The single integration-test binary.

mod cli;
mod engine_scripts;
