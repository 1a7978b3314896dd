//! Injected commit failures, per index directory: while a directory is listed, every
//! commit of the index there fails as on a full disk. For fault-injection tests and drills
//! of the recovery path (rollback, replay from the last durable checkpoint); production
//! code never lists a directory.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

static FAILING: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Makes commits of the index in `dir` fail (`true`) or work again (`false`).
pub fn fail_commits(dir: &Path, failing: bool) {
    let mut set = FAILING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let set = set.get_or_insert_with(HashSet::new);
    if failing {
        set.insert(dir.to_owned());
    } else {
        set.remove(dir);
    }
}

/// Whether commits of the index in `dir` are to fail now.
pub(crate) fn commits_fail(dir: &Path) -> bool {
    FAILING.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref().is_some_and(|set| set.contains(dir))
}

/// The index directory with the fault switch: while its path is listed, every file tantivy
/// opens for writing (segments, `meta.json`) fails as on a full disk, so a commit fails
/// inside tantivy exactly as it would for real. Reads and locks are never touched.
#[derive(Debug, Clone)]
pub(crate) struct FaultyDirectory {
    inner: MmapDirectory,
    dir: PathBuf,
}

impl FaultyDirectory {
    pub(crate) fn new(inner: MmapDirectory, dir: &Path) -> Self {
        Self { inner, dir: dir.to_owned() }
    }

    fn full(&self) -> Option<io::Error> {
        commits_fail(&self.dir).then(|| io::Error::new(io::ErrorKind::StorageFull, "injected: no space left on device"))
    }
}

impl Directory for FaultyDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        match self.full() {
            Some(error) => Err(OpenWriteError::IoError { io_error: Arc::new(error), filepath: path.to_owned() }),
            None => self.inner.open_write(path),
        }
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        match self.full() {
            Some(error) => Err(error),
            None => self.inner.atomic_write(path, data),
        }
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}
