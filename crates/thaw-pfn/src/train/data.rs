//! From what a run trains on ([`TrainingData`]) to its priors, and the one entry point
//! that `train-pfn` and `eval-lc`'s fold models both call: [`train`].

use thaw_data::{CdfAugment, MixupConfig, load_tasks};
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
/// validation stays on the real held-out tasks.
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
            let real =
                TaskSetPrior::new(&train_tasks, augment(data.augment), ContextSize::Uniform)?;
            let train: BoxedPrior = if data.synthetic_share > 0.0 {
                let n_hps = train_tasks.first().map_or(1, |t| t.curves.n_hps.max(1));
                let synthetic = FtPfnPrior::new(ContextSize::Uniform, HpCount::Fixed(n_hps))?;
                Box::new(Mixture::new(real, synthetic, data.synthetic_share)?)
            } else {
                Box::new(real)
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
