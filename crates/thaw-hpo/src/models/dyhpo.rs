//! DyHPO (Wistuba, Kadra & Grabocka 2022): a deep-kernel Gaussian process over
//! (configuration, budget, learning curve so far).
//!
//! Features φ: the configuration through a 64-unit layer (ReLU), concatenated with the
//! budget b = epoch / max_epochs and an embedding of the curve observed before that
//! epoch (zero-padded to max_epochs; a 1-D convolution of width 3 with 8 filters, ReLU,
//! max-pooled over time), then a 128-unit layer (ReLU). GP on φ: constant mean,
//! squared-exponential kernel (amplitude, one length scale), Gaussian noise. Network and
//! GP hyperparameters are trained jointly on the exact marginal likelihood with Adam
//! (lr 1e-3), full batch: 50 steps on each refit (the paper's setting); the first fit
//! takes 250 steps at lr 1e-2 (the paper's code trains its first fit longer at 1e-3; we
//! trade steps for step size to fit a CPU budget — see the README). Gaussian predictive with the noise variance included. The query's curve input
//! is the configuration's observed prefix before the queried epoch.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use thaw_pfn::init::Init;

use super::gp::kernels::{scaled_sq_dist, squared_exponential};
use super::gp::{GpSolve, MIN_NOISE, MarginalLikelihood, to_mat};
use super::tensors::{matrix, scalar, values};
use crate::curve_model::CurveModel;
use crate::error::{HpoError, Result};
use crate::history::{At, History};
use crate::predictive::Predictive;

const NAME: &str = "DyHPO";
const FILTERS: usize = 8;
const WIDTH: usize = 3;

/// DyHPO's settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DyhpoSettings {
    /// Adam steps (full batch) of the first fit.
    pub first_steps: usize,
    /// Adam steps of each refit (warm-started).
    pub refit_steps: usize,
    /// Adam learning rate of the first fit.
    pub first_lr: f64,
    /// Adam learning rate of refits (the paper's 1e-3).
    pub lr: f64,
    /// Seed of the network initialisation.
    pub seed: u64,
}

impl Default for DyhpoSettings {
    fn default() -> Self {
        Self {
            first_steps: 250,
            refit_steps: 50,
            first_lr: 1e-2,
            lr: 1e-3,
            seed: 0,
        }
    }
}

/// Feature extractor and GP hyperparameters, trained together.
#[derive(Module, Debug)]
struct DeepKernel {
    config_layer: Linear,
    conv: Linear,
    joint_layer: Linear,
    mean: Param<Tensor<1>>,
    log_amp: Param<Tensor<1>>,
    log_ls: Param<Tensor<1>>,
    log_noise: Param<Tensor<1>>,
}

/// Network inputs of a set of (config, epoch) points.
struct Inputs {
    x: Tensor<2>,
    b: Tensor<2>,
    windows: Tensor<2>,
    n: usize,
    len: usize,
}

impl Inputs {
    /// Inputs of `points` (config, epoch): the curve input is the prefix before `epoch`.
    fn new(h: &History, points: &[(usize, usize)], device: &Device) -> Self {
        let (n, len, d) = (points.len(), h.max_epochs(), h.n_hps());
        let mut x = Vec::with_capacity(n * d);
        let mut b = Vec::with_capacity(n);
        let mut windows = Vec::with_capacity(n * len * WIDTH);
        for &(c, e) in points {
            x.extend_from_slice(h.config(c));
            b.push(h.progress(e));
            let seen = &h.curve(c)[..(e - 1).min(h.curve(c).len())];
            let at = |i: isize| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| seen.get(i))
                    .copied()
                    .unwrap_or(0.0)
            };
            for t in 0..len as isize {
                windows.extend([at(t - 1), at(t), at(t + 1)]);
            }
        }
        Self {
            x: matrix(x, n, d, device),
            b: matrix(b, n, 1, device),
            windows: matrix(windows, n * len, WIDTH, device),
            n,
            len,
        }
    }
}

impl DeepKernel {
    fn new(d: usize, y: &[f64], seed: u64, device: &Device) -> Self {
        let mut init = Init::new(seed, device);
        let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
        let var =
            (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len().max(1) as f64).max(1e-4);
        Self {
            config_layer: init.linear(d, 64, true, false),
            conv: init.linear(WIDTH, FILTERS, true, false),
            joint_layer: init.linear(64 + 1 + FILTERS, 128, true, false),
            mean: scalar(mean as f32, device),
            log_amp: scalar(var.ln() as f32, device),
            log_ls: scalar(1f32.ln(), device),
            log_noise: scalar((0.01 * var).ln() as f32, device),
        }
    }

    fn features(&self, inp: &Inputs) -> Tensor<2> {
        let h = relu(self.config_layer.forward(inp.x.clone()));
        let conv = relu(self.conv.forward(inp.windows.clone())).reshape([inp.n, inp.len, FILTERS]);
        let curve = conv.max_dim(1).reshape([inp.n, FILTERS]);
        relu(
            self.joint_layer
                .forward(Tensor::cat(vec![h, inp.b.clone(), curve], 1)),
        )
    }

    fn cov(&self, a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
        squared_exponential(scaled_sq_dist(a, b, self.log_ls.val()))
            * self.log_amp.val().exp().unsqueeze_dim::<2>(0)
    }
}

/// The DyHPO curve model.
pub struct Dyhpo {
    settings: DyhpoSettings,
    device: Device,
    kernel: Option<DeepKernel>,
    optim: Option<ModuleOptimizer>,
}

impl Dyhpo {
    /// An unfitted model on `device` (autodiff is added here).
    pub fn new(settings: DyhpoSettings, device: &Device) -> Self {
        Self {
            settings,
            device: device.clone().autodiff(),
            kernel: None,
            optim: None,
        }
    }

    /// Fitted GP noise variance.
    pub fn noise(&self) -> Option<f64> {
        self.kernel
            .as_ref()
            .map(|k| values(&k.log_noise.val())[0].exp() + MIN_NOISE)
    }

    fn observed(history: &History) -> (Vec<(usize, usize)>, Vec<f64>) {
        history
            .points()
            .map(|(c, e, y)| ((c, e), f64::from(y)))
            .unzip()
    }

    fn train_cov(k: &DeepKernel, phi: Tensor<2>, n: usize, device: &Device) -> Tensor<2> {
        k.cov(phi.clone(), phi)
            + Tensor::<2>::eye(n, device)
                * k.log_noise
                    .val()
                    .exp()
                    .add_scalar(MIN_NOISE)
                    .unsqueeze_dim::<2>(0)
    }
}

impl CurveModel for Dyhpo {
    fn name(&self) -> String {
        NAME.into()
    }

    fn fit(&mut self, history: &History) -> Result<()> {
        let (points, y) = Self::observed(history);
        if y.is_empty() {
            return Ok(());
        }
        let dev = self.device.clone();
        let (steps, lr) = if self.kernel.is_some() {
            (self.settings.refit_steps, self.settings.lr)
        } else {
            (self.settings.first_steps, self.settings.first_lr)
        };
        let mut kernel = self
            .kernel
            .take()
            .unwrap_or_else(|| DeepKernel::new(history.n_hps(), &y, self.settings.seed, &dev));
        let mut optim = self.optim.take().unwrap_or_else(|| {
            AdamWConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(0.0)
                .init()
        });
        let inputs = Inputs::new(history, &points, &dev);
        for _ in 0..steps {
            let k = Self::train_cov(&kernel, kernel.features(&inputs), y.len(), &dev);
            let m = kernel.mean.val().expand([y.len()]);
            let ml = MarginalLikelihood::surrogate(k, m, &y, &dev, NAME)?;
            let grads = GradientsParams::from_grads(ml.loss.backward(), &kernel);
            kernel = optim.step(lr, kernel, grads);
        }
        self.kernel = Some(kernel);
        self.optim = Some(optim);
        Ok(())
    }

    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>> {
        history.check_queries(queries)?;
        let dev = &self.device;
        let (points, y) = Self::observed(history);
        // Untracked parameters: no autodiff graph is built (and kept until the next
        // backward pass) for a prediction.
        let kernel = self.kernel.clone().map(Module::no_grad);
        let Some(kernel) = kernel.as_ref().filter(|_| !y.is_empty()) else {
            return Err(HpoError::InvalidInput(format!(
                "{NAME}: predict before fit"
            )));
        };
        let phi = kernel.features(&Inputs::new(history, &points, dev));
        let asked: Vec<(usize, usize)> = queries.iter().map(|q| (q.config, q.epoch)).collect();
        let phi_q = kernel.features(&Inputs::new(history, &asked, dev));
        let mean = values(&kernel.mean.val())[0];
        let residual: Vec<f64> = y.iter().map(|v| v - mean).collect();
        let solve = GpSolve::new(
            &to_mat(&Self::train_cov(kernel, phi.clone(), y.len(), dev))?,
            &residual,
            NAME,
        )?;
        let k_star = to_mat(&kernel.cov(phi, phi_q))?;
        let prior = values(&kernel.log_amp.val())[0].exp()
            + values(&kernel.log_noise.val())[0].exp()
            + MIN_NOISE;
        let out: Vec<Predictive> = solve
            .predict(&k_star, &vec![prior; queries.len()])
            .into_iter()
            .map(|(m, v)| Predictive::gaussian(mean + m, v.sqrt()))
            .collect();
        if out.iter().any(|p| !p.mean().is_finite()) {
            return Err(HpoError::Diverged {
                model: NAME,
                detail: "non-finite prediction".into(),
            });
        }
        Ok(out)
    }
}
