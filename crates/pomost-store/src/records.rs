//! Participants, job coaches and offers as both backends store them: JSON text with a
//! CRC-32 checksum beside it, the change sequence of the last write, and offers kept only
//! when their version is newer than the stored one.

use pomost_domain::{Offer, OfferKey, Participant};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;
use crate::model::{ChangeKey, ChangeOp, WriteOutcome};
use crate::sql::{Tx, values};

/// The tables holding records, with their key expressions.
pub(crate) const RECORD_TABLES: [(&str, &str); 3] =
    [("participants", "id"), ("coaches", "id"), ("offers", "source || '/' || external_id")];

/// The checksum stored beside a record's text.
pub(crate) fn checksum(data: &str) -> i64 {
    i64::from(crc32fast::hash(data.as_bytes()))
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

/// Bytes set aside for a record's text before it is written: most participants and offers
/// fit, so a record is written into one allocation instead of growing through eight.
const RECORD_TEXT_CAPACITY: usize = 1_024;

/// A record's stored text (JSON).
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    let failed = |detail: String| StoreError::Decode { what: "record".into(), detail };
    let mut text = Vec::with_capacity(RECORD_TEXT_CAPACITY);
    serde_json::to_writer(&mut text, value).map_err(|error| failed(error.to_string()))?;
    String::from_utf8(text).map_err(|error| failed(error.to_string()))
}

/// Writes a record keyed by one id into `table`, unless the same bytes are stored already.
pub(crate) fn upsert_by_id(
    tx: &dyn Tx,
    table: &str,
    id: &str,
    data: &str,
    key: ChangeKey,
) -> Result<WriteOutcome, StoreError> {
    let stored = tx.row(&format!("SELECT data FROM {table} WHERE id = ?1"), values![id])?;
    if stored.map(|row| row.text(0)).transpose()?.as_deref() == Some(data) {
        return Ok(WriteOutcome::Unchanged);
    }
    let seq = tx.record_change(ChangeOp::Upsert, &key)?;
    tx.execute(
        &format!(
            "INSERT INTO {table} (id, data, updated_seq, checksum) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE
             SET data = excluded.data, updated_seq = excluded.updated_seq, checksum = excluded.checksum"
        ),
        values![id, data, seq as i64, checksum(data)],
    )?;
    Ok(WriteOutcome::Written { seq })
}

/// The last value written under each key, in the order the keys first appear: one row per
/// key for a multi-row upsert (which may not touch a row twice).
fn last_per_key<K: std::hash::Hash + Eq, V>(writes: impl Iterator<Item = (K, V)>) -> Vec<V> {
    let mut rows: Vec<V> = Vec::new();
    let mut position: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    for (key, value) in writes {
        match position.get(&key) {
            Some(at) => rows[*at] = value,
            None => {
                position.insert(key, rows.len());
                rows.push(value);
            }
        }
    }
    rows
}

/// Records per statement in [`upsert_many_by_id`].
const CHUNK: usize = 1_000;

/// [`upsert_by_id`] for many records in few statements, for a backend where each statement
/// is a round trip: per chunk, one read of the stored texts, the changes appended together
/// (in input order, one per record whose text differs from the stored or an earlier one in
/// the batch) and one multi-row write of each id's last text. Same outcomes as calling
/// [`upsert_by_id`] for each record in order.
pub(crate) fn upsert_many_by_id(
    tx: &dyn Tx,
    table: &str,
    items: &[(&str, &str, ChangeKey)],
) -> Result<Vec<WriteOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(items.len());
    for chunk in items.chunks(CHUNK) {
        let ids: Vec<crate::sql::Value> = chunk.iter().map(|(id, _, _)| (*id).into()).collect();
        // Each id probed through the primary key (see `upsert_offers` for why not IN).
        let mut latest: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        let sql = format!(
            "SELECT k.column1, (SELECT data FROM {table} WHERE id = k.column1) FROM (VALUES {}) AS k",
            crate::sql::placeholder_rows(ids.len(), 1)
        );
        for row in tx.rows(&sql, &ids)? {
            if let Some(data) = row.opt_text(1)? {
                latest.insert(row.text(0)?, data);
            }
        }
        // The batch's own texts are compared by reference (an id may come twice).
        let mut in_batch: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        let mut changed = Vec::new();
        for (index, (id, data, _)) in chunk.iter().enumerate() {
            let previous = in_batch.get(id).copied().or_else(|| latest.get(*id).map(String::as_str));
            if previous != Some(*data) {
                in_batch.insert(id, data);
                changed.push(index);
            }
        }
        let keys: Vec<(ChangeOp, &ChangeKey)> =
            changed.iter().map(|index| (ChangeOp::Upsert, &chunk[*index].2)).collect();
        let seqs = tx.record_changes(&keys)?;
        let mut seq_of = vec![None; chunk.len()];
        for (index, seq) in changed.iter().zip(&seqs) {
            seq_of[*index] = Some(*seq);
        }
        // Each id once, with its last text and the sequence of its last change.
        let rows = last_per_key(
            chunk.iter().zip(&seq_of).filter_map(|((id, data, _), seq)| seq.map(|seq| (*id, (*id, *data, seq)))),
        );
        if !rows.is_empty() {
            let params: Vec<crate::sql::Value> = rows
                .iter()
                .flat_map(|(id, data, seq)| [(*id).into(), (*data).into(), (*seq as i64).into(), checksum(data).into()])
                .collect();
            tx.execute(
                &format!(
                    "INSERT INTO {table} (id, data, updated_seq, checksum) VALUES {}
                     ON CONFLICT (id) DO UPDATE
                     SET data = excluded.data, updated_seq = excluded.updated_seq, checksum = excluded.checksum",
                    crate::sql::placeholder_rows(rows.len(), 4)
                ),
                &params,
            )?;
        }
        outcomes.extend(seq_of.into_iter().map(|seq| match seq {
            Some(seq) => WriteOutcome::Written { seq },
            None => WriteOutcome::Unchanged,
        }));
    }
    Ok(outcomes)
}

/// Deletes a record keyed by one id; the change's sequence, `None` if it was not there.
pub(crate) fn delete_by_id(tx: &dyn Tx, table: &str, id: &str, key: ChangeKey) -> Result<Option<u64>, StoreError> {
    if tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), values![id])? == 0 {
        return Ok(None);
    }
    Ok(Some(tx.record_change(ChangeOp::Delete, &key)?))
}

/// Validates and writes a participant.
pub(crate) fn upsert_participant_in(tx: &dyn Tx, participant: &Participant) -> Result<WriteOutcome, StoreError> {
    let participant = participant.clone().validated()?;
    let data = encode(&participant)?;
    upsert_by_id(tx, "participants", participant.id.as_str(), &data, ChangeKey::Participant(participant.id.clone()))
}

/// Checks and writes an offer unless an equal or newer version is stored.
pub(crate) fn upsert_offer_in(tx: &dyn Tx, offer: &Offer) -> Result<WriteOutcome, StoreError> {
    offer.check()?;
    let stored = tx.row(
        "SELECT version FROM offers WHERE source = ?1 AND external_id = ?2",
        values![&offer.key.source, &offer.key.external_id],
    )?;
    if let Some(stored_version) = stored.map(|row| row.int(0)).transpose()?
        && stored_version as u64 >= offer.version
    {
        return Ok(WriteOutcome::Stale { stored_version: stored_version as u64 });
    }
    let data = encode(offer)?;
    let version = i64::try_from(offer.version)
        .map_err(|_| StoreError::Invalid(pomost_domain::ValidationError::new("offer.version", "is over 2^63 - 1")))?;
    let seq = tx.record_change(ChangeOp::Upsert, &ChangeKey::Offer(offer.key.clone()))?;
    tx.execute(
        "INSERT INTO offers (source, external_id, version, data, updated_seq, checksum)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (source, external_id) DO UPDATE
         SET version = excluded.version, data = excluded.data, updated_seq = excluded.updated_seq,
             checksum = excluded.checksum",
        values![&offer.key.source, &offer.key.external_id, version, data.as_str(), seq as i64, checksum(&data)],
    )?;
    Ok(WriteOutcome::Written { seq })
}

/// [`upsert_offer_in`] for many offers in few statements (per thousand: one read of the
/// stored versions, one append to the feed, one multi-row write of each key's newest
/// version). Same outcomes as calling [`upsert_offer_in`] for each offer in order; an
/// invalid offer fails the whole batch before anything is written.
pub(crate) fn upsert_offers(tx: &dyn Tx, offers: &[Offer]) -> Result<Vec<WriteOutcome>, StoreError> {
    let mut encoded = Vec::with_capacity(offers.len());
    for offer in offers {
        offer.check()?;
        let version = i64::try_from(offer.version).map_err(|_| {
            StoreError::Invalid(pomost_domain::ValidationError::new("offer.version", "is over 2^63 - 1"))
        })?;
        encoded.push((offer, version, encode(offer)?));
    }
    let mut outcomes = Vec::with_capacity(offers.len());
    for chunk in encoded.chunks(CHUNK) {
        // Each key probed through the primary key by a correlated subquery over a VALUES
        // list: both databases then look every key up by index, whatever their statistics
        // say (a plain IN list was planned as a scan of the whole source: 140-530 ms for a
        // thousand keys of one board on PostgreSQL).
        let keys: Vec<crate::sql::Value> = chunk
            .iter()
            .flat_map(|(offer, _, _)| [(&offer.key.source).into(), (&offer.key.external_id).into()])
            .collect();
        let mut versions: std::collections::HashMap<(String, String), i64> = std::collections::HashMap::new();
        let sql = format!(
            "SELECT k.column1, k.column2, (SELECT version FROM offers WHERE source = k.column1 AND external_id = k.column2)
             FROM (VALUES {}) AS k",
            crate::sql::placeholder_rows(chunk.len(), 2)
        );
        for row in tx.rows(&sql, &keys)? {
            if let Some(version) = row.opt_int(2)? {
                versions.insert((row.text(0)?, row.text(1)?), version);
            }
        }
        let mut written = Vec::new();
        let mut chunk_outcomes = Vec::with_capacity(chunk.len());
        for (index, (offer, version, _)) in chunk.iter().enumerate() {
            let key = (offer.key.source.clone(), offer.key.external_id.clone());
            match versions.get(&key) {
                Some(stored) if *stored >= *version => {
                    chunk_outcomes.push(WriteOutcome::Stale { stored_version: *stored as u64 });
                }
                _ => {
                    versions.insert(key, *version);
                    written.push(index);
                    chunk_outcomes.push(WriteOutcome::Unchanged);
                }
            }
        }
        let change_keys: Vec<ChangeKey> =
            written.iter().map(|index| ChangeKey::Offer(chunk[*index].0.key.clone())).collect();
        let changes: Vec<(ChangeOp, &ChangeKey)> = change_keys.iter().map(|key| (ChangeOp::Upsert, key)).collect();
        let seqs = tx.record_changes(&changes)?;
        for (index, seq) in written.iter().zip(&seqs) {
            chunk_outcomes[*index] = WriteOutcome::Written { seq: *seq };
        }
        // Each key once: a later write in the batch has the newer version.
        let rows = last_per_key(written.iter().zip(seqs).map(|(index, seq)| (&chunk[*index].0.key, (*index, seq))));
        if !rows.is_empty() {
            let params: Vec<crate::sql::Value> = rows
                .iter()
                .flat_map(|(index, seq)| {
                    let (offer, version, data) = &chunk[*index];
                    [
                        (&offer.key.source).into(),
                        (&offer.key.external_id).into(),
                        (*version).into(),
                        data.into(),
                        (*seq as i64).into(),
                        checksum(data).into(),
                    ]
                })
                .collect();
            tx.execute(
                &format!(
                    "INSERT INTO offers (source, external_id, version, data, updated_seq, checksum) VALUES {}
                     ON CONFLICT (source, external_id) DO UPDATE
                     SET version = excluded.version, data = excluded.data, updated_seq = excluded.updated_seq,
                         checksum = excluded.checksum",
                    crate::sql::placeholder_rows(rows.len(), 6)
                ),
                &params,
            )?;
        }
        outcomes.extend(chunk_outcomes);
    }
    Ok(outcomes)
}

/// Reads a record's `data, checksum` with `sql` and decodes it if it is intact.
pub(crate) fn load<T: DeserializeOwned>(
    tx: &dyn Tx,
    sql: &str,
    key: &[crate::sql::Value],
    what: &str,
) -> Result<Option<T>, StoreError> {
    tx.row(sql, key)?.map(|row| verified(what, &row.text(0)?, row.opt_int(1)?)).transpose()
}

/// A record keyed by one id.
pub(crate) fn get_by_id<T: DeserializeOwned>(tx: &dyn Tx, table: &str, id: &str) -> Result<Option<T>, StoreError> {
    load(tx, &format!("SELECT data, checksum FROM {table} WHERE id = ?1"), values![id], &format!("{table} {id}"))
}

/// An offer with the sequence of the change that last wrote it.
pub(crate) fn offer_with_seq(tx: &dyn Tx, key: &OfferKey) -> Result<Option<(Offer, u64)>, StoreError> {
    tx.row(
        "SELECT data, checksum, updated_seq FROM offers WHERE source = ?1 AND external_id = ?2",
        values![&key.source, &key.external_id],
    )?
    .map(|row| Ok((verified(&format!("offer {key}"), &row.text(0)?, row.opt_int(1)?)?, row.int(2)? as u64)))
    .transpose()
}

/// An offer by key.
pub(crate) fn offer(tx: &dyn Tx, key: &OfferKey) -> Result<Option<Offer>, StoreError> {
    load(
        tx,
        "SELECT data, checksum FROM offers WHERE source = ?1 AND external_id = ?2",
        values![&key.source, &key.external_id],
        &format!("offer {key}"),
    )
}

/// Deletes an offer; the change's sequence, `None` if it was not there.
pub(crate) fn delete_offer(tx: &dyn Tx, key: &OfferKey) -> Result<Option<u64>, StoreError> {
    if tx
        .execute("DELETE FROM offers WHERE source = ?1 AND external_id = ?2", values![&key.source, &key.external_id])?
        == 0
    {
        return Ok(None);
    }
    Ok(Some(tx.record_change(ChangeOp::Delete, &ChangeKey::Offer(key.clone()))?))
}

/// Many records at once, in the order of `keys` (`None` for each one not stored): `join`
/// names the table as `r` and matches it to `k`, a VALUES row of the key's columns
/// (`k.column1`, ...) followed by the key's place in the chunk. One primary-key probe per
/// key reads both `data` and `checksum`; rows are placed by that ordinal, whatever order
/// the database returns them in.
fn records_by_key<T: DeserializeOwned>(
    tx: &dyn Tx,
    keys: &[Vec<crate::sql::Value>],
    join: &str,
    what: &str,
) -> Result<Vec<Option<T>>, StoreError> {
    let mut found: Vec<Option<T>> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        let Some(width) = chunk.first().map(Vec::len) else { continue };
        let params: Vec<crate::sql::Value> = chunk.iter().flatten().cloned().collect();
        let sql = format!(
            "SELECT CAST(k.column{ordinal} AS BIGINT), r.data, r.checksum FROM (VALUES {}) AS k LEFT JOIN {join}",
            crate::sql::numbered_rows(chunk.len(), width),
            ordinal = width + 1,
        );
        let base = found.len();
        found.resize_with(base + chunk.len(), || None);
        for mut row in tx.rows(&sql, &params)? {
            let place = usize::try_from(row.int(0)?).ok().filter(|&place| place < chunk.len()).ok_or_else(|| {
                StoreError::Decode { what: what.into(), detail: "lookup row outside the chunk".into() }
            })?;
            let stored = row.opt_int(2)?;
            found[base + place] = row.take_opt_text(1)?.map(|data| verified(what, &data, stored)).transpose()?;
        }
    }
    Ok(found)
}

/// Participants by id, in order.
pub(crate) fn participants_by_id(
    tx: &dyn Tx,
    ids: &[pomost_domain::ParticipantId],
) -> Result<Vec<Option<Participant>>, StoreError> {
    let keys: Vec<Vec<crate::sql::Value>> = ids.iter().map(|id| vec![id.as_str().into()]).collect();
    records_by_key(tx, &keys, "participants r ON r.id = k.column1", "participant")
}

/// Offers by key, in order.
pub(crate) fn offers_by_key(tx: &dyn Tx, keys: &[OfferKey]) -> Result<Vec<Option<Offer>>, StoreError> {
    let keys: Vec<Vec<crate::sql::Value>> =
        keys.iter().map(|key| vec![(&key.source).into(), (&key.external_id).into()]).collect();
    records_by_key(tx, &keys, "offers r ON r.source = k.column1 AND r.external_id = k.column2", "offer")
}

/// Calls `visit` with every participant, decoded and checked.
pub(crate) fn for_each_participant(
    tx: &dyn Tx,
    visit: &mut dyn FnMut(Participant) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    tx.each_row("SELECT id, data, checksum FROM participants", &[], &mut |row| {
        visit(verified(&format!("participant {}", row.text(0)?), &row.text(1)?, row.opt_int(2)?)?)
    })
}

/// Every job coach, by id.
pub(crate) fn coaches(tx: &dyn Tx) -> Result<Vec<pomost_domain::JobCoach>, StoreError> {
    tx.rows("SELECT id, data, checksum FROM coaches ORDER BY id", &[])?
        .into_iter()
        .map(|row| verified(&format!("coach {}", row.text(0)?), &row.text(1)?, row.opt_int(2)?))
        .collect()
}

/// Decodes and checks every record and change, reporting each damaged one.
pub(crate) fn verify(
    tx: &dyn Tx,
    counts: &mut crate::model::VerifyCounts,
    report: &mut dyn FnMut(crate::model::Damage),
) -> Result<(), StoreError> {
    for (table, key) in RECORD_TABLES {
        tx.each_row(&format!("SELECT {key}, data, checksum FROM {table}"), &[], &mut |row| {
            counts.records += 1;
            let what = format!("{} {}", &table[..table.len() - 1], row.text(0)?);
            let (data, stored) = (row.text(1)?, row.opt_int(2)?);
            let decoded = match table {
                "participants" => verified::<Participant>(&what, &data, stored)
                    .and_then(|record| record.validated().map(|_| ()).map_err(StoreError::from)),
                "coaches" => verified::<pomost_domain::JobCoach>(&what, &data, stored)
                    .and_then(|record| record.validated().map(|_| ()).map_err(StoreError::from)),
                _ => {
                    verified::<Offer>(&what, &data, stored).and_then(|record| record.check().map_err(StoreError::from))
                }
            };
            if let Err(error) = decoded {
                counts.damaged += 1;
                let detail = match error {
                    StoreError::Damaged { detail, .. } => detail,
                    other => other.to_string(),
                };
                report(crate::model::Damage { what, detail });
            }
            Ok(())
        })?;
    }
    tx.each_row("SELECT seq, entity, entity_key, op FROM changes ORDER BY seq", &[], &mut |row| {
        counts.changes += 1;
        let seq = row.int(0)?;
        if let Err(error) = crate::sql::parse_change(seq, &row.text(1)?, row.text(2)?, &row.text(3)?) {
            counts.damaged += 1;
            report(crate::model::Damage { what: format!("change {seq}"), detail: error.to_string() });
        }
        Ok(())
    })
}

/// A record ready to write: its id, its text and its change key.
pub(crate) type Encoded = (String, String, ChangeKey);

/// Validates and encodes participants before a transaction starts (all or nothing).
pub(crate) fn encode_participants(participants: &[Participant]) -> Result<Vec<Encoded>, StoreError> {
    participants
        .iter()
        .map(|participant| {
            participant.check()?;
            Ok((participant.id.to_string(), encode(participant)?, ChangeKey::Participant(participant.id.clone())))
        })
        .collect()
}

/// Validates and encodes job coaches before a transaction starts (all or nothing).
pub(crate) fn encode_coaches(coaches: &[pomost_domain::JobCoach]) -> Result<Vec<Encoded>, StoreError> {
    coaches
        .iter()
        .map(|coach| {
            let coach = coach.clone().validated()?;
            Ok((coach.id.to_string(), encode(&coach)?, ChangeKey::Coach(coach.id)))
        })
        .collect()
}

/// Writes encoded participants or coaches (from [`encode_participants`] or
/// [`encode_coaches`]) into `table`, in batches.
pub(crate) fn write_encoded(tx: &dyn Tx, table: &str, encoded: &[Encoded]) -> Result<Vec<WriteOutcome>, StoreError> {
    let items: Vec<(&str, &str, ChangeKey)> =
        encoded.iter().map(|(id, data, key)| (id.as_str(), data.as_str(), key.clone())).collect();
    upsert_many_by_id(tx, table, &items)
}
