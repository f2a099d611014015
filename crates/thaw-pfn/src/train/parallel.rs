//! Loss and gradients of a batch, optionally split across threads.
//!
//! burn's CPU backend runs large matrix products on both cores but most other
//! operations on one, so a training step keeps a 2-core machine about half busy.
//! With `data_parallel = k > 1` the batch is cut into k micro-batches (whole sequences)
//! whose forward and backward passes run on k threads at once; their gradients are
//! averaged with weights proportional to their sequence counts, which gives the
//! gradient of the whole batch's mean loss (up to float summation order). Every thread
//! differentiates its own copy of the parameters (see `loss_and_grads`).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use thaw_prior::{Batch, FEATURES};

use crate::bar::loss::bar_cross_entropy;
use crate::model::{Pfn, PfnInput};

/// Mean cross-entropy of `batch` and its gradients for `model` (on an autodiff `device`).
pub fn loss_and_grads(
    model: &Pfn,
    batch: &Batch,
    n_bins: usize,
    device: &Device,
    parts: usize,
) -> (f64, GradientsParams) {
    let parts = parts.clamp(1, batch.batch);
    if parts == 1 {
        return one(model, batch, n_bins, device);
    }
    let micro = split(batch, parts);
    let results: Vec<(f64, GradientsParams, f32)> = std::thread::scope(|s| {
        let handles: Vec<_> = micro
            .iter()
            .map(|mb| {
                // Each thread gets parameters of its own (same values and ids, new
                // autodiff leaves): burn joins graphs that share a node, so with shared
                // leaves one thread's backward pass consumed the other's tape and it
                // panicked ("graph tape has already been consumed"), now and then.
                let device = device.clone();
                let model = model.clone().map(&mut OwnLeaves);
                s.spawn(move || {
                    let (loss, grads) = one(&model, mb, n_bins, &device);
                    (loss, grads, mb.batch as f32 / batch.batch as f32)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a training thread panicked"))
            .collect()
    });
    let loss = results.iter().map(|(l, _, w)| l * *w as f64).sum();
    let mut merge = Merge {
        parts: results.into_iter().map(|(_, g, w)| (g, w)).collect(),
        out: GradientsParams::new(),
    };
    model.visit(&mut merge);
    (loss, merge.out)
}

fn one(model: &Pfn, batch: &Batch, n_bins: usize, device: &Device) -> (f64, GradientsParams) {
    let (input, bins) = PfnInput::from_batch(batch, n_bins, device);
    let loss = bar_cross_entropy(model.forward(input), bins);
    let grads = loss.backward();
    let value = loss.into_scalar::<f32>() as f64;
    (value, GradientsParams::from_grads(grads, model))
}

/// `batch` cut into `parts` batches of whole sequences (sizes differ by at most one).
fn split(batch: &Batch, parts: usize) -> Vec<Batch> {
    let (n, f) = (batch.seq_len, batch.seq_len * FEATURES);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for p in 0..parts {
        let size = batch.batch / parts + usize::from(p < batch.batch % parts);
        let (a, b) = (start, start + size);
        out.push(Batch {
            batch: size,
            seq_len: n,
            n_ctx: batch.n_ctx,
            ids: batch.ids[a * n..b * n].to_vec(),
            x: batch.x[a * f..b * f].to_vec(),
            y: batch.y[a * n..b * n].to_vec(),
        });
        start = b;
    }
    out
}

/// Gives every trainable parameter a new autodiff leaf of the same value and id
/// (`detach` registers nothing in the original's graph, unlike `fork`'s device move,
/// whose nodes piled up on parameters that are reused without an optimiser step).
struct OwnLeaves;

impl ModuleMapper for OwnLeaves {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| {
            if t.is_require_grad() {
                t.detach().require_grad()
            } else {
                t
            }
        })
    }
}

/// Weighted sum of several gradient sets, parameter by parameter.
struct Merge {
    parts: Vec<(GradientsParams, f32)>,
    out: GradientsParams,
}

impl ModuleVisitor for Merge {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let mut sum: Option<Tensor<D>> = None;
        for (grads, w) in &mut self.parts {
            if let Some(g) = grads.remove::<D>(param.id) {
                let g = g.mul_scalar(*w);
                sum = Some(match sum {
                    Some(s) => s + g,
                    None => g,
                });
            }
        }
        if let Some(s) = sum {
            self.out.register(param.id, s);
        }
    }
}
