//! ASHA (Li et al. 2020), asynchronous successive halving, as sequential freeze-thaw
//! actions: rungs r_0 < … < r_K are the budgets of the most exploratory HyperBand
//! bracket; each decision promotes, from the highest rung down, a configuration in the
//! top ⌊n_k / η⌋ of the n_k that reached rung k and were not promoted yet, to r_(k+1);
//! if there is none it starts a new configuration to r_0.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::random_fresh;
use super::schedule::{rung_epochs, s_max};
use crate::error::Result;
use crate::history::History;
use crate::optimizer::{Action, Optimizer};

/// ASHA.
pub struct Asha {
    eta: usize,
    min_epochs: usize,
    rng: StdRng,
    rungs: Vec<usize>,
    reached: Vec<Vec<usize>>,
    promoted: Vec<Vec<usize>>,
}

impl Asha {
    /// ASHA with reduction factor `eta` and minimum budget `min_epochs`.
    pub fn new(eta: usize, min_epochs: usize, seed: u64) -> Self {
        Self {
            eta: eta.max(2),
            min_epochs: min_epochs.max(1),
            rng: StdRng::seed_from_u64(seed),
            rungs: Vec::new(),
            reached: Vec::new(),
            promoted: Vec::new(),
        }
    }

    /// The rung budgets in use (after the first decision).
    pub fn rungs(&self) -> &[usize] {
        &self.rungs
    }
}

impl Optimizer for Asha {
    fn name(&self) -> String {
        "ASHA".into()
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        if self.rungs.is_empty() {
            let max = history.max_epochs();
            self.rungs = rung_epochs(
                max,
                self.min_epochs,
                self.eta,
                s_max(max, self.min_epochs, self.eta),
            );
            self.rungs.dedup();
            self.reached = vec![Vec::new(); self.rungs.len()];
            self.promoted = vec![Vec::new(); self.rungs.len()];
        }
        for k in (0..self.rungs.len().saturating_sub(1)).rev() {
            let at = self.rungs[k];
            let value = |c: usize| history.curve(c).get(at - 1).copied().unwrap_or(0.0);
            let mut ranked: Vec<usize> = self.reached[k]
                .iter()
                .copied()
                .filter(|&c| history.curve(c).len() >= at)
                .collect();
            ranked.sort_by(|&a, &b| value(b).total_cmp(&value(a)).then(a.cmp(&b)));
            let top = ranked.len() / self.eta;
            let next = self.rungs[k + 1];
            // A configuration already past the next rung (trained there by a fallback) is skipped.
            let open = |c: &&usize| {
                !self.promoted[k].contains(c)
                    && history.curve(**c).len() < next
                    && history.is_open(**c)
            };
            if let Some(&c) = ranked[..top].iter().find(open) {
                self.promoted[k].push(c);
                self.reached[k + 1].push(c);
                return Ok(Action {
                    config: c,
                    to_epoch: next,
                });
            }
        }
        let c = random_fresh(history, &mut self.rng).ok_or_else(|| history.nothing_open())?;
        self.reached[0].push(c);
        Ok(Action {
            config: c,
            to_epoch: self.rungs[0].max(history.curve(c).len() + 1),
        })
    }
}
