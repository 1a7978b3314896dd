//! Every ranking entry point of the engine writes its audit entry before it returns, with
//! exactly the ids and scores it returns.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use pomost_engine::{Engine, EngineOptions, OfferRef, RankingLimits, Requester, ScanControl};
use pomost_store::{AuditAction, AuditQuery, Caller};
use time::macros::date;

fn engine(dir: &std::path::Path) -> Engine {
    let options =
        EngineOptions { limits: RankingLimits { max_k: 50, ..RankingLimits::default() }, ..common::test_options(dir) };
    Engine::open(&options, pomost_scoring::ScoringPolicy::default(), &pomost_taxonomy::relatedness()).unwrap()
}

fn who(id: &str) -> Requester {
    Requester {
        caller: Caller { name: "pup".into(), role: "labour_office".into() },
        request_id: id.into(),
        at_ms: 1_764_000_000_000,
    }
}

#[test]
fn every_ranking_is_audited_with_what_it_returned() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let today = date!(2026 - 11 - 24);
    let synth = pomost_synth::Synth::new(4, today);
    let people: Vec<_> = synth.participants(2_000).collect();
    engine.upsert_participants(people.clone()).unwrap();
    let offer = synth.regional_offer();
    engine.upsert_offers(std::slice::from_ref(&offer)).unwrap();
    let audit = |id: &str| {
        let entries = engine.list_audit(&AuditQuery { limit: 100, ..Default::default() }).unwrap();
        entries.into_iter().map(|(_, entry)| entry).find(|entry| entry.request_id == id)
    };

    let (key, shortlist) =
        engine.shortlist(&who("s-1"), OfferRef::Stored(offer.key.clone()), 10, today, &ScanControl::new()).unwrap();
    assert_eq!(key, offer.key);
    let entry = audit("s-1").expect("the shortlist is audited");
    assert_eq!(entry.action, AuditAction::Shortlist);
    let returned: Vec<(String, f32)> =
        shortlist.candidates.iter().map(|candidate| (candidate.participant_id.to_string(), candidate.score)).collect();
    let audited: Vec<(String, f32)> = entry.results.iter().map(|result| (result.id.clone(), result.score)).collect();
    assert_eq!(audited, returned);
    assert_eq!(entry.request["k"], 10);
    assert!(entry.request["groups"]["eligible"].as_array().is_some_and(|counts| !counts.is_empty()));

    // A scan kept to one core (under load) has its entry written after the list is
    // explained, a spread one while it is: both entries say the same.
    let (_, alone) = engine
        .shortlist(&who("s-1c"), OfferRef::Stored(offer.key.clone()), 10, today, &ScanControl::on_one_core())
        .unwrap();
    assert_eq!(alone, shortlist);
    let on_one_core = audit("s-1c").expect("the list of a scan on one core is audited");
    assert_eq!(on_one_core.results, entry.results);
    assert_eq!(on_one_core.request, entry.request);

    let person = &shortlist.candidates[0].participant_id;
    let explanation = engine.explain(&who("e-1"), person, OfferRef::Inline(Box::new(offer.clone())), today).unwrap();
    let entry = audit("e-1").expect("the explanation is audited");
    assert_eq!(entry.action, AuditAction::ExplainMatch);
    assert_eq!(entry.results[0].score, explanation.score.unwrap());
    assert!(entry.request.get("inline_offer").is_some());

    let recommendations = engine.recommend(&who("r-1"), person, 5, "", today).unwrap();
    let entry = audit("r-1").expect("the recommendation is audited");
    assert_eq!(entry.action, AuditAction::RecommendOffers);
    assert_eq!(entry.results.len(), recommendations.len());

    // Refused requests rank nothing and audit nothing.
    let refused = engine.shortlist(&who("s-2"), OfferRef::Stored(offer.key.clone()), 51, today, &ScanControl::new());
    assert!(matches!(refused, Err(pomost_engine::EngineError::Invalid(ref error)) if error.field == "k"));
    assert!(audit("s-2").is_none());
}
