//! Runs methods × tasks × seeds in parallel, one JSON file per finished run, so that an
//! interrupted benchmark resumes where it stopped.
//!
//! A run of method m on task t with seed s is exactly `ifbo` with the same method, task,
//! budget and `--seed s`: the optimiser is seeded with s itself.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thaw_data::Task;
use thaw_hpo::optimise::{self, Step};
use thaw_hpo::{MethodSpec, TabularObjective};
use thaw_pfn::checkpoint::read_config;

use crate::error::{BenchError, Result};

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct HpoSettings {
    /// Epochs per run.
    pub budget: usize,
    /// Seeds; every (method, task) runs once per seed.
    pub seeds: Vec<u64>,
    /// Runs at once.
    pub threads: usize,
    /// Run ifBO on tasks its checkpoint was trained on (marked in the results).
    pub allow_train_tasks: bool,
    /// Directory of the per-run files (`<dir>/<method>/<task>/seed-<s>.json`).
    pub dir: PathBuf,
    /// Device of the curve models.
    pub device: Device,
}

/// One finished run, as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Method name.
    pub method: String,
    /// The method's full settings ([`MethodSpec::key`]), to refuse resuming with other
    /// ones.
    pub spec: String,
    /// Task name.
    pub task: String,
    /// Seed.
    pub seed: u64,
    /// Budget in epochs.
    pub budget: usize,
    /// Incumbent y after each epoch spent.
    pub incumbent: Vec<f64>,
    /// Configurations started.
    pub configs_started: usize,
    /// Mean seconds per decision (the optimiser's overhead).
    pub decision_s_mean: f64,
    /// Largest seconds of one decision.
    pub decision_s_max: f64,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
    /// The PFN checkpoint had trained on this task (only with `allow_train_tasks`).
    pub trained_on_task: bool,
}

/// What [`run_all`] found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct HpoOutcome {
    /// Every run, in (method, task, seed) order.
    pub records: Vec<RunRecord>,
    /// How many were read back from earlier invocations.
    pub resumed: usize,
}

/// Where the run of `method` on `task` with `seed` is stored under `dir`.
pub fn run_path(dir: &Path, method: &MethodSpec, task: &str, seed: u64) -> PathBuf {
    dir.join(method.slug())
        .join(file_safe(task))
        .join(format!("seed-{seed}.json"))
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs every (method, task, seed) not already stored in `settings.dir`; `on_epochs`
/// is told how many epochs were spent (or found done) as they happen. Leave-tasks-out
/// is checked for every ifBO method and task before anything runs.
pub fn run_all(
    tasks: &[Task],
    methods: &[MethodSpec],
    settings: &HpoSettings,
    on_epochs: &(dyn Fn(u64) + Sync),
) -> Result<HpoOutcome> {
    // What runs on each task: a cross-validated method picks its fold here.
    let resolved: Vec<Vec<MethodSpec>> = methods
        .iter()
        .map(|m| {
            tasks
                .iter()
                .map(|t| m.for_task(&t.name))
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| BenchError::InvalidArgument(e.to_string()))?;
    let seen = held_out_checks(tasks, &resolved, settings.allow_train_tasks)?;
    let mut jobs = Vec::new();
    for m in 0..methods.len() {
        for t in 0..tasks.len() {
            for &s in &settings.seeds {
                jobs.push((m, t, s));
            }
        }
    }
    // Expensive methods first, so that the last runs to finish are short ones.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(methods[jobs[j].0].cost_hint()));

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.max(1))
        .build()
        .map_err(|e| BenchError::InvalidArgument(format!("thread pool: {e}")))?;
    let done: Vec<Result<(RunRecord, bool)>> = pool.install(|| {
        order
            .par_iter()
            .map(|&j| {
                let (m, t, s) = jobs[j];
                let path = run_path(&settings.dir, &methods[m], &tasks[t].name, s);
                let method = &resolved[m][t];
                if let Some(r) = read_finished(&path, method, &tasks[t].name, s, settings)? {
                    on_epochs(r.incumbent.len() as u64);
                    return Ok((r, true));
                }
                let r = run_one(
                    method,
                    &tasks[t],
                    s,
                    settings.budget,
                    &settings.device,
                    on_epochs,
                )?;
                let r = RunRecord {
                    trained_on_task: seen[m][t],
                    ..r
                };
                write_record(&path, &r)?;
                Ok((r, false))
            })
            .collect()
    });
    let mut slots: Vec<Option<RunRecord>> = vec![None; jobs.len()];
    let mut resumed = 0;
    for (&j, r) in order.iter().zip(done) {
        let (record, was_stored) = r?;
        resumed += usize::from(was_stored);
        slots[j] = Some(record);
    }
    Ok(HpoOutcome {
        records: slots.into_iter().flatten().collect(),
        resumed,
    })
}

/// For every (method, task), given what runs on each task: whether the method's
/// checkpoint trained on the task; an error if it did and `allow` is off.
fn held_out_checks(
    tasks: &[Task],
    resolved: &[Vec<MethodSpec>],
    allow: bool,
) -> Result<Vec<Vec<bool>>> {
    let mut seen = vec![vec![false; tasks.len()]; resolved.len()];
    for (m, per_task) in resolved.iter().enumerate() {
        for (t, (task, method)) in tasks.iter().zip(per_task).enumerate() {
            let Some(dir) = method.checkpoint() else {
                continue;
            };
            seen[m][t] = read_config(dir)?
                .check_held_out(dir, &task.name, allow)
                .map_err(|e| BenchError::in_method(method.name(), e))?;
        }
    }
    Ok(seen)
}

/// One run of `method` on `task` with `seed`.
pub fn run_one(
    method: &MethodSpec,
    task: &Task,
    seed: u64,
    budget: usize,
    device: &Device,
    on_epochs: &(dyn Fn(u64) + Sync),
) -> Result<RunRecord> {
    let failed = |source: thaw_hpo::HpoError| BenchError::Run {
        method: method.name(),
        task: task.name.clone(),
        seed,
        source: Box::new(source),
    };
    let mut optimizer = method.build(seed, device).map_err(failed)?;
    let mut objective = TabularObjective::new(task.curves.clone()).map_err(failed)?;
    let started = Instant::now();
    let mut on_step = |_: &Step, _: &thaw_hpo::History| on_epochs(1);
    let t =
        optimise::run(optimizer.as_mut(), &mut objective, budget, &mut on_step).map_err(failed)?;
    let wall_s = started.elapsed().as_secs_f64();
    let n = t.decision_s.len().max(1) as f64;
    Ok(RunRecord {
        method: method.name(),
        spec: method.key(),
        task: task.name.clone(),
        seed,
        budget,
        incumbent: t.steps.iter().map(|s| f64::from(s.incumbent)).collect(),
        configs_started: (0..t.history.n_configs())
            .filter(|&c| !t.history.curve(c).is_empty())
            .count(),
        decision_s_mean: t.decision_s.iter().sum::<f64>() / n,
        decision_s_max: t.decision_s.iter().copied().fold(0.0, f64::max),
        wall_s,
        trained_on_task: false,
    })
}

/// A stored run that matches the request, if there is one. A file that cannot be
/// parsed (e.g. from an older format) is treated as missing and redone; a finished
/// run with other settings is an error, so that results are never mixed.
fn read_finished(
    path: &Path,
    method: &MethodSpec,
    task: &str,
    seed: u64,
    settings: &HpoSettings,
) -> Result<Option<RunRecord>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let Ok(r) = serde_json::from_str::<RunRecord>(&text) else {
        return Ok(None);
    };
    let spec = method.key();
    if r.spec != spec || r.budget != settings.budget || r.task != task || r.seed != seed {
        return Err(BenchError::InvalidArgument(format!(
            "{} holds a run with other settings (budget {}, {}); use another output directory",
            path.display(),
            r.budget,
            r.spec
        )));
    }
    Ok(Some(r))
}

fn write_record(path: &Path, r: &RunRecord) -> Result<()> {
    let text = serde_json::to_string(r).map_err(|e| BenchError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    thaw_data::atomic::write_bytes(path, text.as_bytes())?;
    Ok(())
}
