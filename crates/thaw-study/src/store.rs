//! The study store: an embedded SQLite database (bundled; nothing to install), the single
//! source of truth of every study in it. One schema, in the spirit of Optuna's RDB
//! storage:
//!
//! - `studies`: name and settings (JSON: space, objective, method, seed, pool, budget);
//! - `trials`: one row per configuration ever in the candidate pool — its parameters,
//!   encoding, state (`candidate → pending → running → frozen → … → done | failed`),
//!   epochs reported, the epoch its current assignment trains to, the worker holding it
//!   and the lease's end, attempts and failures;
//! - `epochs`: every reported value (`value` NULL for a failed or non-finite epoch, the
//!   worst), numbered in the order they were recorded (`seq`);
//! - `decisions`: every choice of the optimiser with what it saw (epoch rows up to
//!   `seen`, the first `pool` candidates, the trials held, the budget left), so that the
//!   optimiser's state is rebuilt by replaying them.
//!
//! Every change is one transaction (`BEGIN IMMEDIATE`); the database runs in WAL mode
//! with `synchronous = FULL`, so a committed epoch survives a crash of thaw or of the
//! machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Result, StudyError};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS thaw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    params TEXT NOT NULL,
    encoded TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('candidate', 'pending', 'running', 'frozen', 'done', 'failed')),
    epochs INTEGER NOT NULL DEFAULT 0,
    target INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    PRIMARY KEY (study_id, number)
);
CREATE TABLE IF NOT EXISTS epochs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    trial INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    value REAL,
    note TEXT,
    worker TEXT,
    reported_at REAL NOT NULL,
    UNIQUE (study_id, trial, epoch)
);
CREATE TABLE IF NOT EXISTS decisions (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    seq INTEGER NOT NULL,
    trial INTEGER NOT NULL,
    from_epoch INTEGER NOT NULL,
    to_epoch INTEGER NOT NULL,
    granted INTEGER NOT NULL,
    seen INTEGER NOT NULL,
    pool INTEGER NOT NULL,
    held TEXT NOT NULL,
    budget_left INTEGER NOT NULL,
    worker TEXT NOT NULL,
    decided_at REAL NOT NULL,
    PRIMARY KEY (study_id, seq)
);
";

/// Environment variable: seconds to wait for a store another process holds locked.
pub const LOCK_TIMEOUT_VAR: &str = "THAW_LOCK_TIMEOUT_S";

/// How long to wait for a locked store: `$THAW_LOCK_TIMEOUT_S` seconds, else 30.
fn lock_timeout() -> Duration {
    std::env::var(LOCK_TIMEOUT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs(30), Duration::from_secs_f64)
}

/// Where studies live: `sqlite:PATH` (or a plain path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A SQLite database file.
    Sqlite(PathBuf),
}

impl Storage {
    /// Parses a storage URL.
    pub fn parse(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Err(StudyError::Invalid(
                "PostgreSQL storage is not built yet: use sqlite:PATH (one machine, any number of workers)".into(),
            ));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err(StudyError::Invalid(format!(
                "storage {url:?} names no file"
            )));
        }
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(StudyError::Invalid(format!(
                "storage scheme {scheme:?} is not supported: use sqlite:PATH"
            )));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The storage as shown to users (never holds a password).
    pub fn label(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite:{}", p.display()),
        }
    }

    /// The folder beside the database where studies keep their trials' files.
    pub fn folder(&self) -> &Path {
        match self {
            Self::Sqlite(p) => p
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        }
    }

    /// Opens (creating if `create`) the database with thaw's schema. A store another
    /// process holds locked is waited for [`LOCK_TIMEOUT_VAR`] seconds (default 30).
    pub fn connect(&self, create: bool) -> Result<Connection> {
        let Self::Sqlite(path) = self;
        let label = self.label();
        let err = |source| StudyError::Store {
            storage: label.clone(),
            source,
        };
        if !create && !path.exists() {
            return Err(StudyError::Invalid(format!("{label}: no such study store")));
        }
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StudyError::io("cannot create", dir, e))?;
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(lock_timeout()).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(err)?;
        let has_meta: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'thaw_meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(err)?
            > 0;
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if !has_meta && tables > 0 {
            return Err(StudyError::Corrupt {
                storage: label,
                detail: "the database holds tables but is not a thaw study store".into(),
            });
        }
        if !has_meta {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} INSERT OR IGNORE INTO thaw_meta VALUES ('schema', '{SCHEMA_VERSION}'); COMMIT;"
            ))
            .map_err(err)?;
        }
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM thaw_meta WHERE key = 'schema'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if version.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
            return Err(StudyError::Corrupt {
                storage: label,
                detail: format!(
                    "schema version {version:?}; this build reads version {SCHEMA_VERSION}"
                ),
            });
        }
        Ok(conn)
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_foreign_databases() {
        assert_eq!(
            Storage::parse("sqlite:a/b.db").unwrap(),
            Storage::Sqlite("a/b.db".into())
        );
        assert_eq!(
            Storage::parse("x.db").unwrap(),
            Storage::Sqlite("x.db".into())
        );
        assert!(
            Storage::parse("postgres://u:secret@h/db")
                .unwrap_err()
                .to_string()
                .contains("not built yet")
        );
        assert!(
            !Storage::parse("postgres://u:secret@h/db")
                .unwrap_err()
                .to_string()
                .contains("secret")
        );
        assert!(Storage::parse("redis://h").is_err() && Storage::parse("sqlite:").is_err());

        let dir = tempfile::tempdir().unwrap();
        let s = Storage::Sqlite(dir.path().join("s.db"));
        assert!(s.connect(false).is_err(), "not created without `create`");
        s.connect(true).unwrap();
        s.connect(false).unwrap();
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let e = Storage::Sqlite(other)
            .connect(true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a thaw study store"), "{e}");
        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, vec![7u8; 4096]).unwrap();
        let e = Storage::Sqlite(garbage)
            .connect(true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("garbage.db"), "{e}");
    }
}
