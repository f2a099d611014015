//! Import → Parquet → load round trip on the real shared TaskSet and LCBench files,
//! checked against an independent reading of the sources.

mod common;

use serde_json::Value;
use thaw_data::{Benchmark, import_dir, load_tasks, read_benchmark, write_benchmark};

/// Reads a TaskSet file without thaw's importer: Python's bare NaN → null.
fn independent_taskset(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("NaN", "null");
    serde_json::from_str::<Vec<Value>>(&text).unwrap()
}

fn as_f32(v: &Value) -> f32 {
    v.as_f64().map(|x| x as f32).unwrap_or(f32::NAN)
}

fn same(a: f32, b: f32) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn taskset_round_trip_equals_the_source() {
    let Some(dir) = common::real_data_dir() else {
        return;
    };
    let (_tmp, path) = common::taskset_parquet(&dir);
    let bench = read_benchmark(&path, None).unwrap();
    assert_eq!(bench.tasks.len(), 8);
    assert_eq!(bench.meta.splits, ["valid", "train", "test"]);
    let tasks = load_tasks(&path, None).unwrap();
    for (raw, task) in bench.tasks.iter().zip(&tasks) {
        let src = independent_taskset(&dir.join("taskset").join(format!("{}.json", raw.name)));
        assert_eq!((raw.configs(), raw.points), (1000, 51), "{}", raw.name);
        let mut nan_curves = 0;
        for (row, obj) in src.iter().enumerate() {
            for (k, h) in bench.meta.hyperparameters.iter().enumerate() {
                assert_eq!(
                    raw.hps[row * 8 + k],
                    obj["hp"][&h.name].as_f64().unwrap(),
                    "{} row {row}",
                    raw.name
                );
            }
            for split in ["valid", "train", "test"] {
                let want: Vec<f32> = obj[split]["loss"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(as_f32)
                    .collect();
                let got = raw.curve(split, row).unwrap();
                assert!(
                    want.iter().zip(got).all(|(a, b)| same(*a, *b)),
                    "{} row {row} {split}",
                    raw.name
                );
            }
            nan_curves += usize::from(
                obj["valid"]["loss"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(Value::is_null),
            );
        }
        // normalisation on real data
        assert_eq!((task.curves.configs, task.curves.epochs), (1000, 50));
        assert!(
            task.curves.y.iter().all(|y| (0.0..=1.0).contains(y)),
            "{}",
            raw.name
        );
        assert!(task.curves.hps.iter().all(|x| (0.0..=1.0).contains(x)));
        assert_eq!(task.report.nonfinite_curves, nan_curves, "{}", raw.name);
        assert_eq!(
            task.report.clamped_hps, 0,
            "the declared bounds cover the sampled values"
        );
        for c in 0..1000 {
            let v = raw.curve("valid", c).unwrap();
            for e in 0..50 {
                if !v[e + 1].is_finite() {
                    assert_eq!(task.curves.y_at(c, e), 0.0, "NaN is the worst value");
                }
            }
        }
    }
    let total_nan: usize = tasks.iter().map(|t| t.report.nonfinite_curves).sum();
    assert!(
        total_nan > 0,
        "the shared TaskSet files are known to contain NaN curves"
    );
}

#[test]
fn lcbench_round_trip_has_the_published_shape_and_values() {
    let Some(dir) = common::real_data_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("lcbench.parquet");
    let imported = import_dir(Benchmark::LcBench, &dir.join("lcbench")).unwrap();
    write_benchmark(&imported, &path).unwrap();
    let bench = read_benchmark(&path, None).unwrap();
    assert_eq!(bench, imported, "Parquet round trip is lossless");
    assert_eq!(bench.tasks.len(), 30);
    for t in &bench.tasks {
        assert_eq!((t.configs(), t.points), (2000, 52), "{}", t.name);
    }
    // Spot values read from adult.npz with Python's zipfile + struct.
    let adult = bench.tasks.iter().find(|t| t.name == "adult").unwrap();
    let y0 = adult.curve("valid", 0).unwrap();
    assert_eq!(y0[0], 0.7217039465904236_f64 as f32);
    assert_eq!(y0[1], 0.6281891465187073_f64 as f32);
    assert_eq!(y0[51], 0.4156734347343445_f64 as f32);
    let batch_sizes: Vec<f64> = bench
        .tasks
        .iter()
        .flat_map(|t| (0..t.configs()).map(move |r| t.hp_row(r, 7)[0]))
        .collect();
    let min = batch_sizes.iter().copied().fold(f64::INFINITY, f64::min);
    let max = batch_sizes.iter().copied().fold(0.0, f64::max);
    assert_eq!((min, max), (16.0, 511.0));
    let only = ["car".to_string(), "adult".to_string()];
    let two = load_tasks(&path, Some(&only)).unwrap();
    assert_eq!(
        two.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["car", "adult"]
    );
    assert!(
        two.iter()
            .all(|t| t.curves.epochs == 51 && t.curves.y.iter().all(|y| (0.0..=1.0).contains(y)))
    );
    let e = load_tasks(&path, Some(&["nope".to_string()]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no task `nope`") && e.contains("adult"), "{e}");
}
