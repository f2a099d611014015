//! MFPI-random, ifBO's acquisition (reference §6): once per step draw a horizon
//! h ~ U{1 .. min(max_epochs, budget_left)} and τ = 10^U(−4, −1); the threshold is
//! T = y_best + τ (1 − y_best) with y_best the best y seen at any epoch; a configuration
//! at epoch b (0 if never trained) is scored by P(y(min(b + h, max_epochs)) > T).

use rand::Rng;
use rand::RngExt;

use crate::curve_model::CurveModel;
use crate::error::{HpoError, Result};
use crate::history::{At, History};

/// The random part of one MFPI-random step, shared by every candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MfpiDraw {
    /// Extrapolation horizon in epochs.
    pub horizon: usize,
    /// Relative improvement asked for, in [1e-4, 1e-1].
    pub tau: f64,
}

impl MfpiDraw {
    /// Draws h and τ for a step with `budget_left` epochs left (at least 1).
    pub fn draw<R: Rng + ?Sized>(max_epochs: usize, budget_left: usize, rng: &mut R) -> Self {
        let top = max_epochs.min(budget_left).max(1);
        Self {
            horizon: rng.random_range(1..=top),
            tau: 10f64.powf(rng.random_range(-4.0..-1.0)),
        }
    }

    /// T = y_best + τ (1 − y_best).
    pub fn threshold(&self, y_best: f64) -> f64 {
        y_best + self.tau * (1.0 - y_best)
    }

    /// The epoch a configuration now at `epoch` (0 = new) is scored at.
    pub fn target_epoch(&self, epoch: usize, max_epochs: usize) -> usize {
        (epoch + self.horizon).min(max_epochs)
    }
}

/// MFPI-random scores of `candidates` (config indices) in one batched model call.
pub fn mfpi_scores(
    model: &dyn CurveModel,
    history: &History,
    candidates: &[usize],
    draw: &MfpiDraw,
) -> Result<Vec<f64>> {
    let max = history.max_epochs();
    let queries: Vec<At> = candidates
        .iter()
        .map(|&c| {
            let b = history.curve(c).len();
            if b >= max {
                return Err(HpoError::InvalidInput(format!(
                    "config {c} is already fully trained"
                )));
            }
            Ok(At {
                config: c,
                epoch: draw.target_epoch(b, max),
            })
        })
        .collect::<Result<_>>()?;
    let t = draw.threshold(history.best_y().map_or(0.0, f64::from));
    Ok(model
        .predict(history, &queries)?
        .iter()
        .map(|p| p.pi(t))
        .collect())
}

/// Index of the largest score (the first on ties; NaN never wins).
pub fn argmax(scores: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &s) in scores.iter().enumerate() {
        if !s.is_nan() && best.is_none_or(|b| s > scores[b]) {
            best = Some(i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictive::Predictive;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// Predicts N(config's mean + 0.01 · epoch, 0.05) — PI is known in closed form.
    struct Fake(Vec<f64>);

    impl CurveModel for Fake {
        fn name(&self) -> String {
            "fake".into()
        }
        fn fit(&mut self, _: &History) -> Result<()> {
            Ok(())
        }
        fn predict(&self, _: &History, q: &[At]) -> Result<Vec<Predictive>> {
            Ok(q.iter()
                .map(|a| Predictive::gaussian(self.0[a.config] + 0.01 * a.epoch as f64, 0.05))
                .collect())
        }
    }

    #[test]
    fn draws_respect_their_ranges_and_formulas() {
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..1000 {
            let d = MfpiDraw::draw(50, 7, &mut rng);
            assert!((1..=7).contains(&d.horizon));
            assert!((1e-4..=1e-1).contains(&d.tau));
        }
        assert_eq!(MfpiDraw::draw(50, 0, &mut rng).horizon, 1);
        let d = MfpiDraw {
            horizon: 10,
            tau: 0.1,
        };
        assert!((d.threshold(0.8) - 0.82).abs() < 1e-12);
        assert_eq!(d.target_epoch(45, 50), 50);
        assert_eq!(d.target_epoch(0, 50), 10);
        assert_eq!(d.target_epoch(3, 50), 13);
    }

    #[test]
    fn picks_the_candidate_with_the_highest_known_pi() {
        // Config 1 is at epoch 30 (y 0.5) with mean 0.5 → scored at 40: N(0.9, 0.05);
        // config 2 is new with mean 0.75 → scored at 10: N(0.85, 0.05); config 0 is worse.
        let mut h = History::new(vec![vec![0.1], vec![0.5], vec![0.9]], 50).unwrap();
        h.observe_prefix(1, &[0.5; 30]).unwrap();
        let model = Fake(vec![0.2, 0.5, 0.75]);
        let d = MfpiDraw {
            horizon: 10,
            tau: 0.5,
        };
        // T = 0.5 + 0.5 · 0.5 = 0.75 (0.5 is exact in f32).
        let s = mfpi_scores(&model, &h, &[0, 1, 2], &d).unwrap();
        let want = |m: f64| Predictive::gaussian(m, 0.05).pi(0.75);
        assert!((s[1] - want(0.9)).abs() < 1e-12 && (s[2] - want(0.85)).abs() < 1e-12);
        assert_eq!(argmax(&s), Some(1));
        assert_eq!(argmax(&[0.1, f64::NAN, 0.3, 0.3]), Some(2));
        assert_eq!(argmax(&[]), None);
        h.observe_prefix(0, &[0.1; 50]).unwrap();
        assert!(
            mfpi_scores(&model, &h, &[0], &d).is_err(),
            "a finished config is no candidate"
        );
    }
}
