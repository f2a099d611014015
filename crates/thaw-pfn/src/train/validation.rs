//! Validation on fixed held-out batches: the NLL of every query, and the *id gain* —
//! how much worse the queries of curves with context points are predicted once their
//! curve ids are zeroed (as if the curve were new). A model that continues a curve from
//! its own points has a clearly positive gain; one that ignores ids has ≈ 0.

use burn::tensor::{Device, Int, Tensor, TensorData};
use thaw_prior::Batch;

use crate::bar::loss::bar_log_probs;
use crate::model::{Pfn, PfnInput};

/// One validation pass's results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Validation {
    /// Mean density NLL of every query target.
    pub nll: f64,
    /// NLL with query ids zeroed − NLL with them, over queries of curves with context
    /// points; `None` when the batches have no such query.
    pub id_gain: Option<f64>,
}

struct ValBatch {
    input: PfnInput,
    zeroed: PfnInput,
    bins: Tensor<2, Int>,
    /// 1 for queries whose curve has context points, `[b, m, 1]`.
    seen: Tensor<3>,
    n_seen: usize,
}

/// The held-out batches of a run, uploaded once.
pub struct ValSet {
    batches: Vec<ValBatch>,
    ln_bins: f64,
}

impl ValSet {
    /// Uploads `batches` for a model with `n_bins` output bins.
    pub fn new(batches: &[Batch], n_bins: usize, device: &Device) -> Self {
        let batches = batches
            .iter()
            .map(|b| {
                let (n, c) = (b.seq_len, b.n_ctx);
                let mut zeroed = b.clone();
                let mut seen = Vec::with_capacity(b.batch * (n - c));
                for s in 0..b.batch {
                    for id in &mut zeroed.ids[s * n + c..(s + 1) * n] {
                        seen.push(if *id != 0 { 1.0f32 } else { 0.0 });
                        *id = 0;
                    }
                }
                let n_seen = seen.iter().filter(|&&v| v > 0.0).count();
                let (input, bins) = PfnInput::from_batch(b, n_bins, device);
                ValBatch {
                    input,
                    zeroed: PfnInput::from_batch(&zeroed, n_bins, device).0,
                    bins,
                    seen: Tensor::from_data(TensorData::new(seen, [b.batch, n - c, 1]), device),
                    n_seen,
                }
            })
            .collect();
        Self {
            batches,
            ln_bins: (n_bins as f64).ln(),
        }
    }

    /// Scores `model` (validation-mode weights) on every batch.
    pub fn evaluate(&self, model: &Pfn) -> Validation {
        let (mut nll, mut gain, mut seen) = (0.0, 0.0, 0usize);
        for b in &self.batches {
            // The same operations as `bar_cross_entropy`, so the NLL is the training
            // loss's, and the log-probabilities serve the id gain too.
            let with_ids = bar_log_probs(model.forward(b.input.clone()), b.bins.clone());
            nll += with_ids.clone().mean().neg().into_scalar::<f32>() as f64;
            if b.n_seen == 0 {
                continue;
            }
            let without = bar_log_probs(model.forward(b.zeroed.clone()), b.bins.clone());
            let diff = ((with_ids - without) * b.seen.clone()).sum();
            gain += diff.into_scalar::<f32>() as f64;
            seen += b.n_seen;
        }
        Validation {
            nll: nll / self.batches.len() as f64 - self.ln_bins,
            id_gain: (seen > 0).then(|| gain / seen as f64),
        }
    }
}
