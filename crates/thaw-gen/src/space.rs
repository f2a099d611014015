//! TaskSet-8P's Adam configurations: eight hyperparameters drawn uniformly in their
//! [0, 1] encoding (log-uniform; log-uniform in 1 − β for the momenta), with the bounds
//! of the real tasks ([`thaw_data::import::taskset::search_space`]).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::seed::{derive, stream};

/// One Adam configuration, in TaskSet-8P's column order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamHps {
    /// Learning rate, [1e-8, 10].
    pub lr: f64,
    /// β1, 1 − β1 in [1e-4, 1].
    pub beta1: f64,
    /// β2, 1 − β2 in [1e-6, 1].
    pub beta2: f64,
    /// ε, [1e-10, 1e3], added to √v (TensorFlow's form, as TaskSet's Adam).
    pub eps: f64,
    /// L1 penalty weight, [1e-8, 10]: `l1 · Σ|w|` is added to the training loss.
    pub l1: f64,
    /// L2 penalty weight, [1e-8, 10]: `l2 · Σw²` is added to the training loss.
    pub l2: f64,
    /// Linear decay per TaskSet step, [1e-7, 1e-4]: factor `max(0, 1 − linear_decay · τ)`.
    pub linear_decay: f64,
    /// Exponential decay per TaskSet step, [1e-6, 1e-3]: factor `exp(−exponential_decay · τ)`.
    pub exponential_decay: f64,
}

impl AdamHps {
    /// From a row in TaskSet-8P's column order.
    pub fn from_row(r: &[f64]) -> Self {
        Self {
            lr: r[0],
            beta1: r[1],
            beta2: r[2],
            eps: r[3],
            l1: r[4],
            l2: r[5],
            linear_decay: r[6],
            exponential_decay: r[7],
        }
    }

    /// The row in TaskSet-8P's column order.
    pub fn to_row(&self) -> [f64; 8] {
        [
            self.lr,
            self.beta1,
            self.beta2,
            self.eps,
            self.l1,
            self.l2,
            self.linear_decay,
            self.exponential_decay,
        ]
    }

    /// The learning-rate factor of the two decays at TaskSet step `tau`.
    pub fn schedule(&self, tau: f64) -> f64 {
        (1.0 - self.linear_decay * tau).max(0.0) * (-self.exponential_decay * tau).exp()
    }
}

/// `n` configurations drawn from `seed` (the same for every task of a corpus, as TaskSet
/// used the same 1000 configurations on every task).
pub fn sample_configs(n: usize, seed: u64) -> Vec<AdamHps> {
    let space = thaw_data::import::taskset::search_space();
    let mut rng = StdRng::seed_from_u64(derive(seed, stream::CONFIGS, &[]));
    (0..n)
        .map(|_| {
            let row: Vec<f64> = space.iter().map(|hp| hp.decode(rng.random())).collect();
            AdamHps::from_row(&row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_lie_inside_taskset_bounds() {
        let space = thaw_data::import::taskset::search_space();
        let configs = sample_configs(500, 3);
        for c in &configs {
            for (hp, x) in space.iter().zip(c.to_row()) {
                assert!(hp.check_value(x).is_ok(), "{} = {x}", hp.name);
                assert!(x >= hp.low && x <= hp.high, "{} = {x}", hp.name);
            }
        }
        let below = configs.iter().filter(|c| c.lr < 1e-3).count();
        // log-uniform over 9 decades: 5 of them lie below 1e-3.
        assert!((200..350).contains(&below), "{below}");
        assert_eq!(configs, sample_configs(500, 3));
    }

    #[test]
    fn schedule_decays() {
        let c = AdamHps::from_row(&[1.0, 0.9, 0.999, 1e-8, 0.0, 0.0, 1e-4, 1e-3]);
        assert_eq!(c.schedule(0.0), 1.0);
        assert!((c.schedule(5000.0) - 0.5 * (-5.0f64).exp()).abs() < 1e-12);
        assert_eq!(c.schedule(20_000.0), 0.0);
    }
}
