//! Random search with full-budget evaluations.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::continuous::{ProposePoint, uniform_point};
use super::random_fresh;
use crate::error::Result;
use crate::history::History;
use crate::optimizer::{Action, Optimizer};

/// Trains configurations drawn uniformly without replacement to the maximum epoch.
pub struct RandomSearch {
    rng: StdRng,
}

impl RandomSearch {
    /// Random search seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl Optimizer for RandomSearch {
    fn name(&self) -> String {
        "Random search".into()
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        let config = random_fresh(history, &mut self.rng).ok_or_else(|| history.nothing_open())?;
        Ok(Action {
            config,
            to_epoch: history.max_epochs(),
        })
    }
}

/// On a continuous space: uniform points of [0, 1]^d.
impl ProposePoint for RandomSearch {
    fn propose_point(&mut self, history: &History) -> Result<Vec<f32>> {
        Ok(uniform_point(history.n_hps(), &mut self.rng))
    }
}
