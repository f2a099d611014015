//! Checkpoint directories.
//!
//! ```text
//! <dir>/model.safetensors   weights (the shipped artefact; tensor names = module paths)
//! <dir>/config.json         architecture, training settings, data, seed, step, metrics
//! <dir>/train.jsonl         the training log (one JSON object per logged step)
//! <dir>/resume/             burn records to continue training exactly:
//!        model.bpk, optimizer.bpk, state.json
//! ```
//! Every file is written to a temporary name and renamed into place; the `resume/`
//! folder is replaced as a whole (written beside it, then swapped), so an interrupted
//! save leaves the previous checkpoint intact.

use std::fs;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::config::PfnConfig;
use crate::error::{PfnError, Result};
use crate::model::Pfn;

/// Weights file name.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Training log file name.
pub const LOG_FILE: &str = "train.jsonl";
/// Resume-state folder name.
pub const RESUME_DIR: &str = "resume";

pub mod contract;
pub mod shipped;

pub use contract::{
    AugmentKind, CONFIG_FILE, CheckpointConfig, FORMAT_VERSION, Metrics, PriorKind, TrainingData,
    read_config, write_config,
};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PfnError + '_ {
    move |source| PfnError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Saves the weights of `model` to `path` (safetensors, atomically).
pub fn save_weights(model: &Pfn, path: &Path) -> Result<()> {
    thaw_data::atomic::write_via_path(path, |tmp: &Path| {
        // The temporary file exists already (created empty by the atomic writer).
        let mut store = SafetensorsStore::from_file(tmp)
            .overwrite(true)
            .metadata("format", "thaw-pfn");
        model
            .save_into(&mut store)
            .map_err(|e| PfnError::checkpoint(path, format!("cannot write weights: {e}")))
    })
}

/// Loads weights from `path` into a model of architecture `config` on `device`.
///
/// Fails with a message naming the problem if the file is missing, truncated or
/// corrupt, or if its tensors do not match the architecture (missing, extra or
/// differently shaped tensors).
pub fn load_weights(config: &PfnConfig, path: &Path, device: &Device) -> Result<Pfn> {
    if !path.is_file() {
        return Err(PfnError::checkpoint(path, "missing weights file"));
    }
    let mut model = Pfn::new(config, 0, device);
    let mut store = SafetensorsStore::from_file(path)
        .validate(false)
        .allow_partial(true);
    let result = model.load_from(&mut store).map_err(|e| {
        PfnError::checkpoint(
            path,
            format!("unreadable weights (corrupt or truncated?): {e}"),
        )
    })?;
    let mut problems = Vec::new();
    if !result.errors.is_empty() {
        let shown: Vec<String> = result
            .errors
            .iter()
            .take(3)
            .map(|e| e.to_string())
            .collect();
        let more = result.errors.len().saturating_sub(shown.len());
        problems.push(format!(
            "{} tensor(s) do not fit the architecture in config.json (is it the config of these weights?): {}{}",
            result.errors.len(),
            shown.join("; "),
            if more > 0 { format!(" … and {more} more") } else { String::new() }
        ));
    }
    if !result.missing.is_empty() {
        let names: Vec<_> = result.missing.iter().map(|(n, _)| n.as_str()).collect();
        problems.push(format!("missing tensors: {}", names.join(", ")));
    }
    if !result.unused.is_empty() {
        problems.push(format!("unexpected tensors: {}", result.unused.join(", ")));
    }
    if !problems.is_empty() {
        return Err(PfnError::checkpoint(path, problems.join("; ")));
    }
    Ok(model)
}

/// State saved beside the burn records for `--resume`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeState {
    /// Steps completed.
    pub step: u64,
    /// Loss EMA at that step.
    pub loss_ema: Option<f64>,
    /// Wall time spent so far.
    pub wall_time_s: f64,
    /// Latest validation (step, NLL).
    pub last_val: Option<(u64, f64)>,
    /// Id gain of that validation (absent in states saved before it existed).
    #[serde(default)]
    pub last_id_gain: Option<f64>,
}

/// Where the resume state of `dir` lives (falls back to the previous copy if a save was
/// interrupted between its two renames).
pub fn resume_dir(dir: &Path) -> Option<PathBuf> {
    [RESUME_DIR, "resume.old"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.join("state.json").is_file())
}

const CHECKPOINT_FILES: [&str; 5] = [
    CONFIG_FILE,
    WEIGHTS_FILE,
    LOG_FILE,
    RESUME_DIR,
    "resume.old",
];

/// Whether a new run in `dir` must first remove a checkpoint there: `false` when it
/// holds no checkpoint file, `true` when it does and `replace` allows it, otherwise
/// [`PfnError::CheckpointExists`].
pub fn check_new_run(dir: &Path, replace: bool) -> Result<bool> {
    let present: Vec<&str> = CHECKPOINT_FILES
        .into_iter()
        .filter(|n| dir.join(n).exists())
        .collect();
    if present.is_empty() {
        return Ok(false);
    }
    if replace {
        return Ok(true);
    }
    let what = match read_config(dir) {
        Ok(c) => match &c.training {
            Some(t) => format!("step {} of {}", c.step, t.steps),
            None => format!("step {}", c.step),
        },
        Err(_) => present.join(", "),
    };
    Err(PfnError::CheckpointExists {
        dir: dir.to_path_buf(),
        what,
    })
}

/// Removes the checkpoint files of `dir`, `config.json` first (an interruption never
/// leaves a directory that looks like a finished checkpoint).
pub fn clear_checkpoint(dir: &Path) -> Result<()> {
    for name in CHECKPOINT_FILES {
        let path = dir.join(name);
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else if path.exists() {
            fs::remove_file(&path)
        } else {
            Ok(())
        };
        removed.map_err(io(&path))?;
    }
    Ok(())
}

/// Writes the resume folder: model and optimiser records plus `state.json`.
pub fn save_resume(
    dir: &Path,
    model: &Pfn,
    optimizer: &burn::optim::ModuleOptimizer,
    state: &ResumeState,
) -> Result<()> {
    let fresh = dir.join(format!("{RESUME_DIR}.tmp-{}", std::process::id()));
    if fresh.exists() {
        fs::remove_dir_all(&fresh).map_err(io(&fresh))?;
    }
    fs::create_dir_all(&fresh).map_err(io(&fresh))?;
    let record_err = |what: &str| {
        let p = fresh.join(what);
        move |e: burn::store::RecordError| PfnError::checkpoint(p, format!("cannot write: {e}"))
    };
    model
        .clone()
        .save_file(fresh.join("model.bpk"))
        .map_err(record_err("model.bpk"))?;
    optimizer
        .save(fresh.join("optimizer.bpk"))
        .map_err(record_err("optimizer.bpk"))?;
    let text = serde_json::to_string_pretty(state).expect("state serialises");
    fs::write(fresh.join("state.json"), text).map_err(io(&fresh))?;

    let current = dir.join(RESUME_DIR);
    let old = dir.join("resume.old");
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    if current.exists() {
        fs::rename(&current, &old).map_err(io(&current))?;
    }
    fs::rename(&fresh, &current).map_err(io(&current))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Loads the resume state of `dir` into `model` (built with the checkpoint's architecture
/// on the training device) and a fresh optimiser.
pub fn load_resume(
    dir: &Path,
    model: Pfn,
    optimizer: burn::optim::ModuleOptimizer,
) -> Result<(Pfn, burn::optim::ModuleOptimizer, ResumeState)> {
    let Some(rd) = resume_dir(dir) else {
        return Err(PfnError::checkpoint(
            dir,
            "no resume state (resume/state.json) to continue from",
        ));
    };
    let state_path = rd.join("state.json");
    let text = fs::read_to_string(&state_path).map_err(io(&state_path))?;
    let state: ResumeState = serde_json::from_str(&text)
        .map_err(|e| PfnError::checkpoint(&state_path, format!("invalid resume state: {e}")))?;
    let model_path = rd.join("model.bpk");
    let model = model
        .try_load_file(&model_path)
        .map_err(|e| PfnError::checkpoint(&model_path, format!("cannot load model record: {e}")))?;
    let optim_path = rd.join("optimizer.bpk");
    let optimizer = optimizer.load(&optim_path).map_err(|e| {
        PfnError::checkpoint(&optim_path, format!("cannot load optimiser record: {e}"))
    })?;
    Ok((model, optimizer, state))
}
