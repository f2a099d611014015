//! DPL — deep power laws (Kadra et al. 2023, "Scaling laws for hyperparameter
//! optimization").
//!
//! Each ensemble member is an MLP (2 × 128 units, LeakyReLU) mapping a configuration to
//! the parameters of a power law in the budget b = epoch / max_epochs ∈ (0, 1]:
//! loss(b) = α + β · b^(−γ) with β = softplus(·) ≥ 0 and γ = softplus(·) ≥ 0, so a
//! predicted curve never gets worse with more budget; we model loss = 1 − y. Members
//! are trained on every observed point with the L1 loss and Adam (lr 1e-3), 250 epochs
//! on the first fit and 20 more on each refit, from their own seeds. The predictive
//! distribution is a Gaussian with the ensemble's mean and standard deviation (floored
//! at [`crate::predictive::MIN_STD`]).

use burn::module::Module;
use burn::nn::Linear;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::{leaky_relu, softplus};
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use thaw_pfn::init::Init;

use super::tensors::{column, matrix, values};
use crate::curve_model::CurveModel;
use crate::error::{HpoError, Result};
use crate::history::{At, History};
use crate::predictive::Predictive;

const NAME: &str = "DPL";

/// DPL's settings (defaults: the papers').
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DplSettings {
    /// Ensemble members.
    pub members: usize,
    /// Hidden units of each of the two layers.
    pub hidden: usize,
    /// Epochs over the observed points on the first fit.
    pub first_epochs: usize,
    /// Epochs on every later fit (warm-started).
    pub refit_epochs: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Mini-batch size.
    pub batch: usize,
    /// Seed of member initialisation and batch order.
    pub seed: u64,
}

impl Default for DplSettings {
    fn default() -> Self {
        Self {
            members: 5,
            hidden: 128,
            first_epochs: 250,
            refit_epochs: 20,
            lr: 1e-3,
            batch: 64,
            seed: 0,
        }
    }
}

/// One member: configuration → (α, β, γ).
#[derive(Module, Debug)]
struct PowerLawNet {
    input: Linear,
    hidden: Linear,
    output: Linear,
}

impl PowerLawNet {
    fn new(d: usize, width: usize, seed: u64, device: &Device) -> Self {
        let mut init = Init::new(seed, device);
        Self {
            input: init.linear(d, width, true, false),
            hidden: init.linear(width, width, true, false),
            output: init.linear(width, 3, true, false),
        }
    }

    /// Predicted y = 1 − (α + β b^(−γ)) for configurations `x` ([n, d]) at budgets `b` ([n]).
    fn forward(&self, x: Tensor<2>, b: Tensor<1>) -> Tensor<1> {
        let h = leaky_relu(self.input.forward(x), 0.01);
        let h = leaky_relu(self.hidden.forward(h), 0.01);
        let p = self.output.forward(h);
        let n = b.dims()[0];
        let alpha = p.clone().narrow(1, 0, 1).reshape([n]);
        let beta = softplus(p.clone().narrow(1, 1, 1), 1.0).reshape([n]);
        let gamma = softplus(p.narrow(1, 2, 1), 1.0).reshape([n]);
        let decay = (gamma * b.log()).neg().exp();
        (alpha + beta * decay).neg().add_scalar(1.0)
    }
}

struct Member {
    net: PowerLawNet,
    optim: ModuleOptimizer,
    rng: StdRng,
}

/// The DPL ensemble.
pub struct Dpl {
    settings: DplSettings,
    device: Device,
    members: Vec<Member>,
}

impl Dpl {
    /// An unfitted ensemble on `device` (autodiff is added here).
    pub fn new(settings: DplSettings, device: &Device) -> Self {
        Self {
            settings,
            device: device.clone().autodiff(),
            members: Vec::new(),
        }
    }

    /// The power-law parameters (α, β, γ) each member assigns to `config`.
    pub fn power_laws(&self, history: &History, config: usize) -> Vec<(f64, f64, f64)> {
        let x = matrix(
            history.config(config).to_vec(),
            1,
            history.n_hps(),
            &self.device,
        );
        self.members
            .iter()
            .map(|m| {
                // y at b = 1 is 1 − α − β; the rest from two more budgets.
                let at =
                    |b: f32| values(&m.net.forward(x.clone(), column(vec![b], &self.device)))[0];
                let (l1, lh, lq) = (1.0 - at(1.0), 1.0 - at(0.5), 1.0 - at(0.25));
                // l(b) = α + β b^(−γ): (lq − lh) / (lh − l1) = 2^γ.
                let gamma = ((lq - lh) / (lh - l1)).log2();
                let beta = (lh - l1) / (2f64.powf(gamma) - 1.0);
                (l1 - beta, beta, gamma)
            })
            .collect()
    }
}

impl CurveModel for Dpl {
    fn name(&self) -> String {
        NAME.into()
    }

    fn fit(&mut self, history: &History) -> Result<()> {
        let s = self.settings;
        let points: Vec<(usize, usize, f32)> = history.points().collect();
        if points.is_empty() {
            return Ok(());
        }
        let epochs = if self.members.is_empty() {
            self.members = (0..s.members as u64)
                .map(|i| Member {
                    net: PowerLawNet::new(
                        history.n_hps(),
                        s.hidden,
                        s.seed.wrapping_add(i),
                        &self.device,
                    ),
                    optim: AdamWConfig::new()
                        .with_epsilon(1e-8)
                        .with_weight_decay(0.0)
                        .init(),
                    rng: StdRng::seed_from_u64(s.seed.wrapping_add(1000 + i)),
                })
                .collect();
            s.first_epochs
        } else {
            s.refit_epochs
        };
        let d = history.n_hps();
        let dev = self.device.clone();
        for member in &mut self.members {
            let mut order: Vec<usize> = (0..points.len()).collect();
            for _ in 0..epochs {
                order.shuffle(&mut member.rng);
                for chunk in order.chunks(s.batch.max(1)) {
                    let x = chunk
                        .iter()
                        .flat_map(|&i| history.config(points[i].0).to_vec())
                        .collect();
                    let b = chunk
                        .iter()
                        .map(|&i| history.progress(points[i].1))
                        .collect();
                    let y = chunk.iter().map(|&i| points[i].2).collect();
                    let pred = member
                        .net
                        .forward(matrix(x, chunk.len(), d, &dev), column(b, &dev));
                    let loss = (pred - column(y, &dev)).abs().mean();
                    let grads = GradientsParams::from_grads(loss.backward(), &member.net);
                    member.net = member.optim.step(s.lr, member.net.clone(), grads);
                }
            }
        }
        Ok(())
    }

    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>> {
        history.check_queries(queries)?;
        if self.members.is_empty() {
            return Err(HpoError::InvalidInput(format!(
                "{NAME}: predict before fit"
            )));
        }
        let x = queries
            .iter()
            .flat_map(|q| history.config(q.config).to_vec())
            .collect();
        let x = matrix(x, queries.len(), history.n_hps(), &self.device);
        let b = column(
            queries.iter().map(|q| history.progress(q.epoch)).collect(),
            &self.device,
        );
        let preds: Vec<Vec<f64>> = self
            .members
            .iter()
            // Untracked parameters: no autodiff graph is kept for a prediction.
            .map(|m| values(&m.net.clone().no_grad().forward(x.clone(), b.clone())))
            .collect();
        let k = preds.len() as f64;
        (0..queries.len())
            .map(|j| {
                let mean = preds.iter().map(|p| p[j]).sum::<f64>() / k;
                let var = preds.iter().map(|p| (p[j] - mean).powi(2)).sum::<f64>() / k;
                if mean.is_finite() {
                    Ok(Predictive::gaussian(mean, var.sqrt()))
                } else {
                    Err(HpoError::Diverged {
                        model: NAME,
                        detail: "non-finite prediction".into(),
                    })
                }
            })
            .collect()
    }
}
