//! Property tests of the ranking's promises, on seeded synthetic worlds.

#![allow(clippy::unwrap_used)]

use pomost_domain::{
    Accommodation, AccommodationSet, CoachArea, CoachId, ContractSet, ContractType, Disability, DisabilityCause,
    DisabilityDegree, Employer, GeoPoint, JobCoach, Location, Offer, OfferKey, Participant, ParticipantId, SkillClaim,
    SkillId, SkillLevel, SkillRequirement, Stage, TerytCode, UnitKind, Workplace,
};
use pomost_scoring::{ExclusionReason, Factor, ParticipantPool, ScoringPolicy, ShortlistRequest};
use pomost_synth::Synth;
use proptest::prelude::*;
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 24);

/// A world concentrated in Kraków's region so regional offers have many people in reach.
fn krakow_world(seed: u64, people: usize) -> Vec<Participant> {
    let synth = Synth::new(seed, TODAY);
    synth
        .participants(people)
        .map(|mut person| {
            // Pull everyone into about 60 km around Kraków, keeping the rest of the record.
            let lat = 50.06 + (person.home.point.lat() - 52.0) * 0.15;
            let lon = 19.94 + (person.home.point.lon() - 19.5) * 0.1;
            person.home =
                Location { teryt: TerytCode::parse("1261").unwrap(), point: GeoPoint::new(lat, lon).unwrap() };
            person
        })
        .collect()
}

fn krakow_offer(seed: u64, index: usize) -> Offer {
    let mut offer = Synth::new(seed, TODAY).offer(index);
    if let Workplace::OnSite(location) = &mut offer.workplace {
        location.point = GeoPoint::new(50.0 + (location.point.lat() - 52.0) * 0.05, 19.9).unwrap();
    }
    offer
}

fn build(people: Vec<Participant>, seed: u64) -> ParticipantPool {
    let coaches = Synth::new(seed, TODAY).coaches(40).map(|mut coach| {
        coach.area = CoachArea { teryt: vec![TerytCode::parse("1261").unwrap()], centre: None, radius_km: 0.0 };
        coach
    });
    // The synthetic world holds only the local skills: their table is all the relatedness it
    // can use, and builds in microseconds (the ESCO clusters take half a second in debug).
    ParticipantPool::build(&pomost_taxonomy::local_relatedness(), people, coaches).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn shortlist_holds_only_eligible_people_and_the_best_of_them(seed in 0u64..1000, offer_index in 0usize..500, k in 1usize..40) {
        let people = krakow_world(seed, 400);
        let pool = build(people.clone(), seed);
        let offer = krakow_offer(seed, offer_index);
        let policy = ScoringPolicy::default();
        let list = pool.shortlist(&policy, &ShortlistRequest { offer: &offer, k, today: TODAY }).unwrap();
        let max_total = policy.weights.sum();
        let mut eligible = 0u64;
        let mut first_reasons = std::collections::HashMap::<ExclusionReason, u64>::new();
        for person in &people {
            let explanation = pool.explain(&policy, &person.id, &offer, TODAY).unwrap();
            let listed = list.candidates.iter().find(|candidate| candidate.participant_id == person.id);
            match (explanation.failed.first(), listed) {
                (Some(failed), listed) => {
                    prop_assert!(listed.is_none(), "excluded {} is listed", person.id);
                    *first_reasons.entry(failed.reason).or_default() += 1;
                }
                (None, Some(candidate)) => {
                    eligible += 1;
                    prop_assert_eq!(explanation.score, Some(candidate.score));
                }
                (None, None) => {
                    eligible += 1;
                    prop_assert_eq!(list.candidates.len(), k, "an eligible person is missing from a short list");
                    let last = list.candidates.last().unwrap();
                    let score = explanation.score.unwrap();
                    prop_assert!(score < last.score || (score == last.score && person.id > last.participant_id));
                }
            }
            for factor in &explanation.factors {
                prop_assert!((0.0..=1.0).contains(&factor.value), "{:?} = {}", factor.factor, factor.value);
            }
        }
        prop_assert_eq!(list.eligible, eligible);
        for reason in ExclusionReason::ALL {
            prop_assert_eq!(list.excluded[reason], first_reasons.get(&reason).copied().unwrap_or(0), "{:?}", reason);
        }
        for candidate in &list.candidates {
            prop_assert!(candidate.score >= 0.0 && candidate.score <= max_total + 1e-5);
        }
        for pair in list.candidates.windows(2) {
            prop_assert!(pair[0].score > pair[1].score || (pair[0].score == pair[1].score && pair[0].participant_id < pair[1].participant_id));
        }
    }

    #[test]
    fn shuffling_the_pool_never_changes_the_result(seed in 0u64..1000, offer_index in 0usize..500, shuffle_seed in any::<u64>()) {
        let people = krakow_world(seed, 300);
        let mut shuffled = people.clone();
        let mut state = shuffle_seed | 1;
        for position in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(position, (state % (position as u64 + 1)) as usize);
        }
        let offer = krakow_offer(seed, offer_index);
        let policy = ScoringPolicy::default();
        let request = ShortlistRequest { offer: &offer, k: 25, today: TODAY };
        let original = build(people, seed).shortlist(&policy, &request).unwrap();
        let reordered = build(shuffled, seed).shortlist(&policy, &request).unwrap();
        prop_assert_eq!(original, reordered);
    }

    #[test]
    fn a_requested_skill_never_lowers_the_skills_factor(seed in 0u64..1000, person_index in 0usize..300, offer_index in 0usize..500, which in 0usize..32, level in 0u8..=3) {
        let people = krakow_world(seed, 300);
        let offer = krakow_offer(seed, offer_index);
        let requested: Vec<&SkillRequirement> = offer.required_skills.iter().chain(&offer.nice_to_have_skills).collect();
        let requirement = requested[which % requested.len()];
        let mut person = people[person_index].clone();
        prop_assume!(person.skills.iter().all(|claim| claim.skill != requirement.skill));
        let before = skills_factor(&person, &offer, seed);
        person.skills.push(SkillClaim { skill: requirement.skill.clone(), level: (level > 0).then(|| SkillLevel::new(level).unwrap()) });
        let after = skills_factor(&person, &offer, seed);
        prop_assert!(after >= before, "{before} -> {after}");
    }

    #[test]
    fn gender_and_year_of_birth_never_change_a_score_or_an_exclusion(seed in 0u64..1000, person_index in 0usize..300, offer_index in 0usize..500, gender in 0u8..3, birth_year in prop::option::of(1940u16..2008)) {
        let people = krakow_world(seed, 300);
        let offer = krakow_offer(seed, offer_index);
        let mut changed = people[person_index].clone();
        changed.gender = pomost_domain::Gender::from_code(gender);
        changed.birth_year = birth_year;
        let policy = ScoringPolicy::default();
        let explain = |person: Participant| {
            let id = person.id.clone();
            build(vec![person], seed).explain(&policy, &id, &offer, TODAY).unwrap()
        };
        let (baseline, varied) = (explain(people[person_index].clone()), explain(changed));
        prop_assert_eq!(&baseline.factors, &varied.factors);
        prop_assert_eq!(&baseline.failed, &varied.failed);
        prop_assert_eq!(baseline.score, varied.score);
    }

    #[test]
    fn degree_and_causes_never_change_a_score(seed in 0u64..1000, person_index in 0usize..300, offer_index in 0usize..500, degree in 0u8..4, causes in prop::collection::vec(0usize..12, 0..3)) {
        let people = krakow_world(seed, 300);
        let offer = krakow_offer(seed, offer_index);
        let baseline_person = people[person_index].clone();
        let mut changed = baseline_person.clone();
        changed.disability = Disability {
            degree: DisabilityDegree::from_code(degree).unwrap(),
            causes: if degree == 0 { vec![] } else { causes.iter().map(|index| DisabilityCause::ALL[*index]).collect::<std::collections::BTreeSet<_>>().into_iter().collect() },
            working_time_exemption: baseline_person.disability.working_time_exemption,
        };
        let policy = ScoringPolicy::default();
        let explain = |person: Participant| {
            let id = person.id.clone();
            build(vec![person], seed).explain(&policy, &id, &offer, TODAY).unwrap()
        };
        let baseline = explain(baseline_person);
        let varied = explain(changed);
        prop_assert_eq!(&baseline.factors, &varied.factors);
        let others = |explanation: &pomost_scoring::Explanation| explanation.failed.iter().filter(|failed| failed.reason != ExclusionReason::WorkingTimeLimit).cloned().collect::<Vec<_>>();
        prop_assert_eq!(others(&baseline), others(&varied));
        if baseline.score.is_some() && varied.score.is_some() {
            prop_assert_eq!(baseline.score, varied.score);
        }
    }

    #[test]
    fn a_need_never_lowers_a_score_it_is_met_or_it_excludes(
        seed in 0u64..1000,
        person_index in 0usize..300,
        offer_index in 0usize..500,
        need in 0usize..3,
        which in 0usize..13,
        hours in 1u8..12,
    ) {
        let mut people = krakow_world(seed, 300);
        let offer = krakow_offer(seed, offer_index);
        let policy = ScoringPolicy::default();
        let before = build(people.clone(), seed).explain(&policy, &people[person_index].id, &offer, TODAY).unwrap();
        let accommodation = Accommodation::ALL_KNOWN[which % Accommodation::ALL_KNOWN.len()];
        let person = &mut people[person_index];
        match need {
            0 if !person.accommodations_required.contains(accommodation) => {
                person.accommodations_preferred |= accommodation;
            }
            1 => {
                person.accommodations_preferred.remove(accommodation);
                person.accommodations_required |= accommodation;
            }
            _ => person.coach_hours_per_week = person.coach_hours_per_week.max(f32::from(hours)),
        }
        let after = build(people.clone(), seed).explain(&policy, &people[person_index].id, &offer, TODAY).unwrap();
        match (before.score, after.score) {
            (Some(before), Some(after)) => prop_assert_eq!(before, after, "a met need scored differently"),
            (Some(_), None) => {
                for failed in &after.failed {
                    prop_assert!(
                        matches!(failed.reason, ExclusionReason::NoJobCoach | ExclusionReason::AccommodationNotCovered),
                        "an unmet need excluded for another reason: {:?}", failed.reason
                    );
                }
            }
            (None, Some(_)) => prop_assert!(false, "a need made an ineligible pair eligible"),
            (None, None) => {}
        }
    }

    #[test]
    fn k_beyond_the_eligible_pool_returns_everyone_eligible(seed in 0u64..1000, offer_index in 0usize..500) {
        let people = krakow_world(seed, 200);
        let offer = krakow_offer(seed, offer_index);
        let list = build(people, seed).shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &offer, k: 10_000, today: TODAY }).unwrap();
        prop_assert_eq!(list.candidates.len() as u64, list.eligible);
        prop_assert_eq!(list.eligible + list.excluded.total(), 200);
    }

    #[test]
    fn any_valid_input_scores_without_panicking(people in prop::collection::vec(arbitrary_participant(), 1..30), offer in arbitrary_offer(), coaches in prop::collection::vec(arbitrary_coach(), 0..5), k in 0usize..50) {
        let people: Vec<Participant> = people.into_iter().filter_map(|person| person.validated().ok()).collect();
        let coaches: Vec<JobCoach> = coaches.into_iter().filter_map(|coach| coach.validated().ok()).collect();
        let mut pool = ParticipantPool::new(&pomost_taxonomy::local_relatedness()).unwrap();
        for person in &people {
            let _ = pool.upsert_participant(person);
        }
        for coach in coaches {
            let _ = pool.upsert_coach(coach);
        }
        let policy = ScoringPolicy::default();
        if let Ok(list) = pool.shortlist(&policy, &ShortlistRequest { offer: &offer, k, today: TODAY }) {
            prop_assert_eq!(list.eligible + list.excluded.total(), pool.len() as u64);
            for candidate in &list.candidates {
                prop_assert!(candidate.score.is_finite());
            }
        }
        for person in &people {
            if pool.contains(&person.id) {
                let _ = pool.explain(&policy, &person.id, &offer, TODAY);
            }
        }
    }
}

fn skills_factor(person: &Participant, offer: &Offer, seed: u64) -> f32 {
    let explanation =
        build(vec![person.clone()], seed).explain(&ScoringPolicy::default(), &person.id, offer, TODAY).unwrap();
    explanation.factors.iter().find(|score| score.factor == Factor::Skills).unwrap().value
}

fn skill_pool() -> impl Strategy<Value = SkillId> {
    prop::sample::select(vec![
        "pl:sprzatanie-biur",
        "pl:pranie",
        "pl:prasowanie",
        "pl:zmywanie",
        "x:unknown",
        "x:other",
    ])
    .prop_map(|code| SkillId::new(code).unwrap())
}

fn arbitrary_location() -> impl Strategy<Value = Location> {
    let teryt = prop::sample::select(vec!["02", "1261", "1465011", "3262", "2604"]);
    (teryt, -90.0f64..=90.0, -180.0f64..=180.0, any::<bool>(), 49.0f64..55.0, 14.0f64..24.0).prop_map(
        |(teryt, lat, lon, in_poland, polish_lat, polish_lon)| Location {
            teryt: TerytCode::parse(teryt).unwrap(),
            point: if in_poland {
                GeoPoint::new(polish_lat, polish_lon).unwrap()
            } else {
                GeoPoint::new(lat, lon).unwrap()
            },
        },
    )
}

fn hours(max: f32) -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), Just(max), 0.0f32..=max]
}

fn arbitrary_participant() -> impl Strategy<Value = Participant> {
    (
        ("[a-z]{1,6}", prop::collection::vec((skill_pool(), 0u8..=3), 0..12), 0u8..5, 0u8..4, any::<bool>()),
        (any::<u16>(), any::<u16>(), hours(40.0), arbitrary_location(), hours(300.0)),
        (hours(84.0), any::<bool>(), any::<u8>(), 0i64..20_000, any::<bool>()),
    )
        .prop_map(
            |(
                (id, skills, stage, degree, exempt),
                (required, preferred, coach_hours, home, commute),
                (available, night, contracts, days, consent),
            )| {
                let mut seen = std::collections::HashSet::new();
                Participant {
                    id: ParticipantId::new(id).unwrap(),
                    unit: UnitKind::Cis,
                    unit_id: "u".into(),
                    skills: skills
                        .into_iter()
                        .filter(|(skill, _)| seen.insert(skill.clone()))
                        .map(|(skill, level)| SkillClaim {
                            skill,
                            level: (level > 0).then(|| SkillLevel::new(level).unwrap()),
                        })
                        .collect(),
                    stage: Stage::from_rank(stage).unwrap(),
                    disability: Disability {
                        degree: DisabilityDegree::from_code(degree).unwrap(),
                        causes: vec![],
                        working_time_exemption: exempt,
                    },
                    accommodations_required: AccommodationSet::from_u16_truncated(required),
                    accommodations_preferred: AccommodationSet::from_u16_truncated(preferred & !required),
                    coach_hours_per_week: coach_hours,
                    home,
                    max_commute_km: commute,
                    available_hours_per_week: available,
                    night_shifts_ok: night,
                    preferred_contracts: ContractSet::from_u8_truncated(contracts),
                    registered_since: TODAY - time::Duration::days(days - 1000),
                    consent_to_matching: consent,
                    past_occupations: Vec::new(),
                    wanted_occupations: Vec::new(),
                    birth_year: None,
                    gender: None,
                }
            },
        )
}

fn arbitrary_offer() -> impl Strategy<Value = Offer> {
    (
        (
            prop::collection::vec((skill_pool(), 0u8..=3, 0.01f32..=10.0), 0..6),
            prop_oneof![arbitrary_location().prop_map(Workplace::OnSite), Just(Workplace::Remote)],
        ),
        (0.5f32..=84.0, 0.5f32..=24.0, any::<bool>(), any::<bool>(), any::<bool>(), 0u32..3),
        (any::<u16>(), 0u8..5, 0u8..=52, any::<bool>(), any::<bool>(), -30i64..30),
    )
        .prop_map(
            |(
                (skills, workplace),
                (weekly, daily, night, overtime, guarding, positions),
                (provided, min_stage, weeks, mentor, external, shift),
            )| {
                let mut seen = std::collections::HashSet::new();
                let requirements: Vec<SkillRequirement> = skills
                    .into_iter()
                    .filter(|(skill, _, _)| seen.insert(skill.clone()))
                    .map(|(skill, level, weight)| SkillRequirement {
                        skill,
                        min_level: (level > 0).then(|| SkillLevel::new(level).unwrap()),
                        weight,
                    })
                    .collect();
                let split = requirements.len() / 2;
                Offer {
                    key: OfferKey { source: "fuzz".into(), external_id: "1".into() },
                    version: 1,
                    employer: Employer { name: "E".into(), social_economy: false },
                    title: "T".into(),
                    description: String::new(),
                    occupation_code: "911207".into(),
                    occupation_suggested: false,
                    required_skills: requirements[..split].to_vec(),
                    nice_to_have_skills: requirements[split..].to_vec(),
                    skills_suggested: false,
                    workplace,
                    weekly_hours: weekly,
                    daily_hours: daily.min(weekly),
                    night_work: night,
                    overtime,
                    guarding_work: guarding,
                    contract_type: ContractType::SupportedEmployment,
                    positions,
                    valid_from: TODAY + time::Duration::days(shift.min(0)),
                    valid_until: TODAY + time::Duration::days(shift.max(0)),
                    accommodations_provided: AccommodationSet::from_u16_truncated(provided),
                    min_stage: Stage::from_rank(min_stage).unwrap(),
                    adaptation_weeks: weeks,
                    employer_mentor: mentor,
                    accepts_external_coach: external,
                    prefers_readiness: false,
                }
            },
        )
}

fn arbitrary_coach() -> impl Strategy<Value = JobCoach> {
    ("[a-z]{1,4}", any::<bool>(), arbitrary_location(), 0.1f32..=300.0, any::<u16>(), hours(60.0), 0.0f32..=1.0)
        .prop_map(|(id, by_teryt, place, radius, supported, capacity, used)| JobCoach {
            id: CoachId::new(id).unwrap(),
            unit: UnitKind::Zaz,
            unit_id: "u".into(),
            area: if by_teryt {
                CoachArea { teryt: vec![place.teryt], centre: None, radius_km: 0.0 }
            } else {
                CoachArea { teryt: vec![], centre: Some(place.point), radius_km: radius }
            },
            specialisations: vec![],
            accommodations_supported: AccommodationSet::from_u16_truncated(supported) | Accommodation::ExtraBreaks,
            weekly_capacity_hours: capacity,
            committed_hours: capacity * used,
        })
}
