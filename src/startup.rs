//! Wiring: settings → stores → router → listening server (+ worker).

use crate::{
    http::{self, metrics::Metrics},
    session_store::PrimarySessionStore,
    settings::{Settings, StoreSettings},
    worker::{Worker, WorkerHandle},
};
use app::{shell, App};
use axum::{extract::FromRef, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use services::{
    llm_calls::SpanSink,
    llm_gateway::ProviderGateway,
    ports::{AnalyticsStore, BlobStore, PrimaryStore},
    provider_keys::KeyCipher,
    AppServices, StoreError, Stores,
};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::net::TcpListener;

/// Everything a request handler may need.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    /// What use cases need (also the Leptos context of server functions).
    pub services: AppServices,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<Settings>,
    pub rate_limiter: Arc<http::rate_limit::RateLimiter>,
    /// Trace ingestion: quota gate, limits and the write queue.
    pub ingest: Arc<crate::ingest::Ingest>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("unsupported {port} store URL “{url}” (expected {expected})")]
    UnsupportedUrl { port: &'static str, url: String, expected: &'static str },
    #[error("{port} store: {source}")]
    Store { port: &'static str, source: StoreError },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("mail settings: {0}")]
    Mail(services::ports::MailError),
    #[error("llm.master_key: {0}")]
    MasterKey(String),
}

fn store_err(port: &'static str) -> impl FnOnce(StoreError) -> StartupError {
    move |source| StartupError::Store { port, source }
}

/// Pick and connect the adapters named by the store URLs.
pub async fn open_stores(s: &StoreSettings) -> Result<Stores, StartupError> {
    let primary: Arc<dyn PrimaryStore> = match scheme(&s.primary_url) {
        "sqlite" => Arc::new(store_sqlite::SqlitePrimaryStore::connect(&s.primary_url).await.map_err(store_err("primary"))?),
        "postgres" | "postgresql" => {
            Arc::new(store_postgres::PostgresPrimaryStore::connect(&s.primary_url).await.map_err(store_err("primary"))?)
        }
        _ => return Err(unsupported("primary", &s.primary_url, "sqlite:// or postgres://")),
    };
    let analytics: Arc<dyn AnalyticsStore> = match scheme(&s.analytics_url) {
        "sqlite" => Arc::new(store_sqlite::SqliteAnalyticsStore::connect(&s.analytics_url).await.map_err(store_err("analytics"))?),
        "http" | "https" => Arc::new(clickhouse_store(s).map_err(store_err("analytics"))?),
        _ => return Err(unsupported("analytics", &s.analytics_url, "sqlite:// or a ClickHouse http(s):// URL")),
    };
    let blob: Arc<dyn BlobStore> = match scheme(&s.blob_url) {
        "file" => Arc::new(blob::LocalBlobStore::new(s.blob_url.trim_start_matches("file://").into())),
        "s3" => Arc::new(s3_store(s)?),
        _ => return Err(unsupported("blob", &s.blob_url, "file:// or s3://")),
    };
    Ok(Stores { primary, analytics, blob })
}

fn scheme(url: &str) -> &str {
    url.split_once(':').map(|(s, _)| s).unwrap_or("")
}

fn unsupported(port: &'static str, url: &str, expected: &'static str) -> StartupError {
    // Never echo credentials from a URL back into logs.
    let shown = url.split_once('@').map(|(_, rest)| format!("…@{rest}")).unwrap_or_else(|| url.to_owned());
    StartupError::UnsupportedUrl { port, url: shown, expected }
}

fn clickhouse_store(s: &StoreSettings) -> Result<store_clickhouse::ClickHouseAnalyticsStore, StoreError> {
    let url = url::Url::parse(&s.analytics_url).map_err(|e| StoreError::Invalid(format!("bad ClickHouse URL: {e}")))?;
    let database = url.path().trim_matches('/');
    let database = if database.is_empty() { "elasticdash" } else { database }.to_owned();
    let mut server = url.clone();
    server.set_path("");
    store_clickhouse::ClickHouseAnalyticsStore::connect(store_clickhouse::ClickHouseConfig {
        url: server.as_str().trim_end_matches('/').to_owned(),
        database,
        user: s.clickhouse.user.clone(),
        password: s.clickhouse.password.expose().to_owned(),
        validation: s.clickhouse.validation,
    })
}

fn s3_store(s: &StoreSettings) -> Result<blob::S3BlobStore, StartupError> {
    let rest = s.blob_url.trim_start_matches("s3://");
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(unsupported("blob", &s.blob_url, "s3://bucket[/prefix]"));
    }
    Ok(blob::S3BlobStore::new(blob::S3Config {
        endpoint: (!s.s3.endpoint.is_empty()).then(|| s.s3.endpoint.clone()),
        region: s.s3.region.clone(),
        bucket: bucket.to_owned(),
        prefix: (!prefix.is_empty()).then(|| prefix.trim_end_matches('/').to_owned()),
        access_key_id: s.s3.access_key_id.clone(),
        secret_access_key: s.s3.secret_access_key.expose().to_owned(),
        path_style: s.s3.path_style,
    }))
}

/// The master key that encrypts provider keys: `[llm] master_key`, or, with the embedded
/// SQLite store only, `master.key` beside the database (generated on first start, mode 0600).
/// PostgreSQL deployments have several servers that must share one key: it must be configured.
pub fn open_key_cipher(settings: &Settings) -> Result<KeyCipher, StartupError> {
    let configured = settings.llm.master_key.expose();
    if !configured.trim().is_empty() {
        return KeyCipher::from_encoded(configured).map_err(|e| StartupError::MasterKey(e.to_string()));
    }
    if scheme(&settings.stores.primary_url) != "sqlite" {
        return Err(StartupError::MasterKey(
            "set ELASTICDASH__LLM__MASTER_KEY (32 random bytes in base64, e.g. `openssl rand -base64 32`) on every server: \
             it is required when the primary store is PostgreSQL"
                .into(),
        ));
    }
    match master_key_file(settings) {
        Some(path) => key_file_cipher(&path),
        None => {
            tracing::warn!("in-memory database and no llm.master_key: provider keys are encrypted under a key that dies with this process");
            KeyCipher::from_encoded(&KeyCipher::generate_encoded()).map_err(|e| StartupError::MasterKey(e.to_string()))
        }
    }
}

/// Where the embedded master key lives: `master.key` beside the SQLite database, when no
/// `llm.master_key` is configured (`None` otherwise, or for an in-memory database).
pub fn master_key_file(settings: &Settings) -> Option<PathBuf> {
    let url = &settings.stores.primary_url;
    if !settings.llm.master_key.expose().trim().is_empty() || scheme(url) != "sqlite" {
        return None;
    }
    sqlite_data_dir(url).map(|dir| dir.join("master.key"))
}

/// The folder of a `sqlite:` database file; `None` for an in-memory database.
fn sqlite_data_dir(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(Path::new(path).parent().map(Path::to_path_buf).unwrap_or_default())
}

/// Read the key file, or create it (readable by this user only) with a new random key.
fn key_file_cipher(path: &Path) -> Result<KeyCipher, StartupError> {
    let fail = |what: &str, e: std::io::Error| StartupError::MasterKey(format!("cannot {what} {}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return KeyCipher::from_encoded(&text).map_err(|e| StartupError::MasterKey(format!("{}: {e}", path.display())));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail("read", e)),
        Err(_) => {}
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail("create the folder of", e))?;
    }
    let encoded = KeyCipher::generate_encoded();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(format!("{encoded}\n").as_bytes()).and_then(|()| file.sync_all()).map_err(|e| fail("write", e))?;
            tracing::warn!(
                path = %path.display(),
                "generated the master key that encrypts provider keys; back this file up with the database, or set llm.master_key"
            );
            KeyCipher::from_encoded(&encoded).map_err(|e| StartupError::MasterKey(e.to_string()))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(|e| fail("read", e))?;
            KeyCipher::from_encoded(&text).map_err(|e| StartupError::MasterKey(format!("{}: {e}", path.display())))
        }
        Err(e) => Err(fail("create", e)),
    }
}

fn leptos_options(settings: &Settings, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("elasticdash")
        .site_root(settings.server.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

/// The whole HTTP application.
pub fn build_app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let leptos = state.leptos.clone();
    // Server functions and pages reach use cases through this one context.
    let provide_stores = move || provide_context(services.clone());
    let bounds = http::Bounds::of(&state.settings);
    let pages = http::session_routes()
        .into_router()
        .leptos_routes_with_context(&state, routes, provide_stores.clone(), move || shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_stores, shell));
    // Chunks of a dataset upload may take minutes over a slow uplink.
    let uploads = http::Bounds { timeout: bounds.timeout.max(http::datasets::CHUNK_TIMEOUT), ..bounds };
    // The API-key routes bypass sessions and CSRF (no ambient authority) and have bounds of their own.
    let ingest = http::Bounds { body_limit_bytes: state.settings.ingest.body_limit_bytes, ..bounds };
    let ci = http::Bounds {
        body_limit_bytes: http::test_runs_api::BODY_LIMIT_BYTES,
        timeout: bounds.timeout.max(Duration::from_secs(http::test_runs_api::MAX_WAIT_SECS + 10)),
    };
    let kb_upload = http::Bounds { body_limit_bytes: http::kb::UPLOAD_LIMIT_BYTES, timeout: uploads.timeout };
    let kb_api = http::Bounds { body_limit_bytes: http::kb_api::BODY_LIMIT_BYTES, ..bounds };
    let mcp = http::Bounds { body_limit_bytes: http::mcp::BODY_LIMIT_BYTES, ..bounds };
    http::wrap(with_sessions(pages, &state), &state, bounds)
        .merge(http::wrap(with_sessions(http::datasets::routes().into_router(), &state), &state, uploads))
        .merge(http::wrap(http::otlp::routes().into_router().with_state(state.clone()), &state, ingest))
        .merge(http::wrap(http::test_runs_api::routes().into_router().with_state(state.clone()), &state, ci))
        .merge(http::wrap(with_sessions(http::kb::upload_routes().into_router(), &state), &state, kb_upload))
        .merge(http::wrap(http::kb_api::routes().into_router().with_state(state.clone()), &state, kb_api))
        .merge(http::wrap(http::mcp::routes().into_router().with_state(state.clone()), &state, mcp))
}

/// Cookie-session middleware. Layers wrap what is above them: the routes see the user, loaded from
/// the session, only after the CSRF check.
fn with_sessions(router: Router<AppState>, state: &AppState) -> Router {
    let sessions = PrimarySessionStore::layer(state.services.stores.primary.clone(), &state.settings);
    router
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::rate_limit::limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::auth::load_user))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::csrf::same_origin_only))
        .with_state(state.clone())
}

/// A bound, ready-to-run server (tests bind port 0 and read `addr`).
pub struct Server {
    listener: TcpListener,
    router: Router,
    worker: Option<Worker>,
    pub addr: SocketAddr,
    pub stores: Stores,
    /// What the server's use cases run with (tests register job handlers on it).
    pub services: AppServices,
    grace: Duration,
    /// How often to enqueue trace expiry (`None`: never).
    expiry_every: Option<Duration>,
}

impl Server {
    pub async fn build(settings: Settings) -> Result<Server, StartupError> {
        let stores = open_stores(&settings.stores).await?;
        stores.migrate().await.map_err(store_err("migrate"))?;
        Self::with_stores(settings, stores).await
    }

    pub async fn with_stores(settings: Settings, stores: Stores) -> Result<Server, StartupError> {
        let listener =
            TcpListener::bind(settings.server.addr).await.map_err(|source| StartupError::Bind { addr: settings.server.addr, source })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind { addr: settings.server.addr, source })?;
        let key_cipher = Arc::new(open_key_cipher(&settings)?);
        tracing::info!(fingerprint = %key_cipher.fingerprint(), "provider keys are encrypted under this master key");
        let ingest = Arc::new(crate::ingest::Ingest::start(stores.clone(), &settings.ingest));
        // The platform's own LLM calls become spans through the same path as SDK spans.
        let spans: Arc<dyn SpanSink> = Arc::new(crate::ingest::PlatformSink { ingest: ingest.clone(), key_id: "elasticdash-llm" });
        let prices = Arc::new(services::prices::PriceCache::new(Duration::from_secs(60)));
        let llm = Arc::new(ProviderGateway::new(
            stores.clone(),
            key_cipher.clone(),
            prices.clone(),
            spans.clone(),
            ingest.limits().max_attribute_value_bytes,
        ));
        let services = AppServices {
            stores: stores.clone(),
            cipher: key_cipher,
            prices,
            llm,
            spans,
            mailer: Arc::new(mail::SmtpMailer::new(settings.mail.smtp_url.expose(), &settings.mail.from).map_err(StartupError::Mail)?),
            sessions: Arc::new(PrimarySessionStore::new(stores.primary.clone())),
            api_keys: Arc::new(services::api_keys::KeyCache::new(Duration::from_secs(60))),
            kb_indexes: Arc::default(),
        };
        let state = AppState {
            leptos: leptos_options(&settings, addr),
            services: services.clone(),
            metrics: Arc::new(Metrics::default()),
            settings: Arc::new(settings.clone()),
            rate_limiter: Arc::new(http::rate_limit::RateLimiter::new(&settings.rate_limits)),
            ingest,
        };
        let worker = settings.worker.enabled.then(|| Worker::new(stores.primary.clone(), &settings.worker));
        let expire = crate::worker::retention::ExpireTraces { stores: stores.clone(), default_days: settings.retention.default_days };
        let worker = worker.map(|w| {
            w.register(services::retention::EXPIRE_JOB, Arc::new(expire))
                .register(services::datasets::ANALYSE_JOB, Arc::new(crate::worker::datasets::AnalyseUpload(stores.clone())))
                .register(services::datasets::IMPORT_JOB, Arc::new(crate::worker::datasets::ImportUpload(stores.clone())))
                .register(services::kb::imports::PARSE_JOB, Arc::new(crate::worker::kb::ParseImport(stores.clone())))
                .register(services::kb::search::INDEX_JOB, Arc::new(crate::worker::kb::BuildIndex(services.clone())))
                .register(
                    services::test_runs::EXECUTE_JOB,
                    Arc::new(crate::worker::test_runs::ExecuteRun::new(&services, services::test_runs::RunnerConfig::default())),
                )
        });
        Ok(Server {
            listener,
            router: build_app(state),
            worker,
            addr,
            stores,
            services,
            grace: Duration::from_secs(settings.server.shutdown_grace_secs),
            // The server that runs jobs also schedules the expiry job.
            expiry_every: (settings.worker.enabled && settings.retention.check_interval_secs > 0)
                .then(|| Duration::from_secs(settings.retention.check_interval_secs)),
        })
    }

    /// Add a job handler to the worker (when the worker is enabled).
    pub fn register_job(mut self, kind: &str, handler: Arc<dyn crate::worker::JobHandler>) -> Self {
        self.worker = self.worker.map(|w| w.register(kind, handler));
        self
    }

    /// The worker's id, to find the jobs it holds (`None` when disabled).
    pub fn worker_id(&self) -> Option<&str> {
        self.worker.as_ref().map(Worker::id)
    }

    /// Serve until `shutdown` resolves, then let in-flight requests finish
    /// (bounded by the grace period) and hand back the worker's job leases.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let worker: Option<WorkerHandle> = self.worker.map(Worker::spawn);
        let expiry = self.expiry_every.map(|every| crate::worker::retention::spawn_scheduler(self.stores.primary.clone(), every));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let grace = self.grace;
        let serve = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(
            async move {
                shutdown.await;
                let _ = stop_tx.send(true);
                tracing::info!("shutting down: finishing in-flight requests");
            },
        );
        let mut stop_rx2 = stop_rx.clone();
        let result = tokio::select! {
            r = serve => r,
            _ = async move {
                let _ = stop_rx2.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!("grace period over: dropping remaining connections");
                Ok(())
            }
        };
        if let Some(w) = worker {
            w.stop().await;
        }
        if let Some(task) = expiry {
            task.abort();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_dir_is_the_database_folder() {
        assert_eq!(sqlite_data_dir("sqlite://data/elasticdash.db"), Some(PathBuf::from("data")));
        assert_eq!(sqlite_data_dir("sqlite:///var/lib/ed/p.db?mode=rwc"), Some(PathBuf::from("/var/lib/ed")));
        assert_eq!(sqlite_data_dir("sqlite://p.db"), Some(PathBuf::new()));
        assert_eq!(sqlite_data_dir("sqlite::memory:"), None);
    }

    #[test]
    fn the_embedded_key_file_is_made_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.stores.primary_url = format!("sqlite://{}/sub/primary.db", dir.path().display());
        let first = open_key_cipher(&settings).unwrap();
        let path = dir.path().join("sub/master.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let again = open_key_cipher(&settings).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint(), "the file is reused");
        // A configured key wins over the file.
        settings.llm.master_key = crate::secret::Secret::new(KeyCipher::generate_encoded());
        assert_ne!(open_key_cipher(&settings).unwrap().fingerprint(), first.fingerprint());
    }

    #[test]
    fn postgres_needs_a_configured_key() {
        let mut settings = Settings::default();
        settings.stores.primary_url = "postgres://u:pw@db:5432/ed".into();
        let e = open_key_cipher(&settings).unwrap_err().to_string();
        assert!(e.contains("ELASTICDASH__LLM__MASTER_KEY") && !e.contains("pw@"), "{e}");
        settings.llm.master_key = crate::secret::Secret::new("x".repeat(64));
        assert!(open_key_cipher(&settings).is_err(), "malformed");
        settings.llm.master_key = crate::secret::Secret::new("ab".repeat(32));
        assert!(open_key_cipher(&settings).is_ok());
    }
}
