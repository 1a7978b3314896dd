//! Rankings read offers through the offer cache, and never get one older than the store's:
//! a change is seen at once (the cache, behind, is passed over) and after the cache has
//! applied it (the held copy was replaced or dropped).

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use pomost_engine::{Engine, Recommendation, Requester};
use pomost_store::Caller;
use time::macros::date;

fn who() -> Requester {
    Requester {
        caller: Caller { name: "pup".into(), role: "labour_office".into() },
        request_id: "r".into(),
        at_ms: 1_764_000_000_000,
    }
}

fn summary(found: &[Recommendation]) -> Vec<(String, String, Option<f32>)> {
    found.iter().map(|item| (item.offer.key.to_string(), item.offer.title.clone(), item.explanation.score)).collect()
}

#[test]
fn rankings_read_offers_through_the_cache_as_the_store_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(
        &common::test_options(dir.path()),
        pomost_scoring::ScoringPolicy::default(),
        &pomost_taxonomy::relatedness(),
    )
    .unwrap();
    let today = date!(2026 - 11 - 24);
    let synth = pomost_synth::Synth::new(8, today);
    let people: Vec<_> = synth.participants(400).collect();
    engine.upsert_participants(people.clone()).unwrap();
    engine.upsert_offers(&synth.offers(600).collect::<Vec<_>>()).unwrap();
    assert!(engine.wait_for_read_models(Duration::from_secs(10)));
    engine.flush().unwrap();

    let recommend = |id| engine.recommend(&who(), id, 5, "", today).unwrap();
    let person = people.iter().find(|person| recommend(&person.id).len() >= 2).expect("someone with offers");
    let before = engine.offer_cache_stats();
    let first = recommend(&person.id);
    let after_first = engine.offer_cache_stats();
    assert!(after_first.entries > 0, "{after_first:?}");
    assert_eq!(after_first.capacity, pomost_engine::DEFAULT_OFFER_CACHE as u64);
    // The same recommendation again is served from memory, and says the same.
    assert_eq!(summary(&recommend(&person.id)), summary(&first));
    let after_second = engine.offer_cache_stats();
    assert!(after_second.hits > after_first.hits, "{before:?} {after_first:?} {after_second:?}");
    assert_eq!(after_second.misses, after_first.misses, "{after_first:?} {after_second:?}");

    // A new version of a recommended offer: seen right after the write and once the cache
    // has applied it.
    let mut renamed = first[0].offer.clone();
    renamed.version += 1;
    renamed.title = format!("{} (zmiana)", renamed.title);
    engine.upsert_offers(std::slice::from_ref(&renamed)).unwrap();
    let title_of = |found: &[Recommendation]| {
        found.iter().find(|item| item.offer.key == renamed.key).map(|item| item.offer.title.clone())
    };
    assert_eq!(title_of(&recommend(&person.id)), Some(renamed.title.clone()));
    assert!(engine.wait_for_read_models(Duration::from_secs(10)));
    // Applied, the held copy was replaced (not dropped): the new title, all from memory.
    let applied = engine.offer_cache_stats();
    assert_eq!(title_of(&recommend(&person.id)), Some(renamed.title.clone()));
    let replaced = engine.offer_cache_stats();
    assert!(replaced.hits > applied.hits, "{applied:?} {replaced:?}");
    assert_eq!(replaced.misses, applied.misses, "{applied:?} {replaced:?}");

    // A deleted offer is gone at once (the index still lists it until its next commit).
    let gone = first[1].offer.key.clone();
    engine.delete_offer(&gone).unwrap();
    assert!(recommend(&person.id).iter().all(|item| item.offer.key != gone));
    assert!(engine.wait_for_read_models(Duration::from_secs(10)));
    assert!(recommend(&person.id).iter().all(|item| item.offer.key != gone));
}
