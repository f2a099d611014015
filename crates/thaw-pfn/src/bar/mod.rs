//! The bar ("Riemann") distribution of FT-PFN (reference §1): `n` equal bins on
//! [0, 1] with probabilities p = softmax(logits); the density is p_b / w inside
//! bin b (w = 1 / n). Every quantity below is exact for that piecewise-constant
//! density.

pub mod loss;

/// A piecewise-constant density on [0, 1] with equal-width bins.
#[derive(Debug, Clone, PartialEq)]
pub struct BarDistribution {
    probs: Vec<f64>,
}

impl BarDistribution {
    /// From the decoder's logits (one per bin), by a numerically stable softmax.
    /// Returns `None` for no logits or a non-finite one.
    pub fn from_logits(logits: &[f32]) -> Option<Self> {
        if logits.is_empty() || logits.iter().any(|l| !l.is_finite()) {
            return None;
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        let exps: Vec<f64> = logits.iter().map(|&l| (l as f64 - max).exp()).collect();
        let sum: f64 = exps.iter().sum();
        Some(Self {
            probs: exps.into_iter().map(|e| e / sum).collect(),
        })
    }

    /// From bin probabilities (non-negative, renormalised to sum 1).
    /// Returns `None` for no bins, a negative or non-finite mass, or zero total mass.
    pub fn from_probs(probs: &[f64]) -> Option<Self> {
        let sum: f64 = probs.iter().sum();
        if probs.is_empty() || probs.iter().any(|p| !p.is_finite() || *p < 0.0) || !(sum > 0.0) {
            return None;
        }
        Some(Self {
            probs: probs.iter().map(|p| p / sum).collect(),
        })
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.probs.len()
    }

    /// Bin probabilities.
    pub fn probs(&self) -> &[f64] {
        &self.probs
    }

    fn width(&self) -> f64 {
        1.0 / self.probs.len() as f64
    }

    /// Borders (l_b, r_b) of bin `b`.
    fn edges(&self, b: usize) -> (f64, f64) {
        let w = self.width();
        (b as f64 * w, (b + 1) as f64 * w)
    }

    /// The bin holding `y` (y = 1 belongs to the last bin); `None` outside [0, 1].
    pub fn bin_of(&self, y: f64) -> Option<usize> {
        (0.0..=1.0)
            .contains(&y)
            .then(|| ((y * self.bins() as f64) as usize).min(self.bins() - 1))
    }

    /// ln density at `y` (−∞ outside [0, 1] or in an empty bin); at most ln n.
    pub fn log_density(&self, y: f64) -> f64 {
        match self.bin_of(y) {
            Some(b) => self.probs[b].ln() - self.width().ln(),
            None => f64::NEG_INFINITY,
        }
    }

    /// P(Y ≤ y) (NaN for NaN).
    pub fn cdf(&self, y: f64) -> f64 {
        if y.is_nan() {
            return f64::NAN;
        }
        if y <= 0.0 {
            return 0.0;
        }
        if y >= 1.0 {
            return 1.0;
        }
        let b = self.bin_of(y).expect("inside [0, 1]");
        let (l, _) = self.edges(b);
        self.probs[..b].iter().sum::<f64>() + self.probs[b] * (y - l) / self.width()
    }

    /// Mean Σ p_b m_b (bin midpoints).
    pub fn mean(&self) -> f64 {
        self.probs
            .iter()
            .enumerate()
            .map(|(b, p)| p * (b as f64 + 0.5) * self.width())
            .sum()
    }

    /// Variance E[Y²] − mean², with E[Y²] = Σ p_b (l² + l r + r²) / 3.
    pub fn variance(&self) -> f64 {
        let m2: f64 = (0..self.bins())
            .map(|b| {
                let (l, r) = self.edges(b);
                self.probs[b] * (l * l + l * r + r * r) / 3.0
            })
            .sum();
        (m2 - self.mean().powi(2)).max(0.0)
    }

    /// The q-quantile: first bin b with cumulative mass c_b ≥ q, then
    /// l_b + w (q − c_{b−1}) / p_b. `q` is clamped to [0, 1].
    pub fn quantile(&self, q: f64) -> f64 {
        let q = q.clamp(0.0, 1.0);
        let mut below = 0.0;
        for (b, &p) in self.probs.iter().enumerate() {
            if below + p >= q && p > 0.0 {
                let (l, _) = self.edges(b);
                return (l + self.width() * (q - below) / p).min(1.0);
            }
            below += p;
        }
        1.0
    }

    /// Probability of improvement P(Y > f) = Σ p_b (1 − clamp((f − l_b)/w, 0, 1)).
    pub fn pi(&self, f: f64) -> f64 {
        let w = self.width();
        (0..self.bins())
            .map(|b| self.probs[b] * (1.0 - ((f - self.edges(b).0) / w).clamp(0.0, 1.0)))
            .sum()
    }

    /// Expected improvement E[max(Y − f, 0)] = Σ p_b [(r² − c²)/2 − f (r − c)] / w,
    /// c = clamp(f, l_b, r_b).
    pub fn ei(&self, f: f64) -> f64 {
        let w = self.width();
        (0..self.bins())
            .map(|b| {
                let (l, r) = self.edges(b);
                let c = f.clamp(l, r);
                self.probs[b] * ((r * r - c * c) / 2.0 - f * (r - c)) / w
            })
            .sum()
    }

    /// Upper confidence bound: the 0.841-quantile (mean + 1σ for a Gaussian).
    pub fn ucb(&self) -> f64 {
        self.quantile(0.841)
    }

    /// Lower confidence bound: the 0.159-quantile.
    pub fn lcb(&self) -> f64 {
        self.quantile(0.159)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, lumpy distribution over `n` bins with some empty bins.
    fn lumpy(n: usize) -> BarDistribution {
        let probs: Vec<f64> = (0..n)
            .map(|b| {
                if b % 7 == 3 {
                    0.0
                } else {
                    1.0 + ((b * 37) % 11) as f64 + (b as f64 / 40.0).sin()
                }
            })
            .collect();
        BarDistribution::from_probs(&probs).unwrap()
    }

    /// ∫₀¹ g(y) · density(y) dy by the midpoint rule on a fine grid aligned with the bins.
    fn integrate(d: &BarDistribution, g: impl Fn(f64) -> f64) -> f64 {
        let steps = d.bins() * 64;
        let h = 1.0 / steps as f64;
        (0..steps)
            .map(|i| (i as f64 + 0.5) * h)
            .map(|y| g(y) * d.log_density(y).exp() * h)
            .sum()
    }

    #[test]
    fn density_integrates_to_one_and_log_density_is_bounded() {
        for n in [1, 10, 1000] {
            let d = lumpy(n);
            assert!((integrate(&d, |_| 1.0) - 1.0).abs() < 1e-9, "n={n}");
            assert!(d.log_density(0.3) <= (n as f64).ln() + 1e-12);
        }
        let uniform = BarDistribution::from_logits(&[0.0; 1000]).unwrap();
        assert!(
            uniform.log_density(0.123).abs() < 1e-12,
            "uniform density on [0, 1] has log-likelihood 0"
        );
        assert_eq!(uniform.log_density(1.5), f64::NEG_INFINITY);
        assert!(
            uniform.log_density(1.0).is_finite(),
            "y = 1 lies in the last bin"
        );
    }

    #[test]
    fn mean_and_variance_match_numeric_integration() {
        let d = lumpy(1000);
        let m = integrate(&d, |y| y);
        assert!((d.mean() - m).abs() < 1e-9);
        assert!((d.variance() - (integrate(&d, |y| y * y) - m * m)).abs() < 1e-7);
        let uniform = BarDistribution::from_logits(&[3.0; 50]).unwrap();
        assert!((uniform.mean() - 0.5).abs() < 1e-12);
        assert!((uniform.variance() - 1.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn quantile_inverts_cdf() {
        let d = lumpy(1000);
        for i in 1..200 {
            let q = i as f64 / 200.0;
            assert!((d.cdf(d.quantile(q)) - q).abs() < 1e-9, "q={q}");
        }
        // Inside non-empty bins (at the border of an empty bin the CDF is flat and
        // the quantile is the start of the flat stretch).
        for i in 0..100 {
            let y = (i as f64 + 0.37) / 100.0;
            if d.probs()[d.bin_of(y).unwrap()] > 0.0 {
                assert!((d.quantile(d.cdf(y)) - y).abs() < 1e-9, "y={y}");
            }
        }
        let uniform = BarDistribution::from_logits(&[0.0; 1000]).unwrap();
        assert!((uniform.ucb() - 0.841).abs() < 1e-9 && (uniform.lcb() - 0.159).abs() < 1e-9);
    }

    #[test]
    fn pi_and_ei_match_brute_force_integration() {
        let d = lumpy(100);
        // the midpoint rule misplaces at most one grid step of mass at the step of 1{y > f}
        let step_error = d.probs().iter().copied().fold(0.0, f64::max) / 64.0;
        for f in [-0.2, 0.0, 0.0137, 0.25, 0.5, 0.777, 0.99, 1.0, 1.3] {
            let pi = integrate(&d, |y| if y > f { 1.0 } else { 0.0 });
            let ei = integrate(&d, |y| (y - f).max(0.0));
            assert!(
                (d.pi(f) - pi).abs() <= step_error,
                "PI at {f}: {} vs {pi}",
                d.pi(f)
            );
            assert!(
                (d.ei(f) - ei).abs() < 1e-6,
                "EI at {f}: {} vs {ei}",
                d.ei(f)
            );
            assert!(
                (d.pi(f) - (1.0 - d.cdf(f))).abs() < 1e-12,
                "PI = 1 − CDF at {f}"
            );
        }
        assert!((d.ei(0.0) - d.mean()).abs() < 1e-12, "EI at 0 is the mean");
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(BarDistribution::from_logits(&[]).is_none());
        assert!(BarDistribution::from_logits(&[0.0, f32::NAN]).is_none());
        assert!(BarDistribution::from_probs(&[0.0, 0.0]).is_none());
        assert!(BarDistribution::from_probs(&[0.5, -0.1]).is_none());
        assert!(
            lumpy(10).cdf(f64::NAN).is_nan(),
            "NaN is answered, not a panic"
        );
        let d = BarDistribution::from_logits(&[1000.0, -1000.0]).unwrap();
        assert!(
            (d.probs()[0] - 1.0).abs() < 1e-12,
            "softmax is stable for large logits"
        );
    }
}
