//! Tests of `evaluate.rs`, in their own file so the module they test and the fixtures
//! they use never import each other.

use pomost_domain::{Accommodation, ContractType, DisabilityCause, DisabilityDegree, SkillClaim, Stage, Workplace};
use time::macros::date;

use crate::explain::Explanation;
use crate::factors::Factor;
use crate::fixtures::{coach, explain_one, krakow, offer, person, skill};
use crate::reasons::ExclusionReason;

fn reasons(explanation: &Explanation) -> Vec<ExclusionReason> {
    explanation.failed.iter().map(|failed| failed.reason).collect()
}

fn value(explanation: &Explanation, factor: Factor) -> f32 {
    explanation.factors.iter().find(|score| score.factor == factor).map(|score| score.value).unwrap()
}

fn detail(explanation: &Explanation, factor: Factor) -> String {
    explanation.factors.iter().find(|score| score.factor == factor).map(|score| score.detail.clone()).unwrap()
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
    assert_eq!(explanation.failed[0].message, "offer needs 40 h/week; the legal limit for this person is 35 h/week");
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
    let bridged = explain_one(someone.clone(), vec![], &demanding);
    assert!(bridged.failed.is_empty());
    assert_eq!(value(&bridged, Factor::Stage), 1.0, "no stated preference: every accepted stage ranks alike");
    assert!(detail(&bridged, Factor::Stage).contains("no preference for readiness"));
    demanding.prefers_readiness = true;
    let preferring = explain_one(someone, vec![], &demanding);
    assert!((value(&preferring, Factor::Stage) - 0.3).abs() < 1e-6);
    assert!(detail(&preferring, Factor::Stage).contains("prefers people nearer the open market"));
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
    assert_eq!(value(&mentored, Factor::Coach), 1.0, "a need met by a mentor scores as no need");
    assert_eq!(value(&free, Factor::Coach), 1.0, "a need met by a coach scores as no need");
    assert_eq!(mentored.score, explain_one(person("a"), vec![], &mentoring).score);

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
    assert_eq!(value(&explanation, Factor::Accommodations), 1.0, "a preference never changes a score");
    assert!(detail(&explanation, Factor::Accommodations).contains("not met: quiet workspace"));
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

#[test]
fn occupation_fit_follows_the_kzis_hierarchy_and_names_the_occupations() {
    // The fixture offer is 911207 (Pracownik utrzymania czystości).
    let with = |wanted: &[&str], past: &[(&str, f32)]| {
        let mut person = person("a");
        person.wanted_occupations = wanted.iter().map(|code| (*code).to_owned()).collect();
        person.past_occupations = past
            .iter()
            .map(|(code, years)| pomost_domain::PastOccupation { code: (*code).into(), years: *years })
            .collect();
        explain_one(person, vec![], &offer())
    };
    let none = with(&[], &[]);
    assert_eq!(value(&none, Factor::Occupation), 0.0);
    assert!(detail(&none, Factor::Occupation).contains("no wanted or past occupation stated"));
    let same = with(&["911207"], &[]);
    assert_eq!(value(&same, Factor::Occupation), 1.0);
    assert!(
        detail(&same, Factor::Occupation).contains("911207 Pracownik utrzymania czystości"),
        "{}",
        detail(&same, Factor::Occupation)
    );
    assert_eq!(value(&with(&[], &[("911290", 3.0)]), Factor::Occupation), 0.6);
    let unit = detail(&with(&[], &[("911290", 3.0)]), Factor::Occupation);
    assert!(unit.contains("past occupation (a year or more)") && unit.contains("unit group 9112"), "{unit}");
    assert!((value(&with(&[], &[("911290", 0.5)]), Factor::Occupation) - 0.45).abs() < 1e-6);
    assert_eq!(value(&with(&["911101"], &[]), Factor::Occupation), 0.4, "minor group 911");
    assert_eq!(value(&with(&["912101"], &[]), Factor::Occupation), 0.2, "sub-major group 91");
    assert_eq!(value(&with(&["432103"], &[("911290", 2.0)]), Factor::Occupation), 0.6, "the best counts");
    assert_eq!(value(&with(&["432103"], &[]), Factor::Occupation), 0.0);
    assert_eq!(
        value(&with(&["432103", "512001"], &[("911290", 2.0)]), Factor::Occupation),
        0.6,
        "a third claim counts"
    );
    assert_eq!(value(&with(&["432103", "512001"], &[("941201", 2.0), ("911207", 0.5)]), Factor::Occupation), 0.75);
    // More fit never ranks lower: the total follows the factor.
    assert!(same.score.unwrap() > none.score.unwrap());
}

mod cutoff {
    use proptest::prelude::*;

    use crate::context::OfferContext;
    use crate::evaluate::{Cutoff, commute_beyond, loose_bound, score_bound};
    use crate::fixtures::{TODAY, offer, person, pool};
    use crate::policy::{FactorWeights, ScoringPolicy};

    proptest! {
        /// "Gains below the cutoff" is exactly "loose bound below the threshold", for any
        /// weights and thresholds, and at the floats next to the cutoff.
        #[test]
        fn gains_below_the_cutoff_are_exactly_those_whose_loose_bound_misses(
            weights in proptest::array::uniform8(0.0f32..3.0),
            threshold in 0.0f32..20.0,
            gains in prop_oneof![0.0f32..2.0, Just(0.0), 0.0f32..1e-5],
        ) {
            let [skills, occupation, stage, coach, accommodations, commute, preferences, waiting] = weights;
            let policy = ScoringPolicy {
                weights: FactorWeights { skills, occupation, stage, coach, accommodations, commute, preferences, waiting },
                ..ScoringPolicy::default()
            };
            let pool = pool(vec![person("a")], vec![]);
            let offer = offer();
            let context = OfferContext::new(&offer, &policy, &pool.skills, &pool.coaches, TODAY);
            let cutoff = Cutoff::new(&context, threshold);
            let misses = |gains: f32| loose_bound(&context, gains) < threshold;
            prop_assert_eq!(gains < cutoff.min_gains, misses(gains));
            if cutoff.min_gains.is_finite() && cutoff.min_gains > 0.0 {
                let below = f32::from_bits(cutoff.min_gains.to_bits() - 1);
                prop_assert!(misses(below) && !misses(cutoff.min_gains));
            }
        }

        /// Nobody scores above the bound at their own distance from the workplace and their
        /// own registration day, and the bound falls with the distance and with later
        /// registrations: a scan may pass over a bucket beyond its reach, or a block of
        /// people registered later than what would reach its list.
        #[test]
        fn no_score_is_above_the_bound_at_its_distance(
            weights in proptest::array::uniform8(0.0f32..3.0),
            north_km in 0.0f64..90.0,
            waiting_days in 0i64..900,
        ) {
            let [skills, occupation, stage, coach, accommodations, commute, preferences, waiting] = weights;
            let policy = ScoringPolicy {
                weights: FactorWeights { skills, occupation, stage, coach, accommodations, commute, preferences, waiting },
                ..ScoringPolicy::default()
            };
            let mut someone = person("a");
            someone.home = crate::fixtures::krakow(north_km);
            someone.max_commute_km = 100.0;
            someone.registered_since = TODAY - time::Duration::days(waiting_days);
            let pool = pool(vec![someone.clone()], vec![]);
            let offer = offer();
            let context = OfferContext::new(&offer, &policy, &pool.skills, &pool.coaches, TODAY);
            let record = pool.record_of(&someone.id).unwrap();
            let distance = context.place.unwrap().origin.distance_km(record.lat, record.lon);
            let score = pool.explain(&policy, &someone.id, &offer, TODAY).unwrap().score.unwrap();
            let bound = |km: f32, day: Option<i32>| score_bound(&context, commute_beyond(&context, km), day);
            let day = record.registered_day;
            prop_assert!(score <= bound(distance, Some(day)), "{} at {} km", score, distance);
            prop_assert!(bound(distance, Some(day)) <= bound(distance, None));
            prop_assert!(bound(distance + 1.0, None) <= bound(distance, None));
            prop_assert!(bound(distance, Some(day + 1)) <= bound(distance, Some(day)));
        }
    }
}

/// The exact words of the occupation and skills explanations (written into one buffer each,
/// without a string per part): any change to them shows here.
#[test]
fn occupation_and_skills_details_read_exactly() {
    let mut past = person("a");
    past.past_occupations = vec![pomost_domain::PastOccupation { code: "911290".into(), years: 3.0 }];
    let mut with_nice = offer();
    with_nice.nice_to_have_skills = vec![
        pomost_domain::SkillRequirement { skill: skill("cooking"), min_level: None, weight: 1.0 },
        pomost_domain::SkillRequirement { skill: skill("pl:mycie-okien"), min_level: None, weight: 1.0 },
    ];
    let explained = explain_one(past, vec![], &with_nice);
    assert_eq!(
        detail(&explained, Factor::Occupation),
        "past occupation (a year or more) 911290 Pozostałe pomoce i sprzątaczki biurowe, hotelowe i podobne: \
         shares the unit group 9112 Pomoce i sprzątaczki biurowe, hotelowe i pokrewne with the offer's 911207 \
         Pracownik utrzymania czystości (sprzątaczka) (credit 0.60)"
    );
    assert_eq!(
        detail(&explained, Factor::Skills),
        "cleaning (must) 1.00; cooking (nice) 0.00; mycie okien [pl:mycie-okien] (nice) 0.00"
    );
    let mut same = person("a");
    same.wanted_occupations = vec!["911207".into()];
    assert_eq!(
        detail(&explain_one(same, vec![], &offer()), Factor::Occupation),
        "wanted occupation 911207 Pracownik utrzymania czystości (sprzątaczka): is the offer's occupation (credit 1.00)"
    );
}
