//! The server: `run(settings, listener, shutdown)` so `main` passes a signal and tests pass a
//! oneshot. Health answers NOT_SERVING until recovery has finished and again as soon as
//! shutdown begins; then the server drains, the index commits, the pool is left in a snapshot
//! for the next start (embedded store) and the store closes.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::{Auth, AuthLayer};
use crate::config::Settings;
use crate::engine::Engine;
use crate::grpc::{AuditApi, MatchingApi, OfferApi, ParticipantApi, PlacementApi, Shared, VocabularyApi};
use crate::proto::audit_service_server::AuditServiceServer;
use crate::proto::matching_service_server::MatchingServiceServer;
use crate::proto::offer_service_server::OfferServiceServer;
use crate::proto::participant_service_server::ParticipantServiceServer;
use crate::proto::placement_service_server::PlacementServiceServer;
use crate::proto::vocabulary_service_server::VocabularyServiceServer;

/// How often expired offers are purged from the index.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

const SERVICES: [&str; 6] = [
    "pomost.v1.OfferService",
    "pomost.v1.ParticipantService",
    "pomost.v1.MatchingService",
    "pomost.v1.AuditService",
    "pomost.v1.VocabularyService",
    "pomost.v1.PlacementService",
];

async fn set_all(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in SERVICES {
        reporter.set_service_status(service, status).await;
    }
}

/// How often the index is tended (replay after a failed commit, lag) and a full disk
/// re-checked.
const TEND_EVERY: Duration = Duration::from_millis(200);

/// What health says per service, from the disk and the index.
fn statuses(writes_ok: bool, index_ok: bool) -> [(&'static str, ServingStatus); 4] {
    let status = |ok: bool| if ok { ServingStatus::Serving } else { ServingStatus::NotServing };
    [
        // Writes offers and serves search.
        ("pomost.v1.OfferService", status(writes_ok && index_ok)),
        ("pomost.v1.ParticipantService", status(writes_ok)),
        // Rankings read the pool and, for recommendations, the index.
        ("pomost.v1.MatchingService", status(index_ok)),
        // Referrals are writes; watches follow the index.
        ("pomost.v1.PlacementService", status(writes_ok && index_ok)),
    ]
}

/// Keeps health in step with the disk (write services NOT_SERVING while it is full) and
/// with the read models (search and matching NOT_SERVING while the pool or the index lags
/// the store past `index.max_lag_ms`).
async fn follow_health(engine: Arc<Engine>, reporter: HealthReporter, max_lag: Duration) {
    let mut writes_ok = engine.writes_ok();
    let mut tick = tokio::time::interval(TEND_EVERY);
    let mut shown: Option<(bool, bool)> = None;
    let mut index_ok = true;
    let mut ticks = 0u32;
    loop {
        tokio::select! {
            changed = writes_ok.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = tick.tick() => {
                ticks = ticks.wrapping_add(1);
                index_ok = tend(&engine, max_lag, ticks.is_multiple_of(25)).await;
            }
        }
        let now = (*writes_ok.borrow_and_update(), index_ok);
        if shown != Some(now) {
            for (service, status) in statuses(now.0, now.1) {
                reporter.set_service_status(service, status).await;
            }
            shown = Some(now);
        }
    }
}

/// One round on the blocking pool: re-check a full disk now and then, and ask whether
/// every read model keeps up with the store.
async fn tend(engine: &Arc<Engine>, max_lag: Duration, recheck_disk: bool) -> bool {
    let engine = engine.clone();
    let tended = tokio::task::spawn_blocking(move || {
        if recheck_disk {
            engine.recheck_disk();
        }
        engine.follow_status(max_lag)
    })
    .await;
    match tended {
        Ok(Ok(models)) => {
            for model in models.iter().filter(|model| model.lagging) {
                tracing::warn!(
                    model = model.name,
                    lag_changes = model.lag_changes,
                    failures = model.failures,
                    last_error = ?model.last_error,
                    "a read model lags the store"
                );
            }
            models.iter().all(|model| !model.lagging)
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "reading the read models' lag failed");
            true
        }
        Err(error) => {
            tracing::error!(%error, "reading the read models' lag panicked");
            true
        }
    }
}

/// Expires stale referrals and releases the coach hours of hires past their adaptation
/// period, at start and then periodically.
async fn sweep_referrals(engine: Arc<Engine>, minutes: u64) {
    let mut every = tokio::time::interval(Duration::from_secs(minutes.max(1) * 60));
    loop {
        every.tick().await;
        let engine = engine.clone();
        match tokio::task::spawn_blocking(move || engine.sweep_referrals()).await {
            Ok(Err(error)) => tracing::error!(%error, "referral sweep failed; it runs again later"),
            Err(error) => tracing::error!(%error, "referral sweep task failed"),
            Ok(Ok(_)) => {}
        }
    }
}

/// Archives audit entries past their retention, at start and then periodically.
async fn keep_audit_retention(engine: Arc<Engine>, settings: crate::config::AuditSettings) {
    if settings.retention_days == 0 {
        return;
    }
    let mut every = tokio::time::interval(Duration::from_secs(settings.retention_check_minutes.max(1) * 60));
    loop {
        every.tick().await;
        let engine = engine.clone();
        let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        match tokio::task::spawn_blocking(move || engine.apply_audit_retention(settings.retention_days, now_ms)).await {
            Ok(Err(error)) => tracing::error!(%error, "audit retention failed; nothing was removed"),
            Err(error) => tracing::error!(%error, "audit retention task failed"),
            Ok(Ok(_)) => {}
        }
    }
}

/// Takes a backup every `backup.every_minutes` into `backup.dir` (when set), keeping the
/// newest `backup.keep`.
async fn keep_backups(engine: Arc<Engine>, data_dir: std::path::PathBuf, settings: crate::config::BackupSettings) {
    if settings.dir.as_os_str().is_empty() {
        return;
    }
    let every = Duration::from_secs(settings.every_minutes.max(1) * 60);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        let (data_dir, dir, keep) = (data_dir.clone(), settings.dir.clone(), settings.keep);
        let policy = engine.policy().version.clone();
        match tokio::task::spawn_blocking(move || crate::backup::scheduled(&data_dir, &dir, keep, &policy)).await {
            Ok(Ok(file)) => tracing::info!(file = %file.display(), "scheduled backup taken"),
            Ok(Err(error)) => tracing::error!(%error, "scheduled backup failed"),
            Err(error) => tracing::error!(%error, "scheduled backup task failed"),
        }
    }
}

/// Starts the metrics endpoint when `metrics.listen` is set.
async fn start_metrics(
    settings: &Settings,
    engine: Arc<OnceLock<Arc<Engine>>>,
) -> Result<Option<Arc<crate::metrics::Metrics>>, String> {
    let listen = settings.metrics.listen.trim();
    if listen.is_empty() {
        return Ok(None);
    }
    let address: std::net::SocketAddr =
        listen.parse().map_err(|error| format!("metrics.listen {listen:?}: {error}"))?;
    let metrics = Arc::new(crate::metrics::Metrics::new(engine, Duration::from_millis(settings.index.max_lag_ms)));
    let bound = crate::metrics::serve(address, metrics.clone())
        .await
        .map_err(|error| format!("metrics.listen {address}: {error}"))?;
    tracing::info!(%bound, "metrics at http://{bound}/metrics");
    Ok(Some(metrics))
}

/// Serves until `shutdown` resolves. Recovery runs after the listener is up, so health
/// probes see NOT_SERVING (and API calls UNAVAILABLE) until it finishes.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), String> {
    let policy = crate::load_policy(&settings)?;
    let relatedness = crate::load_relatedness(&settings)?;
    if !settings.store.url.trim().is_empty() && !settings.backup.dir.as_os_str().is_empty() {
        return Err("configuration: backup.dir snapshots the embedded store; with store.url the record is in \
                    PostgreSQL, whose own backups (pg_dump, base backups) keep it; unset backup.dir"
            .into());
    }
    let (reporter, health) = tonic_health::server::health_reporter();
    set_all(&reporter, ServingStatus::NotServing).await;
    // Both reflection versions: v1 for current tools, v1alpha for older ones (grpcurl's
    // fallback, Python's grpcio-reflection).
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|error| format!("reflection: {error}"))?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|error| format!("reflection: {error}"))?;
    let cell: Arc<OnceLock<Arc<Engine>>> = Arc::new(OnceLock::new());
    let (stopping, stopping_seen) = tokio::sync::watch::channel(false);
    let shared = Shared {
        stopping: stopping_seen,
        engine: cell.clone(),
        limits: settings.limits,
        retention_days: settings.audit.retention_days,
        ranking: Arc::new(crate::grpc::RankingPool::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            settings.limits.ranking_queue,
        )),
    };
    let max = settings.limits.max_message_bytes;
    let metrics = start_metrics(&settings, cell.clone()).await?;

    // No tonic timeout: the edge layer answers DEADLINE_EXCEEDED itself, before tonic's
    // own timer (which says CANCELLED) would fire.
    let mut builder = Server::builder();
    if !settings.tls.cert_path.as_os_str().is_empty() {
        let cert = std::fs::read(&settings.tls.cert_path)
            .map_err(|error| format!("tls.cert_path {}: {error}", settings.tls.cert_path.display()))?;
        let key = std::fs::read(&settings.tls.key_path)
            .map_err(|error| format!("tls.key_path {}: {error}", settings.tls.key_path.display()))?;
        builder = builder
            .tls_config(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))
            .map_err(|error| format!("tls: {error}"))?;
    }
    let router = builder
        .layer(crate::edge::EdgeLayer {
            request_timeout: Duration::from_millis(settings.limits.request_timeout_ms),
            metrics,
            engine: cell.clone(),
        })
        .layer(AuthLayer::new(Arc::new(Auth::new(&settings.auth))))
        .add_service(health)
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(
            OfferServiceServer::new(OfferApi(shared.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            ParticipantServiceServer::new(ParticipantApi(shared.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            MatchingServiceServer::new(MatchingApi(shared.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            AuditServiceServer::new(AuditApi(shared.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            VocabularyServiceServer::new(VocabularyApi(shared.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            PlacementServiceServer::new(PlacementApi(shared))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        );

    let address = listener.local_addr().map_err(|error| error.to_string())?;
    tracing::info!(%address, data_dir = %settings.data_dir.display(), "listening; recovering state");
    let (stop_recovery, recovery) = {
        let reporter = reporter.clone();
        let cell = cell.clone();
        let settings = settings.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<String>();
        let task = tokio::spawn(async move {
            let demo = settings.demo;
            let audit_settings = settings.audit;
            let sweep_minutes = settings.placement.sweep_minutes;
            let backup_settings = settings.backup.clone();
            let data_dir = settings.data_dir.clone();
            let max_lag = Duration::from_millis(settings.index.max_lag_ms);
            let opened = tokio::task::spawn_blocking(move || {
                let engine = Engine::open(&crate::engine_options(&settings), policy, &relatedness)?;
                if demo {
                    let outcome = crate::demo::seed(&engine, crate::grpc::today())?;
                    tracing::info!(?outcome, "demo dataset");
                }
                Ok::<_, crate::error::ServiceError>(engine)
            });
            match opened.await {
                Ok(Ok(engine)) => {
                    let engine = Arc::new(engine);
                    let _ = cell.set(engine.clone());
                    set_all(&reporter, ServingStatus::Serving).await;
                    tracing::info!("serving");
                    // All in this task, so aborting it at shutdown lets the engine go.
                    let purge = async {
                        let mut purge = tokio::time::interval(PURGE_EVERY);
                        loop {
                            purge.tick().await;
                            let engine = engine.clone();
                            let today = crate::grpc::today();
                            if let Ok(Err(error)) =
                                tokio::task::spawn_blocking(move || engine.purge_expired(today)).await
                            {
                                tracing::warn!(%error, "purging expired offers failed");
                            }
                        }
                    };
                    tokio::join!(
                        purge,
                        follow_health(engine.clone(), reporter.clone(), max_lag),
                        keep_audit_retention(engine.clone(), audit_settings),
                        sweep_referrals(engine.clone(), sweep_minutes),
                        keep_backups(engine.clone(), data_dir, backup_settings),
                        crate::traces::report_dropped_log_lines()
                    );
                }
                Ok(Err(error)) => {
                    let _ = stop.send(error.to_string());
                }
                Err(error) => {
                    let _ = stop.send(error.to_string());
                }
            }
        });
        (stopped, task)
    };
    let failure: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let failure_seen = failure.clone();
    let reporter_for_shutdown = reporter.clone();
    let stop = async move {
        tokio::select! {
            () = shutdown => {}
            Ok(message) = stop_recovery => {
                let _ = failure_seen.set(message);
            }
        }
        set_all(&reporter_for_shutdown, ServingStatus::NotServing).await;
        let _ = stopping.send(true);
        tracing::info!("shutting down: draining requests");
    };
    // Small replies must not wait for delayed ACKs (a 40 ms stall per request otherwise).
    let incoming = TcpListenerStream::new(listener).map(|connection| {
        if let Ok(stream) = &connection {
            let _ = stream.set_nodelay(true);
        }
        connection
    });
    let served = router.serve_with_incoming_shutdown(incoming, stop).await;
    recovery.abort();
    if let Some(engine) = cell.get().cloned() {
        tokio::task::spawn_blocking(move || {
            engine.flush()?;
            // A snapshot that cannot be written costs the next start time, nothing else.
            if let Err(error) = engine.save_pool_snapshot() {
                tracing::warn!(%error, "no pool snapshot for the next start");
            }
            Ok::<_, pomost_engine::EngineError>(())
        })
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())?;
    }
    if let Some(message) = failure.get() {
        return Err(message.clone());
    }
    served.map_err(|error| format!("server: {error}"))?;
    tracing::info!("stopped");
    Ok(())
}
