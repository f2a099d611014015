//! `thaw status` and `thaw export`: a study's state as a table, and every epoch as CSV
//! or Parquet.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use thaw_study::record::{self, Record};
use thaw_study::{State, Storage};

/// `--study` / `--storage`, shared by status and export.
#[derive(Debug, Clone, clap::Args)]
pub struct StudyArgs {
    /// Study name (may be left out when the store holds one study).
    #[arg(long)]
    study: Option<String>,
    /// Where studies live: sqlite:PATH or postgres://USER@HOST/DB.
    #[arg(long, default_value = "sqlite:thaw.db")]
    storage: String,
}

impl StudyArgs {
    pub(crate) fn load(&self) -> anyhow::Result<(Storage, Record)> {
        let storage = Storage::parse(&self.storage)?;
        let name = study_name(&storage, self.study.as_deref())?;
        let mut conn = storage.connect_read_only()?;
        let rec = record::load(&mut conn, &storage, &name)?;
        Ok((storage, rec))
    }
}

/// `given`, or the one study `storage` holds (a usage error when it holds several).
pub(crate) fn study_name(storage: &Storage, given: Option<&str>) -> anyhow::Result<String> {
    if let Some(n) = given {
        return Ok(n.to_string());
    }
    let mut conn = storage.connect_read_only()?;
    let names = record::study_names(&mut conn, storage)?;
    match names.as_slice() {
        [one] => Ok(one.clone()),
        [] => anyhow::bail!("{} holds no study", storage.label()),
        many => crate::usage!(
            "{} holds {} studies ({}): choose one with --study",
            storage.label(),
            many.len(),
            many.join(", ")
        ),
    }
}

/// A study's state: budget, trials per state, the incumbent and the best trials.
#[derive(Debug, Parser)]
#[command(
    name = "status",
    after_help = "Examples:\n  thaw status\n  thaw status --study space --storage sqlite:runs/studies.db --top 30"
)]
pub struct StatusArgs {
    #[command(flatten)]
    study: StudyArgs,
    /// Trials listed (best first).
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Every recorded epoch of a study as CSV, or as thaw's Parquet format (for train-pfn).
///
/// CSV: one row per epoch (study, trial, state, origin, parameters, epoch, value, y,
/// note). Parquet: one task named after the study, one row per trial that reported, the
/// raw metric as split `valid` (NaN where an epoch was not trained or failed),
/// categoricals as the index of their choice.
#[derive(Debug, Parser)]
#[command(
    name = "export",
    after_help = "Examples:\n  thaw export --out study.csv\n  thaw export --study space --out space.parquet"
)]
pub struct ExportArgs {
    #[command(flatten)]
    study: StudyArgs,
    /// Output file: .csv or .parquet.
    #[arg(long)]
    out: PathBuf,
}

/// One line for the progress bar: incumbent and trials per state.
pub fn progress_line(rec: &Record, metric: &str) -> String {
    let counts = rec.counts();
    let n = |s: State| counts.get(&s).copied().unwrap_or(0);
    let best = rec
        .incumbent()
        .map(|(t, e, v)| format!("best {metric} {v:.4} (trial {t}, epoch {e})"))
        .unwrap_or_else(|| "no epoch yet".into());
    format!(
        "{best} · running {} frozen {} done {} failed {}",
        n(State::Running) + n(State::Pending),
        n(State::Frozen),
        n(State::Done),
        n(State::Failed)
    )
}

/// Prints the study's state.
pub fn report(
    out: &mut dyn Write,
    rec: &Record,
    storage: &Storage,
    top: usize,
) -> anyhow::Result<()> {
    let s = &rec.settings;
    writeln!(
        out,
        "study `{}` in {} — {}",
        rec.name,
        storage.label(),
        s.method.name()
    )?;
    writeln!(
        out,
        "budget: {} of {} epochs spent, {} in flight; {} decisions",
        rec.spent(),
        s.budget,
        rec.in_flight(),
        rec.decisions.len()
    )?;
    let counts = rec.counts();
    let states: Vec<String> = State::ALL
        .iter()
        .filter(|&&st| st != State::Candidate)
        .map(|st| format!("{} {}", st.as_str(), counts.get(st).copied().unwrap_or(0)))
        .collect();
    writeln!(
        out,
        "trials: {} (+{} candidates never trained)",
        states.join(", "),
        counts.get(&State::Candidate).copied().unwrap_or(0)
    )?;
    match rec.incumbent() {
        Some((t, e, v)) => {
            let p = serde_json::Value::Object(rec.trials[t as usize].params.clone());
            writeln!(out, "best {}: {v} at trial {t}, epoch {e}: {p}", s.metric)?;
        }
        None => writeln!(out, "best {}: none reported yet", s.metric)?,
    }
    let mut rows: Vec<(u64, f64, usize)> = rec
        .trials
        .iter()
        .filter(|t| t.state != State::Candidate)
        .map(|t| {
            let best = rec.best_value(&rec.curve(t.number));
            (t.number, best.unwrap_or(f64::NAN), t.epochs)
        })
        .collect();
    rows.sort_by(|a, b| {
        let (x, y) = if s.direction == thaw_study::Direction::Minimize {
            (a.1, b.1)
        } else {
            (-a.1, -b.1)
        };
        x.is_nan()
            .cmp(&y.is_nan())
            .then(x.total_cmp(&y))
            .then(a.0.cmp(&b.0))
    });
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = s.space.params.iter().map(|p| p.name.as_str()).collect();
    write!(
        out,
        "\n{:>6}  {:<8} {:>7}  {:>12}",
        "trial",
        "state",
        "epochs",
        format!("best {}", s.metric)
    )?;
    for n in &names {
        write!(out, "  {n:>10}")?;
    }
    writeln!(out)?;
    for (number, best, epochs) in rows.iter().take(top) {
        let t = &rec.trials[*number as usize];
        write!(
            out,
            "{number:>6}  {:<8} {:>7}  {:>12.5}",
            t.state.as_str(),
            epochs,
            best
        )?;
        for n in &names {
            let v = match t.params.get(*n) {
                Some(serde_json::Value::Number(x)) => match x.as_f64() {
                    Some(f) if x.is_f64() => format!("{f:.4e}"),
                    _ => x.to_string(),
                },
                Some(serde_json::Value::String(x)) => x.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            write!(out, "  {v:>10}")?;
        }
        writeln!(out)?;
    }
    if rows.len() > top {
        writeln!(out, "… {} more (--top)", rows.len() - top)?;
    }
    let failed: Vec<_> = rec
        .trials
        .iter()
        .filter(|t| t.state == State::Failed)
        .collect();
    for t in failed.iter().take(5) {
        writeln!(
            out,
            "trial {} failed: {}",
            t.number,
            t.reason.as_deref().unwrap_or("?")
        )?;
    }
    Ok(())
}

/// Runs `thaw status`.
pub fn run_status(a: StatusArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (storage, rec) = a.study.load()?;
    report(out, &rec, &storage, a.top)
}

/// Runs `thaw export`.
pub fn run_export(a: ExportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (_, rec) = a.study.load()?;
    match a.out.extension().and_then(|e| e.to_str()) {
        Some("csv") => thaw_study::export::write_csv(&rec, &a.out)?,
        Some("parquet") => thaw_study::export::write_parquet(&rec, &a.out)?,
        _ => crate::usage!("--out {}: name a .csv or a .parquet file", a.out.display()),
    }
    writeln!(
        out,
        "wrote {} epochs of {} trials of study `{}` to {}",
        rec.epochs.len(),
        rec.trials.iter().filter(|t| t.epochs > 0).count(),
        rec.name,
        a.out.display()
    )?;
    Ok(())
}
