//! # thaw-prior — batches for PFN training
//!
//! Every prior produces the same [`Batch`] layout (see [`batch`]): tokens
//! `[curve id, t, hyperparameters padded to 10]`, targets y, and one context size
//! per batch. [`TaskSetPrior`] builds sequences from real learning curves
//! (with CDF-augment or Mixup); [`FtPfnPrior`] draws synthetic tasks (the ifBO prior).

#![warn(missing_docs)]

pub mod assemble;
pub mod batch;
pub mod error;
pub mod ftpfn;
pub mod layout;
pub mod mixture;
pub mod seed;
pub mod taskset;

pub use batch::{Batch, FEATURES, MAX_CURVE_ID, MAX_HPS, Sequence, encode_hps, encode_token};
pub use error::{PriorError, Result};
pub use ftpfn::{FtPfnPrior, HpCount, sample_curves};
pub use layout::{ContextSize, SlotLayout, layout_slots};
pub use mixture::Mixture;
pub use seed::{derive_seed, fast_rng_for, rng_for};
pub use taskset::{Augment, TaskSetPrior};

/// A source of training batches. Deterministic: the same RNG state gives the same batch.
pub trait Prior {
    /// Draws a batch of `batch` sequences of `seq_len` tokens for training step `step`
    /// (every random choice flows from `seed` and `step`, so a resumed run draws the
    /// same batches as an uninterrupted one).
    fn sample(&self, seed: u64, step: u64, batch: usize, seq_len: usize) -> Result<Batch>;
}

impl<P: Prior + ?Sized> Prior for Box<P> {
    fn sample(&self, seed: u64, step: u64, batch: usize, seq_len: usize) -> Result<Batch> {
        (**self).sample(seed, step, batch, seq_len)
    }
}
