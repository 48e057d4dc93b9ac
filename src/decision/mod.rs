//! Conditions on metrics and the rules that recommend a configuration. Pure functions of
//! numbers; no I/O.

pub mod condition;

pub use condition::{Condition, ConditionError, Op, Rhs, Verdict, parse};
