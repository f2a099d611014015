//! RL-HPO: model-based reinforcement learning at full fidelity, after Wu, Chen & Liu
//! 2019, "Efficient Hyperparameter Optimization through Model-based Reinforcement
//! Learning".
//!
//! **The agent** is a small LSTM (burn, on the CPU) that writes a configuration one
//! hyperparameter at a time. At step i its input is a per-dimension embedding of i plus
//! an embedding of the previous choice: a learned linear map of the previous value, or a
//! learned start token at step 0. From the hidden state a per-dimension head gives the
//! mean μ = sigmoid(·) and standard deviation σ = σ_min + (σ_max − σ_min) · sigmoid(·)
//! of a Gaussian in the encoded space [0, 1]; the value z ~ N(μ, σ²) is sampled and
//! clipped to [0, 1], and the clipped value is the next step's input. The head starts
//! at zero, so the untrained policy is μ = ½, σ = (σ_min + σ_max) / 2 in every
//! dimension. The proposal is mapped to the pool by the [pool rule](super::pool_rule)
//! and trained to the last epoch; the first `startup` configurations are random.
//!
//! **Learning.** The reward is a configuration's final value (higher is better). The
//! agent is trained by REINFORCE with Adam on −Σ_k A_k log π(x_k) / B − β H̄, with
//! log π(x) the log-density of an episode's sequence summed over its steps, advantage
//! A = (r − b) / s (b an exponential moving average of the rewards of past updates, s
//! the spread of the real final values so far) and an entropy bonus of weight β =
//! `entropy` on H̄, the batch's mean Σ_i ln σ_i. A real episode is one of the agent's
//! own proposals once it has been evaluated, with the configuration actually evaluated
//! (after the pool rule) and its value; the start-up trainings feed the predictive
//! model only.
//!
//! **The predictive model** stands in for real evaluations: a GP on the full-fidelity
//! evaluations (standardised values, Matérn-5/2 with one length scale for all
//! dimensions and a noise level, both picked from a small grid by marginal likelihood,
//! on [`GpSolve`]'s algebra). A simulated episode is a sample of the agent whose reward
//! is the GP's posterior mean at the sampled point. Per real evaluation the agent gets
//! `ratio` simulated episodes, in updates of `episodes` each (the real episodes make an
//! update of their own first).
//!
//! **Dynamic trust.** Before a newly evaluated configuration joins the GP's data, the
//! GP's error on it is recorded, |ŷ − y| in units of the standard deviation of the
//! values the GP was fitted on. With e the mean of the last `error_window` errors:
//! e < `low_error` doubles the ratio (at least 1, at most `max_ratio`); e > `high_error`
//! halves it (rounded down, so a model that stays wrong gets no simulated episodes at
//! all); otherwise it is kept. It starts at `initial_ratio`.
//!
//! **What differs from the paper** (as we read it): the paper's predictive network is a
//! GP here (cheap, and nothing to train on the few evaluations a full-fidelity budget
//! allows); the update is plain REINFORCE with a moving-average baseline, without
//! further policy-gradient refinements, plus the entropy bonus (without it, and with a
//! randomly initialised head, the agent drove σ to its floor within a few decisions on
//! TaskSet, chasing the GP's extrapolations to the box's corners); hyperparameters are
//! all treated as continuous in the encoding (no softmax heads for categorical ones),
//! and a proposal is moved into the pool by the pool rule. Deterministic given the seed: the weights are drawn by
//! [`Init`] from the seed, every sample from one seeded generator, and the network runs
//! on burn's CPU backend whatever device the run uses.

use std::collections::BTreeSet;

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};
use faer::Mat;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use thaw_pfn::init::Init;

use super::pool_rule::{evaluations, nearest_open};
use super::random_fresh;
use crate::error::Result;
use crate::history::{History, Hold};
use crate::models::gp::GpSolve;
use crate::models::tensors::{column, matrix, values};
use crate::optimizer::{Action, Optimizer};

const NAME: &str = "RL-HPO";

/// Bounds of the policy's standard deviation in the encoded space.
const SIGMA_MIN: f64 = 0.02;
const SIGMA_MAX: f64 = 0.5;
/// Length scales of the reward GP, times √d (the diagonal of [0, 1]^d).
const LENGTH_SCALES: [f64; 5] = [0.05, 0.1, 0.2, 0.4, 0.8];
/// Noise variances of the reward GP, standardised units.
const NOISES: [f64; 2] = [1e-3, 0.1];

/// Settings of [`RlHpo`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RlHpoSettings {
    /// Random configurations before the agent proposes (default 5).
    pub startup: usize,
    /// Width of the LSTM's hidden state and of the input embeddings (default 32).
    pub hidden: usize,
    /// Adam learning rate (default 0.02).
    pub lr: f64,
    /// Episodes per policy-gradient update (default 8).
    pub episodes: usize,
    /// Simulated episodes per real evaluation at the start (default 16).
    pub initial_ratio: usize,
    /// Most simulated episodes per real evaluation (default 64; 0 = model-free).
    pub max_ratio: usize,
    /// Mean recent error (in standard deviations of the values) below which the ratio
    /// doubles (default 0.5).
    pub low_error: f64,
    /// Mean recent error above which the ratio halves (default 1.0).
    pub high_error: f64,
    /// Errors averaged for the trust rule (default 3, at least 1).
    pub error_window: usize,
    /// Decay of the moving-average baseline per update (default 0.9).
    pub baseline_decay: f64,
    /// Weight of the entropy bonus Σ ln σ in the loss (default 0.03; 0 = none).
    pub entropy: f64,
}

impl Default for RlHpoSettings {
    fn default() -> Self {
        Self {
            startup: 5,
            hidden: 32,
            lr: 0.02,
            episodes: 8,
            initial_ratio: 16,
            max_ratio: 64,
            low_error: 0.5,
            high_error: 1.0,
            error_window: 3,
            baseline_decay: 0.9,
            entropy: 0.03,
        }
    }
}

/// The trust rule: the ratio of simulated to real episodes after a mean recent error
/// of `recent` (see the module documentation).
fn next_ratio(ratio: usize, recent: f64, s: &RlHpoSettings) -> usize {
    if recent < s.low_error {
        (2 * ratio).max(1).min(s.max_ratio)
    } else if recent > s.high_error {
        ratio / 2
    } else {
        ratio
    }
}

/// Matérn-5/2 correlation of a squared scaled distance s.
fn matern52(s: f64) -> f64 {
    let r = (5.0 * s).sqrt();
    (1.0 + r + 5.0 / 3.0 * s) * (-r).exp()
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum()
}

/// The predictive model of the reward: a GP on the final values (see the module
/// documentation).
struct RewardModel {
    x: Vec<Vec<f64>>,
    mean: f64,
    /// Standard deviation of the training values (1 if they are constant).
    sd: f64,
    inv_sq_ls: f64,
    solve: GpSolve,
}

impl RewardModel {
    /// The GP of `(point, value)` pairs with the best grid hyperparameters; None without
    /// data or when no factorisation succeeds.
    fn fit(data: &[(Vec<f64>, f64)]) -> Option<Self> {
        if data.is_empty() {
            return None;
        }
        let n = data.len();
        let mean = data.iter().map(|p| p.1).sum::<f64>() / n as f64;
        let sd = (data.iter().map(|p| (p.1 - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let sd = if sd > 1e-9 { sd } else { 1.0 };
        let ys: Vec<f64> = data.iter().map(|p| (p.1 - mean) / sd).collect();
        let x: Vec<Vec<f64>> = data.iter().map(|p| p.0.clone()).collect();
        let diag = (x[0].len().max(1) as f64).sqrt();
        let mut best: Option<(f64, f64, GpSolve)> = None;
        for ls in LENGTH_SCALES {
            let inv = 1.0 / (ls * diag).powi(2);
            for noise in NOISES {
                let k = Mat::from_fn(n, n, |i, j| {
                    matern52(sq_dist(&x[i], &x[j]) * inv) + if i == j { noise } else { 0.0 }
                });
                let Ok(solve) = GpSolve::new(&k, &ys, NAME) else {
                    continue;
                };
                let lml = solve.log_marginal();
                if lml.is_finite() && best.as_ref().is_none_or(|b| lml > b.0) {
                    best = Some((lml, inv, solve));
                }
            }
        }
        let (_, inv_sq_ls, solve) = best?;
        Some(Self {
            x,
            mean,
            sd,
            inv_sq_ls,
            solve,
        })
    }

    /// Posterior mean of the final value at `point`.
    fn predict(&self, point: &[f64]) -> f64 {
        let offset: f64 = self
            .x
            .iter()
            .zip(self.solve.alpha())
            .map(|(xi, a)| a * matern52(sq_dist(xi, point) * self.inv_sq_ls))
            .sum();
        self.mean + self.sd * offset
    }
}

/// The LSTM policy network.
#[derive(Module, Debug)]
struct Agent {
    /// The input at step 0, [1, hidden].
    start: Param<Tensor<2>>,
    /// The previous value (a [B, 1] column) → its embedding.
    value_in: Linear,
    /// One embedding per dimension, [d, hidden].
    dims: Param<Tensor<2>>,
    /// The LSTM cell's four gates from [input, hidden state]: [2·hidden → 4·hidden].
    cell: Linear,
    /// Per dimension i, columns 2i and 2i + 1: the raw mean and spread.
    head: Linear,
}

impl Agent {
    fn new(d: usize, hidden: usize, seed: u64, device: &Device) -> Self {
        let mut init = Init::new(seed, device);
        Self {
            start: init.embedding(1, hidden).weight,
            value_in: init.linear(1, hidden, true, false),
            dims: init.embedding(d, hidden).weight,
            cell: init.linear(2 * hidden, 4 * hidden, true, false),
            // Zero: the untrained policy is μ = ½, σ = (σ_min + σ_max) / 2 everywhere.
            head: init.linear(hidden, 2 * d, true, true),
        }
    }

    /// The input at step `i` for a batch of `b`: the previous values' embedding (the
    /// start token at step 0) plus dimension i's.
    fn input(&self, i: usize, prev: Option<Tensor<2>>, b: usize) -> Tensor<2> {
        let dim = self.dims.val().narrow(0, i, 1);
        match prev {
            None => (self.start.val() + dim).repeat_dim(0, b),
            Some(p) => self.value_in.forward(p) + dim,
        }
    }

    /// One LSTM step: the new (hidden, cell) state.
    fn step(&self, x: Tensor<2>, h: Tensor<2>, c: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let gates = self.cell.forward(Tensor::cat(vec![x, h], 1)).chunk(4, 1);
        let [i, f, o, g]: [Tensor<2>; 4] = gates.try_into().expect("four gates");
        let c = sigmoid(f) * c + sigmoid(i) * g.tanh();
        let h = sigmoid(o) * c.clone().tanh();
        (h, c)
    }

    /// Mean and standard deviation ([B, 1] each) of dimension `i` from the hidden state.
    fn gaussian(&self, i: usize, h: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let out = self.head.forward(h).narrow(1, 2 * i, 2);
        let mu = sigmoid(out.clone().narrow(1, 0, 1));
        let sd = sigmoid(out.narrow(1, 1, 1))
            .mul_scalar(SIGMA_MAX - SIGMA_MIN)
            .add_scalar(SIGMA_MIN);
        (mu, sd)
    }
}

/// How a rollout chooses each value.
enum Mode<'a> {
    /// Sample z ~ N(μ, σ²) and clip it to [0, 1].
    Sample(&'a mut StdRng),
    /// Follow these sequences (one per episode; the configurations evaluated).
    Forced(&'a [Vec<f32>]),
    /// Take the mean.
    Greedy,
}

/// Episodes of a rollout.
struct Rollout {
    /// Log-density of each episode's sequence, [B] (differentiable).
    log_prob: Tensor<1>,
    /// Σ_i ln σ_i of each episode, [B]: its entropy up to a constant (differentiable).
    log_sd: Tensor<1>,
    /// The values chosen (clipped to [0, 1]), one row per episode.
    points: Vec<Vec<f32>>,
    /// μ and σ at every step, one row per episode (read by the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    means: Vec<Vec<f64>>,
    #[cfg_attr(not(test), allow(dead_code))]
    sds: Vec<Vec<f64>>,
}

/// Runs `b` episodes of `agent` over `d` dimensions.
fn rollout(agent: &Agent, d: usize, b: usize, mut mode: Mode, device: &Device) -> Rollout {
    let hidden = agent.start.val().dims()[1];
    let zeros = || Tensor::<2>::zeros([b, hidden], device);
    let (mut h, mut c) = (zeros(), zeros());
    let mut prev = None;
    let mut log_prob = Tensor::<2>::zeros([b, 1], device);
    let mut log_sd = Tensor::<2>::zeros([b, 1], device);
    let mut points = vec![Vec::with_capacity(d); b];
    let (mut means, mut sds) = (
        vec![Vec::with_capacity(d); b],
        vec![Vec::with_capacity(d); b],
    );
    let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    for i in 0..d {
        (h, c) = agent.step(agent.input(i, prev, b), h, c);
        let (mu, sd) = agent.gaussian(i, h.clone());
        let (mu_v, sd_v) = (values(&mu), values(&sd));
        let z: Vec<f32> = (0..b)
            .map(|k| match &mut mode {
                Mode::Sample(rng) => {
                    (mu_v[k] + sd_v[k] * rng.sample::<f64, _>(StandardNormal)) as f32
                }
                Mode::Forced(seqs) => seqs[k][i],
                Mode::Greedy => mu_v[k] as f32,
            })
            .collect();
        let zt = matrix(z.clone(), b, 1, device);
        // log N(z; μ, σ²) = −(z − μ)² / (2σ²) − ln σ − ½ ln 2π
        let sq = (zt - mu).powi_scalar(2);
        let log_sd_i = sd.clone().log();
        let lp = (sq / sd.powi_scalar(2).mul_scalar(2.0)).neg() - log_sd_i.clone();
        log_prob = log_prob + lp.sub_scalar(half_ln_2pi);
        log_sd = log_sd + log_sd_i;
        let clipped: Vec<f32> = z.iter().map(|v| v.clamp(0.0, 1.0)).collect();
        for k in 0..b {
            points[k].push(clipped[k]);
            means[k].push(mu_v[k]);
            sds[k].push(sd_v[k]);
        }
        prev = Some(matrix(clipped, b, 1, device));
    }
    Rollout {
        log_prob: log_prob.reshape([b]),
        log_sd: log_sd.reshape([b]),
        points,
        means,
        sds,
    }
}

/// The agent with its optimiser and baseline.
struct Policy {
    agent: Agent,
    optim: ModuleOptimizer,
    baseline: Option<f64>,
    d: usize,
    device: Device,
}

impl Policy {
    fn new(d: usize, hidden: usize, seed: u64) -> Self {
        let device = Device::flex().autodiff();
        Self {
            agent: Agent::new(d, hidden.max(1), seed, &device),
            optim: AdamConfig::new().with_epsilon(1e-8).init(),
            baseline: None,
            d,
            device,
        }
    }

    fn rollout(&self, b: usize, mode: Mode) -> Rollout {
        rollout(&self.agent, self.d, b, mode, &self.device)
    }

    /// Episodes without a gradient graph.
    fn sample(&self, b: usize, mode: Mode) -> Rollout {
        let agent = self.agent.clone().no_grad();
        rollout(&agent, self.d, b, mode, &self.device)
    }

    /// One REINFORCE step on `episodes` with `rewards` (advantages divided by `scale`)
    /// plus the entropy bonus. The baseline then moves towards the rewards' mean.
    fn reinforce(&mut self, episodes: Rollout, rewards: &[f64], scale: f64, s: &RlHpoSettings) {
        let mean = rewards.iter().sum::<f64>() / rewards.len().max(1) as f64;
        let base = self.baseline.unwrap_or(mean);
        let adv: Vec<f32> = rewards
            .iter()
            .map(|r| ((r - base) / scale) as f32)
            .collect();
        let entropy = episodes.log_sd.mean().mul_scalar(s.entropy);
        let loss = (episodes.log_prob * column(adv, &self.device)).mean().neg() - entropy;
        let grads = GradientsParams::from_grads(loss.backward(), &self.agent);
        self.agent = self.optim.step(s.lr, self.agent.clone(), grads);
        let decay = s.baseline_decay.clamp(0.0, 1.0);
        self.baseline = Some(decay * base + (1.0 - decay) * mean);
    }
}

/// RL-HPO over a fixed pool: every decision trains one configuration to the last epoch.
pub struct RlHpo {
    settings: RlHpoSettings,
    seed: u64,
    rng: StdRng,
    policy: Option<Policy>,
    /// The GP on the evaluations absorbed so far.
    model: Option<RewardModel>,
    /// Configurations the agent proposed.
    proposed: BTreeSet<usize>,
    /// Evaluations already absorbed.
    absorbed: BTreeSet<usize>,
    /// The agent's evaluated proposals not yet learned from: (configuration, value).
    real: Vec<(Vec<f32>, f64)>,
    /// Real evaluations whose simulated episodes are still due.
    unspent: usize,
    /// The predictive model's errors, oldest first.
    errors: Vec<f64>,
    /// Simulated episodes per real evaluation.
    ratio: usize,
}

impl RlHpo {
    /// RL-HPO with `settings`; `seed` seeds the start-up draws, the agent's weights and
    /// every sample.
    pub fn new(settings: RlHpoSettings, seed: u64) -> Self {
        Self {
            settings,
            seed,
            rng: StdRng::seed_from_u64(seed),
            policy: None,
            model: None,
            proposed: BTreeSet::new(),
            absorbed: BTreeSet::new(),
            real: Vec::new(),
            unspent: 0,
            errors: Vec::new(),
            ratio: settings.initial_ratio.min(settings.max_ratio),
        }
    }

    /// Simulated episodes per real evaluation now.
    pub fn ratio(&self) -> usize {
        self.ratio
    }

    /// The predictive model's recorded errors, oldest first.
    pub fn errors(&self) -> &[f64] {
        &self.errors
    }

    /// The agent's greedy configuration (each value its mean given the previous means);
    /// None before the agent exists.
    pub fn policy_mean(&self) -> Option<Vec<f32>> {
        let p = self.policy.as_ref()?;
        Some(p.sample(1, Mode::Greedy).points.remove(0))
    }

    /// Takes in the evaluations that are new since the last decision: the model's error
    /// on each (trust rule), the agent's own ones as real episodes, then a refit.
    fn absorb(&mut self, history: &History) {
        let evals = evaluations(history);
        let encode =
            |c: usize| -> Vec<f64> { history.config(c).iter().map(|&v| f64::from(v)).collect() };
        let mut any = false;
        for &(c, y) in &evals {
            if !self.absorbed.insert(c) {
                continue;
            }
            any = true;
            let y = f64::from(y);
            if let Some(m) = &self.model {
                self.errors.push((m.predict(&encode(c)) - y).abs() / m.sd);
                let w = self.settings.error_window.max(1).min(self.errors.len());
                let recent = self.errors[self.errors.len() - w..].iter().sum::<f64>() / w as f64;
                self.ratio = next_ratio(self.ratio, recent, &self.settings);
            }
            if self.proposed.contains(&c) {
                self.real.push((history.config(c).to_vec(), y));
            }
            self.unspent += 1;
        }
        if any {
            let data: Vec<(Vec<f64>, f64)> = evals
                .iter()
                .map(|&(c, y)| (encode(c), f64::from(y)))
                .collect();
            self.model = RewardModel::fit(&data);
        }
    }

    /// The updates due: the real episodes, then `ratio` simulated ones per new
    /// evaluation, in updates of `episodes`.
    fn train(&mut self, d: usize) {
        let s = self.settings;
        let policy = self
            .policy
            .get_or_insert_with(|| Policy::new(d, s.hidden, self.seed ^ 0x5eed_a9e7));
        let scale = self.model.as_ref().map_or(1.0, |m| m.sd);
        let real = std::mem::take(&mut self.real);
        if !real.is_empty() {
            let (points, rewards): (Vec<Vec<f32>>, Vec<f64>) = real.into_iter().unzip();
            let episodes = policy.rollout(points.len(), Mode::Forced(&points));
            policy.reinforce(episodes, &rewards, scale, &s);
        }
        let Some(model) = &self.model else {
            return;
        };
        let batch = s.episodes.max(1);
        let updates = (self.ratio * std::mem::take(&mut self.unspent)).div_ceil(batch);
        for _ in 0..updates {
            let episodes = policy.rollout(batch, Mode::Sample(&mut self.rng));
            let rewards: Vec<f64> = episodes
                .points
                .iter()
                .map(|p| model.predict(&p.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()))
                .collect();
            policy.reinforce(episodes, &rewards, scale, &s);
        }
    }
}

impl Optimizer for RlHpo {
    fn name(&self) -> String {
        NAME.into()
    }

    fn next(&mut self, history: &History, _budget_left: usize) -> Result<Action> {
        if !(0..history.n_configs()).any(|c| history.is_open(c)) {
            return Err(history.nothing_open());
        }
        self.absorb(history);
        let running = (0..history.n_configs())
            .filter(|&c| history.held(c) == Some(Hold::Running))
            .count();
        let started = evaluations(history).len() + running;
        let d = history.n_hps();
        let config = if started < self.settings.startup || d == 0 {
            random_fresh(history, &mut self.rng).ok_or_else(|| history.nothing_open())?
        } else {
            self.train(d);
            let policy = self.policy.as_ref().expect("trained above");
            let point = policy
                .sample(1, Mode::Sample(&mut self.rng))
                .points
                .remove(0);
            let c = nearest_open(history, &point).ok_or_else(|| history.nothing_open())?;
            self.proposed.insert(c);
            c
        };
        Ok(Action {
            config,
            to_epoch: history.max_epochs(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HpoError;
    use crate::objective::Objective;
    use crate::optimise::run;
    use crate::optimizers::RandomSearch;
    use crate::optimizers::test_pools::{bump, pool_task, random_task, steps};

    #[test]
    fn rl_hpo_is_deterministic_given_the_seed() {
        let run_once = |seed| {
            let mut obj = pool_task(60, 2, 3, 1, bump);
            steps(
                &mut RlHpo::new(RlHpoSettings::default(), seed),
                &mut obj,
                60,
            )
        };
        assert_eq!(run_once(3), run_once(3));
        assert_ne!(run_once(3), run_once(4), "another seed, another run");
    }

    #[test]
    fn rl_hpo_trains_open_configurations_to_the_last_epoch_within_the_budget() {
        let mut rng = StdRng::seed_from_u64(5);
        for case in 0..12u64 {
            let configs = rng.random_range(1..20);
            let epochs = rng.random_range(1..5);
            let d = rng.random_range(0..4);
            let budget = rng.random_range(1..configs * epochs + 10);
            let settings = RlHpoSettings {
                startup: rng.random_range(0..4),
                ..RlHpoSettings::default()
            };
            let mut obj = random_task(configs, d, epochs, case);
            let mut opt = RlHpo::new(settings, case);
            let mut history = History::new(obj.configs(), epochs).unwrap();
            // Drive it by hand: every action is to the last epoch, on an open config.
            let mut spent = 0;
            while spent < budget.min(configs * epochs) {
                let a = opt.next(&history, budget - spent).unwrap();
                assert_eq!(a.to_epoch, epochs, "case {case}");
                assert!(history.is_open(a.config), "case {case}: {a:?}");
                let from = history.curve(a.config).len();
                let to = a.to_epoch.min(from + budget - spent);
                for y in obj.train(a.config, from, to).unwrap() {
                    history.observe(a.config, y).unwrap();
                    spent += 1;
                }
            }
            let want = budget.min(configs * epochs);
            assert_eq!(history.n_observed(), want, "case {case}");
            let mut obj = random_task(configs, d, epochs, case);
            let t = run(
                &mut RlHpo::new(settings, case),
                &mut obj,
                budget,
                &mut |_, _| {},
            );
            assert_eq!(t.unwrap().steps.len(), want, "case {case}");
        }
    }

    #[test]
    fn nothing_open_is_reported() {
        let s = RlHpoSettings {
            startup: 0,
            ..RlHpoSettings::default()
        };
        let empty = History::new(Vec::new(), 3).unwrap();
        assert!(matches!(
            RlHpo::new(s, 0).next(&empty, 5),
            Err(HpoError::Exhausted)
        ));
        let mut h = History::new(vec![vec![0.1, 0.2], vec![0.3, 0.4]], 1).unwrap();
        h.observe(0, 0.5).unwrap();
        h.hold(1, Hold::Running).unwrap();
        assert!(matches!(RlHpo::new(s, 0).next(&h, 5), Err(HpoError::Busy)));
    }

    #[test]
    fn log_prob_of_a_sequence_matches_the_closed_form() {
        // With the head's weights and bias at zero every step has μ = ½ and
        // σ = (σ_min + σ_max) / 2, whatever the LSTM does: log π(x) is a sum of
        // Gaussian log-densities by hand.
        let device = Device::flex().autodiff();
        let mut agent = Agent::new(3, 8, 1, &device);
        agent.head = Init::new(0, &device).linear(8, 6, true, true);
        let seqs = vec![vec![0.1f32, 0.9, 0.5], vec![0.0, 0.3, 1.0]];
        let r = rollout(&agent, 3, 2, Mode::Forced(&seqs), &device);
        let sd = (SIGMA_MIN + SIGMA_MAX) / 2.0;
        let log_n = |z: f64| {
            -(z - 0.5).powi(2) / (2.0 * sd * sd) - sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
        };
        let got = values(&r.log_prob);
        for (k, seq) in seqs.iter().enumerate() {
            let want: f64 = seq.iter().map(|&z| log_n(f64::from(z))).sum();
            assert!((got[k] - want).abs() < 1e-4, "{k}: {} vs {want}", got[k]);
            assert!(r.means[k].iter().all(|m| (m - 0.5).abs() < 1e-6));
            assert!(r.sds[k].iter().all(|s| (s - sd).abs() < 1e-6));
        }
        assert_eq!(r.points, seqs, "forced values are followed");
        // A random head: the log-density still equals the closed form at the μ and σ
        // the rollout reports, and sampled values are clipped to [0, 1].
        let mut agent = Agent::new(3, 8, 2, &device);
        agent.head = Init::new(2, &device).linear(8, 6, true, false);
        let r = rollout(&agent, 3, 2, Mode::Forced(&seqs), &device);
        for (k, seq) in seqs.iter().enumerate() {
            let want: f64 = (0..3)
                .map(|i| {
                    let (m, s, z) = (r.means[k][i], r.sds[k][i], f64::from(seq[i]));
                    -(z - m).powi(2) / (2.0 * s * s)
                        - s.ln()
                        - 0.5 * (2.0 * std::f64::consts::PI).ln()
                })
                .sum();
            assert!((values(&r.log_prob)[k] - want).abs() < 1e-4);
        }
        let mut rng = StdRng::seed_from_u64(0);
        let r = rollout(&agent, 3, 50, Mode::Sample(&mut rng), &device);
        assert!(r.points.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn trust_rule_doubles_halves_and_caps_the_ratio() {
        let s = RlHpoSettings {
            max_ratio: 20,
            low_error: 0.5,
            high_error: 1.0,
            ..RlHpoSettings::default()
        };
        assert_eq!(next_ratio(8, 0.2, &s), 16);
        assert_eq!(next_ratio(16, 0.2, &s), 20, "capped at max_ratio");
        assert_eq!(next_ratio(0, 0.2, &s), 1, "from 0 back to 1");
        assert_eq!(next_ratio(8, 0.7, &s), 8, "between the thresholds: kept");
        assert_eq!(next_ratio(8, 1.5, &s), 4);
        assert_eq!(
            next_ratio(1, 1.5, &s),
            0,
            "a bad model gets no simulated episodes"
        );
        // Through the optimiser: a pool whose values the GP cannot predict (random)
        // lowers the ratio; a constant one (errors 0) raises it to the cap.
        let run_ratio = |obj: &mut crate::TabularObjective| {
            let mut opt = RlHpo::new(s, 1);
            steps(&mut opt, obj, 30);
            (opt.ratio(), opt.errors().to_vec())
        };
        let (ratio, errors) = run_ratio(&mut random_task(40, 2, 1, 3));
        assert!(errors.len() >= 25, "{errors:?}");
        assert!(ratio < s.initial_ratio, "ratio {ratio}, errors {errors:?}");
        let (ratio, errors) = run_ratio(&mut pool_task(40, 2, 1, 3, |_| 0.5));
        assert!(errors.iter().all(|&e| e < 1e-6), "{errors:?}");
        assert_eq!(ratio, s.max_ratio);
    }

    #[test]
    fn reward_model_interpolates_its_data() {
        let data: Vec<(Vec<f64>, f64)> = (0..8)
            .map(|i| {
                let x = i as f64 / 7.0;
                (vec![x, 1.0 - x * x], 0.5 + 0.3 * (4.0 * x).sin())
            })
            .collect();
        let m = RewardModel::fit(&data).unwrap();
        for (x, y) in &data {
            assert!((m.predict(x) - y).abs() < 0.05, "{y} vs {}", m.predict(x));
        }
    }

    /// Mean distance of the policy's greedy point to the bump's peak, and the regrets of
    /// RL-HPO and random search, averaged over seeds.
    #[test]
    fn rl_hpo_learns_the_bump_and_beats_random_search() {
        let peak = [0.72f32, 0.28];
        let dist = |p: &[f32]| ((p[0] - peak[0]).powi(2) + (p[1] - peak[1]).powi(2)).sqrt();
        let budget = 2 * 20; // 20 full evaluations of 2 epochs
        let (mut before, mut after, mut rl, mut random) = (0.0, 0.0, 0.0, 0.0);
        let seeds = 0..4u64;
        let n = seeds.clone().count() as f32;
        for seed in seeds {
            let mut obj = pool_task(300, 2, 2, seed, bump);
            let best = obj.best_value();
            let s = RlHpoSettings::default();
            // The untrained agent's greedy point.
            let fresh = Policy::new(2, s.hidden, seed ^ 0x5eed_a9e7);
            before += dist(&fresh.sample(1, Mode::Greedy).points[0]);
            let mut opt = RlHpo::new(s, seed);
            let t = steps(&mut opt, &mut obj, budget);
            after += dist(&opt.policy_mean().unwrap());
            rl += best - t.last().unwrap().incumbent;
            let t = steps(&mut RandomSearch::new(seed), &mut obj, budget);
            random += best - t.last().unwrap().incumbent;
        }
        let (before, after, rl, random) = (before / n, after / n, rl / n, random / n);
        assert!(
            after < 0.5 * before,
            "greedy point's distance to the peak: {before} before, {after} after"
        );
        assert!(rl < random, "RL-HPO regret {rl} vs random {random}");
    }
}
