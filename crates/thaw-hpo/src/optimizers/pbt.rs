//! Population-based training (Jaderberg et al. 2017), asynchronous.
//!
//! A population of `population` members trains in steps of `interval` epochs. Each
//! decision takes the ready member (not running, not fully trained) with the fewest
//! epochs — so the population moves in rounds — and either trains it on for one more
//! interval or, when its latest value is in the bottom `quantile` of the members'
//! latest values, replaces it:
//!
//! - **exploit**: a member of the top `quantile` (chosen at random among those that are
//!   not running and not fully trained) lends its state: a *new* configuration starts
//!   from that member's checkpoint at that member's epoch, with its recorded epochs;
//! - **explore**: the new configuration is the donor's, each mutable dimension of the
//!   encoding resampled uniformly with probability `resample`, otherwise moved by
//!   ±`step` (random sign, clamped to [0, 1]); immutable dimensions (the architecture,
//!   anything the program cannot change on resume) stay the donor's.
//!
//! The new configuration is reported through [`Optimizer::spawn`]: its action names the
//! configuration one past the pool, which the caller creates. A member whose program
//! failed for good is replaced the same way (or by a fresh configuration when no donor
//! is ready). Ranking members by their latest value compares curves at different epochs,
//! as asynchronous PBT does; the round order keeps the gaps to one interval.
//!
//! PBT needs a program that takes new hyperparameters on resume, so it runs under
//! `thaw tune` only: a tabular benchmark holds one fixed curve per configuration and has
//! no curve for "these weights, trained on with other hyperparameters".

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::random_fresh;
use crate::error::{HpoError, Result};
use crate::history::{History, Hold};
use crate::optimizer::{Action, Optimizer, Spawn};

/// Settings of [`Pbt`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PbtSettings {
    /// Members trained at once (default 8).
    pub population: usize,
    /// Epochs between two exploit decisions of a member; 0: max_epochs / 10, at least 1
    /// (default 0).
    pub interval: usize,
    /// Fraction of the population in the bottom (replaced) and top (donor) sets; each
    /// holds ⌊quantile · population⌋ members, at least 1 (default 0.25).
    pub quantile: f64,
    /// Probability that a mutable dimension is resampled instead of moved (default 0.25).
    pub resample: f64,
    /// Size of an explore move in the encoding (default 0.1).
    pub step: f32,
    /// Per dimension of the encoding: whether the program accepts a new value on resume.
    /// Empty: every dimension is mutable.
    pub mutable: Vec<bool>,
}

impl Default for PbtSettings {
    fn default() -> Self {
        Self {
            population: 8,
            interval: 0,
            quantile: 0.25,
            resample: 0.25,
            step: 0.1,
            mutable: Vec::new(),
        }
    }
}

impl PbtSettings {
    /// The interval for curves of `max_epochs` epochs.
    pub fn interval_for(&self, max_epochs: usize) -> usize {
        if self.interval > 0 {
            self.interval
        } else {
            (max_epochs / 10).max(1)
        }
    }
}

/// Asynchronous PBT; see the module documentation.
pub struct Pbt {
    settings: PbtSettings,
    rng: StdRng,
    /// The configuration each member trains now, in the order the members started.
    members: Vec<usize>,
    /// What the last decision asked to create.
    pending: Option<Spawn>,
}

impl Pbt {
    /// PBT with `settings`, seeded with `seed`.
    pub fn new(settings: PbtSettings, seed: u64) -> Self {
        Self {
            settings,
            rng: StdRng::seed_from_u64(seed),
            members: Vec::new(),
            pending: None,
        }
    }

    /// The configuration each member trains now.
    pub fn members(&self) -> &[usize] {
        &self.members
    }

    /// The donor's encoding after an explore move.
    fn explore(&mut self, donor: &[f32]) -> Vec<f32> {
        let s = &self.settings;
        let (resample, step) = (s.resample, s.step);
        let mutable: Vec<bool> = (0..donor.len())
            .map(|d| s.mutable.get(d).copied().unwrap_or(s.mutable.is_empty()))
            .collect();
        donor
            .iter()
            .zip(mutable)
            .map(|(&u, m)| {
                if !m {
                    u
                } else if self.rng.random_bool(resample.clamp(0.0, 1.0)) {
                    self.rng.random::<f32>()
                } else {
                    let sign = if self.rng.random_bool(0.5) { 1.0 } else { -1.0 };
                    (u + sign * step).clamp(0.0, 1.0)
                }
            })
            .collect()
    }
}

/// A member's latest value (y, higher is better); a failed member ranks last.
fn latest(history: &History, config: usize) -> f32 {
    if history.held(config) == Some(Hold::Failed) {
        return f32::NEG_INFINITY;
    }
    history
        .curve(config)
        .last()
        .copied()
        .unwrap_or(f32::NEG_INFINITY)
}

impl Optimizer for Pbt {
    fn name(&self) -> String {
        "PBT".into()
    }

    fn next(&mut self, history: &History, budget_left: usize) -> Result<Action> {
        let _ = budget_left;
        self.pending = None;
        let max = history.max_epochs();
        let interval = self.settings.interval_for(max);
        let population = self.settings.population.max(1);
        // Fill the population with fresh configurations first.
        if self.members.len() < population {
            let fresh =
                (0..history.n_configs()).any(|c| history.curve(c).is_empty() && history.is_open(c));
            if fresh {
                let c = random_fresh(history, &mut self.rng).expect("a fresh one is open");
                self.members.push(c);
                return Ok(Action {
                    config: c,
                    to_epoch: interval.min(max),
                });
            }
            if self.members.is_empty() {
                return Err(history.nothing_open());
            }
        }
        let ready =
            |c: usize| history.held(c) != Some(Hold::Running) && history.curve(c).len() < max;
        let Some(slot) = (0..self.members.len())
            .filter(|&m| ready(self.members[m]))
            .min_by_key(|&m| (history.curve(self.members[m]).len(), m))
        else {
            return Err(history.nothing_open());
        };
        let member = self.members[slot];
        // Rank the members by their latest value, best first (ties: earlier member).
        let mut ranked: Vec<usize> = (0..self.members.len()).collect();
        ranked.sort_by(|&a, &b| {
            latest(history, self.members[b])
                .total_cmp(&latest(history, self.members[a]))
                .then(a.cmp(&b))
        });
        let n = ranked.len();
        let q = ((self.settings.quantile.clamp(0.0, 0.5) * n as f64).floor() as usize).max(1);
        let failed = history.held(member) == Some(Hold::Failed);
        let bottom = n >= 2 && ranked[n - q..].contains(&slot);
        if failed || bottom {
            let donors: Vec<usize> = ranked[..q.min(n)]
                .iter()
                .map(|&m| self.members[m])
                .filter(|&c| c != member && ready(c) && !history.curve(c).is_empty())
                .filter(|&c| history.held(c).is_none())
                .collect();
            if !donors.is_empty() {
                let donor = donors[self.rng.random_range(0..donors.len())];
                let epoch = history.curve(donor).len();
                let point = self.explore(history.config(donor));
                let config = history.n_configs();
                self.pending = Some(Spawn {
                    parent: donor,
                    epoch,
                    point,
                });
                self.members[slot] = config;
                return Ok(Action {
                    config,
                    to_epoch: (epoch + interval).min(max),
                });
            }
            if failed {
                // No donor ready: a fresh configuration takes the failed member's place.
                let c = random_fresh(history, &mut self.rng).ok_or(HpoError::Busy)?;
                if history.curve(c).is_empty() {
                    self.members[slot] = c;
                    return Ok(Action {
                        config: c,
                        to_epoch: interval.min(max),
                    });
                }
                return Err(history.nothing_open());
            }
        }
        let epochs = history.curve(member).len();
        Ok(Action {
            config: member,
            to_epoch: (epochs + interval).min(max),
        })
    }

    fn spawn(&mut self) -> Option<Spawn> {
        self.pending.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(population: usize, interval: usize) -> PbtSettings {
        PbtSettings {
            population,
            interval,
            ..PbtSettings::default()
        }
    }

    /// Plays PBT on a "program" whose value at an epoch is the configuration's first
    /// coordinate (so the best member is the one with the largest u₀), creating spawned
    /// configurations the way the study does. Returns (actions, spawns, epochs spent).
    fn play(seed: u64, budget: usize) -> (Vec<Action>, Vec<Spawn>, usize) {
        let mut configs: Vec<Vec<f32>> = (0..6).map(|i| vec![i as f32 / 5.0, 0.5]).collect();
        let mut curves: Vec<Vec<f32>> = vec![Vec::new(); configs.len()];
        let mut pbt = Pbt::new(settings(4, 2), seed);
        let (mut actions, mut spawns, mut spent) = (Vec::new(), Vec::new(), 0);
        while spent < budget {
            let mut h = History::new(configs.clone(), 10).unwrap();
            for (c, ys) in curves.iter().enumerate() {
                h.observe_prefix(c, ys).unwrap();
            }
            let a = match pbt.next(&h, budget - spent) {
                Ok(a) => a,
                Err(HpoError::Exhausted) => break,
                Err(e) => panic!("{e}"),
            };
            if a.config == configs.len() {
                let s = pbt.spawn().expect("a spawn for a new configuration");
                configs.push(s.point.clone());
                curves.push(curves[s.parent][..s.epoch].to_vec());
                spawns.push(s);
            } else {
                assert!(pbt.spawn().is_none());
            }
            let c = a.config;
            let from = curves[c].len();
            assert!(a.to_epoch > from && a.to_epoch <= 10, "{a:?} from {from}");
            for _ in from..a.to_epoch.min(from + budget - spent) {
                curves[c].push(configs[c][0]);
                spent += 1;
            }
            actions.push(a);
        }
        (actions, spawns, spent)
    }

    #[test]
    fn fills_the_population_then_exploits_the_top() {
        let (actions, spawns, spent) = play(3, 30);
        assert_eq!(spent, 30);
        // Four fresh members, two epochs each.
        assert!(actions[..4].iter().all(|a| a.to_epoch == 2 && a.config < 6));
        // Round two: the member with the fewest epochs comes first; the worst member
        // (smallest u₀ of the four) is replaced by a child of the best one.
        assert!(!spawns.is_empty(), "the bottom member exploits");
        let first = &spawns[0];
        assert!(
            first.epoch >= 2 && first.epoch % 2 == 0,
            "the child inherits the donor's epochs, whole intervals: {first:?}"
        );
        // The value is u₀, so the best of the four first members has the largest index.
        let members: Vec<usize> = actions[..4].iter().map(|a| a.config).collect();
        let best = *members.iter().max().unwrap();
        assert_eq!(first.parent, best, "the donor is the top member");
        let worst = *members.iter().min().unwrap();
        let replaced = actions
            .iter()
            .position(|a| a.config == 6)
            .expect("the first child trains");
        assert!(
            actions[replaced..].iter().all(|a| a.config != worst),
            "the replaced member never trains again"
        );
    }

    #[test]
    fn deterministic_and_exact_budget() {
        for budget in [1, 7, 23, 40] {
            let a = play(5, budget);
            let b = play(5, budget);
            assert_eq!(a.0, b.0);
            assert_eq!(a.1, b.1);
            assert!(a.2 <= budget);
        }
        assert_ne!(play(1, 40).1, play(2, 40).1, "the seed matters");
    }

    #[test]
    fn explore_keeps_immutable_dimensions() {
        let mut pbt = Pbt::new(
            PbtSettings {
                mutable: vec![true, false],
                resample: 0.0,
                step: 0.1,
                ..PbtSettings::default()
            },
            0,
        );
        for _ in 0..20 {
            let p = pbt.explore(&[0.5, 0.3]);
            assert!(
                (p[0] - 0.4).abs() < 1e-6 || (p[0] - 0.6).abs() < 1e-6,
                "{p:?}"
            );
            assert_eq!(p[1], 0.3);
        }
        // At the edge the move is clamped.
        let p = pbt.explore(&[1.0, 0.3]);
        assert!(p[0] == 1.0 || (p[0] - 0.9).abs() < 1e-6);
    }

    #[test]
    fn a_failed_member_is_replaced_and_running_ones_wait() {
        let configs: Vec<Vec<f32>> = (0..3).map(|i| vec![i as f32 / 2.0]).collect();
        let mut pbt = Pbt::new(settings(2, 1), 0);
        let mut h = History::new(configs.clone(), 4).unwrap();
        let a = pbt.next(&h, 10).unwrap();
        h.observe(a.config, 0.2).unwrap();
        let b = pbt.next(&h, 10).unwrap();
        assert_ne!(a.config, b.config);
        h.observe(b.config, 0.9).unwrap();
        // Both running: nothing to do but wait.
        let mut busy = h.clone();
        busy.hold(a.config, Hold::Running).unwrap();
        busy.hold(b.config, Hold::Running).unwrap();
        assert!(matches!(pbt.next(&busy, 10), Err(HpoError::Busy)));
        // The weaker member fails for good: a child of the other replaces it.
        h.hold(a.config, Hold::Failed).unwrap();
        let c = pbt.next(&h, 10).unwrap();
        assert_eq!(c.config, 3, "one past the pool");
        let s = pbt.spawn().unwrap();
        assert_eq!((s.parent, s.epoch), (b.config, 1));
        assert_eq!(c.to_epoch, 2);
        assert_eq!(pbt.members(), &[3, b.config]);
    }
}
