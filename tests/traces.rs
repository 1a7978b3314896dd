//! Traces end to end: the real binary exports OTLP to a collector started here; a shortlist
//! gives one span named after its method, carrying the request id the client saw and the
//! caller's role and sizes, with the scan as its child.

#![allow(clippy::unwrap_used, missing_docs)]

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::{OfferKey, ShortlistRequest, shortlist_request};

#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request.into_inner().resource_spans.into_iter().flat_map(|resource| resource.scope_spans);
        self.0.lock().unwrap().extend(spans.flat_map(|scope| scope.spans));
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|attribute| attribute.key == key).and_then(|attribute| {
        match attribute.value.as_ref()?.value.as_ref()? {
            Value::StringValue(text) => Some(text.clone()),
            Value::IntValue(number) => Some(number.to_string()),
            Value::BoolValue(flag) => Some(flag.to_string()),
            Value::DoubleValue(number) => Some(number.to_string()),
            _ => None,
        }
    })
}

#[tokio::test]
async fn a_shortlist_is_traced_with_its_request_id_and_its_scan() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_address = listener.local_addr().unwrap();
    let serve = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(collector.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(serve);

    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pomost"))
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .env("POMOST_TRACES__OTLP_ENDPOINT", format!("http://{collector_address}"))
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let request = || ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(OfferKey {
            source: "demo".into(),
            external_id: "zielony-zakatek".into(),
        })),
        k: 5,
        as_of: String::new(),
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let (request_id, shortlist) = loop {
        assert!(Instant::now() < deadline, "the server did not come up");
        if let Ok(mut client) = MatchingServiceClient::connect(format!("http://127.0.0.1:{port}")).await
            && let Ok(response) = client.shortlist(request()).await
        {
            let id = response.metadata().get("x-request-id").unwrap().to_str().unwrap().to_owned();
            break (id, response.into_inner());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let found = loop {
        let spans = collector.0.lock().unwrap().clone();
        let request_span =
            spans.iter().find(|span| attribute(span, "request_id").as_deref() == Some(request_id.as_str()));
        if let Some(request_span) = request_span {
            let scan = spans.iter().find(|span| span.name == "scan" && span.parent_span_id == request_span.span_id);
            if let Some(scan) = scan {
                break (request_span.clone(), scan.clone());
            }
        }
        assert!(Instant::now() < deadline, "no request span with its scan for {request_id}: {spans:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let (request_span, scan) = found;
    assert_eq!(request_span.name, "/pomost.v1.MatchingService/Shortlist");
    assert_eq!(attribute(&request_span, "role").as_deref(), Some("admin"));
    assert_eq!(attribute(&request_span, "k").as_deref(), Some("5"));
    assert_eq!(attribute(&request_span, "results").as_deref(), Some(shortlist.candidates.len().to_string().as_str()));
    assert_eq!(attribute(&request_span, "pool"), Some(shortlist.pool_size.to_string()));
    assert_eq!(attribute(&scan, "k").as_deref(), Some("5"));
    assert_eq!(request_span.trace_id, scan.trace_id);
}
