//! The FT-PFN prior: synthetic learning-curve tasks (reference §2), the prior the
//! released ifBO surrogate was trained on.
//!
//! Per batch: the number of hyperparameters d ~ U{1..10} (or fixed) and the context
//! size n ([`ContextSize`]). Per sequence: a fresh [`SyntheticTask`]; the number of
//! fidelity levels `n_levels = round(10^U(0, 3))`; `min(N, 1000)` candidate curves
//! with configurations ~ U[0,1]^d; the point layout of [`layout_slots`] over those
//! curves and levels (t = level / n_levels); y from each curve's [`SyntheticCurve`]
//! with fresh noise per point; ids by [`crate::assemble`]. Only curves that appear in
//! the sequence are evaluated (configurations are i.i.d., so this changes nothing but
//! the cost). A sequence longer than 1000 tokens raises n_levels to ⌈N/1000⌉ if needed
//! so that enough points exist.

pub mod curve;
pub mod mlp;
pub mod rank_table;
pub mod task;

use rand::{Rng, RngExt};
use rayon::prelude::*;

pub use curve::{BASIS_KINDS, Basis, BasisKind, SyntheticCurve};
pub use mlp::{OUTPUTS, RandomMlp};
pub use rank_table::{CONFIGS_PER_MLP, REFERENCE_MLPS, REFERENCE_SEED, RankTable};
pub use task::SyntheticTask;

use crate::Prior;
use crate::assemble::{assemble, curve_labels};
use crate::batch::{Batch, MAX_CURVE_ID, MAX_HPS, Sequence};
use crate::error::{PriorError, Result};
use crate::layout::{ContextSize, layout_slots};
use crate::seed::{fast_rng_for, rng_for};

/// How many hyperparameters the tasks of a batch have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HpCount {
    /// d ~ U{1..10} per batch (reference §2).
    Uniform,
    /// Always d.
    Fixed(usize),
}

/// The synthetic FT-PFN prior (see the module documentation).
#[derive(Debug, Clone)]
pub struct FtPfnPrior {
    context: ContextSize,
    hps: HpCount,
    table: &'static RankTable,
}

impl FtPfnPrior {
    /// A prior with the given context-size rule and hyperparameter count.
    pub fn new(context: ContextSize, hps: HpCount) -> Result<Self> {
        if let HpCount::Fixed(d) = hps
            && !(1..=MAX_HPS).contains(&d)
        {
            return Err(PriorError::InvalidArgument(format!(
                "{d} hyperparameters; the prior supports 1..={MAX_HPS}"
            )));
        }
        Ok(Self {
            context,
            hps,
            table: RankTable::reference(),
        })
    }

    /// One sequence over `d` hyperparameters (`seq_len` tokens, `n_ctx` of them context).
    pub fn sequence<R: Rng + ?Sized>(
        &self,
        d: usize,
        seq_len: usize,
        n_ctx: usize,
        rng: &mut R,
    ) -> Result<Sequence> {
        let curves = seq_len.clamp(1, MAX_CURVE_ID);
        let drawn = 10f64.powf(rng.random_range(0.0..3.0)).round() as usize;
        let levels = drawn.max(1).max(seq_len.div_ceil(curves));
        let layout = layout_slots(curves, levels, seq_len, n_ctx, rng)?;
        let task = SyntheticTask::sample(d, rng);

        // Evaluate only the curves that appear, in order of first appearance.
        let mut slot = vec![usize::MAX; curves];
        let mut shown = 0;
        for &c in &layout.curve {
            if slot[c] == usize::MAX {
                slot[c] = shown;
                shown += 1;
            }
        }
        let configs: Vec<f32> = (0..shown * d).map(|_| rng.random()).collect();
        let synthetic = task.curves(&configs, self.table, rng);
        let labels = curve_labels(&layout, curves, rng)?;
        let mut noise_rng = fast_rng_for(rng.next_u64(), &[]);
        assemble(
            &layout,
            &labels,
            levels,
            |c| &configs[slot[c] * d..(slot[c] + 1) * d],
            |c, level| synthetic[slot[c]].observe(level as f64 / levels as f64, &mut noise_rng),
        )
    }
}

impl Prior for FtPfnPrior {
    fn sample(&self, seed: u64, step: u64, batch: usize, seq_len: usize) -> Result<Batch> {
        let mut rng = rng_for(seed, &[step, 0]);
        let n_ctx = self.context.draw(seq_len, &mut rng)?;
        let d = match self.hps {
            HpCount::Uniform => rng.random_range(1..=MAX_HPS),
            HpCount::Fixed(d) => d,
        };
        let sequences: Result<Vec<Sequence>> = (0..batch as u64)
            .into_par_iter()
            .map(|i| {
                let mut rng = fast_rng_for(seed, &[step, i + 1]);
                self.sequence(d, seq_len, n_ctx, &mut rng)
            })
            .collect();
        Batch::stack(sequences?, n_ctx)
    }
}

/// Curves of one synthetic task for inspection: `n` configurations ~ U[0,1]^d, each
/// observed (with noise) at t = 1/length … 1. Returns the configurations (row-major
/// `[n × d]`) and the curves (row-major `[n × length]`).
pub fn sample_curves(n: usize, length: usize, d: usize, seed: u64) -> Result<(Vec<f32>, Vec<f32>)> {
    if !(1..=MAX_HPS).contains(&d) || n == 0 || length == 0 {
        return Err(PriorError::InvalidArgument(format!(
            "sample_curves needs n ≥ 1, length ≥ 1 and 1 ≤ d ≤ {MAX_HPS} (got {n}, {length}, {d})"
        )));
    }
    let mut rng = fast_rng_for(seed, &[]);
    let task = SyntheticTask::sample(d, &mut rng);
    let configs: Vec<f32> = (0..n * d).map(|_| rng.random()).collect();
    let curves = task.curves(&configs, RankTable::reference(), &mut rng);
    let y = curves
        .iter()
        .flat_map(|c| {
            (1..=length)
                .map(|t| c.observe(t as f64 / length as f64, &mut rng))
                .collect::<Vec<_>>()
        })
        .collect();
    Ok((configs, y))
}
