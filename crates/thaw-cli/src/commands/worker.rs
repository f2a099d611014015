//! `thaw worker`: join a study from any machine and train its trials until the budget
//! is spent (README, "Many machines").

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use thaw_study::{Storage, Study, StudyFile};

use super::tune::{Workers, parse_worker_id, run_workers};
use crate::args::{DeviceArg, QuietArg};

const EXAMPLES: &str = "\
Examples:
  # on the first machine: create the study and work on it
  thaw tune space.toml --budget 400 --storage postgres://thaw@db-host/studies --dir /shared/runs
  # on every other machine (or GPU): join it, 2 trials at a time
  thaw worker --study space --storage postgres://thaw@db-host/studies --dir /shared/runs --workers 2
  # a second process on one machine needs its own identity
  thaw worker --study space --storage postgres://thaw@db-host/studies --worker-id gpu1

A worker takes work with a lease and renews it every second; a worker killed or cut
off gives its trials back when the lease ends, and one restarted with the same
identity resumes its own trials at once. The budget holds across all workers. The
program comes from the study (as `thaw tune` stored it from the study file), or from
--space where its path differs on this machine. Trials' checkpoints live under --dir,
which must be one shared folder for all workers (a trial paused on one machine may be
resumed on another). The password of a storage URL is never printed; leave it out of
the URL and set PGPASSWORD instead to keep it out of the process list too. TLS:
sslmode=require encrypts, and sslrootcert=CA.pem also verifies the server (as psql).";

/// Join a study as a worker (any machine that reaches its store): ask for work, train it,
/// report every epoch, until the study's budget is spent.
#[derive(Debug, Parser)]
#[command(name = "worker", version, after_help = EXAMPLES)]
pub struct WorkerArgs {
    /// Study name (may be left out when the store holds one study).
    #[arg(long)]
    study: Option<String>,
    /// Where the study lives: postgres://USER[:PASSWORD]@HOST[:PORT]/DB, or sqlite:PATH.
    #[arg(long)]
    storage: String,
    /// Folder of the trials' checkpoints and logs, shared by all workers
    /// [default: <store folder>/<study> for SQLite, ./<study> for a server].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// A study file whose program to run instead of the stored one (its space and
    /// metric must be the study's).
    #[arg(long)]
    space: Option<PathBuf>,
    /// Trials trained in parallel by this process.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    workers: u64,
    /// This process's worker identity [default: the host name]; see `thaw tune --help`.
    #[arg(long, value_parser = parse_worker_id)]
    worker_id: Option<String>,
    #[command(flatten)]
    device: DeviceArg,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Runs `thaw worker`.
pub fn run(a: WorkerArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let storage = Storage::parse(&a.storage)?;
    let name = super::study_status::study_name(&storage, a.study.as_deref())?;
    let device = a.device.select()?;
    let study = Study::join(&storage, &name, a.dir.clone(), device)
        .with_context(|| format!("joining study `{name}`"))?;
    let settings = study.settings().clone();
    let objective = match &a.space {
        Some(path) => {
            let file = StudyFile::read(path)?;
            let o = file.objective;
            if file.space != settings.space || o.metric != settings.metric {
                anyhow::bail!(
                    "{}: its space or metric is not study `{name}`'s: a worker runs the study's program only",
                    path.display()
                );
            }
            o
        }
        None => settings.objective.clone().with_context(|| {
            format!("study `{name}` stores no program (made by an older thaw): pass --space FILE")
        })?,
    };
    writeln!(
        out,
        "worker {} joins study `{name}` in {}: {}, budget {} epochs, {} trial(s) at a time",
        a.worker_id
            .clone()
            .unwrap_or_else(thaw_study::tune::host_name),
        storage.label(),
        settings.method.name(),
        settings.budget,
        a.workers
    )?;
    let workers = Workers {
        count: a.workers as usize,
        id: a.worker_id.clone(),
        quiet: a.quiet.quiet,
    };
    run_workers(study, &objective, &workers, out)
}
