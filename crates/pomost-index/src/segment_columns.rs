//! What the recommendation filters read from a segment whatever the person: the columns of
//! the offer fields they test and the set of the segment's remote offers. A segment never
//! changes once written (deletions live in the searcher's alive set, read apart), so these
//! are opened once per segment and shared by every later request, instead of opening nine
//! columns and decoding the remote offers' postings in every segment on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::postings::SegmentPostings;
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocSet, SegmentReader, TERMINATED, Term};

use crate::error::IndexError;
use crate::schema::OfferFields;

/// The person-independent part of one segment's filters.
pub(crate) struct SegmentColumns {
    pub(crate) remote: Column<u64>,
    pub(crate) lat: Column<f64>,
    pub(crate) lon: Column<f64>,
    pub(crate) valid_from: Column<i64>,
    pub(crate) valid_until: Column<i64>,
    pub(crate) positions: Column<u64>,
    pub(crate) lowest_stage: Column<u64>,
    pub(crate) night_work: Column<u64>,
    pub(crate) seq: Column<u64>,
    /// The segment's remote offers (deleted ones included; the alive set decides those).
    pub(crate) remote_offers: BitSet,
    /// By certificate degree code: the offers that keep that degree's working-time norms.
    pub(crate) lawful_offers: [BitSet; 4],
}

impl SegmentColumns {
    fn open(segment: &SegmentReader, fields: &OfferFields) -> Result<Self, IndexError> {
        let fast = segment.fast_fields();
        let schema = segment.schema();
        let mut remote_offers = BitSet::with_max_value(segment.max_doc());
        let remote = Term::from_field_u64(fields.remote, 1);
        mark_postings(
            &mut remote_offers,
            segment.inverted_index(fields.remote)?.read_postings(&remote, IndexRecordOption::Basic),
        )?;
        let legal_index = segment.inverted_index(fields.legal_for)?;
        let mut lawful_offers: [BitSet; 4] = std::array::from_fn(|_| BitSet::with_max_value(segment.max_doc()));
        for (degree, lawful) in (0u64..).zip(lawful_offers.iter_mut()) {
            let term = Term::from_field_u64(fields.legal_for, degree);
            mark_postings(lawful, legal_index.read_postings(&term, IndexRecordOption::Basic))?;
        }
        Ok(Self {
            remote: fast.u64(schema.get_field_name(fields.remote))?,
            lat: fast.f64(schema.get_field_name(fields.lat))?,
            lon: fast.f64(schema.get_field_name(fields.lon))?,
            valid_from: fast.i64(schema.get_field_name(fields.valid_from))?,
            valid_until: fast.i64(schema.get_field_name(fields.valid_until))?,
            positions: fast.u64(schema.get_field_name(fields.positions))?,
            lowest_stage: fast.u64(schema.get_field_name(fields.lowest_stage))?,
            night_work: fast.u64(schema.get_field_name(fields.night_work))?,
            seq: fast.u64("seq")?,
            remote_offers,
            lawful_offers,
        })
    }
}

/// Sets the bit of every document of a term's postings (none when the segment lacks the term).
pub(crate) fn mark_postings(
    bits: &mut BitSet,
    postings: std::io::Result<Option<SegmentPostings>>,
) -> Result<(), IndexError> {
    if let Some(mut postings) = postings.map_err(tantivy::TantivyError::from)? {
        let mut doc = postings.doc();
        while doc != TERMINATED {
            bits.insert(doc);
            doc = postings.advance();
        }
    }
    Ok(())
}

/// The [`SegmentColumns`] of the segments in use, by segment id. Entries of segments that
/// merges have retired are dropped when a new segment's are added, so the cache holds
/// about one searcher's worth.
#[derive(Default)]
pub(crate) struct ColumnCache {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>,
}

impl ColumnCache {
    /// The columns of each of `segments`, in their order, opening those not seen before.
    pub(crate) fn of(
        &self,
        segments: &[SegmentReader],
        fields: &OfferFields,
    ) -> Result<Vec<Arc<SegmentColumns>>, IndexError> {
        let mut cached = self.segments.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut added = false;
        let mut found = Vec::with_capacity(segments.len());
        for segment in segments {
            let columns = match cached.get(&segment.segment_id()) {
                Some(columns) => columns.clone(),
                None => {
                    let columns = Arc::new(SegmentColumns::open(segment, fields)?);
                    cached.insert(segment.segment_id(), columns.clone());
                    added = true;
                    columns
                }
            };
            found.push(columns);
        }
        if added {
            // Segments retired by merges are never asked for again; an older searcher still
            // reading one opens it anew.
            cached.retain(|id, _| segments.iter().any(|segment| segment.segment_id() == *id));
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_is_opened_once_and_retired_segments_are_dropped() {
        let synth = pomost_synth::Synth::new(3, time::macros::date!(2026 - 11 - 24));
        let index = crate::OfferIndex::in_memory(crate::IndexOptions::default()).unwrap();
        for number in 0..40 {
            index.upsert(&synth.offer(number), number as u64 + 1).unwrap();
        }
        index.flush().unwrap();
        let searcher = index.reader.searcher();
        let cache = ColumnCache::default();
        let first = cache.of(searcher.segment_readers(), &index.fields).unwrap();
        let again = cache.of(searcher.segment_readers(), &index.fields).unwrap();
        assert_eq!(first.len(), searcher.segment_readers().len());
        assert!(first.iter().zip(&again).all(|(a, b)| Arc::ptr_eq(a, b)), "opened twice");
        let remote = (0..40).filter(|number| synth.offer(*number).location().is_none()).count();
        assert_eq!(first.iter().map(|columns| columns.remote_offers.len()).sum::<usize>(), remote);

        // A searcher over other segments: the old entries go.
        for number in 40..60 {
            index.upsert(&synth.offer(number), number as u64 + 1).unwrap();
        }
        index.flush().unwrap();
        let newer = index.reader.searcher();
        let newest = &newer.segment_readers()[newer.segment_readers().len() - 1..];
        cache.of(newest, &index.fields).unwrap();
        assert_eq!(cache.segments.lock().unwrap().len(), 1);
    }
}
