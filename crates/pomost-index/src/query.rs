//! Offer search (text + filters + paging, BM25 with newest first on ties) and the offers a
//! participant can reach, for recommendations.

use std::ops::Bound;
use std::sync::Arc;

use pomost_domain::{AccommodationSet, ContractSet, OfferKey, Stage, TerytCode};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term};
use time::Date;

use crate::error::IndexError;
use crate::index::OfferIndex;
use crate::schema::OfferFields;
use crate::segment_columns::SegmentColumns;

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

pub(crate) fn term_u64(field: tantivy::schema::Field, value: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_u64(field, value), IndexRecordOption::Basic))
}

pub(crate) fn range_f64(field: tantivy::schema::Field, low: Bound<f64>, high: Bound<f64>) -> Box<dyn Query> {
    let term = |value: f64| Term::from_field_f64(field, value);
    Box::new(RangeQuery::new(low.map(term), high.map(term)))
}

pub(crate) fn range_u64(field: tantivy::schema::Field, low: Bound<u64>, high: Bound<u64>) -> Box<dyn Query> {
    let term = |value: u64| Term::from_field_u64(field, value);
    Box::new(RangeQuery::new(low.map(term), high.map(term)))
}

pub(crate) fn range_i64(field: tantivy::schema::Field, low: Bound<i64>, high: Bound<i64>) -> Box<dyn Query> {
    let term = |value: i64| Term::from_field_i64(field, value);
    Box::new(RangeQuery::new(low.map(term), high.map(term)))
}

/// Marks the one clause whose score ranks the results; every other clause is a filter.
#[derive(Debug)]
pub(crate) struct Relevance(pub(crate) Box<dyn Query>);

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
pub(crate) fn scored_by_text_only(clauses: Vec<(Occur, Box<dyn Query>)>) -> BooleanQuery {
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
pub(crate) fn open_filters(fields: &OfferFields, day: Date) -> Vec<(Occur, Box<dyn Query>)> {
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
        let (total, hits, next) = ranked(
            &searcher,
            &self.columns.of(searcher.segment_readers(), fields)?,
            &scored_by_text_only(clauses),
            offset,
            limit,
            query.after,
        )?;
        Ok(SearchPage { total, hits, next })
    }
}

/// Offers that accept a person at `stage`, by `pomost_domain::rules`: the stated minimum
/// is met, or the adaptation period is long enough to bridge the difference (the lowest
/// stage each offer accepts is computed when it is indexed).
pub(crate) fn accepts_stage(fields: &OfferFields, stage: Stage) -> Box<dyn Query> {
    range_u64(fields.lowest_stage, Bound::Unbounded, Bound::Included(u64::from(stage.rank())))
}

/// The search sort key (relevance, then the newest change), with every hit at or before `after` sunk below all others (they are
/// dropped from the page), so a page starts right after the cursor.
pub(crate) fn after_cursor(
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
    columns: &[Arc<SegmentColumns>],
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
    let hits = found.into_iter().map(|((score, _), address)| hit(columns, score, address)).collect::<Result<_, _>>()?;
    Ok((total, hits, next))
}

/// The offer at `address` with the relevance it was found with, its key and version read
/// from its segment's key table ([`SegmentColumns::key`]); `columns` are the searcher's
/// segments' in their order.
pub(crate) fn hit(columns: &[Arc<SegmentColumns>], score: Score, address: DocAddress) -> Result<OfferHit, IndexError> {
    let (key, version) =
        columns.get(address.segment_ord as usize).and_then(|columns| columns.key(address.doc_id)).ok_or_else(|| {
            IndexError::Tantivy(tantivy::TantivyError::InternalError(format!(
                "offer {address:?} has no key in the index"
            )))
        })?;
    Ok(OfferHit { key: key.clone(), version, score })
}
