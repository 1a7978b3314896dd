//! Read models follow the store through failures: commits of the offer index (or applies
//! to the pool) fail for a while, injected; writes go on being acknowledged, health says
//! the model lags, and once the fault clears every acknowledged record is back without a
//! restart, and again after one.

use std::time::{Duration, Instant};

use pomost::proto::{SearchOffersRequest, UpsertOfferRequest};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::fixtures::{TODAY, TestServer, regional_offer, settings};

async fn push(server: &TestServer, from: usize, to: usize) {
    let mut offers = server.offers();
    for index in from..to {
        let mut offer = regional_offer();
        offer.key.as_mut().unwrap().external_id = format!("follow-{index}");
        offers
            .upsert_offer(UpsertOfferRequest { offer: Some(offer) })
            .await
            .expect("acknowledged while the index fails");
    }
}

async fn searchable(server: &TestServer) -> u64 {
    let query = SearchOffersRequest { open_on: TODAY.into(), limit: 1, ..Default::default() };
    server.offers().search_offers(query).await.unwrap().into_inner().total
}

async fn matching_health(server: &TestServer) -> ServingStatus {
    let request = HealthCheckRequest { service: "pomost.v1.MatchingService".into() };
    HealthClient::new(server.channel.clone()).check(request).await.unwrap().into_inner().status()
}

async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "{what} did not happen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn failed_index_commits_lose_no_acknowledged_offer() {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("offers-index");
    let mut settings = settings(dir.path());
    settings.index.max_lag_ms = 300;
    let server = TestServer::start(settings.clone()).await;
    push(&server, 0, 50).await;
    wait_for("the first offers indexed", Duration::from_secs(10), async || searchable(&server).await == 50).await;

    pomost_index::faults::fail_commits(&index_dir, true);
    push(&server, 50, 200).await;
    wait_for("health to say the index lags", Duration::from_secs(10), async || {
        matching_health(&server).await == ServingStatus::NotServing
    })
    .await;
    assert!(searchable(&server).await < 200, "commits were failing, yet everything is searchable");
    pomost_index::faults::fail_commits(&index_dir, false);
    let catch_up = wait_for("every acknowledged offer searchable", Duration::from_secs(30), async || {
        searchable(&server).await == 200
    })
    .await;
    wait_for("health SERVING again", Duration::from_secs(10), async || {
        matching_health(&server).await == ServingStatus::Serving
    })
    .await;
    eprintln!("caught up {catch_up:?} after the fault cleared; offers missing: 0");

    // Stopped while commits fail: the next start replays what was never committed.
    pomost_index::faults::fail_commits(&index_dir, true);
    push(&server, 200, 230).await;
    server.stop().await;
    pomost_index::faults::fail_commits(&index_dir, false);
    let server = TestServer::start(settings).await;
    wait_for("all offers after a restart", Duration::from_secs(10), async || searchable(&server).await == 230).await;
    server.stop().await;
}

async fn pool_size(server: &TestServer, offer: &pomost::proto::OfferKey) -> u64 {
    let request = pomost::proto::ShortlistRequest {
        offer: Some(pomost::proto::shortlist_request::Offer::OfferKey(offer.clone())),
        k: 1,
        as_of: TODAY.into(),
        ..Default::default()
    };
    server.matching().shortlist(request).await.unwrap().into_inner().pool_size
}

#[tokio::test]
async fn failed_pool_applies_lose_no_acknowledged_participant() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.index.max_lag_ms = 300;
    let server = TestServer::start(settings.clone()).await;
    let people: Vec<_> =
        crate::fixtures::krakow_participants(300).iter().map(pomost::convert::participant_to_wire).collect();
    let offer = regional_offer();
    let key = offer.key.clone().unwrap();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await.unwrap();
    server.participants().upsert_participants(tokio_stream::iter(people[..200].to_vec())).await.unwrap();
    assert_eq!(pool_size(&server, &key).await, 200);

    pomost_engine::faults::fail_model(dir.path(), "pool", true);
    let reply = server.participants().upsert_participants(tokio_stream::iter(people[200..].to_vec())).await.unwrap();
    assert_eq!(reply.into_inner().written, 100, "acknowledged while the pool fails");
    wait_for("health to say the pool lags", Duration::from_secs(10), async || {
        matching_health(&server).await == ServingStatus::NotServing
    })
    .await;
    assert_eq!(pool_size(&server, &key).await, 200, "the pool could not apply them yet");
    pomost_engine::faults::fail_model(dir.path(), "pool", false);
    let catch_up = wait_for("every acknowledged participant in the pool", Duration::from_secs(30), async || {
        pool_size(&server, &key).await == 300
    })
    .await;
    wait_for("health SERVING again", Duration::from_secs(10), async || {
        matching_health(&server).await == ServingStatus::Serving
    })
    .await;
    eprintln!("pool caught up {catch_up:?} after the fault cleared; participants missing: 0");
    server.stop().await;
    let server = TestServer::start(settings).await;
    assert_eq!(pool_size(&server, &key).await, 300);
    server.stop().await;
}

#[tokio::test]
async fn writes_wait_for_an_index_past_its_backlog_bound_and_are_refused_while_it_is_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.index.max_behind_changes = 5;
    let server = TestServer::start(settings).await;
    pomost_engine::faults::stall_model(dir.path(), "index", true);
    push(&server, 0, 6).await;

    let mut offer = regional_offer();
    offer.key.as_mut().unwrap().external_id = "follow-6".into();
    let refused = server
        .offers()
        .upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) })
        .await
        .expect_err("six changes behind a bound of five, with an index that takes none");
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("index") && refused.message().contains("6 changes behind"), "{refused:?}");
    assert_eq!(refused.metadata().get("retry-after-ms").and_then(|value| value.to_str().ok()), Some("500"));

    // A write that arrives while the index is stuck waits, and goes through once it moves.
    let waiting = {
        let mut offers = server.offers();
        tokio::spawn(async move { offers.upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await })
    };
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(!waiting.is_finished(), "the write was not held back");
    pomost_engine::faults::stall_model(dir.path(), "index", false);
    waiting.await.unwrap().expect("admitted once the index caught up");
    wait_for("every acknowledged offer searchable", Duration::from_secs(10), async || searchable(&server).await == 7)
        .await;
    server.stop().await;
}
