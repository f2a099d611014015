//! `bench-hpo` on the real shared curves with the shipped checkpoints: by default it
//! benchmarks exactly the TaskSet tasks the shipped Adam-PFN held out.

mod common;

use std::path::Path;

use common::cli::{bin, text};

#[test]
fn default_tasks_are_the_held_out_ones() {
    let Some(dir) = common::real_data_dir() else {
        return;
    };
    let (guard, taskset) = common::taskset_parquet(&dir);
    let checkpoints = Path::new(env!("CARGO_MANIFEST_DIR")).join("checkpoints");
    let (data, ck) = (
        taskset.display().to_string(),
        checkpoints.display().to_string(),
    );
    let o = bin(
        "bench-hpo",
        &[
            "--benchmark",
            &data,
            "--checkpoints",
            &ck,
            "--methods",
            "adam-pfn,ft-pfn,hyperband",
            "--seeds",
            "1",
            "--budget",
            "6",
            "--out",
            "b",
            "-q",
        ],
        guard.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("3 methods × 2 tasks × 1 seeds"),
        "{}",
        text(&o)
    );
    let runs = std::fs::read_to_string(guard.path().join("b/runs.csv")).unwrap();
    let mut tasks: Vec<&str> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    tasks.sort_unstable();
    tasks.dedup();
    assert_eq!(
        tasks,
        [
            "FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64",
            "FixedTextRNNClassification_imdb_patch32_GRU128_bs128"
        ]
    );
}
