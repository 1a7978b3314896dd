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
    /// The disk (or the configured size cap) is full: nothing was written.
    #[error("no space left for {}: the write was not applied; free space in the data directory {}", path.display(), dir.display())]
    DiskFull {
        /// The file that could not grow.
        path: PathBuf,
        /// The data directory.
        dir: PathBuf,
    },
    /// Another process holds the database's write lock past the bounded wait.
    #[error("database {} is busy (locked by another process past the {waited_ms} ms bound); retry shortly", path.display())]
    Busy {
        /// The database file.
        path: PathBuf,
        /// How long the store waited in all.
        waited_ms: u64,
    },
    /// Syncing the write-ahead log failed: the last commits may not be on disk, and the
    /// store refuses writes until it is reopened.
    #[error("write-ahead log {}: {detail}", path.display())]
    LogSync {
        /// The log file.
        path: PathBuf,
        /// What failed, and what the store does now.
        detail: String,
    },
    /// The caller's deadline passed before the commit: nothing was written.
    #[error("the request's deadline passed before its commit; nothing was written")]
    DeadlinePassed,
    /// A stored record no longer matches its checksum or cannot be decoded.
    #[error("stored {what} is damaged ({detail}); run `pomost check` and restore it from a backup")]
    Damaged {
        /// Which record.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// Writing an audit archive failed; nothing was removed from the log.
    #[error("audit archive {}: {detail}", path.display())]
    Archive {
        /// The archive file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The record a request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit the stored state (a referral's state, a coach's free hours,
    /// an offer's positions); the message names what stands in the way.
    #[error("{0}")]
    Precondition(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The database server cannot be reached, or it dropped the connection: nothing was
    /// written that was not reported written; worth a retry.
    #[error("database unavailable ({0}); retry shortly")]
    Unavailable(String),
    /// The database server is out of disk or memory: nothing was written.
    #[error("the database server is out of space ({0}); nothing was written")]
    ServerFull(String),
    /// Any other failure PostgreSQL reported.
    #[error("database error: {0}")]
    Postgres(String),
    /// A failure shared by every entry of one audit group commit.
    #[error("{0}")]
    Shared(String),
}

impl StoreError {
    /// A copy for every waiter of a group commit (database errors keep their text; the
    /// kinds a caller acts on keep their kind).
    pub fn duplicate(&self) -> StoreError {
        match self {
            StoreError::DiskFull { path, dir } => StoreError::DiskFull { path: path.clone(), dir: dir.clone() },
            StoreError::Busy { path, waited_ms } => StoreError::Busy { path: path.clone(), waited_ms: *waited_ms },
            StoreError::DeadlinePassed => StoreError::DeadlinePassed,
            other => StoreError::Shared(other.to_string()),
        }
    }
}
