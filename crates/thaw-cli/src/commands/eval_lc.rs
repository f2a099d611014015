//! `eval-lc`: the learning-curve extrapolation table (reference §5) for PFN checkpoints,
//! cross-validated Adam-PFNs and the DPL, DyHPO, GP-FT and uniform baselines.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use thaw_bench::{LcRecord, LcSettings, Method, lc, report};
use thaw_data::{Task, load_tasks};
use thaw_hpo::models::{DplSettings, DyhpoSettings, GpFtSettings};
use thaw_pfn::checkpoint::{AugmentKind, read_config, shipped};

use super::task_select;
use super::train_fold::{FoldPlan, train_folds};
use crate::args::{AllowTrainTasksArg, DeviceArg, ModelPreset, QuietArg};
use crate::progress;

const EXAMPLES: &str = "\
Examples:
  # the README table: 8 TaskSet tasks, Adam-PFN by 4-fold cross-validation
  # (CDF, Mixup, no augmentation; fold models are trained first, or reused
  # from --cv-dir), the shipped FT-PFN and the baselines
  eval-lc --cross-validate 4 --out runs/eval-lc
  # a quick look: two tasks, one context size, one draw, cheap baselines only
  eval-lc --tasks patch32_GRU,patch128_LSTM128_embed --contexts 400 \\
      --draws 1 --baselines gp-ft,uniform --out /tmp/lc
  # a checkpoint of your own next to FT-PFN (refused on tasks it trained on)
  eval-lc --checkpoint FT-PFN=checkpoints/ft-pfn-small \\
      --checkpoint mine=/tmp/pfn --tasks all-but:patch32_GRU
  # LCBench (out of distribution for Adam-PFN)
  eval-lc --data data/parquet/lcbench.parquet --contexts 400 \\
      --out runs/eval-lc-lcbench

Protocol: for every task, context size and draw, configurations are visited in a random
order and get prefix lengths U{1..epochs-1} until the observed points total the context
size exactly (the final epoch is never observed; most configurations stay unobserved);
every configuration is then asked for its final value. LL is the mean log-density of the
true final values (a uniform density scores 0; the paper's uniform row, -6.908, is a
per-bin log-mass), MSE that of the predictive means, time the seconds of fit + predict.
A second table scores the started configurations (>= 1 observed epoch) and the
unstarted ones apart: a freeze-thaw surrogate must beat the last-value row on the
first and the hyperparameter nearest-neighbour row on the second.
Cells are medians over tasks of means over draws. A PFN checkpoint is never scored on a
task its config.json lists as a training task unless --allow-train-tasks is given (the
table then marks the row with †). `thaw eval-lc` is the same command.";

/// Score curve models on the learning-curve extrapolation benchmark and write the table.
///
/// Writes <out>/scores.csv (every method, task, context and draw), <out>/table.md (medians
/// over tasks beside the Adam-PFN paper's Table 1) and prints the table.
#[derive(Debug, Parser)]
#[command(name = "eval-lc", version, after_help = EXAMPLES)]
pub struct EvalLcArgs {
    /// Parquet file of tasks (from `thaw data import`).
    #[arg(long, default_value_os_t = crate::paths::taskset_parquet())]
    pub(super) data: PathBuf,
    /// Tasks to score: `all`, `all-but:NAME,…` or `NAME,…` (prefixes allowed).
    #[arg(long, default_value = "all")]
    tasks: String,
    /// Context sizes (observed points per draw), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "400,1000,1600")]
    contexts: Vec<usize>,
    /// Draws per task and context size (1–1000).
    #[arg(long, default_value_t = 2, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    draws: usize,
    /// Seed of every draw, of the neural baselines and of the fold models.
    #[arg(long, default_value_t = 0)]
    pub(super) seed: u64,
    /// PFN rows: NAME=DIR (or NAME=adam-pfn / NAME=ft-pfn), repeatable; `none` for no
    /// checkpoint rows. NAME=adam-pfn-cv or NAME=cv:PREFIX scores each task with the fold
    /// model PREFIX-fold<i> that held it out (fold models of an earlier
    /// `--cross-validate` run: cv:runs/eval-lc/cv/cdf).
    #[arg(long = "checkpoint", default_value = "FT-PFN=ft-pfn")]
    checkpoints: Vec<String>,
    /// Directory of the shipped checkpoints that adam-pfn and ft-pfn name.
    #[arg(long = "checkpoints", default_value_os_t = crate::paths::checkpoints_dir())]
    shipped_dir: PathBuf,
    #[command(flatten)]
    allow: AllowTrainTasksArg,
    /// Baselines, comma-separated, or none.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "dpl,dyhpo,gp-ft,last-value,hp-nn,uniform"
    )]
    baselines: Vec<Baseline>,
    /// Adam-PFN rows by k-fold cross-validation over the scored tasks (task i is in fold
    /// i mod k; each fold's model trains on the other tasks). 0 = off.
    #[arg(long, default_value_t = 0)]
    pub(super) cross_validate: usize,
    /// Augmentations of the cross-validated Adam-PFNs.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "cdf,mixup,none"
    )]
    cv_augment: Vec<AugmentKind>,
    /// Architecture preset of the fold models.
    #[arg(long, value_enum, default_value_t = ModelPreset::Small)]
    pub(super) cv_model: ModelPreset,
    /// Fold models with the history extension (every token also embeds its curve's latest
    /// earlier context observation; README "The history extension").
    #[arg(long)]
    pub(super) cv_history: bool,
    /// Share of the fold models' training steps drawn from the synthetic FT-PFN prior
    /// (train-pfn --synthetic-share).
    #[arg(long, default_value_t = 0.0, value_parser = super::train_pfn::share)]
    pub(super) cv_synthetic_share: f64,
    /// Extra training tasks of every fold model (train-pfn --extra-data: files or
    /// folders of Parquet tasks, e.g. `thaw gen-curves` output); never scored.
    #[arg(long, value_delimiter = ',', value_name = "PATH")]
    pub(super) cv_extra_data: Vec<PathBuf>,
    /// Share of the fold models' real-curve steps drawn from --cv-extra-data.
    #[arg(long, default_value_t = super::train_pfn::DEFAULT_EXTRA_SHARE, value_parser = super::train_pfn::share)]
    pub(super) cv_extra_share: f64,
    /// Share of the fold models' training sequences whose hyperparameters are permuted
    /// among their curves (train-pfn --hp-shuffle).
    #[arg(long, default_value_t = 0.0, value_parser = super::train_pfn::share)]
    pub(super) cv_hp_shuffle: f64,
    /// Training steps of each fold model.
    #[arg(long, default_value_t = 300)]
    pub(super) cv_steps: usize,
    /// Tokens per training sequence of the fold models.
    #[arg(long, default_value_t = 400)]
    pub(super) cv_seq_len: usize,
    /// Peak learning rate of the fold models.
    #[arg(long, default_value_t = 3e-4)]
    pub(super) cv_lr: f64,
    /// Threads that share each training batch of the fold models.
    #[arg(long, default_value_t = 2)]
    pub(super) cv_data_parallel: usize,
    /// Where fold models live: <dir>/<augment>-fold<i>. Finished ones with the same
    /// settings are reused, interrupted ones resumed.
    #[arg(long, default_value = "runs/eval-lc/cv")]
    pub(super) cv_dir: PathBuf,
    /// Draws evaluated at once (times are cleanest with 1; at most 1024).
    #[arg(long, default_value_t = 1, value_parser = crate::args::thread_count)]
    threads: usize,
    /// First-fit epochs of DPL (the papers: 250).
    #[arg(long, default_value_t = 250)]
    dpl_epochs: usize,
    /// First-fit steps of DyHPO (Adam, lr 1e-2, full batch; each needs an n×n Cholesky
    /// and inverse).
    #[arg(long, default_value_t = 100)]
    dyhpo_steps: usize,
    /// First-fit steps of GP-FT's hyperparameters (Adam, lr 0.05).
    #[arg(long, default_value_t = 60)]
    gp_steps: usize,
    /// Also score every PFN row with its queries' curve ids zeroed (as if every
    /// configuration were new) and report the id gain: how much the started
    /// configurations' LL and ρ owe to the model following a curve's own points. Doubles
    /// the PFN rows' time.
    #[arg(long)]
    id_gain: bool,
    #[command(flatten)]
    pub(super) device: DeviceArg,
    /// Output directory.
    #[arg(long, default_value = "runs/eval-lc")]
    out: PathBuf,
    #[command(flatten)]
    pub(super) quiet: QuietArg,
}

/// A baseline row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Baseline {
    /// Deep power laws (ensemble of 5).
    Dpl,
    /// Deep-kernel GP.
    Dyhpo,
    /// GP freeze-thaw.
    GpFt,
    /// The last observed value (random-walk noise fitted on the context; unstarted
    /// configurations: the context's marginal).
    LastValue,
    /// The 5 nearest observed configurations in hyperparameter space.
    HpNn,
    /// The uniform density.
    Uniform,
    /// No baseline.
    None,
}

/// Runs `eval-lc`.
pub fn run(a: EvalLcArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let device = a.device.select()?;
    let tasks = selected_tasks(&a)?;
    if let Err(e) = lc::check_contexts(&tasks, &a.contexts) {
        crate::usage!("--contexts: {e}");
    }
    // Claimed before the work: a second run, or a file in the way, is found now.
    let _claim = crate::claim::OutputClaim::take(&a.out, "eval-lc")?;
    let names: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
    let mut methods = Vec::new();
    if a.cross_validate > 0 {
        let plan = fold_plan(&a, &names, &device)?;
        methods.extend(train_folds(&plan, &a.cv_augment, out)?);
    }
    methods.extend(checkpoint_rows(&a)?);
    if a.id_gain {
        let twins: Vec<Method> = methods
            .iter()
            .filter(|m| m.is_pfn())
            .map(|m| Method::IdsZeroed(Box::new(m.clone())))
            .collect();
        if twins.is_empty() {
            crate::usage!("--id-gain needs a PFN row (--checkpoint or --cross-validate)");
        }
        methods.extend(twins);
    }
    methods.extend(a.baselines.iter().filter_map(|b| baseline(&a, *b)));
    if methods.is_empty() {
        crate::usage!("nothing to score: no checkpoint, no cross-validation, no baseline");
    }
    let settings = LcSettings {
        contexts: a.contexts.clone(),
        draws: a.draws,
        seed: a.seed,
        allow_train_tasks: a.allow.allow_train_tasks,
        threads: a.threads,
        device,
    };
    let units = tasks.len() * settings.contexts.len() * settings.draws;
    writeln!(
        out,
        "eval-lc: {} method(s) × {} task(s) × contexts {:?} × {} draw(s) = {units} draws",
        methods.len(),
        tasks.len(),
        settings.contexts,
        settings.draws
    )?;
    let bar = progress::bar(units as u64, "draws ETA {eta}", a.quiet.quiet);
    let started = std::time::Instant::now();
    let records = lc::run(&tasks, &methods, &settings, &|| bar.inc(1))?;
    bar.finish_and_clear();
    write_report(
        &a.out,
        &records,
        tasks.len(),
        started.elapsed().as_secs_f64(),
        out,
    )
}

fn selected_tasks(a: &EvalLcArgs) -> anyhow::Result<Vec<Task>> {
    let all = load_tasks(&a.data, None).with_context(|| format!("loading {}", a.data.display()))?;
    let names: Vec<String> = all.iter().map(|t| t.name.clone()).collect();
    let chosen = task_select::select(&a.tasks, &names)?;
    let tasks: Vec<Task> = all
        .into_iter()
        .filter(|t| chosen.contains(&t.name))
        .collect();
    if tasks.is_empty() {
        bail!("no task selected");
    }
    Ok(tasks)
}

/// The `--checkpoint NAME=DIR` rows (DIR may be a shipped name).
fn checkpoint_rows(a: &EvalLcArgs) -> anyhow::Result<Vec<Method>> {
    let mut rows = Vec::new();
    for spec in a.checkpoints.iter().filter(|s| s.as_str() != "none") {
        let (name, dir) = spec
            .split_once('=')
            .with_context(|| format!("--checkpoint {spec:?}: expected NAME=DIR"))?;
        if let Some(set) = shipped::fold_set(dir, &a.shipped_dir) {
            let (_, folds) = match set {
                Ok(set) => set,
                Err(why) => crate::usage!("--checkpoint {spec}: {why}"),
            };
            rows.push(Method::CrossValidated {
                name: name.into(),
                folds,
            });
            continue;
        }
        let dir = shipped::resolve(dir, &a.shipped_dir).map_or_else(|| PathBuf::from(dir), |r| r.1);
        read_config(&dir).with_context(|| format!("--checkpoint {name}"))?;
        rows.push(Method::Pfn {
            name: name.into(),
            dir,
        });
    }
    Ok(rows)
}

fn baseline(a: &EvalLcArgs, b: Baseline) -> Option<Method> {
    Some(match b {
        Baseline::Dpl => Method::Dpl(DplSettings {
            first_epochs: a.dpl_epochs,
            ..Default::default()
        }),
        Baseline::Dyhpo => Method::Dyhpo(DyhpoSettings {
            first_steps: a.dyhpo_steps,
            ..Default::default()
        }),
        Baseline::GpFt => Method::GpFt(GpFtSettings {
            first_steps: a.gp_steps,
            ..Default::default()
        }),
        Baseline::LastValue => Method::LastValue,
        Baseline::HpNn => Method::NearestNeighbour(thaw_hpo::models::nearest::DEFAULT_K),
        Baseline::Uniform => Method::Uniform,
        Baseline::None => return None,
    })
}

fn write_report(
    dir: &Path,
    records: &[LcRecord],
    n_tasks: usize,
    secs: f64,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut table = report::markdown(records);
    if records.iter().any(|r| r.method == "FT-PFN") {
        table.push('\n');
        table.push_str(&report::time_ratios(records, "FT-PFN"));
    }
    table.push_str(
        "\nStarted (≥ 1 observed epoch) and unstarted configurations apart, LL / MSE / ρ (Spearman of predicted means and true final values):\n\n",
    );
    table.push_str(&report::markdown_parts(records));
    if let Some(gain) = report::markdown_id_gain(records) {
        table.push_str(
            "\nId gain on the started configurations (the row minus its ids-zeroed twin, same draws; > 0: the model follows a curve's own points):\n\n",
        );
        table.push_str(&gain);
    }
    let csv_path = dir.join("scores.csv");
    let md_path = dir.join("table.md");
    report::csv(records).write(&csv_path)?;
    thaw_data::atomic::write_bytes(&md_path, table.as_bytes())?;
    writeln!(
        out,
        "\nLL (density) / MSE / seconds per draw, median over {n_tasks} task(s):\n"
    )?;
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "{} scores in {}; table in {} ({secs:.0} s)",
        records.len(),
        csv_path.display(),
        md_path.display(),
    )?;
    Ok(())
}

/// The plan of `--cross-validate k` over `tasks` (task i is in fold i mod k), training
/// on `device` (the one `--device` selected).
fn fold_plan(
    a: &EvalLcArgs,
    tasks: &[String],
    device: &burn::tensor::Device,
) -> anyhow::Result<FoldPlan> {
    let k = a.cross_validate;
    if k < 2 || k > tasks.len() {
        crate::usage!(
            "--cross-validate {k}: need 2 ..= {} folds (one per task at most)",
            tasks.len()
        );
    }
    let mut model = a.cv_model.config();
    model.history |= a.cv_history;
    let (extra_data, extra_share) =
        super::train_pfn::extra_tasks(&a.cv_extra_data, a.cv_extra_share)?;
    let config = thaw_pfn::train::TrainConfig {
        steps: a.cv_steps as u64,
        batch: 8,
        seq_len: a.cv_seq_len,
        lr: a.cv_lr,
        seed: a.seed,
        val_every: 100,
        val_batches: 4,
        checkpoint_every: 100,
        data_parallel: a.cv_data_parallel,
        ..thaw_pfn::train::TrainConfig::new(model)
    };
    Ok(FoldPlan {
        k,
        tasks: tasks.to_vec(),
        data: a.data.clone(),
        config,
        synthetic_share: a.cv_synthetic_share,
        extra_data,
        extra_share,
        hp_shuffle: a.cv_hp_shuffle,
        dir: a.cv_dir.clone(),
        device: device.clone(),
        device_name: a.device.device.name(),
        quiet: a.quiet.quiet,
    })
}
