//! The rows of the learning-curve table: which curve model, built how.

use std::path::{Path, PathBuf};

use thaw_hpo::CurveModel;
use thaw_hpo::models::{
    Dpl, DplSettings, Dyhpo, DyhpoSettings, GpFreezeThaw, GpFtSettings, PfnModel, UniformModel,
};
use thaw_pfn::Surrogate;
use thaw_pfn::checkpoint::read_config;

use crate::error::{BenchError, Result};

/// A method of the benchmark.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// One PFN checkpoint, scored on every task it was not trained on.
    Pfn {
        /// Row name.
        name: String,
        /// Checkpoint directory.
        dir: PathBuf,
    },
    /// Cross-validated PFNs: each task is scored by a fold model that did not train on it.
    CrossValidated {
        /// Row name.
        name: String,
        /// The fold checkpoints.
        folds: Vec<PathBuf>,
    },
    /// Deep power laws.
    Dpl(DplSettings),
    /// Deep-kernel GP.
    Dyhpo(DyhpoSettings),
    /// GP freeze-thaw.
    GpFt(GpFtSettings),
    /// Uniform density.
    Uniform,
}

impl Method {
    /// Row name in tables.
    pub fn name(&self) -> String {
        match self {
            Self::Pfn { name, .. } | Self::CrossValidated { name, .. } => name.clone(),
            Self::Dpl(_) => "DPL".into(),
            Self::Dyhpo(_) => "DyHPO".into(),
            Self::GpFt(_) => "GP-FT".into(),
            Self::Uniform => "Uniform".into(),
        }
    }

    /// The checkpoint that scores `task`, if this is a PFN method, and whether that
    /// checkpoint was trained on it. Errors when it was and `allow_train_tasks` is off,
    /// or when no fold held the task out.
    pub fn checkpoint_for(
        &self,
        task: &str,
        allow_train_tasks: bool,
    ) -> Result<Option<(PathBuf, bool)>> {
        let trained_on =
            |dir: &Path| -> Result<bool> { Ok(training_tasks(dir)?.iter().any(|t| t == task)) };
        match self {
            Self::Pfn { name, dir } => {
                let seen = trained_on(dir)?;
                if seen && !allow_train_tasks {
                    return Err(BenchError::TrainedOnTask {
                        method: name.clone(),
                        checkpoint: dir.display().to_string(),
                        task: task.into(),
                    });
                }
                Ok(Some((dir.clone(), seen)))
            }
            Self::CrossValidated { name, folds } => {
                for dir in folds {
                    if !trained_on(dir)? {
                        return Ok(Some((dir.clone(), false)));
                    }
                }
                Err(BenchError::InvalidArgument(format!(
                    "{name}: every fold checkpoint was trained on {task}"
                )))
            }
            _ => Ok(None),
        }
    }

    /// A fresh model for one draw; `seed` seeds the neural baselines, `checkpoint` is
    /// what [`Method::checkpoint_for`] chose.
    pub fn build(&self, seed: u64, checkpoint: Option<&Path>) -> Result<Box<dyn CurveModel>> {
        Ok(match self {
            Self::Pfn { name, .. } | Self::CrossValidated { name, .. } => {
                let dir = checkpoint.ok_or_else(|| {
                    BenchError::InvalidArgument(format!("{name}: no checkpoint chosen"))
                })?;
                Box::new(PfnModel::new(name.clone(), Surrogate::load(dir)?))
            }
            Self::Dpl(s) => Box::new(Dpl::new(DplSettings { seed, ..*s })),
            Self::Dyhpo(s) => Box::new(Dyhpo::new(DyhpoSettings { seed, ..*s })),
            Self::GpFt(s) => Box::new(GpFreezeThaw::new(*s)),
            Self::Uniform => Box::new(UniformModel),
        })
    }
}

/// The `train_tasks` a checkpoint's `config.json` records (none for FT-PFN).
pub fn training_tasks(dir: &Path) -> Result<Vec<String>> {
    let config = read_config(dir)?;
    Ok(config
        .data
        .get("train_tasks")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default())
}
