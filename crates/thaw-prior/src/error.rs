//! Errors of batch generation.

use thiserror::Error;

/// What can go wrong when building training batches.
#[derive(Debug, Error)]
pub enum PriorError {
    /// A parameter is outside what the prior supports.
    #[error("invalid prior setting: {0}")]
    InvalidArgument(String),
    /// An augmentation failed (for example, tasks of different shapes in a Mixup).
    #[error("augmentation failed: {0}")]
    Augment(#[from] thaw_data::DataError),
}

/// Result with [`PriorError`].
pub type Result<T> = std::result::Result<T, PriorError>;
