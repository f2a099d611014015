//! `eval-lc --cross-validate`: the fold models (trained with the training library, or
//! reused from `--cv-dir` when a finished one with the same settings is there).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use burn::tensor::Device;
use thaw_bench::Method;
use thaw_pfn::checkpoint::{AugmentKind, CONFIG_FILE, PriorKind, TrainingData, read_config};
use thaw_pfn::train::TrainConfig;

use super::train_pfn::TrainJob;

/// What every fold model of one `eval-lc` run shares.
pub struct FoldPlan {
    pub(super) k: usize,
    pub(super) tasks: Vec<String>,
    pub(super) data: PathBuf,
    pub(super) config: TrainConfig,
    pub(super) synthetic_share: f64,
    pub(super) extra_data: Vec<PathBuf>,
    pub(super) extra_share: f64,
    pub(super) hp_shuffle: f64,
    pub(super) dir: PathBuf,
    pub(super) device: Device,
    pub(super) device_name: &'static str,
    pub(super) quiet: bool,
}

impl FoldPlan {
    /// The held-out and the training tasks of `fold`.
    fn split(&self, fold: usize) -> (Vec<String>, Vec<String>) {
        let (held, train): (Vec<_>, Vec<_>) = self
            .tasks
            .iter()
            .enumerate()
            .partition(|(i, _)| i % self.k == fold);
        let names = |v: Vec<(usize, &String)>| v.into_iter().map(|(_, t)| t.clone()).collect();
        (names(held), names(train))
    }
}

/// Row name of a cross-validated Adam-PFN.
fn cv_name(augment: AugmentKind) -> String {
    match augment {
        AugmentKind::Cdf => "Adam-PFN (CDF)".into(),
        AugmentKind::Mixup => "Adam-PFN (Mixup)".into(),
        AugmentKind::None => "Adam-PFN (No aug.)".into(),
    }
}

/// Trains (or reuses) the fold models; one method per augmentation.
pub fn train_folds(
    plan: &FoldPlan,
    augments: &[AugmentKind],
    out: &mut dyn Write,
) -> anyhow::Result<Vec<Method>> {
    let mut methods = Vec::new();
    for &aug in augments {
        let mut folds = Vec::new();
        for fold in 0..plan.k {
            let (held, train) = plan.split(fold);
            let dir = plan.dir.join(format!("{}-fold{fold}", aug.as_str()));
            let data = TrainingData {
                prior: PriorKind::Taskset,
                data: Some(plan.data.clone()),
                train_tasks: train,
                val_tasks: held,
                augment: aug,
                synthetic_share: plan.synthetic_share,
                extra_data: plan.extra_data.clone(),
                extra_share: plan.extra_share,
                hp_shuffle: plan.hp_shuffle,
            };
            train_fold(plan, data, &dir, out)
                .with_context(|| format!("fold model {}", dir.display()))?;
            folds.push(dir);
        }
        methods.push(Method::CrossValidated {
            name: cv_name(aug),
            folds,
        });
    }
    Ok(methods)
}

/// Trains one fold model unless a finished one with the same settings is in `dir`.
fn train_fold(
    plan: &FoldPlan,
    data: TrainingData,
    dir: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut config = plan.config.clone();
    let resume = dir.join(CONFIG_FILE).exists();
    if resume {
        let saved = read_config(dir)?;
        let (Some(t), Some(d)) = (&saved.training, &saved.data) else {
            bail!(
                "{} holds a checkpoint without a training record",
                dir.display()
            );
        };
        if !same_fold(t, d, &config, &data) {
            bail!(
                "{} holds a model trained with other settings; remove it or pick another --cv-dir",
                dir.display()
            );
        }
        if saved.step >= config.steps {
            writeln!(
                out,
                "reusing {} ({} steps, validation NLL {:?})",
                dir.display(),
                saved.step,
                saved.metrics.val_nll
            )?;
            return Ok(());
        }
        // Continue exactly as it was started (e.g. with another --cv-data-parallel).
        config = t.clone();
    }
    writeln!(
        out,
        "training {} on {} task(s), holding out {}",
        dir.display(),
        data.train_tasks.len(),
        data.val_tasks.join(", ")
    )?;
    let job = TrainJob {
        out_dir: dir.to_path_buf(),
        resume,
        force: false,
        device: plan.device.clone(),
        device_name: plan.device_name,
        pause_at: None,
        quiet: plan.quiet,
    };
    job.run(config, data, out)?;
    Ok(())
}

/// Whether a saved fold model was trained as asked (data-parallel aside: it changes
/// only the float summation order).
fn same_fold(t: &TrainConfig, d: &TrainingData, want: &TrainConfig, data: &TrainingData) -> bool {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    sorted(&d.train_tasks) == sorted(&data.train_tasks)
        && d.augment == data.augment
        && d.synthetic_share == data.synthetic_share
        && d.extra_data == data.extra_data
        && d.extra_share == data.extra_share
        && d.hp_shuffle == data.hp_shuffle
        && t.steps == want.steps
        && t.seq_len == want.seq_len
        && t.seed == want.seed
        && (t.lr - want.lr).abs() < 1e-12
        && t.model == want.model
}
