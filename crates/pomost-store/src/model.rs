//! The store's interface and the values it speaks in: write outcomes, the change feed's
//! entries, and what a full check finds.

use pomost_domain::{CoachId, JobCoach, Offer, OfferKey, OutcomeCheck, Participant, ParticipantId, Referral};
use serde::{Deserialize, Serialize};

use crate::audit::{ArchiveFile, AuditEntry, AuditQuery, AuditStats};
use crate::error::StoreError;
use crate::exposure_days::ExposureDays;
use crate::referrals::{NewReferral, ReferralMove, ReferralQuery, ReferralWrite, Stamp};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteOutcome {
    /// Committed with this change sequence number.
    Written {
        /// The change sequence number of the write.
        seq: u64,
    },
    /// The same record was already stored; nothing changed.
    Unchanged,
    /// An offer with this or a newer version is already stored; nothing changed.
    Stale {
        /// The version already stored.
        stored_version: u64,
    },
}

/// Which record a change touched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKey {
    /// A participant.
    Participant(ParticipantId),
    /// A job coach.
    Coach(CoachId),
    /// A job offer.
    Offer(OfferKey),
    /// A referral (its id).
    Referral(String),
}

/// Whether a change stored or removed its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// The record was inserted or replaced; read its current state from the store.
    Upsert,
    /// The record was deleted.
    Delete,
}

/// One entry of the change feed. It carries only the key: a consumer catching up reads the
/// current record, so erased personal data never lingers in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Change sequence number, strictly increasing.
    pub seq: u64,
    /// Upsert or delete.
    pub op: ChangeOp,
    /// The record touched.
    pub key: ChangeKey,
}

/// What an erasure changed: the deletion's sequence, and the (sequence, referral id) of
/// each referral it anonymised.
pub type Erasure = (u64, Vec<(u64, String)>);

/// The store interface: every write is committed (with its change sequence number) before
/// it returns, and a failed write changes nothing.
pub trait Store: Send + Sync {
    /// Inserts or replaces a participant (validated first).
    fn upsert_participant(&self, participant: &Participant) -> Result<WriteOutcome, StoreError>;
    /// Inserts or replaces participants in one transaction; all or nothing.
    fn upsert_participants(&self, participants: &[Participant]) -> Result<Vec<WriteOutcome>, StoreError>;
    /// A participant by id.
    fn participant(&self, id: &ParticipantId) -> Result<Option<Participant>, StoreError>;
    /// Erases a participant: the record is deleted (and its pages overwritten); the change
    /// feed and the audit log keep only the pseudonymous id; their referrals lose the id and
    /// groups (open ones are withdrawn). The sequence of the deletion and the (sequence,
    /// referral id) of each referral changed; `None` if unknown.
    fn delete_participant(&self, id: &ParticipantId, stamp: &Stamp) -> Result<Option<Erasure>, StoreError>;
    /// How many participants are stored (a start from a pool snapshot checks it has them all).
    fn participant_count(&self) -> Result<u64, StoreError>;
    /// Calls `visit` with every participant, for start-up recovery.
    fn for_each_participant(
        &self,
        visit: &mut dyn FnMut(Participant) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Participants by id, in order (`None` for each one not stored): a read model
    /// catching up reads thousands at once.
    fn participants_by_id(&self, ids: &[ParticipantId]) -> Result<Vec<Option<Participant>>, StoreError> {
        ids.iter().map(|id| self.participant(id)).collect()
    }

    /// Inserts or replaces a job coach (validated first).
    fn upsert_coach(&self, coach: &JobCoach) -> Result<WriteOutcome, StoreError>;
    /// Inserts or replaces many job coaches in one transaction (all validated first).
    fn upsert_coaches(&self, coaches: &[JobCoach]) -> Result<Vec<WriteOutcome>, StoreError>;
    /// A job coach by id.
    fn coach(&self, id: &CoachId) -> Result<Option<JobCoach>, StoreError>;
    /// Deletes a job coach. `None` if unknown.
    fn delete_coach(&self, id: &CoachId) -> Result<Option<u64>, StoreError>;
    /// Every job coach.
    fn coaches(&self) -> Result<Vec<JobCoach>, StoreError>;

    /// Inserts an offer or replaces an older version; an equal or older version is `Stale`.
    fn upsert_offer(&self, offer: &Offer) -> Result<WriteOutcome, StoreError>;
    /// Upserts offers in one transaction; all or nothing (stale ones are reported, not errors).
    fn upsert_offers(&self, offers: &[Offer]) -> Result<Vec<WriteOutcome>, StoreError>;
    /// An offer by key.
    fn offer(&self, key: &OfferKey) -> Result<Option<Offer>, StoreError>;
    /// Offers by key, in order (`None` for each one not stored), as
    /// [`Store::participants_by_id`].
    fn offers_by_key(&self, keys: &[OfferKey]) -> Result<Vec<Option<Offer>>, StoreError> {
        keys.iter().map(|key| self.offer(key)).collect()
    }

    /// An offer by key with the sequence of the change that last wrote it.
    fn offer_with_seq(&self, key: &OfferKey) -> Result<Option<(Offer, u64)>, StoreError>;
    /// Deletes an offer. `None` if unknown.
    fn delete_offer(&self, key: &OfferKey) -> Result<Option<u64>, StoreError>;

    /// Makes a referral (proposed), reserving the named coach's hours; refused with
    /// `Precondition` when the offer is closed or full, the coach lacks the hours, or the
    /// person already has an open referral to the offer.
    fn create_referral(&self, new: &NewReferral, stamp: &Stamp) -> Result<ReferralWrite, StoreError>;
    /// Moves a referral along its path; `Precondition` names the current state when the
    /// state machine (or a full offer) does not allow it.
    fn transition_referral(&self, step: &ReferralMove, stamp: &Stamp) -> Result<ReferralWrite, StoreError>;
    /// A referral with its history.
    fn referral(&self, id: &str) -> Result<Option<Referral>, StoreError>;
    /// Referrals matching `query` (without history).
    fn referrals(&self, query: &ReferralQuery) -> Result<Vec<Referral>, StoreError>;
    /// Calls `visit` with every referral (without history); only those holding coach hours
    /// or a position when `only_held`. The walk holds a reader, so `visit` must not call the
    /// store (the embedded store has one reader: that call would wait for ever).
    fn for_each_referral(
        &self,
        only_held: bool,
        visit: &mut dyn FnMut(Referral) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Expires open referrals untouched since `stale_before_ms` and releases the coach hours
    /// of hires past their adaptation period; the (sequence, referral id) of each change.
    fn sweep_referrals(&self, stale_before_ms: i64, stamp: &Stamp) -> Result<Vec<(u64, String)>, StoreError>;
    /// Records or corrects a retention check of a hire once it is due.
    fn record_outcome(&self, check: &OutcomeCheck, stamp: &Stamp) -> Result<OutcomeCheck, StoreError>;
    /// Every retention check.
    fn outcomes(&self) -> Result<Vec<OutcomeCheck>, StoreError>;

    /// Changes with a sequence number above `after`, in order, at most `limit`.
    fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError>;
    /// The highest change sequence number committed (0 for an empty store).
    fn last_seq(&self) -> Result<u64, StoreError>;
    /// Returns once every commit made so far is on disk. A commit can be visible before its
    /// writer's sync has ended (the embedded store syncs after letting its writer go), so
    /// whatever persists what it read from the store (the offer index's checkpoint, the pool
    /// snapshot) calls this first and is never ahead of the store after a power failure.
    fn sync_committed(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Appends an audit entry; returns its entry number.
    fn append_audit(&self, entry: &AuditEntry) -> Result<u64, StoreError>;
    /// Audit entries matching `query`, oldest first.
    fn list_audit(&self, query: &AuditQuery) -> Result<Vec<(u64, AuditEntry)>, StoreError>;
    /// The daily sums of shortlist figures for the UTC days `from_day..until_day` and
    /// workplaces whose TERYT code starts with `region` (`None`: all, remote included), for
    /// the exposure report. Days with entries that could not be summed are left out of the
    /// sums and listed, for the report to read their entries. Kept when entries are archived.
    fn exposure_days(&self, from_day: i64, until_day: i64, region: Option<&str>) -> Result<ExposureDays, StoreError>;
    /// How large the audit log is, on disk and in entries, and what was archived.
    fn audit_stats(&self) -> Result<AuditStats, StoreError>;
    /// Exports every audit entry older than `cutoff_ms` to a compressed, checksummed
    /// archive file, then removes them from the log; `None` when there was none.
    fn archive_audit_before(&self, cutoff_ms: i64) -> Result<Option<ArchiveFile>, StoreError>;

    /// Whether other processes write to this store too (replicas sharing one database). If
    /// so, the store calls `wake` (from a thread of its own) when one of them commits, and
    /// the caller also polls [`Store::last_seq`], since a wake-up can be lost. The embedded
    /// store has one writer and returns false.
    fn watch_other_writers(&self, _wake: std::sync::Arc<dyn Fn() + Send + Sync>) -> bool {
        false
    }

    /// Decodes and checks every stored record, change and audit entry, calling `report`
    /// for each damaged one; the counts say what was read.
    fn verify(&self, report: &mut dyn FnMut(Damage)) -> Result<VerifyCounts, StoreError>;
}

/// One damaged stored item, found by [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Its key, e.g. `participant p-12` or `audit entry 7`.
    pub what: String,
    /// What is wrong with it.
    pub detail: String,
}

/// What [`Store::verify`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyCounts {
    /// Participants, coaches and offers read.
    pub records: u64,
    /// Change-feed entries read.
    pub changes: u64,
    /// Audit entries read.
    pub audit_entries: u64,
    /// Items found damaged.
    pub damaged: u64,
}
