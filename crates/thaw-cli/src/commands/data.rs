//! `thaw data import`, `thaw data summary` and `thaw data stats`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use thaw_data::stats::{GroupStats, format_side_by_side};
use thaw_data::summary::format_table;
use thaw_data::{Benchmark, TaskSummary, import_dir, load_tasks, write_benchmark};

use crate::commands::train_pfn::parquet_files;
use crate::paths::{parquet_dir, raw_dir};

/// `thaw data …`
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Import published curve files into thaw's Parquet format.
    ///
    /// Without arguments, imports every benchmark that has a folder under
    /// data/raw/ (taskset: *.json, lcbench: *.npz) into data/parquet/<benchmark>.parquet.
    /// Files are written atomically: a failed import never leaves a partial file.
    #[command(
        after_help = "Examples:\n  thaw data import\n  thaw data import taskset --input ../shared/data/taskset \\\n      --output /tmp/taskset.parquet"
    )]
    Import(ImportArgs),
    /// Print a per-task table: configs, epochs, NaN and diverged curves, best and median final y.
    ///
    /// y is the normalised validation value (1 - loss / M, clipped to [0, 1], higher is
    /// better; M = median initial loss of the task). Without files, summarises every
    /// *.parquet in data/parquet/.
    #[command(
        after_help = "Examples:\n  thaw data summary\n  thaw data summary data/parquet/lcbench.parquet --task adult --task car"
    )]
    Summary(SummaryArgs),
    /// Statistics of whole files side by side: a generated corpus beside the real tasks.
    ///
    /// One column per file or folder (a folder is all its *.parquet files together, e.g.
    /// a gen-curves corpus's tasks/; all tasks, or the --task ones): share of configurations
    /// that never learn (best y < 0.01), NaN and diverged curves, quantiles of the final
    /// y, the median task's best final y, roughness (median over learning curves of the
    /// mean |second difference| of y) and drops (share of epoch steps where y falls by
    /// more than 0.01), the mean Spearman correlation of final y between tasks that
    /// share their configurations, and per hyperparameter the mean Spearman correlation
    /// of final y with it. Printed as a Markdown table; --out also writes it to a file.
    #[command(
        after_help = "Examples:\n  thaw data stats data/parquet/taskset.parquet runs/gen-curves/curves.parquet\n  thaw data stats data/parquet/taskset.parquet data/corpus-mixed/tasks\n  thaw data stats data/parquet/taskset.parquet --out /tmp/stats.md"
    )]
    Stats(StatsArgs),
}

/// Arguments of `thaw data import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Benchmark to import (taskset or lcbench); all found under data/raw/ if omitted.
    benchmark: Option<String>,
    /// Folder of source files [default: <home>/data/raw/<benchmark>, see README "Where thaw looks"].
    #[arg(long, short, requires = "benchmark")]
    input: Option<PathBuf>,
    /// Parquet file to write [default: <home>/data/parquet/<benchmark>.parquet].
    #[arg(long, short, requires = "benchmark")]
    output: Option<PathBuf>,
}

/// Arguments of `thaw data summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Parquet files written by `thaw data import` [default: <home>/data/parquet/*.parquet].
    files: Vec<PathBuf>,
    /// Only these tasks (repeatable).
    #[arg(long = "task", short)]
    tasks: Vec<String>,
}

/// Arguments of `thaw data stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Parquet files in thaw's format, or folders of them, one column each.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Only these tasks (repeatable; in every file).
    #[arg(long = "task", short)]
    tasks: Vec<String>,
    /// Also write the table to this file (atomically).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs one `thaw data` command.
pub fn run(cmd: DataCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Import(args) => import(args, out),
        DataCommand::Summary(args) => summary(args, out),
        DataCommand::Stats(args) => stats(args, out),
    }
}

fn stats(args: StatsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let only = (!args.tasks.is_empty()).then_some(args.tasks.as_slice());
    let mut names = Vec::new();
    let mut groups = Vec::new();
    for path in &args.files {
        let files = parquet_files(std::slice::from_ref(path))?;
        let mut tasks = Vec::new();
        for file in &files {
            tasks.extend(
                load_tasks(file, only).with_context(|| format!("loading {}", file.display()))?,
            );
        }
        let Some(g) = GroupStats::of(&tasks) else {
            bail!("{}: no tasks to summarise", path.display());
        };
        names.push(if path.is_dir() {
            format!("`{}` ({} files)", path.display(), files.len())
        } else {
            format!("`{}`", path.display())
        });
        groups.push(g);
    }
    let table = format_side_by_side(&names, &groups);
    if let Some(path) = &args.out {
        thaw_data::atomic::write_bytes(path, table.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    write!(out, "{table}")?;
    Ok(())
}

fn import(args: ImportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let jobs: Vec<(Benchmark, PathBuf, PathBuf)> = match &args.benchmark {
        Some(name) => {
            let b: Benchmark = name.parse()?;
            let input = args
                .input
                .clone()
                .unwrap_or_else(|| raw_dir().join(b.name()));
            let output = args.output.clone().unwrap_or_else(|| default_output(b));
            vec![(b, input, output)]
        }
        None => {
            let found: Vec<_> = Benchmark::ALL
                .into_iter()
                .filter(|b| raw_dir().join(b.name()).is_dir())
                .map(|b| (b, raw_dir().join(b.name()), default_output(b)))
                .collect();
            if found.is_empty() {
                bail!(
                    "no benchmark folders under {} (expected taskset/ or lcbench/): run scripts/fetch-data first",
                    raw_dir().display()
                );
            }
            found
        }
    };
    for (bench, input, output) in jobs {
        let start = Instant::now();
        let raw = import_dir(bench, &input)
            .with_context(|| format!("importing {} from {}", bench.name(), input.display()))?;
        write_benchmark(&raw, &output).with_context(|| format!("writing {}", output.display()))?;
        let rows: usize = raw.tasks.iter().map(|t| t.configs()).sum();
        writeln!(
            out,
            "imported {}: {} tasks, {} rows, splits {} -> {} ({:.2} s)",
            bench.name(),
            raw.tasks.len(),
            rows,
            raw.meta.splits.join("/"),
            output.display(),
            start.elapsed().as_secs_f64()
        )?;
    }
    Ok(())
}

fn default_output(b: Benchmark) -> PathBuf {
    parquet_dir().join(format!("{}.parquet", b.name()))
}

fn summary(args: SummaryArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let files = if args.files.is_empty() {
        let dir = parquet_dir();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {} (run `thaw data import` first)", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        if files.is_empty() {
            bail!(
                "no *.parquet files in {} (run `thaw data import` first)",
                dir.display()
            );
        }
        files
    } else {
        args.files
    };
    let only = (!args.tasks.is_empty()).then_some(args.tasks.as_slice());
    for file in files {
        let tasks =
            load_tasks(&file, only).with_context(|| format!("loading {}", file.display()))?;
        let rows: Vec<TaskSummary> = tasks.iter().map(TaskSummary::of).collect();
        let bench = tasks.first().map(|t| t.benchmark.as_str()).unwrap_or("?");
        writeln!(out, "{} ({bench}, {} tasks)\n", file.display(), tasks.len())?;
        writeln!(out, "{}", format_table(&rows))?;
    }
    Ok(())
}
