//! Criterion benchmarks of the embedded store: acknowledged single upserts (one transaction
//! each, with FULL and NORMAL sync), bulk upserts (1,000 per transaction) and a shortlist's
//! audit entry (fifty returned ids, as every Shortlist writes one before answering). Run with
//! `cargo bench --bench store`. Every write is a real change (each pass over the data
//! changes a field), never an idempotent no-op.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pomost_domain::{Offer, Participant};
use pomost_store::{AuditAction, AuditEntry, AuditResult, Caller, SqliteOptions, SqliteStore, Store, Synchronous};
use pomost_synth::Synth;
use time::macros::date;

fn store(criterion: &mut Criterion) {
    let synth = Synth::new(5, date!(2026 - 11 - 24));
    let participants: Vec<Participant> = synth.participants(200_000).collect();
    let offers: Vec<Offer> = synth.offers(200_000).collect();
    let mut group = criterion.benchmark_group("store");
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let (_dir, store) = store_with(synchronous);
        let mut next = 0usize;
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("single_participant_upsert_{synchronous:?}"), |bencher| {
            bencher.iter_batched(
                || {
                    next += 1;
                    changed(&participants[next % participants.len()], next / participants.len())
                },
                |participant| black_box(store.upsert_participant(&participant).expect("write")),
                BatchSize::SmallInput,
            );
        });
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).expect("store");
    let mut batch_start = 0usize;
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("bulk_participants_1000_per_tx", |bencher| {
        let mut round = 0usize;
        bencher.iter_batched(
            || {
                batch_start = (batch_start + 1_000) % participants.len();
                round += 1;
                participants[batch_start..batch_start + 1_000]
                    .iter()
                    .map(|person| changed(person, round))
                    .collect::<Vec<_>>()
            },
            |batch| black_box(store.upsert_participants(&batch).expect("write")),
            BatchSize::LargeInput,
        );
    });
    let mut version = 0u64;
    group.bench_function("bulk_offers_1000_per_tx", |bencher| {
        bencher.iter_batched(
            || {
                batch_start = (batch_start + 1_000) % offers.len();
                version += 1;
                offers[batch_start..batch_start + 1_000]
                    .iter()
                    .map(|offer| Offer { version, ..offer.clone() })
                    .collect::<Vec<_>>()
            },
            |batch| black_box(store.upsert_offers(&batch).expect("write")),
            BatchSize::LargeInput,
        );
    });
    group.finish();
    audit(criterion, &participants, &offers);
}

/// A shortlist's audit entry appended and synced alone (as at one request in flight), with
/// FULL and NORMAL sync: fifty returned ids drawn from 200,000 people, so most are already
/// in the log's dictionary after a while, as in a running service.
fn audit(criterion: &mut Criterion, participants: &[Participant], offers: &[Offer]) {
    let mut group = criterion.benchmark_group("audit");
    group.throughput(Throughput::Elements(1));
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let (_dir, store) = store_with(synchronous);
        let mut next = 0usize;
        group.bench_function(format!("shortlist_entry_k50_{synchronous:?}"), |bencher| {
            bencher.iter_batched(
                || {
                    next += 1;
                    shortlist_entry(next, participants, offers)
                },
                |entry| black_box(store.append_audit(&entry).expect("audit")),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// The audit entry of the `number`th shortlist: an offer and fifty people, best first.
fn shortlist_entry(number: usize, participants: &[Participant], offers: &[Offer]) -> AuditEntry {
    let start = (number * 7_919) % (participants.len() - 50);
    AuditEntry {
        request_id: format!("bench-{number}"),
        at_ms: 1_764_000_000_000 + number as i64,
        caller: Caller { name: "office".into(), role: "labour_office".into() },
        action: AuditAction::Shortlist,
        offer: Some(offers[number % offers.len()].key.clone()),
        participant: None,
        request: serde_json::json!({ "k": 50, "as_of": "2026-11-24" }),
        results: participants[start..start + 50]
            .iter()
            .enumerate()
            .map(|(place, person)| AuditResult { id: person.id.to_string(), score: 0.9 - place as f32 * 0.01 })
            .collect(),
        policy_version: "2026-11.3".into(),
        vocabulary_version: "bench".into(),
    }
}

/// A new store in a temporary directory (kept while the directory handle lives), syncing
/// as `synchronous` says.
fn store_with(synchronous: Synchronous) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store =
        SqliteStore::open(dir.path(), SqliteOptions { synchronous, check_integrity: true, ..SqliteOptions::default() })
            .expect("store");
    (dir, store)
}

/// The participant with a field that differs on every pass, so the write is never a no-op.
fn changed(participant: &Participant, pass: usize) -> Participant {
    Participant { max_commute_km: 1.0 + (pass % 200) as f32, ..participant.clone() }
}

criterion_group!(benches, store);
criterion_main!(benches);
