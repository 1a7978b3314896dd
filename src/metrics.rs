//! Prometheus metrics at `/metrics` on their own listen address (`metrics.listen`; empty
//! turns them off): requests by service, method and status code with latency histograms,
//! requests in flight, and, read from the engine at each scrape, pool, index and audit
//! sizes, read-model lag and failures, free disk, job-coach capacity in use, the build,
//! policy and vocabulary versions, and log lines dropped because stdout was not read. Kept
//! with `prometheus-client`, served in the Prometheus text format, which Prometheus scrapes
//! and `promtool check metrics` accepts.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::engine::Engine;

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// Every metric, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    in_flight: Gauge<i64, AtomicI64>,
    state: Family<Labels, FloatGauge>,
    failures: Family<Labels, Gauge<i64, AtomicI64>>,
    /// The engine, once recovery has finished.
    engine: Arc<OnceLock<Arc<Engine>>>,
    max_lag: Duration,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The metrics of a server whose engine will appear in `engine`.
    pub fn new(engine: Arc<OnceLock<Arc<Engine>>>, max_lag: Duration) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "pomost_grpc_requests",
            "gRPC requests answered, by service, method and status code",
            requests.clone(),
        );
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "pomost_grpc_request_duration_seconds",
            "Time to answer a gRPC request, by service and method",
            latency.clone(),
        );
        let in_flight = Gauge::<i64, AtomicI64>::default();
        registry.register("pomost_grpc_requests_in_flight", "gRPC requests being worked on", in_flight.clone());
        let state = Family::<Labels, FloatGauge>::default();
        registry.register("pomost_state", "What the engine holds, by what (read at each scrape)", state.clone());
        let failures = Family::<Labels, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "pomost_read_model_failures",
            "Failed applies and commits of a read model since start, by model",
            failures.clone(),
        );
        Self { registry, requests, latency, in_flight, state, failures, engine, max_lag }
    }

    /// Counts a request as begun; the guard counts it finished when dropped.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.inc();
        InFlight(self.clone())
    }

    /// Records an answered request.
    pub fn observe(&self, path: &str, code: tonic::Code, elapsed: Duration) {
        let (service, method) = split_path(path);
        let labels: Labels = vec![("service", service.to_owned()), ("method", method.to_owned())];
        self.latency.get_or_create(&labels).observe(elapsed.as_secs_f64());
        let mut with_code = labels;
        with_code.push(("code", format!("{code:?}")));
        self.requests.get_or_create(&with_code).inc();
    }

    fn set(&self, what: &str, labels: &[(&'static str, &str)], value: f64) {
        let mut set: Labels = vec![("what", what.to_owned())];
        set.extend(labels.iter().map(|(key, value)| (*key, (*value).to_owned())));
        self.state.get_or_create(&set).set(value);
    }

    /// Reads the engine (blocking: the audit size is a database query) and encodes every
    /// metric.
    pub fn render(&self) -> String {
        if let Some(engine) = self.engine.get() {
            self.set("up", &[], 1.0);
            let policy = engine.policy().version.clone();
            let vocabulary = engine.vocabulary().version().to_owned();
            self.set(
                "build_info",
                &[("version", env!("CARGO_PKG_VERSION")), ("policy", &policy), ("vocabulary", &vocabulary)],
                1.0,
            );
            match engine.gauges(self.max_lag) {
                Ok(gauges) => {
                    self.set("participants", &[], gauges.pool.participants as f64);
                    self.set("job_coaches", &[], gauges.pool.coaches as f64);
                    self.set("pool_bytes", &[], gauges.pool.bytes_excluding_strings as f64);
                    self.set("coach_capacity_hours", &[], gauges.pool.coach_capacity_hours);
                    self.set("coach_committed_hours", &[], gauges.pool.coach_committed_hours);
                    self.set("offers_indexed", &[], gauges.offers_indexed as f64);
                    let cache = gauges.offer_cache;
                    self.set("offer_cache_entries", &[], cache.entries as f64);
                    self.set("offer_cache_capacity", &[], cache.capacity as f64);
                    self.set("offer_cache_hits", &[], cache.hits as f64);
                    self.set("offer_cache_misses", &[], cache.misses as f64);
                    self.set("audit_entries", &[], gauges.audit.entries as f64);
                    self.set("audit_bytes", &[], gauges.audit.bytes_on_disk as f64);
                    self.set("audit_archive_bytes", &[], gauges.audit.archive_bytes as f64);
                    if let Some(free) = gauges.disk_free_bytes {
                        self.set("disk_free_bytes", &[], free as f64);
                    }
                    self.set("writes_held_back", &[], gauges.writes_held.held as f64);
                    self.set("writes_refused_backlog", &[], gauges.writes_held.refused as f64);
                    for model in gauges.models {
                        self.set("read_model_lag_changes", &[("model", model.name)], model.lag_changes as f64);
                        self.set("read_model_lagging", &[("model", model.name)], f64::from(u8::from(model.lagging)));
                        self.failures.get_or_create(&vec![("model", model.name.to_owned())]).set(model.failures as i64);
                    }
                }
                Err(error) => tracing::warn!(%error, "metrics: engine figures unavailable"),
            }
        } else {
            self.set("up", &[], 0.0);
        }
        self.set("log_lines_dropped", &[], crate::traces::log_lines_dropped() as f64);
        let mut text = String::new();
        if let Err(error) = encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        prometheus_text(&text)
    }
}

/// The Prometheus text format (0.0.4) of an OpenMetrics exposition: a counter family is
/// named with its `_total` suffix in HELP and TYPE, and there is no `# EOF`. What
/// Prometheus scrapes as `text/plain` and `promtool check metrics` reads.
fn prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// Counts a request finished when dropped (answered, failed or abandoned).
pub struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// `/pomost.v1.OfferService/UpsertOffer` → (`pomost.v1.OfferService`, `UpsertOffer`).
fn split_path(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches('/');
    path.split_once('/').unwrap_or((path, ""))
}

/// Serves `GET /metrics` on `listen` until the process ends; the bound address is returned
/// (port 0 picks a free one).
pub async fn serve(listen: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let metrics = metrics.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(&request, metrics).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                if let Err(error) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
                    tracing::debug!(%error, "metrics connection ended");
                }
            });
        }
    });
    Ok(bound)
}

async fn answer<B>(
    request: &hyper::Request<B>,
    metrics: Arc<Metrics>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let respond = |status: u16, content_type: &str, body: String| {
        let mut response = hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
        *response.status_mut() =
            hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
        if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
            response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
        }
        response
    };
    if request.method() != hyper::Method::GET || request.uri().path() != "/metrics" {
        return respond(404, "text/plain", "only GET /metrics is served here\n".into());
    }
    let started = Instant::now();
    match tokio::task::spawn_blocking(move || metrics.render()).await {
        Ok(text) => {
            tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "metrics scraped");
            respond(200, "text/plain; version=0.0.4; charset=utf-8", text)
        }
        Err(error) => respond(500, "text/plain", format!("metrics failed: {error}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(split_path("/pomost.v1.OfferService/UpsertOffer"), ("pomost.v1.OfferService", "UpsertOffer"));
        assert_eq!(split_path("/odd"), ("odd", ""));
    }

    #[test]
    fn requests_are_counted_by_code_and_timed() {
        let metrics = Arc::new(Metrics::new(Arc::new(OnceLock::new()), Duration::from_secs(10)));
        {
            let _guard = metrics.begin();
            metrics.observe("/pomost.v1.MatchingService/Shortlist", tonic::Code::Ok, Duration::from_millis(3));
        }
        metrics.observe("/pomost.v1.MatchingService/Shortlist", tonic::Code::InvalidArgument, Duration::from_millis(1));
        let text = metrics.render();
        assert!(
            text.contains(
                "pomost_grpc_requests_total{service=\"pomost.v1.MatchingService\",method=\"Shortlist\",code=\"Ok\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("code=\"InvalidArgument\"} 1"), "{text}");
        assert!(text.contains("pomost_grpc_request_duration_seconds_count{service=\"pomost.v1.MatchingService\",method=\"Shortlist\"} 2"), "{text}");
        assert!(text.contains("pomost_grpc_requests_in_flight 0"), "{text}");
        assert!(text.contains("pomost_state{what=\"up\"} 0"), "{text}");
        assert!(text.contains("# TYPE pomost_grpc_requests_total counter\n"), "{text}");
        assert!(!text.contains("# EOF"));
    }
}
