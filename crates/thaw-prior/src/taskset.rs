//! The TaskSet prior: training sequences cut from real learning curves.
//!
//! Per batch: one context size n ([`ContextSize`]) and, with Mixup, one fresh mix of all
//! tasks (reference §3: "a fresh mixup per training batch"). Per sequence: a task drawn
//! uniformly, with CDF-augment one fresh Beta-CDF warp shared by all its curves (ranking
//! preserved), up to [`MAX_CURVE_ID`] of its configurations, the point layout of
//! [`layout_slots`] and the id rule of [`crate::assemble`]. Optionally
//! ([`TaskSetPrior::with_hp_shuffle`]) a share of the sequences has its hyperparameters
//! permuted among its curves.

use rand::Rng;
use rand::RngExt;
use rand::seq::{SliceRandom, index};
use rayon::prelude::*;
use thaw_data::{BetaCdf, CdfAugment, CurveSet, MixupConfig, Task, mixup};

use crate::Prior;
use crate::assemble::{assemble, curve_labels};
use crate::batch::{Batch, MAX_CURVE_ID, MAX_HPS, Sequence};
use crate::error::{PriorError, Result};
use crate::layout::{ContextSize, layout_slots};
use crate::seed::rng_for;

/// Augmentation applied to the real tasks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Augment {
    /// The curves as they are.
    None,
    /// One Beta-CDF warp per sequence (reference §3).
    Cdf(CdfAugment),
    /// Task and configuration Mixup, fresh per batch (needs tasks of one shape).
    Mixup(MixupConfig),
}

impl Augment {
    /// Short name for logs and checkpoint configs: `none`, `cdf`, `mixup`.
    pub fn name(&self) -> &'static str {
        match self {
            Augment::None => "none",
            Augment::Cdf(_) => "cdf",
            Augment::Mixup(_) => "mixup",
        }
    }
}

/// Sequences from real tasks (see the module documentation).
#[derive(Debug, Clone)]
pub struct TaskSetPrior {
    tasks: Vec<CurveSet>,
    augment: Augment,
    context: ContextSize,
    hp_shuffle: f64,
}

/// Seed stream of the per-sequence hyperparameter shuffle (apart from the sequence's
/// own stream, so a prior without shuffling draws what it always drew).
const SHUFFLE_STREAM: u64 = 0x5348_5546; // "SHUF"

impl TaskSetPrior {
    /// A prior over `tasks`. Fails on an empty list, tasks with more than 10
    /// hyperparameters or no epochs, and Mixup over tasks of different shapes.
    pub fn new(tasks: &[Task], augment: Augment, context: ContextSize) -> Result<Self> {
        let Some(first) = tasks.first() else {
            return Err(PriorError::InvalidArgument("no tasks given".into()));
        };
        for t in tasks {
            let c = &t.curves;
            if c.n_hps > MAX_HPS {
                return Err(PriorError::InvalidArgument(format!(
                    "task {}: {} hyperparameters, at most {MAX_HPS}",
                    t.name, c.n_hps
                )));
            }
            if c.configs == 0 || c.epochs == 0 {
                return Err(PriorError::InvalidArgument(format!(
                    "task {} has no curves",
                    t.name
                )));
            }
            if matches!(augment, Augment::Mixup(_)) && !c.same_shape(&first.curves) {
                return Err(PriorError::InvalidArgument(format!(
                    "Mixup needs tasks of one shape; {} differs from {}",
                    t.name, first.name
                )));
            }
        }
        Ok(Self {
            tasks: tasks.iter().map(|t| t.curves.clone()).collect(),
            augment,
            context,
            hp_shuffle: 0.0,
        })
    }

    /// The prior with a share ∈ [0, 1] of its sequences' hyperparameters permuted among
    /// their curves: in such a sequence the hyperparameters say nothing about the curves,
    /// so only a curve's own points predict its continuation. Real tasks that share one
    /// pool of configurations otherwise let a model predict from hyperparameters alone.
    pub fn with_hp_shuffle(mut self, share: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&share) {
            return Err(PriorError::InvalidArgument(format!(
                "hyperparameter shuffle share {share} is not in [0, 1]"
            )));
        }
        self.hp_shuffle = share;
        Ok(self)
    }

    /// The longest sequence every task can fill (configs × epochs points, ids capped).
    pub fn max_seq_len(&self) -> usize {
        self.tasks
            .iter()
            .map(|c| c.configs.min(MAX_CURVE_ID) * c.epochs)
            .min()
            .unwrap_or(0)
    }

    /// The augmentation in use.
    pub fn augment(&self) -> Augment {
        self.augment
    }
}

impl Prior for TaskSetPrior {
    fn sample(&self, seed: u64, step: u64, batch: usize, seq_len: usize) -> Result<Batch> {
        if seq_len > self.max_seq_len() {
            return Err(PriorError::InvalidArgument(format!(
                "sequence length {seq_len} exceeds the {} points the smallest task offers",
                self.max_seq_len()
            )));
        }
        let mut rng = rng_for(seed, &[step, 0]);
        let n_ctx = self.context.draw(seq_len, &mut rng)?;
        let mixed;
        let tasks = match self.augment {
            Augment::Mixup(cfg) => {
                mixed = mixup(&self.tasks, cfg, &mut rng)?;
                &mixed
            }
            _ => &self.tasks,
        };
        let sequences: Result<Vec<Sequence>> = (0..batch as u64)
            .into_par_iter()
            .map(|i| {
                let mut rng = rng_for(seed, &[step, i + 1]);
                let task = &tasks[rng.random_range(0..tasks.len())];
                let warp = match self.augment {
                    Augment::Cdf(cdf) => Some(cdf.sample(&mut rng)?),
                    _ => None,
                };
                let shuffled = self.hp_shuffle > 0.0
                    && rng_for(seed, &[SHUFFLE_STREAM, step, i]).random::<f64>() < self.hp_shuffle;
                let shuffle = shuffled.then(|| rng_for(seed, &[SHUFFLE_STREAM, step, i, 1]));
                sequence(task, warp.as_ref(), seq_len, n_ctx, shuffle, &mut rng)
            })
            .collect();
        Batch::stack(sequences?, n_ctx)
    }
}

/// One sequence from `task` (optionally warped; with `shuffle`, a random stream, the
/// hyperparameters permuted among the sequence's curves).
fn sequence<R: Rng + ?Sized>(
    task: &CurveSet,
    warp: Option<&BetaCdf>,
    seq_len: usize,
    n_ctx: usize,
    shuffle: Option<impl Rng>,
    rng: &mut R,
) -> Result<Sequence> {
    let pool = index::sample(rng, task.configs, task.configs.min(MAX_CURVE_ID)).into_vec();
    let mut hp_of = pool.clone();
    if let Some(mut r) = shuffle {
        hp_of.shuffle(&mut r);
    }
    let layout = layout_slots(pool.len(), task.epochs, seq_len, n_ctx, rng)?;

    let labels = curve_labels(&layout, pool.len(), rng)?;
    assemble(
        &layout,
        &labels,
        task.epochs,
        |c| task.hp(hp_of[c]),
        |c, e| {
            let y = task.y_at(pool[c], e - 1);
            warp.map_or(y, |w| w.eval(y as f64) as f32)
        },
    )
}
