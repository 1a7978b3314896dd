//! The spine: the store's change feed is the only way a change reaches a read model (the
//! participant pool, the offer index, and every model to come). One follower thread reads
//! the feed in sequence order and applies batches to each model through [`ReadModel`];
//! each model reports the last sequence its own commit made durable, never more. A failed
//! apply (or a model's failed background commit) is logged, counted, and retried with
//! backoff from the model's durable sequence. Start-up recovery is the same loop run until
//! it has caught up.
//!
//! Writes hand the follower the records they committed as hints, so live changes are
//! applied without reading them back; a model replaying (after a failure or at start)
//! reads each record from the store as it is now, which converges to the store's state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pomost_domain::{JobCoach, Offer, OfferKey, Participant, ParticipantId, Referral};
use pomost_store::{ChangeKey, Store};

use crate::error::EngineError;

/// Changes applied per batch.
const BATCH: usize = 5_000;
/// Hints kept at most; beyond, models read records from the store.
const MAX_HINTS: usize = 200_000;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// With other writers, the longest the follower goes without reading the store's head.
const SHARED_POLL: Duration = Duration::from_millis(250);
/// How often a write held back by [`Follower::admit_write`] looks at the models again.
const ADMIT_POLL: Duration = Duration::from_millis(5);

/// A record as a change left it.
#[derive(Debug, Clone)]
pub enum Record {
    /// A participant.
    Participant(Participant),
    /// A job coach.
    Coach(JobCoach),
    /// A job offer.
    Offer(Offer),
    /// A referral.
    Referral(Referral),
}

/// One change with its record (`None` when the record is gone).
#[derive(Debug, Clone)]
pub struct Applied {
    /// The change sequence number.
    pub seq: u64,
    /// What it touched.
    pub key: ChangeKey,
    /// The record as committed by that change or later; `None` once deleted.
    pub record: Option<Record>,
}

/// A model derived from the store that follows its change feed.
pub trait ReadModel: Send + Sync {
    /// Name in logs and health.
    fn name(&self) -> &'static str;
    /// Applies a batch in sequence order. An error leaves the model to be replayed from
    /// [`ReadModel::durable_seq`].
    /// `up_to` is the last sequence the batch covers: changes the model does not want (see
    /// [`ReadModel::wants`]) are left out of it, so it may end earlier or be empty.
    /// (Changes are shared with the hints and the other models, not copied for each.)
    fn apply(&self, batch: Vec<Arc<Applied>>, up_to: u64) -> Result<(), EngineError>;
    /// The last sequence this model's own commit made durable (in-memory models: applied).
    fn durable_seq(&self) -> u64;
    /// The sequence up to which this model answers reads as the store would (in-memory
    /// models: applied; the index: searchable). Read-your-writes waits for it.
    fn visible_seq(&self) -> u64 {
        self.durable_seq()
    }
    /// Whether the model reads records under this key (others are passed over, their
    /// records not read from the store).
    fn wants(&self, _key: &ChangeKey) -> bool {
        true
    }
    /// Failures the model found by itself (a failed background commit) since start; when
    /// it grows, everything after `durable_seq` is replayed.
    fn failures(&self) -> u64 {
        0
    }
    /// Whether the model cannot make its changes durable now (its commits fail): a
    /// failing model is left out of [`Follower::admit_write`], so an outage of one read
    /// model does not stop writes to the store (health reports it).
    fn failing(&self) -> bool {
        false
    }
    /// Called when every model has caught up and no change came for the follower's idle
    /// wait: the time for upkeep that would slow a burst of writes down (the pool lays its
    /// records out in scan order again).
    fn quiet(&self) {}
}

/// A write refused because a read model is too far behind the store: its changes would
/// only queue up in memory, unsearchable, while the model catches up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// The model furthest behind.
    pub model: &'static str,
    /// Changes committed in the store and not yet durable in it.
    pub behind: u64,
    /// The bound ([`Follower::set_max_behind`]).
    pub bound: u64,
}

/// What one model's following looks like now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelLag {
    /// The model.
    pub name: &'static str,
    /// Changes committed in the store and not yet durable in the model.
    pub lag_changes: u64,
    /// Behind for longer than the bound.
    pub lagging: bool,
    /// Failed applies and commits since start.
    pub failures: u64,
    /// Why the last apply failed, while it fails.
    pub last_error: Option<String>,
}

struct ModelState {
    model: Arc<dyn ReadModel>,
    applied: u64,
    model_failures_seen: u64,
    failures: u64,
    last_error: Option<String>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// The store's last sequence when the model was first seen behind, and when.
    target: Option<(Instant, u64)>,
}

struct State {
    models: Vec<ModelState>,
    hints: BTreeMap<u64, Arc<Applied>>,
    /// The highest sequence a write has reported (or, with other writers, the store).
    written: u64,
    /// Another process committed since the store's head was last read.
    nudged: bool,
}

/// The follower (see the module documentation).
pub struct Follower {
    store: Arc<dyn Store>,
    state: Mutex<State>,
    wake: Condvar,
    applied: Condvar,
    stop: AtomicBool,
    /// Other processes (replicas on one database) write to the store too: read its head
    /// each round and wake when they commit.
    shared: AtomicBool,
    /// The data directory, naming this engine's injected faults (`crate::faults`).
    data_dir: PathBuf,
    /// Changes a model may be behind what was written before writes wait (0: no bound).
    max_behind: AtomicU64,
    /// Writes [`Follower::admit_write`] held back since start, and of them refused.
    writes_held: AtomicU64,
    writes_refused: AtomicU64,
}

/// Writes held back for a read model's backlog since start (see
/// [`Follower::admit_write`]): what an operator watches to tell a busy index from a stuck one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WritesHeld {
    /// Writes that waited for a model.
    pub held: u64,
    /// Of them, refused (the model made no progress, or the wait was too long).
    pub refused: u64,
}

impl Follower {
    /// A follower of `store` for `models`, each starting after the sequence it has.
    pub fn new(store: Arc<dyn Store>, data_dir: &Path, models: Vec<(Arc<dyn ReadModel>, u64)>) -> Self {
        let models = models
            .into_iter()
            .map(|(model, applied)| ModelState {
                model_failures_seen: model.failures(),
                model,
                applied,
                failures: 0,
                last_error: None,
                retry_at: None,
                backoff: FIRST_BACKOFF,
                target: None,
            })
            .collect();
        Self {
            store,
            state: Mutex::new(State { models, hints: BTreeMap::new(), written: 0, nudged: false }),
            wake: Condvar::new(),
            applied: Condvar::new(),
            stop: AtomicBool::new(false),
            shared: AtomicBool::new(false),
            data_dir: data_dir.to_owned(),
            max_behind: AtomicU64::new(0),
            writes_held: AtomicU64::new(0),
            writes_refused: AtomicU64::new(0),
        }
    }

    /// Bounds how far behind the store a read model may fall before writes wait for it
    /// ([`Follower::admit_write`]); 0 takes the bound away.
    pub fn set_max_behind(&self, changes: u64) {
        self.max_behind.store(changes, Ordering::Release);
    }

    /// The model furthest past the bound, if any, with the sequence it has made durable:
    /// changes written and not yet durable in a model whose applies and commits work (a
    /// failing one is left out, see [`ReadModel::failing`]).
    fn backlog(&self) -> Option<(Backlog, u64)> {
        let bound = self.max_behind.load(Ordering::Acquire);
        if bound == 0 {
            return None;
        }
        let state = self.lock();
        state
            .models
            .iter()
            .filter(|entry| entry.last_error.is_none() && !entry.model.failing())
            .map(|entry| (entry.model.name(), entry.model.durable_seq()))
            .map(|(model, durable)| (Backlog { model, behind: state.written.saturating_sub(durable), bound }, durable))
            .filter(|(backlog, _)| backlog.behind > bound)
            .max_by_key(|(backlog, _)| backlog.behind)
    }

    /// Holds a write back while a read model is more than the bound behind the store:
    /// writes then go no faster than the slowest model takes them, and what is
    /// acknowledged becomes searchable within the bound instead of queueing without
    /// limit. The wait goes on while the model makes progress (many writers released at
    /// once overshoot the bound, and wait their turn), at most `longest`; the backlog when
    /// the model made nothing durable for `stalled` or the wait reached `longest`.
    pub fn admit_write(&self, stalled: Duration, longest: Duration) -> Result<(), Backlog> {
        let Some((mut backlog, mut durable)) = self.backlog() else { return Ok(()) };
        self.writes_held.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let mut progressed = started;
        while progressed.elapsed() < stalled && started.elapsed() < longest {
            std::thread::sleep(ADMIT_POLL);
            let Some((now, now_durable)) = self.backlog() else { return Ok(()) };
            if now.model != backlog.model || now_durable > durable {
                progressed = Instant::now();
            }
            (backlog, durable) = (now, now_durable);
        }
        self.writes_refused.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            model = backlog.model,
            behind = backlog.behind,
            bound = backlog.bound,
            "write refused: read model backlog"
        );
        Err(backlog)
    }

    /// Writes held back and refused since start.
    pub fn writes_held(&self) -> WritesHeld {
        WritesHeld {
            held: self.writes_held.load(Ordering::Relaxed),
            refused: self.writes_refused.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Follows commits made by other processes too, when the store has them: woken by the
    /// store when one commits, and reading the store's head every round (at most
    /// [`SHARED_POLL`] apart) in case a wake-up is lost.
    pub fn follow_other_writers(self: &Arc<Self>) {
        let follower = Arc::downgrade(self);
        let shared = self.store.watch_other_writers(Arc::new(move || {
            if let Some(follower) = follower.upgrade() {
                follower.lock().nudged = true;
                follower.wake.notify_all();
            }
        }));
        self.shared.store(shared, Ordering::Release);
    }

    /// With other writers: raise `written` to the store's head.
    fn read_store_head(&self) {
        self.lock().nudged = false;
        match self.store.last_seq() {
            Ok(last) => {
                let mut state = self.lock();
                state.written = state.written.max(last);
            }
            Err(error) => tracing::warn!(%error, "reading the change feed's head failed; retrying"),
        }
    }

    /// A write committed these changes: keep them as hints and wake the follower.
    pub fn written(&self, changes: Vec<Applied>) {
        let mut state = self.lock();
        for change in changes {
            state.written = state.written.max(change.seq);
            state.hints.insert(change.seq, Arc::new(change));
        }
        while state.hints.len() > MAX_HINTS {
            state.hints.pop_first();
        }
        drop(state);
        self.wake.notify_all();
    }

    /// The highest sequence this process knows was committed (its own writes at once;
    /// other processes' once their commit is noticed).
    pub fn written_seq(&self) -> u64 {
        self.lock().written
    }

    /// The sequence every model answers reads up to (for the index: searchable).
    pub fn applied_by_all(&self) -> u64 {
        let models: Vec<(Arc<dyn ReadModel>, u64)> =
            self.lock().models.iter().map(|m| (m.model.clone(), m.applied)).collect();
        models.iter().map(|(model, applied)| model.visible_seq().min(*applied)).min().unwrap_or(0)
    }

    /// Waits until every model has applied `seq`, at most `timeout`.
    pub fn wait_all_applied(&self, seq: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            let done = state.models.iter().all(|m| m.applied >= seq);
            let left = deadline.saturating_duration_since(Instant::now());
            if done || left.is_zero() {
                return done;
            }
            state = self.applied.wait_timeout(state, left).unwrap_or_else(|poisoned| poisoned.into_inner()).0;
        }
    }

    /// Waits until `model` has applied `seq` (read-your-writes), at most `timeout`.
    pub fn wait_applied(&self, model: &str, seq: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            let done = state.models.iter().find(|m| m.model.name() == model).is_none_or(|m| m.applied >= seq);
            let left = deadline.saturating_duration_since(Instant::now());
            if done || left.is_zero() {
                return done;
            }
            state = self.applied.wait_timeout(state, left).unwrap_or_else(|poisoned| poisoned.into_inner()).0;
        }
    }

    fn faulty(&self, model: &str) -> bool {
        crate::faults::model_fails(&self.data_dir, model)
    }

    fn stalled(&self, model: &str) -> bool {
        crate::faults::model_stalls(&self.data_dir, model)
    }

    /// Applies what is due to every model once; whether every model has caught up with
    /// `target` (the store's last sequence).
    fn step(&self, target: u64) -> bool {
        let mut caught_up = true;
        let count = self.lock().models.len();
        for index in 0..count {
            // Decide under the lock, read and apply outside it, record under it again.
            let (model, applied, due) = {
                let mut state = self.lock();
                let entry = &mut state.models[index];
                let model_failures = entry.model.failures();
                if model_failures != entry.model_failures_seen {
                    entry.model_failures_seen = model_failures;
                    entry.applied = entry.model.durable_seq();
                    tracing::warn!(model = entry.model.name(), from = entry.applied, "replaying after a failed commit");
                }
                let due = entry.retry_at.is_none_or(|retry| Instant::now() >= retry);
                (entry.model.clone(), entry.applied, due)
            };
            if applied >= target {
                continue;
            }
            caught_up = false;
            if !due || self.stalled(model.name()) {
                continue;
            }
            let result = self.batch_after(model.as_ref(), applied, target).and_then(|(batch, last)| {
                if self.faulty(model.name()) {
                    return Err(EngineError::Internal(format!("injected failure of {}", model.name())));
                }
                model.apply(batch, last).map(|()| last)
            });
            let mut state = self.lock();
            let entry = &mut state.models[index];
            match result {
                Ok(last) => {
                    entry.applied = last;
                    entry.retry_at = None;
                    entry.backoff = FIRST_BACKOFF;
                    entry.last_error = None;
                }
                Err(error) => {
                    entry.failures += 1;
                    entry.applied = entry.model.durable_seq();
                    entry.retry_at = Some(Instant::now() + entry.backoff);
                    tracing::error!(
                        model = entry.model.name(),
                        %error,
                        failures = entry.failures,
                        replay_from = entry.applied,
                        retry_in_ms = entry.backoff.as_millis() as u64,
                        "applying changes to a read model failed"
                    );
                    entry.backoff = (entry.backoff * 2).min(MAX_BACKOFF);
                    entry.last_error = Some(error.to_string());
                }
            }
            let oldest = state.models.iter().map(|m| m.applied).min().unwrap_or(0);
            while state.hints.first_key_value().is_some_and(|(seq, _)| *seq <= oldest) {
                state.hints.pop_first();
            }
            drop(state);
            self.applied.notify_all();
        }
        caught_up
    }

    /// The next batch after `after` and the last sequence it covers: from the hints when
    /// they hold it whole, else read from the store (each record the model wants as it is
    /// now; changes to records it does not want are passed over unread).
    fn batch_after(
        &self,
        model: &dyn ReadModel,
        after: u64,
        target: u64,
    ) -> Result<(Vec<Arc<Applied>>, u64), EngineError> {
        let end = target.min(after + BATCH as u64);
        {
            // Every change of the range must be hinted; only those the model wants are
            // handed over (shared, not copied).
            let state = self.lock();
            let mut hinted = Vec::new();
            let mut covered = 0u64;
            for (_, change) in state.hints.range(after + 1..=end) {
                covered += 1;
                if model.wants(&change.key) {
                    hinted.push(Arc::clone(change));
                }
            }
            if covered == end - after {
                return Ok((hinted, end));
            }
        }
        let changes = self.store.changes_after(after, BATCH)?;
        let covered = changes.last().map_or(after, |change| change.seq);
        let wanted: Vec<_> = changes.into_iter().filter(|change| model.wants(&change.key)).collect();
        // Participants and offers are read together (a batch of thousands while catching up).
        let (mut people, mut offers): (Vec<ParticipantId>, Vec<OfferKey>) = (Vec::new(), Vec::new());
        for change in &wanted {
            match &change.key {
                ChangeKey::Participant(id) => people.push(id.clone()),
                ChangeKey::Offer(key) => offers.push(key.clone()),
                ChangeKey::Coach(_) | ChangeKey::Referral(_) => {}
            }
        }
        let mut people = self.store.participants_by_id(&people)?.into_iter();
        let mut offers = self.store.offers_by_key(&offers)?.into_iter();
        let mut batch = Vec::with_capacity(wanted.len());
        for change in wanted {
            let record = match &change.key {
                ChangeKey::Participant(_) => people.next().flatten().map(Record::Participant),
                ChangeKey::Coach(id) => self.store.coach(id)?.map(Record::Coach),
                ChangeKey::Offer(_) => offers.next().flatten().map(Record::Offer),
                ChangeKey::Referral(id) => self.store.referral(id)?.map(Record::Referral),
            };
            batch.push(Arc::new(Applied { seq: change.seq, key: change.key, record }));
        }
        Ok((batch, covered))
    }

    /// Runs until every model has caught up with the store (start-up recovery).
    pub fn catch_up(&self) -> Result<(), EngineError> {
        let target = self.store.last_seq()?;
        {
            let mut state = self.lock();
            state.written = state.written.max(target);
        }
        let started = Instant::now();
        while !self.step(target) {
            if started.elapsed() > Duration::from_secs(3_600) {
                return Err(EngineError::Internal("read models did not catch up within an hour".into()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// The follower thread's loop, until [`Follower::stop`].
    pub fn run(&self) {
        let shared = self.shared.load(Ordering::Acquire);
        let idle = if shared { SHARED_POLL } else { Duration::from_millis(500) };
        while !self.stop.load(Ordering::Acquire) {
            if shared {
                self.read_store_head();
            }
            let target = self.lock().written;
            let caught_up = self.step(target);
            let state = self.lock();
            if (state.written == target && !state.nudged) || !caught_up {
                let wait = if caught_up { idle } else { Duration::from_millis(20) };
                let (state, waited) =
                    self.wake.wait_timeout(state, wait).unwrap_or_else(|poisoned| poisoned.into_inner());
                let quiet = caught_up && waited.timed_out() && state.written == target && !state.nudged;
                let models: Vec<Arc<dyn ReadModel>> =
                    if quiet { state.models.iter().map(|entry| entry.model.clone()).collect() } else { Vec::new() };
                drop(state);
                models.iter().for_each(|model| model.quiet());
            }
        }
    }

    /// Ends [`Follower::run`].
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.wake.notify_all();
    }

    /// Each model's lag; `lagging` when a change the store held `max_lag` ago is still not
    /// durable in it.
    pub fn lag(&self, max_lag: Duration) -> Result<Vec<ModelLag>, EngineError> {
        let last_seq = self.store.last_seq()?;
        let now = Instant::now();
        let mut state = self.lock();
        Ok(state
            .models
            .iter_mut()
            .map(|entry| {
                let durable = entry.model.durable_seq();
                let lagging = match entry.target {
                    Some((_, seq)) if durable >= seq => {
                        entry.target = None;
                        false
                    }
                    Some((since, _)) => now.duration_since(since) > max_lag,
                    None => {
                        if durable < last_seq {
                            entry.target = Some((now, last_seq));
                        }
                        false
                    }
                };
                ModelLag {
                    name: entry.model.name(),
                    lag_changes: last_seq.saturating_sub(durable),
                    lagging,
                    failures: entry.failures + entry.model.failures(),
                    last_error: entry.last_error.clone(),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    use pomost_store::ChangeKey;

    use super::{Applied, Backlog, Follower, ReadModel, WritesHeld};
    use crate::error::EngineError;

    /// A model that only counts its quiet spells.
    #[derive(Default)]
    struct Counting {
        quiet: AtomicU64,
    }

    impl ReadModel for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }

        fn apply(&self, _batch: Vec<Arc<Applied>>, _up_to: u64) -> Result<(), EngineError> {
            Ok(())
        }

        fn durable_seq(&self) -> u64 {
            0
        }

        fn quiet(&self) {
            self.quiet.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A model whose durable sequence and failing state the test sets.
    #[derive(Default)]
    struct Held {
        durable: AtomicU64,
        failing: AtomicBool,
    }

    impl ReadModel for Held {
        fn name(&self) -> &'static str {
            "held"
        }

        fn apply(&self, _batch: Vec<Arc<Applied>>, _up_to: u64) -> Result<(), EngineError> {
            Ok(())
        }

        fn durable_seq(&self) -> u64 {
            self.durable.load(Ordering::Acquire)
        }

        fn failing(&self) -> bool {
            self.failing.load(Ordering::Acquire)
        }
    }

    /// A follower of `model` (not running: nothing is applied) told of changes 1..=`written`.
    fn held_follower(dir: &std::path::Path, model: Arc<Held>, written: u64) -> Follower {
        let store = pomost_store::SqliteStore::open(dir, Default::default()).unwrap();
        let follower = Follower::new(Arc::new(store), dir, vec![(model, 0)]);
        let coach = pomost_domain::CoachId::new("coach-1").unwrap();
        follower.written(
            (1..=written).map(|seq| Applied { seq, key: ChangeKey::Coach(coach.clone()), record: None }).collect(),
        );
        follower
    }

    #[test]
    fn writes_pass_within_the_bound_and_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let follower = held_follower(dir.path(), Arc::default(), 20);
        assert_eq!(follower.admit_write(Duration::ZERO, Duration::ZERO), Ok(()), "no bound set");
        follower.set_max_behind(20);
        assert_eq!(follower.admit_write(Duration::ZERO, Duration::ZERO), Ok(()), "20 behind is within 20");
        assert_eq!(follower.writes_held(), WritesHeld::default(), "nothing was held back");
    }

    #[test]
    fn a_stuck_model_past_the_bound_refuses_writes_with_its_backlog() {
        let dir = tempfile::tempdir().unwrap();
        let model = Arc::new(Held::default());
        model.durable.store(5, Ordering::Release);
        let follower = held_follower(dir.path(), model, 20);
        follower.set_max_behind(10);
        let started = Instant::now();
        let refused = follower.admit_write(Duration::from_millis(100), Duration::from_secs(30));
        assert_eq!(refused, Err(Backlog { model: "held", behind: 15, bound: 10 }));
        assert!(started.elapsed() >= Duration::from_millis(100), "it waited for progress first");
        assert_eq!(follower.writes_held(), WritesHeld { held: 1, refused: 1 });
    }

    #[test]
    fn a_slow_model_holds_writes_back_until_it_is_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let model = Arc::new(Held::default());
        let follower = held_follower(dir.path(), model.clone(), 30);
        follower.set_max_behind(10);
        // Progress every 50 ms, never a stall of 400 ms, reaching 20 (10 behind) after 200 ms.
        let catching_up = std::thread::spawn(move || {
            for durable in [5, 10, 15, 20] {
                std::thread::sleep(Duration::from_millis(50));
                model.durable.store(durable, Ordering::Release);
            }
        });
        let started = Instant::now();
        assert_eq!(follower.admit_write(Duration::from_millis(400), Duration::from_secs(30)), Ok(()));
        assert!(started.elapsed() >= Duration::from_millis(150), "admitted only once within the bound");
        catching_up.join().unwrap();
        assert_eq!(follower.writes_held(), WritesHeld { held: 1, refused: 0 });
    }

    #[test]
    fn a_failing_model_does_not_hold_writes_back() {
        let dir = tempfile::tempdir().unwrap();
        let model = Arc::new(Held::default());
        model.failing.store(true, Ordering::Release);
        let follower = held_follower(dir.path(), model, 1_000);
        follower.set_max_behind(10);
        assert_eq!(follower.admit_write(Duration::ZERO, Duration::ZERO), Ok(()));
    }

    #[test]
    fn models_hear_of_quiet_spells() {
        let dir = tempfile::tempdir().unwrap();
        let store = pomost_store::SqliteStore::open(dir.path(), Default::default()).unwrap();
        let model = Arc::new(Counting::default());
        let follower = Arc::new(Follower::new(Arc::new(store), dir.path(), vec![(model.clone(), 0)]));
        let running = std::thread::spawn({
            let follower = follower.clone();
            move || follower.run()
        });
        let give_up = Instant::now() + Duration::from_secs(20);
        while model.quiet.load(Ordering::Relaxed) == 0 && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(20));
        }
        follower.stop();
        running.join().unwrap();
        assert!(model.quiet.load(Ordering::Relaxed) > 0, "an idle follower calls quiet");
    }
}
