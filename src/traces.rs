//! Logging and, when `traces.otlp_endpoint` is set, OpenTelemetry traces over OTLP/gRPC.
//! Spans for traces use the target [`TRACE_TARGET`] at TRACE level: the log layer's filter
//! never enables them, and without an OTLP endpoint nothing does, so a span costs only the
//! disabled-callsite check when tracing is off. One span per request (request id, method,
//! caller's role, k, pool size, results), with child spans for the scan, the index query
//! and the store commit.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Settings;

/// Target of the spans traces export.
pub const TRACE_TARGET: &str = pomost_engine::TRACE_TARGET;

/// Flushes and stops the trace exporter when dropped.
pub struct Tracing(Option<SdkTracerProvider>);

impl Drop for Tracing {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
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
    let logs = if settings.log.json {
        tracing_subscriber::fmt::layer().json().with_filter(filter).boxed()
    } else {
        tracing_subscriber::fmt::layer().with_filter(filter).boxed()
    };
    let endpoint = settings.traces.otlp_endpoint.trim();
    if endpoint.is_empty() {
        tracing_subscriber::registry().with(logs).try_init().map_err(|error| error.to_string())?;
        return Ok(Tracing(None));
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
    Ok(Tracing(Some(provider)))
}
