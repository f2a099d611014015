//! `ifbo`: freeze-thaw hyperparameter optimisation of a tabular task with a PFN
//! surrogate (MFPI-random), a baseline curve model, or a bandit method.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;
use serde_json::json;
use thaw_data::{Task, load_tasks};
use thaw_hpo::method::MethodSpec;
use thaw_hpo::optimise::{self, Step, Trajectory};
use thaw_hpo::{History, TabularObjective};
use thaw_pfn::checkpoint::read_config;

use super::ifbo_dir::{self, RunRecord};
use super::task_select;
use crate::args::{
    AllowTrainTasksArg, CheckpointsArg, DeviceArg, OptimizerName, QuietArg, RefitArg,
};
use crate::claim::OutputClaim;
use crate::progress;

const EXAMPLES: &str = "\
Examples:
  # ifBO with Adam-PFN on a TaskSet task, 200 epochs of budget: the default
  # surrogate adam-pfn-cv runs the fold model that never saw the task
  ifbo --budget 200
  # the shipped Adam-PFN (all 8 shared tasks) on a task of your own file
  ifbo --surrogate adam-pfn --benchmark my-curves.parquet:my-task
  # FT-PFN, a full 1000-epoch run on a named task, trajectory into /tmp/run
  ifbo --surrogate ft-pfn --budget 1000 --seed 3 --out /tmp/run \\
      --benchmark data/parquet/taskset.parquet:patch32_GRU
  # continue it after a crash or a kill (the trajectory is written as it goes)
  ifbo --surrogate ft-pfn --budget 1000 --seed 3 --out /tmp/run \\
      --benchmark data/parquet/taskset.parquet:patch32_GRU --resume
  # the baselines on the same task
  ifbo --method hyperband --budget 1000
  ifbo --surrogate dyhpo --budget 300

Every method spends the budget the same way: an action that trains a configuration
from epoch a to b costs b - a epochs; a frozen configuration resumes where it stopped.
Surrogates: adam-pfn-cv (the default: checkpoints/adam-pfn-cv/cdf-fold<i>, Adam-PFN's
4 cross-validation fold models; each task runs with the fold that held it out, so a
TaskSet run is honest), cv:PREFIX (fold models PREFIX-fold<i>, as `eval-lc
--cross-validate` writes them), adam-pfn (checkpoints/adam-pfn, trained on all 8 shared
TaskSet tasks: for new tasks), adam-pfn-small (the earlier one, 6 tasks), ft-pfn
(checkpoints/ft-pfn-small) or any checkpoint directory; all with MFPI-random; dpl (EI at the last epoch), dyhpo and
gp-ft (one-step EI); these three retrain once the observed points have grown by 10 %
since their last fit (--refit-growth 0 retrains at every step, as the papers do, and is
several times slower at 1000 epochs). A PFN is refused on a task its config.json lists
as a training task unless --allow-train-tasks is given. `thaw ifbo` is the same command.";

/// Freeze-thaw hyperparameter optimisation on a tabular benchmark task.
///
/// Writes <out>/run.json (method, task, budget, seed) first, <out>/trajectory.csv as it
/// goes (one row per epoch trained: epochs spent, config, epoch, y, incumbent; a killed
/// run keeps every row it reported, and --resume continues it) and <out>/summary.json at
/// the end, and prints a summary: the best configuration
/// found (raw hyperparameters), its value, the best value anywhere in the table (the
/// incumbent is the best value seen at any epoch, so regret = that − incumbent ≥ 0), and the
/// optimiser's time per decision.
#[derive(Debug, Parser)]
#[command(name = "ifbo", version, after_help = EXAMPLES)]
pub struct IfboArgs {
    /// Curve model of the ifBO loop: adam-pfn-cv or cv:PREFIX (fold models), adam-pfn,
    /// adam-pfn-small, ft-pfn, a checkpoint directory, dpl, dyhpo or gp-ft [default:
    /// adam-pfn-cv]. Only with --method ifbo.
    #[arg(long)]
    surrogate: Option<String>,
    /// Method: ifbo (model-based, uses --surrogate) or a bandit.
    #[arg(long, value_enum, default_value_t = OptimizerName::Ifbo)]
    method: OptimizerName,
    /// <parquet>:<task> (task name or unique prefix); without `:<task>`, the first task
    /// the surrogate was not trained on.
    #[arg(long, default_value_t = crate::paths::taskset_parquet().display().to_string())]
    benchmark: String,
    /// Budget in epochs.
    #[arg(long, default_value_t = 1000)]
    budget: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    allow: AllowTrainTasksArg,
    #[command(flatten)]
    refit: RefitArg,
    #[command(flatten)]
    checkpoints: CheckpointsArg,
    #[command(flatten)]
    device: DeviceArg,
    /// Output directory (claimed for the run: a second run on it is refused).
    #[arg(long, default_value = "runs/ifbo")]
    out: PathBuf,
    /// Continue the interrupted run in --out: the optimiser replays the recorded epochs
    /// (checked one by one) and goes on to the identical trajectory.
    #[arg(long, conflicts_with = "force")]
    resume: bool,
    /// Replace the run in --out (without this flag a directory holding a run is refused).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    quiet: QuietArg,
}

/// The task a run optimises and whether the surrogate trained on it.
struct Chosen {
    file: PathBuf,
    task: Task,
    trained_on: bool,
    has_checkpoint: bool,
}

/// Runs `ifbo`.
pub fn run(a: IfboArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let device = a.device.select()?;
    let spec = a.method.spec(
        a.surrogate.as_deref(),
        "adam-pfn-cv",
        &a.refit,
        &a.checkpoints,
    )?;
    if spec.needs_program() {
        crate::usage!("{}", super::task_select::tabular_refusal(&spec));
    }
    let (chosen, spec) = choose_task(&a, &spec)?;
    super::task_select::check_budget(a.budget, &chosen.task)?;
    let mut optimizer = spec
        .build(a.seed, &device)
        .with_context(|| format!("building {}", spec.name()))?;
    let mut objective = TabularObjective::new(chosen.task.curves.clone())?;
    let best_in_table = objective.best_value();
    let _claim = OutputClaim::take(&a.out, "ifbo")?;
    let record = RunRecord {
        method: spec.key(),
        benchmark: chosen.file.clone(),
        task: chosen.task.name.clone(),
        budget: a.budget,
        seed: a.seed,
    };
    let recorded = ifbo_dir::prepare(&a.out, &record, a.resume, a.force)?;
    writeln!(out, "{}", headline(&a, optimizer.name(), &chosen))?;
    if a.resume {
        writeln!(
            out,
            "resuming: replaying {} recorded epochs of {}",
            recorded.len(),
            a.out.display()
        )?;
    }
    let mut live = ifbo_dir::LiveTrajectory::open(&a.out)?;
    let mut write_error = None;
    let bar = progress::bar(a.budget as u64, "epochs {msg}", a.quiet.quiet);
    let mut on_step = |s: &Step, h: &History| {
        bar.set_position(s.spent as u64);
        bar.set_message(progress_line(s, h));
        if s.spent > recorded.len() && write_error.is_none() {
            write_error = live.push(s).err();
        }
    };
    let started = std::time::Instant::now();
    let t = optimise::resume(
        optimizer.as_mut(),
        &mut objective,
        a.budget,
        &recorded,
        &mut on_step,
    )?;
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e);
    }
    live.finish()?;
    let outcome = Outcome::of(
        &t,
        chosen.task.curves.epochs,
        started.elapsed().as_secs_f64(),
    );
    let mut summary = summary_json(&a, &spec, &chosen, &t, &outcome, best_in_table);
    summary["resumed_after_epochs"] = json!(a.resume.then_some(recorded.len()));
    thaw_data::atomic::write_bytes(
        &ifbo_dir::summary_path(&a.out),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    report(out, &a.out, &chosen.task, &outcome, best_in_table)
}

/// The task of `--benchmark`, checked against the surrogate's training tasks, and the
/// method that runs on it (a cross-validated surrogate picks the fold that held the task
/// out; without `:<task>` it takes the file's first task).
fn choose_task(a: &IfboArgs, spec: &MethodSpec) -> anyhow::Result<(Chosen, MethodSpec)> {
    let config = match spec.checkpoint() {
        Some(dir) => Some(read_config(dir)?),
        None => None,
    };
    let trained = |n: &str| config.as_ref().is_some_and(|c| c.trained_on(n));
    let (file, want) = match a.benchmark.rsplit_once(':') {
        Some((f, t)) if !t.is_empty() && !f.is_empty() => (PathBuf::from(f), Some(t)),
        _ => (PathBuf::from(&a.benchmark), None),
    };
    let tasks = load_tasks(&file, None).with_context(|| format!("loading {}", file.display()))?;
    let names: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
    let name = match want {
        Some(w) => task_select::resolve(w, &names)?,
        None => names.iter().find(|n| !trained(n)).cloned().context(
            "every task of the file was used to train the surrogate; name one with :<task>",
        )?,
    };
    let spec = spec.for_task(&name)?;
    let config = match spec.checkpoint() {
        Some(dir) => Some(read_config(dir)?),
        None => None,
    };
    let trained_on = match (&config, spec.checkpoint()) {
        (Some(c), Some(dir)) => c.check_held_out(dir, &name, a.allow.allow_train_tasks)?,
        _ => false,
    };
    let task = tasks
        .into_iter()
        .find(|t| t.name == name)
        .with_context(|| format!("task {name} is not in {}", file.display()))?;
    Ok((
        Chosen {
            file,
            task,
            trained_on,
            has_checkpoint: config.is_some(),
        },
        spec,
    ))
}

fn headline(a: &IfboArgs, optimizer: String, c: &Chosen) -> String {
    let fairness = if c.trained_on {
        "TRAINED ON this task"
    } else if c.has_checkpoint {
        "held out from the surrogate's training"
    } else {
        "no training data involved"
    };
    format!(
        "{optimizer} on {} ({fairness}): {} configurations × {} epochs, budget {} epochs, seed {}",
        c.task.name, c.task.curves.configs, c.task.curves.epochs, a.budget, a.seed
    )
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

/// What a finished run found and how long it took.
struct Outcome {
    best: Option<Step>,
    started: usize,
    finished: usize,
    decisions: usize,
    mean_s: f64,
    median_s: f64,
    wall_s: f64,
}

impl Outcome {
    fn of(t: &Trajectory, epochs: usize, wall_s: f64) -> Self {
        let best = t
            .steps
            .iter()
            .max_by(|x, y| x.y.total_cmp(&y.y).then(y.spent.cmp(&x.spent)))
            .cloned();
        let mut d = t.decision_s.clone();
        d.sort_by(f64::total_cmp);
        let h = &t.history;
        let count = |f: &dyn Fn(usize) -> bool| (0..h.n_configs()).filter(|&c| f(c)).count();
        Self {
            best,
            started: count(&|c| !h.curve(c).is_empty()),
            finished: count(&|c| h.curve(c).len() == epochs),
            decisions: d.len(),
            mean_s: d.iter().sum::<f64>() / d.len().max(1) as f64,
            median_s: d.get(d.len() / 2).copied().unwrap_or(0.0),
            wall_s,
        }
    }
}

fn hyperparameters(task: &Task, config: usize) -> serde_json::Value {
    let raw = task.raw.hp_row(config, task.hp_names.len());
    task.hp_names
        .iter()
        .zip(raw)
        .map(|(n, v)| (n.clone(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn summary_json(
    a: &IfboArgs,
    spec: &MethodSpec,
    c: &Chosen,
    t: &Trajectory,
    o: &Outcome,
    best_in_table: f32,
) -> serde_json::Value {
    json!({
        "method": spec.name(),
        "method_settings": spec,
        "benchmark": c.file.display().to_string(),
        "task": c.task.name,
        "surrogate_trained_on_task": c.trained_on,
        "budget": a.budget,
        "seed": a.seed,
        "device": a.device.device.name(),
        "epochs_spent": t.steps.len(),
        "best": o.best.as_ref().map(|b| json!({"config": b.config, "epoch": b.epoch, "y": b.y, "hyperparameters": hyperparameters(&c.task, b.config)})),
        "best_in_table": best_in_table,
        "regret": o.best.as_ref().map(|b| f64::from(best_in_table) - f64::from(b.y)),
        "configs_started": o.started,
        "configs_finished": o.finished,
        "decisions": o.decisions,
        "decision_s_mean": o.mean_s,
        "decision_s_median": o.median_s,
        "wall_s": o.wall_s,
    })
}

fn report(
    out: &mut dyn Write,
    dir: &Path,
    task: &Task,
    o: &Outcome,
    best_in_table: f32,
) -> anyhow::Result<()> {
    if let Some(b) = &o.best {
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
        "{} configurations started, {} trained to the last epoch; {} decisions, {:.1} ms mean / {:.1} ms median each; {:.1} s in all",
        o.started,
        o.finished,
        o.decisions,
        o.mean_s * 1e3,
        o.median_s * 1e3,
        o.wall_s
    )?;
    writeln!(
        out,
        "trajectory in {}, summary in {}",
        dir.join("trajectory.csv").display(),
        dir.join("summary.json").display()
    )?;
    Ok(())
}
