//! The audit log: its own SQLite file beside the main database, so audit writes never wait
//! behind record writes (and the reverse), and its size is the size of one file.
//!
//! - Group commit: every caller queues its entry, then takes the writer; whoever gets it
//!   commits everything queued in one transaction (one sync), and each caller returns only
//!   once its own entry is durable.
//! - Compact rows: names (ids, offer keys, callers, policy versions) are stored once in a
//!   dictionary and referenced by number; results are varints with scores delta-coded on
//!   their bit patterns (exact, not rounded). See [`crate::audit_codec`].
//! - Retention: [`AuditLog::archive_before`] exports old entries to a gzip-compressed NDJSON
//!   file with a SHA-256 sidecar, syncs both, and only then deletes them.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use pomost_domain::{OfferKey, ParticipantId};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::audit::{ArchiveFile, AuditAction, AuditEntry, AuditQuery, AuditStats, Caller};
use crate::audit_codec::{Body, decode_body, encode_body};
use crate::checkpoint::Checkpointer;
use crate::connection::{SqliteOptions, check_integrity, classify, open_connection, refine};
use crate::error::StoreError;
use crate::exposure_days::{DAY_MS, ExposureDays, LISTS, UNSUMMED, add_row, day_sums};
use crate::group::GroupCommit;
use crate::model::{Damage, VerifyCounts};

/// The audit file inside the data directory.
pub const AUDIT_FILE: &str = "audit.sqlite3";
/// Where archives go, inside the data directory.
pub const ARCHIVE_DIR: &str = "audit-archive";

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS names (
        id INTEGER PRIMARY KEY,
        kind INTEGER NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (kind, text)
    );
    CREATE TABLE IF NOT EXISTS entries (
        entry INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        request_id BLOB NOT NULL,
        caller INTEGER NOT NULL,
        action INTEGER NOT NULL,
        offer INTEGER,
        participant INTEGER,
        policy INTEGER NOT NULL,
        body BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS entries_at ON entries (at_ms);
    CREATE INDEX IF NOT EXISTS entries_offer ON entries (offer, at_ms) WHERE offer IS NOT NULL;
";

/// Audit files written before entries kept the vocabulary version gain its column (empty
/// for their old entries).
fn add_vocabulary_column(connection: &Connection) -> rusqlite::Result<()> {
    let has_column =
        connection.prepare("SELECT 1 FROM pragma_table_info('entries') WHERE name = 'vocabulary'")?.exists([])?;
    if !has_column {
        connection.execute_batch("ALTER TABLE entries ADD COLUMN vocabulary INTEGER")?;
    }
    Ok(())
}

/// The daily sums of shortlist figures (see [`crate::exposure_days`]). Created with a mark
/// on every day that already has entries, in the same transaction, so those days are read
/// entry by entry and never taken for empty.
fn add_exposure_days(connection: &Connection) -> rusqlite::Result<()> {
    let exists = connection.prepare("SELECT 1 FROM sqlite_master WHERE name = 'exposure_days'")?.exists([])?;
    if !exists {
        connection.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             CREATE TABLE exposure_days (
                 day INTEGER NOT NULL,
                 region TEXT NOT NULL,
                 grp INTEGER NOT NULL,
                 eligible INTEGER NOT NULL,
                 exposure REAL NOT NULL,
                 PRIMARY KEY (day, region, grp)
             ) WITHOUT ROWID;
             INSERT INTO exposure_days (day, region, grp, eligible, exposure)
                 SELECT at_ms / {DAY_MS}, '', {UNSUMMED}, count(*), 0 FROM entries GROUP BY 1;
             COMMIT;"
        ))?;
    }
    Ok(())
}

/// Adds a batch's figures to the daily sums, inside its transaction.
fn add_day_sums(transaction: &rusqlite::Transaction, entries: &[&AuditEntry]) -> rusqlite::Result<()> {
    let mut statement = transaction.prepare_cached(
        "INSERT INTO exposure_days (day, region, grp, eligible, exposure) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (day, region, grp) DO UPDATE SET
             eligible = exposure_days.eligible + excluded.eligible,
             exposure = exposure_days.exposure + excluded.exposure",
    )?;
    for ((day, region, group), (eligible, attention)) in day_sums(entries) {
        statement.execute(params![day, region, group, eligible, attention])?;
    }
    Ok(())
}

/// The columns `read_entry` decodes, in its order.
const ENTRY_COLUMNS: &str = "entry, at_ms, request_id, caller, action, offer, participant, policy, body, vocabulary";

/// What a dictionary name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// A participant id or a returned id.
    Id = 0,
    /// An offer key, `source` and `external_id` joined by U+001F.
    Offer = 1,
    /// A caller, `name` and `role` joined by U+001F.
    Caller = 2,
    /// A policy version.
    Policy = 3,
    /// A vocabulary version.
    Vocabulary = 4,
}

const SEPARATOR: char = '\u{1f}';

struct Writer {
    connection: Connection,
    names: Names,
}

/// Dictionary numbers by kind and text, looked up by `&str` (every list looks up about
/// fifty ids: a key built per lookup was an allocation each).
#[derive(Default)]
struct Names([HashMap<Box<str>, i64>; 5]);

impl Names {
    fn get(&self, kind: Kind, text: &str) -> Option<i64> {
        self.0[kind as usize].get(text).copied()
    }

    fn insert(&mut self, kind: Kind, text: &str, id: i64) {
        self.0[kind as usize].insert(text.into(), id);
    }

    fn len(&self) -> usize {
        self.0.iter().map(HashMap::len).sum()
    }

    /// Takes in the names a committed transaction added.
    fn extend(&mut self, added: Names) {
        for (mine, theirs) in self.0.iter_mut().zip(added.0) {
            mine.extend(theirs);
        }
    }

    fn clear(&mut self) {
        self.0.iter_mut().for_each(HashMap::clear);
    }
}

/// The audit log (see the module documentation).
pub struct AuditLog {
    path: PathBuf,
    dir: PathBuf,
    busy_timeout_ms: u64,
    writer: GroupCommit<AuditEntry, Writer>,
    reader: Mutex<Connection>,
    /// Checkpoints the log off the commit path (see [`crate::checkpoint`]). Declared last,
    /// so dropped last: its connection closes after the others and takes the last checkpoint.
    _checkpointer: Checkpointer,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AuditLog {
    /// Opens (creating if needed) the audit file in `dir`.
    pub fn open(dir: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = dir.join(AUDIT_FILE);
        let connection = open_connection(&path, options)?;
        if options.check_integrity {
            check_integrity(&connection, &path, options, &["entries", "names"])?;
        }
        connection.execute_batch(SCHEMA).map_err(|error| classify(&path, error))?;
        add_vocabulary_column(&connection).map_err(|error| classify(&path, error))?;
        add_exposure_days(&connection).map_err(|error| classify(&path, error))?;
        // Checkpoints run on their own thread, not in whichever commit crosses the limit.
        connection.execute_batch("PRAGMA wal_autocheckpoint = 0").map_err(|error| classify(&path, error))?;
        let reader = open_connection(&path, options)?;
        let checkpointer = Checkpointer::start(&path, options, "audit-checkpoint")?;
        Ok(Self {
            path,
            dir: dir.to_owned(),
            busy_timeout_ms: options.busy_timeout_ms,
            writer: GroupCommit::new(Writer { connection, names: Names::default() }),
            reader: Mutex::new(reader),
            _checkpointer: checkpointer,
        })
    }

    /// Appends an entry and returns its number once it is durable (group commit).
    pub fn append(&self, entry: &AuditEntry) -> Result<u64, StoreError> {
        self.writer.submit(entry.clone(), |writer, entries| writer.insert(entries).map_err(|error| self.refine(error)))
    }

    /// Writes entries carried over from an older schema, keeping their order and times.
    pub(crate) fn import(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut writer = self.writer.writer();
        for chunk in entries.chunks(10_000) {
            let refs: Vec<&AuditEntry> = chunk.iter().collect();
            writer.insert(&refs).map_err(|error| self.refine(error))?;
        }
        Ok(())
    }

    fn refine(&self, error: StoreError) -> StoreError {
        refine(error, &self.path, &self.dir, self.busy_timeout_ms)
    }

    /// Entries matching `query`, oldest first.
    pub fn list(&self, query: &AuditQuery) -> Result<Vec<(u64, AuditEntry)>, StoreError> {
        let mut conditions = vec!["entry > ?1".to_owned()];
        let mut values: Vec<rusqlite::types::Value> = vec![(query.after_entry.unwrap_or(0) as i64).into()];
        let mut add = |condition: &str, value: rusqlite::types::Value| {
            values.push(value);
            conditions.push(condition.replace('?', &format!("?{}", values.len())));
        };
        if let Some(from) = query.from_ms {
            add("at_ms >= ?", from.into());
        }
        if let Some(until) = query.until_ms {
            add("at_ms < ?", until.into());
        }
        if let Some(caller) = &query.caller {
            add(
                "caller IN (SELECT id FROM names WHERE kind = 2 AND substr(text, 1, length(?)) = ?)",
                format!("{caller}{SEPARATOR}").into(),
            );
        }
        if let Some(offer) = &query.offer {
            add("offer = (SELECT id FROM names WHERE kind = 1 AND text = ?)", offer_name(offer).into());
        }
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE {} ORDER BY entry LIMIT {}",
            conditions.join(" AND "),
            query.limit.min(10_000)
        );
        let connection = lock(&self.reader);
        let mut names = NameCache::default();
        let mut statement = connection.prepare(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(values))?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next()? {
            entries.push(read_entry(&connection, &mut names, row)?);
        }
        Ok(entries)
    }

    /// The daily sums of shortlist figures for the UTC days `from_day..until_day`, for
    /// workplaces whose TERYT code starts with `region` (`None`: every list, remote work
    /// included); days with unsummed entries are left out and named.
    pub fn exposure_days(
        &self,
        from_day: i64,
        until_day: i64,
        region: Option<&str>,
    ) -> Result<ExposureDays, StoreError> {
        let connection = lock(&self.reader);
        let mut days = ExposureDays::default();
        let mut statement = connection.prepare_cached(
            "SELECT DISTINCT day FROM exposure_days WHERE day >= ?1 AND day < ?2 AND grp = ?3 ORDER BY day",
        )?;
        days.unsummed_days =
            statement.query_map(params![from_day, until_day, UNSUMMED], |row| row.get(0))?.collect::<Result<_, _>>()?;
        let mut statement = connection.prepare_cached(
            "SELECT day, grp, eligible, exposure FROM exposure_days
             WHERE day >= ?1 AND day < ?2 AND grp >= ?3 AND (?4 IS NULL OR substr(region, 1, length(?4)) = ?4)",
        )?;
        let mut rows = statement.query(params![from_day, until_day, LISTS, region])?;
        while let Some(row) = rows.next()? {
            if days.unsummed_days.binary_search(&row.get(0)?).is_err() {
                add_row(&mut days, row.get(1)?, row.get(2)?, row.get(3)?);
            }
        }
        Ok(days)
    }

    /// The log's size on disk and in entries, and its archives.
    pub fn stats(&self) -> Result<AuditStats, StoreError> {
        let connection = lock(&self.reader);
        let (entries, oldest_ms, newest_ms): (i64, Option<i64>, Option<i64>) =
            connection.query_row("SELECT count(*), min(at_ms), max(at_ms) FROM entries", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
        let page_size: i64 = connection.query_row("PRAGMA page_size", [], |row| row.get(0))?;
        let free_pages: i64 = connection.query_row("PRAGMA freelist_count", [], |row| row.get(0))?;
        let pages: i64 = connection.query_row("PRAGMA page_count", [], |row| row.get(0))?;
        drop(connection);
        let file_size = |suffix: &str| {
            std::fs::metadata(format!("{}{suffix}", self.path.display())).map(|metadata| metadata.len()).unwrap_or(0)
        };
        let mut stats = AuditStats {
            entries: entries as u64,
            bytes_on_disk: file_size("") + file_size("-wal") + file_size("-shm"),
            free_bytes: (free_pages * page_size) as u64,
            used_bytes: ((pages - free_pages) * page_size) as u64,
            oldest_ms: oldest_ms.unwrap_or(0),
            newest_ms: newest_ms.unwrap_or(0),
            ..AuditStats::default()
        };
        if let Ok(archives) = std::fs::read_dir(self.dir.join(ARCHIVE_DIR)) {
            for archive in archives.flatten() {
                if archive.file_name().to_string_lossy().ends_with(".ndjson.gz") {
                    stats.archive_files += 1;
                    stats.archive_bytes += archive.metadata().map(|metadata| metadata.len()).unwrap_or(0);
                }
            }
        }
        Ok(stats)
    }

    /// Exports every entry older than `cutoff_ms` to an archive, syncs it, then deletes
    /// exactly the exported entries. A failure before the delete leaves the log whole.
    pub fn archive_before(&self, cutoff_ms: i64) -> Result<Option<ArchiveFile>, StoreError> {
        let entries = self.list_before(cutoff_ms)?;
        let Some(archive) = write_archive(&self.dir.join(ARCHIVE_DIR), &entries)? else { return Ok(None) };
        let (first, last) = (archive.first_entry, archive.last_entry);
        let writer = self.writer.writer();
        writer
            .connection
            .execute(
                "DELETE FROM entries WHERE at_ms < ?1 AND entry BETWEEN ?2 AND ?3",
                params![cutoff_ms, first as i64, last as i64],
            )
            .map_err(|error| self.refine(error.into()))?;
        Ok(Some(archive))
    }

    fn list_before(&self, cutoff_ms: i64) -> Result<Vec<(u64, AuditEntry)>, StoreError> {
        let connection = lock(&self.reader);
        let mut names = NameCache::default();
        let mut statement = connection
            .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE at_ms < ?1 ORDER BY entry LIMIT 1000000"))?;
        let mut rows = statement.query([cutoff_ms])?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next()? {
            entries.push(read_entry(&connection, &mut names, row)?);
        }
        Ok(entries)
    }

    /// Decodes every entry, reporting each that cannot be read.
    pub(crate) fn verify(&self, report: &mut dyn FnMut(Damage)) -> Result<VerifyCounts, StoreError> {
        let connection = lock(&self.reader);
        let mut counts = VerifyCounts::default();
        let verdict: String = connection.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        if verdict != "ok" {
            counts.damaged += 1;
            report(Damage { what: format!("audit file {}", self.path.display()), detail: verdict });
        }
        let mut names = NameCache::default();
        let mut statement = connection.prepare(&format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY entry"))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            counts.audit_entries += 1;
            if let Err(error) = read_entry(&connection, &mut names, row) {
                counts.damaged += 1;
                let entry: i64 = row.get(0)?;
                report(Damage { what: format!("audit entry {entry}"), detail: error.to_string() });
            }
        }
        Ok(counts)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn offer_name(key: &OfferKey) -> String {
    format!("{}{SEPARATOR}{}", key.source, key.external_id)
}

/// The dictionary number of a name, adding it inside the open transaction. New numbers go
/// to `added`, and into the cache only after the commit.
fn name(
    names: &Names,
    transaction: &rusqlite::Transaction,
    added: &mut Names,
    kind: Kind,
    text: &str,
) -> Result<i64, StoreError> {
    if let Some(id) = names.get(kind, text).or_else(|| added.get(kind, text)) {
        return Ok(id);
    }
    // A name missing from the cache is most often new: insert first, look up only when it
    // was there already (one statement instead of two for a new name).
    let inserted = transaction
        .prepare_cached("INSERT OR IGNORE INTO names (kind, text) VALUES (?1, ?2)")?
        .execute(params![kind as i64, text])?;
    let id = if inserted == 1 {
        transaction.last_insert_rowid()
    } else {
        transaction
            .prepare_cached("SELECT id FROM names WHERE kind = ?1 AND text = ?2")?
            .query_row(params![kind as i64, text], |row| row.get(0))?
    };
    added.insert(kind, text, id);
    Ok(id)
}

impl Writer {
    /// Inserts entries in one transaction; their numbers, in order.
    fn insert(&mut self, entries: &[&AuditEntry]) -> Result<Vec<u64>, StoreError> {
        let mut added = Names::default();
        let Writer { connection, names } = self;
        let transaction = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut numbers = Vec::with_capacity(entries.len());
        for entry in entries {
            let caller = name(
                names,
                &transaction,
                &mut added,
                Kind::Caller,
                &format!("{}{SEPARATOR}{}", entry.caller.name, entry.caller.role),
            )?;
            let offer = entry
                .offer
                .as_ref()
                .map(|key| name(names, &transaction, &mut added, Kind::Offer, &offer_name(key)))
                .transpose()?;
            let participant = entry
                .participant
                .as_ref()
                .map(|id| name(names, &transaction, &mut added, Kind::Id, id.as_str()))
                .transpose()?;
            let policy = name(names, &transaction, &mut added, Kind::Policy, &entry.policy_version)?;
            let vocabulary = (!entry.vocabulary_version.is_empty())
                .then(|| name(names, &transaction, &mut added, Kind::Vocabulary, &entry.vocabulary_version))
                .transpose()?;
            let mut ids = Vec::with_capacity(entry.results.len());
            for result in &entry.results {
                ids.push(name(names, &transaction, &mut added, Kind::Id, &result.id)?);
            }
            let body = encode_body(entry, &ids);
            let request_id: rusqlite::types::Value = match uuid_bytes(&entry.request_id) {
                // A UUIDv7 taken when the request arrived carries `at_ms` in its first six
                // bytes: keep only the other ten.
                Some(bytes) if uuid_v7_ms(&bytes) == Some(entry.at_ms) => bytes[6..].to_vec().into(),
                Some(bytes) => bytes.to_vec().into(),
                None => entry.request_id.clone().into(),
            };
            transaction
                .prepare_cached(
                    "INSERT INTO entries (at_ms, request_id, caller, action, offer, participant, policy, body, vocabulary)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    entry.at_ms,
                    request_id,
                    caller,
                    action_number(entry.action),
                    offer,
                    participant,
                    policy,
                    body,
                    vocabulary
                ])?;
            numbers.push(transaction.last_insert_rowid() as u64);
        }
        add_day_sums(&transaction, entries)?;
        transaction.commit()?;
        names.extend(added);
        if names.len() > 1_000_000 {
            names.clear();
        }
        Ok(numbers)
    }
}

fn action_number(action: AuditAction) -> i64 {
    match action {
        AuditAction::Shortlist => 0,
        AuditAction::RecommendOffers => 1,
        AuditAction::ExplainMatch => 2,
        AuditAction::ExposureAudit => 3,
        AuditAction::Referral => 4,
        AuditAction::Outcome => 5,
        AuditAction::WatchMatches => 6,
        AuditAction::AssignBatch => 7,
    }
}

fn action_of(number: i64) -> Option<AuditAction> {
    AuditAction::ALL.get(usize::try_from(number).ok()?).copied()
}

/// A UUID's 16 bytes, if `text` is one in its hyphenated form.
fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if text.len() != 36 || hex.len() != 32 || text.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    (uuid_text(&bytes) == text).then_some(bytes)
}

/// The millisecond timestamp of a version-7 UUID.
fn uuid_v7_ms(bytes: &[u8; 16]) -> Option<i64> {
    if bytes[6] >> 4 != 7 {
        return None;
    }
    let mut ms = [0u8; 8];
    ms[2..].copy_from_slice(&bytes[..6]);
    Some(i64::from_be_bytes(ms))
}

fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Names read during one listing.
#[derive(Default)]
struct NameCache(HashMap<i64, String>);

impl NameCache {
    fn get(&mut self, connection: &Connection, id: i64) -> Result<String, StoreError> {
        if let Some(text) = self.0.get(&id) {
            return Ok(text.clone());
        }
        let text: Option<String> = connection
            .prepare_cached("SELECT text FROM names WHERE id = ?1")?
            .query_row([id], |row| row.get(0))
            .optional()?;
        let text =
            text.ok_or_else(|| StoreError::Damaged { what: "audit name".into(), detail: format!("{id} is missing") })?;
        self.0.insert(id, text.clone());
        Ok(text)
    }
}

fn read_entry(
    connection: &Connection,
    names: &mut NameCache,
    row: &rusqlite::Row,
) -> Result<(u64, AuditEntry), StoreError> {
    let entry: i64 = row.get(0)?;
    let what = format!("audit entry {entry}");
    let damaged = |detail: String| StoreError::Damaged { what: what.clone(), detail };
    let at_ms: i64 = row.get(1)?;
    let request_id = match row.get_ref(2)? {
        ValueRef::Blob(bytes) if bytes.len() == 16 => uuid_text(bytes),
        ValueRef::Blob(rest) if rest.len() == 10 => {
            let mut bytes = at_ms.to_be_bytes()[2..].to_vec();
            bytes.extend_from_slice(rest);
            uuid_text(&bytes)
        }
        ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
        _ => return Err(damaged("request id is neither a UUID nor text".into())),
    };
    let caller = names.get(connection, row.get(3)?)?;
    let (name, role) = caller.split_once(SEPARATOR).ok_or_else(|| damaged("caller without a role".into()))?;
    let action = action_of(row.get(4)?).ok_or_else(|| damaged("unknown action".into()))?;
    let offer = match row.get::<_, Option<i64>>(5)? {
        Some(id) => {
            let text = names.get(connection, id)?;
            let (source, external_id) = text.split_once(SEPARATOR).ok_or_else(|| damaged("offer key".into()))?;
            Some(OfferKey { source: source.to_owned(), external_id: external_id.to_owned() })
        }
        None => None,
    };
    let participant = match row.get::<_, Option<i64>>(6)? {
        Some(id) => Some(ParticipantId::new(names.get(connection, id)?).map_err(|error| damaged(error.to_string()))?),
        None => None,
    };
    let policy_version = names.get(connection, row.get(7)?)?;
    let vocabulary_version = match row.get::<_, Option<i64>>(9)? {
        Some(id) => names.get(connection, id)?,
        None => String::new(),
    };
    let body: Vec<u8> = row.get(8)?;
    let Body { request, result_ids, scores } =
        decode_body(&body, at_ms, offer.as_ref()).map_err(|detail| damaged(detail.to_owned()))?;
    let mut results = Vec::with_capacity(result_ids.len());
    for (id, score) in result_ids.into_iter().zip(scores) {
        results.push(crate::audit::AuditResult { id: names.get(connection, id)?, score });
    }
    Ok((
        entry as u64,
        AuditEntry {
            request_id,
            at_ms,
            caller: Caller { name: name.to_owned(), role: role.to_owned() },
            action,
            offer,
            participant,
            request,
            results,
            policy_version,
            vocabulary_version,
        },
    ))
}

/// Entries of the schema-1 audit table (JSON rows in the main database), oldest first.
pub(crate) fn legacy_entries(connection: &Connection) -> Result<Vec<AuditEntry>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT request_id, at_ms, caller_name, caller_role, action, offer_source, offer_external_id,
         participant_id, request, results, policy_version FROM audit ORDER BY entry",
    )?;
    let mut rows = statement.query([])?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        let bad = |detail: String| StoreError::Decode { what: "legacy audit entry".into(), detail };
        let action: String = row.get(4)?;
        let source: Option<String> = row.get(5)?;
        let external_id: Option<String> = row.get(6)?;
        let participant: Option<String> = row.get(7)?;
        entries.push(AuditEntry {
            request_id: row.get(0)?,
            at_ms: row.get(1)?,
            caller: Caller { name: row.get(2)?, role: row.get(3)? },
            action: AuditAction::from_name(&action).ok_or_else(|| bad(format!("unknown action {action:?}")))?,
            offer: source.zip(external_id).map(|(source, external_id)| OfferKey { source, external_id }),
            participant: participant.map(ParticipantId::new).transpose().map_err(|error| bad(error.to_string()))?,
            request: serde_json::from_str(&row.get::<_, String>(8)?).map_err(|error| bad(error.to_string()))?,
            results: serde_json::from_str(&row.get::<_, String>(9)?).map_err(|error| bad(error.to_string()))?,
            policy_version: row.get(10)?,
            vocabulary_version: String::new(),
        });
    }
    Ok(entries)
}

/// Writes `entries` to a gzip-compressed NDJSON archive in `archive_dir` with a SHA-256
/// sidecar, both synced; `None` when there is nothing to archive. The caller deletes the
/// entries only after this returns.
pub(crate) fn write_archive(
    archive_dir: &Path,
    entries: &[(u64, AuditEntry)],
) -> Result<Option<ArchiveFile>, StoreError> {
    let (Some(first), Some(last)) = (entries.first().map(|(number, _)| *number), entries.last().map(|e| e.0)) else {
        return Ok(None);
    };
    let name = format!("audit-{first:012}-{last:012}.ndjson.gz");
    let path = archive_dir.join(&name);
    let fail = |detail: String| StoreError::Archive { path: path.clone(), detail };
    std::fs::create_dir_all(archive_dir).map_err(|error| fail(error.to_string()))?;
    let temporary = archive_dir.join(format!("{name}.partial"));
    let bytes = {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for (number, entry) in entries {
            let line = serde_json::json!({ "entry": number, "audit": entry });
            serde_json::to_writer(&mut encoder, &line).map_err(|error| fail(error.to_string()))?;
            encoder.write_all(b"\n").map_err(|error| fail(error.to_string()))?;
        }
        encoder.finish().map_err(|error| fail(error.to_string()))?
    };
    let sha256 = hex_digest(&bytes);
    write_synced(&temporary, &bytes).map_err(|error| fail(error.to_string()))?;
    std::fs::rename(&temporary, &path).map_err(|error| fail(error.to_string()))?;
    write_synced(&archive_dir.join(format!("{name}.sha256")), format!("{sha256}  {name}\n").as_bytes())
        .map_err(|error| fail(error.to_string()))?;
    std::fs::File::open(archive_dir).and_then(|dir| dir.sync_all()).map_err(|error| fail(error.to_string()))?;
    Ok(Some(ArchiveFile { path, entries: entries.len() as u64, first_entry: first, last_entry: last, sha256 }))
}
