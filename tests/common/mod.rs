//! Finding the real shared data for end-to-end tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod cli;

/// The folder holding `taskset/` and `lcbench/`: `$THAW_DATA_DIR`, else
/// `data/raw` (after `scripts/fetch-data`), else `../shared/data` beside the checkout.
/// `None` (and a note on stderr) when none exists, unless `THAW_REQUIRE_DATA` is
/// set, in which case the test fails: CI sets it whenever the shared data exists.
pub fn real_data_dir() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("THAW_DATA_DIR").map(PathBuf::from),
        Some(root.join("data/raw")),
        Some(root.join("../shared/data")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("taskset").is_dir() && d.join("lcbench").is_dir());
    if found.is_none() {
        assert!(
            std::env::var_os("THAW_REQUIRE_DATA").is_none(),
            "THAW_REQUIRE_DATA is set but no real data was found (THAW_DATA_DIR, data/raw, ../shared/data)"
        );
        eprintln!("SKIPPED: no real data found (set THAW_DATA_DIR or run scripts/fetch-data)");
    }
    found
}

/// The real TaskSet tasks of `dir` (from [`real_data_dir`]) imported to a Parquet file in a
/// fresh temporary folder (kept alive by the returned guard).
pub fn taskset_parquet(dir: &std::path::Path) -> (tempfile::TempDir, PathBuf) {
    use thaw_data::{Benchmark, import_dir, write_benchmark};
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("taskset.parquet");
    write_benchmark(
        &import_dir(Benchmark::TaskSet, &dir.join("taskset")).unwrap(),
        &path,
    )
    .unwrap();
    (tmp, path)
}
