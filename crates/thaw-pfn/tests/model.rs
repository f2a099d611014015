//! The PFN attention pattern and the two forward paths.

mod common;

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use thaw_pfn::PfnConfig;
use thaw_pfn::model::input::standardise;
use thaw_pfn::model::{Pfn, PfnInput, TokenTensors};
use thaw_prior::{Batch, FEATURES, Prior};

/// Adds N(0, 0.1²) noise to every weight: a fresh model's zero-initialised
/// out-projections make every layer ignore attention, which would let the
/// attention-pattern tests pass for the wrong reason.
struct Noise;

impl ModuleMapper for Noise {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| {
            let noise = Tensor::random(t.shape(), Distribution::Normal(0.0, 0.1), &t.device());
            t + noise
        })
    }
}

fn model(cfg: &PfnConfig, seed: u64, device: &Device) -> Pfn {
    Pfn::new(cfg, seed, device).map(&mut Noise)
}

/// Query logits of `batch` (training path), flattened.
fn logits_of(model: &Pfn, batch: &Batch, n_bins: usize, device: &Device) -> Vec<f32> {
    let (input, _) = PfnInput::from_batch(batch, n_bins, device);
    model.forward(input).into_data().try_to_vec().unwrap()
}

#[test]
fn a_query_never_sees_another_query() {
    for history in [false, true] {
        a_query_never_sees_another_query_with(history);
    }
}

/// (With the history extension too: a query's own target never becomes anyone's
/// history, only context targets do.)
fn a_query_never_sees_another_query_with(history: bool) {
    let device = Device::flex();
    let cfg = PfnConfig {
        history,
        ..PfnConfig::tiny()
    };
    let model = model(&cfg, 1, &device);
    let batch = common::ToyPrior.sample(3, 0, 1, 40).unwrap();
    let base = logits_of(&model, &batch, cfg.n_bins, &device);

    // Change every feature, the id and the target of the last query token.
    let mut changed = batch.clone();
    let last = changed.seq_len - 1;
    for v in &mut changed.x[last * FEATURES..] {
        *v = 1.0 - *v;
    }
    changed.ids[last] = 0;
    changed.y[last] = 1.0 - changed.y[last];
    let after = logits_of(&model, &changed, cfg.n_bins, &device);

    let k = cfg.n_bins;
    let m = batch.n_query();
    assert_eq!(base.len(), m * k);
    // Every other query's output is bit-identical…
    assert_eq!(base[..(m - 1) * k], after[..(m - 1) * k]);
    // …and the changed query's is not (the test can fail).
    assert_ne!(base[(m - 1) * k..], after[(m - 1) * k..]);
}

#[test]
fn context_changes_reach_the_queries() {
    let device = Device::flex();
    let cfg = PfnConfig::tiny();
    let model = model(&cfg, 1, &device);
    let batch = common::ToyPrior.sample(3, 1, 1, 30).unwrap();
    let base = logits_of(&model, &batch, cfg.n_bins, &device);
    let mut changed = batch.clone();
    changed.y[0] = 1.0 - changed.y[0];
    assert_ne!(base, logits_of(&model, &changed, cfg.n_bins, &device));
}

#[test]
fn cached_context_path_matches_the_training_path() {
    let device = Device::flex();
    for history in [false, true] {
        let cfg = PfnConfig {
            history,
            ..PfnConfig::tiny()
        };
        let model = model(&cfg, 5, &device);
        let batch = common::ToyPrior.sample(9, 0, 1, 50).unwrap();
        let full = logits_of(&model, &batch, cfg.n_bins, &device);

        let n = batch.n_ctx;
        let h = thaw_pfn::model::batch_history(&batch);
        let (h_ctx, h_q) = h.split_at(n * 3);
        let ctx = TokenTensors::new(
            &batch.ids[..n],
            &batch.x[..n * FEATURES],
            h_ctx.to_vec(),
            1,
            n,
            &device,
        );
        let y: Vec<f32> = batch.y[..n].iter().map(|&v| standardise(v)).collect();
        let cache =
            model.encode_context(ctx, Tensor::from_data(TensorData::new(y, [1, n]), &device));
        let m = batch.seq_len - n;
        let q = TokenTensors::new(
            &batch.ids[n..],
            &batch.x[n * FEATURES..],
            h_q.to_vec(),
            1,
            m,
            &device,
        );
        let cached: Vec<f32> = model.predict(&cache, q).into_data().try_to_vec().unwrap();
        assert_eq!(full.len(), cached.len());
        let worst = full
            .iter()
            .zip(&cached)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "history {history}: paths differ by {worst}");
    }
}

#[test]
fn same_seed_same_weights_other_seed_other_weights() {
    let device = Device::flex();
    let cfg = PfnConfig::tiny();
    let batch = common::ToyPrior.sample(1, 0, 2, 20).unwrap();
    let run = |seed| logits_of(&Pfn::new(&cfg, seed, &device), &batch, cfg.n_bins, &device);
    assert_eq!(run(4), run(4));
    assert_ne!(run(4), run(5));
}
