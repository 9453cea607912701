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
    ports::{AnalyticsStore, BlobStore, PrimaryStore},
    StoreError, Stores,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;

/// Everything a request handler may need.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub stores: Stores,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<Settings>,
    pub key_cache: Arc<services::api_keys::KeyCache>,
    pub rate_limiter: Arc<http::rate_limit::RateLimiter>,
    pub mailer: Arc<dyn services::ports::Mailer>,
    /// The model price table ingestion prices spans with (edits invalidate it).
    pub prices: Arc<services::prices::PriceCache>,
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
    let stores = state.stores.clone();
    let leptos = state.leptos.clone();
    let provide_stores = move || provide_context(stores.clone());
    let sessions = PrimarySessionStore::layer(state.stores.primary.clone(), &state.settings);
    // Layers wrap what is above them: sessions, then the user, then the routes.
    let router = Router::new()
        .merge(http::health::routes())
        .merge(http::forms::routes())
        .merge(http::audit_export::routes())
        .leptos_routes_with_context(&state, routes, provide_stores.clone(), move || shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_stores, shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::rate_limit::limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::auth::load_user))
        .layer(sessions)
        .layer(axum::middleware::from_fn(http::csrf::same_origin_only))
        .with_state(state.clone());
    // The API-key ingestion routes bypass sessions/CSRF and carry their own middleware and body limit.
    http::wrap(router, &state).merge(http::otlp::routes(&state))
}

/// A bound, ready-to-run server (tests bind port 0 and read `addr`).
pub struct Server {
    listener: TcpListener,
    router: Router,
    worker: Option<Worker>,
    pub addr: SocketAddr,
    pub stores: Stores,
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
        let state = AppState {
            leptos: leptos_options(&settings, addr),
            stores: stores.clone(),
            metrics: Arc::new(Metrics::default()),
            settings: Arc::new(settings.clone()),
            key_cache: Arc::new(services::api_keys::KeyCache::new(Duration::from_secs(60))),
            rate_limiter: Arc::new(http::rate_limit::RateLimiter::new(&settings.rate_limits)),
            mailer: Arc::new(mail::SmtpMailer::new(settings.mail.smtp_url.expose(), &settings.mail.from).map_err(StartupError::Mail)?),
            prices: Arc::new(services::prices::PriceCache::new(Duration::from_secs(60))),
            ingest: Arc::new(crate::ingest::Ingest::start(stores.clone(), &settings.ingest)),
        };
        let worker = settings.worker.enabled.then(|| Worker::new(stores.primary.clone(), &settings.worker));
        let expire = crate::worker::retention::ExpireTraces { stores: stores.clone(), default_days: settings.retention.default_days };
        let worker = worker.map(|w| w.register(services::retention::EXPIRE_JOB, Arc::new(expire)));
        Ok(Server {
            listener,
            router: build_app(state),
            worker,
            addr,
            stores,
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
