//! Criterion benchmarks of the pure scorer on a seeded synthetic world of 1,000,000
//! participants and 5,000 coaches: a regional shortlist (spread over every core, and kept to
//! one as under load, also over twenty on-site offers and over the load harness's fifty
//! regional ones), a remote national shortlist, a recommendation's scoring of one person
//! against 50 offers, and building the pool. Run with `cargo bench --bench scoring`; set `POMOST_BENCH_PARTICIPANTS`
//! for a smaller world.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pomost_domain::{Participant, Workplace};
use pomost_scoring::{ParticipantPool, ScanControl, ScoringPolicy, ShortlistRequest};
use pomost_synth::Synth;
use time::macros::date;

/// The allocator the server runs with (`src/main.rs`): a list's explanations are built on
/// the scan's threads, and with glibc's allocator the benchmark measured an allocator the
/// service does not use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn participants_wanted() -> usize {
    std::env::var("POMOST_BENCH_PARTICIPANTS").ok().and_then(|text| text.parse().ok()).unwrap_or(1_000_000)
}

fn scoring(criterion: &mut Criterion) {
    let today = date!(2026 - 11 - 24);
    let synth = Synth::new(7, today);
    let count = participants_wanted();
    let participants: Vec<Participant> = synth.participants(count).collect();
    let coaches: Vec<_> = synth.coaches(5_000).collect();
    let relatedness = pomost_synth::relatedness();
    let pool =
        ParticipantPool::build(&relatedness, participants.clone(), coaches.clone()).expect("synthetic data is valid");
    let stats = pool.stats();
    eprintln!(
        "pool: {} participants, {} bytes excluding strings, {:.1} bytes/participant",
        stats.participants,
        stats.bytes_excluding_strings,
        stats.bytes_excluding_strings as f64 / stats.participants as f64
    );
    let policy = ScoringPolicy::default();
    let regional = synth.regional_offer();
    let remote = synth.remote_offer();

    let mut group = criterion.benchmark_group("shortlist_1m");
    group.bench_function("regional_k50", |bencher| {
        let request = ShortlistRequest { offer: &regional, k: 50, today };
        bencher.iter(|| black_box(pool.shortlist(&policy, &request).expect("valid offer")));
    });
    // The path under load: each scan keeps to its core (one thread, so instruction counts
    // under callgrind repeat exactly), on the Kraków offer and on twenty on-site offers
    // across the country in turn.
    group.bench_function("regional_k50_one_core", |bencher| {
        let request = ShortlistRequest { offer: &regional, k: 50, today };
        bencher.iter(|| {
            black_box(pool.shortlist_until(&policy, &request, &ScanControl::on_one_core()).expect("valid offer"))
        });
    });
    let on_site: Vec<_> =
        synth.offers(200).filter(|offer| matches!(offer.workplace, Workplace::OnSite(_))).take(20).collect();
    group.bench_function("twenty_on_site_k50_one_core", |bencher| {
        bencher.iter(|| {
            for offer in &on_site {
                let request = ShortlistRequest { offer, k: 50, today };
                black_box(pool.shortlist_until(&policy, &request, &ScanControl::on_one_core()).expect("valid offer"));
            }
        });
    });
    // The harness's regional workload (`pomost-bench run`): the Kraków offer and the first
    // 49 open offers with a workplace, big cities among them, in turn on one core.
    let regional_mix: Vec<_> = std::iter::once(synth.regional_offer())
        .chain(synth.offers(2_000).filter(|offer| offer.location().is_some() && offer.is_open_on(today)).take(49))
        .collect();
    group.bench_function("fifty_regional_k50_one_core", |bencher| {
        bencher.iter(|| {
            for offer in &regional_mix {
                let request = ShortlistRequest { offer, k: 50, today };
                black_box(pool.shortlist_until(&policy, &request, &ScanControl::on_one_core()).expect("valid offer"));
            }
        });
    });
    group.bench_function("remote_national_k50", |bencher| {
        let request = ShortlistRequest { offer: &remote, k: 50, today };
        bencher.iter(|| black_box(pool.shortlist(&policy, &request).expect("valid offer")));
    });
    group.finish();

    // RecommendOffers' scoring for one person: 50 candidate offers scored, the best 10
    // explained. The candidates are synthetic offers moved to the person's home (in reach,
    // so each is evaluated to the end and the coaches near it are looked up).
    let people: Vec<&Participant> = participants.iter().step_by(participants.len().div_ceil(100).max(1)).collect();
    let base: Vec<_> = synth.offers(400).filter(|offer| offer.location().is_some()).take(50).collect();
    let candidates: Vec<Vec<pomost_domain::Offer>> = people
        .iter()
        .map(|person| {
            base.iter()
                .map(|offer| {
                    let mut offer = offer.clone();
                    offer.workplace = Workplace::OnSite(person.home);
                    offer
                })
                .collect()
        })
        .collect();
    let mut group = criterion.benchmark_group("recommend");
    group.bench_function("score_50_explain_10", |bencher| {
        let mut round = 0;
        bencher.iter(|| {
            round = (round + 1) % people.len();
            let person = &people[round].id;
            let mut scored: Vec<(f32, &pomost_domain::Offer)> = candidates[round]
                .iter()
                .filter_map(|offer| {
                    pool.score(&policy, person, offer, today).expect("valid").map(|score| (score, offer))
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, offer) in scored.iter().take(10) {
                black_box(pool.explain(&policy, person, offer, today).expect("valid"));
            }
            black_box(scored.len())
        });
    });
    group.finish();

    let mut group = criterion.benchmark_group("pool");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("build_1m", |bencher| {
        bencher.iter_batched(
            || participants.clone(),
            |participants| {
                black_box(ParticipantPool::build(&relatedness, participants, coaches.clone()).expect("valid"))
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, scoring);
criterion_main!(benches);
