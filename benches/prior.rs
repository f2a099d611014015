//! FT-PFN prior throughput against what training consumes, in one run.
//!
//! Run with `cargo bench --bench prior`. Issue #4's target: the prior produces
//! batches at least 10× as fast as a `small` training step consumes them (all cores
//! for both: rayon for the prior, `--data-parallel 2` for training).
//!
//! - prior/ftpfn_b8_1000:        FtPfnPrior, batch 8 × 1000 tokens (d ~ U{1..10}, n ~ U{1..999})
//! - prior/ftpfn_b8_500:         the same at 500 tokens (the shipped FT-PFN's shape)
//! - consume/small_b8_1000_dp2:  one `small` training step on such a batch (forward,
//!   backward, clip, AdamW), batch split over 2 threads
//! - consume/small_b8_500_dp2:   the same at 500 tokens
//! - prior/rank_table:           building the reference rank table (once per process)
//!
//! Ratio = consume time / prior time (sequences per second: 8 / prior time).

use std::hint::black_box;
use std::time::Duration;

use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use criterion::{Criterion, criterion_group, criterion_main};
use thaw_pfn::PfnConfig;
use thaw_pfn::model::Pfn;
use thaw_pfn::train::clip::clip_global_norm;
use thaw_pfn::train::parallel::loss_and_grads;
use thaw_prior::ftpfn::{CONFIGS_PER_MLP, REFERENCE_MLPS, REFERENCE_SEED, RankTable};
use thaw_prior::{ContextSize, FtPfnPrior, HpCount, Prior};

fn prior_vs_training(c: &mut Criterion) {
    let prior = FtPfnPrior::new(ContextSize::Uniform, HpCount::Uniform).unwrap();
    for len in [1000, 500] {
        let mut g = c.benchmark_group("prior");
        g.sample_size(20).measurement_time(Duration::from_secs(10));
        let mut step = 0;
        g.bench_function(format!("ftpfn_b8_{len}"), |bench| {
            bench.iter(|| {
                step += 1;
                black_box(prior.sample(0, step, 8, len).unwrap())
            })
        });
        g.finish();

        let cfg = PfnConfig::small();
        let device = Device::flex().autodiff();
        let mut model = Pfn::new(&cfg, 0, &device);
        let mut optim: ModuleOptimizer = AdamWConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(0.0)
            .init();
        let batch = prior.sample(1, 0, 8, len).unwrap();
        let mut g = c.benchmark_group("consume");
        g.sample_size(10).measurement_time(Duration::from_secs(20));
        g.bench_function(format!("small_b8_{len}_dp2"), |bench| {
            bench.iter(|| {
                let (loss, mut grads) = loss_and_grads(&model, &batch, cfg.n_bins, &device, 2);
                clip_global_norm(&model, &mut grads, 1.0);
                model = optim.step(1e-4, model.clone(), grads);
                black_box(loss)
            })
        });
        g.finish();
    }
}

fn rank_table(c: &mut Criterion) {
    let mut g = c.benchmark_group("prior");
    g.sample_size(10);
    g.bench_function("rank_table", |bench| {
        bench.iter(|| {
            black_box(RankTable::generate(REFERENCE_MLPS, CONFIGS_PER_MLP, REFERENCE_SEED).len())
        })
    });
    g.finish();
}

criterion_group!(benches, prior_vs_training, rank_table);
criterion_main!(benches);
