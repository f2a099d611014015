//! The rows of the learning-curve table: which curve model, built how.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use thaw_hpo::CurveModel;
use thaw_hpo::models::{
    Dpl, DplSettings, Dyhpo, DyhpoSettings, GpFreezeThaw, GpFtSettings, LastValue,
    NearestNeighbour, PfnModel, UniformModel,
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
    /// The last observed value, with a random-walk noise model fitted on the context.
    LastValue,
    /// The k nearest observed configurations in hyperparameter space.
    NearestNeighbour(usize),
    /// A PFN row ([`Method::Pfn`] or [`Method::CrossValidated`]) whose queries do not
    /// carry their curve ids: its started-configuration LL below the row's own is the
    /// row's id gain.
    IdsZeroed(Box<Method>),
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
            Self::LastValue => "Last value".into(),
            Self::NearestNeighbour(_) => "HP nearest neighbours".into(),
            Self::IdsZeroed(m) => Self::ids_zeroed_name(&m.name()),
        }
    }

    /// The name of the ids-zeroed row of the row called `name`.
    pub fn ids_zeroed_name(name: &str) -> String {
        format!("{name} (ids zeroed)")
    }

    /// Whether this is a PFN row (one checkpoint or cross-validated folds).
    pub fn is_pfn(&self) -> bool {
        matches!(self, Self::Pfn { .. } | Self::CrossValidated { .. })
    }

    /// The checkpoint that scores `task`, if this is a PFN method, and whether that
    /// checkpoint was trained on it. Errors when it was and `allow_train_tasks` is off,
    /// or when no fold held the task out.
    pub fn checkpoint_for(
        &self,
        task: &str,
        allow_train_tasks: bool,
    ) -> Result<Option<(PathBuf, bool)>> {
        match self {
            Self::Pfn { name, dir } => {
                let seen = read_config(dir)?
                    .check_held_out(dir, task, allow_train_tasks)
                    .map_err(|e| BenchError::in_method(name.clone(), e))?;
                Ok(Some((dir.clone(), seen)))
            }
            Self::CrossValidated { name, folds } => {
                for dir in folds {
                    if !read_config(dir)?.trained_on(task) {
                        return Ok(Some((dir.clone(), false)));
                    }
                }
                Err(BenchError::InvalidArgument(format!(
                    "{name}: every fold checkpoint was trained on {task}"
                )))
            }
            Self::IdsZeroed(m) => m.checkpoint_for(task, allow_train_tasks),
            _ => Ok(None),
        }
    }

    /// The PFN of a PFN row, loaded from the checkpoint [`Method::checkpoint_for`] chose.
    fn surrogate(&self, checkpoint: Option<&Path>, device: &Device) -> Result<Surrogate> {
        let dir = checkpoint.ok_or_else(|| {
            BenchError::InvalidArgument(format!("{}: no checkpoint chosen", self.name()))
        })?;
        Ok(Surrogate::load_on(dir, device.clone())?)
    }

    /// A fresh model for one draw on `device`; `seed` seeds the neural baselines,
    /// `checkpoint` is what [`Method::checkpoint_for`] chose.
    pub fn build(
        &self,
        seed: u64,
        checkpoint: Option<&Path>,
        device: &Device,
    ) -> Result<Box<dyn CurveModel>> {
        Ok(match self {
            Self::Pfn { .. } | Self::CrossValidated { .. } => Box::new(PfnModel::new(
                self.name(),
                self.surrogate(checkpoint, device)?,
            )),
            Self::IdsZeroed(m) => {
                let pfn = m.surrogate(checkpoint, device)?.without_query_ids();
                Box::new(PfnModel::new(self.name(), pfn))
            }
            Self::Dpl(s) => Box::new(Dpl::new(DplSettings { seed, ..*s }, device)),
            Self::Dyhpo(s) => Box::new(Dyhpo::new(DyhpoSettings { seed, ..*s }, device)),
            Self::GpFt(s) => Box::new(GpFreezeThaw::new(*s, device)),
            Self::Uniform => Box::new(UniformModel),
            Self::LastValue => Box::new(LastValue::new()),
            Self::NearestNeighbour(k) => Box::new(NearestNeighbour::new(*k)),
        })
    }
}
