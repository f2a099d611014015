//! Atomic file writes, the one writer of every output: write a temporary file beside
//! the target (`tempfile`), fsync it, rename it over the target, fsync the folder — so a
//! failure or a kill never leaves a half-written file under the final name, and a
//! finished write survives a crash.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{DataError, Result};

/// Creates `path` atomically from what `write` puts into the file it is given.
///
/// Parent directories are created. On error the temporary file is removed and any
/// existing file at `path` is left untouched.
pub fn write_atomically<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut fs::File) -> Result<()>,
{
    let dir = parent_of(path)?;
    let mut tmp = temp_in(&dir, path)?;
    write(tmp.as_file_mut())?;
    let file = tmp.as_file_mut();
    file.flush().map_err(|e| DataError::io(path, e))?;
    file.sync_all().map_err(|e| DataError::io(path, e))?;
    keep_permissions(tmp.path(), path)?;
    tmp.persist(path)
        .map_err(|e| DataError::io(path, e.error))?;
    sync_dir(&dir);
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`write_atomically`]).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(path, |f| {
        f.write_all(bytes).map_err(|e| DataError::io(path, e))
    })
}

/// Creates `path` atomically with a writer that needs a path of its own (a library
/// that opens the file itself): `write` gets a temporary path beside `path`, which is
/// then fsynced and renamed over it. On error the temporary file is removed.
pub fn write_via_path<F, E>(path: &Path, write: F) -> std::result::Result<(), E>
where
    F: FnOnce(&Path) -> std::result::Result<(), E>,
    E: From<DataError>,
{
    let dir = parent_of(path)?;
    let tmp = temp_in(&dir, path)?.into_temp_path();
    write(&tmp)?;
    fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| DataError::io(path, e))?;
    keep_permissions(&tmp, path)?;
    tmp.persist(path)
        .map_err(|e| DataError::io(path, e.error))?;
    sync_dir(&dir);
    Ok(())
}

fn parent_of(path: &Path) -> Result<std::path::PathBuf> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| DataError::io(&parent, e))?;
    Ok(parent)
}

/// Random characters in a temporary file's name.
const RANDOM_CHARS: usize = 6;

/// Whether `name` has the shape of this writer's temporary files, `.NAME` + 6 random
/// characters + `.tmp` — what a killed write leaves behind, for the owner of the folder
/// to remove.
pub fn is_temporary_name(name: &str) -> bool {
    let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let tail: Vec<char> = stem.chars().rev().take(RANDOM_CHARS).collect();
    stem.chars().count() > RANDOM_CHARS && tail.iter().all(char::is_ascii_alphanumeric)
}

fn temp_in(dir: &Path, path: &Path) -> Result<tempfile::NamedTempFile> {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        // The shape `is_temporary_name` recognises.
        .rand_bytes(RANDOM_CHARS)
        .tempfile_in(dir)
        .map_err(|e| DataError::io(dir, e))
}

/// Gives the temporary file the permissions of the file it replaces, or 0o644 for a
/// new one — not the 0o600 that `tempfile` creates it with, which would hide a report or
/// a checkpoint from other users.
fn keep_permissions(tmp: &Path, target: &Path) -> Result<()> {
    let perms = match fs::metadata(target) {
        Ok(m) => m.permissions(),
        Err(_) => default_permissions(tmp)?,
    };
    fs::set_permissions(tmp, perms).map_err(|e| DataError::io(tmp, e))
}

#[cfg(unix)]
fn default_permissions(_tmp: &Path) -> Result<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions(tmp: &Path) -> Result<fs::Permissions> {
    Ok(fs::metadata(tmp)
        .map_err(|e| DataError::io(tmp, e))?
        .permissions())
}

/// Makes a rename in `dir` durable; best effort (not every file system allows it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_files_have_the_recognised_name() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = temp_in(dir.path(), &dir.path().join("model.safetensors")).unwrap();
        let name = tmp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(is_temporary_name(&name), "{name}");
        assert!(!is_temporary_name(".notes.tmp"));
        assert!(!is_temporary_name("model.safetensors"));
    }

    #[test]
    fn replaces_whole_files_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.txt");
        write_bytes(&p, b"one").unwrap();
        write_bytes(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let failed: Result<()> = write_atomically(&p, |f| {
            f.write_all(b"half").unwrap();
            Err(DataError::io(&p, std::io::Error::other("boom")))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"two");
        write_via_path::<_, DataError>(&dir.path().join("x.bin"), |tmp| {
            fs::write(tmp, b"via").map_err(|e| DataError::io(tmp, e))
        })
        .unwrap();
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.txt"]);
        assert_eq!(fs::read(dir.path().join("x.bin")).unwrap(), b"via");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            // New files are readable by others (tempfile's own default is 0o600)…
            assert_eq!(mode(&p), 0o644);
            assert_eq!(mode(&dir.path().join("x.bin")), 0o644);
            // …and a replaced file keeps its mode.
            fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
            write_bytes(&p, b"three").unwrap();
            assert_eq!(mode(&p), 0o640);
        }
    }
}
