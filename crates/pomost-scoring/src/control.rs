//! How one ranking's scan runs: whether it may spread over every core, and a flag that
//! makes it give up once nobody waits for it.

use std::sync::atomic::{AtomicBool, Ordering};

/// Handed to a scan by whoever runs it. A lone request spreads its scan over every core so
/// it finishes soonest; when other requests are under way each keeps to the core it runs
/// on, so no core waits for another's last pieces and nobody pays for splitting and
/// merging (more shortlists per second at 64 in flight: the README's 64-in-flight row).
/// The answer is the same either way.
#[derive(Debug, Default)]
pub struct ScanControl {
    cancelled: AtomicBool,
    one_core: AtomicBool,
}

impl ScanControl {
    /// A scan that may spread over every core and runs until it is done.
    pub fn new() -> Self {
        Self::default()
    }

    /// A scan that keeps to the calling thread (the ranking pool's choice under load).
    pub fn on_one_core() -> Self {
        let control = Self::new();
        control.keep_to_one_core(true);
        control
    }

    /// Asks the scan to give up (the caller went away or its deadline passed); it stops
    /// before its next bucket of records.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`ScanControl::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Keeps the scan to the calling thread (`true`) or lets it spread (`false`); read when
    /// the scan starts.
    pub fn keep_to_one_core(&self, one_core: bool) {
        self.one_core.store(one_core, Ordering::Relaxed);
    }

    /// Whether the scan may spread over every core.
    pub fn spreads(&self) -> bool {
        !self.one_core.load(Ordering::Relaxed)
    }
}
