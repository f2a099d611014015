//! `bench-hpo` on the real shared curves with the shipped checkpoints: by default it
//! benchmarks every TaskSet task that some fold model of Adam-PFN held out.

mod common;

use std::path::Path;

use common::cli::{bin, text};

#[test]
fn default_tasks_are_every_held_out_one() {
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
            "adam-pfn-cv,ft-pfn,hyperband",
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
    // Adam-PFN's fold models hold out every task between them: all 8 are benchmarked,
    // each run with the fold that never saw its task.
    assert!(
        text(&o).contains("3 methods × 8 tasks × 1 seeds"),
        "{}",
        text(&o)
    );
    let runs = guard.path().join("b/runs/ifbo-adam-pfn-cv");
    let mut seen = 0;
    for task in std::fs::read_dir(&runs).unwrap() {
        let task = task.unwrap();
        let r: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(task.path().join("seed-0.json")).unwrap(),
        )
        .unwrap();
        let spec: serde_json::Value = serde_json::from_str(r["spec"].as_str().unwrap()).unwrap();
        let fold = Path::new(spec["checkpoint"].as_str().unwrap()).join("config.json");
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&fold).unwrap()).unwrap();
        let trained: Vec<&str> = config["data"]["train_tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(!trained.contains(&r["task"].as_str().unwrap()), "{fold:?}");
        seen += 1;
    }
    assert_eq!(seen, 8);
    // The shipped Adam-PFN trained on all 8: a default benchmark with it is refused.
    let o = bin(
        "bench-hpo",
        &[
            "--benchmark",
            &data,
            "--checkpoints",
            &ck,
            "--methods",
            "adam-pfn",
            "--out",
            "c",
            "-q",
        ],
        guard.path(),
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("every task"), "{}", text(&o));
}
