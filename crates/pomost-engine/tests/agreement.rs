//! One home per rule: whatever the policy, Shortlist, RecommendOffers and ExplainMatch
//! agree on whether a pair is eligible and on its score — the index's candidate query asks
//! the same domain rules at query time that scoring does.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::HashMap;

use pomost_domain::{Location, Offer, Participant, Stage, TerytCode, Workplace};
use pomost_engine::{Engine, EngineOptions, OfferRef, RankingLimits, Requester, ScanControl};
use pomost_scoring::ScoringPolicy;
use pomost_store::Caller;
use proptest::prelude::*;
use time::macros::date;

const TODAY: time::Date = date!(2026 - 11 - 24);

fn who() -> Requester {
    Requester { caller: Caller { name: "t".into(), role: "admin".into() }, request_id: "r".into(), at_ms: 0 }
}

/// People and offers packed into one city so that many pairs are in reach, with stages and
/// adaptation periods spread so the policy's bridging decides many of them.
fn world(seed: u64) -> (Vec<Participant>, Vec<Offer>) {
    let synth = pomost_synth::Synth::new(seed, TODAY);
    let krakow = |point: pomost_domain::GeoPoint, spread: f64| {
        let lat = 50.06 + (point.lat() - 52.0) * spread;
        let lon = 19.94 + (point.lon() - 19.5) * spread;
        Location { teryt: TerytCode::parse("1261").unwrap(), point: pomost_domain::GeoPoint::new(lat, lon).unwrap() }
    };
    let people = synth
        .participants(150)
        .map(|mut person| {
            person.home = krakow(person.home.point, 0.04);
            person.max_commute_km = 40.0;
            person
        })
        .collect();
    let offers = synth
        .offers(25)
        .enumerate()
        .map(|(index, mut offer)| {
            if let Workplace::OnSite(location) = &offer.workplace {
                offer.workplace = Workplace::OnSite(krakow(location.point, 0.04));
            }
            offer.min_stage = Stage::ALL[index % 5];
            offer.adaptation_weeks = [0, 4, 8, 12, 16, 24][index % 6];
            offer.valid_from = TODAY;
            offer.valid_until = date!(2027 - 06 - 30);
            offer.positions = 3;
            offer
        })
        .collect();
    (people, offers)
}

fn check(policy: ScoringPolicy, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let options = EngineOptions {
        limits: RankingLimits { max_k: 500, ..RankingLimits::default() },
        ..common::test_options(dir.path())
    };
    let engine = Engine::open(&options, policy.clone(), &pomost_taxonomy::relatedness()).unwrap();
    let (people, offers) = world(seed);
    engine.upsert_participants(people.clone()).unwrap();
    engine.upsert_offers(&offers).unwrap();
    assert!(engine.wait_for_read_models(std::time::Duration::from_secs(10)));
    engine.flush().unwrap();

    let mut eligible_pairs = 0;
    let mut recommended: HashMap<String, HashMap<String, f32>> = HashMap::new();
    for person in &people {
        let found = engine.recommend(&who(), &person.id, 500, "", TODAY).unwrap();
        recommended.insert(
            person.id.to_string(),
            found.iter().map(|item| (item.offer.key.to_string(), item.explanation.score.unwrap())).collect(),
        );
    }
    for offer in &offers {
        let (_, shortlist) =
            engine.shortlist(&who(), OfferRef::Stored(offer.key.clone()), 500, TODAY, &ScanControl::new()).unwrap();
        let listed: HashMap<String, f32> = shortlist
            .candidates
            .iter()
            .map(|candidate| (candidate.participant_id.to_string(), candidate.score))
            .collect();
        for person in &people {
            let explanation = engine.explain(&who(), &person.id, OfferRef::Stored(offer.key.clone()), TODAY).unwrap();
            let id = person.id.to_string();
            let context = format!("{} / {} (weeks per stage {})", id, offer.key, policy.adaptation_weeks_per_stage);
            assert_eq!(listed.get(&id).copied(), explanation.score, "shortlist vs explain: {context}");
            let from_recommend = recommended[&id].get(&offer.key.to_string()).copied();
            assert_eq!(from_recommend, explanation.score, "recommend vs explain: {context}");
            eligible_pairs += usize::from(explanation.score.is_some());
        }
    }
    assert!(eligible_pairs > 50, "too few eligible pairs ({eligible_pairs}) to say anything");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn rankings_agree_under_any_policy(
        weeks_per_stage in 1u8..=16,
        weights in proptest::array::uniform7(0.0f32..3.0),
        seed in 0u64..1_000,
    ) {
        let mut policy = ScoringPolicy { adaptation_weeks_per_stage: weeks_per_stage, ..ScoringPolicy::default() };
        policy.weights.skills = weights[0] + 0.1;
        policy.weights.stage = weights[1];
        policy.weights.coach = weights[2];
        policy.weights.accommodations = weights[3];
        policy.weights.commute = weights[4];
        policy.weights.preferences = weights[5];
        policy.weights.waiting = weights[6];
        check(policy.validated().unwrap(), seed);
    }
}
