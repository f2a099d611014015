//! GP freeze-thaw (Swersky, Snoek & Adams 2014).
//!
//! y(x, t) = f(x) + g_x(t) + ε: the asymptote f ~ GP(μ, a_x · Matérn52 with one length
//! scale per hyperparameter) is shared across configurations; each curve adds its own
//! independent g_x ~ GP(0, a_t · (β / (t + t' + β))^α) (the exponential-decay kernel, whose
//! variance vanishes as t grows, so curves converge to their asymptote); ε ~ N(0, σ²).
//! t = epoch / max_epochs. Every observed point enters one exact GP (n ≤ a few thousand).
//! Hyperparameters (μ, a_x, ℓ, a_t, α, β, σ²) are fitted by type-II maximum likelihood
//! with Adam on their logarithms ([`crate::models::gp`] explains the gradient); the paper
//! slice-samples them instead. Predictions are Gaussian with the noise variance included.

use burn::module::{Module, Param};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

use super::gp::kernels::{exp_decay, matern52, scaled_sq_dist_from_parts, sq_diff_parts};
use super::gp::{GpSolve, MIN_NOISE, MarginalLikelihood, to_mat};
use super::tensors::{column, matrix, scalar, values, vector};
use crate::curve_model::CurveModel;
use crate::error::{HpoError, Result};
use crate::history::{At, History};
use crate::predictive::Predictive;

const NAME: &str = "GP-FT";

/// Settings of the hyperparameter fit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GpFtSettings {
    /// Adam steps of the first fit.
    pub first_steps: usize,
    /// Adam steps of every later fit (warm-started).
    pub refit_steps: usize,
    /// Adam learning rate on the log-parameters.
    pub lr: f64,
}

impl Default for GpFtSettings {
    fn default() -> Self {
        Self {
            first_steps: 100,
            refit_steps: 20,
            lr: 0.05,
        }
    }
}

/// Fitted hyperparameters as [`GpFreezeThaw::hyperparameters`] reports them:
/// (μ, a_x, length scales, a_t, α, β, σ²).
pub type Hyperparameters = (f64, f64, Vec<f64>, f64, f64, f64, f64);

/// The kernel hyperparameters (logarithms, except the mean).
#[derive(Module, Debug)]
struct FtKernel {
    mean: Param<Tensor<1>>,
    log_amp_x: Param<Tensor<1>>,
    log_ls: Param<Tensor<1>>,
    log_amp_t: Param<Tensor<1>>,
    log_alpha: Param<Tensor<1>>,
    log_beta: Param<Tensor<1>>,
    log_noise: Param<Tensor<1>>,
}

/// Observed points: hyperparameters (raw, for exact distances), progress [n], curve index.
struct Points {
    /// Hyperparameters, row-major n × d.
    x: Vec<f32>,
    d: usize,
    t: Tensor<1>,
    curve: Vec<usize>,
    y: Vec<f64>,
}

impl Points {
    fn observed(h: &History, device: &Device) -> Self {
        let d = h.n_hps();
        let (mut x, mut t, mut curve, mut y) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (c, e, v) in h.points() {
            x.extend_from_slice(h.config(c));
            t.push(h.progress(e));
            curve.push(c);
            y.push(f64::from(v));
        }
        Self {
            x,
            d,
            t: column(t, device),
            curve,
            y,
        }
    }

    fn queries(h: &History, queries: &[At], device: &Device) -> Self {
        let d = h.n_hps();
        let x = queries
            .iter()
            .flat_map(|q| h.config(q.config).to_vec())
            .collect();
        let t = queries.iter().map(|q| h.progress(q.epoch)).collect();
        Self {
            x,
            d,
            t: column(t, device),
            curve: queries.iter().map(|q| q.config).collect(),
            y: Vec::new(),
        }
    }
}

/// What a covariance between two point sets needs that does not depend on the kernel's
/// parameters: per-feature squared differences of the hyperparameters and the
/// same-curve mask. Built once per fit and reused by every optimisation step.
struct PairParts {
    sq_diff: Tensor<2>,
    same_curve: Tensor<2>,
    n: usize,
    m: usize,
}

impl PairParts {
    fn new(a: &Points, b: &Points, device: &Device) -> Self {
        let (n, m) = (a.curve.len(), b.curve.len());
        let same = a
            .curve
            .iter()
            .flat_map(|i| b.curve.iter().map(move |j| if i == j { 1.0 } else { 0.0 }))
            .collect();
        Self {
            sq_diff: sq_diff_parts(&a.x, &b.x, a.d, device),
            same_curve: matrix(same, n, m, device),
            n,
            m,
        }
    }
}

impl FtKernel {
    fn new(d: usize, y: &[f64], device: &Device) -> Self {
        let n = y.len().max(1) as f64;
        let mean = y.iter().sum::<f64>() / n;
        let var = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).max(1e-4);
        Self {
            mean: scalar(mean as f32, device),
            log_amp_x: scalar((0.5 * var).ln() as f32, device),
            log_ls: vector(0.5f32.ln(), d, device),
            log_amp_t: scalar((0.5 * var).ln() as f32, device),
            log_alpha: scalar(0.0, device),
            log_beta: scalar(0.1f32.ln(), device),
            log_noise: scalar((0.01 * var).ln() as f32, device),
        }
    }

    /// Noise-free covariance between two point sets (`parts` of the same pair).
    fn cross(&self, a: &Points, b: &Points, parts: &PairParts) -> Tensor<2> {
        let kx = matern52(scaled_sq_dist_from_parts(
            parts.sq_diff.clone(),
            self.log_ls.val(),
            parts.n,
            parts.m,
        )) * self.log_amp_x.val().exp().unsqueeze_dim::<2>(0);
        let kt = exp_decay(
            a.t.clone(),
            b.t.clone(),
            self.log_alpha.val(),
            self.log_beta.val(),
        ) * self.log_amp_t.val().exp().unsqueeze_dim::<2>(0);
        kx + kt * parts.same_curve.clone()
    }

    /// Covariance of the observed points (`parts` of the pair (p, p)), noise included.
    fn train_cov(&self, p: &Points, parts: &PairParts, device: &Device) -> Tensor<2> {
        let n = p.curve.len();
        let eye = Tensor::<2>::eye(n, device);
        self.cross(p, p, parts)
            + eye
                * self
                    .log_noise
                    .val()
                    .exp()
                    .add_scalar(MIN_NOISE)
                    .unsqueeze_dim::<2>(0)
    }
}

/// The GP freeze-thaw curve model.
pub struct GpFreezeThaw {
    settings: GpFtSettings,
    device: Device,
    kernel: Option<FtKernel>,
    optim: Option<ModuleOptimizer>,
    /// Log marginal likelihood after the last fit.
    last_lml: Option<f64>,
}

impl GpFreezeThaw {
    /// An unfitted model on `device` (autodiff is added here).
    pub fn new(settings: GpFtSettings, device: &Device) -> Self {
        Self {
            settings,
            device: device.clone().autodiff(),
            kernel: None,
            optim: None,
            last_lml: None,
        }
    }

    /// Log marginal likelihood of the history after the last fit.
    pub fn log_marginal(&self) -> Option<f64> {
        self.last_lml
    }

    /// Fitted hyperparameters: (μ, a_x, length scales, a_t, α, β, σ²).
    pub fn hyperparameters(&self) -> Option<Hyperparameters> {
        let k = self.kernel.as_ref()?;
        let one = |p: &Param<Tensor<1>>| values(&p.val())[0];
        Some((
            one(&k.mean),
            one(&k.log_amp_x).exp(),
            values(&k.log_ls.val()).into_iter().map(f64::exp).collect(),
            one(&k.log_amp_t).exp(),
            one(&k.log_alpha).exp(),
            one(&k.log_beta).exp(),
            one(&k.log_noise).exp() + MIN_NOISE,
        ))
    }
}

impl CurveModel for GpFreezeThaw {
    fn name(&self) -> String {
        NAME.into()
    }

    fn fit(&mut self, history: &History) -> Result<()> {
        let p = Points::observed(history, &self.device);
        if p.y.is_empty() {
            return Ok(());
        }
        let steps = if self.kernel.is_some() {
            self.settings.refit_steps
        } else {
            self.settings.first_steps
        };
        let mut kernel = self
            .kernel
            .take()
            .unwrap_or_else(|| FtKernel::new(history.n_hps(), &p.y, &self.device));
        let mut optim = self.optim.take().unwrap_or_else(|| {
            AdamWConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(0.0)
                .init()
        });
        let parts = PairParts::new(&p, &p, &self.device);
        let mut lml = None;
        for _ in 0..steps {
            let k = kernel.train_cov(&p, &parts, &self.device);
            let m = kernel.mean.val().expand([p.y.len()]);
            let ml = MarginalLikelihood::surrogate(k, m, &p.y, &self.device, NAME)?;
            let grads = GradientsParams::from_grads(ml.loss.backward(), &kernel);
            kernel = optim.step(self.settings.lr, kernel, grads);
            lml = Some(ml.value);
        }
        if kernel.log_ls.val().contains_nan().into_scalar::<bool>() {
            return Err(HpoError::Diverged {
                model: NAME,
                detail: "NaN length scale".into(),
            });
        }
        self.last_lml = lml;
        self.kernel = Some(kernel);
        self.optim = Some(optim);
        Ok(())
    }

    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>> {
        history.check_queries(queries)?;
        let dev = &self.device;
        let p = Points::observed(history, dev);
        // Untracked parameters: no autodiff graph is built (and kept until the next
        // backward pass) for a prediction.
        let kernel = self.kernel.clone().map(Module::no_grad);
        let Some(kernel) = kernel.as_ref().filter(|_| !p.y.is_empty()) else {
            return Err(HpoError::InvalidInput(format!(
                "{NAME}: predict before fit"
            )));
        };
        let q = Points::queries(history, queries, dev);
        let mean = values(&kernel.mean.val())[0];
        let residual: Vec<f64> = p.y.iter().map(|y| y - mean).collect();
        let train = PairParts::new(&p, &p, dev);
        let solve = GpSolve::new(
            &to_mat(&kernel.train_cov(&p, &train, dev))?,
            &residual,
            NAME,
        )?;
        let k_star = to_mat(&kernel.cross(&p, &q, &PairParts::new(&p, &q, dev)))?;
        let one = |t: &Param<Tensor<1>>| values(&t.val())[0];
        let (amp_x, amp_t, noise) = (
            one(&kernel.log_amp_x).exp(),
            one(&kernel.log_amp_t).exp(),
            one(&kernel.log_noise).exp() + MIN_NOISE,
        );
        let (alpha, beta) = (one(&kernel.log_alpha).exp(), one(&kernel.log_beta).exp());
        let prior: Vec<f64> = queries
            .iter()
            .map(|a| {
                let t = f64::from(history.progress(a.epoch));
                amp_x + amp_t * (beta / (2.0 * t + beta)).powf(alpha) + noise
            })
            .collect();
        Ok(solve
            .predict(&k_star, &prior)
            .into_iter()
            .map(|(m, v)| Predictive::gaussian(mean + m, v.sqrt()))
            .collect())
    }
}
