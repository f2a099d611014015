//! The optimisation loop: ask the optimiser, train, record — with one budget rule for
//! every method: an action that trains a configuration from epoch a to b costs b − a
//! epochs, and the last one is cut so that exactly `budget` epochs are spent (or fewer
//! if every configuration is fully trained first).

use std::time::Instant;

use crate::error::{HpoError, Result};
use crate::history::History;
use crate::objective::Objective;
use crate::optimizer::Optimizer;

/// One epoch of training as the study saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Epochs spent so far, this one included (1-based).
    pub spent: usize,
    /// Configuration trained.
    pub config: usize,
    /// Its epoch after this step.
    pub epoch: usize,
    /// The value observed.
    pub y: f32,
    /// Best value observed so far at any epoch of any configuration.
    pub incumbent: f32,
}

/// What a study did.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Every epoch trained, in order.
    pub steps: Vec<Step>,
    /// Seconds each decision took (the optimiser's overhead, surrogate included).
    pub decision_s: Vec<f64>,
    /// The final history.
    pub history: History,
}

/// Runs `optimizer` on `objective` for `budget` epochs; `on_step` sees every epoch.
pub fn run(
    optimizer: &mut dyn Optimizer,
    objective: &mut dyn Objective,
    budget: usize,
    on_step: &mut dyn FnMut(&Step, &History),
) -> Result<Trajectory> {
    resume(optimizer, objective, budget, &[], on_step)
}

/// Continues a study whose first epochs were `recorded` (by an interrupted run with the
/// same optimiser, seed and objective): the optimiser is asked again from the start, so
/// that its state is rebuilt exactly, and every epoch it trains is checked against the
/// record until the record ends; then the study goes on as [`run`] would have. A
/// decision that differs from the record is an error (other settings, another build).
pub fn resume(
    optimizer: &mut dyn Optimizer,
    objective: &mut dyn Objective,
    budget: usize,
    recorded: &[Step],
    on_step: &mut dyn FnMut(&Step, &History),
) -> Result<Trajectory> {
    let mut history = History::new(objective.configs(), objective.max_epochs())?;
    let max = history.max_epochs();
    let capacity = history.n_configs() * max;
    let mut steps = Vec::with_capacity(budget.min(capacity));
    let mut decision_s = Vec::new();
    let mut incumbent = f32::NEG_INFINITY;
    while steps.len() < budget.min(capacity) {
        let left = budget - steps.len();
        let t = Instant::now();
        let action = optimizer.next(&history, left)?;
        decision_s.push(t.elapsed().as_secs_f64());
        let from = history.curve(action.config).len();
        if action.to_epoch <= from || action.to_epoch > max {
            return Err(HpoError::InvalidInput(format!(
                "{} asked to train config {} from epoch {from} to {}",
                optimizer.name(),
                action.config,
                action.to_epoch
            )));
        }
        let to = action.to_epoch.min(from + left);
        for (i, y) in objective
            .train(action.config, from, to)?
            .into_iter()
            .enumerate()
        {
            history.observe(action.config, y)?;
            let y = *history.curve(action.config).last().unwrap_or(&0.0);
            incumbent = incumbent.max(y);
            let step = Step {
                spent: steps.len() + 1,
                config: action.config,
                epoch: from + i + 1,
                y,
                incumbent,
            };
            if let Some(want) = recorded.get(steps.len()) {
                check_replay(&*optimizer, want, &step)?;
            }
            on_step(&step, &history);
            steps.push(step);
        }
    }
    if recorded.len() > steps.len() {
        return Err(HpoError::InvalidInput(format!(
            "resume: the record holds {} epochs, more than this study spends ({})",
            recorded.len(),
            steps.len()
        )));
    }
    Ok(Trajectory {
        steps,
        decision_s,
        history,
    })
}

fn check_replay(optimizer: &dyn Optimizer, want: &Step, got: &Step) -> Result<()> {
    let same = want.spent == got.spent
        && want.config == got.config
        && want.epoch == got.epoch
        && want.y.to_bits() == got.y.to_bits();
    if same {
        return Ok(());
    }
    let name = optimizer.name();
    Err(HpoError::InvalidInput(format!(
        "resume: at epoch {} of the budget {name} trains config {} to epoch {} (y {}), the record says config {} to epoch {} (y {}); the record was made with other settings, data or build",
        got.spent, got.config, got.epoch, got.y, want.config, want.epoch, want.y
    )))
}
