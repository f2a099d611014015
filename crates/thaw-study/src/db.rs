//! One SQL interface over the two study stores, SQLite (`rusqlite`) and PostgreSQL
//! (`postgres`): statements are written once, with `$1`-style placeholders, and run on
//! either.
//!
//! Writes are serialised per study, as SQLite's `BEGIN IMMEDIATE` does for the whole
//! file: a PostgreSQL write transaction first takes a transaction-scoped advisory lock on
//! the study's name. So epoch rows of a study are numbered in commit order on both
//! stores, which the decision replay relies on (a decision saw "rows up to seq N").

use std::borrow::Cow;

use thiserror::Error;

/// A database error of either store.
#[derive(Debug, Error)]
pub enum DbError {
    /// SQLite.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL (messages never hold the connection's password).
    #[error("{}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    /// A column holds a value of another type than the schema's.
    #[error("column {column} holds {found}, not {wanted}")]
    Column {
        /// Column index.
        column: usize,
        /// What the schema says.
        wanted: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// TLS could not be set up as the URL asks.
    #[error("TLS: {0}")]
    Tls(String),
    /// A commit that went through but whose acknowledgement was "lost" on purpose
    /// ([`lose_commit_acks_on_this_thread`]), to test that re-sent calls are safe.
    #[error("connection lost after the commit (injected by a test)")]
    InjectedLoss,
}

thread_local! {
    static LOSE_EVERY: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// For tests: from now on, every `every`-th commit on this thread goes through and then
/// reports a lost connection, as a commit whose acknowledgement never arrived (0 turns
/// it off). Both stores honour it.
pub fn lose_commit_acks_on_this_thread(every: u64) {
    LOSE_EVERY.with(|c| c.set((every, 0)));
}

fn injected_loss() -> bool {
    LOSE_EVERY.with(|c| {
        let (every, n) = c.get();
        if every == 0 {
            return false;
        }
        c.set((every, n + 1));
        (n + 1) % every == 0
    })
}

/// The server's message with its detail and hint, where it sent them.
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(cause) = src {
                let c = cause.to_string();
                if !s.contains(&c) {
                    s.push_str(&format!(": {c}"));
                }
                src = cause.source();
            }
            s
        }
    }
}

impl DbError {
    /// Whether the connection to the server was lost or could not be made (the server
    /// restarted, the network dropped, a backend was terminated): the operation may be
    /// retried on a new connection. Never true for SQLite.
    pub fn is_connection_lost(&self) -> bool {
        let e = match self {
            Self::InjectedLoss => return true,
            Self::Postgres(e) => e,
            _ => return false,
        };
        if e.is_closed() {
            return true;
        }
        match e.code() {
            // Class 08: connection exception; 57P01–57P03: admin or crash shutdown,
            // cannot connect now (starting up or shutting down); 53300: too many
            // connections (every worker reconnecting at once after a restart).
            Some(code) => {
                let c = code.code();
                c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03" | "53300")
            }
            // No SQLSTATE: lost if it came from the socket (refused, reset, timed out),
            // not from the client itself (a type mismatch is a bug, not an outage).
            None => {
                let mut src = std::error::Error::source(e);
                while let Some(cause) = src {
                    if cause.is::<std::io::Error>() {
                        return true;
                    }
                    src = cause.source();
                }
                false
            }
        }
    }
}

/// A statement argument.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// An integer (BIGINT / INTEGER).
    Int(i64),
    /// A float (DOUBLE PRECISION / REAL).
    Real(f64),
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    OptText(Option<&'a str>),
    /// A float or NULL.
    OptReal(Option<f64>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<f64> for Arg<'_> {
    fn from(v: f64) -> Self {
        Self::Real(v)
    }
}
impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Self::Text(v)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Self::Text(v)
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Self::OptText(v)
    }
}
impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Self::OptText(v.as_deref())
    }
}
impl From<Option<f64>> for Arg<'_> {
    fn from(v: Option<f64>) -> Self {
        Self::OptReal(v)
    }
}

/// Statement arguments: `args![id, name, 1.5]`.
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($crate::db::Arg::from($a)),*][..] };
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Self::Int(v) => v.to_sql(),
            Self::Real(v) => v.to_sql(),
            Self::Text(v) => v.to_sql(),
            Self::OptText(v) => v.to_sql(),
            Self::OptReal(v) => v.to_sql(),
        }
    }
}

fn pg_args<'b>(args: &'b [Arg<'_>]) -> Vec<&'b (dyn postgres::types::ToSql + Sync)> {
    args.iter()
        .map(|a| -> &(dyn postgres::types::ToSql + Sync) {
            match a {
                Arg::Int(v) => v,
                Arg::Real(v) => v,
                Arg::Text(v) => v,
                Arg::OptText(v) => v,
                Arg::OptReal(v) => v,
            }
        })
        .collect()
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
}

impl Cell {
    fn kind(&self) -> &'static str {
        match self {
            Self::Null => "NULL",
            Self::Int(_) => "an integer",
            Self::Real(_) => "a float",
            Self::Text(_) => "text",
        }
    }
}

/// A result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> &Cell {
        self.0.get(i).unwrap_or(&Cell::Null)
    }

    fn wrong(&self, i: usize, wanted: &'static str) -> DbError {
        DbError::Column {
            column: i,
            wanted,
            found: self.cell(i).kind(),
        }
    }

    /// Column `i` as an integer.
    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.cell(i) {
            Cell::Int(v) => Ok(*v),
            _ => Err(self.wrong(i, "an integer")),
        }
    }

    /// Column `i` as a float (integers widen).
    pub fn real(&self, i: usize) -> Result<f64, DbError> {
        self.opt_real(i)?.ok_or_else(|| self.wrong(i, "a float"))
    }

    /// Column `i` as a float or NULL.
    pub fn opt_real(&self, i: usize) -> Result<Option<f64>, DbError> {
        match self.cell(i) {
            Cell::Real(v) => Ok(Some(*v)),
            Cell::Int(v) => Ok(Some(*v as f64)),
            Cell::Null => Ok(None),
            Cell::Text(_) => Err(self.wrong(i, "a float")),
        }
    }

    /// Column `i` as text.
    pub fn text(&self, i: usize) -> Result<String, DbError> {
        self.opt_text(i)?.ok_or_else(|| self.wrong(i, "text"))
    }

    /// Column `i` as text or NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.cell(i) {
            Cell::Text(v) => Ok(Some(v.clone())),
            Cell::Null => Ok(None),
            _ => Err(self.wrong(i, "text")),
        }
    }
}

/// SQLite spells the placeholder `$1` as `?1`.
fn sqlite_sql(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn sqlite_rows(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<Vec<Row>, DbError> {
    let mut st = conn.prepare_cached(&sqlite_sql(sql))?;
    let n = st.column_count();
    let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            use rusqlite::types::ValueRef;
            cells.push(match r.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Real(v) => Cell::Real(v),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => Cell::Null,
            });
        }
        out.push(Row(cells));
    }
    Ok(out)
}

fn pg_row(r: &postgres::Row) -> Result<Row, DbError> {
    use postgres::types::Type;
    let mut cells = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let t = col.type_();
        let cell = if *t == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
        } else if *t == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|v| Cell::Int(v.into()))
        } else if *t == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|v| Cell::Int(v.into()))
        } else if *t == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?
                .map(|v| Cell::Int(v.into()))
        } else if *t == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(Cell::Real)
        } else if *t == Type::FLOAT4 {
            r.try_get::<_, Option<f32>>(i)?
                .map(|v| Cell::Real(v.into()))
        } else {
            r.try_get::<_, Option<String>>(i)?.map(Cell::Text)
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(Row(cells))
}

/// Runs statements: a connection or a transaction of either store.
pub trait Sql {
    /// Runs a statement; the rows it changed.
    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError>;
    /// Runs a query; its rows.
    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError>;
    /// The first row of a query, if any.
    fn query_opt(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }
}

/// A connection to a study store.
pub enum Conn {
    /// SQLite.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL.
    Postgres(Box<postgres::Client>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "Conn::Sqlite",
            Self::Postgres(_) => "Conn::Postgres",
        })
    }
}

/// A transaction on a study store.
pub enum Tx<'c> {
    /// SQLite.
    Sqlite(rusqlite::Transaction<'c>),
    /// PostgreSQL.
    Postgres(postgres::Transaction<'c>),
}

impl Conn {
    /// A write transaction on study `study` (or on the schema, `""`): writers of the same
    /// study wait for each other.
    pub fn write(&mut self, study: &str) -> Result<Tx<'_>, DbError> {
        match self {
            Self::Sqlite(c) => Ok(Tx::Sqlite(
                c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            )),
            Self::Postgres(c) => {
                // Read committed whatever the server's default: each statement after the
                // lock sees every commit made before it.
                let mut tx = c
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::ReadCommitted)
                    .start()?;
                tx.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    &[&format!("thaw-study:{study}")],
                )?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// A read-only transaction that sees one consistent snapshot.
    pub fn read(&mut self) -> Result<Tx<'_>, DbError> {
        match self {
            Self::Sqlite(c) => Ok(Tx::Sqlite(
                c.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?,
            )),
            Self::Postgres(c) => Ok(Tx::Postgres(
                c.build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?,
            )),
        }
    }

    /// Runs several statements separated by `;` (no arguments).
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Self::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Self::Postgres(c) => Ok(c.batch_execute(sql)?),
        }
    }
}

impl Tx<'_> {
    /// Commits.
    pub fn commit(self) -> Result<(), DbError> {
        match self {
            Self::Sqlite(t) => t.commit()?,
            Self::Postgres(t) => t.commit()?,
        }
        if injected_loss() {
            return Err(DbError::InjectedLoss);
        }
        Ok(())
    }

    /// The time (Unix seconds) by the store's clock: the server's for PostgreSQL, so
    /// that leases of workers on hosts whose clocks differ are judged by one clock.
    pub fn now(&mut self) -> Result<f64, DbError> {
        match self {
            Self::Sqlite(_) => Ok(now()),
            Self::Postgres(t) => Ok(t
                .query_one("SELECT extract(epoch FROM clock_timestamp())::float8", &[])?
                .try_get(0)?),
        }
    }

    /// Runs several statements separated by `;` (no arguments).
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Self::Sqlite(t) => Ok(t.execute_batch(sql)?),
            Self::Postgres(t) => Ok(t.batch_execute(sql)?),
        }
    }
}

impl Sql for Conn {
    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        match self {
            Self::Sqlite(c) => {
                Ok(c.prepare_cached(&sqlite_sql(sql))?
                    .execute(rusqlite::params_from_iter(args.iter()))? as u64)
            }
            Self::Postgres(c) => Ok(c.execute(sql, &pg_args(args))?),
        }
    }

    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError> {
        match self {
            Self::Sqlite(c) => sqlite_rows(c, sql, args),
            Self::Postgres(c) => c.query(sql, &pg_args(args))?.iter().map(pg_row).collect(),
        }
    }
}

impl Sql for Tx<'_> {
    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, DbError> {
        match self {
            Self::Sqlite(t) => {
                Ok(t.prepare_cached(&sqlite_sql(sql))?
                    .execute(rusqlite::params_from_iter(args.iter()))? as u64)
            }
            Self::Postgres(t) => Ok(t.execute(sql, &pg_args(args))?),
        }
    }

    fn query(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>, DbError> {
        match self {
            Self::Sqlite(t) => sqlite_rows(t, sql, args),
            Self::Postgres(t) => t.query(sql, &pg_args(args))?.iter().map(pg_row).collect(),
        }
    }
}

/// Seconds since the Unix epoch (the clock of a SQLite store; a server uses its own).
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_cells() {
        assert_eq!(sqlite_sql("a = $1 AND b = $12"), "a = ?1 AND b = ?12");
        assert_eq!(sqlite_sql("x = '$'"), "x = '$'");
        let mut c = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE t (i INTEGER, r REAL, s TEXT)")
            .unwrap();
        c.exec(
            "INSERT INTO t VALUES ($1, $2, $3)",
            args![3_i64, 0.5, Option::<&str>::None],
        )
        .unwrap();
        let row = c
            .query_opt("SELECT i, r, s FROM t WHERE i = $1", args![3_i64])
            .unwrap()
            .unwrap();
        assert_eq!(row.int(0).unwrap(), 3);
        assert_eq!(row.real(1).unwrap(), 0.5);
        assert_eq!(row.opt_text(2).unwrap(), None);
        assert!(row.text(0).unwrap_err().to_string().contains("integer"));
        assert!(!DbError::from(rusqlite::Error::InvalidQuery).is_connection_lost());
    }
}
