//! `audit`: a static production-readiness auditor for Django and Prisma codebases.

pub mod app;
pub mod cli;
pub mod config;
pub mod discover;
pub mod findings;
pub mod locate;
pub mod memory;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod result;
pub mod rules;
pub mod score;
pub mod selftest;
pub mod suppress;

pub use memory::run_in_memory;
