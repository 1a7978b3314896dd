//! What the engine can fail with; the service maps each kind to one gRPC status once, at
//! its edge.

use pomost_domain::ValidationError;
use pomost_index::IndexError;
use pomost_scoring::ScoringError;
use pomost_store::StoreError;

/// How long a write refused for a backlog is told to wait before trying again, ms.
pub const BACKLOG_RETRY_MS: u32 = 500;

/// Everything a request to the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Bad input: the field path and the reason.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Unknown id.
    #[error("{0}")]
    NotFound(String),
    /// The caller's role may not do this.
    #[error("{0}")]
    Denied(String),
    /// A configured limit was exceeded.
    #[error("{0}")]
    Limit(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Scoring refused.
    #[error(transparent)]
    Scoring(#[from] ScoringError),
    /// A read model is too far behind the store to take more writes now (see
    /// [`crate::follow::Follower::admit_write`]); worth a retry once it catches up.
    #[error(
        "the {} read model is {} changes behind the store (bound {}); retry after about {} ms",
        .0.model, .0.behind, .0.bound, BACKLOG_RETRY_MS
    )]
    Backlog(crate::follow::Backlog),
    /// A blocking task failed to finish.
    #[error("internal error: {0}")]
    Internal(String),
}
