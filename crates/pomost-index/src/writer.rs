//! The group-commit writer: one thread owns the tantivy `IndexWriter`, applies changes as
//! they arrive, and commits when enough are pending or the oldest has waited long enough.
//! Each commit's payload records the last change sequence it covers; the reader is reloaded
//! right after, so a change is searchable within one commit interval.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pomost_domain::{Offer, OfferKey};
use serde::{Deserialize, Serialize};
use tantivy::query::RangeQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, Index, IndexReader, IndexWriter, TERMINATED, Term};

use crate::error::IndexError;
use crate::options::IndexOptions;
use crate::schema::{OfferFields, key_text};

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexOutcome {
    /// Indexed (replacing any older version).
    Applied,
    /// The index already holds this or a newer version; nothing changed.
    Stale {
        /// The version already indexed.
        indexed_version: u64,
    },
}

#[derive(Serialize, Deserialize)]
struct Checkpoint {
    seq: u64,
}

/// The change sequence recorded by the last commit, 0 for a new index.
pub(crate) fn read_checkpoint(index: &Index) -> tantivy::Result<u64> {
    let payload = index.load_metas()?.payload;
    Ok(payload.and_then(|text| serde_json::from_str::<Checkpoint>(&text).ok()).map_or(0, |checkpoint| checkpoint.seq))
}

/// First wait before retrying a failed commit; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

enum Command {
    Upsert(Box<Offer>, u64, Option<Sender<Result<IndexOutcome, IndexError>>>),
    Delete(OfferKey, u64, Option<Sender<Result<bool, IndexError>>>),
    Advance(u64),
    PurgeExpired(i64),
    Flush(Sender<Result<u64, IndexError>>),
}

/// Shared between the writer thread and waiters: the committed sequence, and what went
/// wrong with commits.
/// What the writer runs before each commit, so the checkpoint it writes is never ahead of
/// what its source has on disk (the store syncs its log); an error fails the commit.
pub type CommitBarrier = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

struct Committed {
    /// Called before every commit (see [`CommitBarrier`]).
    barrier: Mutex<Option<CommitBarrier>>,
    seq: Mutex<u64>,
    changed: Condvar,
    /// Failed commits so far; each one discarded the uncommitted changes, which the owner
    /// must replay from the committed sequence.
    failures: AtomicU64,
    /// Why the last commit failed, while commits are failing.
    last_error: Mutex<Option<String>>,
    /// Every offer change up to this sequence is searchable: the committed sequence, or
    /// more when the changes after it touched no offer (nothing waits for a commit).
    visible: AtomicU64,
}

/// How the writer's commits are doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitHealth {
    /// The last change sequence a commit made durable.
    pub committed_seq: u64,
    /// Failed commits since the index was opened.
    pub failures: u64,
    /// The cause of the last failure, while the last commit failed.
    pub last_error: Option<String>,
}

/// The caller's side of the writer thread.
pub(crate) struct WriterHandle {
    commands: Mutex<Option<Sender<Command>>>,
    committed: Arc<Committed>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct WriterLoop {
    index: Index,
    path: PathBuf,
    /// When the next commit may be tried after a failure (backoff).
    retry_at: Option<Instant>,
    backoff: Duration,
    writer: IndexWriter,
    reader: IndexReader,
    fields: Arc<OfferFields>,
    options: IndexOptions,
    /// Versions written since the last commit (not yet visible to the reader).
    pending: HashMap<String, Option<u64>>,
    pending_since: Option<Instant>,
    applied_seq: u64,
    /// Documents were added or deleted since the last commit.
    dirty: bool,
    committed: Arc<Committed>,
}

impl WriterHandle {
    pub(crate) fn spawn(
        index: &Index,
        reader: IndexReader,
        fields: Arc<OfferFields>,
        options: IndexOptions,
        checkpoint: u64,
        path: &Path,
    ) -> Result<Self, IndexError> {
        let writer = index.writer(options.writer_memory_bytes).map_err(|error| IndexError::classify(path, error))?;
        let committed = Arc::new(Committed {
            barrier: Mutex::new(None),
            seq: Mutex::new(checkpoint),
            changed: Condvar::new(),
            failures: AtomicU64::new(0),
            last_error: Mutex::new(None),
            visible: AtomicU64::new(checkpoint),
        });
        let (sender, receiver) = mpsc::channel();
        let mut state = WriterLoop {
            index: index.clone(),
            path: path.to_owned(),
            retry_at: None,
            backoff: FIRST_BACKOFF,
            writer,
            reader,
            fields,
            options,
            pending: HashMap::new(),
            pending_since: None,
            applied_seq: checkpoint,
            dirty: false,
            committed: committed.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("offer-index-writer".into())
            .spawn(move || state.run(receiver))
            .map_err(|error| IndexError::WriterStopped(error.to_string()))?;
        Ok(Self { commands: Mutex::new(Some(sender)), committed, thread: Mutex::new(Some(thread)) })
    }

    fn send(&self, command: Command) -> Result<(), IndexError> {
        let commands = self.commands.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match commands.as_ref() {
            Some(sender) => sender.send(command).map_err(|_| IndexError::WriterStopped("writer thread ended".into())),
            None => Err(IndexError::WriterStopped("index closed".into())),
        }
    }

    fn ask<T>(&self, make: impl FnOnce(Sender<Result<T, IndexError>>) -> Command) -> Result<T, IndexError> {
        let (reply, answer) = mpsc::channel();
        self.send(make(reply))?;
        answer.recv().map_err(|_| IndexError::WriterStopped("writer thread ended".into()))?
    }

    pub(crate) fn upsert(&self, offer: Offer, seq: u64) -> Result<IndexOutcome, IndexError> {
        self.ask(|reply| Command::Upsert(Box::new(offer), seq, Some(reply)))
    }

    /// Queues an upsert without waiting for the writer thread (which may be committing).
    pub(crate) fn enqueue_upsert(&self, offer: Offer, seq: u64) -> Result<(), IndexError> {
        self.send(Command::Upsert(Box::new(offer), seq, None))
    }

    pub(crate) fn delete(&self, key: OfferKey, seq: u64) -> Result<bool, IndexError> {
        self.ask(|reply| Command::Delete(key, seq, Some(reply)))
    }

    /// Queues a delete without waiting for the writer thread.
    pub(crate) fn enqueue_delete(&self, key: OfferKey, seq: u64) -> Result<(), IndexError> {
        self.send(Command::Delete(key, seq, None))
    }

    pub(crate) fn advance(&self, seq: u64) -> Result<(), IndexError> {
        self.send(Command::Advance(seq))
    }

    pub(crate) fn purge_expired(&self, today: time::Date) -> Result<(), IndexError> {
        self.send(Command::PurgeExpired(i64::from(today.to_julian_day())))
    }

    pub(crate) fn flush(&self) -> Result<u64, IndexError> {
        self.ask(Command::Flush)
    }

    /// Sets what runs before every commit.
    pub(crate) fn set_barrier(&self, barrier: CommitBarrier) {
        *self.committed.barrier.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(barrier);
    }

    pub(crate) fn health(&self) -> CommitHealth {
        CommitHealth {
            committed_seq: self.committed_seq(),
            failures: self.committed.failures.load(Ordering::Acquire),
            last_error: self.committed.last_error.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone(),
        }
    }

    pub(crate) fn committed_seq(&self) -> u64 {
        *self.committed.seq.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn visible_seq(&self) -> u64 {
        self.committed.visible.load(Ordering::Acquire).max(self.committed_seq())
    }

    pub(crate) fn wait_for(&self, seq: u64, timeout: Duration) -> bool {
        let guard = self.committed.seq.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (guard, _) = self
            .committed
            .changed
            .wait_timeout_while(guard, timeout, |committed| *committed < seq)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard >= seq
    }
}

impl Drop for WriterHandle {
    /// Closing the channel makes the thread commit what is pending and stop.
    fn drop(&mut self) {
        self.commands.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl WriterLoop {
    fn run(&mut self, commands: Receiver<Command>) {
        loop {
            let wait = match (self.pending_since, self.retry_at) {
                (Some(_), Some(retry)) => retry.saturating_duration_since(Instant::now()),
                (Some(since), None) => self.options.commit_interval.saturating_sub(since.elapsed()),
                (None, _) => Duration::from_secs(3600),
            };
            match commands.recv_timeout(wait) {
                Ok(command) => self.handle(command),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.commit();
                    return;
                }
            }
            let due = self.pending_since.is_some_and(|since| since.elapsed() >= self.options.commit_interval);
            let backing_off = self.retry_at.is_some_and(|retry| Instant::now() < retry);
            if !backing_off && (due || self.pending.len() >= self.options.commit_max_changes) {
                // A failure is logged, counted and reported in `commit` itself.
                let _ = self.commit();
            }
        }
    }

    fn handle(&mut self, command: Command) {
        if matches!(command, Command::Upsert(..) | Command::Delete(..) | Command::PurgeExpired(_)) {
            self.dirty = true;
        }
        match command {
            Command::Upsert(offer, seq, reply) => {
                let outcome = self.upsert(&offer, seq);
                if let Err(error) = &outcome {
                    // A writer that cannot take a document cannot be trusted with the
                    // ones before it either: start over from the checkpoint.
                    self.recover_from(error);
                }
                match reply {
                    Some(reply) => {
                        let _ = reply.send(outcome);
                    }
                    None => match outcome {
                        Ok(IndexOutcome::Stale { indexed_version }) => {
                            tracing::warn!(offer = %offer.key, indexed_version, "index held a newer version than the store");
                        }
                        Err(error) => tracing::error!(offer = %offer.key, %error, "indexing an offer failed"),
                        Ok(IndexOutcome::Applied) => {}
                    },
                }
            }
            Command::Delete(key, seq, reply) => {
                let outcome = self.delete(&key, seq);
                if let Err(error) = &outcome {
                    self.recover_from(error);
                }
                match reply {
                    Some(reply) => {
                        let _ = reply.send(outcome);
                    }
                    None => {
                        if let Err(error) = outcome {
                            tracing::error!(offer = %key, %error, "removing an offer from the index failed");
                        }
                    }
                }
            }
            Command::Advance(seq) => {
                if seq > self.applied_seq {
                    self.applied_seq = seq;
                    self.pending_since.get_or_insert_with(Instant::now);
                }
                if !self.dirty {
                    // Nothing uncommitted: every offer change up to `seq` is searchable now.
                    self.committed.visible.fetch_max(seq, Ordering::AcqRel);
                }
            }
            Command::PurgeExpired(today) => {
                let query = RangeQuery::new(
                    std::ops::Bound::Unbounded,
                    std::ops::Bound::Excluded(Term::from_field_i64(self.fields.valid_until, today)),
                );
                if self.writer.delete_query(Box::new(query)).is_ok() {
                    self.pending_since.get_or_insert_with(Instant::now);
                }
            }
            Command::Flush(reply) => {
                let _ = reply.send(self.commit());
            }
        }
    }

    /// The version indexed for a key: a pending write wins over the committed index. A
    /// point lookup, once per written offer: the key's postings in each segment and the
    /// live document's version from its column (no scoring, no stored document read).
    fn indexed_version(&self, key: &str) -> Result<Option<u64>, IndexError> {
        if let Some(pending) = self.pending.get(key) {
            return Ok(*pending);
        }
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.key, key);
        for segment in searcher.segment_readers() {
            let postings = segment
                .inverted_index(self.fields.key)?
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(tantivy::TantivyError::from)?;
            let Some(mut postings) = postings else { continue };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if segment.alive_bitset().is_none_or(|alive| alive.is_alive(doc)) {
                    return Ok(segment.fast_fields().u64("version")?.first(doc));
                }
                doc = postings.advance();
            }
        }
        Ok(None)
    }

    fn upsert(&mut self, offer: &Offer, seq: u64) -> Result<IndexOutcome, IndexError> {
        let key = key_text(&offer.key);
        if let Some(indexed_version) = self.indexed_version(&key)?
            && indexed_version >= offer.version
        {
            self.note_applied(seq);
            return Ok(IndexOutcome::Stale { indexed_version });
        }
        self.writer.delete_term(Term::from_field_text(self.fields.key, &key));
        self.writer.add_document(self.fields.document(offer, seq))?;
        self.pending.insert(key, Some(offer.version));
        self.note_applied(seq);
        Ok(IndexOutcome::Applied)
    }

    fn delete(&mut self, key: &OfferKey, seq: u64) -> Result<bool, IndexError> {
        let key = key_text(key);
        let existed = self.indexed_version(&key)?.is_some();
        self.writer.delete_term(Term::from_field_text(self.fields.key, &key));
        self.pending.insert(key, None);
        self.note_applied(seq);
        Ok(existed)
    }

    fn note_applied(&mut self, seq: u64) {
        self.applied_seq = self.applied_seq.max(seq);
        self.pending_since.get_or_insert_with(Instant::now);
    }

    fn try_commit(&mut self) -> Result<(), IndexError> {
        let barrier = self.committed.barrier.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        if let Some(barrier) = barrier {
            barrier().map_err(IndexError::SourceNotDurable)?;
        }
        let payload = serde_json::to_string(&Checkpoint { seq: self.applied_seq })
            .map_err(|error| IndexError::WriterStopped(error.to_string()))?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// After a failed commit: drop everything uncommitted (the owner replays it from the
    /// committed sequence), and wait longer before the next try.
    fn recover_from(&mut self, error: &IndexError) {
        let failures = self.committed.failures.fetch_add(1, Ordering::AcqRel) + 1;
        tracing::error!(
            path = %self.path.display(),
            %error,
            failures,
            retry_in_ms = self.backoff.as_millis() as u64,
            "index commit failed; uncommitted changes dropped, to be replayed from the last checkpoint"
        );
        *self.committed.last_error.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error.to_string());
        if let Err(rollback) = self.writer.rollback() {
            tracing::error!(%rollback, "index rollback failed; opening a new writer");
            match self.index.writer(self.options.writer_memory_bytes) {
                Ok(writer) => self.writer = writer,
                Err(reopen) => tracing::error!(%reopen, "a new index writer could not be opened"),
            }
        }
        self.pending.clear();
        self.pending_since = None;
        self.dirty = false;
        self.applied_seq = self.committed_seq();
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    fn committed_seq(&self) -> u64 {
        *self.committed.seq.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn commit(&mut self) -> Result<u64, IndexError> {
        if self.pending_since.is_some() {
            if let Err(error) = self.try_commit() {
                self.recover_from(&error);
                return Err(error);
            }
            self.pending.clear();
            self.pending_since = None;
            self.dirty = false;
            self.retry_at = None;
            self.backoff = FIRST_BACKOFF;
            *self.committed.last_error.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        }
        let mut committed = self.committed.seq.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *committed = self.applied_seq;
        self.committed.visible.fetch_max(self.applied_seq, Ordering::AcqRel);
        self.committed.changed.notify_all();
        Ok(self.applied_seq)
    }
}
