//! `train-pfn`: train a PFN surrogate on a prior and write a checkpoint directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::tensor::Device;
use clap::Parser;
use serde_json::json;
use thaw_data::read_benchmark;
use thaw_pfn::PfnConfig;
use thaw_pfn::checkpoint::{self, AugmentKind, CONFIG_FILE, PriorKind, TrainingData};
use thaw_pfn::train::{RunPlace, TrainConfig, TrainOutcome, train};

use super::task_select;
use crate::args::{DeviceArg, ModelPreset, QuietArg};
use crate::claim::OutputClaim;
use crate::progress::TrainProgress;

const EXAMPLES: &str = "\
Examples:
  # a quick look (tiny model, a minute on a laptop)
  train-pfn --model tiny --steps 200 --out /tmp/pfn-tiny
  # the shipped Adam-PFN (small): 6 TaskSet tasks, validated on the other 2
  train-pfn --prior taskset --data data/parquet/taskset.parquet \\
      --val-tasks patch32_GRU128_bs128,patch128_LSTM128_embed128_bs64 \\
      --augment cdf --model small --steps 2500 --batch 8 --seq-len 400 \\
      --lr 3e-4 --seed 0 --val-every 250 --val-batches 8 \\
      --checkpoint-every 250 --out checkpoints/adam-pfn-small
  # the shipped FT-PFN (small): the synthetic ifBO prior, validated on
  # synthetic tasks it never saw
  train-pfn --prior ftpfn --model small --steps 4000 --batch 8 --seq-len 500 \\
      --lr 1e-3 --seed 1 --val-every 250 --val-batches 8 \\
      --checkpoint-every 250 --data-parallel 2 --out checkpoints/ft-pfn-small
  # continue an interrupted run exactly where its last checkpoint left off
  train-pfn --out checkpoints/adam-pfn-small --resume
  # start over in a folder that holds a checkpoint (its files are removed first)
  train-pfn --model tiny --steps 200 --out /tmp/pfn-tiny --force

Task lists: `all`, `all-but:NAME,NAME`, or `NAME,NAME`; a name may be shortened to any
prefix that matches one task. Validation NLL is the mean negative log-density of the
query targets of fixed held-out batches (lower is better; a uniform guess scores 0).
The id gain beside it is how much worse the queries of curves that have context points
get when their curve ids are zeroed: the model's use of a curve's own points. It stays
near 0 early in training and rises in a late transition; a surrogate with gain ≈ 0 will
not tell a dead curve from a promising one in ifBO. With --prior ftpfn those batches are
synthetic tasks drawn from a seed stream that training never uses; --data,
--train-tasks, --val-tasks and --augment do not apply. `thaw train-pfn` is the same
command.";

/// Train a PFN surrogate (Adam-PFN on real TaskSet curves, FT-PFN on the synthetic ifBO
/// prior) and save a checkpoint.
///
/// Writes <out>/model.safetensors, config.json (architecture, data, seed, metrics),
/// train.jsonl (the log: step, loss, lr, grad norm, tokens/s, validation NLL and id gain) and
/// resume/ (optimiser state for --resume). Every file is replaced atomically.
#[derive(Debug, Parser)]
#[command(name = "train-pfn", version, after_help = EXAMPLES)]
pub struct TrainArgs {
    /// Prior [default: taskset].
    #[arg(long, value_enum)]
    prior: Option<PriorKind>,
    /// Parquet file of tasks (from `thaw data import`) [default: <home>/data/parquet/taskset.parquet, see README "Where thaw looks"].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Tasks to train on [default: all-but the validation tasks].
    #[arg(long)]
    train_tasks: Option<String>,
    /// Held-out tasks for validation NLL [default: none].
    #[arg(long)]
    val_tasks: Option<String>,
    /// Augmentation of the real curves [default: cdf].
    #[arg(long, value_enum)]
    augment: Option<AugmentKind>,
    /// Share of the training steps (0–1) that draw their batch from the synthetic FT-PFN
    /// prior instead of the real curves (taskset prior only) [default: 0]. A few real
    /// tasks that share one pool of configurations let a model predict from
    /// hyperparameters alone; synthetic tasks never repeat, so they reward following a
    /// curve's own points (README "Following curves").
    #[arg(long, value_parser = share)]
    synthetic_share: Option<f64>,
    /// Extra training tasks: Parquet files, or folders whose *.parquet files are all read
    /// (e.g. `thaw gen-curves` output: <out>/tasks). Trained on, never validated on; they
    /// need the real tasks' hyperparameters (taskset prior only).
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    extra_data: Vec<PathBuf>,
    /// Share of the real-curve steps (0–1) drawn from --extra-data instead, so that the
    /// training compute stays what --steps says [default: 0.5 with --extra-data].
    #[arg(long, value_parser = share, requires = "extra_data")]
    extra_share: Option<f64>,
    /// Share of the training sequences (0–1) whose hyperparameters are permuted among
    /// their curves, so that only a curve's own points predict its continuation (taskset
    /// prior only; real and extra tasks; validation is never shuffled) [default: 0].
    #[arg(long, value_parser = share)]
    hp_shuffle: Option<f64>,
    /// Architecture preset [default: small].
    #[arg(long, value_enum)]
    model: Option<ModelPreset>,
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
    /// The history extension (not in the paper): every token also embeds its curve's
    /// latest earlier context observation, so a curve's own points are seen directly
    /// (README "The history extension").
    #[arg(long)]
    history: bool,
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
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Start a new run in --out even though it holds a checkpoint: its files are removed
    /// first (without this flag such a directory is refused).
    #[arg(long)]
    force: bool,
    /// Stop with a checkpoint once this many steps are done (continue later with --resume).
    #[arg(long, value_name = "STEP")]
    pause_at: Option<u64>,
    #[command(flatten)]
    device: DeviceArg,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Runs `train-pfn`.
pub fn run(a: TrainArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    // The device first: a build without it should say so before any data is read.
    let device = a.device.select()?;
    let (config, data) = if a.resume { resumed(&a)? } else { fresh(&a)? };
    // Settings that cannot work are a usage error, found before any output is touched.
    if let Err(e) = config.validate() {
        crate::usage!("{e}");
    }
    let job = TrainJob {
        out_dir: a.out.clone(),
        resume: a.resume,
        force: a.force,
        device,
        device_name: a.device.device.name(),
        pause_at: a.pause_at,
        quiet: a.quiet.quiet,
    };
    job.run(config, data, out)?;
    Ok(())
}

/// Where and how one training run goes; `eval-lc` uses it for its fold models too.
pub struct TrainJob {
    /// Checkpoint directory.
    pub out_dir: PathBuf,
    /// Continue the checkpoint in `out_dir`.
    pub resume: bool,
    /// A new run may replace a checkpoint in `out_dir`.
    pub force: bool,
    /// Device (selected once by the command).
    pub device: Device,
    /// Its name, for the report and the record.
    pub device_name: &'static str,
    /// Stop with a checkpoint after this many steps.
    pub pause_at: Option<u64>,
    /// No progress bar.
    pub quiet: bool,
}

impl TrainJob {
    /// Trains `config` on `data`, printing what it does to `out`.
    pub fn run(
        self,
        config: TrainConfig,
        data: TrainingData,
        out: &mut dyn Write,
    ) -> anyhow::Result<TrainOutcome> {
        let _claim = OutputClaim::take(&self.out_dir, "train-pfn")?;
        writeln!(
            out,
            "training {} ({} parameters) on {}, {} steps of {}×{} tokens on {}",
            describe(&config.model),
            config.model.num_params(),
            describe_data(&data),
            config.steps,
            config.batch,
            config.seq_len,
            self.device_name
        )?;
        let place = RunPlace {
            out: self.out_dir.clone(),
            resume: self.resume,
            device: self.device,
            device_name: self.device_name.into(),
            git_revision: git_revision(),
            pause_at: self.pause_at,
            replace: self.force,
        };
        let mut progress = TrainProgress::new(self.quiet);
        let outcome = train(config, data, place, &mut progress);
        progress.finish();
        let o = outcome?;
        let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
        writeln!(
            out,
            "done: {} steps, loss(ema) {}, validation NLL {} (id gain {}), {:.0} s; checkpoint in {}",
            o.step,
            show(o.loss_ema),
            show(o.val_nll),
            o.val_id_gain.map_or("-".into(), |v| format!("{v:+.3}")),
            o.wall_time_s,
            self.out_dir.display()
        )?;
        Ok(o)
    }
}

fn describe_data(d: &TrainingData) -> String {
    match d.prior {
        PriorKind::Ftpfn => {
            "the synthetic FT-PFN prior, validating on unseen synthetic tasks".into()
        }
        PriorKind::Taskset => {
            let mut s = format!(
                "{} task(s), validating on {}, augment {}",
                d.train_tasks.len(),
                d.val_tasks.len(),
                d.augment.as_str()
            );
            if d.synthetic_share > 0.0 {
                let pct = 100.0 * d.synthetic_share;
                s.push_str(&format!(
                    ", {pct:.0} % of the steps on the synthetic FT-PFN prior"
                ));
            }
            if d.extra_share > 0.0 {
                s.push_str(&format!(
                    ", {:.0} % of the real-curve steps on {} extra file(s)",
                    100.0 * d.extra_share,
                    d.extra_data.len()
                ));
            }
            if d.hp_shuffle > 0.0 {
                s.push_str(&format!(
                    ", hyperparameters shuffled in {:.0} % of the sequences",
                    100.0 * d.hp_shuffle
                ));
            }
            s
        }
    }
}

fn describe(m: &PfnConfig) -> String {
    format!(
        "d {} × {} layers, {} heads, ff {}, {} bins",
        m.d_model, m.n_layers, m.n_heads, m.d_ff, m.n_bins
    )
}

/// Settings of a new run: defaults, preset, overrides.
fn fresh(a: &TrainArgs) -> anyhow::Result<(TrainConfig, TrainingData)> {
    let mut model = a.model.unwrap_or(ModelPreset::Small).config();
    override_model(&mut model, a);
    let mut cfg = TrainConfig::new(model);
    override_training(&mut cfg, a);
    let data = match a.prior.unwrap_or(PriorKind::Taskset) {
        PriorKind::Taskset => taskset_data(a)?,
        PriorKind::Ftpfn => {
            if a.data.is_some()
                || a.train_tasks.is_some()
                || a.val_tasks.is_some()
                || a.augment.is_some()
                || a.synthetic_share.is_some()
                || !a.extra_data.is_empty()
                || a.hp_shuffle.is_some()
            {
                crate::usage!(
                    "--prior ftpfn draws synthetic tasks: --data, --train-tasks, --val-tasks, --augment, --synthetic-share, --extra-data and --hp-shuffle do not apply"
                );
            }
            TrainingData::ftpfn()
        }
    };
    Ok((cfg, data))
}

/// The real tasks of a taskset run, from `--data`, `--train-tasks` and `--val-tasks`.
fn taskset_data(a: &TrainArgs) -> anyhow::Result<TrainingData> {
    let file = a.data.clone().unwrap_or_else(crate::paths::taskset_parquet);
    let bench = read_benchmark(&file, None)
        .with_context(|| format!("reading {} (run `thaw data import` first?)", file.display()))?;
    let names: Vec<String> = bench.tasks.iter().map(|t| t.name.clone()).collect();
    let val_tasks = match &a.val_tasks {
        Some(spec) => task_select::select(spec, &names)?,
        None => Vec::new(),
    };
    let train_tasks = match &a.train_tasks {
        Some(spec) => task_select::select(spec, &names)?,
        None => names
            .iter()
            .filter(|n| !val_tasks.contains(n))
            .cloned()
            .collect(),
    };
    if train_tasks.is_empty() {
        crate::usage!("no training tasks selected");
    }
    if let Some(both) = train_tasks.iter().find(|t| val_tasks.contains(t)) {
        crate::usage!(
            "task {both} is in both --train-tasks and --val-tasks; validation must be on held-out tasks"
        );
    }
    let (extra_data, extra_share) =
        extra_tasks(&a.extra_data, a.extra_share.unwrap_or(DEFAULT_EXTRA_SHARE))?;
    Ok(TrainingData {
        prior: PriorKind::Taskset,
        data: Some(file),
        train_tasks,
        val_tasks,
        augment: a.augment.unwrap_or(AugmentKind::Cdf),
        synthetic_share: a.synthetic_share.unwrap_or(0.0),
        extra_data,
        extra_share,
        hp_shuffle: a.hp_shuffle.unwrap_or(0.0),
    })
}

/// `--extra-share` when only `--extra-data` is given.
pub(crate) const DEFAULT_EXTRA_SHARE: f64 = 0.5;

/// The extra tasks' files and their share (0 without any file).
pub(crate) fn extra_tasks(paths: &[PathBuf], share: f64) -> anyhow::Result<(Vec<PathBuf>, f64)> {
    let files = parquet_files(paths)?;
    let share = if files.is_empty() { 0.0 } else { share };
    Ok((files, share))
}

/// The Parquet files of `paths`: a file as given, a folder as its `*.parquet` files
/// (sorted; not recursive). An empty folder or a missing path is an error.
pub(crate) fn parquet_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "parquet"))
                .collect();
            if found.is_empty() {
                anyhow::bail!("{} holds no .parquet file", p.display());
            }
            found.sort();
            files.extend(found);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
    }
    Ok(files)
}

/// A share in [0, 1].
pub(crate) fn share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{s:?}: {e}"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not in [0, 1]"))
    }
}

/// Settings of the run in --out; any flag given must agree with them.
fn resumed(a: &TrainArgs) -> anyhow::Result<(TrainConfig, TrainingData)> {
    let saved = checkpoint::read_config(&a.out).with_context(|| {
        format!(
            "--resume: {} has no checkpoint ({CONFIG_FILE})",
            a.out.display()
        )
    })?;
    let no_record = || {
        format!(
            "{}: config.json has no training record to resume",
            a.out.display()
        )
    };
    let cfg = saved.training.clone().with_context(no_record)?;
    let data = saved.data.clone().with_context(no_record)?;
    let mut asked = cfg.clone();
    if let Some(preset) = a.model {
        asked.model = preset.config();
    }
    override_model(&mut asked.model, a);
    override_training(&mut asked, a);
    if asked != cfg {
        crate::usage!(
            "--resume continues the original run; these flags differ from it:\n  original: {}\n  asked:    {}",
            json!(cfg),
            json!(asked)
        );
    }
    check_same_data(a, &data)?;
    Ok((cfg, data))
}

fn check_same_data(a: &TrainArgs, data: &TrainingData) -> anyhow::Result<()> {
    let differs = a.augment.is_some_and(|x| x != data.augment)
        || a.data
            .as_deref()
            .is_some_and(|x| Some(x) != data.data.as_deref())
        || a.prior.is_some_and(|x| x != data.prior)
        || a.synthetic_share.is_some_and(|x| x != data.synthetic_share)
        || (!a.extra_data.is_empty() && parquet_files(&a.extra_data)? != data.extra_data)
        || a.extra_share.is_some_and(|x| x != data.extra_share)
        || a.hp_shuffle.is_some_and(|x| x != data.hp_shuffle);
    if differs {
        crate::usage!(
            "--resume continues the original run (prior {:?}, data {}, augment {}, synthetic share {}, extra data {:?} at share {}, hp shuffle {}); do not change them",
            data.prior,
            data.data
                .as_deref()
                .map_or("-".into(), |d: &Path| d.display().to_string()),
            data.augment.as_str(),
            data.synthetic_share,
            data.extra_data,
            data.extra_share,
            data.hp_shuffle
        );
    }
    Ok(())
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
    if a.history {
        m.history = true;
    }
}

/// Every training flag given overrides its setting (each field of [`TrainConfig`] that
/// has a flag is listed here; a test checks that each one arrives).
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
        log_every,
        data_parallel
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> TrainArgs {
        let mut argv = vec!["train-pfn", "--prior", "ftpfn", "--out", "/nonexistent"];
        argv.extend_from_slice(extra);
        TrainArgs::try_parse_from(argv).unwrap()
    }

    #[test]
    fn every_training_flag_reaches_the_config() {
        let a = parse(&[
            "--steps",
            "7",
            "--batch",
            "6",
            "--seq-len",
            "33",
            "--lr",
            "0.002",
            "--warmup",
            "0.5",
            "--weight-decay",
            "0.01",
            "--clip",
            "2",
            "--seed",
            "9",
            "--val-every",
            "3",
            "--val-batches",
            "5",
            "--checkpoint-every",
            "4",
            "--log-every",
            "2",
            "--data-parallel",
            "2",
        ]);
        let (c, data) = fresh(&a).unwrap();
        assert_eq!(data, TrainingData::ftpfn());
        let want = TrainConfig {
            steps: 7,
            batch: 6,
            seq_len: 33,
            lr: 0.002,
            warmup: 0.5,
            weight_decay: 0.01,
            clip: 2.0,
            seed: 9,
            val_every: 3,
            val_batches: 5,
            checkpoint_every: 4,
            log_every: 2,
            data_parallel: 2,
            ..TrainConfig::new(PfnConfig::small())
        };
        assert_eq!(c, want);
        // The defaults stay the library's when no flag is given.
        assert_eq!(
            fresh(&parse(&[])).unwrap().0,
            TrainConfig::new(PfnConfig::small())
        );
    }
}
