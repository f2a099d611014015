//! Synchronous successive halving (SHA) and HyperBand (Li et al. 2018) as freeze-thaw
//! actions: a rung's configurations are trained to the rung's epoch one action each,
//! the best 1/η (by their value at that epoch) resume to the next rung, and when a
//! bracket ends the next begins (HyperBand cycles its brackets s_max … 0; SHA repeats
//! s_max). Brackets come from [`super::schedule`].

use std::collections::VecDeque;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::random_fresh;
use super::schedule::{Rung, bracket, s_max};
use crate::error::{HpoError, Result};
use crate::history::{History, Hold};
use crate::optimizer::{Action, Optimizer};

/// Chooses each configuration that starts a bracket (BOHB's model); without one,
/// [`SuccessiveHalving`] draws them with [`random_fresh`].
pub trait BracketChooser: Send {
    /// The next configuration of the bracket being filled, open in `taken`, or None when
    /// nothing is open. `history` is what has been observed; `taken` is the same with
    /// this bracket's earlier choices marked (one extra observed epoch of value 0).
    fn choose(&mut self, history: &History, taken: &History) -> Option<usize>;
}

/// SHA or HyperBand.
pub struct SuccessiveHalving {
    hyperband: bool,
    eta: usize,
    min_epochs: usize,
    rng: StdRng,
    bracket_index: usize,
    rungs: Vec<Rung>,
    rung: usize,
    members: Vec<usize>,
    queue: VecDeque<Action>,
    chooser: Option<Box<dyn BracketChooser>>,
}

impl SuccessiveHalving {
    /// SHA (one bracket, s = s_max, repeated).
    pub fn sha(eta: usize, min_epochs: usize, seed: u64) -> Self {
        Self::new(false, eta, min_epochs, seed)
    }

    /// HyperBand (every bracket in turn).
    pub fn hyperband(eta: usize, min_epochs: usize, seed: u64) -> Self {
        Self::new(true, eta, min_epochs, seed)
    }

    fn new(hyperband: bool, eta: usize, min_epochs: usize, seed: u64) -> Self {
        Self {
            hyperband,
            eta: eta.max(2),
            min_epochs: min_epochs.max(1),
            rng: StdRng::seed_from_u64(seed),
            bracket_index: 0,
            rungs: Vec::new(),
            rung: 0,
            members: Vec::new(),
            queue: VecDeque::new(),
            chooser: None,
        }
    }

    /// The same schedule with `chooser` picking the configurations that start brackets.
    pub fn with_chooser(mut self, chooser: Box<dyn BracketChooser>) -> Self {
        self.chooser = Some(chooser);
        self
    }

    fn start_bracket(&mut self, history: &History) -> Result<()> {
        let max = history.max_epochs();
        let smax = s_max(max, self.min_epochs, self.eta);
        let s = if self.hyperband {
            smax - self.bracket_index % (smax + 1)
        } else {
            smax
        };
        self.bracket_index += 1;
        self.rungs = bracket(max, self.min_epochs, self.eta, s);
        self.rung = 0;
        self.members.clear();
        let mut taken = history.clone();
        for _ in 0..self.rungs[0].configs {
            let pick = match self.chooser.as_mut() {
                Some(chooser) => chooser.choose(history, &taken),
                None => random_fresh(&taken, &mut self.rng),
            };
            let Some(c) = pick else {
                break;
            };
            // Mark as taken so the next draw picks another configuration.
            taken.observe(c, 0.0)?;
            self.members.push(c);
        }
        if self.members.is_empty() {
            return Err(history.nothing_open());
        }
        self.queue_rung();
        Ok(())
    }

    fn promote(&mut self, history: &History) {
        let at = self.rungs[self.rung].epochs;
        let value = |c: usize| history.curve(c).get(at - 1).copied().unwrap_or(0.0);
        let mut ranked = self.members.clone();
        ranked.sort_by(|&a, &b| value(b).total_cmp(&value(a)).then(a.cmp(&b)));
        self.rung += 1;
        ranked.truncate(self.rungs[self.rung].configs.max(1));
        self.members = ranked;
        self.queue_rung();
    }

    /// Queues every member of the current rung to the rung's epoch.
    fn queue_rung(&mut self) {
        let to = self.rungs[self.rung].epochs;
        self.queue = self
            .members
            .iter()
            .map(|&c| Action {
                config: c,
                to_epoch: to,
            })
            .collect();
    }
}

impl Optimizer for SuccessiveHalving {
    fn name(&self) -> String {
        if self.hyperband {
            "HyperBand".into()
        } else {
            "SHA".into()
        }
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        // With several workers a rung is synchronous: its last members may still run.
        // Waiting ([`HpoError::Busy`]) changes no state, so a study may simply ask again.
        loop {
            while let Some(&a) = self.queue.front() {
                let reached = history.curve(a.config).len() >= a.to_epoch;
                match history.held(a.config) {
                    Some(Hold::Running) if !reached => return Err(HpoError::Busy),
                    Some(Hold::Failed) => {}
                    _ if reached => {}
                    _ => {
                        self.queue.pop_front();
                        return Ok(a);
                    }
                }
                self.queue.pop_front();
            }
            let rung_running = self
                .members
                .iter()
                .any(|&c| history.held(c) == Some(Hold::Running));
            if rung_running {
                return Err(HpoError::Busy);
            }
            if !self.rungs.is_empty() && self.rung + 1 < self.rungs.len() {
                self.promote(history);
            } else {
                self.start_bracket(history)?;
            }
        }
    }
}
