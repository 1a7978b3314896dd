//! Checkpoints of the audit file's write-ahead log on a thread of their own.
//!
//! SQLite checkpoints in the connection whose commit takes the log past its limit (1,000
//! pages): every few hundred audited rankings, one request paid for copying the log into
//! the file and syncing it (about 2–4 ms on the development machine, seen with strace),
//! while waiting for its own entry's sync. The audit writer turns that off, and this
//! thread checkpoints passively (it never waits for the writer or readers) a few times a
//! second instead.

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
    /// Starts checkpointing the file at `path` on a connection of its own.
    pub(crate) fn start(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let connection = open_connection(path, options)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let stopping = stop.clone();
        let shown = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("audit-checkpoint".into())
            .spawn(move || run(&connection, &stopping, &shown))
            .map_err(|error| StoreError::Shared(format!("the audit checkpoint thread could not start: {error}")))?;
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
        // PASSIVE: copies what no reader still needs and never blocks the writer; a busy or
        // full disk only leaves the log longer until the next try.
        match connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)))
        {
            Ok((frames, copied)) => tracing::debug!(frames, copied, path, "audit log checkpoint"),
            Err(error) => tracing::warn!(%error, path, "audit log checkpoint failed; retrying"),
        }
        if last {
            return;
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
