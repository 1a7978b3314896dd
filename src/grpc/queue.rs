//! The ranking pool: rankings and searches run on worker threads sized to the cores, taken
//! from one bounded first-in-first-out queue. Beyond the bound a request is refused at once
//! with RESOURCE_EXHAUSTED and a retry hint instead of waiting without limit, and nobody
//! overtakes anybody, so under load the tail stays close to the mean.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use tonic::Status;

use crate::error::ServiceError;

type Job = Box<dyn FnOnce() + Send>;

/// Worker threads and their bounded queue.
pub struct RankingPool {
    sender: SyncSender<Job>,
    depth: usize,
    workers: usize,
    waiting: Arc<AtomicUsize>,
}

impl std::fmt::Debug for RankingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RankingPool").field("workers", &self.workers).field("depth", &self.depth).finish()
    }
}

impl RankingPool {
    /// `workers` threads (at least one) and room for `depth` waiting requests.
    pub fn new(workers: usize, depth: usize) -> Self {
        let (sender, receiver) = sync_channel::<Job>(depth);
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = workers.max(1);
        for number in 0..workers {
            let receiver: Arc<Mutex<Receiver<Job>>> = receiver.clone();
            let spawned = std::thread::Builder::new().name(format!("ranking-{number}")).spawn(move || {
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
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "a ranking worker could not start");
            }
        }
        Self { sender, depth, workers, waiting: Arc::new(AtomicUsize::new(0)) }
    }

    /// Requests queued and not yet taken by a worker.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Runs `work` on the pool (with the request's commit gate and trace span, as
    /// [`super::support::blocking`] does), or refuses it when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, Status> {
        let clock = crate::edge::current_clock();
        let span = tracing::Span::current();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let waiting = self.waiting.clone();
        waiting.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move || {
            waiting.fetch_sub(1, Ordering::Relaxed);
            let _inside = span.enter();
            let result = match clock {
                Some(clock) => pomost_store::with_commit_gate(clock, work),
                None => work(),
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_with_a_retry_hint() {
        let pool = Arc::new(RankingPool::new(1, 1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        let busy = {
            let (pool, wait) = (pool.clone(), wait.clone());
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = wait.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                    Ok(1)
                })
                .await
            })
        };
        // Let the worker take the first job, then fill the one queue slot.
        while pool.waiting() > 0 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let queued = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| Ok(2)).await })
        };
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        let refused = pool.run(|| Ok(3)).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert_eq!(refused.metadata().get("retry-after-ms").and_then(|value| value.to_str().ok()), Some("100"));
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 2, "first in, first out: the queued one still runs");
        assert_eq!(pool.run(|| Ok(4)).await.unwrap(), 4);
    }
}
