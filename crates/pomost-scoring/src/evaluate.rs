//! The one place that decides, for a compact record and a compiled offer, which hard
//! constraints fail, which coach to suggest, and each factor's value. Shortlists and
//! explanations both call it, so they cannot disagree.

use crate::coaches::{UnitCoachMemo, coach_quality};
use crate::context::{OfferContext, Place, simple_index};
use crate::factors::Factor;
use crate::pool::ParticipantPool;
use crate::reasons::{ExclusionReason, ReasonSet};
use crate::record::{ClaimKind, OccupationClaim, ParticipantRecord};
use crate::skills::MAX_REQUIREMENTS;

/// How job-coach support would be secured for a placement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Support {
    /// The person needs no coach for this offer.
    NotNeeded,
    /// The employer's mentor stands in for the coach hours.
    Mentor,
    /// At least one coach qualifies; which one is best is not decided yet. Factors computed
    /// with this are upper bounds (a scan decides the best coach only for people who can
    /// still reach the top k).
    Available,
    /// This coach (index into the coach book), with a quality in [0, 1].
    Coach { index: u32, quality: f32 },
}

/// What the constraints say about one pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evaluation {
    pub(crate) reasons: ReasonSet,
    pub(crate) distance_km: f32,
    pub(crate) support: Support,
}

impl Evaluation {
    pub(crate) fn is_eligible(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// How much an evaluation decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Stop at the first failure and only check that some coach qualifies: what a scan
    /// needs to count exclusions.
    Scan,
    /// Collect every failure and choose the coach: what an explanation shows.
    Full,
}

/// Checks the hard constraints in precedence order (see [`Mode`]).
#[inline]
pub(crate) fn evaluate(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    mode: Mode,
) -> Evaluation {
    let (failures, distance_km) = simple_failures(record, context);
    let reasons = match mode {
        Mode::Full => failures,
        Mode::Scan => failures.only_first(),
    };
    let evaluation = Evaluation { reasons, distance_km, support: Support::NotNeeded };
    if mode == Mode::Scan && !reasons.is_empty() {
        return evaluation;
    }
    evaluate_support(record, context, pool, mode, evaluation, None)
}

/// The constraints that read only the record and the offer (closed offer, commute,
/// consent, working-time norms, night work, stage), all of them, with the distance to the
/// workplace (0 for remote work). Computed without a branch per constraint: a scan meets
/// these outcomes in random order, and a mispredicted branch costs more than the test.
#[inline]
pub(crate) fn simple_failures(record: &ParticipantRecord, context: &OfferContext) -> (ReasonSet, f32) {
    let distance_km = match context.place {
        Some(place) => place.origin.distance_km(record.lat, record.lon),
        None => 0.0,
    };
    let bits = context.simple_bits(simple_index(record.flags, record.degree, record.stage))
        | u8::from(context.place.is_some() & (distance_km > record.max_commute_km))
            << ExclusionReason::CommuteTooFar as u8;
    (ReasonSet(bits), distance_km)
}

/// The rest of [`evaluate`] once the simple constraints are known: whether the person needs
/// a coach here, and whether one (or the employer's mentor) can give the support (a scan
/// passes its `memo` of the answers by TERYT unit).
#[inline]
pub(crate) fn evaluate_support(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    mode: Mode,
    mut evaluation: Evaluation,
    memo: Option<&mut UnitCoachMemo>,
) -> Evaluation {
    let all = mode == Mode::Full;
    macro_rules! fail {
        ($reason:expr) => {{
            evaluation.reasons.insert($reason);
            if !all {
                return evaluation;
            }
        }};
    }
    if !record.needs_coach(context.provided) {
        return evaluation;
    }
    let uncovered = record.accommodations_required & !context.provided;
    let needs_hours = record.coach_hours > 0.0;
    let hours = coach_hours(record, context);
    let found = match mode {
        Mode::Scan => any_coach(record, context, pool, hours, uncovered, memo).then_some(Support::Available),
        Mode::Full => best_coach(record, context, pool, hours, uncovered)
            .map(|(index, quality)| Support::Coach { index, quality }),
    };
    match found {
        Some(support) => evaluation.support = support,
        None if uncovered != 0 => {
            fail!(ExclusionReason::AccommodationNotCovered);
            if needs_hours && !context.offer.employer_mentor && !any_coach(record, context, pool, hours, 0, None) {
                evaluation.reasons.insert(ExclusionReason::NoJobCoach);
            }
        }
        None if context.offer.employer_mentor => evaluation.support = Support::Mentor,
        None => fail!(ExclusionReason::NoJobCoach),
    }
    evaluation
}

/// Replaces [`Support::Available`] with the best coach.
#[inline]
pub(crate) fn choose_coach(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &mut Evaluation,
) {
    if evaluation.support != Support::Available {
        return;
    }
    let uncovered = record.accommodations_required & !context.provided;
    if let Some((index, quality)) = best_coach(record, context, pool, coach_hours(record, context), uncovered) {
        evaluation.support = Support::Coach { index, quality };
    } else {
        debug_assert!(false, "a coach was available a moment ago");
    }
}

fn coach_hours(record: &ParticipantRecord, context: &OfferContext) -> f32 {
    if record.coach_hours > 0.0 { record.coach_hours } else { context.policy.accommodation_support_hours }
}

/// Whether any coach qualifies; stops at the first. A scan passes its `memo` of the
/// answers by TERYT unit.
#[inline]
fn any_coach(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    hours: f32,
    uncovered: u16,
    memo: Option<&mut UnitCoachMemo>,
) -> bool {
    if !context.offer.accepts_external_coach {
        return false;
    }
    if let (Some(place), true) = (context.place, context.for_one_person) {
        let mut found = false;
        let coverable =
            coaches_covering(pool, place, |index, _| found |= pool.coaches.qualifies(index, hours, uncovered));
        return found && uncovered & !coverable == 0;
    }
    if uncovered & !context.coach_coverable() != 0 {
        return false;
    }
    match context.place {
        Some(_) => context.site_coaches().iter().any(|site| pool.coaches.qualifies(site.index, hours, uncovered)),
        None => {
            let coaches = &pool.coaches;
            let by_unit = match memo {
                Some(memo) => memo.any_serving_unit(coaches, record.home_teryt, hours, uncovered),
                None => coaches.any_serving_unit(record.home_teryt, |index| coaches.qualifies(index, hours, uncovered)),
            };
            by_unit
                || coaches.any_in_radius(record.lat, record.lon, record.home_teryt, |index| {
                    coaches.qualifies(index, hours, uncovered)
                })
        }
    }
}

/// For one person's context ([`OfferContext::for_one_person`]): visits every coach whose
/// area covers the workplace (one met twice, by TERYT and by radius, is visited twice) and
/// returns the accommodations those with free hours support, the test
/// [`OfferContext::coach_coverable`] makes. One pass instead of finding and sorting them all
/// by quality for a scan, which was a fifth of a recommendation's scoring.
fn coaches_covering(pool: &ParticipantPool, place: Place, mut visit: impl FnMut(u32, Option<f32>)) -> u16 {
    let mut coverable = 0;
    pool.coaches.for_each_covering(place.origin.lat, place.origin.lon, place.teryt, |index, distance| {
        let entry = pool.coaches.get(index);
        if entry.free_hours() > 0.0 {
            coverable |= entry.supported;
        }
        visit(index, distance);
    });
    coverable
}

/// The coach with free capacity for `hours` who supports every `uncovered` accommodation
/// and whose area covers the workplace (the home for remote work): the highest quality,
/// ties to the smaller coach id.
#[inline]
fn best_coach(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    hours: f32,
    uncovered: u16,
) -> Option<(u32, f32)> {
    if !context.offer.accepts_external_coach {
        return None;
    }
    let need = CoachNeed { hours, uncovered, preferred_open: record.accommodations_preferred & !context.provided };
    let mut best: Option<(u32, f32)> = None;
    if let (Some(place), true) = (context.place, context.for_one_person) {
        // Every covering coach is considered: ties go to the smaller id in any order.
        let coverable =
            coaches_covering(pool, place, |index, distance| consider_coach(pool, &need, index, distance, &mut best));
        return best.filter(|_| uncovered & !coverable == 0);
    }
    if uncovered & !context.coach_coverable() != 0 {
        return None;
    }
    match context.place {
        Some(_) => {
            // Site coaches come sorted by the best quality each could reach: stop once even
            // that cannot beat (or tie) the best found.
            for site in context.site_coaches() {
                if best.is_some_and(|(_, quality)| site.quality_bound < quality) {
                    break;
                }
                consider_coach(pool, &need, site.index, site.distance, &mut best);
            }
        }
        None => pool.coaches.for_each_covering(record.lat, record.lon, record.home_teryt, |index, distance| {
            consider_coach(pool, &need, index, distance, &mut best)
        }),
    }
    best
}

/// What a person needs from a coach for one offer.
struct CoachNeed {
    hours: f32,
    uncovered: u16,
    preferred_open: u16,
}

/// Keeps `index` in `best` if it qualifies and beats it (ties to the smaller coach id).
#[inline]
fn consider_coach(
    pool: &ParticipantPool,
    need: &CoachNeed,
    index: u32,
    distance: Option<f32>,
    best: &mut Option<(u32, f32)>,
) {
    if !pool.coaches.qualifies(index, need.hours, need.uncovered) {
        return;
    }
    let entry = pool.coaches.get(index);
    let quality = coach_quality(entry, need.hours, need.preferred_open, distance);
    let better = match *best {
        None => true,
        Some((best_index, best_quality)) => {
            quality > best_quality
                || (quality == best_quality && entry.coach.id < pool.coaches.get(best_index).coach.id)
        }
    };
    if better {
        *best = Some((index, quality));
    }
}

/// Each factor's value in [0, 1], in [`Factor::ALL`] order, for an eligible pair.
#[inline]
pub(crate) fn factor_values(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
) -> [f32; Factor::ALL.len()] {
    let mut values = values_but_skills(record, context, pool, evaluation);
    values[SKILLS] = skills_value(record, context, pool);
    values
}

/// The position of the skills factor in [`Factor::ALL`] order.
const SKILLS: usize = Factor::Skills as usize;

/// A list's entry score, with what it means for the cheapest bound: the least skill gains
/// ([`skills_gains`]) with which
/// the loose bound (skills at the bound those gains give, every other factor at 1) reaches
/// the threshold. The loose bound only grows with the gains, so "loose bound below the
/// threshold" is exactly "gains below `min_gains`": a scan compares one number per person
/// instead of a weighted sum.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoff {
    pub(crate) threshold: f32,
    pub(crate) min_gains: f32,
}

impl Cutoff {
    /// The cutoff of `threshold` for this offer: the boundary is searched over the float's
    /// bits (which order as the numbers do for values that are not negative), starting
    /// from where the bound's formula puts it, so a regional scan, whose threshold moves
    /// often, finds it in a few steps.
    pub(crate) fn new(context: &OfferContext, threshold: f32) -> Self {
        let reaches = |bits: u32| loose_bound(context, f32::from_bits(bits)) >= threshold;
        let min_gains = if reaches(0) {
            0.0
        } else if !reaches(f32::MAX.to_bits()) {
            f32::INFINITY
        } else {
            let (mut lo, mut hi) = bracket(estimate_gains(context, threshold).to_bits(), reaches);
            // reaches(lo) is false, reaches(hi) is true.
            while hi - lo > 1 {
                let middle = lo + (hi - lo) / 2;
                if reaches(middle) { hi = middle } else { lo = middle }
            }
            f32::from_bits(hi)
        };
        Self { threshold, min_gains }
    }
}

/// Where the loose bound's formula, solved for the gains, puts the cutoff of `threshold`
/// (near the exact one, which rounding may move by a few steps): a finite number that is
/// not negative.
fn estimate_gains(context: &OfferContext, threshold: f32) -> f32 {
    let weight = context.weights[SKILLS];
    let others = loose_bound(context, 0.0);
    let coverage = if weight > 0.0 { (threshold - others) / weight } else { 1.0 };
    let gains = context.credits.gains_near_bound(coverage);
    if gains.is_nan() { 0.0 } else { gains.clamp(0.0, f32::MAX) }
}

/// Bits `(lo, hi)` around `start` with `reaches(lo)` false and `reaches(hi)` true, widening
/// by doubling steps; `reaches(0)` must be false and `reaches(f32::MAX bits)` true.
fn bracket(start: u32, reaches: impl Fn(u32) -> bool) -> (u32, u32) {
    let top = f32::MAX.to_bits();
    let mut step = 1;
    if reaches(start) {
        let mut hi = start;
        loop {
            let lo = hi.saturating_sub(step);
            if !reaches(lo) {
                return (lo, hi);
            }
            hi = lo;
            step = step.saturating_mul(2);
        }
    } else {
        let mut lo = start;
        loop {
            let hi = lo.saturating_add(step).min(top);
            if reaches(hi) {
                return (lo, hi);
            }
            lo = hi;
            step = step.saturating_mul(2);
        }
    }
}

/// The score with skills at the bound `gains` give and every other factor at 1.
pub(crate) fn loose_bound(context: &OfferContext, gains: f32) -> f32 {
    let mut values = [1.0; Factor::ALL.len()];
    values[SKILLS] = context.credits.coverage_bound(gains);
    total(&values, &context.weights)
}

/// The commute factor of anyone living at least `nearest_km` from the workplace can have
/// at most (1 for remote work): it only falls with the distance.
pub(crate) fn commute_beyond(context: &OfferContext, nearest_km: f32) -> f32 {
    match context.place {
        Some(_) => {
            let half = context.policy.commute_half_km;
            half / (half + nearest_km)
        }
        None => 1.0,
    }
}

/// The highest score anyone can reach whose commute factor is at most `commute`
/// ([`commute_beyond`]) and who registered on `earliest_registration` or later (`None`:
/// any day): every other factor at 1, the waiting time at its value for that day (it only
/// grows with the time since registration, and rounded sums and products are monotone,
/// so no exact score of such a person is higher). Lets a scan pass over the ranking of a
/// whole bucket of far people, or a block of recent registrations, once its list's
/// threshold is above what they could reach.
#[inline]
pub(crate) fn score_bound(context: &OfferContext, commute: f32, earliest_registration: Option<i32>) -> f32 {
    let mut values = [1.0; Factor::ALL.len()];
    values[COMMUTE] = commute;
    if let Some(day) = earliest_registration {
        values[WAITING] = waiting_value(context, day);
    }
    total(&values, &context.weights)
}

/// The waiting factor of someone registered on Julian day `registered_day`.
#[inline]
fn waiting_value(context: &OfferContext, registered_day: i32) -> f32 {
    let months_waiting = (context.today - registered_day) as f32 / 30.44;
    (months_waiting / context.policy.waiting_full_months).clamp(0.0, 1.0)
}

/// The position of the waiting factor in [`Factor::ALL`] order.
const WAITING: usize = Factor::Waiting as usize;

/// The position of the commute factor in [`Factor::ALL`] order.
const COMMUTE: usize = Factor::Commute as usize;

/// The score of an eligible pair if it can still reach the cutoff's threshold, else
/// `None`: two cheap upper bounds first (skills at the best coverage the person's skills
/// could reach at full level and every other factor at 1, see [`Cutoff`]; then every other factor
/// exact), the exact skills factor last. The exact score is [`total`] of
/// [`factor_values`], bit for bit. A bound never falls below the exact score: each bound
/// value is at least the exact one, weights are not negative, and rounded float sums and
/// products are monotone, so a pair it turns away could not have entered the list.
#[inline]
pub(crate) fn score_reaching(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
    cutoff: Option<Cutoff>,
) -> Option<f32> {
    match cutoff {
        Some(cutoff) => {
            let gains = skills_gains(record, context, pool);
            if gains < cutoff.min_gains {
                return None;
            }
            score_beyond_gains(record, context, pool, evaluation, cutoff, gains)
        }
        None => {
            let mut values = values_but_skills(record, context, pool, evaluation);
            values[SKILLS] = skills_value(record, context, pool);
            Some(total(&values, &context.weights))
        }
    }
}

/// [`score_reaching`] for a pair whose `gains` ([`skills_gains`]) already passed the
/// cutoff: the second bound, then the exact score.
#[inline]
pub(crate) fn score_beyond_gains(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
    cutoff: Cutoff,
    gains: f32,
) -> Option<f32> {
    let mut values = values_but_skills(record, context, pool, evaluation);
    values[SKILLS] = context.credits.coverage_bound(gains);
    if total(&values, &context.weights) < cutoff.threshold {
        return None;
    }
    values[SKILLS] = skills_value(record, context, pool);
    let score = total(&values, &context.weights);
    if score < cutoff.threshold { None } else { Some(score) }
}

/// The most coverage of the offer's requirements the person's skills could reach, as if
/// every level were met ([`SkillCredits::gains`](crate::skills::SkillCredits::gains);
/// [`SkillCredits::coverage_bound`](crate::skills::SkillCredits::coverage_bound) turns it
/// into a bound of the skills factor).
#[inline(always)]
pub(crate) fn skills_gains(record: &ParticipantRecord, context: &OfferContext, pool: &ParticipantPool) -> f32 {
    if record.overflows() {
        context.credits.gains(pool.skills_beside(record).numbers())
    } else {
        context.credits.gains(record.inline_skill_numbers())
    }
}

/// Every factor value but skills (left at 0), in [`Factor::ALL`] order.
#[inline]
fn values_but_skills(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
) -> [f32; Factor::ALL.len()] {
    let policy = context.policy;
    // Needs are neutral: a need that is met (by the offer, a coach with free capacity or an
    // employer mentor) scores exactly as no need; an unmet hard need excludes the pair. So
    // across eligible people these two factors are constant, and which coach is suggested
    // (by quality) never moves a person's place.
    let coach = if evaluation.reasons.contains(ExclusionReason::NoJobCoach) { 0.0 } else { 1.0 };
    let accommodations = if evaluation.reasons.contains(ExclusionReason::AccommodationNotCovered) { 0.0 } else { 1.0 };
    let commute = match context.place {
        Some(_) => policy.commute_half_km / (policy.commute_half_km + evaluation.distance_km),
        None => 1.0,
    };
    let (stage, preferences, waiting) = record_values(record, context);
    let occupation = occupation_value(record, context, pool);
    [0.0, occupation, stage, coach, accommodations, commute, preferences, waiting]
}

/// The stage, preferences and waiting factors, which the record alone decides.
#[inline]
fn record_values(record: &ParticipantRecord, context: &OfferContext) -> (f32, f32, f32) {
    let policy = context.policy;
    // Every accepted stage ranks alike unless the offer states a preference for readiness.
    let stage = if record.stage >= context.min_stage || !context.offer.prefers_readiness {
        1.0
    } else {
        (1.0 - f32::from(context.min_stage - record.stage) * policy.stage_gap_penalty).max(0.0)
    };
    let hours_fit = (record.available_hours / context.offer.weekly_hours).min(1.0);
    let contract_fit = if record.preferred_contracts == 0 || record.preferred_contracts & context.contract_bit != 0 {
        1.0
    } else {
        0.0
    };
    let preferences = 0.5 * hours_fit + 0.5 * contract_fit;
    (stage, preferences, waiting_value(context, record.registered_day))
}

/// An upper bound of an eligible pair's score from its record alone, whatever its skills:
/// skills at 1, the commute at `commute` (at least the pair's), the occupation from the
/// record's inline claims (1 where the pool holds more), every other factor exact (each
/// value is at least the exact one, so the bound is at least the exact score; see
/// [`score_reaching`]). A scan may test it before it fetches the skills of a person who
/// has more than the record holds ([`crate::bound_order`]), so that those whose skills
/// could not lift them to the list are never read.
#[inline]
pub(crate) fn record_bound(record: &ParticipantRecord, context: &OfferContext, commute: f32) -> f32 {
    let (stage, preferences, waiting) = record_values(record, context);
    let occupation = if record.more_occupations() { 1.0 } else { inline_occupation_value(record, context) };
    total(&[1.0, occupation, stage, 1.0, 1.0, commute, preferences, waiting], &context.weights)
}

/// The occupation factor from the record's inline claims (the pool's table only for people
/// with more than two).
#[inline]
fn occupation_value(record: &ParticipantRecord, context: &OfferContext, pool: &ParticipantPool) -> f32 {
    if record.more_occupations() {
        return best_occupation(record, context, pool).1;
    }
    inline_occupation_value(record, context)
}

/// The occupation factor of a record that holds all its claims.
#[inline]
fn inline_occupation_value(record: &ParticipantRecord, context: &OfferContext) -> f32 {
    if record.occupations == 0 || context.occupation == 0 {
        return 0.0;
    }
    let claim = |packed: u32| {
        let credit = context.occupation_credit((packed & 0xfff) as usize);
        match packed >> 12 {
            0 => 0.0,
            3 => credit * context.policy.short_experience_share,
            _ => credit,
        }
    };
    claim(record.occupations & 0x3fff).max(claim((record.occupations >> 14) & 0x3fff))
}

/// The person's occupation that earns the most credit towards the offer's, with the credit.
pub(crate) fn best_occupation(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
) -> (Option<OccupationClaim>, f32) {
    let policy = context.policy;
    if context.occupation == 0 {
        return (None, 0.0);
    }
    let mut best = (None, 0.0f32);
    for claim in pool.occupations(record) {
        let credit = context.occupation_credit(usize::from(claim.index))
            * if claim.kind == ClaimKind::Short { policy.short_experience_share } else { 1.0 };
        if credit > best.1 {
            best = (Some(claim), credit);
        }
    }
    best
}

#[inline]
fn skills_value(record: &ParticipantRecord, context: &OfferContext, pool: &ParticipantPool) -> f32 {
    context.credits.coverage(&best_credits(record, context, pool))
}

/// For each requirement of the offer, the best credit any of the person's skills earns.
#[inline]
pub(crate) fn best_credits(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
) -> [f32; MAX_REQUIREMENTS] {
    let mut best = [0.0f32; MAX_REQUIREMENTS];
    if record.overflows() {
        for (skill, level) in pool.skills_beside(record).iter() {
            context.credits.credit(skill, level, &mut best);
        }
    } else {
        for (skill, level) in record.inline_skills() {
            context.credits.credit(skill, level, &mut best);
        }
    }
    best
}

/// The weighted total of factor values.
#[inline]
pub(crate) fn total(values: &[f32; Factor::ALL.len()], weights: &[f32; Factor::ALL.len()]) -> f32 {
    values.iter().zip(weights).map(|(value, weight)| value * weight).sum()
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;

/// Every coach who could accompany the person at this offer now (the same test as the
/// scan's: free hours, the uncovered required accommodations, an area covering the
/// workplace, or the home for remote work), with the hours the person needs; `None` when
/// the pair needs no coach (no need, or the employer's mentor) or is not eligible.
pub(crate) fn coach_choices(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
) -> Option<(f32, Vec<u32>)> {
    let evaluation = evaluate(record, context, pool, Mode::Scan);
    if !evaluation.is_eligible() || evaluation.support != Support::Available {
        return None;
    }
    let hours = coach_hours(record, context);
    let uncovered = record.accommodations_required & !context.provided;
    let mut found = Vec::new();
    match context.place {
        Some(_) => {
            for site in context.site_coaches() {
                if pool.coaches.qualifies(site.index, hours, uncovered) {
                    found.push(site.index);
                }
            }
        }
        None => pool.coaches.for_each_covering(record.lat, record.lon, record.home_teryt, |index, _| {
            if pool.coaches.qualifies(index, hours, uncovered) && !found.contains(&index) {
                found.push(index);
            }
        }),
    }
    Some((hours, found))
}
