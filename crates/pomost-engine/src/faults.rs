//! Injected read-model failures, per data directory and model: while listed, the follower's
//! applies to that model fail, and it must recover by replaying from the model's durable
//! sequence. For fault-injection tests and drills; production code never lists anything.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static FAILING: Mutex<Option<HashSet<(PathBuf, String)>>> = Mutex::new(None);

/// Makes applies to `model` ("pool", "index") of the engine on `data_dir` fail (`true`) or
/// work again (`false`).
pub fn fail_model(data_dir: &Path, model: &str, failing: bool) {
    let mut set = FAILING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let set = set.get_or_insert_with(HashSet::new);
    let key = (data_dir.to_owned(), model.to_owned());
    if failing {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

/// Whether applies to `model` on `data_dir` are to fail now.
pub(crate) fn model_fails(data_dir: &Path, model: &str) -> bool {
    FAILING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .as_ref()
        .is_some_and(|set| set.contains(&(data_dir.to_owned(), model.to_owned())))
}
