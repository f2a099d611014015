//! Full-fidelity methods on a continuous search space: instead of choosing a member of
//! a fixed pool, a method proposes a point of [0, 1]^d itself ([`ProposePoint`]), and
//! [`run_continuous`] evaluates it there.
//!
//! The history of such a run holds the points evaluated so far as its configurations
//! (in order), each with one epoch: its value. On a pool the same methods act through
//! [`Optimizer::next`], which moves their proposals by the [pool rule](super::pool_rule)
//! (TPE, CMA-ES) or scores the pool's members directly (GP-BO); each method's
//! `propose_point` documents what differs.

use rand::{Rng, RngExt};

use crate::error::{HpoError, Result};
use crate::history::History;
use crate::optimizer::Optimizer;

/// A method that can propose a point of the continuous space [0, 1]^d directly.
pub trait ProposePoint: Optimizer {
    /// The next point to evaluate (d = `history.n_hps()` coordinates in [0, 1]). The
    /// caller adds it to `history` as configuration `history.n_configs()` and records
    /// its value before calling again; `history` holds every point evaluated so far.
    fn propose_point(&mut self, history: &History) -> Result<Vec<f32>>;
}

/// A uniform point of [0, 1]^d.
pub fn uniform_point<R: Rng + ?Sized>(d: usize, rng: &mut R) -> Vec<f32> {
    (0..d).map(|_| rng.random::<f32>()).collect()
}

/// Evaluates `budget` points proposed by `method` on [0, 1]^`d`: each point is added to
/// the history as a new configuration (one epoch) with the value `evaluate` gives it
/// (higher is better; the history clamps it to [0, 1], non-finite = 0). Returns the
/// history: the points in the order proposed, each with its value.
pub fn run_continuous(
    method: &mut dyn ProposePoint,
    d: usize,
    budget: usize,
    evaluate: &mut dyn FnMut(&[f32]) -> f32,
) -> Result<History> {
    let mut history = History::empty(d, 1)?;
    for _ in 0..budget {
        let x = method.propose_point(&history)?;
        let c = history.push_config(x).map_err(|e| {
            HpoError::InvalidInput(format!("{} proposed a bad point: {e}", method.name()))
        })?;
        let y = evaluate(history.config(c));
        history.observe(c, y)?;
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::optimizers::RandomSearch;
    use crate::optimizers::cmaes::{CmaEs, CmaEsSettings};
    use crate::optimizers::gp_bo::{GpBo, GpBoSettings};
    use crate::optimizers::pool_rule::nearest_open;
    use crate::optimizers::tpe::{Tpe, TpeSettings};

    /// 1 − squared distance to (0.3, 0.7, …), in [0, 1] on the box for d ≤ 2.
    fn bowl(x: &[f32]) -> f32 {
        let r2: f32 = x
            .iter()
            .enumerate()
            .map(|(i, v)| (v - if i % 2 == 0 { 0.3 } else { 0.7 }).powi(2))
            .sum();
        1.0 - r2
    }

    fn methods(seed: u64) -> Vec<Box<dyn ProposePoint>> {
        vec![
            Box::new(RandomSearch::new(seed)),
            Box::new(Tpe::new(TpeSettings::default(), seed)),
            Box::new(CmaEs::new(CmaEsSettings::default(), seed)),
            Box::new(GpBo::new(GpBoSettings::default(), seed)),
        ]
    }

    #[test]
    fn continuous_runs_spend_the_budget_and_repeat_with_the_seed() {
        let runs = |seed: u64| -> Vec<History> {
            methods(seed)
                .iter_mut()
                .map(|m| {
                    let mut calls = 0;
                    let h = run_continuous(m.as_mut(), 2, 17, &mut |x| {
                        calls += 1;
                        bowl(x)
                    })
                    .unwrap();
                    assert_eq!((calls, h.n_configs(), h.n_observed()), (17, 17, 17));
                    h
                })
                .collect()
        };
        let (a, b, c) = (runs(3), runs(3), runs(4));
        for i in 0..a.len() {
            assert_eq!(a[i], b[i], "method {i}: the same seed, the same points");
            assert_ne!(a[i], c[i], "method {i}: another seed, other points");
        }
        let mut tpe = Tpe::new(TpeSettings::default(), 0);
        assert_eq!(
            run_continuous(&mut tpe, 2, 0, &mut bowl)
                .unwrap()
                .n_configs(),
            0
        );
    }

    #[test]
    fn model_based_methods_approach_the_optimum() {
        // 40 evaluations on a 2-d bowl, 5 seeds: each method's mean best is above random
        // search's and close to the optimum (one seed alone can fall either way).
        let best = |m: &mut dyn ProposePoint| {
            let h = run_continuous(m, 2, 40, &mut bowl).unwrap();
            h.best_y().unwrap()
        };
        let seeds = 0..5u64;
        let random: f32 = seeds
            .clone()
            .map(|s| best(&mut RandomSearch::new(s)))
            .sum::<f32>()
            / 5.0;
        let n_methods = methods(0).len();
        for i in 1..n_methods {
            let mut name = String::new();
            let mean = seeds
                .clone()
                .map(|s| {
                    let mut m = methods(s).swap_remove(i);
                    name = m.name();
                    best(m.as_mut())
                })
                .sum::<f32>()
                / 5.0;
            assert!(
                mean > random && mean > 0.99,
                "{name}: {mean} vs random {random}"
            );
        }
    }

    /// A pool of `n` random points of [0, 1]^`d` with `evaluated` of them evaluated.
    fn pool(n: usize, d: usize, evaluated: usize) -> History {
        let mut rng = StdRng::seed_from_u64(5);
        let configs: Vec<Vec<f32>> = (0..n).map(|_| uniform_point(d, &mut rng)).collect();
        let mut h = History::new(configs, 1).unwrap();
        for c in 0..evaluated {
            let y = bowl(h.config(c));
            h.observe(c, y).unwrap();
        }
        h
    }

    #[test]
    fn on_a_pool_next_is_the_pool_rule_applied_to_the_proposal() {
        // TPE with one candidate: next() maps its draw by the pool rule, propose_point
        // returns the draw (more candidates are scored at the member vs at the draw).
        let h = pool(300, 2, 12);
        let s = TpeSettings {
            candidates: 1,
            ..TpeSettings::default()
        };
        let (mut a, mut b) = (Tpe::new(s, 9), Tpe::new(s, 9));
        for _ in 0..5 {
            let x = b.propose_point(&h).unwrap();
            assert_eq!(a.next(&h, 1).unwrap().config, nearest_open(&h, &x).unwrap());
        }
        // CMA-ES: the first generation's members are the samples mapped by the rule.
        let h = pool(500, 3, 0);
        let (mut a, mut b) = (
            CmaEs::new(CmaEsSettings::default(), 2),
            CmaEs::new(CmaEsSettings::default(), 2),
        );
        for _ in 0..7 {
            let x = b.propose_point(&h).unwrap();
            assert_eq!(a.next(&h, 1).unwrap().config, nearest_open(&h, &x).unwrap());
        }
        // GP-BO: the same GP and EI; on a dense 1-d pool the member next() picks (the
        // pool's EI maximum) is the one nearest to the continuous EI maximum.
        let mut h = History::new((0..=400).map(|i| vec![i as f32 / 400.0]).collect(), 1).unwrap();
        for c in [20, 130, 210, 300, 390] {
            let y = (1.0 - (h.config(c)[0] - 0.62).powi(2) * 3.0).max(0.0);
            h.observe(c, y).unwrap();
        }
        let (mut a, mut b) = (
            GpBo::new(GpBoSettings::default(), 1),
            GpBo::new(GpBoSettings::default(), 1),
        );
        let x = b.propose_point(&h).unwrap();
        assert_eq!(a.next(&h, 1).unwrap().config, nearest_open(&h, &x).unwrap());
    }

    #[test]
    fn cma_es_refuses_a_proposal_that_was_not_added() {
        let mut cma = CmaEs::new(CmaEsSettings::default(), 0);
        let h = History::empty(2, 1).unwrap();
        // λ = 6 for d = 2: six proposals, then the update needs their values.
        for _ in 0..6 {
            cma.propose_point(&h).unwrap();
        }
        assert!(cma.propose_point(&h).is_err());
    }
}
