//! What every gRPC adapter shares: the engine handle, running blocking work off the
//! reactor with the request's deadline, reading bulk streams, and small conversions.

use std::sync::{Arc, OnceLock};

use time::{Date, OffsetDateTime};
use tonic::Status;

use super::queue::Load;
use crate::auth::{Caller, Role};
use crate::config::Limits;
use crate::convert::parse_date;
use crate::engine::{AwaitingAudit, Engine, ScanControl};
use crate::error::ServiceError;

/// What every adapter holds.
#[derive(Clone)]
pub struct Shared {
    /// The engine, once recovery has finished.
    pub engine: Arc<OnceLock<Arc<Engine>>>,
    /// Request limits.
    pub limits: Limits,
    /// Audit retention in days (reported by GetAuditStats).
    pub retention_days: u32,
    /// Where rankings and searches run, in order, with a bounded queue.
    pub ranking: Arc<super::queue::RankingPool>,
    /// Turns true when the server begins to shut down, so long-lived streams (match
    /// watches) end and graceful shutdown does not wait for them.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl Shared {
    /// The engine, or UNAVAILABLE while the service is still recovering.
    pub fn engine(&self) -> Result<Arc<Engine>, Status> {
        self.engine.get().cloned().ok_or_else(|| Status::unavailable("recovering state from the store; retry shortly"))
    }
}

/// Runs blocking engine work off the async reactor. Its commits ask the request's clock
/// first, so a write whose deadline has passed is rolled back instead of applied.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, Status> {
    let clock = crate::edge::current_clock();
    let span = tracing::Span::current();
    let task = tokio::task::spawn_blocking(move || {
        let _inside = span.enter();
        match clock {
            Some(clock) => pomost_store::with_commit_gate(clock, work),
            None => work(),
        }
    });
    match task.await {
        Ok(result) => result.map_err(crate::error::status),
        Err(error) => Err(crate::error::status(ServiceError::Internal(error.to_string()))),
    }
}

/// Cancels its scan when dropped: tonic drops a handler's future when the deadline passes
/// or the client goes away, and the ranking work watching the control then stops.
struct CancelOnDrop(Arc<ScanControl>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl Shared {
    /// Runs a ranking or search on the ranking pool (bounded, first in first out).
    pub(crate) async fn ranked<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, Status> {
        self.ranking.run(work).await
    }

    /// [`Shared::ranked`] for a scan: it spreads over every core only when it has the pool
    /// to itself, and stops early once nobody waits for it. The work learns whether it had
    /// the pool to itself when it started.
    pub(crate) async fn ranked_cancellable<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ScanControl, Load) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, Status> {
        let control = Arc::new(ScanControl::new());
        let _cancel_on_drop = CancelOnDrop(control.clone());
        self.ranking
            .run_under_load(move |load| {
                control.keep_to_one_core(load == Load::Shared);
                work(&control, load)
            })
            .await
    }

    /// A ranking that is audited; the answer is given once its entry is durable. Under load
    /// the entry is written on the blocking pool, so that waiting for its sync does not hold
    /// one of the ranking workers (one per core) while other requests queue for them; a
    /// ranking that had the pool to itself writes it on its own worker straight away, which
    /// spares a request alone two hand-overs between threads (the other worker is free to
    /// take whatever comes meanwhile).
    pub(crate) async fn ranked_and_recorded<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ScanControl) -> Result<AwaitingAudit<T>, ServiceError> + Send + 'static,
    ) -> Result<T, Status> {
        let engine = self.engine()?;
        let on_worker = engine.clone();
        let started = std::time::Instant::now();
        let ranked = self
            .ranked_cancellable(move |control, load| {
                let ranked = work(control)?;
                match load {
                    Load::Alone => on_worker.record(ranked).map(Audited::Written),
                    Load::Shared => Ok(Audited::Awaiting(Box::new(ranked))),
                }
            })
            .await?;
        let ranked_at = started.elapsed();
        let answer = match ranked {
            Audited::Written(answer) => Ok(answer),
            Audited::Awaiting(ranked) => blocking(move || engine.record(*ranked)).await,
        };
        tracing::debug!(
            ranked_us = ranked_at.as_micros() as u64,
            audited_us = (started.elapsed() - ranked_at).as_micros() as u64,
            "ranked and audited"
        );
        answer
    }
}

/// A ranking's answer once its audit entry is written, or still awaiting it.
enum Audited<T> {
    Written(T),
    Awaiting(Box<AwaitingAudit<T>>),
}

/// The per-item results of a bulk stream, in stream order: the rejected items with their
/// reason and the written ones with their result (one shape for offers, participants and
/// job coaches).
pub(crate) fn bulk_items(
    rejected: Vec<(u32, pomost_domain::ValidationError)>,
    results: impl IntoIterator<Item = (u32, crate::proto::WriteResult)>,
) -> Vec<crate::proto::BulkItem> {
    use crate::proto::{BulkItem, ItemError};
    let mut items: Vec<BulkItem> = rejected
        .into_iter()
        .map(|(index, error)| BulkItem {
            index,
            result: None,
            error: Some(ItemError { field: error.field, reason: error.reason }),
        })
        .collect();
    items.extend(results.into_iter().map(|(index, result)| BulkItem { index, result: Some(result), error: None }));
    items.sort_by_key(|item| item.index);
    items
}

/// A client-streamed upload, read and converted item by item.
pub(crate) struct Upload<T> {
    /// Items that converted, with their position in the stream.
    pub(crate) accepted: Vec<(u32, T)>,
    /// Items that did not, with their position and why.
    pub(crate) rejected: Vec<(u32, pomost_domain::ValidationError)>,
    /// Items in the stream.
    pub(crate) count: u32,
}

impl<T> Upload<T> {
    /// Reads `stream` to its end, converting each item; refuses more than `max` items.
    pub(crate) async fn read<W>(
        mut stream: tonic::Streaming<W>,
        max: usize,
        what: &str,
        convert: impl Fn(W) -> Result<T, pomost_domain::ValidationError>,
    ) -> Result<Self, Status> {
        use tokio_stream::StreamExt;
        let mut upload = Upload { accepted: Vec::new(), rejected: Vec::new(), count: 0 };
        while let Some(message) = stream.next().await {
            let position = upload.count;
            let message = message.map_err(|status| {
                Status::with_details(
                    status.code(),
                    format!("item {position}: {}", status.message()),
                    status.details().to_vec().into(),
                )
            })?;
            if upload.count as usize >= max {
                return Err(Status::resource_exhausted(format!(
                    "{what}: more than {max} items in one stream; split the upload"
                )));
            }
            match convert(message) {
                Ok(item) => upload.accepted.push((upload.count, item)),
                Err(error) => upload.rejected.push((upload.count, error)),
            }
            upload.count += 1;
        }
        Ok(upload)
    }
}

/// How many outcomes were committed writes.
pub(crate) fn written(outcomes: &[pomost_store::WriteOutcome]) -> u32 {
    outcomes.iter().filter(|outcome| matches!(outcome, pomost_store::WriteOutcome::Written { .. })).count() as u32
}

/// The caller the auth layer attached (dev mode and tests without the layer: "dev").
pub(crate) fn caller<T>(request: &tonic::Request<T>) -> Caller {
    request.extensions().get::<Caller>().cloned().unwrap_or(Caller { name: "dev".into(), role: Role::Admin })
}

/// Who asks, for the engine's audit entries.
pub(crate) fn requester<T>(request: &tonic::Request<T>) -> pomost_engine::Requester {
    let caller = caller(request);
    pomost_engine::Requester {
        caller: pomost_store::Caller { name: caller.name, role: caller.role.name().into() },
        request_id: request_id(),
        at_ms: crate::edge::current_arrival_ms(),
    }
}

/// Today in UTC.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The day a request is made for: its `as_of` or today.
pub(crate) fn as_of(path: &str, text: &str) -> Result<Date, Status> {
    if text.is_empty() {
        Ok(today())
    } else {
        parse_date(path, text).map_err(|error| crate::error::status(ServiceError::Invalid(error)))
    }
}

/// A validation error as a status.
pub(crate) fn invalid(error: pomost_domain::ValidationError) -> Status {
    crate::error::status(ServiceError::Invalid(error))
}

/// The id of the request being served (the edge's, also in `x-request-id`).
pub(crate) fn request_id() -> String {
    crate::edge::current_request_id()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use super::Shared;

    #[tokio::test]
    async fn dropping_the_request_stops_the_ranking_work() {
        let shared = Shared {
            engine: Arc::new(std::sync::OnceLock::new()),
            limits: crate::config::Settings::load(&[], &crate::config::Overrides::default()).unwrap().limits,
            retention_days: 0,
            ranking: Arc::new(super::super::queue::RankingPool::new(1, 4)),
            stopping: tokio::sync::watch::channel(false).1,
        };
        let stopped = Arc::new(AtomicBool::new(false));
        let seen = stopped.clone();
        let request = tokio::spawn(async move {
            shared
                .ranked_cancellable(move |cancel, _| {
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while !cancel.is_cancelled() && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    seen.store(cancel.is_cancelled(), Ordering::Relaxed);
                    Ok(())
                })
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        request.abort();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !stopped.load(Ordering::Relaxed) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(stopped.load(Ordering::Relaxed), "the work saw the cancellation");
    }
}
