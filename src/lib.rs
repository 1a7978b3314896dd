//! The Pomost service: the gRPC API (`pomost.v1`) over the store, the offer index and the
//! scoring pool, with configuration, auth, and the command-line tools.

pub mod proto {
    //! Generated wire types and services of `pomost.v1`.
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("pomost.v1");
    include!(concat!(env!("OUT_DIR"), "/bounds.rs"));

    /// Encoded descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("pomost_descriptor");
}

pub mod auth;
pub mod backup;
pub mod bounds;
pub mod check;
pub mod client;
pub mod codec;
pub mod config;
pub mod convert;
pub mod demo;
pub mod edge;
pub mod error;
pub mod exposure;
pub mod grpc;
pub mod metrics;
pub mod placement_cli;
pub mod role;
pub mod server;
pub mod simulate;
pub mod traces;
pub mod vocabulary;

use pomost_domain::SkillRelatedness;
use pomost_scoring::ScoringPolicy;

/// The skill relatedness table: the configured file, or the built-in vocabulary of
/// reintegration work (`pomost-taxonomy`).
pub fn load_relatedness(settings: &config::Settings) -> Result<SkillRelatedness, String> {
    if settings.skills_path.as_os_str().is_empty() {
        return Ok(pomost_taxonomy::relatedness());
    }
    let path = settings.skills_path.display();
    let text =
        std::fs::read_to_string(&settings.skills_path).map_err(|error| format!("skills_path {path}: {error}"))?;
    let table: SkillRelatedness = toml::from_str(&text).map_err(|error| format!("skills_path {path}: {error}"))?;
    table.validated().map_err(|error| format!("skills_path {path}: {error}"))
}

pub use pomost_engine as engine;

/// The engine's options from the settings.
pub fn engine_options(settings: &config::Settings) -> engine::EngineOptions {
    engine::EngineOptions {
        data_dir: settings.data_dir.clone(),
        store: sqlite_options(settings),
        store_url: settings.store.url.clone(),
        store_ca_path: settings.store.ca_path.clone(),
        index: pomost_index::IndexOptions {
            commit_interval: std::time::Duration::from_millis(settings.index.commit_interval_ms),
            commit_max_changes: settings.index.commit_max_changes,
            ..pomost_index::IndexOptions::default()
        },
        reserve_bytes: settings.store.reserve_bytes,
        limits: engine::RankingLimits { max_k: settings.limits.max_k, ..engine::RankingLimits::default() },
        full_check_at_start: settings.store.full_check_at_start,
        placement: engine::PlacementOptions {
            default_adaptation_weeks: settings.placement.default_adaptation_weeks,
            referral_expiry_days: settings.placement.referral_expiry_days.max(1),
            min_cell_size: settings.placement.min_cell_size.max(1),
        },
        offer_cache: settings.store.offer_cache,
        max_behind_changes: settings.index.max_behind_changes,
    }
}

/// The embedded store's options from the settings.
pub fn sqlite_options(settings: &config::Settings) -> pomost_store::SqliteOptions {
    pomost_store::SqliteOptions {
        synchronous: settings.store.synchronous,
        check_integrity: settings.store.check_integrity,
        busy_timeout_ms: settings.store.busy_timeout_ms,
        max_db_bytes: settings.store.max_db_bytes,
    }
}

/// The scoring policy: the configured file, or the built-in one.
pub fn load_policy(settings: &config::Settings) -> Result<ScoringPolicy, String> {
    if settings.policy_path.as_os_str().is_empty() {
        return Ok(ScoringPolicy::default());
    }
    let text = std::fs::read_to_string(&settings.policy_path)
        .map_err(|error| format!("policy_path {}: {error}", settings.policy_path.display()))?;
    ScoringPolicy::from_toml_str(&text)
        .map_err(|error| format!("policy_path {}: {error}", settings.policy_path.display()))
}
