//! End-to-end tests: the real server on an ephemeral port, called with the generated client.

#![allow(clippy::unwrap_used, missing_docs)]

mod fixtures;

use fixtures::{TODAY, TestServer, krakow_participants, regional_offer, settings};
use pomost::convert;
use pomost::proto::{
    ExplainMatchRequest, GetScoringPolicyRequest, JobCoachRef, ListAuditRequest, OfferKey, ParticipantRef,
    RecommendOffersRequest, SearchOffersRequest, ShortlistRequest, UpsertOfferRequest, WriteOutcome,
    explain_match_request, shortlist_request,
};
use tonic::Code;

fn key(offer: &pomost::proto::Offer) -> OfferKey {
    offer.key.clone().unwrap()
}

fn shortlist_for(offer_key: OfferKey, k: u32) -> ShortlistRequest {
    ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(offer_key)),
        k,
        as_of: TODAY.into(),
        ..Default::default()
    }
}

async fn seed(server: &TestServer, people: usize) -> Vec<pomost_domain::Participant> {
    let participants = krakow_participants(people);
    let mut client = server.participants();
    for person in &participants {
        let reply = client.upsert_participant(convert::participant_to_wire(person)).await.unwrap().into_inner();
        assert_eq!(reply.outcome(), WriteOutcome::Written);
    }
    participants
}

#[tokio::test]
async fn an_offer_pushed_is_searchable_shortlistable_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let people = seed(&server, 300).await;
    let offer = regional_offer();
    let written =
        server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap().into_inner();
    assert_eq!(written.outcome(), WriteOutcome::Written);
    assert!(written.seq > 300);

    let fetched = server.offers().get_offer(key(&offer)).await.unwrap().into_inner();
    assert_eq!(fetched, offer);

    let mut found = Vec::new();
    for _ in 0..100 {
        let reply = server
            .offers()
            .search_offers(SearchOffersRequest {
                text: "sprzątania".into(),
                open_on: TODAY.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        found = reply.hits;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(found.len(), 1, "the pushed offer becomes searchable");
    assert_eq!(found[0].offer.as_ref().unwrap().key, offer.key);

    let reply = server.matching().shortlist(shortlist_for(key(&offer), 10)).await.unwrap();
    let header = reply.metadata().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    let list = reply.into_inner();
    assert_eq!(header, list.request_id, "the x-request-id header is the audit entry's id");
    assert_eq!(list.candidates.len(), 10);
    assert_eq!(list.pool_size, 300);
    assert_eq!(list.policy_version, "2026-11.3");
    assert!(list.eligible >= 10);
    let excluded: u64 = list.exclusions.iter().map(|count| count.count).sum();
    assert_eq!(excluded + list.eligible, 300);
    for pair in list.candidates.windows(2) {
        assert!(pair[0].score >= pair[1].score);
    }
    let top = &list.candidates[0];
    assert_eq!(top.factors.len(), 8);
    let sum: f32 = top.factors.iter().map(|factor| factor.contribution).sum();
    assert!((sum - top.score).abs() < 1e-4);
    assert!(people.iter().any(|person| person.id.as_str() == top.participant_id));

    let audit = server.audit().list_audit(ListAuditRequest::default()).await.unwrap().into_inner();
    let entry = audit.entries.iter().find(|entry| entry.request_id == list.request_id).expect("audited");
    let arrival = uuid::Uuid::parse_str(&list.request_id).unwrap().get_timestamp().unwrap().to_unix();
    assert_eq!(entry.at_ms, arrival.0 as i64 * 1_000 + i64::from(arrival.1 / 1_000_000), "when the request arrived");
    assert_eq!(entry.action, "shortlist");
    assert_eq!(entry.caller_name, "dev");
    assert_eq!(entry.results.len(), 10);
    assert_eq!(entry.results[0].id, top.participant_id);
    assert_eq!(entry.offer_key, Some(key(&offer)));
    server.stop().await;
}

#[tokio::test]
async fn explain_recommend_and_policy() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let people = seed(&server, 50).await;
    let offer = regional_offer();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();

    let mut night = offer.clone();
    night.night_work = true;
    let mut certified = convert::participant_to_wire(&people[0]);
    certified.disability = Some(pomost::proto::Disability {
        degree: 1,
        cause_symbols: vec!["05-R".into()],
        working_time_exemption: false,
    });
    certified.night_shifts_ok = true;
    server.participants().upsert_participant(certified.clone()).await.unwrap();
    let explanation = server
        .matching()
        .explain_match(ExplainMatchRequest {
            participant_id: certified.id.clone(),
            offer: Some(explain_match_request::Offer::InlineOffer(night)),
            as_of: TODAY.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!explanation.eligible);
    let reasons: Vec<&str> = explanation.failed.iter().map(|failed| failed.reason.as_str()).collect();
    assert!(reasons.contains(&"working_time_limit"), "{reasons:?}");
    assert!(explanation.failed.iter().any(|failed| failed.message.contains("night work")));
    assert_eq!(explanation.factors.len(), 8);

    let recommendations = server
        .matching()
        .recommend_offers(RecommendOffersRequest {
            participant_id: people[5].id.to_string(),
            k: 5,
            text: String::new(),
            as_of: TODAY.into(),
        })
        .await
        .unwrap()
        .into_inner();
    for recommendation in &recommendations.recommendations {
        assert!(recommendation.score > 0.0);
    }
    let policy = server.matching().get_scoring_policy(GetScoringPolicyRequest {}).await.unwrap().into_inner();
    assert_eq!(policy.weights.len(), 8);
    assert!(policy.toml.contains("version = \"2026-11.3\""));
    server.stop().await;
}

#[tokio::test]
async fn bulk_upload_reports_each_item_and_keeps_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let synth = pomost_synth::Synth::new(3, fixtures::today());
    let mut items: Vec<UpsertOfferRequest> =
        synth.offers(5).map(|offer| UpsertOfferRequest { offer: Some(convert::offer_to_wire(&offer)) }).collect();
    items[2].offer.as_mut().unwrap().weekly_hours = 90.0;
    items.push(items[0].clone());
    let reply = server.offers().upsert_offers(tokio_stream::iter(items)).await.unwrap().into_inner();
    assert_eq!((reply.written, reply.rejected, reply.unchanged_or_stale), (4, 1, 1));
    assert_eq!(reply.items.len(), 6);
    let error = reply.items[2].error.as_ref().unwrap();
    assert_eq!((error.field.as_str(), error.reason.as_str()), ("offer.weekly_hours", "90 is over 84"));
    assert_eq!(reply.items[5].result.as_ref().unwrap().outcome(), WriteOutcome::Stale);
    let good = synth.offer(1);
    let fetched = server.offers().get_offer(convert::offer_key_to_wire(&good.key)).await.unwrap().into_inner();
    assert_eq!(convert::offer(fetched).unwrap(), good);
    server.stop().await;
}

#[tokio::test]
async fn bulk_registration_of_coaches_reports_each_and_the_pool_follows() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let synth = pomost_synth::Synth::new(5, fixtures::today());
    let coaches: Vec<pomost_domain::JobCoach> = (0..6).map(|index| synth.coach(index)).collect();
    let mut items: Vec<pomost::proto::JobCoach> = coaches.iter().map(convert::coach_to_wire).collect();
    items[2].weekly_capacity_hours = 90.0;
    items.push(items[0].clone());
    let reply = server.participants().upsert_job_coaches(tokio_stream::iter(items)).await.unwrap().into_inner();
    assert_eq!((reply.written, reply.unchanged, reply.rejected), (5, 1, 1));
    assert_eq!(reply.items.len(), 7);
    let error = reply.items[2].error.as_ref().unwrap();
    assert!(error.field.starts_with("coach.weekly_capacity_hours"), "{error:?}");
    assert_eq!(reply.items[6].result.as_ref().unwrap().outcome(), WriteOutcome::Unchanged);
    let stored =
        server.participants().get_job_coach(JobCoachRef { id: coaches[5].id.to_string() }).await.unwrap().into_inner();
    assert_eq!(convert::coach(stored).unwrap(), coaches[5]);
    server.stop().await;
}

#[tokio::test]
async fn bulk_registration_reports_each_participant() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let people = krakow_participants(6);
    let mut items: Vec<pomost::proto::Participant> = people.iter().map(convert::participant_to_wire).collect();
    items[3].max_commute_km = 500.0;
    items.push(items[0].clone());
    let reply = server.participants().upsert_participants(tokio_stream::iter(items)).await.unwrap().into_inner();
    assert_eq!((reply.written, reply.unchanged, reply.rejected), (5, 1, 1));
    assert_eq!(reply.items.len(), 7);
    let error = reply.items[3].error.as_ref().unwrap();
    assert_eq!((error.field.as_str(), error.reason.as_str()), ("participant.max_commute_km", "500 is over 300"));
    assert_eq!(reply.items[6].result.as_ref().unwrap().outcome(), WriteOutcome::Unchanged);
    let stored = server.participants().get_participant(ParticipantRef { id: people[5].id.to_string() }).await.unwrap();
    assert_eq!(convert::participant(stored.into_inner()).unwrap(), people[5]);
    let offer = regional_offer();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
    let list = server.matching().shortlist(shortlist_for(key(&offer), 10)).await.unwrap().into_inner();
    assert_eq!(list.pool_size, 5, "the pool follows the bulk registration");
    server.stop().await;
}

#[tokio::test]
async fn bad_input_unknown_ids_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut bad = regional_offer();
    bad.weekly_hours = 90.0;
    let status = server.offers().upsert_offer(UpsertOfferRequest { offer: Some(bad) }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "offer.weekly_hours: 90 is over 84");
    let details = tonic_types::StatusExt::get_details_bad_request(&status).expect("a BadRequest detail");
    assert_eq!(details.field_violations[0].field, "offer.weekly_hours");
    assert_eq!(details.field_violations[0].description, "90 is over 84");

    let mut person = convert::participant_to_wire(&krakow_participants(1)[0]);
    person.id = "85010112345".into();
    let status = server.participants().upsert_participant(person).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("participant.id:"), "{}", status.message());

    let missing = OfferKey { source: "nowhere".into(), external_id: "1".into() };
    assert_eq!(server.offers().get_offer(missing.clone()).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(server.matching().shortlist(shortlist_for(missing, 5)).await.unwrap_err().code(), Code::NotFound);
    let ghost = ParticipantRef { id: "ghost".into() };
    assert_eq!(server.participants().get_participant(ghost).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(
        server.participants().get_job_coach(JobCoachRef { id: "ghost".into() }).await.unwrap_err().code(),
        Code::NotFound
    );

    let offer = regional_offer();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
    let status = server.matching().shortlist(shortlist_for(key(&offer), 100_000)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "k: 100000 is over the bound of 500");
    let status = server
        .matching()
        .shortlist(ShortlistRequest { offer: None, k: 5, as_of: String::new(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = server
        .matching()
        .shortlist(ShortlistRequest { as_of: "24.11.2026".into(), ..shortlist_for(key(&offer), 5) })
        .await
        .unwrap_err();
    assert_eq!(status.message(), "as_of: \"24.11.2026\" is not a date (YYYY-MM-DD)");
    server.stop().await;
}

#[tokio::test]
async fn coaches_round_trip_and_make_placements_possible() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut person = krakow_participants(1).remove(0);
    person.coach_hours_per_week = 6.0;
    person.consent_to_matching = true;
    person.disability = Default::default();
    person.accommodations_required = Default::default();
    person.stage = pomost_domain::Stage::OpenMarket;
    person.night_shifts_ok = true;
    server.participants().upsert_participant(convert::participant_to_wire(&person)).await.unwrap();
    let mut offer = regional_offer();
    offer.employer_mentor = false;
    offer.accepts_external_coach = true;
    let request = ExplainMatchRequest {
        participant_id: person.id.to_string(),
        offer: Some(explain_match_request::Offer::InlineOffer(offer.clone())),
        as_of: TODAY.into(),
    };
    let before = server.matching().explain_match(request.clone()).await.unwrap().into_inner();
    assert!(before.failed.iter().any(|failed| failed.reason == "no_job_coach"), "{:?}", before.failed);

    let mut coach = pomost_synth::Synth::new(2, fixtures::today()).coach(0);
    coach.area = pomost_domain::CoachArea {
        teryt: vec![pomost_domain::TerytCode::parse("12").unwrap()],
        centre: None,
        radius_km: 0.0,
    };
    coach.weekly_capacity_hours = 30.0;
    coach.committed_hours = 0.0;
    let wire = convert::coach_to_wire(&coach);
    server.participants().upsert_job_coach(wire.clone()).await.unwrap();
    assert_eq!(
        server.participants().get_job_coach(JobCoachRef { id: wire.id.clone() }).await.unwrap().into_inner(),
        wire
    );
    let after = server.matching().explain_match(request.clone()).await.unwrap().into_inner();
    assert!(after.eligible, "{:?}", after.failed);
    assert_eq!(after.suggested_coach_id, wire.id);

    let deleted =
        server.participants().delete_job_coach(JobCoachRef { id: wire.id.clone() }).await.unwrap().into_inner();
    assert!(deleted.deleted);
    assert!(!server.matching().explain_match(request).await.unwrap().into_inner().eligible);
    server.stop().await;
}

#[tokio::test]
async fn an_erased_participant_never_appears_again() {
    let dir = tempfile::tempdir().unwrap();
    let offer = regional_offer();
    let erased;
    {
        let server = TestServer::start(settings(dir.path())).await;
        seed(&server, 100).await;
        server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
        let list = server.matching().shortlist(shortlist_for(key(&offer), 5)).await.unwrap().into_inner();
        erased = list.candidates[0].participant_id.clone();
        let reply =
            server.participants().delete_participant(ParticipantRef { id: erased.clone() }).await.unwrap().into_inner();
        assert!(reply.deleted);
        let status = server.participants().get_participant(ParticipantRef { id: erased.clone() }).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        let list = server.matching().shortlist(shortlist_for(key(&offer), 100)).await.unwrap().into_inner();
        assert!(list.candidates.iter().all(|candidate| candidate.participant_id != erased));
        assert_eq!(list.pool_size, 99);
        server.stop().await;
    }
    let server = TestServer::start(settings(dir.path())).await;
    let list = server.matching().shortlist(shortlist_for(key(&offer), 100)).await.unwrap().into_inner();
    assert!(list.candidates.iter().all(|candidate| candidate.participant_id != erased));
    assert_eq!(list.pool_size, 99);
    let explain = server
        .matching()
        .explain_match(ExplainMatchRequest {
            participant_id: erased.clone(),
            offer: Some(explain_match_request::Offer::OfferKey(key(&offer))),
            as_of: TODAY.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(explain.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let offer = regional_offer();
    let first;
    {
        let server = TestServer::start(settings(dir.path())).await;
        seed(&server, 80).await;
        server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
        first = server.matching().shortlist(shortlist_for(key(&offer), 20)).await.unwrap().into_inner();
        server.stop().await;
    }
    let server = TestServer::start(settings(dir.path())).await;
    let again = server.matching().shortlist(shortlist_for(key(&offer), 20)).await.unwrap().into_inner();
    assert_eq!(again.candidates, first.candidates);
    assert_eq!(again.exclusions, first.exclusions);
    let found = server
        .offers()
        .search_offers(SearchOffersRequest { text: "sprzątanie".into(), open_on: TODAY.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.total, 1);
    let audit = server.audit().list_audit(ListAuditRequest::default()).await.unwrap().into_inner();
    assert_eq!(audit.entries.len(), 2);
    server.stop().await;
}

/// A clean shutdown leaves the pool in a snapshot the next start takes (and removes);
/// what the store holds still decides: writes made while the service was stopped are
/// applied on top, an erased person is in no later snapshot, and a snapshot from another
/// data directory is not used.
#[tokio::test]
async fn a_clean_restart_takes_the_pool_snapshot_and_the_store_still_decides() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join(pomost_engine::POOL_SNAPSHOT_FILE);
    let offer = regional_offer();
    let first;
    {
        let server = TestServer::start(settings(dir.path())).await;
        seed(&server, 60).await;
        server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
        first = server.matching().shortlist(shortlist_for(key(&offer), 100)).await.unwrap().into_inner();
        assert!(!snapshot.exists(), "none while serving");
        server.stop().await;
    }
    assert!(snapshot.exists(), "left by the clean shutdown");
    // A write while the service is stopped: the snapshot does not hold it, the feed does.
    let mut late = krakow_participants(61).pop().unwrap();
    late.id = pomost_domain::ParticipantId::new("written-while-stopped").unwrap();
    {
        let store = pomost_store::SqliteStore::open(dir.path(), pomost_store::SqliteOptions::default()).unwrap();
        pomost_store::Store::upsert_participant(&store, &late).unwrap();
    }
    let erased;
    {
        let server = TestServer::start(settings(dir.path())).await;
        assert!(!snapshot.exists(), "taken at start");
        let again = server.matching().shortlist(shortlist_for(key(&offer), 100)).await.unwrap().into_inner();
        assert_eq!(again.pool_size, first.pool_size + 1);
        let known: Vec<_> = first.candidates.iter().map(|candidate| &candidate.participant_id).collect();
        let same: Vec<_> = again
            .candidates
            .iter()
            .filter(|candidate| candidate.participant_id != late.id.as_str())
            .map(|candidate| &candidate.participant_id)
            .collect();
        assert_eq!(same, known[..same.len()], "the same people in the same order");
        let late_explained = server
            .matching()
            .explain_match(ExplainMatchRequest {
                participant_id: late.id.to_string(),
                offer: Some(explain_match_request::Offer::OfferKey(key(&offer))),
                as_of: TODAY.into(),
            })
            .await;
        assert!(late_explained.is_ok(), "{late_explained:?}");
        erased = first.candidates[0].participant_id.clone();
        server.participants().delete_participant(ParticipantRef { id: erased.clone() }).await.unwrap();
        server.stop().await;
    }
    let bytes = std::fs::read(&snapshot).unwrap();
    assert!(!bytes.windows(erased.len()).any(|window| window == erased.as_bytes()), "no trace of {erased}");
    assert!(bytes.windows(late.id.as_str().len()).any(|window| window == late.id.as_str().as_bytes()));
    {
        let server = TestServer::start(settings(dir.path())).await;
        let list = server.matching().shortlist(shortlist_for(key(&offer), 100)).await.unwrap().into_inner();
        assert_eq!(list.pool_size, first.pool_size);
        assert!(list.candidates.iter().all(|candidate| candidate.participant_id != erased));
        server.stop().await;
    }
    // Another data directory, with more changes and other people, given this snapshot.
    let other = tempfile::tempdir().unwrap();
    {
        let server = TestServer::start(settings(other.path())).await;
        let mut client = server.participants();
        for mut person in krakow_participants(90) {
            person.id = pomost_domain::ParticipantId::new(format!("other-{}", person.id)).unwrap();
            client.upsert_participant(convert::participant_to_wire(&person)).await.unwrap();
        }
        server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
        server.stop().await;
    }
    std::fs::copy(&snapshot, other.path().join(pomost_engine::POOL_SNAPSHOT_FILE)).unwrap();
    let server = TestServer::start(settings(other.path())).await;
    let list = server.matching().shortlist(shortlist_for(key(&offer), 100)).await.unwrap().into_inner();
    assert_eq!(list.pool_size, 90, "the store's people, not the snapshot's");
    assert!(list.candidates.iter().all(|candidate| candidate.participant_id.starts_with("other-")));
    server.stop().await;
}

#[tokio::test]
async fn a_configured_skill_table_gives_partial_credit() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("skills.toml");
    std::fs::write(
        &table,
        "group_similarity = 0.9\npairs = []\n[groups]\n\"x:spawanie\" = \"metal\"\n\"x:lutowanie\" = \"metal\"\n",
    )
    .unwrap();
    let mut settings = settings(&dir.path().join("data"));
    settings.skills_path = table;
    let server = TestServer::start(settings).await;
    let mut person = krakow_participants(1).remove(0);
    person.skills =
        vec![pomost_domain::SkillClaim { skill: pomost_domain::SkillId::new("x:lutowanie").unwrap(), level: None }];
    server.participants().upsert_participant(convert::participant_to_wire(&person)).await.unwrap();
    let mut offer = regional_offer();
    offer.required_skills =
        vec![pomost::proto::SkillRequirement { skill: "x:spawanie".into(), min_level: 0, weight: 1.0 }];
    offer.nice_to_have_skills.clear();
    let explanation = server
        .matching()
        .explain_match(ExplainMatchRequest {
            participant_id: person.id.to_string(),
            offer: Some(explain_match_request::Offer::InlineOffer(offer)),
            as_of: TODAY.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let skills = explanation.factors.iter().find(|factor| factor.factor == "skills").unwrap();
    assert!((skills.value - 0.9).abs() < 1e-6, "{skills:?}");
    server.stop().await;

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "group_similarity = 7\n").unwrap();
    let mut settings = fixtures::settings(&dir.path().join("data2"));
    settings.skills_path = broken;
    let listener = tokio::net::TcpListener::bind(settings.listen).await.unwrap();
    let error = pomost::server::run(settings, listener, async {}).await.unwrap_err();
    assert!(error.contains("skills_path") && error.contains("group_similarity"), "{error}");
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestServer::start(settings(dir.path())).await;
    let second = settings(dir.path());
    let listener = tokio::net::TcpListener::bind(second.listen).await.unwrap();
    let error = pomost::server::run(second, listener, std::future::pending()).await.unwrap_err();
    assert!(error.contains("in use by another pomost process"), "{error}");
    first.stop().await;
}

mod auth;
mod backup;
mod edges;
mod follow;
mod metrics;
mod placement;
mod raw;
mod reflection;
mod tls;
mod vocabulary;

/// Shortlists run on the ranking pool while writes wait for the pool's write lock: no
/// request may wait on another that cannot finish (a ranking thread that picked up a second
/// shortlist while its own scan was in pieces once blocked on the lock with the first one's
/// read lock held, and every later request hung until its deadline).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shortlists_and_writes_at_once_all_finish() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let people = krakow_participants(20_000);
    for chunk in people.chunks(5_000) {
        let items: Vec<pomost::proto::Participant> = chunk.iter().map(convert::participant_to_wire).collect();
        let reply = server.participants().upsert_participants(tokio_stream::iter(items)).await.unwrap().into_inner();
        assert_eq!(reply.written, chunk.len() as u32);
    }
    let offer = regional_offer();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(4);
    let limit = std::time::Duration::from_secs(20);
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (mut matching, offer_key) = (server.matching(), key(&offer));
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            while std::time::Instant::now() < until {
                let reply = tokio::time::timeout(limit, matching.shortlist(shortlist_for(offer_key.clone(), 20))).await;
                assert_eq!(reply.expect("a shortlist finishes").unwrap().into_inner().candidates.len(), 20);
                done += 1;
            }
            done
        }));
    }
    for writer in 0..2 {
        let (mut participants, people) = (server.participants(), people.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0;
            while std::time::Instant::now() < until {
                let mut person = convert::participant_to_wire(&people[(done * 2 + writer) % people.len()]);
                person.max_commute_km = 25.0;
                let reply = tokio::time::timeout(limit, participants.upsert_participant(person)).await;
                assert_eq!(reply.expect("a write finishes").unwrap().into_inner().outcome(), WriteOutcome::Written);
                done += 1;
            }
            done
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap() > 0, "every client got answers");
    }
    server.stop().await;
}
