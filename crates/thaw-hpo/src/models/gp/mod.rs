//! Exact Gaussian-process algebra shared by GP freeze-thaw and DyHPO (faer, f64):
//! Cholesky with a jitter ladder, log marginal likelihood, its gradient with respect to
//! the covariance matrix, and posterior predictions.
//!
//! Kernel hyperparameters (and DyHPO's network) are trained in burn without a
//! differentiable Cholesky: with r = y − m, the log marginal likelihood
//! L = −½ rᵀK⁻¹r − ½ log|K| − (n/2) log 2π has ∂L/∂K = ½(ααᵀ − K⁻¹) =: G and
//! ∂L/∂m = α (α = K⁻¹r). So S(θ) = Σ K(θ) ⊙ G + Σ m(θ) ⊙ α, with G and α held
//! constant, has ∇S = ∇L at the current θ: [`MarginalLikelihood::surrogate`] returns −S
//! as the loss to minimise.

pub mod kernels;

use burn::tensor::{Device, Tensor, TensorData};
use faer::linalg::solvers::{DenseSolveCore, Llt, Solve};
use faer::{Mat, Side};

use crate::error::{HpoError, Result};

/// Smallest noise variance the GP models may learn: gpytorch's default noise constraint
/// (`GreaterThan(1e-4)`), which the published DyHPO and GP baselines run with. Without it
/// smooth curves drive the noise to ~1e-6 and final-epoch predictions become
/// overconfident by orders of magnitude.
pub const MIN_NOISE: f64 = 1e-4;

/// Jitter added to the diagonal, relative to its mean, until the factorisation succeeds.
const JITTERS: [f64; 5] = [0.0, 1e-8, 1e-6, 1e-4, 1e-2];

/// A factorised covariance matrix and the weights α = K⁻¹ r of a residual vector.
pub struct GpSolve {
    llt: Llt<f64>,
    alpha: Vec<f64>,
    residual: Vec<f64>,
}

impl GpSolve {
    /// Factorises `k` (symmetric, n × n; jitter added if needed) and solves for `residual`.
    pub fn new(k: &Mat<f64>, residual: &[f64], model: &'static str) -> Result<Self> {
        let n = k.nrows();
        if k.ncols() != n || residual.len() != n {
            return Err(HpoError::InvalidInput(format!(
                "{model}: covariance {}×{} vs {} residuals",
                k.nrows(),
                k.ncols(),
                residual.len()
            )));
        }
        let finite_k = (0..n).all(|j| (0..n).all(|i| k[(i, j)].is_finite()));
        if residual.iter().any(|v| !v.is_finite()) || !finite_k {
            return Err(HpoError::Diverged {
                model,
                detail: "non-finite covariance or residual".into(),
            });
        }
        let scale = (0..n).map(|i| k[(i, i)]).sum::<f64>() / n.max(1) as f64;
        let mut last = 0.0;
        for rel in JITTERS {
            let jitter = rel * scale.max(1e-12);
            last = jitter;
            let mut kj = k.clone();
            for i in 0..n {
                kj[(i, i)] += jitter;
            }
            if let Ok(llt) = kj.llt(Side::Lower) {
                let r = Mat::from_fn(n, 1, |i, _| residual[i]);
                let a = llt.solve(&r);
                let alpha = (0..n).map(|i| a[(i, 0)]).collect();
                return Ok(Self {
                    llt,
                    alpha,
                    residual: residual.to_vec(),
                });
            }
        }
        Err(HpoError::NotPositiveDefinite {
            model,
            n,
            jitter: last,
        })
    }

    /// α = K⁻¹ r.
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// Log marginal likelihood of the residuals under N(0, K).
    pub fn log_marginal(&self) -> f64 {
        let l = self.llt.L();
        let n = self.alpha.len();
        let fit: f64 = self
            .residual
            .iter()
            .zip(&self.alpha)
            .map(|(r, a)| r * a)
            .sum();
        let log_det: f64 = (0..n).map(|i| l[(i, i)].ln()).sum::<f64>() * 2.0;
        -0.5 * fit - 0.5 * log_det - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln()
    }

    /// ∂L/∂K = ½ (α αᵀ − K⁻¹), row-major n × n.
    pub fn grad_k(&self) -> Vec<f64> {
        let inv = self.llt.inverse();
        let n = self.alpha.len();
        let mut g = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                g.push(0.5 * (self.alpha[i] * self.alpha[j] - inv[(i, j)]));
            }
        }
        g
    }

    /// Posterior mean offsets k*ᵀα and variances prior_var − ‖L⁻¹k*‖² (floored at 0)
    /// for the columns of `k_star` (n × m).
    pub fn predict(&self, k_star: &Mat<f64>, prior_var: &[f64]) -> Vec<(f64, f64)> {
        let mut v = k_star.clone();
        self.llt.L().solve_lower_triangular_in_place(v.as_mut());
        (0..k_star.ncols())
            .map(|j| {
                let mean: f64 = (0..k_star.nrows())
                    .map(|i| k_star[(i, j)] * self.alpha[i])
                    .sum();
                let explained: f64 = (0..v.nrows()).map(|i| v[(i, j)] * v[(i, j)]).sum();
                (mean, (prior_var[j] - explained).max(0.0))
            })
            .collect()
    }
}

/// A burn `[rows, cols]` tensor as a faer matrix (f64).
pub fn to_mat(t: &Tensor<2>) -> Result<Mat<f64>> {
    let [rows, cols] = t.dims();
    let data: Vec<f32> = t
        .to_data()
        .try_to_vec()
        .map_err(|e| HpoError::InvalidInput(format!("tensor read: {e:?}")))?;
    Ok(Mat::from_fn(rows, cols, |i, j| data[i * cols + j] as f64))
}

/// The type-II maximum-likelihood objective at the current parameters.
pub struct MarginalLikelihood {
    /// Log marginal likelihood at the current parameters.
    pub value: f64,
    /// The loss whose gradient is −∇L (see the module docs).
    pub loss: Tensor<1>,
}

impl MarginalLikelihood {
    /// Evaluates L for covariance `k` ([n, n]) and mean `m` ([n]) built from trainable
    /// parameters, and the surrogate loss to back-propagate.
    pub fn surrogate(
        k: Tensor<2>,
        m: Tensor<1>,
        y: &[f64],
        device: &Device,
        model: &'static str,
    ) -> Result<Self> {
        let n = y.len();
        let kmat = to_mat(&k)?;
        let means: Vec<f32> = m
            .to_data()
            .try_to_vec()
            .map_err(|e| HpoError::InvalidInput(format!("tensor read: {e:?}")))?;
        let residual: Vec<f64> = y.iter().zip(&means).map(|(y, m)| y - *m as f64).collect();
        let solve = GpSolve::new(&kmat, &residual, model)?;
        let g: Vec<f32> = solve.grad_k().into_iter().map(|v| v as f32).collect();
        let a: Vec<f32> = solve.alpha().iter().map(|&v| v as f32).collect();
        let g = Tensor::<2>::from_data(TensorData::new(g, [n, n]), device);
        let a = Tensor::<1>::from_data(TensorData::new(a, [n]), device);
        let s = (k * g).sum() + (m * a).sum();
        Ok(Self {
            value: solve.log_marginal(),
            loss: s.neg(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> Mat<f64> {
        // A small SPD matrix: B Bᵀ + I.
        let b = Mat::from_fn(3, 3, |i, j| ((i * 3 + j) as f64 * 0.37).sin());
        let mut k = &b * b.transpose();
        for i in 0..3 {
            k[(i, i)] += 1.0;
        }
        k
    }

    #[test]
    fn log_marginal_matches_the_definition() {
        let k = matrix();
        let r = [0.3, -0.2, 0.5];
        let s = GpSolve::new(&k, &r, "test").unwrap();
        // K α = r
        for i in 0..3 {
            let back: f64 = (0..3).map(|j| k[(i, j)] * s.alpha()[j]).sum();
            assert!((back - r[i]).abs() < 1e-12);
        }
        // log|K| from the 3×3 determinant formula.
        let det = k[(0, 0)] * (k[(1, 1)] * k[(2, 2)] - k[(1, 2)] * k[(2, 1)])
            - k[(0, 1)] * (k[(1, 0)] * k[(2, 2)] - k[(1, 2)] * k[(2, 0)])
            + k[(0, 2)] * (k[(1, 0)] * k[(2, 1)] - k[(1, 1)] * k[(2, 0)]);
        let fit: f64 = r.iter().zip(s.alpha()).map(|(a, b)| a * b).sum();
        let want = -0.5 * fit - 0.5 * det.ln() - 1.5 * (2.0 * std::f64::consts::PI).ln();
        assert!((s.log_marginal() - want).abs() < 1e-12);
    }

    #[test]
    fn grad_k_matches_finite_differences() {
        let k = matrix();
        let r = [0.3, -0.2, 0.5];
        let g = GpSolve::new(&k, &r, "test").unwrap().grad_k();
        // Perturb a symmetric pair (i, j) and (j, i): dL = (G_ij + G_ji) h.
        let h = 1e-6;
        for (i, j) in [(0, 0), (0, 2), (1, 2)] {
            let mut kp = k.clone();
            let mut km = k.clone();
            kp[(i, j)] += h;
            km[(i, j)] -= h;
            if i != j {
                kp[(j, i)] += h;
                km[(j, i)] -= h;
            }
            let lp = GpSolve::new(&kp, &r, "t").unwrap().log_marginal();
            let lm = GpSolve::new(&km, &r, "t").unwrap().log_marginal();
            let fd = (lp - lm) / (2.0 * h);
            let an = if i == j {
                g[i * 3 + j]
            } else {
                g[i * 3 + j] + g[j * 3 + i]
            };
            assert!((fd - an).abs() < 1e-6, "({i},{j}): fd {fd} vs {an}");
        }
    }

    #[test]
    fn posterior_of_an_observed_noiseless_point_is_that_point() {
        let k = Mat::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 0.5 });
        let s = GpSolve::new(&k, &[0.7, -0.1], "test").unwrap();
        let p = s.predict(&k, &[1.0, 1.0]);
        assert!((p[0].0 - 0.7).abs() < 1e-12 && p[0].1 < 1e-12);
        assert!((p[1].0 + 0.1).abs() < 1e-12 && p[1].1 < 1e-12);
    }

    #[test]
    fn singular_matrices_get_jitter_and_garbage_is_an_error() {
        let ones = Mat::from_fn(3, 3, |_, _| 1.0);
        assert!(GpSolve::new(&ones, &[0.1, 0.1, 0.1], "test").is_ok());
        let neg = Mat::from_fn(2, 2, |i, j| if i == j { -1.0 } else { 0.0 });
        assert!(matches!(
            GpSolve::new(&neg, &[0.0, 0.0], "test"),
            Err(HpoError::NotPositiveDefinite { .. })
        ));
        let nan = Mat::from_fn(1, 1, |_, _| f64::NAN);
        assert!(matches!(
            GpSolve::new(&nan, &[0.0], "test"),
            Err(HpoError::Diverged { .. })
        ));
    }
}
