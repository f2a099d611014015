//! Methods: a curve model plus an optimiser and their settings, as one serialisable
//! value ([`MethodSpec`]) that `ifbo`, `bench-hpo` and (later) `thaw tune` build the
//! same way. A benchmark run is keyed by [`MethodSpec::key`], so runs made with other
//! settings are never mixed in.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use thaw_pfn::Surrogate;
use thaw_pfn::checkpoint::shipped;

use crate::error::{HpoError, Result};
use crate::models::{Dpl, DplSettings, Dyhpo, DyhpoSettings, GpFreezeThaw, GpFtSettings, PfnModel};
use crate::optimizer::Optimizer;
use crate::optimizers::bohb::{Bohb, BohbSettings};
use crate::optimizers::cmaes::{CmaEs, CmaEsSettings};
use crate::optimizers::gp_bo::{GpBo, GpBoSettings};
use crate::optimizers::grid::{Grid, GridSettings};
use crate::optimizers::pbt::{Pbt, PbtSettings};
use crate::optimizers::rl_hpo::{RlHpo, RlHpoSettings};
use crate::optimizers::tpe::{Tpe, TpeSettings};
use crate::optimizers::{Acquisition, Asha, ModelBased, RandomSearch, SuccessiveHalving};

/// η of the successive-halving methods (reference §6).
pub const ETA: usize = 3;
/// Smallest budget of a successive-halving rung, in epochs.
pub const MIN_EPOCHS: usize = 1;
/// Default refit schedule of DPL, DyHPO and GP-FT: refit once the observed points have
/// grown by 10 % since the last fit (54 fits in a 1000-epoch run instead of 999; see
/// [`ModelBased::with_refit_growth`]).
pub const DEFAULT_REFIT_GROWTH: f64 = 0.1;

/// The names [`MethodSpec::named`] accepts, in the benchmark's default order.
pub const METHOD_NAMES: [&str; 15] = [
    "adam-pfn-cv",
    "ft-pfn",
    "dpl",
    "dyhpo",
    "gp-ft",
    "hyperband",
    "asha",
    "sha",
    "bohb",
    "tpe",
    "gp-bo",
    "cma-es",
    "grid",
    "rl-hpo",
    "random",
];

/// One HPO method with every setting that decides its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum MethodSpec {
    /// ifBO: MFPI-random on a PFN checkpoint.
    Ifbo {
        /// Label of the checkpoint in names and tables (e.g. "Adam-PFN").
        label: String,
        /// Checkpoint directory.
        checkpoint: PathBuf,
    },
    /// ifBO with cross-validated checkpoints: each task runs with the fold model that did
    /// not train on it ([`MethodSpec::for_task`] picks it).
    IfboCv {
        /// Label of the fold set (e.g. "Adam-PFN CV").
        label: String,
        /// The fold checkpoint directories.
        folds: Vec<PathBuf>,
    },
    /// Deep power laws with EI at the last epoch.
    Dpl {
        /// The ensemble's settings (its seed is replaced by the run's).
        settings: DplSettings,
        /// Refit once the observed points grew by this fraction.
        refit_growth: f64,
    },
    /// DyHPO: deep-kernel GP with one-step EI.
    Dyhpo {
        /// The model's settings (its seed is replaced by the run's).
        settings: DyhpoSettings,
        /// Refit once the observed points grew by this fraction.
        refit_growth: f64,
    },
    /// GP freeze-thaw with one-step EI.
    GpFt {
        /// The hyperparameter fit's settings.
        settings: GpFtSettings,
        /// Refit once the observed points grew by this fraction.
        refit_growth: f64,
    },
    /// HyperBand.
    #[serde(rename = "hyperband")]
    HyperBand {
        /// Reduction factor η.
        eta: usize,
        /// Smallest rung, in epochs.
        min_epochs: usize,
    },
    /// Asynchronous successive halving.
    Asha {
        /// Reduction factor η.
        eta: usize,
        /// Smallest rung, in epochs.
        min_epochs: usize,
    },
    /// One successive-halving bracket started over and over.
    Sha {
        /// Reduction factor η.
        eta: usize,
        /// Smallest rung, in epochs.
        min_epochs: usize,
    },
    /// BOHB: HyperBand's brackets, started by a TPE-style density model.
    Bohb {
        /// Its settings.
        settings: BohbSettings,
    },
    /// TPE at full fidelity.
    Tpe {
        /// Its settings.
        settings: TpeSettings,
    },
    /// Bayesian optimisation with a GP and EI at full fidelity.
    GpBo {
        /// Its settings.
        settings: GpBoSettings,
    },
    /// CMA-ES with IPOP restarts at full fidelity.
    CmaEs {
        /// Its settings.
        settings: CmaEsSettings,
    },
    /// Grid search (coarse-to-fine by default) at full fidelity.
    Grid {
        /// Its settings.
        settings: GridSettings,
    },
    /// Model-based reinforcement learning (an LSTM agent trained on real and simulated
    /// evaluations) at full fidelity.
    RlHpo {
        /// Its settings.
        settings: RlHpoSettings,
    },
    /// Random search with full-budget evaluations.
    Random,
    /// Population-based training: needs a program that takes new hyperparameters on
    /// resume (`thaw tune` only).
    Pbt {
        /// Its settings.
        settings: PbtSettings,
    },
}

impl MethodSpec {
    /// A method from its command-line name: one of [`METHOD_NAMES`] (`adam-pfn` and
    /// `ft-pfn` are the shipped checkpoints under `checkpoints`, see
    /// [`shipped::resolve`]) or a PFN checkpoint directory.
    pub fn named(name: &str, checkpoints: &Path) -> Result<Self> {
        let refit_growth = DEFAULT_REFIT_GROWTH;
        let bandit = (ETA, MIN_EPOCHS);
        Ok(match name {
            "dpl" => Self::Dpl {
                settings: DplSettings::default(),
                refit_growth,
            },
            "dyhpo" => Self::Dyhpo {
                settings: DyhpoSettings::default(),
                refit_growth,
            },
            "gp-ft" => Self::GpFt {
                settings: GpFtSettings::default(),
                refit_growth,
            },
            "hyperband" => Self::HyperBand {
                eta: bandit.0,
                min_epochs: bandit.1,
            },
            "asha" => Self::Asha {
                eta: bandit.0,
                min_epochs: bandit.1,
            },
            "sha" => Self::Sha {
                eta: bandit.0,
                min_epochs: bandit.1,
            },
            "bohb" => Self::Bohb {
                settings: BohbSettings::default(),
            },
            "tpe" => Self::Tpe {
                settings: TpeSettings::default(),
            },
            "gp-bo" => Self::GpBo {
                settings: GpBoSettings::default(),
            },
            "cma-es" => Self::CmaEs {
                settings: CmaEsSettings::default(),
            },
            "grid" => Self::Grid {
                settings: GridSettings::default(),
            },
            "rl-hpo" => Self::RlHpo {
                settings: RlHpoSettings::default(),
            },
            "random" => Self::Random,
            "pbt" => Self::Pbt {
                settings: PbtSettings::default(),
            },
            // A method's name wins over a directory of that name; then shipped
            // fold sets and `cv:PREFIX`, shipped checkpoints, any checkpoint directory.
            other => match shipped::fold_set(other, checkpoints) {
                Some(set) => {
                    let (label, folds) = set.map_err(HpoError::InvalidInput)?;
                    Self::IfboCv { label, folds }
                }
                None => Self::checkpoint_named(other, checkpoints)?,
            },
        })
    }

    /// ifBO with a shipped checkpoint or a checkpoint directory.
    fn checkpoint_named(other: &str, checkpoints: &Path) -> Result<Self> {
        let (label, checkpoint) = shipped::resolve(other, checkpoints).ok_or_else(|| {
            HpoError::InvalidInput(format!(
                "unknown method {other:?}: choose from {}, pbt (thaw tune only) or give a checkpoint directory",
                METHOD_NAMES.join(", ")
            ))
        })?;
        Ok(Self::Ifbo { label, checkpoint })
    }

    /// The same method with baseline refits at `growth` (no effect on the others).
    pub fn with_refit_growth(mut self, growth: f64) -> Self {
        if let Self::Dpl { refit_growth, .. }
        | Self::Dyhpo { refit_growth, .. }
        | Self::GpFt { refit_growth, .. } = &mut self
        {
            *refit_growth = growth;
        }
        self
    }

    /// Name in tables and outputs ("ifBO (Adam-PFN)", "DPL", …).
    pub fn name(&self) -> String {
        match self {
            Self::Ifbo { label, .. } | Self::IfboCv { label, .. } => format!("ifBO ({label})"),
            Self::Dpl { .. } => "DPL".into(),
            Self::Dyhpo { .. } => "DyHPO".into(),
            Self::GpFt { .. } => "GP-FT".into(),
            Self::HyperBand { .. } => "HyperBand".into(),
            Self::Asha { .. } => "ASHA".into(),
            Self::Sha { .. } => "SHA".into(),
            Self::Bohb { .. } => "BOHB".into(),
            Self::Tpe { .. } => "TPE".into(),
            Self::GpBo { .. } => "GP-BO".into(),
            Self::CmaEs { .. } => "CMA-ES".into(),
            Self::Grid { .. } => "Grid search".into(),
            Self::RlHpo { .. } => "RL-HPO".into(),
            Self::Random => "Random search".into(),
            Self::Pbt { .. } => "PBT".into(),
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

    /// The serialised spec: equal keys, equal runs (given task, seed and budget).
    pub fn key(&self) -> String {
        serde_json::to_string(self).expect("a method spec serialises")
    }

    /// The PFN checkpoint, for ifBO.
    pub fn checkpoint(&self) -> Option<&Path> {
        match self {
            Self::Ifbo { checkpoint, .. } => Some(checkpoint),
            _ => None,
        }
    }

    /// The method that runs on `task`: for cross-validated ifBO the fold checkpoint that
    /// did not train on it (an error when every fold did), every other method itself.
    pub fn for_task(&self, task: &str) -> Result<Self> {
        let Self::IfboCv { label, folds } = self else {
            return Ok(self.clone());
        };
        for dir in folds {
            if !thaw_pfn::checkpoint::read_config(dir)?.trained_on(task) {
                return Ok(Self::Ifbo {
                    label: label.clone(),
                    checkpoint: dir.clone(),
                });
            }
        }
        Err(HpoError::InvalidInput(format!(
            "{}: every fold checkpoint trained on {task}",
            self.name()
        )))
    }

    /// Whether the method fits a curve model (ifBO, DPL, DyHPO, GP-FT) rather than
    /// following a fixed schedule.
    pub fn is_model_based(&self) -> bool {
        matches!(
            self,
            Self::Ifbo { .. }
                | Self::IfboCv { .. }
                | Self::Dpl { .. }
                | Self::Dyhpo { .. }
                | Self::GpFt { .. }
        )
    }

    /// Whether the method changes a configuration's hyperparameters during training
    /// (PBT), which only a real program can do: a tabular benchmark (`ifbo`,
    /// `bench-hpo`) holds one fixed curve per configuration.
    pub fn needs_program(&self) -> bool {
        matches!(self, Self::Pbt { .. })
    }

    /// Relative cost of one run, for scheduling the expensive runs first.
    pub fn cost_hint(&self) -> u32 {
        match self {
            Self::Dyhpo { .. } => 5,
            Self::Dpl { .. } => 4,
            Self::GpFt { .. } => 3,
            Self::Ifbo { .. } | Self::IfboCv { .. } => 2,
            _ => 1,
        }
    }

    /// A fresh optimiser seeded with `seed`, its curve model on `device`.
    pub fn build(&self, seed: u64, device: &Device) -> Result<Box<dyn Optimizer>> {
        let model_based = |model, acquisition, growth: f64| -> Box<dyn Optimizer> {
            Box::new(
                ModelBased::new(self.name(), model, acquisition, seed).with_refit_growth(growth),
            )
        };
        Ok(match self {
            Self::Ifbo { label, checkpoint } => {
                let pfn = Surrogate::load_on(checkpoint, device.clone())?;
                let model = Box::new(PfnModel::new(label.clone(), pfn));
                Box::new(ModelBased::new(
                    self.name(),
                    model,
                    Acquisition::MfpiRandom,
                    seed,
                ))
            }
            Self::IfboCv { .. } => {
                return Err(HpoError::InvalidInput(format!(
                    "{} picks its checkpoint per benchmark task (for_task); it does not run on a program",
                    self.name()
                )));
            }
            Self::Dpl {
                settings,
                refit_growth,
            } => {
                let model = Dpl::new(DplSettings { seed, ..*settings }, device);
                model_based(Box::new(model), Acquisition::EiAtMax, *refit_growth)
            }
            Self::Dyhpo {
                settings,
                refit_growth,
            } => {
                let model = Dyhpo::new(DyhpoSettings { seed, ..*settings }, device);
                model_based(Box::new(model), Acquisition::OneStepEi, *refit_growth)
            }
            Self::GpFt {
                settings,
                refit_growth,
            } => {
                let model = GpFreezeThaw::new(*settings, device);
                model_based(Box::new(model), Acquisition::OneStepEi, *refit_growth)
            }
            Self::HyperBand { eta, min_epochs } => {
                Box::new(SuccessiveHalving::hyperband(*eta, *min_epochs, seed))
            }
            Self::Asha { eta, min_epochs } => Box::new(Asha::new(*eta, *min_epochs, seed)),
            Self::Sha { eta, min_epochs } => {
                Box::new(SuccessiveHalving::sha(*eta, *min_epochs, seed))
            }
            Self::Bohb { settings } => Box::new(Bohb::new(*settings, seed)),
            Self::Tpe { settings } => Box::new(Tpe::new(*settings, seed)),
            Self::GpBo { settings } => Box::new(GpBo::new(*settings, seed)),
            Self::CmaEs { settings } => Box::new(CmaEs::new(*settings, seed)),
            Self::Grid { settings } => Box::new(Grid::new(*settings, seed)),
            Self::RlHpo { settings } => Box::new(RlHpo::new(*settings, seed)),
            Self::Random => Box::new(RandomSearch::new(seed)),
            Self::Pbt { settings } => Box::new(Pbt::new(settings.clone(), seed)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_slug_and_key() {
        // The checkout's checkpoints: adam-pfn-cv lists its shipped fold models.
        let ck = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../checkpoints");
        let m = MethodSpec::named("adam-pfn", ck).unwrap();
        assert_eq!(m.name(), "ifBO (Adam-PFN)");
        assert_eq!(m.slug(), "ifbo-adam-pfn");
        assert_eq!(m.checkpoint(), Some(ck.join("adam-pfn").as_path()));
        assert_eq!(
            MethodSpec::named("random", ck).unwrap().slug(),
            "random-search"
        );
        for n in METHOD_NAMES {
            let spec = MethodSpec::named(n, ck).unwrap();
            let back: MethodSpec = serde_json::from_str(&spec.key()).unwrap();
            assert_eq!(back, spec, "{n}");
        }
        let err = MethodSpec::named("smac", ck).unwrap_err().to_string();
        assert!(err.contains("smac") && err.contains("cma-es"), "{err}");
        assert_eq!(MethodSpec::named("cma-es", ck).unwrap().slug(), "cma-es");
        assert_eq!(MethodSpec::named("gp-bo", ck).unwrap().name(), "GP-BO");
    }

    #[test]
    fn every_method_starts_the_configuration_marked_first() {
        use crate::history::History;
        use rand::{RngExt, SeedableRng};
        let ck = &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../checkpoints");
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let configs: Vec<Vec<f32>> = (0..24)
            .map(|_| (0..3).map(|_| rng.random::<f32>()).collect())
            .collect();
        let names = METHOD_NAMES.iter().filter(|n| **n != "adam-pfn-cv");
        for name in names.chain(&["adam-pfn", "pbt"]) {
            for first in [0, 17] {
                let mut h = History::new(configs.clone(), 9).unwrap();
                h.set_first(first).unwrap();
                let mut opt = MethodSpec::named(name, ck)
                    .unwrap()
                    .build(5, &Device::default())
                    .unwrap();
                let a = opt.next(&h, 100).unwrap();
                assert_eq!(a.config, first, "{name}: the first decision");
            }
        }
    }

    #[test]
    fn refit_growth_changes_the_key_of_baselines_only() {
        let ck = Path::new("checkpoints");
        let dpl = MethodSpec::named("dpl", ck).unwrap();
        assert_ne!(dpl.key(), dpl.clone().with_refit_growth(0.0).key());
        let hb = MethodSpec::named("hyperband", ck).unwrap();
        assert_eq!(hb.key(), hb.clone().with_refit_growth(0.0).key());
        assert!(
            hb.key().contains("\"method\":\"hyperband\""),
            "{}",
            hb.key()
        );
    }

    #[test]
    fn cross_validated_ifbo_runs_each_task_with_the_fold_that_held_it_out() {
        use thaw_pfn::checkpoint::{CheckpointConfig, PriorKind, TrainingData, write_config};
        let tmp = tempfile::tempdir().unwrap();
        let tasks = ["a", "b", "c", "d"];
        // Fold i holds out tasks[i] and tasks[i + 2].
        for fold in 0..2 {
            let mut config = CheckpointConfig::untrained(thaw_pfn::PfnConfig::tiny());
            let mut data = TrainingData::ftpfn();
            data.prior = PriorKind::Taskset;
            data.train_tasks = tasks
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 != fold)
                .map(|(_, t)| t.to_string())
                .collect();
            config.data = Some(data);
            let dir = tmp.path().join(format!("cdf-fold{fold}"));
            std::fs::create_dir_all(&dir).unwrap();
            write_config(&dir, &config).unwrap();
        }
        let name = format!("cv:{}", tmp.path().join("cdf").display());
        let cv = MethodSpec::named(&name, Path::new("checkpoints")).unwrap();
        assert!(cv.name().starts_with("ifBO ("), "{}", cv.name());
        assert_eq!(cv.checkpoint(), None);
        for (i, task) in tasks.iter().enumerate() {
            let run = cv.for_task(task).unwrap();
            let fold = tmp.path().join(format!("cdf-fold{}", i % 2));
            assert_eq!(run.checkpoint(), Some(fold.as_path()), "{task}");
            assert_eq!(run.name(), cv.name());
        }
        // A task every fold trained on has no honest model: refused, never run.
        let mut config = thaw_pfn::checkpoint::read_config(&tmp.path().join("cdf-fold0")).unwrap();
        config.data.as_mut().unwrap().train_tasks = tasks.map(String::from).to_vec();
        write_config(&tmp.path().join("cdf-fold0"), &config).unwrap();
        write_config(&tmp.path().join("cdf-fold1"), &config).unwrap();
        let err = cv.for_task("a").unwrap_err().to_string();
        assert!(err.contains("every fold"), "{err}");
        assert!(cv.build(0, &Device::flex()).is_err());
        let missing = format!("cv:{}", tmp.path().join("mixup").display());
        let err = MethodSpec::named(&missing, Path::new("checkpoints"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no fold checkpoints"), "{err}");
    }
}
