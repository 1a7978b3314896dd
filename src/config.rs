//! Configuration: the embedded defaults (`config/default.toml`), then an optional file,
//! then `POMOST_*` environment variables, then flags; validated after loading.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use pomost_store::Synchronous;
use serde::Deserialize;

use crate::role::Role;

/// The defaults compiled into the binary.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../config/default.toml");

/// Everything the service reads at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Scoring policy file; empty for the built-in one.
    pub policy_path: PathBuf,
    /// Skill relatedness table; empty for the built-in one.
    pub skills_path: PathBuf,
    /// Seed the demo dataset into an empty data directory.
    pub demo: bool,
    /// Logging.
    pub log: LogSettings,
    /// API keys.
    pub auth: AuthSettings,
    /// TLS.
    pub tls: TlsSettings,
    /// Request limits.
    pub limits: Limits,
    /// Store options.
    pub store: StoreSettings,
    /// Index options.
    pub index: IndexSettings,
    /// Audit log options.
    pub audit: AuditSettings,
    /// The placement cycle.
    pub placement: PlacementSettings,
    /// Prometheus metrics.
    pub metrics: MetricsSettings,
    /// Scheduled online backups.
    pub backup: BackupSettings,
    /// OpenTelemetry traces.
    pub traces: TracesSettings,
}

/// OpenTelemetry traces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracesSettings {
    /// OTLP/gRPC collector, e.g. `http://127.0.0.1:4317`; empty turns traces off.
    pub otlp_endpoint: String,
    /// `service.name` of the spans.
    pub service_name: String,
}

/// Scheduled online backups.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    /// Directory the service writes `pomost-backup-<unix time>.tar.gz` into; empty turns
    /// scheduled backups off.
    pub dir: std::path::PathBuf,
    /// Minutes between backups (the first one this long after start).
    pub every_minutes: u64,
    /// Backups kept in `dir`; older ones are removed after a new one is written.
    pub keep: usize,
}

/// Prometheus metrics options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Address of the `/metrics` HTTP endpoint (e.g. `0.0.0.0:9464`); empty turns it off.
    pub listen: String,
}

/// Logging options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// Filter used without RUST_LOG.
    pub filter: String,
    /// JSON lines.
    pub json: bool,
}

/// One API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// Name written to the audit log.
    pub name: String,
    /// What the key may call.
    pub role: Role,
    /// SHA-256 of the bearer token, hex.
    pub sha256: String,
}

/// Authentication options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// No keys, loopback only.
    pub dev_mode: bool,
    /// API keys.
    pub keys: Vec<ApiKey>,
}

/// TLS options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// Certificate chain (PEM).
    pub cert_path: PathBuf,
    /// Private key (PEM).
    pub key_path: PathBuf,
}

/// Request limits.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest message, bytes.
    pub max_message_bytes: usize,
    /// Largest k.
    pub max_k: usize,
    /// Most offers in one UpsertOffers stream.
    pub max_batch: usize,
    /// Request deadline, ms.
    pub request_timeout_ms: u64,
    /// Rankings and searches waiting for a worker before more are refused with
    /// RESOURCE_EXHAUSTED.
    pub ranking_queue: usize,
}

/// Store options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// A PostgreSQL URL (`postgres://user:password@host:5432/db`) to keep the record in a
    /// database that several replicas share; empty for the embedded SQLite store.
    pub url: String,
    /// CA certificates (PEM) the database's certificate is checked against when the URL asks
    /// for TLS (`sslmode=require`); empty for the operating system's roots.
    pub ca_path: PathBuf,
    /// Commit durability.
    pub synchronous: Synchronous,
    /// Quick integrity check at open.
    pub check_integrity: bool,
    /// Full check at start (every record decoded and checksummed); damage stops the start.
    pub full_check_at_start: bool,
    /// Bounded wait for a lock held by another process, ms; then UNAVAILABLE.
    pub busy_timeout_ms: u64,
    /// Largest size of the database file, bytes (0: no cap); past it writes are refused
    /// as on a full disk.
    pub max_db_bytes: u64,
    /// Disk space set aside at start and released when the disk fills, so reads (and
    /// their audit entries) keep working, bytes (0: none).
    pub reserve_bytes: u64,
    /// Offers kept decoded in memory for rankings and search, most recently used first
    /// (0: every offer read from the store).
    pub offer_cache: usize,
}

/// Audit log options.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Entries older than this many days are archived to `audit-archive/` and removed
    /// from the log (0: keep everything in the log).
    pub retention_days: u32,
    /// How often retention runs, minutes.
    pub retention_check_minutes: u64,
}

/// The placement cycle (referrals, reservations, outcomes).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementSettings {
    /// Weeks a hire keeps the coach's hours when the offer states no adaptation period.
    pub default_adaptation_weeks: u32,
    /// Days after which an untouched open referral expires.
    pub referral_expiry_days: u32,
    /// Smallest cell outcome statistics show.
    pub min_cell_size: u32,
    /// How often expiry runs, minutes.
    pub sweep_minutes: u64,
}

/// Index options.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSettings {
    /// Longest wait before a commit, ms.
    pub commit_interval_ms: u64,
    /// Most changes before a commit.
    pub commit_max_changes: usize,
    /// Longest the index may stay behind the store before search and matching report
    /// NOT_SERVING, ms.
    pub max_lag_ms: u64,
    /// Changes a read model may fall behind the store before writes wait for it (while it
    /// makes progress; RESOURCE_EXHAUSTED with a retry hint once it is stuck); 0 for no
    /// bound.
    pub max_behind_changes: u64,
}

/// Values given on the command line, which win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--log-json`.
    pub log_json: bool,
    /// `--demo`.
    pub demo: bool,
}

/// Top-level settings keys, as they appear after `POMOST_` in an environment variable.
const ENV_KEYS: &[&str] = &[
    "LISTEN",
    "DATA_DIR",
    "POLICY_PATH",
    "SKILLS_PATH",
    "DEMO",
    "LOG__",
    "AUTH__",
    "TLS__",
    "LIMITS__",
    "STORE__",
    "INDEX__",
    "AUDIT__",
    "PLACEMENT__",
    "METRICS__",
    "BACKUP__",
    "TRACES__",
];

/// The `POMOST_*` variables that name a setting; others (`POMOST_CONFIG`, benchmark knobs)
/// are left alone instead of failing the strict parse.
fn settings_variables(variables: impl Iterator<Item = (String, String)>) -> config::Map<String, String> {
    variables
        .filter(|(name, _)| {
            name.strip_prefix("POMOST_").is_some_and(|rest| {
                ENV_KEYS.iter().any(|key| if key.ends_with("__") { rest.starts_with(key) } else { rest == *key })
            })
        })
        .collect()
}

impl Settings {
    /// Loads and validates the settings; later files override earlier ones (a ConfigMap's
    /// file, then a Secret's file with the keys).
    pub fn load(files: &[&Path], overrides: &Overrides) -> Result<Self, String> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULT_CONFIG_TOML, FileFormat::Toml));
        for path in files {
            builder = builder.add_source(File::from(*path).format(FileFormat::Toml).required(true));
        }
        builder = builder.add_source(
            Environment::with_prefix("POMOST")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(settings_variables(std::env::vars()))),
        );
        if let Some(listen) = &overrides.listen {
            builder = builder.set_override("listen", listen.as_str()).map_err(|error| error.to_string())?;
        }
        if let Some(dir) = &overrides.data_dir {
            builder =
                builder.set_override("data_dir", dir.to_string_lossy().as_ref()).map_err(|error| error.to_string())?;
        }
        if overrides.demo {
            builder = builder.set_override("demo", true).map_err(|error| error.to_string())?;
        }
        if overrides.log_json {
            builder = builder.set_override("log.json", true).map_err(|error| error.to_string())?;
        }
        let settings: Settings =
            builder.build().and_then(Config::try_deserialize).map_err(|error| format!("configuration: {error}"))?;
        settings.validated()
    }

    fn validated(self) -> Result<Self, String> {
        if self.auth.dev_mode && !self.listen.ip().is_loopback() {
            return Err(format!(
                "configuration: auth.dev_mode is allowed only on a loopback address, not {}; configure [[auth.keys]] and set auth.dev_mode = false",
                self.listen
            ));
        }
        if !self.auth.dev_mode && self.auth.keys.is_empty() {
            return Err(
                "configuration: no API keys; add [[auth.keys]] or enable auth.dev_mode on a loopback address".into()
            );
        }
        for (index, key) in self.auth.keys.iter().enumerate() {
            if key.sha256.len() != 64 || !key.sha256.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return Err(format!(
                    "configuration: auth.keys[{index}].sha256 must be 64 hex digits (pomost hash-key TOKEN)"
                ));
            }
            if key.name.trim().is_empty() {
                return Err(format!("configuration: auth.keys[{index}].name must not be empty"));
            }
        }
        if self.tls.cert_path.as_os_str().is_empty() != self.tls.key_path.as_os_str().is_empty() {
            return Err("configuration: tls.cert_path and tls.key_path go together".into());
        }
        let stall_ms = pomost_engine::ADMISSION_STALLED.as_millis() as u64;
        if self.index.max_behind_changes > 0 && self.index.commit_interval_ms >= stall_ms {
            return Err(format!(
                "configuration: index.commit_interval_ms must be under {stall_ms} while index.max_behind_changes bounds \
                 writes (a write past the bound is refused when the index makes nothing durable for {stall_ms} ms); \
                 shorten the interval or set index.max_behind_changes = 0"
            ));
        }
        if self.limits.max_k == 0 || self.limits.max_batch == 0 || self.limits.max_message_bytes < 1024 {
            return Err("configuration: limits must be positive (max_message_bytes at least 1024)".into());
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_load() {
        let settings = Settings::load(&[], &Overrides::default()).unwrap();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
        assert!(settings.auth.dev_mode);
        assert_eq!(settings.store.synchronous, Synchronous::Full);
    }

    #[test]
    fn a_commit_interval_longer_than_the_backlog_wait_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pomost.toml");
        std::fs::write(&path, "[index]\ncommit_interval_ms = 6000\n").unwrap();
        let error = Settings::load(&[&path], &Overrides::default()).unwrap_err();
        assert!(error.contains("index.commit_interval_ms must be under 5000"), "{error}");
        std::fs::write(&path, "[index]\ncommit_interval_ms = 6000\nmax_behind_changes = 0\n").unwrap();
        assert_eq!(Settings::load(&[&path], &Overrides::default()).unwrap().index.commit_interval_ms, 6000);
    }

    #[test]
    fn file_then_flags_override() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pomost.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:6000\"\n[limits]\nmax_k = 7\n").unwrap();
        let settings = Settings::load(&[&path], &Overrides::default()).unwrap();
        assert_eq!((settings.listen.port(), settings.limits.max_k), (6000, 7));
        let flags = Overrides { listen: Some("127.0.0.1:7000".into()), ..Overrides::default() };
        assert_eq!(Settings::load(&[&path], &flags).unwrap().listen.port(), 7000);
    }

    #[test]
    fn the_deployment_example_loads_with_its_secret() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys.toml");
        std::fs::write(
            &keys,
            format!("[[auth.keys]]\nname = \"pup\"\nrole = \"labour_office\"\nsha256 = \"{}\"\n", "ab".repeat(32)),
        )
        .unwrap();
        let settings = Settings::load(&[&root.join("deploy/pomost.toml"), &keys], &Overrides::default()).unwrap();
        assert_eq!(settings.listen.to_string(), "0.0.0.0:50051");
        assert!(!settings.auth.dev_mode);
        assert_eq!(settings.auth.keys.len(), 1);
        let error = Settings::load(&[&root.join("deploy/pomost.toml")], &Overrides::default()).unwrap_err();
        assert!(error.contains("no API keys"), "{error}");
    }

    #[test]
    fn only_setting_variables_are_read() {
        let variables = [
            ("POMOST_LISTEN", "127.0.0.1:1"),
            ("POMOST_LIMITS__MAX_K", "9"),
            ("POMOST_METRICS__LISTEN", "0.0.0.0:9464"),
            ("POMOST_TRACES__OTLP_ENDPOINT", "http://collector:4317"),
            ("POMOST_BACKUP__DIR", "/backups"),
            ("POMOST_CONFIG", "/etc/pomost.toml"),
            ("POMOST_BENCH_PARTICIPANTS", "10"),
            ("HOME", "/root"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()));
        let kept = settings_variables(variables.into_iter());
        let mut names: Vec<&String> = kept.keys().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "POMOST_BACKUP__DIR",
                "POMOST_LIMITS__MAX_K",
                "POMOST_LISTEN",
                "POMOST_METRICS__LISTEN",
                "POMOST_TRACES__OTLP_ENDPOINT"
            ]
        );
    }

    #[test]
    fn dev_mode_is_refused_off_loopback() {
        let flags = Overrides { listen: Some("0.0.0.0:50051".into()), ..Overrides::default() };
        let error = Settings::load(&[], &flags).unwrap_err();
        assert!(error.contains("loopback"), "{error}");
    }
}
