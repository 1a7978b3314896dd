//! A scan shared between the thread that asked for it and rayon's threads. Handing the whole
//! scan to rayon (a parallel iterator called from outside the pool) leaves the caller asleep
//! while the pool works, and costs two wake-ups of a sleeping thread on the way: the pool's
//! at the start and the caller's at the end, each 70-120 µs on a virtual machine, a tenth of
//! a regional list. Here the caller scans from the first moment, the pool's threads join
//! when they wake, and each takes the next run of items nobody has taken (so all start near
//! the front, where a shortlist's nearest people are); the caller then waits for a helper's
//! last run spinning, not asleep.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long the caller spins for a helper still at work before it sleeps: about one wake-up
/// of a sleeping thread, the cost the spinning saves. A helper at work is within its last
/// run of items, which takes microseconds.
const SPIN: Duration = Duration::from_micros(150);

/// Folds `items` on the calling thread and on every thread of rayon's pool (none when
/// [`helpers_for`] says so), each folding the runs of items it takes ([`take`]) into its
/// own accumulator (made by `new`), then merges the accumulators. The result must not
/// depend on which thread took which item (`step` and `merge` give the same answer in any
/// order), as with any parallel fold.
///
/// Every pool thread is asked, not one: on the 2-core virtual machines this was measured on,
/// one thread woken by a busy caller was often queued on the caller's core and ran only when
/// the caller stopped (likely because the kernel takes a halted virtual core for a busy
/// one); asking all, the one on the idle core joins at once and the other finds the items
/// taken.
pub(crate) fn fold_shared<T, A>(
    items: &[T],
    new: impl Fn() -> A + Sync,
    step: impl Fn(A, &T) -> A + Sync,
    merge: impl Fn(A, A) -> A,
) -> A
where
    T: Sync,
    A: Send,
{
    fold_shared_beside(items, || (), new, step, merge).0
}

/// [`fold_shared`] where the calling thread first runs `beside` (work of its own, such as
/// writing an audit entry, mostly waiting for a sync) while the pool's threads start on the
/// items, then joins them; gives the fold and what `beside` gave.
pub(crate) fn fold_shared_beside<T, A, R>(
    items: &[T],
    beside: impl FnOnce() -> R,
    new: impl Fn() -> A + Sync,
    step: impl Fn(A, &T) -> A + Sync,
    merge: impl Fn(A, A) -> A,
) -> (A, R)
where
    T: Sync,
    A: Send,
{
    let helpers = helpers_for(items.len(), rayon::current_num_threads());
    let takers = helpers + 1;
    let next = AtomicUsize::new(0);
    let (started, finished) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let helped = Mutex::new(Vec::with_capacity(helpers));
    let work = || {
        let mut accumulator = new();
        while let Some(taken) = take(&next, items.len(), takers) {
            for item in &items[taken] {
                accumulator = step(accumulator, item);
            }
        }
        accumulator
    };
    let (mine, beside) = rayon::in_place_scope(|scope| {
        if helpers > 0 {
            scope.spawn_broadcast(|_, _| {
                started.fetch_add(1, Ordering::Relaxed);
                let accumulator = work();
                helped.lock().unwrap_or_else(PoisonError::into_inner).push(accumulator);
                finished.fetch_add(1, Ordering::Release);
            });
        }
        let beside = beside();
        let mine = work();
        let since = Instant::now();
        while finished.load(Ordering::Acquire) < started.load(Ordering::Relaxed) && since.elapsed() < SPIN {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        }
        (mine, beside)
    });
    (helped.into_inner().unwrap_or_else(PoisonError::into_inner).into_iter().fold(mine, merge), beside)
}

/// How many of a pool's `threads` to ask to help with `items`: all of them, or none for a
/// single item or a pool of one thread (it stands for one core, where a helper would only
/// take turns with the caller, and the caller's spinning would hold it up).
fn helpers_for(items: usize, threads: usize) -> usize {
    if items > 1 && threads > 1 { threads } else { 0 }
}

/// The next run of items nobody has taken, `None` when all are: a quarter of each of the
/// `takers`' share of what is left, so that the runs are long while much is left (one
/// atomic operation per item costs a national scan's thousands of buckets a cache line
/// passed between the cores each time) and short at the end (the threads finish together).
fn take(next: &AtomicUsize, len: usize, takers: usize) -> Option<std::ops::Range<usize>> {
    let mut start = next.load(Ordering::Relaxed);
    loop {
        if start >= len {
            return None;
        }
        let end = start + ((len - start) / (takers * 4)).max(1);
        match next.compare_exchange_weak(start, end, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return Some(start..end),
            Err(now) => start = now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_folded_once_however_many() {
        let items: Vec<u64> = (1..=10_000).collect();
        for len in [0, 1, 2, 3, 10, 10_000] {
            let items = &items[..len];
            let (sum, count) = fold_shared(
                items,
                || (0u64, 0usize),
                |(sum, count), item| (sum + item, count + 1),
                |a, b| (a.0 + b.0, a.1 + b.1),
            );
            assert_eq!((sum, count), (items.iter().sum(), len), "{len} items");
        }
    }

    #[test]
    fn a_fold_started_on_a_pool_thread_finishes() {
        let items: Vec<u64> = (0..1_000).collect();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let sums: Vec<u64> = pool.install(|| {
            use rayon::prelude::*;
            (0..4).into_par_iter().map(|_| fold_shared(&items, || 0, |a, b| a + b, |a, b| a + b)).collect()
        });
        assert_eq!(sums, vec![499_500; 4]);
    }

    #[test]
    fn the_caller_runs_beside_once_and_the_items_are_all_folded() {
        let items: Vec<u64> = (0..100).collect();
        let ((sum, count), beside) = fold_shared_beside(
            &items,
            || "written",
            || (0, 0),
            |(sum, count), item| (sum + item, count + 1),
            |a, b| (a.0 + b.0, a.1 + b.1),
        );
        assert_eq!((sum, count, beside), (4_950, 100, "written"));
    }

    #[test]
    fn help_is_asked_of_a_pool_of_several_threads_for_several_items() {
        assert_eq!(helpers_for(1_000, 2), 2);
        assert_eq!(helpers_for(2, 8), 8);
        assert_eq!(helpers_for(1_000, 1), 0, "one thread stands for one core");
        assert_eq!(helpers_for(1, 8), 0);
        assert_eq!(helpers_for(0, 8), 0);
    }

    #[test]
    fn no_items_give_the_new_accumulator() {
        let folded = fold_shared(&[] as &[u8], || 7u32, |a, _| a + 1, |a, b| a + b);
        assert_eq!(folded, 7);
    }

    #[test]
    fn a_panic_in_a_step_reaches_the_caller() {
        let items: Vec<u32> = (0..1_000).collect();
        let caught = std::panic::catch_unwind(|| {
            fold_shared(&items, || 0u32, |a, &item| if item == 500 { panic!("step") } else { a + 1 }, |a, b| a + b)
        });
        assert!(caught.is_err());
    }
}
