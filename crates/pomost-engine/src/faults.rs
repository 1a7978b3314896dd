//! Injected read-model faults, per data directory and model: while a model is listed as
//! failing, the follower's applies to it fail, and it must recover by replaying from the
//! model's durable sequence; while it is listed as stalled, the follower applies nothing to
//! it (a model too slow to keep up). For fault-injection tests and drills; production code
//! never lists anything.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

type Listed = Mutex<Option<HashSet<(PathBuf, String)>>>;

static FAILING: Listed = Mutex::new(None);
static STALLED: Listed = Mutex::new(None);

/// Makes applies to `model` ("pool", "index") of the engine on `data_dir` fail (`true`) or
/// work again (`false`).
pub fn fail_model(data_dir: &Path, model: &str, failing: bool) {
    list(&FAILING, data_dir, model, failing);
}

/// Makes the follower apply nothing to `model` of the engine on `data_dir` (`true`), or
/// apply again (`false`).
pub fn stall_model(data_dir: &Path, model: &str, stalled: bool) {
    list(&STALLED, data_dir, model, stalled);
}

fn list(listed: &Listed, data_dir: &Path, model: &str, on: bool) {
    let mut set = listed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let set = set.get_or_insert_with(HashSet::new);
    let key = (data_dir.to_owned(), model.to_owned());
    if on {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

/// Whether applies to `model` on `data_dir` are to fail now.
pub(crate) fn model_fails(data_dir: &Path, model: &str) -> bool {
    listed(&FAILING, data_dir, model)
}

/// Whether applies to `model` on `data_dir` are held back now.
pub(crate) fn model_stalls(data_dir: &Path, model: &str) -> bool {
    listed(&STALLED, data_dir, model)
}

fn listed(listed: &Listed, data_dir: &Path, model: &str) -> bool {
    listed
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .as_ref()
        .is_some_and(|set| set.contains(&(data_dir.to_owned(), model.to_owned())))
}
