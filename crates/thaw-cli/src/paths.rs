//! Where thaw finds its data and checkpoints by default, from any working directory.
//!
//! The thaw home is, in this order:
//! 1. `$THAW_HOME`, when set (and not empty);
//! 2. the current directory, when it holds `data/parquet/` or a `checkpoints/` folder
//!    with at least one checkpoint in it (a checkout);
//! 3. the nearest folder above the running executable whose `checkpoints/` holds a
//!    checkpoint (`target/release/thaw` of a checkout, or `PREFIX/bin/thaw` beside
//!    `PREFIX/checkpoints`);
//! 4. the current directory.
//!
//! Inputs default to `<home>/data/parquet/…` and `<home>/checkpoints`; outputs (`runs/…`)
//! stay relative to the current directory, where a user expects them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The environment variable that names the thaw home.
pub const HOME_VAR: &str = "THAW_HOME";

/// The thaw home (see the module documentation); empty means the current directory.
/// Found once per process: every command's defaults (built together by clap) ask for it.
pub fn home() -> PathBuf {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(find_home).clone()
}

fn find_home() -> PathBuf {
    if let Some(h) = std::env::var_os(HOME_VAR).filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    let here = Path::new("");
    if has_checkpoints(here) || here.join("data/parquet").is_dir() {
        return PathBuf::new();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .skip(1)
                .find(|d| has_checkpoints(d))
                .map(Path::to_path_buf)
        })
        .unwrap_or_default()
}

/// Whether `dir/checkpoints` holds at least one checkpoint (`*/config.json`): a folder
/// that merely happens to be called `checkpoints` does not make a home.
fn has_checkpoints(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir.join("checkpoints")) else {
        return false;
    };
    entries
        .flatten()
        .any(|e| e.path().join("config.json").is_file())
}

/// Raw published files, one folder per benchmark (`<home>/data/raw/taskset`, …).
pub fn raw_dir() -> PathBuf {
    home().join("data/raw")
}

/// Imported Parquet files, one per benchmark (`<home>/data/parquet/taskset.parquet`, …).
pub fn parquet_dir() -> PathBuf {
    home().join("data/parquet")
}

/// The imported TaskSet file, every command's default data.
pub fn taskset_parquet() -> PathBuf {
    parquet_dir().join("taskset.parquet")
}

/// The shipped checkpoints that `adam-pfn` and `ft-pfn` name.
pub fn checkpoints_dir() -> PathBuf {
    home().join("checkpoints")
}
