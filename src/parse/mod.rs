//! Parsing of every input kind.

pub mod deploy;
pub mod imports;
pub mod manifests;
pub mod python;
pub mod source;
