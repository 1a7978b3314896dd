//! The ranking pool: rankings and searches run on threads sized to the cores, started first
//! in first out from one bounded queue. Beyond the bound a request is refused at once with
//! RESOURCE_EXHAUSTED and a retry hint instead of waiting without limit, and nobody
//! overtakes anybody, so under load the tail stays close to the mean.
//!
//! One dispatcher per core takes requests from the queue and runs them. Each request is told
//! whether it started alone: a lone shortlist shares its scan between its dispatcher and
//! rayon's pool of one thread per core, so it finishes soonest; when others are under way or
//! waiting it keeps to its dispatcher, so each core works through whole requests and none
//! waits for the other's last pieces (measured against two dispatchers per core with every
//! scan spread: the README's 64-in-flight row).
//!
//! A request runs on its dispatcher, never whole on a rayon thread: a rayon thread waiting
//! for a piece of its scan runs whatever else was handed to the pool, and a second
//! shortlist started there waited for the pool's read lock behind a waiting writer, which
//! waited for the first shortlist: every request then hung until its deadline.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use tonic::Status;

use crate::error::ServiceError;

type Job = Box<dyn FnOnce() + Send>;

/// Whether a request had the ranking pool to itself when it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// Nothing else was running or waiting: the request may use every core.
    Alone,
    /// Other requests were running or waiting: the request should keep to its own core.
    Shared,
}

/// Dispatchers and the bounded queue.
pub struct RankingPool {
    sender: SyncSender<Job>,
    depth: usize,
    workers: usize,
    waiting: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
}

impl std::fmt::Debug for RankingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RankingPool").field("workers", &self.workers).field("depth", &self.depth).finish()
    }
}

impl RankingPool {
    /// `workers` dispatchers (at least one; one per core) and room for `depth` waiting
    /// requests.
    pub fn new(workers: usize, depth: usize) -> Self {
        let (sender, receiver) = sync_channel::<Job>(depth);
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = workers.max(1);
        // The scans' threads, named for the ranking pool (an error only says the pool
        // already exists, in tests that start several servers).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|number| format!("ranking-{number}"))
            .build_global();
        for number in 0..workers {
            let receiver = receiver.clone();
            let spawned =
                std::thread::Builder::new().name(format!("ranking-queue-{number}")).spawn(move || dispatch(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "a ranking dispatcher could not start");
            }
        }
        Self { sender, depth, workers, waiting: Arc::new(AtomicUsize::new(0)), running: Arc::new(AtomicUsize::new(0)) }
    }

    /// Requests queued and not yet started.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Runs `work` on the pool (with the request's commit gate and trace span, as
    /// [`super::support::blocking`] does), or refuses it when the queue is full. A panic in
    /// `work` is a bug, answered with INTERNAL; the pool lives on.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, Status> {
        self.run_under_load(move |_| work()).await
    }

    /// [`RankingPool::run`] for work that can use every core: `work` is told whether it
    /// started alone.
    pub async fn run_under_load<T: Send + 'static>(
        &self,
        work: impl FnOnce(Load) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, Status> {
        let clock = crate::edge::current_clock();
        let span = tracing::Span::current();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let (waiting, running) = (self.waiting.clone(), self.running.clone());
        waiting.fetch_add(1, Ordering::Relaxed);
        let queued = std::time::Instant::now();
        let job: Job = Box::new(move || {
            let waited = queued.elapsed();
            let others_waiting = waiting.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
            let others_running = running.fetch_add(1, Ordering::Relaxed);
            let load = if others_waiting == 0 && others_running == 0 { Load::Alone } else { Load::Shared };
            let _inside = span.enter();
            let result = catch_unwind(AssertUnwindSafe(|| match clock {
                Some(clock) => pomost_store::with_commit_gate(clock, || work(load)),
                None => work(load),
            }))
            .unwrap_or_else(|_| Err(ServiceError::Internal("a ranking task panicked".into())));
            running.fetch_sub(1, Ordering::Relaxed);
            tracing::debug!(
                waited_us = waited.as_micros() as u64,
                ran_us = (queued.elapsed() - waited).as_micros() as u64,
                "ranking job"
            );
            let _ = answer.send(result);
        });
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                let mut status = Status::resource_exhausted(format!(
                    "the ranking queue is full ({} requests waiting for {} workers); retry after about 100 ms",
                    self.depth, self.workers
                ));
                status.metadata_mut().insert("retry-after-ms", tonic::metadata::MetadataValue::from(100u32));
                return Err(status);
            }
            Err(TrySendError::Disconnected(_)) => {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                return Err(Status::unavailable("the ranking workers have stopped; retry shortly"));
            }
        }
        match answered.await {
            Ok(result) => result.map_err(crate::error::status),
            Err(_) => Err(crate::error::status(ServiceError::Internal("a ranking worker dropped its answer".into()))),
        }
    }
}

/// A dispatcher: takes the next request from the queue and runs it, until the queue is
/// closed.
fn dispatch(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_with_a_retry_hint() {
        let pool = Arc::new(RankingPool::new(1, 1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        // The one dispatcher takes a request that holds on until released.
        let busy = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = wait.recv();
                    Ok(0)
                })
                .await
            })
        };
        while pool.waiting() > 0 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // Then the one queue slot fills.
        let queued = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| Ok(100)).await })
        };
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        let refused = pool.run(|| Ok(200)).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert_eq!(refused.metadata().get("retry-after-ms").and_then(|value| value.to_str().ok()), Some("100"));
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap().unwrap(), 0);
        assert_eq!(queued.await.unwrap().unwrap(), 100, "first in, first out: the queued one still runs");
        assert_eq!(pool.run(|| Ok(4)).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn a_panicking_task_is_answered_internal_and_the_pool_lives_on() {
        let pool = RankingPool::new(1, 4);
        let failed = pool.run(|| -> Result<u32, ServiceError> { panic!("a bug") }).await.unwrap_err();
        assert_eq!(failed.code(), tonic::Code::Internal);
        for number in 0..4 {
            assert_eq!(pool.run(move || Ok(number)).await.unwrap(), number, "every dispatcher still takes work");
        }
    }

    #[tokio::test]
    async fn a_request_is_told_whether_it_started_alone() {
        let pool = Arc::new(RankingPool::new(2, 4));
        assert_eq!(pool.run_under_load(Ok).await.unwrap(), Load::Alone);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, first_started) = std::sync::mpsc::channel::<()>();
        let first = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run_under_load(move |load| {
                    let _ = started.send(());
                    let _ = wait.recv();
                    Ok(load)
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || first_started.recv()).await.unwrap().unwrap();
        assert_eq!(pool.run_under_load(Ok).await.unwrap(), Load::Shared, "another request was under way");
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), Load::Alone);
        assert_eq!(pool.run_under_load(Ok).await.unwrap(), Load::Alone, "alone again once it finished");
    }
}
