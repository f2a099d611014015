//! # thaw-data — learning curves as tables
//!
//! Real learning curves go through this crate on their way to a PFN:
//! - [`import`]: the published formats (TaskSet JSON with bare `NaN`, LCBench `.npz`)
//!   → [`RawBenchmark`];
//! - [`store`]: one Parquet schema for every benchmark (written atomically, read with
//!   checks on every column);
//! - [`normalise`]: raw losses → [`Task`] with y in [0, 1] (higher is better) and a
//!   [`CleaningReport`];
//! - [`augment`]: CDF-augment and Mixup, pure functions with an explicit RNG;
//! - [`beta_cdf`]: the regularised incomplete beta function, exact and tabulated.

#![warn(missing_docs)]

pub mod atomic;
pub mod augment;
pub mod beta_cdf;
pub mod csv_table;
pub mod error;
pub mod import;
pub mod normalise;
pub mod ranking;
pub mod raw;
pub mod schema;
pub mod stats;
pub mod store;
pub mod summary;
pub mod task;

use std::path::Path;

pub use augment::{BetaForm, CdfAugment, MixupConfig, MixupPlan, cdf_augment, mixup};
pub use beta_cdf::{BetaCdf, beta_cdf};
pub use csv_table::CsvTable;
pub use error::{DataError, Result};
pub use import::{Benchmark, import_dir};
pub use raw::{RawBenchmark, RawTask};
pub use schema::{BenchmarkMeta, HyperParameter, Scale};
pub use store::{read_benchmark, write_benchmark};
pub use summary::TaskSummary;
pub use task::{CleaningReport, CurveSet, Task};

/// Loads the tasks of a thaw Parquet file (all, or those named in `only`) and
/// normalises them.
pub fn load_tasks(path: &Path, only: Option<&[String]>) -> Result<Vec<Task>> {
    let bench = read_benchmark(path, only)?;
    let meta = bench.meta;
    bench
        .tasks
        .into_iter()
        .map(|t| normalise::normalise(&meta, t))
        .collect()
}
