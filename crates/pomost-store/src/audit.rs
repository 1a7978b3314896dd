use std::path::PathBuf;

use pomost_domain::{OfferKey, ParticipantId};
use serde::{Deserialize, Serialize};

/// Who asked: the API key's name and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// Name of the API key.
    pub name: String,
    /// Role of the API key (partner, unit, labour_office, admin).
    pub role: String,
}

/// What was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A shortlist of participants for an offer.
    Shortlist,
    /// Offers recommended to a participant.
    RecommendOffers,
    /// One participant explained against one offer.
    ExplainMatch,
    /// An exposure audit: every open offer ranked to measure each group's exposure.
    ExposureAudit,
    /// A referral made or moved along its path.
    Referral,
    /// A retention check recorded after a hire.
    Outcome,
    /// Matches of a new or changed offer pushed to a watching unit.
    WatchMatches,
    /// A batch assignment of many people to many offers.
    AssignBatch,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 8] = [
        AuditAction::Shortlist,
        AuditAction::RecommendOffers,
        AuditAction::ExplainMatch,
        AuditAction::ExposureAudit,
        AuditAction::Referral,
        AuditAction::Outcome,
        AuditAction::WatchMatches,
        AuditAction::AssignBatch,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            AuditAction::Shortlist => "shortlist",
            AuditAction::RecommendOffers => "recommend_offers",
            AuditAction::ExplainMatch => "explain_match",
            AuditAction::ExposureAudit => "exposure_audit",
            AuditAction::Referral => "referral",
            AuditAction::Outcome => "outcome",
            AuditAction::WatchMatches => "watch_matches",
            AuditAction::AssignBatch => "assign_batch",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        AuditAction::ALL.into_iter().find(|action| action.name() == name)
    }
}

/// One returned id with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditResult {
    /// Participant id (shortlists) or offer key as `source/external_id` (recommendations).
    pub id: String,
    /// Total score returned.
    pub score: f32,
}

/// An append-only record of one ranking request: who, when, what, and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Request id returned to the caller.
    pub request_id: String,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Who asked.
    pub caller: Caller,
    /// What was asked.
    pub action: AuditAction,
    /// The offer, for shortlists and explanations.
    pub offer: Option<OfferKey>,
    /// The participant, for recommendations and explanations.
    pub participant: Option<ParticipantId>,
    /// The request as received (JSON).
    pub request: serde_json::Value,
    /// The ids returned, best first, with scores.
    pub results: Vec<AuditResult>,
    /// Scoring policy version used.
    pub policy_version: String,
    /// Vocabulary (taxonomy) version used; empty for entries written before it was kept.
    #[serde(default)]
    pub vocabulary_version: String,
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Entries at or after this time (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Entries before this time (ms since the epoch).
    pub until_ms: Option<i64>,
    /// Only this API key name.
    pub caller: Option<String>,
    /// Only this offer.
    pub offer: Option<OfferKey>,
    /// Only entries with a number above this (paging).
    pub after_entry: Option<u64>,
    /// At most this many entries.
    pub limit: usize,
}

/// The size of the audit log and its archives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Entries in the log.
    pub entries: u64,
    /// Bytes of the log's files on disk (database, WAL, shared memory).
    pub bytes_on_disk: u64,
    /// Of those, bytes in free pages that new entries reuse.
    pub free_bytes: u64,
    /// Bytes of the pages holding entries, names and indexes (what the log's content
    /// takes, WAL included, free pages not).
    pub used_bytes: u64,
    /// The oldest entry's time, ms since the epoch (0 for an empty log).
    pub oldest_ms: i64,
    /// The newest entry's time, ms since the epoch (0 for an empty log).
    pub newest_ms: i64,
    /// Archive files written so far.
    pub archive_files: u64,
    /// Their bytes.
    pub archive_bytes: u64,
}

/// One archive written by [`AuditLog::archive_before`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// The gzip-compressed NDJSON file.
    pub path: PathBuf,
    /// Entries in it.
    pub entries: u64,
    /// First and last entry numbers.
    pub first_entry: u64,
    /// Last entry number.
    pub last_entry: u64,
    /// SHA-256 of the file, hex (also in the `.sha256` file beside it).
    pub sha256: String,
}
