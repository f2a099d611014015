//! `thaw predict`: load a checkpoint, show it part of a task's curves, predict the rest —
//! with `eval-lc`'s draw and scoring, so its numbers are one draw of that benchmark.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use thaw_bench::lc::Draw;
use thaw_bench::score::score;
use thaw_data::{Task, load_tasks};
use thaw_hpo::models::PfnModel;
use thaw_hpo::{CurveModel, Predictive};
use thaw_pfn::Surrogate;
use thaw_pfn::checkpoint::{CheckpointConfig, shipped};

use super::task_select;
use crate::args::{CheckpointsArg, DeviceArg};

/// Arguments of `thaw predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Checkpoint: adam-pfn, adam-pfn-small, ft-pfn or a directory (model.safetensors +
    /// config.json).
    #[arg(long, default_value = "adam-pfn")]
    checkpoint: String,
    #[command(flatten)]
    checkpoints: CheckpointsArg,
    /// Parquet file of tasks.
    #[arg(long, default_value_os_t = crate::paths::taskset_parquet())]
    data: PathBuf,
    /// Task to predict (a unique prefix is enough) [default: the checkpoint's first validation task].
    #[arg(long)]
    task: Option<String>,
    /// Observed points given to the model: prefixes of random configurations, drawn as
    /// in `eval-lc` (the final epoch is never observed).
    #[arg(long, default_value_t = 400)]
    context: usize,
    /// Seed of the choice of partial curves.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Rows to show (configurations with the best predicted final value).
    #[arg(long, default_value_t = 10)]
    show: usize,
    #[command(flatten)]
    device: DeviceArg,
}

/// Runs `thaw predict`.
pub fn run(a: PredictArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let dir = shipped::resolve(&a.checkpoint, &a.checkpoints.checkpoints)
        .map_or_else(|| PathBuf::from(&a.checkpoint), |r| r.1);
    let surrogate = Surrogate::load_on(&dir, a.device.select()?)?;
    let config = surrogate.config().clone();
    let tasks =
        load_tasks(&a.data, None).with_context(|| format!("loading {}", a.data.display()))?;
    let task = choose(&a, &config, &tasks)?;
    let draw = Draw::new(task, a.context, a.seed)?;
    let model = PfnModel::new("PFN", surrogate);
    let started = std::time::Instant::now();
    let preds = model.predict(&draw.history, &draw.queries)?;
    let secs = started.elapsed().as_secs_f64();
    let sc = score(&preds, &draw.truth);
    let held_out = if config.trained_on(&task.name) {
        "TRAINED ON this task: not a held-out evaluation"
    } else {
        "held out from training"
    };
    writeln!(out, "task {} ({held_out})", task.name)?;
    writeln!(
        out,
        "context: {} observed points on {} of {} configurations; {} queried at epoch {}",
        a.context,
        draw.prefixes.iter().filter(|&&k| k > 0).count(),
        task.curves.configs,
        draw.queries.len(),
        task.curves.epochs
    )?;
    writeln!(
        out,
        "log-likelihood (density, mean) {:.3}   MSE {:.5}   predict {:.0} ms\n",
        sc.ll,
        sc.mse,
        secs * 1e3
    )?;
    table(out, task, &draw, &preds, a.show)
}

/// The task of `--task`, or the checkpoint's first validation task (any task for a
/// model trained on no real task, such as FT-PFN).
fn choose<'t>(
    a: &PredictArgs,
    c: &CheckpointConfig,
    tasks: &'t [Task],
) -> anyhow::Result<&'t Task> {
    let names: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
    let name = match &a.task {
        Some(want) => task_select::resolve(want, &names)?,
        None => c
            .val_tasks()
            .first()
            .or(names.first().filter(|_| c.train_tasks().is_empty()))
            .cloned()
            .context("the checkpoint has no validation task; pass --task")?,
    };
    tasks
        .iter()
        .find(|t| t.name == name)
        .with_context(|| format!("task {name} is not in {}", a.data.display()))
}

/// The 90 % interval of a prediction.
fn interval(p: &Predictive) -> (f64, f64) {
    match p {
        Predictive::Bar(b) => (b.quantile(0.05), b.quantile(0.95)),
        other => (
            other.mean() - 1.645 * other.std(),
            other.mean() + 1.645 * other.std(),
        ),
    }
}

fn table(
    out: &mut dyn Write,
    task: &Task,
    draw: &Draw,
    preds: &[Predictive],
    show: usize,
) -> anyhow::Result<()> {
    let c = &task.curves;
    let mut order: Vec<usize> = (0..preds.len()).collect();
    order.sort_by(|&i, &j| preds[j].mean().total_cmp(&preds[i].mean()));
    writeln!(
        out,
        "{:>6} {:>8} {:>8} {:>9} {:>17} {:>8}",
        "config", "observed", "last y", "predicted", "90% interval", "true y"
    )?;
    for &i in order.iter().take(show) {
        let k = draw.queries[i].config;
        let seen = draw.prefixes[k];
        let last = if seen > 0 {
            format!("{:.4}", c.y_at(k, seen - 1))
        } else {
            "-".into()
        };
        let (lo, hi) = interval(&preds[i]);
        writeln!(
            out,
            "{:>6} {:>8} {:>8} {:>9.4} {:>8.4}–{:<8.4} {:>8.4}",
            k,
            seen,
            last,
            preds[i].mean(),
            lo,
            hi,
            draw.truth[i]
        )?;
    }
    Ok(())
}
