//! The project model built from parsed files.

pub mod facts;
pub mod holes;
pub mod project;
pub mod provenance;
pub mod reach;
pub mod roles;
pub mod routes;
pub mod settings;
pub mod symbols;
