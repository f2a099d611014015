//! Output directories are claimed before any work starts: a lock file that the
//! operating system releases when the process ends (a `kill -9` included), so a second
//! run on the same `--out` is refused with the holder's name instead of interleaving its
//! files with the first one's.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Name of the lock file inside a claimed directory.
pub const LOCK_FILE: &str = ".thaw.lock";

/// A directory this process writes to; the claim lasts until it is dropped.
#[derive(Debug)]
pub struct OutputClaim {
    dir: PathBuf,
    _lock: fs::File,
}

impl OutputClaim {
    /// Creates `dir` if needed and locks it for `command`, or says who holds it.
    ///
    /// Temporary files left by a killed run (the atomic writer's `.NAME….tmp`) are
    /// removed: while the claim is held nobody else writes there.
    pub fn take(dir: &Path, command: &str) -> anyhow::Result<Self> {
        if dir.exists() && !dir.is_dir() {
            bail!(
                "output {} exists and is not a directory; choose another --out",
                dir.display()
            );
        }
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output directory {}", dir.display()))?;
        let path = dir.join(LOCK_FILE);
        let mut lock = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = lock.read_to_string(&mut holder);
                bail!(
                    "{} is in use by another run ({}); wait for it to finish or choose another --out",
                    dir.display(),
                    describe_holder(&holder)
                );
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        write_holder(&mut lock, command).with_context(|| format!("writing {}", path.display()))?;
        remove_stale_temporaries(dir);
        Ok(Self {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The claimed directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn describe_holder(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        "a process that has not written its name yet".into()
    } else {
        text.replace('\n', ", ")
    }
}

fn write_holder(lock: &mut fs::File, command: &str) -> std::io::Result<()> {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let argv: Vec<String> = std::env::args().collect();
    lock.set_len(0)?;
    lock.rewind()?;
    writeln!(
        lock,
        "{command}, pid {}, started at unix time {started}\nargv: {}",
        std::process::id(),
        argv.join(" ")
    )?;
    lock.sync_all()
}

/// Removes what a killed atomic write leaves: `.NAME….tmp` files in `dir` and its
/// subfolders one level down (a checkpoint's `resume/`), and `NAME.tmp-PID` folders.
/// Best effort.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && name.contains(".tmp-") {
            // A checkpoint's resume folder written beside the real one (`resume.tmp-PID`).
            let _ = fs::remove_dir_all(&path);
        } else if is_dir && !name.starts_with('.') {
            remove_stale_temporaries_flat(&path);
        } else if is_stale_temporary(&name) {
            let _ = fs::remove_file(&path);
        }
    }
}

fn remove_stale_temporaries_flat(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && is_stale_temporary(&entry.file_name().to_string_lossy()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn is_stale_temporary(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp") && name != LOCK_FILE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_is_refused_naming_the_holder_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let first = OutputClaim::take(&out, "ifbo").unwrap();
        let err = OutputClaim::take(&out, "ifbo").unwrap_err().to_string();
        assert!(err.contains("in use by another run"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        OutputClaim::take(&out, "ifbo").unwrap();
    }

    #[test]
    fn a_file_in_the_way_is_refused_and_stale_temporaries_go() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        let err = OutputClaim::take(&file, "ifbo").unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");

        let out = dir.path().join("ckpt");
        fs::create_dir_all(out.join("resume")).unwrap();
        fs::write(out.join(".model.safetensorsAbc123.tmp"), "half").unwrap();
        fs::write(out.join("resume/.state.jsonXyz.tmp"), "half").unwrap();
        fs::create_dir_all(out.join("resume.tmp-4242")).unwrap();
        fs::write(out.join("config.json"), "{}").unwrap();
        let _claim = OutputClaim::take(&out, "train-pfn").unwrap();
        assert!(!out.join(".model.safetensorsAbc123.tmp").exists());
        assert!(!out.join("resume/.state.jsonXyz.tmp").exists());
        assert!(!out.join("resume.tmp-4242").exists());
        assert!(out.join("resume").is_dir());
        assert!(out.join("config.json").exists());
    }
}
