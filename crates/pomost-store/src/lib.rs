//! The single source of truth of Pomost: participants, job coaches, offers, the change
//! sequence that derived copies (the scoring pool, the offer index) follow, and the audit log
//! of every shortlist and recommendation.
//!
//! [`Store`] is the interface the service uses; [`SqliteStore`] is its embedded default (a
//! file in the data directory, WAL mode, versioned migrations); [`PgStore`] keeps the same
//! in PostgreSQL for replicas sharing one database. Both run the same record and referral
//! logic through a small SQL interface (`sql::Tx`). All calls block: the async service runs
//! them on its blocking pool.

mod audit;
mod audit_codec;
mod audit_log;
mod checkpoint;
mod connection;
mod error;
mod exposure_days;
mod gate;
mod group;
mod log_sync;
mod model;
mod pg_tls;
mod postgres;
mod records;
mod referrals;
mod snapshot;
mod sql;
mod sqlite;
pub mod throwaway;

pub use audit::{ArchiveFile, AuditAction, AuditEntry, AuditQuery, AuditResult, AuditStats, Caller};
pub use audit_log::{ARCHIVE_DIR, AUDIT_FILE, AuditLog};
pub use connection::{SqliteOptions, Synchronous};
pub use error::StoreError;
pub use exposure_days::{DAY_MS, ExposureDays, ListGroups, region_matches, workplace_region};
pub use gate::{CommitGate, with_commit_gate};
pub use model::{Change, ChangeKey, ChangeOp, Damage, Erasure, Store, VerifyCounts, WriteOutcome};
pub use postgres::{CHANGE_CHANNEL, PgStore};
pub use referrals::{NewReferral, ReferralMove, ReferralQuery, ReferralWrite, Stamp};
pub use snapshot::{Snapshot, snapshot};
pub use sqlite::{DATABASE_FILE, SqliteStore};
