//! The engine of Pomost, behind the gRPC adapters (and the CLI, the benchmark harness and
//! the tests): the store (source of truth), the scoring pool and the offer index (read
//! models derived from it), the policy, and start-up recovery. It knows nothing of gRPC.
//! Every method blocks; the service calls them on tokio's blocking pool.

mod disk;
mod error;
mod ranking;

pub use disk::{DiskGuard, RESERVE_FILE};
pub use error::EngineError;
pub use ranking::{OfferRef, RankingLimits, Requester};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use pomost_domain::{CoachId, JobCoach, Offer, OfferKey, Participant, ParticipantId, SkillRelatedness};
use pomost_index::{IndexOptions, OfferIndex, SearchPage, SearchQuery};
use pomost_scoring::{Explanation, ParticipantPool, ScoringPolicy, Shortlist, ShortlistRequest};
use pomost_store::{AuditEntry, AuditQuery, ChangeKey, SqliteStore, Store, WriteOutcome};
use time::Date;

/// Changes replayed into the index per batch during recovery.
const REPLAY_BATCH: usize = 10_000;

/// The state every request works on.
pub struct Engine {
    store: Arc<dyn Store>,
    disk: DiskGuard,
    pool: RwLock<ParticipantPool>,
    /// Held across a store write and the matching update of the pool or index, so derived
    /// copies apply writes in the store's commit order (readers are never blocked by it).
    writes: Mutex<()>,
    index: OfferIndex,
    policy: ScoringPolicy,
    /// Index commit failures already answered with a replay.
    index_failures_replayed: AtomicU64,
    /// The store's last sequence when the index was first seen behind, and when.
    index_target: Mutex<Option<(Instant, u64)>>,
    limits: RankingLimits,
}

/// A page of offers found: the total, the offers with their relevance, the next page's cursor.
pub type FoundOffers = (u64, Vec<(Offer, f32)>, Option<pomost_index::SearchCursor>);

/// The offer index's directory inside the data directory.
pub const INDEX_DIR: &str = "offers-index";

/// Where the engine keeps its data and how.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The data directory.
    pub data_dir: std::path::PathBuf,
    /// The embedded store's options.
    pub store: pomost_store::SqliteOptions,
    /// The offer index's options (its stage bridging comes from the policy).
    pub index: IndexOptions,
    /// Disk space set aside for the audit when the disk fills, bytes.
    pub reserve_bytes: u64,
    /// Bounds of ranking requests.
    pub limits: RankingLimits,
    /// Run the full integrity check at start and refuse to start on damage.
    pub full_check_at_start: bool,
}

/// How the offer index follows the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFollow {
    /// Changes committed in the store and not yet durable in the index.
    pub lag_changes: u64,
    /// The index has been behind for longer than the bound.
    pub lagging: bool,
    /// Failed index commits since start.
    pub failures: u64,
    /// Why the last commit failed, while commits fail.
    pub last_error: Option<String>,
}

/// A recommended offer with its explanation.
pub struct Recommendation {
    /// The offer.
    pub offer: Offer,
    /// The explanation (eligible, with its score).
    pub explanation: Explanation,
}

impl Engine {
    /// Opens the store and index under the data directory and recovers the derived state:
    /// loads participants and coaches into the pool and replays into the index every change
    /// after its checkpoint.
    pub fn open(
        options: &EngineOptions,
        policy: ScoringPolicy,
        relatedness: &SkillRelatedness,
    ) -> Result<Self, EngineError> {
        let started = Instant::now();
        let data_dir = &options.data_dir;
        let store = SqliteStore::open(data_dir, options.store)?;
        if options.full_check_at_start {
            let mut damaged = Vec::new();
            let counts = store.verify(&mut |damage| {
                tracing::error!(what = %damage.what, detail = %damage.detail, "damaged stored item");
                damaged.push(damage.what);
            })?;
            if counts.damaged > 0 {
                return Err(EngineError::Store(pomost_store::StoreError::Damaged {
                    what: format!("{} item(s) in {}", counts.damaged, data_dir.display()),
                    detail: format!("first: {}", damaged.first().map_or("the database file", String::as_str)),
                }));
            }
            tracing::info!(records = counts.records, audit_entries = counts.audit_entries, "full check: no damage");
        }
        let index = OfferIndex::open(
            &data_dir.join(INDEX_DIR),
            IndexOptions { adaptation_weeks_per_stage: policy.adaptation_weeks_per_stage, ..options.index },
        )?;
        let disk = DiskGuard::new(data_dir, options.reserve_bytes);
        let mut engine = Self::assemble(Arc::new(store), disk, index, policy, relatedness)?;
        engine.limits = options.limits;
        tracing::info!(
            participants = engine.pool().len(),
            offers_indexed = engine.index.len(),
            checkpoint = engine.index.checkpoint(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "recovered state from the store"
        );
        Ok(engine)
    }

    fn assemble(
        store: Arc<dyn Store>,
        disk: DiskGuard,
        index: OfferIndex,
        policy: ScoringPolicy,
        relatedness: &SkillRelatedness,
    ) -> Result<Self, EngineError> {
        let mut pool = ParticipantPool::new(relatedness)?;
        store.for_each_participant(&mut |participant| {
            if let Err(error) = pool.upsert_participant(participant) {
                tracing::error!(%error, "stored participant not loaded into the pool");
            }
            Ok(())
        })?;
        pool.upsert_coaches(store.coaches()?)?;
        pool.shrink_to_fit();
        let engine = Self {
            store,
            disk,
            pool: RwLock::new(pool),
            writes: Mutex::new(()),
            index,
            policy,
            index_failures_replayed: AtomicU64::new(0),
            index_target: Mutex::new(None),
            limits: RankingLimits::default(),
        };
        engine.catch_up_index()?;
        engine.flush_index()?;
        Ok(engine)
    }

    /// Replays into the index every change after its durable checkpoint, each offer as the
    /// store holds it now (so a replay never resurrects a deleted offer or an old version).
    /// Start-up recovery and recovery from a failed index commit are this same code. Each
    /// batch holds the write turn, so live writes and the replay reach the index in commit
    /// order.
    fn catch_up_index(&self) -> Result<(), EngineError> {
        let mut after = self.index.checkpoint();
        loop {
            let _turn = self.write_turn();
            let changes = self.store.changes_after(after, REPLAY_BATCH)?;
            let Some(last) = changes.last().map(|change| change.seq) else { break };
            for change in changes {
                match &change.key {
                    ChangeKey::Offer(key) => match self.store.offer(key)? {
                        Some(offer) => self.index.enqueue_upsert(&offer, change.seq)?,
                        None => self.index.enqueue_delete(key, change.seq)?,
                    },
                    _ => self.index.advance_to(change.seq)?,
                }
            }
            after = last;
        }
        Ok(())
    }

    /// Keeps the index following the store (called every few hundred ms): replays after a
    /// failed index commit, and says whether the index lags the store by more than
    /// `max_lag` (a change committed that long ago is still not durable in the index).
    pub fn tend_index(&self, max_lag: Duration) -> Result<IndexFollow, EngineError> {
        let health = self.index.commit_health();
        let replayed = self.index_failures_replayed.swap(health.failures, Ordering::AcqRel);
        if health.failures != replayed {
            tracing::warn!(
                failures = health.failures,
                checkpoint = health.committed_seq,
                "replaying changes into the index after a failed commit"
            );
            self.catch_up_index()?;
        }
        let last_seq = self.store.last_seq()?;
        let checkpoint = self.index.checkpoint();
        let mut target = self.index_target.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let lagging = match *target {
            Some((_, seq)) if checkpoint >= seq => {
                *target = None;
                false
            }
            Some((since, _)) => now.duration_since(since) > max_lag,
            None => {
                if checkpoint < last_seq {
                    *target = Some((now, last_seq));
                }
                false
            }
        };
        Ok(IndexFollow {
            lag_changes: last_seq.saturating_sub(checkpoint),
            lagging,
            failures: health.failures,
            last_error: health.last_error,
        })
    }

    fn pool(&self) -> RwLockReadGuard<'_, ParticipantPool> {
        self.pool.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_turn(&self) -> MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn pool_mut(&self) -> RwLockWriteGuard<'_, ParticipantPool> {
        self.pool.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The scoring policy in force.
    pub fn policy(&self) -> &ScoringPolicy {
        &self.policy
    }

    /// Participants in the pool.
    pub fn pool_size(&self) -> usize {
        self.pool().len()
    }

    /// Commits pending index work (for shutdown). A failed commit loses nothing (the store
    /// has every change; the next start replays them), so it is logged, not returned.
    pub fn flush(&self) -> Result<(), EngineError> {
        if let Err(error) = self.index.flush() {
            tracing::error!(%error, "index commit at shutdown failed; the next start replays from the checkpoint");
        }
        Ok(())
    }

    fn flush_index(&self) -> Result<(), EngineError> {
        self.index.flush()?;
        Ok(())
    }

    /// Stores a participant, then updates the pool.
    pub fn upsert_participant(&self, participant: Participant) -> Result<WriteOutcome, EngineError> {
        let _turn = self.write_turn();
        self.disk.before_write()?;
        let outcome = self.disk.observe(self.store.upsert_participant(&participant))?;
        if let WriteOutcome::Written { seq } = outcome {
            self.pool_mut().upsert_participant(participant)?;
            self.index.advance_to(seq)?;
        }
        Ok(outcome)
    }

    /// Stores participants in one transaction, then updates the pool.
    pub fn upsert_participants(&self, participants: &[Participant]) -> Result<Vec<WriteOutcome>, EngineError> {
        let _turn = self.write_turn();
        self.disk.before_write()?;
        let outcomes = self.disk.observe(self.store.upsert_participants(participants))?;
        let mut pool = self.pool_mut();
        let mut last = 0;
        for (participant, outcome) in participants.iter().zip(&outcomes) {
            if let WriteOutcome::Written { seq } = outcome {
                pool.upsert_participant(participant.clone())?;
                last = *seq;
            }
        }
        drop(pool);
        if last > 0 {
            self.index.advance_to(last)?;
        }
        Ok(outcomes)
    }

    /// Whether the store holds no change at all (a fresh data directory).
    pub fn is_empty(&self) -> Result<bool, EngineError> {
        Ok(self.store.last_seq()? == 0)
    }

    /// A stored participant.
    pub fn participant(&self, id: &ParticipantId) -> Result<Participant, EngineError> {
        self.store.participant(id)?.ok_or_else(|| EngineError::NotFound(format!("participant {id} is not registered")))
    }

    /// Erases a participant from the store and the pool.
    pub fn delete_participant(&self, id: &ParticipantId) -> Result<Option<u64>, EngineError> {
        let _turn = self.write_turn();
        let seq = self.disk.observe(self.store.delete_participant(id))?;
        self.pool_mut().remove_participant(id);
        if let Some(seq) = seq {
            self.index.advance_to(seq)?;
        }
        Ok(seq)
    }

    /// Stores a job coach, then updates the pool.
    pub fn upsert_coach(&self, coach: JobCoach) -> Result<WriteOutcome, EngineError> {
        let _turn = self.write_turn();
        self.disk.before_write()?;
        let outcome = self.disk.observe(self.store.upsert_coach(&coach))?;
        if let WriteOutcome::Written { seq } = outcome {
            self.pool_mut().upsert_coach(coach)?;
            self.index.advance_to(seq)?;
        }
        Ok(outcome)
    }

    /// A stored job coach.
    pub fn coach(&self, id: &CoachId) -> Result<JobCoach, EngineError> {
        self.store.coach(id)?.ok_or_else(|| EngineError::NotFound(format!("job coach {id} is not registered")))
    }

    /// Deletes a job coach from the store and the pool.
    pub fn delete_coach(&self, id: &CoachId) -> Result<Option<u64>, EngineError> {
        let _turn = self.write_turn();
        let seq = self.disk.observe(self.store.delete_coach(id))?;
        self.pool_mut().remove_coach(id);
        if let Some(seq) = seq {
            self.index.advance_to(seq)?;
        }
        Ok(seq)
    }

    /// Stores offers in one transaction and indexes the written ones.
    pub fn upsert_offers(&self, offers: &[Offer]) -> Result<Vec<WriteOutcome>, EngineError> {
        let _turn = self.write_turn();
        self.disk.before_write()?;
        let outcomes = self.disk.observe(self.store.upsert_offers(offers))?;
        for (offer, outcome) in offers.iter().zip(&outcomes) {
            if let WriteOutcome::Written { seq } = outcome {
                self.index.enqueue_upsert(offer, *seq)?;
            }
        }
        Ok(outcomes)
    }

    /// A stored offer.
    pub fn offer(&self, key: &OfferKey) -> Result<Offer, EngineError> {
        self.store.offer(key)?.ok_or_else(|| EngineError::NotFound(format!("offer {key} is not stored")))
    }

    /// Deletes an offer from the store and the index.
    pub fn delete_offer(&self, key: &OfferKey) -> Result<Option<u64>, EngineError> {
        let _turn = self.write_turn();
        let seq = self.disk.observe(self.store.delete_offer(key))?;
        if let Some(seq) = seq {
            self.index.enqueue_delete(key, seq)?;
        }
        Ok(seq)
    }

    /// Searches offers and reads the hits from the store.
    pub fn search_offers(&self, query: &SearchQuery) -> Result<FoundOffers, EngineError> {
        let SearchPage { total, hits, next } = self.index.search(query)?;
        let mut offers = Vec::with_capacity(hits.len());
        for hit in hits {
            if let Some(offer) = self.store.offer(&hit.key)? {
                offers.push((offer, hit.score));
            }
        }
        Ok((total as u64, offers, next))
    }

    /// A shortlist for an offer; gives up when `cancel` is set. Not audited: only the
    /// ranking policy (`ranking.rs`) calls it.
    fn rank_participants(
        &self,
        offer: &Offer,
        k: usize,
        today: Date,
        cancel: &AtomicBool,
    ) -> Result<Shortlist, EngineError> {
        Ok(self.pool().shortlist_until(&self.policy, &ShortlistRequest { offer, k, today }, cancel)?)
    }

    /// One participant explained against one offer (not audited; see `ranking.rs`).
    fn explain_pair(&self, id: &ParticipantId, offer: &Offer, today: Date) -> Result<Explanation, EngineError> {
        Ok(self.pool().explain(&self.policy, id, offer, today)?)
    }

    /// Offers for a participant: candidates from the index (reachable, lawful, by skills, or
    /// by `text`), re-ranked by the scoring crate; only eligible ones, best first.
    fn rank_offers(
        &self,
        id: &ParticipantId,
        k: usize,
        text: &str,
        today: Date,
    ) -> Result<Vec<Recommendation>, EngineError> {
        let participant = self.participant(id)?;
        let wanted = k.saturating_mul(5).max(50);
        let keys: Vec<OfferKey> = if text.trim().is_empty() {
            self.index.candidates_for(&participant, wanted, today)?.into_iter().map(|hit| hit.key).collect()
        } else {
            let mut query = SearchQuery::text(text, today);
            query.stage = Some(participant.stage);
            query.limit = wanted;
            self.index.search(&query)?.hits.into_iter().map(|hit| hit.key).collect()
        };
        let pool = self.pool();
        let mut recommendations = Vec::new();
        for key in keys {
            let Some(offer) = self.store.offer(&key)? else { continue };
            let explanation = pool.explain(&self.policy, id, &offer, today)?;
            if explanation.score.is_some() {
                recommendations.push(Recommendation { offer, explanation });
            }
        }
        recommendations.sort_by(|a, b| {
            let score = |recommendation: &Recommendation| recommendation.explanation.score.unwrap_or(0.0);
            score(b).total_cmp(&score(a)).then_with(|| a.offer.key.cmp(&b.offer.key))
        });
        recommendations.truncate(k);
        Ok(recommendations)
    }

    /// Appends an audit entry; returns once it is durable.
    fn audit(&self, entry: &AuditEntry) -> Result<(), EngineError> {
        match self.store.append_audit(entry) {
            Err(error @ pomost_store::StoreError::DiskFull { .. }) => {
                // The reserve goes to the audit: release it and try once more.
                let _ = self.disk.observe::<()>(Err(error));
                self.store.append_audit(entry)?;
            }
            other => {
                other?;
            }
        }
        Ok(())
    }

    /// Whether record writes work, for health (false while the disk is full).
    pub fn writes_ok(&self) -> tokio::sync::watch::Receiver<bool> {
        self.disk.subscribe()
    }

    /// Re-checks a full disk (called every few seconds by the server).
    pub fn recheck_disk(&self) {
        self.disk.recheck();
    }

    /// The audit log's size and archives.
    pub fn audit_stats(&self) -> Result<pomost_store::AuditStats, EngineError> {
        Ok(self.store.audit_stats()?)
    }

    /// Archives and removes audit entries older than `retention_days` (0: keep all).
    pub fn apply_audit_retention(
        &self,
        retention_days: u32,
        now_ms: i64,
    ) -> Result<Option<pomost_store::ArchiveFile>, EngineError> {
        if retention_days == 0 {
            return Ok(None);
        }
        let cutoff = now_ms - i64::from(retention_days) * 86_400_000;
        let archive = self.disk.observe(self.store.archive_audit_before(cutoff))?;
        if let Some(archive) = &archive {
            tracing::info!(
                path = %archive.path.display(),
                entries = archive.entries,
                first = archive.first_entry,
                last = archive.last_entry,
                sha256 = %archive.sha256,
                "audit entries past retention archived, then removed from the log"
            );
        }
        Ok(archive)
    }

    /// Lists audit entries.
    pub fn list_audit(&self, query: &AuditQuery) -> Result<Vec<(u64, AuditEntry)>, EngineError> {
        Ok(self.store.list_audit(query)?)
    }

    /// Removes expired offers from the index.
    pub fn purge_expired(&self, today: Date) -> Result<(), EngineError> {
        self.index.purge_expired(today)?;
        Ok(())
    }
}
