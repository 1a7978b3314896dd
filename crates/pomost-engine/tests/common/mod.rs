//! Set-up shared by the engine's integration tests.

use pomost_engine::EngineOptions;

/// An embedded engine in `dir` for a test: SQLite synced NORMAL (tests need no power-loss
/// durability), no disk reserve, no full check at start, default limits and placement.
pub fn test_options(dir: &std::path::Path) -> EngineOptions {
    EngineOptions {
        data_dir: dir.to_owned(),
        store: pomost_store::SqliteOptions { synchronous: pomost_store::Synchronous::Normal, ..Default::default() },
        store_url: String::new(),
        store_ca_path: Default::default(),
        index: pomost_index::IndexOptions::default(),
        reserve_bytes: 0,
        limits: Default::default(),
        full_check_at_start: false,
        placement: Default::default(),
        offer_cache: pomost_engine::DEFAULT_OFFER_CACHE,
        max_behind_changes: pomost_engine::DEFAULT_MAX_BEHIND,
    }
}
