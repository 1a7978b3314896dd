//! The one place that decides, for a compact record and a compiled offer, which hard
//! constraints fail, which coach to suggest, and each factor's value. Shortlists and
//! explanations both call it, so they cannot disagree.

use crate::coaches::CoachEntry;
use crate::context::OfferContext;
use crate::factors::Factor;
use crate::pool::ParticipantPool;
use crate::reasons::{ExclusionReason, ReasonSet};
use crate::record::{FLAG_CONSENT, FLAG_EXEMPT, FLAG_NIGHT_OK, ParticipantRecord};
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
    let all = mode == Mode::Full;
    let mut evaluation = Evaluation { reasons: ReasonSet::default(), distance_km: 0.0, support: Support::NotNeeded };
    macro_rules! fail {
        ($reason:expr) => {{
            evaluation.reasons.insert($reason);
            if !all {
                return evaluation;
            }
        }};
    }
    if context.closed {
        fail!(ExclusionReason::OfferClosed);
    }
    if let Some(place) = context.place {
        evaluation.distance_km = place.origin.distance_km(record.lat, record.lon);
        if evaluation.distance_km > record.max_commute_km {
            fail!(ExclusionReason::CommuteTooFar);
        }
    }
    if !record.has(FLAG_CONSENT) {
        fail!(ExclusionReason::NoConsent);
    }
    if !record.has(FLAG_EXEMPT) && context.legal_forbids[usize::from(record.degree & 3)] {
        fail!(ExclusionReason::WorkingTimeLimit);
    }
    if context.offer.night_work && !record.has(FLAG_NIGHT_OK) {
        fail!(ExclusionReason::NightWorkNotAccepted);
    }
    if record.stage < context.lowest_stage {
        fail!(ExclusionReason::StageTooLow);
    }
    let uncovered = record.accommodations_required & !context.provided;
    let needs_hours = record.coach_hours > 0.0;
    if uncovered == 0 && !needs_hours {
        return evaluation;
    }
    let hours = coach_hours(record, context);
    let found = match mode {
        Mode::Scan => any_coach(record, context, pool, hours, uncovered).then_some(Support::Available),
        Mode::Full => best_coach(record, context, pool, hours, uncovered)
            .map(|(index, quality)| Support::Coach { index, quality }),
    };
    match found {
        Some(support) => evaluation.support = support,
        None if uncovered != 0 => {
            fail!(ExclusionReason::AccommodationNotCovered);
            if needs_hours && !context.offer.employer_mentor && !any_coach(record, context, pool, hours, 0) {
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

fn qualifies(entry: &CoachEntry, hours: f32, uncovered: u16) -> bool {
    entry.free_hours() >= hours && entry.supported & uncovered == uncovered
}

/// Whether any coach qualifies; stops at the first.
#[inline]
fn any_coach(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    hours: f32,
    uncovered: u16,
) -> bool {
    if !context.offer.accepts_external_coach || uncovered & !context.coach_coverable != 0 {
        return false;
    }
    match context.place {
        Some(_) => context.site_coaches.iter().any(|site| qualifies(pool.coaches.get(site.index), hours, uncovered)),
        None => pool.coaches.any_covering(record.lat, record.lon, record.home_teryt, |index| {
            qualifies(pool.coaches.get(index), hours, uncovered)
        }),
    }
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
    if !context.offer.accepts_external_coach || uncovered & !context.coach_coverable != 0 {
        return None;
    }
    let need = CoachNeed { hours, uncovered, preferred_open: record.accommodations_preferred & !context.provided };
    let mut best: Option<(u32, f32)> = None;
    match context.place {
        Some(_) => {
            // Site coaches come sorted by the best quality each could reach: stop once even
            // that cannot beat (or tie) the best found.
            for site in &context.site_coaches {
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
    let entry = pool.coaches.get(index);
    if !qualifies(entry, need.hours, need.uncovered) {
        return;
    }
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

/// How well a coach fits, in [0, 1]: half spare capacity after taking the person on, a
/// quarter the share of still-open preferred accommodations the coach provides, a quarter
/// closeness to the centre of the coach's area (0.5 for areas given by TERYT units only).
/// With `hours` 0 and nothing open it is the best the coach can reach for anyone.
#[inline]
pub(crate) fn coach_quality(entry: &CoachEntry, hours: f32, preferred_open: u16, distance: Option<f32>) -> f32 {
    let capacity = entry.coach.weekly_capacity_hours.max(f32::EPSILON);
    let headroom = ((entry.free_hours() - hours) / capacity).clamp(0.0, 1.0);
    let coverage = share(preferred_open & entry.supported, preferred_open);
    let proximity = match distance {
        Some(distance) => (1.0 - distance / entry.coach.area.radius_km.max(f32::EPSILON)).clamp(0.0, 1.0),
        None => 0.5,
    };
    0.5 * headroom + 0.25 * coverage + 0.25 * proximity
}

/// Share of `of` that `met` holds, 1 when `of` is empty.
#[inline]
fn share(met: u16, of: u16) -> f32 {
    if of == 0 { 1.0 } else { met.count_ones() as f32 / of.count_ones() as f32 }
}

/// Each factor's value in [0, 1], in [`Factor::ALL`] order, for an eligible pair.
#[inline]
pub(crate) fn factor_values(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
) -> [f32; Factor::ALL.len()] {
    let policy = context.policy;
    let skills = skills_value(record, context, pool);
    let stage = if record.stage >= context.min_stage {
        1.0
    } else {
        (1.0 - f32::from(context.min_stage - record.stage) * policy.stage_gap_penalty).max(0.0)
    };
    let (coach, coach_supported) = match evaluation.support {
        Support::NotNeeded => (1.0, 0),
        Support::Mentor => (0.5, 0),
        Support::Available => (1.0, u16::MAX),
        Support::Coach { index, quality } => (0.5 + 0.5 * quality, pool.coaches.get(index).supported),
    };
    let preferred = record.accommodations_preferred;
    let accommodations = share(preferred & (context.provided | coach_supported), preferred);
    let commute = match context.place {
        Some(_) => policy.commute_half_km / (policy.commute_half_km + evaluation.distance_km),
        None => 1.0,
    };
    let hours_fit = (record.available_hours / context.offer.weekly_hours).min(1.0);
    let contract_fit = if record.preferred_contracts == 0 || record.preferred_contracts & context.contract_bit != 0 {
        1.0
    } else {
        0.0
    };
    let preferences = 0.5 * hours_fit + 0.5 * contract_fit;
    let months_waiting = (context.today - record.registered_day) as f32 / 30.44;
    let waiting = (months_waiting / policy.waiting_full_months).clamp(0.0, 1.0);
    [skills, stage, coach, accommodations, commute, preferences, waiting]
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
        for &(skill, level) in pool.overflow_skills(record.slot) {
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
mod tests {
    use pomost_domain::{Accommodation, ContractType, DisabilityCause, DisabilityDegree, SkillClaim, Stage, Workplace};
    use time::macros::date;

    use crate::fixtures::{coach, explain_one, krakow, offer, person, skill};
    use crate::{ExclusionReason, Explanation, Factor};

    fn reasons(explanation: &Explanation) -> Vec<ExclusionReason> {
        explanation.failed.iter().map(|failed| failed.reason).collect()
    }

    fn value(explanation: &Explanation, factor: Factor) -> f32 {
        explanation.factors.iter().find(|score| score.factor == factor).map(|score| score.value).unwrap()
    }

    #[test]
    fn the_fixture_pair_is_eligible() {
        let explanation = explain_one(person("a"), vec![], &offer());
        assert!(explanation.failed.is_empty(), "{:?}", explanation.failed);
        assert!(explanation.score.is_some());
    }

    #[test]
    fn no_consent_excludes() {
        let mut someone = person("a");
        someone.consent_to_matching = false;
        let explanation = explain_one(someone, vec![], &offer());
        assert_eq!(reasons(&explanation), [ExclusionReason::NoConsent]);
        assert_eq!(explanation.score, None);
    }

    #[test]
    fn light_degree_excludes_night_work_unless_a_physician_consents() {
        let mut someone = person("a");
        someone.disability.degree = DisabilityDegree::Light;
        someone.night_shifts_ok = true;
        let mut night = offer();
        night.night_work = true;
        let explanation = explain_one(someone.clone(), vec![], &night);
        assert_eq!(reasons(&explanation), [ExclusionReason::WorkingTimeLimit]);
        assert!(explanation.failed[0].message.contains("night work"), "{}", explanation.failed[0].message);
        someone.disability.working_time_exemption = true;
        assert!(explain_one(someone, vec![], &night).failed.is_empty());
    }

    #[test]
    fn moderate_degree_excludes_forty_hours_but_light_does_not() {
        let mut someone = person("a");
        someone.disability.degree = DisabilityDegree::Moderate;
        let explanation = explain_one(someone.clone(), vec![], &offer());
        assert_eq!(reasons(&explanation), [ExclusionReason::WorkingTimeLimit, ExclusionReason::WorkingTimeLimit]);
        assert_eq!(
            explanation.failed[0].message,
            "offer needs 40 h/week; the legal limit for this person is 35 h/week"
        );
        assert_eq!(explanation.failed[1].message, "offer needs 8 h/day; the legal limit for this person is 7 h/day");
        someone.disability.degree = DisabilityDegree::Light;
        assert!(explain_one(someone.clone(), vec![], &offer()).failed.is_empty());
        let mut shorter = offer();
        shorter.weekly_hours = 35.0;
        shorter.daily_hours = 7.0;
        someone.disability.degree = DisabilityDegree::Moderate;
        assert!(explain_one(someone, vec![], &shorter).failed.is_empty());
    }

    #[test]
    fn light_degree_excludes_more_than_eight_hours_a_day() {
        let mut someone = person("a");
        someone.disability.degree = DisabilityDegree::Light;
        let mut long_days = offer();
        long_days.weekly_hours = 36.0;
        long_days.daily_hours = 9.0;
        let explanation = explain_one(someone, vec![], &long_days);
        assert_eq!(explanation.failed.len(), 1);
        assert_eq!(explanation.failed[0].message, "offer needs 9 h/day; the legal limit for this person is 8 h/day");
    }

    #[test]
    fn severe_degree_excludes_overtime_except_guarding_work() {
        let mut someone = person("a");
        someone.disability.degree = DisabilityDegree::Severe;
        let mut overtime = offer();
        overtime.weekly_hours = 35.0;
        overtime.daily_hours = 7.0;
        overtime.overtime = true;
        let explanation = explain_one(someone.clone(), vec![], &overtime);
        assert_eq!(reasons(&explanation), [ExclusionReason::WorkingTimeLimit]);
        assert!(explanation.failed[0].message.contains("overtime"));
        overtime.guarding_work = true;
        assert!(explain_one(someone, vec![], &overtime).failed.is_empty());
    }

    #[test]
    fn night_work_needs_the_persons_acceptance() {
        let mut night = offer();
        night.night_work = true;
        let explanation = explain_one(person("a"), vec![], &night);
        assert_eq!(reasons(&explanation), [ExclusionReason::NightWorkNotAccepted]);
    }

    #[test]
    fn stage_below_minimum_is_bridged_by_adaptation_weeks() {
        let mut someone = person("a");
        someone.stage = Stage::VocationalTraining;
        let mut demanding = offer();
        demanding.min_stage = Stage::SupportedOpenMarket;
        demanding.adaptation_weeks = 8;
        let explanation = explain_one(someone.clone(), vec![], &demanding);
        assert_eq!(reasons(&explanation), [ExclusionReason::StageTooLow]);
        assert!(explanation.failed[0].message.contains("bridges 1 stage(s)"), "{}", explanation.failed[0].message);
        demanding.adaptation_weeks = 16;
        let bridged = explain_one(someone, vec![], &demanding);
        assert!(bridged.failed.is_empty());
        assert!((value(&bridged, Factor::Stage) - 0.3).abs() < 1e-6);
    }

    #[test]
    fn required_accommodation_needs_the_offer_or_a_coach() {
        let mut deaf = person("a");
        deaf.accommodations_required = Accommodation::PolishSignLanguage.into();
        let explanation = explain_one(deaf.clone(), vec![], &offer());
        assert_eq!(reasons(&explanation), [ExclusionReason::AccommodationNotCovered]);
        assert!(explanation.failed[0].message.contains("Polish Sign Language"));

        let with_coach = explain_one(deaf.clone(), vec![coach("c-1")], &offer());
        assert!(with_coach.failed.is_empty());
        assert_eq!(with_coach.suggested_coach.as_ref().map(|id| id.as_str()), Some("c-1"));

        let mut no_sign_language = coach("c-1");
        no_sign_language.accommodations_supported = Accommodation::EasyReadInstructions.into();
        let explanation = explain_one(deaf.clone(), vec![no_sign_language], &offer());
        assert_eq!(reasons(&explanation), [ExclusionReason::AccommodationNotCovered]);

        let mut providing = offer();
        providing.accommodations_provided = Accommodation::PolishSignLanguage.into();
        let provided = explain_one(deaf, vec![], &providing);
        assert!(provided.failed.is_empty());
        assert_eq!(provided.suggested_coach, None);
    }

    #[test]
    fn coach_hours_need_free_capacity_or_a_mentor() {
        let mut supported = person("a");
        supported.coach_hours_per_week = 6.0;
        assert_eq!(reasons(&explain_one(supported.clone(), vec![], &offer())), [ExclusionReason::NoJobCoach]);

        let mut busy = coach("c-1");
        busy.committed_hours = 16.0;
        assert_eq!(reasons(&explain_one(supported.clone(), vec![busy], &offer())), [ExclusionReason::NoJobCoach]);

        let mut far = coach("c-2");
        far.area.teryt = vec![pomost_domain::TerytCode::parse("1465").unwrap()];
        assert_eq!(reasons(&explain_one(supported.clone(), vec![far], &offer())), [ExclusionReason::NoJobCoach]);

        let free = explain_one(supported.clone(), vec![coach("c-3")], &offer());
        assert!(free.failed.is_empty());
        assert_eq!(free.suggested_coach.as_ref().map(|id| id.as_str()), Some("c-3"));

        let mut mentoring = offer();
        mentoring.employer_mentor = true;
        let mentored = explain_one(supported.clone(), vec![], &mentoring);
        assert!(mentored.failed.is_empty());
        assert!(mentored.employer_mentor);
        assert_eq!(value(&mentored, Factor::Coach), 0.5);

        let mut closed_door = offer();
        closed_door.accepts_external_coach = false;
        let explanation = explain_one(supported, vec![coach("c-3")], &closed_door);
        assert_eq!(reasons(&explanation), [ExclusionReason::NoJobCoach]);
        assert!(explanation.failed[0].message.contains("does not accept an external job coach"));
    }

    #[test]
    fn the_coach_with_the_most_spare_capacity_is_suggested() {
        let mut supported = person("a");
        supported.coach_hours_per_week = 4.0;
        let capacities = [("c-a", 20.0, 14.0), ("c-b", 20.0, 2.0), ("c-c", 40.0, 30.0), ("c-d", 10.0, 7.0)];
        let coaches: Vec<_> = capacities
            .iter()
            .map(|(id, capacity, committed)| {
                let mut candidate = coach(id);
                candidate.weekly_capacity_hours = *capacity;
                candidate.committed_hours = *committed;
                candidate
            })
            .collect();
        let explanation = explain_one(supported.clone(), coaches.clone(), &offer());
        assert_eq!(explanation.suggested_coach.as_ref().map(|id| id.as_str()), Some("c-b"));
        let mut remote = offer();
        remote.workplace = Workplace::Remote;
        let explanation = explain_one(supported, coaches, &remote);
        assert_eq!(explanation.suggested_coach.as_ref().map(|id| id.as_str()), Some("c-b"));
    }

    #[test]
    fn coach_radius_covers_the_workplace() {
        let mut supported = person("a");
        supported.coach_hours_per_week = 4.0;
        let mut radius_coach = coach("c-1");
        radius_coach.area.teryt.clear();
        radius_coach.area.centre = Some(krakow(10.0).point);
        radius_coach.area.radius_km = 15.0;
        assert!(explain_one(supported.clone(), vec![radius_coach.clone()], &offer()).failed.is_empty());
        radius_coach.area.radius_km = 5.0;
        assert_eq!(reasons(&explain_one(supported, vec![radius_coach], &offer())), [ExclusionReason::NoJobCoach]);
    }

    #[test]
    fn commute_limit_excludes_except_remote_work() {
        let mut far = offer();
        far.workplace = Workplace::OnSite(krakow(30.0));
        let explanation = explain_one(person("a"), vec![], &far);
        assert_eq!(reasons(&explanation), [ExclusionReason::CommuteTooFar]);
        assert!(
            explanation.failed[0].message.starts_with("the workplace is 30.0 km from home"),
            "{}",
            explanation.failed[0].message
        );
        far.workplace = Workplace::Remote;
        let remote = explain_one(person("a"), vec![], &far);
        assert!(remote.failed.is_empty());
        assert_eq!(value(&remote, Factor::Commute), 1.0);
    }

    #[test]
    fn closed_offers_exclude_everyone() {
        let mut expired = offer();
        expired.valid_until = date!(2026 - 11 - 20);
        let explanation = explain_one(person("a"), vec![], &expired);
        assert_eq!(reasons(&explanation), [ExclusionReason::OfferClosed]);
        assert_eq!(explanation.failed[0].message, "the offer expired on 2026-11-20");
        let mut filled = offer();
        filled.positions = 0;
        assert_eq!(explain_one(person("a"), vec![], &filled).failed[0].message, "the offer has no open positions");
        let mut future = offer();
        future.valid_from = date!(2026 - 12 - 01);
        assert_eq!(explain_one(person("a"), vec![], &future).failed[0].message, "the offer opens on 2026-12-01");
    }

    #[test]
    fn explanation_lists_every_failed_constraint() {
        let mut someone = person("a");
        someone.consent_to_matching = false;
        someone.disability.degree = DisabilityDegree::Moderate;
        someone.stage = Stage::SocialActivation;
        someone.coach_hours_per_week = 5.0;
        let mut far = offer();
        far.workplace = Workplace::OnSite(krakow(40.0));
        far.weekly_hours = 38.0;
        far.daily_hours = 7.0;
        let found = reasons(&explain_one(someone, vec![], &far));
        assert_eq!(
            found,
            [
                ExclusionReason::CommuteTooFar,
                ExclusionReason::NoConsent,
                ExclusionReason::WorkingTimeLimit,
                ExclusionReason::StageTooLow,
                ExclusionReason::NoJobCoach
            ]
        );
    }

    #[test]
    fn skills_factor_gives_partial_credit() {
        let full = explain_one(person("a"), vec![], &offer());
        assert_eq!(value(&full, Factor::Skills), 1.0);

        let mut related = person("a");
        related.skills = vec![SkillClaim { skill: skill("laundry"), level: None }];
        assert_eq!(value(&explain_one(related, vec![], &offer()), Factor::Skills), 0.5);

        let mut unrelated = person("a");
        unrelated.skills = vec![SkillClaim { skill: skill("welding"), level: None }];
        assert_eq!(value(&explain_one(unrelated, vec![], &offer()), Factor::Skills), 0.0);

        let mut wants_level_three = offer();
        wants_level_three.required_skills[0].min_level = Some(pomost_domain::SkillLevel::new(3).unwrap());
        let shortfall = value(&explain_one(person("a"), vec![], &wants_level_three), Factor::Skills);
        assert!((shortfall - 2.0 / 3.0).abs() < 1e-6);

        let mut with_nice = offer();
        with_nice.nice_to_have_skills =
            vec![pomost_domain::SkillRequirement { skill: skill("cooking"), min_level: None, weight: 1.0 }];
        let must_only = value(&explain_one(person("a"), vec![], &with_nice), Factor::Skills);
        assert!((must_only - 2.0 / 3.0).abs() < 1e-6, "must-have counts twice: {must_only}");
    }

    #[test]
    fn commute_factor_halves_at_the_policy_distance() {
        let mut fifteen = offer();
        fifteen.workplace = Workplace::OnSite(krakow(15.0));
        let commute = value(&explain_one(person("a"), vec![], &fifteen), Factor::Commute);
        assert!((commute - 0.5).abs() < 0.01, "{commute}");
    }

    #[test]
    fn accommodation_preferences_and_waiting_factors() {
        let mut someone = person("a");
        someone.accommodations_preferred = Accommodation::ExtraBreaks | Accommodation::QuietWorkspace;
        someone.available_hours_per_week = 20.0;
        someone.preferred_contracts = ContractType::SocialEmployment.into();
        let mut providing = offer();
        providing.accommodations_provided = Accommodation::ExtraBreaks.into();
        let explanation = explain_one(someone, vec![], &providing);
        assert_eq!(value(&explanation, Factor::Accommodations), 0.5);
        assert_eq!(value(&explanation, Factor::Preferences), 0.25);
        let waiting = value(&explanation, Factor::Waiting);
        assert!((waiting - 0.5).abs() < 0.01, "a year of the 24 months: {waiting}");
        assert_eq!(value(&explanation, Factor::Coach), 1.0);
    }

    #[test]
    fn cause_symbols_are_never_read() {
        let mut with_causes = person("a");
        with_causes.disability.degree = DisabilityDegree::Light;
        let baseline = explain_one(with_causes.clone(), vec![], &offer());
        with_causes.disability.causes = vec![DisabilityCause::Mental, DisabilityCause::HearingSpeech];
        assert_eq!(explain_one(with_causes, vec![], &offer()), baseline);
    }
}
