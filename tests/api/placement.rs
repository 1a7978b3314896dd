//! The placement cycle end to end: referrals and their state machine, reservations seen by
//! rankings, races for the last coach hours and the last position, erasure, retention
//! checks and their statistics, and the match watch with resume.

use std::collections::HashSet;
use std::time::Duration;

use pomost::auth::{Role, hash_key};
use pomost::config::ApiKey;
use pomost::convert;
use pomost::proto::placement_service_client::PlacementServiceClient;
use pomost::proto::{
    CreateReferralRequest, ExplainMatchRequest, GetOutcomeStatsRequest, ListAuditRequest, ListReferralsRequest,
    MoveReferralRequest, OfferKey, OutcomeDimension, ParticipantRef, RecordOutcomeRequest, ReferralRef, ReferralState,
    Retention, ShortlistRequest, UpsertOfferRequest, WatchMatchesRequest, explain_match_request, shortlist_request,
};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::fixtures::{TestServer, krakow_participants, settings};

fn real_today() -> time::Date {
    pomost::grpc::today()
}

fn placement(server: &TestServer) -> PlacementServiceClient<Channel> {
    PlacementServiceClient::new(server.channel.clone())
}

/// An open offer in Kraków (valid around the real today), with `positions`, accepting an
/// external coach and naming no mentor.
fn offer(id: &str, positions: u32) -> pomost::proto::Offer {
    let mut offer = pomost_synth::Synth::new(21, real_today()).regional_offer();
    offer.key.external_id = id.into();
    offer.positions = positions;
    offer.employer_mentor = false;
    offer.accepts_external_coach = true;
    offer.adaptation_weeks = 8;
    convert::offer_to_wire(&offer)
}

/// People who pass every hard constraint of [`offer`], each needing `coach_hours`.
fn people(count: usize, coach_hours: f32) -> Vec<pomost_domain::Participant> {
    krakow_participants(count)
        .into_iter()
        .map(|mut person| {
            person.coach_hours_per_week = coach_hours;
            person.consent_to_matching = true;
            person.disability = Default::default();
            person.accommodations_required = Default::default();
            person.stage = pomost_domain::Stage::OpenMarket;
            person.night_shifts_ok = true;
            person.available_hours_per_week = 40.0;
            person.unit_id = "CIS-test".into();
            person
        })
        .collect()
}

fn coach(id: &str, capacity: f32) -> pomost::proto::JobCoach {
    let mut coach = pomost_synth::Synth::new(2, real_today()).coach(0);
    coach.id = pomost_domain::CoachId::new(id).unwrap();
    coach.area = pomost_domain::CoachArea {
        teryt: vec![pomost_domain::TerytCode::parse("12").unwrap()],
        centre: None,
        radius_km: 0.0,
    };
    coach.weekly_capacity_hours = capacity;
    coach.committed_hours = 0.0;
    convert::coach_to_wire(&coach)
}

async fn register(server: &TestServer, people: &[pomost_domain::Participant], offers: &[pomost::proto::Offer]) {
    for person in people {
        server.participants().upsert_participant(convert::participant_to_wire(person)).await.unwrap();
    }
    for offer in offers {
        server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
    }
}

fn refer(person: &pomost_domain::Participant, offer: &pomost::proto::Offer, coach: &str) -> CreateReferralRequest {
    CreateReferralRequest {
        participant_id: person.id.to_string(),
        offer_key: offer.key.clone(),
        coach_id: coach.into(),
        idempotency_key: String::new(),
    }
}

fn step(id: &str, to: ReferralState) -> MoveReferralRequest {
    MoveReferralRequest { referral_id: id.into(), to: to as i32, ..Default::default() }
}

fn explain(person: &pomost_domain::Participant, key: &OfferKey) -> ExplainMatchRequest {
    ExplainMatchRequest {
        participant_id: person.id.to_string(),
        offer: Some(explain_match_request::Offer::OfferKey(key.clone())),
        as_of: String::new(),
    }
}

#[tokio::test]
async fn a_referral_moves_along_its_path_and_refuses_what_the_state_machine_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.auth.dev_mode = false;
    settings.auth.keys = vec![
        ApiKey { name: "board".into(), role: Role::Partner, sha256: hash_key("partner-key") },
        ApiKey { name: "cis".into(), role: Role::Unit, sha256: hash_key("unit-key") },
        ApiKey { name: "ops".into(), role: Role::Admin, sha256: hash_key("admin-key") },
    ];
    let server = TestServer::start(settings).await;
    let with = |key: &str| {
        let value = MetadataValue::try_from(format!("Bearer {key}")).unwrap();
        move |mut request: tonic::Request<()>| {
            request.metadata_mut().insert("authorization", value.clone());
            Ok(request)
        }
    };
    let admin = pomost::proto::participant_service_client::ParticipantServiceClient::with_interceptor(
        server.channel.clone(),
        with("admin-key"),
    );
    let mut offers = pomost::proto::offer_service_client::OfferServiceClient::with_interceptor(
        server.channel.clone(),
        with("admin-key"),
    );
    let mut unit = PlacementServiceClient::with_interceptor(server.channel.clone(), with("unit-key"));
    let mut partner = PlacementServiceClient::with_interceptor(server.channel.clone(), with("partner-key"));
    let person = people(1, 0.0).remove(0);
    admin.clone().upsert_participant(convert::participant_to_wire(&person)).await.unwrap();
    let job = offer("path", 2);
    offers.upsert_offer(UpsertOfferRequest { offer: Some(job.clone()) }).await.unwrap();

    let status = partner.create_referral(refer(&person, &job, "")).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "partners cannot refer people");
    let mut create = refer(&person, &job, "");
    create.idempotency_key = "create-1".into();
    let made = unit.create_referral(create.clone()).await.unwrap().into_inner();
    let referral = made.referral.unwrap();
    assert_eq!(referral.state(), ReferralState::Proposed);
    assert!(made.seq > 0 && !made.replayed);
    let again = unit.create_referral(create).await.unwrap().into_inner();
    assert!(again.replayed && again.seq == 0);
    assert_eq!(again.referral.unwrap().id, referral.id, "a repeated creation returns the first referral");
    let status = unit.create_referral(refer(&person, &job, "")).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "one open referral per person and offer");
    assert!(status.message().contains(&referral.id), "{}", status.message());

    let status = partner.move_referral(step(&referral.id, ReferralState::SentToEmployer)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "an employer does not send referrals");
    let status = unit.move_referral(step(&referral.id, ReferralState::Hired)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("is proposed"), "{}", status.message());
    let mut send = step(&referral.id, ReferralState::SentToEmployer);
    send.idempotency_key = "send-1".into();
    let sent = unit.move_referral(send.clone()).await.unwrap().into_inner();
    assert_eq!(sent.referral.unwrap().state(), ReferralState::SentToEmployer);
    let repeated = unit.move_referral(send).await.unwrap().into_inner();
    assert!(repeated.replayed, "the same move with the same key is a no-op");
    let mut reused = step(&referral.id, ReferralState::Interview);
    reused.idempotency_key = "send-1".into();
    assert_eq!(unit.move_referral(reused).await.unwrap_err().code(), Code::InvalidArgument);
    partner.move_referral(step(&referral.id, ReferralState::Interview)).await.unwrap();
    let mut declined = step(&referral.id, ReferralState::Declined);
    declined.declined_by = "employer".into();
    declined.reason = "no_such_reason".into();
    let status = partner.move_referral(declined.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("employer_no_show"), "the documented list is named: {}", status.message());
    let mut hired = step(&referral.id, ReferralState::Hired);
    hired.start_date = convert::format_date(real_today());
    partner.move_referral(hired).await.unwrap();
    declined.reason = "employer_no_show".into();
    let status = partner.move_referral(declined).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("is hired"), "{}", status.message());

    let stored = unit.get_referral(ReferralRef { id: referral.id.clone() }).await.unwrap().into_inner();
    let path: Vec<ReferralState> = stored.history.iter().map(|event| event.to()).collect();
    assert_eq!(
        path,
        [ReferralState::Proposed, ReferralState::SentToEmployer, ReferralState::Interview, ReferralState::Hired]
    );
    assert_eq!(stored.history[2].caller, "board");
    assert!(!stored.reserved_until.is_empty() && !stored.start_date.is_empty());
    let listed = unit
        .list_referrals(ListReferralsRequest { unit_id: "CIS-test".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.referrals.len(), 1);
    let audit = pomost::proto::audit_service_client::AuditServiceClient::with_interceptor(
        server.channel.clone(),
        with("admin-key"),
    )
    .list_audit(ListAuditRequest::default())
    .await
    .unwrap()
    .into_inner();
    let moves = audit.entries.iter().filter(|entry| entry.action == "referral").count();
    assert_eq!(moves, 4, "every move audited once, repeats not");
    drop(admin);
    server.stop().await;
}

#[tokio::test]
async fn reservations_are_seen_at_once_and_the_last_coach_hours_go_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let folk = people(4, 6.0);
    let job = offer("coach-race", 10);
    register(&server, &folk, std::slice::from_ref(&job)).await;
    server.participants().upsert_job_coach(coach("trener-1", 16.0)).await.unwrap();
    let key = job.key.clone().unwrap();

    let first = placement(&server).create_referral(refer(&folk[0], &job, "trener-1")).await.unwrap().into_inner();
    let first = first.referral.unwrap();
    assert!(first.reserved && first.coach_hours == 6.0);
    // 10 of 16 hours left: one more 6-hour person fits, then none.
    let before = server.matching().explain_match(explain(&folk[1], &key)).await.unwrap().into_inner();
    assert!(before.eligible && before.suggested_coach_id == "trener-1", "{:?}", before.failed);
    let coach_factor = before.factors.iter().find(|factor| factor.factor == "coach").unwrap();
    assert!(coach_factor.detail.contains("after 6 h reserved by 1 referral"), "{}", coach_factor.detail);

    let (mut one, mut two) = (placement(&server), placement(&server));
    let results = {
        let (a, b) = tokio::join!(
            one.create_referral(refer(&folk[1], &job, "trener-1")),
            two.create_referral(refer(&folk[2], &job, "trener-1"))
        );
        [a, b]
    };
    let won: Vec<_> = results.iter().filter(|result| result.is_ok()).collect();
    let lost: Vec<_> = results.iter().filter_map(|result| result.as_ref().err()).collect();
    assert_eq!((won.len(), lost.len()), (1, 1), "exactly one referral wins the last hours");
    assert_eq!(lost[0].code(), Code::FailedPrecondition);
    assert!(lost[0].message().contains("trener-1"), "{}", lost[0].message());

    let after = server.matching().explain_match(explain(&folk[3], &key)).await.unwrap().into_inner();
    assert!(!after.eligible);
    let failed = after.failed.iter().find(|failed| failed.reason == "no_job_coach").unwrap();
    assert!(
        failed.message.contains("reservations used the capacity") && failed.message.contains(&first.id),
        "{}",
        failed.message
    );
    let list = server
        .matching()
        .shortlist(ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
            k: 10,
            as_of: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        list.candidates.iter().all(|candidate| candidate.suggested_coach_id != "trener-1"),
        "a coach at capacity is not suggested again"
    );

    // Withdrawing releases the hours at once.
    let mut withdraw = step(&first.id, ReferralState::Withdrawn);
    withdraw.reason = "unit_decision".into();
    placement(&server).move_referral(withdraw).await.unwrap();
    let released = server.matching().explain_match(explain(&folk[3], &key)).await.unwrap().into_inner();
    assert!(released.eligible, "{:?}", released.failed);
    server.stop().await;
}

#[tokio::test]
async fn the_last_position_goes_to_one_hire_and_closes_the_offer() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let folk = people(3, 0.0);
    let job = offer("one-seat", 1);
    register(&server, &folk, std::slice::from_ref(&job)).await;
    let mut ids = Vec::new();
    for person in &folk[..2] {
        let made = placement(&server).create_referral(refer(person, &job, "")).await.unwrap().into_inner();
        let id = made.referral.unwrap().id;
        placement(&server).move_referral(step(&id, ReferralState::SentToEmployer)).await.unwrap();
        ids.push(id);
    }
    let (mut one, mut two) = (placement(&server), placement(&server));
    let results = {
        let (a, b) = tokio::join!(
            one.move_referral(step(&ids[0], ReferralState::Hired)),
            two.move_referral(step(&ids[1], ReferralState::Hired))
        );
        [a, b]
    };
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "one hire takes the one position");
    let lost = results.iter().find_map(|result| result.as_ref().err()).unwrap();
    assert_eq!(lost.code(), Code::FailedPrecondition);
    assert!(lost.message().contains("no open position"), "{}", lost.message());

    let key = job.key.clone().unwrap();
    let list = server
        .matching()
        .shortlist(ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
            k: 10,
            as_of: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(list.candidates.is_empty());
    assert_eq!(list.exclusions[0].reason, "offer_closed");
    let status = placement(&server).create_referral(refer(&folk[2], &job, "")).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    server.stop().await;
}

/// RecommendOffers ranks each offer by the positions still open and returns it as stored:
/// an offer whose one position a hire took is not recommended, one with a position left
/// is, showing the positions it was published with.
#[tokio::test]
async fn recommendations_count_open_positions_and_show_the_offer_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let folk = people(3, 0.0);
    let (single, double) = (offer("one-seat", 1), offer("two-seats", 2));
    register(&server, &folk, &[single.clone(), double.clone()]).await;
    let recommend = || pomost::proto::RecommendOffersRequest {
        participant_id: folk[2].id.to_string(),
        k: 10,
        // Both offers share the title: found by it, whatever skills the person claims.
        text: single.title.clone(),
        as_of: String::new(),
    };
    let recommended = |reply: &pomost::proto::RecommendOffersResponse| -> Vec<(String, u32)> {
        reply
            .recommendations
            .iter()
            .map(|item| item.offer.as_ref().unwrap())
            .map(|offer| (offer.key.as_ref().unwrap().external_id.clone(), offer.positions))
            .collect()
    };
    // Offers become searchable at the index's next commit.
    let mut found = Vec::new();
    for _ in 0..200 {
        found = recommended(&server.matching().recommend_offers(recommend()).await.unwrap().into_inner());
        if found.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    found.sort();
    assert_eq!(found, [("one-seat".to_owned(), 1), ("two-seats".to_owned(), 2)]);
    for (person, job) in folk.iter().zip([&single, &double]) {
        let made = placement(&server).create_referral(refer(person, job, "")).await.unwrap().into_inner();
        let id = made.referral.unwrap().id;
        placement(&server).move_referral(step(&id, ReferralState::SentToEmployer)).await.unwrap();
        placement(&server).move_referral(step(&id, ReferralState::Hired)).await.unwrap();
    }
    let after = server.matching().recommend_offers(recommend()).await.unwrap().into_inner();
    assert_eq!(recommended(&after), [("two-seats".to_owned(), 2)], "the full offer is closed to the person");
    server.stop().await;
}

#[tokio::test]
async fn erasure_keeps_only_pseudonymous_counts_and_releases_hours() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let folk = people(2, 8.0);
    let job = offer("erase", 5);
    register(&server, &folk, std::slice::from_ref(&job)).await;
    server.participants().upsert_job_coach(coach("trener-2", 10.0)).await.unwrap();
    let made = placement(&server).create_referral(refer(&folk[0], &job, "trener-2")).await.unwrap().into_inner();
    let id = made.referral.unwrap().id;
    let key = job.key.clone().unwrap();
    assert!(!server.matching().explain_match(explain(&folk[1], &key)).await.unwrap().into_inner().eligible);

    server.participants().delete_participant(ParticipantRef { id: folk[0].id.to_string() }).await.unwrap();
    let erased = placement(&server).get_referral(ReferralRef { id: id.clone() }).await.unwrap().into_inner();
    assert!(erased.participant_id.is_empty(), "the referral no longer names the person");
    assert_eq!(erased.state(), ReferralState::Withdrawn);
    assert_eq!(erased.reason, "participant_erased");
    assert!(!erased.reserved);
    let listed = placement(&server)
        .list_referrals(ListReferralsRequest { participant_id: folk[0].id.to_string(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.referrals.is_empty());
    assert!(server.matching().explain_match(explain(&folk[1], &key)).await.unwrap().into_inner().eligible);
    server.stop().await;
}

#[tokio::test]
async fn retention_is_recorded_when_due_and_small_cells_are_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.placement.min_cell_size = 2;
    let server = TestServer::start(settings).await;
    let folk = people(3, 0.0);
    let job = offer("retention", 5);
    register(&server, &folk, std::slice::from_ref(&job)).await;
    let mut hires = Vec::new();
    for (index, person) in folk.iter().enumerate() {
        let id = placement(&server)
            .create_referral(refer(person, &job, ""))
            .await
            .unwrap()
            .into_inner()
            .referral
            .unwrap()
            .id;
        placement(&server).move_referral(step(&id, ReferralState::SentToEmployer)).await.unwrap();
        if index < 2 {
            let mut hired = step(&id, ReferralState::Hired);
            hired.start_date = convert::format_date(real_today() - time::Duration::days(200));
            placement(&server).move_referral(hired).await.unwrap();
            hires.push(id);
        } else {
            let status = placement(&server)
                .record_outcome(RecordOutcomeRequest {
                    referral_id: id,
                    month: 1,
                    retention: Retention::Employed as i32,
                    reason: String::new(),
                })
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::FailedPrecondition, "only a hire has retention checks");
        }
    }
    for (index, id) in hires.iter().enumerate() {
        for month in [1, 3, 6] {
            let (retention, reason) =
                if index == 1 && month == 6 { (Retention::Left, "resigned") } else { (Retention::Employed, "") };
            placement(&server)
                .record_outcome(RecordOutcomeRequest {
                    referral_id: id.clone(),
                    month,
                    retention: retention as i32,
                    reason: reason.into(),
                })
                .await
                .unwrap();
        }
    }
    let status = placement(&server)
        .record_outcome(RecordOutcomeRequest {
            referral_id: hires[0].clone(),
            month: 2,
            retention: Retention::Employed as i32,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    let stats = placement(&server)
        .get_outcome_stats(GetOutcomeStatsRequest { dimension: OutcomeDimension::Offer as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let row = &stats.rows[0];
    assert!(!row.suppressed);
    assert_eq!((row.referrals, row.hires), (3, 2));
    assert_eq!(row.placement_rate, Some(1.0), "one referral is still open, two ended hired: rate over ended only");
    let six = row.retention.iter().find(|cell| cell.month == 6).unwrap();
    assert_eq!((six.employed, six.left, six.rate), (1, 1, Some(0.5)));
    let strict = placement(&server)
        .get_outcome_stats(GetOutcomeStatsRequest {
            dimension: OutcomeDimension::Offer as i32,
            min_cell_size: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(strict.rows[0].suppressed && strict.rows[0].referrals == 0, "a cell of 3 people is hidden under 5");
    let lower = placement(&server)
        .get_outcome_stats(GetOutcomeStatsRequest {
            dimension: OutcomeDimension::Group as i32,
            min_cell_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lower.min_cell_size, 2, "a request cannot go below the configured minimum");
    server.stop().await;
}

/// Reads a watch until it has sent `wanted` offer matches (heartbeats skipped).
async fn matches(
    stream: &mut tonic::Streaming<pomost::proto::MatchEvent>,
    wanted: usize,
) -> Vec<pomost::proto::MatchEvent> {
    let mut found = Vec::new();
    while found.len() < wanted {
        let event = tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .expect("a match within 20 s")
            .expect("the stream stays open")
            .unwrap();
        if !event.heartbeat {
            found.push(event);
        }
    }
    found
}

#[tokio::test]
async fn a_watch_pushes_new_matches_and_resumes_without_gap_or_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let folk = people(5, 0.0);
    register(&server, &folk, &[]).await;
    let watch = |after_seq| WatchMatchesRequest { unit_id: "CIS-test".into(), min_score: 0.0, k: 3, after_seq };
    let mut stream = placement(&server).watch_matches(watch(0)).await.unwrap().into_inner();
    let hello = stream.next().await.unwrap().unwrap();
    assert!(hello.heartbeat);

    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer("watch-a", 2)) }).await.unwrap();
    let first = matches(&mut stream, 1).await;
    assert_eq!(first[0].offer.as_ref().unwrap().key.as_ref().unwrap().external_id, "watch-a");
    assert_eq!(first[0].candidates.len(), 3);
    assert!(first[0].seq > hello.seq);
    drop(stream);

    // Offers pushed while the client is away, one of them changed twice.
    for id in ["watch-b", "watch-c"] {
        server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer(id, 2)) }).await.unwrap();
    }
    let mut changed = offer("watch-b", 2);
    changed.version += 1;
    changed.title = "Sprzątanie biur, zmiana".into();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(changed) }).await.unwrap();

    let mut resumed = placement(&server).watch_matches(watch(first[0].seq)).await.unwrap().into_inner();
    let later = matches(&mut resumed, 2).await;
    let names: Vec<&str> =
        later.iter().map(|event| event.offer.as_ref().unwrap().key.as_ref().unwrap().external_id.as_str()).collect();
    assert_eq!(names, ["watch-c", "watch-b"], "each offer once, at its latest change, in feed order");
    assert!(later.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    assert_eq!(later[1].offer.as_ref().unwrap().title, "Sprzątanie biur, zmiana");
    let seen: HashSet<u64> = first.iter().chain(&later).map(|event| event.seq).collect();
    assert_eq!(seen.len(), 3, "no duplicate");
    // Nothing more is pending: the next message is a heartbeat.
    let next = tokio::time::timeout(Duration::from_secs(20), resumed.next()).await.unwrap().unwrap().unwrap();
    assert!(next.heartbeat && next.seq >= later[1].seq);

    let audit = server.audit().list_audit(ListAuditRequest::default()).await.unwrap().into_inner();
    assert!(audit.entries.iter().filter(|entry| entry.action == "watch_matches").count() >= 3);
    server.stop().await;
}

#[tokio::test]
async fn a_batch_assignment_keeps_positions_people_and_coach_hours_and_can_propose_referrals() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut folk = people(5, 0.0);
    for person in &mut folk[..3] {
        person.coach_hours_per_week = 6.0;
    }
    let (first, second) = (offer("batch-a", 2), offer("batch-b", 2));
    register(&server, &folk, &[first.clone(), second.clone()]).await;
    server.participants().upsert_job_coach(coach("trener-b", 13.0)).await.unwrap();
    // The same offer twice would count its positions twice: refused, naming the repeat.
    let twice = pomost::proto::AssignBatchRequest {
        offer_keys: vec![first.key.clone().unwrap(), second.key.clone().unwrap(), first.key.clone().unwrap()],
        ..Default::default()
    };
    let refused = server.matching().assign_batch(twice).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("offer_keys[2]") && refused.message().contains("offer_keys[0]"), "{refused:?}");
    let request = pomost::proto::AssignBatchRequest {
        offer_keys: vec![first.key.clone().unwrap(), second.key.clone().unwrap()],
        propose_referrals: true,
        ..Default::default()
    };
    let answer = server.matching().assign_batch(request).await.unwrap().into_inner();
    assert!(answer.optimal);
    assert_eq!(answer.assignments.len(), 4, "four positions, five people: {answer:?}");
    let mut per_offer = std::collections::HashMap::new();
    let mut people_seen = HashSet::new();
    let mut coach_hours = 0.0;
    for pair in &answer.assignments {
        *per_offer.entry(pair.offer_key.clone().unwrap().external_id).or_insert(0) += 1;
        let candidate = pair.candidate.as_ref().unwrap();
        assert!(people_seen.insert(candidate.participant_id.clone()), "one offer per person");
        if candidate.suggested_coach_id == "trener-b" {
            coach_hours += 6.0;
        }
        assert!(!pair.referral_id.is_empty(), "{}", pair.referral_error);
    }
    assert!(per_offer.values().all(|count| *count <= 2));
    assert_eq!(coach_hours, 12.0, "two of the three 6-hour needs fit in 13 hours");
    let total: f64 = answer.assignments.iter().map(|pair| f64::from(pair.candidate.as_ref().unwrap().score)).sum();
    assert!((total - answer.total_score).abs() < 1e-4);
    assert_eq!(answer.unassigned.len(), 1);
    let left = &answer.unassigned[0];
    assert!(left.reason == "coach_hours_taken" || left.reason == "positions_taken", "{left:?}");
    assert!(!left.detail.is_empty() && left.offers_eligible == 2);

    // The referrals hold the hours: the coach has 1 h left, so nobody else gets them now.
    let key = first.key.clone().unwrap();
    let explained = server.matching().explain_match(explain(&folk[0], &key)).await.unwrap().into_inner();
    let held = placement(&server)
        .list_referrals(ListReferralsRequest { open_only: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(held.referrals.len(), 4);
    assert!(held.referrals.iter().filter(|referral| referral.reserved).count() == 2, "{explained:?}");
    let audit = server.audit().list_audit(ListAuditRequest::default()).await.unwrap().into_inner();
    assert_eq!(audit.entries.iter().filter(|entry| entry.action == "assign_batch").count(), 1);

    let status = server
        .matching()
        .assign_batch(pomost::proto::AssignBatchRequest { candidates_per_position: 99, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn reservations_survive_a_restart_and_an_ended_adaptation_period_releases_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut folk = people(3, 6.0);
    folk[2].coach_hours_per_week = 8.0;
    let job = offer("restart", 5);
    let key = job.key.clone().unwrap();
    let (open_id, hired_id) = {
        let server = TestServer::start(settings(dir.path())).await;
        register(&server, &folk, std::slice::from_ref(&job)).await;
        server.participants().upsert_job_coach(coach("trener-r", 12.0)).await.unwrap();
        let open = placement(&server).create_referral(refer(&folk[0], &job, "trener-r")).await.unwrap().into_inner();
        let hired = placement(&server).create_referral(refer(&folk[1], &job, "trener-r")).await.unwrap().into_inner();
        let hired_id = hired.referral.unwrap().id;
        placement(&server).move_referral(step(&hired_id, ReferralState::SentToEmployer)).await.unwrap();
        // Work started 100 days ago; the offer's 8-week adaptation period has ended.
        let mut hire = step(&hired_id, ReferralState::Hired);
        hire.start_date = convert::format_date(real_today() - time::Duration::days(100));
        let moved = placement(&server).move_referral(hire).await.unwrap().into_inner().referral.unwrap();
        assert!(!moved.reserved, "a hire whose adaptation period already ended holds no hours");
        assert!(!server.matching().explain_match(explain(&folk[2], &key)).await.unwrap().into_inner().eligible);
        server.stop().await;
        (open.referral.unwrap().id, hired_id)
    };
    let server = TestServer::start(settings(dir.path())).await;
    let explained = server.matching().explain_match(explain(&folk[2], &key)).await.unwrap().into_inner();
    assert!(!explained.eligible, "the open referral still holds 6 of 12 hours after a restart: 6 < 8");
    let failed = explained.failed.iter().find(|failed| failed.reason == "no_job_coach").unwrap();
    assert!(failed.message.contains(&open_id), "{}", failed.message);
    let hired = placement(&server).get_referral(ReferralRef { id: hired_id }).await.unwrap().into_inner();
    assert_eq!(hired.state(), ReferralState::Hired);
    // The hire took one of five positions.
    let list = server
        .matching()
        .shortlist(ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(key)),
            k: 1,
            as_of: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(list.exclusions.iter().all(|count| count.reason != "offer_closed"));
    server.stop().await;
}

async fn exposure(
    server: &TestServer,
    request: pomost::proto::GetExposureReportRequest,
) -> pomost::proto::ExposureReport {
    server.matching().get_exposure_report(request).await.unwrap().into_inner()
}

#[tokio::test]
async fn the_exposure_report_compares_attention_with_the_pool_from_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.placement.min_cell_size = 1;
    let server = TestServer::start(settings).await;
    let folk = krakow_participants(300);
    let job = offer("exposure", 3);
    let never_listed = offer("exposure-referred", 1);
    register(&server, &folk, &[job.clone(), never_listed.clone()]).await;
    let key = job.key.clone().unwrap();
    for _ in 0..3 {
        server
            .matching()
            .shortlist(ShortlistRequest {
                offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
                k: 20,
                as_of: String::new(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let report = exposure(&server, pomost::proto::GetExposureReportRequest::default()).await;
    assert_eq!((report.shortlists, report.shortlists_without_groups), (3, 0));
    assert_eq!(report.groups.len(), 13);
    assert_eq!(report.referrals, 0);
    // Gender, where recorded: kept with the person and counted in its two groups.
    let woman = folk.iter().find(|person| person.gender == Some(pomost_domain::Gender::Woman)).unwrap();
    // A referral to an offer no shortlist was made for (its place is looked up after the
    // walk over referrals, which holds the store's reader).
    PlacementServiceClient::new(server.channel.clone()).create_referral(refer(woman, &never_listed, "")).await.unwrap();
    let report = exposure(&server, pomost::proto::GetExposureReportRequest::default()).await;
    assert_eq!(report.referrals, 1);
    assert_eq!(report.groups[11].referral_share, Some(1.0), "the referred woman: {:?}", report.groups[11]);
    let stored = server.participants().get_participant(ParticipantRef { id: woman.id.to_string() }).await.unwrap();
    assert_eq!(stored.into_inner().gender(), pomost::proto::Gender::Woman);
    let (women, men) = (&report.groups[11], &report.groups[12]);
    assert_eq!((women.group.as_str(), men.group.as_str()), ("women (where recorded)", "men (where recorded)"));
    assert!(
        !women.suppressed && !men.suppressed && women.pool_share > 0.2 && men.pool_share > 0.2,
        "{women:?} {men:?}"
    );
    assert!(women.pool_share + men.pool_share < 1.0, "some people have no recorded gender: {women:?} {men:?}");
    let degrees = &report.groups[..4];
    let pool: f64 = degrees.iter().map(|group| group.pool_share).sum();
    let attention: f64 = degrees.iter().map(|group| group.exposure_share).sum();
    assert!((pool - 1.0).abs() < 1e-9 && (attention - 1.0).abs() < 1e-3, "{pool} {attention}");
    for group in report.groups.iter().filter(|group| !group.suppressed && group.pool_share > 0.0) {
        assert!((group.ratio - group.exposure_share / group.pool_share).abs() < 1e-9);
        assert_eq!(group.flagged, group.ratio < 0.8, "{group:?}");
    }
    let elsewhere =
        exposure(&server, pomost::proto::GetExposureReportRequest { region: "02".into(), ..Default::default() }).await;
    assert_eq!(elsewhere.shortlists, 0, "the offer is in Kraków, not in Dolnośląskie");
    let strict =
        exposure(&server, pomost::proto::GetExposureReportRequest { min_cell_size: 100_000, ..Default::default() })
            .await;
    assert!(strict.groups.iter().all(|group| group.suppressed && group.pool_share == 0.0));
    for (from_ms, until_ms, field) in [(-1, 0, "from_ms"), (0, -5, "until_ms"), (5_000, 5_000, "until_ms")] {
        let status = server
            .matching()
            .get_exposure_report(pomost::proto::GetExposureReportRequest { from_ms, until_ms, ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(field), "{status:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_representative_shortlist_says_which_places_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let folk = krakow_participants(400);
    let job = offer("representative", 3);
    register(&server, &folk, std::slice::from_ref(&job)).await;
    let key = job.key.clone().unwrap();
    let ask = |representative: bool, tolerance: f32| ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
        k: 20,
        as_of: String::new(),
        representative,
        tolerance,
    };
    let plain = server.matching().shortlist(ask(false, 0.0)).await.unwrap().into_inner();
    assert!(plain.reranked.is_empty());
    let strict = server.matching().shortlist(ask(true, 0.0001)).await.unwrap().into_inner();
    assert_eq!(strict.candidates.len(), plain.candidates.len());
    assert!(!strict.reranked.is_empty(), "with almost no tolerance some group is short");
    let total = |list: &pomost::proto::ShortlistResponse| list.candidates.iter().map(|c| c.score).sum::<f32>();
    let loss: f32 = strict.reranked.iter().map(|change| change.score_loss).sum();
    assert!((total(&plain) - total(&strict) - loss).abs() < 1e-3, "the losses add up to the difference");
    for change in &strict.reranked {
        assert!(change.score_loss >= 0.0 && !change.group.is_empty());
        assert!(strict.candidates.iter().any(|c| c.participant_id == change.added_participant_id));
        assert!(strict.candidates.iter().all(|c| c.participant_id != change.removed_participant_id));
    }
    assert!(strict.candidates.windows(2).all(|pair| pair[0].score >= pair[1].score));
    let status = server.matching().shortlist(ask(true, 0.9)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("tolerance"), "{}", status.message());
    let audit = server.audit().list_audit(ListAuditRequest::default()).await.unwrap().into_inner();
    let last = audit.entries.iter().rev().find(|entry| entry.request_json.contains("representative")).unwrap();
    assert!(last.request_json.contains("\"tolerance\""), "{}", last.request_json);
    server.stop().await;
}
