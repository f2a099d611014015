//! Learning-rate schedule: linear warm-up, then cosine decay to zero (reference §1).

/// Warm-up then cosine: `lr · (s+1)/W` for the first `W = ⌈warmup·steps⌉` steps, then
/// `lr · ½(1 + cos(π (s − W)/(steps − W)))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarmupCosine {
    /// Peak learning rate.
    pub lr: f64,
    /// Fraction of the steps spent warming up (reference: ¼).
    pub warmup: f64,
    /// Total number of steps.
    pub steps: u64,
}

impl WarmupCosine {
    /// The learning rate at step `s` (0-based).
    pub fn at(&self, s: u64) -> f64 {
        let w = (self.warmup * self.steps as f64).ceil() as u64;
        if s < w {
            return self.lr * (s + 1) as f64 / w as f64;
        }
        let rest = self.steps.saturating_sub(w).max(1) as f64;
        let p = ((s - w) as f64 / rest).min(1.0);
        self.lr * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_peaks_and_decays() {
        let s = WarmupCosine {
            lr: 1.0,
            warmup: 0.25,
            steps: 100,
        };
        assert!((s.at(0) - 1.0 / 25.0).abs() < 1e-12);
        assert!((s.at(24) - 1.0).abs() < 1e-12);
        assert!((s.at(25) - 1.0).abs() < 1e-12);
        assert!((s.at(25 + 75 / 2) - 0.5).abs() < 0.03);
        assert!(s.at(99) < 0.001);
        for i in 25..99 {
            assert!(s.at(i + 1) <= s.at(i));
        }
    }
}
