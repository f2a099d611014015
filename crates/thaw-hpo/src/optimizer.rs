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

/// A configuration an optimiser creates rather than chooses from the pool (PBT's
/// exploit-and-explore step): `point` (an encoding in [0, 1]^d) starts from
/// configuration `parent`'s state after its epoch `epoch`, with those epochs' values.
#[derive(Debug, Clone, PartialEq)]
pub struct Spawn {
    /// The configuration whose checkpoint and recorded epochs the new one inherits.
    pub parent: usize,
    /// The parent's epoch at which it is copied (its curve's length then).
    pub epoch: usize,
    /// The new configuration's encoding.
    pub point: Vec<f32>,
}

/// A freeze-thaw optimiser: every decision is an [`Action`].
pub trait Optimizer: Send {
    /// Name in tables ("ifBO (Adam-PFN)", "HyperBand", …).
    fn name(&self) -> String;

    /// The next action given `history` and the epochs of budget left (≥ 1).
    fn next(&mut self, history: &History, budget_left: usize) -> Result<Action>;

    /// What the last [`next`](Optimizer::next) asked to create when its action names the
    /// configuration one past the pool (`history.n_configs()`): the caller creates it
    /// from this and trains it. Taken once; None for methods that only choose.
    fn spawn(&mut self) -> Option<Spawn> {
        None
    }
}
