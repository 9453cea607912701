//! `spawn_app()`: a real server on port 0 with fresh stores, per test.

#![allow(dead_code)]

use elasticdash::{settings::Settings, worker::JobHandler, Server};
use std::{net::SocketAddr, sync::Arc};
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub stores: services::Stores,
    pub worker_id: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// Embedded defaults (SQLite files and a blob folder) in a fresh temp dir.
pub fn embedded_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.addr = "127.0.0.1:0".parse().unwrap();
    s.server.shutdown_grace_secs = 5;
    s.stores.primary_url = format!("sqlite://{}/primary.db", dir.display());
    s.stores.analytics_url = format!("sqlite://{}/analytics.db", dir.display());
    s.stores.blob_url = format!("file://{}/blobs", dir.display());
    s.worker.poll_ms = 50;
    s.worker.lease_secs = 5;
    // No expiry job appearing in queues the tests inspect; the retention tests switch it on.
    s.retention.check_interval_secs = 0;
    // Tests sign in many times from 127.0.0.1; one test checks the real limits.
    s.rate_limits.auth_per_15_minutes = 100_000;
    s.rate_limits.api_per_minute = 100_000;
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|s| s, Vec::new()).await
}

pub async fn spawn_with(configure: impl FnOnce(Settings) -> Settings, handlers: Vec<(&str, Arc<dyn JobHandler>)>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = configure(embedded_settings(dir.path()));
    // `RUST_LOG=debug cargo test …` shows the server's logs when a test needs explaining.
    if std::env::var_os("RUST_LOG").is_some() {
        elasticdash::telemetry::init(&settings.log);
    }
    let mut server = Server::build(settings).await.expect("server starts");
    for (kind, h) in handlers {
        server = server.register_job(kind, h);
    }
    start(server, dir)
}

pub fn start(server: Server, dir: tempfile::TempDir) -> TestApp {
    let addr = server.addr;
    let stores = server.stores.clone();
    let worker_id = server.worker_id().map(str::to_owned);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        stores,
        worker_id,
        shutdown: Some(tx),
        task: Some(task),
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// Send SIGTERM's equivalent and wait for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// A browser-like client: keeps cookies, sends our Origin (as a browser
/// does on form posts), does not follow redirects.
pub fn browser(app: &TestApp) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", app.base.parse().unwrap());
    reqwest::Client::builder().cookie_store(true).default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub const PASSWORD: &str = "correct horse battery staple";

/// A user straight in the store (no forced password change).
pub async fn add_user(app: &TestApp, email: &str, role: domain::GlobalRole) -> services::ports::User {
    let cost = services::passwords::HashCost::default();
    let new = services::ports::NewUser {
        email: domain::Email::parse(email).unwrap(),
        name: email.split('@').next().unwrap().to_owned(),
        password_hash: services::passwords::hash(PASSWORD, cost),
        role,
        must_change_password: false,
    };
    app.stores.primary.create_user(new, services::clock::now_ms()).await.unwrap()
}

/// Sign in through the login form; panics unless it succeeds.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let client = browser(app);
    let res = client.post(app.url("/auth/login")).form(&[("email", email), ("password", password)]).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(!to.starts_with("/login"), "sign-in of {email} failed (redirected to {to})");
    client
}

/// Follow a form's redirect and return the page's flash message.
pub async fn flash_after(app: &TestApp, client: &reqwest::Client, res: reqwest::Response) -> String {
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER, "forms answer with a redirect");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let html = client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    flash_of(&html)
}

/// The text of `[data-testid=flash]` in a page, or "".
pub fn flash_of(html: &str) -> String {
    let Some(at) = html.find("data-testid=\"flash\"") else { return String::new() };
    let tag_start = html[..at].rfind('<').unwrap();
    let tag_end = at + html[at..].find('>').unwrap();
    let kind = if html[tag_start..tag_end].contains("banner-ok") { "ok: " } else { "error: " };
    let body = &html[tag_end + 1..];
    let end = body.find("</div>").unwrap_or(body.len());
    format!("{kind}{}", strip_tags(&body[..end]))
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&quot;", "\"").replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">")
}
