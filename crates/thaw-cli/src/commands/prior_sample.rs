//! `thaw prior-sample`: draw synthetic tasks from the FT-PFN prior and write them as
//! a thaw Parquet file, a long CSV and an SVG plot, to see what the model trains on.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use thaw_data::{
    BenchmarkMeta, CsvTable, HyperParameter, RawBenchmark, RawTask, Scale, write_benchmark,
};
use thaw_prior::{derive_seed, sample_curves};

use crate::plot::{Panel, curve_grid};

/// Arguments of `thaw prior-sample`.
#[derive(Debug, Args)]
pub struct PriorSampleArgs {
    /// Prior to draw from (the TaskSet prior's curves are the data itself: `thaw data
    /// summary`).
    #[arg(long, value_enum, default_value_t = SamplePrior::Ftpfn)]
    prior: SamplePrior,
    /// Number of tasks (each a fresh random MLP and task constants).
    #[arg(long, default_value_t = 6)]
    tasks: usize,
    /// Configurations per task.
    #[arg(long, default_value_t = 100)]
    configs: usize,
    /// Points per curve (t = 1/epochs … 1).
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Hyperparameters per configuration (1–10).
    #[arg(long, default_value_t = 2, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=thaw_prior::MAX_HPS as u64))]
    hps: usize,
    /// Curves per task drawn in the plot.
    #[arg(long, default_value_t = 25)]
    plot_curves: usize,
    /// Seed: task k uses a seed derived from (seed, k).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder: curves.parquet, curves.csv, curves.svg.
    #[arg(long, default_value = "prior-sample")]
    out: PathBuf,
}

/// The priors `prior-sample` draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SamplePrior {
    /// The synthetic ifBO prior of FT-PFN.
    Ftpfn,
}

/// Most curve points one run may hold in memory (tasks × configurations × epochs, f32
/// plus the tables written from them: about 1.6 GB at the limit).
const MAX_POINTS: usize = 100_000_000;

fn check_size(a: &PriorSampleArgs) -> anyhow::Result<()> {
    let points = a
        .tasks
        .checked_mul(a.configs)
        .and_then(|p| p.checked_mul(a.epochs));
    match points {
        Some(p) if p <= MAX_POINTS => Ok(()),
        _ => crate::usage!(
            "--tasks {} × --configs {} × --epochs {} points is over the limit of {MAX_POINTS} a run holds in memory; draw fewer tasks per run",
            a.tasks,
            a.configs,
            a.epochs
        ),
    }
}

/// Runs `thaw prior-sample`.
pub fn run(a: PriorSampleArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let SamplePrior::Ftpfn = a.prior;
    if a.tasks == 0 {
        crate::usage!("--tasks must be at least 1");
    }
    check_size(&a)?;
    let _claim = crate::claim::OutputClaim::take(&a.out, "prior-sample")?;
    let mut tasks = Vec::with_capacity(a.tasks);
    for k in 0..a.tasks {
        let (hps, y) = sample_curves(a.configs, a.epochs, a.hps, derive_seed(a.seed, &[k as u64]))?;
        tasks.push((format!("ftpfn-s{}-t{k}", a.seed), hps, y));
    }

    let parquet = a.out.join("curves.parquet");
    write_benchmark(&as_benchmark(&a, &tasks), &parquet)?;
    let csv = a.out.join("curves.csv");
    write_csv(&a, &tasks, &csv)?;
    let svg = a.out.join("curves.svg");
    plot(&a, &tasks, &svg)?;
    writeln!(
        out,
        "{} tasks × {} configurations × {} epochs (d = {}) → {}, {}, {}",
        a.tasks,
        a.configs,
        a.epochs,
        a.hps,
        parquet.display(),
        csv.display(),
        svg.display()
    )?;
    Ok(())
}

/// The first curves of every task, one panel each.
fn plot(
    a: &PriorSampleArgs,
    tasks: &[(String, Vec<f32>, Vec<f32>)],
    svg: &std::path::Path,
) -> anyhow::Result<()> {
    let panels: Vec<Panel> = tasks
        .iter()
        .map(|(name, _, y)| Panel {
            title: name.clone(),
            curves: y
                .chunks_exact(a.epochs)
                .take(a.plot_curves)
                .map(|c| {
                    c.iter()
                        .enumerate()
                        .map(|(e, &v)| ((e + 1) as f64, v as f64))
                        .collect()
                })
                .collect(),
        })
        .collect();
    curve_grid(
        svg,
        &format!(
            "FT-PFN prior: {} tasks, d = {}, seed {}",
            a.tasks, a.hps, a.seed
        ),
        &panels,
        3,
        "epoch",
        a.epochs as f64,
    )?;
    Ok(())
}

/// The tasks as a thaw benchmark: metric `error` = 1 − y (minimised) with an initial
/// point of 1 before training, so that `thaw data summary`, `thaw predict --data` and
/// every other reader normalise it back to exactly the sampled y.
fn as_benchmark(a: &PriorSampleArgs, tasks: &[(String, Vec<f32>, Vec<f32>)]) -> RawBenchmark {
    let meta = BenchmarkMeta {
        benchmark: "ftpfn-prior".into(),
        metric: "error".into(),
        minimize: true,
        initial_point: true,
        hyperparameters: (1..=a.hps)
            .map(|i| HyperParameter::new(&format!("h{i}"), 0.0, 1.0, Scale::Linear))
            .collect(),
        splits: vec!["valid".into()],
        source: format!(
            "thaw prior-sample --prior ftpfn --seed {} (synthetic; error = 1 − y, point 0 = 1)",
            a.seed
        ),
    };
    let tasks = tasks
        .iter()
        .map(|(name, hps, y)| {
            let valid = y
                .chunks_exact(a.epochs)
                .flat_map(|c| std::iter::once(1.0).chain(c.iter().map(|v| 1.0 - v)))
                .collect();
            RawTask {
                name: name.clone(),
                config_ids: (0..a.configs as u32).collect(),
                hps: hps.iter().map(|&h| h as f64).collect(),
                points: a.epochs + 1,
                curves: [("valid".to_string(), valid)].into_iter().collect(),
            }
        })
        .collect();
    RawBenchmark { meta, tasks }
}

/// One row per (task, config, epoch): `task,config,epoch,t,h1..hd,y`.
fn write_csv(
    a: &PriorSampleArgs,
    tasks: &[(String, Vec<f32>, Vec<f32>)],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let mut header = vec![
        "task".to_string(),
        "config".into(),
        "epoch".into(),
        "t".into(),
    ];
    header.extend((1..=a.hps).map(|i| format!("h{i}")));
    header.push("y".into());
    let mut table = CsvTable::new(header);
    for (name, hps, y) in tasks {
        for c in 0..a.configs {
            let h = &hps[c * a.hps..(c + 1) * a.hps];
            for e in 0..a.epochs {
                let mut row = vec![
                    name.clone(),
                    c.to_string(),
                    (e + 1).to_string(),
                    ((e + 1) as f64 / a.epochs as f64).to_string(),
                ];
                row.extend(h.iter().map(f32::to_string));
                row.push(y[c * a.epochs + e].to_string());
                table.row(row);
            }
        }
    }
    table
        .write(path)
        .with_context(|| format!("writing {}", path.display()))
}
