//! The SQL baseline against a real PostgreSQL with PostGIS (started by
//! benches/postgres/start.sh in a temporary directory; .ci/run installs Debian's packages):
//! both sides answer every offer, and the SQL lists mostly the same people as Pomost, so
//! the comparison is of the same question.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::in_process_server;
use pomost_bench::baseline::{BaselineOptions, measure, postgres_installed};
use pomost_bench::run::RunOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_baseline_answers_the_same_question() {
    if !postgres_installed() {
        eprintln!(
            "SKIPPED: PostgreSQL with PostGIS is not installed (apt-get install postgresql postgresql-15-postgis-3); \
             the SQL baseline was not checked"
        );
        return;
    }
    let (_data, address, stop, server) = in_process_server().await;

    let options = BaselineOptions {
        run: RunOptions {
            addr: Some(format!("http://{address}")),
            server: None,
            participants: 3_000,
            offers: 400,
            coaches: 60,
            seconds: 0.0,
            concurrency: vec![1],
            seed: 11,
            commit: "test".into(),
            workloads: Vec::new(),
        },
        pg_url: None,
        regional_rounds: 1,
        national_rounds: 1,
    };
    let result = measure(options).await.unwrap();
    assert_eq!(result.regional.pomost.requests, 50);
    assert_eq!(result.regional.postgres.requests, 50);
    assert_eq!(result.national.postgres.requests, 1);
    assert!(result.postgres_version.starts_with("PostgreSQL"), "{}", result.postgres_version);
    for side in [&result.regional, &result.national] {
        assert!(side.pomost.p50_ms > 0.0 && side.postgres.p50_ms > 0.0);
        assert!(side.overlap >= 0.5, "the SQL lists other people than Pomost: {:.2}", side.overlap);
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
