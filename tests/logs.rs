//! Logs end to end: the real binary keeps answering when nobody reads its stdout (a stalled
//! log shipper, a full pipe). Its log lines are written by their own thread; once that
//! thread is far enough behind, lines are dropped and counted (a metric and, when output
//! resumes, a warning) instead of stopping the requests that made them.

#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::{OfferKey, ShortlistRequest, shortlist_request};

/// The metric of dropped log lines, read from the metrics endpoint.
fn dropped_lines(metrics: &str) -> Option<f64> {
    let mut stream = std::net::TcpStream::connect(metrics).ok()?;
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: {metrics}\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.lines()
        .find(|line| line.starts_with("pomost_state{") && line.contains("what=\"log_lines_dropped\""))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

/// The server, stopped however the test ends (a failed assertion included).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn requests_go_on_when_nobody_reads_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let metrics = format!("127.0.0.1:{metrics_port}");
    // stdout is a pipe this test never reads: it fills after 64 KiB of log lines. Debug
    // lines (several per request) fill it and the writer's buffer in a few thousand
    // requests.
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_pomost"))
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "debug")
            .env("POMOST_METRICS__LISTEN", &metrics)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let unread_log = server.0.stdout.take();
    let request = || ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(OfferKey {
            source: "demo".into(),
            external_id: "zielony-zakatek".into(),
        })),
        k: 5,
        ..Default::default()
    };
    let address = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut client = loop {
        assert!(Instant::now() < deadline, "the server did not come up (or stopped at its unread log)");
        let attempt = tokio::time::timeout(Duration::from_secs(5), async {
            let mut client = MatchingServiceClient::connect(address.clone()).await.ok()?;
            client.shortlist(request()).await.ok()?;
            Some(client)
        });
        if let Ok(Some(client)) = attempt.await {
            break client;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Every request is answered promptly, far past the point where the pipe is full, until
    // the writer has dropped lines.
    let mut answered = 0u32;
    let dropped = loop {
        for _ in 0..500 {
            let answer = tokio::time::timeout(Duration::from_secs(10), client.shortlist(request())).await;
            match answer {
                Ok(Ok(list)) => assert!(!list.into_inner().candidates.is_empty()),
                Ok(Err(status)) => panic!("request {answered} failed: {status}"),
                Err(_) => panic!("request {answered} hung: the server waits for its unread log"),
            }
            answered += 1;
        }
        if let Some(dropped) = dropped_lines(&metrics).filter(|&dropped| dropped > 0.0) {
            break dropped;
        }
        assert!(answered < 60_000, "no log line was dropped after {answered} requests");
    };
    assert!(dropped > 0.0);
    drop(server);
    drop(unread_log);
}
