//! One segment of training: resume, train epochs, checkpoint, report.

use std::io::Write;

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::checkpoint;
use crate::data::{Data, Split, permutation};
use crate::error::{Failure, Result, input};
use crate::model::{Mlp, cross_entropy};
use crate::params::Params;
use crate::trial::Trial;

pub use crate::scores::{METRICS, Scores};

/// A split as tensors on the plain (evaluation) device.
struct Eval {
    x: Tensor<2>,
    y: Tensor<1, Int>,
    y_host: Vec<i64>,
}

impl Eval {
    fn new(split: &Split, features: usize, device: &Device) -> Self {
        let n = split.len();
        Self {
            x: Tensor::from_data(TensorData::new(split.x.clone(), [n, features]), device),
            y: Tensor::from_data(TensorData::new(split.y.clone(), [n]), device),
            y_host: split.y.clone(),
        }
    }

    /// Mean cross-entropy and error rate of `model` (in validation mode).
    fn score(&self, model: &Mlp, params: &Params) -> Result<(f32, f32)> {
        let logits = model.forward(self.x.clone(), params.activation);
        let loss: f32 = cross_entropy(logits.clone(), self.y.clone()).into_scalar();
        let predicted = logits
            .argmax(1)
            .into_data()
            .try_into_vec_as::<i64>()
            .map_err(|e| input(format!("cannot read predictions: {e:?}")))?;
        let wrong = predicted
            .iter()
            .zip(&self.y_host)
            .filter(|(p, y)| p != y)
            .count();
        Ok((loss, wrong as f32 / self.y_host.len() as f32))
    }
}

/// A training run of one configuration at some epoch.
pub struct Run {
    params: Params,
    data: Data,
    device: Device,
    model: Mlp,
    optim: ModuleOptimizer,
    train_eval: Eval,
    val_eval: Eval,
}

impl Run {
    /// A fresh model and optimiser for `params`.
    pub fn new(params: Params) -> Self {
        let data = Data::wine();
        let plain = Device::flex();
        let device = plain.clone().autodiff();
        let model = Mlp::new(&params, data.features, data.classes, &device);
        let weight_decay =
            (params.weight_decay > 0.0).then(|| WeightDecayConfig::new(params.weight_decay as f32));
        let optim = AdamConfig::new()
            .with_beta_1(params.beta1 as f32)
            .with_beta_2(params.beta2 as f32)
            .with_epsilon(params.eps as f32)
            .with_weight_decay(weight_decay)
            .init();
        Self {
            train_eval: Eval::new(&data.train, data.features, &plain),
            val_eval: Eval::new(&data.val, data.features, &plain),
            params,
            data,
            device,
            model,
            optim,
        }
    }

    /// Replaces model and optimiser with the checkpoint of `dir`, which holds `epoch` or
    /// more epochs; returns the scores of its epochs 0..=its epoch.
    pub fn resume(&mut self, dir: &std::path::Path, epoch: u64) -> Result<Vec<Scores>> {
        let fresh = Mlp::new(
            &self.params,
            self.data.features,
            self.data.classes,
            &self.device,
        );
        let model = std::mem::replace(&mut self.model, fresh);
        let optim = std::mem::replace(&mut self.optim, AdamConfig::new().init());
        let loaded = checkpoint::load(dir, epoch, &self.params, model, optim)?;
        (self.model, self.optim) = (loaded.model, loaded.optim);
        Ok(loaded.scores)
    }

    /// Trains epoch `epoch` (1-based): one pass over the training rows in an order that
    /// depends only on (seed, epoch).
    pub fn train_epoch(&mut self, epoch: u64) {
        let (f, split) = (self.data.features, &self.data.train);
        let mut rng = StdRng::seed_from_u64(epoch_seed(self.params.seed, epoch));
        let order = permutation(split.len(), &mut rng);
        for rows in order.chunks(self.params.batch) {
            let x: Vec<f32> = rows
                .iter()
                .flat_map(|&r| split.x[r * f..(r + 1) * f].iter().copied())
                .collect();
            let y: Vec<i64> = rows.iter().map(|&r| split.y[r]).collect();
            let x = Tensor::from_data(TensorData::new(x, [rows.len(), f]), &self.device);
            let y = Tensor::from_data(TensorData::new(y, [rows.len()]), &self.device);
            let loss = cross_entropy(self.model.forward(x, self.params.activation), y);
            let grads = GradientsParams::from_grads(loss.backward(), &self.model);
            let model = self.model.clone();
            self.model = self.optim.step(self.params.lr, model, grads);
        }
    }

    /// Validation and training scores of the current model; an error if not finite.
    pub fn scores(&self, epoch: u64) -> Result<Scores> {
        let model = self.model.valid();
        let (val_loss, val_error) = self.val_eval.score(&model, &self.params)?;
        let (train_loss, _) = self.train_eval.score(&model, &self.params)?;
        if !(val_loss.is_finite() && train_loss.is_finite()) {
            return Err(Failure::Diverged(format!(
                "training diverged at epoch {epoch} (val_loss {val_loss}, train_loss {train_loss}); lower lr?"
            )));
        }
        Ok(Scores {
            val_loss,
            train_loss,
            val_error,
        })
    }

    /// Saves the checkpoint after `epoch` epochs, with the scores of epochs 0..=epoch.
    pub fn save(&self, dir: &std::path::Path, epoch: u64, scores: &[Scores]) -> Result<()> {
        checkpoint::save(dir, epoch, &self.params, scores, &self.model, &self.optim)
    }
}

/// Runs the segment `trial` asks for, writing report lines to `out`.
pub fn run_segment(trial: &Trial, out: &mut impl Write) -> Result<()> {
    let params = Params::from_json(&trial.params)?;
    if !METRICS.contains(&trial.metric.as_str()) {
        return Err(input(format!(
            "THAW_METRIC {:?} is not reported by mlp-adam; it reports {}",
            trial.metric,
            METRICS.join(", ")
        )));
    }
    let trial_name = trial.trial.map_or("?".into(), |t| t.to_string());
    eprintln!(
        "mlp-adam: trial {trial_name}, epochs {}..={}, {params}",
        trial.from_epoch + 1,
        trial.to_epoch
    );
    let mut run = Run::new(params);
    let dir = &trial.checkpoint_dir;
    let mut report = |line: String| {
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| input(format!("cannot write the report to stdout: {e}")))
    };
    // A checkpoint ahead of THAW_FROM_EPOCH was saved just before thaw stopped, before
    // it recorded the report: those epochs are reported again from the checkpoint, not
    // trained again.
    let mut scores = if trial.from_epoch == 0 {
        vec![run.scores(0)?]
    } else {
        run.resume(dir, trial.from_epoch)?
    };
    let held = (scores.len() as u64 - 1).min(trial.to_epoch);
    let first = if trial.from_epoch == 0 {
        0
    } else {
        trial.from_epoch + 1
    };
    for epoch in first..=held {
        report(scores[epoch as usize].line(epoch, &trial.metric))?;
    }
    scores.truncate(held as usize + 1);
    for epoch in held + 1..=trial.to_epoch {
        let started = std::time::Instant::now();
        run.train_epoch(epoch);
        scores.push(run.scores(epoch)?);
        run.save(dir, epoch, &scores)?;
        report(scores[epoch as usize].line(epoch, &trial.metric))?;
        eprintln!(
            "mlp-adam: epoch {epoch} took {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// The shuffle seed of `epoch`: a SplitMix64 mix of (seed, epoch).
fn epoch_seed(seed: u64, epoch: u64) -> u64 {
    splitmix(splitmix(seed) ^ epoch)
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_line_puts_the_metric_first() {
        let s = Scores {
            val_loss: 0.5,
            train_loss: 0.25,
            val_error: 0.125,
        };
        assert_eq!(
            s.line(3, "val_loss"),
            "thaw: epoch=3 val_loss=0.5 train_loss=0.25 val_error=0.125"
        );
        assert_eq!(
            s.line(3, "val_error"),
            "thaw: epoch=3 val_error=0.125 val_loss=0.5 train_loss=0.25"
        );
    }

    #[test]
    fn epoch_seeds_differ() {
        assert_ne!(epoch_seed(0, 1), epoch_seed(0, 2));
        assert_ne!(epoch_seed(0, 1), epoch_seed(1, 1));
    }
}
