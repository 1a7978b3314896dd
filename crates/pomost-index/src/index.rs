//! The offer index: opening (or rebuilding) it on disk, the writer thread behind it, and
//! the calls that change it. Searches are in `query.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pomost_domain::{Offer, OfferKey};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::analysis::{POLISH, analyzer};
use crate::error::IndexError;
use crate::faults;
use crate::options::IndexOptions;
use crate::options::TextAnalysis;
use crate::schema::OfferFields;
use crate::writer::{self, CommitHealth, IndexOutcome, WriterHandle};

/// The offer index. Cheap to share behind an `Arc`; searches run on the caller's thread,
/// writes go through the writer thread.
pub struct OfferIndex {
    pub(crate) path: Option<PathBuf>,
    pub(crate) fields: Arc<OfferFields>,
    pub(crate) reader: IndexReader,
    pub(crate) writer: WriterHandle,
    /// The person-independent columns of each segment the recommendation filters read.
    pub(crate) columns: Arc<crate::segment_columns::ColumnCache>,
}

impl OfferIndex {
    /// Opens the index in `dir`, creating it if empty. A corrupt directory or one locked by
    /// another writer gives an error naming the directory.
    pub fn open(dir: &Path, options: IndexOptions) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir)
            .map_err(|error| IndexError::Open { path: dir.to_owned(), detail: error.to_string() })?;
        let directory = MmapDirectory::open(dir)
            .map_err(|error| IndexError::Open { path: dir.to_owned(), detail: error.to_string() })?;
        let (schema, fields) = OfferFields::schema(options.adaptation_weeks_per_stage);
        let directory = faults::FaultyDirectory::new(directory, dir);
        let index = match Index::open_or_create(directory.clone(), schema.clone()) {
            Ok(index) => index,
            // An index written by an older build with another schema: it is derived data,
            // so it is rebuilt (the engine replays every change into the empty index).
            Err(tantivy::TantivyError::SchemaError(detail)) => {
                tracing::warn!(dir = %dir.display(), %detail, "offer index has an older schema; rebuilding it from the store");
                Self::empty_dir(dir)?;
                Index::open_or_create(directory, schema).map_err(|error| IndexError::classify(dir, error))?
            }
            Err(error) => return Err(IndexError::classify(dir, error)),
        };
        Self::start(index, Some(dir.to_owned()), fields, options)
    }

    fn empty_dir(dir: &Path) -> Result<(), IndexError> {
        let open = |error: std::io::Error| IndexError::Open { path: dir.to_owned(), detail: error.to_string() };
        for entry in std::fs::read_dir(dir).map_err(open)? {
            let path = entry.map_err(open)?.path();
            if path.file_name().is_some_and(|name| name == ".tantivy-writer.lock" || name == ".tantivy-meta.lock") {
                continue;
            }
            if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) }.map_err(open)?;
        }
        Ok(())
    }

    /// An index in memory, for tests and demos.
    pub fn in_memory(options: IndexOptions) -> Result<Self, IndexError> {
        let (schema, fields) = OfferFields::schema(options.adaptation_weeks_per_stage);
        Self::start(Index::create_in_ram(schema), None, fields, options)
    }

    fn start(
        index: Index,
        path: Option<PathBuf>,
        fields: OfferFields,
        options: IndexOptions,
    ) -> Result<Self, IndexError> {
        let where_ = path.clone().unwrap_or_else(|| PathBuf::from("(memory)"));
        let analysis = if path.is_some() { TextAnalysis::Lemmas } else { options.text_analysis };
        index.tokenizers().register(POLISH, analyzer(analysis));
        let checkpoint = writer::read_checkpoint(&index).map_err(|error| IndexError::classify(&where_, error))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|error| IndexError::classify(&where_, error))?;
        let fields = Arc::new(fields);
        let writer = WriterHandle::spawn(&index, reader.clone(), fields.clone(), options, checkpoint, &where_)?;
        Ok(Self { path, fields, reader, writer, columns: Arc::default() })
    }

    /// The directory, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Indexes an offer as of change `seq`, unless the index already holds this or a newer
    /// version. Visible to searches after the next group commit.
    pub fn upsert(&self, offer: &Offer, seq: u64) -> Result<IndexOutcome, IndexError> {
        offer.check().map_err(|error| IndexError::Invalid(error.to_string()))?;
        self.writer.upsert(offer.clone(), seq)
    }

    /// Queues an offer for indexing as of change `seq` and returns at once: the writer
    /// thread may be in a commit, and a store write must not wait for it. Order with other
    /// changes is kept; a stale version or a failure is logged by the writer.
    pub fn enqueue_upsert(&self, offer: &Offer, seq: u64) -> Result<(), IndexError> {
        offer.check().map_err(|error| IndexError::Invalid(error.to_string()))?;
        self.writer.enqueue_upsert(offer.clone(), seq)
    }

    /// Queues the removal of an offer as of change `seq` and returns at once.
    pub fn enqueue_delete(&self, key: &OfferKey, seq: u64) -> Result<(), IndexError> {
        self.writer.enqueue_delete(key.clone(), seq)
    }

    /// Removes an offer as of change `seq`; false if it was not indexed.
    pub fn delete(&self, key: &OfferKey, seq: u64) -> Result<bool, IndexError> {
        self.writer.delete(key.clone(), seq)
    }

    /// Records that every change up to `seq` is applied (for changes that touch no offer),
    /// so the next commit's checkpoint moves on.
    pub fn advance_to(&self, seq: u64) -> Result<(), IndexError> {
        self.writer.advance(seq)
    }

    /// Deletes offers whose validity ended before `today` (julian day); returns when queued.
    pub fn purge_expired(&self, today: time::Date) -> Result<(), IndexError> {
        self.writer.purge_expired(today)
    }

    /// Commits everything pending now and waits until searches see it; returns the
    /// checkpoint (last change sequence) committed.
    pub fn flush(&self) -> Result<u64, IndexError> {
        self.writer.flush()
    }

    /// How commits are doing: the durable checkpoint, failures so far, the last cause. When
    /// `failures` grows, uncommitted changes were dropped: replay the store's changes after
    /// `committed_seq`.
    pub fn commit_health(&self) -> CommitHealth {
        self.writer.health()
    }

    /// Runs `barrier` before every commit: the store makes every change the commit's
    /// checkpoint covers durable first, so the index on disk is never ahead of the store.
    pub fn set_commit_barrier(&self, barrier: crate::writer::CommitBarrier) {
        self.writer.set_barrier(barrier);
    }

    /// The change sequence of the last commit: replay the store's changes after it.
    pub fn checkpoint(&self) -> u64 {
        self.writer.committed_seq()
    }

    /// Every offer change up to this sequence is searchable (at least the checkpoint; more
    /// when later changes touched no offer). Read-your-writes waits for it.
    pub fn visible_seq(&self) -> u64 {
        self.writer.visible_seq()
    }

    /// Waits until a commit covers change `seq` (or `timeout` passes); true if it did.
    pub fn wait_for(&self, seq: u64, timeout: Duration) -> bool {
        self.writer.wait_for(seq, timeout)
    }

    /// Number of offers searches currently see.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether searches currently see no offers.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
