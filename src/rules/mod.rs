//! The rule engine: schema, loading and the matcher kinds.

pub mod rule;
