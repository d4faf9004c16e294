//! The project model built from parsed files.

pub mod holes;
pub mod provenance;
pub mod reach;
pub mod roles;
pub mod routes;
pub mod settings;
pub mod symbols;
