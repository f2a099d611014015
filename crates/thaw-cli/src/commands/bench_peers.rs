//! `bench-peers`: thaw's TPE, CMA-ES, GP-BO and random search on continuous test
//! functions and TaskSet tables, every seed; the final regrets as CSV, and beside a
//! peer's (Optuna's, from `scripts/bench-optuna-reference`) as a Markdown table.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;
use thaw_bench::peers::compare::{compare, markdown};
use thaw_bench::peers::{
    Budgets, FUNCTIONS, Function, PEER_METHODS, PeerMethod, PeerRun, Problem, pools_csv,
    problems_json, read_csv, run_all, to_csv,
};
use thaw_data::{Task, load_tasks};

use super::task_select;
use crate::args::QuietArg;
use crate::progress;

const EXAMPLES: &str = "\
Examples:
  # thaw's side: every problem, method and seed, into runs/bench-peers/thaw.csv
  # (880 runs, ≈ 5 min on 2 cores, GP-BO nearly all of it)
  thaw bench-peers
  # Optuna's side on the same problems, budgets and seeds (a throw-away venv:
  # the script's header says how to make it), then the table
  scripts/bench-optuna-reference runs/bench-peers/optuna.csv
  thaw bench-peers --read runs/bench-peers/thaw.csv \\
      --peer runs/bench-peers/optuna.csv
  # a quick look: Branin only, 3 seeds, 15 evaluations
  thaw bench-peers --problems branin --seeds 3 --budgets branin=15 --out /tmp/p
  # what the peer script reads: TaskSet pools, problems and budgets
  thaw bench-peers --export-pools /tmp/pools

Problems (minimised; regret = best value found − optimum, ≥ 0) and the default
budgets (evaluations per run):
  branin        d = 2, [−5, 10] × [0, 15], f* = 0.397887           40
  hartmann6     d = 6, [0, 1]^6, f* = −3.32237                      60
  rosenbrock10  d = 10, [−5, 10]^10, f* = 0 at (1, …, 1)           100
  taskset       every TaskSet table (--tasks), d = 8, full fidelity  30
A TaskSet configuration's value is its normalised y at the last epoch; its regret
is the best final y in the table − the best found (normalised-y units). Every
method works in the unit box [0, 1]^d (a function's domain is its linear image).
On the functions, thaw's methods propose points of the continuous space
themselves (`ProposePoint`), each evaluated where it was proposed; on the tables
they act on the pool: TPE and CMA-ES through the pool rule (the nearest
never-trained configuration in the encoding), GP-BO scoring the members by EI,
random search drawing members. Every method has its default settings and is
seeded with the seed itself (0 .. --seeds − 1).

Outputs: <out>/thaw.csv, one row per run:
problem,method,seed,evaluations,regret,seconds,curve (curve: the regret after
each evaluation, space-separated). With --peer FILE (the same format) also
<out>/comparison.md, printed too: per problem and method the median and
quartiles (25 %, 75 %) of the final regret over seeds on both sides, and whether
thaw's median is below the peer's 25 % quantile (better), within its
interquartile range, or above it (worse); the TaskSet tables also as one row of
the per-seed mean over the tables. The regrets do not depend on --threads.";

/// Thaw's classic HPO methods beside Optuna's: the same problems, budgets and seeds.
#[derive(Debug, Parser)]
#[command(name = "bench-peers", version, after_help = EXAMPLES)]
pub struct BenchPeersArgs {
    /// Problems, comma-separated: branin, hartmann6, rosenbrock10, taskset (every table
    /// --tasks names).
    #[arg(long, default_value = "branin,hartmann6,rosenbrock10,taskset")]
    problems: String,
    /// Parquet file of the TaskSet tables.
    #[arg(long, default_value_os_t = crate::paths::taskset_parquet())]
    benchmark: PathBuf,
    /// TaskSet tables: `all`, `all-but:a,b` or a comma list (names or unique parts).
    #[arg(long, default_value = "all")]
    tasks: String,
    /// Methods, comma-separated: random, tpe, cma-es, gp-bo.
    #[arg(long, default_value = "random,tpe,cma-es,gp-bo")]
    methods: String,
    /// Seeds 0 .. n−1 per (problem, method).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    seeds: u64,
    /// Evaluations per run instead of the defaults, e.g. `branin=40,taskset=30`
    /// (families branin, hartmann6, rosenbrock10, taskset).
    #[arg(long)]
    budgets: Option<String>,
    /// Runs at once (default: every core; at most 1024).
    #[arg(long, value_parser = crate::args::thread_count)]
    threads: Option<usize>,
    /// Compare this stored results file of thaw's instead of running.
    #[arg(long, value_name = "FILE")]
    read: Option<PathBuf>,
    /// A peer's results file (same format): write and print the comparison.
    #[arg(long, value_name = "FILE")]
    peer: Option<PathBuf>,
    /// The peer's name in the table.
    #[arg(long, default_value = "Optuna")]
    peer_name: String,
    /// Write DIR/pools.csv (TaskSet tables: task,config,value,u0..) and
    /// DIR/problems.json (problems, dimensions, budgets, optima) for the peer script,
    /// and stop.
    #[arg(long, value_name = "DIR")]
    export_pools: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "runs/bench-peers")]
    out: PathBuf,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Runs `bench-peers`.
pub fn run(a: BenchPeersArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let runs = match &a.read {
        Some(path) => read_csv(path)?,
        None => {
            let budgets = Budgets::parse(a.budgets.as_deref().unwrap_or(""))?;
            let (problems, tasks) = chosen_problems(&a)?;
            if let Some(dir) = &a.export_pools {
                return export(dir, &problems, &tasks, &budgets, out);
            }
            let methods = chosen_methods(&a.methods)?;
            run_thaw(&a, &problems, &methods, &budgets, out)?
        }
    };
    if let Some(peer) = &a.peer {
        let rows = compare(&runs, &read_csv(peer)?);
        if rows.is_empty() {
            crate::usage!(
                "{} and the thaw results share no (problem, method)",
                peer.display()
            );
        }
        let md = markdown(&rows, &a.peer_name);
        let path = a.out.join("comparison.md");
        thaw_data::atomic::write_bytes(&path, md.as_bytes())?;
        writeln!(out, "{md}\n(written to {})", path.display())?;
    }
    Ok(())
}

/// `--export-pools`: DIR/pools.csv and DIR/problems.json.
fn export(
    dir: &Path,
    problems: &[Problem],
    tasks: &[Task],
    budgets: &Budgets,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let pools = dir.join("pools.csv");
    let list = dir.join("problems.json");
    thaw_data::atomic::write_bytes(&pools, pools_csv(tasks).as_bytes())?;
    thaw_data::atomic::write_bytes(&list, problems_json(problems, budgets).as_bytes())?;
    writeln!(
        out,
        "{} ({} tables) and {} ({} problems)",
        pools.display(),
        tasks.len(),
        list.display(),
        problems.len()
    )?;
    Ok(())
}

/// Runs every (problem, method, seed) and writes <out>/thaw.csv.
fn run_thaw(
    a: &BenchPeersArgs,
    problems: &[Problem],
    methods: &[PeerMethod],
    budgets: &Budgets,
    out: &mut dyn Write,
) -> anyhow::Result<Vec<PeerRun>> {
    let _claim = crate::claim::OutputClaim::take(&a.out, "bench-peers")?;
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let seeds: Vec<u64> = (0..a.seeds).collect();
    let n = problems.len() * methods.len() * seeds.len();
    writeln!(
        out,
        "bench-peers: {} problems × {} methods × {} seeds = {n} runs on {threads} threads → {}",
        problems.len(),
        methods.len(),
        seeds.len(),
        a.out.display()
    )?;
    let bar = progress::bar(n as u64, "runs, ETA {eta}", a.quiet.quiet);
    let started = std::time::Instant::now();
    let runs = run_all(problems, methods, &seeds, budgets, threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let path = a.out.join("thaw.csv");
    write_results(&path, &runs)?;
    let cpu: f64 = runs.iter().map(|r| r.seconds).sum();
    writeln!(
        out,
        "{} runs, {:.0} s wall, {cpu:.0} s summed over runs → {}",
        runs.len(),
        started.elapsed().as_secs_f64(),
        path.display()
    )?;
    for m in methods {
        let s: f64 = runs
            .iter()
            .filter(|r| r.method == m.name())
            .map(|r| r.seconds)
            .sum();
        writeln!(out, "  {}: {s:.1} s summed", m.name())?;
    }
    Ok(runs)
}

fn write_results(path: &Path, runs: &[PeerRun]) -> anyhow::Result<()> {
    thaw_data::atomic::write_bytes(path, to_csv(runs).as_bytes())?;
    Ok(())
}

/// The problems of `--problems` (functions first, then the tables of `--tasks` when
/// `taskset` is named) and those tables' tasks.
fn chosen_problems(a: &BenchPeersArgs) -> anyhow::Result<(Vec<Problem>, Vec<Task>)> {
    let mut functions = Vec::new();
    let mut tables = false;
    for name in a
        .problems
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match Function::named(name) {
            Some(f) if !functions.contains(&f) => functions.push(f),
            Some(_) => {}
            None if name == "taskset" => tables = true,
            None => {
                let known: Vec<&str> = FUNCTIONS.iter().map(|f| f.name()).collect();
                crate::usage!(
                    "--problems: no problem `{name}` (choose from {}, taskset)",
                    known.join(", ")
                );
            }
        }
    }
    if functions.is_empty() && !tables {
        crate::usage!("--problems is empty");
    }
    let tasks = if tables {
        let all = load_tasks(&a.benchmark, None)
            .with_context(|| format!("loading {}", a.benchmark.display()))?;
        let names: Vec<String> = all.iter().map(|t| t.name.clone()).collect();
        let chosen = task_select::select(&a.tasks, &names)?;
        all.into_iter()
            .filter(|t| chosen.contains(&t.name))
            .collect()
    } else {
        Vec::new()
    };
    let mut problems: Vec<Problem> = functions.into_iter().map(Problem::Function).collect();
    problems.extend(tasks.iter().map(Problem::table));
    Ok((problems, tasks))
}

fn chosen_methods(spec: &str) -> anyhow::Result<Vec<PeerMethod>> {
    let mut methods = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some(m) = PeerMethod::named(name) else {
            let known: Vec<&str> = PEER_METHODS.iter().map(|m| m.name()).collect();
            crate::usage!(
                "--methods: no method `{name}` (choose from {})",
                known.join(", ")
            );
        };
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    if methods.is_empty() {
        crate::usage!("--methods is empty");
    }
    Ok(methods)
}
