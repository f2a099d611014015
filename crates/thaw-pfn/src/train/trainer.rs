//! The training loop: batches from a prior, AdamW with warm-up + cosine and global
//! clipping, periodic validation on held-out batches, atomic checkpoints, exact resume.
//!
//! Exact resume: batch `s` is a function of (seed, s) only, the validation set of the
//! seed, and model + optimiser state are restored from burn records — so a resumed
//! run takes the same steps with the same losses as an uninterrupted one.

use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use thaw_prior::{Prior, derive_seed};

use super::clip::clip_global_norm;
use super::log::{StepRecord, TrainLog};
use super::parallel::loss_and_grads;
use super::schedule::WarmupCosine;
use super::settings::TrainConfig;
use super::validation::ValSet;
use crate::checkpoint::{
    self, CheckpointConfig, FORMAT_VERSION, LOG_FILE, Metrics, ResumeState, TrainingData,
    WEIGHTS_FILE,
};
use crate::error::{PfnError, Result};
use crate::model::Pfn;

/// EMA weight of the newest loss.
const EMA_ALPHA: f64 = 0.02;

/// Hooks for progress display; every method has a do-nothing default.
pub trait TrainObserver {
    /// Training starts at `first_step` of `total`.
    fn start(&mut self, _first_step: u64, _total: u64) {}
    /// A step finished (called every step; `record.val_nll` set when validated).
    fn step(&mut self, _record: &StepRecord) {}
    /// A checkpoint was written after `step` steps.
    fn saved(&mut self, _step: u64) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl TrainObserver for Silent {}

/// Where and how a run trains, besides its settings and data.
#[derive(Debug, Clone)]
pub struct RunPlace {
    /// Checkpoint directory.
    pub out: PathBuf,
    /// Continue from the checkpoint in `out`.
    pub resume: bool,
    /// Device to train on (plain; autodiff is added here).
    pub device: Device,
    /// Its name, for the record.
    pub device_name: String,
    /// Code revision, for the record.
    pub git_revision: Option<String>,
    /// Stop (with a checkpoint) once this many steps are done, to `--resume` later.
    pub pause_at: Option<u64>,
    /// A new run may replace a checkpoint in `out` (its files are removed just before the
    /// new run's first checkpoint); without it a new run refuses such a directory.
    pub replace: bool,
}

/// One training run.
pub struct TrainRun<'a> {
    /// Settings.
    pub config: TrainConfig,
    /// Training batches.
    pub prior: &'a (dyn Prior + Sync),
    /// Held-out batches for validation (none: no validation).
    pub val_prior: Option<&'a (dyn Prior + Sync)>,
    /// What it trains on, stored in `config.json`.
    pub data: TrainingData,
    /// Where and how it runs.
    pub place: RunPlace,
}

/// What a finished run reports.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOutcome {
    /// Steps completed in total.
    pub step: u64,
    /// Final loss EMA.
    pub loss_ema: Option<f64>,
    /// Final validation NLL.
    pub val_nll: Option<f64>,
    /// Id gain of that validation (see [`crate::train::validation`]).
    pub val_id_gain: Option<f64>,
    /// Total training seconds (all parts of a resumed run).
    pub wall_time_s: f64,
}

impl TrainRun<'_> {
    /// Trains to `config.steps`, reporting to `observer`.
    pub fn run(self, observer: &mut dyn TrainObserver) -> Result<TrainOutcome> {
        let cfg = &self.config;
        cfg.validate()?;
        std::fs::create_dir_all(&self.place.out).map_err(|source| PfnError::Io {
            path: self.place.out.clone(),
            source,
        })?;
        let train_device = self.place.device.clone().autodiff();
        let mut model = Pfn::new(&cfg.model, cfg.seed, &train_device);
        let mut optim: ModuleOptimizer = AdamWConfig::new()
            .with_epsilon(cfg.adam_eps as f32)
            .with_weight_decay(cfg.weight_decay as f32)
            .init();
        let mut state = ResumeState {
            step: 0,
            loss_ema: None,
            wall_time_s: 0.0,
            last_val: None,
            last_id_gain: None,
        };
        if !self.place.resume && self.place.device_name == "cpu" {
            cfg.check_memory()?;
        }
        // A checkpoint in the way is refused now, but (with `replace`) removed only just
        // before this run's first write: a run that fails earlier leaves it as it was.
        let mut to_clear =
            !self.place.resume && checkpoint::check_new_run(&self.place.out, self.place.replace)?;
        if self.place.resume {
            let saved = checkpoint::read_config(&self.place.out)?;
            let saved_training = saved.training.clone().ok_or_else(|| {
                PfnError::checkpoint(
                    &self.place.out,
                    "config.json has no training settings to resume",
                )
            })?;
            if &saved_training != cfg {
                return Err(PfnError::InvalidTraining(format!(
                    "--resume needs the settings of the original run; {} has {saved_training:?}, asked {cfg:?}",
                    self.place.out.display()
                )));
            }
            let (m, o, s) = checkpoint::load_resume(&self.place.out, model, optim)?;
            (model, optim, state) = (m, o, s);
        }
        if state.step >= cfg.steps {
            return Ok(self.outcome(&state));
        }
        let mut log = TrainLog::open(
            &self.place.out.join(LOG_FILE),
            self.place.resume.then_some(state.step),
        )?;
        let val = self.val_set()?;
        let schedule = WarmupCosine {
            lr: cfg.lr,
            warmup: cfg.warmup,
            steps: cfg.steps,
        };
        observer.start(state.step, cfg.steps);

        let started = Instant::now();
        let wall_before = state.wall_time_s;
        let mut interval = (Instant::now(), 0u64);
        for step in state.step..cfg.steps {
            let batch = self.prior.sample(cfg.seed, step, cfg.batch, cfg.seq_len)?;
            let (loss_value, mut grads) = loss_and_grads(
                &model,
                &batch,
                cfg.model.n_bins,
                &train_device,
                cfg.data_parallel,
            );
            if !loss_value.is_finite() {
                // The log shows how it got there (records after the last checkpoint are
                // dropped again by a resume).
                if !to_clear {
                    let _ = log.save();
                }
                return Err(PfnError::InvalidTraining(format!(
                    "loss became {loss_value} at step {}; lower --lr?",
                    step + 1
                )));
            }
            let grad_norm = clip_global_norm(&model, &mut grads, cfg.clip as f32) as f64;
            let lr = schedule.at(step);
            model = optim.step(lr, model, grads);

            let done = step + 1;
            let ema = state.loss_ema.map_or(loss_value, |e| {
                (1.0 - EMA_ALPHA) * e + EMA_ALPHA * loss_value
            });
            state.loss_ema = Some(ema);
            state.step = done;
            state.wall_time_s = wall_before + started.elapsed().as_secs_f64();
            interval.1 += 1;

            let last = done == cfg.steps;
            let pausing = self.place.pause_at == Some(done);
            let validation = match &val {
                Some(v) if last || (cfg.val_every > 0 && done % cfg.val_every == 0) => {
                    let result = v.evaluate(&model.valid());
                    state.last_val = Some((done, result.nll));
                    state.last_id_gain = result.id_gain;
                    Some(result)
                }
                _ => None,
            };
            let val_nll = validation.map(|v| v.nll);
            let secs = interval.0.elapsed().as_secs_f64().max(1e-9);
            let record = StepRecord {
                step: done,
                loss: loss_value,
                loss_ema: ema,
                lr,
                grad_norm,
                tokens_per_s: (interval.1 * (cfg.batch * cfg.seq_len) as u64) as f64 / secs,
                elapsed_s: state.wall_time_s,
                val_nll,
                val_id_gain: validation.and_then(|v| v.id_gain),
            };
            if done % cfg.log_every == 0 || val_nll.is_some() || last {
                log.write(&record);
                interval = (Instant::now(), 0);
            }
            observer.step(&record);
            if last || pausing || (cfg.checkpoint_every > 0 && done % cfg.checkpoint_every == 0) {
                if std::mem::take(&mut to_clear) {
                    checkpoint::clear_checkpoint(&self.place.out)?;
                }
                self.save(&model, &optim, &state, &log)?;
                observer.saved(done);
            }
            if pausing {
                break;
            }
        }
        Ok(self.outcome(&state))
    }

    fn outcome(&self, state: &ResumeState) -> TrainOutcome {
        TrainOutcome {
            step: state.step,
            loss_ema: state.loss_ema,
            val_nll: state.last_val.map(|v| v.1),
            val_id_gain: state.last_id_gain,
            wall_time_s: state.wall_time_s,
        }
    }

    fn val_set(&self) -> Result<Option<ValSet>> {
        let Some(prior) = self.val_prior else {
            return Ok(None);
        };
        let cfg = &self.config;
        let seed = derive_seed(cfg.seed, &[u64::MAX]);
        let batches = (0..cfg.val_batches as u64)
            .map(|i| Ok(prior.sample(seed, i, cfg.batch, cfg.seq_len)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(ValSet::new(
            &batches,
            cfg.model.n_bins,
            &self.place.device,
        )))
    }

    fn save(
        &self,
        model: &Pfn,
        optim: &ModuleOptimizer,
        state: &ResumeState,
        log: &TrainLog,
    ) -> Result<()> {
        // The log first: it may run ahead of the weights (a resume drops its records after
        // the checkpoint's step), never behind them.
        log.save()?;
        checkpoint::save_weights(&model.valid(), &self.place.out.join(WEIGHTS_FILE))?;
        checkpoint::save_resume(&self.place.out, model, optim, state)?;
        let config = CheckpointConfig {
            format_version: FORMAT_VERSION,
            model: self.config.model.clone(),
            training: Some(self.config.clone()),
            data: Some(self.data.clone()),
            step: state.step,
            metrics: Metrics {
                train_loss_ema: state.loss_ema,
                val_nll: state.last_val.map(|v| v.1),
                val_step: state.last_val.map(|v| v.0),
                val_id_gain: state.last_id_gain,
                wall_time_s: state.wall_time_s,
                device: self.place.device_name.clone(),
            },
            git_revision: self.place.git_revision.clone(),
        };
        checkpoint::write_config(&self.place.out, &config)
    }
}
