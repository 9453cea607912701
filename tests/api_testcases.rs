//! Test case management (issue 7) through the services against the real embedded stores: edit
//! conflicts, review workflow, comments, duplicates, secret headers encrypted at rest, cases made
//! from a trace and from a playground conversation, authorisation and audit.

mod common;

use common::{add_user, sign_in, spawn_app, TestApp, PASSWORD};
use domain::{
    personas::{ChatTurn, Conversation},
    test_steps::{MatchType, StepExpectation},
    testcases::{CaseStatus, HttpTarget, ModelTarget, Target},
    traces::SpanRow,
    GlobalRole,
};
use services::{
    ports::testcases::CaseFilter,
    provider_keys::KeyCipher,
    test_generation,
    testcases::{self, CaseInput},
    Actor, RequestContext, ServiceError,
};

struct Setup {
    app: TestApp,
    owner: RequestContext,
    analyst: RequestContext,
    cipher: KeyCipher,
    project_id: String,
}

async fn ctx(app: &TestApp, email: &str) -> RequestContext {
    let user = app.stores.primary.user_by_email(&domain::Email::parse(email).unwrap()).await.unwrap().unwrap();
    RequestContext { actor: Some(Actor { user_id: user.id, email: email.into(), role: GlobalRole::User }), ..Default::default() }
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    add_user(&app, "analyst@example.com", GlobalRole::User).await;
    let browser = sign_in(&app, "owner@example.com", PASSWORD).await;
    browser.post(app.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    browser.post(app.url("/projects/alpha/members")).form(&[("email", "analyst@example.com"), ("role", "analyst")]).send().await.unwrap();
    let project_id = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap().id;
    let (owner, analyst) = (ctx(&app, "owner@example.com").await, ctx(&app, "analyst@example.com").await);
    Setup { app, owner, analyst, cipher: KeyCipher::new([7; 32]), project_id }
}

fn step(input: &str, expected: &str, match_type: MatchType) -> StepExpectation {
    StepExpectation {
        model: None,
        input: input.into(),
        expected_output: expected.into(),
        match_type,
        tool_calls: Vec::new(),
        max_latency_ms: None,
        max_tokens: None,
        max_cost_usd: None,
    }
}

fn http_case(name: &str) -> CaseInput {
    CaseInput {
        name: name.into(),
        feature: "refunds".into(),
        source_trace_id: None,
        target: Target::Http(HttpTarget {
            url: "http://127.0.0.1:9/chat".into(),
            method: "post".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            secret_header_names: Vec::new(),
            body: r#"{"q":"refund"}"#.into(),
            timeout_ms: 5_000,
        }),
        steps: vec![step("I want a refund", "refund", MatchType::Contains)],
        tags: vec!["Smoke".into(), "smoke".into(), "billing".into()],
        secret_headers: Some(vec![("authorization".into(), "Bearer sk-live-SECRET-4242".into())]),
    }
}

#[tokio::test]
async fn cases_are_created_edited_reviewed_commented_duplicated_and_deleted() {
    let s = setup().await;
    let st = &s.app.stores;
    let case = testcases::create(st, &s.cipher, &s.owner, "alpha", &http_case("Refund request")).await.unwrap();
    assert_eq!((case.status, case.version), (CaseStatus::Draft, 1));
    assert_eq!(case.tags, ["smoke", "billing"], "tags trimmed, lower-cased, de-duplicated");
    let Target::Http(http) = &case.target else { panic!() };
    assert_eq!((http.method.as_str(), http.secret_header_names.clone()), ("POST", vec!["authorization".to_owned()]));
    assert_eq!(
        testcases::secret_headers(st, &s.cipher, &case).await.unwrap(),
        vec![("authorization".to_owned(), "Bearer sk-live-SECRET-4242".to_owned())]
    );
    // Another master key cannot read them.
    let other = KeyCipher::new([8; 32]);
    assert!(testcases::secret_headers(st, &other, &case).await.unwrap_err().to_string().contains("cannot be decrypted"));

    // Editing with a stale version is a conflict, not a lost update.
    let mut edit = http_case("Refund request v2");
    edit.secret_headers = None;
    let edited = testcases::update(st, &s.cipher, &s.owner, "alpha", &case.id, 1, &edit).await.unwrap();
    assert_eq!(edited.version, 2);
    assert_eq!(testcases::secret_headers(st, &s.cipher, &edited).await.unwrap().len(), 1, "kept when not re-entered");
    let stale = testcases::update(st, &s.cipher, &s.owner, "alpha", &case.id, 1, &edit).await.unwrap_err();
    assert!(matches!(stale, ServiceError::Conflict(_)), "{stale}");

    // Review: draft → review → approved; approved cannot be rejected directly; an edit sends it back to draft.
    let err = testcases::set_status(st, &s.owner, "alpha", &case.id, CaseStatus::Approved, None).await.unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "a draft is reviewed before approval");
    testcases::set_status(st, &s.owner, "alpha", &case.id, CaseStatus::Review, None).await.unwrap();
    testcases::set_status(st, &s.owner, "alpha", &case.id, CaseStatus::Approved, Some("Looks right")).await.unwrap();
    let (_, approved, comments) = testcases::get(st, &s.analyst, "alpha", &case.id).await.unwrap();
    assert_eq!(approved.status, CaseStatus::Approved);
    assert_eq!(comments.len(), 1);
    assert_eq!((comments[0].body.as_str(), comments[0].author_email.as_deref()), ("Looks right", Some("owner@example.com")));
    let re_edited = testcases::update(st, &s.cipher, &s.owner, "alpha", &case.id, 2, &edit).await.unwrap();
    assert_eq!((re_edited.status, re_edited.version), (CaseStatus::Draft, 3), "what runs in suites is what was reviewed");

    let copy = testcases::duplicate(st, &s.cipher, &s.owner, "alpha", &case.id).await.unwrap();
    assert_eq!(copy.name, "Refund request v2 (copy)");
    assert_ne!(copy.id, case.id);
    assert_eq!(testcases::secret_headers(st, &s.cipher, &copy).await.unwrap().len(), 1, "secrets copied, re-encrypted for the copy");

    let filter = CaseFilter { tag: Some("smoke".into()), limit: 50, ..Default::default() };
    let (_, listed) = testcases::list(st, &s.analyst, "alpha", &filter).await.unwrap();
    assert_eq!(listed.len(), 2);

    // Analysts read but do not change.
    let refused = testcases::create(st, &s.cipher, &s.analyst, "alpha", &http_case("x")).await.unwrap_err();
    assert_eq!(refused, ServiceError::Forbidden);
    assert_eq!(testcases::delete(st, &s.analyst, "alpha", &copy.id).await.unwrap_err(), ServiceError::Forbidden);

    testcases::delete(st, &s.owner, "alpha", &copy.id).await.unwrap();
    assert!(matches!(testcases::get(st, &s.owner, "alpha", &copy.id).await, Err(ServiceError::NotFound(_))));
    let audit = st.primary.list_audit(&Default::default(), None, 100).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.record.action.as_str()).collect();
    for a in ["test_case.create", "test_case.update", "test_case.review", "test_case.comment", "test_case.delete"] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
    let trail = serde_json::to_string(&audit.iter().map(|e| &e.record).collect::<Vec<_>>()).unwrap();
    assert!(!trail.contains("SECRET-4242"), "no secret in the audit trail");
    s.app.shutdown().await;
}

#[tokio::test]
async fn secret_header_values_are_not_stored_in_clear() {
    let s = setup().await;
    testcases::create(&s.app.stores, &s.cipher, &s.owner, "alpha", &http_case("Secretive")).await.unwrap();
    let row =
        s.app.stores.primary.list_cases(&test_support::pid(&s.project_id), &CaseFilter { limit: 10, ..Default::default() }).await.unwrap();
    let stored = s.app.stores.primary.case_secret_headers(&test_support::pid(&s.project_id), &row[0].id).await.unwrap().unwrap();
    assert!(!stored.windows(6).any(|w| w == b"SECRET"), "ciphertext only");
    assert!(!serde_json::to_string(&row[0]).unwrap().contains("SECRET"));
    s.app.shutdown().await;
}

#[tokio::test]
async fn bad_steps_are_refused_when_saved() {
    let s = setup().await;
    let bad = [
        (step("q", "a", MatchType::Regex { pattern: "(unclosed".into() }), "regular expression"),
        (step("q", "a", MatchType::JsonSchema { schema: serde_json::json!({"type": 12}) }), "schema"),
        (step("q", "a", MatchType::SameMeaning { validation_prompt: "same?".into(), threshold: 1.5 }), "threshold"),
    ];
    for (st, says) in bad {
        let mut input = http_case("bad");
        input.steps = vec![st];
        let err = testcases::create(&s.app.stores, &s.cipher, &s.owner, "alpha", &input).await.unwrap_err();
        assert!(matches!(err, ServiceError::Invalid(_)), "{err}");
        assert!(err.to_string().to_lowercase().contains(says), "{says}: {err}");
    }
    let mut no_steps = http_case("none");
    no_steps.steps.clear();
    assert!(testcases::create(&s.app.stores, &s.cipher, &s.owner, "alpha", &no_steps).await.is_err());
    let mut bad_url = http_case("url");
    if let Target::Http(h) = &mut bad_url.target {
        h.url = "file:///etc/passwd".into();
    }
    assert!(testcases::create(&s.app.stores, &s.cipher, &s.owner, "alpha", &bad_url).await.unwrap_err().to_string().contains("http"));
    s.app.shutdown().await;
}

#[tokio::test]
async fn cases_are_made_from_a_trace_and_from_a_playground_conversation() {
    let s = setup().await;
    let st = &s.app.stores;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let start = services::clock::now_ms() as u64 * 1_000_000 - 5_000_000_000;
    let mut root = SpanRow::new(trace, "00f067aa0ba902b7", None, "POST /chat", start, 900_000_000);
    root.attributes = r#"{"url.full":"http://127.0.0.1:8088/chat","http.request.method":"POST"}"#.into();
    root.input = Some(r#"{"question":"Where is my parcel?"}"#.into());
    let llm = |id: &str, at: u64, model: &str, input: &str, output: &str| {
        let mut sp = SpanRow::new(trace, id, Some("00f067aa0ba902b7"), "chat", start + at, 100_000_000);
        sp.model = Some(model.into());
        sp.input = Some(input.into());
        sp.output = Some(output.into());
        sp
    };
    let spans = [
        root,
        llm("00f067aa0ba902b9", 300, "gpt-4o", "summarise", "It is in Lyon."),
        llm("00f067aa0ba902b8", 100, "gpt-4o-mini", "classify", "tracking"),
    ];
    st.analytics.insert_spans(&test_support::pid(&s.project_id), &spans).await.unwrap();
    let case = test_generation::from_trace(st, &s.cipher, &s.owner, "alpha", trace).await.unwrap();
    assert_eq!(case.status, CaseStatus::Draft);
    assert_eq!(case.source_trace_id.as_deref(), Some(trace));
    let Target::Http(http) = &case.target else { panic!("http target from the root request") };
    assert_eq!(http.url, "http://127.0.0.1:8088/chat");
    assert_eq!(case.steps.iter().map(|x| x.expected_output.as_str()).collect::<Vec<_>>(), ["tracking", "It is in Lyon."]);
    assert!(matches!(
        test_generation::from_trace(st, &s.cipher, &s.owner, "alpha", "0000000000000000000000000000dead").await,
        Err(ServiceError::NotFound(_))
    ));

    let conversation = Conversation {
        id: "conv-1".into(),
        project_id: s.project_id.clone(),
        title: "Parcel help".into(),
        created_by: None,
        created_at_ms: 1,
        provider_key_id: None,
        model: "gpt-4o-mini".into(),
        system_prompt: "You are a courier assistant.".into(),
        persona_id: None,
        messages: vec![
            ChatTurn { role: "user".into(), content: "Hi".into() },
            ChatTurn { role: "assistant".into(), content: "Hello! How can I help?".into() },
            ChatTurn { role: "user".into(), content: "Where is it?".into() },
            ChatTurn { role: "assistant".into(), content: "In Lyon.".into() },
        ],
        params: serde_json::json!({"temperature": 0.2}),
    };
    st.primary.insert_conversation(&conversation).await.unwrap();
    let from_chat = test_generation::from_conversation(st, &s.cipher, &s.owner, "alpha", "conv-1").await.unwrap();
    let Target::Model(ModelTarget { system_prompt, temperature, .. }) = &from_chat.target else { panic!("model target") };
    assert_eq!((system_prompt.as_str(), *temperature), ("You are a courier assistant.", Some(0.2)));
    assert_eq!(from_chat.steps.len(), 2);
    assert_eq!(from_chat.steps[1].input, "Where is it?");
    s.app.shutdown().await;
}
