//! The service end to end on loopback: start-up time with a large store, Shortlist
//! throughput and latency at 1 and 64 concurrent requests, and bulk offer ingest through
//! UpsertOffers. Prints its figures; run with `cargo bench --bench service`
//! (`POMOST_BENCH_PARTICIPANTS` and `POMOST_BENCH_OFFERS` set the sizes, default 1,000,000
//! each; `POMOST_BENCH_SECONDS` the length of each load phase, default 10).

use std::sync::Arc;
use std::time::{Duration, Instant};

use pomost::config::{Overrides, Settings};
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::offer_service_client::OfferServiceClient;
use pomost::proto::{ShortlistRequest, UpsertOfferRequest, shortlist_request};
use pomost_domain::{Offer, Participant};
use pomost_store::{SqliteOptions, SqliteStore, Store, Synchronous};
use pomost_synth::Synth;
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|text| text.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * share).round() as usize]
}

fn fill_store(dir: &std::path::Path, synth: Synth, participants: usize, offers: usize) {
    let store = SqliteStore::open(
        dir,
        SqliteOptions { synchronous: Synchronous::Normal, check_integrity: false, ..SqliteOptions::default() },
    )
    .expect("store");
    let started = Instant::now();
    let mut batch: Vec<Participant> = Vec::with_capacity(10_000);
    for participant in synth.participants(participants) {
        batch.push(participant);
        if batch.len() == 10_000 {
            store.upsert_participants(&batch).expect("write");
            batch.clear();
        }
    }
    store.upsert_participants(&batch).expect("write");
    store.upsert_coaches_for_bench(synth);
    let mut offer_batch: Vec<Offer> = Vec::with_capacity(10_000);
    for offer in synth.offers(offers) {
        offer_batch.push(offer);
        if offer_batch.len() == 10_000 {
            store.upsert_offers(&offer_batch).expect("write");
            offer_batch.clear();
        }
    }
    store.upsert_offers(&offer_batch).expect("write");
    println!("store filled: {participants} participants, {offers} offers in {:.1} s", started.elapsed().as_secs_f64());
}

trait BenchCoaches {
    fn upsert_coaches_for_bench(&self, synth: Synth);
}

impl BenchCoaches for SqliteStore {
    fn upsert_coaches_for_bench(&self, synth: Synth) {
        for coach in synth.coaches(5_000) {
            self.upsert_coach(&coach).expect("write");
        }
    }
}

struct Running {
    channel: Channel,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

async fn start(data_dir: &std::path::Path) -> (Running, Duration) {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(data_dir.to_owned()),
        log_json: false,
        demo: false,
    };
    let mut settings = Settings::load(&[], &overrides).expect("settings");
    settings.limits.max_k = 1_000;
    let listener = tokio::net::TcpListener::bind(settings.listen).await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let started = Instant::now();
    let task = tokio::spawn(pomost::server::run(settings, listener, async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{address}")).expect("uri").connect().await.expect("connect");
    loop {
        let reply = HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await;
        if reply.is_ok_and(|reply| reply.into_inner().status() == ServingStatus::Serving) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (Running { channel, stop, task }, started.elapsed())
}

async fn stop(running: Running) {
    let _ = running.stop.send(());
    running.task.await.expect("join").expect("clean stop");
}

async fn shortlist_load(channel: &Channel, offer: &pomost::proto::OfferKey, concurrency: usize, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    let started = Instant::now();
    for _ in 0..concurrency {
        let mut client = MatchingServiceClient::new(channel.clone());
        let offer = offer.clone();
        let latencies = latencies.clone();
        let errors = errors.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let request = ShortlistRequest {
                    offer: Some(shortlist_request::Offer::OfferKey(offer.clone())),
                    k: 50,
                    as_of: "2026-11-24".into(),
                    ..Default::default()
                };
                let sent = Instant::now();
                match client.shortlist(request).await {
                    Ok(_) => mine.push(sent.elapsed()),
                    Err(_) => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            latencies.lock().expect("lock").extend(mine);
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    let elapsed = started.elapsed();
    let mut latencies = std::mem::take(&mut *latencies.lock().expect("lock"));
    latencies.sort();
    println!(
        "Shortlist k=50 regional, concurrency {concurrency}: {:.0} req/s, p50 {:.2?}, p99 {:.2?}, errors {}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        errors.load(std::sync::atomic::Ordering::Relaxed)
    );
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let participants = env_number("POMOST_BENCH_PARTICIPANTS", 1_000_000);
    let offers = env_number("POMOST_BENCH_OFFERS", 1_000_000);
    let seconds = env_number("POMOST_BENCH_SECONDS", 10) as u64;
    let today = time::macros::date!(2026 - 11 - 24);
    let synth = Synth::new(11, today);
    let dir = tempfile::tempdir().expect("temporary directory");
    fill_store(dir.path(), synth, participants, offers);

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let (running, first) = start(dir.path()).await;
        println!("first start (loads the pool, indexes every offer): {:.1} s", first.as_secs_f64());
        stop(running).await;
        let (running, second) = start(dir.path()).await;
        println!("restart after a clean stop (pool from its snapshot, index caught up): {:.2} s", second.as_secs_f64());
        stop(running).await;
        // As after a crash: no snapshot, the pool comes from the store.
        std::fs::remove_file(dir.path().join(pomost_engine::POOL_SNAPSHOT_FILE)).expect("a snapshot was left");
        let (running, third) = start(dir.path()).await;
        println!("start without a snapshot (as after a crash: pool from the store): {:.2} s", third.as_secs_f64());

        let regional = synth.regional_offer();
        OfferServiceClient::new(running.channel.clone())
            .upsert_offer(UpsertOfferRequest { offer: Some(pomost::convert::offer_to_wire(&regional)) })
            .await
            .expect("offer");
        let key = pomost::convert::offer_key_to_wire(&regional.key);
        shortlist_load(&running.channel, &key, 1, seconds).await;
        shortlist_load(&running.channel, &key, 64, seconds).await;

        let ingest = 100_000usize;
        let items: Vec<UpsertOfferRequest> = (0..ingest)
            .map(|index| {
                let mut offer = synth.offer(offers + index);
                offer.key.external_id = format!("ingest-{index}");
                UpsertOfferRequest { offer: Some(pomost::convert::offer_to_wire(&offer)) }
            })
            .collect();
        let started = Instant::now();
        let mut client = OfferServiceClient::new(running.channel.clone()).max_encoding_message_size(64 << 20);
        for chunk in items.chunks(10_000) {
            let reply = client.upsert_offers(tokio_stream::iter(chunk.to_vec())).await.expect("ingest").into_inner();
            assert_eq!(reply.written as usize, chunk.len());
        }
        let elapsed = started.elapsed();
        println!(
            "UpsertOffers ingest: {ingest} offers in {:.1} s = {:.0} offers/s (streams of 10,000, stored and indexed)",
            elapsed.as_secs_f64(),
            ingest as f64 / elapsed.as_secs_f64()
        );
        stop(running).await;
    });
}
