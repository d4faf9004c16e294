//! Parsing of every input kind.

pub mod manifests;
pub mod python;
pub mod source;
