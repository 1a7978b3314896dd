//! The embedded store against real files in a temporary directory.

#![allow(clippy::unwrap_used)]

mod contract;

use contract::{audit_entry, stamp, synth};

use std::path::Path;

use pomost_domain::OfferKey;
use pomost_store::{
    AuditAction, AuditEntry, AuditQuery, AuditResult, Caller, SqliteOptions, SqliteStore, Store, StoreError,
};

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir, SqliteOptions::default()).unwrap()
}

/// Runs a backend contract test on a store in a new temporary directory.
fn on_sqlite(test: contract::ContractTest) {
    let dir = tempfile::tempdir().unwrap();
    test(&|| Box::new(open(dir.path())));
}

#[test]
fn entities_round_trip_and_survive_reopening() {
    on_sqlite(contract::entities_round_trip_and_survive_reopening);
}

#[test]
fn upserts_are_idempotent_and_offers_versioned() {
    on_sqlite(contract::upserts_are_idempotent_and_offers_versioned);
}

#[test]
fn invalid_records_and_failed_batches_write_nothing() {
    on_sqlite(contract::invalid_records_and_failed_batches_write_nothing);
}

#[test]
fn change_feed_returns_exactly_the_later_changes_in_order() {
    on_sqlite(contract::change_feed_returns_exactly_the_later_changes_in_order);
}

#[test]
fn erasure_leaves_only_the_pseudonymous_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut person = synth().participant(4);
    person.unit_id = "marker-unit-0f3c9a".into();
    let id = person.id.clone();
    store.upsert_participant(&person).unwrap();
    let mut replaced = person.clone();
    replaced.max_commute_km = 7.0;
    store.upsert_participant(&replaced).unwrap();
    store
        .append_audit(&AuditEntry {
            request_id: "r-1".into(),
            at_ms: 1,
            caller: Caller { name: "pup-krakow".into(), role: "labour_office".into() },
            action: AuditAction::Shortlist,
            offer: Some(OfferKey { source: "s".into(), external_id: "e".into() }),
            participant: None,
            request: serde_json::json!({"k": 10}),
            results: vec![AuditResult { id: id.to_string(), score: 0.9 }],
            policy_version: "v".into(),
            vocabulary_version: "kzis2023-test".into(),
        })
        .unwrap();
    assert!(store.delete_participant(&id, &stamp(0)).unwrap().is_some());
    assert_eq!(store.participant(&id).unwrap(), None);
    drop(store);
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let marker = b"marker-unit-0f3c9a";
        assert!(
            !bytes.windows(marker.len()).any(|window| window == marker),
            "personal data left in {}",
            path.display()
        );
    }
    let store = open(dir.path());
    assert_eq!(
        store.list_audit(&AuditQuery { limit: 10, ..Default::default() }).unwrap()[0].1.results[0].id,
        id.to_string()
    );
}

#[test]
fn audit_lists_by_time_caller_and_offer() {
    on_sqlite(contract::audit_lists_by_time_caller_and_offer);
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path());
    let error = SqliteStore::open(dir.path(), SqliteOptions::default()).err().unwrap();
    assert!(matches!(error, StoreError::Locked { .. }));
    assert!(error.to_string().contains("in use by another pomost process"), "{error}");
}

#[test]
fn a_corrupt_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pomost.sqlite3"), vec![0x5a; 8192]).unwrap();
    let error = SqliteStore::open(dir.path(), SqliteOptions::default()).err().unwrap();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("pomost.sqlite3") && message.contains("restore it from a backup"), "{message}");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let raw = rusqlite_set_user_version(&dir.path().join("pomost.sqlite3"), 99);
    assert!(raw);
    let error = SqliteStore::open(dir.path(), SqliteOptions::default()).err().unwrap();
    assert!(matches!(error, StoreError::NewerSchema { found: 99, supported: 4, .. }), "{error}");
    assert!(error.to_string().contains("upgrade pomost"));
}

/// Writes a schema version into a database file the way a newer build would.
fn rusqlite_set_user_version(path: &Path, version: i64) -> bool {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.execute_batch(&format!("PRAGMA user_version = {version};")).is_ok()
}

#[test]
fn a_fresh_directory_is_migrated_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/data");
    drop(open(&nested));
    let store = open(&nested);
    assert_eq!(store.last_seq().unwrap(), 0);
    assert!(store.path().ends_with("pomost.sqlite3"));
}

#[test]
fn damaged_records_are_found_on_read_and_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut person = synth().participant(8);
    person.unit_id = "damage-marker-unit-77".into();
    {
        let store = open(dir.path());
        store.upsert_participant(&person).unwrap();
        store.upsert_participant(&synth().participant(9)).unwrap();
        store.upsert_offer(&synth().offer(3)).unwrap();
        store.append_audit(&audit_entry(1, 1_000, 5)).unwrap();
        let mut clean = Vec::new();
        let counts = store.verify(&mut |damage| clean.push(damage)).unwrap();
        assert!(clean.is_empty(), "{clean:?}");
        assert_eq!((counts.records, counts.audit_entries, counts.damaged), (3, 1, 0));
    }
    // Change bytes inside the stored record, the way a failing disk would: the JSON still
    // parses, only a checksum can tell.
    let path = dir.path().join("pomost.sqlite3");
    let mut bytes = std::fs::read(&path).unwrap();
    let marker = b"damage-marker-unit-77";
    let at = bytes.windows(marker.len()).position(|window| window == marker).expect("record in the file");
    bytes[at..at + marker.len()].copy_from_slice(b"damage-marker-unit-78");
    std::fs::write(&path, bytes).unwrap();
    let store = open(dir.path());
    let error = store.participant(&person.id).unwrap_err();
    assert!(matches!(error, StoreError::Damaged { .. }), "{error}");
    let mut found = Vec::new();
    let counts = store.verify(&mut |damage| found.push(damage.what)).unwrap();
    assert_eq!(found, vec![format!("participant {}", person.id)]);
    assert_eq!(counts.damaged, 1);
}

#[test]
fn a_full_database_refuses_writes_whole_and_keeps_reads_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        SqliteStore::open(dir.path(), SqliteOptions { max_db_bytes: 256 * 1024, ..SqliteOptions::default() }).unwrap();
    let synth = synth();
    let mut stored = Vec::new();
    let error = loop {
        let offer = synth.offer(stored.len());
        match store.upsert_offers(std::slice::from_ref(&offer)) {
            Ok(_) => stored.push(offer),
            Err(error) => break error,
        }
        assert!(stored.len() < 10_000, "the cap was never reached");
    };
    assert!(matches!(error, StoreError::DiskFull { .. }), "{error}");
    assert!(error.to_string().contains(&dir.path().display().to_string()), "names the data directory: {error}");
    let last_seq = store.last_seq().unwrap();
    assert_eq!(store.offer(&synth.offer(stored.len()).key).unwrap(), None, "nothing half-written");
    assert_eq!(store.offer(&stored[0].key).unwrap().as_ref(), Some(&stored[0]), "reads keep working");
    store.append_audit(&audit_entry(1, 1_000, 50)).unwrap();
    assert_eq!(store.last_seq().unwrap(), last_seq);
    // Room again (an offer removed): writes succeed.
    for offer in &stored[..40] {
        store.delete_offer(&offer.key).unwrap();
    }
    store.upsert_offer(&synth.offer(stored.len())).unwrap();
}

#[test]
fn a_database_locked_by_another_process_gives_busy_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        SqliteStore::open(dir.path(), SqliteOptions { busy_timeout_ms: 200, ..SqliteOptions::default() }).unwrap();
    let other = rusqlite::Connection::open(dir.path().join("pomost.sqlite3")).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = std::time::Instant::now();
    let error = store.upsert_participant(&synth().participant(1)).unwrap_err();
    assert!(matches!(error, StoreError::Busy { .. }), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    other.execute_batch("ROLLBACK").unwrap();
    store.upsert_participant(&synth().participant(1)).unwrap();
}

struct Closed;
impl pomost_store::CommitGate for Closed {
    fn enter_commit(&self) -> bool {
        false
    }
}

#[test]
fn a_closed_commit_gate_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let person = synth().participant(2);
    let error =
        pomost_store::with_commit_gate(std::sync::Arc::new(Closed), || store.upsert_participant(&person)).unwrap_err();
    assert!(matches!(error, StoreError::DeadlinePassed));
    assert_eq!(store.participant(&person.id).unwrap(), None);
    assert_eq!(store.last_seq().unwrap(), 0);
    store.upsert_participant(&person).unwrap();
}

#[test]
fn audit_group_commits_from_many_threads_lose_nothing() {
    on_sqlite(contract::audit_group_commits_from_many_threads_lose_nothing);
}

#[test]
fn audit_entries_are_compact_and_archived_before_removal() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // The names (ids) are stored once; the first thousand entries see most of them.
    for index in 0..1_000 {
        store.append_audit(&audit_entry(index, 1_000 + index as i64, 50)).unwrap();
    }
    let before = store.audit_stats().unwrap().used_bytes;
    for index in 1_000..2_000 {
        store.append_audit(&audit_entry(index, 1_000 + index as i64, 50)).unwrap();
    }
    let stats = store.audit_stats().unwrap();
    assert_eq!(stats.entries, 2_000);
    assert_eq!((stats.oldest_ms, stats.newest_ms), (1_000, 2_999));
    let per_entry = (stats.used_bytes - before) as f64 / 1_000.0;
    eprintln!("audit bytes on disk per Shortlist entry at k = 50: {per_entry:.0}");
    assert!(per_entry < 400.0, "{per_entry} bytes per entry");
    let archive = store.archive_audit_before(2_000).unwrap().expect("entries to archive");
    assert_eq!((archive.entries, archive.first_entry, archive.last_entry), (1_000, 1, 1_000));
    let bytes = std::fs::read(&archive.path).unwrap();
    let sidecar = std::fs::read_to_string(archive.path.with_extension("gz.sha256")).unwrap();
    assert!(sidecar.starts_with(&archive.sha256));
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 1_000);
    assert_eq!(lines[0]["entry"], 1);
    let first: AuditEntry = serde_json::from_value(lines[0]["audit"].clone()).unwrap();
    assert_eq!(first, audit_entry(0, 1_000, 50));
    let left = store.list_audit(&AuditQuery { limit: 5_000, ..Default::default() }).unwrap();
    assert_eq!(left.len(), 1_000);
    assert_eq!(left[0].0, 1_001);
    let stats = store.audit_stats().unwrap();
    assert_eq!((stats.entries, stats.archive_files), (1_000, 1));
    assert_eq!(store.archive_audit_before(2_000).unwrap(), None, "nothing older is left");
    // Numbers are never reused after removal.
    assert_eq!(store.append_audit(&audit_entry(9, 9_000, 1)).unwrap(), 2_001);
}

#[test]
fn a_version_1_database_is_upgraded_with_its_audit_moved_and_records_checksummed() {
    let dir = tempfile::tempdir().unwrap();
    let person = synth().participant(6);
    {
        // A data directory as schema version 1 left it: JSON audit rows in the main file,
        // records without checksums.
        let connection = rusqlite::Connection::open(dir.path().join("pomost.sqlite3")).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE participants (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_seq INTEGER NOT NULL);
                 CREATE TABLE coaches (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_seq INTEGER NOT NULL);
                 CREATE TABLE offers (source TEXT NOT NULL, external_id TEXT NOT NULL, version INTEGER NOT NULL,
                     data TEXT NOT NULL, updated_seq INTEGER NOT NULL, PRIMARY KEY (source, external_id));
                 CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL,
                     entity_key TEXT NOT NULL, op TEXT NOT NULL);
                 CREATE TABLE audit (entry INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE,
                     at_ms INTEGER NOT NULL, caller_name TEXT NOT NULL, caller_role TEXT NOT NULL, action TEXT NOT NULL,
                     offer_source TEXT, offer_external_id TEXT, participant_id TEXT, request TEXT NOT NULL,
                     results TEXT NOT NULL, policy_version TEXT NOT NULL);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO participants (id, data, updated_seq) VALUES (?1, ?2, 1)",
                rusqlite::params![person.id.as_str(), serde_json::to_string(&person).unwrap()],
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO changes (entity, entity_key, op) VALUES ('participant', ?1, 'upsert')",
                [person.id.as_str()],
            )
            .unwrap();
        connection
            .execute(
                "INSERT INTO audit (request_id, at_ms, caller_name, caller_role, action, offer_source,
                 offer_external_id, participant_id, request, results, policy_version)
                 VALUES ('old-1', 5000, 'pup', 'labour_office', 'shortlist', 'board', 'a', NULL, '{\"k\":5}',
                 '[{\"id\":\"p-1\",\"score\":0.75}]', '2026-11.1')",
                [],
            )
            .unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.participant(&person.id).unwrap(), Some(person));
    let entries = store.list_audit(&AuditQuery { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0].1;
    assert_eq!((entry.request_id.as_str(), entry.at_ms, entry.policy_version.as_str()), ("old-1", 5000, "2026-11.1"));
    assert_eq!(entry.results, vec![AuditResult { id: "p-1".into(), score: 0.75 }]);
    assert_eq!(entry.offer, Some(OfferKey { source: "board".into(), external_id: "a".into() }));
    let mut damaged = Vec::new();
    let counts = store.verify(&mut |damage| damaged.push(damage)).unwrap();
    assert!(damaged.is_empty(), "{damaged:?}");
    assert_eq!((counts.records, counts.audit_entries), (1, 1));
    drop(store);
    // Opening again moves nothing twice.
    let store = open(dir.path());
    assert_eq!(store.list_audit(&AuditQuery { limit: 10, ..Default::default() }).unwrap().len(), 1);
}

#[test]
fn referrals_hold_coach_hours_expire_when_stale_and_follow_the_feed() {
    on_sqlite(contract::referrals_hold_coach_hours_expire_when_stale_and_follow_the_feed);
}

#[test]
fn batches_match_writing_one_at_a_time() {
    on_sqlite(contract::batches_match_writing_one_at_a_time);
}

#[test]
fn offer_batches_match_writing_one_at_a_time() {
    on_sqlite(contract::offer_batches_match_writing_one_at_a_time);
}

#[test]
fn exposure_days_sum_whole_days_by_unit_and_name_unsummed_ones() {
    on_sqlite(contract::exposure_days_sum_whole_days_by_unit_and_name_unsummed_ones);
}

/// An audit log from before the daily sums: every day it already has entries on is marked
/// unsummed when the table is added, so a report reads those days' entries.
#[test]
fn days_audited_before_the_sums_existed_are_read_entry_by_entry() {
    let dir = tempfile::tempdir().unwrap();
    let day = 20_000 * pomost_store::DAY_MS;
    let store = open(dir.path());
    let figures = pomost_store::ListGroups { region: Some("1261011".into()), eligible: vec![3], exposure: vec![1.0] };
    let summed = |index: usize, at_ms: i64| AuditEntry {
        request: serde_json::json!({ "groups": figures.to_json() }),
        ..audit_entry(index, at_ms, 2)
    };
    for (index, at_ms) in [day + 5, day + 6, day + 3 * pomost_store::DAY_MS].into_iter().enumerate() {
        store.append_audit(&summed(index, at_ms)).unwrap();
    }
    assert_eq!(store.exposure_days(0, 30_000, None).unwrap().lists, 3);
    drop(store);
    let audit = rusqlite::Connection::open(dir.path().join(pomost_store::AUDIT_FILE)).unwrap();
    audit.execute_batch("DROP TABLE exposure_days").unwrap();
    drop(audit);
    let store = open(dir.path());
    let days = store.exposure_days(0, 30_000, None).unwrap();
    assert_eq!(days.unsummed_days, [20_000, 20_003]);
    assert_eq!(days.lists, 0);
    store.append_audit(&summed(9, day + 7)).unwrap();
    store.append_audit(&summed(10, day + pomost_store::DAY_MS)).unwrap();
    let days = store.exposure_days(0, 30_000, None).unwrap();
    assert_eq!((days.unsummed_days.as_slice(), days.lists), ([20_000, 20_003].as_slice(), 1));
}

/// A database from before referrals kept the person's gender gains the column; its
/// referrals read as before, with no gender recorded.
#[test]
fn referrals_from_before_gender_was_kept_read_without_one() {
    use pomost_store::NewReferral;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let person = synth().participant(1);
    let mut offer = synth().offer(1);
    offer.valid_from = time::macros::date!(2026 - 11 - 01);
    offer.valid_until = time::macros::date!(2026 - 12 - 31);
    store.upsert_participant(&person).unwrap();
    store.upsert_offer(&offer).unwrap();
    let new =
        NewReferral { participant: person.id.clone(), offer: offer.key.clone(), coach: None, idempotency_key: None };
    let id = store.create_referral(&new, &stamp(1_000)).unwrap().referral.id;
    drop(store);
    let database = rusqlite::Connection::open(dir.path().join("pomost.sqlite3")).unwrap();
    database.execute_batch("ALTER TABLE referrals DROP COLUMN gender; PRAGMA user_version = 3;").unwrap();
    drop(database);
    let store = open(dir.path());
    let referral = store.referral(&id).unwrap().unwrap();
    let group = referral.group.expect("the groups kept before");
    assert_eq!((group.stage, group.gender), (person.stage, None));
}

/// The check at open (two connections, table by table) finds a damaged page of a table.
#[test]
fn a_damaged_table_page_is_found_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let people: Vec<_> = synth().participants(3_000).collect();
    store.upsert_participants(&people).unwrap();
    drop(store);
    let path = dir.path().join("pomost.sqlite3");
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 40 * 4096, "enough pages to damage one in the middle");
    for byte in &mut bytes[20 * 4096..20 * 4096 + 64] {
        *byte = 0xa5;
    }
    std::fs::write(&path, bytes).unwrap();
    let error = SqliteStore::open(dir.path(), SqliteOptions::default()).err().expect("a damaged page is found");
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains("pomost.sqlite3"), "{error}");
}

/// After a restart the dictionary cache is empty while the file holds the names: entries
/// naming the same people again must reuse their numbers and read back exactly, and new
/// names must still be added.
#[test]
fn audit_names_are_reused_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let written: Vec<AuditEntry> = (0..40).map(|index| audit_entry(index, 1_000 + index as i64, 50)).collect();
    {
        let store = open(dir.path());
        for entry in &written[..20] {
            store.append_audit(entry).unwrap();
        }
    }
    let store = open(dir.path());
    for entry in &written[..20] {
        store.append_audit(&AuditEntry { at_ms: entry.at_ms + 100, ..entry.clone() }).unwrap();
    }
    for entry in &written[20..] {
        store.append_audit(entry).unwrap();
    }
    let listed = store.list_audit(&AuditQuery { limit: 100, ..Default::default() }).unwrap();
    assert_eq!(listed.len(), 60);
    for (number, entry) in &listed {
        // 1–20: the first twenty; 21–40: the same again; 41–60: twenty new.
        let index = if *number <= 20 { *number as usize - 1 } else { *number as usize - 21 };
        assert_eq!(entry.results, written[index].results, "entry {number}");
        assert_eq!(entry.offer, written[index].offer, "entry {number}");
    }
}

/// A file's length, 0 while it does not exist.
fn file_size(file: &Path) -> u64 {
    std::fs::metadata(file).map(|metadata| metadata.len()).unwrap_or(0)
}

/// The file's length once it grew past `before`, or after ten seconds (a checkpoint thread
/// runs a few times a second).
fn size_after_growing(file: &Path, before: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while file_size(file) <= before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    file_size(file)
}

/// The store's writer checkpoints only far past SQLite's usual limit (so no write pays for
/// copying the log); the checkpoint thread must copy the log into the database file on its
/// own while the store stays open.
#[test]
fn the_store_log_is_checkpointed_while_the_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let file = dir.path().join(pomost_store::DATABASE_FILE);
    let before = file_size(&file);
    let synth = synth();
    let people: Vec<_> = synth.participants(2_000).collect();
    for batch in people.chunks(100) {
        store.upsert_participants(batch).unwrap();
    }
    let log = std::fs::metadata(dir.path().join(format!("{}-wal", pomost_store::DATABASE_FILE))).unwrap().len();
    assert!(log < 16_384 * 4_096, "the test must stay below the writer's own limit ({log} bytes of log)");
    let after = size_after_growing(&file, before);
    assert!(after > before, "the database file stayed at {before} bytes: nothing was checkpointed");
    assert_eq!(store.participant(&people[1_999].id).unwrap().as_ref(), Some(&people[1_999]));
}

/// The audit writer never checkpoints (so no request pays for it); the checkpoint thread
/// must copy the log into the file on its own while the store stays open, or the log would
/// grow without end.
#[test]
fn the_audit_log_is_checkpointed_while_the_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let file = dir.path().join(pomost_store::AUDIT_FILE);
    let before = file_size(&file);
    for index in 0..300 {
        store.append_audit(&audit_entry(index, 1_000 + index as i64, 50)).unwrap();
    }
    let after = size_after_growing(&file, before);
    assert!(after > before, "the audit file stayed at {before} bytes: nothing was checkpointed");
    assert_eq!(store.audit_stats().unwrap().entries, 300);
}

/// With `synchronous = full` the log is synced after the writer is let go, one sync shared
/// by the commits made meanwhile: writers on many threads each get their own answer, and
/// every acknowledged write is there after reopening.
#[test]
fn concurrent_writers_sharing_log_syncs_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let people: Vec<_> = synth().participants(320).collect();
    {
        let store = open(dir.path());
        std::thread::scope(|scope| {
            for chunk in people.chunks(40) {
                let store = &store;
                scope.spawn(move || {
                    for person in chunk {
                        let outcome = store.upsert_participant(person).unwrap();
                        assert!(matches!(outcome, pomost_store::WriteOutcome::Written { .. }), "{outcome:?}");
                    }
                });
            }
        });
        store.sync_committed().unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.participant_count().unwrap(), 320);
    assert_eq!(store.last_seq().unwrap(), 320);
    for person in [&people[0], &people[161], &people[319]] {
        assert_eq!(store.participant(&person.id).unwrap().as_ref(), Some(person));
    }
}

/// A failed sync of the log may hide a hole in it from every later sync (the kernel reports
/// a lost write once), so the store refuses every write after one, naming the log and what
/// to do, until it is reopened. The log is taken away under the store to make the sync fail.
#[test]
fn a_failed_log_sync_refuses_later_writes_until_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let people: Vec<_> = synth().participants(3).collect();
    let store = open(dir.path());
    store.upsert_participant(&people[0]).unwrap();
    let log = dir.path().join(format!("{}-wal", pomost_store::DATABASE_FILE));
    std::fs::remove_file(&log).unwrap();
    for person in &people[1..] {
        let error = store.upsert_participant(person).unwrap_err();
        assert!(matches!(error, StoreError::LogSync { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("restarted") && message.contains("-wal"), "{message}");
    }
    assert!(store.sync_committed().is_err(), "the index must not checkpoint past an unsynced log either");
    drop(store);
    let store = open(dir.path());
    store.upsert_participant(&people[2]).expect("a reopened store writes again");
}

/// `synchronous = normal` syncs nothing per commit, as configured.
#[test]
fn normal_sync_needs_no_log_sync() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions { synchronous: pomost_store::Synchronous::Normal, ..SqliteOptions::default() };
    let store = SqliteStore::open(dir.path(), options).unwrap();
    let person = synth().participant(0);
    store.upsert_participant(&person).unwrap();
    std::fs::remove_file(dir.path().join(format!("{}-wal", pomost_store::DATABASE_FILE))).unwrap();
    store.upsert_participant(&synth().participant(1)).expect("no sync of the log is asked for");
}
