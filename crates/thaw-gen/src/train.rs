//! Training one task: every configuration at once as one batched model (in chunks of
//! [`TrainSettings::chunk`] configurations), with train / validation / test loss at
//! `points` evaluation points (point 0 before training).
//!
//! Every configuration sees the same minibatch at a step (drawn with replacement from
//! the training rows by (task seed, step)), starts from its own initial weights (drawn
//! from (task seed, configuration)), and is scored on fixed rows: the first
//! [`TrainSettings::eval_rows`] rows of each split. Losses are the data loss only (no
//! penalty). A configuration whose loss or weights become non-finite at an evaluation
//! point (or above [`BLOW_UP`] times its initial value) has diverged: it records NaN from there on, and its weights are set to zero and
//! frozen so that it costs nothing more.

use burn::tensor::{Bool, Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::adam::{BatchedAdam, Moments};
use crate::dataset::{Dataset, Split};
use crate::error::{GenError, Result};
use crate::family::{Model, TaskSpec};
use crate::mlp::{Params, Targets};
use crate::seed::{derive, stream};
use crate::space::AdamHps;

/// A loss above this multiple of its own initial value (point 0, that split) counts as
/// divergence, as a non-finite one does. TaskSet's curves hold NaN where the networks
/// overflowed and finite blow-ups up to 1e18; the small networks here rarely overflow under
/// Adam's bounded steps, so a run that has lost all contact with its data is cut here
/// (thaw's normalisation maps both, NaN and any loss above M, to y = 0).
pub const BLOW_UP: f32 = 1e6;

/// TaskSet's run length: the clock of the two decays.
pub const TASKSET_STEPS: f64 = 10_000.0;

/// How long and how each task is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainSettings {
    /// Training steps (a multiple of `points − 1`).
    pub steps: u64,
    /// Evaluation points, point 0 included (TaskSet: 51).
    pub points: usize,
    /// Rows of each split scored at an evaluation point.
    pub eval_rows: usize,
    /// Configurations trained together (memory ∝ chunk).
    pub chunk: usize,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            steps: 2000,
            points: 51,
            eval_rows: 500,
            chunk: 1000,
        }
    }
}

impl TrainSettings {
    /// An error naming the setting that cannot work.
    pub fn check(&self) -> Result<()> {
        if self.points < 2 {
            return Err(GenError::Invalid("points must be at least 2".into()));
        }
        if self.steps == 0 || !self.steps.is_multiple_of(self.points as u64 - 1) {
            return Err(GenError::Invalid(format!(
                "steps ({}) must be a positive multiple of points − 1 ({})",
                self.steps,
                self.points - 1
            )));
        }
        if self.chunk == 0 || self.eval_rows == 0 {
            return Err(GenError::Invalid(
                "chunk and eval rows must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// A task's curves, each row-major `[configs × points]` of raw loss (NaN once diverged).
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    /// Loss on the training rows scored.
    pub train: Vec<f32>,
    /// Validation loss.
    pub valid: Vec<f32>,
    /// Test loss.
    pub test: Vec<f32>,
}

/// A split's scored rows as tensors.
struct EvalSet {
    x: Tensor<3>,
    targets: Targets,
}

impl EvalSet {
    fn new(split: &Split, d: &Dataset, rows: usize, device: &Device) -> Self {
        let n = split.rows().min(rows);
        let x = split.x[..n * d.features].to_vec();
        Self {
            x: Tensor::from_data(TensorData::new(x, [1, n, d.features]), device),
            targets: Targets::new(&split.y[..n], d.target, device),
        }
    }
}

/// Trains task `spec` under every configuration of `configs`; `on_step` is called after
/// each step of each chunk (for a progress bar).
pub fn train_task(
    spec: &TaskSpec,
    configs: &[AdamHps],
    settings: &TrainSettings,
    device: &Device,
    on_step: &mut dyn FnMut(),
) -> Result<Curves> {
    settings.check()?;
    let data = spec.dataset();
    let n = configs.len();
    let points = settings.points;
    let mut curves = Curves {
        train: vec![f32::NAN; n * points],
        valid: vec![f32::NAN; n * points],
        test: vec![f32::NAN; n * points],
    };
    let evals = [
        EvalSet::new(&data.train, &data, settings.eval_rows, device),
        EvalSet::new(&data.valid, &data, settings.eval_rows, device),
        EvalSet::new(&data.test, &data, settings.eval_rows, device),
    ];
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(settings.chunk) {
        let losses = train_chunk(
            spec, &data, configs, chunk, settings, &evals, device, on_step,
        )?;
        for (k, &id) in chunk.iter().enumerate() {
            for (split, out) in [&mut curves.train, &mut curves.valid, &mut curves.test]
                .into_iter()
                .enumerate()
            {
                out[id * points..(id + 1) * points]
                    .copy_from_slice(&losses[split][k * points..(k + 1) * points]);
            }
        }
    }
    Ok(curves)
}

/// The minibatch of step `t`: features `[1, batch, in]` and targets.
fn minibatch(spec: &TaskSpec, data: &Dataset, t: u64, device: &Device) -> (Tensor<3>, Targets) {
    let mut rng = StdRng::seed_from_u64(derive(spec.seed, stream::BATCH, &[t]));
    let (f, train) = (data.features, &data.train);
    let rows: Vec<usize> = (0..spec.batch)
        .map(|_| rng.random_range(0..train.rows()))
        .collect();
    let x: Vec<f32> = rows
        .iter()
        .flat_map(|&r| train.x[r * f..(r + 1) * f].iter().copied())
        .collect();
    let y: Vec<f32> = rows.iter().map(|&r| train.y[r]).collect();
    (
        Tensor::from_data(TensorData::new(x, [1, rows.len(), f]), device),
        Targets::new(&y, data.target, device),
    )
}

/// Trains the configurations `ids`; returns their train, valid and test losses,
/// `[ids × points]` each.
#[allow(clippy::too_many_arguments)]
fn train_chunk(
    spec: &TaskSpec,
    data: &Dataset,
    configs: &[AdamHps],
    ids: &[usize],
    settings: &TrainSettings,
    evals: &[EvalSet; 3],
    device: &Device,
    on_step: &mut dyn FnMut(),
) -> Result<[Vec<f32>; 3]> {
    let c = ids.len();
    let hps: Vec<AdamHps> = ids.iter().map(|&i| configs[i]).collect();
    let adam = BatchedAdam::new(&hps, TASKSET_STEPS / settings.steps as f64, device);
    let model = spec.model(data)?;
    let mut params = model.init(spec.seed, ids, device);
    let mut moments: Vec<Moments> = params
        .iter()
        .map(|p| Moments::zeros(p.dims(), device))
        .collect();
    let mut alive = vec![true; c];
    let mut out: [Vec<f32>; 3] = std::array::from_fn(|_| vec![f32::NAN; c * settings.points]);
    let every = settings.steps / (settings.points as u64 - 1);
    // t = 0 only scores the initial weights.
    for t in 0..=settings.steps {
        if t > 0 {
            let (x, targets) = minibatch(spec, data, t, device);
            let leaves: Vec<Tensor<3>> = params
                .iter()
                .map(|p| p.clone().autodiff().require_grad())
                .collect();
            let loss = targets.loss(model.forward(&leaves, x)).sum();
            let grads = loss.backward();
            let sizes = adam.step_sizes(t, &alive);
            params = params
                .into_iter()
                .zip(&leaves)
                .zip(moments.iter_mut())
                .map(|((p, leaf), m)| {
                    let g = leaf.grad(&grads).ok_or_else(|| {
                        GenError::Invalid("a parameter received no gradient".into())
                    })?;
                    Ok(adam.update(p, g, m, &sizes))
                })
                .collect::<Result<Params>>()?;
            on_step();
        }
        if t.is_multiple_of(every) {
            evaluate(
                &model,
                &mut params,
                &mut moments,
                &mut alive,
                evals,
                &mut out,
                (t / every) as usize,
                settings.points,
                device,
            )?;
        }
    }
    Ok(out)
}

/// Scores the chunk at evaluation point `point`, marks configurations whose loss or
/// weights are non-finite as diverged (zeroing their weights and moments) and records
/// their losses (NaN for the diverged).
#[allow(clippy::too_many_arguments)]
fn evaluate(
    model: &Model,
    params: &mut Params,
    moments: &mut [Moments],
    alive: &mut [bool],
    evals: &[EvalSet; 3],
    out: &mut [Vec<f32>; 3],
    point: usize,
    points: usize,
    device: &Device,
) -> Result<()> {
    let c = alive.len();
    let read = |t: Tensor<3>| -> Result<Vec<f32>> {
        t.into_data()
            .try_to_vec::<f32>()
            .map_err(|e| GenError::Invalid(format!("reading a tensor: {e:?}")))
    };
    let losses: Vec<Vec<f32>> = evals
        .iter()
        .map(|e| read(e.targets.loss(model.forward(params, e.x.clone()))))
        .collect::<Result<_>>()?;
    // A NaN weight can hide behind a ReLU: check the weights too.
    let weight_sums = read(
        params
            .iter()
            .map(|p| p.clone().sum_dim(1).sum_dim(2))
            .reduce(|a, b| a + b)
            .expect("a network has parameters"),
    )?;
    let mut newly_dead = vec![false; c];
    for k in 0..c {
        let finite = weight_sums[k].is_finite()
            && losses.iter().enumerate().all(|(s, l)| {
                let initial = if point == 0 { l[k] } else { out[s][k * points] };
                l[k].is_finite() && l[k] <= BLOW_UP * initial.abs().max(1e-3)
            });
        if alive[k] && !finite {
            alive[k] = false;
            newly_dead[k] = true;
        }
        for s in 0..3 {
            out[s][k * points + point] = if alive[k] { losses[s][k] } else { f32::NAN };
        }
    }
    if newly_dead.iter().any(|&d| d) {
        let mask = Tensor::<3, Bool>::from_data(TensorData::new(newly_dead, [c, 1, 1]), device);
        let zero = |t: Tensor<3>| {
            let dims = t.dims();
            t.mask_fill(mask.clone().expand(dims), 0.0)
        };
        *params = params.drain(..).map(zero).collect();
        for m in moments.iter_mut() {
            m.m = zero(m.m.clone());
            m.v = zero(m.v.clone());
        }
    }
    Ok(())
}
