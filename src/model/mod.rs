//! The project model built from parsed files.

pub mod symbols;
