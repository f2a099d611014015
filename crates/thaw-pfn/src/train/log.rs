//! The training log: one JSON object per logged step in `train.jsonl`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{PfnError, Result};
use thaw_data::atomic::write_bytes;

/// One logged step (also what the progress display shows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Steps completed (1-based).
    pub step: u64,
    /// Cross-entropy of this step's batch.
    pub loss: f64,
    /// Exponential moving average of the loss (α = 0.02, bias-corrected).
    pub loss_ema: f64,
    /// Learning rate used.
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Training tokens per second over the last logging interval.
    pub tokens_per_s: f64,
    /// Seconds since the run (including resumed parts) started.
    pub elapsed_s: f64,
    /// Validation NLL (density), when validated at this step.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub val_nll: Option<f64>,
    /// Validation id gain (NLL with query ids zeroed − NLL with them, over the queries
    /// of curves with context points), when validated at this step.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub val_id_gain: Option<f64>,
}

/// The log of a run, `train.jsonl`: kept in memory and replaced atomically with every
/// checkpoint, so the file on disk always ends at (or after) the step of the weights beside
/// it and is never half written or emptied by a run that then fails.
pub struct TrainLog {
    path: PathBuf,
    lines: String,
}

impl TrainLog {
    /// Starts the log: empty for a new run; on resume, the records up to `keep_until`
    /// (steps logged after the last checkpoint are replayed identically). Nothing is
    /// written until [`TrainLog::save`].
    pub fn open(path: &Path, keep_until: Option<u64>) -> Result<Self> {
        let lines = match keep_until {
            Some(step) if path.exists() => {
                let text = fs::read_to_string(path).map_err(|source| PfnError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                text.lines()
                    .filter(|l| serde_json::from_str::<StepRecord>(l).is_ok_and(|r| r.step <= step))
                    .map(|l| format!("{l}\n"))
                    .collect()
            }
            _ => String::new(),
        };
        Ok(Self {
            path: path.to_path_buf(),
            lines,
        })
    }

    /// Adds one record.
    pub fn write(&mut self, record: &StepRecord) {
        let line = serde_json::to_string(record).expect("record serialises");
        self.lines.push_str(&line);
        self.lines.push('\n');
    }

    /// Replaces the file with every record so far.
    pub fn save(&self) -> Result<()> {
        Ok(write_bytes(&self.path, self.lines.as_bytes())?)
    }
}
