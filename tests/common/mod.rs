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
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|s| s, Vec::new()).await
}

pub async fn spawn_with(configure: impl FnOnce(Settings) -> Settings, handlers: Vec<(&str, Arc<dyn JobHandler>)>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = configure(embedded_settings(dir.path()));
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
