//! # thaw-bench — reproduction benchmarks
//!
//! The learning-curve extrapolation benchmark of the Adam-PFN paper (reference §5):
//! [`sampler`] draws partial curves of an exact total size, [`lc::run`] scores every
//! [`Method`] (PFN checkpoints with leave-tasks-out, cross-validated PFNs, DPL, DyHPO,
//! GP freeze-thaw, uniform), [`report`] writes the Markdown table beside the paper's
//! numbers ([`paper`]) and the CSV of every score.
//!
//! The freeze-thaw HPO benchmark (reference §6) lives in [`hpo`]: parallel, resumable
//! runs of every optimiser, normalised regret and average rank, and their tables.
//!
//! [`peers`] runs the classic methods (TPE, CMA-ES, GP-BO, random search) on continuous
//! test functions and TaskSet tables and compares their final regret with a peer's.

#![warn(missing_docs)]

pub mod error;
pub mod hpo;
pub mod lc;
pub mod method;
pub mod paper;
pub mod peers;
pub mod report;
pub mod sampler;
pub mod score;

pub use error::{BenchError, Result};
pub use lc::{LcRecord, LcSettings};
pub use method::Method;
