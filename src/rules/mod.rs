//! The rule engine: schema, loading and the matcher kinds.

pub mod load;
pub mod pattern;
pub mod prefilter;
pub mod query;
pub mod rule;
