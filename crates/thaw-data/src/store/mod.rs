//! The one Parquet format of thaw: one row per (task, config), one file per
//! benchmark, one row group per task (see the README for the schema).

mod read;
mod write;

pub use read::{read_benchmark, read_meta};
pub use write::write_benchmark;

/// Column holding the task name.
pub const TASK_COLUMN: &str = "task";
/// Column holding the configuration id.
pub const CONFIG_COLUMN: &str = "config_id";
