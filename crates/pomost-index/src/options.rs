//! How the index commits and reads.

use std::time::Duration;

/// How the index commits and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexOptions {
    /// Commit after this many pending changes…
    pub commit_max_changes: usize,
    /// …or this long after the first pending change, whichever comes first.
    pub commit_interval: Duration,
    /// Memory for tantivy's indexing buffers, bytes.
    pub writer_memory_bytes: usize,
    /// Weeks of adaptation period that bridge one stage (the scoring policy's value, used
    /// at query time; documents hold only the offer's facts).
    pub adaptation_weeks_per_stage: u8,
    /// How text becomes terms. An index on disk always uses [`TextAnalysis::Lemmas`]
    /// (`OfferIndex::open` ignores this); the light stemmer is kept for comparisons in
    /// memory (`pomost-bench search-recall`).
    pub text_analysis: TextAnalysis,
}

/// How text becomes terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextAnalysis {
    /// Lemmas from the Morfologik dictionary, the light stemmer for unknown words.
    #[default]
    Lemmas,
    /// The light stemmer alone (the analyzer before lemmas).
    LightStem,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            commit_max_changes: 10_000,
            commit_interval: Duration::from_millis(200),
            writer_memory_bytes: 128 * 1024 * 1024,
            adaptation_weeks_per_stage: 8,
            text_analysis: TextAnalysis::Lemmas,
        }
    }
}
