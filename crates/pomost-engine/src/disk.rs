//! What a full disk does to the service: a write that meets it is refused whole
//! (RESOURCE_EXHAUSTED naming the data directory), the write services turn NOT_SERVING in
//! health, and a reserve file set aside at start is released so that reads — whose audit
//! entries must still be written — keep working. Record writes stay refused until the
//! disk has room for the reserve twice over again (checked on each write and every few
//! seconds); then the reserve is set aside anew and health turns SERVING.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use pomost_store::StoreError;
use tokio::sync::watch;

/// The reserve file inside the data directory.
pub const RESERVE_FILE: &str = "disk-reserve";

/// Watches writes for a full disk and keeps the reserve.
#[derive(Debug)]
pub struct DiskGuard {
    dir: PathBuf,
    reserve_bytes: u64,
    full: AtomicBool,
    writes_ok: watch::Sender<bool>,
}

impl DiskGuard {
    /// A guard for `dir` that sets `reserve_bytes` aside (0: no reserve).
    pub fn new(dir: &Path, reserve_bytes: u64) -> Self {
        let guard = Self {
            dir: dir.to_owned(),
            reserve_bytes,
            full: AtomicBool::new(false),
            writes_ok: watch::channel(true).0,
        };
        if let Err(error) = guard.set_reserve_aside() {
            tracing::warn!(%error, dir = %dir.display(), "could not set the disk reserve aside");
        }
        guard
    }

    /// Whether record writes work (false while the disk is full).
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.writes_ok.subscribe()
    }

    /// Whether the disk was found full and has not had room since.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Acquire)
    }

    fn reserve_path(&self) -> PathBuf {
        self.dir.join(RESERVE_FILE)
    }

    fn set_reserve_aside(&self) -> std::io::Result<()> {
        if self.reserve_bytes == 0 {
            return Ok(());
        }
        let file = std::fs::File::options().create(true).truncate(false).write(true).open(self.reserve_path())?;
        if file.metadata()?.len() < self.reserve_bytes {
            rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, self.reserve_bytes)?;
            file.sync_all()?;
        }
        Ok(())
    }

    /// Free bytes for this user on the data directory's file system.
    pub fn available_bytes(&self) -> Option<u64> {
        let stat = rustix::fs::statvfs(&self.dir).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    /// Re-checks a full disk: with room for twice the reserve, the reserve is set aside
    /// again and writes are let through. Returns whether writes may be tried.
    pub fn recheck(&self) -> bool {
        if !self.is_full() {
            return true;
        }
        let room = self.available_bytes().is_some_and(|free| free >= self.reserve_bytes.saturating_mul(2).max(1 << 20));
        if room && self.set_reserve_aside().is_ok() {
            self.full.store(false, Ordering::Release);
            self.writes_ok.send_replace(true);
            tracing::info!(dir = %self.dir.display(), "disk has room again; writes resume");
        }
        room
    }

    /// Refuses a record write up front while the disk is full and has no room.
    pub fn before_write(&self) -> Result<(), StoreError> {
        if self.recheck() {
            Ok(())
        } else {
            Err(StoreError::DiskFull { path: self.dir.clone(), dir: self.dir.clone() })
        }
    }

    /// Notes what a write did: a full disk turns writes off and releases the reserve; a
    /// write that succeeded while they were off turns them on again.
    pub fn observe<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match &result {
            Err(StoreError::DiskFull { .. }) if !self.full.swap(true, Ordering::AcqRel) => {
                let _ = std::fs::remove_file(self.reserve_path());
                self.writes_ok.send_replace(false);
                tracing::error!(dir = %self.dir.display(), "disk full: record writes refused, reserve released for the audit");
            }
            Ok(_) if self.is_full() => {
                self.full.store(false, Ordering::Release);
                let _ = self.set_reserve_aside();
                self.writes_ok.send_replace(true);
            }
            _ => {}
        }
        result
    }
}
