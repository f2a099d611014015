//! CDF-augment (Adam-PFN): y' = F_Beta(y; μ, κ) applied to every value of every
//! curve of a task, with one (μ, κ) per task sample. The Beta CDF is strictly
//! increasing, so the ranking of configurations at every epoch is kept while the
//! task's hardness (where the values crowd) changes.

use rand::{Rng, RngExt};

use crate::beta_cdf::BetaCdf;
use crate::error::{DataError, Result};
use crate::task::CurveSet;

/// How (μ, κ) become Beta shape parameters (α, β).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BetaForm {
    /// μ is the mode: α = μ(κ − 2) + 1, β = (1 − μ)(κ − 2) + 1 (needs κ ≥ 2).
    ///
    /// The default: for κ ∈ [2, 5] both shapes lie in [1, 4], the warp has a
    /// bounded density, and κ = 2 is exactly the identity, so the augmentation
    /// ranges from "unchanged" to a moderate change of hardness.
    #[default]
    Mode,
    /// μ is the mean: α = μκ, β = (1 − μ)κ. Shapes below 1 occur whenever
    /// μ < 1/κ or μ > 1 − 1/κ, giving warps that squash most values to 0 or 1.
    Mean,
}

impl BetaForm {
    /// The shape parameters (α, β) for location `mu` ∈ [0, 1] and concentration `kappa`.
    pub fn shapes(self, mu: f64, kappa: f64) -> Result<(f64, f64)> {
        if !(0.0..=1.0).contains(&mu) {
            return Err(DataError::InvalidArgument {
                name: "CDF-augment mu",
                detail: format!("{mu} (must be in [0, 1])"),
            });
        }
        match self {
            BetaForm::Mode if kappa >= 2.0 && kappa.is_finite() => {
                Ok((mu * (kappa - 2.0) + 1.0, (1.0 - mu) * (kappa - 2.0) + 1.0))
            }
            BetaForm::Mode => Err(DataError::InvalidArgument {
                name: "CDF-augment kappa",
                detail: format!("{kappa} (the mode form needs kappa >= 2)"),
            }),
            BetaForm::Mean if kappa > 0.0 && kappa.is_finite() && mu > 0.0 && mu < 1.0 => {
                Ok((mu * kappa, (1.0 - mu) * kappa))
            }
            BetaForm::Mean => Err(DataError::InvalidArgument {
                name: "CDF-augment mean form",
                detail: format!("mu {mu} must be in (0, 1) and kappa {kappa} > 0"),
            }),
        }
    }
}

/// The distribution of CDF-augment warps: μ ~ U[mu], κ ~ U[kappa] (reference §3:
/// μ ~ U[0, 1], κ ~ U[2, 5]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdfAugment {
    /// Mode or mean parameterisation.
    pub form: BetaForm,
    /// Range of μ.
    pub mu: (f64, f64),
    /// Range of κ.
    pub kappa: (f64, f64),
}

impl Default for CdfAugment {
    fn default() -> Self {
        Self {
            form: BetaForm::Mode,
            mu: (0.0, 1.0),
            kappa: (2.0, 5.0),
        }
    }
}

impl CdfAugment {
    /// Draws one warp. In the mean form μ is kept inside [1e-3, 1 − 1e-3] so that
    /// both shapes stay positive.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<BetaCdf> {
        let mut mu = self.mu.0 + (self.mu.1 - self.mu.0) * rng.random::<f64>();
        let kappa = self.kappa.0 + (self.kappa.1 - self.kappa.0) * rng.random::<f64>();
        if self.form == BetaForm::Mean {
            mu = mu.clamp(1e-3, 1.0 - 1e-3);
        }
        let (a, b) = self.form.shapes(mu, kappa)?;
        BetaCdf::new(a, b)
    }

    /// One augmented copy of `curves` with a freshly drawn warp.
    pub fn apply<R: Rng + ?Sized>(&self, curves: &CurveSet, rng: &mut R) -> Result<CurveSet> {
        Ok(cdf_augment(curves, &self.sample(rng)?))
    }
}

/// `curves` with every y replaced by `warp`(y); hyperparameters unchanged.
pub fn cdf_augment(curves: &CurveSet, warp: &BetaCdf) -> CurveSet {
    let mut out = curves.clone();
    warp.apply(&mut out.y);
    out
}
