//! The learning-curve extrapolation benchmark (reference §5): per task, context size
//! and draw, observe partial curves totalling the context size, predict every
//! configuration's final value, score log-likelihood (density) and MSE, time it.

use std::time::Instant;

use burn::tensor::Device;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rayon::prelude::*;
use thaw_data::Task;
use thaw_hpo::{At, History};

use crate::error::{BenchError, Result};
use crate::method::Method;
use crate::sampler::sample_prefixes;
use crate::score::{Score, score};

/// What to run.
#[derive(Debug, Clone)]
pub struct LcSettings {
    /// Context sizes (observed points per draw).
    pub contexts: Vec<usize>,
    /// Draws per task and context size.
    pub draws: usize,
    /// Seed of every draw and of the neural baselines.
    pub seed: u64,
    /// Score PFN checkpoints on their own training tasks (marked in the results).
    pub allow_train_tasks: bool,
    /// Draws evaluated at once (each on its own thread).
    pub threads: usize,
    /// Device of the curve models.
    pub device: Device,
}

/// One (method, task, context, draw) result.
#[derive(Debug, Clone, PartialEq)]
pub struct LcRecord {
    /// Method name.
    pub method: String,
    /// Task name.
    pub task: String,
    /// Context size.
    pub context: usize,
    /// Draw index.
    pub draw: usize,
    /// Mean log-density of the true final values.
    pub ll: f64,
    /// Mean squared error of the predictive means.
    pub mse: f64,
    /// The same two scores over the started configurations only (≥ 1 observed epoch;
    /// none if the draw started none).
    pub started: Option<Score>,
    /// The same two scores over the unstarted configurations only.
    pub unstarted: Option<Score>,
    /// Seconds spent fitting.
    pub fit_s: f64,
    /// Seconds spent predicting.
    pub predict_s: f64,
    /// Configurations queried.
    pub queries: usize,
    /// Observed configurations (the rest were unobserved).
    pub observed_configs: usize,
    /// The PFN checkpoint had trained on this task (only with `allow_train_tasks`).
    pub trained_on_task: bool,
}

/// Seed of one draw: a fixed mix of the run seed, task index, context and draw.
pub fn draw_seed(seed: u64, task: usize, context: usize, draw: usize) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for v in [task as u64, context as u64, draw as u64] {
        h = (h ^ v).wrapping_mul(0x100_0000_01B3).rotate_left(29) ^ 0xBF58_476D_1CE4_E5B9;
    }
    h
}

/// Every context size must fit every task: 1 ..= configurations × (epochs − 1) (the
/// final epoch is never observed). Callers with work to do first (fold models) check
/// this before it.
pub fn check_contexts(tasks: &[Task], contexts: &[usize]) -> Result<()> {
    for task in tasks {
        for &n in contexts {
            let c = &task.curves;
            if n == 0 || n > c.configs * (c.epochs.max(1) - 1) {
                return Err(BenchError::InvalidArgument(format!(
                    "context {n} does not fit task {} ({} configurations × {} epochs)",
                    task.name, c.configs, c.epochs
                )));
            }
        }
    }
    Ok(())
}

/// Runs every method on every (task, context, draw); `progress` is called after each
/// finished (task, context, draw). Leave-tasks-out is checked for every PFN method
/// and task before anything runs.
pub fn run(
    tasks: &[Task],
    methods: &[Method],
    settings: &LcSettings,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<LcRecord>> {
    let mut checkpoints = Vec::new();
    for task in tasks {
        let row: Vec<_> = methods
            .iter()
            .map(|m| m.checkpoint_for(&task.name, settings.allow_train_tasks))
            .collect::<Result<_>>()?;
        checkpoints.push(row);
    }
    check_contexts(tasks, &settings.contexts)?;
    let units: Vec<(usize, usize, usize)> = (0..tasks.len())
        .flat_map(|t| {
            settings
                .contexts
                .iter()
                .flat_map(move |&n| (0..settings.draws).map(move |d| (t, n, d)))
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.max(1))
        .build()
        .map_err(|e| BenchError::InvalidArgument(format!("thread pool: {e}")))?;
    let results: Vec<Result<Vec<LcRecord>>> = pool.install(|| {
        units
            .par_iter()
            .map(|&(t, n, d)| {
                let unit = Unit {
                    task: &tasks[t],
                    task_index: t,
                    context: n,
                    draw: d,
                };
                let out = run_draw(&unit, methods, &checkpoints[t], settings);
                progress();
                out
            })
            .collect()
    });
    let mut records = Vec::new();
    for r in results {
        records.extend(r?);
    }
    Ok(records)
}

/// One draw of one benchmark: the partial curves observed and what is asked.
pub struct Draw {
    /// Observed prefix length of every configuration (0 = unobserved).
    pub prefixes: Vec<usize>,
    /// The observed points.
    pub history: History,
    /// Every configuration at its final epoch.
    pub queries: Vec<At>,
    /// The true final value of each query.
    pub truth: Vec<f64>,
}

impl Draw {
    /// Partial curves of `task` totalling `context` points, drawn with `seed` by
    /// [`sample_prefixes`]; every configuration is queried at its final epoch.
    pub fn new(task: &Task, context: usize, seed: u64) -> Result<Self> {
        let c = &task.curves;
        let prefixes = sample_prefixes(
            c.configs,
            c.epochs,
            context,
            &mut StdRng::seed_from_u64(seed),
        )?;
        let configs: Vec<Vec<f32>> = (0..c.configs).map(|k| c.hp(k).to_vec()).collect();
        let bad =
            |e: thaw_hpo::HpoError| BenchError::InvalidArgument(format!("task {}: {e}", task.name));
        let mut history = History::new(configs, c.epochs).map_err(bad)?;
        for (k, &len) in prefixes.iter().enumerate() {
            history.observe_prefix(k, &c.curve(k)[..len]).map_err(bad)?;
        }
        let queries = (0..c.configs)
            .map(|k| At {
                config: k,
                epoch: c.epochs,
            })
            .collect();
        let truth = c.final_y().into_iter().map(f64::from).collect();
        Ok(Self {
            prefixes,
            history,
            queries,
            truth,
        })
    }
}

/// One (task, context, draw) of a benchmark run.
struct Unit<'a> {
    task: &'a Task,
    task_index: usize,
    context: usize,
    draw: usize,
}

/// One draw of one task at one context size, every method.
fn run_draw(
    u: &Unit,
    methods: &[Method],
    checkpoints: &[Option<(std::path::PathBuf, bool)>],
    settings: &LcSettings,
) -> Result<Vec<LcRecord>> {
    let s = draw_seed(settings.seed, u.task_index, u.context, u.draw);
    let d = Draw::new(u.task, u.context, s)?;
    let model_err = |method: &str, source: thaw_hpo::HpoError| BenchError::Model {
        method: method.into(),
        task: u.task.name.clone(),
        context: u.context,
        draw: u.draw,
        source: Box::new(source),
    };
    let mut out = Vec::with_capacity(methods.len());
    for (method, ckpt) in methods.iter().zip(checkpoints) {
        let name = method.name();
        let dir = ckpt.as_ref().map(|(p, _)| p.as_path());
        let mut model = method.build(s ^ 0x5EED, dir, &settings.device)?;
        let t0 = Instant::now();
        model.fit(&d.history).map_err(|e| model_err(&name, e))?;
        let t1 = Instant::now();
        let preds = model
            .predict(&d.history, &d.queries)
            .map_err(|e| model_err(&name, e))?;
        let t2 = Instant::now();
        let sc = score(&preds, &d.truth);
        let part = |started: bool| {
            let (p, t): (Vec<_>, Vec<_>) = d
                .queries
                .iter()
                .zip(preds.iter().zip(&d.truth))
                .filter(|(q, _)| (d.prefixes[q.config] > 0) == started)
                .map(|(_, (p, t))| (p.clone(), *t))
                .unzip();
            (!t.is_empty()).then(|| score(&p, &t))
        };
        out.push(LcRecord {
            method: name,
            task: u.task.name.clone(),
            context: u.context,
            draw: u.draw,
            ll: sc.ll,
            mse: sc.mse,
            started: part(true),
            unstarted: part(false),
            fit_s: (t1 - t0).as_secs_f64(),
            predict_s: (t2 - t1).as_secs_f64(),
            queries: d.queries.len(),
            observed_configs: d.prefixes.iter().filter(|&&k| k > 0).count(),
            trained_on_task: ckpt.as_ref().is_some_and(|(_, seen)| *seen),
        });
    }
    Ok(out)
}
