//! `thaw gen-curves`: real Adam learning curves on demand (TaskSet-style tasks trained
//! under 1000 Adam configurations at once), written as thaw Parquet files.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use thaw_gen::corpus::{Observer, TASKS_DIR};
use thaw_gen::{CorpusSettings, Family, TrainSettings};

use crate::args::{DeviceArg, QuietArg};
use crate::progress;

/// Arguments of `thaw gen-curves`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct GenCurvesArgs {
    /// Task family: MLPs on embedded tables (wine quality, diabetes, iris), MLPs on
    /// random-teacher data, both alternating (mixed), recurrent classifiers on
    /// procedural sequences, or all three in turn.
    #[arg(long, value_enum, default_value_t = FamilyArg::Mixed)]
    family: FamilyArg,
    /// Number of tasks (task k depends only on family, seed and k: more tasks later
    /// extend the corpus).
    #[arg(long, default_value_t = 10)]
    tasks: usize,
    /// Adam configurations per task (TaskSet-8P's 8 hyperparameters, drawn from --seed).
    #[arg(long, default_value_t = 1000)]
    configs: usize,
    /// Training steps per configuration (a multiple of --points − 1; TaskSet: 10000).
    #[arg(long, default_value_t = 2000)]
    steps: u64,
    /// Evaluation points, point 0 (before training) included (TaskSet: 51).
    #[arg(long, default_value_t = 51)]
    points: usize,
    /// Rows of each split scored at an evaluation point.
    #[arg(long, default_value_t = 500)]
    eval_rows: usize,
    /// Configurations trained together as one batched model (lower it to save memory;
    /// the curves stay the same).
    #[arg(long, default_value_t = 1000)]
    chunk: usize,
    /// Seed of configurations, tasks, initial weights and minibatches.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder: gen-curves.json, tasks/TASK.parquet, curves.parquet. A folder of
    /// an earlier run with the same settings is continued.
    #[arg(long, default_value = "runs/gen-curves")]
    out: PathBuf,
    #[command(flatten)]
    device: DeviceArg,
    #[command(flatten)]
    quiet: QuietArg,
}

const EXAMPLES: &str = "\
Examples:
  # 10 tasks x 1000 Adam configurations x 2000 steps into runs/gen-curves
  thaw gen-curves
  # a quick look: 2 tiny tasks, then their table
  thaw gen-curves --tasks 2 --configs 50 --steps 200 --out /tmp/gen
  thaw data summary /tmp/gen/curves.parquet
  # grow the corpus to 100 tasks (finished tasks are kept)
  thaw gen-curves --tasks 100
  # train an Adam-PFN on generated curves
  thaw train-pfn --data runs/gen-curves/curves.parquet --out /tmp/pfn";

/// The families on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FamilyArg {
    /// MLPs on embedded tables (wine quality, diabetes, iris).
    Tabular,
    /// MLPs on data from random teacher networks.
    Teacher,
    /// Even tasks tabular, odd tasks teacher.
    Mixed,
    /// Tanh RNNs, IRNNs and GRUs telling apart sequences of random Markov chains.
    Sequence,
    /// Tabular, teacher and sequence tasks in turn.
    All,
}

impl From<FamilyArg> for Family {
    fn from(f: FamilyArg) -> Self {
        match f {
            FamilyArg::Tabular => Family::Tabular,
            FamilyArg::Teacher => Family::Teacher,
            FamilyArg::Mixed => Family::Mixed,
            FamilyArg::Sequence => Family::Sequence,
            FamilyArg::All => Family::All,
        }
    }
}

/// The progress bar: steps over every unfinished task, a line per finished task.
struct Bar {
    bar: ProgressBar,
}

impl Observer for Bar {
    fn start(&mut self, todo: usize, done: usize, steps: u64) {
        if done > 0 {
            self.bar
                .println(format!("{done} tasks already finished, {todo} to go"));
        }
        self.bar.set_length(todo as u64 * steps);
        self.bar.reset_eta();
    }

    fn step(&mut self) {
        self.bar.inc(1);
    }

    fn task_done(&mut self, name: &str, seconds: f64, diverged: usize) {
        self.bar.println(format!(
            "{name}: {seconds:.1} s, {diverged} configurations diverged"
        ));
    }
}

/// Runs `thaw gen-curves`.
pub fn run(a: GenCurvesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let settings = CorpusSettings {
        family: a.family.into(),
        seed: a.seed,
        tasks: a.tasks,
        configs: a.configs,
        train: TrainSettings {
            steps: a.steps,
            points: a.points,
            eval_rows: a.eval_rows,
            chunk: a.chunk,
        },
    };
    if a.tasks == 0 || a.configs == 0 {
        crate::usage!("--tasks and --configs must be at least 1");
    }
    if let Err(e) = settings.train.check() {
        crate::usage!("{e}");
    }
    let device = a.device.select()?;
    let _claim = crate::claim::OutputClaim::take(&a.out, "gen-curves")?;
    remove_temporaries(&a.out.join(TASKS_DIR));
    let mut bar = Bar {
        bar: progress::bar(0, "steps ETA {eta}", a.quiet.quiet),
    };
    let report = thaw_gen::generate(&settings, &a.out, &device, &mut bar)?;
    bar.bar.finish_and_clear();
    let per_hour = if report.trained > 0 {
        format!(
            " ({:.1} tasks/hour)",
            report.trained as f64 * 3600.0 / report.seconds.max(1e-9)
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} tasks trained in {:.1} s{per_hour}, {} already there → {}",
        report.trained,
        report.seconds,
        report.skipped,
        report.merged.display()
    )?;
    Ok(())
}

/// Removes what a killed atomic write left in `dir` (the claim is held: nobody else
/// writes there).
fn remove_temporaries(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name()
            .to_str()
            .is_some_and(thaw_data::atomic::is_temporary_name)
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
