//! The methods of the HPO benchmark and of `ifbo`: which optimiser, built how.

use std::path::{Path, PathBuf};

use thaw_hpo::Optimizer;
use thaw_hpo::models::{
    Dpl, DplSettings, Dyhpo, DyhpoSettings, GpFreezeThaw, GpFtSettings, PfnModel,
};
use thaw_hpo::optimizers::{Acquisition, Asha, ModelBased, RandomSearch, SuccessiveHalving};
use thaw_pfn::Surrogate;

use crate::error::{BenchError, Result};

/// η of the successive-halving methods (reference §6).
pub const ETA: usize = 3;
/// Smallest budget of a successive-halving rung, in epochs.
pub const MIN_EPOCHS: usize = 1;

/// One optimiser of the benchmark.
#[derive(Debug, Clone, PartialEq)]
pub enum HpoMethod {
    /// ifBO: MFPI-random on a PFN checkpoint.
    Ifbo {
        /// Label of the checkpoint (e.g. "Adam-PFN").
        label: String,
        /// Checkpoint directory.
        dir: PathBuf,
    },
    /// Deep power laws with EI at the last epoch.
    Dpl(DplSettings, Refit),
    /// DyHPO: deep-kernel GP with one-step EI.
    Dyhpo(DyhpoSettings, Refit),
    /// GP freeze-thaw with one-step EI.
    GpFt(GpFtSettings, Refit),
    /// HyperBand (η = 3, min 1 epoch).
    HyperBand,
    /// Asynchronous successive halving (η = 3, min 1 epoch).
    Asha,
    /// One successive-halving bracket started over and over (η = 3, min 1 epoch).
    Sha,
    /// Random search with full-budget evaluations.
    Random,
}

/// When a baseline curve model is refitted: once the observed points have grown by this
/// fraction since the last fit (0 = every step, the papers' setting; see
/// `thaw_hpo::optimizers::ModelBased::with_refit_growth`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refit(pub f64);

/// The default [`Refit`] of `ifbo` and `bench-hpo`: 10 % growth, 54 fits in a
/// 1000-epoch run instead of 999 (README "Decisions").
pub const DEFAULT_REFIT_GROWTH: f64 = 0.1;

/// The names `parse` accepts, in the benchmark's default order.
pub const METHOD_NAMES: [&str; 9] = [
    "adam-pfn",
    "ft-pfn",
    "dpl",
    "dyhpo",
    "gp-ft",
    "hyperband",
    "asha",
    "sha",
    "random",
];

impl HpoMethod {
    /// A method from its command-line name: one of [`METHOD_NAMES`] or a PFN checkpoint
    /// directory (anything else containing a path separator or naming a directory).
    /// `adam-pfn` and `ft-pfn` are the shipped checkpoints under `checkpoints`.
    pub fn parse(name: &str, checkpoints: &Path) -> Result<Self> {
        Ok(match name {
            "adam-pfn" => Self::Ifbo {
                label: "Adam-PFN".into(),
                dir: checkpoints.join("adam-pfn-small"),
            },
            "ft-pfn" => Self::Ifbo {
                label: "FT-PFN".into(),
                dir: checkpoints.join("ft-pfn-small"),
            },
            "dpl" => Self::Dpl(DplSettings::default(), Refit(DEFAULT_REFIT_GROWTH)),
            "dyhpo" => Self::Dyhpo(DyhpoSettings::default(), Refit(DEFAULT_REFIT_GROWTH)),
            "gp-ft" => Self::GpFt(GpFtSettings::default(), Refit(DEFAULT_REFIT_GROWTH)),
            "hyperband" => Self::HyperBand,
            "asha" => Self::Asha,
            "sha" => Self::Sha,
            "random" => Self::Random,
            dir if Path::new(dir).is_dir() => Self::Ifbo {
                label: Path::new(dir)
                    .file_name()
                    .map_or(dir.to_string(), |n| n.to_string_lossy().into_owned()),
                dir: dir.into(),
            },
            other => {
                return Err(BenchError::InvalidArgument(format!(
                    "unknown method {other:?}: choose from {} or give a checkpoint directory",
                    METHOD_NAMES.join(", ")
                )));
            }
        })
    }

    /// The same method with baseline refits at `growth` (no effect on the others).
    pub fn with_refit_growth(self, growth: f64) -> Self {
        match self {
            Self::Dpl(s, _) => Self::Dpl(s, Refit(growth)),
            Self::Dyhpo(s, _) => Self::Dyhpo(s, Refit(growth)),
            Self::GpFt(s, _) => Self::GpFt(s, Refit(growth)),
            other => other,
        }
    }

    /// Name in tables and file names' source ("ifBO (Adam-PFN)", "DPL", …).
    pub fn name(&self) -> String {
        match self {
            Self::Ifbo { label, .. } => format!("ifBO ({label})"),
            Self::Dpl(..) => "DPL".into(),
            Self::Dyhpo(..) => "DyHPO".into(),
            Self::GpFt(..) => "GP-FT".into(),
            Self::HyperBand => "HyperBand".into(),
            Self::Asha => "ASHA".into(),
            Self::Sha => "SHA".into(),
            Self::Random => "Random search".into(),
        }
    }

    /// The name as a file-name component: lower case, letters, digits and dashes.
    pub fn slug(&self) -> String {
        let mut s = String::new();
        for ch in self.name().chars() {
            if ch.is_ascii_alphanumeric() {
                s.push(ch.to_ascii_lowercase());
            } else if !s.ends_with('-') {
                s.push('-');
            }
        }
        s.trim_matches('-').to_string()
    }

    /// The PFN checkpoint, for ifBO.
    pub fn checkpoint(&self) -> Option<&Path> {
        match self {
            Self::Ifbo { dir, .. } => Some(dir),
            _ => None,
        }
    }

    /// The tasks its checkpoint was trained on (none for the other methods).
    pub fn training_tasks(&self) -> Result<Vec<String>> {
        match self.checkpoint() {
            Some(dir) => crate::method::training_tasks(dir),
            None => Ok(Vec::new()),
        }
    }

    /// Relative cost of one run, for scheduling the expensive runs first.
    pub fn cost_hint(&self) -> u32 {
        match self {
            Self::Dyhpo(..) => 5,
            Self::Dpl(..) => 4,
            Self::GpFt(..) => 3,
            Self::Ifbo { .. } => 2,
            _ => 1,
        }
    }

    /// A fresh optimiser seeded with `seed`.
    pub fn build(&self, seed: u64) -> Result<Box<dyn Optimizer>> {
        Ok(match self {
            Self::Ifbo { label, dir } => {
                let pfn = Surrogate::load(dir)?;
                Box::new(ModelBased::new(
                    self.name(),
                    Box::new(PfnModel::new(label.clone(), pfn)),
                    Acquisition::MfpiRandom,
                    seed,
                ))
            }
            Self::Dpl(s, r) => Box::new(
                ModelBased::new(
                    self.name(),
                    Box::new(Dpl::new(DplSettings { seed, ..*s })),
                    Acquisition::EiAtMax,
                    seed,
                )
                .with_refit_growth(r.0),
            ),
            Self::Dyhpo(s, r) => Box::new(
                ModelBased::new(
                    self.name(),
                    Box::new(Dyhpo::new(DyhpoSettings { seed, ..*s })),
                    Acquisition::OneStepEi,
                    seed,
                )
                .with_refit_growth(r.0),
            ),
            Self::GpFt(s, r) => Box::new(
                ModelBased::new(
                    self.name(),
                    Box::new(GpFreezeThaw::new(*s)),
                    Acquisition::OneStepEi,
                    seed,
                )
                .with_refit_growth(r.0),
            ),
            Self::HyperBand => Box::new(SuccessiveHalving::hyperband(ETA, MIN_EPOCHS, seed)),
            Self::Asha => Box::new(Asha::new(ETA, MIN_EPOCHS, seed)),
            Self::Sha => Box::new(SuccessiveHalving::sha(ETA, MIN_EPOCHS, seed)),
            Self::Random => Box::new(RandomSearch::new(seed)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_slug() {
        let ck = Path::new("checkpoints");
        let m = HpoMethod::parse("adam-pfn", ck).unwrap();
        assert_eq!(m.name(), "ifBO (Adam-PFN)");
        assert_eq!(m.slug(), "ifbo-adam-pfn");
        assert_eq!(m.checkpoint(), Some(ck.join("adam-pfn-small").as_path()));
        assert_eq!(
            HpoMethod::parse("random", ck).unwrap().slug(),
            "random-search"
        );
        for n in METHOD_NAMES {
            assert!(HpoMethod::parse(n, ck).is_ok(), "{n}");
        }
        let err = HpoMethod::parse("tpe", ck).unwrap_err().to_string();
        assert!(err.contains("tpe") && err.contains("hyperband"), "{err}");
    }
}
