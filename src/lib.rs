//! `audit`: a static production-readiness auditor for Django and Prisma codebases.

pub mod findings;
pub mod report;
pub mod rules;
pub mod score;
