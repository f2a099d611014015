//! Output directories are claimed before any work starts: a lock file that the
//! operating system releases when the process ends (a `kill -9` included), so a second
//! run on the same `--out` is refused with the holder's name instead of interleaving its
//! files with the first one's.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, bail};

/// Name of the lock file inside a claimed directory.
pub const LOCK_FILE: &str = ".thaw.lock";

/// A directory this process writes to; the claim lasts until it is dropped.
#[derive(Debug)]
pub struct OutputClaim {
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
        Ok(Self { _lock: lock })
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

/// Removes what a killed atomic write of thaw leaves in `dir` and in its `resume/`
/// folder: `.NAME` + 6 random characters + `.tmp` files (the atomic writer's), and
/// `resume.tmp-PID` folders of processes that are gone. Nothing else is touched, and
/// no other subfolder is entered (another run may hold it). Best effort.
fn remove_stale_temporaries(dir: &Path) {
    remove_stale_files(dir);
    remove_stale_files(&dir.join("resume"));
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("resume.tmp-")) else {
            continue;
        };
        let dead = pid.parse::<u32>().is_ok_and(|p| !process_alive(p));
        if dead && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn remove_stale_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && thaw_data::atomic::is_temporary_name(&entry.file_name().to_string_lossy()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` exists (Linux `/proc`; elsewhere assumed alive).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
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
        // A pid that cannot exist (above Linux's pid_max) stands for a dead process.
        fs::create_dir_all(out.join("resume.tmp-4294967")).unwrap();
        fs::create_dir_all(out.join("mine.tmp-1")).unwrap();
        fs::write(out.join(".notes.tmp"), "a user's file").unwrap();
        fs::create_dir_all(out.join("other")).unwrap();
        fs::write(
            out.join("other/.model.safetensorsAbc123.tmp"),
            "another run's",
        )
        .unwrap();
        fs::write(out.join("config.json"), "{}").unwrap();
        let _claim = OutputClaim::take(&out, "train-pfn").unwrap();
        assert!(!out.join(".model.safetensorsAbc123.tmp").exists());
        assert!(!out.join("resume/.state.jsonXyz.tmp").exists());
        assert!(!out.join("resume.tmp-4294967").exists());
        assert!(out.join("mine.tmp-1").exists(), "not a thaw temporary");
        assert!(out.join(".notes.tmp").exists(), "not a thaw temporary");
        assert!(
            out.join("other/.model.safetensorsAbc123.tmp").exists(),
            "not entered"
        );
        assert!(out.join("resume").is_dir());
        assert!(out.join("config.json").exists());
    }
}
