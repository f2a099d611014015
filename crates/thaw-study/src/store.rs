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

use crate::db::{Conn, DbError, Sql};
use crate::error::{Result, StudyError};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// The schema, with the column types each store spells its own way.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS thaw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
    id {ID},
    name TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    created_at {REAL} NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    study_id {INT} NOT NULL REFERENCES studies(id),
    number {INT} NOT NULL,
    params TEXT NOT NULL,
    encoded TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('candidate', 'pending', 'running', 'frozen', 'done', 'failed')),
    epochs {INT} NOT NULL DEFAULT 0,
    target {INT} NOT NULL DEFAULT 0,
    worker TEXT,
    lease_until {REAL},
    attempts {INT} NOT NULL DEFAULT 0,
    failures {INT} NOT NULL DEFAULT 0,
    reason TEXT,
    PRIMARY KEY (study_id, number)
);
CREATE TABLE IF NOT EXISTS epochs (
    seq {SEQ},
    study_id {INT} NOT NULL REFERENCES studies(id),
    trial {INT} NOT NULL,
    epoch {INT} NOT NULL,
    value {REAL},
    note TEXT,
    worker TEXT,
    reported_at {REAL} NOT NULL,
    UNIQUE (study_id, trial, epoch)
);
CREATE TABLE IF NOT EXISTS decisions (
    study_id {INT} NOT NULL REFERENCES studies(id),
    seq {INT} NOT NULL,
    trial {INT} NOT NULL,
    from_epoch {INT} NOT NULL,
    to_epoch {INT} NOT NULL,
    granted {INT} NOT NULL,
    seen {INT} NOT NULL,
    pool {INT} NOT NULL,
    held TEXT NOT NULL,
    budget_left {INT} NOT NULL,
    worker TEXT NOT NULL,
    decided_at {REAL} NOT NULL,
    PRIMARY KEY (study_id, seq)
);
";

/// The tables of the schema (a database holding one of them without `thaw_meta` is not
/// a thaw store and is left alone).
const TABLES: [&str; 5] = ["thaw_meta", "studies", "trials", "epochs", "decisions"];

fn schema(postgres: bool) -> String {
    let (id, seq, int, real) = if postgres {
        (
            "BIGSERIAL PRIMARY KEY",
            "BIGSERIAL PRIMARY KEY",
            "BIGINT",
            "DOUBLE PRECISION",
        )
    } else {
        (
            "INTEGER PRIMARY KEY",
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "INTEGER",
            "REAL",
        )
    };
    SCHEMA
        .replace("{ID}", id)
        .replace("{SEQ}", seq)
        .replace("{INT}", int)
        .replace("{REAL}", real)
}

/// Environment variable: seconds a study keeps reconnecting to a server it lost
/// (restarted, unreachable) before the call fails.
pub const RECONNECT_VAR: &str = "THAW_RECONNECT_S";

/// Environment variable: seconds to wait for a store another process holds locked.
pub const LOCK_TIMEOUT_VAR: &str = "THAW_LOCK_TIMEOUT_S";

/// How long to wait for a locked store: `$THAW_LOCK_TIMEOUT_S` seconds, else 30.
fn lock_timeout() -> Duration {
    seconds_var(LOCK_TIMEOUT_VAR, 30.0)
}

/// `$var` as seconds, else `default`.
pub(crate) fn seconds_var(var: &str, default: f64) -> Duration {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs_f64(default), Duration::from_secs_f64)
}

/// Where studies live: `sqlite:PATH` (or a plain path), or `postgres://…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PgUrl),
}

/// A PostgreSQL connection URL. Its password is never shown: [`Storage::label`] and
/// `Debug` print `***` in its place.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// The URL as given, less thaw's own `sslrootcert` parameter.
    url: String,
    /// The URL with its password hidden.
    label: String,
    /// `sslrootcert=PATH`: the CA that the server's certificate must chain to; its host
    /// name is verified too.
    root_cert: Option<PathBuf>,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

impl PgUrl {
    fn parse(url: &str) -> Result<Self> {
        let label = redact(url);
        // The client reads the user part to the first `@`: a second `@` in the host
        // part is a password's unencoded `@`.
        let after_user = url
            .split_once("://")
            .and_then(|(_, r)| r.split_once('@'))
            .map(|(_, host)| host);
        if after_user.is_some_and(|h| h.split(['/', '?']).next().unwrap_or("").contains('@')) {
            return Err(StudyError::Invalid(format!(
                "{label}: the URL holds more than one `@` before its parameters; write an `@` \
                 in the user name or password as %40 (or give the password in PGPASSWORD)"
            )));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut root_cert = None;
        let mut kept = Vec::new();
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            match kv.split_once('=') {
                Some(("sslrootcert", path)) => root_cert = Some(PathBuf::from(path)),
                _ => kept.push(kv),
            }
        }
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        url.parse::<postgres::Config>().map_err(|e| {
            StudyError::Invalid(format!(
                "{label}: not a PostgreSQL URL: {}",
                redact(&e.to_string())
            ))
        })?;
        Ok(Self {
            url,
            label,
            root_cert,
        })
    }

    fn connect(&self) -> std::result::Result<postgres::Client, DbError> {
        use postgres::config::SslMode;
        let mut config: postgres::Config = self.url.parse().map_err(DbError::Postgres)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_password().is_none()
            && let Ok(pw) = std::env::var("PGPASSWORD")
        {
            config.password(pw);
        }
        if config.get_application_name().is_none() {
            config.application_name("thaw");
        }
        // A dead peer is noticed in about a minute, not the system's two hours.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(20));
        // A CA to verify against means TLS must be used: never fall back to plain text.
        if self.root_cert.is_some() && config.get_ssl_mode() == SslMode::Prefer {
            config.ssl_mode(SslMode::Require);
        }
        if config.get_ssl_mode() == SslMode::Disable {
            return Ok(config.connect(postgres::NoTls)?);
        }
        Ok(config.connect(self.tls()?)?)
    }

    /// TLS as libpq does it: `sslmode=prefer` (the default) and `require` encrypt
    /// without checking the certificate; with `sslrootcert=PATH` the certificate must
    /// chain to that CA and name the host.
    fn tls(&self) -> std::result::Result<postgres_openssl::MakeTlsConnector, DbError> {
        use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
        let tls_err = |e: openssl::error::ErrorStack| DbError::Tls(e.to_string());
        let mut builder = SslConnector::builder(SslMethod::tls()).map_err(tls_err)?;
        let verify = match &self.root_cert {
            Some(ca) => {
                builder.set_ca_file(ca).map_err(|e| {
                    DbError::Tls(format!("cannot read sslrootcert {}: {e}", ca.display()))
                })?;
                true
            }
            None => {
                builder.set_verify(SslVerifyMode::NONE);
                false
            }
        };
        let mut make = postgres_openssl::MakeTlsConnector::new(builder.build());
        make.set_callback(move |cfg, _| {
            cfg.set_verify_hostname(verify);
            Ok(())
        });
        Ok(make)
    }
}

/// `url` with the password of its user part (and any `password=` parameter) as `***`.
/// The user part is taken to run to the *last* `@`, so that no part of a password
/// holding `/`, `?` or an unencoded `@` is ever shown (a URL with such an `@` is
/// refused by [`Storage::parse`], its message redacted this way); an `@` in a
/// parameter may hide more than the password, never less.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        if let Some(at) = out[rest..].rfind('@').map(|i| rest + i)
            && let Some(colon) = out[rest..at].find(':')
        {
            out.replace_range(rest + colon + 1..at, "***");
        }
    }
    let mut i = 0;
    while let Some(p) = out[i..].find("password=") {
        let start = i + p + "password=".len();
        let end = out[start..]
            .find(['&', ' '])
            .map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "***");
        i = start + 3;
    }
    out
}

impl Storage {
    /// Parses a storage URL.
    pub fn parse(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return PgUrl::parse(url).map(Self::Postgres);
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
                "storage scheme {scheme:?} is not supported: use sqlite:PATH or postgres://USER@HOST/DB"
            )));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The storage as shown to users (never holds a password).
    pub fn label(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite:{}", p.display()),
            Self::Postgres(u) => u.label.clone(),
        }
    }

    /// Whether the store is a database server (trials' folders then default to the
    /// current directory, not to the store's).
    pub fn is_server(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// The folder where studies keep their trials' files by default: beside a SQLite
    /// database; the current directory for a server.
    pub fn folder(&self) -> &Path {
        match self {
            Self::Sqlite(p) => p
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
            Self::Postgres(_) => Path::new("."),
        }
    }

    /// Opens (creating if `create`) the store with thaw's schema. A SQLite store another
    /// process holds locked is waited for [`LOCK_TIMEOUT_VAR`] seconds (default 30); one
    /// that fails SQLite's `quick_check` is refused before anything is written to it.
    pub fn connect(&self, create: bool) -> Result<Conn> {
        self.open(if create { Mode::Create } else { Mode::Write })
    }

    /// Opens an existing store for reading only (`status`, `export`, `plot`,
    /// `compare`): a SQLite file in a read-only folder can be read, and nothing is
    /// ever written to it.
    pub fn connect_read_only(&self) -> Result<Conn> {
        self.open(Mode::Read)
    }

    fn open(&self, mode: Mode) -> Result<Conn> {
        let label = self.label();
        let err = |source| StudyError::Store {
            storage: label.clone(),
            source,
        };
        let create = mode == Mode::Create;
        let mut conn = match self {
            Self::Sqlite(path) => {
                if !create && !path.exists() {
                    return Err(StudyError::Invalid(format!("{label}: no such study store")));
                }
                if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty())
                    && create
                {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| StudyError::io("cannot create", dir, e))?;
                }
                Conn::Sqlite(open_sqlite(path, mode, &label)?)
            }
            Self::Postgres(u) => {
                let mut client = u.connect().map_err(err)?;
                // A session that went quiet inside a transaction (its host cut off while
                // it held the study's lock) is ended by the server, so that the other
                // workers do not wait for the operating system to notice.
                client
                    .batch_execute("SET idle_in_transaction_session_timeout = '300s'")
                    .map_err(|e| err(DbError::Postgres(e)))?;
                Conn::Postgres(Box::new(client))
            }
        };
        let postgres = self.is_server();
        let present = |conn: &mut Conn| -> std::result::Result<Vec<String>, DbError> {
            let sql = if postgres {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()"
            } else {
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            };
            conn.query(sql, &[])?.iter().map(|r| r.text(0)).collect()
        };
        let tables = present(&mut conn).map_err(err)?;
        let has_meta = tables.iter().any(|t| t == "thaw_meta");
        // A SQLite file is thaw's alone; a server's database may hold other tables.
        let foreign = if postgres {
            tables.iter().any(|t| TABLES.contains(&t.as_str()))
        } else {
            !tables.is_empty()
        };
        if !has_meta && foreign {
            return Err(StudyError::Corrupt {
                storage: label,
                detail: "the database holds tables but is not a thaw study store".into(),
            });
        }
        if !has_meta {
            if mode != Mode::Create {
                return Err(StudyError::Invalid(format!(
                    "{label}: holds no thaw study store"
                )));
            }
            let mut tx = conn.write("").map_err(err)?;
            // Another process may have created it while this one waited for the lock.
            tx.execute_batch(&schema(postgres)).map_err(err)?;
            tx.exec(
                "INSERT INTO thaw_meta VALUES ('schema', $1) ON CONFLICT DO NOTHING",
                crate::args![SCHEMA_VERSION.to_string().as_str()],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        let version = conn
            .query_opt("SELECT value FROM thaw_meta WHERE key = 'schema'", &[])
            .map_err(err)?
            .map(|r| r.text(0))
            .transpose()
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

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Read and write, creating the file and the schema where missing.
    Create,
    /// Read and write an existing store.
    Write,
    /// Read an existing store; never write.
    Read,
}

/// Opens a SQLite study store and checks it (`PRAGMA quick_check`) before anything
/// can be written: a corrupt file is refused as it is, never changed.
fn open_sqlite(path: &Path, mode: Mode, label: &str) -> Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let err = |e: rusqlite::Error| StudyError::Store {
        storage: label.to_string(),
        source: DbError::Sqlite(e),
    };
    let read_flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if mode == Mode::Read {
        // A WAL database needs its `-shm` file: in a read-only folder where none was
        // left, the file is opened as immutable (no writer can be at work there).
        let plain = rusqlite::Connection::open_with_flags(path, read_flags).map_err(err)?;
        plain.busy_timeout(lock_timeout()).map_err(err)?;
        let cannot_open = |e: &StudyError| {
            matches!(e, StudyError::Store {
                source: DbError::Sqlite(rusqlite::Error::SqliteFailure(f, _)),
                ..
            } if matches!(f.code, rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly))
        };
        match quick_check(&plain, label) {
            Err(e) if cannot_open(&e) => {
                let uri = format!("file:{}?immutable=1", uri_path(path));
                let c = rusqlite::Connection::open_with_flags(
                    uri,
                    read_flags | OpenFlags::SQLITE_OPEN_URI,
                )
                .map_err(err)?;
                quick_check(&c, label)?;
                c
            }
            r => r.map(|()| plain)?,
        }
    } else {
        let conn = rusqlite::Connection::open(path).map_err(err)?;
        conn.busy_timeout(lock_timeout()).map_err(err)?;
        quick_check(&conn, label)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(err)?;
        conn
    };
    Ok(conn)
}

/// SQLite's `quick_check`: [`StudyError::Corrupt`] naming the first problem it finds.
fn quick_check(conn: &rusqlite::Connection, label: &str) -> Result<()> {
    let found: std::result::Result<String, rusqlite::Error> =
        conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0));
    match found {
        Ok(ok) if ok == "ok" => Ok(()),
        Ok(problem) => Err(corrupt(label, &problem)),
        Err(rusqlite::Error::SqliteFailure(e, msg))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ) =>
        {
            Err(corrupt(label, &msg.unwrap_or_else(|| e.to_string())))
        }
        Err(e) => Err(StudyError::Store {
            storage: label.to_string(),
            source: DbError::Sqlite(e),
        }),
    }
}

fn corrupt(label: &str, problem: &str) -> StudyError {
    StudyError::Corrupt {
        storage: label.to_string(),
        detail: format!(
            "the database file is damaged ({problem}); it was not changed. Restore it from a \
             copy, or `sqlite3 FILE .recover` it into a new file"
        ),
    }
}

/// `path` for a SQLite `file:` URI (`%`, `?` and `#` percent-encoded).
fn uri_path(path: &Path) -> String {
    let text = std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    text.replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23")
}

/// A worker identity held by this process: while it lives, no other process can work on
/// the same study under the same identity (which would take over its trials, since
/// asking is idempotent per worker). Released when dropped or when the process dies.
#[derive(Debug)]
pub struct WorkerClaim {
    hold: ClaimHold,
    storage: Storage,
    study: String,
    id: String,
}

enum ClaimHold {
    /// An exclusive lock on a file beside the SQLite database.
    File { _lock: std::fs::File },
    /// A session-level advisory lock on a connection of its own.
    Postgres { session: Box<postgres::Client> },
}

impl std::fmt::Debug for ClaimHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::File { .. } => "file lock",
            Self::Postgres { .. } => "advisory lock",
        })
    }
}

impl Storage {
    /// Claims worker identity `id` on study `study` for this process.
    pub fn claim_worker(&self, study: &str, id: &str) -> Result<WorkerClaim> {
        Ok(WorkerClaim {
            hold: until_reached(|| self.take_claim(study, id))?,
            storage: self.clone(),
            study: study.into(),
            id: id.into(),
        })
    }

    fn take_claim(&self, study: &str, id: &str) -> Result<ClaimHold> {
        let taken = || {
            StudyError::Invalid(format!(
                "worker `{id}` is already at work on study `{study}` in {} (another process): \
                 give this one its own --worker-id",
                self.label()
            ))
        };
        let hold = match self {
            Self::Sqlite(path) => {
                // Distinct identities get distinct files: `_` and `%` are escaped.
                let safe: String = format!("{study}@{id}")
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let dir = PathBuf::from(format!("{}.workers", path.display()));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| StudyError::io("cannot create", &dir, e))?;
                let lock = dir.join(format!("{safe}.lock"));
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock)
                    .map_err(|e| StudyError::io("cannot open", &lock, e))?;
                match file.try_lock() {
                    Ok(()) => ClaimHold::File { _lock: file },
                    Err(std::fs::TryLockError::WouldBlock) => return Err(taken()),
                    Err(std::fs::TryLockError::Error(e)) => {
                        return Err(StudyError::io("cannot lock", &lock, e));
                    }
                }
            }
            Self::Postgres(u) => {
                let err = |source| StudyError::Store {
                    storage: self.label(),
                    source,
                };
                let mut client = u.connect().map_err(err)?;
                let got: bool = client
                    .query_one(
                        "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                        &[&format!("thaw-worker:{study}@{id}")],
                    )
                    .map_err(|e| err(DbError::Postgres(e)))?
                    .get(0);
                if !got {
                    return Err(taken());
                }
                ClaimHold::Postgres {
                    session: Box::new(client),
                }
            }
        };
        Ok(hold)
    }
}

impl WorkerClaim {
    /// Checks that the claim still holds, taking it again if its connection was lost (a
    /// server restart ends the session that held it); an error if another process took
    /// the identity meanwhile, or the server cannot be reached.
    pub fn ensure(&mut self) -> Result<()> {
        let ClaimHold::Postgres { session } = &mut self.hold else {
            return Ok(());
        };
        if !session.is_closed() && session.simple_query("SELECT 1").is_ok() {
            return Ok(());
        }
        let (storage, study, id) = (&self.storage, &self.study, &self.id);
        self.hold = until_reached(|| storage.take_claim(study, id))?;
        Ok(())
    }
}

/// Runs `op` again while the store's server cannot be reached (it is starting, restarting,
/// or the network is down), for up to [`RECONNECT_VAR`] seconds.
pub(crate) fn until_reached<T>(mut op: impl FnMut() -> Result<T>) -> Result<T> {
    let window = seconds_var(RECONNECT_VAR, 120.0);
    let start = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(50);
    loop {
        match op() {
            Err(e) if e.is_connection_lost() && start.elapsed() < window => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_secs(2));
            }
            r => return r,
        }
    }
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
        let pg = Storage::parse("postgres://u:secret@h:5432/db?sslmode=require").unwrap();
        assert_eq!(pg.label(), "postgres://u:***@h:5432/db?sslmode=require");
        assert!(!format!("{pg:?}").contains("secret"));
        assert_eq!(
            redact("postgresql://h/db?user=u&password=p4ss&sslmode=disable"),
            "postgresql://h/db?user=u&password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://u:a/b?c@h/db"), "postgres://u:***@h/db");
        // An unencoded `@` in the password: nothing of it is shown, and it is refused.
        let url = "postgres://thaw:pa@RETTAIL99@h:5432/db";
        assert_eq!(redact(url), "postgres://thaw:***@h:5432/db");
        let e = Storage::parse(url).unwrap_err().to_string();
        assert!(
            e.contains("%40") && !e.contains("RETTAIL") && !e.contains("pa@"),
            "{e}"
        );
        let encoded = Storage::parse("postgres://thaw:pa%40RETTAIL99@h/db").unwrap();
        assert_eq!(encoded.label(), "postgres://thaw:***@h/db");
        let bad = Storage::parse("postgres://u:secret@h:notaport/db").unwrap_err();
        assert!(!bad.to_string().contains("secret"), "{bad}");
        assert!(Storage::parse("redis://h").is_err() && Storage::parse("sqlite:").is_err());

        let dir = tempfile::tempdir().unwrap();
        let s = Storage::Sqlite(dir.path().join("s.db"));
        assert!(s.connect(false).is_err(), "not created without `create`");
        s.connect(true).unwrap();
        s.connect(false).unwrap();
        let other = dir.path().join("other.db");
        rusqlite::Connection::open(&other)
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
