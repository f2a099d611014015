//! From what a run trains on ([`TrainingData`]) to its priors, and the one entry point
//! that `train-pfn` and `eval-lc`'s fold models both call: [`train`].

use thaw_data::{CdfAugment, MixupConfig, Task, load_tasks};
use thaw_prior::{Augment, ContextSize, FtPfnPrior, HpCount, Mixture, Prior, TaskSetPrior};

use super::settings::TrainConfig;
use super::trainer::{RunPlace, TrainObserver, TrainOutcome, TrainRun};
use crate::checkpoint::{AugmentKind, PriorKind, TrainingData};
use crate::error::{PfnError, Result};

/// A prior that can be shared across the data-parallel threads.
pub type BoxedPrior = Box<dyn Prior + Sync>;

/// The augmentation of the real-curve prior.
pub fn augment(kind: AugmentKind) -> Augment {
    match kind {
        AugmentKind::Cdf => Augment::Cdf(CdfAugment::default()),
        AugmentKind::Mixup => Augment::Mixup(MixupConfig::default()),
        AugmentKind::None => Augment::None,
    }
}

/// The training prior of `data` and its validation prior (none without validation
/// tasks; FT-PFN validates on synthetic tasks from a seed stream training never uses).
/// With a synthetic share, the real-curve prior's steps draw that share of their
/// batches from the FT-PFN prior (with the real tasks' number of hyperparameters); its
/// validation stays on the real held-out tasks, never shuffled.
pub fn priors(data: &TrainingData) -> Result<(BoxedPrior, Option<BoxedPrior>)> {
    match data.prior {
        PriorKind::Ftpfn => {
            let p = FtPfnPrior::new(ContextSize::Uniform, HpCount::Uniform)?;
            Ok((Box::new(p.clone()), Some(Box::new(p))))
        }
        PriorKind::Taskset => {
            let file = data.data.as_ref().ok_or_else(|| {
                PfnError::InvalidTraining("the taskset prior needs a data file".into())
            })?;
            let mut only = data.train_tasks.clone();
            only.extend(data.val_tasks.iter().cloned());
            let tasks = load_tasks(file, Some(&only))?;
            let pick = |names: &[String]| -> Vec<_> {
                tasks
                    .iter()
                    .filter(|t| names.contains(&t.name))
                    .cloned()
                    .collect()
            };
            let train_tasks = pick(&data.train_tasks);
            let real: BoxedPrior = Box::new(
                TaskSetPrior::new(&train_tasks, augment(data.augment), ContextSize::Uniform)?
                    .with_hp_shuffle(data.hp_shuffle)?,
            );
            let real = with_extra(real, data, &train_tasks)?;
            let train: BoxedPrior = if data.synthetic_share > 0.0 {
                let n_hps = train_tasks.first().map_or(1, |t| t.curves.n_hps.max(1));
                let synthetic = FtPfnPrior::new(ContextSize::Uniform, HpCount::Fixed(n_hps))?;
                Box::new(Mixture::new(real, synthetic, data.synthetic_share)?)
            } else {
                real
            };
            let val = if data.val_tasks.is_empty() {
                None
            } else {
                let p =
                    TaskSetPrior::new(&pick(&data.val_tasks), Augment::None, ContextSize::Uniform)?;
                Some(Box::new(p) as BoxedPrior)
            };
            Ok((train, val))
        }
    }
}

/// Seed stream of the choice between the real and the extra tasks (the synthetic
/// mixture keeps the default stream, so runs without extra tasks are unchanged).
const EXTRA_STREAM: u64 = 0x4558_5452; // "EXTR"

/// `real` with `data.extra_share` of its steps drawn from the extra tasks (every task of
/// `data.extra_data`, same augmentation); `real` itself without extra data.
fn with_extra(real: BoxedPrior, data: &TrainingData, real_tasks: &[Task]) -> Result<BoxedPrior> {
    if data.extra_data.is_empty() || data.extra_share == 0.0 {
        return Ok(real);
    }
    let mut extra = Vec::new();
    for file in &data.extra_data {
        extra.extend(load_tasks(file, None)?);
    }
    let want = real_tasks.first().map(|t| t.curves.n_hps);
    let mut names = std::collections::HashSet::new();
    for t in &extra {
        if !names.insert(t.name.as_str()) {
            return Err(PfnError::InvalidTraining(format!(
                "extra task {} is in more than one extra file",
                t.name
            )));
        }
        if data.val_tasks.contains(&t.name) || real_tasks.iter().any(|r| r.name == t.name) {
            return Err(PfnError::InvalidTraining(format!(
                "extra task {} is also a real training or validation task",
                t.name
            )));
        }
        if want.is_some_and(|n| n != t.curves.n_hps) {
            return Err(PfnError::InvalidTraining(format!(
                "extra task {} has {} hyperparameters, the real tasks {}",
                t.name,
                t.curves.n_hps,
                want.unwrap_or(0)
            )));
        }
    }
    let extra = TaskSetPrior::new(&extra, augment(data.augment), ContextSize::Uniform)?
        .with_hp_shuffle(data.hp_shuffle)?;
    Ok(Box::new(Mixture::with_stream(
        real,
        extra,
        data.extra_share,
        EXTRA_STREAM,
    )?))
}

/// Trains a PFN with `config` on `data` into `place.out`.
pub fn train(
    config: TrainConfig,
    data: TrainingData,
    place: RunPlace,
    observer: &mut dyn TrainObserver,
) -> Result<TrainOutcome> {
    let (prior, val_prior) = priors(&data)?;
    TrainRun {
        config,
        prior: prior.as_ref(),
        val_prior: val_prior.as_deref(),
        data,
        place,
    }
    .run(observer)
}
