//! What an optimiser has seen: candidate configurations and the observed prefix of
//! each one's learning curve.

use crate::error::{HpoError, Result};

/// A (configuration, epoch) pair to predict. `epoch` is 1-based (epoch 1 is the value
/// after one epoch of training).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    /// Index into [`History::configs`].
    pub config: usize,
    /// Epoch, 1 ..= max_epochs.
    pub epoch: usize,
}

/// Why a configuration that is not fully trained cannot be chosen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// A worker is training it (or will resume it): choose it again once it is back.
    Running,
    /// Its program failed for good: never choose it again.
    Failed,
}

/// Candidate configurations (hyperparameters encoded in [0, 1]) and, for each, the
/// observed values of epochs 1, 2, …, k (k = 0 for a configuration never trained).
/// Freeze-thaw only ever observes prefixes, so a curve is a plain vector.
///
/// A study with several workers also marks configurations it cannot hand out now
/// ([`Hold`]); optimisers choose only [open](History::is_open) ones.
///
/// A configuration may be marked [first](History::set_first) (a study's defaults, like
/// Optuna's enqueued trial): while it is never trained and open, every optimiser's
/// choice of a new configuration ([`crate::optimizers::random_fresh`],
/// [`crate::optimizers::pool_rule::nearest_open`]) is that one.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    max_epochs: usize,
    n_hps: usize,
    configs: Vec<Vec<f32>>,
    curves: Vec<Vec<f32>>,
    holds: Vec<Option<Hold>>,
    first: Option<usize>,
}

impl History {
    /// An empty history over `configs` (each with the same number of hyperparameters in
    /// [0, 1]) whose curves have at most `max_epochs` epochs.
    pub fn new(configs: Vec<Vec<f32>>, max_epochs: usize) -> Result<Self> {
        if max_epochs == 0 {
            return Err(HpoError::InvalidInput(
                "max_epochs must be at least 1".into(),
            ));
        }
        let n_hps = configs.first().map_or(0, Vec::len);
        for (i, c) in configs.iter().enumerate() {
            if c.len() != n_hps {
                return Err(HpoError::InvalidInput(format!(
                    "config {i} has {} hyperparameters, config 0 has {n_hps}",
                    c.len()
                )));
            }
            if let Some(v) = c.iter().find(|v| !(0.0..=1.0).contains(*v)) {
                return Err(HpoError::InvalidInput(format!(
                    "config {i} has hyperparameter {v} outside [0, 1]"
                )));
            }
        }
        let curves = vec![Vec::new(); configs.len()];
        let holds = vec![None; configs.len()];
        Ok(Self {
            max_epochs,
            n_hps,
            configs,
            curves,
            holds,
            first: None,
        })
    }

    /// An empty history of configurations with `n_hps` hyperparameters each, to which
    /// [`push_config`](History::push_config) adds them (a continuous search space, where
    /// the configurations are the points proposed so far).
    pub fn empty(n_hps: usize, max_epochs: usize) -> Result<Self> {
        let mut h = Self::new(Vec::new(), max_epochs)?;
        h.n_hps = n_hps;
        Ok(h)
    }

    /// Appends a configuration (never trained, not held) and returns its index,
    /// [`n_configs`](History::n_configs) before the call. It must have
    /// [`n_hps`](History::n_hps) hyperparameters in [0, 1].
    pub fn push_config(&mut self, config: Vec<f32>) -> Result<usize> {
        if config.len() != self.n_hps {
            return Err(HpoError::InvalidInput(format!(
                "a new configuration has {} hyperparameters, the history {}",
                config.len(),
                self.n_hps
            )));
        }
        if let Some(v) = config.iter().find(|v| !(0.0..=1.0).contains(*v)) {
            return Err(HpoError::InvalidInput(format!(
                "a new configuration has hyperparameter {v} outside [0, 1]"
            )));
        }
        self.configs.push(config);
        self.curves.push(Vec::new());
        self.holds.push(None);
        Ok(self.configs.len() - 1)
    }

    /// Records the value of the next epoch of `config`. Non-finite values count as the
    /// worst value (0); values are clamped to [0, 1].
    pub fn observe(&mut self, config: usize, y: f32) -> Result<()> {
        let max = self.max_epochs;
        let curve = self
            .curves
            .get_mut(config)
            .ok_or_else(|| HpoError::InvalidInput(format!("config {config} does not exist")))?;
        if curve.len() >= max {
            return Err(HpoError::InvalidInput(format!(
                "config {config} already has all {max} epochs"
            )));
        }
        curve.push(if y.is_finite() {
            y.clamp(0.0, 1.0)
        } else {
            0.0
        });
        Ok(())
    }

    /// Records the first `ys.len()` epochs of a configuration not observed yet.
    pub fn observe_prefix(&mut self, config: usize, ys: &[f32]) -> Result<()> {
        ys.iter().try_for_each(|&y| self.observe(config, y))
    }

    /// Marks `config` as not choosable now (see [`Hold`]).
    pub fn hold(&mut self, config: usize, hold: Hold) -> Result<()> {
        let slot = self
            .holds
            .get_mut(config)
            .ok_or_else(|| HpoError::InvalidInput(format!("config {config} does not exist")))?;
        *slot = Some(hold);
        Ok(())
    }

    /// Marks `config` as the configuration to start before any other (see the type's
    /// docs).
    pub fn set_first(&mut self, config: usize) -> Result<()> {
        if config >= self.configs.len() {
            return Err(HpoError::InvalidInput(format!(
                "config {config} does not exist"
            )));
        }
        self.first = Some(config);
        Ok(())
    }

    /// The configuration marked first, while it is never trained and open.
    pub fn first_due(&self) -> Option<usize> {
        self.first
            .filter(|&c| self.curves[c].is_empty() && self.is_open(c))
    }

    /// Why `config` cannot be chosen now, if it is held.
    pub fn held(&self, config: usize) -> Option<Hold> {
        self.holds[config]
    }

    /// Whether `config` can be trained further now: not fully trained and not held.
    pub fn is_open(&self, config: usize) -> bool {
        self.curves[config].len() < self.max_epochs && self.holds[config].is_none()
    }

    /// Whether some configuration is being trained by a worker.
    pub fn any_running(&self) -> bool {
        self.holds.contains(&Some(Hold::Running))
    }

    /// The error for "no configuration is open": [`HpoError::Busy`] while workers are
    /// training (the study waits for them), [`HpoError::Exhausted`] otherwise.
    pub fn nothing_open(&self) -> HpoError {
        if self.any_running() {
            HpoError::Busy
        } else {
            HpoError::Exhausted
        }
    }

    /// Epochs per full curve.
    pub fn max_epochs(&self) -> usize {
        self.max_epochs
    }

    /// Hyperparameters per configuration.
    pub fn n_hps(&self) -> usize {
        self.n_hps
    }

    /// Number of candidate configurations.
    pub fn n_configs(&self) -> usize {
        self.configs.len()
    }

    /// Encoded hyperparameters of `config`.
    pub fn config(&self, config: usize) -> &[f32] {
        &self.configs[config]
    }

    /// Observed prefix of `config`'s curve (empty if never trained).
    pub fn curve(&self, config: usize) -> &[f32] {
        &self.curves[config]
    }

    /// Total number of observed points.
    pub fn n_observed(&self) -> usize {
        self.curves.iter().map(Vec::len).sum()
    }

    /// Every observed point as (config, epoch (1-based), y), config by config.
    pub fn points(&self) -> impl Iterator<Item = (usize, usize, f32)> + '_ {
        self.curves
            .iter()
            .enumerate()
            .flat_map(|(c, ys)| ys.iter().enumerate().map(move |(e, &y)| (c, e + 1, y)))
    }

    /// Best value observed at any epoch of any configuration.
    pub fn best_y(&self) -> Option<f32> {
        self.points().map(|(_, _, y)| y).reduce(f32::max)
    }

    /// Checks that every query names an existing config and an epoch in 1 ..= max_epochs.
    pub fn check_queries(&self, queries: &[At]) -> Result<()> {
        for q in queries {
            if q.config >= self.configs.len() || q.epoch == 0 || q.epoch > self.max_epochs {
                return Err(HpoError::InvalidInput(format!(
                    "query {q:?} is outside {} configs × epochs 1..={}",
                    self.configs.len(),
                    self.max_epochs
                )));
            }
        }
        Ok(())
    }

    /// Progress of `epoch` as the PFNs and the power laws see it: epoch / max_epochs.
    pub fn progress(&self, epoch: usize) -> f32 {
        epoch as f32 / self.max_epochs as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_prefixes_and_rejects_bad_input() {
        let mut h = History::new(vec![vec![0.1, 0.2], vec![0.3, 0.4]], 3).unwrap();
        h.observe_prefix(1, &[0.2, f32::NAN, 1.5]).unwrap();
        assert_eq!(h.curve(1), &[0.2, 0.0, 1.0]);
        assert!(
            h.observe(1, 0.5).is_err(),
            "a fourth epoch of a 3-epoch curve"
        );
        assert!(h.observe(2, 0.5).is_err(), "no config 2");
        assert_eq!(h.n_observed(), 3);
        assert_eq!(h.best_y(), Some(1.0));
        assert_eq!(
            h.points().collect::<Vec<_>>(),
            vec![(1, 1, 0.2), (1, 2, 0.0), (1, 3, 1.0)]
        );
        assert!(History::new(vec![vec![0.1], vec![0.1, 0.2]], 3).is_err());
        assert!(History::new(vec![vec![1.1]], 3).is_err());
        assert!(
            h.check_queries(&[At {
                config: 0,
                epoch: 4
            }])
            .is_err()
        );
        assert!(
            h.check_queries(&[At {
                config: 0,
                epoch: 3
            }])
            .is_ok()
        );
    }

    #[test]
    fn configurations_can_be_added() {
        let mut h = History::empty(2, 1).unwrap();
        assert_eq!((h.n_configs(), h.n_hps()), (0, 2));
        assert_eq!(h.push_config(vec![0.1, 0.9]).unwrap(), 0);
        assert_eq!(h.push_config(vec![0.5, 0.5]).unwrap(), 1);
        assert!(h.push_config(vec![0.5]).is_err(), "wrong dimension");
        assert!(h.push_config(vec![0.5, 1.5]).is_err(), "outside the box");
        h.observe(1, 0.7).unwrap();
        assert_eq!(
            (h.n_configs(), h.curve(0), h.curve(1)),
            (2, &[][..], &[0.7][..])
        );
        assert!(h.is_open(0) && !h.is_open(1));
    }

    #[test]
    fn held_configurations_are_not_open() {
        let mut h = History::new(vec![vec![0.1], vec![0.2], vec![0.3]], 2).unwrap();
        h.observe_prefix(2, &[0.5, 0.6]).unwrap();
        assert!(
            h.is_open(0) && h.is_open(1) && !h.is_open(2),
            "2 is finished"
        );
        assert!(matches!(h.nothing_open(), HpoError::Exhausted));
        h.hold(0, Hold::Failed).unwrap();
        assert!(!h.is_open(0) && !h.any_running());
        h.hold(1, Hold::Running).unwrap();
        assert!(!h.is_open(1) && h.any_running());
        assert!(matches!(h.nothing_open(), HpoError::Busy));
        assert_eq!(h.held(1), Some(Hold::Running));
        assert!(h.hold(3, Hold::Running).is_err());
    }
}
