//! The few things the record and referral logic asks of a database, so the same code (and
//! the same rules: versions, checksums, double-booking checks) runs on SQLite and on
//! PostgreSQL. Statements are written once with `?N` placeholders; each backend binds
//! [`Value`]s and returns rows as [`Row`]s.

use pomost_domain::{CoachId, OfferKey, ParticipantId};

use crate::error::StoreError;
use crate::model::{Change, ChangeKey, ChangeOp};

/// A value bound to a statement or read from a row. Booleans are stored as 0/1 integers on
/// both backends, so the statements compare them the same way.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// SQL NULL.
    Null,
    /// An integer (SQLite INTEGER, PostgreSQL BIGINT).
    Int(i64),
    /// A floating-point number (SQLite REAL, PostgreSQL DOUBLE PRECISION).
    Real(f64),
    /// Text.
    Text(String),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Value::Int(i64::from(value))
    }
}

impl From<u8> for Value {
    fn from(value: u8) -> Self {
        Value::Int(i64::from(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Int(i64::from(value))
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Real(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Value::Text(value.clone())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// Binds a list of values: `values![a, b]`.
macro_rules! values {
    ($($value:expr),* $(,)?) => {
        &[$($crate::sql::Value::from($value)),*]
    };
}
pub(crate) use values;

/// One row read, with typed getters that name the column when the type is wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn wrong(&self, index: usize, wanted: &str) -> StoreError {
        StoreError::Decode {
            what: format!("column {index}"),
            detail: format!("expected {wanted}, found {:?}", self.0.get(index)),
        }
    }

    /// An integer column (never NULL).
    pub(crate) fn int(&self, index: usize) -> Result<i64, StoreError> {
        match self.0.get(index) {
            Some(Value::Int(value)) => Ok(*value),
            _ => Err(self.wrong(index, "an integer")),
        }
    }

    /// An integer column that may be NULL.
    pub(crate) fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            _ => self.int(index).map(Some),
        }
    }

    /// A number column (integers widen).
    pub(crate) fn real(&self, index: usize) -> Result<f64, StoreError> {
        match self.0.get(index) {
            Some(Value::Real(value)) => Ok(*value),
            Some(Value::Int(value)) => Ok(*value as f64),
            _ => Err(self.wrong(index, "a number")),
        }
    }

    /// A text column (never NULL).
    pub(crate) fn text(&self, index: usize) -> Result<String, StoreError> {
        match self.0.get(index) {
            Some(Value::Text(value)) => Ok(value.clone()),
            _ => Err(self.wrong(index, "text")),
        }
    }

    /// A text column that may be NULL, moved out of the row (no copy of a record's text);
    /// the column reads as NULL afterwards.
    pub(crate) fn take_opt_text(&mut self, index: usize) -> Result<Option<String>, StoreError> {
        match self.0.get_mut(index) {
            Some(Value::Null) => Ok(None),
            Some(Value::Text(value)) => Ok(Some(std::mem::take(value))),
            _ => Err(self.wrong(index, "text")),
        }
    }

    /// A text column that may be NULL.
    pub(crate) fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            _ => self.text(index).map(Some),
        }
    }
}

/// A transaction (or, for reads, a connection) of either backend.
pub(crate) trait Tx {
    /// Runs a query and calls `visit` with each row as it is read (rows are not collected,
    /// so a million records stream through).
    fn each_row(
        &self,
        sql: &str,
        params: &[Value],
        visit: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs a statement; how many rows it changed.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Appends a change to the feed and returns its sequence number (gapless, in commit
    /// order). Only inside a writing transaction.
    fn record_change(&self, op: ChangeOp, key: &ChangeKey) -> Result<u64, StoreError>;

    /// Appends many changes to the feed in order; their sequence numbers. The default
    /// appends one at a time; a backend where each statement is a round trip batches them.
    fn record_changes(&self, changes: &[(ChangeOp, &ChangeKey)]) -> Result<Vec<u64>, StoreError> {
        changes.iter().map(|(op, key)| self.record_change(*op, key)).collect()
    }

    /// Every row.
    fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::new();
        self.each_row(sql, params, &mut |row| {
            rows.push(row);
            Ok(())
        })?;
        Ok(rows)
    }

    /// The first row, if any.
    fn row(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
}

/// `count` groups of `width` numbered placeholders from `?1`: `(?1, ?2), (?3, ?4)` (for
/// multi-row statements). Written into one string (a batch of 5,000 rows has 20,000).
pub(crate) fn placeholder_rows(count: usize, width: usize) -> String {
    value_rows(count, width, false)
}

/// [`placeholder_rows`] with each row's ordinal from 0 as a literal last cell:
/// `(?1, ?2, 0), (?3, ?4, 1)` (to place a lookup's rows by the key they answer).
pub(crate) fn numbered_rows(count: usize, width: usize) -> String {
    value_rows(count, width, true)
}

fn value_rows(count: usize, width: usize, numbered: bool) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(count * (width + usize::from(numbered)) * 8);
    for row in 0..count {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for cell in 1..=width {
            let _ = write!(sql, "{}?{}", if cell == 1 { "" } else { ", " }, row * width + cell);
        }
        if numbered {
            let _ = write!(sql, ", {row}");
        }
        sql.push(')');
    }
    sql
}

/// How a change is stored: its entity, key text and operation.
pub(crate) fn change_columns(
    op: ChangeOp,
    key: &ChangeKey,
) -> Result<(&'static str, String, &'static str), StoreError> {
    let (entity, entity_key) = match key {
        ChangeKey::Participant(id) => ("participant", id.to_string()),
        ChangeKey::Coach(id) => ("coach", id.to_string()),
        ChangeKey::Offer(key) => (
            "offer",
            serde_json::to_string(&(&key.source, &key.external_id))
                .map_err(|error| StoreError::Decode { what: "offer key".into(), detail: error.to_string() })?,
        ),
        ChangeKey::Referral(id) => ("referral", id.clone()),
    };
    let op = match op {
        ChangeOp::Upsert => "upsert",
        ChangeOp::Delete => "delete",
    };
    Ok((entity, entity_key, op))
}

/// A stored change read back.
pub(crate) fn parse_change(seq: i64, entity: &str, entity_key: String, op: &str) -> Result<Change, StoreError> {
    let bad = |detail: String| StoreError::Decode { what: format!("change {seq}"), detail };
    let key = match entity {
        "participant" => {
            ChangeKey::Participant(ParticipantId::new(entity_key).map_err(|error| bad(error.to_string()))?)
        }
        "coach" => ChangeKey::Coach(CoachId::new(entity_key).map_err(|error| bad(error.to_string()))?),
        "offer" => {
            let (source, external_id): (String, String) =
                serde_json::from_str(&entity_key).map_err(|error| bad(error.to_string()))?;
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

/// The changes after `after`, at most `limit`, in order (the same statement on both
/// backends).
pub(crate) fn changes_after(tx: &dyn Tx, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
    tx.rows(
        "SELECT seq, entity, entity_key, op FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        values![after as i64, limit as i64],
    )?
    .into_iter()
    .map(|row| parse_change(row.int(0)?, &row.text(1)?, row.text(2)?, &row.text(3)?))
    .collect()
}

/// SQLite's side of [`Tx`]: a connection (or a transaction, through its connection).
pub(crate) struct Lite<'a>(pub(crate) &'a rusqlite::Connection);

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(value) => ValueRef::Integer(*value),
            Value::Real(value) => ValueRef::Real(*value),
            Value::Text(value) => ValueRef::Text(value.as_bytes()),
        }))
    }
}

fn lite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(value) => Value::Int(value),
        ValueRef::Real(value) => Value::Real(value),
        // Valid UTF-8 (every record) is checked word by word; only damaged text goes the
        // slow way, with replacement characters the checksum then rejects.
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Value::Text(match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        }),
    }
}

impl Tx for Lite<'_> {
    fn each_row(
        &self,
        sql: &str,
        params: &[Value],
        visit: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.0.prepare_cached(sql)?;
        let width = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            visit(Row((0..width).map(|index| row.get_ref(index).map(lite_value)).collect::<Result<_, _>>()?))?;
        }
        Ok(())
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        Ok(self.0.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn record_change(&self, op: ChangeOp, key: &ChangeKey) -> Result<u64, StoreError> {
        let (entity, entity_key, op) = change_columns(op, key)?;
        self.execute(
            "INSERT INTO changes (entity, entity_key, op) VALUES (?1, ?2, ?3)",
            values![entity, entity_key, op],
        )?;
        Ok(self.0.last_insert_rowid() as u64)
    }

    /// Multi-row inserts (a bulk write of 5,000 records was 5,000 statements). The writing
    /// transaction holds SQLite's only write lock and the rows of one statement are
    /// numbered in order, so a statement's rows take the numbers up to its last.
    fn record_changes(&self, changes: &[(ChangeOp, &ChangeKey)]) -> Result<Vec<u64>, StoreError> {
        const ROWS_PER_STATEMENT: usize = 1_000;
        let mut seqs = Vec::with_capacity(changes.len());
        for chunk in changes.chunks(ROWS_PER_STATEMENT) {
            let mut params = Vec::with_capacity(chunk.len() * 3);
            for (op, key) in chunk {
                let (entity, entity_key, op) = change_columns(*op, key)?;
                params.extend([entity.into(), entity_key.into(), op.into()]);
            }
            let sql =
                format!("INSERT INTO changes (entity, entity_key, op) VALUES {}", placeholder_rows(chunk.len(), 3));
            self.execute(&sql, &params)?;
            let last = self.0.last_insert_rowid() as u64;
            seqs.extend(last + 1 - chunk.len() as u64..=last);
        }
        Ok(seqs)
    }
}

#[cfg(test)]
mod placeholder_tests {
    use super::{ChangeOp, Lite, Tx, changes_after};
    use crate::model::ChangeKey;

    #[test]
    fn many_changes_at_once_are_numbered_in_order() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL,
                 entity_key TEXT NOT NULL, op TEXT NOT NULL)",
            )
            .unwrap();
        let lite = Lite(&connection);
        let first = lite.record_change(ChangeOp::Delete, &ChangeKey::Referral("r-0".into())).unwrap();
        let keys: Vec<ChangeKey> = (0..2_500).map(|index| ChangeKey::Referral(format!("r-{}", index + 1))).collect();
        let batch: Vec<(ChangeOp, &ChangeKey)> = keys.iter().map(|key| (ChangeOp::Upsert, key)).collect();
        let seqs = lite.record_changes(&batch).unwrap();
        assert_eq!(seqs, (first + 1..=first + 2_500).collect::<Vec<u64>>());
        let feed = changes_after(&lite, first, 10_000).unwrap();
        assert_eq!(feed.len(), 2_500);
        for (change, key) in feed.iter().zip(&keys) {
            assert_eq!(&change.key, key);
            assert_eq!(change.op, ChangeOp::Upsert);
        }
    }

    #[test]
    fn rows_of_numbered_placeholders() {
        assert_eq!(super::placeholder_rows(2, 3), "(?1, ?2, ?3), (?4, ?5, ?6)");
        assert_eq!(super::placeholder_rows(1, 1), "(?1)");
        assert_eq!(super::placeholder_rows(0, 4), "");
        assert_eq!(super::numbered_rows(2, 2), "(?1, ?2, 0), (?3, ?4, 1)");
        assert_eq!(super::numbered_rows(1, 1), "(?1, 0)");
        assert_eq!(super::numbered_rows(0, 3), "");
    }
}
