//! One benchmark run: start (or reach) a server, load a seeded dataset through the gRPC
//! APIs, run every workload at every concurrency for a fixed time, measure push-to-search
//! latency and ranking quality, and collect the figures.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use pomost::convert;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::offer_service_client::OfferServiceClient;
use pomost::proto::participant_service_client::ParticipantServiceClient;
use pomost::proto::{
    OfferKey, RecommendOffersRequest, SearchOffersRequest, ShortlistRequest, UpsertOfferRequest, shortlist_request,
};
use pomost_domain::{
    AccommodationSet, ContractSet, Disability, GeoPoint, Location, Offer, Participant, ParticipantId, SkillClaim,
    SkillLevel, SkillRequirement, Stage, TerytCode, Workplace,
};
use pomost_synth::{POWIATS, SKILL_GROUPS, Synth, skill_id};
use time::{Date, Duration as Days};
use tokio::sync::Mutex;
use tonic::transport::Channel;

use crate::quality::{ndcg_at_10, recall_at_10};
use crate::results::{Latency, Quality, RunResult, WorkloadResult};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// A running server, when the harness does not start one.
    pub addr: Option<String>,
    /// The `pomost` binary to start (with a fresh data directory); RSS is measured then.
    pub server: Option<PathBuf>,
    /// Participants to load.
    pub participants: usize,
    /// Offers to load.
    pub offers: usize,
    /// Coaches to load.
    pub coaches: usize,
    /// Seconds per workload and concurrency.
    pub seconds: f64,
    /// Concurrency levels.
    pub concurrency: Vec<usize>,
    /// Dataset seed.
    pub seed: u64,
    /// Commit being measured.
    pub commit: String,
    /// Only these workloads, by name (empty: all of them; `none`: only load).
    pub workloads: Vec<String>,
}

const PLANTED_OFFERS: usize = 20;
const PLANTED_PER_OFFER: usize = 5;
const WORDS: &[&str] = &["sprzątanie", "magazyn", "pomoc kuchenna", "opieka", "szwaczka", "pranie", "zieleń", "dane"];

pub(crate) struct Server {
    child: Option<Child>,
    _data: Option<tempfile::TempDir>,
    addr: String,
}

impl Server {
    /// The data directory of a server the harness started.
    pub(crate) fn data_dir(&self) -> Option<&std::path::Path> {
        self._data.as_ref().map(tempfile::TempDir::path)
    }

    /// Stops the server and hands over its data directory (to start another on it).
    pub(crate) fn take_data(&mut self) -> Option<tempfile::TempDir> {
        self.stop();
        self._data.take()
    }

    /// The gRPC address.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn start_server(options: &RunOptions) -> Result<Server, String> {
    start_server_on(options, None)
}

/// Starts the server with its record in the PostgreSQL at `store_url` (a replica), or in
/// its own data directory when `None`.
pub(crate) fn start_server_on(options: &RunOptions, store_url: Option<&str>) -> Result<Server, String> {
    if let Some(binary) = &options.server {
        let data = tempfile::tempdir().map_err(|error| error.to_string())?;
        return spawn_server(binary, data, store_url);
    }
    let addr = options.addr.clone().unwrap_or_else(|| "http://127.0.0.1:50051".into());
    Ok(Server { child: None, _data: None, addr })
}

/// Starts `binary` on the data directory `data` (removed when the server is dropped), with
/// its record in the PostgreSQL at `store_url` when given.
pub(crate) fn spawn_server(
    binary: &std::path::Path,
    data: tempfile::TempDir,
    store_url: Option<&str>,
) -> Result<Server, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|error| error.to_string())?
        .port();
    let mut command = Command::new(binary);
    if let Some(url) = store_url {
        command.env("POMOST_STORE__URL", url);
    }
    let child = command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
    Ok(Server { child: Some(child), _data: Some(data), addr: format!("http://127.0.0.1:{port}") })
}

pub(crate) async fn connect(addr: &str) -> Result<Channel, String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(endpoint) = Channel::from_shared(addr.to_owned())
            && let Ok(channel) = endpoint.connect().await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
            let request = tonic_health::pb::HealthCheckRequest { service: String::new() };
            if let Ok(reply) = health.check(request).await
                && reply.into_inner().status() == tonic_health::pb::health_check_response::ServingStatus::Serving
            {
                return Ok(channel);
            }
        }
        if Instant::now() > deadline {
            return Err(format!("{addr} did not become SERVING"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn bar(length: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(length as u64);
    if let Ok(style) =
        ProgressStyle::default_bar().template(&format!("{what:>12} {{bar:40}} {{pos}}/{{len}} {{per_sec}} eta {{eta}}"))
    {
        bar.set_style(style);
    }
    bar
}

/// The planted world: offers with a rare combination of skills, and for each a few people
/// who fit them exactly and live next door.
struct Planted {
    offers: Vec<Offer>,
    /// Each planted offer with the ids of its planted matches.
    truth: Vec<(OfferKey, Vec<String>)>,
    people: Vec<Participant>,
}

fn planted(today: Date) -> Planted {
    let synth = Synth::new(77, today);
    let mut offers = Vec::new();
    let mut truth = Vec::new();
    let mut people = Vec::new();
    for index in 0..PLANTED_OFFERS {
        let powiat = &POWIATS[(index * 7) % POWIATS.len()];
        let place = Location {
            teryt: TerytCode::parse(powiat.teryt).unwrap_or_else(|_| unreachable!("fixed powiat list")),
            point: GeoPoint::new(powiat.lat, powiat.lon).unwrap_or_else(|_| unreachable!("fixed powiat list")),
        };
        let skills: Vec<_> =
            (0..3).map(|offset| SKILL_GROUPS[(index + offset * 3) % SKILL_GROUPS.len()].skills[offset % 2]).collect();
        let mut offer = synth.offer(index);
        offer.key.source = "bench-planted".into();
        offer.key.external_id = format!("planted-{index:02}");
        offer.workplace = Workplace::OnSite(place);
        offer.required_skills = skills
            .iter()
            .map(|code| SkillRequirement { skill: skill_id(code), min_level: SkillLevel::new(3).ok(), weight: 1.0 })
            .collect();
        offer.nice_to_have_skills.clear();
        offer.night_work = false;
        offer.overtime = false;
        offer.positions = 5;
        offer.valid_from = today - Days::days(1);
        offer.valid_until = today + Days::days(60);
        let mut ids = Vec::new();
        // Next to each planted match live two decoys identical but for their skills: one
        // with all three at level 1, one with only two of them. Only a ranking that weighs
        // skills and levels right puts the planted five first.
        let kinds = [("planted", [3u8, 3, 3]), ("decoy-low", [1, 1, 1]), ("decoy-partial", [3, 3, 0])];
        for (kind, levels) in kinds {
            for person in 0..PLANTED_PER_OFFER {
                let mut fit = synth.participant(index * 100 + person);
                fit.id = ParticipantId::new(format!("{kind}-{index:02}-{person}"))
                    .unwrap_or_else(|_| unreachable!("fixed id"));
                fit.skills = skills
                    .iter()
                    .zip(levels)
                    .filter(|(_, level)| *level > 0)
                    .map(|(code, level)| SkillClaim { skill: skill_id(code), level: SkillLevel::new(level).ok() })
                    .collect();
                fit.stage = Stage::OpenMarket;
                fit.disability = Disability::default();
                fit.accommodations_required = AccommodationSet::empty();
                fit.accommodations_preferred = AccommodationSet::empty();
                fit.coach_hours_per_week = 0.0;
                fit.home = Location {
                    teryt: place.teryt,
                    point: GeoPoint::new(powiat.lat + 0.002 * person as f64, powiat.lon)
                        .unwrap_or_else(|_| unreachable!()),
                };
                fit.max_commute_km = 30.0;
                fit.available_hours_per_week = offer.weekly_hours;
                fit.preferred_contracts = ContractSet::from(offer.contract_type);
                fit.registered_since = today - Days::days(3 * 365);
                fit.consent_to_matching = true;
                if kind == "planted" {
                    ids.push(fit.id.to_string());
                }
                people.push(fit);
            }
        }
        truth.push((convert::offer_key_to_wire(&offer.key), ids));
        offers.push(offer);
    }
    Planted { offers, truth, people }
}

/// Records per bulk stream the harness sends.
const BULK_STREAM: usize = 5_000;

/// The result of a finished load task.
fn joined(done: Option<Result<Result<(), String>, tokio::task::JoinError>>) -> Result<(), String> {
    match done {
        Some(Ok(result)) => result,
        Some(Err(error)) => Err(format!("load task failed: {error}")),
        None => Ok(()),
    }
}

/// `items` cut into batches of one bulk stream each.
fn in_batches<T>(items: impl Iterator<Item = T>) -> Vec<Vec<T>> {
    let mut items = items.peekable();
    let mut batches = Vec::new();
    while items.peek().is_some() {
        batches.push(items.by_ref().take(BULK_STREAM).collect());
    }
    batches
}

/// Sends each batch with `send` (one bulk stream each), two streams in flight, counting
/// the items sent on `progress`.
async fn two_in_flight<T, Call>(
    batches: Vec<Vec<T>>,
    progress: &ProgressBar,
    send: impl Fn(Vec<T>) -> Call,
) -> Result<(), String>
where
    Call: std::future::Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let mut in_flight = tokio::task::JoinSet::new();
    for items in batches {
        while in_flight.len() >= 2 {
            joined(in_flight.join_next().await)?;
        }
        let sent = items.len() as u64;
        let call = send(items);
        let progress = progress.clone();
        in_flight.spawn(async move {
            call.await.map_err(|status| status.to_string())?;
            progress.inc(sent);
            Ok::<(), String>(())
        });
    }
    while let Some(done) = in_flight.join_next().await {
        joined(Some(done))?;
    }
    Ok(())
}

/// Loads the seeded dataset (with `extra_people` and `extra_offers`) through the bulk
/// streams and waits until the last offer is searchable; returns the time that took,
/// without the time spent generating the data and putting it in wire form.
pub(crate) async fn load(
    channel: &Channel,
    options: &RunOptions,
    today: Date,
    extra_people: &[Participant],
    extra_offers: &[Offer],
) -> Result<Duration, String> {
    let synth = Synth::new(options.seed, today);
    let mut participants = ParticipantServiceClient::new(channel.clone());
    let coaches: Vec<_> = synth.coaches(options.coaches).map(|coach| convert::coach_to_wire(&coach)).collect();
    let started = std::time::Instant::now();
    for chunk in coaches.chunks(5_000) {
        let reply = participants
            .upsert_job_coaches(tokio_stream::iter(chunk.to_vec()))
            .await
            .map_err(|status| status.to_string())?
            .into_inner();
        if reply.rejected > 0 {
            return Err(format!("{} synthetic coaches rejected", reply.rejected));
        }
    }
    eprintln!("loaded {} job coaches in {:.3} s (bulk stream)", coaches.len(), started.elapsed().as_secs_f64());
    let total = options.participants + extra_people.len();
    // The people (and below the offers) are generated and put in their wire form before the
    // clock starts: the load times the service taking them in, not the synthetic generator
    // (about 2 s of the two cores' time for 1,000,000 people, which an integrator reading
    // a register from a file does not spend on the service's machine).
    let generating = std::time::Instant::now();
    let batches = in_batches(
        synth
            .participants(options.participants)
            .chain(extra_people.iter().cloned())
            .map(|person| convert::participant_to_wire(&person)),
    );
    let mut untimed = generating.elapsed();
    eprintln!("generated {total} participants in {:.1} s (not timed)", untimed.as_secs_f64());
    let people_started = std::time::Instant::now();
    let progress = bar(total, "participants");
    // Two streams in flight, as an integrator loading a register would: the server checks
    // one while it writes the other.
    let bulk = ParticipantServiceClient::new(channel.clone()).max_encoding_message_size(256 << 20);
    two_in_flight(batches, &progress, |items| {
        let mut client = bulk.clone();
        async move { client.upsert_participants(tokio_stream::iter(items)).await.map(drop) }
    })
    .await?;
    progress.finish_and_clear();
    eprintln!(
        "loaded {total} participants in {:.1} s (bulk streams, two in flight)",
        people_started.elapsed().as_secs_f64()
    );
    let progress = bar(options.offers + extra_offers.len() + 2, "offers");
    let mut offers = OfferServiceClient::new(channel.clone()).max_encoding_message_size(256 << 20);
    let generating = std::time::Instant::now();
    let all: Vec<Offer> = synth
        .offers(options.offers)
        .chain(extra_offers.iter().cloned())
        .chain([synth.regional_offer(), synth.remote_offer()])
        .collect();
    let batches = in_batches(all.iter().map(|offer| UpsertOfferRequest { offer: Some(convert::offer_to_wire(offer)) }));
    untimed += generating.elapsed();
    let offers_started = std::time::Instant::now();
    two_in_flight(batches, &progress, |items| {
        let mut client = offers.clone();
        async move { client.upsert_offers(tokio_stream::iter(items)).await.map(drop) }
    })
    .await?;
    progress.finish_and_clear();
    eprintln!(
        "stored {} offers in {:.1} s (bulk streams, two in flight; searchable soon after)",
        all.len(),
        offers_started.elapsed().as_secs_f64()
    );
    // Wait until the last offer is searchable, so every workload sees the whole dataset: it
    // is then the newest. On a server that already held this dataset nothing was changed,
    // so the newest offer is another one and stays so: the wait ends when it has not moved
    // for five seconds.
    let last = all.last().map(|offer| convert::offer_key_to_wire(&offer.key));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut newest = None;
    let mut newest_since = Instant::now();
    while last.is_some() {
        let top = offers
            .search_offers(SearchOffersRequest { text: String::new(), limit: 1, ..Default::default() })
            .await
            .map_err(|status| status.to_string())?
            .into_inner()
            .hits
            .into_iter()
            .next()
            .and_then(|hit| hit.offer.and_then(|offer| offer.key));
        if top == last || Instant::now() > deadline {
            break;
        }
        if top != newest {
            newest = top;
            newest_since = Instant::now();
        } else if newest_since.elapsed() > Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(started.elapsed().saturating_sub(untimed))
}

/// The requests a workload sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Workload {
    ShortlistRegional,
    ShortlistNational,
    Recommend,
    Search,
    Mixed,
    Ingest,
    /// One new offer per request (not in `ALL`: the replica measurement's write load).
    UpsertOffer,
}

impl Workload {
    const ALL: [Workload; 6] = [
        Workload::ShortlistRegional,
        Workload::ShortlistNational,
        Workload::Recommend,
        Workload::Search,
        Workload::Mixed,
        Workload::Ingest,
    ];

    /// Every workload `--workloads` can name: the default set and single-offer writes (one
    /// new offer per call, where concurrent writers share the store's log syncs).
    fn named() -> impl Iterator<Item = Workload> {
        Workload::ALL.into_iter().chain([Workload::UpsertOffer])
    }

    fn name(self) -> &'static str {
        match self {
            Workload::ShortlistRegional => "shortlist_regional",
            Workload::ShortlistNational => "shortlist_national",
            Workload::Recommend => "recommend",
            Workload::Search => "search",
            Workload::Mixed => "mixed",
            Workload::Ingest => "ingest",
            Workload::UpsertOffer => "upsert_offer",
        }
    }
}

pub(crate) struct Context {
    pub(crate) channel: Channel,
    pub(crate) regional: Vec<OfferKey>,
    pub(crate) national: OfferKey,
    pub(crate) participants: usize,
    pub(crate) today: Date,
    pub(crate) synth: Synth,
    pub(crate) fresh: AtomicUsize,
}

/// The shared state of the workloads: the offers they rank and the generator of fresh ones.
pub(crate) fn context(channel: Channel, options: &RunOptions, today: Date) -> Context {
    let synth = Synth::new(options.seed, today);
    let mut regional: Vec<OfferKey> = vec![convert::offer_key_to_wire(&synth.regional_offer().key)];
    regional.extend(
        synth
            .offers(options.offers.min(2_000))
            .filter(|offer| offer.location().is_some() && offer.is_open_on(today))
            .take(49)
            .map(|offer| convert::offer_key_to_wire(&offer.key)),
    );
    Context {
        channel: channel.clone(),
        regional,
        national: convert::offer_key_to_wire(&synth.remote_offer().key),
        participants: options.participants,
        today,
        synth,
        fresh: AtomicUsize::new(0),
    }
}

/// Sends one request of the workload; returns the items it carried (1, or offers ingested).
async fn one_request(context: &Context, workload: Workload, worker: usize, round: usize) -> Result<u64, tonic::Status> {
    let as_of = context.today.to_string();
    let mut matching = MatchingServiceClient::new(context.channel.clone());
    let mut offers = OfferServiceClient::new(context.channel.clone());
    let shortlist = |key: OfferKey| ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(key)),
        k: 50,
        as_of: as_of.clone(),
        ..Default::default()
    };
    match workload {
        Workload::ShortlistRegional => {
            let key = context.regional[(worker * 31 + round) % context.regional.len()].clone();
            matching.shortlist(shortlist(key)).await.map(|_| 1)
        }
        Workload::ShortlistNational => matching.shortlist(shortlist(context.national.clone())).await.map(|_| 1),
        Workload::Recommend => {
            let index = (worker * 7_919 + round * 104_729) % context.participants.max(1);
            let id = context.synth.participant(index).id.to_string();
            matching
                .recommend_offers(RecommendOffersRequest { participant_id: id, k: 10, text: String::new(), as_of })
                .await
                .map(|_| 1)
        }
        Workload::Search => {
            let request = SearchOffersRequest {
                text: WORDS[(worker + round) % WORDS.len()].into(),
                region: ["12", "14", "22", "26"][round % 4].into(),
                exclude_night_work: true,
                max_weekly_hours: 40.0,
                open_on: as_of,
                ..Default::default()
            };
            offers.search_offers(request).await.map(|_| 1)
        }
        Workload::Mixed => {
            if round % 5 == 4 {
                let offer = fresh_offer(context);
                offers.upsert_offer(UpsertOfferRequest { offer: Some(convert::offer_to_wire(&offer)) }).await.map(|_| 1)
            } else {
                let key = context.regional[(worker * 31 + round) % context.regional.len()].clone();
                matching.shortlist(shortlist(key)).await.map(|_| 1)
            }
        }
        Workload::UpsertOffer => {
            let offer = fresh_offer(context);
            offers.upsert_offer(UpsertOfferRequest { offer: Some(convert::offer_to_wire(&offer)) }).await.map(|_| 1)
        }
        Workload::Ingest => {
            let items: Vec<UpsertOfferRequest> = (0..500)
                .map(|_| UpsertOfferRequest { offer: Some(convert::offer_to_wire(&fresh_offer(context))) })
                .collect();
            let reply = offers.max_encoding_message_size(64 << 20).upsert_offers(tokio_stream::iter(items)).await?;
            Ok(u64::from(reply.into_inner().written))
        }
    }
}

pub(crate) fn fresh_offer(context: &Context) -> Offer {
    let number = context.fresh.fetch_add(1, Ordering::Relaxed);
    let mut offer = context.synth.offer(10_000_000 + number);
    offer.key.source = "bench-fresh".into();
    offer.key.external_id = format!("fresh-{number}");
    offer
}

pub(crate) async fn run_workload(
    context: Arc<Context>,
    workload: Workload,
    concurrency: usize,
    seconds: f64,
) -> WorkloadResult {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let histogram =
        Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!())));
    let errors = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let items = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (context, histogram, errors, items) = (context.clone(), histogram.clone(), errors.clone(), items.clone());
        workers.push(tokio::spawn(async move {
            let mut round = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match one_request(&context, workload, worker, round).await {
                    Ok(carried) => {
                        let micros = sent.elapsed().as_micros().clamp(1, 600_000_000) as u64;
                        let _ = histogram.lock().await.record(micros);
                        items.fetch_add(carried as usize, Ordering::Relaxed);
                    }
                    Err(status) => *errors.lock().await.entry(format!("{:?}", status.code())).or_default() += 1,
                }
                round += 1;
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let histogram = histogram.lock().await;
    let errors = errors.lock().await.clone();
    WorkloadResult {
        workload: workload.name().into(),
        concurrency,
        seconds: elapsed,
        requests: histogram.len(),
        throughput: items.load(Ordering::Relaxed) as f64 / elapsed,
        latency: Latency::from_micros(&histogram),
        errors,
    }
}

async fn push_to_searchable(context: &Context, samples: usize) -> Latency {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!());
    let mut offers = OfferServiceClient::new(context.channel.clone());
    for sample in 0..samples {
        let mut offer = fresh_offer(context);
        let token = format!("pomiarx{sample}q{}", context.fresh.load(Ordering::Relaxed));
        offer.title = format!("Oferta {token}");
        let sent = Instant::now();
        if offers.upsert_offer(UpsertOfferRequest { offer: Some(convert::offer_to_wire(&offer)) }).await.is_err() {
            continue;
        }
        while sent.elapsed() < Duration::from_secs(30) {
            let found = offers
                .search_offers(SearchOffersRequest {
                    text: token.clone(),
                    open_on: context.today.to_string(),
                    ..Default::default()
                })
                .await
                .map(|reply| !reply.into_inner().hits.is_empty())
                .unwrap_or(false);
            if found {
                let _ = histogram.record(sent.elapsed().as_micros().max(1) as u64);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    Latency::from_micros(&histogram)
}

async fn quality(context: &Context, truth: &[(OfferKey, Vec<String>)]) -> Quality {
    let mut matching = MatchingServiceClient::new(context.channel.clone());
    let (mut recall, mut ndcg) = (0.0, 0.0);
    for (key, relevant) in truth {
        let request = ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
            k: 10,
            as_of: context.today.to_string(),
            ..Default::default()
        };
        let ranked: Vec<String> = match matching.shortlist(request).await {
            Ok(reply) => reply.into_inner().candidates.into_iter().map(|candidate| candidate.participant_id).collect(),
            Err(_) => Vec::new(),
        };
        recall += recall_at_10(&ranked, relevant);
        ndcg += ndcg_at_10(&ranked, relevant);
    }
    let count = truth.len().max(1) as f64;
    Quality {
        offers: truth.len(),
        planted_per_offer: PLANTED_PER_OFFER,
        recall_at_10: recall / count,
        ndcg_at_10: ndcg / count,
    }
}

pub(crate) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines().next().and_then(|line| line.split_whitespace().nth(1)).and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or("unknown memory".to_owned(), |kib| format!("{:.0} GiB", kib / 1024.0 / 1024.0));
    format!("{cores} cores, {memory}")
}

/// Runs everything and returns the figures.
pub async fn run(options: RunOptions) -> Result<RunResult, String> {
    // A misspelt workload would otherwise run nothing and say nothing.
    if let Some(unknown) = options
        .workloads
        .iter()
        .find(|name| *name != "none" && !Workload::named().any(|workload| workload.name() == name.as_str()))
    {
        let known: Vec<&str> = Workload::named().map(Workload::name).collect();
        return Err(format!("no workload is called {unknown:?}: {} (or none, to only load)", known.join(", ")));
    }
    let today = time::OffsetDateTime::now_utc().date();
    let mut server = start_server(&options)?;
    let channel = connect(&server.addr).await?;
    let rss_before_mib = server.rss_mib();
    let Planted { offers: planted_offers, truth, people: planted_people } = planted(today);
    let load_seconds = load(&channel, &options, today, &planted_people, &planted_offers).await?.as_secs_f64();
    let context = Arc::new(context(channel.clone(), &options, today));
    let quality = quality(&context, &truth).await;
    let mut workloads = Vec::new();
    for workload in Workload::named() {
        let named = options.workloads.iter().any(|name| name == workload.name());
        if (!options.workloads.is_empty() || !Workload::ALL.contains(&workload)) && !named {
            continue;
        }
        for &concurrency in &options.concurrency {
            let result = run_workload(context.clone(), workload, concurrency, options.seconds).await;
            eprintln!(
                "{:>20} c={:<3} {:>8.0}/s p50 {:>8.2} ms p99 {:>8.2} ms errors {:?}",
                result.workload,
                concurrency,
                result.throughput,
                result.latency.p50_ms,
                result.latency.p99_ms,
                result.errors
            );
            workloads.push(result);
        }
    }
    let push_to_searchable = push_to_searchable(&context, 30).await;
    let rss_after_mib = server.rss_mib();
    server.stop();
    Ok(RunResult {
        commit: options.commit,
        machine: machine(),
        date: today.to_string(),
        participants: options.participants,
        offers: options.offers,
        coaches: options.coaches,
        load_seconds,
        rss_before_mib,
        rss_after_mib,
        workloads,
        push_to_searchable,
        quality,
    })
}
