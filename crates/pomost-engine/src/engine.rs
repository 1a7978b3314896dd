//! The engine itself: the store, the read models that follow it, the policy, and the
//! record writes and reads the service calls (rankings are in `ranking.rs`).

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pomost_domain::{CoachId, JobCoach, Offer, OfferKey, Participant, ParticipantId, SkillRelatedness};
use pomost_index::{IndexOptions, OfferIndex, SearchPage, SearchQuery};
use pomost_scoring::{Explanation, ParticipantPool, ScanControl, ScoringPolicy, Shortlist, ShortlistRequest};
use pomost_store::{AuditEntry, AuditQuery, ChangeKey, PgStore, SqliteStore, Store, WriteOutcome};
use pomost_taxonomy::Vocabulary;

use crate::disk::DiskGuard;
use crate::error::EngineError;
use crate::follow::{Applied, Follower, ModelLag, ReadModel, Record};
use crate::models::{IndexModel, PoolModel};
use crate::offer_cache::{OfferCache, OfferCacheStats};
use crate::request::RankingLimits;
use time::Date;

/// How long a participant or coach write waits for the pool to apply it, so the next
/// ranking sees it (read-your-writes); past it the write is still answered (it is stored,
/// and the pool catches up).
const POOL_WAIT: Duration = Duration::from_secs(2);

/// The state every request works on: the store, the read models following it, the policy.
pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) disk: DiskGuard,
    pool: Arc<RwLock<ParticipantPool>>,
    pub(crate) index: Arc<OfferIndex>,
    /// Offers read recently, kept decoded (rankings and search read them from here first).
    offer_cache: Arc<OfferCache>,
    follower: Arc<Follower>,
    follower_thread: Mutex<Option<JoinHandle<()>>>,
    /// The pool as the change feed's read model (a shutdown snapshot reads it with its seq).
    pool_model: Arc<PoolModel>,
    /// Where a clean shutdown leaves the pool for the next start (embedded store only).
    snapshot_path: Option<std::path::PathBuf>,
    policy: ScoringPolicy,
    vocabulary: Arc<Vocabulary>,
    pub(crate) limits: RankingLimits,
    pub(crate) placement: crate::placement::PlacementOptions,
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.follower.stop();
        if let Some(thread) = self.follower_thread.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

/// Target of the spans traces export (see the service's `traces` module).
pub const TRACE_TARGET: &str = "pomost::trace";

/// The offer index's directory inside the data directory.
pub const INDEX_DIR: &str = "offers-index";
/// An imported ESCO skills release inside the data directory (`pomost skills import`); the
/// vocabulary merges it at start.
pub const ESCO_IMPORT_FILE: &str = "vocabulary/esco-skills.csv";

/// The vocabulary for a data directory: the shipped one, merged with an imported ESCO
/// release where the operator imported one.
pub fn load_vocabulary(data_dir: &std::path::Path) -> Result<Vocabulary, EngineError> {
    let started = Instant::now();
    let path = data_dir.join(ESCO_IMPORT_FILE);
    let vocabulary = match std::fs::File::open(&path) {
        Ok(file) => {
            let (vocabulary, counts) = Vocabulary::with_esco_release(std::io::BufReader::new(file))
                .map_err(|error| EngineError::Internal(format!("{}: {error}", path.display())))?;
            tracing::info!(
                rows = counts.rows,
                matched = counts.matched,
                added = counts.added,
                "merged the imported ESCO release"
            );
            vocabulary
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vocabulary::shipped(),
        Err(error) => return Err(EngineError::Internal(format!("{}: {error}", path.display()))),
    };
    pomost_taxonomy::occupation_model();
    tracing::info!(
        version = vocabulary.version(),
        skills = vocabulary.skills().all().len(),
        terms = vocabulary.term_count(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "vocabulary loaded"
    );
    Ok(vocabulary)
}

/// Where the engine keeps its data and how.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The data directory.
    pub data_dir: std::path::PathBuf,
    /// The embedded store's options.
    pub store: pomost_store::SqliteOptions,
    /// A PostgreSQL URL to keep the record in a database shared with other replicas; empty
    /// for the embedded store in the data directory.
    pub store_url: String,
    /// CA certificates (PEM) the database's TLS certificate is checked against; empty for
    /// the system's roots.
    pub store_ca_path: std::path::PathBuf,
    /// The offer index's options (its stage bridging comes from the policy).
    pub index: IndexOptions,
    /// Disk space set aside for the audit when the disk fills, bytes.
    pub reserve_bytes: u64,
    /// Bounds of ranking requests.
    pub limits: RankingLimits,
    /// Run the full integrity check at start and refuse to start on damage.
    pub full_check_at_start: bool,
    /// Rules of the placement cycle.
    pub placement: crate::placement::PlacementOptions,
    /// Offers kept decoded in memory for rankings and search (0: none).
    pub offer_cache: usize,
    /// Changes a read model may fall behind the store before writes wait for it (0: no
    /// bound); see [`Follower::admit_write`].
    pub max_behind_changes: u64,
}

/// The default of [`EngineOptions::max_behind_changes`]: four seconds of the index's pace
/// under the heaviest ingest measured (about 25,000 offers a second beside the writes),
/// well inside the ten seconds after which health reports a lagging model, and half the
/// hints the follower keeps, so a model that keeps up never reads records back.
pub const DEFAULT_MAX_BEHIND: u64 = 100_000;

/// A write held back for a read model past the bound is refused when the model has made
/// nothing durable for this long (it is stuck, not slow); the index's group commit must
/// come more often than this...
pub const ADMISSION_STALLED: Duration = Duration::from_secs(5);
/// ... or when it has waited this long in all.
const ADMISSION_LONGEST: Duration = Duration::from_secs(20);

/// Whether a write waits for the pool to apply it before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// Rankings read the pool: wait, so the next one sees the write.
    Pool,
    /// The index follows on its own commit interval.
    Background,
}

/// A record the store keeps and the read models follow.
trait Stored: Clone {
    fn key(&self) -> ChangeKey;
    fn into_record(self) -> Record;
}

impl Stored for Participant {
    fn key(&self) -> ChangeKey {
        ChangeKey::Participant(self.id.clone())
    }
    fn into_record(self) -> Record {
        Record::Participant(self)
    }
}

impl Stored for JobCoach {
    fn key(&self) -> ChangeKey {
        ChangeKey::Coach(self.id.clone())
    }
    fn into_record(self) -> Record {
        Record::Coach(self)
    }
}

impl Stored for Offer {
    fn key(&self) -> ChangeKey {
        ChangeKey::Offer(self.key.clone())
    }
    fn into_record(self) -> Record {
        Record::Offer(self)
    }
}

/// What [`Engine::gauges`] reads.
#[derive(Debug, Clone)]
pub struct Gauges {
    /// The scoring pool.
    pub pool: pomost_scoring::PoolStats,
    /// Offers in the search index.
    pub offers_indexed: u64,
    /// The offer cache's counts.
    pub offer_cache: OfferCacheStats,
    /// The audit log.
    pub audit: pomost_store::AuditStats,
    /// Free bytes on the data directory's file system, where it can be read.
    pub disk_free_bytes: Option<u64>,
    /// Each read model against the store.
    pub models: Vec<ModelLag>,
    /// Writes held back for a read model's backlog, and refused.
    pub writes_held: crate::follow::WritesHeld,
}

/// What an engine is assembled from besides the store.
struct Parts {
    /// The pool read from a shutdown snapshot, with its change-feed position.
    snapshot: Option<(ParticipantPool, u64)>,
    /// The pool snapshot's path, for the embedded store.
    snapshot_path: Option<std::path::PathBuf>,
    disk: DiskGuard,
    index: OfferIndex,
    policy: ScoringPolicy,
    vocabulary: Arc<Vocabulary>,
    limits: RankingLimits,
    placement: crate::placement::PlacementOptions,
    offer_cache: usize,
}

/// Every stored participant in a new pool, with the change-feed position the pool then
/// reflects: everything up to it is in the scan; later changes the follower applies
/// (applying one twice is harmless).
fn load_participants(store: &dyn Store, relatedness: &SkillRelatedness) -> Result<(ParticipantPool, u64), EngineError> {
    let loaded = store.last_seq()?;
    let mut pool = ParticipantPool::new(relatedness)?;
    store.for_each_participant(&mut |participant| {
        if let Err(error) = pool.upsert_participant(&participant) {
            tracing::error!(%error, "stored participant not loaded into the pool");
        }
        Ok(())
    })?;
    pool.shrink_to_fit();
    Ok((pool, loaded))
}

/// Every job coach and the hours and positions open referrals hold, from the store.
fn load_coaches_and_referrals(store: &dyn Store, pool: &RwLock<ParticipantPool>) -> Result<(), EngineError> {
    let mut pool = pool.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    pool.upsert_coaches(store.coaches()?)?;
    store.for_each_referral(true, &mut |referral| {
        pool.apply_referral(&referral);
        Ok(())
    })?;
    Ok(())
}

/// The offer as rankings see it: its positions less those hires made through Pomost took
/// (an offer with none left is closed for shortlists and recommendations).
pub(crate) fn with_open_positions(pool: &ParticipantPool, offer: &Offer) -> Offer {
    let mut open = offer.clone();
    open.positions = pool.open_positions(offer);
    open
}

/// A page of offers found: the total, the offers with their relevance, the next page's cursor.
pub type FoundOffers = (u64, Vec<(Offer, f32)>, Option<pomost_index::SearchCursor>);

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
        let embedded = options.store_url.trim().is_empty();
        let snapshot_path = embedded.then(|| data_dir.join(crate::pool_snapshot::POOL_SNAPSHOT_FILE));
        std::thread::scope(|scope| {
            // The pool snapshot and the vocabulary are read beside the store's opening (its
            // integrity check reads the whole database file), each on a core of its own.
            let snapshot =
                snapshot_path.as_deref().map(|path| scope.spawn(move || crate::pool_snapshot::read(path, relatedness)));
            let vocabulary = scope.spawn(|| {
                let mut vocabulary = load_vocabulary(data_dir)?;
                vocabulary.admit_skills(relatedness);
                Ok::<_, EngineError>(Arc::new(vocabulary))
            });
            let opened = Self::open_parts(options, &policy, data_dir, embedded);
            let snapshot = snapshot.and_then(|reading| reading.join().ok().flatten());
            let vocabulary =
                vocabulary.join().map_err(|_| EngineError::Internal("loading the vocabulary panicked".into()))??;
            let (store, disk, index) = opened?;
            let parts = Parts {
                snapshot,
                snapshot_path: snapshot_path.clone(),
                disk,
                index,
                policy,
                vocabulary,
                limits: options.limits,
                placement: options.placement,
                offer_cache: options.offer_cache,
            };
            let engine = Self::assemble(store, data_dir, parts, relatedness)?;
            engine.follower.set_max_behind(options.max_behind_changes);
            tracing::info!(
                participants = engine.pool().len(),
                offers_indexed = engine.index.len(),
                checkpoint = engine.index.checkpoint(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "recovered state from the store"
            );
            Ok(engine)
        })
    }

    /// The store, checked as configured, the disk guard and the index.
    fn open_parts(
        options: &EngineOptions,
        policy: &ScoringPolicy,
        data_dir: &std::path::Path,
        embedded: bool,
    ) -> Result<(Arc<dyn Store>, DiskGuard, OfferIndex), EngineError> {
        let store: Arc<dyn Store> = if embedded {
            let started = Instant::now();
            let store = SqliteStore::open(data_dir, options.store)?;
            tracing::info!(
                checked = options.store.check_integrity,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "store opened"
            );
            Arc::new(store)
        } else {
            let ca = (!options.store_ca_path.as_os_str().is_empty()).then_some(options.store_ca_path.as_path());
            let store = PgStore::open(options.store_url.trim(), ca, data_dir)?;
            tracing::info!(database = store.shown_url(), "the record is in PostgreSQL, shared with other replicas");
            Arc::new(store)
        };
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
        let started = Instant::now();
        let index = OfferIndex::open(
            &data_dir.join(INDEX_DIR),
            IndexOptions { adaptation_weeks_per_stage: policy.adaptation_weeks_per_stage, ..options.index },
        )?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "offer index opened");
        let disk = DiskGuard::new(data_dir, options.reserve_bytes);
        Ok((store, disk, index))
    }

    /// Loads the pool from the store as of its last change, then lets the follower bring
    /// every read model up to date (the same loop that applies live writes), commits the
    /// index, and starts the follower thread.
    fn assemble(
        store: Arc<dyn Store>,
        data_dir: &std::path::Path,
        parts: Parts,
        relatedness: &SkillRelatedness,
    ) -> Result<Self, EngineError> {
        let Parts { snapshot, snapshot_path, disk, index, policy, vocabulary, limits, placement, offer_cache } = parts;
        let snapshot = snapshot.and_then(|found| crate::pool_snapshot::usable(found, store.as_ref()));
        let from_snapshot = snapshot.is_some();
        let (pool, loaded) = match snapshot {
            Some(found) => found,
            None => load_participants(store.as_ref(), relatedness)?,
        };
        let pool = Arc::new(RwLock::new(pool));
        load_coaches_and_referrals(store.as_ref(), &pool)?;
        let index = Arc::new(index);
        // The index's checkpoint on disk never runs ahead of the store's: a commit the
        // index read may not be synced yet (the embedded store syncs after its writer).
        let source = Arc::downgrade(&store);
        index.set_commit_barrier(Arc::new(move || match source.upgrade() {
            Some(store) => store.sync_committed().map_err(|error| error.to_string()),
            None => Ok(()),
        }));
        let pool_model = Arc::new(PoolModel::new(pool.clone(), loaded));
        // The cache starts empty, so it has nothing to catch up on.
        let cached_from = store.last_seq()?;
        let offer_cache = Arc::new(OfferCache::new(offer_cache, cached_from));
        let models: Vec<(Arc<dyn ReadModel>, u64)> = vec![
            (pool_model.clone(), loaded),
            (Arc::new(IndexModel::new(index.clone())), index.checkpoint()),
            (offer_cache.clone(), cached_from),
        ];
        let follower = Arc::new(Follower::new(store.clone(), data_dir, models));
        follower.follow_other_writers();
        follower.catch_up()?;
        if from_snapshot {
            let (held, stored) = (pool.read().map_or(0, |pool| pool.len() as u64), store.participant_count()?);
            if held == stored {
                tracing::info!(participants = held, seq = loaded, "pool taken from its shutdown snapshot");
            } else {
                // Not the store it was written from: the store decides.
                tracing::warn!(
                    held,
                    stored,
                    "pool snapshot disagrees with the store; building the pool from the store"
                );
                let (fresh, _) = load_participants(store.as_ref(), relatedness)?;
                *pool.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
                load_coaches_and_referrals(store.as_ref(), &pool)?;
            }
        }
        index.flush()?;
        let thread = {
            let follower = follower.clone();
            std::thread::Builder::new()
                .name("change-follower".into())
                .spawn(move || follower.run())
                .map_err(|error| EngineError::Internal(format!("cannot start the change follower: {error}")))?
        };
        Ok(Self {
            store,
            disk,
            pool,
            index,
            offer_cache,
            follower,
            follower_thread: Mutex::new(Some(thread)),
            pool_model,
            snapshot_path,
            policy,
            vocabulary,
            limits,
            placement,
        })
    }

    /// How each read model follows the store; a model is `lagging` when a change committed
    /// `max_lag` ago is still not durable in it.
    pub fn follow_status(&self, max_lag: Duration) -> Result<Vec<ModelLag>, EngineError> {
        self.follower.lag(max_lag)
    }

    pub(crate) fn pool(&self) -> RwLockReadGuard<'_, ParticipantPool> {
        self.pool.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands the follower what a write committed, each record as written.
    pub(crate) fn followed(&self, changes: Vec<Applied>) {
        if !changes.is_empty() {
            self.follower.written(changes);
        }
    }

    /// Hands the follower one change to a participant or coach and waits until the pool
    /// has it.
    fn pool_follows(&self, change: Applied) {
        let seq = change.seq;
        self.followed(vec![change]);
        self.pool_sees(seq);
    }

    /// Commits a batch of records through `write` (held back while a read model is past its
    /// backlog bound, refused up front on a full disk, traced as one store commit) and
    /// hands what it wrote to the read models; with [`Follow::Pool`] returns once the pool
    /// has it (read-your-writes for rankings).
    fn write_records<T: Stored>(
        &self,
        records: Vec<T>,
        follow: Follow,
        write: impl FnOnce(&[T]) -> Result<Vec<WriteOutcome>, pomost_store::StoreError>,
    ) -> Result<Vec<WriteOutcome>, EngineError> {
        self.follower.admit_write(ADMISSION_STALLED, ADMISSION_LONGEST).map_err(EngineError::Backlog)?;
        self.disk.before_write()?;
        let outcomes = {
            let _commit = tracing::trace_span!(target: TRACE_TARGET, "store_commit", records = records.len()).entered();
            self.disk.observe(write(&records))?
        };
        // The written records themselves go to the read models (moved, not copied), into
        // room made once: collected, a batch's changes (hundreds of bytes each) grew by
        // doubling into fresh pages, batch after batch of a bulk load.
        let mut changes = Vec::with_capacity(records.len());
        for (record, outcome) in records.into_iter().zip(&outcomes) {
            if let WriteOutcome::Written { seq } = outcome {
                changes.push(Applied { seq: *seq, key: record.key(), record: Some(record.into_record()) });
            }
        }
        let last = changes.last().map(|change| change.seq);
        self.followed(changes);
        if let (Follow::Pool, Some(last)) = (follow, last) {
            self.pool_sees(last);
        }
        Ok(outcomes)
    }

    /// Waits until the pool has applied `seq`, so the next ranking sees the write.
    pub(crate) fn pool_sees(&self, seq: u64) {
        if !self.follower.wait_applied("pool", seq, POOL_WAIT) {
            tracing::warn!(seq, "the pool has not applied a write yet; rankings will see it once it does");
        }
    }

    /// What an operator watches, read in one go: pool and coach figures, offers indexed,
    /// the audit log's size, free disk, and how each read model follows the store.
    pub fn gauges(&self, max_lag: Duration) -> Result<Gauges, EngineError> {
        Ok(Gauges {
            pool: self.pool().stats(),
            offers_indexed: self.index.len(),
            offer_cache: self.offer_cache.stats(),
            audit: self.store.audit_stats()?,
            disk_free_bytes: self.disk.available_bytes(),
            models: self.follower.lag(max_lag)?,
            writes_held: self.follower.writes_held(),
        })
    }

    /// The vocabulary writes are checked against and explanations are labelled with.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The scoring policy in force.
    pub fn policy(&self) -> &ScoringPolicy {
        &self.policy
    }

    /// Participants in the pool.
    pub fn pool_size(&self) -> usize {
        self.pool().len()
    }

    /// The change sequence every read model has applied (read-your-writes across replicas:
    /// a read that must see change N waits until this reaches N).
    pub fn applied_seq(&self) -> u64 {
        self.follower.applied_by_all()
    }

    /// Waits until every read model has applied every change written so far, at most
    /// `timeout`; whether they have.
    pub fn wait_for_read_models(&self, timeout: Duration) -> bool {
        match self.store.last_seq() {
            Ok(last) => self.follower.wait_all_applied(last, timeout),
            Err(_) => false,
        }
    }

    /// Leaves the pool for the next start (embedded store; nothing otherwise), at the end of
    /// a clean shutdown, when no write comes any more. The number of participants written.
    pub fn save_pool_snapshot(&self) -> Result<Option<usize>, EngineError> {
        let Some(path) = &self.snapshot_path else { return Ok(None) };
        let started = Instant::now();
        // Like the index's checkpoint, the snapshot's seq must not be ahead of the disk.
        self.store.sync_committed()?;
        let (bytes, participants) = self.pool_model.snapshot();
        crate::pool_snapshot::save(path, &bytes)?;
        tracing::info!(
            participants,
            bytes = bytes.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "pool snapshot written for the next start"
        );
        Ok(Some(participants))
    }

    /// Commits pending index work (for shutdown). A failed commit loses nothing (the store
    /// has every change; the next start replays them), so it is logged, not returned.
    pub fn flush(&self) -> Result<(), EngineError> {
        if let Err(error) = self.index.flush() {
            tracing::error!(%error, "index commit at shutdown failed; the next start replays from the checkpoint");
        }
        Ok(())
    }

    /// Stores a participant; returns once the pool has them.
    pub fn upsert_participant(&self, participant: Participant) -> Result<WriteOutcome, EngineError> {
        let outcomes = self.write_records(vec![participant], Follow::Pool, |batch| {
            batch.iter().map(|participant| self.store.upsert_participant(participant)).collect()
        })?;
        Ok(outcomes[0])
    }

    /// Stores participants in one transaction; returns once the pool has them (which takes
    /// them over: a bulk load copies no record).
    pub fn upsert_participants(&self, participants: Vec<Participant>) -> Result<Vec<WriteOutcome>, EngineError> {
        self.write_records(participants, Follow::Pool, |batch| self.store.upsert_participants(batch))
    }

    /// Whether the store holds no change at all (a fresh data directory).
    pub fn is_empty(&self) -> Result<bool, EngineError> {
        Ok(self.store.last_seq()? == 0)
    }

    /// Calls `visit` with every stored participant.
    pub(crate) fn for_each_participant(&self, visit: &mut dyn FnMut(Participant)) -> Result<(), EngineError> {
        self.store.for_each_participant(&mut |participant| {
            visit(participant);
            Ok(())
        })?;
        Ok(())
    }

    /// A stored participant.
    pub fn participant(&self, id: &ParticipantId) -> Result<Participant, EngineError> {
        self.store.participant(id)?.ok_or_else(|| EngineError::NotFound(format!("participant {id} is not registered")))
    }

    /// Erases a participant from the store (their referrals keep only pseudonymous counts);
    /// returns once the pool no longer has them.
    pub fn delete_participant(&self, id: &ParticipantId) -> Result<Option<u64>, EngineError> {
        let stamp = crate::placement::system_stamp();
        let Some((seq, referrals)) = self.disk.observe(self.store.delete_participant(id, &stamp))? else {
            return Ok(None);
        };
        let mut changes = vec![Applied { seq, key: ChangeKey::Participant(id.clone()), record: None }];
        for (seq, referral) in referrals {
            let record = self.store.referral(&referral)?.map(Record::Referral);
            changes.push(Applied { seq, key: ChangeKey::Referral(referral), record });
        }
        let last = changes.iter().map(|change| change.seq).max().unwrap_or(seq);
        self.followed(changes);
        self.pool_sees(last);
        Ok(Some(seq))
    }

    /// Stores a job coach; returns once the pool has them.
    pub fn upsert_coach(&self, coach: JobCoach) -> Result<WriteOutcome, EngineError> {
        let outcomes = self.write_records(vec![coach], Follow::Pool, |batch| {
            batch.iter().map(|coach| self.store.upsert_coach(coach)).collect()
        })?;
        Ok(outcomes[0])
    }

    /// Stores many job coaches in one transaction; returns once the pool has them.
    pub fn upsert_coaches(&self, coaches: &[JobCoach]) -> Result<Vec<WriteOutcome>, EngineError> {
        self.write_records(coaches.to_vec(), Follow::Pool, |batch| self.store.upsert_coaches(batch))
    }

    /// A stored job coach.
    pub fn coach(&self, id: &CoachId) -> Result<JobCoach, EngineError> {
        self.store.coach(id)?.ok_or_else(|| EngineError::NotFound(format!("job coach {id} is not registered")))
    }

    /// Deletes a job coach; returns once the pool no longer has them.
    pub fn delete_coach(&self, id: &CoachId) -> Result<Option<u64>, EngineError> {
        let seq = self.disk.observe(self.store.delete_coach(id))?;
        if let Some(seq) = seq {
            self.pool_follows(Applied { seq, key: ChangeKey::Coach(id.clone()), record: None });
        }
        Ok(seq)
    }

    /// Stores offers (each only if newer than the stored version) in one transaction; the
    /// index follows within a commit interval.
    pub fn upsert_offers(&self, offers: &[Offer]) -> Result<Vec<WriteOutcome>, EngineError> {
        self.write_records(offers.to_vec(), Follow::Background, |batch| self.store.upsert_offers(batch))
    }

    /// A stored offer, read from the store itself (read-your-writes across replicas too).
    pub fn offer(&self, key: &OfferKey) -> Result<Offer, EngineError> {
        self.store.offer(key)?.ok_or_else(|| EngineError::NotFound(format!("offer {key} is not stored")))
    }

    /// A stored offer for a ranking, from the offer cache when it holds it.
    pub(crate) fn cached_offer(&self, key: &OfferKey) -> Result<Offer, EngineError> {
        self.offers_by_key(std::slice::from_ref(key))?
            .pop()
            .flatten()
            .map(Arc::unwrap_or_clone)
            .ok_or_else(|| EngineError::NotFound(format!("offer {key} is not stored")))
    }

    /// Offers by key, in order (`None` where not stored): those the offer cache holds from
    /// memory, the rest from the store in one read (and kept). While the cache has not yet
    /// applied every change this process knows was written, all come from the store.
    pub(crate) fn offers_by_key(&self, keys: &[OfferKey]) -> Result<Vec<Option<Arc<Offer>>>, EngineError> {
        if self.offer_cache.applied() < self.follower.written_seq() {
            self.offer_cache.bypassed(keys.len());
            return Ok(self.store.offers_by_key(keys)?.into_iter().map(|offer| offer.map(Arc::new)).collect());
        }
        let mut lookup = self.offer_cache.lookup(keys);
        let missing: Vec<OfferKey> =
            keys.iter().zip(&lookup.found).filter(|(_, found)| found.is_none()).map(|(key, _)| key.clone()).collect();
        if missing.is_empty() {
            return Ok(lookup.found);
        }
        let read: Vec<Option<Arc<Offer>>> =
            self.store.offers_by_key(&missing)?.into_iter().map(|offer| offer.map(Arc::new)).collect();
        self.offer_cache.fill(&lookup, read.iter().flatten());
        let mut read = read.into_iter();
        for found in lookup.found.iter_mut().filter(|found| found.is_none()) {
            *found = read.next().flatten();
        }
        Ok(lookup.found)
    }

    /// The offer cache's counts (the metrics read them in [`Engine::gauges`]).
    pub fn offer_cache_stats(&self) -> OfferCacheStats {
        self.offer_cache.stats()
    }

    /// Deletes an offer; the index follows within a commit interval.
    pub fn delete_offer(&self, key: &OfferKey) -> Result<Option<u64>, EngineError> {
        let seq = self.disk.observe(self.store.delete_offer(key))?;
        if let Some(seq) = seq {
            self.followed(vec![Applied { seq, key: ChangeKey::Offer(key.clone()), record: None }]);
        }
        Ok(seq)
    }

    /// Searches offers and reads the hits from the store.
    pub fn search_offers(&self, query: &SearchQuery) -> Result<FoundOffers, EngineError> {
        let SearchPage { total, hits, next } = {
            let _query = tracing::trace_span!(target: TRACE_TARGET, "index_query", limit = query.limit).entered();
            self.index.search(query)?
        };
        tracing::Span::current().record("results", hits.len());
        let keys: Vec<OfferKey> = hits.iter().map(|hit| hit.key.clone()).collect();
        let offers = self
            .offers_by_key(&keys)?
            .into_iter()
            .zip(&hits)
            .filter_map(|(offer, hit)| Some((Arc::unwrap_or_clone(offer?), hit.score)))
            .collect();
        Ok((total as u64, offers, next))
    }

    /// A shortlist for an offer, scanned as `control` says (and given up when it is cancelled). Not audited: only the
    /// ranking policy (`ranking.rs`) calls it.
    pub(crate) fn rank_participants(
        &self,
        offer: &Offer,
        k: usize,
        today: Date,
        representative: Option<f32>,
        control: &ScanControl,
    ) -> Result<(Shortlist, Vec<pomost_scoring::RerankChange>), EngineError> {
        match representative {
            Some(tolerance) => self.scanned(offer, k, today, |pool, request| {
                pool.representative_shortlist(&self.policy, request, tolerance, control)
            }),
            None => self
                .rank_participants_alongside(offer, k, today, control, |_| ())
                .map(|(shortlist, ())| (shortlist, Vec::new())),
        }
    }

    /// [`Engine::rank_participants`] (no re-ranking) that runs `alongside` with the ranked
    /// list while its candidates are explained (see
    /// [`ParticipantPool::shortlist_alongside`]).
    pub(crate) fn rank_participants_alongside<R: Send>(
        &self,
        offer: &Offer,
        k: usize,
        today: Date,
        control: &ScanControl,
        alongside: impl FnOnce(&pomost_scoring::RankedList) -> R + Send,
    ) -> Result<(Shortlist, R), EngineError> {
        self.scanned(offer, k, today, |pool, request| {
            pool.shortlist_alongside(&self.policy, request, control, alongside)
        })
    }

    /// Runs `scan` on the pool for the offer (with its open positions) in a trace span, and
    /// records the list's figures on the request's span.
    fn scanned<T>(
        &self,
        offer: &Offer,
        k: usize,
        today: Date,
        scan: impl FnOnce(&ParticipantPool, &ShortlistRequest) -> Result<(Shortlist, T), pomost_scoring::ScoringError>,
    ) -> Result<(Shortlist, T), EngineError> {
        let span = tracing::trace_span!(target: TRACE_TARGET, "scan", k, pool = tracing::field::Empty).entered();
        let pool = self.pool();
        let offer = &with_open_positions(&pool, offer);
        let (shortlist, beside) = scan(&pool, &ShortlistRequest { offer, k, today })?;
        drop(pool);
        span.record("pool", shortlist.pool_size);
        drop(span);
        let request = tracing::Span::current();
        request.record("k", k);
        request.record("pool", shortlist.pool_size);
        request.record("results", shortlist.candidates.len());
        Ok((shortlist, beside))
    }

    /// One participant explained against one offer (not audited; see `ranking.rs`).
    pub(crate) fn explain_pair(
        &self,
        id: &ParticipantId,
        offer: &Offer,
        today: Date,
    ) -> Result<Explanation, EngineError> {
        let pool = self.pool();
        Ok(pool.explain(&self.policy, id, &with_open_positions(&pool, offer), today)?)
    }

    /// Offers for a participant: candidates from the index (reachable, lawful, by skills, or
    /// by `text`), re-ranked by the scoring crate; only eligible ones, best first.
    pub(crate) fn rank_offers(
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
            let _query = tracing::trace_span!(target: TRACE_TARGET, "index_query", limit = query.limit).entered();
            self.index.search(&query)?.hits.into_iter().map(|hit| hit.key).collect()
        };
        // The candidates read at once (the offer cache first); scored all, explained and
        // copied only the k returned.
        let offers = self.offers_by_key(&keys)?;
        let pool = self.pool();
        let mut scored = Vec::new();
        for offer in offers.into_iter().flatten() {
            // Ranked with the positions still open: none left closes the offer (the score
            // would exclude it); otherwise the count does not enter the score, so the
            // stored offer is scored as it is, not copied.
            if pool.open_positions(&offer) == 0 {
                continue;
            }
            if let Some(score) = pool.score(&self.policy, id, &offer, today)? {
                scored.push((score, offer));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.key.cmp(&b.1.key)));
        scored.truncate(k);
        scored
            .into_iter()
            .map(|(_, offer)| {
                // Explained with the open positions, returned as stored.
                let mut offer = Arc::unwrap_or_clone(offer);
                let open_positions = pool.open_positions(&offer);
                let stored_positions = std::mem::replace(&mut offer.positions, open_positions);
                let explanation = pool.explain(&self.policy, id, &offer, today)?;
                offer.positions = stored_positions;
                Ok(Recommendation { offer, explanation })
            })
            .collect()
    }

    /// Appends an audit entry; returns once it is durable.
    pub(crate) fn audit(&self, mut entry: AuditEntry) -> Result<(), EngineError> {
        entry.vocabulary_version = self.vocabulary.version().to_owned();
        let entry = &entry;
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
