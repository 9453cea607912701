//! The defects found from outside (issue 11), each reproduced against a running server with the
//! default settings: session tokens reaching the page, login CSRF, the CSRF header rules, ids of
//! another project accepted on save, the Admin link, and bodies at the documented sizes.

mod common;

use common::{add_user, browser, flash_after, sign_in, spawn_app, TestApp, PASSWORD};
use domain::GlobalRole;
use reqwest::StatusCode;
use services::{Actor, RequestContext};

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ed_session="))
        .map(|c| c.split(';').next().unwrap().trim_start_matches("ed_session=").to_owned())
}

/// Sign in with a plain client and return it with its session token (the cookie value).
async fn signed_in_with_token(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = browser(app);
    let res = client.post(app.url("/auth/login")).form(&[("email", email), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let token = session_cookie(&res).expect("a session cookie");
    (client, token)
}

async fn server_fn(app: &TestApp, client: &reqwest::Client, name: &str) -> String {
    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
    let path = paths.iter().find(|p| p.strip_prefix("/api/").is_some_and(|n| n.trim_end_matches(|c: char| c.is_ascii_digit()) == name));
    let res = client.post(app.url(path.unwrap())).header("accept", "application/json").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

/// Defect 2: `load_account` and `/account` carried every session's token.
#[tokio::test]
async fn session_tokens_never_reach_a_page_and_sessions_are_revoked_by_handle() {
    let app = spawn_app().await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let (laptop, laptop_token) = signed_in_with_token(&app, "ada@example.com").await;
    let (phone, phone_token) = signed_in_with_token(&app, "ada@example.com").await;
    let json = server_fn(&app, &laptop, "load_account").await;
    let html = laptop.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    for token in [&laptop_token, &phone_token] {
        assert!(!json.contains(token.as_str()), "a session token in load_account: {json}");
        assert!(!html.contains(token.as_str()), "a session token in /account");
    }
    let account: domain::sessions::AccountView = serde_json::from_str(&json).unwrap();
    assert_eq!(account.sessions.len(), 2);
    assert!(account.sessions[0].current);
    let phone_handle = account.sessions[1].handle.clone();
    assert_eq!(phone_handle, services::sessions::handle_of(&phone_token));
    assert!(html.contains(&format!("name=\"session\" value=\"{phone_handle}\"")), "the revoke form names the handle");

    // A token is not accepted as a handle; the handle signs that session out.
    let res = laptop.post(app.url("/account/sessions/revoke")).form(&[("session", phone_token.as_str())]).send().await.unwrap();
    assert!(flash_after(&app, &laptop, res).await.contains("not found"));
    assert_eq!(phone.get(app.url("/account")).send().await.unwrap().status(), StatusCode::OK, "still signed in");
    let res = laptop.post(app.url("/account/sessions/revoke")).form(&[("session", phone_handle.as_str())]).send().await.unwrap();
    assert!(flash_after(&app, &laptop, res).await.contains("signed out"));
    let res = phone.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the revoked session is gone");
    let audit = app.stores.primary.list_audit(&services::ports::AuditFilter::default(), None, 50).await.unwrap();
    let revoked = audit.iter().find(|e| e.record.action == "session.revoke").expect("audited");
    assert!(!serde_json::to_string(&revoked.record).unwrap().contains(&phone_token), "no token in the audit trail");
    app.shutdown().await;
}

/// Defect 3: a sign-in posted from another site signed the browser in.
#[tokio::test]
async fn auth_forms_posted_from_another_site_are_refused() {
    let app = spawn_app().await;
    add_user(&app, "mallory@example.com", GlobalRole::User).await;
    let evil = [("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")];
    let forms: [(&str, &[(&str, &str)]); 4] = [
        ("/auth/login", &[("email", "mallory@example.com"), ("password", PASSWORD)]),
        ("/auth/first-run", &[("email", "x@example.com"), ("name", "X"), ("password", PASSWORD), ("password_repeat", PASSWORD)]),
        ("/auth/forgot-password", &[("email", "mallory@example.com")]),
        ("/auth/reset-password", &[("token", "x"), ("password", PASSWORD), ("password_repeat", PASSWORD)]),
    ];
    for (path, form) in forms {
        // A victim's browser with no cookie for this site yet.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut req = client.post(app.url(path)).form(form);
        for (k, v) in evil {
            req = req.header(k, v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(session_cookie(&res).is_none(), "{path} set a session cookie");
    }
    // The same sign-in from this site works.
    let ok = browser(&app).post(app.url("/auth/login")).form(forms[0].1).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(&ok).is_some());
    app.shutdown().await;
}

/// `Origin` decides when present; with neither header only a request without cookies passes.
#[tokio::test]
async fn origin_decides_and_a_cookie_needs_one_of_the_headers() {
    let app = spawn_app().await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let (_, token) = signed_in_with_token(&app, "ada@example.com").await;
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let profile = |headers: &[(&str, &str)]| {
        let mut req = plain.post(app.url("/account/profile")).header("cookie", format!("ed_session={token}")).form(&[("name", "Eve")]);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let cases: [(&[(&str, &str)], StatusCode); 5] = [
        (&[("origin", "http://evil.example"), ("sec-fetch-site", "same-origin")], StatusCode::FORBIDDEN),
        (&[("origin", "null")], StatusCode::FORBIDDEN),
        (&[], StatusCode::FORBIDDEN),
        (&[("sec-fetch-site", "same-site")], StatusCode::FORBIDDEN),
        (&[("sec-fetch-site", "same-origin")], StatusCode::SEE_OTHER),
    ];
    for (headers, expected) in cases {
        assert_eq!(profile(headers).await.unwrap().status(), expected, "{headers:?}");
    }
    let user = app.stores.primary.user_by_email(&domain::Email::parse("ada@example.com").unwrap()).await.unwrap().unwrap();
    assert_eq!(user.name, "Eve", "only the last request changed the name");
    app.shutdown().await;
}

async fn ctx(app: &TestApp, email: &str) -> RequestContext {
    let user = app.stores.primary.user_by_email(&domain::Email::parse(email).unwrap()).await.unwrap().unwrap();
    RequestContext { actor: Some(Actor { user_id: user.id, email: email.into(), role: user.role }), ..Default::default() }
}

/// Ids of another project were stored with a test case (and a suite) and failed at run time.
#[tokio::test]
async fn ids_of_another_project_are_refused_on_save() {
    use domain::testcases::{ModelTarget, Target};
    let app = spawn_app().await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    let owner = ctx(&app, "owner@example.com").await;
    let store = app.stores.primary.as_ref();
    for slug in ["alpha", "beta"] {
        let input = services::projects::ProjectInput { name: slug.into(), slug: slug.into(), description: String::new() };
        services::projects::create(store, &owner, input).await.unwrap();
    }
    let cipher = services::provider_keys::KeyCipher::new([9; 32]);
    let key = services::provider_keys::ProviderKeyInput {
        name: "Alpha's key".into(),
        vendor: "openai".into(),
        base_url: String::new(),
        api_key: "sk-alpha-12345678".into(),
        default_model: "gpt-4o-mini".into(),
        remove_key: false,
    };
    let alpha_key = services::provider_keys::create(store, &cipher, &owner, "alpha", &key).await.unwrap().id;
    let case = |key_id: Option<String>| services::testcases::CaseInput {
        name: "refunds".into(),
        feature: String::new(),
        source_trace_id: None,
        target: Target::Model(ModelTarget {
            provider_key_id: key_id,
            model: "gpt-4o-mini".into(),
            system_prompt: String::new(),
            temperature: None,
            max_tokens: None,
        }),
        steps: vec![domain::test_steps::StepExpectation {
            model: None,
            input: "hi".into(),
            expected_output: "hello".into(),
            match_type: domain::test_steps::MatchType::Contains,
            tool_calls: Vec::new(),
            max_latency_ms: None,
            max_tokens: None,
            max_cost_usd: None,
        }],
        tags: Vec::new(),
        secret_headers: None,
    };
    let refused = services::testcases::create(&app.stores, &cipher, &owner, "beta", &case(Some(alpha_key.clone()))).await.unwrap_err();
    assert!(matches!(&refused, services::ServiceError::Invalid(m) if m.contains("provider key")), "{refused:?}");
    let in_beta = services::testcases::create(&app.stores, &cipher, &owner, "beta", &case(None)).await.unwrap();
    let refused = services::testcases::update(&app.stores, &cipher, &owner, "beta", &in_beta.id, 1, &case(Some(alpha_key.clone())))
        .await
        .unwrap_err();
    assert!(matches!(refused, services::ServiceError::Invalid(_)));
    let in_alpha = services::testcases::create(&app.stores, &cipher, &owner, "alpha", &case(Some(alpha_key))).await.unwrap();

    // A suite of beta may not list alpha's case.
    let suite = |ids: Vec<String>| services::suites::SuiteInput { name: "smoke".into(), description: String::new(), case_ids: ids };
    let refused = services::suites::create(&app.stores, &owner, "beta", &suite(vec![in_beta.id.clone(), in_alpha.id.clone()])).await;
    assert!(matches!(refused, Err(services::ServiceError::Invalid(_))), "{refused:?}");
    let ok = services::suites::create(&app.stores, &owner, "beta", &suite(vec![in_beta.id.clone()])).await.unwrap();
    let refused = services::suites::update(&app.stores, &owner, "beta", &ok.id, &suite(vec![in_alpha.id])).await;
    assert!(matches!(refused, Err(services::ServiceError::Invalid(_))), "{refused:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn only_admins_see_the_admin_link() {
    let app = spawn_app().await;
    add_user(&app, "user@example.com", GlobalRole::User).await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let link = "href=\"/admin\"";
    let user = sign_in(&app, "user@example.com", PASSWORD).await;
    for path in ["/", "/projects"] {
        let html = user.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains(link), "{path} shows the Admin link to a non-admin");
    }
    // The admin pages themselves refuse, with no admin forms on the page.
    for path in ["/admin", "/admin/plans", "/admin/audit", "/admin/prices", "/admin/providers"] {
        let res = user.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("action=\"/admin") && html.contains("Only administrators"), "{path}: {html}");
    }
    let html = app.get("/").await.text().await.unwrap();
    assert!(!html.contains(link), "anonymous");
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;
    let html = admin.get(app.url("/projects")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(link));
    app.shutdown().await;
}

/// Defect 0: with the default settings every chunk above axum's own 2 MiB default was refused.
/// A chunk of exactly the default size is accepted; a body above the body limit gets 413 with a
/// message, and nothing is counted.
#[tokio::test]
async fn a_default_sized_chunk_is_accepted_and_a_larger_body_refused() {
    let app = spawn_app().await;
    let defaults = elasticdash::Settings::default();
    let chunk = defaults.datasets.chunk_bytes as usize;
    assert_eq!(chunk, 8 << 20, "the documented default");
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let ada = sign_in(&app, "ada@example.com", PASSWORD).await;
    ada.post(app.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    let size = chunk + 1000;
    let res = ada
        .post(app.url("/projects/alpha/datasets/uploads"))
        .json(&serde_json::json!({"file_name": "big.csv", "size_bytes": size, "mode": "create"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let import: domain::datasets::DatasetImport = res.json().await.unwrap();
    assert_eq!(import.chunk_size as usize, chunk);
    let url = app.url(&format!("/projects/alpha/datasets/uploads/{}/chunks/0", import.id));
    let res = ada.put(&url).body(vec![b'a'; chunk]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let too_big = defaults.server.body_limit_bytes + 1;
    let url = app.url(&format!("/projects/alpha/datasets/uploads/{}/chunks/1", import.id));
    let res = ada.put(&url).body(vec![b'a'; too_big]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!res.text().await.unwrap().is_empty(), "413 says why");
    let state: domain::datasets::DatasetImport =
        ada.get(app.url(&format!("/projects/alpha/datasets/uploads/{}", import.id))).send().await.unwrap().json().await.unwrap();
    assert_eq!(state.chunks_received, 1);
    app.shutdown().await;
}
