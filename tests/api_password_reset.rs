//! Password reset by e-mail (ASVS V2.5): the link goes out through the real
//! SMTP client to the sink `scripts/test.sh` starts (`ED_TEST_SMTP_URL`,
//! maildir in `ED_TEST_MAIL_DIR`); the token works once, expires, is stored
//! hashed, and using it ends every session of the account.

mod common;

use common::{add_user, browser, flash_after, sign_in, spawn_with, TestApp, PASSWORD};
use domain::GlobalRole;
use elasticdash::secret::Secret;
use reqwest::StatusCode;
use services::{clock::now_ms, password_reset};
use std::{path::PathBuf, time::Duration};

const NEW_PASSWORD: &str = "a brand new passphrase 42";
const PUBLIC_URL: &str = "http://elasticdash.test:8080";

/// A server that mails through the sink; also returns its SQLite file.
async fn spawn_mailing_app() -> (TestApp, PathBuf) {
    let smtp = test_support::required_env("ED_TEST_SMTP_URL");
    let mut db = PathBuf::new();
    let app = spawn_with(
        |mut s| {
            s.mail.smtp_url = Secret::new(smtp);
            s.server.public_url = PUBLIC_URL.into();
            db = PathBuf::from(s.stores.primary_url.trim_start_matches("sqlite://"));
            s
        },
        vec![],
    )
    .await;
    (app, db)
}

/// A fresh address per test, so parallel tests never read each other's mail.
fn unique_email(who: &str) -> String {
    format!("{who}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// The messages the sink received for `to` (complete ones: maildir `new/`).
fn mails_to(to: &str) -> Vec<String> {
    let dir = PathBuf::from(test_support::required_env("ED_TEST_MAIL_DIR")).join("new");
    let rcpt = format!("X-RcptTo: {to}");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the sink's maildir {}: {e}", dir.display()))
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|m| m.lines().any(|l| l.trim_end() == rcpt))
        .collect()
}

/// Waits (bounded) for exactly one message to `to`.
async fn the_mail_to(to: &str) -> String {
    for _ in 0..100 {
        let mut mails = mails_to(to);
        if !mails.is_empty() {
            assert_eq!(mails.len(), 1, "one message to {to}");
            return mails.remove(0);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} arrived in the sink");
}

/// The token of the reset link in a message (undoing quoted-printable soft breaks).
fn token_in(mail: &str) -> String {
    let body = mail.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let prefix = format!("{PUBLIC_URL}/reset-password?token=");
    let at = body.find(&prefix).unwrap_or_else(|| panic!("no reset link in:\n{mail}")) + prefix.len();
    body[at..].chars().take_while(char::is_ascii_hexdigit).collect()
}

async fn ask_for_reset(app: &TestApp, email: &str) -> String {
    let c = browser(app);
    flash_after(app, &c, c.post(app.url("/auth/forgot-password")).form(&[("email", email)]).send().await.unwrap()).await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> String {
    let c = browser(app);
    let form = [("token", token), ("password", password), ("password_repeat", password)];
    flash_after(app, &c, c.post(app.url("/auth/reset-password")).form(&form).send().await.unwrap()).await
}

async fn can_sign_in(app: &TestApp, email: &str, password: &str) -> bool {
    let res = browser(app).post(app.url("/auth/login")).form(&[("email", email), ("password", password)]).send().await.unwrap();
    !res.headers()["location"].to_str().unwrap().starts_with("/login")
}

/// Every byte of the SQLite database (and its write-ahead log).
fn database_bytes(db: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", db.display())) {
        bytes.extend(wal);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_mailed_link_works_once_and_ends_every_session() {
    let (app, db) = spawn_mailing_app().await;
    let email = unique_email("ada");
    let user = add_user(&app, &email, GlobalRole::User).await;
    let laptop = sign_in(&app, &email, PASSWORD).await;
    let _phone = sign_in(&app, &email, PASSWORD).await;
    assert_eq!(app.stores.primary.user_sessions(&user.id, now_ms()).await.unwrap().len(), 2);

    let msg = ask_for_reset(&app, &email).await;
    assert_eq!(msg, format!("ok: {}", password_reset::REQUESTED_MESSAGE));
    let mail = the_mail_to(&email).await;
    assert!(mail.contains("Subject: Reset your ElasticDash password"), "{mail}");
    let token = token_in(&mail);
    assert_eq!(token.len(), 64, "256 random bits, hex");

    // Stored hashed: the row holds the SHA-256, never the token.
    let stored = database_bytes(&db);
    assert!(contains(&stored, &password_reset::token_hash(&token)), "the hash is stored");
    assert!(!contains(&stored, &token), "the raw token is not stored");

    // The link's page carries the token into the form.
    let page = browser(&app).get(app.url(&format!("/reset-password?token={token}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"reset-form\"") && page.contains(&format!("value=\"{token}\"")), "{page}");

    // A weak password is refused without using the token up.
    let msg = reset(&app, &token, "short").await;
    assert!(msg.starts_with("error: "), "{msg}");
    let msg = reset(&app, &token, NEW_PASSWORD).await;
    assert!(msg.starts_with("ok: Your password is changed"), "{msg}");

    assert!(app.stores.primary.user_sessions(&user.id, now_ms()).await.unwrap().is_empty(), "every session ended");
    let res = laptop.get(app.url("/account")).send().await.unwrap();
    assert!(res.status().is_redirection(), "the old session is signed out: {}", res.status());
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    assert!(can_sign_in(&app, &email, NEW_PASSWORD).await, "the new password signs in");
    assert!(!can_sign_in(&app, &email, PASSWORD).await, "the old one does not");

    let msg = reset(&app, &token, "yet another passphrase 7").await;
    assert_eq!(msg, "error: This reset link is invalid or has expired; ask for a new one", "a token works once");
    assert!(can_sign_in(&app, &email, NEW_PASSWORD).await);

    let audit = app.stores.primary.list_audit(&Default::default(), None, 50).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.record.action.as_str()).collect();
    assert!(actions.contains(&"user.password_reset_requested") && actions.contains(&"user.password_reset_completed"), "{actions:?}");
    assert!(!audit.iter().any(|e| serde_json::to_string(&e.record).unwrap().contains(&token)), "no token in the audit trail");
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let (app, _db) = spawn_mailing_app().await;
    let known = unique_email("bob");
    add_user(&app, &known, GlobalRole::User).await;
    let unknown = unique_email("nobody");
    let for_unknown = ask_for_reset(&app, &unknown).await;
    let for_known = ask_for_reset(&app, &known).await;
    assert_eq!(for_unknown, for_known, "no account enumeration");
    assert_eq!(ask_for_reset(&app, "not an address").await, for_known);
    // Mail goes out in the background: once the known address's has arrived, one for the
    // unknown address (asked for before it) would have been sent first. No fixed wait.
    the_mail_to(&known).await;
    assert!(mails_to(&unknown).is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn an_expired_or_unknown_token_is_refused() {
    let (app, _db) = spawn_mailing_app().await;
    let email = unique_email("cy");
    let user = add_user(&app, &email, GlobalRole::User).await;
    let token = "e".repeat(64);
    let now = now_ms();
    app.stores
        .primary
        .create_reset(&password_reset::token_hash(&token), &user.id, now - 1, now - password_reset::TOKEN_TTL_MS)
        .await
        .unwrap();
    let refused = "error: This reset link is invalid or has expired; ask for a new one";
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await, refused);
    assert_eq!(reset(&app, &"0".repeat(64), NEW_PASSWORD).await, refused);
    assert!(can_sign_in(&app, &email, PASSWORD).await, "the password is unchanged");

    // Mismatched repeats never reach the token.
    let c = browser(&app);
    let form = [("token", token.as_str()), ("password", NEW_PASSWORD), ("password_repeat", "something else entirely")];
    let res = c.post(app.url("/auth/reset-password")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash_after(&app, &c, res).await, "error: The two passwords differ.");
    app.shutdown().await;
}

#[tokio::test]
async fn the_pages_render_for_anyone() {
    let (app, _db) = spawn_mailing_app().await;
    let login = app.get("/login").await.text().await.unwrap();
    assert!(login.contains("href=\"/forgot-password\""), "the login page links to the reset");
    let forgot = app.get("/forgot-password").await;
    assert_eq!(forgot.status(), StatusCode::OK);
    assert!(forgot.text().await.unwrap().contains("action=\"/auth/forgot-password\""));
    let without_token = app.get("/reset-password").await.text().await.unwrap();
    assert!(without_token.contains("data-testid=\"reset-no-token\""));
    app.shutdown().await;
}

#[tokio::test]
async fn inviting_an_address_without_an_account_mails_a_link_to_join() {
    let (app, _db) = spawn_mailing_app().await;
    let owner_email = unique_email("owner");
    add_user(&app, &owner_email, domain::GlobalRole::User).await;
    let owner = common::sign_in(&app, &owner_email, common::PASSWORD).await;
    owner.post(app.url("/projects")).form(&[("name", "Invites"), ("slug", "invites")]).send().await.unwrap();

    let newcomer = unique_email("newcomer");
    let form = [("email", newcomer.as_str()), ("role", "analyst")];
    let msg = flash_after(&app, &owner, owner.post(app.url("/projects/invites/members")).form(&form).send().await.unwrap()).await;
    assert!(msg.starts_with("ok:"), "{msg}");
    let mail = the_mail_to(&newcomer).await;
    let body = mail.replace("=\r\n", "").replace("=\n", "");
    assert!(body.contains("invited you to the project") && mail.contains("Subject: You are invited to Invites"), "{mail}");
    assert!(!can_sign_in(&app, &newcomer, NEW_PASSWORD).await, "no usable password before the link");

    assert!(reset(&app, &token_in(&mail), NEW_PASSWORD).await.starts_with("ok:"));
    let newcomer_client = common::sign_in(&app, &newcomer, NEW_PASSWORD).await;
    let page = newcomer_client.get(app.url("/projects/invites")).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK, "the invited analyst sees the project");
    let actions: Vec<String> =
        app.stores.primary.list_audit(&Default::default(), None, 100).await.unwrap().into_iter().map(|e| e.record.action).collect();
    assert!(actions.contains(&"user.invite".to_owned()) && actions.contains(&"member.add".to_owned()), "{actions:?}");
    app.shutdown().await;
}
