//! Syncing the embedded store's write-ahead log after the writer is let go (group commit).
//!
//! With `synchronous = FULL` SQLite syncs the log inside every commit, while the single
//! writer is held: in a bulk load of participants the sync of a 5,000-person batch (about
//! 5 MB of log) took 9–14 ms of the 50 ms the writer was held per batch, and the other
//! stream's batch waited for it. Instead the writer connection commits with `synchronous =
//! NORMAL` (the log is written, not synced), is let go, and the caller then waits here
//! until a sync that began after its commit has ended. One sync covers every commit made
//! before it began, so writers that commit while another one syncs share the next sync.
//! Nothing is acknowledged before that, so an acknowledged write survives a power failure
//! as before; a process crash never loses a commit (the log's writes are in the kernel).
//!
//! A commit is visible to readers before it is synced. What reads it and persists what it
//! read (the offer index's checkpoint) first calls [`LogSync::sync_committed`], so no
//! derived copy on disk is ever ahead of the durable store.
//!
//! After a failed sync the kernel may have dropped the log's unwritten pages and would not
//! report it again, so a later sync's success would hide a hole in the log: the store then
//! refuses every write until it is reopened (SQLite recovers the log as it is on disk).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::error::StoreError;

/// The group-commit state of one database's log (see the module documentation).
pub(crate) struct LogSync {
    log: PathBuf,
    /// Commits made so far, counted under the writer's lock right after each commit.
    committed: AtomicU64,
    /// The count of commits known durable; held while a sync runs, so waiters queue behind
    /// it and find themselves covered.
    synced: Mutex<u64>,
    /// Why the store refuses writes, after a failed sync.
    failed: OnceLock<String>,
}

impl LogSync {
    /// The sync state of the database at `database` (its log is `<database>-wal`).
    pub(crate) fn new(database: &Path) -> Self {
        let mut log = database.as_os_str().to_owned();
        log.push("-wal");
        Self { log: PathBuf::from(log), committed: AtomicU64::new(0), synced: Mutex::new(0), failed: OnceLock::new() }
    }

    /// Refuses a write once a sync has failed.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        match self.failed.get() {
            Some(reason) => Err(StoreError::LogSync { path: self.log.clone(), detail: reason.clone() }),
            None => Ok(()),
        }
    }

    /// Counts a commit just made (call under the writer's lock); the ticket to wait for.
    pub(crate) fn committed(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Returns once the commit with `ticket` is on disk.
    pub(crate) fn wait_durable(&self, ticket: u64) -> Result<(), StoreError> {
        self.wait_with(ticket, || std::fs::File::open(&self.log)?.sync_data())
    }

    /// Returns once every commit made so far is on disk.
    pub(crate) fn sync_committed(&self) -> Result<(), StoreError> {
        self.wait_durable(self.committed.load(Ordering::Acquire))
    }

    fn wait_with(&self, ticket: u64, sync: impl FnOnce() -> std::io::Result<()>) -> Result<(), StoreError> {
        let mut synced = self.synced.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.check()?;
        if *synced >= ticket {
            return Ok(());
        }
        // Every commit counted by now was written to the log before this sync begins.
        let covered = self.committed.load(Ordering::Acquire);
        match sync() {
            Ok(()) => {
                *synced = covered;
                Ok(())
            }
            Err(error) => {
                let reason = format!(
                    "syncing the write-ahead log failed ({error}); the last writes may not be on disk, and the store \
                     refuses writes until the service is restarted"
                );
                tracing::error!(log = %self.log.display(), %error, "write-ahead log sync failed; refusing writes");
                let _ = self.failed.set(reason.clone());
                Err(StoreError::LogSync { path: self.log.clone(), detail: reason })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;

    use super::*;

    fn state() -> Arc<LogSync> {
        Arc::new(LogSync::new(Path::new("/nonexistent/pomost.sqlite3")))
    }

    #[test]
    fn commits_made_while_a_sync_runs_share_the_next_one() {
        let sync = state();
        let first = sync.committed();
        let (entered, wait_entered) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let syncing = {
            let sync = sync.clone();
            std::thread::spawn(move || {
                sync.wait_with(first, || {
                    entered.send(()).unwrap();
                    released.recv().unwrap();
                    Ok(())
                })
            })
        };
        wait_entered.recv().unwrap();
        // Two commits land while the first sync runs; neither is covered by it.
        let (second, third) = (sync.committed(), sync.committed());
        let syncs = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = [second, third]
            .into_iter()
            .map(|ticket| {
                let (sync, syncs) = (sync.clone(), syncs.clone());
                std::thread::spawn(move || {
                    sync.wait_with(ticket, || {
                        syncs.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    })
                })
            })
            .collect();
        release.send(()).unwrap();
        syncing.join().unwrap().unwrap();
        for waiter in waiters {
            waiter.join().unwrap().unwrap();
        }
        assert_eq!(syncs.load(Ordering::SeqCst), 1, "one sync after the first covers both later commits");
        assert_eq!(*sync.synced.lock().unwrap(), 3);
    }

    #[test]
    fn a_commit_made_after_a_sync_began_waits_for_another() {
        let sync = state();
        let first = sync.committed();
        sync.wait_with(first, || Ok(())).unwrap();
        let second = sync.committed();
        let mut ran = false;
        sync.wait_with(second, || {
            ran = true;
            Ok(())
        })
        .unwrap();
        assert!(ran, "the second commit was not covered by the first sync");
        sync.wait_with(first, || panic!("already durable")).unwrap();
    }

    #[test]
    fn a_failed_sync_refuses_every_later_write() {
        let sync = state();
        let ticket = sync.committed();
        let error = sync.wait_with(ticket, || Err(std::io::Error::other("EIO"))).unwrap_err();
        assert!(matches!(error, StoreError::LogSync { .. }), "{error:?}");
        assert!(matches!(sync.check(), Err(StoreError::LogSync { .. })));
        let later = sync.committed();
        assert!(sync.wait_with(later, || Ok(())).is_err(), "a later sync's success must not hide the failure");
    }

    #[test]
    fn the_real_log_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("pomost.sqlite3");
        std::fs::write(dir.path().join("pomost.sqlite3-wal"), b"frames").unwrap();
        let sync = LogSync::new(&database);
        let ticket = sync.committed();
        sync.wait_durable(ticket).unwrap();
        sync.sync_committed().unwrap();
        let missing = LogSync::new(&dir.path().join("other.sqlite3"));
        let ticket = missing.committed();
        assert!(missing.wait_durable(ticket).is_err(), "a log that cannot be opened is not synced");
    }
}
