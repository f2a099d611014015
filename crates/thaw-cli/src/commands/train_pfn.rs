//! `train-pfn`: train a PFN surrogate on a prior and write a checkpoint directory.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::json;
use thaw_data::{CdfAugment, MixupConfig, load_tasks, read_benchmark};
use thaw_pfn::checkpoint::{self, CONFIG_FILE};
use thaw_pfn::train::{TrainConfig, TrainRun};
use thaw_pfn::{PfnConfig, device};
use thaw_prior::{Augment, ContextSize, FtPfnPrior, HpCount, Prior, TaskSetPrior};

use super::progress::TrainProgress;
use super::task_select;

const EXAMPLES: &str = "\
Examples:
  # a quick look (tiny model, a minute on a laptop)
  train-pfn --model tiny --steps 200 --out /tmp/pfn-tiny
  # the shipped Adam-PFN (small): train on 6 TaskSet tasks, validate on the other 2
  train-pfn --prior taskset --data data/parquet/taskset.parquet \\
      --val-tasks FixedTextRNNClassification_imdb_patch32_GRU128_bs128,FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64 \\
      --augment cdf --model small --steps 2500 --batch 8 --seq-len 400 --lr 3e-4 --seed 0 \\
      --val-every 250 --val-batches 8 --checkpoint-every 250 --out checkpoints/adam-pfn-small
  # the shipped FT-PFN (small): synthetic ifBO prior, validated on unseen synthetic tasks
  train-pfn --prior ftpfn --model small --steps 3000 --batch 8 --seq-len 500 --lr 3e-4 \\
      --seed 0 --val-every 250 --val-batches 8 --checkpoint-every 250 --data-parallel 2 \\
      --out checkpoints/ft-pfn-small
  # continue an interrupted run exactly where its last checkpoint left off
  train-pfn --out checkpoints/adam-pfn-small --resume

Task lists: `all`, `all-but:NAME,NAME`, or `NAME,NAME`; a name may be shortened to any
prefix that matches one task. Validation NLL is the mean negative log-density of the
query targets of fixed held-out batches (lower is better; a uniform guess scores 0).
The id gain beside it is how much worse the queries of curves that have context points
get when their curve ids are zeroed: the model's use of a curve's own points. It stays
near 0 early in training and rises in a late transition; a surrogate with gain ≈ 0 will
not tell a dead curve from a promising one in ifBO. With --prior ftpfn those batches are synthetic tasks drawn from a seed stream that
training never uses; --data, --train-tasks, --val-tasks and --augment do not apply.";

/// Train a PFN surrogate (Adam-PFN on real TaskSet curves, FT-PFN on the synthetic ifBO
/// prior) and save a checkpoint.
///
/// Writes <out>/model.safetensors, config.json (architecture, data, seed, metrics),
/// train.jsonl (the log: step, loss, lr, grad norm, tokens/s, validation NLL and id gain) and
/// resume/ (optimiser state for --resume). Every file is replaced atomically.
#[derive(Debug, Parser)]
#[command(name = "train-pfn", version, after_help = EXAMPLES)]
pub struct TrainArgs {
    /// Prior: taskset (real curves, Adam-PFN) or ftpfn (synthetic ifBO curves) [default: taskset].
    #[arg(long)]
    prior: Option<String>,
    /// Parquet file of tasks (from `thaw data import`) [default: data/parquet/taskset.parquet].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Tasks to train on [default: all-but the validation tasks].
    #[arg(long)]
    train_tasks: Option<String>,
    /// Held-out tasks for validation NLL [default: none].
    #[arg(long)]
    val_tasks: Option<String>,
    /// Augmentation: cdf (Beta-CDF warp per sequence), mixup (per batch) or none [default: cdf].
    #[arg(long)]
    augment: Option<String>,
    /// Architecture preset: tiny, small or paper [default: small].
    #[arg(long)]
    model: Option<String>,
    /// Override the preset's width.
    #[arg(long)]
    d_model: Option<usize>,
    /// Override the preset's number of layers.
    #[arg(long)]
    layers: Option<usize>,
    /// Override the preset's attention heads.
    #[arg(long)]
    heads: Option<usize>,
    /// Override the preset's feed-forward width.
    #[arg(long)]
    d_ff: Option<usize>,
    /// Override the preset's decoder width.
    #[arg(long)]
    d_decoder: Option<usize>,
    /// Override the preset's number of output bins.
    #[arg(long)]
    bins: Option<usize>,
    /// Optimiser steps [default: 1000].
    #[arg(long)]
    steps: Option<u64>,
    /// Sequences per batch [default: 8].
    #[arg(long)]
    batch: Option<usize>,
    /// Tokens per sequence, context + queries [default: 500].
    #[arg(long)]
    seq_len: Option<usize>,
    /// Peak learning rate [default: 1e-4].
    #[arg(long)]
    lr: Option<f64>,
    /// Warm-up fraction of the steps [default: 0.25].
    #[arg(long)]
    warmup: Option<f64>,
    /// AdamW weight decay [default: 0].
    #[arg(long)]
    weight_decay: Option<f64>,
    /// Global gradient-norm clip [default: 1.0].
    #[arg(long)]
    clip: Option<f64>,
    /// Seed of every random choice [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Validate every N steps (0: only at the end) [default: 100].
    #[arg(long)]
    val_every: Option<u64>,
    /// Number of fixed validation batches [default: 4].
    #[arg(long)]
    val_batches: Option<usize>,
    /// Checkpoint every N steps (0: only at the end) [default: 500].
    #[arg(long)]
    checkpoint_every: Option<u64>,
    /// Log to train.jsonl every N steps [default: 10].
    #[arg(long)]
    log_every: Option<u64>,
    /// Split every batch across N threads (CPU: 2 keeps both cores busy) [default: 1].
    #[arg(long)]
    data_parallel: Option<usize>,
    /// Checkpoint directory.
    #[arg(long)]
    out: PathBuf,
    /// Continue the run in --out from its last checkpoint (same settings; flags may be omitted).
    #[arg(long)]
    resume: bool,
    /// Stop with a checkpoint once this many steps are done (continue later with --resume).
    #[arg(long, value_name = "STEP")]
    pause_at: Option<u64>,
    /// Device: cpu (always), wgpu or cuda (builds with those features).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Data and prior of a run, as recorded in config.json.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct DataSpec {
    prior: String,
    /// Parquet file of real tasks (taskset prior only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<PathBuf>,
    #[serde(default)]
    train_tasks: Vec<String>,
    #[serde(default)]
    val_tasks: Vec<String>,
    #[serde(default = "no_augment")]
    augment: String,
}

fn no_augment() -> String {
    "none".into()
}

/// Runs `train-pfn` with `args` (the first is the program name).
pub fn run<I, T>(args: I, out: &mut dyn Write) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = TrainArgs::try_parse_from(args)?;
    let (config, spec) = if args.resume {
        resumed(&args)?
    } else {
        fresh(&args)?
    };
    let device = device::select(&args.device)?;
    let (prior, val_prior) = priors(&spec)?;
    writeln!(
        out,
        "training {} ({} parameters) on {}, {} steps of {}×{} tokens on {}",
        describe(&config.model),
        config.model.num_params(),
        describe_data(&spec),
        config.steps,
        config.batch,
        config.seq_len,
        args.device
    )?;
    let mut progress = TrainProgress::new(args.quiet);
    let run = TrainRun {
        config,
        prior: prior.as_ref(),
        val_prior: val_prior.as_deref(),
        data: serde_json::to_value(&spec)?,
        out: args.out.clone(),
        resume: args.resume,
        device,
        device_name: args.device.clone(),
        git_revision: git_revision(),
        pause_at: args.pause_at,
    };
    let outcome = run.run(&mut progress);
    progress.finish();
    let outcome = outcome?;
    writeln!(
        out,
        "done: {} steps, loss(ema) {}, validation NLL {} (id gain {}), {:.0} s; checkpoint in {}",
        outcome.step,
        outcome.loss_ema.map_or("-".into(), |v| format!("{v:.4}")),
        outcome.val_nll.map_or("-".into(), |v| format!("{v:.4}")),
        outcome
            .val_id_gain
            .map_or("-".into(), |v| format!("{v:+.3}")),
        outcome.wall_time_s,
        args.out.display()
    )?;
    Ok(())
}

type BoxedPrior = Box<dyn Prior + Sync>;

/// The training prior and the validation prior of `spec`.
fn priors(spec: &DataSpec) -> anyhow::Result<(BoxedPrior, Option<BoxedPrior>)> {
    match spec.prior.as_str() {
        "ftpfn" => {
            let p = FtPfnPrior::new(ContextSize::Uniform, HpCount::Uniform)?;
            // Validation batches come from their own seed stream (see TrainRun): tasks
            // that training never draws.
            Ok((Box::new(p.clone()), Some(Box::new(p))))
        }
        "taskset" => {
            let data = spec.data.as_ref().context("config has no data file")?;
            let mut only = spec.train_tasks.clone();
            only.extend(spec.val_tasks.iter().cloned());
            let tasks = load_tasks(data, Some(&only))
                .with_context(|| format!("loading tasks from {}", data.display()))?;
            let pick = |names: &[String]| {
                tasks
                    .iter()
                    .filter(|t| names.contains(&t.name))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            let augment = parse_augment(&spec.augment)?;
            let prior = TaskSetPrior::new(&pick(&spec.train_tasks), augment, ContextSize::Uniform)?;
            let val = if spec.val_tasks.is_empty() {
                None
            } else {
                let p =
                    TaskSetPrior::new(&pick(&spec.val_tasks), Augment::None, ContextSize::Uniform)?;
                Some(Box::new(p) as BoxedPrior)
            };
            Ok((Box::new(prior), val))
        }
        other => bail!("unknown prior {other:?}; choose taskset or ftpfn"),
    }
}

fn describe_data(spec: &DataSpec) -> String {
    if spec.prior == "ftpfn" {
        "the synthetic FT-PFN prior, validating on unseen synthetic tasks".into()
    } else {
        format!(
            "{} task(s), validating on {}, augment {}",
            spec.train_tasks.len(),
            spec.val_tasks.len(),
            spec.augment
        )
    }
}

fn describe(m: &PfnConfig) -> String {
    format!(
        "d {} × {} layers, {} heads, ff {}, {} bins",
        m.d_model, m.n_layers, m.n_heads, m.d_ff, m.n_bins
    )
}

fn parse_augment(name: &str) -> anyhow::Result<Augment> {
    Ok(match name {
        "cdf" => Augment::Cdf(CdfAugment::default()),
        "mixup" => Augment::Mixup(MixupConfig::default()),
        "none" => Augment::None,
        other => bail!("unknown augmentation {other:?}; choose cdf, mixup or none"),
    })
}

/// Settings of a new run: defaults, preset, overrides.
fn fresh(a: &TrainArgs) -> anyhow::Result<(TrainConfig, DataSpec)> {
    let mut model = PfnConfig::preset(a.model.as_deref().unwrap_or("small"))?;
    override_model(&mut model, a);
    let mut cfg = TrainConfig::new(model);
    override_training(&mut cfg, a);
    let prior = a.prior.clone().unwrap_or_else(|| "taskset".into());
    match prior.as_str() {
        "taskset" => {}
        "ftpfn" => {
            if a.data.is_some()
                || a.train_tasks.is_some()
                || a.val_tasks.is_some()
                || a.augment.is_some()
            {
                bail!(
                    "--prior ftpfn draws synthetic tasks: --data, --train-tasks, --val-tasks and --augment do not apply"
                );
            }
            let spec = DataSpec {
                prior,
                data: None,
                train_tasks: Vec::new(),
                val_tasks: Vec::new(),
                augment: no_augment(),
            };
            return Ok((cfg, spec));
        }
        other => bail!("unknown prior {other:?}; choose taskset or ftpfn"),
    }
    let data = a
        .data
        .clone()
        .unwrap_or_else(|| crate::paths::parquet_dir().join("taskset.parquet"));
    let bench = read_benchmark(&data, None)
        .with_context(|| format!("reading {} (run `thaw data import` first?)", data.display()))?;
    let names: &Vec<String> = &bench.tasks.iter().map(|t| t.name.clone()).collect();
    let val_tasks = match &a.val_tasks {
        Some(spec) => task_select::select(spec, names)?,
        None => Vec::new(),
    };
    let train_tasks = match &a.train_tasks {
        Some(spec) => task_select::select(spec, names)?,
        None => names
            .iter()
            .filter(|n| !val_tasks.contains(n))
            .cloned()
            .collect(),
    };
    if train_tasks.is_empty() {
        bail!("no training tasks selected");
    }
    if let Some(both) = train_tasks.iter().find(|t| val_tasks.contains(t)) {
        bail!(
            "task {both} is in both --train-tasks and --val-tasks; validation must be on held-out tasks"
        );
    }
    let spec = DataSpec {
        prior,
        data: Some(data),
        train_tasks,
        val_tasks,
        augment: a.augment.clone().unwrap_or_else(|| "cdf".into()),
    };
    parse_augment(&spec.augment)?;
    Ok((cfg, spec))
}

/// Settings of the run in --out; any flag given must agree with them.
fn resumed(a: &TrainArgs) -> anyhow::Result<(TrainConfig, DataSpec)> {
    let saved = checkpoint::read_config(&a.out).with_context(|| {
        format!(
            "--resume: {} has no checkpoint ({CONFIG_FILE})",
            a.out.display()
        )
    })?;
    let cfg: TrainConfig =
        serde_json::from_value(saved.training).context("training settings in config.json")?;
    let spec: DataSpec =
        serde_json::from_value(saved.data).context("data settings in config.json")?;
    let mut asked = cfg.clone();
    if let Some(name) = &a.model {
        asked.model = PfnConfig::preset(name)?;
    }
    override_model(&mut asked.model, a);
    override_training(&mut asked, a);
    if asked != cfg {
        bail!(
            "--resume continues the original run; these flags differ from it:\n  original: {}\n  asked:    {}",
            json!(cfg),
            json!(asked)
        );
    }
    if a.augment.as_ref().is_some_and(|x| *x != spec.augment)
        || a.data
            .as_ref()
            .is_some_and(|x| Some(x) != spec.data.as_ref())
        || a.prior.as_ref().is_some_and(|x| *x != spec.prior)
    {
        bail!(
            "--resume continues the original run (prior {}, data {}, augment {}); do not change them",
            spec.prior,
            spec.data
                .as_ref()
                .map_or("-".into(), |d| d.display().to_string()),
            spec.augment
        );
    }
    Ok((cfg, spec))
}

fn override_model(m: &mut PfnConfig, a: &TrainArgs) {
    let set = |f: &mut usize, v: Option<usize>| {
        if let Some(v) = v {
            *f = v;
        }
    };
    set(&mut m.d_model, a.d_model);
    set(&mut m.n_layers, a.layers);
    set(&mut m.n_heads, a.heads);
    set(&mut m.d_ff, a.d_ff);
    set(&mut m.d_decoder, a.d_decoder);
    set(&mut m.n_bins, a.bins);
}

fn override_training(c: &mut TrainConfig, a: &TrainArgs) {
    macro_rules! set {
        ($($field:ident),*) => { $( if let Some(v) = a.$field { c.$field = v; } )* };
    }
    set!(
        steps,
        batch,
        seq_len,
        lr,
        warmup,
        weight_decay,
        clip,
        seed,
        val_every,
        val_batches,
        checkpoint_every,
        log_every
    );
}

/// `git describe --always --dirty` of the working directory, if it is a git checkout.
fn git_revision() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
