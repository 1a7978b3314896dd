//! The crash test: the real `pomost` binary takes writes, is killed with SIGKILL at a
//! random moment, restarts, and every write it acknowledged must be in the store, the
//! scoring pool and the offer index.

#![allow(clippy::unwrap_used, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pomost::convert;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::offer_service_client::OfferServiceClient;
use pomost::proto::participant_service_client::ParticipantServiceClient;
use pomost::proto::{
    ExplainMatchRequest, ParticipantRef, SearchOffersRequest, UpsertOfferRequest, WriteOutcome, explain_match_request,
};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const TODAY: &str = "2026-11-24";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(data_dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pomost"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn connect(port: u16) -> Channel {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(channel) = Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap().connect().await {
            let status = HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await;
            if status.is_ok_and(|reply| reply.into_inner().status() == ServingStatus::Serving) {
                return channel;
            }
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A small deterministic generator so each seed kills at a different moment.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

async fn crash_and_recover(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let channel = connect(port).await;
    let synth = pomost_synth::Synth::new(seed, time::macros::date!(2026 - 11 - 24));
    let acknowledged_people = Arc::new(Mutex::new(Vec::new()));
    let acknowledged_offers = Arc::new(Mutex::new(Vec::new()));

    let people_writer = {
        let channel = channel.clone();
        let acknowledged = acknowledged_people.clone();
        tokio::spawn(async move {
            let mut client = ParticipantServiceClient::new(channel);
            for index in 0.. {
                let person = synth.participant(index);
                match client.upsert_participant(convert::participant_to_wire(&person)).await {
                    Ok(reply) => {
                        assert_eq!(reply.into_inner().outcome(), WriteOutcome::Written);
                        acknowledged.lock().unwrap().push(person);
                    }
                    Err(_) => return,
                }
            }
        })
    };
    let offer_writer = {
        let channel = channel.clone();
        let acknowledged = acknowledged_offers.clone();
        tokio::spawn(async move {
            let mut client = OfferServiceClient::new(channel);
            for index in 0.. {
                let mut offer = synth.offer(index);
                offer.valid_from = time::macros::date!(2026 - 11 - 01);
                offer.valid_until = time::macros::date!(2026 - 12 - 31);
                offer.positions = offer.positions.max(1);
                let request = UpsertOfferRequest { offer: Some(convert::offer_to_wire(&offer)) };
                match client.upsert_offer(request).await {
                    Ok(_) => acknowledged.lock().unwrap().push(offer),
                    Err(_) => return,
                }
            }
        })
    };

    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    tokio::time::sleep(Duration::from_millis(200 + next(&mut state) % 1200)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = people_writer.await;
    let _ = offer_writer.await;
    let people = acknowledged_people.lock().unwrap().clone();
    let offers = acknowledged_offers.lock().unwrap().clone();
    assert!(!people.is_empty() && !offers.is_empty(), "seed {seed}: nothing was written before the kill");

    let mut server = start(dir.path(), port);
    let channel = connect(port).await;
    let mut participants = ParticipantServiceClient::new(channel.clone());
    let mut matching = MatchingServiceClient::new(channel.clone());
    let mut offers_client = OfferServiceClient::new(channel);
    let probe_offer = convert::offer_to_wire(&offers[0]);
    for person in &people {
        let stored =
            participants.get_participant(ParticipantRef { id: person.id.to_string() }).await.unwrap().into_inner();
        assert_eq!(convert::participant(stored).unwrap(), *person, "seed {seed}: store lost {}", person.id);
        // In the pool: explain finds the person (NOT_FOUND would mean the pool lost them).
        matching
            .explain_match(ExplainMatchRequest {
                participant_id: person.id.to_string(),
                offer: Some(explain_match_request::Offer::InlineOffer(probe_offer.clone())),
                as_of: TODAY.into(),
            })
            .await
            .unwrap_or_else(|status| panic!("seed {seed}: pool lost {}: {status}", person.id));
    }
    for offer in &offers {
        let stored = offers_client.get_offer(convert::offer_key_to_wire(&offer.key)).await.unwrap().into_inner();
        assert_eq!(convert::offer(stored).unwrap(), *offer, "seed {seed}: store lost {}", offer.key);
    }
    let mut indexed = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let page = offers_client
            .search_offers(SearchOffersRequest {
                open_on: TODAY.into(),
                cursor: cursor.clone(),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        indexed.extend(page.hits.into_iter().filter_map(|hit| hit.offer.and_then(|offer| offer.key)));
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    for offer in &offers {
        assert!(indexed.contains(&convert::offer_key_to_wire(&offer.key)), "seed {seed}: index lost {}", offer.key);
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    for seed in [1, 2, 3] {
        crash_and_recover(seed).await;
    }
}
