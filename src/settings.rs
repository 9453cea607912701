//! Runtime settings: `Leptos.toml`, overridden by `ELASTICDASH__SECTION__KEY`
//! environment variables (e.g. `ELASTICDASH__STORES__PRIMARY_URL`).

use crate::secret::Secret;
use serde::Deserialize;
use std::{net::SocketAddr, path::Path};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub log: LogSettings,
    pub stores: StoreSettings,
    pub auth: AuthSettings,
    pub worker: WorkerSettings,
    pub mail: MailSettings,
    pub rate_limits: RateLimitSettings,
    pub ingest: IngestSettings,
    pub retention: RetentionSettings,
    pub llm: LlmSettings,
    pub datasets: DatasetSettings,
}

/// Trace ingestion (OTLP and the JSON API): request bounds and the write queue (`src/ingest`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// Largest request body as sent (compressed or not).
    pub body_limit_bytes: usize,
    /// Largest body after gzip decompression.
    pub max_decompressed_bytes: usize,
    /// More spans in one request → 413.
    pub max_spans_per_request: usize,
    /// Input/output longer than this go to the blob store (the row keeps a preview).
    pub max_payload_bytes: usize,
    /// Spans accepted but not yet written; beyond it requests get 503 + Retry-After.
    pub queue_capacity_spans: usize,
    /// Most spans written in one store call.
    pub max_batch_spans: usize,
    /// How long the writer waits for more requests to join a batch.
    pub max_wait_ms: u64,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            body_limit_bytes: 16 << 20,
            max_decompressed_bytes: 64 << 20,
            max_spans_per_request: 20_000,
            max_payload_bytes: 32 << 10,
            queue_capacity_spans: 100_000,
            max_batch_spans: 10_000,
            max_wait_ms: 5,
        }
    }
}

/// Requests allowed per client before 429 (see `http::rate_limit`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Sign-in and other auth form posts, per IP.
    pub auth_per_15_minutes: u32,
    /// Server functions and JSON API calls, per user (or IP when anonymous).
    pub api_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings { auth_per_15_minutes: 10, api_per_minute: 600 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// Where the built site (pkg/, vendor/, CSS) is served from.
    pub site_root: String,
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    /// Requests slower than this are logged as warnings.
    pub slow_request_ms: u64,
    /// Mark cookies Secure and use the `__Host-` prefix (turn on behind TLS).
    pub secure_cookies: bool,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Where people reach this site, for links in e-mails (no trailing slash).
    pub public_url: String,
    /// `GET /metrics` needs `Authorization: Bearer <this>`; empty: only callers on this machine
    /// (loopback) may read it.
    pub metrics_token: Secret,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: "target/site".into(),
            request_timeout_secs: 30,
            body_limit_bytes: 10 * 1024 * 1024,
            slow_request_ms: 1000,
            secure_cookies: false,
            shutdown_grace_secs: 20,
            public_url: "http://127.0.0.1:3000".into(),
            metrics_token: Secret::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info,sqlx=warn`.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { format: "text".into(), filter: "info,sqlx=warn,aws_config=warn,aws_smithy_runtime=warn".into() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// `sqlite://path` or `postgres://user:password@host:port/db`.
    pub primary_url: String,
    /// `sqlite://path` or ClickHouse `http(s)://host:port/database`.
    pub analytics_url: String,
    /// `file://folder` or `s3://bucket/optional/prefix`.
    pub blob_url: String,
    pub clickhouse: ClickHouseSettings,
    pub s3: S3Settings,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            primary_url: "sqlite://data/elasticdash.db".into(),
            analytics_url: "sqlite://data/analytics.db".into(),
            blob_url: "file://data/blobs".into(),
            clickhouse: ClickHouseSettings::default(),
            s3: S3Settings::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseSettings {
    pub user: String,
    pub password: Secret,
    /// Row-type validation needs `RowBinaryWithNamesAndTypes`, which old
    /// servers (18.16) lack; turn it on for modern ClickHouse.
    pub validation: bool,
}

impl Default for ClickHouseSettings {
    fn default() -> Self {
        ClickHouseSettings { user: "default".into(), password: Secret::default(), validation: false }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Settings {
    /// Empty for AWS; e.g. `http://127.0.0.1:9000` for MinIO or s3s-fs.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub path_style: bool,
}

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            endpoint: String::new(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: Secret::default(),
            path_style: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub session_idle_minutes: i64,
    /// Sessions end this long after sign-in, whatever the activity (ASVS 3.3.4).
    pub session_absolute_minutes: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            session_idle_minutes: 30,
            session_absolute_minutes: 12 * 60,
        }
    }
}

impl AuthSettings {
    pub fn hash_cost(&self) -> services::passwords::HashCost {
        services::passwords::HashCost {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerSettings {
    /// Run the background job worker inside `serve`.
    pub enabled: bool,
    pub lease_secs: u64,
    pub poll_ms: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings { enabled: true, lease_secs: 60, poll_ms: 500 }
    }
}

/// Trace retention: projects without their own period keep `default_days` of traces; every
/// `check_interval_secs` the server enqueues the expiry job (unless one is pending).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    pub default_days: u32,
    /// 0 = never enqueue (another server, or an external scheduler, does).
    pub check_interval_secs: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings { default_days: 30, check_interval_secs: 3600 }
    }
}

/// Spreadsheet uploads (issue 5): the largest file accepted (checked before the first byte) and
/// the chunk size the browser cuts it into (each chunk is one request, under the body limit).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetSettings {
    pub max_upload_bytes: u64,
    pub chunk_bytes: u64,
}

impl Default for DatasetSettings {
    fn default() -> Self {
        let d = services::datasets::UploadLimits::default();
        DatasetSettings { max_upload_bytes: d.max_upload_bytes, chunk_bytes: d.chunk_size }
    }
}

impl DatasetSettings {
    pub fn limits(&self) -> services::datasets::UploadLimits {
        services::datasets::UploadLimits { max_upload_bytes: self.max_upload_bytes, chunk_size: self.chunk_bytes }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// `smtp://host:port` (plain, e.g. a local relay), `smtps://user:pass@host:port`
    /// (implicit TLS) or `smtp+starttls://user:pass@host:port` (STARTTLS).
    pub smtp_url: Secret,
    pub from: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings { smtp_url: Secret::new("smtp://127.0.0.1:25"), from: "ElasticDash <noreply@localhost>".into() }
    }
}

/// The LLM features (playground, AI test generation).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// Encrypts provider keys at rest: 32 random bytes in base64 or hex
    /// (`openssl rand -base64 32`). Empty with the embedded SQLite store: generated on first
    /// start into `master.key` beside the database; required with PostgreSQL.
    pub master_key: Secret,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Read `path` if it exists, then apply environment overrides.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let builder = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml).required(false))
            .add_source(config::Environment::with_prefix("ELASTICDASH").prefix_separator("__").separator("__").try_parsing(true));
        let settings: Settings = builder.build().and_then(|c| c.try_deserialize()).map_err(|e| SettingsError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if self.auth.argon2_memory_kib < 19 * 1024 || self.auth.argon2_iterations < 2 {
            return Err(SettingsError("auth: argon2 needs at least 19456 KiB of memory and 2 iterations".into()));
        }
        if self.worker.lease_secs < 5 {
            return Err(SettingsError("worker.lease_secs must be at least 5".into()));
        }
        if !(1..=services::retention::MAX_RETENTION_DAYS).contains(&self.retention.default_days) {
            return Err(SettingsError(format!("retention.default_days must be from 1 to {}", services::retention::MAX_RETENTION_DAYS)));
        }
        if self.ingest.queue_capacity_spans == 0 || self.ingest.max_batch_spans == 0 || self.ingest.max_spans_per_request == 0 {
            return Err(SettingsError("ingest: queue_capacity_spans, max_batch_spans and max_spans_per_request must be positive".into()));
        }
        if self.datasets.chunk_bytes < 64 * 1024 || self.datasets.chunk_bytes as usize >= self.server.body_limit_bytes {
            return Err(SettingsError("datasets.chunk_bytes must be at least 64 KiB and below server.body_limit_bytes".into()));
        }
        let master_key = self.llm.master_key.expose();
        if !master_key.trim().is_empty() {
            services::provider_keys::KeyCipher::from_encoded(master_key).map_err(|e| SettingsError(format!("llm.master_key: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_and_env_overrides_apply() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Leptos.toml");
        std::fs::write(&path, "[server]\naddr = \"127.0.0.1:4000\"\n[stores]\nblob_url = \"file:///tmp/x\"\n").unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.server.addr.port(), 4000);
        assert_eq!(s.stores.blob_url, "file:///tmp/x");
        assert_eq!(s.stores.primary_url, "sqlite://data/elasticdash.db");
    }

    #[test]
    fn unknown_keys_and_weak_hashing_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Leptos.toml");
        std::fs::write(&path, "[server]\nadress = \"x\"\n").unwrap();
        assert!(Settings::load(&path).is_err());
        std::fs::write(&path, "[auth]\nargon2_memory_kib = 1024\n").unwrap();
        assert!(Settings::load(&path).is_err());
    }

    #[test]
    fn a_malformed_master_key_is_rejected_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Leptos.toml");
        std::fs::write(&path, "[llm]\nmaster_key = \"not-a-key-but-secret\"\n").unwrap();
        let e = Settings::load(&path).unwrap_err().to_string();
        assert!(e.contains("llm.master_key") && !e.contains("not-a-key-but-secret"), "{e}");
        let good = services::provider_keys::KeyCipher::generate_encoded();
        std::fs::write(&path, format!("[llm]\nmaster_key = \"{good}\"\n")).unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.llm.master_key.expose(), good);
        assert!(!format!("{s:?}").contains(&good), "Debug hides the key");
    }
}
