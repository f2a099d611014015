//! Errors of the PFN crate.

use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong building, training, saving, loading or querying a PFN.
#[derive(Debug, Error)]
pub enum PfnError {
    /// An architecture that cannot be built.
    #[error("invalid model configuration: {0}")]
    InvalidConfig(String),
    /// A training setting that cannot work.
    #[error("invalid training setting: {0}")]
    InvalidTraining(String),
    /// A prediction request with bad values.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A checkpoint directory that cannot be loaded.
    #[error("checkpoint {path}: {problem}")]
    Checkpoint {
        /// The offending file or directory.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Batch generation failed.
    #[error(transparent)]
    Prior(#[from] thaw_prior::PriorError),
    /// Data loading failed.
    #[error(transparent)]
    Data(#[from] thaw_data::DataError),
    /// A checkpoint would be used on a task it was trained on (the leave-tasks-out rule).
    #[error(
        "checkpoint {checkpoint} was trained on task {task}: not a held-out evaluation (pass --allow-train-tasks to do it anyway; the outputs then say so)"
    )]
    TrainedOnTask {
        /// The checkpoint directory.
        checkpoint: PathBuf,
        /// The task.
        task: String,
    },
    /// A new run was pointed at a directory that holds a checkpoint.
    #[error(
        "{dir} holds a checkpoint ({what}); continue it with --resume, or replace it with --force"
    )]
    CheckpointExists {
        /// The checkpoint directory.
        dir: PathBuf,
        /// What is there (its step, or the files found).
        what: String,
    },
    /// The backend is not compiled in or failed to start.
    #[error("device {0}")]
    Device(String),
}

/// Result with [`PfnError`].
pub type Result<T> = std::result::Result<T, PfnError>;

impl PfnError {
    /// A checkpoint error for `path`.
    pub fn checkpoint(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        PfnError::Checkpoint {
            path: path.into(),
            problem: problem.into(),
        }
    }
}
