//! Logging and, when `traces.otlp_endpoint` is set, OpenTelemetry traces over OTLP/gRPC.
//! Spans for traces use the target [`TRACE_TARGET`] at TRACE level: the log layer's filter
//! never enables them, and without an OTLP endpoint nothing does, so a span costs only the
//! disabled-callsite check when tracing is off. One span per request (request id, method,
//! caller's role, k, pool size, results), with child spans for the scan, the index query
//! and the store commit.
//!
//! Log lines are written to stdout by their own thread: a request thread only hands its
//! line over. Before, each line was written where it was made, and a log reader that
//! stopped reading (a stalled log shipper, a full pipe) stopped every request with it.
//! When the reader falls behind by [`LOG_LINES_BUFFERED`] lines, newer lines are dropped
//! and counted instead (see [`log_lines_dropped`]).

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Settings;

/// Target of the spans traces export.
pub const TRACE_TARGET: &str = pomost_engine::TRACE_TARGET;

/// How many log lines may wait for the log writer before newer ones are dropped (a few
/// megabytes; at a thousand requests a second, several seconds of a stalled reader).
pub const LOG_LINES_BUFFERED: usize = 16_384;

/// Lines dropped because the log writer was that far behind, once logging is set up.
static DROPPED_LINES: OnceLock<ErrorCounter> = OnceLock::new();

/// Log lines dropped since start because stdout was not read fast enough (0 before
/// [`init`]).
pub fn log_lines_dropped() -> u64 {
    DROPPED_LINES.get().map_or(0, |counter| counter.dropped_lines() as u64)
}

/// Says in the log, every few seconds, how many lines were dropped since it last said so
/// (a dropped line cannot say it itself).
pub async fn report_dropped_log_lines() {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    let mut reported = 0;
    loop {
        every.tick().await;
        let dropped = log_lines_dropped();
        if dropped > reported {
            tracing::warn!(
                dropped = dropped - reported,
                since_start = dropped,
                "log lines were dropped: the log output was not read fast enough"
            );
            reported = dropped;
        }
    }
}

/// Flushes the log writer and stops the trace exporter when dropped.
pub struct Tracing {
    provider: Option<SdkTracerProvider>,
    _log_writer: WorkerGuard,
}

impl Drop for Tracing {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("pomost: traces not flushed at shutdown: {error}");
        }
    }
}

/// Installs the global subscriber: logs as configured, plus the OTLP layer when an endpoint
/// is set. Call inside the Tokio runtime (the exporter's channel lives there).
pub fn init(settings: &Settings) -> Result<Tracing, String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.filter));
    // Lines are batched into one write where the writer finds several waiting.
    let (writer, log_writer) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_LINES_BUFFERED)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::new(std::io::stdout()));
    let _ = DROPPED_LINES.set(writer.error_counter());
    let logs = if settings.log.json {
        tracing_subscriber::fmt::layer().json().with_writer(writer).with_filter(filter).boxed()
    } else {
        tracing_subscriber::fmt::layer().with_writer(writer).with_filter(filter).boxed()
    };
    let endpoint = settings.traces.otlp_endpoint.trim();
    if endpoint.is_empty() {
        tracing_subscriber::registry().with(logs).try_init().map_err(|error| error.to_string())?;
        return Ok(Tracing { provider: None, _log_writer: log_writer });
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|error| format!("traces.otlp_endpoint {endpoint}: {error}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder().with_service_name(settings.traces.service_name.clone()).build(),
        )
        .build();
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("pomost"))
        .with_filter(tracing_subscriber::filter::Targets::new().with_target(TRACE_TARGET, tracing::Level::TRACE));
    tracing_subscriber::registry().with(logs).with(spans).try_init().map_err(|error| error.to_string())?;
    tracing::info!(endpoint, "traces exported over OTLP");
    Ok(Tracing { provider: Some(provider), _log_writer: log_writer })
}
