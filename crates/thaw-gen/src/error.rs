//! The one error type of `thaw-gen`.

use std::path::PathBuf;

/// Everything that can go wrong while generating curves.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// Reading or writing a thaw Parquet file (or an atomic write) failed.
    #[error(transparent)]
    Data(#[from] thaw_data::DataError),
    /// A file of the output folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The output folder was made with other settings than this run's.
    #[error("{path}: made with other settings ({detail}); use a fresh --out")]
    OtherSettings {
        /// The manifest.
        path: PathBuf,
        /// Which setting differs.
        detail: String,
    },
    /// A setting is out of its range.
    #[error("{0}")]
    Invalid(String),
}

/// `Result` with [`GenError`].
pub type Result<T> = std::result::Result<T, GenError>;
