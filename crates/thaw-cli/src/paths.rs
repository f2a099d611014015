//! Where the project keeps data by default (relative to the working directory).

use std::path::PathBuf;

/// Raw published files, one folder per benchmark (`data/raw/taskset`, …).
pub fn raw_dir() -> PathBuf {
    PathBuf::from("data/raw")
}

/// Imported Parquet files, one per benchmark (`data/parquet/taskset.parquet`, …).
pub fn parquet_dir() -> PathBuf {
    PathBuf::from("data/parquet")
}
