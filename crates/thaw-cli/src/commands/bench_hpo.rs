//! `bench-hpo`: every HPO method on every held-out task with several seeds; normalised
//! regret and average rank over epochs as CSV, Markdown and SVG.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;
use thaw_bench::hpo::report::{curves_csv, markdown, runs_csv};
use thaw_bench::hpo::{HpoOutcome, HpoSettings, HpoSummary, run_all, summarise};
use thaw_data::{Task, load_tasks};
use thaw_hpo::method::{METHOD_NAMES, MethodSpec};
use thaw_pfn::checkpoint::read_config;

use super::task_select;
use crate::args::{AllowTrainTasksArg, CheckpointsArg, DeviceArg, QuietArg, RefitArg};
use crate::plot::{Series, YAxis, line_chart};
use crate::progress;

const EXAMPLES: &str = "\
Examples:
  # the full benchmark: all methods, every TaskSet task the shipped
  # checkpoints did not train on, 5 seeds, 1000 epochs each (see the README
  # for how long it takes)
  bench-hpo
  # a quick look: three methods, two seeds, 200 epochs
  bench-hpo --methods adam-pfn-cv,hyperband,random --seeds 2 --budget 200 \\
      --out runs/quick
  # LCBench (out of distribution for Adam-PFN)
  bench-hpo --benchmark data/parquet/lcbench.parquet --tasks APSFailure,Amazon

Runs are stored one file each under <out>/runs/<method>/<task>/seed-<s>.json as they
finish; running the same command again skips them (an interrupted benchmark resumes),
and a stored run with other settings (its method spec, budget, task or seed) is refused
rather than mixed in. A run with seed s is exactly `ifbo --seed s` with the same method,
task and budget. `thaw bench-hpo` is the same command.

Outputs: <out>/summary.md (regret and rank at 100/250/500/1000 epochs beside the
paper's values at 1000), <out>/curves.csv (mean regret and rank of every method at every
epoch), <out>/runs.csv (one row per run), <out>/regret.svg (log axis) and <out>/rank.svg.
Normalised regret per task: (loss − L) / (U − L), loss = 1 − incumbent, L the best final
loss and U the worst first loss over all runs on that task; then the mean over tasks and
seeds. Rank: per task and seed, ties sharing the mean rank, averaged.";

/// Benchmarks freeze-thaw HPO methods: methods × tasks × seeds, in parallel, resumable.
#[derive(Debug, Parser)]
#[command(name = "bench-hpo", version, after_help = EXAMPLES)]
pub struct BenchHpoArgs {
    /// Parquet file of tasks.
    #[arg(long, default_value_os_t = crate::paths::taskset_parquet())]
    benchmark: PathBuf,
    /// Tasks: `all`, `all-but:a,b` or a comma list (names or unique prefixes). Default:
    /// every task that none of the chosen PFN checkpoints was trained on.
    #[arg(long)]
    tasks: Option<String>,
    /// Methods, comma-separated: adam-pfn, ft-pfn (ifBO with the shipped checkpoints), a
    /// checkpoint directory (ifBO with it), adam-pfn-cv or cv:PREFIX (ifBO with fold
    /// models PREFIX-fold<i>: each task runs with the fold that held it out), dpl, dyhpo, gp-ft, hyperband, asha, sha, bohb, tpe,
    /// gp-bo, cma-es, grid, rl-hpo, random.
    #[arg(long, default_value_t = METHOD_NAMES.join(","))]
    methods: String,
    /// Seeds 0 .. n−1 per (method, task).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    seeds: u64,
    /// Budget of every run, in epochs.
    #[arg(long, default_value_t = 1000)]
    budget: usize,
    /// Runs at once (default: every core; at most 1024).
    #[arg(long, value_parser = crate::args::thread_count)]
    threads: Option<usize>,
    #[command(flatten)]
    checkpoints: CheckpointsArg,
    #[command(flatten)]
    allow: AllowTrainTasksArg,
    #[command(flatten)]
    refit: RefitArg,
    #[command(flatten)]
    device: DeviceArg,
    /// Output directory.
    #[arg(long, default_value = "runs/bench-hpo")]
    out: PathBuf,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Runs `bench-hpo`.
pub fn run(a: BenchHpoArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if a.budget == 0 || a.seeds == 0 {
        crate::usage!("--budget and --seeds must be at least 1");
    }
    let device = a.device.select()?;
    let methods = method_specs(&a)?;
    let tasks = chosen_tasks(&a, &methods)?;
    for t in &tasks {
        super::task_select::check_budget(a.budget, t)?;
    }
    let _claim = crate::claim::OutputClaim::take(&a.out, "bench-hpo")?;
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let settings = HpoSettings {
        budget: a.budget,
        seeds: (0..a.seeds).collect(),
        threads,
        allow_train_tasks: a.allow.allow_train_tasks,
        dir: a.out.join("runs"),
        device,
    };
    let n_runs = methods.len() * tasks.len() * settings.seeds.len();
    writeln!(
        out,
        "bench-hpo: {} methods × {} tasks × {} seeds = {n_runs} runs of {} epochs on {threads} threads → {}",
        methods.len(),
        tasks.len(),
        settings.seeds.len(),
        a.budget,
        a.out.display()
    )?;
    let bar = progress::bar(
        (n_runs * a.budget) as u64,
        "epochs, ETA {eta}",
        a.quiet.quiet,
    );
    let started = std::time::Instant::now();
    let outcome = run_all(&tasks, &methods, &settings, &|n| bar.inc(n))?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let summary = summarise(&outcome.records, a.budget);
    let md = write_outputs(&a.out, &outcome, &summary, a.budget)?;
    writeln!(out, "{md}")?;
    let cpu: f64 = outcome.records.iter().map(|r| r.wall_s).sum();
    writeln!(
        out,
        "{} runs ({} read back from {}), {wall:.0} s wall, {cpu:.0} s summed over runs; summary.md, curves.csv, runs.csv, regret.svg, rank.svg in {}",
        outcome.records.len(),
        outcome.resumed,
        settings.dir.display(),
        a.out.display()
    )?;
    Ok(())
}

fn method_specs(a: &BenchHpoArgs) -> anyhow::Result<Vec<MethodSpec>> {
    let growth = a.refit.growth()?;
    let mut methods = Vec::new();
    for name in a
        .methods
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let m = MethodSpec::named(name, &a.checkpoints.checkpoints)?.with_refit_growth(growth);
        if m.needs_program() {
            crate::usage!("{}", super::task_select::tabular_refusal(&m));
        }
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    if methods.is_empty() {
        crate::usage!("--methods is empty");
    }
    Ok(methods)
}

/// `--tasks`, or every task none of the methods' checkpoints trained on.
fn chosen_tasks(a: &BenchHpoArgs, methods: &[MethodSpec]) -> anyhow::Result<Vec<Task>> {
    let mut configs = Vec::new();
    for dir in methods.iter().filter_map(MethodSpec::checkpoint) {
        configs.push(read_config(dir).with_context(|| format!("checkpoint {}", dir.display()))?);
    }
    let all = load_tasks(&a.benchmark, None)
        .with_context(|| format!("loading {}", a.benchmark.display()))?;
    let names: Vec<String> = all.iter().map(|t| t.name.clone()).collect();
    let chosen = match &a.tasks {
        Some(spec) => task_select::select(spec, &names)?,
        None => {
            let held_out: Vec<String> = names
                .iter()
                .filter(|n| !configs.iter().any(|c| c.trained_on(n)))
                .cloned()
                .collect();
            if held_out.is_empty() {
                bail!(
                    "every task of {} was used to train a chosen checkpoint; name tasks with --tasks (and --allow-train-tasks)",
                    a.benchmark.display()
                );
            }
            held_out
        }
    };
    Ok(all
        .into_iter()
        .filter(|t| chosen.contains(&t.name))
        .collect())
}

/// summary.md, curves.csv, runs.csv and the two plots; returns the Markdown.
fn write_outputs(
    dir: &Path,
    outcome: &HpoOutcome,
    summary: &HpoSummary,
    budget: usize,
) -> anyhow::Result<String> {
    let md = markdown(&outcome.records, summary);
    thaw_data::atomic::write_bytes(&dir.join("summary.md"), md.as_bytes())?;
    curves_csv(summary).write(&dir.join("curves.csv"))?;
    runs_csv(&outcome.records, summary).write(&dir.join("runs.csv"))?;
    let series = |curves: &[Vec<f64>]| -> Vec<Series> {
        summary
            .methods
            .iter()
            .zip(curves)
            .map(|(m, c)| Series {
                label: m.clone(),
                points: c
                    .iter()
                    .enumerate()
                    .map(|(t, &v)| ((t + 1) as f64, v))
                    .collect(),
            })
            .collect()
    };
    let x_max = budget as f64;
    line_chart(
        &dir.join("regret.svg"),
        "Mean normalised regret (log axis; 0 drawn at 1e-4)",
        ("epochs spent", "normalised regret"),
        x_max,
        YAxis::Log {
            floor: 1e-4,
            hi: 1.0,
        },
        &series(&summary.regret),
    )?;
    line_chart(
        &dir.join("rank.svg"),
        "Average rank (1 = best)",
        ("epochs spent", "rank"),
        x_max,
        YAxis::Linear {
            lo: 1.0,
            hi: summary.methods.len().max(2) as f64,
        },
        &series(&summary.rank),
    )?;
    Ok(md)
}
