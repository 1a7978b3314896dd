//! The edge every request passes first: it gives the request an id (sent back in the
//! `x-request-id` header of every response, and used as the audit entry's id), bounds it in
//! time, and makes the status codes say what a client can act on.
//!
//! - Deadline: the earlier of the client's `grpc-timeout` and `limits.request_timeout_ms`.
//!   Slightly before it passes the request is answered DEADLINE_EXCEEDED — unless a write
//!   has already begun its commit, in which case the answer waits for the commit and tells
//!   its truth. A write whose deadline passed before its commit is rolled back (the
//!   store's commit gate asks [`RequestClock`]), so DEADLINE_EXCEEDED means "not applied".
//! - A message over `limits.max_message_bytes` gives RESOURCE_EXHAUSTED (tonic says
//!   OUT_OF_RANGE; Pomost itself never uses that code).
//! - Read-your-writes across replicas: a request carrying `x-pomost-min-seq: N` (the `seq`
//!   of a write answered by any replica) waits until this replica's read models have
//!   applied change N, at most [`MIN_SEQ_WAIT`] (and never past the deadline); if they
//!   have not, it is answered UNAVAILABLE, worth a retry here or at another replica.
//! - Status messages are capped, so no client input can make a header stock clients refuse;
//!   every INTERNAL is logged with the request id.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::HeaderValue;
use tonic::{Code, Status};

/// The id of the request being served (also in the response's `x-request-id` header) and
/// when it arrived, ms since the epoch (the timestamp inside the UUIDv7 id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String, pub i64);

const RUNNING: u8 = 0;
const COMMITTING: u8 = 1;
const EXPIRED: u8 = 2;

/// A request's deadline and whether its writes may still commit.
#[derive(Debug)]
pub struct RequestClock {
    deadline: Option<Instant>,
    state: AtomicU8,
}

impl RequestClock {
    /// A clock for a request that must be answered by `deadline`.
    pub fn new(deadline: Option<Instant>) -> Self {
        Self { deadline, state: AtomicU8::new(RUNNING) }
    }

    /// Marks the request as answered by its deadline, unless a commit has begun.
    fn expire(&self) -> bool {
        self.state.compare_exchange(RUNNING, EXPIRED, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Whether the deadline has passed (or the request was answered as timed out).
    pub fn expired(&self) -> bool {
        self.state.load(Ordering::Acquire) == EXPIRED
            || self.deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }
}

impl pomost_store::CommitGate for RequestClock {
    fn enter_commit(&self) -> bool {
        match self.state.load(Ordering::Acquire) {
            COMMITTING => true,
            EXPIRED => false,
            _ if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) => {
                self.expire();
                self.state.load(Ordering::Acquire) == COMMITTING
            }
            _ => {
                self.state.compare_exchange(RUNNING, COMMITTING, Ordering::AcqRel, Ordering::Acquire).is_ok()
                    || self.state.load(Ordering::Acquire) == COMMITTING
            }
        }
    }
}

tokio::task_local! {
    /// The clock of the request this task serves.
    pub static CLOCK: Arc<RequestClock>;
    /// The id of the request this task serves.
    pub static REQUEST_ID: RequestId;
}

/// Longest status message sent, bytes (a client's input is quoted at most 64 characters).
const MAX_STATUS_MESSAGE: usize = 1024;

/// How long before the deadline the edge answers, so its DEADLINE_EXCEEDED reaches the
/// client before the client's (or tonic's) own timer fires: a quarter of the budget, at
/// least one timer tick (1 ms), at most 5 ms.
fn margin(budget: Duration) -> Duration {
    (budget / 4).clamp(Duration::from_millis(1), Duration::from_millis(5)).min(budget)
}

/// The time a request may take: the earlier of the client's `grpc-timeout` (in `headers`)
/// and the server's `limit`; for work that must stop in time to answer.
pub(crate) fn request_budget(headers: &http::HeaderMap, limit: Duration) -> Duration {
    grpc_timeout(headers).map_or(limit, |client| client.min(limit))
}

/// The `grpc-timeout` header as a duration (`<digits><unit>`, units H M S m u n).
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let text = headers.get("grpc-timeout")?.to_str().ok()?;
    if text.len() < 2 || text.len() > 9 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    let value: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value.saturating_mul(3600)),
        "M" => Duration::from_secs(value.saturating_mul(60)),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

/// The header naming the change a request must see (read-your-writes).
pub const MIN_SEQ_HEADER: &str = "x-pomost-min-seq";
/// The longest a request waits for its `x-pomost-min-seq`.
pub const MIN_SEQ_WAIT: Duration = Duration::from_secs(2);

/// The tower layer (see the module documentation).
#[derive(Clone)]
pub struct EdgeLayer {
    /// The server's own bound on a request.
    pub request_timeout: Duration,
    /// Request counters and latency, when metrics are on.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
    /// The engine, once recovered (for `x-pomost-min-seq`).
    pub engine: Arc<std::sync::OnceLock<Arc<crate::engine::Engine>>>,
}

impl<S> tower::Layer<S> for EdgeLayer {
    type Service = EdgeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeService {
            request_timeout: self.request_timeout,
            metrics: self.metrics.clone(),
            engine: self.engine.clone(),
            inner,
        }
    }
}

/// The service [`EdgeLayer`] wraps around the routes.
#[derive(Clone)]
pub struct EdgeService<S> {
    request_timeout: Duration,
    metrics: Option<Arc<crate::metrics::Metrics>>,
    engine: Arc<std::sync::OnceLock<Arc<crate::engine::Engine>>>,
    inner: S,
}

/// The `x-pomost-min-seq` header: `Ok(0)` when absent, an error status when malformed.
fn min_seq(headers: &http::HeaderMap) -> Result<u64, Status> {
    let Some(value) = headers.get(MIN_SEQ_HEADER) else { return Ok(0) };
    value.to_str().ok().and_then(|text| text.trim().parse().ok()).ok_or_else(|| {
        Status::invalid_argument(format!("{MIN_SEQ_HEADER}: must be a change sequence number (a whole number)"))
    })
}

/// Waits until the engine's read models have applied `seq`, at most until `until`.
async fn wait_for_seq(
    engine: &std::sync::OnceLock<Arc<crate::engine::Engine>>,
    seq: u64,
    until: Instant,
) -> Result<(), Status> {
    loop {
        let applied = engine.get().map_or(0, |engine| engine.applied_seq());
        if applied >= seq {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(Status::unavailable(format!(
                "this replica has applied changes up to {applied}; the request needs change {seq} \
                 ({MIN_SEQ_HEADER}); retry shortly or at another replica"
            )));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;
type Response = http::Response<tonic::body::Body>;

impl<S, B> tower::Service<http::Request<B>> for EdgeService<S>
where
    S: tower::Service<http::Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response, S::Error>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let started = Instant::now();
        let id = new_request_id();
        let budget = request_budget(request.headers(), self.request_timeout);
        let clock = Arc::new(RequestClock::new(Some(started + budget)));
        let path = request.uri().path().to_owned();
        let wanted = min_seq(request.headers());
        request.extensions_mut().insert(id.clone());
        // A trace span per request (disabled, and free, unless traces are exported).
        let span = tracing::trace_span!(
            target: crate::traces::TRACE_TARGET,
            "request",
            otel.name = %path,
            request_id = %id.0,
            role = tracing::field::Empty,
            k = tracing::field::Empty,
            pool = tracing::field::Empty,
            results = tracing::field::Empty,
            code = tracing::field::Empty,
        );
        let inner = {
            let _inside = span.enter();
            self.inner.call(request)
        };
        let answer_by = started + budget.saturating_sub(margin(budget));
        let engine = self.engine.clone();
        let metrics = self.metrics.clone();
        let in_flight = metrics.as_ref().map(|metrics| metrics.begin());
        Box::pin(tracing::Instrument::instrument(
            CLOCK.scope(
                clock.clone(),
                REQUEST_ID.scope(id.clone(), async move {
                    let seen = match wanted {
                        Ok(0) => Ok(()),
                        Ok(seq) => wait_for_seq(&engine, seq, answer_by.min(started + MIN_SEQ_WAIT)).await,
                        Err(status) => Err(status),
                    };
                    let mut inner = std::pin::pin!(inner);
                    let response = if let Err(status) = seen {
                        status.into_http()
                    } else { tokio::select! {
                        biased;
                        response = &mut inner => response?,
                        () = tokio::time::sleep_until(answer_by.into()) => {
                            if clock.expire() {
                                Status::deadline_exceeded(format!(
                                    "the deadline of {} ms passed before the request finished; a write was not applied",
                                    budget.as_millis()
                                ))
                                .into_http()
                            } else {
                                // A commit has begun: its truth is the answer.
                                inner.await?
                            }
                        }
                    }};
                    let response = finish(response, &id, &path);
                    if let Some(metrics) = &metrics {
                        // Unary errors are trailers-only (the status is in the headers); an answer
                        // with a body reports OK here even if its stream failed later.
                        let code = response
                            .headers()
                            .get("grpc-status")
                            .and_then(|value| value.to_str().ok())
                            .and_then(|text| text.parse::<i32>().ok())
                            .map_or(Code::Ok, Code::from_i32);
                        metrics.observe(&path, code, started.elapsed());
                    }
                    drop(in_flight);
                    if let Some(code) = response.headers().get("grpc-status").and_then(|value| value.to_str().ok()) {
                        tracing::Span::current().record("code", code);
                    }
                    Ok(response)
                }),
            ),
            span,
        ))
    }
}

/// Adds the request id, maps OUT_OF_RANGE, caps the message and logs INTERNAL.
fn finish(mut response: Response, id: &RequestId, path: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        headers.insert("x-request-id", value);
    }
    let code =
        headers.get("grpc-status").and_then(|value| value.to_str().ok()).and_then(|text| text.parse::<i32>().ok());
    if code == Some(Code::OutOfRange as i32) {
        headers.insert("grpc-status", HeaderValue::from(Code::ResourceExhausted as i32));
    }
    if let Some(message) = headers.get("grpc-message")
        && message.len() > MAX_STATUS_MESSAGE
    {
        let mut cut = MAX_STATUS_MESSAGE;
        let bytes = message.as_bytes();
        // Never cut inside a percent-escape.
        while cut > 0 && (bytes[cut - 1] == b'%' || (cut > 1 && bytes[cut - 2] == b'%')) {
            cut -= 1;
        }
        if let Ok(value) = HeaderValue::from_bytes(&bytes[..cut]) {
            headers.insert("grpc-message", value);
        }
    }
    if code == Some(Code::Internal as i32) {
        let message = headers.get("grpc-message").and_then(|value| value.to_str().ok()).unwrap_or("");
        tracing::error!(request_id = %id.0, method = path, message, "INTERNAL");
    }
    response
}

/// The current request's id, or a fresh one outside a request (the CLI, tests).
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(|id| id.0.clone()).unwrap_or_else(|_| uuid::Uuid::now_v7().to_string())
}

/// When the current request arrived, ms since the epoch, or now outside a request.
pub fn current_arrival_ms() -> i64 {
    REQUEST_ID.try_with(|id| id.1).unwrap_or_else(|_| new_request_id().1)
}

/// A fresh time-ordered request id with its timestamp.
fn new_request_id() -> RequestId {
    let uuid = uuid::Uuid::now_v7();
    let ms = uuid.get_timestamp().map_or(0, |timestamp| {
        let (seconds, nanos) = timestamp.to_unix();
        seconds as i64 * 1_000 + i64::from(nanos / 1_000_000)
    });
    RequestId(uuid.to_string(), ms)
}

/// The current request's clock, if this task serves a request.
pub fn current_clock() -> Option<Arc<RequestClock>> {
    CLOCK.try_with(Arc::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pomost_store::CommitGate;

    #[test]
    fn parses_grpc_timeouts() {
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-timeout", HeaderValue::from_static("250m"));
        assert_eq!(grpc_timeout(&headers), Some(Duration::from_millis(250)));
        headers.insert("grpc-timeout", HeaderValue::from_static("1S"));
        assert_eq!(grpc_timeout(&headers), Some(Duration::from_secs(1)));
        headers.insert("grpc-timeout", HeaderValue::from_static("99999999999S"));
        assert_eq!(grpc_timeout(&headers), None);
    }

    #[test]
    fn a_request_has_the_earlier_of_the_clients_deadline_and_the_servers_limit() {
        let limit = Duration::from_secs(30);
        let mut headers = http::HeaderMap::new();
        assert_eq!(request_budget(&headers, limit), limit);
        headers.insert("grpc-timeout", HeaderValue::from_static("5S"));
        assert_eq!(request_budget(&headers, limit), Duration::from_secs(5));
        headers.insert("grpc-timeout", HeaderValue::from_static("2M"));
        assert_eq!(request_budget(&headers, limit), limit);
    }

    #[test]
    fn a_commit_wins_over_a_later_timeout_and_a_timeout_over_a_later_commit() {
        let committing = RequestClock::new(Some(Instant::now() + Duration::from_secs(60)));
        assert!(committing.enter_commit());
        assert!(!committing.expire(), "a commit in progress is not cut");
        assert!(committing.enter_commit(), "later transactions of the same request commit too");
        let expired = RequestClock::new(Some(Instant::now() + Duration::from_secs(60)));
        assert!(expired.expire());
        assert!(!expired.enter_commit(), "an answered timeout never commits");
        let past = RequestClock::new(Some(Instant::now()));
        assert!(!past.enter_commit(), "a passed deadline closes the gate");
    }
}
