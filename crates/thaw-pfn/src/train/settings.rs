//! Training settings.

use serde::{Deserialize, Serialize};

use crate::config::PfnConfig;
use crate::error::{PfnError, Result};

/// Everything that decides a training run (besides the data), recorded in `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Architecture.
    pub model: PfnConfig,
    /// Optimiser steps.
    pub steps: u64,
    /// Sequences per batch.
    pub batch: usize,
    /// Tokens per sequence (context + queries).
    pub seq_len: usize,
    /// Peak learning rate (reference: 1e-4 for batch 25 × 1000 tokens).
    pub lr: f64,
    /// Fraction of steps of linear warm-up (reference: 0.25).
    pub warmup: f64,
    /// AdamW weight decay (reference: 0).
    pub weight_decay: f64,
    /// AdamW ε (PyTorch's 1e-8; burn's default is 1e-5).
    pub adam_eps: f64,
    /// Global gradient-norm clip (reference: 1.0).
    pub clip: f64,
    /// Seed of every random choice (initial weights, batches, validation set).
    pub seed: u64,
    /// Validate every this many steps (0: only at the end).
    pub val_every: u64,
    /// Number of fixed validation batches.
    pub val_batches: usize,
    /// Save a checkpoint every this many steps (0: only at the end).
    pub checkpoint_every: u64,
    /// Log a record every this many steps.
    pub log_every: u64,
    /// Threads that each take a share of every batch (see `train::parallel`); results
    /// depend on it only through float summation order.
    #[serde(default = "one")]
    pub data_parallel: usize,
}

fn one() -> usize {
    1
}

impl TrainConfig {
    /// Reference defaults for `model`, sized for a short run.
    pub fn new(model: PfnConfig) -> Self {
        Self {
            model,
            steps: 1000,
            batch: 8,
            seq_len: 500,
            lr: 1e-4,
            warmup: 0.25,
            weight_decay: 0.0,
            adam_eps: 1e-8,
            clip: 1.0,
            seed: 0,
            val_every: 100,
            val_batches: 4,
            checkpoint_every: 500,
            log_every: 10,
            data_parallel: 1,
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        let bad = |m: String| Err(PfnError::InvalidTraining(m));
        if self.steps == 0 || self.batch == 0 {
            return bad("steps and batch must be positive".into());
        }
        if self.seq_len < 2 {
            return bad(format!(
                "seq-len {} < 2: a sequence needs a context and a query",
                self.seq_len
            ));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(format!("learning rate {} must be positive", self.lr));
        }
        if !(0.0..=1.0).contains(&self.warmup) {
            return bad(format!("warm-up fraction {} not in [0, 1]", self.warmup));
        }
        if !(self.clip > 0.0) || self.weight_decay < 0.0 || !(self.adam_eps > 0.0) {
            return bad("clip and adam-eps must be positive, weight decay ≥ 0".into());
        }
        if self.data_parallel == 0 || self.data_parallel > self.batch {
            return bad(format!(
                "data-parallel {} must lie in 1..=batch ({})",
                self.data_parallel, self.batch
            ));
        }
        if self.log_every == 0 {
            return bad("log-every must be positive".into());
        }
        if self.val_batches == 0 {
            return bad("val-batches must be positive".into());
        }
        Ok(())
    }

    /// Checks that a step fits in the host's available memory (`MemAvailable`, Linux):
    /// for CPU training, before a new run starts (a resumed run was accepted already).
    pub fn check_memory(&self) -> Result<()> {
        let Some(available) = available_memory_bytes() else {
            return Ok(());
        };
        let need = self.step_memory_bytes();
        if need > available {
            return Err(PfnError::InvalidTraining(format!(
                "one step of batch {} × seq-len {} needs about {:.1} GB (activations, weights, gradients, optimiser state); {:.1} GB of memory is available — lower --seq-len or --batch",
                self.batch,
                self.seq_len,
                need as f64 / 1e9,
                available as f64 / 1e9
            )));
        }
        Ok(())
    }

    /// A rough upper estimate of the memory of training: per layer the attention scores
    /// and probabilities (heads × L² per sequence) and the token activations (≈ 12 d +
    /// 3 d_ff per token) one step keeps for its backward pass, plus weights, gradients
    /// and AdamW's two moments (16 bytes per parameter) and the validation batches; f32.
    /// Saturates instead of overflowing.
    pub fn step_memory_bytes(&self) -> u64 {
        let m = &self.model;
        let (b, l) = (self.batch as u64, self.seq_len as u64);
        let attention = (3 * m.n_heads as u64).saturating_mul(l.saturating_mul(l));
        let tokens = l.saturating_mul(12 * m.d_model as u64 + 3 * m.d_ff as u64);
        let per_layer = b.saturating_mul(attention.saturating_add(tokens));
        let head = b.saturating_mul(l).saturating_mul(3 * m.n_bins as u64);
        let params = (m.d_model as u64)
            .saturating_mul(m.d_ff as u64 + m.d_decoder as u64 + 4 * m.d_model as u64)
            .saturating_mul(m.n_layers as u64 + 1)
            .saturating_add((m.d_decoder as u64).saturating_mul(m.n_bins as u64));
        let validation = (self.val_batches as u64)
            .saturating_mul(b)
            .saturating_mul(l)
            .saturating_mul(16);
        (m.n_layers as u64)
            .saturating_mul(per_layer)
            .saturating_add(head)
            .saturating_add(params.saturating_mul(4))
            .saturating_add(validation)
            .saturating_mul(4)
    }
}

/// `MemAvailable` of `/proc/meminfo` (Linux); `None` where it cannot be read.
fn available_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}
