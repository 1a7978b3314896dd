//! Opening SQLite connections the way both the store and the audit log need them (WAL,
//! the sync level, a bounded busy wait), and turning SQLite's codes into errors a caller
//! can act on.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde::Serialize;

use crate::error::StoreError;

/// How hard SQLite syncs a commit to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Synchronous {
    /// Survives a process crash; the last commits may be lost on power failure.
    Normal,
    /// Survives power failure too (fsync on every commit).
    #[default]
    Full,
}

/// Options of the embedded store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Commit durability.
    pub synchronous: Synchronous,
    /// Run SQLite's quick integrity check on open (linear in the file size).
    pub check_integrity: bool,
    /// How long a write waits for a lock held by another process before it gives up
    /// with [`StoreError::Busy`], ms (SQLite retries inside this bound).
    pub busy_timeout_ms: u64,
    /// Largest size the database file may reach, bytes (0: no cap). Past it writes fail
    /// with [`StoreError::DiskFull`], exactly as on a full disk.
    pub max_db_bytes: u64,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { synchronous: Synchronous::Full, check_integrity: true, busy_timeout_ms: 2_000, max_db_bytes: 0 }
    }
}

/// Whole-transaction attempts on a busy database, each waiting up to the busy timeout.
pub(crate) const BUSY_ATTEMPTS: u32 = 2;

/// The error a caller can act on for SQLite's full-disk and busy codes.
pub(crate) fn refine(error: StoreError, path: &Path, dir: &Path, busy_timeout_ms: u64) -> StoreError {
    let StoreError::Database(inner) = &error else { return error };
    match inner.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => StoreError::DiskFull { path: path.to_owned(), dir: dir.to_owned() },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Busy { path: path.to_owned(), waited_ms: busy_timeout_ms }
        }
        Some(ErrorCode::SystemIoFailure) if inner.to_string().contains("No space") => {
            StoreError::DiskFull { path: path.to_owned(), dir: dir.to_owned() }
        }
        _ => error,
    }
}

pub(crate) fn classify(path: &Path, error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StoreError::Corrupt { path: path.to_owned(), detail: error.to_string() }
        }
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            StoreError::ReadOnly { path: path.to_owned() }
        }
        _ => StoreError::Open { path: path.to_owned(), detail: error.to_string() },
    }
}

pub(crate) fn open_connection(path: &Path, options: SqliteOptions) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|error| classify(path, error))?;
    if connection.is_readonly(rusqlite::MAIN_DB).map_err(|error| classify(path, error))? {
        return Err(StoreError::ReadOnly { path: path.to_owned() });
    }
    connection.busy_timeout(Duration::from_millis(options.busy_timeout_ms)).map_err(|error| classify(path, error))?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|error| classify(path, error))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Open {
            path: path.to_owned(),
            detail: format!("cannot switch to WAL mode (got {mode})"),
        });
    }
    let synchronous = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    connection
        .execute_batch(&format!("PRAGMA synchronous = {synchronous}; PRAGMA secure_delete = ON;"))
        .map_err(|error| classify(path, error))?;
    Ok(connection)
}

/// SQLite's quick check of every table and its indexes, on two connections at once (the
/// check is bound to one core, and a start waits for it): `connection` and one more opened
/// with `options`. Tables named in `largest_first` are handed out first, so the largest
/// does not come last. Fails with `Corrupt` and the first finding.
pub(crate) fn check_integrity(
    connection: &Connection,
    path: &Path,
    options: SqliteOptions,
    largest_first: &[&str],
) -> Result<(), StoreError> {
    let mut tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .map_err(|error| classify(path, error))?;
    tables.sort_by_key(|table| largest_first.iter().position(|big| big == table).unwrap_or(largest_first.len()));
    tables.push("sqlite_schema".to_owned());
    let queue = Mutex::new(tables.into_iter());
    let check_tables = |connection: &Connection| -> Result<(), StoreError> {
        connection.pragma_update(None, "mmap_size", CHECK_MMAP_BYTES).map_err(|error| classify(path, error))?;
        loop {
            let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).next();
            let Some(table) = next else { return Ok(()) };
            let verdict: String = connection
                .query_row(&format!("PRAGMA quick_check(\"{}\")", table.replace('"', "\"\"")), [], |row| row.get(0))
                .map_err(|error| classify(path, error))?;
            if verdict != "ok" {
                return Err(StoreError::Corrupt { path: path.to_owned(), detail: format!("{table}: {verdict}") });
            }
        }
    };
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| check_tables(&open_connection(path, options)?));
        let mine = check_tables(connection);
        let theirs = helper.join().unwrap_or_else(|_| {
            Err(StoreError::Open { path: path.to_owned(), detail: "the integrity check panicked".into() })
        });
        mine.and(theirs)
    })?;
    // The connection goes on to serve: it reads as every other one does again.
    connection.pragma_update(None, "mmap_size", 0).map_err(|error| classify(path, error))
}

/// How much of the file a checking connection maps into memory (SQLite caps it at its build's
/// limit, 2 GB): the check reads every page once, and through the map it is spared copying
/// each out of the kernel's page cache, about a third of its time.
const CHECK_MMAP_BYTES: i64 = 1 << 40;

#[cfg(test)]
mod tests {
    use super::*;

    /// A database of one table spread over about a hundred pages, closed.
    fn filled(path: &Path) {
        let connection = open_connection(path, SqliteOptions::default()).unwrap();
        connection.execute_batch("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").unwrap();
        for id in 0..2_000 {
            connection.execute("INSERT INTO rows (id, body) VALUES (?1, ?2)", (id, "x".repeat(180))).unwrap();
        }
        connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    }

    #[test]
    fn the_check_maps_the_file_only_while_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("check.sqlite3");
        filled(&path);
        let connection = open_connection(&path, SqliteOptions::default()).unwrap();
        check_integrity(&connection, &path, SqliteOptions::default(), &["rows"]).unwrap();
        let mapped: i64 = connection.query_row("PRAGMA mmap_size", [], |row| row.get(0)).unwrap();
        assert_eq!(mapped, 0, "the connection serves unmapped after the check");
    }

    #[test]
    fn a_damaged_page_is_found_through_the_map() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("check.sqlite3");
        filled(&path);
        let mut bytes = std::fs::read(&path).unwrap();
        let page = 4096;
        assert!(bytes.len() > 60 * page, "{} bytes", bytes.len());
        bytes[50 * page..51 * page].fill(0x5a);
        std::fs::write(&path, bytes).unwrap();
        let connection = open_connection(&path, SqliteOptions::default()).unwrap();
        let error = check_integrity(&connection, &path, SqliteOptions::default(), &["rows"]).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    }
}
