//! The engine of Pomost, behind the gRPC adapters (and the CLI, the benchmark harness and
//! the tests): the store (source of truth), the scoring pool and the offer index (read
//! models derived from it), the policy, and start-up recovery. It knows nothing of gRPC.
//! Every method blocks; the service calls them on tokio's blocking pool.

mod assign;
mod disk;
mod engine;
mod error;
mod exposure;
mod exposure_report;
pub mod faults;
mod follow;
mod models;
mod offer_cache;
mod outcomes;
mod placement;
mod pool_snapshot;
mod ranking;
mod request;

pub use assign::{
    Assigned, BatchAssignment, BatchRequest, DEFAULT_PER_POSITION, MAX_BATCH_OFFERS, MAX_PER_POSITION, Unassigned,
};
pub use disk::{DiskGuard, RESERVE_FILE};
pub use engine::{
    ADMISSION_STALLED, DEFAULT_MAX_BEHIND, ESCO_IMPORT_FILE, Engine, EngineOptions, FoundOffers, Gauges, INDEX_DIR,
    Recommendation, TRACE_TARGET, load_vocabulary,
};
pub use error::{BACKLOG_RETRY_MS, EngineError};
pub use exposure::{EXPOSURE_DEPTHS, ExposureReport, FLAG_BELOW, GroupExposure};
pub use exposure_report::{ExposureQuery, ExposureReportResult, ExposureRow, FOUR_FIFTHS};
pub use follow::{Applied, Backlog, Follower, ModelLag, ReadModel, Record, WritesHeld};
pub use models::{IndexModel, PoolModel};
pub use offer_cache::{DEFAULT_OFFER_CACHE, OfferCache, OfferCacheStats};
pub use outcomes::{OutcomeDimension, OutcomeRow, OutcomeStats, RetentionCell, outcome_stats};
pub use placement::{MAX_REFERRALS_LISTED, OfferMatches, PlacementOptions, WatchRequest};
pub use pomost_scoring::ScanControl;
pub use pool_snapshot::POOL_SNAPSHOT_FILE;
pub use ranking::{AwaitingAudit, RankedShortlist};
pub use request::{OfferRef, RankingLimits, Requester};
