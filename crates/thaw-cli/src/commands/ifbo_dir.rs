//! The output directory of an `ifbo` run: `run.json` (what the run is), a trajectory
//! written row by row as the epochs are trained, and what `--resume` reads back.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use thaw_hpo::optimise::Step;

/// The run's identity: a resume must match it field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// `MethodSpec::key` of the optimiser (its settings included).
    pub method: String,
    /// The Parquet file.
    pub benchmark: PathBuf,
    /// The task.
    pub task: String,
    /// Budget in epochs.
    pub budget: usize,
    /// Seed.
    pub seed: u64,
}

const RECORD_FILE: &str = "run.json";
const TRAJECTORY_FILE: &str = "trajectory.csv";
const SUMMARY_FILE: &str = "summary.json";
const HEADER: &str = "spent,config,epoch,y,incumbent";

/// Path of the trajectory in `dir`.
pub fn trajectory_path(dir: &Path) -> PathBuf {
    dir.join(TRAJECTORY_FILE)
}

/// Path of the summary in `dir`.
pub fn summary_path(dir: &Path) -> PathBuf {
    dir.join(SUMMARY_FILE)
}

/// Prepares `dir` (already claimed) for `record` and returns the epochs to replay.
///
/// A new run refuses a directory that holds a run unless `force` (its files are then
/// removed, the summary first); `resume` reads the trajectory back (a line cut by a kill
/// is dropped) after checking that `run.json` describes the same run.
pub fn prepare(
    dir: &Path,
    record: &RunRecord,
    resume: bool,
    force: bool,
) -> anyhow::Result<Vec<Step>> {
    let record_path = dir.join(RECORD_FILE);
    if resume {
        let text = fs::read_to_string(&record_path).with_context(|| {
            format!(
                "--resume: {} holds no ifbo run ({RECORD_FILE})",
                dir.display()
            )
        })?;
        let saved: RunRecord = serde_json::from_str(&text)
            .with_context(|| format!("{}: not an ifbo run record", record_path.display()))?;
        if &saved != record {
            crate::usage!(
                "--resume continues the run in {} with its own settings; these differ:\n  recorded: {}\n  asked:    {}",
                dir.display(),
                serde_json::to_string(&saved)?,
                serde_json::to_string(record)?
            );
        }
        let steps = read_trajectory(&trajectory_path(dir))?;
        start_trajectory(dir, &steps)?;
        return Ok(steps);
    }
    let present: Vec<&str> = [SUMMARY_FILE, TRAJECTORY_FILE, RECORD_FILE]
        .into_iter()
        .filter(|n| dir.join(n).exists())
        .collect();
    if !present.is_empty() {
        if !force {
            let state = if dir.join(SUMMARY_FILE).exists() {
                "a finished run"
            } else {
                "an unfinished run"
            };
            bail!(
                "{} holds {state} ({}); continue it with --resume, replace it with --force, or choose another --out",
                dir.display(),
                present.join(", ")
            );
        }
        for name in present {
            let p = dir.join(name);
            fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    thaw_data::atomic::write_bytes(
        &record_path,
        serde_json::to_string_pretty(record)?.as_bytes(),
    )?;
    start_trajectory(dir, &[])?;
    Ok(Vec::new())
}

/// Writes the header and `steps` (atomically), so that appending can go on from there.
fn start_trajectory(dir: &Path, steps: &[Step]) -> anyhow::Result<()> {
    let mut text = format!("{HEADER}\n");
    for s in steps {
        text.push_str(&row(s));
    }
    Ok(thaw_data::atomic::write_bytes(
        &trajectory_path(dir),
        text.as_bytes(),
    )?)
}

fn row(s: &Step) -> String {
    format!(
        "{},{},{},{},{}\n",
        s.spent, s.config, s.epoch, s.y, s.incumbent
    )
}

/// Reads the rows of a trajectory; a last line without its newline (a write cut short)
/// is dropped, anything else malformed is an error naming the line.
fn read_trajectory(path: &Path) -> anyhow::Result<Vec<Step>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    let mut lines = complete.lines();
    if lines.next() != Some(HEADER) {
        bail!("{}: line 1 is not the header `{HEADER}`", path.display());
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            parse_row(line).with_context(|| format!("{}: line {}: `{line}`", path.display(), i + 2))
        })
        .collect()
}

fn parse_row(line: &str) -> anyhow::Result<Step> {
    let f: Vec<&str> = line.split(',').collect();
    if f.len() != 5 {
        bail!("expected 5 fields, found {}", f.len());
    }
    Ok(Step {
        spent: f[0].parse().context("field spent")?,
        config: f[1].parse().context("field config")?,
        epoch: f[2].parse().context("field epoch")?,
        y: f[3].parse().context("field y")?,
        incumbent: f[4].parse().context("field incumbent")?,
    })
}

/// Appends trajectory rows as they come: each row is one `write` to the operating system
/// (a killed process loses no reported epoch); [`LiveTrajectory::finish`] fsyncs.
pub struct LiveTrajectory {
    path: PathBuf,
    file: fs::File,
}

impl LiveTrajectory {
    /// Opens the trajectory of `dir` (started by [`prepare`]) for appending.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let path = trajectory_path(dir);
        let file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(Self { path, file })
    }

    /// Appends one epoch.
    pub fn push(&mut self, s: &Step) -> anyhow::Result<()> {
        self.file
            .write_all(row(s).as_bytes())
            .with_context(|| format!("writing {}", self.path.display()))
    }

    /// Makes the trajectory durable.
    pub fn finish(self) -> anyhow::Result<()> {
        self.file
            .sync_all()
            .with_context(|| format!("syncing {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(spent: usize) -> Step {
        Step {
            spent,
            config: spent % 3,
            epoch: spent,
            y: 0.1 * spent as f32,
            incumbent: 0.1 * spent as f32,
        }
    }

    fn record() -> RunRecord {
        RunRecord {
            method: "{\"random\"}".into(),
            benchmark: "b.parquet".into(),
            task: "t".into(),
            budget: 10,
            seed: 1,
        }
    }

    #[test]
    fn a_cut_last_line_is_dropped_and_the_rest_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path(), &record(), false, false).unwrap();
        let mut live = LiveTrajectory::open(dir.path()).unwrap();
        for s in 1..=3 {
            live.push(&step(s)).unwrap();
        }
        drop(live);
        let p = trajectory_path(dir.path());
        let mut text = fs::read_to_string(&p).unwrap();
        text.push_str("4,1,4,0.4"); // killed mid-line
        fs::write(&p, text).unwrap();
        let back = prepare(dir.path(), &record(), true, false).unwrap();
        assert_eq!(back, (1..=3).map(step).collect::<Vec<_>>());
        assert!(fs::read_to_string(&p).unwrap().ends_with("0.3\n"));
    }

    #[test]
    fn another_run_is_refused_without_force_and_other_settings_without_a_match() {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path(), &record(), false, false).unwrap();
        let err = prepare(dir.path(), &record(), false, false).unwrap_err();
        assert!(err.to_string().contains("an unfinished run"), "{err}");
        let mut other = record();
        other.seed = 2;
        let err = prepare(dir.path(), &other, true, false).unwrap_err();
        assert!(err.to_string().contains("these differ"), "{err}");
        prepare(dir.path(), &other, false, true).unwrap();
        assert!(prepare(dir.path(), &other, true, false).unwrap().is_empty());
    }
}
