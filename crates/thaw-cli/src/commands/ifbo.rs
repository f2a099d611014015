//! `ifbo`: freeze-thaw hyperparameter optimisation of a tabular task with a PFN
//! surrogate (MFPI-random), a baseline curve model, or a bandit method.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use thaw_bench::hpo::HpoMethod;
use thaw_data::atomic::write_bytes;
use thaw_data::load_tasks;
use thaw_hpo::study::{self, Step};
use thaw_hpo::{History, TabularObjective};

use super::task_select;

const EXAMPLES: &str = "\
Examples:
  # the shipped Adam-PFN tunes a TaskSet task it was not trained on (200 epochs of budget)
  ifbo --surrogate adam-pfn --budget 200
  # FT-PFN, a full 1000-epoch run on a named task, trajectory into /tmp/run
  ifbo --surrogate ft-pfn --benchmark data/parquet/taskset.parquet:FixedTextRNNClassification_imdb_patch32_GRU \\
      --budget 1000 --seed 3 --out /tmp/run
  # the baselines on the same task
  ifbo --method hyperband --budget 1000
  ifbo --surrogate dyhpo --budget 300

Every method spends the budget the same way: an action that trains a configuration
from epoch a to b costs b - a epochs; a frozen configuration resumes where it stopped.
Surrogates: adam-pfn (checkpoints/adam-pfn-small), ft-pfn (checkpoints/ft-pfn-small) or
any checkpoint directory, all with MFPI-random; dpl (EI at the last epoch), dyhpo and
gp-ft (one-step EI); these three retrain once the observed points have grown by 10 %
since their last fit (--refit-growth 0 retrains at every step, as the papers do, and is
several times slower at 1000 epochs). A PFN is refused on a task its config.json lists
as a training task unless --allow-train-tasks is given.";

/// Freeze-thaw hyperparameter optimisation on a tabular benchmark task.
///
/// Writes <out>/trajectory.csv (one row per epoch trained: epochs spent, config, epoch,
/// y, incumbent) and <out>/summary.json, and prints a summary: the best configuration
/// found (raw hyperparameters), its value, the best value anywhere in the table (the
/// incumbent is the best value seen at any epoch, so regret = that − incumbent ≥ 0), and the
/// optimiser's time per decision.
#[derive(Debug, Parser)]
#[command(name = "ifbo", version, after_help = EXAMPLES)]
pub struct IfboArgs {
    /// Curve model of the ifBO loop: adam-pfn, ft-pfn, a checkpoint directory, dpl, dyhpo or gp-ft.
    #[arg(long, default_value = "adam-pfn")]
    surrogate: String,
    /// Method: ifbo (model-based, uses --surrogate), hyperband, asha, sha or random.
    #[arg(long, default_value = "ifbo")]
    method: String,
    /// <parquet>:<task> (task name or unique prefix); without `:<task>`, the first task
    /// the surrogate was not trained on.
    #[arg(long, default_value = "data/parquet/taskset.parquet")]
    benchmark: String,
    /// Budget in epochs.
    #[arg(long, default_value_t = 1000)]
    budget: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run a PFN on a task it was trained on (not a fair test; the summary says so).
    #[arg(long)]
    allow_train_tasks: bool,
    /// DPL, DyHPO and GP-FT retrain once the observed points have grown by this fraction
    /// since their last fit; 0 retrains at every step as in the papers (much slower).
    #[arg(long, default_value_t = thaw_bench::hpo::DEFAULT_REFIT_GROWTH)]
    refit_growth: f64,
    /// Output directory.
    #[arg(long, default_value = "runs/ifbo")]
    out: PathBuf,
    /// No progress line.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `ifbo` with `args` (the first is the program name).
pub fn run<I, T>(args: I, out: &mut dyn Write) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let a = IfboArgs::try_parse_from(args)?;
    let method = method(&a)?;
    let ckpt = method.checkpoint().map(Path::to_path_buf);
    let trained_on: Vec<String> = match &ckpt {
        Some(dir) => method
            .training_tasks()
            .with_context(|| format!("surrogate {}", dir.display()))?,
        None => Vec::new(),
    };
    let (file, want) = match a.benchmark.rsplit_once(':') {
        Some((f, t)) if !t.is_empty() && !f.is_empty() => (PathBuf::from(f), Some(t.to_string())),
        _ => (PathBuf::from(&a.benchmark), None),
    };
    let tasks = load_tasks(&file, None).with_context(|| format!("loading {}", file.display()))?;
    let names: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
    let name = match want {
        Some(w) => task_select::resolve(&w, &names)?,
        None => names
            .iter()
            .find(|n| !trained_on.contains(n))
            .cloned()
            .context(
                "every task of the file was used to train the surrogate; name one with :<task>",
            )?,
    };
    let seen = trained_on.contains(&name);
    if seen && !a.allow_train_tasks {
        bail!(
            "the surrogate was trained on {name}: not a fair test (pass --allow-train-tasks to run anyway)"
        );
    }
    let task = tasks
        .into_iter()
        .find(|t| t.name == name)
        .context("task vanished")?;
    let mut optimizer = method
        .build(a.seed)
        .with_context(|| format!("building {}", method.name()))?;
    let mut objective = TabularObjective::new(task.curves.clone())?;
    let best_in_table = objective.best_value();

    let fairness = if seen {
        "TRAINED ON this task"
    } else if ckpt.is_some() {
        "held out from the surrogate's training"
    } else {
        "no training data involved"
    };
    writeln!(
        out,
        "{} on {name} ({fairness}): {} configurations × {} epochs, budget {} epochs, seed {}",
        optimizer.name(),
        task.curves.configs,
        task.curves.epochs,
        a.budget,
        a.seed
    )?;
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(a.budget as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:25}] {pos}/{len} epochs {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut on_step = |s: &Step, h: &History| {
        bar.set_position(s.spent as u64);
        bar.set_message(progress_line(s, h));
    };
    let started = std::time::Instant::now();
    let t = study::run(optimizer.as_mut(), &mut objective, a.budget, &mut on_step)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let best = t
        .steps
        .iter()
        .max_by(|x, y| x.y.total_cmp(&y.y).then(y.spent.cmp(&x.spent)));
    let mut d = t.decision_s.clone();
    d.sort_by(f64::total_cmp);
    let med = d.get(d.len() / 2).copied().unwrap_or(0.0);
    let mean = d.iter().sum::<f64>() / d.len().max(1) as f64;
    let started_n = (0..t.history.n_configs())
        .filter(|&c| !t.history.curve(c).is_empty())
        .count();
    let finished = (0..t.history.n_configs())
        .filter(|&c| t.history.curve(c).len() == task.curves.epochs)
        .count();

    let mut csv = String::from("spent,config,epoch,y,incumbent\n");
    for s in &t.steps {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            s.spent, s.config, s.epoch, s.y, s.incumbent
        ));
    }
    write_bytes(&a.out.join("trajectory.csv"), csv.as_bytes())?;
    let hps = |c: usize| -> serde_json::Value {
        let raw = task.raw.hp_row(c, task.hp_names.len());
        task.hp_names
            .iter()
            .zip(raw)
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let summary = json!({
        "method": optimizer.name(),
        "method_settings": format!("{method:?}"),
        "benchmark": file.display().to_string(),
        "task": name,
        "surrogate_trained_on_task": seen,
        "budget": a.budget,
        "seed": a.seed,
        "epochs_spent": t.steps.len(),
        "best": best.map(|b| json!({"config": b.config, "epoch": b.epoch, "y": b.y, "hyperparameters": hps(b.config)})),
        "best_in_table": best_in_table,
        "regret": best.map(|b| f64::from(best_in_table) - f64::from(b.y)),
        "configs_started": started_n,
        "configs_finished": finished,
        "decisions": t.decision_s.len(),
        "decision_s_mean": mean,
        "decision_s_median": med,
        "wall_s": wall,
    });
    write_bytes(
        &a.out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;

    if let Some(b) = best {
        writeln!(
            out,
            "best y {:.4} (config {}, epoch {}, after {} epochs); best value in the table {:.4}; regret {:.4}",
            b.y,
            b.config,
            b.epoch,
            b.spent,
            best_in_table,
            best_in_table - b.y
        )?;
        let raw = task.raw.hp_row(b.config, task.hp_names.len());
        let shown: Vec<String> = task
            .hp_names
            .iter()
            .zip(raw)
            .map(|(n, v)| format!("{n}={v:.4e}"))
            .collect();
        writeln!(out, "  hyperparameters: {}", shown.join(" "))?;
    }
    writeln!(
        out,
        "{started_n} configurations started, {finished} trained to the last epoch; {} decisions, {:.1} ms mean / {:.1} ms median each; {wall:.1} s in all",
        t.decision_s.len(),
        mean * 1e3,
        med * 1e3
    )?;
    writeln!(
        out,
        "trajectory in {}, summary in {}",
        a.out.join("trajectory.csv").display(),
        a.out.join("summary.json").display()
    )?;
    Ok(())
}

fn progress_line(s: &Step, h: &History) -> String {
    let max = h.max_epochs();
    let (mut started, mut finished) = (0, 0);
    for c in 0..h.n_configs() {
        let n = h.curve(c).len();
        started += usize::from(n > 0);
        finished += usize::from(n == max);
    }
    let frozen = started - finished - usize::from(h.curve(s.config).len() < max);
    format!(
        "incumbent {:.4} | started {started}, frozen {frozen}, finished {finished}",
        s.incumbent
    )
}

/// The benchmark method that `--method` and `--surrogate` name.
fn method(a: &IfboArgs) -> anyhow::Result<HpoMethod> {
    let name = match a.method.as_str() {
        "ifbo" => a.surrogate.as_str(),
        m @ ("hyperband" | "asha" | "sha" | "random") => m,
        other => bail!("--method {other:?}: choose ifbo, hyperband, asha, sha or random"),
    };
    if !(a.refit_growth >= 0.0 && a.refit_growth.is_finite()) {
        bail!("--refit-growth must be a finite number ≥ 0");
    }
    Ok(HpoMethod::parse(name, Path::new("checkpoints"))?.with_refit_growth(a.refit_growth))
}
