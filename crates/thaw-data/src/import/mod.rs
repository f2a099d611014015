//! Importers: the published file formats → [`RawBenchmark`].

pub mod lcbench;
pub mod npy;
pub mod relaxed_json;
pub mod taskset;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{DataError, Result};
use crate::raw::{RawBenchmark, RawTask};

/// The benchmarks thaw can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benchmark {
    /// TaskSet per-task JSON files (`*.json`).
    TaskSet,
    /// LCBench per-dataset NumPy archives (`*.npz`).
    LcBench,
}

impl Benchmark {
    /// Every known benchmark.
    pub const ALL: [Benchmark; 2] = [Benchmark::TaskSet, Benchmark::LcBench];

    /// The lower-case name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::TaskSet => "taskset",
            Benchmark::LcBench => "lcbench",
        }
    }

    /// The extension of its source files.
    pub fn extension(self) -> &'static str {
        match self {
            Benchmark::TaskSet => "json",
            Benchmark::LcBench => "npz",
        }
    }

    fn read_task(self, path: &Path) -> Result<RawTask> {
        match self {
            Benchmark::TaskSet => taskset::read_task(path),
            Benchmark::LcBench => lcbench::read_task(path),
        }
    }
}

impl FromStr for Benchmark {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self> {
        Benchmark::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| DataError::UnknownBenchmark(s.to_string()))
    }
}

/// The source files of `benchmark` in `dir`, sorted by name.
pub fn source_files(benchmark: Benchmark, dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == benchmark.extension()) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(DataError::NoData {
            path: dir.into(),
            what: format!(
                "no *.{} files of benchmark {}",
                benchmark.extension(),
                benchmark.name()
            ),
        });
    }
    Ok(files)
}

/// Imports every task file of `benchmark` in `dir`.
pub fn import_dir(benchmark: Benchmark, dir: &Path) -> Result<RawBenchmark> {
    let files = source_files(benchmark, dir)?;
    let mut tasks = Vec::with_capacity(files.len());
    for file in &files {
        tasks.push(benchmark.read_task(file)?);
    }
    let meta = match benchmark {
        Benchmark::TaskSet => {
            let splits: Vec<String> = tasks[0].curves.keys().cloned().collect();
            if let Some((t, f)) = tasks
                .iter()
                .zip(&files)
                .find(|(t, _)| !t.curves.keys().eq(&splits))
            {
                return Err(DataError::malformed(
                    f,
                    format!(
                        "task {} has splits {:?}, the first task has {:?}",
                        t.name,
                        t.curves.keys(),
                        splits
                    ),
                ));
            }
            // valid first, then the others in the schema's order
            let ordered = crate::schema::SPLITS
                .iter()
                .filter(|s| splits.iter().any(|x| x == *s));
            taskset::meta(ordered.map(|s| s.to_string()).collect())
        }
        Benchmark::LcBench => lcbench::meta(),
    };
    Ok(RawBenchmark { meta, tasks })
}
