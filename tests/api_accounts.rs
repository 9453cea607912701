//! Accounts over HTTP: first run, sign-in, sessions (ASVS V2/V3), CSRF,
//! projects, members, API keys and the audit chain.

mod common;

use common::{add_user, browser, flash_after, sign_in, spawn_app, spawn_with, PASSWORD};
use domain::{GlobalRole, ProjectRole};
use reqwest::StatusCode;

fn cookie_of(res: &reqwest::Response) -> Option<String> {
    res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).find(|c| c.contains("ed_session="))
}

fn session_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned()
}

#[tokio::test]
async fn first_run_creates_one_admin_only() {
    let app = spawn_app().await;
    let c = browser(&app);
    let form = [("email", "ada@example.com"), ("name", "Ada"), ("password", PASSWORD), ("password_repeat", PASSWORD)];
    let res = c.post(app.url("/auth/first-run")).form(&form).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/projects", "the first admin is signed in");
    assert_eq!(c.get(app.url("/admin")).send().await.unwrap().status(), StatusCode::OK);

    let other = browser(&app);
    let form = [("email", "eve@example.com"), ("name", "Eve"), ("password", PASSWORD), ("password_repeat", PASSWORD)];
    let msg = flash_after(&app, &other, other.post(app.url("/auth/first-run")).form(&form).send().await.unwrap()).await;
    assert!(msg.contains("already has an administrator"), "{msg}");
    assert_eq!(app.stores.primary.count_users().await.unwrap(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn login_rotates_the_session_id_and_sets_safe_cookie_flags() {
    let app = spawn_app().await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let c = browser(&app);
    // A failed attempt leaves a session (its flash message) with some id.
    let res = c.post(app.url("/auth/login")).form(&[("email", "ada@example.com"), ("password", "wrong password!!")]).send().await.unwrap();
    let before = session_value(&cookie_of(&res).expect("a session cookie"));
    let res = c.post(app.url("/auth/login")).form(&[("email", "ada@example.com"), ("password", PASSWORD)]).send().await.unwrap();
    let cookie = cookie_of(&res).expect("a new session cookie at login");
    assert_ne!(session_value(&cookie), before, "the session id changes at login (no fixation)");
    let lower = cookie.to_lowercase();
    assert!(lower.contains("httponly") && lower.contains("samesite=lax") && lower.contains("path=/"), "{cookie}");
    assert!(!lower.contains("secure"), "plain-http localhost config: {cookie}");
    app.shutdown().await;
}

#[tokio::test]
async fn secure_cookies_use_the_host_prefix() {
    let app = spawn_with(
        |mut s| {
            s.server.secure_cookies = true;
            s
        },
        vec![],
    )
    .await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let res =
        browser(&app).post(app.url("/auth/login")).form(&[("email", "ada@example.com"), ("password", PASSWORD)]).send().await.unwrap();
    let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join("\n");
    assert!(cookie.starts_with("__Host-ed_session=") && cookie.to_lowercase().contains("secure"), "{cookie}");
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer_and_lockout_follows() {
    let app = spawn_app().await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let c = browser(&app);
    let attempt = |email: &'static str, password: &'static str| {
        let (c, app) = (c.clone(), &app);
        async move {
            flash_after(app, &c, c.post(app.url("/auth/login")).form(&[("email", email), ("password", password)]).send().await.unwrap())
                .await
        }
    };
    let unknown = attempt("nobody@example.com", "whatever password").await;
    let wrong = attempt("ada@example.com", "wrong password!!").await;
    assert_eq!(unknown, wrong, "no account enumeration");
    for _ in 0..4 {
        attempt("ada@example.com", "wrong password!!").await;
    }
    let user = app.stores.primary.user_by_email(&domain::Email::parse("ada@example.com").unwrap()).await.unwrap().unwrap();
    assert_eq!(user.failed_logins, 5);
    assert!(user.locked_until_ms.is_some(), "locked after 5 failures");
    let locked = attempt("ada@example.com", PASSWORD).await;
    assert_eq!(locked, wrong, "the right password is refused while locked");
    let audit = app.stores.primary.list_audit(&Default::default(), None, 100).await.unwrap();
    assert!(audit.iter().filter(|e| e.record.action == "user.login_failed").count() >= 6);
    app.shutdown().await;
}

#[tokio::test]
async fn logout_destroys_the_session_on_the_server() {
    let app = spawn_app().await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let c = sign_in(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(c.get(app.url("/projects")).send().await.unwrap().status(), StatusCode::OK);
    let user = app.stores.primary.user_by_email(&domain::Email::parse("ada@example.com").unwrap()).await.unwrap().unwrap();
    assert_eq!(app.stores.primary.user_sessions(&user.id, services::clock::now_ms()).await.unwrap().len(), 1);
    c.post(app.url("/auth/logout")).send().await.unwrap();
    assert!(app.stores.primary.user_sessions(&user.id, services::clock::now_ms()).await.unwrap().is_empty());
    assert_eq!(c.get(app.url("/projects")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    app.shutdown().await;
}

#[tokio::test]
async fn cross_origin_posts_with_cookies_are_refused() {
    let app = spawn_app().await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let c = sign_in(&app, "ada@example.com", PASSWORD).await;
    let res = c.post(app.url("/projects")).header("origin", "http://evil.example").form(&[("name", "Pwned")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Without Origin (the browser client above always sends one), Fetch Metadata decides.
    let plain = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = [("email", "ada@example.com"), ("password", PASSWORD)];
    let res = plain.post(app.url("/auth/login")).header("sec-fetch-site", "same-origin").form(&login).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = plain.post(app.url("/projects")).header("sec-fetch-site", "cross-site").form(&[("name", "Pwned")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = plain.post(app.url("/projects")).form(&[("name", "Pwned")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no Origin, no Fetch Metadata, but a cookie");
    assert!(app.stores.primary.list_projects().await.unwrap().is_empty(), "nothing was created");
    let res = plain.post(app.url("/projects")).header("sec-fetch-site", "same-origin").form(&[("name", "Fine")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.stores.primary.list_projects().await.unwrap().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn forced_password_change_then_other_sessions_end() {
    let app = spawn_app().await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;
    let form = [("email", "bob@example.com"), ("name", "Bob"), ("password", "temporary pass 123"), ("role", "user")];
    let msg = flash_after(&app, &admin, admin.post(app.url("/admin/users")).form(&form).send().await.unwrap()).await;
    assert!(msg.starts_with("ok:"), "{msg}");

    let bob = sign_in(&app, "bob@example.com", "temporary pass 123").await;
    let second = sign_in(&app, "bob@example.com", "temporary pass 123").await;
    let res = bob.get(app.url("/projects")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/account", "must change the password first");
    assert_eq!(bob.post(app.url("/projects")).form(&[("name", "X")]).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    let weak = [("current", "temporary pass 123"), ("new", "1qaz2wsx3edc"), ("repeat", "1qaz2wsx3edc")];
    let msg = flash_after(&app, &bob, bob.post(app.url("/account/password")).form(&weak).send().await.unwrap()).await;
    assert!(msg.contains("too common"), "{msg}");
    let good = [("current", "temporary pass 123"), ("new", "my own long passphrase"), ("repeat", "my own long passphrase")];
    let msg = flash_after(&app, &bob, bob.post(app.url("/account/password")).form(&good).send().await.unwrap()).await;
    assert!(msg.contains("1 other session"), "{msg}");
    assert_eq!(bob.get(app.url("/projects")).send().await.unwrap().status(), StatusCode::OK, "this session goes on");
    assert_eq!(second.get(app.url("/projects")).send().await.unwrap().status(), StatusCode::SEE_OTHER, "the other one ended");
    app.shutdown().await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions() {
    let app = spawn_app().await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let bob_user = add_user(&app, "bob@example.com", GlobalRole::User).await;
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;
    let bob = sign_in(&app, "bob@example.com", PASSWORD).await;
    let res = admin.post(app.url(&format!("/admin/users/{}", bob_user.id))).form(&[("action", "disable")]).send().await.unwrap();
    assert!(flash_after(&app, &admin, res).await.starts_with("ok:"));
    assert_eq!(bob.get(app.url("/projects")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    app.shutdown().await;
}

#[tokio::test]
async fn projects_members_roles_and_the_last_owner() {
    let app = spawn_app().await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    add_user(&app, "ana@example.com", GlobalRole::User).await;
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    let res = owner.post(app.url("/projects")).form(&[("name", "Support Bot"), ("description", "")]).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/projects/support-bot");
    let add = [("email", "ana@example.com"), ("role", "analyst")];
    assert!(flash_after(&app, &owner, owner.post(app.url("/projects/support-bot/members")).form(&add).send().await.unwrap())
        .await
        .starts_with("ok:"));

    let ana = sign_in(&app, "ana@example.com", PASSWORD).await;
    assert_eq!(ana.get(app.url("/projects/support-bot")).send().await.unwrap().status(), StatusCode::OK, "analysts read");
    let edit = [("name", "Renamed"), ("description", "")];
    let msg = flash_after(&app, &ana, ana.post(app.url("/projects/support-bot/settings")).form(&edit).send().await.unwrap()).await;
    assert!(msg.contains("permission"), "analysts cannot edit: {msg}");
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("support-bot").unwrap()).await.unwrap().unwrap();
    assert_eq!(project.name, "Support Bot");

    let owner_id = app.stores.primary.user_by_email(&domain::Email::parse("owner@example.com").unwrap()).await.unwrap().unwrap().id;
    let msg = flash_after(
        &app,
        &owner,
        owner.post(app.url("/projects/support-bot/members/remove")).form(&[("user_id", owner_id.as_str())]).send().await.unwrap(),
    )
    .await;
    assert!(msg.contains("needs an owner"), "{msg}");
    assert_eq!(app.stores.primary.member_role(&test_support::pid(&project.id), &owner_id).await.unwrap(), Some(ProjectRole::Owner));
    app.shutdown().await;
}

#[tokio::test]
async fn api_keys_show_their_secret_once_verify_and_revoke() {
    let app = spawn_app().await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    owner.post(app.url("/projects")).form(&[("name", "Keys Test")]).send().await.unwrap();
    let res = owner.post(app.url("/projects/keys-test/keys")).form(&[("name", "ingest key"), ("ingest", "on")]).send().await.unwrap();
    let page = owner.get(app.url(res.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    let start = page.find("data-testid=\"new-secret\"").expect("the secret is shown");
    let code = &page[start..];
    let pair = &code[code.find("<code>").unwrap() + 6..code.find("</code>").unwrap()];
    let (public_id, secret) = pair.split_once(':').unwrap();
    assert!(secret.starts_with("sk-ed-") && secret.len() == 6 + 64);
    let again = owner.get(app.url("/projects/keys-test/settings")).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains(secret), "shown only once");

    let cache = services::api_keys::KeyCache::new(std::time::Duration::from_secs(60));
    let store = app.stores.primary.as_ref();
    let principal = services::api_keys::verify(store, &cache, public_id, secret, "ingest").await.unwrap();
    let key = store.api_key_by_public_id(public_id).await.unwrap().unwrap();
    assert_eq!(principal.project_id.as_str(), key.project_id);
    assert!(!key.secret_hash.contains(secret), "only a hash is stored");
    assert_eq!(services::api_keys::verify(store, &cache, public_id, "sk-ed-wrong", "ingest").await.unwrap_err().code(), "unauthenticated");
    assert_eq!(services::api_keys::verify(store, &cache, public_id, secret, "read").await.unwrap_err().code(), "forbidden");

    owner.post(app.url("/projects/keys-test/keys/revoke")).form(&[("key_id", key.id.as_str())]).send().await.unwrap();
    let fresh = services::api_keys::KeyCache::new(std::time::Duration::from_secs(60));
    assert!(services::api_keys::verify(store, &fresh, public_id, secret, "ingest").await.is_err(), "revoked");
    app.shutdown().await;
}

#[tokio::test]
async fn every_mutation_is_audited_and_the_chain_verifies() {
    let app = spawn_app().await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;
    admin.post(app.url("/projects")).form(&[("name", "Audited")]).send().await.unwrap();
    admin.post(app.url("/projects/audited/settings")).form(&[("name", "Audited 2"), ("description", "d")]).send().await.unwrap();
    admin.post(app.url("/admin/plans")).form(&[("name", "Team"), ("projects", "10")]).send().await.unwrap();
    let actions: Vec<String> =
        app.stores.primary.list_audit(&Default::default(), None, 100).await.unwrap().into_iter().map(|e| e.record.action).collect();
    for a in ["user.login", "project.create", "project.update", "plan.create"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing from {actions:?}");
    }
    let page = admin.get(app.url("/admin/audit?verify=1")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"chain-ok\""), "chain verifies");
    let csv = admin.get(app.url("/admin/audit.csv?action=project.update")).send().await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "header + one row: {csv}");
    assert!(csv.contains("Audited 2"));
    app.shutdown().await;
}

#[tokio::test]
async fn plan_quota_limits_project_creation() {
    let app = spawn_app().await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let u = add_user(&app, "bob@example.com", GlobalRole::User).await;
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;
    admin.post(app.url("/admin/plans")).form(&[("name", "Tiny"), ("projects", "1")]).send().await.unwrap();
    let tiny = app.stores.primary.list_plans().await.unwrap().into_iter().find(|p| p.name == "Tiny").unwrap();
    admin.post(app.url(&format!("/admin/users/{}", u.id))).form(&[("action", "plan"), ("plan_id", tiny.id.as_str())]).send().await.unwrap();
    let bob = sign_in(&app, "bob@example.com", PASSWORD).await;
    assert!(flash_after(&app, &bob, bob.post(app.url("/projects")).form(&[("name", "One")]).send().await.unwrap())
        .await
        .starts_with("ok:"));
    let msg = flash_after(&app, &bob, bob.post(app.url("/projects")).form(&[("name", "Two")]).send().await.unwrap()).await;
    assert!(msg.contains("projects limit") && msg.contains("1 of 1"), "{msg}");
    app.shutdown().await;
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_ip_with_retry_after() {
    let app = spawn_with(
        |mut s| {
            s.rate_limits.auth_per_15_minutes = 3;
            s
        },
        vec![],
    )
    .await;
    let c = browser(&app);
    for _ in 0..3 {
        let res =
            c.post(app.url("/auth/login")).form(&[("email", "a@example.com"), ("password", "whatever password")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let res = c.post(app.url("/auth/login")).form(&[("email", "a@example.com"), ("password", "whatever password")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(res.text().await.unwrap().contains("Too many requests"));
    app.shutdown().await;
}

#[tokio::test]
async fn audit_filters_by_actor_project_and_dates() {
    let app = spawn_app().await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    add_user(&app, "bob@example.com", GlobalRole::User).await;
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;
    let bob = sign_in(&app, "bob@example.com", PASSWORD).await;
    admin.post(app.url("/projects")).form(&[("name", "Alpha")]).send().await.unwrap();
    bob.post(app.url("/projects")).form(&[("name", "Beta")]).send().await.unwrap();
    let csv = |q: &'static str| {
        let admin = admin.clone();
        let url = app.url(&format!("/admin/audit.csv?{q}"));
        async move { admin.get(url).send().await.unwrap() }
    };
    let by_bob = csv("actor=bob%40example.com&action=project.create").await.text().await.unwrap();
    assert_eq!(by_bob.lines().count(), 2, "{by_bob}");
    assert!(by_bob.contains("bob@example.com") && by_bob.contains("Beta"));
    let alpha = csv("project=alpha").await.text().await.unwrap();
    assert!(alpha.contains("Alpha") && !alpha.contains("Beta"), "{alpha}");
    let today = domain::usage::utc_day(services::clock::now_ms());
    let in_range = admin.get(app.url(&format!("/admin/audit.csv?action=project.create&from={today}&to={today}"))).send().await.unwrap();
    assert_eq!(in_range.text().await.unwrap().lines().count(), 3);
    let before = csv("action=project.create&to=2000-01-01").await.text().await.unwrap();
    assert_eq!(before.lines().count(), 1, "only the header");
    let bad = csv("from=2026-02-31").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("YYYY-MM-DD"));
    let page = admin.get(app.url("/admin/audit?actor=bob%40example.com")).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.matches("data-testid=\"audit-row\"").count(), 2, "bob's login and project");
    app.shutdown().await;
}

#[tokio::test]
async fn usage_page_shows_counts_against_the_plan_and_this_months_usage() {
    let app = spawn_app().await;
    add_user(&app, "bob@example.com", GlobalRole::User).await;
    let bob = sign_in(&app, "bob@example.com", PASSWORD).await;
    bob.post(app.url("/projects")).form(&[("name", "Metered")]).send().await.unwrap();
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("metered").unwrap()).await.unwrap().unwrap();
    services::quota::record(
        app.stores.analytics.as_ref(),
        &test_support::pid(&project.id),
        domain::QuotaKind::TracesPerMonth,
        1234,
        services::clock::now_ms(),
    )
    .await
    .unwrap();
    let html = bob.get(app.url("/account/usage")).send().await.unwrap().text().await.unwrap();
    let plan_at = html.find("Plan: ").expect("the plan heading");
    assert!(html[plan_at..plan_at + 40].contains("Free"), "the seeded default plan: {}", &html[plan_at..plan_at + 40]);
    assert!(html.contains("1 of 3"), "one project of the Free plan's 3");
    assert!(html.contains("1234"), "the recorded traces show in the chart data");
    assert!(html.contains("Plan limit"), "the limit line is drawn");
    app.shutdown().await;
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_their_absolute_lifetime() {
    // Idle: the stored expiry is the idle timeout from now, renewed on use.
    let app = spawn_app().await;
    let user = add_user(&app, "ada@example.com", GlobalRole::User).await;
    sign_in(&app, "ada@example.com", PASSWORD).await;
    let now = services::clock::now_ms();
    let sessions = app.stores.primary.user_sessions(&user.id, now).await.unwrap();
    let ttl_min = (sessions[0].expires_at_ms - now) as f64 / 60_000.0;
    assert!((29.0..=30.5).contains(&ttl_min), "30 minutes idle timeout, got {ttl_min:.1}");
    assert!(app.stores.primary.user_sessions(&user.id, now + 31 * 60_000).await.unwrap().is_empty(), "gone once idle");
    app.shutdown().await;

    // Absolute: with a zero lifetime the session ends at the next request.
    let app = spawn_with(
        |mut s| {
            s.auth.session_absolute_minutes = 0;
            s
        },
        vec![],
    )
    .await;
    add_user(&app, "ada@example.com", GlobalRole::User).await;
    let c = sign_in(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(c.get(app.url("/projects")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    app.shutdown().await;
}
