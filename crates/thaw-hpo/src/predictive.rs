//! The predictive distribution of a curve model at one (config, epoch).

use statrs::function::erf::erfc;

/// Smallest standard deviation a Gaussian prediction may have. A model that claims
/// more certainty is scored as if it had claimed this much: without a floor a
/// zero-variance ensemble would score −∞ on any miss. Documented in the README.
pub const MIN_STD: f64 = 1e-4;

/// A predictive distribution over y (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub enum Predictive {
    /// A PFN's bar distribution on [0, 1].
    Bar(thaw_pfn::BarPredictive),
    /// A Gaussian on the real line (DPL, DyHPO, GP freeze-thaw); its density is not
    /// truncated to [0, 1].
    Gaussian {
        /// Mean.
        mean: f64,
        /// Standard deviation (≥ [`MIN_STD`]).
        std: f64,
    },
    /// The uniform density on [0, 1].
    Uniform,
}

impl Predictive {
    /// A Gaussian with its standard deviation floored at [`MIN_STD`] (NaN → the floor).
    pub fn gaussian(mean: f64, std: f64) -> Self {
        Self::Gaussian {
            mean,
            std: if std >= MIN_STD { std } else { MIN_STD },
        }
    }

    /// Mean (the point prediction scored by MSE).
    pub fn mean(&self) -> f64 {
        match self {
            Self::Bar(p) => p.mean(),
            Self::Gaussian { mean, .. } => *mean,
            Self::Uniform => 0.5,
        }
    }

    /// Standard deviation.
    pub fn std(&self) -> f64 {
        match self {
            Self::Bar(p) => p.variance().max(0.0).sqrt(),
            Self::Gaussian { std, .. } => *std,
            Self::Uniform => (1.0f64 / 12.0).sqrt(),
        }
    }

    /// Log-density at `y` (a density, not a bin mass: the uniform scores 0 on [0, 1]).
    pub fn log_pdf(&self, y: f64) -> f64 {
        match self {
            Self::Bar(p) => p.log_pdf(y),
            Self::Gaussian { mean, std } => {
                let z = (y - mean) / std;
                -0.5 * z * z - std.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            }
            Self::Uniform => {
                if (0.0..=1.0).contains(&y) {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
        }
    }

    /// Probability of improvement: P(y > f).
    pub fn pi(&self, f: f64) -> f64 {
        match self {
            Self::Bar(p) => p.pi(f),
            Self::Gaussian { mean, std } => normal_sf((f - mean) / std),
            Self::Uniform => (1.0 - f).clamp(0.0, 1.0),
        }
    }

    /// Expected improvement: E[max(y − f, 0)].
    pub fn ei(&self, f: f64) -> f64 {
        match self {
            Self::Bar(p) => p.ei(f),
            Self::Gaussian { mean, std } => {
                let z = (mean - f) / std;
                (mean - f) * normal_cdf(z) + std * normal_pdf(z)
            }
            Self::Uniform => {
                let f = f.clamp(0.0, 1.0);
                0.5 * (1.0 - f) * (1.0 - f) + (-f).max(0.0)
            }
        }
    }
}

/// Standard normal density.
pub fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Standard normal survival function 1 − Φ(z), accurate in the upper tail.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_formulas_match_hand_values() {
        let g = Predictive::gaussian(0.5, 0.1);
        // log N(0.6; 0.5, 0.1) = −0.5 − ln 0.1 − ½ ln 2π
        let want = -0.5 - 0.1f64.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
        assert!((g.log_pdf(0.6) - want).abs() < 1e-12);
        assert!((g.pi(0.5) - 0.5).abs() < 1e-12);
        assert!((g.pi(0.6) - 0.158_655_253_931_457).abs() < 1e-9);
        // EI at f = mean is σ φ(0) = 0.1 / √(2π)
        assert!((g.ei(0.5) - 0.1 * 0.398_942_280_401_432_7).abs() < 1e-12);
        assert_eq!(Predictive::gaussian(0.2, 0.0).std(), MIN_STD);
        assert_eq!(Predictive::gaussian(0.2, f64::NAN).std(), MIN_STD);
    }

    #[test]
    fn uniform_is_the_zero_log_density_baseline() {
        let u = Predictive::Uniform;
        assert_eq!(u.log_pdf(0.3), 0.0);
        assert_eq!(u.log_pdf(1.2), f64::NEG_INFINITY);
        assert_eq!(u.mean(), 0.5);
        assert!((u.pi(0.25) - 0.75).abs() < 1e-12);
        // E[max(U − 0.5, 0)] = ∫_0.5^1 (u − 0.5) du = 0.125
        assert!((u.ei(0.5) - 0.125).abs() < 1e-12);
    }
}
