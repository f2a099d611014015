//! Running the binaries on small generated data.

use std::path::Path;
use std::process::{Command, Output};

/// Runs binary `name` with `args` in `cwd`.
pub fn bin(name: &str, args: &[&str], cwd: &Path) -> Output {
    let exe = match name {
        "train-pfn" => env!("CARGO_BIN_EXE_train-pfn"),
        "eval-lc" => env!("CARGO_BIN_EXE_eval-lc"),
        "ifbo" => env!("CARGO_BIN_EXE_ifbo"),
        "bench-hpo" => env!("CARGO_BIN_EXE_bench-hpo"),
        _ => env!("CARGO_BIN_EXE_thaw"),
    };
    Command::new(exe)
        .args(args)
        .current_dir(cwd)
        // The data and checkpoints of the test's own folder, never the checkout's.
        .env("THAW_HOME", cwd)
        .output()
        .unwrap()
}

/// Its stdout and stderr together.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Three tasks of 16 configurations × 10 epochs (+ the initial point) as TaskSet JSON,
/// imported to data/parquet/taskset.parquet under `root`.
pub fn make_data(root: &Path) {
    let raw = root.join("data/raw/taskset");
    std::fs::create_dir_all(&raw).unwrap();
    for (t, name) in ["task_a", "task_b", "task_c"].iter().enumerate() {
        let rows: Vec<String> = (0..16)
            .map(|c| {
                let lr = 10f64.powf(-4.0 + 3.0 * c as f64 / 15.0);
                let rate = 0.05 + 0.02 * c as f64 + 0.03 * t as f64;
                let curve: Vec<String> = (0..=10).map(|e| format!("{:.5}", 1.0 * (-(rate * e as f64)).exp() + 0.1)).collect();
                format!(
                    "{{\"hp\": {{\"learning_rate\": {lr}, \"beta1\": 0.9, \"beta2\": 0.999, \"epsilon\": 1e-8, \"l1\": 1e-6, \"l2\": 1e-6, \"linear_decay\": 1e-6, \"exponential_decay\": 1e-5}}, \"valid\": {{\"loss\": [{}]}}}}",
                    curve.join(",")
                )
            })
            .collect();
        std::fs::write(
            raw.join(format!("{name}.json")),
            format!("[{}]", rows.join(",")),
        )
        .unwrap();
    }
    let o = bin("thaw", &["data", "import"], root);
    assert!(o.status.success(), "{}", text(&o));
}

/// `train-pfn` of a `tiny` PFN for 3 steps of 2 × 40 tokens into `out` under `root`,
/// with `extra` flags (tasks, augmentation, …).
pub fn train_tiny(root: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "--model",
        "tiny",
        "--steps",
        "3",
        "--batch",
        "2",
        "--seq-len",
        "40",
        "--out",
        out,
        "-q",
    ];
    args.extend(extra);
    bin("train-pfn", &args, root)
}

/// The generated data under `root` and a `tiny` PFN in `root/ck` trained on task_a and
/// task_b (task_c held out).
pub fn data_and_tiny_checkpoint(root: &Path) {
    make_data(root);
    let o = train_tiny(root, "ck", &["--val-tasks", "task_c"]);
    assert!(o.status.success(), "{}", text(&o));
}
