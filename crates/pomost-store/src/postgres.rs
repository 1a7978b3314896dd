//! The store on PostgreSQL, for deployments with more than one Pomost replica: the same
//! records, change feed, referrals and audit as the embedded store, in one database that
//! any number of replicas share.
//!
//! - The change sequence is gapless and in commit order: every writing transaction first
//!   locks the one row of `feed_head`, numbers its changes after it and moves it on, so
//!   writers (from any replica) commit one after another, and a reader of `changes` never
//!   sees seq 11 while seq 10 is still uncommitted. That same lock makes every
//!   double-booking check (coach hours, offer positions, one open referral per person and
//!   offer) run on the latest committed state: two replicas racing for the last slot give
//!   one winner.
//! - Each commit notifies `pomost_changes`, so other replicas' followers wake at once
//!   ([`PgStore::watch_other_writers`]); they poll as well, in case a notification is lost.
//! - Versioned migrations run at start under an advisory lock, so replicas starting
//!   together migrate once.
//! - The audit log is a table in the same database, numbered the same gapless way.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pomost_domain::{CoachId, JobCoach, Offer, OfferKey, OutcomeCheck, Participant, ParticipantId, Referral};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, Statement};

use crate::audit::{ArchiveFile, AuditEntry, AuditQuery, AuditStats};
use crate::audit_log::{ARCHIVE_DIR, write_archive};
use crate::error::StoreError;
use crate::exposure_days::{ExposureDays, LISTS, UNSUMMED, add_row, day_sums};
use crate::model::{Change, ChangeKey, ChangeOp, Damage, Erasure, Store, VerifyCounts, WriteOutcome};
use crate::records::{self, checksum};
use crate::referrals::{NewReferral, ReferralMove, ReferralQuery, ReferralWrite, Stamp};
use crate::sql::{Row, Tx, Value, change_columns, values};

/// Schema migrations, applied in order; `pomost_schema.version` says how many ran.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE participants (
        id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_seq BIGINT NOT NULL, checksum BIGINT
    );
    CREATE TABLE coaches (
        id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_seq BIGINT NOT NULL, checksum BIGINT
    );
    CREATE TABLE offers (
        source TEXT NOT NULL, external_id TEXT NOT NULL, version BIGINT NOT NULL, data TEXT NOT NULL,
        updated_seq BIGINT NOT NULL, checksum BIGINT, PRIMARY KEY (source, external_id)
    );
    CREATE TABLE changes (
        seq BIGINT PRIMARY KEY, entity TEXT NOT NULL, entity_key TEXT NOT NULL, op TEXT NOT NULL
    );
    CREATE TABLE feed_head (id INTEGER PRIMARY KEY CHECK (id = 1), last BIGINT NOT NULL);
    INSERT INTO feed_head VALUES (1, 0);
    CREATE TABLE referrals (
        number BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE, participant_id TEXT,
        offer_source TEXT NOT NULL, offer_external_id TEXT NOT NULL, employer TEXT NOT NULL,
        unit_id TEXT NOT NULL, coach_id TEXT, coach_hours DOUBLE PRECISION NOT NULL,
        reserved BIGINT NOT NULL, state TEXT NOT NULL, declined_by TEXT, reason TEXT NOT NULL DEFAULT '',
        start_date TEXT, reserved_until TEXT, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
        stage BIGINT, degree BIGINT, age_50_plus BIGINT, long_term BIGINT
    );
    CREATE INDEX referrals_participant ON referrals (participant_id);
    CREATE INDEX referrals_offer ON referrals (offer_source, offer_external_id, state);
    CREATE INDEX referrals_coach ON referrals (coach_id, reserved);
    CREATE INDEX referrals_unit ON referrals (unit_id, number);
    CREATE INDEX referrals_state ON referrals (state, updated_ms);
    CREATE TABLE referral_events (
        event BIGSERIAL PRIMARY KEY, referral_id TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL,
        at_ms BIGINT NOT NULL, caller TEXT NOT NULL, role TEXT NOT NULL, declined_by TEXT,
        reason TEXT NOT NULL DEFAULT '', idempotency_key TEXT UNIQUE
    );
    CREATE INDEX referral_events_referral ON referral_events (referral_id, event);
    CREATE TABLE outcomes (
        referral_id TEXT NOT NULL, month BIGINT NOT NULL, retention TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '', recorded_ms BIGINT NOT NULL, caller TEXT NOT NULL,
        PRIMARY KEY (referral_id, month)
    );
    CREATE TABLE audit (
        entry BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, caller_name TEXT NOT NULL, offer TEXT,
        body TEXT NOT NULL, checksum BIGINT NOT NULL
    );
    CREATE INDEX audit_at ON audit (at_ms);
    CREATE INDEX audit_caller ON audit (caller_name, entry);
    CREATE INDEX audit_offer ON audit (offer, entry) WHERE offer IS NOT NULL;
    CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), last BIGINT NOT NULL);
    INSERT INTO audit_head VALUES (1, 0);",
    "
    CREATE TABLE exposure_days (
        day BIGINT NOT NULL, region TEXT NOT NULL, grp BIGINT NOT NULL,
        eligible BIGINT NOT NULL, exposure DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (day, region, grp)
    );
    INSERT INTO exposure_days (day, region, grp, eligible, exposure)
        SELECT at_ms / 86400000, '', -2, count(*), 0 FROM audit GROUP BY 1;
    ALTER TABLE referrals ADD COLUMN gender BIGINT;",
];

/// The advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x706f_6d6f_7374;
/// The channel commits notify.
pub const CHANGE_CHANNEL: &str = "pomost_changes";
/// Prepared statements kept per connection.
const MAX_STATEMENTS: usize = 256;
/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

/// A connection idle this long is checked before it is reused.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

/// One connection with the statements it has prepared.
struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
    /// When it was last given back.
    idle_since: Instant,
}

/// The PostgreSQL store (see the module documentation).
pub struct PgStore {
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// The URL without its password, for messages.
    shown: String,
    idle: Mutex<Vec<Connection>>,
    archive_dir: PathBuf,
    stop: Arc<AtomicBool>,
    /// Audit entries arriving together are committed in one transaction.
    audit: crate::group::GroupCommit<AuditEntry, ()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

/// Turns a PostgreSQL error into the store's: a lost or refused connection (and a server
/// shutting down) is `Unavailable`, a full disk `ServerFull`, the rest `Postgres`.
fn classify(error: postgres::Error) -> StoreError {
    let detail = error.as_db_error().map_or_else(
        || {
            // The cause of a connection failure is in the source chain (the TLS handshake's
            // reason, the socket's error).
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        },
        |db| db.message().to_owned(),
    );
    match error.code() {
        Some(code) if *code == SqlState::DISK_FULL || *code == SqlState::OUT_OF_MEMORY => {
            StoreError::ServerFull(detail)
        }
        Some(code)
            if code.code().starts_with("08")
                || code.code().starts_with("57P")
                || *code == SqlState::TOO_MANY_CONNECTIONS
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::READ_ONLY_SQL_TRANSACTION =>
        {
            StoreError::Unavailable(detail)
        }
        Some(_) => StoreError::Postgres(detail),
        // No SQLSTATE: the connection (refused, reset, timed out, closed) or this client.
        None if error.is_closed()
            || std::error::Error::source(&error).is_some_and(|source| source.is::<std::io::Error>())
            || detail.contains("timeout") =>
        {
            StoreError::Unavailable(detail)
        }
        None => StoreError::Postgres(detail),
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // The schema's columns are BIGINT, DOUBLE PRECISION and TEXT.
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(value), &Type::FLOAT8) => (*value as f64).to_sql(ty, out),
            (Value::Int(value), _) => value.to_sql(ty, out),
            (Value::Real(value), _) => value.to_sql(ty, out),
            (Value::Text(value), _) => value.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A row as [`Value`]s, by each column's type.
fn pg_row(row: &postgres::Row) -> Result<Row, StoreError> {
    let decode = |error: postgres::Error| StoreError::Decode { what: "row".into(), detail: error.to_string() };
    row.columns()
        .iter()
        .enumerate()
        .map(|(index, column)| {
            // BIGINT (and count(*)), DOUBLE PRECISION, TEXT: what the schema holds.
            let value = match *column.type_() {
                Type::INT8 => row.try_get::<_, Option<i64>>(index).map(|v| v.map(Value::Int)),
                Type::FLOAT8 => row.try_get::<_, Option<f64>>(index).map(|v| v.map(Value::Real)),
                _ => row.try_get::<_, Option<String>>(index).map(|v| v.map(Value::Text)),
            };
            value.map(|value| value.unwrap_or(Value::Null)).map_err(decode)
        })
        .collect::<Result<_, _>>()
        .map(Row)
}

/// `?N` placeholders as PostgreSQL's `$N` (the statements hold no `?` in literals).
fn placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

/// PostgreSQL's side of [`Tx`]: one transaction, the connection's prepared statements, and
/// the next change sequence number while writing.
struct PgTx<'a> {
    transaction: RefCell<postgres::Transaction<'a>>,
    statements: RefCell<&'a mut HashMap<String, Statement>>,
    /// The feed head locked by this transaction (`None` for reads).
    seq: Option<Cell<u64>>,
}

impl PgTx<'_> {
    fn statement(&self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.transaction.borrow_mut().prepare(&placeholders(sql)).map_err(classify)?;
        let mut statements = self.statements.borrow_mut();
        if statements.len() >= MAX_STATEMENTS {
            // Multi-row statements come in many sizes; keep the cache bounded.
            statements.clear();
        }
        statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

impl Tx for PgTx<'_> {
    fn each_row(
        &self,
        sql: &str,
        params: &[Value],
        visit: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let statement = self.statement(sql)?;
        let mut transaction = self.transaction.borrow_mut();
        let mut rows = transaction.query_raw(&statement, params.iter()).map_err(classify)?;
        while let Some(row) = rows.next().map_err(classify)? {
            visit(pg_row(&row)?)?;
        }
        Ok(())
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|value| value as &(dyn ToSql + Sync)).collect();
        self.transaction.borrow_mut().execute(&statement, &params).map_err(classify)
    }

    fn record_change(&self, op: ChangeOp, key: &ChangeKey) -> Result<u64, StoreError> {
        let seq = self.seq.as_ref().ok_or_else(|| StoreError::Postgres("a change recorded outside a write".into()))?;
        let next = seq.get() + 1;
        let (entity, entity_key, op) = change_columns(op, key)?;
        self.execute(
            "INSERT INTO changes (seq, entity, entity_key, op) VALUES (?1, ?2, ?3, ?4)",
            values![next as i64, entity, entity_key, op],
        )?;
        seq.set(next);
        Ok(next)
    }

    fn record_changes(&self, changes: &[(ChangeOp, &ChangeKey)]) -> Result<Vec<u64>, StoreError> {
        let seq = self.seq.as_ref().ok_or_else(|| StoreError::Postgres("changes recorded outside a write".into()))?;
        let mut numbers = Vec::with_capacity(changes.len());
        for chunk in changes.chunks(1_000) {
            let mut params = Vec::with_capacity(chunk.len() * 4);
            for (op, key) in chunk {
                let (entity, entity_key, op) = change_columns(*op, key)?;
                let next = seq.get() + numbers.len() as u64 + 1;
                params.extend([Value::Int(next as i64), entity.into(), entity_key.into(), op.into()]);
                numbers.push(next);
            }
            self.execute(
                &format!(
                    "INSERT INTO changes (seq, entity, entity_key, op) VALUES {}",
                    crate::sql::placeholder_rows(chunk.len(), 4)
                ),
                &params,
            )?;
        }
        seq.set(seq.get() + numbers.len() as u64);
        Ok(numbers)
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, with
    /// `?sslmode=require` for TLS, verified against `ca_path` or the system's roots), runs
    /// the migrations it lacks, and keeps audit archives in `data_dir`'s `audit-archive`.
    /// Fails with `Unavailable` when the server cannot be reached.
    pub fn open(url: &str, ca_path: Option<&Path>, data_dir: &Path) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url.parse().map_err(|error: postgres::Error| StoreError::Open {
            path: PathBuf::from("store.url"),
            detail: format!("not a PostgreSQL URL: {error}"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("pomost");
        }
        let shown = shown_url(&config);
        let store = Self {
            config,
            tls: crate::pg_tls::connector(ca_path)?,
            shown,
            idle: Mutex::new(Vec::new()),
            archive_dir: data_dir.join(ARCHIVE_DIR),
            stop: Arc::new(AtomicBool::new(false)),
            audit: crate::group::GroupCommit::new(()),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The database, without its password (for logs).
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let client = self.config.connect(self.tls.clone()).map_err(|error| match classify(error) {
            StoreError::Unavailable(detail) => StoreError::Unavailable(format!("{}: {detail}", self.shown)),
            other => other,
        })?;
        Ok(Connection { client, statements: HashMap::new(), idle_since: Instant::now() })
    }

    /// An idle connection that still works (checked when it sat idle a while: the server
    /// may have closed it meanwhile), or a new one.
    fn take(&self) -> Result<Connection, StoreError> {
        loop {
            let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
            let Some(mut connection) = idle else { return self.connect() };
            if connection.client.is_closed() {
                continue;
            }
            if connection.idle_since.elapsed() < CHECK_IDLE_AFTER
                || connection.client.is_valid(Duration::from_secs(2)).is_ok()
            {
                return Ok(connection);
            }
        }
    }

    /// Keeps a working connection for reuse; after a lost connection, drops every idle one
    /// too (a restarted server closed them all).
    fn give_back(&self, mut connection: Connection) {
        if connection.client.is_closed() {
            self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
            return;
        }
        connection.idle_since = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut connection = self.connect()?;
        let mut transaction = connection.client.transaction().map_err(classify)?;
        transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(classify)?;
        transaction
            .batch_execute("CREATE TABLE IF NOT EXISTS pomost_schema (version INTEGER NOT NULL)")
            .map_err(classify)?;
        let found: Option<i32> =
            transaction.query_opt("SELECT version FROM pomost_schema", &[]).map_err(classify)?.map(|row| row.get(0));
        let found = i64::from(found.unwrap_or(0));
        let supported = MIGRATIONS.len() as i64;
        if found > supported {
            return Err(StoreError::NewerSchema { path: PathBuf::from(&self.shown), found, supported });
        }
        for migration in MIGRATIONS.iter().skip(found as usize) {
            transaction.batch_execute(migration).map_err(classify)?;
        }
        transaction.execute("DELETE FROM pomost_schema", &[]).map_err(classify)?;
        transaction.execute("INSERT INTO pomost_schema VALUES ($1)", &[&(supported as i32)]).map_err(classify)?;
        transaction.commit().map_err(classify)?;
        self.give_back(connection);
        Ok(())
    }

    /// Runs `work` in one transaction that holds the feed head (see the module
    /// documentation), moves the head on, notifies other replicas and commits, if the
    /// request's gate is still open. A failure rolls everything back.
    fn write<T>(&self, work: impl FnOnce(&dyn Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = self.take()?;
        let result = (|| {
            let Connection { client, statements, .. } = &mut connection;
            let mut transaction = client.transaction().map_err(classify)?;
            let head: i64 = transaction
                .query_one("SELECT last FROM feed_head WHERE id = 1 FOR UPDATE", &[])
                .map_err(classify)?
                .get(0);
            let tx = PgTx {
                transaction: RefCell::new(transaction),
                statements: RefCell::new(statements),
                seq: Some(Cell::new(head as u64)),
            };
            let result = work(&tx)?;
            let last = tx.seq.as_ref().map_or(head as u64, Cell::get);
            let mut transaction = tx.transaction.into_inner();
            if last > head as u64 {
                transaction
                    .execute("UPDATE feed_head SET last = $1 WHERE id = 1", &[&(last as i64)])
                    .map_err(classify)?;
                transaction
                    .execute("SELECT pg_notify($1, $2)", &[&CHANGE_CHANNEL, &last.to_string()])
                    .map_err(classify)?;
            }
            if !crate::gate::may_commit() {
                return Err(StoreError::DeadlinePassed);
            }
            transaction.commit().map_err(classify)?;
            Ok(result)
        })();
        self.give_back(connection);
        result
    }

    /// Runs `work` in one read-only transaction (one snapshot for all its statements).
    fn read<T>(&self, work: impl FnOnce(&dyn Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut connection = self.take()?;
        let result = (|| {
            let Connection { client, statements, .. } = &mut connection;
            let transaction = client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(classify)?;
            let tx = PgTx { transaction: RefCell::new(transaction), statements: RefCell::new(statements), seq: None };
            let result = work(&tx)?;
            tx.transaction.into_inner().commit().map_err(classify)?;
            Ok(result)
        })();
        self.give_back(connection);
        result
    }

    /// Appends audit entries numbered after the audit head, in one transaction.
    fn append_audit_entries(&self, entries: &[&AuditEntry]) -> Result<Vec<u64>, StoreError> {
        let mut connection = self.take()?;
        let result = (|| {
            let mut transaction = connection.client.transaction().map_err(classify)?;
            let head: i64 = transaction
                .query_one(
                    "UPDATE audit_head SET last = last + $1 WHERE id = 1 RETURNING last",
                    &[&(entries.len() as i64)],
                )
                .map_err(classify)?
                .get(0);
            let first = head - entries.len() as i64 + 1;
            let mut numbers = Vec::with_capacity(entries.len());
            for (offset, entry) in entries.iter().enumerate() {
                let number = first + offset as i64;
                let body = records::encode(entry)?;
                transaction
                    .execute(
                        "INSERT INTO audit (entry, at_ms, caller_name, offer, body, checksum) VALUES ($1, $2, $3, $4, $5, $6)",
                        &[&number, &entry.at_ms, &entry.caller.name, &entry.offer.as_ref().map(offer_text), &body, &checksum(&body)],
                    )
                    .map_err(classify)?;
                numbers.push(number as u64);
            }
            add_day_sums(&mut transaction, entries)?;
            // No deadline gate: a group holds other requests' entries too (as in the
            // embedded audit log, an answered request's entry is always kept).
            transaction.commit().map_err(classify)?;
            Ok(numbers)
        })();
        self.give_back(connection);
        result
    }

    /// Starts a thread that calls `wake` whenever another replica commits a change (on
    /// `pomost_changes`), reconnecting after a lost connection, until the store is dropped.
    fn listen(&self, wake: Arc<dyn Fn() + Send + Sync>) {
        let (config, tls, stop, shown) = (self.config.clone(), self.tls.clone(), self.stop.clone(), self.shown.clone());
        let spawned = std::thread::Builder::new().name("change-listener".into()).spawn(move || {
            while !stop.load(Ordering::Acquire) {
                let listened = config.connect(tls.clone()).and_then(|mut client| {
                    client.batch_execute(&format!("LISTEN {CHANGE_CHANNEL}"))?;
                    wake();
                    while !stop.load(Ordering::Acquire) && !client.is_closed() {
                        // A new iterator each round: its timer starts when it is made (one
                        // kept across rounds stays expired and would spin).
                        let notified = client.notifications().timeout_iter(Duration::from_millis(500)).next()?;
                        if notified.is_some() {
                            wake();
                        }
                    }
                    Ok(())
                });
                if let Err(error) = listened {
                    tracing::warn!(database = %shown, %error, "listening for changes failed; polling until it reconnects");
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the change listener; following by polling only");
        }
    }
}

fn shown_url(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or_default(),
        config.get_dbname().unwrap_or_default()
    )
}

fn offer_text(key: &OfferKey) -> String {
    format!("{}\u{1f}{}", key.source, key.external_id)
}

/// Adds a batch's figures to the daily sums, in one statement inside its transaction.
fn add_day_sums(transaction: &mut postgres::Transaction, entries: &[&AuditEntry]) -> Result<(), StoreError> {
    let sums = day_sums(entries);
    if sums.is_empty() {
        return Ok(());
    }
    let (mut days, mut regions, mut groups, mut eligible, mut attention) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((day, region, group), (people, weight)) in sums {
        days.push(day);
        regions.push(region);
        groups.push(group);
        eligible.push(people);
        attention.push(weight);
    }
    transaction
        .execute(
            "INSERT INTO exposure_days (day, region, grp, eligible, exposure)
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::DOUBLE PRECISION[])
             ON CONFLICT (day, region, grp) DO UPDATE SET
                 eligible = exposure_days.eligible + excluded.eligible,
                 exposure = exposure_days.exposure + excluded.exposure",
            &[&days, &regions, &groups, &eligible, &attention],
        )
        .map_err(classify)?;
    Ok(())
}

fn audit_row(row: &postgres::Row) -> Result<(u64, AuditEntry), StoreError> {
    let entry: i64 = row.get(0);
    let body: String = row.get(1);
    let stored: i64 = row.get(2);
    Ok((entry as u64, records::verified(&format!("audit entry {entry}"), &body, Some(stored))?))
}

impl Store for PgStore {
    fn upsert_participant(&self, participant: &Participant) -> Result<WriteOutcome, StoreError> {
        self.write(|tx| records::upsert_participant_in(tx, participant))
    }

    fn upsert_participants(&self, participants: &[Participant]) -> Result<Vec<WriteOutcome>, StoreError> {
        let encoded = records::encode_participants(participants)?;
        self.write(|tx| records::write_encoded(tx, "participants", &encoded))
    }

    fn participant(&self, id: &ParticipantId) -> Result<Option<Participant>, StoreError> {
        self.read(|tx| records::get_by_id(tx, "participants", id.as_str()))
    }

    fn delete_participant(&self, id: &ParticipantId, stamp: &Stamp) -> Result<Option<Erasure>, StoreError> {
        self.write(|tx| {
            let Some(seq) = records::delete_by_id(tx, "participants", id.as_str(), ChangeKey::Participant(id.clone()))?
            else {
                return Ok(None);
            };
            Ok(Some((seq, crate::referrals::erase_participant(tx, id, stamp)?)))
        })
    }

    fn for_each_participant(
        &self,
        visit: &mut dyn FnMut(Participant) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.read(|tx| records::for_each_participant(tx, visit))
    }

    fn participants_by_id(&self, ids: &[ParticipantId]) -> Result<Vec<Option<Participant>>, StoreError> {
        self.read(|tx| records::participants_by_id(tx, ids))
    }

    fn offers_by_key(&self, keys: &[OfferKey]) -> Result<Vec<Option<Offer>>, StoreError> {
        self.read(|tx| records::offers_by_key(tx, keys))
    }

    fn upsert_coach(&self, coach: &JobCoach) -> Result<WriteOutcome, StoreError> {
        self.upsert_coaches(std::slice::from_ref(coach)).map(|mut outcomes| outcomes.remove(0))
    }

    fn upsert_coaches(&self, coaches: &[JobCoach]) -> Result<Vec<WriteOutcome>, StoreError> {
        let encoded = records::encode_coaches(coaches)?;
        self.write(|tx| records::write_encoded(tx, "coaches", &encoded))
    }

    fn coach(&self, id: &CoachId) -> Result<Option<JobCoach>, StoreError> {
        self.read(|tx| records::get_by_id(tx, "coaches", id.as_str()))
    }

    fn delete_coach(&self, id: &CoachId) -> Result<Option<u64>, StoreError> {
        self.write(|tx| records::delete_by_id(tx, "coaches", id.as_str(), ChangeKey::Coach(id.clone())))
    }

    fn coaches(&self) -> Result<Vec<JobCoach>, StoreError> {
        self.read(records::coaches)
    }

    fn upsert_offer(&self, offer: &Offer) -> Result<WriteOutcome, StoreError> {
        self.write(|tx| records::upsert_offer_in(tx, offer))
    }

    fn upsert_offers(&self, offers: &[Offer]) -> Result<Vec<WriteOutcome>, StoreError> {
        self.write(|tx| records::upsert_offers(tx, offers))
    }

    fn offer(&self, key: &OfferKey) -> Result<Option<Offer>, StoreError> {
        self.read(|tx| records::offer(tx, key))
    }

    fn offer_with_seq(&self, key: &OfferKey) -> Result<Option<(Offer, u64)>, StoreError> {
        self.read(|tx| records::offer_with_seq(tx, key))
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
        self.read(|tx| crate::referrals::get(tx, id, true))
    }

    fn referrals(&self, query: &ReferralQuery) -> Result<Vec<Referral>, StoreError> {
        self.read(|tx| crate::referrals::list(tx, query))
    }

    fn for_each_referral(
        &self,
        only_held: bool,
        visit: &mut dyn FnMut(Referral) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.read(|tx| crate::referrals::for_each(tx, only_held, visit))
    }

    fn sweep_referrals(&self, stale_before_ms: i64, stamp: &Stamp) -> Result<Vec<(u64, String)>, StoreError> {
        self.write(|tx| crate::referrals::sweep(tx, stale_before_ms, stamp))
    }

    fn record_outcome(&self, check: &OutcomeCheck, stamp: &Stamp) -> Result<OutcomeCheck, StoreError> {
        self.write(|tx| crate::referrals::record_outcome(tx, check, stamp))
    }

    fn outcomes(&self) -> Result<Vec<OutcomeCheck>, StoreError> {
        self.read(crate::referrals::outcomes)
    }

    fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.read(|tx| crate::sql::changes_after(tx, after, limit))
    }

    fn participant_count(&self) -> Result<u64, StoreError> {
        self.read(|tx| {
            let row = tx.row("SELECT COUNT(*) FROM participants", &[])?;
            Ok(row.map(|row| row.int(0)).transpose()?.unwrap_or(0) as u64)
        })
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        self.read(|tx| {
            let row = tx.row("SELECT last FROM feed_head WHERE id = 1", &[])?;
            Ok(row.map(|row| row.int(0)).transpose()?.unwrap_or(0) as u64)
        })
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<u64, StoreError> {
        self.audit.submit(entry.clone(), |(), entries| self.append_audit_entries(entries))
    }

    fn list_audit(&self, query: &AuditQuery) -> Result<Vec<(u64, AuditEntry)>, StoreError> {
        let mut sql = "SELECT entry, body, checksum FROM audit WHERE entry > $1".to_owned();
        let after = query.after_entry.unwrap_or(0) as i64;
        let mut params: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(after)];
        let mut add = |condition: &str, value: Box<dyn ToSql + Sync>| {
            params.push(value);
            sql.push_str(&format!(" AND {condition} ${}", params.len()));
        };
        if let Some(from) = query.from_ms {
            add("at_ms >=", Box::new(from));
        }
        if let Some(until) = query.until_ms {
            add("at_ms <", Box::new(until));
        }
        if let Some(caller) = &query.caller {
            add("caller_name =", Box::new(caller.clone()));
        }
        if let Some(offer) = &query.offer {
            add("offer =", Box::new(offer_text(offer)));
        }
        sql.push_str(&format!(" ORDER BY entry LIMIT {}", query.limit.min(10_000)));
        let mut connection = self.take()?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(AsRef::as_ref).collect();
        let rows = connection.client.query(&sql, &refs).map_err(classify);
        self.give_back(connection);
        rows?.iter().map(audit_row).collect()
    }

    fn exposure_days(&self, from_day: i64, until_day: i64, region: Option<&str>) -> Result<ExposureDays, StoreError> {
        let mut connection = self.take()?;
        let result = (|| {
            let unsummed_days = connection
                .client
                .query(
                    "SELECT DISTINCT day FROM exposure_days WHERE day >= $1 AND day < $2 AND grp = $3 ORDER BY day",
                    &[&from_day, &until_day, &UNSUMMED],
                )
                .map_err(classify)?
                .iter()
                .map(|row| row.get(0))
                .collect();
            let mut days = ExposureDays { unsummed_days, ..ExposureDays::default() };
            let rows = connection
                .client
                .query(
                    "SELECT grp, sum(eligible)::BIGINT, sum(exposure) FROM exposure_days
                     WHERE day >= $1 AND day < $2 AND grp >= $3
                       AND day NOT IN (SELECT day FROM exposure_days WHERE day >= $1 AND day < $2 AND grp = $4)
                       AND ($5::TEXT IS NULL OR substr(region, 1, length($5::TEXT)) = $5::TEXT)
                     GROUP BY grp",
                    &[&from_day, &until_day, &LISTS, &UNSUMMED, &region],
                )
                .map_err(classify)?;
            for row in rows {
                add_row(&mut days, row.get(0), row.get(1), row.get(2));
            }
            Ok(days)
        })();
        self.give_back(connection);
        result
    }

    fn audit_stats(&self) -> Result<AuditStats, StoreError> {
        let mut connection = self.take()?;
        let row = connection
            .client
            .query_one(
                "SELECT count(*), COALESCE(min(at_ms), 0), COALESCE(max(at_ms), 0), pg_total_relation_size('audit')
                 FROM audit",
                &[],
            )
            .map_err(classify);
        self.give_back(connection);
        let row = row?;
        let bytes = row.get::<_, i64>(3) as u64;
        let mut stats = AuditStats {
            entries: row.get::<_, i64>(0) as u64,
            bytes_on_disk: bytes,
            used_bytes: bytes,
            oldest_ms: row.get(1),
            newest_ms: row.get(2),
            ..AuditStats::default()
        };
        if let Ok(archives) = std::fs::read_dir(&self.archive_dir) {
            for archive in archives.flatten() {
                if archive.file_name().to_string_lossy().ends_with(".ndjson.gz") {
                    stats.archive_files += 1;
                    stats.archive_bytes += archive.metadata().map(|metadata| metadata.len()).unwrap_or(0);
                }
            }
        }
        Ok(stats)
    }

    fn archive_audit_before(&self, cutoff_ms: i64) -> Result<Option<ArchiveFile>, StoreError> {
        let mut connection = self.take()?;
        let rows = connection
            .client
            .query(
                "SELECT entry, body, checksum FROM audit WHERE at_ms < $1 ORDER BY entry LIMIT 1000000",
                &[&cutoff_ms],
            )
            .map_err(classify);
        let result = (|| {
            let entries = rows?.iter().map(audit_row).collect::<Result<Vec<_>, _>>()?;
            let Some(archive) = write_archive(&self.archive_dir, &entries)? else { return Ok(None) };
            connection
                .client
                .execute(
                    "DELETE FROM audit WHERE at_ms < $1 AND entry BETWEEN $2 AND $3",
                    &[&cutoff_ms, &(archive.first_entry as i64), &(archive.last_entry as i64)],
                )
                .map_err(classify)?;
            Ok(Some(archive))
        })();
        self.give_back(connection);
        result
    }

    fn verify(&self, report: &mut dyn FnMut(Damage)) -> Result<VerifyCounts, StoreError> {
        let mut counts = VerifyCounts::default();
        self.read(|tx| {
            records::verify(tx, &mut counts, report)?;
            tx.each_row("SELECT entry, body, checksum FROM audit ORDER BY entry", &[], &mut |row| {
                counts.audit_entries += 1;
                let entry = row.int(0)?;
                let what = format!("audit entry {entry}");
                if let Err(error) = records::verified::<AuditEntry>(&what, &row.text(1)?, row.opt_int(2)?) {
                    counts.damaged += 1;
                    report(Damage { what, detail: error.to_string() });
                }
                Ok(())
            })
        })?;
        Ok(counts)
    }

    fn watch_other_writers(&self, wake: Arc<dyn Fn() + Send + Sync>) -> bool {
        self.listen(wake);
        true
    }
}
