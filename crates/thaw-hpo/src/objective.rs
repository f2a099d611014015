//! `Objective`: what an optimiser trains. A configuration is trained from the epoch it
//! stopped at (0 if new) to a later one; frozen configurations resume where they stopped.

use thaw_data::CurveSet;

use crate::error::{HpoError, Result};

/// Something that trains configurations epoch by epoch.
pub trait Objective {
    /// Candidate configurations, hyperparameters encoded in [0, 1].
    fn configs(&self) -> Vec<Vec<f32>>;

    /// Epochs of a full training.
    fn max_epochs(&self) -> usize;

    /// Trains `config` from epoch `from` to `to` (from < to ≤ max_epochs) and returns y
    /// (higher is better) of epochs from + 1 ..= to. A crashed or non-finite value is
    /// reported as 0, the worst value.
    fn train(&mut self, config: usize, from: usize, to: usize) -> Result<Vec<f32>>;
}

/// A tabular benchmark: every curve is known in advance and training is a lookup.
#[derive(Debug, Clone)]
pub struct TabularObjective {
    curves: CurveSet,
}

impl TabularObjective {
    /// The objective of a task's normalised curves.
    pub fn new(curves: CurveSet) -> Result<Self> {
        if curves.configs == 0 || curves.epochs == 0 {
            return Err(HpoError::InvalidInput(
                "a tabular objective needs at least one configuration and one epoch".into(),
            ));
        }
        Ok(Self { curves })
    }

    /// The best value anywhere in the table, any configuration at any epoch: what an
    /// optimiser whose incumbent is "the best value seen" can at most reach (regret 0).
    pub fn best_value(&self) -> f32 {
        self.curves
            .y
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f32::max)
    }
}

impl Objective for TabularObjective {
    fn configs(&self) -> Vec<Vec<f32>> {
        (0..self.curves.configs)
            .map(|c| self.curves.hp(c).to_vec())
            .collect()
    }

    fn max_epochs(&self) -> usize {
        self.curves.epochs
    }

    fn train(&mut self, config: usize, from: usize, to: usize) -> Result<Vec<f32>> {
        if config >= self.curves.configs || from >= to || to > self.curves.epochs {
            return Err(HpoError::InvalidInput(format!(
                "train config {config} from epoch {from} to {to}: outside {} configs × {} epochs",
                self.curves.configs, self.curves.epochs
            )));
        }
        Ok(self.curves.curve(config)[from..to]
            .iter()
            .map(|&y| {
                if y.is_finite() {
                    y.clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_resume_and_map_failures_to_the_worst_value() {
        let curves = CurveSet {
            configs: 2,
            epochs: 3,
            n_hps: 1,
            hps: vec![0.0, 1.0],
            y: vec![0.1, 0.2, 0.3, 0.5, f32::NAN, 0.7],
        };
        let mut o = TabularObjective::new(curves).unwrap();
        assert_eq!(o.train(0, 0, 2).unwrap(), vec![0.1, 0.2]);
        assert_eq!(o.train(0, 2, 3).unwrap(), vec![0.3]);
        assert_eq!(o.train(1, 0, 3).unwrap(), vec![0.5, 0.0, 0.7]);
        assert!(
            o.train(1, 2, 2).is_err() && o.train(1, 0, 4).is_err() && o.train(2, 0, 1).is_err()
        );
        assert_eq!(o.best_value(), 0.7);
    }
}
