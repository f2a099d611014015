//! Errors of the benchmarks.

use thiserror::Error;

/// Everything that can go wrong in `thaw-bench`.
#[derive(Debug, Error)]
pub enum BenchError {
    /// Bad arguments (context larger than a task, unknown task, …).
    #[error("{0}")]
    InvalidArgument(String),
    /// A checkpoint would be scored on a task it was trained on.
    #[error(
        "{method}: checkpoint {checkpoint} was trained on task {task}; scoring it there is not a held-out evaluation (pass --allow-train-tasks to do it anyway; the table then says so)"
    )]
    TrainedOnTask {
        /// Method name.
        method: String,
        /// Checkpoint directory.
        checkpoint: String,
        /// The task.
        task: String,
    },
    /// A curve model failed.
    #[error("{method} on {task} (context {context}, draw {draw}): {source}")]
    Model {
        /// Method name.
        method: String,
        /// Task name.
        task: String,
        /// Context size.
        context: usize,
        /// Draw index.
        draw: usize,
        /// The model's error.
        source: thaw_hpo::HpoError,
    },
    /// An HPO run failed.
    #[error("{method} on {task} (seed {seed}): {source}")]
    Run {
        /// Method name.
        method: String,
        /// Task name.
        task: String,
        /// Seed.
        seed: u64,
        /// The optimiser's or objective's error.
        source: thaw_hpo::HpoError,
    },
    /// Writing a file failed.
    #[error(transparent)]
    Data(#[from] thaw_data::DataError),
    /// Loading a checkpoint failed.
    #[error(transparent)]
    Pfn(#[from] thaw_pfn::PfnError),
    /// Writing a report failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Result with [`BenchError`].
pub type Result<T> = std::result::Result<T, BenchError>;
