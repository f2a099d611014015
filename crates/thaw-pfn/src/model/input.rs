//! Host data → model tensors: standardisation of t and y, and bins of targets.

use burn::tensor::{Device, Int, Tensor, TensorData};
use thaw_prior::{Batch, FEATURES};

use super::history::{HISTORY_FEATURES, history_features};

pub use super::history::standardise;

/// Ids and standardised features of a set of tokens, `[b, n]` and `[b, n, 11]`, and
/// their history features `[b, n, 3]` (see [`super::history`]; used by models with
/// `PfnConfig::history`).
#[derive(Debug, Clone)]
pub struct TokenTensors {
    /// Curve ids.
    pub ids: Tensor<2, Int>,
    /// Features with t standardised.
    pub x: Tensor<3>,
    /// History features.
    pub history: Tensor<3>,
}

impl TokenTensors {
    /// Uploads `ids` (`b·n`), raw features `x` (`b·n·11`, t in [0, 1]) and history
    /// features (`b·n·3`).
    pub fn new(
        ids: &[i64],
        x: &[f32],
        history: Vec<f32>,
        b: usize,
        n: usize,
        device: &Device,
    ) -> Self {
        let mut x = x.to_vec();
        for row in x.chunks_exact_mut(FEATURES) {
            row[0] = standardise(row[0]);
        }
        Self {
            ids: Tensor::from_data(TensorData::new(ids.to_vec(), [b, n]), device),
            x: Tensor::from_data(TensorData::new(x, [b, n, FEATURES]), device),
            history: Tensor::from_data(TensorData::new(history, [b, n, HISTORY_FEATURES]), device),
        }
    }
}

/// The history features of every token of `batch` (`b·n·3`), each sequence's context
/// being its first `n_ctx` tokens.
pub fn batch_history(batch: &Batch) -> Vec<f32> {
    let (n, c) = (batch.seq_len, batch.n_ctx);
    let mut out = Vec::with_capacity(batch.batch * n * HISTORY_FEATURES);
    for s in 0..batch.batch {
        let ids = &batch.ids[s * n..(s + 1) * n];
        let t: Vec<f32> = batch.x[s * n * FEATURES..(s + 1) * n * FEATURES]
            .chunks_exact(FEATURES)
            .map(|row| row[0])
            .collect();
        let y = &batch.y[s * n..s * n + c];
        out.extend(history_features(&ids[..c], &t[..c], y, ids, &t));
    }
    out
}

/// One forward pass's input: all tokens, the context's targets and the query targets' bins.
#[derive(Debug, Clone)]
pub struct PfnInput {
    /// Every token (context first).
    pub tokens: TokenTensors,
    /// Standardised targets of the context tokens, `[b, n_ctx]`.
    pub y_context: Tensor<2>,
    /// Number of context tokens.
    pub n_ctx: usize,
}

impl PfnInput {
    /// The model input for `batch`, and the bin index of every query target (`[b, m]`).
    pub fn from_batch(batch: &Batch, n_bins: usize, device: &Device) -> (Self, Tensor<2, Int>) {
        let (b, n, c) = (batch.batch, batch.seq_len, batch.n_ctx);
        let tokens = TokenTensors::new(&batch.ids, &batch.x, batch_history(batch), b, n, device);
        let mut y_ctx = Vec::with_capacity(b * c);
        let mut bins = Vec::with_capacity(b * (n - c));
        for row in batch.y.chunks_exact(n) {
            y_ctx.extend(row[..c].iter().map(|&y| standardise(y)));
            bins.extend(row[c..].iter().map(|&y| bin_of(y, n_bins)));
        }
        let input = Self {
            tokens,
            y_context: Tensor::from_data(TensorData::new(y_ctx, [b, c]), device),
            n_ctx: c,
        };
        (
            input,
            Tensor::from_data(TensorData::new(bins, [b, n - c]), device),
        )
    }
}

/// The bin of `y` among `n_bins` equal bins on [0, 1] (y = 1 falls in the last bin).
pub fn bin_of(y: f32, n_bins: usize) -> i64 {
    ((y.clamp(0.0, 1.0) * n_bins as f32) as i64).min(n_bins as i64 - 1)
}
