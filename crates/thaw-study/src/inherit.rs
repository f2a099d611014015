//! PBT's exploit step on disk and in the record: a new trial starts from another
//! trial's checkpoint, with that trial's recorded epochs copied as its own.

use std::fs;
use std::io;
use std::path::Path;

use thaw_hpo::Spawn;

use crate::args;
use crate::db::{DbError, Sql, Tx};
use crate::error::{Result, StudyError};
use crate::record::{Record, TrialRow};
use crate::space::SearchSpace;
use crate::study::trial_dir;

/// The `note` of an epoch row copied from another trial (followed by its number). Such
/// rows are part of the new trial's curve but were not trained again: they cost no
/// budget and are not in the incumbent's trace.
pub const INHERITED: &str = "inherited from trial ";

/// How the `origin` of a trial created by PBT begins.
pub const PBT_ORIGIN_PREFIX: &str = "pbt:";

/// The `origin` of a trial created by PBT from `parent` at epoch `epoch`.
pub fn pbt_origin(parent: u64, epoch: usize) -> String {
    format!("{PBT_ORIGIN_PREFIX}{parent}@{epoch}")
}

/// Copies the checkpoint folder `from` to `to`, replacing whatever `to` held: into a
/// sibling temporary folder first (every file synced), then renamed into place, so `to`
/// is either the old folder or a complete copy.
pub fn copy_checkpoint(from: &Path, to: &Path) -> io::Result<()> {
    let parent = to
        .parent()
        .ok_or_else(|| io::Error::other("a checkpoint folder needs a parent folder"))?;
    fs::create_dir_all(parent)?;
    let tmp = parent.join(".checkpoint.inherit-tmp");
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    copy_tree(from, &tmp)?;
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    fs::rename(&tmp, to)?;
    if let Ok(d) = fs::File::open(parent) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates PBT's child `spawn` in the decision's transaction `tx` (study `id`, trials in
/// `dir`): the trial (number = the pool's size, state candidate, `epochs` = the
/// inherited ones), copies of the parent's epoch rows 1..=`spawn.epoch` noted
/// [`INHERITED`], and a copy of the parent's checkpoint folder; `rec` gains the trial.
/// The parent must have a checkpoint folder (a program that saves none cannot be
/// continued by another configuration).
pub(crate) fn spawn_trial(
    tx: &mut Tx<'_>,
    err: &dyn Fn(DbError) -> StudyError,
    space: &SearchSpace,
    dir: &Path,
    id: i64,
    rec: &mut Record,
    spawn: &Spawn,
) -> Result<()> {
    let now = tx.now().map_err(err)?;
    let parent = rec.trials.get(spawn.parent).ok_or_else(|| {
        StudyError::Invalid(format!(
            "PBT copies trial {}, which does not exist",
            spawn.parent
        ))
    })?;
    let number = rec.trials.len() as u64;
    let rows: Vec<(usize, Option<f64>, Option<String>)> = rec
        .epochs
        .iter()
        .filter(|r| r.trial == parent.number && (1..=spawn.epoch).contains(&r.epoch))
        .map(|r| (r.epoch, r.value, r.worker.clone()))
        .collect();
    if rows.len() != spawn.epoch {
        return Err(StudyError::Invalid(format!(
            "PBT copies {} epochs of trial {}, which has {} recorded",
            spawn.epoch,
            parent.number,
            rows.len()
        )));
    }
    let from = trial_dir(dir, parent.number).join("checkpoint");
    if !from.is_dir() {
        return Err(StudyError::Invalid(format!(
            "PBT continues trial {} in a new configuration, but it left no checkpoint folder \
             {}: the program must save its state in THAW_CHECKPOINT_DIR",
            parent.number,
            from.display()
        )));
    }
    let child = TrialRow::candidate(
        number,
        space,
        space.snap(&spawn.point),
        pbt_origin(parent.number, spawn.epoch),
        spawn.epoch,
    );
    child.insert_candidate(tx, id).map_err(err)?;
    let note = Some(format!("{INHERITED}{}", parent.number));
    for (epoch, value, worker) in rows {
        tx.exec(
            "INSERT INTO epochs (study_id, trial, epoch, value, note, worker, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![id, number as i64, epoch as i64, value, &note, &worker, now],
        )
        .map_err(err)?;
    }
    let to = trial_dir(dir, number).join("checkpoint");
    copy_checkpoint(&from, &to)
        .map_err(|e| StudyError::io("cannot copy the checkpoint", &from, e))?;
    rec.trials.push(child);
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
            fs::File::open(&target)?.sync_all()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_a_tree_and_replaces_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("a/checkpoint");
        fs::create_dir_all(from.join("sub")).unwrap();
        fs::write(from.join("state.bin"), b"weights").unwrap();
        fs::write(from.join("sub/x"), b"1").unwrap();
        let to = dir.path().join("b/checkpoint");
        fs::create_dir_all(&to).unwrap();
        fs::write(to.join("stale"), b"old").unwrap();
        copy_checkpoint(&from, &to).unwrap();
        assert_eq!(fs::read(to.join("state.bin")).unwrap(), b"weights");
        assert_eq!(fs::read(to.join("sub/x")).unwrap(), b"1");
        assert!(!to.join("stale").exists(), "the old folder is replaced");
        assert!(!dir.path().join("b/.checkpoint.inherit-tmp").exists());
        let missing = copy_checkpoint(&dir.path().join("none"), &dir.path().join("c/checkpoint"));
        assert!(missing.is_err());
        assert_eq!(pbt_origin(3, 4), "pbt:3@4");
    }
}
