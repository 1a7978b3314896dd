//! Top-k shortlists: scan the reachable buckets in parallel, count exclusions, keep the best.

use mem_prefetch::prefetch_read_data;
use std::sync::atomic::{AtomicU32, Ordering};

use ordered_float::OrderedFloat;
use pomost_domain::{CoachId, Offer, ParticipantId};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::bound_order::{BoundOrder, SkillsSieve};
use crate::coaches::UnitCoachMemo;
use crate::context::{OfferContext, Place};
use crate::control::ScanControl;
use crate::error::ScoringError;
use crate::evaluate::{
    Cutoff, Evaluation, Mode, Support, choose_coach, commute_beyond, evaluate, evaluate_support, factor_values,
    record_bound, score_beyond_gains, score_bound, score_reaching, skills_gains,
};
use crate::explain::describe_factors;
use crate::factors::FactorScore;
use crate::grid::{BANDS, all_within_commute, cells_within, nearest_km};
use crate::policy::ScoringPolicy;
use crate::pool::ParticipantPool;
use crate::reasons::{ExclusionCounts, ExclusionReason, ReasonSet};
use crate::record::{HomeReach, ParticipantRecord};
use crate::topk::{Ranked, TopK};

/// What a pair needs from a job coach for batch assignment: the weekly hours, and every
/// coach (id, free hours now) who could give them at the workplace.
pub type CoachOptions = (f32, Vec<(CoachId, f32)>);

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

/// A shortlist ranked and counted but not yet explained: what its audit entry records.
#[derive(Debug)]
pub struct RankedList<'a> {
    /// Participant ids and total scores, best first.
    pub ranked: Vec<(&'a ParticipantId, f32)>,
    /// Eligible people and the list's attention per group.
    pub groups: &'a crate::groups::GroupTally,
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
    /// Eligible people and the list's attention per group (for the exposure report).
    #[serde(default)]
    pub groups: crate::groups::GroupTally,
}

// A scan takes a bucket's records in blocks (see [`ParticipantPool::scan_bucket`]) of
// as many as the arena keeps a registration bound for; positions within a block fit a byte.
use crate::arena::BLOCK;

/// A count of people in a block as an index into a block-sized list: unchanged, since the
/// count of those listed before the one being listed is below [`BLOCK`].
#[inline]
fn slot(count: usize) -> usize {
    count & (BLOCK - 1)
}

/// How many people of one block failed each constraint first, in a register: seven bits
/// per reason (a block holds at most 64 people), the eighth reason's bits followed by the
/// count of those who passed. Counting in an array in memory, where most people land on
/// the same place, made every count wait on the last one's store.
#[derive(Default, Clone, Copy)]
struct FirstFailed(u64);

const _: () = assert!(BLOCK < 128 && BLOCK.is_power_of_two() && 9 * 7 <= 64);

/// What a person failing `failures` adds to a [`FirstFailed`] count: one in the place of
/// the first reason, or of the passed when there is none.
pub(crate) const fn first_failed_step(failures: ReasonSet) -> u64 {
    1 << (7 * failures.0.trailing_zeros())
}

/// The step of one who passed, which only they reach.
const PASSED_SHIFT: u32 = 7 * 8;

/// The step of one whose first failure is the commute (an open offer fails nobody before).
const COMMUTE_STEP: u64 = first_failed_step(ReasonSet(1 << ExclusionReason::CommuteTooFar as u8));

impl FirstFailed {
    #[inline]
    fn count(&mut self, failures: ReasonSet) {
        self.0 += first_failed_step(failures);
    }

    /// Counts a step of [`OfferContext::simple_steps`]; whether it is the passed one's.
    #[inline]
    fn step(&mut self, step: u64) -> usize {
        self.0 += step;
        (step >> PASSED_SHIFT) as usize
    }

    fn add_to(&self, excluded: &mut ExclusionCounts) {
        for (place, reason) in ExclusionReason::ALL.into_iter().enumerate() {
            excluded[reason] += (self.0 >> (7 * place)) & 0x7f;
        }
    }
}

/// The first pass over a block: lists in `passing` those who pass the simple constraints,
/// decided by their keys, and the commute to `place`, decided by their reaches (`None`
/// where everyone can commute, and then no reach is read); how many, with the block's
/// first failures. No record is read.
#[inline]
fn pass_block(
    keys: &[u8],
    reaches: &[HomeReach],
    place: Option<&Place>,
    steps: &[u64; 256],
    passing: &mut [u8; BLOCK],
) -> (usize, FirstFailed) {
    let (mut first_failed, mut count) = (FirstFailed::default(), 0);
    match place {
        None => {
            for (position, &key) in keys.iter().enumerate() {
                // The count is below the block's length where it is written (see `slot`).
                passing[slot(count)] = position as u8;
                count += first_failed.step(steps[usize::from(key)]);
            }
        }
        Some(place) => {
            // Distances first, in a loop of their own the compiler can vectorise.
            let mut too_far = [false; BLOCK];
            for (too_far, reach) in too_far.iter_mut().zip(reaches) {
                *too_far = place.beyond_reach(reach);
            }
            for (position, (&key, &too_far)) in keys.iter().zip(&too_far).enumerate() {
                passing[slot(count)] = position as u8;
                count += first_failed.step(if too_far { COMMUTE_STEP } else { steps[usize::from(key)] });
            }
        }
    }
    (count, first_failed)
}

/// The list of a closed offer: everyone excluded as `offer_closed`.
fn closed_list(policy: &ScoringPolicy, pool_size: u64) -> Shortlist {
    let mut excluded = ExclusionCounts::default();
    excluded[ExclusionReason::OfferClosed] = pool_size;
    Shortlist {
        policy_version: policy.version.clone(),
        candidates: Vec::new(),
        excluded,
        eligible: 0,
        pool_size,
        groups: Default::default(),
    }
}

/// The highest score any worker of a scan already has `k` candidates at or above: nobody
/// below it can make the list, so every worker turns such people away without scoring them
/// in full, instead of each filling its own list first. Scores are never negative, so the
/// bits of an `f32` order as the numbers do; 0 means no floor yet.
#[derive(Default)]
struct Floor(AtomicU32);

impl Floor {
    fn get(&self) -> Option<f32> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            bits => Some(f32::from_bits(bits)),
        }
    }

    fn raise(&self, score: f32) {
        if score > 0.0 {
            self.0.fetch_max(score.to_bits(), Ordering::Relaxed);
        }
    }
}

/// A bucket a scan visits, as [`ParticipantPool::buckets_to_scan`] lists it.
struct Visit {
    bucket: u32,
    /// The highest commute factor anyone in the bucket could have (what bounds the
    /// score of its people, with each block's earliest registration).
    commute: f32,
    /// Everyone in the bucket can commute to the workplace (always so for remote work).
    all_commute: bool,
    /// The bucket visited after this one (itself for the last), whose first block's
    /// records are fetched into the cache while this bucket's last block is scanned.
    next: u32,
    /// Whether everyone in `next` can commute to the workplace.
    next_all_commute: bool,
}

/// How many ties a worker puts aside before it offers them to its list.
const TIES_BATCH: usize = 32;

/// Offers the ties a worker put aside to its list: their ids' text is sent for first,
/// then each is compared. One at a time, a tie waited on two fetches from memory (the
/// id's place by slot, then its text); an offer that asks for no skills can tie
/// thousands of people at the top.
fn offer_ties(accumulator: &mut Accumulator) {
    for ranked in &accumulator.ties {
        if let Some(first) = ranked.id().as_str().as_bytes().first() {
            prefetch_read_data::<_, 3>(first);
        }
    }
    for ranked in accumulator.ties.drain(..) {
        accumulator.top.offer(ranked);
    }
}

/// Per-worker state of a scan.
struct Accumulator<'a> {
    top: TopK<'a>,
    /// The highest threshold of this worker's list given to the scan's floor so far: the
    /// floor is raised only past it (an atomic read-modify-write per kept candidate would
    /// bounce the floor's cache line between the cores).
    published: f32,
    excluded: ExclusionCounts,
    eligible: u64,
    /// Boxed, as `selections`.
    groups: Box<crate::groups::EligibleTally>,
    /// A block's scratch lists, kept here so that they are not cleared for every block
    /// (boxed: the scan's fold moves the accumulator for every bucket).
    selections: Box<Selections>,
    /// The cutoff of the last threshold met.
    cutoff: Option<Cutoff>,
    /// Whether coaches serving a home's units can give the hours people need (remote work).
    coach_memo: UnitCoachMemo,
    /// Which bound this worker tests first for people with skills beside their records.
    order: BoundOrder,
    /// People who tied with the list's last when scored, offered to the list once their
    /// ids are on their way, [`TIES_BATCH`] at a time and before the worker's list is
    /// merged (a tie never moves the list's threshold, so holding it back changes no
    /// bound, and the best `k` by score then id do not depend on the order offered).
    ties: Vec<Ranked<'a>>,
    /// Whether this worker tests the record's bound as well for those who pass the skills
    /// bound.
    sieve: SkillsSieve,
    /// People of the block being ranked whose skills were sent for (empty between blocks).
    fetching: Vec<&'a ParticipantRecord>,
    /// People of the last ranked block whose skills were sent for: ranked with the next
    /// ranked block, when their skills have come.
    fetched: Vec<&'a ParticipantRecord>,
}

/// The people of one block of a scan who passed the simple constraints, by position in the
/// block: `ready` need no coach (or have one), `needing` still need one found. No distance
/// travels with them: it is measured again for the few who are scored (a square root for
/// everyone who passes would cost more than one for each of the hopeful).
struct Selections {
    /// Those who pass the simple constraints and the commute.
    passing: [u8; BLOCK],
    /// Those of the next block who pass the simple constraints, listed ahead (where
    /// everyone can commute) so that their records are fetched while this block is
    /// scanned.
    ahead: [u8; BLOCK],
    ready: [u8; BLOCK],
    needing: [u8; BLOCK],
    /// The eligible whose skills could still reach the list, with their skill gains.
    hopeful: [(u8, f32); BLOCK],
}

impl<'a> Accumulator<'a> {
    fn new(k: usize) -> Self {
        Self {
            top: TopK::new(k),
            published: 0.0,
            excluded: ExclusionCounts::default(),
            eligible: 0,
            groups: Default::default(),
            selections: Box::new(Selections {
                passing: [0; BLOCK],
                ahead: [0; BLOCK],
                ready: [0; BLOCK],
                needing: [0; BLOCK],
                hopeful: [(0, 0.0); BLOCK],
            }),
            cutoff: None,
            coach_memo: UnitCoachMemo::default(),
            order: BoundOrder::default(),
            ties: Vec::with_capacity(BLOCK),
            sieve: SkillsSieve::default(),
            fetching: Vec::with_capacity(BLOCK),
            fetched: Vec::with_capacity(BLOCK),
        }
    }

    /// The score a newcomer must reach: this worker's own list's, or the scan's floor when
    /// that is higher.
    #[inline]
    fn threshold(&self, floor: &Floor) -> Option<f32> {
        match (self.top.threshold(), floor.get()) {
            (Some(own), Some(shared)) => Some(own.max(shared)),
            (own, shared) => own.or(shared),
        }
    }

    /// The [`Cutoff`] of the score a newcomer must reach now, if any; worked out again only
    /// when that score moved.
    #[inline]
    fn current_cutoff(&mut self, context: &OfferContext, floor: &Floor) -> Option<Cutoff> {
        let threshold = self.threshold(floor)?;
        Some(match self.cutoff {
            Some(cutoff) if cutoff.threshold == threshold => cutoff,
            _ => *self.cutoff.insert(Cutoff::new(context, threshold)),
        })
    }

    fn merge(mut self, other: Accumulator<'a>) -> Self {
        self.top.merge(other.top);
        self.excluded.merge(&other.excluded);
        self.eligible += other.eligible;
        self.groups.merge(&other.groups);
        self
    }
}

impl ParticipantPool {
    /// The top `k` eligible people for an offer, with every factor explained and the number
    /// of people excluded for each reason.
    pub fn shortlist(&self, policy: &ScoringPolicy, request: &ShortlistRequest) -> Result<Shortlist, ScoringError> {
        self.shortlist_until(policy, request, &ScanControl::new())
    }

    /// [`ParticipantPool::shortlist`] run as `control` says: on every core or on the calling
    /// thread only (the same answer either way), giving up with [`ScoringError::Cancelled`]
    /// soon after it is cancelled (checked before each bucket of records), so a request whose
    /// caller went away or whose deadline passed stops using the cores.
    pub fn shortlist_until(
        &self,
        policy: &ScoringPolicy,
        request: &ShortlistRequest,
        control: &ScanControl,
    ) -> Result<Shortlist, ScoringError> {
        Ok(self.shortlist_alongside(policy, request, control, |_| ())?.0)
    }

    /// [`ParticipantPool::shortlist_until`] that also runs `alongside` once, with the list
    /// ranked but not yet explained, while the candidates are explained on the other cores
    /// (when the scan spreads). The ranked list is all an audit entry records, so a lone
    /// request writes its entry (mostly waiting for a sync) meanwhile instead of after.
    pub fn shortlist_alongside<R: Send>(
        &self,
        policy: &ScoringPolicy,
        request: &ShortlistRequest,
        control: &ScanControl,
        alongside: impl FnOnce(&RankedList) -> R + Send,
    ) -> Result<(Shortlist, R), ScoringError> {
        request.offer.check()?;
        let context = OfferContext::new(request.offer, policy, &self.skills, &self.coaches, request.today);
        if context.simple.closed {
            let list = closed_list(policy, self.len() as u64);
            let beside = alongside(&RankedList { ranked: Vec::new(), groups: &list.groups });
            return Ok((list, beside));
        }
        let buckets = self.buckets_to_scan(&context);
        let scanned: u64 = buckets.iter().map(|visit| self.records.bucket(visit.bucket as usize).len() as u64).sum();
        let floor = Floor::default();
        let scan = |mut accumulator, visit: &Visit| {
            if !control.is_cancelled() {
                self.scan_bucket(visit, &context, &floor, &mut accumulator);
            }
            accumulator
        };
        // Each worker's last people whose skills were fetched are ranked before its list
        // is merged.
        let rank_rest = |accumulator| self.rank_all_fetched(&context, &floor, accumulator);
        let spread = control.spreads();
        let accumulator = if spread {
            let merge = |a, b| Accumulator::merge(rank_rest(a), rank_rest(b));
            rank_rest(crate::sharing::fold_shared(&buckets, || Accumulator::new(request.k), scan, merge))
        } else {
            rank_rest(buckets.iter().fold(Accumulator::new(request.k), scan))
        };
        if control.is_cancelled() {
            return Err(ScoringError::Cancelled);
        }
        let (mut result, beside) = self.finish(accumulator, &context, self.len() as u64, spread, alongside);
        // People in buckets the scan never visited live beyond their commute limits.
        result.excluded[ExclusionReason::CommuteTooFar] += self.len() as u64 - scanned;
        Ok((result, beside))
    }

    /// The list a finished scan gives: counts, group figures (with each place's attention)
    /// and the explained candidates (explained on every core when the scan `spread`: with 50
    /// people and a coach to choose for each, that was a sixth of a regional list's time),
    /// with what `alongside` gave for the ranked list (run on the calling thread while the
    /// other cores start explaining, when the scan spread; the calling thread then joins
    /// them).
    fn finish<R: Send>(
        &self,
        accumulator: Accumulator,
        context: &OfferContext,
        pool_size: u64,
        spread: bool,
        alongside: impl FnOnce(&RankedList) -> R + Send,
    ) -> (Shortlist, R) {
        let mut groups = accumulator.groups.tally();
        let ranked = accumulator.top.into_sorted();
        for (place, entry) in ranked.iter().enumerate() {
            let record = self.record_of_slot(entry.slot);
            groups.count_place(place + 1, crate::groups::groups_of(record, context.today, context.year));
        }
        let list =
            RankedList { ranked: ranked.iter().map(|entry| (entry.id(), entry.score.0)).collect(), groups: &groups };
        let (candidates, beside) = if spread {
            let numbered: Vec<(usize, Ranked)> = ranked.iter().copied().enumerate().collect();
            let (mut candidates, beside) = crate::sharing::fold_shared_beside(
                &numbered,
                || alongside(&list),
                Vec::new,
                |mut explained, &(place, ranked)| {
                    explained.push((place, self.candidate(ranked, context)));
                    explained
                },
                |mut a, mut b| {
                    a.append(&mut b);
                    a
                },
            );
            candidates.sort_unstable_by_key(|&(place, _)| place);
            (candidates.into_iter().map(|(_, candidate)| candidate).collect(), beside)
        } else {
            let beside = alongside(&list);
            (ranked.into_iter().map(|ranked| self.candidate(ranked, context)).collect(), beside)
        };
        drop(list);
        let shortlist = Shortlist {
            policy_version: context.policy.version.clone(),
            candidates,
            excluded: accumulator.excluded,
            eligible: accumulator.eligible,
            pool_size,
            groups,
        };
        (shortlist, beside)
    }

    /// Buckets that may hold someone who can reach the workplace: in cells within the widest
    /// commute, and only the commute bands whose longest limit reaches the cell's nearest
    /// point (with a margin far above float rounding); every non-empty bucket for remote work.
    /// Cells nearest the workplace come first: their people lose least to the commute, so
    /// the list's threshold rises early and turns more of the farther people away unscored
    /// (the list itself does not depend on the order). Each bucket comes with the highest
    /// commute factor its people could have ([`commute_beyond`] the cell's nearest point,
    /// with a margin far above float rounding; 1 for remote work) and whether all of them
    /// can commute there.
    fn buckets_to_scan(&self, context: &OfferContext) -> Vec<Visit> {
        let mut buckets = Vec::new();
        match context.place {
            Some(place) => {
                let mut cells = Vec::new();
                cells_within(place.origin.lat, place.origin.lon, self.widest_commute_km(), &mut cells);
                let mut by_distance: Vec<(f32, u32)> =
                    cells.into_iter().map(|cell| (nearest_km(&place.origin, cell as usize), cell)).collect();
                by_distance.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                for (nearest, cell) in by_distance {
                    let commute = commute_beyond(context, (nearest * 0.9999 - 0.01).max(0.0));
                    let first = cell as usize * BANDS;
                    buckets.extend(
                        (first..first + BANDS)
                            .filter(|&bucket| {
                                !self.records.bucket(bucket).is_empty()
                                    && nearest <= self.bucket_reach[bucket] * 1.0001 + 0.01
                            })
                            .map(|bucket| Visit {
                                bucket: bucket as u32,
                                commute,
                                all_commute: all_within_commute(&place.origin, bucket),
                                next: bucket as u32,
                                next_all_commute: true,
                            }),
                    );
                }
            }
            None => buckets.extend(
                (0..self.records.bucket_count()).filter(|&bucket| !self.records.bucket(bucket).is_empty()).map(
                    |bucket| Visit {
                        bucket: bucket as u32,
                        commute: 1.0,
                        all_commute: true,
                        next: bucket as u32,
                        next_all_commute: true,
                    },
                ),
            ),
        }
        for index in 1..buckets.len() {
            buckets[index - 1].next = buckets[index].bucket;
            buckets[index - 1].next_all_commute = buckets[index].all_commute;
        }
        buckets
    }

    /// Counts and ranks one bucket's records into `accumulator` (by reference: moving a
    /// worker's state in and out for each of a national scan's forty thousand buckets
    /// would copy it each time).
    ///
    /// In blocks of [`BLOCK`] records, three passes: the first tests the simple constraints
    /// and the commute of everyone without a branch and lists those who pass, apart for
    /// those who need a coach here; the second looks for a coach for each of those; the
    /// third counts and ranks the eligible. A pass/fail branch per record, in the random order people come,
    /// was mispredicted about every other time on a national offer (the passes made a
    /// national list 10–15% faster). Once the list's threshold is above the highest score
    /// anyone in the block could reach (the bucket's distance bounds the commute factor;
    /// buckets are ordered by registration, and the block's earliest registration bounds
    /// the waiting factor: 30% of a national list's eligible people are passed over so, a
    /// few percent of its time, and 12% more of a regional one's), the third pass only
    /// counts.
    ///
    /// The first pass reads only the keys and reaches beside the records (only keys where
    /// everyone can commute), so it runs one block ahead and the records it lists are
    /// fetched into the cache (a software prefetch, one per person read) while the block
    /// before is scanned: without it, a national list waited on memory at the first read
    /// of nearly every eligible record, since people who pass are scattered over the block
    /// and the hardware's prefetcher starts over at each 4 KiB page (a block is one).
    /// National lists about 16% faster. A regional list meets two in three people in
    /// buckets where not everyone can commute; their reaches, 12 bytes a person, spare
    /// reading the records of the two in three of those who live too far.
    fn scan_bucket<'a>(
        &'a self,
        visit: &Visit,
        context: &OfferContext,
        floor: &Floor,
        accumulator: &mut Accumulator<'a>,
    ) {
        debug_assert!(!context.simple.closed, "a closed offer's list is made without a scan");
        let bucket = visit.bucket as usize;
        let (records, keys) = (self.records.bucket(bucket), self.records.keys(bucket));
        let least = self.records.block_least(bucket);
        let steps = context.simple_steps();
        // Where everyone can commute, nobody's reach is read.
        let place = context.place.as_ref().filter(|_| !visit.all_commute);
        let first = 0..keys.len().min(BLOCK);
        let mut passed = self.pass_range(bucket, first, place, steps, &mut accumulator.selections.passing);
        for &position in &accumulator.selections.passing[..passed.0] {
            prefetch_read_data::<_, 3>(&records[usize::from(position)]);
        }
        for (number, (block, block_keys)) in records.chunks(BLOCK).zip(keys.chunks(BLOCK)).enumerate() {
            // The next block is passed before this one is scanned (the next bucket's first
            // block after the last one), so that the records of those who pass are on
            // their way into the cache meanwhile.
            let next_start = (number + 1) * BLOCK;
            let (ahead, ahead_passed): (&[ParticipantRecord], _) = if next_start < records.len() {
                let range = next_start..records.len().min(next_start + BLOCK);
                let listed = self.pass_range(bucket, range.clone(), place, steps, &mut accumulator.selections.ahead);
                (&records[range], listed)
            } else {
                let next = visit.next as usize;
                let next_records = self.records.bucket(next);
                let first = next_records.len().min(BLOCK) * usize::from(next != bucket);
                let next_place = context.place.as_ref().filter(|_| !visit.next_all_commute);
                let listed = self.pass_range(next, 0..first, next_place, steps, &mut accumulator.selections.ahead);
                (&next_records[..first], listed)
            };
            let eligible = self.select_eligible(block, passed, (ahead, ahead_passed.0), context, accumulator);
            if next_start < records.len() {
                let selections = &mut *accumulator.selections;
                std::mem::swap(&mut selections.passing, &mut selections.ahead);
                passed = ahead_passed;
            }
            accumulator.eligible += eligible as u64;
            // Beyond reach: the block's people by the bucket's distance and the earliest
            // registration in the block (buckets are ordered by registration day).
            let out_of_reach = accumulator
                .threshold(floor)
                .is_some_and(|threshold| score_bound(context, visit.commute, least.get(number).copied()) < threshold);
            if accumulator.top.keeps_nobody() || out_of_reach {
                for &position in &accumulator.selections.ready[..eligible] {
                    let position = usize::from(position);
                    accumulator.groups.count(&block[position], block_keys[position], context.group_cutoffs);
                }
            } else {
                self.rank_block(block, block_keys, eligible, (context, visit.commute), floor, accumulator);
            }
        }
    }

    /// [`pass_block`] over the items `range` of `bucket`.
    #[inline]
    fn pass_range(
        &self,
        bucket: usize,
        range: std::ops::Range<usize>,
        place: Option<&Place>,
        steps: &[u64; 256],
        passing: &mut [u8; BLOCK],
    ) -> (usize, FirstFailed) {
        let (keys, reaches) = (self.records.keys(bucket), self.records.reaches(bucket));
        pass_block(&keys[range.clone()], &reaches[range], place, steps, passing)
    }

    /// The first two passes over a block: counts everyone excluded under their first reason
    /// and lists the eligible in `accumulator.selections.ready`; how many there are.
    ///
    /// The simple constraints and the commute were decided from the keys and reaches
    /// beside the records (`passed`: how many are listed in `passing`, and the block's
    /// first failures; [`pass_block`]), so only the records of those who pass are read.
    /// While they are, the first `ahead_count` records listed in `selections.ahead`
    /// (positions in `ahead_records`) are fetched, one per person read, and so are the
    /// skills beside the records of those read, unless the worker puts the record's bound
    /// first (then only of those [`BoundOrder::samples`]).
    #[inline]
    fn select_eligible(
        &self,
        block: &[ParticipantRecord],
        (passing_count, first_failed): (usize, FirstFailed),
        (ahead_records, ahead_count): (&[ParticipantRecord], usize),
        context: &OfferContext,
        accumulator: &mut Accumulator,
    ) -> usize {
        let (fetch_skills, fetch_all) = (self.fetch_skills_ahead(), !accumulator.order.record_first());
        let Selections { passing, ahead, ready, needing, .. } = &mut *accumulator.selections;
        // Those who passed, apart by whether they need a coach here.
        let ahead = &ahead[..ahead_count];
        let (mut ready_count, mut needing_count) = (0, 0);
        for (index, &position) in passing[..passing_count].iter().enumerate() {
            if let Some(&next) = ahead.get(index) {
                prefetch_read_data::<_, 3>(&ahead_records[usize::from(next)]);
            }
            let record = &block[usize::from(position)];
            debug_assert!(!context.place.is_some_and(|place| place.beyond_commute(record)));
            if fetch_skills && (fetch_all || BoundOrder::samples(record.slot)) {
                self.prefetch_skills_beside(record);
            }
            let needs_coach = usize::from(record.needs_coach(context.provided));
            ready[slot(ready_count)] = position;
            needing[slot(needing_count)] = position;
            ready_count += needs_coach ^ 1;
            needing_count += needs_coach;
        }
        for &next in ahead.get(passing_count..).unwrap_or_default() {
            prefetch_read_data::<_, 3>(&ahead_records[usize::from(next)]);
        }
        self.find_coaches(block, context, ready_count, needing_count, first_failed, accumulator)
    }

    /// The second pass over a block: looks for a coach for each of the `needing` listed
    /// people (after the `ready` ones), counts who stays excluded; how many are eligible.
    #[inline]
    fn find_coaches(
        &self,
        block: &[ParticipantRecord],
        context: &OfferContext,
        mut ready_count: usize,
        needing_count: usize,
        mut first_failed: FirstFailed,
        accumulator: &mut Accumulator,
    ) -> usize {
        let Selections { ready, needing, .. } = &mut *accumulator.selections;
        for &position in &needing[..needing_count] {
            let record = &block[usize::from(position)];
            // Where people live does not decide their support (coaches cover workplaces).
            let evaluation =
                Evaluation { reasons: Default::default(), distance_km: f32::NAN, support: Support::NotNeeded };
            let evaluation =
                evaluate_support(record, context, self, Mode::Scan, evaluation, Some(&mut accumulator.coach_memo));
            first_failed.count(evaluation.reasons);
            ready[slot(ready_count)] = position;
            ready_count += usize::from(evaluation.is_eligible());
        }
        first_failed.add_to(&mut accumulator.excluded);
        ready_count
    }

    /// The third pass over a block: counts the groups of its `eligible` listed people,
    /// keeps those who could still reach the list, and ranks them.
    ///
    /// Whether one could reach it is decided by the skills bound ([`skills_gains`]). For a
    /// person with more skills than the record holds, whose skills sit beside it, also by
    /// the record's own bound ([`record_bound`], with the commute factor no higher than
    /// `commute`), first or second as the worker's [`BoundOrder`] says. Second: the
    /// skills were fetched ahead for everyone eligible. First: only those it keeps have
    /// their skills fetched, here, and are bounded by them and ranked with the next ranked
    /// block ([`ParticipantPool::rank_fetched`]), when their skills have come. People
    /// with thirty skills across trades, nationally: 14.6–15.9 ms the old way, 9.8–11.3 ms
    /// so (`cargo bench --bench shapes`). Where the skills bound lets most of a window
    /// through (the worker's [`SkillsSieve`]), those it lets through are bounded by their
    /// records as well before they are scored.
    #[inline]
    fn rank_block<'a>(
        &'a self,
        block: &'a [ParticipantRecord],
        keys: &[u8],
        eligible: usize,
        (context, commute): (&OfferContext, f32),
        floor: &Floor,
        accumulator: &mut Accumulator<'a>,
    ) {
        // The cutoff as the block starts: it only rises, so whoever it turns away now
        // cannot reach the list later in the block either.
        let cutoff = accumulator.current_cutoff(context, floor);
        let (threshold, min_gains) =
            cutoff.map_or((f32::NEG_INFINITY, f32::NEG_INFINITY), |cutoff| (cutoff.threshold, cutoff.min_gains));
        let Selections { ready, hopeful, .. } = &mut *accumulator.selections;
        let mut hopeful_count = 0;
        for &position in &ready[..eligible] {
            let record = &block[usize::from(position)];
            accumulator.groups.count(record, keys[usize::from(position)], context.group_cutoffs);
            let sampled = record.overflows() && cutoff.is_some() && BoundOrder::samples(record.slot);
            if record.overflows() && !sampled && accumulator.order.record_first() {
                if record_bound(record, context, commute) >= threshold {
                    self.prefetch_skills_beside(record);
                    if record.more_occupations() {
                        self.prefetch_claims(record);
                    }
                    accumulator.fetching.push(record);
                }
                continue;
            }
            let mut gains = skills_gains(record, context, self);
            if sampled {
                let record_passed = record_bound(record, context, commute) >= threshold;
                accumulator.order.count(gains >= min_gains, record_passed);
                if !record_passed {
                    gains = f32::NEG_INFINITY;
                }
            }
            let could_reach = gains >= min_gains;
            hopeful[slot(hopeful_count)] = (position, gains);
            // Claims first: a test that is always false where nobody has more than two.
            if record.more_occupations() && could_reach {
                self.prefetch_claims(record);
            }
            hopeful_count += usize::from(could_reach);
        }
        // Where the skills bound barely sorts anyone out, the record's turns away whom it
        // can before they are scored (see [`SkillsSieve`]).
        accumulator.sieve.count(eligible as u32, hopeful_count as u32);
        if accumulator.sieve.record_too() && cutoff.is_some() {
            let hopeful = &mut accumulator.selections.hopeful;
            let mut kept = 0;
            for index in 0..hopeful_count {
                let (position, gains) = hopeful[index];
                hopeful[slot(kept)] = (position, gains);
                kept += usize::from(record_bound(&block[usize::from(position)], context, commute) >= threshold);
            }
            hopeful_count = kept;
        }
        for index in 0..hopeful_count {
            let (position, gains) = accumulator.selections.hopeful[index];
            self.rank_record(&block[usize::from(position)], context, gains, floor, accumulator);
        }
        let fetched = std::mem::take(&mut accumulator.fetched);
        self.rank_fetched(&fetched, context, floor, accumulator);
        accumulator.fetched = std::mem::replace(&mut accumulator.fetching, fetched);
        accumulator.fetching.clear();
        if accumulator.ties.len() >= TIES_BATCH {
            offer_ties(accumulator);
        }
    }

    /// Bounds by their skills and ranks `people` whose skills sit beside their records
    /// and were fetched when their block was ranked.
    fn rank_fetched<'a>(
        &'a self,
        people: &[&'a ParticipantRecord],
        context: &OfferContext,
        floor: &Floor,
        accumulator: &mut Accumulator<'a>,
    ) {
        for &record in people {
            let gains = skills_gains(record, context, self);
            self.rank_record(record, context, gains, floor, accumulator);
        }
    }

    /// Ranks whoever a worker's scan left with their skills fetched but not yet read (see
    /// [`ParticipantPool::rank_block`]; between blocks they are all in `fetched`), and
    /// offers the ties it put aside: once the worker has no more buckets.
    fn rank_all_fetched<'a>(
        &'a self,
        context: &OfferContext,
        floor: &Floor,
        mut accumulator: Accumulator<'a>,
    ) -> Accumulator<'a> {
        debug_assert!(accumulator.fetching.is_empty());
        let fetched = std::mem::take(&mut accumulator.fetched);
        self.rank_fetched(&fetched, context, floor, &mut accumulator);
        offer_ties(&mut accumulator);
        accumulator
    }

    /// Counts an evaluated record as excluded (under its first reason) or eligible; whether
    /// it is eligible.
    #[inline]
    fn count_record(
        &self,
        record: &ParticipantRecord,
        evaluation: &Evaluation,
        context: &OfferContext,
        accumulator: &mut Accumulator,
    ) -> bool {
        if let Some(reason) = evaluation.reasons.first() {
            accumulator.excluded[reason] += 1;
            return false;
        }
        accumulator.eligible += 1;
        let key = crate::context::simple_index(record.flags, record.degree, record.stage) as u8;
        accumulator.groups.count(record, key, context.group_cutoffs);
        true
    }

    /// Offers an eligible record, whose skills could add `gains` to the coverage, to the
    /// list if its score can reach it.
    #[inline]
    fn rank_record<'a>(
        &'a self,
        record: &ParticipantRecord,
        context: &OfferContext,
        gains: f32,
        floor: &Floor,
        accumulator: &mut Accumulator<'a>,
    ) {
        let cutoff = accumulator.current_cutoff(context, floor);
        if cutoff.is_some_and(|cutoff| gains < cutoff.min_gains) {
            return;
        }
        // Measured as the explanation measures it (see [`Selections`]).
        let distance_km = context.place.map_or(0.0, |place| place.origin.distance_km(record.lat, record.lon));
        // The factors never depend on which coach comes (needs are neutral), so the coach is
        // chosen only for the people who end on the list, when they are explained.
        let evaluation = Evaluation { reasons: Default::default(), distance_km, support: Support::NotNeeded };
        let score = match cutoff {
            Some(cutoff) => score_beyond_gains(record, context, self, &evaluation, cutoff, gains),
            None => score_reaching(record, context, self, &evaluation, None),
        };
        if let Some(score) = score {
            self.keep(record, score, floor, accumulator);
        }
    }

    /// Puts a record that reached the list's threshold on it, and shares the list's new
    /// threshold with the other workers when it rose.
    fn keep<'a>(&'a self, record: &ParticipantRecord, score: f32, floor: &Floor, accumulator: &mut Accumulator<'a>) {
        let ranked = Ranked { score: OrderedFloat(score), slot: record.slot, ids: self.ids() };
        if accumulator.top.threshold() == Some(score) {
            // A tie with the list's last: decided by ids, which are fetched for a batch.
            prefetch_read_data::<_, 3>(&self.ids()[record.slot as usize]);
            accumulator.ties.push(ranked);
            return;
        }
        accumulator.top.offer(ranked);
        if let Some(threshold) = accumulator.top.threshold()
            && threshold > accumulator.published
        {
            floor.raise(threshold);
            accumulator.published = threshold;
        }
    }

    /// For each of `people` on `offer`: the weekly hours they need from a job coach and
    /// every coach (id, free hours now) who could accompany them there; `None` for a person
    /// who needs no coach there (no need, or the employer's mentor), is not eligible, or is
    /// not in the pool. For batch assignment, which decides who gets which coach's hours.
    pub fn coach_options(
        &self,
        policy: &ScoringPolicy,
        offer: &Offer,
        people: &[ParticipantId],
        today: Date,
    ) -> Result<Vec<Option<CoachOptions>>, ScoringError> {
        offer.check()?;
        let context = OfferContext::new(offer, policy, &self.skills, &self.coaches, today);
        Ok(people
            .iter()
            .map(|id| {
                let record = self.record_of(id)?;
                let (hours, coaches) = crate::evaluate::coach_choices(record, &context, self)?;
                let coaches = coaches
                    .into_iter()
                    .map(|index| {
                        let entry = self.coaches.get(index);
                        (entry.coach.id.clone(), entry.free_hours())
                    })
                    .collect();
                Some((hours, coaches))
            })
            .collect())
    }

    /// The top `k` of one unit's members for an offer (a unit watching for matches, a batch
    /// over one unit's people): the same evaluation as [`ParticipantPool::shortlist`] over
    /// the unit's members only; `pool_size` is the unit's size.
    pub fn shortlist_of_unit(
        &self,
        policy: &ScoringPolicy,
        request: &ShortlistRequest,
        unit_id: &str,
    ) -> Result<Shortlist, ScoringError> {
        request.offer.check()?;
        let context = OfferContext::new(request.offer, policy, &self.skills, &self.coaches, request.today);
        let members = self.units.of(unit_id);
        if context.simple.closed {
            return Ok(closed_list(policy, members.len() as u64));
        }
        let mut accumulator = Accumulator::new(request.k);
        let floor = Floor::default();
        for &slot in members {
            let record = self.record_of_slot(slot);
            let evaluation = evaluate(record, &context, self, Mode::Scan);
            if self.count_record(record, &evaluation, &context, &mut accumulator) && !accumulator.top.keeps_nobody() {
                let cutoff = accumulator.current_cutoff(&context, &floor);
                if let Some(score) = score_reaching(record, &context, self, &evaluation, cutoff) {
                    self.keep(record, score, &floor, &mut accumulator);
                }
            }
        }
        Ok(self.finish(accumulator, &context, members.len() as u64, true, |_| ()).0)
    }

    fn candidate(&self, ranked: Ranked, context: &OfferContext) -> Candidate {
        let record: &ParticipantRecord = self.record_of_slot(ranked.slot);
        let mut evaluation = evaluate(record, context, self, Mode::Scan);
        choose_coach(record, context, self, &mut evaluation);
        debug_assert!(evaluation.is_eligible());
        let values = factor_values(record, context, self, &evaluation);
        Candidate {
            participant_id: ranked.id().clone(),
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

#[cfg(test)]
mod tests {
    use pomost_domain::{ParticipantId, Workplace};

    use crate::fixtures::{TODAY, coach, krakow, offer, person, pool};
    use crate::policy::ScoringPolicy;
    use crate::reasons::ExclusionReason;
    use crate::shortlist::ShortlistRequest;

    /// Every set of failures steps a count of first failures by one in the place of its
    /// first reason (or of the passed, for none), and only the empty set passes.
    #[test]
    fn a_first_failed_step_counts_the_first_reason_or_the_pass() {
        use crate::reasons::ReasonSet;
        use crate::shortlist::{FirstFailed, first_failed_step};
        for bits in 0..=255u8 {
            let mut count = FirstFailed::default();
            let passed = count.step(first_failed_step(ReasonSet(bits)));
            assert_eq!(passed, usize::from(bits == 0), "{bits:#010b}");
            let mut excluded = crate::reasons::ExclusionCounts::default();
            count.add_to(&mut excluded);
            let expected: Vec<_> = ReasonSet(bits).first().into_iter().map(|reason| (reason, 1)).collect();
            assert_eq!(excluded.non_zero().collect::<Vec<_>>(), expected, "{bits:#010b}");
        }
    }

    fn ids(list: &crate::shortlist::Shortlist) -> Vec<&str> {
        list.candidates.iter().map(|candidate| candidate.participant_id.as_str()).collect()
    }

    #[test]
    fn group_figures_count_every_eligible_person_and_weigh_each_place() {
        let mut older = person("b-older");
        older.birth_year = Some(1960);
        older.disability.degree = pomost_domain::DisabilityDegree::Light;
        let people = vec![person("a-young"), older, person("c-young")];
        let list = pool(people, vec![])
            .shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &offer(), k: 2, today: TODAY })
            .unwrap();
        assert_eq!(list.groups.eligible_total, list.eligible);
        assert_eq!(list.groups.eligible[..4].iter().sum::<u64>(), list.eligible, "degrees partition the eligible");
        assert_eq!(list.groups.eligible[4], 1, "one person is 50 or older");
        let weights = 1.0 + 1.0 / 3f64.log2();
        assert!((list.groups.exposure_total - weights).abs() < 1e-9, "two places: 1 + 1/log2(3)");
        assert!((list.groups.exposure[..4].iter().sum::<f64>() - weights).abs() < 1e-9);
    }

    #[test]
    fn gender_is_counted_for_the_groups_and_never_changes_a_score() {
        use pomost_domain::Gender;
        let recorded = |id: &str, gender: Option<Gender>| pomost_domain::Participant { gender, ..person(id) };
        let people = vec![
            recorded("a-woman", Some(Gender::Woman)),
            recorded("b-man", Some(Gender::Man)),
            recorded("c-unrecorded", None),
            recorded("d-woman", Some(Gender::Woman)),
        ];
        let list = pool(people, vec![])
            .shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &offer(), k: 2, today: TODAY })
            .unwrap();
        assert_eq!(ids(&list), ["a-woman", "b-man"], "identical but for gender: ties go to the smaller id");
        assert_eq!(list.candidates[0].score, list.candidates[1].score);
        let (women, men) = (crate::GROUP_NAMES.len() - 2, crate::GROUP_NAMES.len() - 1);
        assert_eq!(crate::GROUP_NAMES[women], "women (where recorded)");
        assert_eq!((list.groups.eligible[women], list.groups.eligible[men]), (2, 1), "the unrecorded are in neither");
        assert!((list.groups.exposure[women] - 1.0).abs() < 1e-9, "place 1 weighs 1");
        assert!((list.groups.exposure[men] - 1.0 / 3f64.log2()).abs() < 1e-9, "place 2 weighs 1/log2(3)");
    }

    #[test]
    fn ranks_best_first_with_ties_to_the_smaller_id() {
        let mut near = person("b-near");
        near.home = krakow(1.0);
        let mut far = person("a-far");
        far.home = krakow(10.0);
        let twin = person("a-twin");
        let same = person("c-same");
        let people = vec![far, near, same, twin];
        let list = pool(people, vec![])
            .shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &offer(), k: 10, today: TODAY })
            .unwrap();
        assert_eq!(ids(&list), ["a-twin", "c-same", "b-near", "a-far"]);
        assert_eq!(list.candidates[0].score, list.candidates[1].score);
        assert!(list.candidates[1].score > list.candidates[2].score);
        assert_eq!(list.eligible, 4);
        assert_eq!(list.policy_version, ScoringPolicy::default().version);
    }

    #[test]
    fn counts_each_excluded_person_once_under_the_first_reason() {
        let mut no_consent = person("no-consent");
        no_consent.consent_to_matching = false;
        let mut far_and_no_consent = person("far");
        far_and_no_consent.consent_to_matching = false;
        far_and_no_consent.home = krakow(30.0);
        let mut in_gdansk = person("gdansk");
        in_gdansk.home = pomost_domain::Location {
            teryt: pomost_domain::TerytCode::parse("2261").unwrap(),
            point: pomost_domain::GeoPoint::new(54.35, 18.65).unwrap(),
        };
        let mut needs_coach = person("coach");
        needs_coach.coach_hours_per_week = 5.0;
        let people = vec![person("ok"), no_consent, far_and_no_consent, in_gdansk, needs_coach];
        let list = pool(people, vec![])
            .shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &offer(), k: 10, today: TODAY })
            .unwrap();
        assert_eq!(ids(&list), ["ok"]);
        assert_eq!(list.excluded[ExclusionReason::CommuteTooFar], 2, "Gdańsk is never visited, still counted");
        assert_eq!(list.excluded[ExclusionReason::NoConsent], 1);
        assert_eq!(list.excluded[ExclusionReason::NoJobCoach], 1);
        assert_eq!(list.excluded.total() + list.eligible, list.pool_size);
    }

    #[test]
    fn k_limits_and_zero_k_returns_nobody() {
        let people: Vec<_> = (0..20).map(|index| person(&format!("p-{index:02}"))).collect();
        let pool = pool(people, vec![]);
        let policy = ScoringPolicy::default();
        let three = pool.shortlist(&policy, &ShortlistRequest { offer: &offer(), k: 3, today: TODAY }).unwrap();
        assert_eq!(ids(&three), ["p-00", "p-01", "p-02"]);
        let none = pool.shortlist(&policy, &ShortlistRequest { offer: &offer(), k: 0, today: TODAY }).unwrap();
        assert!(none.candidates.is_empty());
        assert_eq!(none.eligible, 20);
    }

    #[test]
    fn closed_offer_excludes_the_whole_pool() {
        let mut filled = offer();
        filled.positions = 0;
        let list = pool(vec![person("a"), person("b")], vec![])
            .shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &filled, k: 5, today: TODAY })
            .unwrap();
        assert!(list.candidates.is_empty());
        assert_eq!(list.excluded[ExclusionReason::OfferClosed], 2);
    }

    /// One bucket of more people than a scan block holds, with every kind of outcome mixed
    /// in: the counts and the list equal explaining each person.
    #[test]
    fn a_bucket_larger_than_a_block_is_counted_and_ranked_whole() {
        // Blocks of one bucket after another (the keys of each passed while the one before
        // is scanned, for the remote offer), and buckets after one another (many live at
        // the first home, the rest spread to the east).
        let people: Vec<_> = (0..3 * super::BLOCK + 5)
            .map(|index| {
                let mut someone = person(&format!("p-{index:03}"));
                someone.home = krakow(if index < 2 * super::BLOCK + 3 { 0.0 } else { 0.05 * index as f64 });
                someone.consent_to_matching = index % 3 != 0;
                someone.night_shifts_ok = index % 11 != 4;
                // The coach has 20 free hours: 4 fit, 30 do not.
                someone.coach_hours_per_week = match (index % 5, index % 7) {
                    (_, 0) => 30.0,
                    (0, _) => 4.0,
                    _ => 0.0,
                };
                someone
            })
            .collect();
        let pool = pool(people.clone(), vec![coach("c-1")]);
        let policy = ScoringPolicy::default();
        let mut remote = offer();
        remote.workplace = Workplace::Remote;
        remote.night_work = true;
        for offer in [offer(), remote] {
            let list = pool.shortlist(&policy, &ShortlistRequest { offer: &offer, k: 7, today: TODAY }).unwrap();
            let mut scored = Vec::new();
            let mut excluded = crate::reasons::ExclusionCounts::default();
            for someone in &people {
                let explanation = pool.explain(&policy, &someone.id, &offer, TODAY).unwrap();
                match (explanation.score, explanation.failed.first()) {
                    (Some(score), None) => {
                        scored.push((std::cmp::Reverse(ordered_float::OrderedFloat(score)), someone.id.clone()))
                    }
                    (None, Some(failed)) => excluded[failed.reason] += 1,
                    other => panic!("{other:?}"),
                }
            }
            assert!(excluded[ExclusionReason::NoConsent] > 0 && excluded[ExclusionReason::NoJobCoach] > 0);
            assert_eq!(list.excluded, excluded, "{:?}", offer.workplace);
            assert_eq!(list.eligible, scored.len() as u64);
            scored.sort();
            let expected: Vec<&str> = scored.iter().take(7).map(|(_, id)| id.as_str()).collect();
            assert_eq!(ids(&list), expected);
        }
    }

    /// A bucket is ordered by registration and a block of it passed over once its earliest
    /// registration leaves everyone in it below the list's threshold: people tied at the
    /// top score in the bucket's last blocks still enter by their smaller ids.
    #[test]
    fn a_block_is_passed_over_only_when_its_earliest_registration_is_below_the_threshold() {
        // Everyone alike but for the registration and the id. The first 138 waited the full
        // 24 months or more; the ten who did by a day, first in the third block, hold the
        // smallest ids among them (p-055 to p-059 are the top five). The last 54 registered
        // within the year (smaller ids still, but a lower waiting factor).
        let people: Vec<_> = (0..3 * super::BLOCK)
            .map(|index| {
                let mut someone = person(&format!("p-{:03}", 3 * super::BLOCK - index));
                let days = match index {
                    0..128 => 800 + (127 - index),
                    128..138 => 731,
                    _ => 400 - index,
                };
                someone.registered_since = TODAY - time::Duration::days(days as i64);
                someone
            })
            .collect();
        let pool = pool(people, vec![]);
        // Only the waiting time counts: the top five tie at 1, and a block whose bound took
        // any day after its earliest registration would fall below them.
        let weights = crate::policy::FactorWeights {
            skills: 0.0,
            occupation: 0.0,
            stage: 0.0,
            coach: 0.0,
            accommodations: 0.0,
            commute: 0.0,
            preferences: 0.0,
            waiting: 1.0,
        };
        let policy = ScoringPolicy { weights, ..ScoringPolicy::default() };
        let list = pool.shortlist(&policy, &ShortlistRequest { offer: &offer(), k: 5, today: TODAY }).unwrap();
        assert_eq!(ids(&list), ["p-055", "p-056", "p-057", "p-058", "p-059"]);
        assert!(list.candidates.iter().all(|candidate| candidate.score == 1.0));
    }

    #[test]
    fn shortlist_agrees_with_explain() {
        let mut supported = person("supported");
        supported.coach_hours_per_week = 4.0;
        let mut remote = offer();
        remote.workplace = Workplace::Remote;
        let pool = pool(vec![supported, person("plain")], vec![coach("c-1")]);
        let policy = ScoringPolicy::default();
        for offer in [offer(), remote] {
            let list = pool.shortlist(&policy, &ShortlistRequest { offer: &offer, k: 5, today: TODAY }).unwrap();
            assert_eq!(list.candidates.len(), 2);
            for candidate in &list.candidates {
                let explanation = pool.explain(&policy, &candidate.participant_id, &offer, TODAY).unwrap();
                assert_eq!(explanation.score, Some(candidate.score));
                assert_eq!(explanation.factors, candidate.factors);
                assert_eq!(explanation.suggested_coach, candidate.suggested_coach);
            }
        }
    }

    #[test]
    fn a_cancelled_scan_gives_up() {
        let pool = pool(vec![person("a"), person("b")], vec![]);
        let request = ShortlistRequest { offer: &offer(), k: 5, today: TODAY };
        for cancelled in [crate::ScanControl::new(), crate::ScanControl::on_one_core()] {
            cancelled.cancel();
            assert_eq!(
                pool.shortlist_until(&ScoringPolicy::default(), &request, &cancelled),
                Err(crate::error::ScoringError::Cancelled)
            );
        }
        let running = crate::ScanControl::new();
        assert_eq!(pool.shortlist_until(&ScoringPolicy::default(), &request, &running).unwrap().candidates.len(), 2);
    }

    #[test]
    fn invalid_offer_is_refused_with_the_field() {
        let mut bad = offer();
        bad.weekly_hours = 90.0;
        let error = pool(vec![person("a")], vec![])
            .shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &bad, k: 5, today: TODAY })
            .unwrap_err();
        assert_eq!(error.to_string(), "offer.weekly_hours: 90 is over 84");
    }

    #[test]
    fn explain_refuses_unknown_people() {
        let error = pool(vec![], vec![])
            .explain(&ScoringPolicy::default(), &ParticipantId::new("ghost").unwrap(), &offer(), TODAY)
            .unwrap_err();
        assert_eq!(error.to_string(), "participant ghost is not in the pool");
    }
}
