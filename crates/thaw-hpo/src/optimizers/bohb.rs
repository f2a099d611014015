//! BOHB (Falkner et al. 2018): HyperBand's brackets ([`SuccessiveHalving::hyperband`],
//! same η and minimum epochs), but the configurations that start a bracket come from a
//! TPE-style density model instead of uniformly at random.
//!
//! The model is fitted on the largest budget (epoch) that at least d + 2 configurations
//! have reached, each configuration's value being its curve at that epoch. The best
//! max(⌈γ·n⌉, d + 1) form the good set, the rest the bad set; each becomes a Parzen
//! estimator of joint truncated Gaussian kernels with Scott's-rule bandwidths (statsmodels'
//! normal reference, as in BOHB) of at least 10⁻³ and no prior component. `candidates`
//! points are drawn from the good kernels with bandwidths × `bandwidth_factor`, each is
//! mapped to the pool by [`nearest_open`], and the configuration with the largest
//! l/g starts the bracket. A fraction `random_fraction` of choices, and every choice
//! before the model can be fitted, is uniformly random ([`random_fresh`]).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::pool_rule::nearest_open;
use super::random_fresh;
use super::successive_halving::{BracketChooser, SuccessiveHalving};
use super::tpe::{Bandwidth, Kernels, Parzen, TpePrior, log_ratio, split};
use crate::error::Result;
use crate::history::History;
use crate::optimizer::{Action, Optimizer};

/// Smallest kernel bandwidth (BOHB's `min_bandwidth`).
const MIN_BANDWIDTH: f64 = 1e-3;

/// Settings of [`Bohb`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BohbSettings {
    /// HyperBand's reduction factor η (default 3).
    pub eta: usize,
    /// Epochs of the smallest rung (default 1).
    pub min_epochs: usize,
    /// Fraction of bracket starters drawn uniformly at random (default 1/3).
    pub random_fraction: f64,
    /// Fraction of observations in the good set (default 0.15, as in the paper).
    pub gamma: f64,
    /// Candidates drawn from the good density per choice (default 64).
    pub candidates: usize,
    /// Factor on the bandwidths when drawing candidates (default 3).
    pub bandwidth_factor: f64,
}

impl Default for BohbSettings {
    fn default() -> Self {
        Self {
            eta: 3,
            min_epochs: 1,
            random_fraction: 1.0 / 3.0,
            gamma: 0.15,
            candidates: 64,
            bandwidth_factor: 3.0,
        }
    }
}

/// BOHB: HyperBand whose bracket starters come from a density model.
pub struct Bohb {
    schedule: SuccessiveHalving,
}

impl Bohb {
    /// BOHB with `settings`, seeded with `seed`.
    pub fn new(settings: BohbSettings, seed: u64) -> Self {
        let chooser = ModelChooser {
            settings,
            rng: StdRng::seed_from_u64(seed),
        };
        Self {
            schedule: SuccessiveHalving::hyperband(settings.eta, settings.min_epochs, seed)
                .with_chooser(Box::new(chooser)),
        }
    }
}

impl Optimizer for Bohb {
    fn name(&self) -> String {
        "BOHB".into()
    }

    fn next(&mut self, history: &History, budget_left: usize) -> Result<Action> {
        self.schedule.next(history, budget_left)
    }
}

/// Picks bracket starters: random, or the best of the candidates by l/g.
struct ModelChooser {
    settings: BohbSettings,
    rng: StdRng,
}

impl BracketChooser for ModelChooser {
    fn choose(&mut self, history: &History, taken: &History) -> Option<usize> {
        let s = self.settings;
        let random = self.rng.random::<f64>() < s.random_fraction;
        let Some((l, g)) = (!random).then(|| fit(history, s.gamma)).flatten() else {
            return random_fresh(taken, &mut self.rng);
        };
        let widen = if s.bandwidth_factor > 0.0 {
            s.bandwidth_factor
        } else {
            1.0
        };
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..s.candidates.max(1) {
            let x = l.sample(&mut self.rng, widen);
            let c = nearest_open(taken, &x)?;
            let score = log_ratio(&l, &g, taken.config(c));
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, c));
            }
        }
        best.map(|(_, c)| c)
    }
}

/// The largest epoch that at least d + 2 configurations have reached.
fn model_budget(history: &History) -> Option<usize> {
    let need = history.n_hps() + 2;
    (1..=history.max_epochs()).rev().find(|&e| {
        (0..history.n_configs())
            .filter(|&c| history.curve(c).len() >= e)
            .count()
            >= need
    })
}

/// The good and bad densities at [`model_budget`], if it exists.
fn fit(history: &History, gamma: f64) -> Option<(Parzen, Parzen)> {
    let budget = model_budget(history)?;
    let observations: Vec<(usize, f32)> = (0..history.n_configs())
        .filter_map(|c| history.curve(c).get(budget - 1).map(|&y| (c, y)))
        .collect();
    let d = history.n_hps();
    let (good, bad) = split(history, &observations, gamma, d + 1);
    let kde = |points: &[&[f32]]| {
        let kernels = Kernels {
            joint: true,
            bandwidth: Bandwidth::Scott,
            min_sigma: MIN_BANDWIDTH,
            prior_weight: 0.0,
            prior: TpePrior::Flat,
            endpoints: true,
        };
        Parzen::fit(points, d, &kernels)
    };
    Some((kde(&good), kde(&bad)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HpoError;
    use crate::history::Hold;
    use crate::objective::TabularObjective;
    use crate::optimise::{Step, Trajectory, run};
    use crate::optimizers::RandomSearch;
    use crate::optimizers::test_pools::{bump, pool_task};

    fn study(opt: &mut dyn Optimizer, obj: &mut TabularObjective, budget: usize) -> Trajectory {
        run(opt, obj, budget, &mut |_, _| {}).unwrap()
    }

    fn bohb(seed: u64) -> Bohb {
        Bohb::new(BohbSettings::default(), seed)
    }

    #[test]
    fn bohb_is_deterministic_given_the_seed() {
        let a = study(&mut bohb(4), &mut pool_task(80, 2, 9, 1, bump), 300).steps;
        let b = study(&mut bohb(4), &mut pool_task(80, 2, 9, 1, bump), 300).steps;
        let c = study(&mut bohb(5), &mut pool_task(80, 2, 9, 1, bump), 300).steps;
        assert_eq!(a, b);
        assert_ne!(a, c, "another seed, another run");
    }

    #[test]
    fn bohb_spends_exactly_the_budget() {
        let mut rng = StdRng::seed_from_u64(11);
        for case in 0..20u64 {
            let configs = rng.random_range(1..30);
            let epochs = rng.random_range(1..15);
            let budget = rng.random_range(1..configs * epochs + 10);
            let mut obj = pool_task(configs, 2, epochs, case, bump);
            let t = study(&mut bohb(case), &mut obj, budget);
            let want = budget.min(configs * epochs);
            assert_eq!(t.steps.len(), want, "{configs}×{epochs}, budget {budget}");
            assert_eq!(t.history.n_observed(), want);
        }
    }

    #[test]
    fn bohb_follows_hyperbands_schedule_and_fits_at_the_right_budget() {
        // 27 epochs, η = 3: the first bracket is 27 configs × 1 epoch, 9 × 3, 3 × 9, 1 × 27
        // (81 epochs); a whole cycle of brackets costs 81 + 78 + 90 + 108 = 357.
        let budget = 357 + 81;
        let epochs_of = |s: &[Step]| s.iter().map(|x| x.epoch).collect::<Vec<_>>();
        let hb = study(
            &mut SuccessiveHalving::hyperband(3, 1, 2),
            &mut pool_task(200, 2, 27, 3, bump),
            budget,
        );
        let bo = study(&mut bohb(2), &mut pool_task(200, 2, 27, 3, bump), budget);
        assert_eq!(epochs_of(&bo.steps), epochs_of(&hb.steps));
        let distinct = |s: &[Step], e: usize| {
            let mut c: Vec<usize> = s
                .iter()
                .filter(|x| x.epoch == e)
                .map(|x| x.config)
                .collect();
            c.sort_unstable();
            c.dedup();
            c.len()
        };
        let first = &bo.steps[..81];
        let sizes: Vec<usize> = [1, 3, 9, 27].iter().map(|&e| distinct(first, e)).collect();
        assert_eq!(sizes, vec![27, 9, 3, 1]);
        // The model's budget (d + 2 = 4 configurations needed): none after 3 epochs, epoch
        // 1 after 4, and after the first bracket epoch 3 (9 there, 3 at 9, 1 at 27).
        let at = |spent: usize| study(&mut bohb(2), &mut pool_task(200, 2, 27, 3, bump), spent);
        assert_eq!(model_budget(&at(3).history), None);
        assert_eq!(model_budget(&at(4).history), Some(1));
        assert_eq!(model_budget(&at(81).history), Some(3));
        // Later brackets start configurations chosen by the model: not HyperBand's.
        assert_ne!(bo.steps, hb.steps);
    }

    #[test]
    fn bohb_reports_what_hyperband_reports_when_nothing_is_open() {
        let same = |h: &History| {
            let a = bohb(0).next(h, 10);
            let b = SuccessiveHalving::hyperband(3, 1, 0).next(h, 10);
            match (a, b) {
                (Ok(x), Ok(y)) => assert_eq!(x.to_epoch, y.to_epoch),
                (Err(HpoError::Busy), Err(HpoError::Busy)) => {}
                (Err(HpoError::Exhausted), Err(HpoError::Exhausted)) => {}
                (a, b) => panic!("BOHB {a:?}, HyperBand {b:?}"),
            }
        };
        same(&History::new(Vec::new(), 3).unwrap());
        let mut h = History::new(vec![vec![0.1, 0.2], vec![0.3, 0.4], vec![0.5, 0.6]], 2).unwrap();
        same(&h);
        h.observe_prefix(0, &[0.1, 0.2]).unwrap();
        h.hold(1, Hold::Running).unwrap();
        h.hold(2, Hold::Failed).unwrap();
        same(&h);
        h.observe_prefix(1, &[0.1, 0.2]).unwrap();
        h.hold(1, Hold::Failed).unwrap();
        same(&h);
        // One configuration without hyperparameters.
        let mut one = History::new(vec![vec![]], 1).unwrap();
        same(&one);
        one.observe(0, 0.5).unwrap();
        same(&one);
    }

    #[test]
    fn bohb_beats_random_search_on_a_smooth_bump() {
        // 400 configurations in [0, 1]², 27 epochs, two HyperBand cycles of budget;
        // regret averaged over 5 seeds.
        let budget = 2 * 357;
        let regret = |opt: &mut dyn Optimizer, seed: u64| {
            let mut obj = pool_task(400, 2, 27, 200 + seed, bump);
            let best = obj.best_value();
            best - study(opt, &mut obj, budget).steps.last().unwrap().incumbent
        };
        let mean = |f: &dyn Fn(u64) -> f32| (0..5).map(f).sum::<f32>() / 5.0;
        let random = mean(&|s| regret(&mut RandomSearch::new(s), s));
        let hyperband = mean(&|s| regret(&mut SuccessiveHalving::hyperband(3, 1, s), s));
        let model = mean(&|s| regret(&mut bohb(s), s));
        eprintln!("regret: BOHB {model:.4}, HyperBand {hyperband:.4}, random {random:.4}");
        assert!(model < random * 0.7, "BOHB {model} vs random {random}");
        // A broken model would leave BOHB no better than HyperBand's random starters.
        assert!(
            model < hyperband * 0.7,
            "BOHB {model} vs HyperBand {hyperband}"
        );
    }
}
