//! CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016) with IPOP restarts
//! (Auger & Hansen, 2005), on a pool of configurations by the [pool rule](super::pool_rule).
//!
//! The search distribution N(m, σ²C) lives in the encoded box [0, 1]^d. A sample
//! outside the box is repaired by **reflection** at the faces (x ↦ −x below 0,
//! x ↦ 2 − x above 1, repeated), then mapped to the nearest never-trained open
//! configuration, which is trained to the last epoch. Ask/tell: a generation has
//! exactly λ members, handed out one per [`Optimizer::next`]; once all of them have
//! final values the distribution is updated (weighted recombination, cumulative
//! step-size adaptation, rank-one and rank-μ covariance updates with the tutorial's
//! default — active, negative — weights and learning rates) and the next generation
//! starts. While members still run, `next` answers [`HpoError::Busy`].
//!
//! The update uses the encodings of the configurations actually evaluated, not the raw
//! samples (the pool rule moves points). Such moved points are "injected solutions" in
//! the sense of Hansen (2011, "Injecting external solutions into CMA-ES"): each step
//! y = (x − m)/σ is shortened to Mahalanobis length at most √d + 2d/(d + 2), so a far
//! pool neighbour cannot blow up the mean, the paths or C.
//!
//! On a continuous space ([`ProposePoint`]) each sample is proposed as it is and
//! evaluated there: the same algorithm without the pool rule.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::continuous::ProposePoint;
use super::pool_rule::{evaluations, nearest_open};
use crate::error::{HpoError, Result};
use crate::history::{History, Hold};
use crate::optimizer::{Action, Optimizer};

/// Samples drawn for one member before falling back to a random open configuration
/// (when every sample maps onto a configuration that already is a member).
const MAX_DRAWS: usize = 32;

/// Settings of [`CmaEs`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CmaEsSettings {
    /// Initial step size in the encoded box [0, 1]^d (default 1/6, the width over 6 as
    /// in Optuna's `CmaEsSampler`).
    pub sigma0: f64,
    /// Population size λ of the first run; `None`: 4 + ⌊3 ln d⌋.
    pub popsize: Option<usize>,
    /// IPOP: on a stopping condition restart with λ doubled (otherwise restart with the
    /// same λ). Default true.
    pub ipop: bool,
    /// Start the first run at the best full-fidelity evaluation already in the history,
    /// with σ0 from the spread of the top quarter of them. Default true.
    pub warm_start: bool,
}

impl Default for CmaEsSettings {
    fn default() -> Self {
        Self {
            sigma0: DEFAULT_SIGMA0,
            popsize: None,
            ipop: true,
            warm_start: true,
        }
    }
}

/// CMA-ES with IPOP restarts, full-fidelity evaluations, on the configuration pool.
pub struct CmaEs {
    settings: CmaEsSettings,
    rng: StdRng,
    /// Set on the first call, when the dimension is known.
    state: Option<State>,
}

impl CmaEs {
    /// CMA-ES with `settings`, every random draw from a generator seeded with `seed`.
    pub fn new(settings: CmaEsSettings, seed: u64) -> Self {
        Self {
            settings,
            rng: StdRng::seed_from_u64(seed),
            state: None,
        }
    }

    /// Its settings, generator and search state (the state starts on first use, when
    /// the history tells the dimension).
    fn started(&mut self, history: &History) -> (&CmaEsSettings, &mut StdRng, &mut State) {
        let Self {
            settings,
            rng,
            state,
        } = self;
        let st = state.get_or_insert_with(|| State::start(settings, history));
        (settings, rng, st)
    }
}

impl Optimizer for CmaEs {
    fn name(&self) -> String {
        "CMA-ES".into()
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        let full = |config| Action {
            config,
            to_epoch: history.max_epochs(),
        };
        if history.n_hps() == 0 {
            // No space to search: every configuration is the same point.
            return nearest_open(history, &[])
                .map(full)
                .ok_or_else(|| history.nothing_open());
        }
        let (settings, rng, st) = self.started(history);
        loop {
            if !st.closed && st.members.len() < st.params.lambda {
                if let Some(c) = st.draw(history, rng) {
                    st.members.push(c);
                    return Ok(full(c));
                }
                // The pool cannot supply λ distinct members.
                st.closed = true;
            }
            // Every member is handed out. One left unfinished (cut short) is resumed.
            if let Some(&c) = st.members.iter().find(|&&c| history.is_open(c)) {
                return Ok(full(c));
            }
            if st
                .members
                .iter()
                .any(|&c| history.held(c) == Some(Hold::Running))
            {
                return Err(HpoError::Busy);
            }
            if st.members.is_empty() {
                return Err(history.nothing_open());
            }
            st.end_generation(settings, history, history.n_configs(), rng);
        }
    }
}

/// On a continuous space the samples themselves are the members: member i of a
/// generation is the configuration the caller adds for the i-th proposal. IPOP's λ is
/// not capped by a pool.
impl ProposePoint for CmaEs {
    fn propose_point(&mut self, history: &History) -> Result<Vec<f32>> {
        if history.n_hps() == 0 {
            return Ok(Vec::new());
        }
        let (settings, rng, st) = self.started(history);
        if st.members.len() == st.params.lambda {
            if st.members.iter().any(|&c| c >= history.n_configs()) {
                return Err(HpoError::InvalidInput(
                    "CMA-ES: a proposed point was not added to the history".into(),
                ));
            }
            st.end_generation(settings, history, usize::MAX, rng);
        }
        st.members.push(history.n_configs());
        Ok(st.sample(rng))
    }
}

/// Strategy parameters of one population size (tutorial, Table 1 and eq. 49–55).
#[derive(Debug, Clone)]
struct Params {
    lambda: usize,
    /// Recombination weights, best first: μ = ⌊λ/2⌋ positive ones summing to 1, then
    /// the negative (active) ones.
    weights: Vec<f64>,
    mueff: f64,
    cs: f64,
    ds: f64,
    cc: f64,
    c1: f64,
    cmu: f64,
    /// E‖N(0, I)‖.
    chi_n: f64,
}

impl Params {
    fn new(d: usize, lambda: usize) -> Self {
        let n = d as f64;
        let lambda = lambda.max(2);
        let mu = lambda / 2;
        let raw: Vec<f64> = (1..=lambda)
            .map(|i| ((lambda as f64 + 1.0) / 2.0).ln() - (i as f64).ln())
            .collect();
        let (pos, neg) = raw.split_at(mu);
        let sum_pos: f64 = pos.iter().sum();
        let sum_neg: f64 = neg.iter().map(|w| w.abs()).sum();
        let mueff = sum_pos * sum_pos / pos.iter().map(|w| w * w).sum::<f64>();
        let neg_sq: f64 = neg.iter().map(|w| w * w).sum();
        let mueff_neg = if neg_sq > 0.0 {
            sum_neg * sum_neg / neg_sq
        } else {
            0.0
        };
        let alpha_cov = 2.0;
        let c1 = alpha_cov / ((n + 1.3).powi(2) + mueff);
        let cmu = (1.0 - c1).min(
            alpha_cov * (mueff - 2.0 + 1.0 / mueff) / ((n + 2.0).powi(2) + alpha_cov * mueff / 2.0),
        );
        let cmu = cmu.max(0.0);
        // Scale of the negative weights: min(α_μ⁻, α_μeff⁻, α_posdef⁻), each +∞ when its
        // denominator vanishes.
        let alpha_mu = if cmu > 0.0 {
            1.0 + c1 / cmu
        } else {
            f64::INFINITY
        };
        let alpha_mueff = 1.0 + 2.0 * mueff_neg / (mueff + 2.0);
        let alpha_posdef = if cmu > 0.0 {
            (1.0 - c1 - cmu) / (n * cmu)
        } else {
            f64::INFINITY
        };
        let neg_scale = alpha_mu.min(alpha_mueff).min(alpha_posdef);
        let weights = raw
            .iter()
            .map(|&w| {
                if w >= 0.0 {
                    w / sum_pos
                } else if sum_neg > 0.0 {
                    neg_scale * w / sum_neg
                } else {
                    0.0
                }
            })
            .collect();
        let cs = (mueff + 2.0) / (n + mueff + 5.0);
        Self {
            lambda,
            weights,
            mueff,
            cs,
            ds: 1.0 + 2.0 * (((mueff - 1.0) / (n + 1.0)).sqrt() - 1.0).max(0.0) + cs,
            cc: (4.0 + mueff / n) / (n + 4.0 + 2.0 * mueff / n),
            c1,
            cmu,
            chi_n: n.sqrt() * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n)),
        }
    }
}

/// The search distribution and paths of one (re)start.
#[derive(Debug, Clone)]
struct Run {
    mean: Vec<f64>,
    sigma: f64,
    /// σ at the start of this run (for the σ < 1e-8·σ0 stop).
    sigma0: f64,
    /// Covariance, d × d row-major.
    cov: Vec<f64>,
    /// Eigenvectors of `cov` as columns, d × d row-major.
    b: Vec<f64>,
    /// Square roots of the eigenvalues of `cov`.
    diag: Vec<f64>,
    pc: Vec<f64>,
    ps: Vec<f64>,
    /// Generations updated in this run.
    generation: usize,
    /// Best value of each generation of this run.
    gen_best: Vec<f64>,
}

impl Run {
    fn new(mean: Vec<f64>, sigma: f64) -> Self {
        let d = mean.len();
        let eye: Vec<f64> = (0..d * d)
            .map(|k| if k / d == k % d { 1.0 } else { 0.0 })
            .collect();
        Self {
            sigma,
            sigma0: sigma,
            cov: eye.clone(),
            b: eye,
            diag: vec![1.0; d],
            pc: vec![0.0; d],
            ps: vec![0.0; d],
            generation: 0,
            gen_best: Vec::new(),
            mean,
        }
    }

    /// C^{−1/2} v = B D⁻¹ Bᵀ v.
    fn inv_sqrt_times(&self, v: &[f64]) -> Vec<f64> {
        let d = v.len();
        let bt_v: Vec<f64> = (0..d)
            .map(|j| (0..d).map(|i| self.b[i * d + j] * v[i]).sum::<f64>() / self.diag[j])
            .collect();
        (0..d)
            .map(|i| (0..d).map(|j| self.b[i * d + j] * bt_v[j]).sum())
            .collect()
    }

    /// Updates the distribution from the evaluated points `xs`, best first (tutorial,
    /// eq. 39–47).
    fn update(&mut self, p: &Params, xs: &[Vec<f64>]) {
        let d = self.mean.len();
        let n = d as f64;
        // Steps y = (x − m)/σ, shortened to Mahalanobis length ≤ √d + 2d/(d + 2).
        let max_len = n.sqrt() + 2.0 * n / (n + 2.0);
        let ys: Vec<Vec<f64>> = xs
            .iter()
            .map(|x| {
                let y: Vec<f64> = x
                    .iter()
                    .zip(&self.mean)
                    .map(|(x, m)| (x - m) / self.sigma)
                    .collect();
                let len = norm(&self.inv_sqrt_times(&y));
                let scale = if len > max_len { max_len / len } else { 1.0 };
                y.into_iter().map(|v| v * scale).collect()
            })
            .collect();
        let y_w: Vec<f64> = (0..d)
            .map(|k| {
                ys.iter()
                    .zip(&p.weights)
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(y, w)| w * y[k])
                    .sum()
            })
            .collect();
        for (m, y) in self.mean.iter_mut().zip(&y_w) {
            *m += self.sigma * y;
        }
        // Step-size control.
        let cs_norm = (p.cs * (2.0 - p.cs) * p.mueff).sqrt();
        let c_inv_y = self.inv_sqrt_times(&y_w);
        for (ps, v) in self.ps.iter_mut().zip(&c_inv_y) {
            *ps = (1.0 - p.cs) * *ps + cs_norm * v;
        }
        let ps_norm = norm(&self.ps);
        self.generation += 1;
        let h_sigma = ps_norm / (1.0 - (1.0 - p.cs).powi(2 * self.generation as i32)).sqrt()
            < (1.4 + 2.0 / (n + 1.0)) * p.chi_n;
        // Covariance adaptation.
        let cc_norm = (p.cc * (2.0 - p.cc) * p.mueff).sqrt();
        for (pc, y) in self.pc.iter_mut().zip(&y_w) {
            *pc = (1.0 - p.cc) * *pc + if h_sigma { cc_norm * y } else { 0.0 };
        }
        let delta_h = if h_sigma { 0.0 } else { p.cc * (2.0 - p.cc) };
        // Negative weights act on steps rescaled to Mahalanobis length √d.
        let w_circ: Vec<f64> = ys
            .iter()
            .zip(&p.weights)
            .map(|(y, &w)| {
                if w >= 0.0 {
                    w
                } else {
                    let len2 = norm(&self.inv_sqrt_times(y)).powi(2);
                    if len2 > 1e-300 { w * n / len2 } else { 0.0 }
                }
            })
            .collect();
        let sum_w: f64 = p.weights.iter().sum();
        let keep = 1.0 + p.c1 * delta_h - p.c1 - p.cmu * sum_w;
        for i in 0..d {
            for j in 0..d {
                let rank_mu: f64 = ys.iter().zip(&w_circ).map(|(y, w)| w * y[i] * y[j]).sum();
                self.cov[i * d + j] =
                    keep * self.cov[i * d + j] + p.c1 * self.pc[i] * self.pc[j] + p.cmu * rank_mu;
            }
        }
        self.sigma *= ((p.cs / p.ds) * (ps_norm / p.chi_n - 1.0)).exp();
        self.decompose();
    }

    /// Recomputes B and D from C (symmetrised; eigenvalues floored at a tiny positive
    /// value so that C^{−1/2} exists).
    fn decompose(&mut self) {
        let d = self.mean.len();
        for i in 0..d {
            for j in 0..i {
                let s = 0.5 * (self.cov[i * d + j] + self.cov[j * d + i]);
                self.cov[i * d + j] = s;
                self.cov[j * d + i] = s;
            }
        }
        let (values, vectors) = sym_eigen(&self.cov, d);
        self.b = vectors;
        self.diag = values.iter().map(|&v| v.max(1e-300).sqrt()).collect();
    }

    /// Condition number of C (∞ when C is not positive definite).
    fn condition(&self) -> f64 {
        let max = self.diag.iter().copied().fold(0.0, f64::max);
        let min = self.diag.iter().copied().fold(f64::INFINITY, f64::min);
        if min > 1e-150 {
            (max / min).powi(2)
        } else {
            f64::INFINITY
        }
    }

    /// Whether this run should stop: σ below 1e-8·σ0, the best value of the last
    /// 10 + ⌈30d/λ⌉ generations not better than the best before them by 1e-12,
    /// cond(C) > 1e14, or a non-finite state.
    fn should_stop(&self, lambda: usize) -> bool {
        let d = self.mean.len();
        let window = 10 + (30 * d).div_ceil(lambda);
        let stagnant = self.gen_best.len() > window && {
            let (before, recent) = self.gen_best.split_at(self.gen_best.len() - window);
            let best = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            !(best(recent) - best(before) >= 1e-12)
        };
        let finite =
            self.sigma.is_finite() && self.mean.iter().chain(&self.cov).all(|v| v.is_finite());
        !finite || self.sigma < 1e-8 * self.sigma0 || stagnant || self.condition() > 1e14
    }
}

/// Everything after the first call.
struct State {
    params: Params,
    run: Run,
    /// Configurations handed out in the current generation, in order.
    members: Vec<usize>,
    /// The pool could not supply λ distinct members for this generation.
    closed: bool,
    /// Restarts so far.
    restarts: usize,
}

impl State {
    /// The first run: warm-started from the history's full-fidelity evaluations if
    /// asked and there are some, else at the centre of the box with σ0.
    fn start(settings: &CmaEsSettings, history: &History) -> Self {
        let d = history.n_hps();
        let lambda = settings
            .popsize
            .unwrap_or(4 + (3.0 * (d as f64).ln()).floor() as usize)
            .max(2);
        let sigma0 = default_sigma0(settings);
        let mut evals = evaluations(history);
        let run = if settings.warm_start && !evals.is_empty() {
            // Best first; ties go to the lower index (the sort is stable).
            evals.sort_by(|a, b| b.1.total_cmp(&a.1));
            let enc = |c: usize| -> Vec<f64> {
                history.config(c).iter().map(|&v| f64::from(v)).collect()
            };
            let top: Vec<Vec<f64>> = evals[..evals.len().div_ceil(4).max(2).min(evals.len())]
                .iter()
                .map(|&(c, _)| enc(c))
                .collect();
            let sigma = if top.len() >= 2 {
                // Root mean (over coordinates) of the per-coordinate variance of the top.
                let k = top.len() as f64;
                let var: f64 = (0..d)
                    .map(|j| {
                        let m = top.iter().map(|x| x[j]).sum::<f64>() / k;
                        top.iter().map(|x| (x[j] - m).powi(2)).sum::<f64>() / k
                    })
                    .sum::<f64>()
                    / d as f64;
                var.sqrt().clamp(0.05, sigma0.max(0.05))
            } else {
                sigma0
            };
            Run::new(top[0].clone(), sigma)
        } else {
            Run::new(vec![0.5; d], sigma0)
        };
        Self {
            params: Params::new(d, lambda),
            run,
            members: Vec::new(),
            closed: false,
            restarts: 0,
        }
    }

    /// A sample of N(m, σ²C), repaired into the box by reflection.
    fn sample(&self, rng: &mut StdRng) -> Vec<f32> {
        let d = self.run.mean.len();
        let dz: Vec<f64> = self
            .run
            .diag
            .iter()
            .map(|&s| s * rng.sample::<f64, _>(StandardNormal))
            .collect();
        (0..d)
            .map(|i| {
                let y: f64 = (0..d).map(|j| self.run.b[i * d + j] * dz[j]).sum();
                reflect(self.run.mean[i] + self.run.sigma * y) as f32
            })
            .collect()
    }

    /// The configuration for the next member: a sample mapped by the pool rule; if it
    /// is already a member, sample again ([`MAX_DRAWS`] times), then take a random open
    /// non-member (a never-trained one if any). None when no non-member is open.
    fn draw(&self, history: &History, rng: &mut StdRng) -> Option<usize> {
        for _ in 0..MAX_DRAWS {
            let x = self.sample(rng);
            match nearest_open(history, &x) {
                None => return None,
                Some(c) if !self.members.contains(&c) => return Some(c),
                Some(_) => {}
            }
        }
        let candidates = |fresh_only: bool| -> Vec<usize> {
            (0..history.n_configs())
                .filter(|&c| {
                    history.is_open(c)
                        && !self.members.contains(&c)
                        && (!fresh_only || history.curve(c).is_empty())
                })
                .collect()
        };
        let mut pool = candidates(true);
        if pool.is_empty() {
            pool = candidates(false);
        }
        (!pool.is_empty()).then(|| pool[rng.random_range(0..pool.len())])
    }

    /// Every member is finished or failed: update (a full generation only), restart if
    /// a stopping condition holds (λ at most `cap`), and begin the next generation.
    fn end_generation(
        &mut self,
        settings: &CmaEsSettings,
        history: &History,
        cap: usize,
        rng: &mut StdRng,
    ) {
        if self.members.len() == self.params.lambda {
            let max = history.max_epochs();
            // The update uses the encoding of the configuration actually evaluated, not
            // the raw sample: the pool rule moves points. Failed members rank last.
            let mut ranked: Vec<(f64, Vec<f64>)> = self
                .members
                .iter()
                .map(|&c| {
                    let curve = history.curve(c);
                    let value = if curve.len() == max {
                        f64::from(curve[max - 1])
                    } else {
                        f64::NEG_INFINITY
                    };
                    (
                        value,
                        history.config(c).iter().map(|&v| f64::from(v)).collect(),
                    )
                })
                .collect();
            // Higher is better; the stable sort keeps hand-out order among ties.
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
            let xs: Vec<Vec<f64>> = ranked.iter().map(|(_, x)| x.clone()).collect();
            self.run.update(&self.params, &xs);
            self.run.gen_best.push(ranked[0].0);
            if self.run.should_stop(self.params.lambda) {
                self.restart(settings, cap, rng);
            }
        }
        self.members.clear();
        self.closed = false;
    }

    /// IPOP: a new run at a uniform random mean with σ0 and λ doubled (capped at `cap`,
    /// the pool size); the same λ without `ipop`.
    fn restart(&mut self, settings: &CmaEsSettings, cap: usize, rng: &mut StdRng) {
        let d = self.run.mean.len();
        let lambda = self.params.lambda;
        if settings.ipop {
            let cap = lambda.max(cap);
            self.params = Params::new(d, (2 * lambda).min(cap));
        }
        let mean = (0..d).map(|_| rng.random::<f64>()).collect();
        self.run = Run::new(mean, default_sigma0(settings));
        self.restarts += 1;
    }
}

/// The default initial step size: the box's width over 6 (Optuna's choice; measured
/// against 0.3 in the README, "Checked against Optuna").
pub const DEFAULT_SIGMA0: f64 = 1.0 / 6.0;

/// The settings' σ0, or [`DEFAULT_SIGMA0`] when it is not a positive finite number.
fn default_sigma0(settings: &CmaEsSettings) -> f64 {
    if settings.sigma0.is_finite() && settings.sigma0 > 0.0 {
        settings.sigma0
    } else {
        DEFAULT_SIGMA0
    }
}

/// Reflects `x` into [0, 1] at the faces (periodically: −0.2 ↦ 0.2, 1.3 ↦ 0.7,
/// 2.4 ↦ 0.4); a non-finite value becomes the centre 0.5.
fn reflect(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.5;
    }
    let t = x.rem_euclid(2.0);
    if t > 1.0 { 2.0 - t } else { t }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Eigen-decomposition of the symmetric n × n row-major matrix `a` by cyclic Jacobi
/// rotations: (eigenvalues, eigenvectors as the columns of an n × n row-major matrix).
fn sym_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v: Vec<f64> = (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
        .collect();
    for _sweep in 0..64 {
        let off: f64 = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        let scale: f64 = (0..n).map(|i| a[i * n + i] * a[i * n + i]).sum();
        if !(off > 1e-30 * scale) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A ← Pᵀ A P and V ← V P, P the rotation in the (p, q) plane.
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::TabularObjective;
    use crate::optimise::{Step, run};
    use crate::optimizers::RandomSearch;
    use thaw_data::CurveSet;

    /// σ0 = 0.3: the hand-checked steps below are written for it.
    fn settings(popsize: Option<usize>) -> CmaEsSettings {
        CmaEsSettings {
            popsize,
            sigma0: 0.3,
            ..CmaEsSettings::default()
        }
    }

    /// A one-epoch-or-more table over `points` whose final value is `f(point)`,
    /// reached linearly over the epochs.
    fn table(points: &[Vec<f32>], epochs: usize, f: impl Fn(&[f32]) -> f32) -> TabularObjective {
        let d = points[0].len();
        let y = points
            .iter()
            .flat_map(|p| {
                let q = f(p);
                (1..=epochs).map(move |e| q * e as f32 / epochs as f32)
            })
            .collect();
        TabularObjective::new(CurveSet {
            configs: points.len(),
            epochs,
            n_hps: d,
            hps: points.concat(),
            y,
        })
        .unwrap()
    }

    fn random_points(n: usize, d: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| (0..d).map(|_| rng.random::<f32>()).collect())
            .collect()
    }

    /// A history over `points` (1 epoch) with `values[i]` observed for the first
    /// `values.len()` points.
    fn history(points: &[Vec<f32>], values: &[f32]) -> History {
        let mut h = History::new(points.to_vec(), 1).unwrap();
        for (c, &y) in values.iter().enumerate() {
            h.observe(c, y).unwrap();
        }
        h
    }

    /// Runs one generation of λ = 4 on a pool of exactly the four `points` with the
    /// given values: the members are the four points whatever the samples are.
    fn one_generation(points: &[Vec<f32>], values: &[f32]) -> CmaEs {
        let mut cma = CmaEs::new(settings(Some(4)), 7);
        let mut h = History::new(points.to_vec(), 1).unwrap();
        for _ in 0..4 {
            let a = cma.next(&h, 10).unwrap();
            assert_eq!(a.to_epoch, 1);
            h.observe(a.config, values[a.config]).unwrap();
        }
        // The fifth call updates the distribution, then finds the pool exhausted.
        assert!(matches!(cma.next(&h, 10), Err(HpoError::Exhausted)));
        cma
    }

    #[test]
    fn one_update_matches_the_hand_computation() {
        // d = 2, λ = 4, μ = 2: w'_i = ln 2.5 − ln i, positive ones normalised:
        // w1 = 0.916291 / 1.139434 = 0.804163, w2 = 0.223144 / 1.139434 = 0.195837.
        let (w1, w2) = (
            0.916_290_731_874_155 / 1.139_434_283_188_365,
            0.223_143_551_314_21 / 1.139_434_283_188_365,
        );
        let p = Params::new(2, 4);
        assert!((p.weights[0] - w1).abs() < 1e-12 && (p.weights[1] - w2).abs() < 1e-12);
        assert!(
            p.weights[2] < 0.0 && p.weights[3] < 0.0,
            "active (negative) weights"
        );
        // μ_eff = 1 / (w1² + w2²) = 1.45974.
        assert!((p.mueff - 1.0 / (w1 * w1 + w2 * w2)).abs() < 1e-12);

        // Far, consistent steps: the best two are (0.95, 0.95) and (0.9, 0.95); the new
        // mean is their weighted recombination, and σ grows.
        let far = [
            vec![0.05, 0.1],
            vec![0.9, 0.95],
            vec![0.95, 0.95],
            vec![0.1, 0.05],
        ];
        let cma = one_generation(&far, &[0.1, 0.8, 0.9, 0.2]);
        let st = cma.state.as_ref().unwrap();
        let want = [
            w1 * f64::from(0.95f32) + w2 * f64::from(0.9f32),
            w1 * f64::from(0.95f32) + w2 * f64::from(0.95f32),
        ];
        assert!(
            (st.run.mean[0] - want[0]).abs() < 1e-12,
            "{:?} vs {want:?}",
            st.run.mean
        );
        assert!(
            (st.run.mean[1] - want[1]).abs() < 1e-12,
            "{:?} vs {want:?}",
            st.run.mean
        );
        // By hand: C = I, so p_σ = √(c_σ(2 − c_σ)μ_eff)·y_w with y_w = (m' − m)/σ, and
        // σ' = σ·exp(c_σ/d_σ·(‖p_σ‖/E‖N‖ − 1)), d_σ = 1 + c_σ here.
        let y_w = [(want[0] - 0.5) / 0.3, (want[1] - 0.5) / 0.3];
        let ps = (p.cs * (2.0 - p.cs) * p.mueff).sqrt() * norm(&y_w);
        let chi = 2f64.sqrt() * (1.0 - 1.0 / 8.0 + 1.0 / 84.0);
        let sigma = 0.3 * (p.cs / (1.0 + p.cs) * (ps / chi - 1.0)).exp();
        assert!(
            (st.run.sigma - sigma).abs() < 1e-12,
            "{} vs {sigma}",
            st.run.sigma
        );
        assert!(st.run.sigma > 0.3, "long steps lengthen σ");
        // The covariance stretches along the step direction (1, 1).
        assert!(st.run.cov[1] > 0.0);

        // Short steps around the mean shrink σ.
        let near = [
            vec![0.52, 0.51],
            vec![0.49, 0.5],
            vec![0.5, 0.48],
            vec![0.47, 0.53],
        ];
        let cma = one_generation(&near, &[0.9, 0.8, 0.2, 0.1]);
        let st = cma.state.as_ref().unwrap();
        let want = [
            w1 * f64::from(0.52f32) + w2 * f64::from(0.49f32),
            w1 * f64::from(0.51f32) + w2 * f64::from(0.5f32),
        ];
        assert!(
            (st.run.mean[0] - want[0]).abs() < 1e-12 && (st.run.mean[1] - want[1]).abs() < 1e-12
        );
        assert!(st.run.sigma < 0.3, "short steps shorten σ");
    }

    #[test]
    fn jacobi_reconstructs_a_symmetric_matrix() {
        let n = 5;
        let mut rng = StdRng::seed_from_u64(3);
        let g: Vec<f64> = (0..n * n).map(|_| rng.random::<f64>() - 0.5).collect();
        let a: Vec<f64> = (0..n * n)
            .map(|k| {
                (0..n)
                    .map(|l| g[(k / n) * n + l] * g[(k % n) * n + l])
                    .sum()
            })
            .collect();
        let (values, v) = sym_eigen(&a, n);
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..n)
                    .map(|k| v[i * n + k] * values[k] * v[j * n + k])
                    .sum();
                assert!((r - a[i * n + j]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn ipop_restarts_double_lambda() {
        // A flat table: the best value never improves, so after
        // 10 + ⌈30·1/4⌉ = 18 generations (plus the one before them) the run stops.
        let points: Vec<Vec<f32>> = (0..400).map(|i| vec![i as f32 / 399.0]).collect();
        let mut obj = table(&points, 1, |_| 0.5);
        let mut cma = CmaEs::new(settings(None), 1);
        run(&mut cma, &mut obj, 19 * 4, &mut |_, _| {}).unwrap();
        let st = cma.state.as_ref().unwrap();
        assert_eq!((st.params.lambda, st.restarts), (4, 0), "no restart yet");
        let mut obj = table(&points, 1, |_| 0.5);
        let mut cma = CmaEs::new(settings(None), 1);
        run(&mut cma, &mut obj, 19 * 4 + 1, &mut |_, _| {}).unwrap();
        let st = cma.state.as_ref().unwrap();
        assert_eq!((st.params.lambda, st.restarts), (8, 1));
        assert_eq!(st.run.sigma, 0.3);

        // A collapsed σ stops a run too; without IPOP λ stays.
        let h = History::new(points.clone(), 1).unwrap();
        for ipop in [true, false] {
            let mut cma = CmaEs::new(
                CmaEsSettings {
                    ipop,
                    ..settings(None)
                },
                2,
            );
            cma.next(&h, 1).unwrap();
            let mut st = cma.state.take().unwrap();
            st.run.sigma = 1e-10;
            assert!(st.run.should_stop(4));
            st.restart(&cma.settings, h.n_configs(), &mut cma.rng);
            assert_eq!(st.params.lambda, if ipop { 8 } else { 4 });
        }
    }

    fn trajectory(seed: u64, budget: usize) -> Vec<Step> {
        let points = random_points(60, 2, 11);
        let mut obj = table(&points, 3, |x| {
            1.0 - (x[0] - 0.3).powi(2) - (x[1] - 0.6).powi(2)
        });
        let mut cma = CmaEs::new(CmaEsSettings::default(), seed);
        run(&mut cma, &mut obj, budget, &mut |_, _| {})
            .unwrap()
            .steps
    }

    #[test]
    fn the_same_seed_gives_the_same_actions() {
        assert_eq!(trajectory(5, 90), trajectory(5, 90));
        assert_ne!(trajectory(5, 90), trajectory(6, 90));
    }

    #[test]
    fn spends_exactly_the_budget_and_trains_to_the_last_epoch() {
        let mut rng = StdRng::seed_from_u64(42);
        for case in 0..20u64 {
            let configs = rng.random_range(1..40);
            let epochs = rng.random_range(1..6);
            let d = rng.random_range(1..4);
            let budget = rng.random_range(1..configs * epochs + 10);
            let points = random_points(configs, d, case);
            let mut obj = table(&points, epochs, |x| x.iter().sum::<f32>() / d as f32);
            let mut cma = CmaEs::new(settings(None), case);
            let t = run(&mut cma, &mut obj, budget, &mut |_, _| {}).unwrap();
            let want = budget.min(configs * epochs);
            assert_eq!(
                t.steps.len(),
                want,
                "{configs}×{epochs}, d = {d}, budget {budget}"
            );
            assert_eq!(t.history.n_observed(), want);
            // Full fidelity: a configuration is started only once the previous one is done.
            for w in t.steps.windows(2) {
                if w[1].config != w[0].config {
                    assert_eq!(w[0].epoch, epochs);
                }
            }
        }
    }

    #[test]
    fn odd_histories_do_not_panic() {
        // One configuration, d = 1.
        let mut cma = CmaEs::new(settings(None), 0);
        let mut h = History::new(vec![vec![0.3]], 2).unwrap();
        assert_eq!(
            cma.next(&h, 5).unwrap(),
            Action {
                config: 0,
                to_epoch: 2
            }
        );
        h.observe_prefix(0, &[0.1, 0.2]).unwrap();
        assert!(matches!(cma.next(&h, 5), Err(HpoError::Exhausted)));
        // Everything held: running → Busy, failed → Exhausted.
        let mut h = History::new(vec![vec![0.1], vec![0.9]], 1).unwrap();
        h.hold(0, Hold::Running).unwrap();
        h.hold(1, Hold::Failed).unwrap();
        assert!(matches!(
            CmaEs::new(settings(None), 0).next(&h, 5),
            Err(HpoError::Busy)
        ));
        let mut h = History::new(vec![vec![0.1], vec![0.9]], 1).unwrap();
        h.hold(0, Hold::Failed).unwrap();
        h.hold(1, Hold::Failed).unwrap();
        assert!(matches!(
            CmaEs::new(settings(None), 0).next(&h, 5),
            Err(HpoError::Exhausted)
        ));
        // No hyperparameters at all; an empty pool; odd settings.
        let h = History::new(vec![vec![], vec![]], 1).unwrap();
        assert_eq!(CmaEs::new(settings(None), 0).next(&h, 5).unwrap().config, 0);
        let h = History::new(vec![], 1).unwrap();
        assert!(matches!(
            CmaEs::new(settings(None), 0).next(&h, 5),
            Err(HpoError::Exhausted)
        ));
        let odd = CmaEsSettings {
            sigma0: f64::NAN,
            popsize: Some(0),
            ..CmaEsSettings::default()
        };
        let points = random_points(30, 3, 1);
        let mut obj = table(&points, 1, |x| x[0]);
        let t = run(&mut CmaEs::new(odd, 0), &mut obj, 30, &mut |_, _| {}).unwrap();
        assert_eq!(t.steps.len(), 30);
    }

    #[test]
    fn a_generation_waits_for_its_running_members() {
        // λ = 4 on 20 configurations; the study marks each handed-out one as running.
        let points = random_points(20, 2, 4);
        let mut h = History::new(points.clone(), 1).unwrap();
        let mut cma = CmaEs::new(settings(Some(4)), 3);
        let mut members = Vec::new();
        for _ in 0..4 {
            let a = cma.next(&h, 10).unwrap();
            assert!(!members.contains(&a.config));
            members.push(a.config);
            h.hold(a.config, Hold::Running).unwrap();
        }
        assert!(matches!(cma.next(&h, 10), Err(HpoError::Busy)));
        assert!(
            matches!(cma.next(&h, 10), Err(HpoError::Busy)),
            "waiting changes nothing"
        );
        // The members come back: the generation is updated and a new one starts.
        let mut h = History::new(points, 1).unwrap();
        for &c in &members {
            h.observe(c, 0.5).unwrap();
        }
        let a = cma.next(&h, 10).unwrap();
        assert!(!members.contains(&a.config));
        assert_eq!(cma.state.as_ref().unwrap().run.generation, 1);
    }

    #[test]
    fn warm_start_begins_at_the_best_evaluation() {
        let points = random_points(40, 3, 9);
        let values: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin().abs()).collect();
        let h = history(&points, &values);
        let best = (0..12)
            .max_by(|&a, &b| values[a].total_cmp(&values[b]))
            .unwrap();
        let mut cma = CmaEs::new(settings(None), 0);
        cma.next(&h, 10).unwrap();
        let run = &cma.state.as_ref().unwrap().run;
        let want: Vec<f64> = points[best].iter().map(|&v| f64::from(v)).collect();
        assert_eq!(run.mean, want);
        assert!(run.sigma >= 0.05 && run.sigma <= 0.3);
        let mut cold = CmaEs::new(
            CmaEsSettings {
                warm_start: false,
                ..settings(None)
            },
            0,
        );
        cold.next(&h, 10).unwrap();
        assert_eq!(cold.state.as_ref().unwrap().run.mean, vec![0.5; 3]);
    }

    /// Mean final regret (pool best − final incumbent) of `make` over 5 seeds on a
    /// 500-point pool in `d` dimensions whose value is a smooth unimodal bump, with
    /// `budget` evaluations.
    fn mean_regret(d: usize, budget: usize, make: &dyn Fn(u64) -> Box<dyn Optimizer>) -> f32 {
        let optimum: Vec<f32> = (0..d).map(|i| 0.2 + 0.6 * i as f32 / d as f32).collect();
        let scales: Vec<f32> = (0..d).map(|i| 1.0 + i as f32).collect();
        let f = |x: &[f32]| {
            let r2: f32 = x
                .iter()
                .zip(&optimum)
                .zip(&scales)
                .map(|((x, o), s)| s * (x - o).powi(2))
                .sum();
            (-2.0 * r2).exp()
        };
        let total: f32 = (0..5u64)
            .map(|seed| {
                let points = random_points(500, d, 100 + seed);
                let mut obj = table(&points, 1, f);
                let t = run(make(seed).as_mut(), &mut obj, budget, &mut |_, _| {}).unwrap();
                obj.best_value() - t.steps.last().unwrap().incumbent
            })
            .sum();
        total / 5.0
    }

    #[test]
    fn beats_random_search_on_a_smooth_unimodal_pool() {
        for (d, budget) in [(2, 60), (5, 120)] {
            let cma = mean_regret(d, budget, &|s| {
                Box::new(CmaEs::new(CmaEsSettings::default(), s))
            });
            let rs = mean_regret(d, budget, &|s| Box::new(RandomSearch::new(s)));
            eprintln!("d = {d}: mean regret CMA-ES {cma:.5}, random search {rs:.5}");
            assert!(
                cma < 0.5 * rs,
                "d = {d}: CMA-ES regret {cma} is not half of random search's {rs}"
            );
        }
    }
}
