//! The HTTP surface of the foundation, against a real server on port 0.

mod common;

use common::{spawn_app, spawn_with};
use domain::ReadinessReport;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_answers() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    app.shutdown().await;
}

#[tokio::test]
async fn readyz_reports_every_store_up_and_names_backends_to_admins_only() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: ReadinessReport = res.json().await.unwrap();
    assert!(report.ready && !report.detailed);
    assert_eq!(report.stores.len(), 3);
    assert!(report.stores.iter().all(|s| s.up && s.backend.is_empty() && s.error.is_none()), "anonymous: {report:?}");
    // A signed-in person who is not an admin sees no more.
    common::add_user(&app, "user@example.com", domain::GlobalRole::User).await;
    let user = common::sign_in(&app, "user@example.com", common::PASSWORD).await;
    let report: ReadinessReport = user.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert!(report.stores.iter().all(|s| s.backend.is_empty()), "{report:?}");
    common::add_user(&app, "admin@example.com", domain::GlobalRole::Admin).await;
    let admin = common::sign_in(&app, "admin@example.com", common::PASSWORD).await;
    let report: ReadinessReport = admin.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert!(report.detailed);
    let backends: Vec<_> = report.stores.iter().map(|s| s.backend.as_str()).collect();
    assert_eq!(backends, ["sqlite", "sqlite", "file"]);
    assert!(report.stores.iter().all(|s| s.up && s.latency_ms >= 0.0 && s.error.is_none()));
    // The readiness server function follows the same rule.
    for (client, detailed) in [(common::browser(&app), false), (admin, true)] {
        let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
        let path = paths.iter().find(|p| p.starts_with("/api/check_readiness")).unwrap();
        let res = client.post(app.url(path)).header("accept", "application/json").send().await.unwrap();
        let report: ReadinessReport = res.json().await.unwrap();
        assert_eq!(report.detailed, detailed);
        assert_eq!(report.stores.iter().any(|s| s.backend == "sqlite"), detailed, "{report:?}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn readyz_is_503_and_names_the_store_that_is_down() {
    // A real ClickHouse adapter pointed at a port where nothing listens
    // (the other stores are migrated; serve would refuse to start otherwise).
    let dir = tempfile::tempdir().unwrap();
    let mut settings = common::embedded_settings(dir.path());
    settings.stores.analytics_url = "http://127.0.0.1:9/elasticdash".into();
    let stores = elasticdash::open_stores(&settings.stores).await.unwrap();
    stores.primary.migrate().await.unwrap();
    stores.blob.migrate().await.unwrap();
    let server = elasticdash::Server::with_stores(settings, stores).await.unwrap();
    let app = common::start(server, dir);
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let report: ReadinessReport = res.json().await.unwrap();
    assert!(!report.ready);
    let down: Vec<_> = report.stores.iter().filter(|s| !s.up).map(|s| s.store).collect();
    assert_eq!(down, [domain::StoreKind::Analytics], "anonymous callers learn which port is down, not its backend");
    common::add_user(&app, "admin@example.com", domain::GlobalRole::Admin).await;
    let admin = common::sign_in(&app, "admin@example.com", common::PASSWORD).await;
    let res = admin.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let report: ReadinessReport = res.json().await.unwrap();
    let down: Vec<_> = report.stores.iter().filter(|s| !s.up).map(|s| s.backend.as_str()).collect();
    assert_eq!(down, ["clickhouse"]);
    let err = report.stores.iter().find(|s| !s.up).unwrap().error.clone().unwrap();
    assert!(!err.contains("127.0.0.1"), "driver details must not leak: {err}");
    app.shutdown().await;
}

#[tokio::test]
async fn request_ids_are_generated_or_echoed() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    let generated = res.headers().get("x-request-id").expect("generated id").to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let res = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    app.shutdown().await;
}

#[tokio::test]
async fn home_page_is_server_rendered_with_security_headers_and_a_matching_nonce() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers().contains_key("referrer-policy"));
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("'unsafe-eval'"), "{csp}");
    let html = res.text().await.unwrap();
    for label in ["Projects", "Traces", "Tests", "Knowledge base", "Datasets", "Dashboards"] {
        assert!(html.contains(&format!(">{label}</a>")), "nav link {label} missing");
    }
    assert!(!html.contains(">Admin</a>"), "the Admin link is for admins only (tests/api_security.rs)");
    assert!(html.contains("data-testid=\"ready-badge\""), "the readiness island is rendered on the server");
    assert!(html.contains("All systems operational"));
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("nonce in CSP");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the response's nonce");
    // A new nonce per response.
    let again = app.get("/").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert_ne!(csp, again);
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_pages_get_a_rendered_404() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("data-testid=\"not-found\""));
    app.shutdown().await;
}

#[tokio::test]
async fn area_pages_and_status_page_render() {
    let app = spawn_app().await;
    common::add_user(&app, "ada@example.com", domain::GlobalRole::Admin).await;
    let client = common::sign_in(&app, "ada@example.com", common::PASSWORD).await;
    for path in ["/projects", "/traces", "/tests", "/knowledge-base", "/datasets", "/dashboards", "/admin"] {
        let res = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.text().await.unwrap().contains("aria-current=\"page\""), "{path} marks its nav link");
    }
    let html = client.get(app.url("/status")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"store-row\" data-up=\"true\"").count(), 3, "{html}");
    assert!(html.contains("data-echarts="), "latency chart option is embedded");
    assert!(html.contains("/vendor/echarts.min.js"));
    // Anyone else learns that the stores are up, not what they are.
    let html = app.get("/status").await.text().await.unwrap();
    assert!(html.contains("All stores are reachable") && html.contains("data-testid=\"status-redacted\""), "{html}");
    assert!(!html.contains("store-row") && !html.contains("sqlite"), "{html}");
    app.shutdown().await;
}

#[tokio::test]
async fn server_function_round_trips() {
    let app = spawn_app().await;
    use leptos::server_fn::ServerFn;
    let path = <app::api::CheckReadiness as ServerFn>::PATH;
    assert!(path.starts_with("/api/"), "{path}");
    let res = app.client.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").body("").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report: ReadinessReport = res.json().await.unwrap();
    assert!(report.ready && report.stores.len() == 3);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let token = "scrape-me-0123456789";
    let app = spawn_with(
        |mut s| {
            s.server.metrics_token = elasticdash::secret::Secret::new(token);
            s
        },
        Vec::new(),
    )
    .await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "loopback is not enough once a token is set");
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("scrape-me-0123456788").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let res = app.client.get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("http_requests_total"));
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_queue_depth() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"));
    assert!(text.contains("job_queue_depth 0"));
    app.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_with(
        |mut s| {
            s.server.body_limit_bytes = 1024;
            s
        },
        vec![],
    )
    .await;
    use leptos::server_fn::ServerFn;
    let path = <app::api::CheckReadiness as ServerFn>::PATH;
    let res = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.shutdown().await;
}

#[tokio::test]
async fn static_assets_are_served_without_a_cdn() {
    let app = spawn_app().await;
    let html = app.get("/status").await.text().await.unwrap();
    assert!(!html.contains("cdn.") && !html.contains("https://"), "no third-party URLs in pages");
    app.shutdown().await;
}
