//! Batch assignment in the engine: candidates for each offer from the existing scan (its
//! top `positions × per_position` people, all or one unit's), the coaches who could
//! accompany each of them, then the exact solve (`pomost-assign`) under positions, one offer
//! per person and coaches' free hours. Audited like a shortlist.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use pomost_assign::{OfferSlot, Pair, Problem, Support};
use pomost_domain::{CoachId, OfferKey, ParticipantId, ValidationError};
use pomost_scoring::{Candidate, ShortlistRequest};
use pomost_store::{AuditAction, AuditResult};
use time::Date;

use crate::engine::{Engine, with_open_positions};
use crate::error::EngineError;
use crate::request::Requester;

/// Most offers in one batch.
pub const MAX_BATCH_OFFERS: usize = 5_000;
/// Candidates per open position when the request gives none.
pub const DEFAULT_PER_POSITION: usize = 5;
/// Most candidates per open position.
pub const MAX_PER_POSITION: usize = 50;

/// What to assign.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    /// The offers (each with its open positions: positions less hires).
    pub offers: Vec<OfferKey>,
    /// Only this unit's people; all eligible people when `None`.
    pub unit: Option<String>,
    /// Candidates taken per open position from each offer's ranking (0: the default).
    pub per_position: usize,
    /// The day the batch is made for.
    pub today: Date,
    /// When finding candidates and the exact solve must be done by; the solve returns the
    /// best found then (a time waiting in the ranking queue already counts against it).
    pub deadline: Instant,
}

/// One assigned pair, explained as on a shortlist.
#[derive(Debug, Clone)]
pub struct Assigned {
    /// The offer.
    pub offer: OfferKey,
    /// The person with every factor; `suggested_coach` is the coach the batch gives them.
    pub candidate: Candidate,
}

/// A person eligible somewhere in the batch but not assigned, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unassigned {
    /// The person.
    pub participant: ParticipantId,
    /// Offers of the batch they were a candidate for.
    pub offers_eligible: usize,
    /// `positions_taken` (every offer they could take was filled by higher totals),
    /// `coach_hours_taken` (the coaches who could accompany them have too few hours left
    /// after this batch), or `not_chosen` (a pair scoring 0).
    pub reason: &'static str,
    /// Who took the capacity, in aggregate, in words.
    pub detail: String,
}

/// The batch's answer.
#[derive(Debug, Clone)]
pub struct BatchAssignment {
    /// Assigned pairs, by offer then score.
    pub assigned: Vec<Assigned>,
    /// Candidates left out, with reasons.
    pub unassigned: Vec<Unassigned>,
    /// Sum of the assigned scores.
    pub total_score: f64,
    /// Proven optimal on the candidate graph.
    pub optimal: bool,
    /// An upper bound of the best total on the candidate graph (equal to `total_score` when
    /// optimal).
    pub score_bound: f64,
    /// Independent sub-problems.
    pub components: usize,
    /// Candidate pairs considered.
    pub candidate_pairs: usize,
    /// Offers of the batch that were closed (expired, not open yet, or no position left).
    pub closed: Vec<OfferKey>,
    /// Scoring policy version.
    pub policy_version: String,
}

struct Collected {
    problem: Problem,
    /// Per pair: offer index into `keys`, the candidate.
    candidates: Vec<(usize, Candidate)>,
    coach_ids: Vec<CoachId>,
    keys: Vec<OfferKey>,
    people: Vec<ParticipantId>,
    closed: Vec<OfferKey>,
}

impl Engine {
    /// Candidates and coach options for every open offer of the batch.
    fn collect_candidates(&self, request: &BatchRequest, per_position: usize) -> Result<Collected, EngineError> {
        let mut problem = Problem::default();
        let mut collected = Collected {
            problem: Problem::default(),
            candidates: Vec::new(),
            coach_ids: Vec::new(),
            keys: Vec::new(),
            people: Vec::new(),
            closed: Vec::new(),
        };
        let mut coach_numbers: HashMap<CoachId, u32> = HashMap::new();
        let mut person_numbers: HashMap<ParticipantId, u32> = HashMap::new();
        let pool = self.pool();
        for key in &request.offers {
            let stored = self.offer(key)?;
            let offer = with_open_positions(&pool, &stored);
            if offer.positions == 0 || !offer.is_open_on(request.today) {
                collected.closed.push(key.clone());
                continue;
            }
            let k = (offer.positions as usize).saturating_mul(per_position).min(self.limits.max_k.max(per_position));
            let shortlist_request = ShortlistRequest { offer: &offer, k, today: request.today };
            let shortlist = match &request.unit {
                Some(unit) => pool.shortlist_of_unit(self.policy(), &shortlist_request, unit)?,
                None => pool.shortlist(self.policy(), &shortlist_request)?,
            };
            let ids: Vec<ParticipantId> =
                shortlist.candidates.iter().map(|candidate| candidate.participant_id.clone()).collect();
            let options = pool.coach_options(self.policy(), &offer, &ids, request.today)?;
            let offer_index = problem.offers.len() as u32;
            problem.offers.push(OfferSlot { positions: offer.positions });
            collected.keys.push(key.clone());
            for (candidate, option) in shortlist.candidates.into_iter().zip(options) {
                let next = person_numbers.len() as u32;
                let person = *person_numbers.entry(candidate.participant_id.clone()).or_insert_with(|| {
                    collected.people.push(candidate.participant_id.clone());
                    next
                });
                let support = match option {
                    None => Support::None,
                    Some((hours, coaches)) => Support::Coach {
                        hours: f64::from(hours),
                        coaches: coaches
                            .into_iter()
                            .map(|(id, free)| {
                                let next = coach_numbers.len() as u32;
                                *coach_numbers.entry(id.clone()).or_insert_with(|| {
                                    collected.coach_ids.push(id);
                                    problem.coach_hours.push(f64::from(free));
                                    next
                                })
                            })
                            .collect(),
                    },
                };
                problem.pairs.push(Pair { person, offer: offer_index, score: f64::from(candidate.score), support });
                collected.candidates.push((offer_index as usize, candidate));
            }
        }
        collected.problem = problem;
        Ok(collected)
    }

    /// The assignment of highest total score over the batch's offers (see the module
    /// documentation), every pair explained, every candidate left out with a reason; audited.
    pub fn assign_batch(&self, who: &Requester, request: &BatchRequest) -> Result<BatchAssignment, EngineError> {
        if request.offers.is_empty() || request.offers.len() > MAX_BATCH_OFFERS {
            return Err(EngineError::Invalid(ValidationError::new(
                "offer_keys",
                format!("{} offers; give 1 to {MAX_BATCH_OFFERS}", request.offers.len()),
            )));
        }
        // The same offer twice would count its positions twice.
        let mut first_at: HashMap<&OfferKey, usize> = HashMap::new();
        for (index, key) in request.offers.iter().enumerate() {
            if let Some(first) = first_at.insert(key, index) {
                return Err(EngineError::Invalid(ValidationError::new(
                    format!("offer_keys[{index}]"),
                    format!("is offer_keys[{first}] again; give each offer once"),
                )));
            }
        }
        let per_position = match request.per_position {
            0 => DEFAULT_PER_POSITION,
            n if n > MAX_PER_POSITION => {
                return Err(EngineError::Invalid(ValidationError::new(
                    "candidates_per_position",
                    format!("{n} is over the bound of {MAX_PER_POSITION}"),
                )));
            }
            n => n,
        };
        let started = std::time::Instant::now();
        let collected = self.collect_candidates(request, per_position)?;
        let collected_ms = started.elapsed().as_millis() as u64;
        let solved =
            pomost_assign::solve(&collected.problem, Some(request.deadline.saturating_duration_since(Instant::now())))
                .map_err(|error| EngineError::Internal(error.to_string()))?;
        tracing::info!(
            offers = request.offers.len(),
            pairs = collected.problem.pairs.len(),
            components = solved.components,
            optimal = solved.optimal,
            collected_ms,
            solved_ms = started.elapsed().as_millis() as u64 - collected_ms,
            "batch assignment solved"
        );
        if let Err(breach) = pomost_assign::verify(&collected.problem, &solved.chosen) {
            return Err(EngineError::Internal(format!("batch assignment broke a bound: {breach}")));
        }
        let answer = self.explain_batch(&collected, &solved);
        let results = answer
            .assigned
            .iter()
            .map(|pair| AuditResult {
                id: format!("{}@{}", pair.candidate.participant_id, pair.offer),
                score: pair.candidate.score,
            })
            .collect();
        self.audit(crate::ranking::entry(
            who,
            AuditAction::AssignBatch,
            None,
            None,
            serde_json::json!({
                "offer_keys": request.offers,
                "unit_id": request.unit,
                "candidates_per_position": per_position,
                "as_of": request.today.to_string(),
                "optimal": answer.optimal,
                "total_score": answer.total_score,
            }),
            results,
            &answer.policy_version,
        ))?;
        Ok(answer)
    }

    fn explain_batch(&self, collected: &Collected, solved: &pomost_assign::Assignment) -> BatchAssignment {
        let problem = &collected.problem;
        let mut assigned = Vec::with_capacity(solved.chosen.len());
        let mut taken_by_offer: BTreeMap<usize, Vec<f32>> = BTreeMap::new();
        let mut coach_users: HashMap<u32, usize> = HashMap::new();
        let mut coach_used: HashMap<u32, f64> = HashMap::new();
        let mut placed = std::collections::HashSet::new();
        for &(index, coach) in &solved.chosen {
            let (offer, candidate) = &collected.candidates[index];
            let mut candidate = candidate.clone();
            candidate.suggested_coach = coach.map(|coach| collected.coach_ids[coach as usize].clone());
            taken_by_offer.entry(*offer).or_default().push(candidate.score);
            if let (Some(coach), Support::Coach { hours, .. }) = (coach, &problem.pairs[index].support) {
                *coach_users.entry(coach).or_default() += 1;
                *coach_used.entry(coach).or_default() += hours;
            }
            placed.insert(problem.pairs[index].person);
            assigned.push(Assigned { offer: collected.keys[*offer].clone(), candidate });
        }
        assigned.sort_by(|a, b| a.offer.cmp(&b.offer).then(b.candidate.score.total_cmp(&a.candidate.score)));
        // Each candidate left out: what their offers and coaches went to.
        let mut by_person: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (index, pair) in problem.pairs.iter().enumerate() {
            if !placed.contains(&pair.person) {
                by_person.entry(pair.person).or_default().push(index);
            }
        }
        let unassigned = by_person
            .into_iter()
            .map(|(person, pairs)| {
                let full: Vec<usize> = pairs
                    .iter()
                    .map(|index| problem.pairs[*index].offer as usize)
                    .filter(|offer| {
                        taken_by_offer.get(offer).map_or(0, Vec::len) as u32 >= problem.offers[*offer].positions
                    })
                    .collect();
                // A pair is blocked by coaches when none of its coaches has its hours left.
                let coach_blocked = |index: &usize| match &problem.pairs[*index].support {
                    Support::Coach { hours, coaches } => coaches.iter().all(|coach| {
                        problem.coach_hours[*coach as usize] - coach_used.get(coach).copied().unwrap_or(0.0) + 1e-9
                            < *hours
                    }),
                    Support::None => false,
                };
                let coach_blocked = pairs.iter().any(coach_blocked);
                let (reason, detail) = if full.len() == pairs.len() {
                    let lowest = full
                        .iter()
                        .filter_map(|offer| taken_by_offer.get(offer))
                        .flatten()
                        .fold(f32::INFINITY, |low, score| low.min(*score));
                    (
                        "positions_taken",
                        format!(
                            "every position of the {} offer(s) they were a candidate for went to people scoring {lowest:.3} \
                             or more",
                            pairs.len()
                        ),
                    )
                } else if coach_blocked {
                    let coaches: std::collections::BTreeSet<u32> = pairs
                        .iter()
                        .filter_map(|index| match &problem.pairs[*index].support {
                            Support::Coach { coaches, .. } => Some(coaches.clone()),
                            Support::None => None,
                        })
                        .flatten()
                        .collect();
                    let others: usize = coaches.iter().filter_map(|coach| coach_users.get(coach)).sum();
                    (
                        "coach_hours_taken",
                        format!(
                            "{} of the {} offer(s) they were a candidate for were filled; the {} job coach(es) who could \
                             accompany them at the others gave their hours to {others} people in this batch and have too \
                             few left",
                            full.len(),
                            pairs.len(),
                            coaches.len()
                        ),
                    )
                } else {
                    (
                        "not_chosen",
                        "an open place and a coach were left, but the pair scores 0; nothing is gained by it".to_owned(),
                    )
                };
                Unassigned {
                    participant: collected.people[person as usize].clone(),
                    offers_eligible: pairs.len(),
                    reason,
                    detail,
                }
            })
            .collect();
        BatchAssignment {
            assigned,
            unassigned,
            total_score: solved.total,
            optimal: solved.optimal,
            score_bound: solved.bound,
            components: solved.components,
            candidate_pairs: problem.pairs.len(),
            closed: collected.closed.clone(),
            policy_version: self.policy().version.clone(),
        }
    }
}
