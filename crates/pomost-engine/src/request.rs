//! What a ranking request carries into the engine: who asks, the offer it is about, and
//! the bounds every ranking keeps.

use pomost_domain::{Offer, OfferKey};
use pomost_store::Caller;

/// Who asks, for the audit: the API key's name and role, the request id the answer
/// carries, and when the request arrived (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// Name and role of the caller.
    pub caller: Caller,
    /// The request id returned to the caller (and the audit entry's id).
    pub request_id: String,
    /// When the request arrived, ms since the epoch.
    pub at_ms: i64,
}

/// The offer a ranking is about: stored, or given in the request.
#[derive(Debug, Clone)]
pub enum OfferRef {
    /// A stored offer by its key.
    Stored(OfferKey),
    /// An offer given inline (not stored).
    Inline(Box<Offer>),
}

/// Bounds of ranking requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankingLimits {
    /// Largest `k`.
    pub max_k: usize,
    /// `k` of a shortlist when the request gives none.
    pub default_shortlist_k: usize,
    /// `k` of recommendations when the request gives none.
    pub default_recommend_k: usize,
}

impl Default for RankingLimits {
    fn default() -> Self {
        Self { max_k: 500, default_shortlist_k: 20, default_recommend_k: 10 }
    }
}

impl OfferRef {
    pub(crate) fn audit_json(&self) -> serde_json::Value {
        match self {
            OfferRef::Stored(key) => serde_json::json!({ "offer_key": key }),
            OfferRef::Inline(offer) => serde_json::json!({ "inline_offer": offer }),
        }
    }
}
