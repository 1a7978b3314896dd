//! The scan against a straightforward reference: every participant explained one by one
//! (the full evaluation, no bounds, no pruning, no cells), sorted by score then id. The
//! shortlist must agree with it bit for bit on random pools, whatever shortcuts the scan
//! takes, whether it spreads over every core or keeps to one.

use std::collections::HashMap;

use pomost_domain::{GeoPoint, Offer, Participant, SkillLevel, SkillRequirement, Workplace};
use pomost_scoring::{ExclusionReason, ParticipantPool, ScanControl, ScoringPolicy, ShortlistRequest};
use pomost_synth::Synth;
use proptest::prelude::*;
use time::macros::date;

/// The reference list: (id, score bits) best first, and each excluded person counted once
/// under their first failed constraint.
fn reference(
    pool: &ParticipantPool,
    people: &[Participant],
    policy: &ScoringPolicy,
    offer: &Offer,
    k: usize,
    today: time::Date,
) -> (Vec<(String, u32)>, HashMap<ExclusionReason, u64>, u64) {
    let mut scored = Vec::new();
    let mut excluded: HashMap<ExclusionReason, u64> = HashMap::new();
    for person in people {
        let explanation = pool.explain(policy, &person.id, offer, today).expect("known person, valid offer");
        let score = pool.score(policy, &person.id, offer, today).expect("known person, valid offer");
        assert_eq!(score.map(f32::to_bits), explanation.score.map(f32::to_bits), "score agrees with explain");
        match (explanation.score, explanation.failed.first()) {
            (Some(score), None) => scored.push((person.id.to_string(), score)),
            (None, Some(first)) => *excluded.entry(first.reason).or_default() += 1,
            other => panic!("a score and failed constraints disagree: {other:?}"),
        }
    }
    let eligible = scored.len() as u64;
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(k);
    (scored.into_iter().map(|(id, score)| (id, score.to_bits())).collect(), excluded, eligible)
}

fn check_pool(seed: u64, people_count: usize, coach_count: usize, k: usize) {
    let synth = Synth::new(seed, TODAY);
    let people: Vec<Participant> = synth.participants(people_count).collect();
    let mut offers: Vec<Offer> = synth.offers(12).collect();
    offers.push(synth.regional_offer());
    offers.push(synth.remote_offer());
    check(seed, &people, synth.coaches(coach_count).collect(), &offers, k);
}

/// Everyone pulled into about 60 km around Kraków, the workplaces into the city: many cells
/// in reach, each at its own distance, and lists whose threshold rises high while most of
/// the region is still to be scanned (where any shortcut by distance would show).
fn check_dense_region(seed: u64, people_count: usize, k: usize) {
    let synth = Synth::new(seed, TODAY);
    let people: Vec<Participant> = synth
        .participants(people_count)
        .map(|mut person| {
            let lat = 50.06 + (person.home.point.lat() - 52.0) * 0.2;
            let lon = 19.94 + (person.home.point.lon() - 19.5) * 0.15;
            person.home.point = GeoPoint::new(lat, lon).expect("in range");
            person.max_commute_km = person.max_commute_km.max(25.0);
            person
        })
        .collect();
    let offers: Vec<Offer> = synth
        .offers(8)
        .map(|mut offer| {
            if let Workplace::OnSite(location) = &mut offer.workplace {
                location.point = GeoPoint::new(50.0 + (location.point.lat() - 52.0) * 0.03, 19.95).expect("in range");
            }
            offer
        })
        .collect();
    check(seed, &people, synth.coaches(30).collect(), &offers, k);
}

/// Everyone with more skills and occupations than a record holds (9 to 24 skills, 3 to 6
/// occupation claims, drawn from what the others have), so that every score reads them
/// from the pool's tables beside the records.
fn check_many_claims(seed: u64, people_count: usize, k: usize) {
    let synth = Synth::new(seed, TODAY);
    let mut people: Vec<Participant> = synth.participants(people_count).collect();
    let mut skills: Vec<pomost_domain::SkillClaim> = people.iter().flat_map(|person| person.skills.clone()).collect();
    skills.sort_by(|a, b| a.skill.cmp(&b.skill));
    skills.dedup_by(|a, b| a.skill == b.skill);
    let mut codes: Vec<String> = people
        .iter()
        .flat_map(|person| {
            person.wanted_occupations.iter().chain(person.past_occupations.iter().map(|past| &past.code))
        })
        .cloned()
        .collect();
    codes.sort();
    codes.dedup();
    for (index, person) in people.iter_mut().enumerate() {
        let wanted_skills = 9 + index % 16;
        let mut next = index * 7;
        while person.skills.len() < wanted_skills && next < index * 7 + skills.len() {
            let claim = &skills[next % skills.len()];
            if !person.skills.iter().any(|held| held.skill == claim.skill) {
                person.skills.push(claim.clone());
            }
            next += 1;
        }
        let wanted_claims = 3 + index % 4;
        let mut next = index * 3;
        while person.wanted_occupations.len() + person.past_occupations.len() < wanted_claims
            && next < index * 3 + codes.len()
        {
            let code = &codes[next % codes.len()];
            let held = person.wanted_occupations.contains(code)
                || person.past_occupations.iter().any(|past| &past.code == code);
            if !held {
                if next % 2 == 0 {
                    person.wanted_occupations.push(code.clone());
                } else {
                    let years = if next % 3 == 0 { 0.5 } else { 3.0 };
                    person.past_occupations.push(pomost_domain::PastOccupation { code: code.clone(), years });
                }
            }
            next += 1;
        }
    }
    let mut offers: Vec<Offer> = synth.offers(12).collect();
    offers.push(synth.regional_offer());
    offers.push(synth.remote_offer());
    check(seed, &people, synth.coaches(30).collect(), &offers, k);
}

/// The synthetic offers, each also asking for no skills at all (skills then sort nobody
/// out and many people tie at the top) and for twelve skills across three trades (some
/// with a minimum level): real advertisements do both.
fn check_offers_unlike_the_synthetic(seed: u64, people_count: usize, k: usize) {
    let synth = Synth::new(seed, TODAY);
    let people: Vec<Participant> = synth.participants(people_count).collect();
    let mut offers: Vec<Offer> = synth.offers(6).collect();
    offers.push(synth.regional_offer());
    offers.push(synth.remote_offer());
    let twelve: Vec<SkillRequirement> = pomost_synth::SKILL_GROUPS
        .iter()
        .skip(seed as usize % 4)
        .take(3)
        .flat_map(|group| group.skills.iter().take(4))
        .enumerate()
        .map(|(index, code)| SkillRequirement {
            skill: pomost_synth::skill_id(code),
            min_level: (index % 3 == 0).then(|| SkillLevel::new(2).expect("a valid level")),
            weight: 1.0 + (index % 2) as f32,
        })
        .collect();
    let varied: Vec<Offer> = offers
        .iter()
        .flat_map(|offer| {
            let mut none = offer.clone();
            none.key.external_id = format!("{}-no-skills", offer.key.external_id);
            none.required_skills.clear();
            none.nice_to_have_skills.clear();
            let mut many = offer.clone();
            many.key.external_id = format!("{}-twelve-skills", offer.key.external_id);
            many.required_skills = twelve[..4].to_vec();
            many.nice_to_have_skills = twelve[4..].to_vec();
            [none, many]
        })
        .collect();
    check(seed, &people, synth.coaches(30).collect(), &varied, k);
}

const TODAY: time::Date = date!(2026 - 11 - 24);

fn check(seed: u64, people: &[Participant], coaches: Vec<pomost_domain::JobCoach>, offers: &[Offer], k: usize) {
    let today = TODAY;
    let pool = ParticipantPool::build(&pomost_synth::relatedness(), people.to_vec(), coaches).expect("valid");
    let policy = ScoringPolicy::default();
    for offer in offers {
        let request = ShortlistRequest { offer, k, today };
        let list = pool.shortlist(&policy, &request).expect("valid offer");
        let on_one_core = pool.shortlist_until(&policy, &request, &ScanControl::on_one_core()).expect("valid offer");
        assert_eq!(on_one_core, list, "seed {seed}, offer {}: one core and every core agree", offer.key.external_id);
        let (expected, excluded, eligible) = reference(&pool, people, &policy, offer, k, today);
        let got: Vec<(String, u32)> = list
            .candidates
            .iter()
            .map(|candidate| (candidate.participant_id.to_string(), candidate.score.to_bits()))
            .collect();
        assert_eq!(got, expected, "seed {seed}, offer {}, k {k}", offer.key.external_id);
        assert_eq!(list.eligible, eligible, "seed {seed}, offer {}", offer.key.external_id);
        for reason in ExclusionReason::ALL {
            assert_eq!(
                list.excluded[reason],
                excluded.get(&reason).copied().unwrap_or(0),
                "seed {seed}, offer {}, reason {reason:?}",
                offer.key.external_id
            );
        }
        for candidate in &list.candidates {
            let explanation = pool.explain(&policy, &candidate.participant_id, offer, today).expect("explained");
            assert_eq!(explanation.factors, candidate.factors);
            assert_eq!(explanation.suggested_coach, candidate.suggested_coach);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn shortlists_equal_the_reference_on_random_pools(
        seed in 0u64..1_000_000,
        people in 200usize..1_000,
        coaches in 0usize..40,
        k in prop_oneof![Just(0usize), Just(1), Just(7), Just(50)],
    ) {
        check_pool(seed, people, coaches, k);
    }
}

/// A pool large enough that the scan splits across many workers, each raising the shared
/// floor while the others still fill their lists, with many people tied at the top score.
#[test]
fn a_large_pool_split_across_workers_equals_the_reference() {
    check_pool(11, 2_500, 30, 3);
}

/// Short and long lists over a dense region.
#[test]
fn a_dense_region_equals_the_reference() {
    for (seed, k) in [(3, 1), (5, 5), (8, 40)] {
        check_dense_region(seed, 3_000, k);
    }
}

/// Short and long lists over people whose skills and occupations do not fit their records.
#[test]
fn people_with_many_skills_and_occupations_equal_the_reference() {
    for (seed, k) in [(4, 1), (9, 10), (12, 50)] {
        check_many_claims(seed, 2_000, k);
    }
}

/// Short and long lists for offers that ask for no skills or for many.
#[test]
fn offers_asking_for_no_skills_or_many_equal_the_reference() {
    for (seed, k) in [(2, 1), (6, 10), (10, 50)] {
        check_offers_unlike_the_synthetic(seed, 3_000, k);
    }
}
