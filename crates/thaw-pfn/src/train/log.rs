//! The training log: one JSON object per logged step in `train.jsonl`.

use std::fs;
use std::io::Write;
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

/// Appends records to `train.jsonl`.
pub struct TrainLog {
    path: PathBuf,
    file: fs::File,
}

impl TrainLog {
    /// Opens the log for appending; on resume, first drops records after `keep_until`
    /// (steps logged after the last checkpoint are replayed identically).
    pub fn open(path: &Path, keep_until: Option<u64>) -> Result<Self> {
        let io = |source| PfnError::Io {
            path: path.to_path_buf(),
            source,
        };
        match keep_until {
            Some(step) if path.exists() => {
                let text = fs::read_to_string(path).map_err(io)?;
                let kept: String = text
                    .lines()
                    .filter(|l| serde_json::from_str::<StepRecord>(l).is_ok_and(|r| r.step <= step))
                    .map(|l| format!("{l}\n"))
                    .collect();
                write_bytes(path, kept.as_bytes())?;
            }
            Some(_) => {}
            None => write_bytes(path, b"")?,
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends one record.
    pub fn write(&mut self, record: &StepRecord) -> Result<()> {
        let line = serde_json::to_string(record).expect("record serialises");
        writeln!(self.file, "{line}").map_err(|source| PfnError::Io {
            path: self.path.clone(),
            source,
        })
    }
}
