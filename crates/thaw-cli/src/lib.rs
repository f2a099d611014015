//! # thaw-cli — the command-line tools of thaw
//!
//! One `thaw` binary with every command as a subcommand; `train-pfn`, `ifbo`, `eval-lc`
//! and `bench-hpo` are also binaries of their own that take exactly the same arguments
//! (the names users already type). Each command parses its arguments, calls the library
//! and reports; errors carry the file, row and field the library names.

pub mod args;
pub mod claim;
pub mod commands;
pub mod paths;
pub mod plot;
pub mod progress;

use std::io::Write;

use clap::{Parser, Subcommand};

/// thaw — in-context freeze-thaw hyperparameter optimisation with PFN surrogates.
#[derive(Debug, Parser)]
#[command(name = "thaw", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  # the raw TaskSet and LCBench files into data/raw/, then to data/parquet/
  scripts/fetch-data
  thaw data import
  # a per-task table of every file in data/parquet/
  thaw data summary
  # tune a TaskSet task with Adam-PFN (the fold model that held the task out)
  thaw ifbo --budget 300
  # the earlier Adam-PFN (6 tasks) predicts final values of a task it held out
  thaw predict --checkpoint adam-pfn-small
  # train a (tiny) PFN
  thaw train-pfn --model tiny --steps 200 --out /tmp/pfn
  # the learning-curve table, and the HPO benchmark
  thaw eval-lc --tasks all --contexts 400 --draws 1
  thaw bench-hpo --methods adam-pfn-cv,hyperband --seeds 2
  # thaw's TPE, CMA-ES and GP-BO beside Optuna's samplers
  thaw bench-peers --out runs/bench-peers
  # synthetic FT-PFN tasks: Parquet, CSV and an SVG plot
  thaw prior-sample --out /tmp/prior
  # real Adam curves: TaskSet-style tasks x 1000 Adam configurations
  thaw gen-curves --tasks 10 --out runs/gen-curves
  # tune your own training program (a study file names it and its space)
  thaw tune space.toml --budget 100
  thaw status
  thaw plot --out study.svg
  thaw dashboard

`thaw COMMAND --help` explains each command; `train-pfn`, `ifbo`, `eval-lc` and
`bench-hpo` are also installed as binaries of their own with the same arguments.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Learning-curve data: import published files to Parquet, summarise them.
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Train a PFN surrogate (Adam-PFN on real curves, FT-PFN on the synthetic prior).
    TrainPfn(commands::train_pfn::TrainArgs),
    /// Freeze-thaw HPO of a tabular task: ifBO with a PFN, a baseline model or a bandit.
    Ifbo(commands::ifbo::IfboArgs),
    /// The learning-curve extrapolation table: LL and MSE of final values, beside the paper.
    EvalLc(commands::eval_lc::EvalLcArgs),
    /// The HPO benchmark: methods × tasks × seeds, regret and rank over epochs.
    BenchHpo(commands::bench_hpo::BenchHpoArgs),
    /// TPE, CMA-ES, GP-BO and random search beside Optuna's samplers: test functions and TaskSet.
    BenchPeers(commands::bench_peers::BenchPeersArgs),
    /// Load a trained PFN, show it partial curves of a task and predict their final values.
    ///
    /// Draws --context observed points (partial curves, prefixes of some configurations,
    /// exactly as eval-lc draws them) from the task, asks the model for the final-epoch
    /// distribution of every configuration, and prints the mean log-likelihood (density)
    /// and MSE of the true final values, then the configurations with the best predicted
    /// final value.
    #[command(
        after_help = "Examples:\n  thaw predict --checkpoint adam-pfn-small\n  thaw predict --checkpoint ft-pfn --task patch32_GRU --context 1000"
    )]
    Predict(commands::predict::PredictArgs),
    /// Draw synthetic tasks from the FT-PFN prior: curves.parquet (thaw format), curves.csv, curves.svg.
    ///
    /// Each task is a fresh random MLP over --hps hyperparameters; its configurations'
    /// curves are observed at t = 1/epochs … 1 with the prior's noise. The Parquet file
    /// stores error = 1 − y with an initial point of 1, so every thaw reader (data
    /// summary, predict --data) sees exactly the sampled y.
    #[command(
        after_help = "Examples:\n  thaw prior-sample --out /tmp/prior\n  thaw prior-sample --tasks 3 --configs 1000 --epochs 100 --hps 5 \\\n      --seed 7 --out /tmp/prior5d"
    )]
    PriorSample(commands::prior_sample::PriorSampleArgs),
    /// Real Adam learning curves on demand: TaskSet-style tasks × 1000 Adam configurations.
    ///
    /// Each task (an MLP on an embedded table or on random-teacher data) is trained under
    /// every configuration of TaskSet-8P's 8 hyperparameters at once, as one batched model,
    /// with train/valid/test loss at --points evaluation points (NaN once a run diverges).
    /// One Parquet file per task in OUT/tasks/, all of them in OUT/curves.parquet; a killed
    /// run continues with the next unfinished task.
    GenCurves(commands::gen_curves::GenCurvesArgs),
    /// Tune your own training program with freeze-thaw (a durable study; see --help).
    Tune(commands::tune::TuneArgs),
    /// Join a study from any machine as a worker (PostgreSQL store; see --help).
    Worker(commands::worker::WorkerArgs),
    /// Load-test a study store: asks and tells per second with many workers.
    StoreBench(commands::store_bench::StoreBenchArgs),
    /// A study's state: budget, trials per state, the best trials.
    Status(commands::study_status::StatusArgs),
    /// Every epoch of a study as CSV, or as thaw's Parquet format for train-pfn.
    Export(commands::study_status::ExportArgs),
    /// Every study in a store: method, epochs spent, trials, best value.
    Studies(commands::study_admin::StudiesArgs),
    /// A study's best configuration (--json for scripts).
    Best(commands::study_admin::BestArgs),
    /// Delete a study from its store (asks first; --yes for scripts).
    Delete(commands::study_admin::DeleteArgs),
    /// Studies of one objective side by side: regret over epochs and wall-clock, by method.
    Compare(commands::study_compare::CompareArgs),
    /// A study as an SVG: learning curves with forecasts of the frozen trials, the incumbent.
    Plot(commands::study_plot::PlotArgs),
    /// A live page of a store's studies on localhost: curves, incumbent, trials, parameters.
    ///
    /// The page lists the studies of the store; for the chosen one it draws every trial's
    /// learning curve, the incumbent over epochs spent and over wall-clock time, the trial
    /// table (click a column header to sort), a parallel-coordinates plot of the
    /// parameters coloured by each trial's best value, and each parameter's importance
    /// (|Spearman ρ| with the best value; η for categoricals). It reloads every 2 s, so a
    /// study that `thaw tune` runs updates as it goes; the store is only read. Nothing is
    /// loaded from the internet. JSON for scripts: /api/studies, /api/study/NAME. See
    /// docs/dashboard.md.
    Dashboard(commands::dashboard::DashboardArgs),
}

/// Parses `args` (the first is the program name) and runs the command, writing
/// its report to `out`.
pub fn run<I, T>(args: I, out: &mut dyn Write) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args)?.command {
        Command::Data(cmd) => commands::data::run(cmd, out),
        Command::TrainPfn(a) => commands::train_pfn::run(a, out),
        Command::Ifbo(a) => commands::ifbo::run(a, out),
        Command::EvalLc(a) => commands::eval_lc::run(a, out),
        Command::BenchHpo(a) => commands::bench_hpo::run(a, out),
        Command::BenchPeers(a) => commands::bench_peers::run(a, out),
        Command::Predict(a) => commands::predict::run(a, out),
        Command::PriorSample(a) => commands::prior_sample::run(a, out),
        Command::GenCurves(a) => commands::gen_curves::run(a, out),
        Command::Tune(a) => commands::tune::run(a, out),
        Command::Worker(a) => commands::worker::run(a, out),
        Command::StoreBench(a) => commands::store_bench::run(a, out),
        Command::Status(a) => commands::study_status::run_status(a, out),
        Command::Export(a) => commands::study_status::run_export(a, out),
        Command::Studies(a) => commands::study_admin::run_studies(a, out),
        Command::Best(a) => commands::study_admin::run_best(a, out),
        Command::Delete(a) => commands::study_admin::run_delete(a, out),
        Command::Compare(a) => commands::study_compare::run(a, out),
        Command::Plot(a) => commands::study_plot::run(a, out),
        Command::Dashboard(a) => commands::dashboard::run(a, out),
    }
}

/// Parses `args` as the standalone binary of one command (`ifbo …`, `train-pfn …`) and
/// runs it with `command`.
pub fn run_standalone<A: Parser>(
    args: Vec<std::ffi::OsString>,
    out: &mut dyn Write,
    command: fn(A, &mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    command(A::try_parse_from(args)?, out)
}

/// A binary's entry point: parses the arguments it is given and writes its report.
pub type Runner = fn(Vec<std::ffi::OsString>, &mut dyn Write) -> anyhow::Result<()>;

/// A command called the wrong way — flags that contradict each other, a value out of its
/// range: reported like clap's own usage errors, with status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Stopped by Ctrl-C: the study was left to continue (status 130, as a shell reports
/// SIGINT).
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "stopped by Ctrl-C: the running trials went back to the queue with their epochs \
             kept; run the same command to continue",
        )
    }
}

impl std::error::Error for Interrupted {}

/// Returns a [`UsageError`] from the current function (`format!` arguments).
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::UsageError(format!($($arg)*))))
    };
}

/// `error` and its causes, `: `-separated, each cause left out when the text before it
/// already says it (an error that prints its source, `FILE: No such file`, followed by
/// that source, `No such file`, used to show the operating system's message twice).
pub fn error_chain(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

/// `thaw`'s `main`: see [`main_for`].
pub fn main_with_exit_code() -> i32 {
    main_for(|args, out| run(args, out))
}

/// A binary's `main`: runs `runner`, prints `error: …` with its causes on failure and
/// returns status 1, or 2 for a usage error (clap's own status for its errors, 0 for
/// `--help`).
pub fn main_for(runner: Runner) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match runner(std::env::args_os().collect(), &mut stdout) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<clap::Error>() {
            Some(clap_err) => {
                let _ = clap_err.print();
                clap_err.exit_code()
            }
            // The reader went away (`thaw status | head`): as other tools, stop quietly.
            None if e
                .chain()
                .filter_map(|c| c.downcast_ref::<std::io::Error>())
                .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
            {
                141
            }
            None if e.downcast_ref::<Interrupted>().is_some() => {
                let _ = stdout.flush();
                eprintln!("{e}");
                130
            }
            None => {
                let _ = stdout.flush();
                eprintln!("error: {}", error_chain(&e));
                if e.downcast_ref::<UsageError>().is_some() {
                    2
                } else {
                    1
                }
            }
        },
    }
}
