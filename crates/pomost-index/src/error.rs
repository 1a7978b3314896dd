use std::path::{Path, PathBuf};

/// What the index can refuse. Start-up problems name the directory and what to do.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Another process writes to this index directory.
    #[error("index directory {} is locked by another writer; stop the other pomost process or choose another data directory", path.display())]
    Locked {
        /// The index directory.
        path: PathBuf,
    },
    /// The directory holds something that is not a readable index.
    #[error("index directory {} is corrupt ({detail}); delete it and restart: the index is rebuilt from the store", path.display())]
    Corrupt {
        /// The index directory.
        path: PathBuf,
        /// What tantivy reported.
        detail: String,
    },
    /// The directory cannot be created or opened.
    #[error("cannot open index directory {}: {detail}", path.display())]
    Open {
        /// The index directory.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// An offer failed validation.
    #[error("{0}")]
    Invalid(String),
    /// The store could not put on disk the changes a commit was about to checkpoint; the
    /// commit was not made (its changes are replayed later).
    #[error("the store's changes could not be made durable before the index commit: {0}")]
    SourceNotDurable(String),
    /// The writer thread has stopped (after an earlier failure).
    #[error("the index writer has stopped: {0}")]
    WriterStopped(String),
    /// Any other tantivy failure.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

impl IndexError {
    pub(crate) fn classify(path: &Path, error: tantivy::TantivyError) -> IndexError {
        use tantivy::TantivyError as E;
        match error {
            E::LockFailure(..) => IndexError::Locked { path: path.to_owned() },
            E::DataCorruption(corruption) => {
                IndexError::Corrupt { path: path.to_owned(), detail: format!("{corruption:?}") }
            }
            E::IoError(io) => IndexError::Open { path: path.to_owned(), detail: io.to_string() },
            E::OpenReadError(detail) => IndexError::Corrupt { path: path.to_owned(), detail: detail.to_string() },
            E::OpenDirectoryError(detail) => IndexError::Open { path: path.to_owned(), detail: detail.to_string() },
            E::IncompatibleIndex(detail) => {
                IndexError::Corrupt { path: path.to_owned(), detail: format!("{detail:?}") }
            }
            E::DeserializeError(detail) => IndexError::Corrupt { path: path.to_owned(), detail: detail.to_string() },
            E::SchemaError(detail) => IndexError::Corrupt { path: path.to_owned(), detail },
            other => IndexError::Tantivy(other),
        }
    }
}
