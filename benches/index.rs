//! The offer index at scale: bulk indexing throughput, size on disk per offer, search
//! latency for a typical filtered query, a recommendation's candidates, and
//! push-to-searchable latency under group commit
//! while ingesting 1,000 offers/s. Prints its figures; run with
//! `cargo bench --bench index` (`POMOST_BENCH_OFFERS` sets the count, default 1,000,000).

use std::time::{Duration, Instant};

use pomost_domain::{ContractType, Offer, TerytCode};
use pomost_index::{IndexOptions, OfferIndex, SearchQuery};
use pomost_synth::Synth;
use time::macros::date;

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * share).round() as usize]
}

fn directory_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries.filter_map(Result::ok).filter_map(|entry| entry.metadata().ok()).map(|meta| meta.len()).sum()
        })
        .unwrap_or(0)
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let count: usize =
        std::env::var("POMOST_BENCH_OFFERS").ok().and_then(|text| text.parse().ok()).unwrap_or(1_000_000);
    let today = date!(2026 - 11 - 24);
    let synth = Synth::new(9, today);
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = IndexOptions { commit_max_changes: 100_000, ..IndexOptions::default() };
    let index = OfferIndex::open(dir.path(), options).expect("index");

    let offers: Vec<Offer> = synth.offers(count).collect();
    let started = Instant::now();
    for (position, offer) in offers.iter().enumerate() {
        index.upsert(offer, position as u64 + 1).expect("upsert");
    }
    index.flush().expect("flush");
    let elapsed = started.elapsed();
    println!(
        "bulk indexing: {count} offers in {:.1} s = {:.0} offers/s",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    println!("index size: {:.0} bytes/offer", directory_bytes(dir.path()) as f64 / count as f64);

    // Job boards push the same offers again as they change: each upsert first looks up the
    // version already indexed (a point lookup in the committed segments).
    let updates = count.min(100_000);
    let started = Instant::now();
    for (position, offer) in offers.iter().take(updates).enumerate() {
        let mut changed = offer.clone();
        changed.version += 1;
        index.upsert(&changed, (count + position) as u64 + 1).expect("upsert");
    }
    index.flush().expect("flush");
    let elapsed = started.elapsed();
    println!(
        "re-indexing changed offers: {updates} in {:.1} s = {:.0} offers/s",
        elapsed.as_secs_f64(),
        updates as f64 / elapsed.as_secs_f64()
    );

    let words = ["sprzątanie", "magazyn", "pomoc kuchenna", "opieka osób starszych", "szwaczka", "pranie", "dozorca"];
    let regions = ["12", "14", "1465", "1261", "22", "26"];
    let mut latencies = Vec::new();
    for round in 0..1_000 {
        let mut query = SearchQuery::text(words[round % words.len()], today);
        query.region = Some(TerytCode::parse(regions[round % regions.len()]).expect("code"));
        query.exclude_night_work = true;
        query.max_weekly_hours = Some(40.0);
        if round % 2 == 0 {
            query.contract_types = ContractType::EmploymentContract.into();
        }
        let started = Instant::now();
        let page = index.search(&query).expect("search");
        latencies.push(started.elapsed());
        std::hint::black_box(page);
    }
    latencies.sort();
    println!(
        "search (text + region + hours + night + contract, 20 hits): p50 {:.2?} p99 {:.2?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );

    // A recommendation's candidates (50, as for k = 10): the offers each person can take
    // up, ranked by their skills; found the fast way (the union of the skill terms,
    // filters from rows built per segment) and by the one filtered query that defines them.
    let people: Vec<_> = (0..2_000).map(|number| synth.participant(number * 397)).collect();
    for (way, fast) in [("skill terms' union", true), ("one filtered query", false)] {
        let mut latencies = Vec::new();
        for person in &people {
            let started = Instant::now();
            let found = if fast {
                index.candidates_for(person, 50, today)
            } else {
                index.candidates_by_one_query(person, 50, today)
            };
            latencies.push(started.elapsed());
            std::hint::black_box(found.expect("candidates"));
        }
        latencies.sort();
        println!(
            "recommendation candidates, {way} (50 per person, 2,000 people): p50 {:.2?} p99 {:.2?}",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        );
    }

    // Push-to-searchable at 1,000 offers/s for 10 s under the default group commit.
    let mut visible = Vec::new();
    let base_seq = (count + updates) as u64 + 1;
    let started = Instant::now();
    for position in 0..10_000u64 {
        let due = started + Duration::from_millis(position);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut offer = synth.offer(count + position as usize);
        offer.key.external_id = format!("live-{position}");
        let pushed = Instant::now();
        index.upsert(&offer, base_seq + position).expect("upsert");
        if position % 10 == 0 {
            assert!(index.wait_for(base_seq + position, Duration::from_secs(10)), "not visible in 10 s");
            visible.push(pushed.elapsed());
        }
    }
    visible.sort();
    println!(
        "push-to-searchable at 1,000 offers/s: p50 {:.0?} p99 {:.0?} max {:.0?}",
        percentile(&visible, 0.5),
        percentile(&visible, 0.99),
        visible.last().copied().unwrap_or_default()
    );
}
