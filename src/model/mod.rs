//! The project model built from parsed files.

pub mod settings;
pub mod symbols;
