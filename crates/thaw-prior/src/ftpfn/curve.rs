//! A synthetic learning curve: four basis curves (pow4, exp, ilog, hill) mixed with
//! Dirichlet weights, each with a saturation break and, if the post-saturation slope
//! is negative, a divergence (reference §2 steps 3–4). All maths in f64.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use statrs::function::erf::erfc_inv;

use super::mlp::OUTPUTS;

/// Slope of a basis is taken here (not at 0, where it can be infinite) for the tail.
const TAIL_SLOPE_AT: f64 = 1e-9;

/// The four basis families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasisKind {
    /// Y∞ − G·(((P^(1/α) − 1)/X)·x + 1)^(−α)
    Pow4,
    /// Y∞ − G·P^(−(x/X)^α)
    Exp,
    /// Y∞ − G·ln α / ln((α^P − α)·x/X + α)
    Ilog,
    /// Y∞ − G / ((x/X)^α·(P − 1) + 1)
    Hill,
}

/// The basis kinds in parameter order.
pub const BASIS_KINDS: [BasisKind; 4] = [
    BasisKind::Pow4,
    BasisKind::Exp,
    BasisKind::Ilog,
    BasisKind::Hill,
];

/// One basis curve's shape: at x = `x_sat` the remaining gap is G / `prec`; after it
/// progress runs at `r_psat` times the speed (negative: the curve turns back).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Basis {
    /// Family.
    pub kind: BasisKind,
    /// Shape/skew parameter α.
    pub alpha: f64,
    /// Saturation point X_sat (progress units, may exceed 1).
    pub x_sat: f64,
    /// Precision at saturation, PREC ≥ 1.
    pub prec: f64,
    /// Post-saturation slope multiplier R_psat (≤ 1; < 0 means divergence).
    pub r_psat: f64,
}

impl Basis {
    /// Progress after the saturation break: x before X_sat, X_sat + R_psat·(x − X_sat) after.
    pub fn warped(&self, x: f64) -> f64 {
        if x < self.x_sat {
            x
        } else {
            self.x_sat + self.r_psat * (x - self.x_sat)
        }
    }

    /// Value and slope of the bare basis (no break) at progress `x > 0`.
    fn bare(&self, x: f64, y0: f64, y_inf: f64) -> (f64, f64) {
        let g = y_inf - y0;
        let (a, xs, p) = (self.alpha, self.x_sat, self.prec);
        let s = x / xs;
        match self.kind {
            BasisKind::Pow4 => {
                let c = (p.powf(1.0 / a) - 1.0) / xs;
                let base = c * x + 1.0;
                (y_inf - g * base.powf(-a), g * a * c * base.powf(-a - 1.0))
            }
            BasisKind::Exp => {
                let sa = s.powf(a);
                let decay = p.powf(-sa);
                (y_inf - g * decay, g * decay * p.ln() * a * sa / x)
            }
            BasisKind::Ilog => {
                // ln((α^P − α)s + α) = L + ln(s(1 − k) + k) with L = P ln α, k = α^(1−P):
                // finite even where α^P overflows.
                let ln_a = a.ln();
                let l = p * ln_a;
                let k = ((1.0 - p) * ln_a).exp();
                let inner = s * (1.0 - k) + k;
                let den = l + inner.ln();
                let slope = g * ln_a * (1.0 - k) / (xs * inner * den * den);
                (y_inf - g * ln_a / den, slope)
            }
            BasisKind::Hill => {
                let sa = s.powf(a);
                let den = sa * (p - 1.0) + 1.0;
                (y_inf - g / den, g * (p - 1.0) * a * sa / (x * den * den))
            }
        }
    }

    /// The basis at progress `x`, with the saturation break and, where the broken
    /// progress x' falls to 0 or below, the tail Y0·exp(x'·g/Y0) (g: the slope near 0),
    /// continuous at x' = 0 and decaying toward 0.
    pub fn value(&self, x: f64, y0: f64, y_inf: f64) -> f64 {
        let xw = self.warped(x);
        if xw > 0.0 {
            self.bare(xw, y0, y_inf).0
        } else {
            let slope = self.bare(TAIL_SLOPE_AT, y0, y_inf).1.max(0.0);
            let y0 = y0.max(1e-12);
            y0 * (xw * slope / y0).exp()
        }
    }
}

/// One configuration's curve: asymptote, basis weights and shapes, observation noise.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticCurve {
    /// Value at x = 0 (shared by the task).
    pub y0: f64,
    /// Asymptote Y∞ shared by the four bases.
    pub y_inf: f64,
    /// Basis weights (sum to 1).
    pub weights: [f64; 4],
    /// The four bases, in [`BASIS_KINDS`] order.
    pub bases: [Basis; 4],
    /// Observation noise standard deviation σ.
    pub sigma: f64,
}

/// Standard normal quantile.
fn z(u: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * u)
}

/// Exp(1) (= Gamma(1)) quantile.
fn exp1(u: f64) -> f64 {
    -(-u).ln_1p()
}

impl SyntheticCurve {
    /// The curve whose parameters are the inverse CDFs of the uniform quantiles `u`
    /// (one per MLP output, in (0, 1)), for a task with initial value `y0` and
    /// asymptote bound `y_max` (reference §2 step 3, outputs 0–22).
    pub fn from_quantiles(u: &[f64; OUTPUTS], y0: f64, y_max: f64) -> Self {
        let y_inf = y0 + u[0] * (y_max - y0);
        let mut weights = [0.0; 4];
        for (k, w) in weights.iter_mut().enumerate() {
            *w = exp1(u[1 + k]);
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        let alpha = [
            (1.0 + z(u[5])).exp(),
            z(u[6]).exp(),
            1.0 + (-4.0 + z(u[7])).exp(),
            (0.5 + 0.5 * z(u[8])).exp(),
        ];
        let x_sat_max = 10f64.powf(z(u[9]));
        let r: [f64; 4] = std::array::from_fn(|k| exp1(u[10 + k]));
        let r_max = r.iter().copied().fold(f64::MIN_POSITIVE, f64::max);
        let bases = std::array::from_fn(|k| Basis {
            kind: BASIS_KINDS[k],
            alpha: alpha[k],
            x_sat: x_sat_max * r[k] / r_max,
            prec: 10f64.powf(3.0 * u[14 + k]),
            r_psat: 1.0 - exp1(u[18 + k]),
        });
        Self {
            y0,
            y_inf,
            weights,
            bases,
            sigma: (-5.0 + z(u[22])).exp(),
        }
    }

    /// The noise-free curve at progress `x` (not clipped).
    pub fn mean(&self, x: f64) -> f64 {
        self.weights
            .iter()
            .zip(&self.bases)
            .map(|(w, b)| w * b.value(x, self.y0, self.y_inf))
            .sum()
    }

    /// An observation at progress `x`: mean + N(0, σ²), clipped to [0, 1].
    pub fn observe<R: Rng + ?Sized>(&self, x: f64, rng: &mut R) -> f32 {
        let noise: f64 = StandardNormal.sample(rng);
        (self.mean(x) + self.sigma * noise).clamp(0.0, 1.0) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis(kind: BasisKind, alpha: f64, r_psat: f64) -> Basis {
        Basis {
            kind,
            alpha,
            x_sat: 0.4,
            prec: 50.0,
            r_psat,
        }
    }

    #[test]
    fn every_basis_starts_at_y0_and_leaves_gap_over_prec_at_saturation() {
        let (y0, y_inf) = (0.2, 0.9);
        for kind in BASIS_KINDS {
            // ilog's α is 1 + exp(·) > 1 by construction.
            let alphas: &[f64] = if kind == BasisKind::Ilog {
                &[1.02, 1.5, 3.0]
            } else {
                &[0.3, 1.0, 3.0]
            };
            for &alpha in alphas {
                let b = basis(kind, alpha, 1.0);
                let at0 = b.value(1e-200, y0, y_inf);
                assert!((at0 - y0).abs() < 1e-3, "{kind:?} α={alpha}: {at0}");
                let gap = y_inf - b.value(0.4, y0, y_inf);
                assert!(
                    (gap - (y_inf - y0) / 50.0).abs() < 1e-9,
                    "{kind:?} α={alpha}: gap {gap}"
                );
            }
        }
    }

    #[test]
    fn analytic_slopes_match_finite_differences() {
        for kind in BASIS_KINDS {
            let b = basis(kind, 1.7, 1.0);
            for x in [0.01, 0.1, 0.3] {
                let h = 1e-6;
                let fd = (b.bare(x + h, 0.1, 0.8).0 - b.bare(x - h, 0.1, 0.8).0) / (2.0 * h);
                let an = b.bare(x, 0.1, 0.8).1;
                assert!(
                    (fd - an).abs() < 1e-4 * an.abs().max(1.0),
                    "{kind:?} {x}: {fd} vs {an}"
                );
            }
        }
    }

    #[test]
    fn ilog_survives_huge_precision() {
        // α^P = 3^1000 overflows f64; the log form must not.
        let b = Basis {
            kind: BasisKind::Ilog,
            alpha: 3.0,
            x_sat: 0.5,
            prec: 1000.0,
            r_psat: 1.0,
        };
        for x in [1e-6, 0.1, 0.5, 0.9] {
            let v = b.value(x, 0.1, 0.9);
            assert!(v.is_finite() && (0.1..=0.9).contains(&v), "{x}: {v}");
        }
    }

    #[test]
    fn divergence_turns_back_and_tails_off_toward_zero() {
        let (y0, y_inf) = (0.3, 0.8);
        for kind in BASIS_KINDS {
            let b = Basis {
                kind,
                alpha: 1.2,
                x_sat: 0.2,
                prec: 20.0,
                r_psat: -2.0,
            };
            let peak = b.value(0.2, y0, y_inf);
            // x' = 0.2 − 2(x − 0.2) reaches 0 at x = 0.3, then the tail.
            let back = b.value(0.29, y0, y_inf);
            let tail = b.value(0.35, y0, y_inf);
            let far = b.value(1.0, y0, y_inf);
            assert!(back < peak, "{kind:?}");
            assert!(
                tail <= y0 + 1e-12 && far < tail + 1e-12 && far >= 0.0,
                "{kind:?}"
            );
            assert!(
                (b.value(0.3, y0, y_inf) - y0).abs() < 1e-6,
                "continuous at x' = 0"
            );
        }
    }

    #[test]
    fn quantiles_map_to_the_documented_distributions() {
        let mut u = [0.5; OUTPUTS];
        u[0] = 0.25;
        let c = SyntheticCurve::from_quantiles(&u, 0.2, 1.0);
        assert!((c.y_inf - 0.4).abs() < 1e-12);
        assert!((c.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(
            (c.bases[0].alpha - 1f64.exp()).abs() < 1e-9,
            "median of exp(N(1,1))"
        );
        assert!((c.bases[2].alpha - (1.0 + (-4f64).exp())).abs() < 1e-9);
        assert!((c.bases[0].prec - 10f64.powf(1.5)).abs() < 1e-9);
        assert!(
            (c.bases[0].r_psat - (1.0 - 2f64.ln())).abs() < 1e-9,
            "median of 1 − Exp(1)"
        );
        assert!((c.sigma - (-5f64).exp()).abs() < 1e-12);
        assert!(
            (c.bases[0].x_sat - 1.0).abs() < 1e-9,
            "10^median(N(0,1)) with r equal"
        );
    }
}
