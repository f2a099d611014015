//! Tree-structured Parzen estimator (Bergstra et al. 2011), full fidelity.
//!
//! The full-fidelity evaluations ([`evaluations`]) are split by value: the best
//! ⌈γ·n⌉ (at least 1) form the "good" set, the rest the "bad" set. Each set becomes a
//! Parzen estimator on [0, 1]^d — a truncated Gaussian kernel at each observation plus a
//! prior component of weight `prior_weight` (every kernel has weight 1). Candidates
//! are sampled from l (the good estimator), each is mapped to a configuration of the
//! pool by [`nearest_open`], and the configuration maximising log l − log g is trained
//! to the last epoch. On a continuous space ([`ProposePoint`]) the candidates are scored
//! where they were drawn and the best one is the proposal.
//!
//! Kernels are joint (one mixture of product kernels, each candidate drawn from one
//! component in all dimensions; Falkner et al. 2018, Optuna's `multivariate=True`) or
//! independent per dimension (the classic TPE: a product of per-dimension mixtures,
//! candidates drawn dimension by dimension). Bandwidths, clipped to
//! [1 / min(100, k + 1), 1] with k the number of kernels, the prior included (hyperopt's
//! and Optuna's "magic clip"):
//! - neighbours: per dimension, each kernel's σ is the larger distance to its neighbours
//!   among the sorted observations, with 0 and 1 as outer neighbours (or, without
//!   `endpoints`, the outermost kernels take the gap to their inner neighbour only);
//! - Scott: one σ per dimension, 1.06 · sd · n^(−1/(d+4)).
//!
//! The defaults are Optuna 5's `TPESampler`: joint kernels with neighbour bandwidths,
//! γ = 0.1, a Gaussian prior at the box's centre, no endpoints ([`TpeSettings::default`]);
//! [`TpeSettings::classic`] is hyperopt's. The `Parzen` estimator is shared with BOHB
//! ([`super::bohb`]).

use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use statrs::function::erf::{erfc, erfc_inv};

use super::continuous::{ProposePoint, uniform_point};
use super::pool_rule::{evaluations, nearest_open};
use super::random_fresh;
use crate::error::Result;
use crate::history::History;
use crate::optimizer::{Action, Optimizer};

/// Settings of [`Tpe`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TpeSettings {
    /// Random configurations before the model is used (default 10).
    pub startup: usize,
    /// Fraction of evaluations in the good set: the top ⌈γ·n⌉, at least 1 (default 0.1).
    pub gamma: f64,
    /// Candidates sampled from l per decision (default 24).
    pub candidates: usize,
    /// Joint (multivariate) kernels instead of independent dimensions (default true).
    pub multivariate: bool,
    /// How kernel widths are chosen (default neighbours).
    #[serde(default)]
    pub bandwidth: Bandwidth,
    /// Weight of the prior component in each estimator (default 1).
    pub prior_weight: f64,
    /// Shape of the prior component (default centre).
    #[serde(default)]
    pub prior: TpePrior,
    /// Whether the outermost kernels of a dimension may reach to the box's edge (their
    /// width the larger gap, the edge counting as a neighbour) or take the gap to their
    /// inner neighbour only (default false, Optuna's `consider_endpoints=False`).
    #[serde(default = "yes")]
    pub endpoints: bool,
}

fn yes() -> bool {
    true
}

/// The prior component of TPE's estimators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TpePrior {
    /// Uniform on [0, 1] (hyperopt's flat prior; what a stored setting without a prior
    /// means).
    #[default]
    Flat,
    /// A Gaussian at the box's centre with σ = the box's width, truncated to it
    /// (Optuna's prior kernel).
    Centre,
}

impl Default for TpeSettings {
    /// Optuna 5's `TPESampler` defaults (measured side by side: README "Checked against
    /// Optuna").
    fn default() -> Self {
        Self {
            startup: 10,
            gamma: 0.1,
            candidates: 24,
            multivariate: true,
            bandwidth: Bandwidth::Neighbours,
            prior_weight: 1.0,
            prior: TpePrior::Centre,
            endpoints: false,
        }
    }
}

impl TpeSettings {
    /// hyperopt's TPE: independent dimensions, γ = 0.25, a flat prior, outer kernels
    /// reaching to the edges (thaw's default until the Optuna comparison).
    pub fn classic() -> Self {
        Self {
            gamma: 0.25,
            multivariate: false,
            prior: TpePrior::Flat,
            endpoints: true,
            ..Self::default()
        }
    }
}

/// The clip's lower width for `n` observations: 1 / min(100, kernels + 1), the prior
/// counted as a kernel when it has weight.
fn clip(n: usize, prior_weight: f64) -> f64 {
    let kernels = n + usize::from(prior_weight > 0.0);
    1.0 / (kernels + 1).min(100) as f64
}

/// TPE over a fixed pool: every decision trains one configuration to the last epoch.
pub struct Tpe {
    settings: TpeSettings,
    rng: StdRng,
}

impl Tpe {
    /// TPE with `settings`, seeded with `seed`.
    pub fn new(settings: TpeSettings, seed: u64) -> Self {
        Self {
            settings,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The good and bad estimators l and g of the evaluations `evals` (at least one).
    fn estimators(&self, history: &History, evals: &[(usize, f32)]) -> (Parzen, Parzen) {
        let s = &self.settings;
        let (good, bad) = split(history, evals, s.gamma, 1);
        let fit = |points: &[&[f32]]| {
            let kernels = Kernels {
                joint: s.multivariate,
                bandwidth: s.bandwidth,
                min_sigma: clip(points.len(), s.prior_weight),
                prior_weight: s.prior_weight,
                prior: s.prior,
                endpoints: s.endpoints,
            };
            Parzen::fit(points, history.n_hps(), &kernels)
        };
        (fit(&good), fit(&bad))
    }

    /// The configuration TPE proposes given at least one evaluation: each candidate is
    /// moved to a pool member by the pool rule and scored there.
    fn propose(&mut self, history: &History, evals: &[(usize, f32)]) -> Result<usize> {
        let (l, g) = self.estimators(history, evals);
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..self.settings.candidates.max(1) {
            let x = l.sample(&mut self.rng, 1.0);
            let c = nearest_open(history, &x).ok_or_else(|| history.nothing_open())?;
            let score = log_ratio(&l, &g, history.config(c));
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, c));
            }
        }
        best.map(|(_, c)| c).ok_or_else(|| history.nothing_open())
    }
}

/// On a continuous space the same candidates are scored where they were drawn; the
/// start-up points are uniform in [0, 1]^d.
impl ProposePoint for Tpe {
    fn propose_point(&mut self, history: &History) -> Result<Vec<f32>> {
        let evals = evaluations(history);
        if evals.len() < self.settings.startup.max(1) {
            return Ok(uniform_point(history.n_hps(), &mut self.rng));
        }
        let (l, g) = self.estimators(history, &evals);
        let mut best: Option<(f64, Vec<f32>)> = None;
        for _ in 0..self.settings.candidates.max(1) {
            let x = l.sample(&mut self.rng, 1.0);
            let score = log_ratio(&l, &g, &x);
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, x));
            }
        }
        Ok(best.map(|(_, x)| x).unwrap_or_default())
    }
}

impl Optimizer for Tpe {
    fn name(&self) -> String {
        if self.settings.multivariate {
            "TPE".into()
        } else {
            "TPE (independent)".into()
        }
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        let evals = evaluations(history);
        let config = if evals.len() < self.settings.startup.max(1) {
            random_fresh(history, &mut self.rng).ok_or_else(|| history.nothing_open())?
        } else {
            self.propose(history, &evals)?
        };
        Ok(Action {
            config,
            to_epoch: history.max_epochs(),
        })
    }
}

/// Splits `observations` (config, value) into the encodings of the good set — the best
/// max(⌈γ·n⌉, `min_good`), at most n, ties to the lower index — and of the rest.
pub(crate) fn split<'h>(
    history: &'h History,
    observations: &[(usize, f32)],
    gamma: f64,
    min_good: usize,
) -> (Vec<&'h [f32]>, Vec<&'h [f32]>) {
    let mut ranked = observations.to_vec();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let n = ranked.len();
    let wanted = (gamma.clamp(0.0, 1.0) * n as f64).ceil() as usize;
    let n_good = wanted.max(min_good).max(1).min(n);
    let encode = |r: &[(usize, f32)]| r.iter().map(|&(c, _)| history.config(c)).collect();
    (encode(&ranked[..n_good]), encode(&ranked[n_good..]))
}

/// log l(x) − log g(x); −∞ if it is not a number.
pub(crate) fn log_ratio(l: &Parzen, g: &Parzen, x: &[f32]) -> f64 {
    let r = l.log_pdf(x) - g.log_pdf(x);
    if r.is_nan() { f64::NEG_INFINITY } else { r }
}

/// How kernel bandwidths are chosen (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bandwidth {
    /// Per kernel and dimension: the larger gap to the neighbouring observations.
    #[default]
    Neighbours,
    /// Per dimension: Scott's rule 1.06 · sd · n^(−1/(d+4)).
    Scott,
}

/// How a [`Parzen`] estimator is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Kernels {
    /// Joint kernels (one mixture of products) or independent dimensions.
    pub joint: bool,
    /// How widths are chosen.
    pub bandwidth: Bandwidth,
    /// Smallest width.
    pub min_sigma: f64,
    /// Weight of the prior component relative to one kernel (0: none).
    pub prior_weight: f64,
    /// Its shape.
    pub prior: TpePrior,
    /// Outer kernels may reach to the edge (see [`TpeSettings::endpoints`]).
    pub endpoints: bool,
}

/// A Parzen estimator on [0, 1]^d: equally weighted truncated Gaussian kernels at the
/// observations plus an optional prior component.
#[derive(Debug, Clone)]
pub(crate) struct Parzen {
    /// Joint kernels (one mixture of products) or independent dimensions.
    joint: bool,
    /// Kernel centres, one row per observation.
    mus: Vec<Vec<f64>>,
    /// Kernel widths, same shape as `mus`.
    sigmas: Vec<Vec<f64>>,
    /// Weight of the prior component relative to one kernel (≥ 0).
    prior_weight: f64,
    /// Its shape.
    prior: TpePrior,
    /// Dimensions (kept for an estimator of no points: it samples the prior).
    d: usize,
}

impl Parzen {
    /// Fits kernels at `points` (each of length `d`), widths from `k.bandwidth`
    /// clipped to [min_sigma, 1]. With no points the estimator is the prior alone.
    pub(crate) fn fit(points: &[&[f32]], d: usize, k: &Kernels) -> Self {
        let Kernels {
            joint,
            bandwidth,
            min_sigma,
            prior_weight,
            prior,
            endpoints,
        } = *k;
        let n = points.len();
        let mus: Vec<Vec<f64>> = points
            .iter()
            .map(|p| (0..d).map(|j| f64::from(p[j])).collect())
            .collect();
        let mut sigmas = vec![vec![1.0; d]; n];
        for j in 0..d {
            let column: Vec<f64> = mus.iter().map(|m| m[j]).collect();
            let widths = match bandwidth {
                Bandwidth::Neighbours => neighbour_widths(&column, endpoints),
                Bandwidth::Scott => vec![scott_width(&column, d); n],
            };
            for (row, w) in sigmas.iter_mut().zip(widths) {
                row[j] = if w.is_nan() {
                    1.0
                } else {
                    w.clamp(min_sigma.min(1.0), 1.0)
                };
            }
        }
        let prior_weight = if n == 0 {
            1.0
        } else if prior_weight > 0.0 && prior_weight.is_finite() {
            prior_weight
        } else {
            0.0
        };
        Self {
            joint,
            mus,
            sigmas,
            prior_weight,
            prior,
            d,
        }
    }

    /// Log density of the prior component in dimension `j` at `x` (without its weight).
    fn log_prior(&self, x: f64) -> f64 {
        match self.prior {
            // The flat density is 1 on [0, 1].
            TpePrior::Flat => 0.0,
            TpePrior::Centre => log_truncnorm(x, 0.5, 1.0),
        }
    }

    /// Log density at `x`.
    pub(crate) fn log_pdf(&self, x: &[f32]) -> f64 {
        let total = self.mus.len() as f64 + self.prior_weight;
        let log_kernel = -total.ln();
        let log_weight = (self.prior_weight > 0.0).then(|| (self.prior_weight / total).ln());
        let kernel =
            |k: usize, j: usize| log_truncnorm(f64::from(x[j]), self.mus[k][j], self.sigmas[k][j]);
        let d = x.len().min(self.d);
        if self.joint {
            let prior = log_weight
                .map(|w| w + (0..d).map(|j| self.log_prior(f64::from(x[j]))).sum::<f64>());
            log_sum_exp(
                (0..self.mus.len())
                    .map(|k| log_kernel + (0..d).map(|j| kernel(k, j)).sum::<f64>())
                    .chain(prior),
            )
        } else {
            (0..d)
                .map(|j| {
                    let prior = log_weight.map(|w| w + self.log_prior(f64::from(x[j])));
                    log_sum_exp(
                        (0..self.mus.len())
                            .map(|k| log_kernel + kernel(k, j))
                            .chain(prior),
                    )
                })
                .sum()
        }
    }

    /// A point drawn from the estimator (dimension by dimension, or one component for
    /// all dimensions when joint), kernel widths multiplied by `widen`.
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R, widen: f64) -> Vec<f32> {
        let d = self.d;
        let mut component = if self.joint {
            self.component(rng)
        } else {
            None
        };
        (0..d)
            .map(|j| {
                if !self.joint {
                    component = self.component(rng);
                }
                let x = match (component, self.prior) {
                    (Some(k), _) => {
                        sample_truncnorm(rng, self.mus[k][j], self.sigmas[k][j] * widen)
                    }
                    (None, TpePrior::Flat) => rng.random::<f64>(),
                    (None, TpePrior::Centre) => sample_truncnorm(rng, 0.5, 1.0),
                };
                x as f32
            })
            .collect()
    }

    /// A component drawn by weight: Some(kernel) or None for the flat prior.
    fn component<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        let n = self.mus.len();
        let r = rng.random::<f64>() * (n as f64 + self.prior_weight);
        let k = r.floor() as usize;
        (k < n).then_some(k)
    }
}

/// Per observation: the larger gap to its sorted neighbours, 0 and 1 as outer ones; with
/// `endpoints` false (and at least 2 values) the lowest and highest take the gap to
/// their inner neighbour only.
fn neighbour_widths(values: &[f64], endpoints: bool) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let mut widths = vec![0.0; values.len()];
    for (rank, &i) in order.iter().enumerate() {
        let left = if rank == 0 {
            0.0
        } else {
            values[order[rank - 1]]
        };
        let right = order.get(rank + 1).map_or(1.0, |&k| values[k]);
        widths[i] = (values[i] - left).max(right - values[i]);
    }
    if !endpoints && values.len() >= 2 {
        let (low, high) = (order[0], order[order.len() - 1]);
        widths[low] = values[order[1]] - values[low];
        widths[high] = values[high] - values[order[order.len() - 2]];
    }
    widths
}

/// Scott's rule 1.06 · sd · n^(−1/(d+4)) (sample sd; 0 for a single value).
fn scott_width(values: &[f64], d: usize) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    1.06 * var.sqrt() * (n as f64).powf(-1.0 / (d as f64 + 4.0))
}

/// Standard normal CDF.
fn phi_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Log density at `x` of N(μ, σ²) truncated to [0, 1].
pub(crate) fn log_truncnorm(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / sigma;
    let mass = phi_cdf((1.0 - mu) / sigma) - phi_cdf(-mu / sigma);
    -0.5 * z * z - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() - mass.max(1e-300).ln()
}

/// A draw of N(μ, σ²) truncated to [0, 1] by the inverse CDF (one uniform draw).
fn sample_truncnorm<R: Rng + ?Sized>(rng: &mut R, mu: f64, sigma: f64) -> f64 {
    let (lo, hi) = (phi_cdf(-mu / sigma), phi_cdf((1.0 - mu) / sigma));
    let p = lo + rng.random::<f64>() * (hi - lo);
    // Φ⁻¹(p) = −√2 · erfc⁻¹(2p).
    let x = mu - sigma * std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
    if x.is_nan() {
        mu.clamp(0.0, 1.0)
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// log Σ exp(terms); −∞ for no terms.
fn log_sum_exp(terms: impl Iterator<Item = f64>) -> f64 {
    let terms: Vec<f64> = terms.collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HpoError;
    use crate::history::Hold;
    use crate::optimise::run;
    use crate::optimizers::RandomSearch;
    use crate::optimizers::test_pools::{bump, pool_task, steps};

    fn settings(multivariate: bool) -> TpeSettings {
        TpeSettings {
            multivariate,
            ..TpeSettings::default()
        }
    }

    #[test]
    fn tpe_is_deterministic_given_the_seed() {
        for mv in [false, true] {
            let a = steps(
                &mut Tpe::new(settings(mv), 7),
                &mut pool_task(60, 2, 3, 1, bump),
                90,
            );
            let b = steps(
                &mut Tpe::new(settings(mv), 7),
                &mut pool_task(60, 2, 3, 1, bump),
                90,
            );
            let c = steps(
                &mut Tpe::new(settings(mv), 8),
                &mut pool_task(60, 2, 3, 1, bump),
                90,
            );
            assert_eq!(a, b);
            assert_ne!(a, c, "another seed, another run");
        }
    }

    #[test]
    fn tpe_spends_exactly_the_budget() {
        let mut rng = StdRng::seed_from_u64(3);
        for case in 0..20 {
            let configs = rng.random_range(1..25);
            let epochs = rng.random_range(1..6);
            let budget = rng.random_range(1..configs * epochs + 10);
            let mut s = settings(case % 2 == 0);
            s.startup = case % 4;
            let mut obj = pool_task(configs, 2, epochs, case as u64, bump);
            let t = run(
                &mut Tpe::new(s, case as u64),
                &mut obj,
                budget,
                &mut |_, _| {},
            )
            .unwrap();
            let want = budget.min(configs * epochs);
            assert_eq!(t.steps.len(), want, "{configs}×{epochs}, budget {budget}");
            assert_eq!(t.history.n_observed(), want);
        }
    }

    #[test]
    fn tpe_step_by_hand() {
        // Evaluations: 0.1 → 0.9 (good, γ = 0.5), 0.9 → 0.1 (bad). One kernel each with
        // σ = max(gap to 0, gap to 1) = 0.9 (≥ the clip 1/2); prior weight 1.
        let configs = vec![vec![0.1], vec![0.9], vec![0.2], vec![0.5], vec![0.8]];
        let mut h = History::new(configs, 2).unwrap();
        h.observe_prefix(0, &[0.5, 0.9]).unwrap();
        h.observe_prefix(1, &[0.1, 0.1]).unwrap();
        let s = TpeSettings {
            startup: 2,
            gamma: 0.5,
            ..TpeSettings::classic()
        };
        let (good, bad) = split(&h, &evaluations(&h), s.gamma, 1);
        let kernels = Kernels {
            joint: false,
            bandwidth: Bandwidth::Neighbours,
            min_sigma: 0.5,
            prior_weight: 1.0,
            prior: TpePrior::Flat,
            endpoints: true,
        };
        let fit = |p: &[&[f32]]| Parzen::fit(p, 1, &kernels);
        let (l, g) = (fit(&good), fit(&bad));
        // The truncation masses are equal by symmetry (μ = 0.1 and 0.9, σ = 0.9):
        // l(x) = ½ φ((x − 0.1)/0.9)/(0.9 Z) + ½, g(x) = ½ φ((x − 0.9)/0.9)/(0.9 Z) + ½.
        let z = phi_cdf(0.9 / 0.9) - phi_cdf(-0.1 / 0.9);
        let phi = |t: f64| (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let hand = |x: f64, mu: f64| (0.5 * phi((x - mu) / 0.9) / (0.9 * z) + 0.5).ln();
        for x in [0.2f64, 0.5, 0.8] {
            assert!((l.log_pdf(&[x as f32]) - hand(x, 0.1)).abs() < 1e-5);
            assert!((g.log_pdf(&[x as f32]) - hand(x, 0.9)).abs() < 1e-5);
        }
        // Scores: 0.2 > 0 = 0.5 > 0.8, so config 2 (at 0.2) wins, then 3 when 2 is held.
        let score = |c: usize| log_ratio(&l, &g, h.config(c));
        assert!(score(2) > 0.1 && score(3).abs() < 1e-6 && score(4) < -0.1);
        let act = Tpe::new(s, 1).next(&h, 10).unwrap();
        assert_eq!(
            act,
            Action {
                config: 2,
                to_epoch: 2
            }
        );
        h.hold(2, Hold::Running).unwrap();
        assert_eq!(Tpe::new(s, 1).next(&h, 10).unwrap().config, 3);
    }

    #[test]
    fn optunas_kernels_by_hand() {
        // Widths among 0.2, 0.3, 0.7: with the edges as neighbours 0.2, 0.4, 0.4;
        // without, the outer ones take their inner gap: 0.1 and 0.4.
        let v = [0.3, 0.7, 0.2];
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(&neighbour_widths(&v, true), &[0.4, 0.4, 0.2]));
        let w = neighbour_widths(&v, false);
        assert!((w[0] - 0.4).abs() < 1e-12 && (w[1] - 0.4).abs() < 1e-12);
        assert!((w[2] - 0.1).abs() < 1e-12, "{w:?}");
        // The clip counts the prior: 3 points + prior → 1/5; without a prior 1/4.
        assert_eq!(clip(3, 1.0), 0.2);
        assert_eq!(clip(3, 0.0), 0.25);
        assert_eq!(clip(500, 1.0), 0.01);
        // One joint kernel at (0.2, 0.9) with σ = (0.3, 0.3) and the centre prior of
        // weight 1: density ½ Π N_T(x_j; μ_j, 0.3) + ½ Π N_T(x_j; 0.5, 1).
        let kernels = Kernels {
            joint: true,
            bandwidth: Bandwidth::Neighbours,
            min_sigma: 0.3,
            prior_weight: 1.0,
            prior: TpePrior::Centre,
            endpoints: false,
        };
        let p = Parzen::fit(&[&[0.2f32, 0.9]], 2, &kernels);
        let x = [0.4f32, 0.5];
        let dens = |x: f64, mu: f64, sd: f64| log_truncnorm(x, mu, sd).exp();
        let hand = 0.5 * dens(0.4, 0.2, 0.8) * dens(0.5, 0.9, 0.9)
            + 0.5 * dens(0.4, 0.5, 1.0) * dens(0.5, 0.5, 1.0);
        // (Widths: one point, the larger gap to the edges: 0.8 and 0.9.)
        assert!(
            (p.log_pdf(&x) - hand.ln()).abs() < 1e-9,
            "{} vs {}",
            p.log_pdf(&x),
            hand.ln()
        );
        // Draws from the centre prior stay in the box and centre on 0.5.
        let prior_only = Parzen::fit(&[], 2, &kernels);
        let mut rng = StdRng::seed_from_u64(1);
        let draws: Vec<Vec<f32>> = (0..4000)
            .map(|_| prior_only.sample(&mut rng, 1.0))
            .collect();
        assert!(draws.iter().flatten().all(|&x| (0.0..=1.0).contains(&x)));
        let mean = draws.iter().map(|d| f64::from(d[0])).sum::<f64>() / 4000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }

    #[test]
    fn tpe_never_panics_and_reports_nothing_open() {
        let s = TpeSettings {
            startup: 1,
            ..TpeSettings::default()
        };
        let empty = History::new(Vec::new(), 3).unwrap();
        assert!(matches!(
            Tpe::new(s, 0).next(&empty, 5),
            Err(HpoError::Exhausted)
        ));
        // One configuration, no hyperparameters, fully trained: exhausted.
        let mut one = History::new(vec![vec![]], 1).unwrap();
        assert_eq!(Tpe::new(s, 0).next(&one, 5).unwrap().config, 0);
        one.observe(0, 0.3).unwrap();
        assert!(matches!(
            Tpe::new(s, 0).next(&one, 5),
            Err(HpoError::Exhausted)
        ));
        // Evaluations exist but every other configuration is running: busy.
        let mut h = History::new(vec![vec![0.1, 0.2], vec![0.3, 0.4], vec![0.5, 0.6]], 1).unwrap();
        h.observe(0, 0.5).unwrap();
        h.hold(1, Hold::Running).unwrap();
        h.hold(2, Hold::Running).unwrap();
        for mv in [false, true] {
            let s = TpeSettings {
                multivariate: mv,
                ..s
            };
            assert!(matches!(Tpe::new(s, 0).next(&h, 5), Err(HpoError::Busy)));
        }
        // Partially trained configurations are resumed when nothing fresh is left.
        let mut p = History::new(vec![vec![0.1], vec![0.9]], 3).unwrap();
        p.observe_prefix(0, &[0.1, 0.2, 0.3]).unwrap();
        p.observe(1, 0.5).unwrap();
        assert_eq!(
            Tpe::new(s, 0).next(&p, 5).unwrap(),
            Action {
                config: 1,
                to_epoch: 3
            }
        );
    }

    #[test]
    fn tpe_beats_random_search_on_a_smooth_bump() {
        // 400 configurations in [0, 1]², 40 full evaluations; regret averaged over 5 seeds.
        let (epochs, budget) = (2, 80);
        let regret = |opt: &mut dyn Optimizer, seed: u64| {
            let mut obj = pool_task(400, 2, epochs, 100 + seed, bump);
            let best = obj.best_value();
            best - steps(opt, &mut obj, budget).last().unwrap().incumbent
        };
        let mean = |f: &dyn Fn(u64) -> f32| (0..5).map(f).sum::<f32>() / 5.0;
        let random = mean(&|s| regret(&mut RandomSearch::new(s), s));
        for mv in [false, true] {
            let tpe = mean(&|s| regret(&mut Tpe::new(settings(mv), s), s));
            eprintln!("multivariate {mv}: TPE regret {tpe:.4}, random {random:.4}");
            assert!(tpe < random * 0.7, "TPE {tpe} vs random {random}");
        }
    }
}
