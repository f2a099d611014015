//! A resumable output folder of generated tasks:
//!
//! ```text
//! OUT/gen-curves.json        the settings (checked when the folder is used again)
//! OUT/tasks/<task>.parquet   one thaw Parquet file per finished task
//! OUT/curves.parquet         every task in one file, written once all are finished
//! ```
//!
//! Every file is written atomically (temp file, fsync, rename), so a killed run leaves
//! only whole task files; run again, it skips them and goes on with the next unfinished
//! task. Task k depends only on (family, seed, k), so the result is the same as an
//! uninterrupted run's, and `--tasks` may grow a finished corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use thaw_data::{BenchmarkMeta, RawBenchmark, RawTask, read_benchmark, write_benchmark};

use crate::error::{GenError, Result};
use crate::family::{Family, TaskSpec};
use crate::space::{AdamHps, sample_configs};
use crate::train::{Curves, TrainSettings, train_task};

/// Format version of `gen-curves.json`.
const MANIFEST_VERSION: u64 = 1;
/// The settings file.
pub const MANIFEST: &str = "gen-curves.json";
/// The merged file.
pub const MERGED: &str = "curves.parquet";
/// The folder of per-task files.
pub const TASKS_DIR: &str = "tasks";

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorpusSettings {
    /// The task family.
    pub family: Family,
    /// Seed of everything (configurations, tasks, weights, minibatches).
    pub seed: u64,
    /// Number of tasks.
    pub tasks: usize,
    /// Adam configurations per task (TaskSet: 1000).
    pub configs: usize,
    /// How each task is trained.
    pub train: TrainSettings,
}

/// What a corpus run reports as it goes.
pub trait Observer {
    /// Work is about to start: `todo` tasks of `steps` steps each are left, `done` found.
    fn start(&mut self, _todo: usize, _done: usize, _steps: u64) {}
    /// One training step of one chunk finished.
    fn step(&mut self) {}
    /// A task was written: its name, seconds it took, configurations that diverged.
    fn task_done(&mut self, _name: &str, _seconds: f64, _diverged: usize) {}
}

/// An observer that reports nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusReport {
    /// Tasks trained by this run.
    pub trained: usize,
    /// Tasks found finished.
    pub skipped: usize,
    /// Seconds spent training.
    pub seconds: f64,
    /// The merged file.
    pub merged: PathBuf,
}

/// The settings as recorded in the manifest (`tasks` and `chunk` are not part of a
/// corpus's identity: the first may grow, the second changes only memory use).
fn manifest(s: &CorpusSettings) -> serde_json::Value {
    serde_json::json!({
        "version": MANIFEST_VERSION,
        "family": s.family.name(),
        "seed": s.seed,
        "configs": s.configs,
        "steps": s.train.steps,
        "points": s.train.points,
        "eval_rows": s.train.eval_rows,
    })
}

/// Writes the manifest, or checks the one there.
fn claim_manifest(out: &Path, s: &CorpusSettings) -> Result<()> {
    let path = out.join(MANIFEST);
    let want = manifest(s);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let have: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| GenError::OtherSettings {
                    path: path.clone(),
                    detail: format!("unreadable: {e}"),
                })?;
            let (Some(h), Some(w)) = (have.as_object(), want.as_object()) else {
                return Err(GenError::OtherSettings {
                    path,
                    detail: "not a JSON object".into(),
                });
            };
            for (k, v) in w {
                if h.get(k) != Some(v) {
                    return Err(GenError::OtherSettings {
                        path,
                        detail: format!(
                            "{k} is {} there, {v} here",
                            h.get(k).map_or("missing".into(), |x| x.to_string())
                        ),
                    });
                }
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let text = serde_json::to_string_pretty(&want).expect("JSON serialises") + "\n";
            thaw_data::atomic::write_bytes(&path, text.as_bytes())?;
            Ok(())
        }
        Err(source) => Err(GenError::Io { path, source }),
    }
}

/// The description written into generated Parquet files: TaskSet-8P's search space and
/// splits, benchmark `taskset-gen`.
pub fn meta(s: &CorpusSettings) -> BenchmarkMeta {
    BenchmarkMeta {
        benchmark: "taskset-gen".into(),
        metric: "loss".into(),
        minimize: true,
        initial_point: true,
        hyperparameters: thaw_data::import::taskset::search_space(),
        splits: thaw_data::schema::SPLITS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        source: format!(
            "thaw gen-curves --family {} --seed {} --configs {} --steps {} --points {} --eval-rows {} (thaw-gen {})",
            s.family.name(),
            s.seed,
            s.configs,
            s.train.steps,
            s.train.points,
            s.train.eval_rows,
            env!("CARGO_PKG_VERSION")
        ),
    }
}

/// One task's curves as a thaw task.
pub fn raw_task(name: &str, configs: &[AdamHps], points: usize, curves: Curves) -> RawTask {
    RawTask {
        name: name.to_string(),
        config_ids: (0..configs.len() as u32).collect(),
        hps: configs.iter().flat_map(|c| c.to_row()).collect(),
        points,
        curves: BTreeMap::from([
            ("train".to_string(), curves.train),
            ("valid".to_string(), curves.valid),
            ("test".to_string(), curves.test),
        ]),
    }
}

/// Configurations of a task whose validation curve holds a NaN.
fn diverged(task: &RawTask) -> usize {
    (0..task.configs())
        .filter(|&r| {
            task.curve("valid", r)
                .is_some_and(|c| c.iter().any(|v| v.is_nan()))
        })
        .count()
}

/// The per-task file of `spec`.
pub fn task_path(out: &Path, spec: &TaskSpec) -> PathBuf {
    out.join(TASKS_DIR).join(format!("{}.parquet", spec.name))
}

/// Generates the corpus into `out` (created if needed), skipping finished tasks, and
/// writes the merged file at the end.
pub fn generate(
    s: &CorpusSettings,
    out: &Path,
    device: &Device,
    observer: &mut dyn Observer,
) -> Result<CorpusReport> {
    s.train.check()?;
    if s.tasks == 0 || s.configs == 0 {
        return Err(GenError::Invalid(
            "tasks and configs must be at least 1".into(),
        ));
    }
    std::fs::create_dir_all(out.join(TASKS_DIR)).map_err(|source| GenError::Io {
        path: out.join(TASKS_DIR),
        source,
    })?;
    claim_manifest(out, s)?;
    let configs = sample_configs(s.configs, s.seed);
    let specs: Vec<TaskSpec> = (0..s.tasks)
        .map(|k| TaskSpec::draw(s.family, s.seed, k))
        .collect();
    let todo: Vec<&TaskSpec> = specs
        .iter()
        .filter(|t| !task_path(out, t).exists())
        .collect();
    let chunks = s.configs.div_ceil(s.train.chunk) as u64;
    observer.start(todo.len(), specs.len() - todo.len(), s.train.steps * chunks);
    let meta = meta(s);
    let started = Instant::now();
    for spec in &todo {
        let t0 = Instant::now();
        let curves = train_task(spec, &configs, &s.train, device, &mut || observer.step())?;
        let task = raw_task(&spec.name, &configs, s.train.points, curves);
        let bad = diverged(&task);
        let bench = RawBenchmark {
            meta: meta.clone(),
            tasks: vec![task],
        };
        write_benchmark(&bench, &task_path(out, spec))?;
        observer.task_done(&spec.name, t0.elapsed().as_secs_f64(), bad);
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut tasks = Vec::with_capacity(specs.len());
    for spec in &specs {
        tasks.extend(read_benchmark(&task_path(out, spec), None)?.tasks);
    }
    let merged = out.join(MERGED);
    write_benchmark(&RawBenchmark { meta, tasks }, &merged)?;
    Ok(CorpusReport {
        trained: todo.len(),
        skipped: specs.len() - todo.len(),
        seconds,
        merged,
    })
}
