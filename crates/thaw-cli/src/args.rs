//! Argument groups shared by several commands (flattened into each), so that a flag
//! means the same thing, with the same help, everywhere.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use thaw_pfn::device::DeviceKind;

/// `--device`: where models run.
#[derive(Debug, Clone, Args)]
pub struct DeviceArg {
    /// Device of the models: cpu (always built), wgpu or cuda (binaries built with those
    /// features, see README "Backends").
    #[arg(long, value_enum, default_value_t = DeviceKind::Cpu)]
    pub device: DeviceKind,
}

impl DeviceArg {
    /// The burn device, or an error saying why it is not available.
    pub fn select(&self) -> anyhow::Result<burn::tensor::Device> {
        Ok(thaw_pfn::device::select(self.device)?)
    }
}

/// A `--threads` value: 1 to 1024.
pub fn thread_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n @ 1..=1024) => Ok(n),
        Ok(n) => Err(format!("{n} threads: choose 1 to 1024")),
        Err(e) => Err(e.to_string()),
    }
}

/// `--refit-growth`: the refit schedule of the baseline curve models.
#[derive(Debug, Clone, Args)]
pub struct RefitArg {
    /// DPL, DyHPO and GP-FT retrain once the observed points have grown by this fraction
    /// since their last fit; 0 retrains at every step as in the papers (much slower).
    #[arg(long, default_value_t = thaw_hpo::method::DEFAULT_REFIT_GROWTH)]
    pub refit_growth: f64,
}

impl RefitArg {
    /// The growth, checked.
    pub fn growth(&self) -> anyhow::Result<f64> {
        if !(self.refit_growth >= 0.0 && self.refit_growth.is_finite()) {
            crate::usage!("--refit-growth must be a finite number ≥ 0");
        }
        Ok(self.refit_growth)
    }
}

/// `--checkpoints`: where the shipped checkpoints live.
#[derive(Debug, Clone, Args)]
pub struct CheckpointsArg {
    /// Directory of the shipped checkpoints that adam-pfn and ft-pfn name (default:
    /// under the thaw home, see README "Where thaw looks").
    #[arg(long, default_value_os_t = crate::paths::checkpoints_dir())]
    pub checkpoints: PathBuf,
}

/// `--allow-train-tasks`: the leave-tasks-out override.
#[derive(Debug, Clone, Args)]
pub struct AllowTrainTasksArg {
    /// Run a PFN on tasks its checkpoint was trained on (not a fair test; the outputs
    /// mark it).
    #[arg(long)]
    pub allow_train_tasks: bool,
}

/// `--quiet`: no progress bar.
#[derive(Debug, Clone, Args)]
pub struct QuietArg {
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `ifbo --method`: which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerName {
    /// Model-based freeze-thaw with the curve model of --surrogate.
    Ifbo,
    /// HyperBand (η = 3, min 1 epoch).
    Hyperband,
    /// Asynchronous successive halving.
    Asha,
    /// One successive-halving bracket, started over and over.
    Sha,
    /// BOHB: HyperBand brackets started by a TPE-style density model.
    Bohb,
    /// TPE (tree-structured Parzen estimators) at full fidelity.
    Tpe,
    /// Bayesian optimisation with a GP and expected improvement at full fidelity.
    GpBo,
    /// CMA-ES with IPOP restarts at full fidelity.
    CmaEs,
    /// Grid search, coarse to fine, at full fidelity.
    Grid,
    /// Model-based RL: an LSTM agent trained on real and GP-simulated evaluations, at
    /// full fidelity.
    RlHpo,
    /// Random search with full-budget evaluations.
    Random,
    /// Population-based training (`thaw tune` only: it changes a trial's hyperparameters
    /// on resume, which a tabular benchmark cannot).
    Pbt,
}

impl OptimizerName {
    /// The method this `--method` and `--surrogate` name (`--surrogate` only with
    /// `ifbo`, default `default_surrogate`), with the baselines' refit schedule.
    pub fn spec(
        self,
        surrogate: Option<&str>,
        default_surrogate: &str,
        refit: &RefitArg,
        checkpoints: &CheckpointsArg,
    ) -> anyhow::Result<thaw_hpo::MethodSpec> {
        let growth = refit.growth()?;
        // A method's command-line name is its clap value, the name `MethodSpec::named`
        // takes: one spelling (checked by `every_optimizer_name_is_a_method`).
        let value = self.to_possible_value().expect("no variant is skipped");
        let name = match (self, surrogate) {
            (Self::Ifbo, s) => s.unwrap_or(default_surrogate),
            (_, Some(s)) => crate::usage!("--surrogate {s} applies only to --method ifbo"),
            (_, None) => value.get_name(),
        };
        Ok(thaw_hpo::MethodSpec::named(name, &checkpoints.checkpoints)?.with_refit_growth(growth))
    }
}

/// `--model` / `--cv-model`: an architecture preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelPreset {
    /// d 32, 2 layers: for tests (a step in milliseconds).
    Tiny,
    /// d 128, 3 layers: trainable on 2 CPU cores within an hour.
    Small,
    /// d 512, 6 layers: the FT-PFN paper's shape (≈ 14.7 M parameters).
    Paper,
}

impl ModelPreset {
    /// The architecture.
    pub fn config(self) -> thaw_pfn::PfnConfig {
        match self {
            Self::Tiny => thaw_pfn::PfnConfig::tiny(),
            Self::Small => thaw_pfn::PfnConfig::small(),
            Self::Paper => thaw_pfn::PfnConfig::paper(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_optimizer_name_is_a_method() {
        let ck = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checkpoints");
        for o in OptimizerName::value_variants() {
            let name = o.to_possible_value().unwrap().get_name().to_string();
            if *o == OptimizerName::Ifbo {
                continue;
            }
            if let Err(e) = thaw_hpo::MethodSpec::named(&name, &ck) {
                panic!("--method {name} is no method: {e}");
            }
        }
        // Every optimiser `MethodSpec::named` knows (not a surrogate of ifBO) is a --method.
        let methods: Vec<String> = OptimizerName::value_variants()
            .iter()
            .map(|o| o.to_possible_value().unwrap().get_name().to_string())
            .collect();
        for name in thaw_hpo::method::METHOD_NAMES {
            let spec = thaw_hpo::MethodSpec::named(name, &ck).unwrap();
            if !spec.is_model_based() {
                assert!(methods.iter().any(|m| m == name), "{name} is no --method");
            }
        }
    }
}
