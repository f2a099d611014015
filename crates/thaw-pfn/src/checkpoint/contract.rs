//! What a checkpoint says about itself: `config.json`, read once into typed fields.
//!
//! The contract other crates rely on: the architecture, the training settings, and what
//! it was trained on ([`TrainingData`]) — the prior, the data file, the training and
//! validation tasks, the augmentation. [`CheckpointConfig::trained_on`] answers the
//! leave-tasks-out question everywhere ([`CheckpointConfig::check_held_out`]).

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::PfnConfig;
use crate::error::{PfnError, Result};
use crate::train::TrainConfig;

/// Configuration file name.
pub const CONFIG_FILE: &str = "config.json";
/// Version of the checkpoint layout written by this build.
pub const FORMAT_VERSION: u32 = 1;

/// Everything `config.json` records about a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointConfig {
    /// Layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The architecture.
    pub model: PfnConfig,
    /// How it was trained (none for an in-memory model without a training record).
    pub training: Option<TrainConfig>,
    /// What it was trained on (none for an in-memory model without a training record).
    pub data: Option<TrainingData>,
    /// Optimiser steps taken.
    pub step: u64,
    /// Latest metrics.
    pub metrics: Metrics,
    /// `git describe` of the code that trained it, when known.
    pub git_revision: Option<String>,
}

/// The prior a PFN was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum PriorKind {
    /// Real TaskSet-format curves (+ augmentation): Adam-PFN.
    Taskset,
    /// The synthetic ifBO prior: FT-PFN.
    Ftpfn,
}

/// The augmentation of real training curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum AugmentKind {
    /// A Beta-CDF warp of y per sequence.
    Cdf,
    /// Mixup of tasks per batch.
    Mixup,
    /// The curves as they are.
    #[default]
    None,
}

impl AugmentKind {
    /// The lower-case name (`cdf`, `mixup`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cdf => "cdf",
            Self::Mixup => "mixup",
            Self::None => "none",
        }
    }
}

/// What a checkpoint was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingData {
    /// The prior.
    pub prior: PriorKind,
    /// Parquet file of the real tasks (taskset prior only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    /// Tasks whose curves it trained on.
    #[serde(default)]
    pub train_tasks: Vec<String>,
    /// Held-out tasks of its validation.
    #[serde(default)]
    pub val_tasks: Vec<String>,
    /// Augmentation of the training curves.
    #[serde(default)]
    pub augment: AugmentKind,
    /// Share of the training steps whose batch comes from the synthetic FT-PFN prior
    /// instead (taskset prior only; 0 = real curves alone).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub synthetic_share: f64,
    /// Parquet files of extra training tasks (e.g. `thaw gen-curves` tasks), trained on
    /// in every step that draws from them and never validated on (taskset prior only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_data: Vec<PathBuf>,
    /// Share of the real-curve steps whose batch comes from the extra tasks.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub extra_share: f64,
    /// Share of the real and extra training sequences whose hyperparameters are permuted
    /// among their curves (taskset prior only; `TaskSetPrior::with_hp_shuffle`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hp_shuffle: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl TrainingData {
    /// The synthetic FT-PFN prior (no real task).
    pub fn ftpfn() -> Self {
        Self {
            prior: PriorKind::Ftpfn,
            data: None,
            train_tasks: Vec::new(),
            val_tasks: Vec::new(),
            augment: AugmentKind::None,
            synthetic_share: 0.0,
            extra_data: Vec::new(),
            extra_share: 0.0,
            hp_shuffle: 0.0,
        }
    }
}

/// Metrics stored with a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Exponential moving average of the training cross-entropy.
    pub train_loss_ema: Option<f64>,
    /// Latest validation NLL (density; lower is better; ≥ −ln n_bins).
    pub val_nll: Option<f64>,
    /// Step of that validation.
    pub val_step: Option<u64>,
    /// At that validation: mean NLL increase of the queries whose curve has context
    /// points when their curve ids are zeroed — how much the model follows a curve's own
    /// points through its id (≈ 0: not at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_id_gain: Option<f64>,
    /// Seconds spent training so far.
    pub wall_time_s: f64,
    /// Device the run used.
    pub device: String,
}

impl CheckpointConfig {
    /// The config of an in-memory model that has no training record (tests, benchmarks).
    pub fn untrained(model: PfnConfig) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            model,
            training: None,
            data: None,
            step: 0,
            metrics: Metrics::default(),
            git_revision: None,
        }
    }

    /// The real tasks it was trained on (none for FT-PFN).
    pub fn train_tasks(&self) -> &[String] {
        self.data.as_ref().map_or(&[], |d| &d.train_tasks)
    }

    /// Its validation tasks.
    pub fn val_tasks(&self) -> &[String] {
        self.data.as_ref().map_or(&[], |d| &d.val_tasks)
    }

    /// Whether `task` was one of its training tasks.
    pub fn trained_on(&self, task: &str) -> bool {
        self.train_tasks().iter().any(|t| t == task)
    }

    /// The leave-tasks-out rule: `Ok(false)` for a held-out task; for a training task
    /// `Ok(true)` if `allow_train_tasks`, else [`PfnError::TrainedOnTask`] naming `dir`.
    pub fn check_held_out(&self, dir: &Path, task: &str, allow_train_tasks: bool) -> Result<bool> {
        let seen = self.trained_on(task);
        if seen && !allow_train_tasks {
            return Err(PfnError::TrainedOnTask {
                checkpoint: dir.to_path_buf(),
                task: task.to_string(),
            });
        }
        Ok(seen)
    }
}

/// Reads and checks `<dir>/config.json`.
pub fn read_config(dir: &Path) -> Result<CheckpointConfig> {
    if !dir.exists() {
        return Err(PfnError::checkpoint(
            dir,
            "no such directory (the shipped checkpoints are found under $THAW_HOME or --checkpoints)",
        ));
    }
    if !dir.is_dir() {
        return Err(PfnError::checkpoint(dir, "not a directory"));
    }
    let path = dir.join(CONFIG_FILE);
    let text = fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            PfnError::checkpoint(
                &path,
                "missing: a checkpoint needs config.json beside model.safetensors",
            )
        } else {
            PfnError::Io {
                path: path.clone(),
                source: e,
            }
        }
    })?;
    let config: CheckpointConfig = serde_json::from_str(&text)
        .map_err(|e| PfnError::checkpoint(&path, format!("not a valid checkpoint config: {e}")))?;
    if config.format_version != FORMAT_VERSION {
        return Err(PfnError::checkpoint(
            &path,
            format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                config.format_version
            ),
        ));
    }
    config
        .model
        .validate()
        .map_err(|e| PfnError::checkpoint(&path, e.to_string()))?;
    Ok(config)
}

/// Writes `<dir>/config.json` atomically.
pub fn write_config(dir: &Path, config: &CheckpointConfig) -> Result<()> {
    let text = serde_json::to_string_pretty(config).expect("config serialises");
    let path = dir.join(CONFIG_FILE);
    thaw_data::atomic::write_bytes(&path, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_data_reads_the_shipped_layout_and_the_rule_holds() {
        let json = r#"{"augment":"cdf","data":"data/parquet/taskset.parquet","prior":"taskset",
            "train_tasks":["a","b"],"val_tasks":["c"]}"#;
        let d: TrainingData = serde_json::from_str(json).unwrap();
        assert_eq!(d.prior, PriorKind::Taskset);
        assert_eq!(d.augment, AugmentKind::Cdf);
        let mut c = CheckpointConfig::untrained(PfnConfig::tiny());
        assert!(!c.trained_on("a"));
        c.data = Some(d);
        assert!(c.trained_on("a") && !c.trained_on("c"));
        let dir = Path::new("ck");
        assert!(!c.check_held_out(dir, "c", false).unwrap());
        assert!(c.check_held_out(dir, "a", true).unwrap());
        let err = c.check_held_out(dir, "a", false).unwrap_err().to_string();
        assert!(err.contains("ck") && err.contains('a'), "{err}");
        let ft: TrainingData =
            serde_json::from_str(r#"{"prior":"ftpfn","train_tasks":[],"val_tasks":[]}"#).unwrap();
        assert_eq!(ft, TrainingData::ftpfn());
    }
}
