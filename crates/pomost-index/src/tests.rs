use std::time::Duration;

use pomost_domain::{
    Accommodation, ContractType, DisabilityDegree, GeoPoint, Location, Offer, Participant, Stage, TerytCode, Workplace,
};
use pomost_synth::Synth;
use time::macros::date;

use crate::error::IndexError;
use crate::index::OfferIndex;
use crate::options::IndexOptions;
use crate::query::SearchQuery;
use crate::writer::IndexOutcome;

const TODAY: time::Date = date!(2026 - 11 - 24);

fn offer(id: &str, title: &str) -> Offer {
    let mut offer = Synth::new(1, TODAY).regional_offer();
    offer.key.external_id = id.into();
    offer.title = title.into();
    offer.description = String::new();
    offer.required_skills.clear();
    offer.nice_to_have_skills.clear();
    offer.accommodations_provided = Default::default();
    offer.night_work = false;
    offer.overtime = false;
    offer
}

fn index_with(offers: &[Offer]) -> OfferIndex {
    let index = OfferIndex::in_memory(IndexOptions::default()).unwrap();
    for (seq, offer) in offers.iter().enumerate() {
        assert_eq!(index.upsert(offer, seq as u64 + 1).unwrap(), IndexOutcome::Applied);
    }
    index.flush().unwrap();
    index
}

fn found(index: &OfferIndex, query: &SearchQuery) -> Vec<String> {
    index.search(query).unwrap().hits.into_iter().map(|hit| hit.key.external_id).collect()
}

fn text(words: &str) -> SearchQuery {
    SearchQuery::text(words, TODAY)
}

#[test]
fn polish_inflection_and_diacritics_match() {
    let index = index_with(&[
        offer("cleaning", "Sprzątanie biur i klatek schodowych"),
        offer("warehouse", "Pracownik w magazynie"),
        offer("garden", "Utrzymanie terenów zielonych"),
    ]);
    for query in ["sprzatanie", "sprzątania", "sprzątaniem", "SPRZĄTANIE"] {
        assert_eq!(found(&index, &text(query)), ["cleaning"], "{query}");
    }
    assert_eq!(found(&index, &text("magazyn")), ["warehouse"]);
    assert_eq!(found(&index, &text("tereny zielone")), ["garden"]);
    assert_eq!(found(&index, &text("spawanie")), Vec::<String>::new());
}

#[test]
fn filters_one_by_one() {
    let mut remote = offer("remote", "Wprowadzanie danych");
    remote.workplace = Workplace::Remote;
    let mut warsaw = offer("warsaw", "Wprowadzanie danych");
    warsaw.workplace = Workplace::OnSite(Location {
        teryt: TerytCode::parse("1465011").unwrap(),
        point: GeoPoint::new(52.23, 21.01).unwrap(),
    });
    let mut civil = offer("civil", "Wprowadzanie danych");
    civil.contract_type = ContractType::CivilContract;
    let mut long_hours = offer("long", "Wprowadzanie danych");
    long_hours.weekly_hours = 40.0;
    long_hours.daily_hours = 8.0;
    let mut night = offer("night", "Wprowadzanie danych");
    night.night_work = true;
    let mut accessible = offer("accessible", "Wprowadzanie danych");
    accessible.accommodations_provided = Accommodation::StepFreeAccess | Accommodation::AccessibleToilet;
    let mut demanding = offer("demanding", "Wprowadzanie danych");
    demanding.min_stage = Stage::OpenMarket;
    demanding.adaptation_weeks = 0;
    let index = index_with(&[remote, warsaw, civil, long_hours, night, accessible, demanding]);
    let all = found(&index, &text("dane"));
    assert_eq!(all.len(), 7);

    let query = |change: fn(&mut SearchQuery)| {
        let mut query = text("dane");
        query.limit = 50;
        change(&mut query);
        let mut ids = found(&index, &query);
        ids.sort();
        ids
    };
    assert_eq!(query(|q| q.region = Some(TerytCode::parse("14").unwrap())), ["warsaw"]);
    assert_eq!(query(|q| q.region = Some(TerytCode::parse("1465").unwrap())), ["warsaw"]);
    assert_eq!(query(|q| q.remote = Some(true)), ["remote"]);
    assert_eq!(query(|q| q.remote = Some(false)).len(), 6);
    assert_eq!(query(|q| q.contract_types = ContractType::CivilContract.into()), ["civil"]);
    assert!(!query(|q| q.max_weekly_hours = Some(35.0)).contains(&"long".to_owned()));
    assert_eq!(query(|q| q.max_weekly_hours = Some(35.0)).len(), 6);
    assert!(!query(|q| q.exclude_night_work = true).contains(&"night".to_owned()));
    assert_eq!(query(|q| q.accommodations = Accommodation::StepFreeAccess.into()), ["accessible"]);
    assert!(!query(|q| q.stage = Some(Stage::SupportedOpenMarket)).contains(&"demanding".to_owned()));
    assert_eq!(query(|q| q.offset = 5).len(), 2, "seven hits, the second page of five holds two");
}

#[test]
fn empty_text_lists_newest_first_and_pages() {
    let index = index_with(&[offer("a", "Pomoc kuchenna"), offer("b", "Pomoc kuchenna"), offer("c", "Pomoc kuchenna")]);
    let mut query = text("");
    assert_eq!(found(&index, &query), ["c", "b", "a"]);
    query.offset = 1;
    query.limit = 1;
    let page = index.search(&query).unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.hits.iter().map(|hit| hit.key.external_id.as_str()).collect::<Vec<_>>(), ["b"]);
}

#[test]
fn upsert_replaces_and_stale_versions_are_ignored() {
    let index = index_with(&[offer("a", "Pomoc kuchenna")]);
    let mut newer = offer("a", "Szwaczka");
    newer.version = 2;
    assert_eq!(index.upsert(&newer, 2).unwrap(), IndexOutcome::Applied);
    let mut same = newer.clone();
    same.title = "Magazynier".into();
    assert_eq!(index.upsert(&same, 3).unwrap(), IndexOutcome::Stale { indexed_version: 2 }, "pending write counts");
    index.flush().unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(found(&index, &text("szwaczka")), ["a"]);
    assert!(found(&index, &text("kuchenna")).is_empty());
    let mut older = offer("a", "Magazynier");
    older.version = 1;
    assert_eq!(
        index.upsert(&older, 4).unwrap(),
        IndexOutcome::Stale { indexed_version: 2 },
        "committed version counts"
    );
    assert_eq!(index.flush().unwrap(), 4, "the checkpoint still moves on");
}

#[test]
fn a_deleted_version_does_not_count_as_indexed() {
    // Others keep the first segments alive (each indexing thread writes its own), so the
    // deleted first version of "a" stays in one.
    let first: Vec<Offer> = std::iter::once(offer("a", "Pomoc kuchenna"))
        .chain((0..50).map(|other| offer(&format!("other-{other}"), "Kierowca")))
        .collect();
    let index = index_with(&first);
    let mut newer = offer("a", "Szwaczka");
    newer.version = 2;
    assert_eq!(index.upsert(&newer, 2).unwrap(), IndexOutcome::Applied);
    index.flush().unwrap();
    assert!(index.delete(&newer.key, 3).unwrap());
    index.flush().unwrap();
    // The first version is still in its segment, marked deleted: it is not indexed.
    assert_eq!(index.upsert(&offer("a", "Magazynier"), 4).unwrap(), IndexOutcome::Applied);
    index.flush().unwrap();
    assert_eq!(found(&index, &text("magazynier")), ["a"]);
}

#[test]
fn delete_removes_and_expired_offers_disappear() {
    let mut expired = offer("old", "Pomoc kuchenna");
    expired.valid_from = date!(2026 - 09 - 01);
    expired.valid_until = date!(2026 - 10 - 31);
    let mut filled = offer("filled", "Pomoc kuchenna");
    filled.positions = 0;
    let index = index_with(&[offer("a", "Pomoc kuchenna"), offer("b", "Pomoc kuchenna"), expired.clone(), filled]);
    assert_eq!(found(&index, &text("kuchenna")), ["b", "a"]);
    assert!(index.delete(&offer("a", "").key, 10).unwrap());
    assert!(!index.delete(&offer("ghost", "").key, 11).unwrap());
    index.flush().unwrap();
    assert_eq!(found(&index, &text("kuchenna")), ["b"]);
    assert_eq!(index.len(), 3);
    index.purge_expired(TODAY).unwrap();
    index.flush().unwrap();
    assert_eq!(index.len(), 2, "the expired offer is purged, the filled one stays");
}

#[test]
fn restart_reads_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = OfferIndex::open(dir.path(), IndexOptions::default()).unwrap();
        assert_eq!(index.checkpoint(), 0);
        index.upsert(&offer("a", "Pomoc kuchenna"), 41).unwrap();
        index.advance_to(42).unwrap();
        assert_eq!(index.flush().unwrap(), 42);
    }
    let index = OfferIndex::open(dir.path(), IndexOptions::default()).unwrap();
    assert_eq!(index.checkpoint(), 42);
    assert_eq!(found(&index, &text("kuchenna")), ["a"]);
}

#[test]
fn group_commit_makes_writes_visible_without_a_flush() {
    let options = IndexOptions { commit_interval: Duration::from_millis(20), ..IndexOptions::default() };
    let index = OfferIndex::in_memory(options).unwrap();
    index.upsert(&offer("a", "Pomoc kuchenna"), 7).unwrap();
    assert!(index.wait_for(7, Duration::from_secs(10)));
    assert_eq!(found(&index, &text("kuchenna")), ["a"]);
}

#[test]
fn a_locked_or_corrupt_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = OfferIndex::open(dir.path(), IndexOptions::default()).unwrap();
    let error = OfferIndex::open(dir.path(), IndexOptions::default()).err().unwrap();
    assert!(matches!(error, IndexError::Locked { .. }), "{error}");

    let corrupt = tempfile::tempdir().unwrap();
    std::fs::write(corrupt.path().join("meta.json"), b"{ this is not an index").unwrap();
    let error = OfferIndex::open(corrupt.path(), IndexOptions::default()).err().unwrap();
    assert!(matches!(error, IndexError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains("rebuilt from the store"));
}

fn participant() -> Participant {
    let mut person = Synth::new(1, TODAY).participant(0);
    person.home = Location { teryt: TerytCode::parse("1261").unwrap(), point: GeoPoint::new(50.06, 19.94).unwrap() };
    person.max_commute_km = 20.0;
    person.stage = Stage::SupportedOpenMarket;
    person.disability = Default::default();
    person.night_shifts_ok = false;
    person
}

#[test]
fn candidates_are_reachable_and_lawful() {
    let near = offer("near", "Sprzątanie");
    let mut far = offer("far", "Sprzątanie");
    far.workplace = Workplace::OnSite(Location {
        teryt: TerytCode::parse("1261").unwrap(),
        point: GeoPoint::new(50.06 + 0.35, 19.94).unwrap(),
    });
    let mut remote = offer("remote", "Sprzątanie");
    remote.workplace = Workplace::Remote;
    let mut forty = offer("forty", "Sprzątanie");
    forty.weekly_hours = 40.0;
    forty.daily_hours = 8.0;
    let mut night = offer("night", "Sprzątanie");
    night.night_work = true;
    let mut demanding = offer("demanding", "Sprzątanie");
    demanding.min_stage = Stage::OpenMarket;
    demanding.adaptation_weeks = 0;
    let index = index_with(&[near, far, remote, forty, night, demanding]);
    let ids = |person: &Participant| {
        let mut ids: Vec<String> =
            index.candidates_for(person, 10, TODAY).unwrap().into_iter().map(|hit| hit.key.external_id).collect();
        ids.sort();
        ids
    };
    let mut person = participant();
    assert_eq!(ids(&person), ["forty", "near", "remote"]);
    person.night_shifts_ok = true;
    assert_eq!(ids(&person), ["forty", "near", "night", "remote"]);
    person.disability.degree = DisabilityDegree::Moderate;
    assert_eq!(ids(&person), ["near", "remote"], "35 h and no nights for a moderate degree");
    person.disability.working_time_exemption = true;
    assert_eq!(ids(&person), ["forty", "near", "night", "remote"]);
    person.stage = Stage::OpenMarket;
    assert_eq!(ids(&person).len(), 5);
}

#[test]
fn candidates_prefer_the_persons_skills() {
    let mut cleaning = offer("cleaning", "Pracownik");
    cleaning.required_skills = vec![pomost_domain::SkillRequirement {
        skill: pomost_synth::skill_id("pl:sprzatanie-biur"),
        min_level: None,
        weight: 1.0,
    }];
    let mut sewing = offer("sewing", "Pracownik");
    sewing.required_skills = vec![pomost_domain::SkillRequirement {
        skill: pomost_synth::skill_id("pl:szycie-maszynowe"),
        min_level: None,
        weight: 1.0,
    }];
    let index = index_with(&[sewing, cleaning]);
    let mut person = participant();
    person.skills =
        vec![pomost_domain::SkillClaim { skill: pomost_synth::skill_id("pl:sprzatanie-biur"), level: None }];
    let hits = index.candidates_for(&person, 10, TODAY).unwrap();
    assert_eq!(hits.iter().map(|hit| hit.key.external_id.as_str()).collect::<Vec<_>>(), ["cleaning", "sewing"]);
    assert!(hits[0].score > hits[1].score);
}

#[test]
fn an_index_with_an_older_schema_is_rebuilt_empty() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut builder = tantivy::schema::Schema::builder();
        builder.add_u64_field("lowest_stage", tantivy::schema::INDEXED);
        let old = tantivy::Index::create_in_dir(dir.path(), builder.build()).unwrap();
        let mut writer: tantivy::IndexWriter = old.writer(15_000_000).unwrap();
        writer.commit().unwrap();
    }
    let index = OfferIndex::open(dir.path(), IndexOptions::default()).unwrap();
    assert_eq!(index.checkpoint(), 0, "replay from the first change");
    index.upsert(&offer("a", "Sprzątanie"), 1).unwrap();
    index.flush().unwrap();
    assert_eq!(found(&index, &text("sprzątanie")), ["a"]);
}

#[test]
fn another_weeks_per_stage_rebuilds_the_index_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let options = |weeks| IndexOptions { adaptation_weeks_per_stage: weeks, ..IndexOptions::default() };
    {
        let index = OfferIndex::open(dir.path(), options(8)).unwrap();
        index.upsert(&offer("a", "Sprzątanie"), 1).unwrap();
        index.flush().unwrap();
        assert_eq!(index.checkpoint(), 1);
    }
    assert_eq!(OfferIndex::open(dir.path(), options(8)).unwrap().checkpoint(), 1, "same policy: kept");
    let index = OfferIndex::open(dir.path(), options(9)).unwrap();
    assert_eq!(index.checkpoint(), 0, "the stages it stores were computed with 8 weeks: replay everything");
    assert!(found(&index, &text("sprzątanie")).is_empty());
}

#[test]
fn stage_filters_follow_the_policy() {
    let mut bridging = offer("bridging", "Praca");
    bridging.min_stage = Stage::OpenMarket;
    bridging.adaptation_weeks = 16;
    for (weeks_per_stage, accepted) in [(8, true), (9, false)] {
        let index = OfferIndex::in_memory(IndexOptions {
            adaptation_weeks_per_stage: weeks_per_stage,
            ..IndexOptions::default()
        })
        .unwrap();
        index.upsert(&bridging, 1).unwrap();
        index.flush().unwrap();
        let mut query = text("");
        // Two stages below the open market: 16 weeks bridge two stages at 8 a stage.
        query.stage = Some(Stage::ShelteredEmployment);
        assert_eq!(!found(&index, &query).is_empty(), accepted, "{weeks_per_stage} weeks a stage");
    }
}

#[test]
fn candidates_are_every_offer_within_the_commute_and_no_other() {
    // Offers on a lattice around Kraków, across many grid cells and their edges.
    let mut offers = Vec::new();
    for step_lat in -12..=12 {
        for step_lon in -12..=12 {
            let mut placed = offer(&format!("at-{step_lat}-{step_lon}"), "Praca");
            let point =
                GeoPoint::new(50.06 + f64::from(step_lat) * 0.043, 19.94 + f64::from(step_lon) * 0.061).unwrap();
            placed.workplace = Workplace::OnSite(Location { teryt: TerytCode::parse("1261").unwrap(), point });
            offers.push(placed);
        }
    }
    let index = index_with(&offers);
    for (commute, lat, lon) in [(20.0, 50.06, 19.94), (7.5, 50.11, 19.80), (45.0, 50.0, 20.2), (1.0, 50.06, 19.94)] {
        let mut person = participant();
        person.stage = Stage::OpenMarket;
        person.max_commute_km = commute;
        person.home.point = GeoPoint::new(lat, lon).unwrap();
        let mut got: Vec<String> =
            index.candidates_for(&person, 10_000, TODAY).unwrap().into_iter().map(|hit| hit.key.external_id).collect();
        got.sort();
        let mut expected: Vec<String> = offers
            .iter()
            .filter(|offer| {
                offer.location().is_some_and(|place| place.point.distance_km(person.home.point) <= f64::from(commute))
            })
            .map(|offer| offer.key.external_id.clone())
            .collect();
        expected.sort();
        assert_eq!(got, expected, "commute {commute} km from ({lat}, {lon})");
        assert!(!expected.is_empty() || commute < 2.0);
    }
}

#[test]
fn candidates_by_skills_equal_the_one_query_definition() {
    // Several segments, deleted and replaced offers, every day-, stage-, legal- and
    // night-dependent filter, people with few and many skills, short and long lists.
    let synth = pomost_synth::Synth::new(5, TODAY);
    let index = OfferIndex::in_memory(IndexOptions::default()).unwrap();
    let mut seq = 0;
    for batch in 0..4 {
        for number in batch * 1_500..(batch + 1) * 1_500 {
            seq += 1;
            index.upsert(&synth.offer(number), seq).unwrap();
        }
        index.flush().unwrap();
    }
    for number in (0..6_000).step_by(7) {
        seq += 1;
        let offer = synth.offer(number);
        if number % 2 == 0 {
            index.delete(&offer.key, seq).unwrap();
        } else {
            let mut changed = offer;
            changed.version += 1;
            changed.positions = 0;
            index.upsert(&changed, seq).unwrap();
        }
    }
    index.flush().unwrap();
    let mut compared = 0;
    let mut filled_up = 0;
    for number in 0..300 {
        let person = synth.participant(number * 31);
        // Every third also without skills: then the whole list is the fill-up of offers
        // sharing none (the newest in reach).
        let mut without_skills = person.clone();
        without_skills.skills.clear();
        let people = if number % 3 == 0 { vec![person, without_skills] } else { vec![person] };
        for person in &people {
            for (limit, day) in [(10, TODAY), (50, TODAY), (200, TODAY + time::Duration::days(45))] {
                let fast = index.candidates_for(person, limit, day).unwrap();
                let defined = index.candidates_by_one_query(person, limit, day).unwrap();
                assert_eq!(fast, defined, "person {} limit {limit} on {day}", person.id);
                compared += fast.len();
                filled_up += usize::from(fast.last().is_some_and(|hit| hit.score == 0.0));
            }
        }
    }
    assert!(compared > 10_000, "the lists compared are too short to mean anything: {compared}");
    assert!(filled_up > 300, "too few lists were filled up with offers sharing no skill: {filled_up}");
}

#[test]
fn candidates_far_north_with_a_long_commute_take_the_union_way_and_equal_the_definition() {
    // At 75° N a 300 km commute box has more grid cells than are listed, so the segments
    // have no in-reach set and the skill terms' union drives the search: only remote
    // offers are in reach of these synthetic people.
    let synth = pomost_synth::Synth::new(6, TODAY);
    let index = OfferIndex::in_memory(IndexOptions::default()).unwrap();
    for number in 0..3_000 {
        index.upsert(&synth.offer(number), number as u64 + 1).unwrap();
    }
    index.flush().unwrap();
    let mut compared = 0;
    for number in 0..60 {
        let mut person = synth.participant(number * 13);
        person.home.point = GeoPoint::new(75.0, 20.0 + f64::from(number as u32) * 0.1).unwrap();
        person.max_commute_km = 300.0;
        let fast = index.candidates_for(&person, 50, TODAY).unwrap();
        let defined = index.candidates_by_one_query(&person, 50, TODAY).unwrap();
        assert_eq!(fast, defined, "person {}", person.id);
        compared += fast.len();
    }
    assert!(compared > 500, "too few remote offers compared: {compared}");
}
