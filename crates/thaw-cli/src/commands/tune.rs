//! `thaw tune`: freeze-thaw HPO of the user's own training program (see the README,
//! "Tuning your own program").

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use thaw_hpo::MethodSpec;
use thaw_study::protocol::End;
use thaw_study::{PoolSettings, Progress, Storage, Study, StudyFile, StudySettings, TuneOptions};

use super::study_status;
use crate::args::{CheckpointsArg, DeviceArg, OptimizerName, QuietArg, RefitArg};
use crate::progress;

const EXAMPLES: &str = "\
Examples:
  # tune the program that space.toml names with ifBO and Adam-PFN
  thaw tune space.toml --budget 100
  # four trials at a time, with ASHA, in a store of your choice
  thaw tune space.toml --method asha --workers 4 --storage sqlite:runs/s.db
  # population-based training, 8 members, exploit/explore every 2 epochs (the
  # program must take new optimiser hyperparameters when it resumes)
  thaw tune space.toml --method pbt --pbt-population 8 --pbt-interval 2
  # a killed or crashed tuner continues: run the same command again
  thaw tune space.toml --budget 100
  # more budget for a finished study: the same command, a larger --budget
  thaw tune space.toml --budget 200
  # where it stands; every epoch as CSV or Parquet
  thaw status --study space
  thaw export --study space --out space.parquet

The study file names the program, its metric and the search space (README,
\"The study file\"). thaw runs the program once per segment of a configuration's
training with THAW_FROM_EPOCH, THAW_TO_EPOCH, THAW_CHECKPOINT_DIR and THAW_PARAMS
set; the program resumes from its checkpoint, and after each epoch saves it and
prints `thaw: epoch=3 val_loss=0.412` (README, \"The trial protocol\"). Every
reported epoch is committed to the store at once; the store is the only state,
so a kill -9 loses nothing.";

/// Tune a training program with freeze-thaw: run it on configurations chosen by ifBO (or
/// a bandit), pause and resume them, record every epoch in a durable study.
///
/// A second `thaw tune` on a study with other settings (space, metric, method, seed,
/// pool) is refused; budget, retries and lease may change.
#[derive(Debug, Parser)]
#[command(name = "tune", version, after_help = EXAMPLES)]
pub struct TuneArgs {
    /// The study file (TOML: [objective] and [[param]]).
    space: PathBuf,
    /// Study name [default: the study file's name without .toml].
    #[arg(long)]
    study: Option<String>,
    /// Where studies live: sqlite:PATH, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    /// (workers on other machines join with `thaw worker`).
    #[arg(long, default_value = "sqlite:thaw.db")]
    storage: String,
    /// Folder of the trials' checkpoints and logs [default: <store folder>/<study>].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Method: ifbo (model-based, uses --surrogate) or a bandit.
    #[arg(long, value_enum, default_value_t = OptimizerName::Ifbo)]
    method: OptimizerName,
    /// Curve model of ifBO: adam-pfn, ft-pfn, a checkpoint directory, dpl, dyhpo or gp-ft
    /// [default: adam-pfn].
    #[arg(long)]
    surrogate: Option<String>,
    /// Budget in epochs (all trials together) [default: a continued study keeps its
    /// budget; a new one gets 20 × max_epochs]. Never below what the study has spent.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    budget: Option<u64>,
    /// Trials trained in parallel on this machine.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    workers: u64,
    /// This process's worker identity [default: the host name]: its workers are
    /// `<ID>/w1`, `<ID>/w2`, …, and a restarted process with the same identity resumes
    /// their trials at once. Two live processes cannot share one.
    #[arg(long, value_parser = parse_worker_id)]
    worker_id: Option<String>,
    /// Seed of every random choice (the optimiser and the candidate pool).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Seconds a worker's lease lasts without a heartbeat (workers beat every second).
    #[arg(long, default_value_t = 30.0)]
    lease_s: f64,
    /// Never-trained random candidates kept in the pool (at least 1).
    #[arg(long, default_value_t = PoolSettings::default().random as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pool_random: u64,
    /// Local moves around the incumbent added per decision (model-based methods).
    #[arg(long, default_value_t = PoolSettings::default().local as u64,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pool_local: u64,
    /// PBT: members of the population.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(2..=256))]
    pbt_population: u64,
    /// PBT: epochs between a member's exploit decisions [default: max_epochs / 10, at
    /// least 1].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pbt_interval: Option<u64>,
    #[command(flatten)]
    refit: RefitArg,
    #[command(flatten)]
    checkpoints: CheckpointsArg,
    #[command(flatten)]
    device: DeviceArg,
    #[command(flatten)]
    quiet: QuietArg,
}

/// A worker identity: printable, no `/` (it prefixes the worker names).
pub(crate) fn parse_worker_id(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 100 || s.contains('/') || s.chars().any(char::is_control) {
        return Err("a worker identity is 1–100 printable characters without `/`".into());
    }
    Ok(s.to_string())
}

/// Runs `thaw tune`.
pub fn run(a: TuneArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let file = StudyFile::read(&a.space)?;
    let name = match &a.study {
        Some(n) => n.clone(),
        None => a
            .space
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "study".into()),
    };
    if !(a.lease_s >= 2.0 && a.lease_s.is_finite()) {
        crate::usage!("--lease-s must be at least 2 seconds (workers beat every second)");
    }
    let method = a
        .method
        .spec(a.surrogate.as_deref(), "adam-pfn", &a.refit, &a.checkpoints)?;
    let method = match method {
        MethodSpec::Pbt { mut settings } => {
            settings.population = a.pbt_population as usize;
            settings.interval = a.pbt_interval.map_or(0, |i| i as usize);
            settings.mutable = file.space.mutable();
            if !settings.mutable.contains(&true) {
                crate::usage!(
                    "PBT needs a parameter the program can change on resume: every parameter of {} is fixed (floats are mutable unless `mutable = false`; ints and categoricals need `mutable = true`)",
                    a.space.display()
                );
            }
            MethodSpec::Pbt { settings }
        }
        other => other,
    };
    if a.method != OptimizerName::Pbt && (a.pbt_interval.is_some() || a.pbt_population != 8) {
        crate::usage!("--pbt-population and --pbt-interval apply only to --method pbt");
    }
    thaw_study::study::check_name(&name).with_context(|| {
        format!(
            "the study is named after {} unless --study names it",
            a.space.display()
        )
    })?;
    let device = a.device.select()?;
    let storage = Storage::parse(&a.storage)?;
    let o = &file.objective;
    let budget = match a.budget {
        Some(b) => b as usize,
        None => Study::stored_settings(&storage, &name)
            .with_context(|| format!("reading study `{name}`"))?
            .map_or(20 * o.max_epochs, |s| s.budget),
    };
    let settings = StudySettings {
        space: file.space.clone(),
        metric: o.metric.clone(),
        direction: o.direction,
        max_epochs: o.max_epochs,
        bounds: o.bounds,
        method: method.clone(),
        seed: a.seed,
        pool: PoolSettings {
            random: a.pool_random as usize,
            local: a.pool_local as usize,
            ..PoolSettings::default()
        },
        budget,
        retries: o.retries,
        lease_s: a.lease_s,
        objective: Some(thaw_study::study_file::stored_objective(o)?),
    };
    let study = Study::open(&storage, &name, settings, a.dir.clone(), device)
        .with_context(|| format!("opening study `{name}`"))?;
    writeln!(
        out,
        "study `{name}` in {}: {} on {} ({} parameters, {} epochs each), budget {budget} epochs, {} worker(s), seed {}",
        storage.label(),
        method.name(),
        a.space.display(),
        file.space.len(),
        o.max_epochs,
        a.workers,
        a.seed
    )?;
    let workers = Workers {
        count: a.workers as usize,
        id: a.worker_id.clone(),
        quiet: a.quiet.quiet,
    };
    run_workers(study, o, &workers, out)
}

/// How many workers run here, and under which identity.
pub(crate) struct Workers {
    pub count: usize,
    pub id: Option<String>,
    pub quiet: bool,
}

/// Runs `workers` on `study` until its budget is spent, with a progress bar, and prints
/// the study's status.
pub(crate) fn run_workers(
    mut study: Study,
    objective: &thaw_study::ObjectiveSpec,
    workers: &Workers,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let storage = study.storage().clone();
    let name = study.name().to_string();
    let budget = study.settings().budget;
    let before = study.record()?;
    if before.spent() > 0 {
        writeln!(
            out,
            "continuing: {} epochs recorded, {} decisions replayed",
            before.spent(),
            before.decisions.len()
        )?;
    }
    let bar = progress::bar(budget as u64, "epochs {msg}", workers.quiet);
    bar.set_position(before.spent() as u64);
    let reader = storage.connect(false)?;
    let reader = Mutex::new(reader);
    let metric = objective.metric.clone();
    let failures = Mutex::new(Vec::new());
    // With stderr not a terminal the bar is hidden: one plain line per finished
    // segment instead, so that a log shows progress (not with --quiet).
    let plain = !workers.quiet && bar.is_hidden();
    let say = |line: String| {
        if plain {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let on_progress = |p: &Progress| {
        match p {
            Progress::Ended {
                trial,
                end: End::Failed { reason, .. },
            } => {
                let line = format!("trial {trial}: {reason}");
                say(line.clone());
                failures.lock().map(|mut f| f.push(line)).ok();
            }
            Progress::LeaseLost { worker, trial } => say(format!(
                "trial {trial}: worker {worker} lost its lease (quiet for longer than the lease); the trial went back to the queue"
            )),
            _ => {}
        }
        let Ok(mut conn) = reader.lock() else { return };
        if let Ok(rec) = thaw_study::record::load(&mut conn, &storage, &name) {
            bar.set_position(rec.spent() as u64);
            let line = study_status::progress_line(&rec, &metric);
            if plain && let Progress::Ended { trial, end } = p {
                let how = match end {
                    End::Completed => "segment done",
                    End::Failed { .. } => "segment failed",
                    End::Stopped => "segment stopped",
                };
                eprintln!(
                    "trial {trial}: {how} · {} of {budget} epochs · {line}",
                    rec.spent()
                );
            }
            bar.set_message(line);
        }
    };
    let defaults = TuneOptions::default();
    let options = TuneOptions {
        workers: workers.count,
        worker_prefix: workers
            .id
            .as_ref()
            .map_or(defaults.worker_prefix.clone(), |id| format!("{id}/")),
        poll: Duration::from_millis(100),
        interrupt: Some(thaw_study::tune::interrupt_on_ctrl_c()),
        ..defaults
    };
    let result = thaw_study::tune(study, objective, &options, &on_progress);
    bar.finish_and_clear();
    result.with_context(|| format!("tuning study `{name}`"))?;
    // Read-write (thaw tune writes this store anyway): the last connection to close a
    // SQLite store folds its write-ahead log into the file; a read-only one cannot.
    drop(reader);
    let mut conn = storage.connect(false)?;
    let rec = thaw_study::record::load(&mut conn, &storage, &name)?;
    study_status::report(out, &rec, &storage, 10)?;
    if options
        .interrupt
        .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    {
        return Err(crate::Interrupted.into());
    }
    Ok(())
}
