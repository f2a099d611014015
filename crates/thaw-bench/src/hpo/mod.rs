//! The freeze-thaw HPO benchmark (reference §6): methods × tasks × seeds, normalised
//! regret and average rank over epochs, and their tables.
//!
//! The methods themselves are [`thaw_hpo::MethodSpec`]s, built the same way as `ifbo`
//! builds them.
//!
//! - [`runner`]: parallel, resumable runs, one file each;
//! - [`metrics`]: regret and ranks;
//! - [`report`]: CSV and the Markdown summary beside the paper's values.

pub mod metrics;
pub mod report;
pub mod runner;

pub use metrics::{RunCurve, mean_by_method, normalised_regret, ranks};
pub use report::{HpoSummary, summarise};
pub use runner::{HpoOutcome, HpoSettings, RunRecord, run_all, run_one};
