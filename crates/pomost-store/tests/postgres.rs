//! The PostgreSQL store against a real PostgreSQL (a throwaway cluster started from Debian's
//! packages, which .ci/run installs): the same contract as the embedded store, and what
//! only a shared database has to show (two stores racing on one database, an outage).
//! One test function, so the cluster starts once and is always stopped.

#![allow(clippy::unwrap_used)]

mod contract;

use std::sync::Arc;
use std::time::Duration;

use contract::{stamp, synth};
use pomost_store::throwaway::{ThrowawayPostgres, postgres_installed};
use pomost_store::{ChangeKey, NewReferral, PgStore, Store, StoreError, WriteOutcome};

fn open(url: &str, dir: &std::path::Path) -> PgStore {
    PgStore::open(url, None, dir).unwrap()
}

#[test]
fn the_postgres_store_keeps_the_store_contract_and_serialises_replicas() {
    if !postgres_installed() {
        eprintln!(
            "SKIPPED: PostgreSQL is not installed (apt-get install postgresql postgresql-15-postgis-3); \
             the PostgreSQL store was not tested"
        );
        return;
    }
    let mut cluster = ThrowawayPostgres::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let contract: [(&str, contract::ContractTest); 10] = [
        ("round_trip", contract::entities_round_trip_and_survive_reopening),
        ("idempotent", contract::upserts_are_idempotent_and_offers_versioned),
        ("invalid", contract::invalid_records_and_failed_batches_write_nothing),
        ("feed", contract::change_feed_returns_exactly_the_later_changes_in_order),
        ("audit", contract::audit_lists_by_time_caller_and_offer),
        ("referrals", contract::referrals_hold_coach_hours_expire_when_stale_and_follow_the_feed),
        ("batches", contract::batches_match_writing_one_at_a_time),
        ("offer_batches", contract::offer_batches_match_writing_one_at_a_time),
        ("audit_groups", contract::audit_group_commits_from_many_threads_lose_nothing),
        ("exposure_days", contract::exposure_days_sum_whole_days_by_unit_and_name_unsummed_ones),
    ];
    for (name, test) in contract {
        let url = cluster.database(name).unwrap();
        eprintln!("contract: {name}");
        test(&|| Box::new(open(&url, dir.path())));
    }

    let url = cluster.database("replicas").unwrap();
    two_stores_racing_for_the_last_coach_hours_give_one_winner_and_a_gapless_feed(&url, dir.path());
    a_stopped_server_gives_unavailable_and_the_store_recovers(&cluster, &url, dir.path());
    a_newer_schema_is_refused(&cluster, dir.path());
    tls_is_used_when_asked_and_the_certificate_checked(&mut cluster, dir.path());
}

/// `sslmode=require` connects over TLS with the certificate checked against the CA file;
/// a certificate from another CA is refused; `sslmode=disable` stays plain.
fn tls_is_used_when_asked_and_the_certificate_checked(cluster: &mut ThrowawayPostgres, dir: &std::path::Path) {
    let url = cluster.database("tls").unwrap();
    let server = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    cluster.restart_with_tls(&server.cert.pem(), &server.signing_key.serialize_pem()).unwrap();
    let ca = dir.join("database-ca.pem");
    std::fs::write(&ca, server.cert.pem()).unwrap();
    let secure = format!("{url}?sslmode=require");
    let store = PgStore::open(&secure, Some(&ca), dir).unwrap();
    let person = synth().participant(7);
    store.upsert_participant(&person).unwrap();
    assert_eq!(store.participant(&person.id).unwrap(), Some(person));
    // The server really spoke TLS to that connection.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let encrypted: i64 = admin
        .query_one("SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE ssl AND application_name = 'pomost'", &[])
        .unwrap()
        .get(0);
    assert!(encrypted >= 1, "no TLS connection from the store");
    let stranger = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let wrong = dir.join("other-ca.pem");
    std::fs::write(&wrong, stranger.cert.pem()).unwrap();
    match PgStore::open(&secure, Some(&wrong), dir) {
        Err(error) => assert!(error.to_string().contains("certificate"), "{error}"),
        Ok(_) => panic!("a certificate from another CA was accepted"),
    }
    let missing = dir.join("no-such-ca.pem");
    assert!(matches!(PgStore::open(&secure, Some(&missing), dir), Err(StoreError::Open { .. })));
    PgStore::open(&format!("{url}?sslmode=disable"), None, dir).unwrap();
}

/// Two stores on one database stand for two replicas: many threads on each try to book the
/// same coach's last hours; exactly one wins, and the feed has no gap and no duplicate.
fn two_stores_racing_for_the_last_coach_hours_give_one_winner_and_a_gapless_feed(url: &str, dir: &std::path::Path) {
    let stores: Vec<Arc<dyn Store>> = vec![Arc::new(open(url, dir)), Arc::new(open(url, dir))];
    let mut coach = synth().coach(1);
    coach.weekly_capacity_hours = 8.0;
    coach.committed_hours = 0.0;
    stores[0].upsert_coach(&coach).unwrap();
    let mut offer = synth().offer(1);
    offer.valid_from = time::macros::date!(2026 - 11 - 01);
    offer.valid_until = time::macros::date!(2026 - 12 - 31);
    offer.positions = 50;
    stores[1].upsert_offer(&offer).unwrap();
    let people: Vec<_> = (0..16)
        .map(|index| {
            let mut person = synth().participant(100 + index);
            person.coach_hours_per_week = 6.0;
            person
        })
        .collect();
    stores[0].upsert_participants(&people).unwrap();
    let winners: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = people
            .iter()
            .enumerate()
            .map(|(index, person)| {
                let store = stores[index % 2].clone();
                let new = NewReferral {
                    participant: person.id.clone(),
                    offer: offer.key.clone(),
                    coach: Some(coach.id.clone()),
                    idempotency_key: None,
                };
                let coach_id = coach.id.clone();
                scope.spawn(move || {
                    // Each thread also writes records, so the feed is written from both stores.
                    let mut moved = synth().coach(2 + index);
                    moved.id = pomost_domain::CoachId::new(format!("{coach_id}-{index}")).unwrap();
                    store.upsert_coach(&moved).unwrap();
                    match store.create_referral(&new, &stamp(1_000)) {
                        Ok(_) => true,
                        Err(StoreError::Precondition(message)) => {
                            assert!(message.contains("h/week free"), "{message}");
                            false
                        }
                        Err(other) => panic!("unexpected error: {other}"),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    assert_eq!(winners.iter().filter(|won| **won).count(), 1, "6 of 8 free hours: one referral fits");
    let last = stores[1].last_seq().unwrap();
    let feed = stores[0].changes_after(0, 10_000).unwrap();
    assert_eq!(feed.iter().map(|change| change.seq).collect::<Vec<_>>(), (1..=last).collect::<Vec<_>>());
    let referrals = feed.iter().filter(|change| matches!(change.key, ChangeKey::Referral(_))).count();
    assert_eq!(referrals, 1);
    // 1 coach + 1 offer + 16 people + 16 coaches + 1 referral.
    assert_eq!(last, 35);
}

/// With the server stopped, reads and writes fail as `Unavailable` (worth a retry) and write
/// nothing; once it is back the same store works again without being reopened.
fn a_stopped_server_gives_unavailable_and_the_store_recovers(
    cluster: &ThrowawayPostgres,
    url: &str,
    dir: &std::path::Path,
) {
    let store = open(url, dir);
    let before = store.last_seq().unwrap();
    cluster.stop_server().unwrap();
    let person = synth().participant(900);
    assert!(matches!(store.upsert_participant(&person), Err(StoreError::Unavailable(_))));
    assert!(matches!(store.participant(&person.id), Err(StoreError::Unavailable(_))));
    assert!(matches!(PgStore::open(url, None, dir), Err(StoreError::Unavailable(_))));
    cluster.start_server().unwrap();
    let mut attempts = 0;
    let outcome = loop {
        match store.upsert_participant(&person) {
            Err(StoreError::Unavailable(_)) if attempts < 50 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            other => break other.unwrap(),
        }
    };
    assert_eq!(outcome, WriteOutcome::Written { seq: before + 1 }, "nothing half-written during the outage");
    assert_eq!(store.participant(&person.id).unwrap(), Some(person));
}

fn a_newer_schema_is_refused(cluster: &ThrowawayPostgres, dir: &std::path::Path) {
    let url = cluster.database("newer").unwrap();
    drop(open(&url, dir));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute("UPDATE pomost_schema SET version = 99").unwrap();
    match PgStore::open(&url, None, dir) {
        Err(error @ StoreError::NewerSchema { .. }) => assert!(error.to_string().contains("99"), "{error}"),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}
