//! What the engine can fail with; the service maps each kind to one gRPC status once, at
//! its edge.

use pomost_domain::ValidationError;
use pomost_index::IndexError;
use pomost_scoring::ScoringError;
use pomost_store::StoreError;

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
    /// A blocking task failed to finish.
    #[error("internal error: {0}")]
    Internal(String),
}
