use std::path::PathBuf;

use pomost_domain::ValidationError;

/// Everything the store can refuse. Start-up problems name the file and what to do, so an
/// operator can act without reading code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the data directory.
    #[error(
        "data directory {} is in use by another pomost process (lock held on {}); stop that process or choose another data directory",
        dir.display(), lock.display()
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The database file or its directory cannot be written.
    #[error("database {} is read-only; make the file and its directory writable by this user", path.display())]
    ReadOnly {
        /// The database file.
        path: PathBuf,
    },
    /// The file was written by a newer build.
    #[error(
        "database {} has schema version {found}, newer than this build supports ({supported}); upgrade pomost or use another data directory",
        path.display()
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Version found in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// The file is not a database or fails its integrity check.
    #[error("database {} is corrupt ({detail}); restore it from a backup, or move it away to start empty", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        detail: String,
    },
    /// The data directory or file could not be opened.
    #[error("cannot open {}: {detail}", path.display())]
    Open {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// A record failed validation before it was written.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A stored record could not be decoded.
    #[error("stored {what} cannot be read: {detail}")]
    Decode {
        /// Which record.
        what: String,
        /// Why.
        detail: String,
    },
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
}
