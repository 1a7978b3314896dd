//! Group commit: callers queue their item, then take the writer; whoever gets it commits
//! everything queued in one transaction, and each caller returns only once its own item is
//! durable (with its number, or the group's error). Used by both audit logs.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::StoreError;

type Slot = Arc<Mutex<Option<Result<u64, StoreError>>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A writer `W` shared by group commits of items `T` (see the module documentation).
pub(crate) struct GroupCommit<T, W> {
    queue: Mutex<Vec<(T, Slot)>>,
    writer: Mutex<W>,
}

impl<T, W> GroupCommit<T, W> {
    pub(crate) fn new(writer: W) -> Self {
        Self { queue: Mutex::new(Vec::new()), writer: Mutex::new(writer) }
    }

    /// The writer, for work outside group commits (imports, archiving).
    pub(crate) fn writer(&self) -> MutexGuard<'_, W> {
        lock(&self.writer)
    }

    /// Commits `item` with whatever else is queued: `commit` writes a group in one
    /// transaction and returns each item's number in order.
    pub(crate) fn submit(
        &self,
        item: T,
        commit: impl FnOnce(&mut W, &[&T]) -> Result<Vec<u64>, StoreError>,
    ) -> Result<u64, StoreError> {
        let slot: Slot = Arc::new(Mutex::new(None));
        lock(&self.queue).push((item, slot.clone()));
        let mut writer = lock(&self.writer);
        if let Some(result) = lock(&slot).take() {
            return result;
        }
        let group = std::mem::take(&mut *lock(&self.queue));
        let items: Vec<&T> = group.iter().map(|(item, _)| item).collect();
        let result = commit(&mut writer, &items);
        for (index, (_, waiter)) in group.iter().enumerate() {
            *lock(waiter) = Some(match &result {
                Ok(numbers) => numbers
                    .get(index)
                    .copied()
                    .ok_or_else(|| StoreError::Shared("a group commit returned too few numbers".into())),
                Err(error) => Err(error.duplicate()),
            });
        }
        drop(writer);
        lock(&slot).take().unwrap_or_else(|| Err(StoreError::Shared("the item was not in its group".into())))
    }
}
