//! Pure, synchronous ranking of participants for a job offer, with an explanation for every
//! score and a stated reason for every exclusion.
//!
//! The [`ParticipantPool`] keeps participants as compact records grouped by a spatial grid
//! (so a regional offer touches only nearby cells) and job coaches in a small index; a
//! [`ScoringPolicy`] gives the weights. [`ParticipantPool::shortlist`] scans the reachable
//! cells in parallel and keeps the top k; [`ParticipantPool::explain`] gives the full factor
//! breakdown or every reason a person is not on the list.
//!
//! Needs, not diagnoses: scoring reads accommodations, job-coach hours and the working-time
//! exemption; the certificate's degree feeds only the legal working-time rule; cause symbols
//! are never read.

mod arena;
mod balance;
mod bound_order;
mod coaches;
mod context;
mod control;
mod decimal;
mod error;
mod evaluate;
mod explain;
#[cfg(test)]
mod explain_reference;
mod extras;
mod factors;
#[cfg(test)]
mod fixtures;
mod grid;
mod groups;
mod placements;
mod policy;
mod pool;
mod reasons;
mod record;
mod representative;
mod sharing;
mod shortlist;
mod skills;
mod topk;

pub use control::ScanControl;
pub use error::ScoringError;
pub use explain::{AccommodationCover, CoveredBy, Explanation, FailedConstraint};
pub use factors::{Factor, FactorScore};
pub use groups::{GROUP_NAMES, GroupTally, STAGE_GROUPS, referral_groups};
pub use policy::{DEFAULT_POLICY_TOML, FactorWeights, ScoringPolicy};
pub use pool::{ParticipantPool, PoolStats, ScanLayout};
pub use reasons::{ExclusionCounts, ExclusionReason};
pub use representative::{MAX_TOLERANCE, RerankChange};
pub use shortlist::{Candidate, CoachOptions, RankedList, Shortlist, ShortlistRequest};
