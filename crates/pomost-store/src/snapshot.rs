//! Consistent copies of a live data directory's databases, taken through SQLite's online
//! backup API while the service keeps writing: each copy is one read transaction (all pages
//! in one step), so it holds exactly the writes committed before it began and never blocks
//! a writer (WAL mode).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::audit_log::AUDIT_FILE;
use crate::connection::classify;
use crate::error::StoreError;
use crate::sqlite::DATABASE_FILE;

/// What a snapshot wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The copies made, in `into`.
    pub files: Vec<PathBuf>,
    /// The store's last change sequence number in the copy.
    pub last_seq: u64,
}

/// Copies `pomost.sqlite3` and `audit.sqlite3` of `data_dir` into `into` (which must exist).
/// The store is copied first, so every write acknowledged before the call is in the copy.
pub fn snapshot(data_dir: &Path, into: &Path) -> Result<Snapshot, StoreError> {
    let mut files = Vec::new();
    for name in [DATABASE_FILE, AUDIT_FILE] {
        let source = data_dir.join(name);
        if !source.exists() {
            if name == DATABASE_FILE {
                return Err(StoreError::Open { path: source, detail: "no store to back up here".into() });
            }
            continue;
        }
        let target = into.join(name);
        copy_database(&source, &target)?;
        files.push(target);
    }
    let last_seq = Connection::open_with_flags(&files[0], OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|copy| copy.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |row| row.get::<_, i64>(0)))
        .map_err(|error| classify(&files[0], error))? as u64;
    Ok(Snapshot { files, last_seq })
}

fn copy_database(source: &Path, target: &Path) -> Result<(), StoreError> {
    let from = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|error| classify(source, error))?;
    from.busy_timeout(Duration::from_secs(10)).map_err(|error| classify(source, error))?;
    let mut to = Connection::open(target).map_err(|error| classify(target, error))?;
    {
        let backup = rusqlite::backup::Backup::new(&from, &mut to).map_err(|error| classify(target, error))?;
        // All pages in one step: one read transaction, a consistent copy. A busy or locked
        // answer (another connection checkpointing) is retried briefly.
        let mut attempts = 0;
        loop {
            match backup.step(-1).map_err(|error| classify(source, error))? {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::More => continue,
                _ if attempts < 200 => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(25));
                }
                _ => {
                    return Err(StoreError::Busy { path: source.to_owned(), waited_ms: 5_000 });
                }
            }
        }
    }
    // A copy in rollback-journal mode is one self-contained file.
    to.execute_batch("PRAGMA journal_mode = DELETE;").map_err(|error| classify(target, error))?;
    Ok(())
}
