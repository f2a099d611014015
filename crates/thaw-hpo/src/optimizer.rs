//! `Optimizer`: given what has been observed, choose what to train next.

use crate::error::Result;
use crate::history::History;

/// Train `config` from where it stopped up to epoch `to_epoch`. Costs
/// `to_epoch − current epoch` epochs of budget (the study cuts it at the budget's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Configuration index.
    pub config: usize,
    /// Epoch to train it to.
    pub to_epoch: usize,
}

/// A freeze-thaw optimiser: every decision is an [`Action`].
pub trait Optimizer: Send {
    /// Name in tables ("ifBO (Adam-PFN)", "HyperBand", …).
    fn name(&self) -> String;

    /// The next action given `history` and the epochs of budget left (≥ 1).
    fn next(&mut self, history: &History, budget_left: usize) -> Result<Action>;
}
