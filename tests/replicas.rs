//! Two real `pomost` processes on one PostgreSQL (a throwaway cluster from Debian's
//! packages, which .ci/run installs): a write at one is seen at the other; a read carrying
//! `x-pomost-min-seq` waits for it (or gets UNAVAILABLE); two replicas racing for a coach's
//! last hours give one winner; SIGKILL of a replica under write load loses nothing
//! acknowledged and it catches up on restart; a stopped database gives UNAVAILABLE, writes
//! nothing half-way, and service resumes by itself.

#![allow(clippy::unwrap_used, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pomost::convert;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::offer_service_client::OfferServiceClient;
use pomost::proto::participant_service_client::ParticipantServiceClient;
use pomost::proto::placement_service_client::PlacementServiceClient;
use pomost::proto::{
    CreateReferralRequest, ExplainMatchRequest, ParticipantRef, SearchOffersRequest, UpsertOfferRequest,
    explain_match_request,
};
use pomost_store::throwaway::{ThrowawayPostgres, postgres_installed};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

struct Replica {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    url: String,
}

impl Replica {
    fn start(url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = spawn(dir.path(), port, url);
        Self { child, port, dir, url: url.to_owned() }
    }

    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn restart(&mut self) {
        self.child = spawn(self.dir.path(), self.port, &self.url);
    }

    async fn channel(&self) -> Channel {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(channel) =
                Channel::from_shared(format!("http://127.0.0.1:{}", self.port)).unwrap().connect().await
            {
                let health =
                    HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await;
                if health.is_ok_and(|reply| reply.into_inner().status() == ServingStatus::Serving) {
                    return channel;
                }
            }
            assert!(Instant::now() < deadline, "replica on port {} did not come up", self.port);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &std::path::Path, port: u16, url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pomost"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .env("POMOST_STORE__URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A request that must see change `seq`.
fn after<T>(message: T, seq: u64) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(pomost::edge::MIN_SEQ_HEADER, seq.to_string().parse().unwrap());
    request
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn open_offer(synth: &pomost_synth::Synth, index: usize) -> pomost_domain::Offer {
    let mut offer = synth.offer(index);
    offer.valid_from = today() - time::Duration::days(10);
    offer.valid_until = today() + time::Duration::days(60);
    offer.positions = offer.positions.max(1);
    offer
}

fn explain(person: &pomost_domain::Participant, offer: &pomost_domain::Offer) -> ExplainMatchRequest {
    ExplainMatchRequest {
        participant_id: person.id.to_string(),
        offer: Some(explain_match_request::Offer::InlineOffer(convert::offer_to_wire(offer))),
        as_of: convert::format_date(today()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgres_share_writes_book_once_and_survive_failures() {
    if !postgres_installed() {
        eprintln!(
            "SKIPPED: PostgreSQL is not installed (apt-get install postgresql postgresql-15-postgis-3); \
             replicas were not tested"
        );
        return;
    }
    // The cluster's helpers block (a synchronous client), so not on the reactor's thread.
    let (cluster, url) = tokio::task::block_in_place(|| {
        let cluster = ThrowawayPostgres::start().unwrap();
        let url = cluster.database("replicas").unwrap();
        (cluster, url)
    });
    let mut a = Replica::start(&url);
    let b = Replica::start(&url);
    let (channel_a, channel_b) = (a.channel().await, b.channel().await);
    let synth = pomost_synth::Synth::new(5, today());

    // A write at A, read at B with the write's sequence: the pool and the index have it.
    let person = synth.participant(1);
    let written = ParticipantServiceClient::new(channel_a.clone())
        .upsert_participant(convert::participant_to_wire(&person))
        .await
        .unwrap()
        .into_inner();
    let offer = open_offer(&synth, 1);
    let offer_written = OfferServiceClient::new(channel_a.clone())
        .upsert_offer(UpsertOfferRequest { offer: Some(convert::offer_to_wire(&offer)) })
        .await
        .unwrap()
        .into_inner();
    assert!(offer_written.seq > written.seq);
    let mut matching_b = MatchingServiceClient::new(channel_b.clone());
    matching_b.explain_match(after(explain(&person, &offer), written.seq)).await.unwrap();
    let found = OfferServiceClient::new(channel_b.clone())
        .search_offers(after(
            SearchOffersRequest { open_on: convert::format_date(today()), limit: 10, ..Default::default() },
            offer_written.seq,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(found.hits.iter().any(|hit| hit.offer.as_ref().and_then(|o| o.key.as_ref())
        == Some(&convert::offer_key_to_wire(&offer.key))));
    // A sequence nobody wrote: UNAVAILABLE after the bounded wait.
    let started = Instant::now();
    let status =
        matching_b.explain_match(after(explain(&person, &offer), offer_written.seq + 1_000)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Without the header, B follows within its lag bound (notified, or polling).
    let later = synth.participant(2);
    ParticipantServiceClient::new(channel_a.clone())
        .upsert_participant(convert::participant_to_wire(&later))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while matching_b.explain_match(explain(&later, &offer)).await.is_err() {
        assert!(Instant::now() < deadline, "B did not follow A's write within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Two replicas racing for a coach's last hours: one winner.
    let mut coach = synth.coach(1);
    coach.weekly_capacity_hours = 8.0;
    coach.committed_hours = 0.0;
    let coach_seq = ParticipantServiceClient::new(channel_b.clone())
        .upsert_job_coach(convert::coach_to_wire(&coach))
        .await
        .unwrap()
        .into_inner()
        .seq;
    let mut racers = Vec::new();
    for index in 0..8 {
        let mut racer = synth.participant(100 + index);
        racer.coach_hours_per_week = 6.0;
        ParticipantServiceClient::new(channel_a.clone())
            .upsert_participant(convert::participant_to_wire(&racer))
            .await
            .unwrap();
        racers.push(racer);
    }
    let tasks: Vec<_> = racers
        .iter()
        .enumerate()
        .map(|(index, racer)| {
            let channel = if index % 2 == 0 { channel_a.clone() } else { channel_b.clone() };
            let request = CreateReferralRequest {
                participant_id: racer.id.to_string(),
                offer_key: Some(convert::offer_key_to_wire(&offer.key)),
                coach_id: coach.id.to_string(),
                idempotency_key: String::new(),
            };
            tokio::spawn(async move {
                PlacementServiceClient::new(channel).create_referral(after(request, coach_seq)).await
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => winners += 1,
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
    }
    assert_eq!(winners, 1, "6 of 8 free hours: exactly one referral fits, whichever replica took it");

    // SIGKILL A under write load: what A acknowledged is at B, and A catches up on restart.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let (channel, acknowledged) = (channel_a.clone(), acknowledged.clone());
        tokio::spawn(async move {
            let mut client = ParticipantServiceClient::new(channel);
            for index in 1_000.. {
                let person = synth.participant(index);
                match client.upsert_participant(convert::participant_to_wire(&person)).await {
                    Ok(reply) => acknowledged.lock().unwrap().push((person, reply.into_inner().seq)),
                    Err(_) => return,
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    a.kill();
    let _ = writer.await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty(), "nothing was written before the kill");
    let last_seq = acknowledged.iter().map(|(_, seq)| *seq).max().unwrap();
    let mut participants_b = ParticipantServiceClient::new(channel_b.clone());
    for (person, _) in &acknowledged {
        let stored = participants_b.get_participant(ParticipantRef { id: person.id.to_string() }).await.unwrap();
        assert_eq!(convert::participant(stored.into_inner()).unwrap(), *person);
        matching_b.explain_match(after(explain(person, &offer), last_seq)).await.unwrap();
    }
    a.restart();
    let channel_a = a.channel().await;
    let mut matching_a = MatchingServiceClient::new(channel_a.clone());
    for (person, _) in &acknowledged {
        matching_a.explain_match(after(explain(person, &offer), last_seq)).await.unwrap();
    }

    // The database stops: UNAVAILABLE, nothing half-written; it comes back by itself.
    cluster.stop_server().unwrap();
    let lost = synth.participant(5_000);
    let status = ParticipantServiceClient::new(channel_a.clone())
        .upsert_participant(convert::participant_to_wire(&lost))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    cluster.start_server().unwrap();
    let back = synth.participant(5_001);
    let deadline = Instant::now() + Duration::from_secs(20);
    let seq = loop {
        match ParticipantServiceClient::new(channel_a.clone())
            .upsert_participant(convert::participant_to_wire(&back))
            .await
        {
            Ok(reply) => break reply.into_inner().seq,
            Err(status) => {
                assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                assert!(Instant::now() < deadline, "writes did not resume after the database came back");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    matching_b.explain_match(after(explain(&back, &offer), seq)).await.unwrap();
    let status = participants_b.get_participant(ParticipantRef { id: lost.id.to_string() }).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "the write refused during the outage is not stored");
}
