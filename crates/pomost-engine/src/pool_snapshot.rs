//! The pool snapshot file of the embedded store: written at a clean shutdown, taken (read
//! and removed) at the next start, so a planned restart does not decode a million stored
//! participants again.
//!
//! Taken means removed before the service serves: while it runs, no snapshot exists, so an
//! erasure can never leave a person in one, and a crash leaves none behind to go stale (the
//! next start then builds the pool from the store, as without snapshots). A snapshot is
//! used only when it is whole (checksum), of this build's format, vocabulary and
//! relatedness, and no newer than the store's change feed; the feed's later changes are
//! applied on top, and the pool must then hold exactly the store's participants.

use std::io::Write;
use std::path::Path;

use pomost_domain::SkillRelatedness;
use pomost_scoring::ParticipantPool;
use pomost_store::Store;

use crate::error::EngineError;

/// The snapshot's file inside the data directory.
pub const POOL_SNAPSHOT_FILE: &str = "pool.snapshot";

/// The pool and its change-feed position from the snapshot at `path`, removing the file;
/// `None` (logged) when there is none or it cannot be used. Needs no store: it runs while
/// the store opens; [`usable`] then checks it against the store.
pub(crate) fn read(path: &Path, relatedness: &SkillRelatedness) -> Option<(ParticipantPool, u64)> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "pool snapshot unreadable; building the pool from the store");
            return None;
        }
    };
    if let Err(error) = std::fs::remove_file(path) {
        // Used once only: a snapshot that cannot be removed could outlive an erasure.
        tracing::warn!(path = %path.display(), %error, "pool snapshot cannot be removed; building the pool from the store");
        return None;
    }
    let started = std::time::Instant::now();
    match ParticipantPool::from_snapshot(relatedness, &bytes) {
        Ok(found) => {
            tracing::info!(
                bytes = bytes.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "pool snapshot read"
            );
            Some(found)
        }
        Err(error) => {
            tracing::warn!(%error, "building the pool from the store");
            None
        }
    }
}

/// The snapshot's pool if it is no newer than the store's change feed (a store put back
/// from an older copy is not the one it was written from).
pub(crate) fn usable(found: (ParticipantPool, u64), store: &dyn Store) -> Option<(ParticipantPool, u64)> {
    let seq = found.1;
    match store.last_seq() {
        Ok(last) if seq <= last => Some(found),
        Ok(last) => {
            tracing::warn!(
                snapshot_seq = seq,
                store_seq = last,
                "pool snapshot is newer than the store; building the pool from the store"
            );
            None
        }
        Err(error) => {
            tracing::warn!(%error, "building the pool from the store");
            None
        }
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file, synced, renamed over,
/// and the directory synced.
pub(crate) fn save(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    let failed = |error: std::io::Error| EngineError::Internal(format!("pool snapshot {}: {error}", path.display()));
    let temporary = path.with_extension("snapshot.tmp");
    let mut file = std::fs::File::create(&temporary).map_err(failed)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        failed(error)
    })?;
    std::fs::rename(&temporary, path).map_err(failed)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir).and_then(|dir| dir.sync_all()).map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_snapshot_is_removed_and_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(POOL_SNAPSHOT_FILE);
        save(&path, b"not a snapshot").unwrap();
        assert!(read(&path, &SkillRelatedness::default()).is_none());
        assert!(!path.exists(), "taken even when unusable");
        assert!(read(&path, &SkillRelatedness::default()).is_none(), "none is no error");
    }

    #[test]
    fn a_snapshot_newer_than_the_store_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = pomost_store::SqliteStore::open(dir.path(), pomost_store::SqliteOptions::default()).unwrap();
        let pool = ParticipantPool::new(&SkillRelatedness::default()).unwrap();
        let path = dir.path().join(POOL_SNAPSHOT_FILE);
        let taken = |bytes: &[u8]| {
            save(&path, bytes).unwrap();
            let found = read(&path, &SkillRelatedness::default()).expect("a whole snapshot is read");
            assert!(!path.exists(), "taken");
            usable(found, &store).is_some()
        };
        assert!(!taken(&pool.snapshot(5)), "the empty store is at 0");
        assert!(taken(&pool.snapshot(0)));
    }
}
