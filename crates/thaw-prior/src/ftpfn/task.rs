//! One synthetic task: a random MLP plus the task constants Y0 and Ymax (reference §2
//! steps 1–3). Configurations go through the MLP, the rank table and the inverse CDFs
//! to become [`SyntheticCurve`]s.

use rand::{Rng, RngExt};

use super::curve::SyntheticCurve;
use super::mlp::{OUTPUTS, RandomMlp};
use super::rank_table::RankTable;

/// A synthetic task over `d` hyperparameters.
#[derive(Debug, Clone)]
pub struct SyntheticTask {
    mlp: RandomMlp,
    /// Every curve's value at x = 0: min(u1, u2).
    pub y0: f64,
    /// Upper bound of the asymptotes: max(u1, u2) with probability 0.25, else 1.
    pub y_max: f64,
}

impl SyntheticTask {
    /// Draws a task over `d` hyperparameters.
    pub fn sample<R: Rng + ?Sized>(d: usize, rng: &mut R) -> Self {
        let mlp = RandomMlp::sample(d, OUTPUTS, rng);
        let (u1, u2): (f64, f64) = (rng.random(), rng.random());
        let y_max = if rng.random_bool(0.25) {
            u1.max(u2)
        } else {
            1.0
        };
        Self {
            mlp,
            y0: u1.min(u2),
            y_max,
        }
    }

    /// Number of hyperparameters.
    pub fn n_hps(&self) -> usize {
        self.mlp.n_inputs()
    }

    /// The curves of `configs` (row-major `[rows × d]`, values in [0, 1]).
    pub fn curves<R: Rng + ?Sized>(
        &self,
        configs: &[f32],
        table: &RankTable,
        rng: &mut R,
    ) -> Vec<SyntheticCurve> {
        self.mlp
            .forward(configs, rng)
            .chunks_exact(OUTPUTS)
            .map(|raw| {
                let u: [f64; OUTPUTS] = std::array::from_fn(|k| table.uniform(raw[k]));
                SyntheticCurve::from_quantiles(&u, self.y0, self.y_max)
            })
            .collect()
    }
}
