//! Model-based freeze-thaw: fit a [`CurveModel`], score every candidate in one batched
//! call, train the best one for exactly one more epoch.
//!
//! Candidates are every configuration not fully trained (on a tabular benchmark that
//! includes every unseen one). The initial design is one random configuration for one
//! epoch. Acquisitions:
//! - **MFPI-random** (ifBO): see [`super::mfpi`];
//! - **one-step EI** (DyHPO, GP freeze-thaw): each candidate is asked at its next epoch
//!   b + 1, against the best value observed at that epoch (the best at any epoch if no
//!   configuration has reached it);
//! - **EI at the maximum budget** (DPL): every candidate asked at max_epochs against the
//!   best value observed at any epoch.
//!
//! Refitting: the papers refit the model (train its networks / kernel hyperparameters)
//! at every step. [`ModelBased::with_refit_growth`] refits only once the observed points
//! have grown by a fraction g since the last fit (g = 0: every step). Between fits the GP
//! models still condition on every observed point (their posterior is exact given the
//! hyperparameters); DPL's networks see new points only at the next fit.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::mfpi::{MfpiDraw, argmax, mfpi_scores};
use super::random_fresh;
use crate::curve_model::CurveModel;
use crate::error::Result;
use crate::history::{At, History};
use crate::optimizer::{Action, Optimizer};

/// How candidates are scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquisition {
    /// ifBO's MFPI-random.
    MfpiRandom,
    /// Expected improvement one epoch ahead.
    OneStepEi,
    /// Expected improvement at the final epoch.
    EiAtMax,
}

/// A curve model plus an acquisition function.
pub struct ModelBased {
    name: String,
    model: Box<dyn CurveModel>,
    acquisition: Acquisition,
    rng: StdRng,
    refit_growth: f64,
    fitted_at: Option<usize>,
}

impl ModelBased {
    /// An optimiser called `name` (e.g. "ifBO (Adam-PFN)").
    pub fn new(
        name: impl Into<String>,
        model: Box<dyn CurveModel>,
        acquisition: Acquisition,
        seed: u64,
    ) -> Self {
        Self {
            name: name.into(),
            model,
            acquisition,
            rng: StdRng::seed_from_u64(seed),
            refit_growth: 0.0,
            fitted_at: None,
        }
    }

    /// Refits only when the observed points have grown by the fraction `g` (≥ 0) since
    /// the last fit; 0 (the default) refits at every step.
    pub fn with_refit_growth(mut self, g: f64) -> Self {
        self.refit_growth = if g.is_finite() { g.max(0.0) } else { 0.0 };
        self
    }

    /// Whether a fit is due with `n` observed points.
    fn fit_due(&self, n: usize) -> bool {
        match self.fitted_at {
            None => true,
            Some(m) => n as f64 >= m as f64 * (1.0 + self.refit_growth) && n > m,
        }
    }

    fn scores(
        &mut self,
        history: &History,
        candidates: &[usize],
        budget_left: usize,
    ) -> Result<Vec<f64>> {
        let max = history.max_epochs();
        let best_any = history.best_y().map_or(0.0, f64::from);
        match self.acquisition {
            Acquisition::MfpiRandom => {
                let draw = MfpiDraw::draw(max, budget_left, &mut self.rng);
                mfpi_scores(self.model.as_ref(), history, candidates, &draw)
            }
            Acquisition::OneStepEi => {
                let mut best_at = vec![f64::NEG_INFINITY; max + 1];
                for (_, e, y) in history.points() {
                    best_at[e] = best_at[e].max(f64::from(y));
                }
                let queries: Vec<At> = candidates
                    .iter()
                    .map(|&c| At {
                        config: c,
                        epoch: history.curve(c).len() + 1,
                    })
                    .collect();
                let preds = self.model.predict(history, &queries)?;
                Ok(preds
                    .iter()
                    .zip(&queries)
                    .map(|(p, q)| {
                        let f = if best_at[q.epoch].is_finite() {
                            best_at[q.epoch]
                        } else {
                            best_any
                        };
                        p.ei(f)
                    })
                    .collect())
            }
            Acquisition::EiAtMax => {
                let queries: Vec<At> = candidates
                    .iter()
                    .map(|&c| At {
                        config: c,
                        epoch: max,
                    })
                    .collect();
                Ok(self
                    .model
                    .predict(history, &queries)?
                    .iter()
                    .map(|p| p.ei(best_any))
                    .collect())
            }
        }
    }
}

impl Optimizer for ModelBased {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn next(&mut self, history: &History, budget_left: usize) -> Result<Action> {
        if history.n_observed() == 0 {
            let config =
                random_fresh(history, &mut self.rng).ok_or_else(|| history.nothing_open())?;
            return Ok(Action {
                config,
                to_epoch: 1,
            });
        }
        let candidates: Vec<usize> = (0..history.n_configs())
            .filter(|&c| history.is_open(c))
            .collect();
        if candidates.is_empty() {
            return Err(history.nothing_open());
        }
        let n = history.n_observed();
        if self.fit_due(n) {
            self.model.fit(history)?;
            self.fitted_at = Some(n);
        }
        let scores = self.scores(history, &candidates, budget_left)?;
        let best = argmax(&scores).unwrap_or(0);
        let config = candidates[best];
        Ok(Action {
            config,
            to_epoch: history.curve(config).len() + 1,
        })
    }
}
