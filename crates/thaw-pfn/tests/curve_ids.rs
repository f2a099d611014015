//! The curve id is the only link between a query and its curve's context points in
//! this task: every curve is a constant y ~ U(0, 1), and query tokens carry fresh random
//! hyperparameters and late t, so nothing but the id tells which curve a query belongs
//! to. A model whose id path works (embedding → attention from a query to the context
//! tokens with its id) learns to copy the value; one without it stays at the marginal
//! (NLL ≈ 0 for a uniform y). This is the capability a freeze-thaw surrogate needs to
//! continue a curve it has seen.

use burn::module::Module;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use rand::rngs::StdRng;
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use thaw_pfn::PfnConfig;
use thaw_pfn::bar::loss::bar_cross_entropy;
use thaw_pfn::model::{Pfn, PfnInput};
use thaw_pfn::train::parallel::loss_and_grads;
use thaw_pfn::train::validation::ValSet;
use thaw_prior::{Batch, FEATURES, MAX_CURVE_ID};

const CONTEXT: usize = 40;
const QUERIES: usize = 20;
const CURVES: usize = 5;

/// `b` sequences; in each, `CURVES` constant curves with distinct random ids.
fn copy_task(rng: &mut StdRng, b: usize, zero_query_ids: bool) -> Batch {
    let len = CONTEXT + QUERIES;
    let (mut ids, mut x, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..b {
        let labels: Vec<i64> = index::sample(rng, MAX_CURVE_ID, CURVES)
            .into_iter()
            .map(|l| l as i64 + 1)
            .collect();
        let values: Vec<f32> = (0..CURVES).map(|_| rng.random()).collect();
        let hps: Vec<Vec<f32>> = (0..CURVES)
            .map(|_| (0..FEATURES - 1).map(|_| rng.random()).collect())
            .collect();
        for i in 0..len {
            let c = rng.random_range(0..CURVES);
            let query = i >= CONTEXT;
            ids.push(if query && zero_query_ids {
                0
            } else {
                labels[c]
            });
            let t: f32 = rng.random();
            x.push(if query { 0.5 + t / 2.0 } else { t / 2.0 });
            if query {
                x.extend((0..FEATURES - 1).map(|_| rng.random::<f32>()));
            } else {
                x.extend_from_slice(&hps[c]);
            }
            y.push(values[c]);
        }
    }
    Batch {
        batch: b,
        seq_len: len,
        n_ctx: CONTEXT,
        ids,
        x,
        y,
    }
}

/// Density NLL of the queries of `batch` (uniform = 0).
fn nll(model: &Pfn, batch: &Batch, n_bins: usize, device: &Device) -> f64 {
    let (input, bins) = PfnInput::from_batch(batch, n_bins, device);
    let ce: f32 = bar_cross_entropy(model.forward(input), bins).into_scalar();
    ce as f64 - (n_bins as f64).ln()
}

#[test]
fn a_tiny_model_learns_to_follow_curve_ids() {
    let cfg = PfnConfig::tiny();
    let device = Device::flex().autodiff();
    let mut model = Pfn::new(&cfg, 0, &device);
    let mut optim: ModuleOptimizer = AdamWConfig::new().with_weight_decay(0.0).init();
    let mut rng = StdRng::seed_from_u64(1);
    let with_ids = copy_task(&mut StdRng::seed_from_u64(99), 8, false);
    let without = copy_task(&mut StdRng::seed_from_u64(99), 8, true);
    let before = nll(&model, &with_ids, cfg.n_bins, &device);
    let mut trace = Vec::new();
    for step in 1..=500 {
        let batch = copy_task(&mut rng, 8, false);
        let (_, grads) = loss_and_grads(&model, &batch, cfg.n_bins, &device, 1);
        model = optim.step(3e-3, model.clone(), grads);
        if step % 100 == 0 {
            trace.push(format!(
                "{step}: {:.2}",
                nll(&model, &with_ids, cfg.n_bins, &device)
            ));
        }
    }
    let after = nll(&model, &with_ids, cfg.n_bins, &device);
    let blind = nll(&model, &without, cfg.n_bins, &device);
    eprintln!(
        "NLL untrained {before:.3}, trained {after:.3}, trained without ids {blind:.3}; by step: {}",
        trace.join(", ")
    );
    assert!(
        before.abs() < 0.2,
        "an untrained model is near uniform: {before}"
    );
    assert!(after < -1.0, "the id path was not learned: NLL {after}");
    assert!(
        blind > after + 1.0,
        "without ids the queries must lose their curves: {blind} vs {after}"
    );
    // train-pfn's validation reports the same contrast as its id gain (every query of
    // this task belongs to a curve with context points).
    let v = ValSet::new(&[with_ids], cfg.n_bins, &Device::flex()).evaluate(&model.valid());
    let gain = v.id_gain.expect("the batch has seen-curve queries");
    assert!((v.nll - after).abs() < 1e-4, "{} vs {after}", v.nll);
    assert!(
        (gain - (blind - after)).abs() < 1e-3,
        "{gain} vs {}",
        blind - after
    );
    let none = ValSet::new(&[without], cfg.n_bins, &Device::flex()).evaluate(&model.valid());
    assert_eq!(none.id_gain, None, "no query of a seen curve, no gain");
}
