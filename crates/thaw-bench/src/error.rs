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
        source: Box<thaw_hpo::HpoError>,
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
        source: Box<thaw_hpo::HpoError>,
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

impl BenchError {
    /// A PFN error raised for `method`: the leave-tasks-out refusal keeps the method's
    /// name, other errors pass through.
    pub fn in_method(method: String, e: thaw_pfn::PfnError) -> Self {
        match e {
            thaw_pfn::PfnError::TrainedOnTask { checkpoint, task } => Self::TrainedOnTask {
                method,
                checkpoint: checkpoint.display().to_string(),
                task,
            },
            other => Self::Pfn(other),
        }
    }
}

/// Result with [`BenchError`].
pub type Result<T> = std::result::Result<T, BenchError>;
