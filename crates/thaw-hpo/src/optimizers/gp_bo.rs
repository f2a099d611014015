//! GP-BO: Bayesian optimisation at full fidelity with a Gaussian process and expected
//! improvement (Snoek, Larochelle & Adams 2012, without the slice sampling).
//!
//! The GP models the final value of the full-fidelity evaluations (standardised) as a
//! function of the encoded configuration: zero mean, σ² · Matérn-5/2 with one length
//! scale per hyperparameter, noise variance σₙ² ≥ 1e-6. Its hyperparameters are
//! fitted by type-II maximum likelihood: Adam on their logarithms from a few starting
//! points, with the exact gradient ∂L/∂θ = Σ (∂L/∂K) ⊙ ∂K/∂θ ([`GpSolve::grad_k`]), in
//! f64 with faer (no burn tensors). The first `startup` configurations are random.
//! On a pool EI scores the pool's members; on a continuous space ([`ProposePoint`]) it
//! is maximised over random and local candidates (see the `impl`).

use std::f64::consts::LN_10;

use faer::Mat;
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::StandardNormal;

use super::continuous::{ProposePoint, uniform_point};
use super::mfpi::argmax;
use super::pool_rule::evaluations;
use super::random_fresh;
use crate::error::Result;
use crate::history::{History, Hold};
use crate::models::gp::GpSolve;
use crate::optimizer::{Action, Optimizer};
use crate::predictive::Predictive;

const NAME: &str = "GP-BO";

/// Adam steps per starting point of the hyperparameter fit.
const FIT_STEPS: usize = 80;
/// Adam learning rate on the log-hyperparameters.
const FIT_LR: f64 = 0.1;
/// Bounds of log length scale, log signal variance, log noise variance; the inputs are
/// in [0, 1] and the outputs standardised. The noise floor 1e-6 is Optuna's GPSampler's,
/// below the freeze-thaw GPs' [`crate::models::gp::MIN_NOISE`] (1e-4): at 1e-4 GP-BO could not
/// resolve Branin's optimum (README, "Checked against Optuna").
const LOG_LS: (f64, f64) = (-2.0 * LN_10, LN_10); // ℓ ∈ [0.01, 10]
const LOG_SIGNAL: (f64, f64) = (-2.0 * LN_10, 2.0 * LN_10); // σ² ∈ [0.01, 100]
const LOG_NOISE: (f64, f64) = (-6.0 * LN_10, 0.0); // σₙ² ∈ [1e-6, 1]

/// Continuous space ([`ProposePoint`]): uniform EI candidates per decision.
pub const RANDOM_CANDIDATES: usize = 1024;
/// Continuous space: perturbations of the best evaluation per decision.
pub const LOCAL_CANDIDATES: usize = 256;
/// Continuous space: range of the perturbations' σ (log-uniform), in the encoding.
pub const LOCAL_SIGMA: (f64, f64) = (1e-3, 0.2);
/// Continuous space: σ of each refinement round.
pub const REFINE_SIGMAS: &[f64] = &[0.05, 0.01, 0.002];
/// Continuous space: points refined per round (the best EI so far).
pub const REFINE_KEEP: usize = 8;
/// Continuous space: perturbations per refined point and round.
pub const REFINE_PER_POINT: usize = 32;

/// Settings of [`GpBo`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GpBoSettings {
    /// Random configurations before the GP is used; 0 (the default) = automatic:
    /// d + 1, at least 3.
    pub startup: usize,
    /// Starting points of each hyperparameter fit (default 3, at least 1): a fixed
    /// default and seeded random ones; the previous fit's optimum is tried as well.
    pub restarts: usize,
    /// Exploration margin of EI in standardised output units: improvement is counted
    /// over best + xi (default 0).
    pub xi: f64,
}

impl Default for GpBoSettings {
    fn default() -> Self {
        Self {
            startup: 0,
            restarts: 3,
            xi: 0.0,
        }
    }
}

impl GpBoSettings {
    /// Random configurations before the GP for `d` hyperparameters.
    pub fn startup_for(&self, d: usize) -> usize {
        if self.startup > 0 {
            self.startup
        } else {
            (d + 1).max(3)
        }
    }
}

/// Matérn-5/2 correlation of a squared scaled distance s: (1 + √(5s) + 5s/3) e^(−√(5s)).
fn matern52(s: f64) -> f64 {
    let r = (5.0 * s).sqrt();
    (1.0 + r + 5.0 / 3.0 * s) * (-r).exp()
}

/// dk/ds of [`matern52`]: −(5/6)(1 + √(5s)) e^(−√(5s)).
fn matern52_ds(s: f64) -> f64 {
    let r = (5.0 * s).sqrt();
    -5.0 / 6.0 * (1.0 + r) * (-r).exp()
}

/// Kernel hyperparameters as logarithms: `d` length scales, then the signal variance,
/// then the noise variance.
#[derive(Debug, Clone, PartialEq)]
struct Theta(Vec<f64>);

impl Theta {
    fn d(&self) -> usize {
        self.0.len() - 2
    }
    fn signal(&self) -> f64 {
        self.0[self.d()].exp()
    }
    fn noise(&self) -> f64 {
        self.0[self.d() + 1].exp()
    }
    /// 1 / ℓ_k² for every dimension.
    fn inv_sq_ls(&self) -> Vec<f64> {
        self.0[..self.d()]
            .iter()
            .map(|l| (-2.0 * l).exp())
            .collect()
    }
    fn clamp(&mut self) {
        let d = self.d();
        for (i, v) in self.0.iter_mut().enumerate() {
            let (lo, hi) = match i {
                i if i < d => LOG_LS,
                i if i == d => LOG_SIGNAL,
                _ => LOG_NOISE,
            };
            *v = if v.is_nan() { lo } else { v.clamp(lo, hi) };
        }
    }
    fn default_for(d: usize) -> Self {
        let mut t = vec![0.3f64.ln(); d];
        t.extend([0.0, 0.01f64.ln()]);
        Self(t)
    }
    fn random<R: Rng + ?Sized>(d: usize, rng: &mut R) -> Self {
        let mut u = |lo: f64, hi: f64| {
            let (lo, hi) = (lo.ln(), hi.ln());
            lo + (hi - lo) * rng.random::<f64>()
        };
        let mut t: Vec<f64> = (0..d).map(|_| u(0.05, 2.0)).collect();
        t.push(u(0.3, 3.0));
        t.push(u(1e-5, 0.1));
        Self(t)
    }
}

/// A GP on standardised outputs with fixed hyperparameters, factorised.
struct Gp {
    x: Vec<Vec<f64>>,
    theta: Theta,
    solve: GpSolve,
    /// Standardised training outputs.
    ys: Vec<f64>,
}

/// Squared scaled distance between two points.
fn scaled_sq(a: &[f64], b: &[f64], inv_sq_ls: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .zip(inv_sq_ls)
        .map(|((p, q), w)| (p - q) * (p - q) * w)
        .sum()
}

/// Training covariance σ² k(X, X) + σₙ² I.
fn train_cov(x: &[Vec<f64>], theta: &Theta) -> Mat<f64> {
    let (inv, signal, noise) = (theta.inv_sq_ls(), theta.signal(), theta.noise());
    Mat::from_fn(x.len(), x.len(), |i, j| {
        let k = signal * matern52(scaled_sq(&x[i], &x[j], &inv));
        if i == j { k + noise } else { k }
    })
}

/// Log marginal likelihood of standardised `y` and its gradient in θ.
fn lml_and_grad(x: &[Vec<f64>], y: &[f64], theta: &Theta) -> Result<(f64, Vec<f64>)> {
    let n = x.len();
    let d = theta.d();
    let (inv, signal) = (theta.inv_sq_ls(), theta.signal());
    let solve = GpSolve::new(&train_cov(x, theta), y, NAME)?;
    let g = solve.grad_k();
    let mut grad = vec![0.0; d + 2];
    for i in 0..n {
        for j in 0..n {
            let gij = g[i * n + j];
            let s = scaled_sq(&x[i], &x[j], &inv);
            grad[d] += gij * signal * matern52(s);
            // ∂s/∂log ℓ_k = −2 (x_ik − x_jk)² / ℓ_k².
            let dk_ds = gij * signal * matern52_ds(s);
            for k in 0..d {
                let diff = x[i][k] - x[j][k];
                grad[k] += dk_ds * -2.0 * diff * diff * inv[k];
            }
        }
        grad[d + 1] += g[i * n + i] * theta.noise();
    }
    Ok((solve.log_marginal(), grad))
}

/// Adam ascent of the log marginal likelihood from `start`: the best iterate seen.
fn ascend(x: &[Vec<f64>], y: &[f64], start: Theta) -> Option<(f64, Theta)> {
    let (b1, b2, eps) = (0.9, 0.999, 1e-8);
    let mut theta = start;
    theta.clamp();
    let p = theta.0.len();
    let (mut m, mut v) = (vec![0.0; p], vec![0.0; p]);
    let mut best: Option<(f64, Theta)> = None;
    for step in 1..=FIT_STEPS {
        let Ok((lml, grad)) = lml_and_grad(x, y, &theta) else {
            break;
        };
        if !lml.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            break;
        }
        if best.as_ref().is_none_or(|b| lml > b.0) {
            best = Some((lml, theta.clone()));
        }
        for i in 0..p {
            m[i] = b1 * m[i] + (1.0 - b1) * grad[i];
            v[i] = b2 * v[i] + (1.0 - b2) * grad[i] * grad[i];
            let m_hat = m[i] / (1.0 - b1.powi(step as i32));
            let v_hat = v[i] / (1.0 - b2.powi(step as i32));
            theta.0[i] += FIT_LR * m_hat / (v_hat.sqrt() + eps);
        }
        theta.clamp();
    }
    best
}

impl Gp {
    /// Standardises `y` (a constant output gets scale 1) and factorises the covariance
    /// under `theta`.
    fn new(x: Vec<Vec<f64>>, y: &[f64], theta: Theta) -> Result<Self> {
        let (_, _, ys) = standardise(y);
        let solve = GpSolve::new(&train_cov(&x, &theta), &ys, NAME)?;
        Ok(Self {
            x,
            theta,
            solve,
            ys,
        })
    }

    /// Fits θ by maximum likelihood from `starts` (the best optimum wins; ties: the
    /// first start) and factorises. None if no start gives a finite likelihood.
    fn fit(x: Vec<Vec<f64>>, y: &[f64], starts: Vec<Theta>) -> Option<Self> {
        let (_, _, ys) = standardise(y);
        let mut best: Option<(f64, Theta)> = None;
        for start in starts {
            if let Some((lml, theta)) = ascend(&x, &ys, start)
                && best.as_ref().is_none_or(|b| lml > b.0)
            {
                best = Some((lml, theta));
            }
        }
        Self::new(x, y, best?.1).ok()
    }

    /// Standardised best training output.
    fn best(&self) -> f64 {
        self.ys.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// Latent posterior (mean, variance) at `points`, standardised units.
    fn predict_std(&self, points: &[Vec<f64>]) -> Vec<(f64, f64)> {
        let (inv, signal) = (self.theta.inv_sq_ls(), self.theta.signal());
        let k_star = Mat::from_fn(self.x.len(), points.len(), |i, j| {
            signal * matern52(scaled_sq(&self.x[i], &points[j], &inv))
        });
        self.solve.predict(&k_star, &vec![signal; points.len()])
    }
}

/// (mean, scale, standardised values); the scale is 1 when the values are constant.
fn standardise(y: &[f64]) -> (f64, f64, Vec<f64>) {
    let n = y.len().max(1) as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let sd = if sd > 1e-9 { sd } else { 1.0 };
    (mean, sd, y.iter().map(|v| (v - mean) / sd).collect())
}

/// GP-BO: trains to the last epoch the pool configuration with the largest expected
/// improvement under a GP on the full-fidelity evaluations.
///
/// EI scores every never-trained open configuration of the pool directly (if none is
/// left, every open one), so no pool rule is needed: the maximum wins, ties going to the
/// lowest index. Pending (running) configurations are not fantasised: they are simply
/// not open. Deterministic given the seed.
pub struct GpBo {
    settings: GpBoSettings,
    rng: StdRng,
    /// The last fit's hyperparameters: one more starting point for the next fit.
    last: Option<Theta>,
}

impl GpBo {
    /// GP-BO with `settings`; `seed` seeds the start-up draws and the random starting
    /// points of the hyperparameter fits.
    pub fn new(settings: GpBoSettings, seed: u64) -> Self {
        Self {
            settings,
            rng: StdRng::seed_from_u64(seed),
            last: None,
        }
    }

    /// The GP of `history`'s full-fidelity evaluations, hyperparameters fitted.
    fn fit(&mut self, history: &History) -> Option<Gp> {
        let evals = evaluations(history);
        if evals.is_empty() {
            return None;
        }
        let d = history.n_hps();
        let x: Vec<Vec<f64>> = evals.iter().map(|&(c, _)| encode(history, c)).collect();
        let y: Vec<f64> = evals.iter().map(|&(_, v)| f64::from(v)).collect();
        let mut starts = vec![Theta::default_for(d)];
        starts.extend(self.last.clone().filter(|t| t.d() == d));
        for _ in 1..self.settings.restarts.max(1) {
            starts.push(Theta::random(d, &mut self.rng));
        }
        let gp = Gp::fit(x, &y, starts)?;
        self.last = Some(gp.theta.clone());
        Some(gp)
    }

    /// Expected improvement over the best evaluation (+ xi) at `points`.
    fn ei(&self, gp: &Gp, points: &[Vec<f64>]) -> Vec<f64> {
        let target = gp.best() + self.settings.xi;
        gp.predict_std(points)
            .into_iter()
            .map(|(m, v)| Predictive::gaussian(m, v.sqrt()).ei(target))
            .collect()
    }
}

fn encode(history: &History, c: usize) -> Vec<f64> {
    history.config(c).iter().map(|&v| f64::from(v)).collect()
}

impl Optimizer for GpBo {
    fn name(&self) -> String {
        NAME.into()
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        let full = |config| Action {
            config,
            to_epoch: history.max_epochs(),
        };
        let open: Vec<usize> = (0..history.n_configs())
            .filter(|&c| history.is_open(c))
            .collect();
        if open.is_empty() {
            return Err(history.nothing_open());
        }
        // Start-up: evaluations so far and those under way.
        let running = (0..history.n_configs())
            .filter(|&c| history.held(c) == Some(Hold::Running))
            .count();
        let started = evaluations(history).len() + running;
        let gp = if started < self.settings.startup_for(history.n_hps()) {
            None
        } else {
            self.fit(history)
        };
        let Some(gp) = gp else {
            let c = random_fresh(history, &mut self.rng).ok_or_else(|| history.nothing_open())?;
            return Ok(full(c));
        };
        let fresh: Vec<usize> = open
            .iter()
            .copied()
            .filter(|&c| history.curve(c).is_empty())
            .collect();
        let candidates = if fresh.is_empty() { open } else { fresh };
        let points: Vec<Vec<f64>> = candidates.iter().map(|&c| encode(history, c)).collect();
        let scores = self.ei(&gp, &points);
        Ok(full(candidates[argmax(&scores).unwrap_or(0)]))
    }
}

/// On a continuous space EI is maximised over [`RANDOM_CANDIDATES`] uniform points and
/// [`LOCAL_CANDIDATES`] perturbations of the best evaluation (Gaussian, σ log-uniform in
/// [`LOCAL_SIGMA`] per point), then refined in [`REFINE_SIGMAS`].len() rounds: the
/// [`REFINE_KEEP`] best points so far each get [`REFINE_PER_POINT`] perturbations of
/// the round's σ. Every perturbation is clamped into [0, 1]^d. 2048 EI evaluations per
/// decision; the start-up points are uniform.
impl ProposePoint for GpBo {
    fn propose_point(&mut self, history: &History) -> Result<Vec<f32>> {
        let d = history.n_hps();
        let evals = evaluations(history);
        let gp = if evals.len() < self.settings.startup_for(d) {
            None
        } else {
            self.fit(history)
        };
        let Some(gp) = gp else {
            return Ok(uniform_point(d, &mut self.rng));
        };
        let best = evals
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|&(c, _)| encode(history, c))
            .unwrap_or_default();
        let rng = &mut self.rng;
        let mut points: Vec<Vec<f64>> = (0..RANDOM_CANDIDATES)
            .map(|_| (0..d).map(|_| rng.random::<f64>()).collect())
            .collect();
        for _ in 0..LOCAL_CANDIDATES {
            let (lo, hi) = (LOCAL_SIGMA.0.ln(), LOCAL_SIGMA.1.ln());
            let sigma = (lo + (hi - lo) * rng.random::<f64>()).exp();
            points.push(perturb(&best, sigma, rng));
        }
        let mut scores = self.ei(&gp, &points);
        for &sigma in REFINE_SIGMAS {
            let mut order: Vec<usize> = (0..points.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            let round: Vec<Vec<f64>> = order[..REFINE_KEEP.min(order.len())]
                .iter()
                .flat_map(|&i| {
                    let centre = points[i].clone();
                    (0..REFINE_PER_POINT)
                        .map(|_| perturb(&centre, sigma, &mut self.rng))
                        .collect::<Vec<_>>()
                })
                .collect();
            scores.extend(self.ei(&gp, &round));
            points.extend(round);
        }
        let winner = argmax(&scores).unwrap_or(0);
        Ok(points[winner].iter().map(|&v| v as f32).collect())
    }
}

/// `x` plus N(0, σ²) in every coordinate, clamped into [0, 1].
fn perturb(x: &[f64], sigma: f64, rng: &mut StdRng) -> Vec<f64> {
    x.iter()
        .map(|&v| (v + sigma * rng.sample::<f64, _>(StandardNormal)).clamp(0.0, 1.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HpoError;
    use crate::objective::TabularObjective;
    use crate::optimise::Step;
    use crate::optimizers::RandomSearch;
    use crate::optimizers::test_pools::{random_task, steps, task};

    /// Latent posterior (mean, variance) at `points` in the units of `y`, the training
    /// outputs of `gp`.
    fn predict(gp: &Gp, y: &[f64], points: &[Vec<f64>]) -> Vec<(f64, f64)> {
        let (mean, sd, _) = standardise(y);
        gp.predict_std(points)
            .into_iter()
            .map(|(m, v)| (mean + sd * m, v * sd * sd))
            .collect()
    }

    #[test]
    fn log_marginal_gradient_matches_finite_differences() {
        let x: Vec<Vec<f64>> = (0..6)
            .map(|i| vec![i as f64 / 5.0, ((i * 7) % 6) as f64 / 5.0])
            .collect();
        let y: Vec<f64> = x.iter().map(|p| (3.0 * p[0]).sin() + p[1] * p[1]).collect();
        let (_, _, y) = standardise(&y);
        let theta = Theta(vec![0.4f64.ln(), 0.8f64.ln(), 0.3, 0.05f64.ln()]);
        let (_, grad) = lml_and_grad(&x, &y, &theta).unwrap();
        let h = 1e-6;
        for (i, &an) in grad.iter().enumerate() {
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up.0[i] += h;
            down.0[i] -= h;
            let fd = (lml_and_grad(&x, &y, &up).unwrap().0
                - lml_and_grad(&x, &y, &down).unwrap().0)
                / (2.0 * h);
            assert!(
                (fd - an).abs() < 1e-5 * (1.0 + fd.abs()),
                "θ{i}: fd {fd} vs {an}"
            );
        }
    }

    #[test]
    fn posterior_mean_at_training_points_is_their_value() {
        let x: Vec<Vec<f64>> = (0..8).map(|i| vec![i as f64 / 7.0]).collect();
        let y: Vec<f64> = x.iter().map(|p| 0.5 + 0.3 * (4.0 * p[0]).sin()).collect();
        // Fixed hyperparameters, noise at its floor: the mean interpolates.
        let theta = Theta(vec![0.3f64.ln(), 0.0, LOG_NOISE.0]);
        let gp = Gp::new(x.clone(), &y, theta).unwrap();
        for (p, (m, v)) in y.iter().zip(predict(&gp, &y, &x)) {
            assert!((p - m).abs() < 1e-3 && v < 1e-3, "{p} vs {m} (var {v})");
        }
        assert!(
            (gp.best() - standardise(&y).2.iter().fold(f64::MIN, |a, &b| a.max(b))).abs() < 1e-9
        );
        // Fitted hyperparameters on a smooth noiseless function: the noise stays small.
        let starts = vec![
            Theta::default_for(1),
            Theta::random(1, &mut StdRng::seed_from_u64(1)),
        ];
        let gp = Gp::fit(x.clone(), &y, starts).unwrap();
        assert!(gp.theta.noise() < 0.05, "noise {}", gp.theta.noise());
        for (p, (m, _)) in y.iter().zip(predict(&gp, &y, &x)) {
            assert!((p - m).abs() < 0.02, "{p} vs {m}");
        }
        // Between training points the mean is close to the function too.
        let (m, _) = predict(&gp, &y, &[vec![0.5]])[0];
        assert!((m - (0.5 + 0.3 * 2f64.sin())).abs() < 0.05, "{m}");
    }

    #[test]
    fn ei_picks_the_fresh_configuration_next_to_the_best() {
        // Evaluated: x = 0 (0.2), 0.5 (0.9), 1 (0.1) — a peak in the middle. Fresh:
        // 0.05 and 0.95 (next to poor values), 0.25 and 0.75 (between), 0.47 (next to
        // the best): EI must choose 0.47, config 4.
        let xs = [0.0, 0.5, 1.0, 0.05, 0.47, 0.25, 0.75, 0.95];
        let mut h = History::new(xs.iter().map(|&x| vec![x]).collect(), 2).unwrap();
        h.observe_prefix(0, &[0.1, 0.2]).unwrap();
        h.observe_prefix(1, &[0.5, 0.9]).unwrap();
        h.observe_prefix(2, &[0.05, 0.1]).unwrap();
        let mut bo = GpBo::new(GpBoSettings::default(), 0);
        assert_eq!(
            bo.next(&h, 10).unwrap(),
            Action {
                config: 4,
                to_epoch: 2
            }
        );
    }

    #[test]
    fn same_seed_same_trajectory() {
        let run_once = |seed| {
            let mut obj = random_task(40, 2, 3, 7);
            steps(&mut GpBo::new(GpBoSettings::default(), seed), &mut obj, 60)
        };
        assert_eq!(run_once(3), run_once(3));
        assert_ne!(
            run_once(3),
            run_once(4),
            "the seed matters (start-up draws)"
        );
    }

    #[test]
    fn spends_exactly_the_budget() {
        let mut rng = StdRng::seed_from_u64(11);
        for case in 0..20u64 {
            let configs = rng.random_range(1..25);
            let epochs = rng.random_range(1..5);
            let d = rng.random_range(1..4);
            let budget = rng.random_range(1..configs * epochs + 10);
            let settings = GpBoSettings {
                startup: rng.random_range(0..4),
                restarts: rng.random_range(0..3),
                xi: 0.0,
            };
            let mut obj = random_task(configs, d, epochs, case);
            let s = steps(&mut GpBo::new(settings, case), &mut obj, budget);
            assert_eq!(s.len(), budget.min(configs * epochs), "case {case}");
            for (i, st) in s.iter().enumerate() {
                assert_eq!(st.spent, i + 1);
            }
        }
    }

    #[test]
    fn odd_histories_do_not_panic() {
        // One configuration, d = 1.
        let mut h = History::new(vec![vec![0.3]], 2).unwrap();
        let mut bo = GpBo::new(GpBoSettings::default(), 0);
        assert_eq!(
            bo.next(&h, 5).unwrap(),
            Action {
                config: 0,
                to_epoch: 2
            }
        );
        h.hold(0, Hold::Running).unwrap();
        assert!(matches!(bo.next(&h, 5), Err(HpoError::Busy)));
        h.hold(0, Hold::Failed).unwrap();
        assert!(matches!(bo.next(&h, 5), Err(HpoError::Exhausted)));
        // Identical outputs and identical configurations, d = 0, and a partial curve
        // as the only open configuration.
        let mut h = History::new(vec![vec![0.5, 0.5]; 6], 1).unwrap();
        for c in 0..4 {
            h.observe(c, 0.4).unwrap();
        }
        let c = GpBo::new(GpBoSettings::default(), 0)
            .next(&h, 5)
            .unwrap()
            .config;
        assert_eq!(c, 4, "equal scores: the lowest index");
        let mut h = History::new(vec![vec![]; 5], 1).unwrap();
        for c in 0..4 {
            h.observe(c, 0.1 * c as f32).unwrap();
        }
        assert_eq!(
            GpBo::new(GpBoSettings::default(), 0)
                .next(&h, 5)
                .unwrap()
                .config,
            4
        );
        let mut h = History::new((0..5).map(|i| vec![i as f32 / 4.0]).collect(), 3).unwrap();
        for c in 0..4 {
            h.observe_prefix(c, &[0.1, 0.2, 0.3 + 0.1 * c as f32])
                .unwrap();
        }
        h.observe(4, 0.2).unwrap();
        let a = GpBo::new(GpBoSettings::default(), 0).next(&h, 5).unwrap();
        assert_eq!(
            a,
            Action {
                config: 4,
                to_epoch: 3
            }
        );
    }

    /// Pool of 400 configurations (a jittered 20 × 20 grid) whose final value is a
    /// smooth bump around a seeded optimum.
    fn bump_task(seed: u64) -> TabularObjective {
        let mut rng = StdRng::seed_from_u64(seed);
        let centre = [
            rng.random_range(0.15..0.85f32),
            rng.random_range(0.15..0.85f32),
        ];
        let mut hps = Vec::new();
        let mut fin = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let x = ((i as f32 + rng.random::<f32>()) / 20.0).min(1.0);
                let y = ((j as f32 + rng.random::<f32>()) / 20.0).min(1.0);
                let r2 = (x - centre[0]).powi(2) + (y - centre[1]).powi(2);
                hps.extend([x, y]);
                fin.push((-r2 / (2.0 * 0.2 * 0.2)).exp());
            }
        }
        task(hps, 2, &fin, 2)
    }

    #[test]
    fn gp_bo_beats_random_search() {
        let budget = 2 * 20; // 20 full evaluations of 2 epochs
        let (mut bo, mut random) = (0.0, 0.0);
        let seeds = 0..5u64;
        let n = seeds.clone().count() as f32;
        for seed in seeds {
            let mut obj = bump_task(seed);
            let best = obj.best_value();
            let regret = |s: &[Step]| best - s.last().unwrap().incumbent;
            let settings = GpBoSettings::default();
            bo += regret(&steps(&mut GpBo::new(settings, seed), &mut obj, budget));
            random += regret(&steps(&mut RandomSearch::new(seed), &mut obj, budget));
        }
        let (bo, random) = (bo / n, random / n);
        assert!(bo < 0.5 * random, "GP-BO regret {bo} vs random {random}");
    }
}
