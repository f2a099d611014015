//! Data-pipeline benchmarks (issue: import, Parquet load, CDF-augment throughput).
//!
//! Run with `cargo bench --bench data`. Needs the real data (THAW_DATA_DIR,
//! data/raw after scripts/fetch-data, or ../shared/data); without it only the
//! CDF benchmarks run, on synthetic curves.
//!
//! Targets: CDF-augment ≥ 50 M values/s on one core; loading the 8 TaskSet tasks
//! from Parquet ≤ 100 ms. `cdf/exact_statrs` is the per-value incomplete beta in
//! the same run, for the ratio (scipy's `betainc` is measured by
//! `scripts/bench-cdf-reference`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thaw_data::{
    Benchmark, BetaCdf, CdfAugment, CurveSet, beta_cdf, cdf_augment, import_dir, load_tasks,
};

#[path = "../tests/common/mod.rs"]
mod common;

fn data_dir() -> Option<PathBuf> {
    common::real_data_dir()
}

fn io_benches(c: &mut Criterion) {
    let Some(dir) = data_dir() else {
        eprintln!("no real data found: skipping import and load benchmarks");
        return;
    };
    let mut g = c.benchmark_group("taskset");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    let bytes: u64 = std::fs::read_dir(dir.join("taskset"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("import_json_8_tasks", |b| {
        b.iter(|| black_box(import_dir(Benchmark::TaskSet, &dir.join("taskset")).unwrap()))
    });
    let (_tmp, path) = common::taskset_parquet(&dir);
    g.throughput(Throughput::Elements(8));
    g.bench_function("load_parquet_8_tasks", |b| {
        b.iter(|| black_box(load_tasks(&path, None).unwrap()))
    });
    g.finish();
}

/// Curves of one real task (the first TaskSet task), or synthetic ones of the same size.
fn task_curves() -> CurveSet {
    if let Some(dir) = data_dir() {
        let (_tmp, path) = common::taskset_parquet(&dir);
        return load_tasks(&path, None).unwrap().swap_remove(0).curves;
    }
    let mut rng = StdRng::seed_from_u64(0);
    let y = (0..50_000).map(|_| rng.random::<f32>().powi(3)).collect();
    CurveSet {
        configs: 1000,
        epochs: 50,
        n_hps: 8,
        hps: vec![0.5; 8000],
        y,
    }
}

fn cdf_benches(c: &mut Criterion) {
    let curves = task_curves();
    let mut g = c.benchmark_group("cdf");
    g.sample_size(30).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(curves.y.len() as u64));
    let aug = CdfAugment::default();
    let mut rng = StdRng::seed_from_u64(1);
    // A fresh warp per task, table construction included: what training does.
    g.bench_function("augment_task_fresh_warp", |b| {
        b.iter(|| black_box(aug.apply(&curves, &mut rng).unwrap()))
    });
    let warp = BetaCdf::new(2.3, 3.1).unwrap();
    g.bench_function("augment_task_fixed_warp", |b| {
        b.iter(|| black_box(cdf_augment(&curves, &warp)))
    });
    g.bench_function("exact_statrs", |b| {
        b.iter(|| {
            black_box(
                curves
                    .y
                    .iter()
                    .map(|&y| beta_cdf(y as f64, 2.3, 3.1) as f32)
                    .collect::<Vec<_>>(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, io_benches, cdf_benches);
criterion_main!(benches);
