//! The freeze-thaw HPO benchmark (reference §6): methods × tasks × seeds, normalised
//! regret and average rank over epochs, and their tables.
//!
//! - [`method`]: the optimisers (ifBO on any PFN checkpoint, DPL, DyHPO, GP-FT,
//!   HyperBand, ASHA, SHA, random search), built the same way for `ifbo` and `bench-hpo`;
//! - [`runner`]: parallel, resumable runs, one file each;
//! - [`metrics`]: regret and ranks;
//! - [`report`]: CSV and the Markdown summary beside the paper's values.

pub mod method;
pub mod metrics;
pub mod report;
pub mod runner;

pub use method::{DEFAULT_REFIT_GROWTH, HpoMethod, METHOD_NAMES, Refit};
pub use metrics::{RunCurve, mean_by_method, normalised_regret, ranks};
pub use report::{HpoSummary, summarise};
pub use runner::{HpoOutcome, HpoSettings, RunRecord, run_all, run_one};
