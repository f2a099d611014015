//! `thaw store-bench`: how many asks and tells per second a study store takes, with many
//! workers on one study (README, "Many machines").

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::Parser;
use thaw_hpo::MethodSpec;
use thaw_study::load_test::{LoadReport, quantile_ms, run_load};
use thaw_study::pg_server::{PgOptions, PgServer};
use thaw_study::{PoolSettings, Storage, StudyFile, StudySettings};

const EXAMPLES: &str = "\
Examples:
  # SQLite in a temporary folder and a private PostgreSQL server, 1, 8 and 32 workers
  thaw store-bench
  # your own server (a study named store-bench-<n> is made in it)
  thaw store-bench --storage postgres://thaw@db-host/studies --workers 32

Each worker is a thread with its own connection and its own optimiser (ASHA), on one
study, with an objective that costs nothing: what is measured is the store and the
protocol (every ask replays the other workers' decisions, as real workers do). After
each run it checks that no epoch was trained twice and that the budget was spent
exactly. The private server commits with fsync on, as a real one would.";

/// Load-test a study store: asks and tells per second, and their latency, with many
/// workers on one study.
#[derive(Debug, Parser)]
#[command(name = "store-bench", after_help = EXAMPLES)]
pub struct StoreBenchArgs {
    /// Stores to measure [default: SQLite in a temporary folder and a private
    /// PostgreSQL server on loopback].
    #[arg(long)]
    storage: Vec<String>,
    /// Numbers of workers, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 32])]
    workers: Vec<usize>,
    /// Epochs each run spends (epochs of 8 per configuration).
    #[arg(long, default_value_t = 1200)]
    budget: usize,
    /// Seed of the study.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn settings(budget: usize, seed: u64) -> anyhow::Result<StudySettings> {
    let text = "[objective]\ncommand = [\"true\"]\nmetric = \"loss\"\ndirection = \"minimize\"\nmax_epochs = 8\n\n\
                [[param]]\nname = \"x\"\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n";
    let file = StudyFile::parse(Path::new("store-bench.toml"), text)?;
    Ok(StudySettings {
        space: file.space,
        metric: "loss".into(),
        direction: thaw_study::Direction::Minimize,
        max_epochs: 8,
        bounds: Some((0.0, 2.0)),
        method: MethodSpec::named("asha", Path::new("checkpoints"))?,
        seed,
        pool: PoolSettings {
            random: 64,
            ..PoolSettings::default()
        },
        budget,
        retries: 0,
        lease_s: 60.0,
        objective: None,
    })
}

/// Runs `thaw store-bench`.
pub fn run(a: StoreBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if a.workers.iter().any(|&w| w == 0 || w > 256) || a.budget == 0 {
        crate::usage!("--workers must be 1–256 and --budget at least 1");
    }
    let tmp = tempfile::tempdir().context("a temporary folder")?;
    let mut server = None;
    let mut stores = Vec::new();
    if a.storage.is_empty() {
        stores.push(Storage::Sqlite(tmp.path().join("bench.db")));
        match PgServer::start(
            &tmp.path().join("pg"),
            PgOptions {
                fsync: true,
                ..PgOptions::default()
            },
        ) {
            Ok(s) => {
                stores.push(Storage::parse(&s.url("thaw"))?);
                server = Some(s);
            }
            Err(e) => writeln!(out, "no private PostgreSQL server ({e}): SQLite only")?,
        }
    } else {
        for s in &a.storage {
            stores.push(Storage::parse(s)?);
        }
    }
    writeln!(
        out,
        "{:<34} {:>7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7} {:>8}",
        "store",
        "workers",
        "asks/s",
        "tells/s",
        "ask p50",
        "ask p99",
        "tell p50",
        "tell p99",
        "twice",
        "budget"
    )?;
    let mut n = 0;
    for storage in &stores {
        for &w in &a.workers {
            n += 1;
            let name = format!("store-bench-{}-{n}", std::process::id());
            let r: LoadReport = run_load(
                storage,
                &name,
                settings(a.budget, a.seed)?,
                w,
                &tmp.path().join("trials"),
            )
            .with_context(|| format!("{} with {w} workers", storage.label()))?;
            let label = match storage {
                Storage::Sqlite(_) => "sqlite (WAL, synchronous=FULL)".to_string(),
                Storage::Postgres(_) if server.is_some() => {
                    "postgresql (loopback, fsync on)".to_string()
                }
                s => s.label(),
            };
            writeln!(
                out,
                "{label:<34} {w:>7} {:>8.0} {:>8.0} {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7} {:>8}",
                r.asks.len() as f64 / r.seconds,
                r.tells.len() as f64 / r.seconds,
                quantile_ms(&r.asks, 0.5),
                quantile_ms(&r.asks, 0.99),
                quantile_ms(&r.tells, 0.5),
                quantile_ms(&r.tells, 0.99),
                r.trained_twice,
                if r.epochs == r.budget {
                    "exact".to_string()
                } else {
                    format!("{}/{}", r.epochs, r.budget)
                },
            )?;
            if r.trained_twice > 0 || r.epochs != r.budget {
                anyhow::bail!(
                    "{}: {} epochs trained twice, {} of {} epochs recorded",
                    storage.label(),
                    r.trained_twice,
                    r.epochs,
                    r.budget
                );
            }
        }
    }
    Ok(())
}
