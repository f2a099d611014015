//! `eval-lc` on the real shared curves: the shipped Adam-PFN is refused on the tasks it
//! trained on and scored on the two it held out; LCBench (out of distribution) works.

mod common;

use std::path::Path;

use common::cli::{bin, text};
use thaw_data::{Benchmark, import_dir, write_benchmark};

fn ll_of(csv: &str, method: &str) -> Vec<f64> {
    csv.lines()
        .filter(|l| l.starts_with(&format!("{method},")))
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn leave_tasks_out_on_taskset_and_lcbench_out_of_distribution() {
    let Some(dir) = common::real_data_dir() else {
        return;
    };
    let (guard, taskset) = common::taskset_parquet(&dir);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let adam = format!(
        "Adam-PFN={}",
        root.join("checkpoints/adam-pfn-small").display()
    );
    let ft = format!("FT-PFN={}", root.join("checkpoints/ft-pfn-small").display());
    let work = guard.path();
    let data = taskset.display().to_string();
    let common_args = [
        "--baselines",
        "uniform",
        "--contexts",
        "400",
        "--draws",
        "1",
        "-q",
    ];

    let mut args = vec!["--data", &data, "--checkpoint", &adam, "--out", "all"];
    args.extend(common_args);
    let o = bin("eval-lc", &args, work);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o)
            .contains("was trained on task FixedTextRNNClassification_imdb_patch128_LSTM128_bs64"),
        "{}",
        text(&o)
    );

    // The two tasks the shipped checkpoint held out (its config.json's val_tasks).
    let held = "FixedTextRNNClassification_imdb_patch32_GRU128_bs128,FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64";
    let mut args = vec![
        "--data",
        &data,
        "--tasks",
        held,
        "--checkpoint",
        &adam,
        "--checkpoint",
        &ft,
        "--out",
        "held",
    ];
    args.extend(common_args);
    let o = bin("eval-lc", &args, work);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(work.join("held/scores.csv")).unwrap();
    // Both PFNs beat the uniform density (LL 0) clearly on real held-out curves.
    for m in ["Adam-PFN", "FT-PFN"] {
        let ll = ll_of(&csv, m);
        assert_eq!(ll.len(), 2);
        assert!(ll.iter().all(|&v| v > 1.0), "{m}: {ll:?}");
    }

    // LCBench: 2000 SGD configurations × 52 epochs, 7 hyperparameters.
    let lcbench = work.join("lcbench.parquet");
    write_benchmark(
        &import_dir(Benchmark::LcBench, &dir.join("lcbench")).unwrap(),
        &lcbench,
    )
    .unwrap();
    let data = lcbench.display().to_string();
    let mut args = vec![
        "--data",
        &data,
        "--tasks",
        "APSFailure",
        "--checkpoint",
        &adam,
        "--checkpoint",
        &ft,
        "--out",
        "lcb",
    ];
    args.extend(common_args);
    let o = bin("eval-lc", &args, work);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(work.join("lcb/scores.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3, "{csv}");
    assert!(ll_of(&csv, "FT-PFN")[0].is_finite(), "{csv}");
}
