//! The commit gate: a request whose deadline has passed must not be written. The service
//! runs each write on a blocking thread inside [`with_commit_gate`]; right before a commit
//! the store asks the gate, and a closed gate rolls the transaction back
//! ([`crate::error::StoreError::DeadlinePassed`]). A thread-local keeps the store's interface free of
//! request plumbing, and a write outside any gate always commits.

use std::cell::RefCell;
use std::sync::Arc;

/// Decides, once, whether a request may still commit. Opening is final: after `enter_commit`
/// returned true the request will be answered with the commit's truth, not a timeout.
pub trait CommitGate: Send + Sync {
    /// True if the commit may go ahead (and the request is now committed to waiting for it).
    fn enter_commit(&self) -> bool;
}

thread_local! {
    static GATE: RefCell<Option<Arc<dyn CommitGate>>> = const { RefCell::new(None) };
}

/// Runs `work` with `gate` consulted before each commit made on this thread.
pub fn with_commit_gate<T>(gate: Arc<dyn CommitGate>, work: impl FnOnce() -> T) -> T {
    let previous = GATE.with(|slot| slot.replace(Some(gate)));
    let result = work();
    GATE.with(|slot| *slot.borrow_mut() = previous);
    result
}

/// Whether the current thread's request may commit now.
pub(crate) fn may_commit() -> bool {
    GATE.with(|slot| slot.borrow().as_ref().is_none_or(|gate| gate.enter_commit()))
}
