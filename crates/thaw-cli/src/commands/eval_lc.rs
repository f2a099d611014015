//! `eval-lc`: the learning-curve extrapolation table (reference §5) for PFN checkpoints,
//! cross-validated Adam-PFNs and the DPL, DyHPO, GP-FT and uniform baselines.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use thaw_bench::{LcSettings, Method, lc, report};
use thaw_data::atomic::write_bytes;
use thaw_data::load_tasks;
use thaw_hpo::models::{DplSettings, DyhpoSettings, GpFtSettings};
use thaw_pfn::checkpoint::read_config;

use super::{task_select, train_pfn};

const EXAMPLES: &str = "\
Examples:
  # the README table: 8 TaskSet tasks, Adam-PFN by 4-fold cross-validation (CDF, Mixup,
  # no augmentation; fold models are trained first, or reused from --cv-dir), the shipped
  # FT-PFN, DPL, DyHPO, GP-FT and uniform
  eval-lc --cross-validate 4 --out runs/eval-lc
  # a quick look: two tasks, one context size, one draw, cheap baselines only
  eval-lc --tasks FixedTextRNNClassification_imdb_patch32_GRU,FixedTextRNNClassification_imdb_patch128_LSTM128_embed \\
      --contexts 400 --draws 1 --baselines gp-ft,uniform --out /tmp/lc
  # a checkpoint of your own next to FT-PFN (refused on tasks it trained on)
  eval-lc --checkpoint FT-PFN=checkpoints/ft-pfn-small --checkpoint mine=/tmp/pfn --tasks all-but:...
  # LCBench (out of distribution for Adam-PFN)
  eval-lc --data data/parquet/lcbench.parquet --contexts 400 --out runs/eval-lc-lcbench

Protocol: for every task, context size and draw, configurations are visited in a random
order and get prefix lengths U{1..epochs-1} until the observed points total the context
size exactly (the final epoch is never observed; most configurations stay unobserved);
every configuration is then asked for its final value. LL is the mean log-density of the
true final values (a uniform density scores 0; the paper's uniform row, -6.908, is a
per-bin log-mass), MSE that of the predictive means, time the seconds of fit + predict.
Cells are medians over tasks of means over draws. A PFN checkpoint is never scored on a
task its config.json lists as a training task unless --allow-train-tasks is given (the
table then marks the row with †).";

/// Score curve models on the learning-curve extrapolation benchmark and write the table.
///
/// Writes <out>/scores.csv (every method, task, context and draw), <out>/table.md (medians
/// over tasks beside the Adam-PFN paper's Table 1) and prints the table.
#[derive(Debug, Parser)]
#[command(name = "eval-lc", version, after_help = EXAMPLES)]
pub struct EvalLcArgs {
    /// Parquet file of tasks (from `thaw data import`).
    #[arg(long, default_value = "data/parquet/taskset.parquet")]
    data: PathBuf,
    /// Tasks to score: `all`, `all-but:NAME,…` or `NAME,…` (prefixes allowed).
    #[arg(long, default_value = "all")]
    tasks: String,
    /// Context sizes (observed points per draw), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "400,1000,1600")]
    contexts: Vec<usize>,
    /// Draws per task and context size.
    #[arg(long, default_value_t = 2)]
    draws: usize,
    /// Seed of every draw and of the neural baselines.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// PFN rows: NAME=DIR, repeatable; `none` for no checkpoint rows.
    #[arg(long = "checkpoint", default_value = "FT-PFN=checkpoints/ft-pfn-small")]
    checkpoints: Vec<String>,
    /// Score checkpoints on tasks they were trained on too (marked † in the table).
    #[arg(long)]
    allow_train_tasks: bool,
    /// Baselines, comma-separated: dpl, dyhpo, gp-ft, uniform, or none.
    #[arg(long, value_delimiter = ',', default_value = "dpl,dyhpo,gp-ft,uniform")]
    baselines: Vec<String>,
    /// Adam-PFN rows by k-fold cross-validation over the scored tasks (task i is in fold
    /// i mod k; each fold's model trains on the other tasks). 0 = off.
    #[arg(long, default_value_t = 0)]
    cross_validate: usize,
    /// Augmentations of the cross-validated Adam-PFNs: cdf, mixup, none.
    #[arg(long, value_delimiter = ',', default_value = "cdf,mixup,none")]
    cv_augment: Vec<String>,
    /// Architecture preset of the fold models.
    #[arg(long, default_value = "small")]
    cv_model: String,
    /// Training steps of each fold model.
    #[arg(long, default_value_t = 300)]
    cv_steps: usize,
    /// Tokens per training sequence of the fold models.
    #[arg(long, default_value_t = 400)]
    cv_seq_len: usize,
    /// Peak learning rate of the fold models.
    #[arg(long, default_value_t = 3e-4)]
    cv_lr: f64,
    /// Where fold models live: <dir>/<augment>-fold<i>. Finished ones with the same
    /// settings are reused, interrupted ones resumed.
    #[arg(long, default_value = "runs/eval-lc/cv")]
    cv_dir: PathBuf,
    /// Draws evaluated at once (times are cleanest with 1).
    #[arg(long, default_value_t = 1)]
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
    /// Output directory.
    #[arg(long, default_value = "runs/eval-lc")]
    out: PathBuf,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `eval-lc` with `args` (the first is the program name).
pub fn run<I, T>(args: I, out: &mut dyn Write) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let a = EvalLcArgs::try_parse_from(args)?;
    let all = load_tasks(&a.data, None).with_context(|| format!("loading {}", a.data.display()))?;
    let names: Vec<String> = all.iter().map(|t| t.name.clone()).collect();
    let chosen = task_select::select(&a.tasks, &names)?;
    let tasks: Vec<_> = all
        .into_iter()
        .filter(|t| chosen.contains(&t.name))
        .collect();
    if tasks.is_empty() {
        bail!("no task selected");
    }

    let mut methods = Vec::new();
    if a.cross_validate > 0 {
        methods.extend(cross_validated(&a, &chosen, out)?);
    }
    for spec in a.checkpoints.iter().filter(|s| s.as_str() != "none") {
        let (name, dir) = spec
            .split_once('=')
            .with_context(|| format!("--checkpoint {spec:?}: expected NAME=DIR"))?;
        read_config(Path::new(dir)).with_context(|| format!("--checkpoint {name}"))?;
        methods.push(Method::Pfn {
            name: name.into(),
            dir: dir.into(),
        });
    }
    for b in a.baselines.iter().filter(|b| b.as_str() != "none") {
        methods.push(match b.as_str() {
            "dpl" => Method::Dpl(DplSettings {
                first_epochs: a.dpl_epochs,
                ..Default::default()
            }),
            "dyhpo" => Method::Dyhpo(DyhpoSettings {
                first_steps: a.dyhpo_steps,
                ..Default::default()
            }),
            "gp-ft" => Method::GpFt(GpFtSettings {
                first_steps: a.gp_steps,
                ..Default::default()
            }),
            "uniform" => Method::Uniform,
            other => bail!(
                "--baselines: unknown {other:?}; choose from dpl, dyhpo, gp-ft, uniform, none"
            ),
        });
    }
    if methods.is_empty() {
        bail!("nothing to score: no checkpoint, no cross-validation, no baseline");
    }

    let settings = LcSettings {
        contexts: a.contexts.clone(),
        draws: a.draws.max(1),
        seed: a.seed,
        allow_train_tasks: a.allow_train_tasks,
        threads: a.threads,
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
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(units as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} draws ETA {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let records = lc::run(&tasks, &methods, &settings, &|| bar.inc(1))?;
    bar.finish_and_clear();

    let mut table = report::markdown(&records);
    if records.iter().any(|r| r.method == "FT-PFN") {
        table.push('\n');
        table.push_str(&report::time_ratios(&records, "FT-PFN"));
    }
    let csv_path = a.out.join("scores.csv");
    let md_path = a.out.join("table.md");
    let csv = report::csv(&records);
    write_bytes(&csv_path, csv.as_bytes())?;
    write_bytes(&md_path, table.as_bytes())?;
    writeln!(
        out,
        "\nLL (density) / MSE / seconds per draw, median over {} task(s):\n",
        tasks.len()
    )?;
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "{} scores in {}; table in {} ({:.0} s)",
        records.len(),
        csv_path.display(),
        md_path.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// Row name of a cross-validated Adam-PFN.
fn cv_name(augment: &str) -> String {
    match augment {
        "cdf" => "Adam-PFN (CDF)".into(),
        "mixup" => "Adam-PFN (Mixup)".into(),
        _ => "Adam-PFN (No aug.)".into(),
    }
}

/// Trains (or reuses) the fold models and returns one method per augmentation.
fn cross_validated(
    a: &EvalLcArgs,
    tasks: &[String],
    out: &mut dyn Write,
) -> anyhow::Result<Vec<Method>> {
    let k = a.cross_validate;
    if k < 2 || k > tasks.len() {
        bail!(
            "--cross-validate {k}: need 2 ..= {} folds (one per task at most)",
            tasks.len()
        );
    }
    let mut methods = Vec::new();
    for aug in &a.cv_augment {
        if !["cdf", "mixup", "none"].contains(&aug.as_str()) {
            bail!("--cv-augment: unknown {aug:?}; choose from cdf, mixup, none");
        }
        let mut folds = Vec::new();
        for fold in 0..k {
            let held: Vec<String> = tasks
                .iter()
                .enumerate()
                .filter(|(i, _)| i % k == fold)
                .map(|(_, t)| t.clone())
                .collect();
            let train: Vec<String> = tasks
                .iter()
                .filter(|t| !held.contains(t))
                .cloned()
                .collect();
            let dir = a.cv_dir.join(format!("{aug}-fold{fold}"));
            train_fold(a, aug, &train, &held, &dir, out)
                .with_context(|| format!("fold model {}", dir.display()))?;
            folds.push(dir);
        }
        methods.push(Method::CrossValidated {
            name: cv_name(aug),
            folds,
        });
    }
    Ok(methods)
}

/// Trains one fold model unless a finished one with the same settings is in `dir`.
fn train_fold(
    a: &EvalLcArgs,
    aug: &str,
    train: &[String],
    held: &[String],
    dir: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut resume = false;
    if dir.join(thaw_pfn::checkpoint::CONFIG_FILE).exists() {
        let c = read_config(dir)?;
        let field = |v: &serde_json::Value, k: &str| v.get(k).cloned().unwrap_or_default();
        let mut saved_train: Vec<String> =
            serde_json::from_value(field(&c.data, "train_tasks")).unwrap_or_default();
        let mut want_train = train.to_vec();
        saved_train.sort();
        want_train.sort();
        let same = saved_train == want_train
            && field(&c.data, "augment") == serde_json::json!(aug)
            && field(&c.training, "steps") == serde_json::json!(a.cv_steps)
            && field(&c.training, "seq_len") == serde_json::json!(a.cv_seq_len)
            && field(&c.training, "seed") == serde_json::json!(a.seed)
            && field(&c.training, "lr")
                .as_f64()
                .is_some_and(|lr| (lr - a.cv_lr).abs() < 1e-12)
            && c.model == thaw_pfn::PfnConfig::preset(&a.cv_model).map_err(anyhow::Error::from)?;
        if !same {
            bail!(
                "{} holds a model trained with other settings; remove it or pick another --cv-dir",
                dir.display()
            );
        }
        if c.step as usize >= a.cv_steps {
            writeln!(
                out,
                "reusing {} ({} steps, validation NLL {:?})",
                dir.display(),
                c.step,
                c.metrics.val_nll
            )?;
            return Ok(());
        }
        resume = true;
    }
    writeln!(
        out,
        "training {} on {} task(s), holding out {}",
        dir.display(),
        train.len(),
        held.join(", ")
    )?;
    let mut argv: Vec<String> = vec![
        "train-pfn".into(),
        "--out".into(),
        dir.display().to_string(),
    ];
    if resume {
        argv.push("--resume".into());
    } else {
        let s = |v: &dyn ToString| v.to_string();
        argv.extend([
            "--prior".into(),
            "taskset".into(),
            "--data".into(),
            a.data.display().to_string(),
            "--train-tasks".into(),
            train.join(","),
            "--val-tasks".into(),
            held.join(","),
            "--augment".into(),
            aug.into(),
            "--model".into(),
            a.cv_model.clone(),
            "--steps".into(),
            s(&a.cv_steps),
            "--batch".into(),
            "8".into(),
            "--seq-len".into(),
            s(&a.cv_seq_len),
            "--lr".into(),
            s(&a.cv_lr),
            "--seed".into(),
            s(&a.seed),
            "--val-every".into(),
            "100".into(),
            "--val-batches".into(),
            "4".into(),
            "--checkpoint-every".into(),
            "100".into(),
            "--data-parallel".into(),
            "2".into(),
        ]);
    }
    if a.quiet {
        argv.push("--quiet".into());
    }
    train_pfn::run(argv, out)
}
