//! The offer index: full-text search over job offers with Polish analysis, filters on fast
//! fields, upserts keyed by (source, external id) with versions, expiry, and a group-commit
//! writer whose commits carry the store's change sequence so the index can catch up after a
//! restart.
//!
//! Everything here blocks (tantivy does I/O and CPU work): the async service calls it from
//! its blocking pool. The writer runs on its own thread.

mod analysis;
mod candidates;
mod error;
pub mod faults;
mod index;
mod options;
mod query;
mod schema;
mod segment_columns;
mod writer;

pub use analysis::{POLISH, analyzer, polish_analyzer};
pub use error::IndexError;
pub use index::OfferIndex;
pub use options::{IndexOptions, TextAnalysis};
pub use query::{MAX_OFFSET, MAX_PAGE, OfferHit, SearchCursor, SearchPage, SearchQuery};
pub use writer::{CommitBarrier, CommitHealth, IndexOutcome};

#[cfg(test)]
mod tests;
