//! The gRPC adapters: each handler converts the request, runs the engine on the blocking
//! pool, and converts the result. No domain logic lives here.

mod audit;
mod matching;
mod offers;
mod participants;
mod placement;
mod queue;
mod support;
mod vocabulary;

pub use audit::AuditApi;
pub use matching::MatchingApi;
pub use offers::OfferApi;
pub use participants::ParticipantApi;
pub use placement::PlacementApi;
pub use queue::RankingPool;
pub use support::{Shared, today};
pub use vocabulary::VocabularyApi;
