//! `pomost-bench placement`: the placement cycle through gRPC on a loaded dataset.
//!
//! 1. Push to watch: units with the most people each hold a WatchMatches stream; offers are
//!    pushed one at a time into their powiats, and the time from sending an offer to each
//!    watcher receiving its match is recorded (p50/p99).
//! 2. Referral throughput: referrals made and moved (sent, interview) by concurrent clients.
//! 3. Coach over-commitment in a simulated month of one labour office (new offers in the
//!    powiats of the three busiest units): for each new offer the top candidate of its
//!    shortlist is taken with the suggested job coach. With reservations off (nothing
//!    records the referral, as before referrals existed) every shortlist sees each coach's
//!    full capacity; with reservations on each one is referred with its coach. The sum over
//!    coaches of the hours given beyond their free capacity is compared.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use pomost::convert;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::offer_service_client::OfferServiceClient;
use pomost::proto::placement_service_client::PlacementServiceClient;
use pomost::proto::{
    CreateReferralRequest, MoveReferralRequest, ReferralState, ShortlistRequest, UpsertOfferRequest,
    WatchMatchesRequest, shortlist_request,
};
use pomost_domain::{Location, Offer, Workplace};
use pomost_synth::{POWIATS, Synth};
use serde::Serialize;
use time::{Date, Duration as Days};
use tokio::sync::Mutex;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::results::Latency;
use crate::run::{RunOptions, connect, load, start_server};

/// What to measure.
#[derive(Debug, Clone)]
pub struct PlacementOptions {
    /// Dataset and server.
    pub run: RunOptions,
    /// Units holding a watch.
    pub watchers: usize,
    /// Offers pushed for the watch latency.
    pub pushes: usize,
    /// Referrals made (and each moved twice) for the throughput.
    pub referrals: usize,
    /// Clients in flight for the throughput.
    pub concurrency: usize,
    /// New offers in the simulated month.
    pub month_offers: usize,
}

/// Coach hours given out in the simulated month.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Commitment {
    /// Offers whose top candidate came with a suggested coach.
    pub placements_with_coach: usize,
    /// Distinct people among them (the strongest few are top for many offers).
    pub distinct_people: usize,
    /// Referrals the service refused (only with reservations on).
    pub refused: usize,
    /// Coaches given more hours than they had free.
    pub coaches_over: usize,
    /// Hours given beyond free capacity, summed over coaches.
    pub hours_over: f64,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct PlacementResult {
    /// Commit measured.
    pub commit: String,
    /// Participants loaded.
    pub participants: usize,
    /// Coaches loaded.
    pub coaches: usize,
    /// Watching units and their members.
    pub watchers: Vec<(String, usize)>,
    /// Offers pushed / matches received by watchers.
    pub pushes: usize,
    /// Matches received.
    pub matches_received: u64,
    /// Offer push sent to a watcher receiving its match.
    pub push_to_match: Latency,
    /// Referrals made per second.
    pub referrals_per_second: f64,
    /// Referral moves per second.
    pub moves_per_second: f64,
    /// Latency of one referral move.
    pub move_latency: Latency,
    /// The simulated month with reservations off.
    pub month_without_reservations: Commitment,
    /// The same month with reservations on.
    pub month_with_reservations: Commitment,
}

impl PlacementResult {
    /// A summary to print.
    pub fn markdown(&self) -> String {
        let month = |c: &Commitment| {
            format!(
                "{} placements with a coach ({} people), {} refused, {} coaches over capacity by {:.0} h/week in all",
                c.placements_with_coach, c.distinct_people, c.refused, c.coaches_over, c.hours_over
            )
        };
        format!(
            "placement ({} participants, {} coaches, commit {})\n\
             push → match at a watcher ({} units watching, {} offers, {} matches): p50 {:.1} ms, p99 {:.1} ms\n\
             referrals: {:.0} made/s, {:.0} moves/s (move p50 {:.2} ms, p99 {:.2} ms)\n\
             month without reservations: {}\n\
             month with reservations:    {}",
            self.participants,
            self.coaches,
            self.commit,
            self.watchers.len(),
            self.pushes,
            self.matches_received,
            self.push_to_match.p50_ms,
            self.push_to_match.p99_ms,
            self.referrals_per_second,
            self.moves_per_second,
            self.move_latency.p50_ms,
            self.move_latency.p99_ms,
            month(&self.month_without_reservations),
            month(&self.month_with_reservations)
        )
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!("fixed bounds"))
}

/// An open offer in a powiat, accepting an external coach and naming no mentor.
fn offer_in(synth: &Synth, number: usize, source: &str, teryt: &str, today: Date) -> Offer {
    let mut offer = synth.offer(30_000_000 + number);
    offer.key.source = source.into();
    offer.key.external_id = format!("{source}-{number}");
    let powiat = POWIATS.iter().find(|powiat| powiat.teryt == teryt).unwrap_or(&POWIATS[number % POWIATS.len()]);
    if let (Ok(teryt), Ok(point)) =
        (pomost_domain::TerytCode::parse(powiat.teryt), pomost_domain::GeoPoint::new(powiat.lat, powiat.lon))
    {
        offer.workplace = Workplace::OnSite(Location { teryt, point });
    }
    offer.valid_from = today - Days::days(1);
    offer.valid_until = today + Days::days(60);
    offer.positions = 1_000;
    offer.night_work = false;
    offer.overtime = false;
    offer.weekly_hours = 30.0;
    offer.daily_hours = 6.0;
    offer.employer_mentor = false;
    offer.accepts_external_coach = true;
    offer.min_stage = pomost_domain::Stage::SocialActivation;
    offer.adaptation_weeks = 0;
    offer
}

async fn push(channel: &Channel, offer: &Offer) -> Result<(), String> {
    OfferServiceClient::new(channel.clone())
        .upsert_offer(UpsertOfferRequest { offer: Some(convert::offer_to_wire(offer)) })
        .await
        .map(|_| ())
        .map_err(|status| status.to_string())
}

/// The units with the most people, with their powiat (the unit id ends in it).
fn busiest_units(options: &RunOptions, today: Date, count: usize) -> Vec<(String, usize)> {
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for person in Synth::new(options.seed, today).participants(options.participants) {
        *sizes.entry(person.unit_id).or_default() += 1;
    }
    let mut units: Vec<(String, usize)> = sizes.into_iter().collect();
    units.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    units.truncate(count);
    units
}

async fn watch_latency(
    channel: &Channel,
    options: &PlacementOptions,
    units: &[(String, usize)],
    today: Date,
) -> Result<(Latency, u64), String> {
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies = Arc::new(Mutex::new(histogram()));
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (unit, _) in units {
        let mut stream = PlacementServiceClient::new(channel.clone())
            .watch_matches(WatchMatchesRequest { unit_id: unit.clone(), min_score: 0.0, k: 5, after_seq: 0 })
            .await
            .map_err(|status| status.to_string())?
            .into_inner();
        let (sent, latencies, received) = (sent.clone(), latencies.clone(), received.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                if event.heartbeat {
                    continue;
                }
                let arrived = Instant::now();
                let key = event.offer.and_then(|offer| offer.key).map(|key| key.external_id).unwrap_or_default();
                if let Some(at) = sent.lock().await.get(&key) {
                    let _ = latencies.lock().await.record(arrived.duration_since(*at).as_micros().max(1) as u64);
                    received.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let synth = Synth::new(options.run.seed, today);
    for number in 0..options.pushes {
        let unit = &units[number % units.len()].0;
        let teryt = unit.rsplit('-').next().unwrap_or("1261");
        let offer = offer_in(&synth, number, "bench-watch", teryt, today);
        sent.lock().await.insert(offer.key.external_id.clone(), Instant::now());
        push(channel, &offer).await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for task in tasks {
        task.abort();
    }
    let latencies = latencies.lock().await;
    Ok((Latency::from_micros(&latencies), received.load(std::sync::atomic::Ordering::Relaxed)))
}

/// Makes `count` referrals to one wide offer and moves each to sent and interview, with
/// `concurrency` clients: (made/s, moves/s, move latency).
async fn referral_throughput(
    channel: &Channel,
    options: &PlacementOptions,
    today: Date,
) -> Result<(f64, f64, Latency), String> {
    let synth = Synth::new(options.run.seed, today);
    let mut wide = offer_in(&synth, 0, "bench-referrals", "1465", today);
    wide.workplace = Workplace::Remote;
    wide.positions = 100_000;
    push(channel, &wide).await?;
    let ids: Vec<String> = Synth::new(options.run.seed, today)
        .participants(options.referrals.min(options.run.participants))
        .map(|person| person.id.to_string())
        .collect();
    let key = convert::offer_key_to_wire(&wide.key);
    let chunks: Vec<Vec<String>> =
        ids.chunks(ids.len().div_ceil(options.concurrency.max(1)).max(1)).map(<[String]>::to_vec).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in chunks.clone() {
        let (channel, key) = (channel.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = PlacementServiceClient::new(channel);
            let mut made = Vec::new();
            for participant_id in chunk {
                let request = CreateReferralRequest {
                    participant_id,
                    offer_key: Some(key.clone()),
                    coach_id: String::new(),
                    idempotency_key: String::new(),
                };
                if let Ok(reply) = client.create_referral(request).await
                    && let Some(referral) = reply.into_inner().referral
                {
                    made.push(referral.id);
                }
            }
            made
        }));
    }
    let mut made = Vec::new();
    for task in tasks {
        made.push(task.await.map_err(|error| error.to_string())?);
    }
    let made_per_second = made.iter().map(Vec::len).sum::<usize>() as f64 / started.elapsed().as_secs_f64();
    let latencies = Arc::new(Mutex::new(histogram()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in made {
        let (channel, latencies) = (channel.clone(), latencies.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = PlacementServiceClient::new(channel);
            let mut moves = 0usize;
            for id in chunk {
                for to in [ReferralState::SentToEmployer, ReferralState::Interview] {
                    let sent = Instant::now();
                    let request = MoveReferralRequest { referral_id: id.clone(), to: to as i32, ..Default::default() };
                    if client.move_referral(request).await.is_ok() {
                        moves += 1;
                        let _ = latencies.lock().await.record(sent.elapsed().as_micros().max(1) as u64);
                    }
                }
            }
            moves
        }));
    }
    let mut moves = 0;
    for task in tasks {
        moves += task.await.map_err(|error| error.to_string())?;
    }
    let moves_per_second = moves as f64 / started.elapsed().as_secs_f64();
    let latency = Latency::from_micros(&*latencies.lock().await);
    Ok((made_per_second, moves_per_second, latency))
}

/// One simulated month: the top candidate of each new offer with its suggested coach;
/// referred (reservations on) or only counted (off).
async fn month(
    channel: &Channel,
    options: &PlacementOptions,
    today: Date,
    reserve: bool,
    powiats: &[&str],
    free_hours: &HashMap<String, f32>,
    hours_needed: &HashMap<String, f32>,
) -> Result<Commitment, String> {
    let synth = Synth::new(options.run.seed + 1, today);
    let source = if reserve { "bench-month-on" } else { "bench-month-off" };
    let mut matching = MatchingServiceClient::new(channel.clone());
    let mut placement = PlacementServiceClient::new(channel.clone());
    let mut given: BTreeMap<String, f64> = BTreeMap::new();
    let mut people = std::collections::HashSet::new();
    let mut result = Commitment::default();
    for number in 0..options.month_offers {
        let offer = offer_in(&synth, number, source, powiats[number % powiats.len()], today);
        push(channel, &offer).await?;
        let key = convert::offer_key_to_wire(&offer.key);
        let request = ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
            k: 1,
            as_of: String::new(),
            ..Default::default()
        };
        let Ok(list) = matching.shortlist(request).await else { continue };
        let Some(top) = list.into_inner().candidates.into_iter().next() else { continue };
        if top.suggested_coach_id.is_empty() {
            continue;
        }
        result.placements_with_coach += 1;
        let hours = f64::from(hours_needed.get(&top.participant_id).copied().unwrap_or(0.0));
        if reserve {
            let request = CreateReferralRequest {
                participant_id: top.participant_id.clone(),
                offer_key: Some(key),
                coach_id: top.suggested_coach_id.clone(),
                idempotency_key: String::new(),
            };
            if placement.create_referral(request).await.is_err() {
                result.refused += 1;
                continue;
            }
        }
        people.insert(top.participant_id.clone());
        *given.entry(top.suggested_coach_id).or_default() += hours;
    }
    result.distinct_people = people.len();
    for (coach, hours) in given {
        let free = f64::from(free_hours.get(&coach).copied().unwrap_or(0.0));
        if hours > free + 1e-6 {
            result.coaches_over += 1;
            result.hours_over += hours - free;
        }
    }
    Ok(result)
}

/// Runs the three measurements.
pub async fn measure(options: PlacementOptions) -> Result<PlacementResult, String> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut server = start_server(&options.run)?;
    let channel = connect(server.addr()).await?;
    load(&channel, &options.run, today, &[], &[]).await?;
    eprintln!("loaded {} participants", options.run.participants);
    let units = busiest_units(&options.run, today, options.watchers);
    let (push_to_match, matches_received) = watch_latency(&channel, &options, &units, today).await?;
    eprintln!("push → match p50 {:.1} ms p99 {:.1} ms", push_to_match.p50_ms, push_to_match.p99_ms);
    let (referrals_per_second, moves_per_second, move_latency) = referral_throughput(&channel, &options, today).await?;
    eprintln!("referrals {referrals_per_second:.0}/s, moves {moves_per_second:.0}/s");
    let synth = Synth::new(options.run.seed, today);
    let free_hours: HashMap<String, f32> =
        synth.coaches(options.run.coaches).map(|coach| (coach.id.to_string(), coach.free_hours())).collect();
    let hours_needed: HashMap<String, f32> = Synth::new(options.run.seed, today)
        .participants(options.run.participants)
        .filter(|person| person.coach_hours_per_week > 0.0)
        .map(|person| (person.id.to_string(), person.coach_hours_per_week))
        .collect();
    // One labour office's month: its offers fall in the powiats of the three busiest units.
    let powiats: Vec<&str> = units.iter().take(3).filter_map(|(unit, _)| unit.rsplit('-').next()).collect();
    let without = month(&channel, &options, today, false, &powiats, &free_hours, &hours_needed).await?;
    let with = month(&channel, &options, today, true, &powiats, &free_hours, &hours_needed).await?;
    server.stop();
    Ok(PlacementResult {
        commit: options.run.commit.clone(),
        participants: options.run.participants,
        coaches: options.run.coaches,
        watchers: units,
        pushes: options.pushes,
        matches_received,
        push_to_match,
        referrals_per_second,
        moves_per_second,
        move_latency,
        month_without_reservations: without,
        month_with_reservations: with,
    })
}
