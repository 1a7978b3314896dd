//! What the recommendation filters read from a segment whatever the person: each offer's
//! filter facts in one row, and the sets of the segment's remote offers and of the offers
//! lawful for each certificate degree; and, for whatever a search returns, each offer's key
//! and version. A segment never changes once written (deletions
//! live in the searcher's alive set, read apart), so these are built once per segment and
//! shared by every later request. A row is read where the filters used to read nine
//! columns an offer (each a call through tantivy's codec: a tenth of a recommendation's
//! time went there); a segment of 200,000 offers costs 40 bytes an offer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::postings::SegmentPostings;
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, DocSet, SegmentReader, TERMINATED, Term};

use pomost_domain::OfferKey;

use crate::error::IndexError;
use crate::schema::{OfferFields, key_of_text};

/// The person-independent part of one segment's filters.
pub(crate) struct SegmentColumns {
    /// By document: the facts the filters test.
    rows: Vec<FilterRow>,
    /// The greatest change sequence of the segment's offers (0 when it has none).
    pub(crate) seq_max: u64,
    /// The segment's remote offers (deleted ones included; the alive set decides those).
    pub(crate) remote_offers: BitSet,
    /// By certificate degree code: the offers that keep that degree's working-time norms.
    pub(crate) lawful_offers: [BitSet; 4],
    /// Each offer's key and version, for the offers a search returns.
    keys: SegmentKeys,
}

/// The keys and versions of a segment's offers, read from their columns once: the doc
/// store decompresses a block of documents for each offer read (most of a recommendation's
/// candidates lie in different blocks: about a twelfth of its time), and the key column's
/// dictionary walks a block of terms for each.
struct SegmentKeys {
    /// By document: the ordinal of its key in `keys` (`u32::MAX` for none).
    ords: Vec<u32>,
    /// By ordinal: the segment's keys, in the dictionary's order (`None` for a term not made
    /// by `key_text`, which none is; kept in place so the ordinals stay aligned).
    keys: Vec<Option<OfferKey>>,
    /// By document: the version indexed (0 when the column lacks one).
    versions: Vec<u64>,
}

impl SegmentKeys {
    fn read(segment: &SegmentReader, fields: &OfferFields) -> Result<Self, IndexError> {
        let fast = segment.fast_fields();
        let schema = segment.schema();
        let (mut ords, mut keys) = (Vec::new(), Vec::new());
        if let Some(column) = fast.str(schema.get_field_name(fields.key))? {
            let mut terms = column.dictionary().stream().map_err(tantivy::TantivyError::from)?;
            while terms.advance() {
                keys.push(std::str::from_utf8(terms.key()).ok().and_then(key_of_text));
            }
            ords = (0..segment.max_doc())
                .map(|doc| column.term_ords(doc).next().and_then(|ord| u32::try_from(ord).ok()).unwrap_or(u32::MAX))
                .collect();
        }
        let version = fast.u64(schema.get_field_name(fields.version))?;
        let versions = (0..segment.max_doc()).map(|doc| version.first(doc).unwrap_or(0)).collect();
        Ok(Self { ords, keys, versions })
    }
}

/// One offer's filter facts, as its columns hold them. An offer lacking a fact the filters
/// need is never admitted (the filters turned it away when they read the columns).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FilterRow {
    /// The workplace's coordinates (on-site offers).
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// The change that wrote the offer into the index.
    pub(crate) seq: u64,
    /// Julian days, saturated to `i32` (every `time::Date` fits, so no comparison changes).
    pub(crate) valid_from: i32,
    pub(crate) valid_until: i32,
    /// Saturated to `u32` (stages are ranked below 256).
    pub(crate) lowest_stage: u32,
    flags: u8,
}

impl FilterRow {
    const COMPLETE: u8 = 1;
    const REMOTE: u8 = 2;
    const ON_SITE: u8 = 4;
    const HAS_POSITIONS: u8 = 8;
    /// Night work, or no night-work fact (either fails a person who takes no night work).
    const MAY_BE_NIGHT_WORK: u8 = 16;

    /// The row of `doc`, or a row never admitted when a column lacks a value the filters need.
    fn read(columns: &Columns, doc: DocId) -> Self {
        let (lat, lon) = (columns.lat.first(doc), columns.lon.first(doc));
        let place = match columns.remote.first(doc) {
            Some(1) => Some(Self::REMOTE),
            Some(0) if lat.is_some() && lon.is_some() => Some(Self::ON_SITE),
            _ => None,
        };
        let facts = (
            place,
            columns.valid_from.first(doc),
            columns.valid_until.first(doc),
            columns.positions.first(doc),
            columns.lowest_stage.first(doc),
            columns.seq.first(doc),
        );
        let (Some(place), Some(valid_from), Some(valid_until), Some(positions), Some(lowest_stage), Some(seq)) = facts
        else {
            return Self { lat: 0.0, lon: 0.0, seq: 0, valid_from: 0, valid_until: 0, lowest_stage: 0, flags: 0 };
        };
        let mut flags = Self::COMPLETE | place;
        if positions >= 1 {
            flags |= Self::HAS_POSITIONS;
        }
        if columns.night_work.first(doc) != Some(0) {
            flags |= Self::MAY_BE_NIGHT_WORK;
        }
        Self {
            lat: lat.unwrap_or(0.0),
            lon: lon.unwrap_or(0.0),
            seq,
            valid_from: saturate(valid_from),
            valid_until: saturate(valid_until),
            lowest_stage: u32::try_from(lowest_stage).unwrap_or(u32::MAX),
            flags,
        }
    }

    /// Whether every fact the filters need is there.
    pub(crate) fn complete(&self) -> bool {
        self.flags & Self::COMPLETE != 0
    }

    /// `Some(None)` for a remote offer, `Some(workplace)` for an on-site one.
    pub(crate) fn place(&self) -> Option<Option<(f64, f64)>> {
        if self.flags & Self::REMOTE != 0 {
            Some(None)
        } else if self.flags & Self::ON_SITE != 0 {
            Some(Some((self.lat, self.lon)))
        } else {
            None
        }
    }

    /// Whether the offer is open on `day` for someone at `stage`, night work aside.
    pub(crate) fn open_on(&self, day: i64, stage: u64) -> bool {
        i64::from(self.valid_from) <= day
            && i64::from(self.valid_until) >= day
            && self.flags & Self::HAS_POSITIONS != 0
            && u64::from(self.lowest_stage) <= stage
    }

    /// Whether the offer may involve night work (it does, or its column says nothing).
    pub(crate) fn may_be_night_work(&self) -> bool {
        self.flags & Self::MAY_BE_NIGHT_WORK != 0
    }
}

fn saturate(day: i64) -> i32 {
    i32::try_from(day).unwrap_or(if day < 0 { i32::MIN } else { i32::MAX })
}

/// The columns the rows are read from.
struct Columns {
    remote: Column<u64>,
    lat: Column<f64>,
    lon: Column<f64>,
    valid_from: Column<i64>,
    valid_until: Column<i64>,
    positions: Column<u64>,
    lowest_stage: Column<u64>,
    night_work: Column<u64>,
    seq: Column<u64>,
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
        let columns = Columns {
            remote: fast.u64(schema.get_field_name(fields.remote))?,
            lat: fast.f64(schema.get_field_name(fields.lat))?,
            lon: fast.f64(schema.get_field_name(fields.lon))?,
            valid_from: fast.i64(schema.get_field_name(fields.valid_from))?,
            valid_until: fast.i64(schema.get_field_name(fields.valid_until))?,
            positions: fast.u64(schema.get_field_name(fields.positions))?,
            lowest_stage: fast.u64(schema.get_field_name(fields.lowest_stage))?,
            night_work: fast.u64(schema.get_field_name(fields.night_work))?,
            seq: fast.u64("seq")?,
        };
        let rows: Vec<FilterRow> = (0..segment.max_doc()).map(|doc| FilterRow::read(&columns, doc)).collect();
        let seq_max = rows.iter().filter(|row| row.complete()).map(|row| row.seq).max().unwrap_or(0);
        let keys = SegmentKeys::read(segment, fields)?;
        Ok(Self { rows, seq_max, remote_offers, lawful_offers, keys })
    }

    /// The filter facts of `doc`, if the segment holds it.
    pub(crate) fn row(&self, doc: DocId) -> Option<&FilterRow> {
        self.rows.get(doc as usize)
    }

    /// The key and indexed version of `doc`, if the segment holds it.
    pub(crate) fn key(&self, doc: DocId) -> Option<(&OfferKey, u64)> {
        let ord = *self.keys.ords.get(doc as usize)?;
        let key = self.keys.keys.get(ord as usize)?.as_ref()?;
        Some((key, self.keys.versions.get(doc as usize).copied().unwrap_or(0)))
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
                    let started = std::time::Instant::now();
                    let columns = Arc::new(SegmentColumns::open(segment, fields)?);
                    tracing::debug!(
                        docs = segment.max_doc(),
                        elapsed_us = started.elapsed().as_micros() as u64,
                        "recommendation filter rows built for a segment"
                    );
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
        // (A searcher lists its segments in no particular order: take one it did not have.)
        let seen: Vec<SegmentId> = searcher.segment_readers().iter().map(SegmentReader::segment_id).collect();
        let fresh = newer.segment_readers().iter().position(|segment| !seen.contains(&segment.segment_id())).unwrap();
        cache.of(&newer.segment_readers()[fresh..=fresh], &index.fields).unwrap();
        assert_eq!(cache.segments.lock().unwrap().len(), 1);
    }

    #[test]
    fn each_row_holds_the_facts_of_its_offer() {
        let synth = pomost_synth::Synth::new(5, time::macros::date!(2026 - 11 - 24));
        let index = crate::OfferIndex::in_memory(crate::IndexOptions::default()).unwrap();
        for number in 0..80 {
            index.upsert(&synth.offer(number), number as u64 + 1).unwrap();
        }
        index.flush().unwrap();
        let searcher = index.reader.searcher();
        let cache = ColumnCache::default();
        let (mut remote, mut on_site, mut night) = (0, 0, 0);
        for (segment, columns) in
            searcher.segment_readers().iter().zip(cache.of(searcher.segment_readers(), &index.fields).unwrap())
        {
            assert!(columns.row(segment.max_doc()).is_none());
            assert!(columns.key(segment.max_doc()).is_none());
            for doc in 0..segment.max_doc() {
                let stored: tantivy::TantivyDocument = segment.get_store_reader(1).unwrap().get(doc).unwrap();
                let external_id = stored
                    .get_first(index.fields.external_id)
                    .and_then(|value| tantivy::schema::Value::as_str(&value))
                    .unwrap()
                    .to_owned();
                let number = (0..80).find(|number| synth.offer(*number).key.external_id == external_id).unwrap();
                let offer = synth.offer(number);
                assert_eq!(columns.key(doc), Some((&offer.key, offer.version)));
                let row = columns.row(doc).unwrap();
                assert!(row.complete());
                assert_eq!(row.seq, number as u64 + 1);
                assert_eq!(
                    row.place(),
                    Some(offer.location().map(|location| (location.point.lat(), location.point.lon())))
                );
                assert_eq!(i64::from(row.valid_from), i64::from(offer.valid_from.to_julian_day()));
                assert_eq!(i64::from(row.valid_until), i64::from(offer.valid_until.to_julian_day()));
                let lowest = pomost_domain::rules::lowest_stage_accepted(offer.min_stage, offer.adaptation_weeks, 8);
                assert_eq!(row.lowest_stage, u32::from(lowest));
                assert_eq!(row.may_be_night_work(), offer.night_work);
                assert_eq!(row.open_on(i64::from(offer.valid_from.to_julian_day()), u64::MAX), offer.positions >= 1);
                remote += usize::from(offer.location().is_none());
                on_site += usize::from(offer.location().is_some());
                night += usize::from(offer.night_work);
            }
            assert_eq!(
                columns.seq_max,
                (0..segment.max_doc()).map(|doc| columns.row(doc).unwrap().seq).max().unwrap_or(0)
            );
        }
        assert!(remote > 0 && on_site > 0 && night > 0, "the sample lacks a kind: {remote} {on_site} {night}");
    }
}
