//! `CurveModel`: anything that, given the observed partial curves, predicts a
//! distribution of y at (config, epoch) queries.

use crate::error::Result;
use crate::history::{At, History};
use crate::predictive::Predictive;

/// A learning-curve model. `fit` adapts it to the history (a no-op for PFNs, which
/// read the history in context); `predict` returns one distribution per query, in order.
/// A model may be fitted many times as the history grows (refits are warm-started
/// where the model's paper says so).
pub trait CurveModel: Send {
    /// Short name used in tables ("DPL", "DyHPO", …).
    fn name(&self) -> String;

    /// Fits the model to `history`.
    fn fit(&mut self, history: &History) -> Result<()>;

    /// Predictive distributions at `queries` given `history`: the one last fitted, or
    /// a later one that grew from it (then the GP models condition on all of it with the
    /// fitted hyperparameters, and DPL predicts from its fitted networks).
    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>>;
}
