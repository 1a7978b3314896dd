//! Offer search (text + filters + paging, BM25 with newest first on ties) and the offers a
//! participant can reach, for recommendations.

use std::ops::Bound;

use pomost_domain::{AccommodationSet, ContractSet, GeoPoint, OfferKey, Participant, Stage, TerytCode, rules};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, TantivyDocument, Term};
use time::Date;

use crate::error::IndexError;
use crate::index::OfferIndex;
use crate::schema::OfferFields;

/// Largest page a search returns.
pub const MAX_PAGE: usize = 1_000;
/// Deepest offset a search takes: the collector keeps `offset + limit` hits in memory, so
/// deeper pages go through [`SearchQuery::after`] (search-after) instead.
pub const MAX_OFFSET: usize = 10_000;

/// Where a page ends: the sort key of its last hit (relevance, then change sequence).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchCursor {
    /// The last hit's relevance.
    pub score: f32,
    /// The last hit's change sequence (unique per offer, so the order is total).
    pub seq: u64,
}

impl SearchCursor {
    /// The cursor as text a client passes back (`v1.<score bits hex>.<seq>`).
    pub fn encode(&self) -> String {
        format!("v1.{:08x}.{}", self.score.to_bits(), self.seq)
    }

    /// A cursor from its text, or `None` for text that is not one.
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.strip_prefix("v1.")?.split('.');
        let bits = u32::from_str_radix(parts.next()?, 16).ok()?;
        let seq = parts.next()?.parse().ok()?;
        let score = f32::from_bits(bits);
        (parts.next().is_none() && score.is_finite()).then_some(Self { score, seq })
    }
}

/// An offer search: free text (Polish, inflection-insensitive) and filters.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Words to look for in title, description and skills; empty lists everything.
    pub text: String,
    /// Only offers in this TERYT unit (voivodeship, powiat or gmina).
    pub region: Option<TerytCode>,
    /// Only remote (true) or only on-site (false) offers.
    pub remote: Option<bool>,
    /// Only these contract types; empty means any.
    pub contract_types: ContractSet,
    /// Only offers of at most this many hours a week.
    pub max_weekly_hours: Option<f32>,
    /// Leave out offers with night work.
    pub exclude_night_work: bool,
    /// Only offers that provide all of these accommodations.
    pub accommodations: AccommodationSet,
    /// Only offers open to a person at this stage (after their adaptation period).
    pub stage: Option<Stage>,
    /// Only offers open on this day (valid and with positions).
    pub open_on: Date,
    /// Hits to skip (paging).
    pub offset: usize,
    /// Hits to return, at most [`MAX_PAGE`].
    pub limit: usize,
    /// Start after this hit (search-after); excludes `offset`.
    pub after: Option<SearchCursor>,
}

impl SearchQuery {
    /// A query for `text` over offers open on `open_on`, first page of 20, no other filters.
    pub fn text(text: impl Into<String>, open_on: Date) -> Self {
        Self {
            text: text.into(),
            region: None,
            remote: None,
            contract_types: ContractSet::empty(),
            max_weekly_hours: None,
            exclude_night_work: false,
            accommodations: AccommodationSet::empty(),
            stage: None,
            open_on,
            offset: 0,
            limit: 20,
            after: None,
        }
    }
}

/// One offer found.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferHit {
    /// The offer's key; read the offer itself from the store.
    pub key: OfferKey,
    /// The version indexed.
    pub version: u64,
    /// Text relevance (BM25; 1 for a query without text).
    pub score: f32,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// Offers matching, over all pages.
    pub total: usize,
    /// This page, best first.
    pub hits: Vec<OfferHit>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<SearchCursor>,
}

fn term_u64(field: tantivy::schema::Field, value: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_u64(field, value), IndexRecordOption::Basic))
}

fn range_f64(field: tantivy::schema::Field, low: Bound<f64>, high: Bound<f64>) -> Box<dyn Query> {
    let term = |value: f64| Term::from_field_f64(field, value);
    Box::new(RangeQuery::new(low.map(term), high.map(term)))
}

fn range_u64(field: tantivy::schema::Field, low: Bound<u64>, high: Bound<u64>) -> Box<dyn Query> {
    let term = |value: u64| Term::from_field_u64(field, value);
    Box::new(RangeQuery::new(low.map(term), high.map(term)))
}

fn range_i64(field: tantivy::schema::Field, low: Bound<i64>, high: Bound<i64>) -> Box<dyn Query> {
    let term = |value: i64| Term::from_field_i64(field, value);
    Box::new(RangeQuery::new(low.map(term), high.map(term)))
}

/// Marks the one clause whose score ranks the results; every other clause is a filter.
#[derive(Debug)]
struct Relevance(Box<dyn Query>);

impl Clone for Relevance {
    fn clone(&self) -> Self {
        Relevance(self.0.box_clone())
    }
}

impl Query for Relevance {
    fn weight(
        &self,
        enable_scoring: tantivy::query::EnableScoring<'_>,
    ) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        self.0.weight(enable_scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

/// A conjunction in which filters score 0, so only the text clause orders the results (a
/// range filter may otherwise score differently from one segment to the next).
fn scored_by_text_only(clauses: Vec<(Occur, Box<dyn Query>)>) -> BooleanQuery {
    BooleanQuery::new(
        clauses
            .into_iter()
            .map(|(occur, query)| {
                if query.is::<Relevance>() {
                    (occur, query)
                } else {
                    (occur, Box::new(ConstScoreQuery::new(query, 0.0)) as Box<dyn Query>)
                }
            })
            .collect(),
    )
}

/// Filters every query shares: valid on the day and with an open position.
fn open_filters(fields: &OfferFields, day: Date) -> Vec<(Occur, Box<dyn Query>)> {
    let day = i64::from(day.to_julian_day());
    vec![
        (Occur::Must, range_i64(fields.valid_from, Bound::Unbounded, Bound::Included(day))),
        (Occur::Must, range_i64(fields.valid_until, Bound::Included(day), Bound::Unbounded)),
        (Occur::Must, range_u64(fields.positions, Bound::Included(1), Bound::Unbounded)),
    ]
}

impl OfferIndex {
    /// Searches offers: BM25 over title, description and skills, filtered, newest first
    /// among equal scores.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, IndexError> {
        let searcher = self.reader.searcher();
        let fields = &self.fields;
        let mut clauses = open_filters(fields, query.open_on);
        if !query.text.trim().is_empty() {
            let parser =
                QueryParser::for_index(searcher.index(), vec![fields.title, fields.description, fields.skills_text]);
            let (parsed, _errors) = parser.parse_query_lenient(&query.text);
            clauses.push((Occur::Must, Box::new(Relevance(parsed))));
        }
        if let Some(region) = query.region {
            let term = Term::from_field_text(fields.region, &region.to_string());
            clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
        }
        if let Some(remote) = query.remote {
            clauses.push((Occur::Must, term_u64(fields.remote, u64::from(remote))));
        }
        if !query.contract_types.is_empty() {
            let any_of: Vec<(Occur, Box<dyn Query>)> = query
                .contract_types
                .iter()
                .map(|contract| (Occur::Should, term_u64(fields.contract_type, contract as u64)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any_of))));
        }
        if let Some(hours) = query.max_weekly_hours {
            clauses.push((
                Occur::Must,
                range_f64(fields.weekly_hours, Bound::Unbounded, Bound::Included(f64::from(hours))),
            ));
        }
        if query.exclude_night_work {
            clauses.push((Occur::Must, term_u64(fields.night_work, 0)));
        }
        for accommodation in query.accommodations {
            clauses.push((Occur::Must, term_u64(fields.accommodations, accommodation as u64)));
        }
        if let Some(stage) = query.stage {
            clauses.push((Occur::Must, accepts_stage(fields, stage)));
        }
        let limit = query.limit.min(MAX_PAGE);
        if query.offset > MAX_OFFSET {
            return Err(IndexError::Invalid(format!(
                "offset: {} is over the bound of {MAX_OFFSET}; page deeper with the cursor",
                query.offset
            )));
        }
        let offset = if query.after.is_some() { 0 } else { query.offset };
        let (total, hits, next) = ranked(&searcher, fields, &scored_by_text_only(clauses), offset, limit, query.after)?;
        Ok(SearchPage { total, hits, next })
    }

    /// Up to `limit` offers a participant can take up on `today`: open, on site within
    /// their commute limit or remote, accepting their stage (after the adaptation period),
    /// and within the legal working-time norms for their certificate unless a physician's
    /// exemption or guarding work lifts them. Ranked by how well the offers' text and
    /// skills match the person's skills; the scoring crate re-ranks them.
    pub fn candidates_for(
        &self,
        participant: &Participant,
        limit: usize,
        today: Date,
    ) -> Result<Vec<OfferHit>, IndexError> {
        let searcher = self.reader.searcher();
        let fields = &self.fields;
        let mut clauses = open_filters(fields, today);
        clauses.push((Occur::Must, accepts_stage(fields, participant.stage)));
        clauses.push((Occur::Must, reachable(fields, participant)));
        if let Some(limits) = legal_limits(fields, participant) {
            clauses.push((Occur::Must, limits));
        }
        if !participant.night_shifts_ok {
            clauses.push((Occur::Must, term_u64(fields.night_work, 0)));
        }
        // The skills only rank: an optional clause beside the filters, so the filters drive
        // the search and only their matches are scored (a union with AllQuery, as this was,
        // made every search step through every offer).
        // Only the skills the offer lists earn credit in the score the candidates are ranked
        // by next, so they are what finds them (words of a skill in a title earned none, and
        // made every search step through every offer with a common word).
        let mut relevance: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for claim in &participant.skills {
            let exact = TermQuery::new(
                Term::from_field_text(fields.skills, claim.skill.as_str()),
                IndexRecordOption::WithFreqs,
            );
            relevance.push((Occur::Should, Box::new(exact)));
        }
        if !relevance.is_empty() {
            clauses.push((Occur::Should, Box::new(Relevance(Box::new(BooleanQuery::new(relevance))))));
        }
        let query = scored_by_text_only(clauses);
        // Over-fetch: the bounding box is a square, the commute a circle.
        let (_, hits) = ranked_with_places(&searcher, fields, &query, limit.saturating_mul(2).max(limit + 16))?;
        let home = participant.home.point;
        Ok(hits
            .into_iter()
            .filter(|(_, place)| match place {
                None => true,
                Some((lat, lon)) => GeoPoint::new(*lat, *lon)
                    .is_ok_and(|point| point.distance_km(home) <= f64::from(participant.max_commute_km)),
            })
            .map(|(hit, _)| hit)
            .take(limit)
            .collect())
    }
}

/// Remote offers, or on-site ones inside the bounding box of the person's commute circle.
fn reachable(fields: &OfferFields, participant: &Participant) -> Box<dyn Query> {
    let home = participant.home.point;
    let reach_lat = f64::from(participant.max_commute_km) / 111.195 + 0.01;
    let reach_lon = reach_lat / home.lat().to_radians().cos().max(0.05);
    let nearby = BooleanQuery::new(vec![
        (Occur::Must, term_u64(fields.remote, 0)),
        (
            Occur::Must,
            cells_of_box(
                fields,
                (home.lat() - reach_lat, home.lat() + reach_lat),
                (home.lon() - reach_lon, home.lon() + reach_lon),
            ),
        ),
        (
            Occur::Must,
            range_f64(fields.lat, Bound::Included(home.lat() - reach_lat), Bound::Included(home.lat() + reach_lat)),
        ),
        (
            Occur::Must,
            range_f64(fields.lon, Bound::Included(home.lon() - reach_lon), Bound::Included(home.lon() + reach_lon)),
        ),
    ]);
    Box::new(BooleanQuery::new(vec![(Occur::Should, term_u64(fields.remote, 1)), (Occur::Should, Box::new(nearby))]))
}

/// Offers whose workplace cell meets the box (a superset of the box: the coordinate ranges
/// beside it decide). Found through the cells' postings, so a person's candidates cost what
/// is near them, not a pass over every offer; a box too wide for a short list of cells
/// (near the poles) falls back to matching every on-site offer.
fn cells_of_box(fields: &OfferFields, lat: (f64, f64), lon: (f64, f64)) -> Box<dyn Query> {
    const MOST_CELLS: u64 = 4_096;
    let (row_low, col_low) = crate::schema::cell_row_col(lat.0, lon.0);
    let (row_high, col_high) = crate::schema::cell_row_col(lat.1, lon.1);
    if (row_high - row_low + 1).saturating_mul(col_high.saturating_sub(col_low) + 1) > MOST_CELLS || col_high < col_low
    {
        return Box::new(AllQuery);
    }
    let terms = (row_low..=row_high).flat_map(|row| {
        (col_low..=col_high).map(move |col| Term::from_field_u64(fields.cell, crate::schema::cell_number(row, col)))
    });
    Box::new(TermSetQuery::new(terms))
}

/// Offers that accept a person at `stage`, by `pomost_domain::rules`: the stated minimum
/// is met, or the adaptation period is long enough to bridge the difference (the lowest
/// stage each offer accepts is computed when it is indexed).
fn accepts_stage(fields: &OfferFields, stage: Stage) -> Box<dyn Query> {
    range_u64(fields.lowest_stage, Bound::Unbounded, Bound::Included(u64::from(stage.rank())))
}

/// The legal working-time norms (`pomost_domain::rules`) as a filter, or `None` when they
/// do not bind the person (an exemption, or a degree without norms); guarding work is exempt.
fn legal_limits(fields: &OfferFields, participant: &Participant) -> Option<Box<dyn Query>> {
    rules::working_time_norms_apply(
        participant.disability.degree,
        participant.disability.working_time_exemption,
        false,
    )?;
    Some(term_u64(fields.legal_for, u64::from(participant.disability.degree.code())))
}

/// Sort key: relevance, then the newest change.
fn newest_on_ties() -> impl Fn(&SegmentReader) -> Box<dyn Fn(DocId, Score) -> (Score, u64)> + Send + Sync + 'static {
    after_cursor(None)
}

/// [`newest_on_ties`], with every hit at or before `after` sunk below all others (they are
/// dropped from the page), so a page starts right after the cursor.
fn after_cursor(
    after: Option<SearchCursor>,
) -> impl Fn(&SegmentReader) -> Box<dyn Fn(DocId, Score) -> (Score, u64)> + Send + Sync + 'static {
    move |segment: &SegmentReader| {
        let seq = segment.fast_fields().u64("seq").ok().map(|column| column.first_or_default_col(0));
        Box::new(move |doc: DocId, score: Score| {
            let key = (score, seq.as_ref().map_or(0, |column| column.get_val(doc)));
            match after {
                Some(cursor) if (key.0, key.1) >= (cursor.score, cursor.seq) => (Score::NEG_INFINITY, 0),
                _ => key,
            }
        })
    }
}

fn ranked(
    searcher: &Searcher,
    fields: &OfferFields,
    query: &dyn Query,
    offset: usize,
    limit: usize,
    after: Option<SearchCursor>,
) -> Result<(usize, Vec<OfferHit>, Option<SearchCursor>), IndexError> {
    let top = TopDocs::with_limit(limit.max(1)).and_offset(offset).tweak_score(after_cursor(after));
    let (total, found) = searcher.search(query, &(Count, top))?;
    if limit == 0 {
        return Ok((total, Vec::new(), None));
    }
    let found: Vec<_> = found.into_iter().filter(|((score, _), _)| *score != Score::NEG_INFINITY).collect();
    let next = (found.len() == limit)
        .then(|| found.last().map(|((score, seq), _)| SearchCursor { score: *score, seq: *seq }))
        .flatten();
    let hits = found
        .into_iter()
        .map(|((score, _), address)| hit(searcher, fields, score, address))
        .collect::<Result<_, _>>()?;
    Ok((total, hits, next))
}

type Placed = (OfferHit, Option<(f64, f64)>);

fn ranked_with_places(
    searcher: &Searcher,
    fields: &OfferFields,
    query: &dyn Query,
    limit: usize,
) -> Result<(usize, Vec<Placed>), IndexError> {
    let top = TopDocs::with_limit(limit.max(1)).tweak_score(newest_on_ties());
    let (total, found) = searcher.search(query, &(Count, top))?;
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
        hits.push((hit(searcher, fields, score, address)?, place));
    }
    Ok((total, hits))
}

fn hit(searcher: &Searcher, fields: &OfferFields, score: Score, address: DocAddress) -> Result<OfferHit, IndexError> {
    let document: TantivyDocument = searcher.doc(address)?;
    let text =
        |field| document.get_first(field).and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default();
    Ok(OfferHit {
        key: OfferKey { source: text(fields.source), external_id: text(fields.external_id) },
        version: document.get_first(fields.version).and_then(|value| value.as_u64()).unwrap_or(0),
        score,
    })
}
