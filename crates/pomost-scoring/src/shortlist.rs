//! Top-k shortlists: scan the reachable cells in parallel, count exclusions, keep the best.

use ordered_float::OrderedFloat;
use pomost_domain::{CoachId, Offer, ParticipantId};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::context::OfferContext;
use crate::evaluate::{Support, evaluate, factor_values, total};
use crate::explain::describe_factors;
use crate::factors::FactorScore;
use crate::grid::cells_within;
use crate::pool::ParticipantPool;
use crate::reasons::{ExclusionCounts, ExclusionReason};
use crate::record::ParticipantRecord;
use crate::topk::{Ranked, TopK};
use crate::{ScoringError, ScoringPolicy};

/// What a labour office asks: the best `k` people for `offer`, as of `today` (which decides
/// validity and waiting time, so the same request gives the same list).
#[derive(Debug, Clone, Copy)]
pub struct ShortlistRequest<'a> {
    /// The offer to fill.
    pub offer: &'a Offer,
    /// How many candidates to return at most.
    pub k: usize,
    /// The day the list is made for.
    pub today: Date,
}

/// One person on a shortlist, with the reasons for their place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Pseudonymous id.
    pub participant_id: ParticipantId,
    /// Total score in [0, sum of weights].
    pub score: f32,
    /// Every factor's value, weight and contribution.
    pub factors: Vec<FactorScore>,
    /// The job coach suggested to accompany the person, if one is needed.
    pub suggested_coach: Option<CoachId>,
    /// The employer's mentor stands in for job-coach hours.
    pub employer_mentor: bool,
    /// Straight-line distance home–workplace, km (none for remote work).
    pub distance_km: Option<f32>,
}

/// A ranked, explained shortlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortlist {
    /// Version of the scoring policy used.
    pub policy_version: String,
    /// Best first; ties go to the smaller participant id.
    pub candidates: Vec<Candidate>,
    /// Everyone not eligible, each counted once under the first reason in precedence order.
    pub excluded: ExclusionCounts,
    /// People who passed every hard constraint.
    pub eligible: u64,
    /// People in the pool when the list was made.
    pub pool_size: u64,
}

/// Per-worker state of a scan.
struct Accumulator<'a> {
    top: TopK<'a>,
    excluded: ExclusionCounts,
    eligible: u64,
}

impl<'a> Accumulator<'a> {
    fn new(k: usize) -> Self {
        Self { top: TopK::new(k), excluded: ExclusionCounts::default(), eligible: 0 }
    }

    fn merge(mut self, other: Accumulator<'a>) -> Self {
        self.top.merge(other.top);
        self.excluded.merge(&other.excluded);
        self.eligible += other.eligible;
        self
    }
}

impl ParticipantPool {
    /// The top `k` eligible people for an offer, with every factor explained and the number
    /// of people excluded for each reason.
    pub fn shortlist(&self, policy: &ScoringPolicy, request: &ShortlistRequest) -> Result<Shortlist, ScoringError> {
        request.offer.check()?;
        let context = OfferContext::new(request.offer, policy, &self.skills, &self.coaches, request.today);
        let mut result = Shortlist {
            policy_version: policy.version.clone(),
            candidates: Vec::new(),
            excluded: ExclusionCounts::default(),
            eligible: 0,
            pool_size: self.len() as u64,
        };
        if context.closed {
            result.excluded[ExclusionReason::OfferClosed] = self.len() as u64;
            return Ok(result);
        }
        let cells = self.cells_to_scan(&context);
        let scanned: u64 = cells.iter().map(|cell| self.cells[*cell as usize].len() as u64).sum();
        let accumulator = cells
            .par_iter()
            .with_min_len(4)
            .fold(|| Accumulator::new(request.k), |accumulator, cell| self.scan_cell(*cell, &context, accumulator))
            .reduce(|| Accumulator::new(request.k), Accumulator::merge);
        result.excluded = accumulator.excluded;
        // People in cells the scan never visited live beyond everyone's commute limit.
        result.excluded[ExclusionReason::CommuteTooFar] += self.len() as u64 - scanned;
        result.eligible = accumulator.eligible;
        result.candidates =
            accumulator.top.into_sorted().into_iter().map(|ranked| self.candidate(ranked, &context)).collect();
        Ok(result)
    }

    /// Cells that may hold someone who can reach the workplace; all non-empty cells for
    /// remote work.
    fn cells_to_scan(&self, context: &OfferContext) -> Vec<u32> {
        let mut cells = Vec::new();
        match context.place {
            Some(place) => cells_within(place.lat, place.lon, self.widest_commute_km(), &mut cells),
            None => cells.extend(0..self.cells.len() as u32),
        }
        cells.retain(|cell| !self.cells[*cell as usize].is_empty());
        cells
    }

    fn scan_cell<'a>(&'a self, cell: u32, context: &OfferContext, mut accumulator: Accumulator<'a>) -> Accumulator<'a> {
        for record in &self.cells[cell as usize] {
            let evaluation = evaluate(record, context, self, false);
            if let Some(reason) = evaluation.reasons.first() {
                accumulator.excluded[reason] += 1;
                continue;
            }
            accumulator.eligible += 1;
            let score = total(&factor_values(record, context, self, &evaluation), &context.weights);
            if accumulator.top.threshold().is_some_and(|threshold| score < threshold) {
                continue;
            }
            accumulator.top.offer(Ranked { score: OrderedFloat(score), id: self.id_of_slot(record.slot), slot: record.slot });
        }
        accumulator
    }

    fn candidate(&self, ranked: Ranked, context: &OfferContext) -> Candidate {
        let record: &ParticipantRecord = self.record_of_slot(ranked.slot);
        let evaluation = evaluate(record, context, self, false);
        debug_assert!(evaluation.is_eligible());
        let values = factor_values(record, context, self, &evaluation);
        Candidate {
            participant_id: ranked.id.clone(),
            score: ranked.score.0,
            factors: describe_factors(record, context, self, &evaluation, &values),
            suggested_coach: match evaluation.support {
                Support::Coach { index, .. } => Some(self.coaches.get(index).coach.id.clone()),
                _ => None,
            },
            employer_mentor: evaluation.support == Support::Mentor,
            distance_km: context.place.map(|_| evaluation.distance_km),
        }
    }
}
