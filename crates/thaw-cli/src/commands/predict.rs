//! `thaw predict`: load a checkpoint, show it part of a task's curves, predict the rest.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rand::SeedableRng;
use rand::rngs::StdRng;
use thaw_data::load_tasks;
use thaw_pfn::Surrogate;
use thaw_pfn::surrogate::{Observation, Query};
use thaw_prior::{MAX_CURVE_ID, layout_slots};

use super::task_select;

/// Arguments of `thaw predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Checkpoint directory (model.safetensors + config.json).
    #[arg(long, default_value = "checkpoints/adam-pfn-small")]
    checkpoint: PathBuf,
    /// Parquet file of tasks.
    #[arg(long, default_value = "data/parquet/taskset.parquet")]
    data: PathBuf,
    /// Task to predict (a unique prefix is enough) [default: the checkpoint's first validation task].
    #[arg(long)]
    task: Option<String>,
    /// Observed points given to the model (partial curves, as in the LC-extrapolation benchmark).
    #[arg(long, default_value_t = 400)]
    context: usize,
    /// Seed of the choice of partial curves.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Rows to show (configurations with the best predicted final value).
    #[arg(long, default_value_t = 10)]
    show: usize,
}

/// Runs `thaw predict`.
pub fn run(a: PredictArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let surrogate = Surrogate::load(&a.checkpoint)?;
    let data = &surrogate.config().data;
    let list = |key: &str| -> Vec<String> {
        data.get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    };
    let (trained_on, validated_on) = (list("train_tasks"), list("val_tasks"));
    let all = load_tasks(&a.data, None).with_context(|| format!("loading {}", a.data.display()))?;
    let names: Vec<String> = all.iter().map(|t| t.name.clone()).collect();
    let name = match &a.task {
        Some(want) => task_select::resolve(want, &names)?,
        // A model trained on no real task (FT-PFN) has every task held out.
        None => validated_on
            .first()
            .or(names.first().filter(|_| trained_on.is_empty()))
            .cloned()
            .context("the checkpoint has no validation task; pass --task")?,
    };
    let task = all
        .iter()
        .find(|t| t.name == name)
        .context("task not in the data file")?;
    let c = &task.curves;
    let curves = c.configs.min(MAX_CURVE_ID);
    let n = a.context.clamp(1, curves * c.epochs);
    let mut rng = StdRng::seed_from_u64(a.seed);
    let layout = layout_slots(curves, c.epochs, n, n, &mut rng)?;

    let mut seen = vec![0usize; curves];
    let context: Vec<Observation> = layout
        .curve
        .iter()
        .zip(&layout.epoch)
        .map(|(&k, &e)| {
            seen[k] = seen[k].max(e);
            Observation {
                hps: c.hp(k).to_vec(),
                t: e as f32 / c.epochs as f32,
                y: c.y_at(k, e - 1),
            }
        })
        .collect();
    // Query the final epoch of every configuration whose final value is not in the context.
    let open: Vec<usize> = (0..curves).filter(|&k| seen[k] < c.epochs).collect();
    let queries: Vec<Query> = open
        .iter()
        .map(|&k| Query {
            hps: c.hp(k).to_vec(),
            t: 1.0,
        })
        .collect();
    let started = std::time::Instant::now();
    let preds = surrogate.predict(&context, &queries)?;
    let secs = started.elapsed().as_secs_f64();

    let truth: Vec<f64> = open
        .iter()
        .map(|&k| c.y_at(k, c.epochs - 1) as f64)
        .collect();
    let ll = preds
        .iter()
        .zip(&truth)
        .map(|(p, &y)| p.log_pdf(y))
        .sum::<f64>()
        / truth.len() as f64;
    let mse = preds
        .iter()
        .zip(&truth)
        .map(|(p, &y)| (p.mean() - y).powi(2))
        .sum::<f64>()
        / truth.len() as f64;
    let held_out = if trained_on.contains(&name) {
        "TRAINED ON this task: not a held-out evaluation"
    } else {
        "held out from training"
    };
    writeln!(out, "task {name} ({held_out})")?;
    writeln!(
        out,
        "context: {n} observed points on {} of {curves} configurations; {} queried at epoch {}",
        seen.iter().filter(|&&s| s > 0).count(),
        open.len(),
        c.epochs
    )?;
    writeln!(
        out,
        "log-likelihood (density, mean) {ll:.3}   MSE {mse:.5}   predict {:.0} ms",
        secs * 1e3
    )?;
    writeln!(out)?;
    let mut order: Vec<usize> = (0..open.len()).collect();
    order.sort_by(|&i, &j| preds[j].mean().total_cmp(&preds[i].mean()));
    writeln!(
        out,
        "{:>6} {:>8} {:>8} {:>9} {:>17} {:>8}",
        "config", "observed", "last y", "predicted", "90% interval", "true y"
    )?;
    for &i in order.iter().take(a.show) {
        let k = open[i];
        let last = if seen[k] > 0 {
            format!("{:.4}", c.y_at(k, seen[k] - 1))
        } else {
            "-".into()
        };
        let p = &preds[i];
        writeln!(
            out,
            "{:>6} {:>8} {:>8} {:>9.4} {:>8.4}–{:<8.4} {:>8.4}",
            k,
            seen[k],
            last,
            p.mean(),
            p.quantile(0.05),
            p.quantile(0.95),
            truth[i]
        )?;
    }
    Ok(())
}
