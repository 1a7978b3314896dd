//! The offers a participant can take up, for recommendations: open, on site within their
//! commute or remote, accepting their stage, within the legal working-time norms of their
//! certificate, without night work unless they take it; ranked by how well the skills an
//! offer lists match theirs (BM25), newest first on ties.
//!
//! The list is, by definition, what one conjunction of those filters with the skills as an
//! optional clause beside them returns ([`by_filters`]). It is found a faster way. Most
//! people share a skill with more reachable offers than the list holds: then the skill terms
//! alone drive the search ([`by_skills`]). Whether an offer is in reach is one bit of a set
//! built per segment from the postings of the remote offers and of the grid cells the
//! commute box meets; each term's postings are walked and only the offers in reach are
//! scored, their term scores summed in a slot per document ([`in_reach_relevance`]); each
//! of those is checked against the rest of the filters from one row of facts per offer,
//! built once per segment. When fewer offers share a skill, all of them are found that way,
//! and the rest of the list is offers sharing none, which all score 0: the newest of those
//! the filters pass. A test holds the two ways equal on synthetic data. (The relevance is
//! the same BM25 sum either way, but an offer's term scores may be added in another order
//! in each, so two offers whose relevance differs only in the last bit could in principle
//! swap places at the end of the list.)
//!
//! Measured in-process at 200,000 offers (`cargo bench --bench index`, candidates p50):
//! 0.55-0.57 ms this way against 0.77-0.78 ms for tantivy's union of the terms, which
//! scored every offer sharing a skill (most are out of reach) before the filters turned it
//! away by the same bit; the union is what a commute box too wide to list its cells still
//! uses. Block-max WAND over the union (with the skill terms indexed with frequencies,
//! which it needs) was slower still, 1.10 ms against 0.89-0.92: the list's threshold rises
//! late when most offers met are out of reach. The keys of the offers listed come from a
//! table built once per segment ([`crate::segment_columns`]), not the doc store: 0.58 ms
//! against 0.82 ms on a slower machine.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use pomost_domain::{GeoPoint, Participant, rules};
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, EnableScoring, Occur, Query, TermQuery, TermSetQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term};
use time::Date;

use crate::error::IndexError;
use crate::index::OfferIndex;
use crate::query::{
    OfferHit, Relevance, accepts_stage, after_cursor, hit, open_filters, range_f64, scored_by_text_only, term_u64,
};
use crate::schema::OfferFields;
use crate::segment_columns::{SegmentColumns, mark_postings};

/// An offer found: its relevance, where it is in the index, and its workplace's
/// coordinates (none for remote work). Its key is read only if it makes the list.
type Placed = (Score, DocAddress, Option<(f64, f64)>);

impl OfferIndex {
    /// Up to `limit` offers a participant can take up on `today`: open, on site within
    /// their commute limit or remote, accepting their stage (after the adaptation period),
    /// and within the legal working-time norms for their certificate unless a physician's
    /// exemption or guarding work lifts them. Ranked by how well the offers' skills match
    /// the person's skills; the scoring crate re-ranks them.
    pub fn candidates_for(
        &self,
        participant: &Participant,
        limit: usize,
        today: Date,
    ) -> Result<Vec<OfferHit>, IndexError> {
        let searcher = self.reader.searcher();
        let fields = &self.fields;
        let wanted = Wanted::of(participant, today);
        let fetch = over_fetch(limit);
        let cells = cell_terms(fields, wanted.lat, wanted.lon);
        let columns = self.columns.of(searcher.segment_readers(), fields)?;
        let filters = columns
            .iter()
            .cloned()
            .zip(searcher.segment_readers())
            .map(|(columns, segment)| SegmentFilter::open(segment, columns, fields, cells.as_deref(), &wanted))
            .collect::<Result<Vec<_>, _>>()?;
        let mut placed = by_skills(&searcher, &filters, fields, participant, &wanted, fetch)?;
        if placed.len() < fetch {
            // Every offer sharing a skill is in; the rest of the list is offers sharing none,
            // which all score 0: the newest first.
            let newest = match newest_in_reach(&searcher, &filters, &wanted, fetch) {
                Some(newest) => newest,
                None => by_filters(&searcher, fields, participant, &wanted, fetch, false)?,
            };
            let known: HashSet<DocAddress> = placed.iter().map(|(_, address, _)| *address).collect();
            placed.extend(newest.into_iter().filter(|(_, address, _)| !known.contains(address)));
            placed.truncate(fetch);
        }
        within_commute(&columns, participant, placed, limit)
    }

    /// [`OfferIndex::candidates_for`] by its definition, one conjunction of the filters with
    /// the skills beside them, ranked by tantivy's collector: what the fast way must equal
    /// (tests compare the two; the index benchmark times both). Slower; not for serving.
    pub fn candidates_by_one_query(
        &self,
        participant: &Participant,
        limit: usize,
        today: Date,
    ) -> Result<Vec<OfferHit>, IndexError> {
        let searcher = self.reader.searcher();
        let wanted = Wanted::of(participant, today);
        let placed = by_filters(&searcher, &self.fields, participant, &wanted, over_fetch(limit), true)?;
        within_commute(&self.columns.of(searcher.segment_readers(), &self.fields)?, participant, placed, limit)
    }
}

/// How many offers to find for a list of `limit`: more, since the searches look in the
/// bounding box of the commute circle and the circle holds fewer.
fn over_fetch(limit: usize) -> usize {
    limit.saturating_mul(2).max(limit + 16)
}

/// The first `limit` offers found that lie within the person's commute (the searches
/// looked in its bounding box), with their keys.
fn within_commute(
    columns: &[Arc<SegmentColumns>],
    participant: &Participant,
    placed: Vec<Placed>,
    limit: usize,
) -> Result<Vec<OfferHit>, IndexError> {
    let home = participant.home.point;
    placed
        .into_iter()
        .filter(|(_, _, place)| match place {
            None => true,
            Some((lat, lon)) => GeoPoint::new(*lat, *lon)
                .is_ok_and(|point| point.distance_km(home) <= f64::from(participant.max_commute_km)),
        })
        .take(limit)
        .map(|(score, address, _)| hit(columns, score, address))
        .collect()
}

/// What an offer must be for a person on a day, in the terms the index holds.
struct Wanted {
    today: Date,
    /// `today` as the index holds days (julian).
    day: i64,
    stage: u64,
    /// The bounding box of the commute circle: latitudes, then longitudes.
    lat: (f64, f64),
    lon: (f64, f64),
    /// The certificate degree whose working-time norms bind, if any.
    legal_for: Option<u64>,
    no_night_work: bool,
}

impl Wanted {
    fn of(participant: &Participant, today: Date) -> Self {
        let home = participant.home.point;
        let reach_lat = f64::from(participant.max_commute_km) / 111.195 + 0.01;
        let reach_lon = reach_lat / home.lat().to_radians().cos().max(0.05);
        let legal_for = rules::working_time_norms_apply(
            participant.disability.degree,
            participant.disability.working_time_exemption,
            false,
        )
        .map(|_| u64::from(participant.disability.degree.code()));
        Self {
            today,
            day: i64::from(today.to_julian_day()),
            stage: u64::from(participant.stage.rank()),
            lat: (home.lat() - reach_lat, home.lat() + reach_lat),
            lon: (home.lon() - reach_lon, home.lon() + reach_lon),
            legal_for,
            no_night_work: !participant.night_shifts_ok,
        }
    }
}

/// One term query per skill the person claims: the relevance the candidates are ranked by.
/// Only the skills the offer lists earn credit in the score the candidates are ranked by
/// next, so they are what finds them (words of a skill in a title earn none).
fn skill_relevance(fields: &OfferFields, participant: &Participant) -> Option<BooleanQuery> {
    let terms: Vec<(Occur, Box<dyn Query>)> =
        skill_queries(fields, participant).map(|query| (Occur::Should, Box::new(query) as Box<dyn Query>)).collect();
    (!terms.is_empty()).then(|| BooleanQuery::new(terms))
}

/// One term query per skill the person claims, in the order they claim them.
fn skill_queries<'a>(fields: &'a OfferFields, participant: &'a Participant) -> impl Iterator<Item = TermQuery> + 'a {
    participant.skills.iter().map(|claim| {
        TermQuery::new(Term::from_field_text(fields.skills, claim.skill.as_str()), IndexRecordOption::WithFreqs)
    })
}

/// The fast way: the best `fetch` offers that pass the filters and share a skill with the
/// person, best first (all of them when fewer share one).
fn by_skills(
    searcher: &Searcher,
    filters: &[SegmentFilter],
    fields: &OfferFields,
    participant: &Participant,
    wanted: &Wanted,
    fetch: usize,
) -> Result<Vec<Placed>, IndexError> {
    let Some(relevance) = skill_relevance(fields, participant) else {
        return Ok(Vec::new());
    };
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let term_weights: Vec<Box<dyn Weight>> =
        skill_queries(fields, participant).map(|query| query.weight(scoring)).collect::<Result<_, _>>()?;
    // The union's weight only for a segment without an in-reach set (a commute box too
    // wide to list its cells): each weight looks up its terms' statistics in every segment.
    let mut union = None;
    let mut best = Best::new(fetch);
    for ((segment_ord, segment), filter) in searcher.segment_readers().iter().enumerate().zip(filters) {
        let alive = segment.alive_bitset();
        let admit = |best: &mut Best, doc: DocId, score: Score| {
            if alive.is_none_or(|alive| alive.is_alive(doc))
                && let Some((seq, place)) = filter.admits(doc, wanted)
            {
                best.offer(Found { score, seq, address: DocAddress::new(segment_ord as u32, doc), place });
            }
        };
        match &filter.nearby {
            Some(nearby) => {
                in_reach_relevance(&term_weights, segment, nearby, &mut |doc, score| admit(&mut best, doc, score))?
            }
            None => {
                let weight = match &mut union {
                    Some(weight) => weight,
                    None => union.insert(relevance.weight(scoring)?),
                };
                weight.for_each_pruning(best.threshold(), segment, &mut |doc, score| {
                    admit(&mut best, doc, score);
                    best.threshold()
                })?
            }
        }
    }
    Ok(best.into_sorted())
}

thread_local! {
    /// By document of a segment: the relevance summed so far, `NEG_INFINITY` where none
    /// is (reset after each use, so a request pays only for the documents it touched).
    static RELEVANCE: std::cell::RefCell<Vec<Score>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Calls `offer` with each document of the segment in `nearby` that has a skill term, and
/// its relevance: each term's postings walked in turn, an offer's term scores added in the
/// order of the terms, and only for the offers in reach. Most offers that share a skill
/// with a person are out of their reach: the union of the terms scored every one of them
/// and handed those above the list's threshold to the filters, which turned them away by
/// the same bit.
fn in_reach_relevance(
    term_weights: &[Box<dyn Weight>],
    segment: &SegmentReader,
    nearby: &BitSet,
    offer: &mut dyn FnMut(DocId, Score),
) -> Result<(), IndexError> {
    RELEVANCE.with_borrow_mut(|relevance| {
        let size = segment.max_doc() as usize;
        if relevance.len() < size {
            relevance.resize(size, Score::NEG_INFINITY);
        }
        let mut touched: Vec<DocId> = Vec::new();
        let mut walk = || -> Result<(), IndexError> {
            for weight in term_weights {
                let mut scorer = weight.scorer(segment, 1.0)?;
                let mut doc = scorer.doc();
                while doc != TERMINATED {
                    if nearby.contains(doc) {
                        let slot = &mut relevance[doc as usize];
                        if *slot == Score::NEG_INFINITY {
                            *slot = scorer.score();
                            touched.push(doc);
                        } else {
                            *slot += scorer.score();
                        }
                    }
                    doc = scorer.advance();
                }
            }
            Ok(())
        };
        let walked = walk();
        // Every touched slot is reset, also after an error, so the next request starts clean.
        for doc in touched {
            let slot = &mut relevance[doc as usize];
            if walked.is_ok() {
                offer(doc, *slot);
            }
            *slot = Score::NEG_INFINITY;
        }
        walked
    })
}

/// The fill-up of [`by_filters`] without relevance (every offer scores 0, the newest
/// first), the fast way: each segment's in-reach set walked from its last offer down, so
/// the newest tend to come first and, once the list is full, an older offer is turned away
/// by its sequence alone; a segment whose newest offer is older than the list's oldest is
/// skipped. `None` when the commute box has too many cells to list (no in-reach sets).
fn newest_in_reach(
    searcher: &Searcher,
    filters: &[SegmentFilter],
    wanted: &Wanted,
    fetch: usize,
) -> Option<Vec<Placed>> {
    let mut order: Vec<usize> = (0..filters.len()).collect();
    order.sort_by_key(|ord| std::cmp::Reverse(filters[*ord].columns.seq_max));
    let mut best = Best::new(fetch);
    for ord in order {
        let filter = &filters[ord];
        let nearby = filter.nearby.as_ref()?;
        if best.oldest_kept().is_some_and(|oldest| filter.columns.seq_max <= oldest) {
            continue;
        }
        let alive = searcher.segment_reader(ord as u32).alive_bitset();
        for doc in descending(nearby) {
            if !alive.is_none_or(|alive| alive.is_alive(doc)) {
                continue;
            }
            let oldest = best.oldest_kept();
            let row = filter.columns.row(doc);
            if oldest.is_some_and(|oldest| row.is_none_or(|row| !row.complete() || row.seq <= oldest)) {
                continue;
            }
            if let Some((seq, place)) = filter.admits(doc, wanted) {
                best.offer(Found { score: 0.0, seq, address: DocAddress::new(ord as u32, doc), place });
            }
        }
    }
    Some(best.into_sorted())
}

/// The members of a bit set, greatest first.
fn descending(bits: &BitSet) -> impl Iterator<Item = DocId> + '_ {
    let buckets = bits.max_value().div_ceil(64);
    (0..buckets).rev().flat_map(move |bucket| {
        let mut word = u64::from_le_bytes(bits.tinyset(bucket).into_bytes());
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let bit = 63 - word.leading_zeros();
                word &= !(1u64 << bit);
                bucket * 64 + bit
            })
        })
    })
}

/// The definition: every filter a clause of one conjunction, and (`with_relevance`) the
/// skills an optional clause beside them, so the filters drive the search and only their
/// matches are scored. Without the skills every offer scores 0 and the newest come first:
/// how the list is filled up when few offers share a skill.
fn by_filters(
    searcher: &Searcher,
    fields: &OfferFields,
    participant: &Participant,
    wanted: &Wanted,
    fetch: usize,
    with_relevance: bool,
) -> Result<Vec<Placed>, IndexError> {
    let mut clauses = open_filters(fields, wanted.today);
    clauses.push((Occur::Must, accepts_stage(fields, participant.stage)));
    clauses.push((Occur::Must, reachable(fields, wanted)));
    if let Some(degree) = wanted.legal_for {
        clauses.push((Occur::Must, term_u64(fields.legal_for, degree)));
    }
    if wanted.no_night_work {
        clauses.push((Occur::Must, term_u64(fields.night_work, 0)));
    }
    if let Some(relevance) = skill_relevance(fields, participant).filter(|_| with_relevance) {
        clauses.push((Occur::Should, Box::new(Relevance(Box::new(relevance)))));
    }
    let query = scored_by_text_only(clauses);
    let top = TopDocs::with_limit(fetch.max(1)).tweak_score(after_cursor(None));
    let found = searcher.search(&query, &top)?;
    let mut hits = Vec::with_capacity(found.len());
    // Each segment's coordinate columns opened once, not once per hit.
    let mut columns = std::collections::HashMap::new();
    for ((score, _), address) in found {
        let (lat, lon) = match columns.entry(address.segment_ord) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let segment = searcher.segment_reader(address.segment_ord);
                entry.insert((segment.fast_fields().f64("lat")?, segment.fast_fields().f64("lon")?))
            }
        };
        let place = lat.first(address.doc_id).zip(lon.first(address.doc_id));
        hits.push((score, address, place));
    }
    Ok(hits)
}

/// Remote offers, or on-site ones inside the bounding box of the person's commute circle.
fn reachable(fields: &OfferFields, wanted: &Wanted) -> Box<dyn Query> {
    let nearby = BooleanQuery::new(vec![
        (Occur::Must, term_u64(fields.remote, 0)),
        (Occur::Must, cells_of_box(fields, wanted.lat, wanted.lon)),
        (Occur::Must, range_f64(fields.lat, Bound::Included(wanted.lat.0), Bound::Included(wanted.lat.1))),
        (Occur::Must, range_f64(fields.lon, Bound::Included(wanted.lon.0), Bound::Included(wanted.lon.1))),
    ]);
    Box::new(BooleanQuery::new(vec![(Occur::Should, term_u64(fields.remote, 1)), (Occur::Should, Box::new(nearby))]))
}

/// Offers whose workplace cell meets the box (a superset of the box: the coordinate ranges
/// beside it decide). Found through the cells' postings, so a person's candidates cost what
/// is near them, not a pass over every offer; a box too wide for a short list of cells
/// (near the poles) falls back to matching every on-site offer.
fn cells_of_box(fields: &OfferFields, lat: (f64, f64), lon: (f64, f64)) -> Box<dyn Query> {
    match cell_terms(fields, lat, lon) {
        Some(terms) => Box::new(TermSetQuery::new(terms)),
        None => Box::new(AllQuery),
    }
}

/// The terms of the cells that meet the box, or `None` when there are too many of them
/// (near the poles) or the box wraps around the antimeridian.
fn cell_terms(fields: &OfferFields, lat: (f64, f64), lon: (f64, f64)) -> Option<Vec<Term>> {
    const MOST_CELLS: u64 = 4_096;
    let (row_low, col_low) = crate::schema::cell_row_col(lat.0, lon.0);
    let (row_high, col_high) = crate::schema::cell_row_col(lat.1, lon.1);
    if (row_high - row_low + 1).saturating_mul(col_high.saturating_sub(col_low) + 1) > MOST_CELLS || col_high < col_low
    {
        return None;
    }
    let terms = (row_low..=row_high).flat_map(|row| {
        (col_low..=col_high).map(move |col| Term::from_field_u64(fields.cell, crate::schema::cell_number(row, col)))
    });
    Some(terms.collect())
}

/// The offers of one segment that may be in the person's reach: the remote ones and the
/// on-site ones whose workplace cell meets the commute box (from the postings of those
/// terms, `cells`), or `None` when the box has too many cells to list.
///
/// Most offers that share a skill with a person are out of their reach: one bit each
/// turns those away before any of their columns is read (the filters read eight columns
/// an offer, and the skill terms alone meet offers across the country).
fn nearby_offers(
    segment: &SegmentReader,
    columns: &SegmentColumns,
    fields: &OfferFields,
    cells: Option<&[Term]>,
) -> Result<Option<BitSet>, IndexError> {
    let Some(cells) = cells else {
        return Ok(None);
    };
    let mut nearby = columns.remote_offers.clone();
    let cell_index = segment.inverted_index(fields.cell)?;
    for cell in cells {
        mark_postings(&mut nearby, cell_index.read_postings(cell, IndexRecordOption::Basic))?;
    }
    Ok(Some(nearby))
}

/// The filters of [`by_filters`], read per offer from one segment's fast fields and the
/// sets of [`SegmentColumns`], in any order.
struct SegmentFilter {
    columns: Arc<SegmentColumns>,
    /// The code of the certificate degree whose norms bind, if any.
    legal_for: Option<usize>,
    /// See [`nearby_offers`]; `None`: every offer's place is read from its columns.
    nearby: Option<BitSet>,
}

impl SegmentFilter {
    fn open(
        segment: &SegmentReader,
        columns: Arc<SegmentColumns>,
        fields: &OfferFields,
        cells: Option<&[Term]>,
        wanted: &Wanted,
    ) -> Result<Self, IndexError> {
        let nearby = nearby_offers(segment, &columns, fields, cells)?;
        let legal_for = wanted.legal_for.map(|degree| usize::try_from(degree).unwrap_or(usize::MAX));
        Ok(Self { columns, legal_for, nearby })
    }

    /// The offer's change sequence and place if it passes every filter. Where it is comes
    /// first: it turns most offers away, and a bit of [`SegmentFilter::nearby`] often
    /// decides it.
    fn admits(&self, doc: DocId, wanted: &Wanted) -> Option<(u64, Option<(f64, f64)>)> {
        if self.nearby.as_ref().is_some_and(|nearby| !nearby.contains(doc)) {
            return None;
        }
        let row = self.columns.row(doc).filter(|row| row.complete())?;
        let place = match row.place()? {
            None => None,
            Some((lat, lon)) => {
                let inside =
                    (wanted.lat.0..=wanted.lat.1).contains(&lat) && (wanted.lon.0..=wanted.lon.1).contains(&lon);
                Some(inside.then_some((lat, lon))?)
            }
        };
        let open = row.open_on(wanted.day, wanted.stage) && !(wanted.no_night_work && row.may_be_night_work());
        let lawful = self
            .legal_for
            .is_none_or(|degree| self.columns.lawful_offers.get(degree).is_some_and(|lawful| lawful.contains(doc)));
        (open && lawful).then_some((row.seq, place))
    }
}

/// An offer that passed the filters, ordered by relevance, then the newest change.
struct Found {
    score: Score,
    seq: u64,
    address: DocAddress,
    place: Option<(f64, f64)>,
}

impl Ord for Found {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then(self.seq.cmp(&other.seq))
    }
}

impl PartialOrd for Found {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Found {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Found {}

/// The best `size` offers so far (a min-heap: its top is the one to beat).
struct Best {
    size: usize,
    heap: BinaryHeap<std::cmp::Reverse<Found>>,
}

impl Best {
    fn new(size: usize) -> Self {
        Self { size: size.max(1), heap: BinaryHeap::with_capacity(size.max(1) + 1) }
    }

    fn offer(&mut self, found: Found) {
        if self.heap.len() < self.size {
            self.heap.push(std::cmp::Reverse(found));
        } else if self.heap.peek().is_some_and(|worst| found > worst.0) {
            self.heap.pop();
            self.heap.push(std::cmp::Reverse(found));
        }
    }

    /// The sequence of the oldest offer kept once the list is full (for lists of equal
    /// relevance: an older offer cannot come in).
    fn oldest_kept(&self) -> Option<u64> {
        self.heap.peek().filter(|_| self.heap.len() >= self.size).map(|worst| worst.0.seq)
    }

    /// The offers kept, best first.
    fn into_sorted(self) -> Vec<Placed> {
        let mut found: Vec<Found> = self.heap.into_iter().map(|kept| kept.0).collect();
        found.sort_by(|a, b| b.cmp(a));
        found.into_iter().map(|found| (found.score, found.address, found.place)).collect()
    }

    /// The relevance an offer must exceed to be worth scoring: just under the worst kept,
    /// so an offer of equal relevance and a newer change still comes in (a pruning union
    /// skips only what is strictly below, and its bounds may be sums in another order).
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.size => worst.0.score - worst.0.score.abs() * 1e-4,
            _ => Score::MIN,
        }
    }
}
