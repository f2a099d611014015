//! `Surrogate`: the inference door. Load a checkpoint directory, predict distributions.
//!
//! Curve ids are assigned per call: every distinct hyperparameter vector in the context
//! is one curve with its own id (1, 2, … in order of first appearance); a query whose
//! hyperparameters equal a context curve's gets that id, any other query gets 0
//! ("a curve with no context points"), as in training. The context is run through the
//! model once per call; queries go through in chunks that reuse it and never see each
//! other, so a query's prediction does not depend on which other queries are asked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use thaw_prior::{FEATURES, MAX_CURVE_ID, MAX_HPS, encode_token};

use crate::bar::BarDistribution;
use crate::checkpoint::{self, CheckpointConfig, WEIGHTS_FILE};
use crate::error::{PfnError, Result};
use crate::model::history::{HISTORY_FEATURES, history_features};
use crate::model::input::standardise;
use crate::model::{Pfn, TokenTensors};

/// Most context tokens one call accepts (a memory bound). A model is only trained on
/// contexts up to its training `seq_len` (400 for `adam-pfn-small`); longer ones work
/// but are extrapolation.
pub const MAX_CONTEXT: usize = 10_000;

/// An observed point of a learning curve: hyperparameters (each in [0, 1]), progress
/// t ∈ [0, 1] and value y ∈ [0, 1] (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Hyperparameters in [0, 1] (at most 10).
    pub hps: Vec<f32>,
    /// Progress in [0, 1] (epoch / max epochs).
    pub t: f32,
    /// Observed value in [0, 1].
    pub y: f32,
}

/// A point to predict: hyperparameters and progress t.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Hyperparameters in [0, 1] (at most 10).
    pub hps: Vec<f32>,
    /// Progress in [0, 1].
    pub t: f32,
}

/// The predictive distribution at one query.
#[derive(Debug, Clone, PartialEq)]
pub struct BarPredictive {
    dist: BarDistribution,
}

impl From<BarDistribution> for BarPredictive {
    fn from(dist: BarDistribution) -> Self {
        Self { dist }
    }
}

impl BarPredictive {
    /// Mean.
    pub fn mean(&self) -> f64 {
        self.dist.mean()
    }
    /// Variance.
    pub fn variance(&self) -> f64 {
        self.dist.variance()
    }
    /// Quantile at level `q` ∈ [0, 1].
    pub fn quantile(&self, q: f64) -> f64 {
        self.dist.quantile(q)
    }
    /// Log-density at `y` (≤ ln n_bins; −∞ outside [0, 1]).
    pub fn log_pdf(&self, y: f64) -> f64 {
        self.dist.log_density(y)
    }
    /// Probability of improvement over `f`: P(y > f).
    pub fn pi(&self, f: f64) -> f64 {
        self.dist.pi(f)
    }
    /// Expected improvement over `f`: E[max(y − f, 0)].
    pub fn ei(&self, f: f64) -> f64 {
        self.dist.ei(f)
    }
    /// Upper confidence bound: quantile(0.841).
    pub fn ucb(&self) -> f64 {
        self.dist.ucb()
    }
    /// Lower confidence bound: quantile(0.159).
    pub fn lcb(&self) -> f64 {
        self.dist.lcb()
    }
    /// The full bar distribution.
    pub fn distribution(&self) -> &BarDistribution {
        &self.dist
    }
}

/// A trained PFN ready to predict.
pub struct Surrogate {
    model: Pfn,
    config: CheckpointConfig,
    device: Device,
    chunk: usize,
    /// Where it was loaded from (named in errors); `None` for an in-memory model.
    dir: Option<PathBuf>,
    /// Whether queries carry their curve's id (the ablation of `without_query_ids`).
    query_ids: bool,
}

impl Surrogate {
    /// Loads `dir` (config.json + model.safetensors) onto the CPU.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_on(dir, Device::flex())
    }

    /// Loads `dir` onto `device`.
    pub fn load_on(dir: &Path, device: Device) -> Result<Self> {
        let config = checkpoint::read_config(dir)?;
        let model = checkpoint::load_weights(&config.model, &dir.join(WEIGHTS_FILE), &device)?;
        Ok(Self {
            model,
            config,
            device,
            chunk: 2000,
            dir: Some(dir.to_path_buf()),
            query_ids: true,
        })
    }

    /// Wraps an in-memory model (for tests and training-time evaluation).
    pub fn from_model(model: Pfn, config: CheckpointConfig, device: Device) -> Self {
        Self {
            model,
            config,
            device,
            chunk: 2000,
            dir: None,
            query_ids: true,
        }
    }

    /// Uses chunks of `chunk` queries per forward pass (default 2000).
    pub fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    /// Queries no longer carry their curve's id, as if every configuration were new (the
    /// context keeps its ids): the ablation behind the id gain, the model's use of a
    /// curve's own points. Training validation zeroes ids the same way.
    pub fn without_query_ids(mut self) -> Self {
        self.query_ids = false;
        self
    }

    /// History features of the context and of the queries (`model::history`), computed
    /// once per call; zeros for a model without the history extension, which ignores them.
    fn history(
        &self,
        context: &[Observation],
        ctx_ids: &[i64],
        queries: &[Query],
        q_ids: &[i64],
    ) -> (Vec<f32>, Vec<f32>) {
        if !self.config.model.history {
            return (
                vec![0.0; ctx_ids.len() * HISTORY_FEATURES],
                vec![0.0; q_ids.len() * HISTORY_FEATURES],
            );
        }
        let ctx_t: Vec<f32> = context.iter().map(|o| o.t).collect();
        let ctx_y: Vec<f32> = context.iter().map(|o| o.y).collect();
        let q_t: Vec<f32> = queries.iter().map(|q| q.t).collect();
        (
            history_features(ctx_ids, &ctx_t, &ctx_y, ctx_ids, &ctx_t),
            history_features(ctx_ids, &ctx_t, &ctx_y, q_ids, &q_t),
        )
    }

    /// The checkpoint's configuration.
    pub fn config(&self) -> &CheckpointConfig {
        &self.config
    }

    /// BarPredictive distributions of `queries` given the observed `context`, in query order.
    pub fn predict(
        &self,
        context: &[Observation],
        queries: &[Query],
    ) -> Result<Vec<BarPredictive>> {
        validate(context, queries)?;
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        // Curve ids by exact hyperparameter vector: a hash lookup, since a BO step may
        // pass thousands of context points and queries.
        let mut curves: HashMap<Vec<u32>, i64> = HashMap::new();
        let mut ctx_ids = Vec::with_capacity(context.len());
        let mut ctx_x = vec![0.0; context.len() * FEATURES];
        let mut ctx_y = Vec::with_capacity(context.len());
        for (i, o) in context.iter().enumerate() {
            let next = curves.len() as i64 + 1;
            ctx_ids.push(*curves.entry(curve_key(&o.hps)).or_insert(next));
            encode_token(o.t, &o.hps, &mut ctx_x[i * FEATURES..(i + 1) * FEATURES])?;
            ctx_y.push(standardise(o.y));
        }
        if curves.len() > MAX_CURVE_ID {
            return Err(PfnError::InvalidInput(format!(
                "the context has {} distinct configurations; at most {MAX_CURVE_ID} are supported",
                curves.len()
            )));
        }
        let q_ids: Vec<i64> = queries
            .iter()
            .map(|q| match self.query_ids {
                true => curves.get(&curve_key(&q.hps)).copied().unwrap_or(0),
                false => 0,
            })
            .collect();

        let n = context.len();
        let (ctx_history, q_history) = self.history(context, &ctx_ids, queries, &q_ids);
        let tokens = TokenTensors::new(&ctx_ids, &ctx_x, ctx_history, 1, n, &self.device);
        let y = Tensor::from_data(TensorData::new(ctx_y, [1, n]), &self.device);
        let cache = self.model.encode_context(tokens, y);

        let mut out = Vec::with_capacity(queries.len());
        let batches = queries
            .chunks(self.chunk)
            .zip(q_ids.chunks(self.chunk))
            .zip(q_history.chunks(self.chunk * HISTORY_FEATURES));
        for ((chunk, ids), history) in batches {
            let m = chunk.len();
            let mut x = vec![0.0; m * FEATURES];
            for (i, q) in chunk.iter().enumerate() {
                encode_token(q.t, &q.hps, &mut x[i * FEATURES..(i + 1) * FEATURES])?;
            }
            let tokens = TokenTensors::new(ids, &x, history.to_vec(), 1, m, &self.device);
            let logits = self.model.predict(&cache, tokens);
            let values: Vec<f32> = logits
                .into_data()
                .try_to_vec()
                .map_err(|e| PfnError::Device(format!("cannot read predictions: {e:?}")))?;
            for row in values.chunks_exact(self.config.model.n_bins) {
                let dist = BarDistribution::from_logits(row).ok_or_else(|| {
                    let what = "the model produced non-finite logits (NaN or infinite weights?)";
                    match &self.dir {
                        Some(d) => PfnError::checkpoint(d, what),
                        None => PfnError::InvalidInput(what.into()),
                    }
                })?;
                out.push(BarPredictive { dist });
            }
        }
        Ok(out)
    }
}

/// The identity of a configuration: its hyperparameters' bits (−0 counted as 0, so keys
/// are equal exactly when the vectors compare equal; values are validated finite).
fn curve_key(hps: &[f32]) -> Vec<u32> {
    hps.iter().map(|h| (h + 0.0).to_bits()).collect()
}

/// Checks every value (ranges, counts, one number of hyperparameters throughout).
fn validate(context: &[Observation], queries: &[Query]) -> Result<()> {
    let bad = |m: String| Err(PfnError::InvalidInput(m));
    if context.is_empty() {
        return bad("the context is empty: observe at least one point first".into());
    }
    if context.len() > MAX_CONTEXT {
        return bad(format!(
            "{} context points; at most {MAX_CONTEXT} per call",
            context.len()
        ));
    }
    let n_hps = context[0].hps.len();
    let unit = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
    let check = |kind: &str, i: usize, hps: &[f32], t: f32, y: Option<f32>| -> Result<()> {
        if hps.len() > MAX_HPS {
            return bad(format!(
                "{kind} {i}: {} hyperparameters, at most {MAX_HPS}",
                hps.len()
            ));
        }
        if hps.len() != n_hps {
            return bad(format!(
                "{kind} {i}: {} hyperparameters, the first context point has {n_hps}",
                hps.len()
            ));
        }
        if let Some(j) = hps.iter().position(|&h| !unit(h)) {
            return bad(format!(
                "{kind} {i}: hyperparameter {j} = {} is not in [0, 1]",
                hps[j]
            ));
        }
        if !unit(t) {
            return bad(format!("{kind} {i}: t = {t} is not in [0, 1]"));
        }
        if let Some(y) = y.filter(|&y| !unit(y)) {
            return bad(format!("{kind} {i}: y = {y} is not in [0, 1]"));
        }
        Ok(())
    };
    for (i, o) in context.iter().enumerate() {
        check("context point", i, &o.hps, o.t, Some(o.y))?;
    }
    for (i, q) in queries.iter().enumerate() {
        check("query", i, &q.hps, q.t, None)?;
    }
    Ok(())
}
