//! The one error type of `thaw-data`: every variant names the file (and row and
//! field where there is one), so that a user can find the bad input.

use std::path::PathBuf;

/// Everything that can go wrong while importing, loading or augmenting curves.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not of the expected format (truncated, malformed, wrong container).
    #[error("{path}: {detail}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, with a position where one is known.
        detail: String,
    },
    /// One field of one row is missing or unusable.
    #[error("{path}: row {row}, field `{field}`: {problem}")]
    Field {
        /// The file.
        path: PathBuf,
        /// Zero-based row (configuration) index in the whole file (never the row
        /// within a Parquet record batch or row group).
        row: usize,
        /// The field (hyperparameter or column) name.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A column of a Parquet file is missing or has the wrong type.
    #[error("{path}: column `{column}`: {problem}")]
    Column {
        /// The file.
        path: PathBuf,
        /// The column name.
        column: String,
        /// What is wrong with it.
        problem: String,
    },
    /// There was nothing to read.
    #[error("{path}: {what}")]
    NoData {
        /// The file or directory.
        path: PathBuf,
        /// What was expected and not found.
        what: String,
    },
    /// The benchmark name is not one thaw knows how to import.
    #[error("unknown benchmark `{0}` (known: taskset, lcbench)")]
    UnknownBenchmark(String),
    /// A task could not be normalised (e.g. no finite starting loss).
    #[error("task `{task}`: {detail}")]
    Task {
        /// The task name.
        task: String,
        /// What is wrong.
        detail: String,
    },
    /// An argument is outside its domain (e.g. Beta parameters that are not positive).
    #[error("invalid {name}: {detail}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// Why it is invalid.
        detail: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl DataError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A malformed-file error on `path`.
    pub fn malformed(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.into(),
            detail: detail.into(),
        }
    }

    /// A bad field in row `row` of `path`.
    pub fn field(
        path: impl Into<PathBuf>,
        row: usize,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self::Field {
            path: path.into(),
            row,
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// A bad column of the Parquet file `path`.
    pub fn column(
        path: impl Into<PathBuf>,
        column: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self::Column {
            path: path.into(),
            column: column.into(),
            problem: problem.into(),
        }
    }
}
