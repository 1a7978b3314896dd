//! The Prometheus endpoint of a running server: counters move with real requests, the
//! engine's figures are there, and promtool accepts the exposition.

use std::io::{Read, Write};

use pomost::proto::{ShortlistRequest, UpsertOfferRequest, shortlist_request};

use crate::fixtures::{TODAY, TestServer, regional_offer, settings};

fn scrape(address: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    reply.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{series} missing from:\n{text}"))
}

#[tokio::test]
async fn metrics_follow_real_requests_and_pass_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let mut settings = settings(dir.path());
    settings.metrics.listen = address.clone();
    let server = TestServer::start(settings).await;
    crate::seed(&server, 20).await;
    let offer = regional_offer();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
    let request = |k| ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(offer.key.clone().unwrap())),
        k,
        as_of: TODAY.into(),
        ..Default::default()
    };
    server.matching().shortlist(request(5)).await.unwrap();
    server.matching().shortlist(request(5)).await.unwrap();
    server.matching().shortlist(request(1_000_000)).await.unwrap_err();

    let text = tokio::task::spawn_blocking(move || scrape(&address)).await.unwrap();
    let shortlist = "pomost_grpc_requests_total{service=\"pomost.v1.MatchingService\",method=\"Shortlist\"";
    assert_eq!(value(&text, &format!("{shortlist},code=\"Ok\"}}")), 2.0);
    assert_eq!(value(&text, &format!("{shortlist},code=\"InvalidArgument\"}}")), 1.0);
    assert_eq!(
        value(
            &text,
            "pomost_grpc_requests_total{service=\"pomost.v1.ParticipantService\",method=\"UpsertParticipant\",code=\"Ok\"}"
        ),
        20.0
    );
    assert_eq!(
        value(
            &text,
            "pomost_grpc_request_duration_seconds_count{service=\"pomost.v1.MatchingService\",method=\"Shortlist\"}"
        ),
        3.0
    );
    assert_eq!(value(&text, "pomost_state{what=\"participants\"}"), 20.0);
    assert_eq!(value(&text, "pomost_state{what=\"up\"}"), 1.0);
    assert!(value(&text, "pomost_state{what=\"audit_entries\"}") >= 2.0);
    assert!(value(&text, "pomost_state{what=\"disk_free_bytes\"}") > 0.0);
    // Both shortlists read their offer: from the store, then (once the cache has applied
    // the upsert) from memory.
    assert_eq!(value(&text, "pomost_state{what=\"offer_cache_capacity\"}"), 200_000.0);
    let offer_reads = value(&text, "pomost_state{what=\"offer_cache_hits\"}")
        + value(&text, "pomost_state{what=\"offer_cache_misses\"}");
    assert!(offer_reads >= 2.0, "{text}");
    assert!(value(&text, "pomost_state{what=\"offer_cache_entries\"}") <= 1.0, "{text}");
    assert!(text.contains("pomost_state{what=\"read_model_lag_changes\",model=\"index\"}"), "{text}");
    assert_eq!(value(&text, "pomost_state{what=\"writes_held_back\"}"), 0.0, "{text}");
    assert_eq!(value(&text, "pomost_state{what=\"writes_refused_backlog\"}"), 0.0, "{text}");
    assert!(text.contains("pomost_read_model_failures{model=\"pool\"} 0"), "{text}");
    assert!(text.contains("policy=\"2026-11.3\""), "{text}");

    match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            let output = child.wait_with_output().unwrap();
            let said =
                format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            assert!(output.status.success(), "promtool check metrics refused the exposition:\n{said}\n{text}");
        }
        Err(error) => eprintln!(
            "SKIPPED promtool check: promtool is not installed ({error}); .ci/run installs Debian's prometheus package"
        ),
    }
    server.stop().await;
}
