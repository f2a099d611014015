//! PFN benchmarks: training step, inference, and batch generation.
//!
//! Run with `cargo bench --bench pfn`, and in the same session
//! `scripts/bench-pfn-reference` (PyTorch, ../shared/bench/torch_pfn_ref.py) for the
//! same shapes; the README records the ratios. Targets (issue #3): training step no
//! slower than PyTorch (ratio ≤ 1.0); `predict` of 1000 queries with a 1000-token
//! context on `small` ≤ 50 ms; `paper` inference ≤ 0.5× PyTorch's `infer_s`; the
//! TaskSet prior must produce a batch much faster than a step consumes it.
//!
//! Shapes (id = group/name):
//! - train/small_b8_400+100: d 128, 3 layers, 4 heads, ff 256, batch 8, 400 context + 100 query tokens
//! - train/paper_b4_500+500: d 512, 6 layers, 4 heads, ff 1024, batch 4, 500 + 500
//! - …_dp2: the same step with the batch split over 2 threads (`--data-parallel 2`)
//! - infer/paper_500+500:    paper model, batch 1, 500 + 500 (one forward, as torch's infer_s)
//! - predict/small_1000x1000: Surrogate::predict, 1000-token context, 1000 queries
//! - prior/taskset_b8_500:   TaskSetPrior with CDF-augment, batch 8 × 500 tokens (needs real data)

use std::hint::black_box;
use std::time::Duration;

use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thaw_pfn::checkpoint::CheckpointConfig;
use thaw_pfn::model::{Pfn, PfnInput};
use thaw_pfn::surrogate::{Observation, Query};
use thaw_pfn::train::clip::clip_global_norm;
use thaw_pfn::train::parallel::loss_and_grads;
use thaw_pfn::{PfnConfig, Surrogate};
use thaw_prior::{Augment, Batch, ContextSize, FEATURES, Prior, TaskSetPrior};

#[path = "../tests/common/mod.rs"]
mod common;

/// A random batch: `b` sequences of `n + m` tokens with 8 hyperparameters.
fn random_batch(b: usize, n: usize, m: usize, seed: u64) -> Batch {
    let mut rng = StdRng::seed_from_u64(seed);
    let len = n + m;
    Batch {
        batch: b,
        seq_len: len,
        n_ctx: n,
        ids: (0..b * len).map(|_| rng.random_range(0..=1000)).collect(),
        x: (0..b * len * FEATURES)
            .map(|_| rng.random::<f32>())
            .collect(),
        y: (0..b * len).map(|_| rng.random::<f32>()).collect(),
    }
}

fn train_step(
    c: &mut Criterion,
    name: &str,
    cfg: PfnConfig,
    b: usize,
    n: usize,
    m: usize,
    threads: usize,
) {
    let device = Device::flex().autodiff();
    let mut model = Pfn::new(&cfg, 0, &device);
    let mut optim: ModuleOptimizer = AdamWConfig::new()
        .with_epsilon(1e-8)
        .with_weight_decay(0.0)
        .init();
    let batch = random_batch(b, n, m, 1);
    let mut g = c.benchmark_group("train");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function(name, |bench| {
        bench.iter(|| {
            let (loss, mut grads) = loss_and_grads(&model, &batch, cfg.n_bins, &device, threads);
            clip_global_norm(&model, &mut grads, 1.0);
            model = optim.step(1e-4, model.clone(), grads);
            black_box(loss)
        })
    });
    g.finish();
}

fn train_benches(c: &mut Criterion) {
    train_step(c, "small_b8_400+100", PfnConfig::small(), 8, 400, 100, 1);
    train_step(
        c,
        "small_b8_400+100_dp2",
        PfnConfig::small(),
        8,
        400,
        100,
        2,
    );
    train_step(c, "paper_b4_500+500", PfnConfig::paper(), 4, 500, 500, 1);
    train_step(
        c,
        "paper_b4_500+500_dp2",
        PfnConfig::paper(),
        4,
        500,
        500,
        2,
    );
}

fn infer_benches(c: &mut Criterion) {
    let device = Device::flex();
    let cfg = PfnConfig::paper();
    let model = Pfn::new(&cfg, 0, &device);
    let batch = random_batch(1, 500, 500, 2);
    let mut g = c.benchmark_group("infer");
    g.sample_size(10);
    g.bench_function("paper_500+500", |bench| {
        bench.iter(|| {
            let (input, _) = PfnInput::from_batch(&batch, cfg.n_bins, &device);
            black_box(model.forward(input).into_data())
        })
    });
    g.finish();

    let small = PfnConfig::small();
    let config = CheckpointConfig::untrained(small.clone());
    let s = Surrogate::from_model(Pfn::new(&small, 0, &device), config, device.clone());
    let mut rng = StdRng::seed_from_u64(3);
    let configs: Vec<Vec<f32>> = (0..1000)
        .map(|_| (0..8).map(|_| rng.random()).collect())
        .collect();
    // 1000 context points: 50 curves × 20 epochs; queries: 1000 configs at the last epoch.
    let context: Vec<Observation> = (0..1000)
        .map(|i| Observation {
            hps: configs[i % 50].clone(),
            t: (i / 50 + 1) as f32 / 50.0,
            y: rng.random(),
        })
        .collect();
    let queries: Vec<Query> = configs
        .iter()
        .map(|h| Query {
            hps: h.clone(),
            t: 1.0,
        })
        .collect();
    let mut g = c.benchmark_group("predict");
    g.sample_size(20);
    g.bench_function("small_1000x1000", |bench| {
        bench.iter(|| black_box(s.predict(&context, &queries).unwrap()))
    });
    g.finish();
}

fn prior_benches(c: &mut Criterion) {
    let Some(dir) = common::real_data_dir() else {
        eprintln!("no real data found: skipping the TaskSet prior benchmark");
        return;
    };
    let (_tmp, path) = common::taskset_parquet(&dir);
    let tasks = thaw_data::load_tasks(&path, None).unwrap();
    let prior = TaskSetPrior::new(
        &tasks,
        Augment::Cdf(Default::default()),
        ContextSize::Uniform,
    )
    .unwrap();
    let mut g = c.benchmark_group("prior");
    g.sample_size(30);
    let mut step = 0;
    g.bench_function("taskset_b8_500", |bench| {
        bench.iter(|| {
            step += 1;
            black_box(prior.sample(0, step, 8, 500).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, prior_benches, infer_benches, train_benches);
criterion_main!(benches);
