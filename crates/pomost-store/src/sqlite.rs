//! The embedded store: one SQLite file in the data directory, WAL mode, versioned
//! migrations, and an exclusive lock so two processes never share a data directory.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use pomost_domain::{CoachId, JobCoach, Offer, OfferKey, OutcomeCheck, Participant, ParticipantId, Referral};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::audit::{ArchiveFile, AuditStats};
use crate::audit::{AuditEntry, AuditQuery};
use crate::audit_log::AuditLog;
use crate::connection::{BUSY_ATTEMPTS, SqliteOptions, check_integrity, classify, open_connection, refine};
use crate::error::StoreError;
use crate::model::{Change, ChangeKey, ChangeOp, Damage, Store, VerifyCounts, WriteOutcome};
use crate::referrals::{NewReferral, ReferralMove, ReferralQuery, ReferralWrite, Stamp};

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
];

/// The tables holding records, with their key columns.
const RECORD_TABLES: [(&str, &str); 3] =
    [("participants", "id"), ("coaches", "id"), ("offers", "source || '/' || external_id")];

/// The checksum stored beside a record's text.
pub(crate) fn checksum(data: &str) -> i64 {
    i64::from(crc32fast::hash(data.as_bytes()))
}

/// The embedded store. One writer connection, one reader connection (WAL lets reads run
/// beside a write), and the data directory's lock held for the store's lifetime.
pub struct SqliteStore {
    path: PathBuf,
    dir: PathBuf,
    busy_timeout_ms: u64,
    audit: AuditLog,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    _lock: File,
}

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
            check_integrity(&writer, &path)?;
        }
        migrate(&writer, &path)?;
        if options.max_db_bytes > 0 {
            let page_size: i64 = writer.query_row("PRAGMA page_size", [], |row| row.get(0))?;
            let pages = (options.max_db_bytes / page_size.max(512) as u64).max(16);
            writer.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        }
        let reader = open_connection(&path, options)?;
        let audit = AuditLog::open(dir, options)?;
        let store = Self {
            path,
            dir: dir.to_owned(),
            busy_timeout_ms: options.busy_timeout_ms,
            audit,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            _lock: lock,
        };
        store.move_legacy_audit()?;
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

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one immediate transaction and commits it if the request's gate is
    /// still open. A lock held elsewhere is waited for (SQLite's busy handler, bounded by
    /// the busy timeout) and the whole transaction retried a few times before `Busy`.
    fn write<T>(&self, mut work: impl FnMut(&Transaction) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = self.writer();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = (|| {
                let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let result = work(&transaction)?;
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
                other => return other,
            }
        }
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
        connection.execute_batch(&format!("BEGIN; {migration}; PRAGMA user_version = {version}; COMMIT;")).map_err(
            |error| {
                let _ = connection.execute_batch("ROLLBACK");
                classify(path, error)
            },
        )?;
    }
    backfill_checksums(connection).map_err(|error| match error {
        StoreError::Database(error) => classify(path, error),
        other => other,
    })
}

/// Gives every record written before schema version 2 its checksum.
fn backfill_checksums(connection: &Connection) -> Result<(), StoreError> {
    connection.execute_batch("BEGIN")?;
    let result = (|| {
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
        Ok::<_, StoreError>(())
    })();
    match result {
        Ok(()) => Ok(connection.execute_batch("COMMIT")?),
        Err(error) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}

/// The decoded record if its text still matches its checksum.
pub(crate) fn verified<T: DeserializeOwned>(what: &str, data: &str, stored: Option<i64>) -> Result<T, StoreError> {
    if let Some(stored) = stored
        && stored != checksum(data)
    {
        return Err(StoreError::Damaged { what: what.to_owned(), detail: "checksum mismatch".into() });
    }
    serde_json::from_str(data)
        .map_err(|error| StoreError::Damaged { what: what.to_owned(), detail: format!("cannot decode: {error}") })
}

fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::Decode { what: "record".into(), detail: error.to_string() })
}

fn decode<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Decode { what: what.to_owned(), detail: error.to_string() })
}

pub(crate) fn record_change(transaction: &Transaction, op: ChangeOp, key: &ChangeKey) -> Result<u64, StoreError> {
    let (entity, entity_key) = match key {
        ChangeKey::Participant(id) => ("participant", id.to_string()),
        ChangeKey::Coach(id) => ("coach", id.to_string()),
        ChangeKey::Offer(key) => ("offer", encode(&(&key.source, &key.external_id))?),
        ChangeKey::Referral(id) => ("referral", id.clone()),
    };
    let op = match op {
        ChangeOp::Upsert => "upsert",
        ChangeOp::Delete => "delete",
    };
    transaction
        .prepare_cached("INSERT INTO changes (entity, entity_key, op) VALUES (?1, ?2, ?3)")?
        .execute(params![entity, entity_key, op])?;
    Ok(transaction.last_insert_rowid() as u64)
}

fn parse_change(seq: i64, entity: &str, entity_key: String, op: &str) -> Result<Change, StoreError> {
    let bad = |detail: String| StoreError::Decode { what: format!("change {seq}"), detail };
    let key = match entity {
        "participant" => {
            ChangeKey::Participant(ParticipantId::new(entity_key).map_err(|error| bad(error.to_string()))?)
        }
        "coach" => ChangeKey::Coach(CoachId::new(entity_key).map_err(|error| bad(error.to_string()))?),
        "offer" => {
            let (source, external_id): (String, String) = decode(&format!("change {seq}"), &entity_key)?;
            ChangeKey::Offer(OfferKey { source, external_id })
        }
        "referral" => ChangeKey::Referral(entity_key),
        other => return Err(bad(format!("unknown entity {other:?}"))),
    };
    let op = match op {
        "upsert" => ChangeOp::Upsert,
        "delete" => ChangeOp::Delete,
        other => return Err(bad(format!("unknown operation {other:?}"))),
    };
    Ok(Change { seq: seq as u64, op, key })
}

/// Writes a record keyed by one id into `table`, unless the same bytes are stored already.
fn upsert_by_id(
    transaction: &Transaction,
    table: &str,
    id: &str,
    data: &str,
    key: ChangeKey,
) -> Result<WriteOutcome, StoreError> {
    let stored: Option<String> = transaction
        .prepare_cached(&format!("SELECT data FROM {table} WHERE id = ?1"))?
        .query_row([id], |row| row.get(0))
        .optional()?;
    if stored.as_deref() == Some(data) {
        return Ok(WriteOutcome::Unchanged);
    }
    let seq = record_change(transaction, ChangeOp::Upsert, &key)?;
    transaction
        .prepare_cached(&format!(
            "INSERT INTO {table} (id, data, updated_seq, checksum) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE
             SET data = excluded.data, updated_seq = excluded.updated_seq, checksum = excluded.checksum"
        ))?
        .execute(params![id, data, seq as i64, checksum(data)])?;
    Ok(WriteOutcome::Written { seq })
}

fn delete_by_id(transaction: &Transaction, table: &str, id: &str, key: ChangeKey) -> Result<Option<u64>, StoreError> {
    let deleted = transaction.prepare_cached(&format!("DELETE FROM {table} WHERE id = ?1"))?.execute([id])?;
    if deleted == 0 {
        return Ok(None);
    }
    Ok(Some(record_change(transaction, ChangeOp::Delete, &key)?))
}

fn upsert_participant_in(transaction: &Transaction, participant: &Participant) -> Result<WriteOutcome, StoreError> {
    let participant = participant.clone().validated()?;
    let data = encode(&participant)?;
    upsert_by_id(
        transaction,
        "participants",
        participant.id.as_str(),
        &data,
        ChangeKey::Participant(participant.id.clone()),
    )
}

fn upsert_offer_in(transaction: &Transaction, offer: &Offer) -> Result<WriteOutcome, StoreError> {
    offer.check()?;
    let stored: Option<i64> = transaction
        .prepare_cached("SELECT version FROM offers WHERE source = ?1 AND external_id = ?2")?
        .query_row(params![offer.key.source, offer.key.external_id], |row| row.get(0))
        .optional()?;
    if let Some(stored_version) = stored
        && stored_version as u64 >= offer.version
    {
        return Ok(WriteOutcome::Stale { stored_version: stored_version as u64 });
    }
    let data = encode(offer)?;
    let version = i64::try_from(offer.version)
        .map_err(|_| StoreError::Invalid(pomost_domain::ValidationError::new("offer.version", "is over 2^63 - 1")))?;
    let seq = record_change(transaction, ChangeOp::Upsert, &ChangeKey::Offer(offer.key.clone()))?;
    transaction
        .prepare_cached(
            "INSERT INTO offers (source, external_id, version, data, updated_seq, checksum)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (source, external_id) DO UPDATE
             SET version = excluded.version, data = excluded.data, updated_seq = excluded.updated_seq,
                 checksum = excluded.checksum",
        )?
        .execute(params![offer.key.source, offer.key.external_id, version, &data, seq as i64, checksum(&data)])?;
    Ok(WriteOutcome::Written { seq })
}

fn get_by_id<T: DeserializeOwned>(connection: &Connection, table: &str, id: &str) -> Result<Option<T>, StoreError> {
    let data: Option<(String, Option<i64>)> = connection
        .prepare_cached(&format!("SELECT data, checksum FROM {table} WHERE id = ?1"))?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    data.map(|(text, stored)| verified(&format!("{table} {id}"), &text, stored)).transpose()
}

impl Store for SqliteStore {
    fn upsert_participant(&self, participant: &Participant) -> Result<WriteOutcome, StoreError> {
        self.write(|transaction| upsert_participant_in(transaction, participant))
    }

    fn upsert_participants(&self, participants: &[Participant]) -> Result<Vec<WriteOutcome>, StoreError> {
        self.write(|transaction| {
            participants.iter().map(|participant| upsert_participant_in(transaction, participant)).collect()
        })
    }

    fn participant(&self, id: &ParticipantId) -> Result<Option<Participant>, StoreError> {
        get_by_id(&self.reader(), "participants", id.as_str())
    }

    fn delete_participant(
        &self,
        id: &ParticipantId,
        stamp: &Stamp,
    ) -> Result<Option<crate::model::Erasure>, StoreError> {
        let seq = self.write(|transaction| {
            let Some(seq) = delete_by_id(transaction, "participants", id.as_str(), ChangeKey::Participant(id.clone()))?
            else {
                return Ok(None);
            };
            Ok(Some((seq, crate::referrals::erase_participant(transaction, id, stamp)?)))
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
        let connection = self.reader();
        let mut statement = connection.prepare("SELECT id, data, checksum FROM participants")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let data: String = row.get(1)?;
            visit(verified(&format!("participant {id}"), &data, row.get(2)?)?)?;
        }
        Ok(())
    }

    fn upsert_coach(&self, coach: &JobCoach) -> Result<WriteOutcome, StoreError> {
        let coach = coach.clone().validated()?;
        let data = encode(&coach)?;
        self.write(|transaction| {
            upsert_by_id(transaction, "coaches", coach.id.as_str(), &data, ChangeKey::Coach(coach.id.clone()))
        })
    }

    fn upsert_coaches(&self, coaches: &[JobCoach]) -> Result<Vec<WriteOutcome>, StoreError> {
        let encoded = coaches
            .iter()
            .map(|coach| {
                let coach = coach.clone().validated()?;
                Ok((encode(&coach)?, coach.id))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write(|transaction| {
            encoded
                .iter()
                .map(|(data, id)| upsert_by_id(transaction, "coaches", id.as_str(), data, ChangeKey::Coach(id.clone())))
                .collect()
        })
    }

    fn coach(&self, id: &CoachId) -> Result<Option<JobCoach>, StoreError> {
        get_by_id(&self.reader(), "coaches", id.as_str())
    }

    fn delete_coach(&self, id: &CoachId) -> Result<Option<u64>, StoreError> {
        self.write(|transaction| delete_by_id(transaction, "coaches", id.as_str(), ChangeKey::Coach(id.clone())))
    }

    fn coaches(&self) -> Result<Vec<JobCoach>, StoreError> {
        let connection = self.reader();
        let mut statement = connection.prepare("SELECT id, data, checksum FROM coaches ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<i64>>(2)?))
        })?;
        rows.map(|row| {
            let (id, data, stored) = row?;
            verified(&format!("coach {id}"), &data, stored)
        })
        .collect()
    }

    fn upsert_offer(&self, offer: &Offer) -> Result<WriteOutcome, StoreError> {
        self.write(|transaction| upsert_offer_in(transaction, offer))
    }

    fn upsert_offers(&self, offers: &[Offer]) -> Result<Vec<WriteOutcome>, StoreError> {
        self.write(|transaction| offers.iter().map(|offer| upsert_offer_in(transaction, offer)).collect())
    }

    fn offer(&self, key: &OfferKey) -> Result<Option<Offer>, StoreError> {
        let connection = self.reader();
        let data: Option<(String, Option<i64>)> = connection
            .prepare_cached("SELECT data, checksum FROM offers WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![key.source, key.external_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        data.map(|(text, stored)| verified(&format!("offer {key}"), &text, stored)).transpose()
    }

    fn offer_with_seq(&self, key: &OfferKey) -> Result<Option<(Offer, u64)>, StoreError> {
        let connection = self.reader();
        let data: Option<(String, Option<i64>, i64)> = connection
            .prepare_cached("SELECT data, checksum, updated_seq FROM offers WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![key.source, key.external_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?;
        data.map(|(text, stored, seq)| Ok((verified(&format!("offer {key}"), &text, stored)?, seq as u64))).transpose()
    }

    fn delete_offer(&self, key: &OfferKey) -> Result<Option<u64>, StoreError> {
        self.write(|transaction| {
            let deleted = transaction
                .prepare_cached("DELETE FROM offers WHERE source = ?1 AND external_id = ?2")?
                .execute(params![key.source, key.external_id])?;
            if deleted == 0 {
                return Ok(None);
            }
            Ok(Some(record_change(transaction, ChangeOp::Delete, &ChangeKey::Offer(key.clone()))?))
        })
    }

    fn create_referral(&self, new: &NewReferral, stamp: &Stamp) -> Result<ReferralWrite, StoreError> {
        self.write(|transaction| crate::referrals::create(transaction, new, stamp))
    }

    fn transition_referral(&self, step: &ReferralMove, stamp: &Stamp) -> Result<ReferralWrite, StoreError> {
        self.write(|transaction| crate::referrals::transition(transaction, step, stamp))
    }

    fn referral(&self, id: &str) -> Result<Option<Referral>, StoreError> {
        crate::referrals::get(&self.reader(), id, true)
    }

    fn referrals(&self, query: &ReferralQuery) -> Result<Vec<Referral>, StoreError> {
        crate::referrals::list(&self.reader(), query)
    }

    fn for_each_referral(
        &self,
        only_held: bool,
        visit: &mut dyn FnMut(Referral) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        crate::referrals::for_each(&self.reader(), only_held, visit)
    }

    fn sweep_referrals(&self, stale_before_ms: i64, stamp: &Stamp) -> Result<Vec<(u64, String)>, StoreError> {
        self.write(|transaction| crate::referrals::sweep(transaction, stale_before_ms, stamp))
    }

    fn record_outcome(&self, check: &OutcomeCheck, stamp: &Stamp) -> Result<OutcomeCheck, StoreError> {
        self.write(|transaction| crate::referrals::record_outcome(transaction, check, stamp))
    }

    fn outcomes(&self) -> Result<Vec<OutcomeCheck>, StoreError> {
        crate::referrals::outcomes(&self.reader())
    }

    fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let connection = self.reader();
        let mut statement = connection
            .prepare_cached("SELECT seq, entity, entity_key, op FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = statement.query_map(params![after as i64, limit as i64], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?))
        })?;
        rows.map(|row| {
            let (seq, entity, entity_key, op) = row?;
            parse_change(seq, &entity, entity_key, &op)
        })
        .collect()
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        let seq: Option<i64> = self.reader().query_row("SELECT MAX(seq) FROM changes", [], |row| row.get(0))?;
        Ok(seq.unwrap_or(0) as u64)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<u64, StoreError> {
        self.audit.append(entry)
    }

    fn list_audit(&self, query: &AuditQuery) -> Result<Vec<(u64, AuditEntry)>, StoreError> {
        self.audit.list(query)
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
        for (table, key) in RECORD_TABLES {
            let mut statement = connection.prepare(&format!("SELECT {key}, data, checksum FROM {table}"))?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                counts.records += 1;
                let key: String = row.get(0)?;
                let data: String = row.get(1)?;
                let what = format!("{} {key}", &table[..table.len() - 1]);
                let decoded = match table {
                    "participants" => verified::<Participant>(&what, &data, row.get(2)?)
                        .and_then(|record| record.validated().map(|_| ()).map_err(StoreError::from)),
                    "coaches" => verified::<JobCoach>(&what, &data, row.get(2)?)
                        .and_then(|record| record.validated().map(|_| ()).map_err(StoreError::from)),
                    _ => verified::<Offer>(&what, &data, row.get(2)?)
                        .and_then(|record| record.check().map_err(StoreError::from)),
                };
                if let Err(error) = decoded {
                    counts.damaged += 1;
                    let detail = match error {
                        StoreError::Damaged { detail, .. } => detail,
                        other => other.to_string(),
                    };
                    report(Damage { what, detail });
                }
            }
        }
        let mut statement = connection.prepare("SELECT seq, entity, entity_key, op FROM changes ORDER BY seq")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            counts.changes += 1;
            let seq: i64 = row.get(0)?;
            if let Err(error) = parse_change(seq, &row.get::<_, String>(1)?, row.get(2)?, &row.get::<_, String>(3)?) {
                counts.damaged += 1;
                report(Damage { what: format!("change {seq}"), detail: error.to_string() });
            }
        }
        drop(rows);
        drop(statement);
        drop(connection);
        let audit = self.audit.verify(report)?;
        counts.audit_entries = audit.audit_entries;
        counts.damaged += audit.damaged;
        Ok(counts)
    }
}
