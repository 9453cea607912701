//! The test pages and their forms (issue 7) through a real server (embedded SQLite), a browser-like
//! client and the fake AI application: a case created by form (secret header never shown again),
//! reviewed, run (pass), run again after the app's answer changed (fail), a step overridden,
//! two runs compared, a stale edit refused, a suite created, run and reported; an analyst reads
//! everything and sees no form that changes anything.

mod common;

use common::{add_user, browser, flash_of, sign_in, TestApp, PASSWORD};
use domain::{testcases::TestRun, GlobalRole};
use elasticdash::{
    settings::Settings,
    worker::{test_runs::ExecuteRun, JobHandler},
    Server,
};
use fake_target::{Export, FakeTarget};
use reqwest::{Client, StatusCode};
use services::test_runs::{self, RunnerConfig};
use std::{sync::Arc, time::Duration};

const ANSWER: &str = "Refunds take 5 business days.";

async fn server_on(dir: &std::path::Path) -> TestApp {
    let settings: Settings = common::embedded_settings(dir);
    let server = Server::build(settings.clone()).await.expect("server starts");
    let config = RunnerConfig { span_wait: Duration::from_secs(5), span_settle: Duration::from_millis(300), ..RunnerConfig::default() };
    let handler: Arc<dyn JobHandler> = Arc::new(ExecuteRun::new(&server.services, config));
    let server = server.register_job(test_runs::EXECUTE_JOB, handler);
    common::start(server, tempfile::tempdir().unwrap())
}

/// Posts a form; returns where it redirects and the flash shown there.
async fn post(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> (String, String) {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path}");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let html = page(app, client, &to).await;
    (to, flash_of(&html))
}

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    res.text().await.unwrap()
}

fn last_segment(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_owned()
}

async fn wait_final(app: &TestApp, project_id: &str, run_id: &str) -> TestRun {
    for _ in 0..300 {
        let run = app.stores.primary.run(&test_support::pid(project_id), run_id).await.unwrap().unwrap();
        if run.status.is_final() {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {run_id} did not finish");
}

async fn target(app: &TestApp, public_key: String, secret_key: String) -> FakeTarget {
    let config = fake_target::Config {
        ingest_url: app.base.clone(),
        public_key,
        secret_key,
        outputs: vec![ANSWER.into()],
        export: Export::BeforeAnswer,
        ..fake_target::Config::default()
    };
    fake_target::spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap()
}

#[tokio::test]
async fn cases_are_made_reviewed_run_overridden_compared_and_suites_reported_through_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let app = server_on(dir.path()).await;
    add_user(&app, "editor@example.com", GlobalRole::User).await;
    add_user(&app, "analyst@example.com", GlobalRole::User).await;
    let ed = sign_in(&app, "editor@example.com", PASSWORD).await;
    ed.post(app.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    ed.post(app.url("/projects/alpha/members")).form(&[("email", "analyst@example.com"), ("role", "analyst")]).send().await.unwrap();
    let project_id = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap().id;
    let user = app.stores.primary.user_by_email(&domain::Email::parse("editor@example.com").unwrap()).await.unwrap().unwrap();
    let ctx = services::RequestContext {
        actor: Some(services::Actor { user_id: user.id, email: "editor@example.com".into(), role: GlobalRole::User }),
        ..Default::default()
    };
    let key = services::api_keys::create(app.stores.primary.as_ref(), &ctx, "alpha", "ingest", &["ingest".into()]).await.unwrap();
    let fake = target(&app, key.record.public_id.clone(), key.secret.clone()).await;
    let chat = format!("{}/chat", fake.url);

    // A bad form is refused with the step's number and nothing is created.
    let (to, flash) = post(
        &app,
        &ed,
        "/projects/alpha/tests",
        &[("name", "Broken"), ("url", &chat), ("s0_input", "q"), ("s0_match", "json_schema"), ("s0_schema", "{")],
    )
    .await;
    assert_eq!(to, "/projects/alpha/tests");
    assert!(flash.contains("Step 1: the JSON schema is not valid JSON"), "{flash}");

    // Create by form, with a secret header that is never shown again.
    let form = [
        ("name", "Refund window"),
        ("feature", "refunds"),
        ("tags", "smoke, billing"),
        ("target_kind", "http"),
        ("url", chat.as_str()),
        ("method", "POST"),
        ("headers", "content-type: application/json"),
        ("secret_headers", "x-api-key: top-secret-value-42"),
        ("body", r#"{"message": "How long do refunds take?"}"#),
        ("timeout_ms", "5000"),
        ("steps", "1"),
        ("s0_input", "How long do refunds take?"),
        ("s0_expected", "5 business days"),
        ("s0_match", "contains"),
    ];
    let (case_path, flash) = post(&app, &ed, "/projects/alpha/tests", &form).await;
    assert!(flash.contains("created as a draft"), "{flash}");
    let case_id = last_segment(&case_path);
    let html = page(&app, &ed, &case_path).await;
    assert!(html.contains("x-api-key (values hidden)"), "secret header names are shown");
    assert!(!html.contains("top-secret-value-42"), "secret header values never are");
    assert!(html.contains(r#"data-status="draft""#));

    // Review to approved; the list filters by status.
    post(&app, &ed, &format!("{case_path}/status"), &[("to", "review"), ("comment", "")]).await;
    let (_, flash) = post(&app, &ed, &format!("{case_path}/status"), &[("to", "approved"), ("comment", "Looks right")]).await;
    assert!(flash.contains("now approved"), "{flash}");
    let (_, flash) = post(&app, &ed, &format!("{case_path}/status"), &[("to", "review"), ("comment", "")]).await;
    assert!(flash.contains("cannot become"), "an approved case cannot go to review: {flash}");
    assert!(page(&app, &ed, "/projects/alpha/tests?status=approved").await.contains("Refund window"));
    let drafts = page(&app, &ed, "/projects/alpha/tests?status=draft&tag=smoke").await;
    assert!(!drafts.contains("case-row") && drafts.contains("No test case matches"));

    // Run: the fake app answers as expected.
    let (run1, flash) = post(&app, &ed, &format!("{case_path}/run"), &[]).await;
    assert!(flash.contains("Run started"), "{flash}");
    let run1_id = last_segment(&run1);
    let run = wait_final(&app, &project_id, &run1_id).await;
    assert!(run.passed(), "{run:?}");
    let html = page(&app, &ed, &run1).await;
    assert!(html.contains(r#"data-status="success""#) && html.contains(ANSWER));
    assert!(html.contains(&format!("/projects/alpha/traces/{}", run.trace_id)));

    // The app's answer changes: the next run fails with a reason, then a person overrides it.
    fake.set_answer("We do not give refunds.");
    let (run2, _) = post(&app, &ed, &format!("{case_path}/run"), &[]).await;
    let run2_id = last_segment(&run2);
    assert!(!wait_final(&app, &project_id, &run2_id).await.passed());
    let html = page(&app, &ed, &run2).await;
    assert!(html.contains(r#"data-passed="false""#) && html.contains("We do not give refunds."));
    let (_, flash) = post(&app, &ed, &format!("{run2}/override"), &[("step", "0"), ("passed", "true"), ("comment", "")]).await;
    assert!(flash.contains("comment"), "an override needs a reason: {flash}");
    let (_, flash) = post(&app, &ed, &format!("{run2}/override"), &[("step", "0"), ("passed", "true"), ("comment", "New policy")]).await;
    assert!(flash.contains("the run is now passed"), "{flash}");
    assert!(page(&app, &ed, &run2).await.contains("Passed by hand"));

    // History and comparison.
    let html = page(&app, &ed, &case_path).await;
    assert_eq!(html.matches(r#"data-testid="run-row""#).count(), 2);
    let html = page(&app, &ed, &format!("/projects/alpha/tests/compare?a={run1_id}&b={run2_id}")).await;
    assert!(html.contains("Output changed"), "{html}");
    assert!(html.contains(r#"data-testid="fingerprint-same""#) || html.contains(r#"data-testid="fingerprint-changed""#));

    // A stale edit is refused; a fresh one bumps the version and sends the case back to draft.
    let mut edit = form.to_vec();
    edit.retain(|(k, _)| *k != "secret_headers");
    // As the page sends it: the stored names, values left out to keep them.
    edit.push(("secret_header_names", "x-api-key"));
    edit.push(("version", "0"));
    let (_, flash) = post(&app, &ed, &case_path, &edit).await;
    assert!(flash.contains("Someone changed this test case"), "{flash}");
    let stored = app.stores.primary.case(&test_support::pid(&project_id), &case_id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1, "review does not change the version");
    let last = edit.len() - 1;
    edit[last] = ("version", "1");
    let (_, flash) = post(&app, &ed, &case_path, &edit).await;
    assert!(flash.contains("version 2"), "{flash}");
    let html = page(&app, &ed, &case_path).await;
    assert!(html.contains(r#"data-status="draft""#) && html.contains("x-api-key (values hidden)"), "secrets are kept when not re-entered");
    assert!(html.contains(r#"data-testid="outdated""#), "older runs are outdated");
    post(&app, &ed, &format!("{case_path}/status"), &[("to", "review")]).await;
    post(&app, &ed, &format!("{case_path}/status"), &[("to", "approved")]).await;

    // A suite: created, run, reported (the answer is still the changed one: a failure first).
    let (_, flash) = post(&app, &ed, "/projects/alpha/suites", &[("name", "Smoke"), ("case_ids", &case_id), ("case_ids", &case_id)]).await;
    assert!(flash.contains("created with 1 test case"), "{flash}");
    let (_, flash) = post(&app, &ed, "/projects/alpha/suites", &[("name", "Smoke"), ("case_ids", &case_id)]).await;
    assert!(flash.contains("already has a suite named"), "{flash}");
    let suite = app.stores.primary.list_suites(&test_support::pid(&project_id)).await.unwrap().remove(0);
    let (report, flash) = post(&app, &ed, &format!("/projects/alpha/suites/{}/run", suite.id), &[]).await;
    assert!(flash.contains("Suite run started: 1 test case"), "{flash}");
    let suite_run_id = last_segment(&report);
    for run in app.stores.primary.runs_of_suite_run(&test_support::pid(&project_id), &suite_run_id).await.unwrap() {
        wait_final(&app, &project_id, &run.id).await;
    }
    let html = page(&app, &ed, &report).await;
    assert!(html.contains(r#"data-testid="count-failed">1<"#), "{html}");
    assert!(html.contains("step 1:"));
    assert!(page(&app, &ed, "/projects/alpha/tests").await.contains(&report), "the list links to the latest report");

    // An analyst reads every page and sees no form that changes anything; posting is refused.
    let an = sign_in(&app, "analyst@example.com", PASSWORD).await;
    for path in [&case_path, &run2, &report, &"/projects/alpha/tests".to_owned()] {
        let html = page(&app, &an, path).await;
        for testid in [
            "run-case",
            "review-form",
            "comment-form",
            "edit-case-form",
            "create-case",
            "create-suite",
            "run-suite",
            "override-form",
            "tests-tab-generate",
        ] {
            assert!(!html.contains(&format!(r#"data-testid="{testid}""#)), "{path} shows {testid} to an analyst");
        }
    }
    let (_, flash) = post(&app, &an, &format!("{case_path}/run"), &[]).await;
    assert!(flash.contains("permission"), "{flash}");
    let res = an.get(app.url("/projects/alpha/tests/generate")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "generation is for editors");

    // A stranger does not learn the project exists.
    let stranger = browser(&app);
    assert_ne!(stranger.get(app.url(&case_path)).send().await.unwrap().status(), StatusCode::OK);
    app.shutdown().await;
}
