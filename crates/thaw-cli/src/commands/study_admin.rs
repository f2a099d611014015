//! Study housekeeping: `thaw studies` (list), `thaw best` (the incumbent, for people or
//! as JSON for scripts) and `thaw delete`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Parser;
use thaw_study::{Record, State, Storage, record};

use super::study_status::StudyArgs;

/// Every study in a store: method, budget spent, trials started, best value.
#[derive(Debug, Parser)]
#[command(
    name = "studies",
    after_help = "Examples:\n  thaw studies\n  thaw studies --storage postgres://thaw@db.example/thaw"
)]
pub struct StudiesArgs {
    /// Where studies live: sqlite:PATH or postgres://USER@HOST/DB.
    #[arg(long, default_value = "sqlite:thaw.db")]
    storage: String,
}

/// The best configuration of a study: its value, trial, epoch and parameters.
#[derive(Debug, Parser)]
#[command(
    name = "best",
    after_help = "Examples:\n  thaw best\n  thaw best --study space --json > best.json\n  python3 train.py --lr $(thaw best --json | jq .params.lr)"
)]
pub struct BestArgs {
    #[command(flatten)]
    study: StudyArgs,
    /// Print one JSON object: study, metric, direction, value, trial, epoch, params.
    #[arg(long)]
    json: bool,
}

/// Delete a study from its store (trials, epochs, decisions): asks first.
#[derive(Debug, Parser)]
#[command(
    name = "delete",
    after_help = "Examples:\n  thaw delete --study old-try\n  thaw delete --study old-try --yes --files"
)]
pub struct DeleteArgs {
    /// The study to delete (always named: never picked for you).
    #[arg(long)]
    study: String,
    /// Where studies live: sqlite:PATH or postgres://USER@HOST/DB.
    #[arg(long, default_value = "sqlite:thaw.db")]
    storage: String,
    /// Do not ask (needed when input is not a terminal).
    #[arg(long)]
    yes: bool,
    /// Also remove the study's default trial folder (checkpoints and logs,
    /// `<store folder>/<study>/`); a folder given to `thaw tune --dir` is left alone.
    #[arg(long)]
    files: bool,
}

/// The best value of `rec` with its trial and epoch, as text.
fn best_text(rec: &Record) -> String {
    match rec.incumbent() {
        Some((t, e, v)) => format!("{v:.6} (trial {t}, epoch {e})"),
        None => "—".into(),
    }
}

/// Runs `thaw studies`.
pub fn run_studies(a: StudiesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let storage = Storage::parse(&a.storage)?;
    let mut conn = storage.connect_read_only()?;
    let names = record::study_names(&mut conn, &storage)?;
    if names.is_empty() {
        writeln!(out, "{} holds no study", storage.label())?;
        return Ok(());
    }
    let mut rows = Vec::new();
    for name in &names {
        let rec = record::load(&mut conn, &storage, name)?;
        let started = rec
            .trials
            .iter()
            .filter(|t| t.state != State::Candidate)
            .count();
        rows.push([
            name.clone(),
            rec.settings.method.name(),
            format!("{} of {}", rec.spent(), rec.settings.budget),
            started.to_string(),
            format!(
                "{} {}",
                rec.settings.metric,
                match rec.settings.direction {
                    thaw_study::Direction::Minimize => "min",
                    thaw_study::Direction::Maximize => "max",
                }
            ),
            best_text(&rec),
        ]);
    }
    let header = ["study", "method", "epochs", "trials", "metric", "best"];
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{} studies in {}", names.len(), storage.label())?;
    writeln!(out, "{}", line(&header.map(String::from)))?;
    for r in &rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

/// Runs `thaw best`.
pub fn run_best(a: BestArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (_, rec) = a.study.load()?;
    let s = &rec.settings;
    let Some((trial, epoch, value)) = rec.incumbent() else {
        anyhow::bail!("study `{}` has no reported {} yet", rec.name, s.metric);
    };
    let params = serde_json::Value::Object(rec.trials[trial as usize].params.clone());
    if a.json {
        let doc = serde_json::json!({
            "study": rec.name,
            "metric": s.metric,
            "direction": s.direction,
            "value": value,
            "trial": trial,
            "epoch": epoch,
            "params": params,
        });
        writeln!(out, "{doc}")?;
    } else {
        writeln!(
            out,
            "best {} of study `{}`: {value} at trial {trial}, epoch {epoch}",
            s.metric, rec.name
        )?;
        for (k, v) in rec.trials[trial as usize].params.iter() {
            writeln!(out, "  {k} = {v}")?;
        }
    }
    Ok(())
}

/// Runs `thaw delete`.
pub fn run_delete(a: DeleteArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let storage = Storage::parse(&a.storage)?;
    let mut conn = storage.connect(false)?;
    let rec = record::load(&mut conn, &storage, &a.study)?;
    let folder: PathBuf = storage.folder().join(&a.study);
    if !a.yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            crate::usage!(
                "thaw delete asks before deleting, and input is not a terminal: add --yes to delete study `{}`",
                a.study
            );
        }
        write!(
            out,
            "delete study `{}` from {} ({} epochs of {} trials{})? [y/N] ",
            a.study,
            storage.label(),
            rec.spent(),
            rec.trials.iter().filter(|t| t.epochs > 0).count(),
            if a.files {
                format!(", and the folder {}", folder.display())
            } else {
                String::new()
            }
        )?;
        out.flush()?;
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            writeln!(out, "kept study `{}`", a.study)?;
            return Ok(());
        }
    }
    if !record::delete_study(&mut conn, &storage, &a.study)? {
        anyhow::bail!("no study `{}` in {}", a.study, storage.label());
    }
    writeln!(out, "deleted study `{}` from {}", a.study, storage.label())?;
    if a.files && folder.is_dir() {
        std::fs::remove_dir_all(&folder)
            .map_err(|e| anyhow::anyhow!("removing {}: {e}", folder.display()))?;
        writeln!(out, "removed {}", folder.display())?;
    } else if folder.is_dir() {
        writeln!(
            out,
            "its trial folder {} is kept (--files removes it)",
            folder.display()
        )?;
    }
    Ok(())
}
