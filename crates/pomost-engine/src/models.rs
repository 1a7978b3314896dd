//! The read models that follow the change feed today: the participant and coach pool (in
//! memory; "durable" is what it has applied, rebuilt from the store at start) and the offer
//! index (durable at its last successful commit, whose checkpoint it records).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use pomost_index::OfferIndex;
use pomost_scoring::ParticipantPool;
use pomost_store::ChangeKey;

use crate::error::EngineError;
use crate::follow::{Applied, ReadModel, Record};

/// The scoring pool as a read model.
pub struct PoolModel {
    pool: Arc<RwLock<ParticipantPool>>,
    applied: AtomicU64,
}

impl PoolModel {
    /// The pool, loaded up to `applied`.
    pub fn new(pool: Arc<RwLock<ParticipantPool>>, applied: u64) -> Self {
        Self { pool, applied: AtomicU64::new(applied) }
    }
}

impl PoolModel {
    /// The pool's participants as snapshot bytes, with the number of them: read under the
    /// pool's lock, beside the last change applied, so the bytes reflect exactly that seq.
    pub fn snapshot(&self) -> (Vec<u8>, usize) {
        let pool = self.pool.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        (pool.snapshot(self.applied.load(Ordering::Acquire)), pool.len())
    }
}

impl ReadModel for PoolModel {
    fn name(&self) -> &'static str {
        "pool"
    }

    fn apply(&self, batch: Vec<Arc<Applied>>, up_to: u64) -> Result<(), EngineError> {
        let mut pool = self.pool.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut coaches = Vec::new();
        for change in &batch {
            match (&change.key, &change.record) {
                (ChangeKey::Participant(id), Some(Record::Participant(participant))) => {
                    if let Err(error) = pool.upsert_participant(participant) {
                        // A stored record the pool cannot take is a bug or damage, not a
                        // reason to stop following: it is named and skipped.
                        tracing::error!(participant = %id, %error, "participant not loaded into the pool");
                    }
                }
                (ChangeKey::Participant(id), _) => {
                    pool.remove_participant(id);
                }
                (ChangeKey::Coach(_), Some(Record::Coach(coach))) => coaches.push(coach.clone()),
                (ChangeKey::Coach(id), _) => {
                    if !coaches.is_empty() {
                        pool.upsert_coaches(std::mem::take(&mut coaches))?;
                    }
                    pool.remove_coach(id);
                }
                (ChangeKey::Referral(_), Some(Record::Referral(referral))) => pool.apply_referral(referral),
                (ChangeKey::Offer(_) | ChangeKey::Referral(_), _) => {}
            }
        }
        if !coaches.is_empty() {
            pool.upsert_coaches(coaches)?;
        }
        self.applied.fetch_max(up_to, Ordering::AcqRel);
        Ok(())
    }

    fn durable_seq(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    fn wants(&self, key: &ChangeKey) -> bool {
        !matches!(key, ChangeKey::Offer(_))
    }

    fn quiet(&self) {
        // The copy is made under the read lock (scans go on), only the swap under the write
        // lock; the follower is the pool's only writer, and a change in between (there is
        // none now) would only make the layout wait for the next quiet spell.
        let started = std::time::Instant::now();
        let mut layout = {
            let pool = self.pool.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !pool.scan_layout_stale() {
                return;
            }
            pool.scan_layout()
        };
        let copied = started.elapsed();
        let installed =
            self.pool.write().unwrap_or_else(|poisoned| poisoned.into_inner()).install_scan_layout(&mut layout);
        drop(layout);
        tracing::info!(
            installed,
            copy_ms = copied.as_millis() as u64,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "pool laid out in scan order again"
        );
    }
}

/// The offer index as a read model: applying queues the changes to the index's writer
/// thread, which commits them in groups; durable is its last committed checkpoint.
pub struct IndexModel {
    index: Arc<OfferIndex>,
}

impl IndexModel {
    /// The index.
    pub fn new(index: Arc<OfferIndex>) -> Self {
        Self { index }
    }
}

impl ReadModel for IndexModel {
    fn name(&self) -> &'static str {
        "index"
    }

    fn apply(&self, batch: Vec<Arc<Applied>>, up_to: u64) -> Result<(), EngineError> {
        for change in &batch {
            match (&change.key, &change.record) {
                (ChangeKey::Offer(_), Some(Record::Offer(offer))) => self.index.enqueue_upsert(offer, change.seq)?,
                (ChangeKey::Offer(key), _) => self.index.enqueue_delete(key, change.seq)?,
                _ => {}
            }
        }
        self.index.advance_to(up_to)?;
        Ok(())
    }

    fn durable_seq(&self) -> u64 {
        self.index.checkpoint()
    }

    fn visible_seq(&self) -> u64 {
        self.index.visible_seq()
    }

    fn wants(&self, key: &ChangeKey) -> bool {
        matches!(key, ChangeKey::Offer(_))
    }

    fn failures(&self) -> u64 {
        self.index.commit_health().failures
    }

    fn failing(&self) -> bool {
        self.index.commit_health().last_error.is_some()
    }
}
