//! Checkpoints of a SQLite file's write-ahead log on a thread of their own (the audit file's
//! and the store's).
//!
//! SQLite checkpoints in the connection whose commit takes the log past its limit (1,000
//! pages): every few hundred audited rankings, one request paid for copying the log into
//! the file and syncing it (about 2–4 ms on the development machine, seen with strace),
//! while waiting for its own entry's sync; in a bulk load of participants, the single
//! writer spent a sixth of its time copying the log. The writers leave that to this
//! thread, which checkpoints passively (it never waits for the writer or readers) a few
//! times a second instead.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::connection::{SqliteOptions, open_connection};
use crate::error::StoreError;

/// How often the log is checkpointed.
const EVERY: Duration = Duration::from_millis(200);

/// The checkpointing thread of one SQLite file; stops (after a last checkpoint) when dropped.
pub(crate) struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the file at `path` on a connection of its own, in a thread
    /// called `name`.
    pub(crate) fn start(path: &Path, options: SqliteOptions, name: &str) -> Result<Self, StoreError> {
        let connection = open_connection(path, options)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let stopping = stop.clone();
        let shown = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(&connection, &stopping, &shown))
            .map_err(|error| StoreError::Shared(format!("the {name} thread could not start: {error}")))?;
        Ok(Self { stop, thread: Some(thread) })
    }
}

fn run(connection: &Connection, stop: &(Mutex<bool>, Condvar), path: &str) {
    let (stopped, wake) = stop;
    loop {
        let guard = stopped.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (guard, _) =
            wake.wait_timeout_while(guard, EVERY, |stopped| !*stopped).unwrap_or_else(|poisoned| poisoned.into_inner());
        let last = *guard;
        drop(guard);
        checkpoint_until_caught_up(connection, path);
        if last {
            return;
        }
    }
}

/// Most passes one round of checkpoints makes (see [`checkpoint_until_caught_up`]).
const PASSES: usize = 4;

/// Checkpoints the log passively until a pass finds no frame written during the one before.
///
/// SQLite starts the log over from its beginning only when a write begins with every frame
/// already copied into the file; otherwise it appends. Under steady load a commit landed
/// during most checkpoints (copying about 500 frames takes a few milliseconds), so the log
/// kept growing (48 MB in the first 20 s of 500 rankings a second), and a commit that grows
/// the file syncs its new size too: SQLite's own commits on the development disk took
/// 260–290 µs appending against 150–160 µs writing over the log in place. A second pass
/// copies only what came during the first, quickly enough that usually nothing comes during
/// it, and the next write starts the log over (the log stayed at 21 MB, and a lone
/// shortlist's audit entry took 350 µs median in the first five seconds against 435 µs;
/// the same afterwards). PASSIVE never blocks the writer or readers; a busy or full disk
/// only leaves the log longer until the next round.
fn checkpoint_until_caught_up(connection: &Connection, path: &str) {
    let mut previous_frames = None;
    for _ in 0..PASSES {
        match connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)))
        {
            Ok((frames, copied)) => {
                tracing::debug!(frames, copied, path, "log checkpoint");
                // Caught up: nothing written since the last pass (or the log started over).
                if copied < frames || previous_frames.is_some_and(|previous| frames <= previous) || frames == 0 {
                    return;
                }
                previous_frames = Some(frames);
            }
            Err(error) => {
                tracing::warn!(%error, path, "log checkpoint failed; retrying");
                return;
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_up_log_is_written_over_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sqlite3");
        let options = SqliteOptions { check_integrity: false, ..SqliteOptions::default() };
        let writer = open_connection(&path, options).unwrap();
        writer.execute_batch("PRAGMA wal_autocheckpoint = 0; CREATE TABLE entries (body BLOB)").unwrap();
        let write = |count: usize| {
            for _ in 0..count {
                writer.execute("INSERT INTO entries VALUES (zeroblob(3000))", []).unwrap();
            }
        };
        let log_bytes = || std::fs::metadata(dir.path().join("log.sqlite3-wal")).unwrap().len();
        write(40);
        let grown = log_bytes();
        write(5);
        assert!(log_bytes() > grown, "without a checkpoint the log only grows");

        let checkpointer = open_connection(&path, options).unwrap();
        checkpoint_until_caught_up(&checkpointer, "test");
        let grown = log_bytes();
        write(10);
        assert_eq!(log_bytes(), grown, "the next writes start the log over instead of growing it");
        let count: i64 = writer.query_row("SELECT count(*) FROM entries", [], |row| row.get(0)).unwrap();
        assert_eq!(count, 55);
    }
}
