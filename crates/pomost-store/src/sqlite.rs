//! The embedded store: one SQLite file in the data directory, WAL mode, versioned
//! migrations, and an exclusive lock so two processes never share a data directory.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError as LockBusy};

use pomost_domain::{CoachId, JobCoach, Offer, OfferKey, OutcomeCheck, Participant, ParticipantId, Referral};
use rusqlite::{Connection, params};

use crate::audit::{ArchiveFile, AuditStats};
use crate::audit::{AuditEntry, AuditQuery};
use crate::audit_log::AuditLog;
use crate::checkpoint::Checkpointer;
use crate::connection::{
    BUSY_ATTEMPTS, SqliteOptions, Synchronous, check_integrity, classify, open_connection, refine,
};
use crate::error::StoreError;
use crate::exposure_days::ExposureDays;
use crate::log_sync::LogSync;
use crate::model::{Change, ChangeKey, Damage, Store, VerifyCounts, WriteOutcome};
use crate::records::{self, RECORD_TABLES, checksum};
use crate::referrals::{NewReferral, ReferralMove, ReferralQuery, ReferralWrite, Stamp};
use crate::sql::{Lite, Tx};

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "pomost.sqlite3";
/// The lock file inside the data directory.
pub const LOCK_FILE: &str = "pomost.lock";

/// Schema migrations, applied in order; the file's `user_version` says how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: entities, change feed, audit log.
    "CREATE TABLE participants (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated_seq INTEGER NOT NULL
    );
    CREATE TABLE coaches (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        updated_seq INTEGER NOT NULL
    );
    CREATE TABLE offers (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        updated_seq INTEGER NOT NULL,
        PRIMARY KEY (source, external_id)
    );
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entity TEXT NOT NULL,
        entity_key TEXT NOT NULL,
        op TEXT NOT NULL
    );
    CREATE TABLE audit (
        entry INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL UNIQUE,
        at_ms INTEGER NOT NULL,
        caller_name TEXT NOT NULL,
        caller_role TEXT NOT NULL,
        action TEXT NOT NULL,
        offer_source TEXT,
        offer_external_id TEXT,
        participant_id TEXT,
        request TEXT NOT NULL,
        results TEXT NOT NULL,
        policy_version TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit (at_ms);
    CREATE INDEX audit_caller ON audit (caller_name, at_ms);
    CREATE INDEX audit_offer ON audit (offer_source, offer_external_id, at_ms);",
    // 2: a checksum of every record (CRC-32 of its stored text), so damage is found on
    // read and by `pomost check`; rows from version 1 get theirs in `backfill_checksums`.
    "ALTER TABLE participants ADD COLUMN checksum INTEGER;
    ALTER TABLE coaches ADD COLUMN checksum INTEGER;
    ALTER TABLE offers ADD COLUMN checksum INTEGER;",
    // 3: referrals, their transitions, and retention checks after a hire.
    crate::referrals::MIGRATION,
    // 4: the referred person's gender, where recorded, for outcome and exposure statistics.
    crate::referrals::GENDER_MIGRATION,
];

/// The embedded store. One writer connection, a few reader connections (WAL lets reads run
/// beside a write and beside each other), and the data directory's lock held for the
/// store's lifetime.
pub struct SqliteStore {
    path: PathBuf,
    dir: PathBuf,
    busy_timeout_ms: u64,
    audit: AuditLog,
    writer: Mutex<Connection>,
    readers: Box<[Mutex<Connection>]>,
    next_reader: AtomicUsize,
    /// With `synchronous = full`: the log is synced after the writer is let go, one sync for
    /// every commit made meanwhile (see [`crate::log_sync`]).
    log_sync: Option<LogSync>,
    /// Copies the write-ahead log into the file a few times a second (dropped before the
    /// lock, after a last checkpoint).
    _checkpointer: Checkpointer,
    _lock: File,
}

/// The writer's page cache in KiB (SQLite's default is 2 MiB): a batch of 5,000
/// participants dirties about 1,300 pages (5 MiB), which spilled into the log mid-batch.
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// The log's length in pages past which the writer checkpoints in its own commit: a
/// backstop for a checkpoint thread that cannot keep up (about 64 MB of 4 KB pages), far
/// above SQLite's default of 1,000, which put a copy of the log into one write in every
/// few hundred.
const WRITER_CHECKPOINT_PAGES: u32 = 16_384;

/// The length the log file is cut back to when it starts over, if something (a long read
/// during a bulk load) let it grow past the writer's backstop. Not lower: a bulk load
/// leaves the log at about 70-80 MB, and cutting it to 16 MB each time it started over cost
/// the load what the thread saved (the file grown again, a second sync per growing commit).
const LOG_KEPT_BYTES: u64 = 128 << 20;

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, runs migrations, and takes the
    /// directory's lock. Fails with a clear error for a locked, read-only, newer or corrupt
    /// database; nothing half-opens.
    pub fn open(dir: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|error| StoreError::Open { path: dir.to_owned(), detail: error.to_string() })?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| StoreError::Open { path: lock_path.clone(), detail: error.to_string() })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::Locked { dir: dir.to_owned(), lock: lock_path }),
            Err(TryLockError::Error(error)) => {
                return Err(StoreError::Open { path: lock_path, detail: error.to_string() });
            }
        }
        let path = dir.join(DATABASE_FILE);
        let writer = open_connection(&path, options)?;
        if options.check_integrity {
            check_integrity(&writer, &path, options, &["participants", "offers", "changes"])?;
        }
        migrate(&writer, &path)?;
        if options.max_db_bytes > 0 {
            let page_size: i64 = writer.query_row("PRAGMA page_size", [], |row| row.get(0))?;
            let pages = (options.max_db_bytes / page_size.max(512) as u64).max(16);
            writer.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        }
        // Checkpoints run on their own thread, not in whichever commit takes the log past
        // SQLite's limit; the writer checkpoints only if the thread falls far behind. The
        // writer's page cache holds a whole bulk batch, so its pages reach the log once, at
        // commit, instead of being spilled (and written again) while the batch is inserted.
        writer
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}; PRAGMA journal_size_limit = {LOG_KEPT_BYTES};
                 PRAGMA cache_size = -{WRITER_CACHE_KIB};"
            ))
            .map_err(|error| classify(&path, error))?;
        let checkpointer = Checkpointer::start(&path, options, "store-checkpoint")?;
        // One reader per core, so requests reading offers and people on every core (a
        // recommendation reads its fifty candidate offers) do not queue for one connection.
        let readers = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get).clamp(2, 8);
        let readers = (0..readers)
            .map(|_| open_connection(&path, options).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?
            .into_boxed_slice();
        let audit = AuditLog::open(dir, options)?;
        let mut store = Self {
            path,
            dir: dir.to_owned(),
            busy_timeout_ms: options.busy_timeout_ms,
            audit,
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            log_sync: None,
            _checkpointer: checkpointer,
            _lock: lock,
        };
        store.move_legacy_audit()?;
        if options.synchronous == Synchronous::Full {
            // The writer's commits write the log; `write` syncs it once the writer is free.
            store
                .writer()
                .execute_batch("PRAGMA synchronous = NORMAL")
                .map_err(|error| classify(&store.path, error))?;
            store.log_sync = Some(LogSync::new(&store.path));
        }
        Ok(store)
    }

    /// The audit log (its own file in the data directory).
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// Moves audit entries written by schema version 1 (JSON rows in the main database)
    /// into the audit log, then drops the old table, in that order: a crash between the
    /// two moves them again, never loses them.
    fn move_legacy_audit(&self) -> Result<(), StoreError> {
        let connection = self.writer();
        let exists: bool = connection.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'audit'",
            [],
            |row| row.get(0),
        )?;
        if !exists {
            return Ok(());
        }
        let entries = crate::audit_log::legacy_entries(&connection)?;
        if !entries.is_empty() {
            self.audit.import(&entries)?;
        }
        connection.execute_batch("DROP TABLE audit")?;
        Ok(())
    }

    /// Turns SQLite's codes a caller acts on into their own errors.
    fn refine(&self, error: StoreError) -> StoreError {
        refine(error, &self.path, &self.dir, self.busy_timeout_ms)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A free reader connection, or the next one in turn when all are busy. No read takes a
    /// second connection while holding one.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        for reader in self.readers.iter() {
            match reader.try_lock() {
                Ok(connection) => return connection,
                Err(LockBusy::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(LockBusy::WouldBlock) => {}
            }
        }
        let next = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[next].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one immediate transaction and commits it if the request's gate is
    /// still open, then returns once the commit is on disk (synced after the writer is let
    /// go, shared with commits made meanwhile). A lock held elsewhere is waited for
    /// (SQLite's busy handler, bounded by the busy timeout) and the whole transaction
    /// retried a few times before `Busy`.
    fn write<T>(&self, mut work: impl FnMut(&dyn Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if let Some(log_sync) = &self.log_sync {
            log_sync.check()?;
        }
        let mut connection = self.writer();
        let mut attempt = 0;
        let (result, durable) = loop {
            attempt += 1;
            let result = (|| {
                let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let result = work(&Lite(&transaction))?;
                if !crate::gate::may_commit() {
                    return Err(StoreError::DeadlinePassed);
                }
                transaction.commit()?;
                Ok(result)
            })()
            .map_err(|error| self.refine(error));
            match result {
                Err(StoreError::Busy { .. }) if attempt < BUSY_ATTEMPTS => continue,
                Err(StoreError::Busy { path, .. }) => {
                    return Err(StoreError::Busy { path, waited_ms: self.busy_timeout_ms * u64::from(attempt) });
                }
                Err(error) => return Err(error),
                Ok(result) => break (result, self.log_sync.as_ref().map(|log_sync| (log_sync, log_sync.committed()))),
            }
        };
        drop(connection);
        if let Some((log_sync, ticket)) = durable {
            log_sync.wait_durable(ticket)?;
        }
        Ok(result)
    }
}

fn migrate(connection: &Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 =
        connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(|error| classify(path, error))?;
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(StoreError::NewerSchema { path: path.to_owned(), found, supported });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let migrated = (|| {
            connection.execute_batch(&format!("BEGIN; {migration};"))?;
            if version == 2 {
                backfill_checksums(connection)?;
            }
            connection.execute_batch(&format!("PRAGMA user_version = {version}; COMMIT;"))?;
            Ok::<_, StoreError>(())
        })();
        if let Err(error) = migrated {
            let _ = connection.execute_batch("ROLLBACK");
            return Err(match error {
                StoreError::Database(error) => classify(path, error),
                other => other,
            });
        }
    }
    Ok(())
}

/// Gives every record written before schema version 2 its checksum, inside the migration
/// to version 2 (so a later start never has to look for records without one: that was a
/// scan of every record at every start).
fn backfill_checksums(connection: &Connection) -> Result<(), StoreError> {
    for (table, _) in RECORD_TABLES {
        let missing: Vec<(i64, String)> = connection
            .prepare(&format!("SELECT rowid, data FROM {table} WHERE checksum IS NULL"))?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut update = connection.prepare(&format!("UPDATE {table} SET checksum = ?1 WHERE rowid = ?2"))?;
        for (rowid, data) in missing {
            update.execute(params![checksum(&data), rowid])?;
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn upsert_participant(&self, participant: &Participant) -> Result<WriteOutcome, StoreError> {
        self.write(|tx| records::upsert_participant_in(tx, participant))
    }

    fn upsert_participants(&self, participants: &[Participant]) -> Result<Vec<WriteOutcome>, StoreError> {
        let encoded = records::encode_participants(participants)?;
        self.write(|tx| records::write_encoded(tx, "participants", &encoded))
    }

    fn participant(&self, id: &ParticipantId) -> Result<Option<Participant>, StoreError> {
        records::get_by_id(&Lite(&self.reader()), "participants", id.as_str())
    }

    fn participants_by_id(&self, ids: &[ParticipantId]) -> Result<Vec<Option<Participant>>, StoreError> {
        records::participants_by_id(&Lite(&self.reader()), ids)
    }

    fn offers_by_key(&self, keys: &[OfferKey]) -> Result<Vec<Option<Offer>>, StoreError> {
        records::offers_by_key(&Lite(&self.reader()), keys)
    }

    fn delete_participant(
        &self,
        id: &ParticipantId,
        stamp: &Stamp,
    ) -> Result<Option<crate::model::Erasure>, StoreError> {
        let seq = self.write(|tx| {
            let Some(seq) = records::delete_by_id(tx, "participants", id.as_str(), ChangeKey::Participant(id.clone()))?
            else {
                return Ok(None);
            };
            Ok(Some((seq, crate::referrals::erase_participant(tx, id, stamp)?)))
        })?;
        if seq.is_some() {
            // Erasure: move the overwritten pages out of the WAL into the database file and
            // truncate the WAL, so no older copy of the record stays on disk.
            self.writer().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(seq)
    }

    fn for_each_participant(
        &self,
        visit: &mut dyn FnMut(Participant) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        records::for_each_participant(&Lite(&self.reader()), visit)
    }

    fn upsert_coach(&self, coach: &JobCoach) -> Result<WriteOutcome, StoreError> {
        self.upsert_coaches(std::slice::from_ref(coach)).map(|mut outcomes| outcomes.remove(0))
    }

    fn upsert_coaches(&self, coaches: &[JobCoach]) -> Result<Vec<WriteOutcome>, StoreError> {
        let encoded = records::encode_coaches(coaches)?;
        self.write(|tx| records::write_encoded(tx, "coaches", &encoded))
    }

    fn coach(&self, id: &CoachId) -> Result<Option<JobCoach>, StoreError> {
        records::get_by_id(&Lite(&self.reader()), "coaches", id.as_str())
    }

    fn delete_coach(&self, id: &CoachId) -> Result<Option<u64>, StoreError> {
        self.write(|tx| records::delete_by_id(tx, "coaches", id.as_str(), ChangeKey::Coach(id.clone())))
    }

    fn coaches(&self) -> Result<Vec<JobCoach>, StoreError> {
        records::coaches(&Lite(&self.reader()))
    }

    fn upsert_offer(&self, offer: &Offer) -> Result<WriteOutcome, StoreError> {
        self.write(|tx| records::upsert_offer_in(tx, offer))
    }

    fn upsert_offers(&self, offers: &[Offer]) -> Result<Vec<WriteOutcome>, StoreError> {
        self.write(|tx| records::upsert_offers(tx, offers))
    }

    fn offer(&self, key: &OfferKey) -> Result<Option<Offer>, StoreError> {
        records::offer(&Lite(&self.reader()), key)
    }

    fn offer_with_seq(&self, key: &OfferKey) -> Result<Option<(Offer, u64)>, StoreError> {
        records::offer_with_seq(&Lite(&self.reader()), key)
    }

    fn delete_offer(&self, key: &OfferKey) -> Result<Option<u64>, StoreError> {
        self.write(|tx| records::delete_offer(tx, key))
    }

    fn create_referral(&self, new: &NewReferral, stamp: &Stamp) -> Result<ReferralWrite, StoreError> {
        self.write(|tx| crate::referrals::create(tx, new, stamp))
    }

    fn transition_referral(&self, step: &ReferralMove, stamp: &Stamp) -> Result<ReferralWrite, StoreError> {
        self.write(|tx| crate::referrals::transition(tx, step, stamp))
    }

    fn referral(&self, id: &str) -> Result<Option<Referral>, StoreError> {
        crate::referrals::get(&Lite(&self.reader()), id, true)
    }

    fn referrals(&self, query: &ReferralQuery) -> Result<Vec<Referral>, StoreError> {
        crate::referrals::list(&Lite(&self.reader()), query)
    }

    fn for_each_referral(
        &self,
        only_held: bool,
        visit: &mut dyn FnMut(Referral) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        crate::referrals::for_each(&Lite(&self.reader()), only_held, visit)
    }

    fn sweep_referrals(&self, stale_before_ms: i64, stamp: &Stamp) -> Result<Vec<(u64, String)>, StoreError> {
        self.write(|tx| crate::referrals::sweep(tx, stale_before_ms, stamp))
    }

    fn record_outcome(&self, check: &OutcomeCheck, stamp: &Stamp) -> Result<OutcomeCheck, StoreError> {
        self.write(|tx| crate::referrals::record_outcome(tx, check, stamp))
    }

    fn outcomes(&self) -> Result<Vec<OutcomeCheck>, StoreError> {
        crate::referrals::outcomes(&Lite(&self.reader()))
    }

    fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        crate::sql::changes_after(&Lite(&self.reader()), after, limit)
    }

    fn participant_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.reader().query_row("SELECT COUNT(*) FROM participants", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        let seq: Option<i64> = self.reader().query_row("SELECT MAX(seq) FROM changes", [], |row| row.get(0))?;
        Ok(seq.unwrap_or(0) as u64)
    }

    fn sync_committed(&self) -> Result<(), StoreError> {
        self.log_sync.as_ref().map_or(Ok(()), LogSync::sync_committed)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<u64, StoreError> {
        self.audit.append(entry)
    }

    fn list_audit(&self, query: &AuditQuery) -> Result<Vec<(u64, AuditEntry)>, StoreError> {
        self.audit.list(query)
    }

    fn exposure_days(&self, from_day: i64, until_day: i64, region: Option<&str>) -> Result<ExposureDays, StoreError> {
        self.audit.exposure_days(from_day, until_day, region)
    }

    fn audit_stats(&self) -> Result<AuditStats, StoreError> {
        self.audit.stats()
    }

    fn archive_audit_before(&self, cutoff_ms: i64) -> Result<Option<ArchiveFile>, StoreError> {
        self.audit.archive_before(cutoff_ms)
    }

    fn verify(&self, report: &mut dyn FnMut(Damage)) -> Result<VerifyCounts, StoreError> {
        let connection = self.reader();
        let mut counts = VerifyCounts::default();
        let verdict: String = connection.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        if verdict != "ok" {
            counts.damaged += 1;
            report(Damage { what: format!("database file {}", self.path.display()), detail: verdict });
        }
        records::verify(&Lite(&connection), &mut counts, report)?;
        drop(connection);
        let audit = self.audit.verify(report)?;
        counts.audit_entries = audit.audit_entries;
        counts.damaged += audit.damaged;
        Ok(counts)
    }
}
