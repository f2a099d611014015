//! Errors of the curve models and the optimisation loop.

use thiserror::Error;

/// Everything that can go wrong in `thaw-hpo`.
#[derive(Debug, Error)]
pub enum HpoError {
    /// The history or a query is malformed (wrong lengths, values outside [0, 1], …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A covariance matrix was not positive definite even with added jitter.
    #[error(
        "{model}: covariance matrix is not positive definite (n = {n}) even with jitter {jitter:e}"
    )]
    NotPositiveDefinite {
        /// The model that built the matrix.
        model: &'static str,
        /// Matrix size.
        n: usize,
        /// Largest jitter tried.
        jitter: f64,
    },
    /// Fitting produced non-finite parameters or predictions.
    #[error("{model}: fitting diverged ({detail})")]
    Diverged {
        /// The model.
        model: &'static str,
        /// What was non-finite.
        detail: String,
    },
    /// No configuration can be trained further: every one is finished or failed.
    #[error("every configuration is fully trained")]
    Exhausted,
    /// No configuration can be chosen until a running one comes back (a study with
    /// several workers waits and asks again).
    #[error("every open choice waits for a running trial")]
    Busy,
    /// The PFN surrogate failed.
    #[error(transparent)]
    Pfn(#[from] thaw_pfn::PfnError),
}

/// Result with [`HpoError`].
pub type Result<T> = std::result::Result<T, HpoError>;
