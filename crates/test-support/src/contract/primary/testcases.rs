//! Test cases, comments, suites and runs: optimistic versions on cases, secret header bytes,
//! list filters and project scoping, compare-and-set status changes, ordered suites, run and
//! suite-run compare-and-set, counts computed from the runs, cancellation, deletion.

use super::{is_conflict, user, NOW};
use domain::{
    test_steps::{MatchType, Observation, StepExpectation, StepVerdict},
    testcases::{
        CaseComment, CaseStatus, HttpTarget, ModelTarget, RunStatus, StepOverride, StepResult, Suite, SuiteRun, SuiteRunCounts, Target,
        TestCase, TestRun,
    },
    ProjectSlug,
};
use serde_json::json;
use services::{
    ports::{CaseFilter, NewProject, PrimaryStore, Project, User},
    StoreError,
};
use std::sync::Arc;

async fn project(store: &dyn PrimaryStore, slug: &str, owner: &User) -> Project {
    let new = NewProject { slug: ProjectSlug::parse(slug).expect("valid slug"), name: slug.into(), description: String::new() };
    store.create_project(new, &owner.id, NOW).await.expect("create project")
}

fn case(id: &str, project: &Project, name: &str, by: &User, at: i64) -> TestCase {
    TestCase {
        id: id.into(),
        project_id: project.id.clone(),
        name: name.into(),
        feature: "checkout".into(),
        source_trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
        target: Target::Http(HttpTarget {
            url: "http://127.0.0.1:9/chat".into(),
            method: "POST".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            secret_header_names: vec!["authorization".into()],
            body: r#"{"q": "Wo ist meine Bestellung? ✓"}"#.into(),
            timeout_ms: 10_000,
        }),
        steps: vec![
            StepExpectation {
                model: Some("gpt-4o-mini".into()),
                input: "where is my order".into(),
                expected_output: "It ships tomorrow".into(),
                match_type: MatchType::SameMeaning { validation_prompt: "mentions the date".into(), threshold: 0.75 },
                tool_calls: vec![],
                max_latency_ms: Some(2_000),
                max_tokens: None,
                max_cost_usd: Some(0.01),
            },
            StepExpectation {
                model: None,
                input: "{}".into(),
                expected_output: String::new(),
                match_type: MatchType::JsonSchema { schema: json!({"type": "object", "required": ["ok"]}) },
                tool_calls: vec![],
                max_latency_ms: None,
                max_tokens: Some(500),
                max_cost_usd: None,
            },
        ],
        tags: vec!["smoke".into(), "orders".into()],
        status: CaseStatus::Draft,
        version: 1,
        created_by: Some(by.id.clone()),
        created_at_ms: at,
        updated_at_ms: at,
    }
}

fn run(id: &str, c: &TestCase, suite_run_id: Option<&str>, at: i64) -> TestRun {
    TestRun {
        id: id.into(),
        project_id: c.project_id.clone(),
        case_id: c.id.clone(),
        case_version: c.version,
        suite_run_id: suite_run_id.map(str::to_owned),
        status: RunStatus::Pending,
        trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
        prompt_fingerprint: None,
        steps: vec![],
        error: None,
        created_by: c.created_by.clone(),
        created_at_ms: at,
        started_at_ms: None,
        finished_at_ms: None,
    }
}

fn step(index: u32, passed: bool) -> StepResult {
    StepResult {
        index,
        observed: Some(Observation {
            model: Some("gpt-4o-mini".into()),
            input: "where is my order".into(),
            output: "Morgen – tomorrow".into(),
            tool_calls: vec![],
            latency_ms: 812,
            tokens: Some(41),
            cost_usd: Some(0.000_12),
        }),
        verdict: if passed { StepVerdict::pass(0.9) } else { StepVerdict::fail("the answer does not mention the date") },
        override_: None,
    }
}

/// `r` moved from running to its final status with these steps.
async fn finish(store: &dyn PrimaryStore, r: &TestRun, steps: Vec<StepResult>, at: i64) -> TestRun {
    let mut running = r.clone();
    running.status = RunStatus::Running;
    running.started_at_ms = Some(at);
    store.update_run(&running, RunStatus::Pending).await.expect("start run");
    let mut done = running.clone();
    done.steps = steps;
    done.status = done.settled_status();
    done.finished_at_ms = Some(at + 1);
    store.update_run(&done, RunStatus::Running).await.expect("finish run");
    done
}

fn page(limit: u32) -> CaseFilter {
    CaseFilter { limit, ..Default::default() }
}

fn names(cases: &[TestCase]) -> Vec<&str> {
    cases.iter().map(|c| c.name.as_str()).collect()
}

pub async fn testcases_are_stored_and_edited_under_an_optimistic_version(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    // Not valid UTF-8, with a NUL: ciphertext is bytes, not text.
    let secrets: &[u8] = &[0, 159, 146, 150, 255, 1, 128];

    let original = case("c-1", &a, "Order status", &owner, NOW);
    store.insert_case(&original, Some(secrets)).await.unwrap();
    assert_eq!(store.case(&crate::pid(&a.id), "c-1").await.unwrap(), Some(original.clone()), "every field round-trips");
    assert_eq!(store.case_secret_headers(&crate::pid(&a.id), "c-1").await.unwrap().as_deref(), Some(secrets));
    assert_eq!(store.case(&crate::pid(&b.id), "c-1").await.unwrap(), None, "scoped by project");
    assert_eq!(store.case_secret_headers(&crate::pid(&b.id), "c-1").await.unwrap(), None);
    assert!(is_conflict(store.insert_case(&original, None).await), "same id");
    let ghost = Project { id: "no-such-project".into(), ..a.clone() };
    assert_eq!(store.insert_case(&case("c-x", &ghost, "X", &owner, NOW), None).await, Err(StoreError::NotFound));

    // An edit: new target and steps, version bumped by the caller; secrets kept.
    let mut edited = original.clone();
    edited.name = "Order status (DE)".into();
    edited.target = Target::Model(ModelTarget {
        provider_key_id: None,
        model: "gpt-4o".into(),
        system_prompt: "Du bist ein Assistent.".into(),
        temperature: Some(0.2),
        max_tokens: Some(256),
    });
    edited.steps.truncate(1);
    edited.tags = vec!["regression".into()];
    edited.version = 2;
    edited.updated_at_ms = NOW + 10;
    store.update_case(&edited, 1, None).await.unwrap();
    assert_eq!(store.case(&crate::pid(&a.id), "c-1").await.unwrap(), Some(edited.clone()));
    assert_eq!(store.case_secret_headers(&crate::pid(&a.id), "c-1").await.unwrap().as_deref(), Some(secrets), "None keeps the secrets");

    // A second editor who loaded version 1 loses, and nothing of theirs is written.
    let mut stale = original.clone();
    stale.name = "Stale edit".into();
    stale.version = 2;
    assert!(is_conflict(store.update_case(&stale, 1, Some(Some(b"other"))).await));
    assert_eq!(store.case(&crate::pid(&a.id), "c-1").await.unwrap(), Some(edited.clone()));
    assert_eq!(store.case_secret_headers(&crate::pid(&a.id), "c-1").await.unwrap().as_deref(), Some(secrets));

    // Replacing, then removing the secrets.
    let mut again = edited.clone();
    again.version = 3;
    store.update_case(&again, 2, Some(Some(&[7, 0, 200]))).await.unwrap();
    assert_eq!(store.case_secret_headers(&crate::pid(&a.id), "c-1").await.unwrap(), Some(vec![7, 0, 200]));
    again.version = 4;
    store.update_case(&again, 3, Some(None)).await.unwrap();
    assert_eq!(store.case_secret_headers(&crate::pid(&a.id), "c-1").await.unwrap(), None);
    assert_eq!(store.case(&crate::pid(&a.id), "c-1").await.unwrap().unwrap().version, 4);

    let elsewhere = TestCase { project_id: b.id.clone(), version: 5, ..again.clone() };
    assert_eq!(store.update_case(&elsewhere, 4, None).await, Err(StoreError::NotFound), "not in that project");
    let missing = TestCase { id: "nope".into(), ..again.clone() };
    assert_eq!(store.update_case(&missing, 4, None).await, Err(StoreError::NotFound));

    assert_eq!(store.delete_case(&crate::pid(&b.id), "c-1").await, Err(StoreError::NotFound), "not in that project");
    store.delete_case(&crate::pid(&a.id), "c-1").await.unwrap();
    assert_eq!(store.case(&crate::pid(&a.id), "c-1").await.unwrap(), None);
    assert_eq!(store.delete_case(&crate::pid(&a.id), "c-1").await, Err(StoreError::NotFound));
}

pub async fn testcases_are_filtered_paged_and_scoped_by_project(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;

    let mut refund = case("c-1", &a, "Refund window", &owner, NOW);
    refund.tags = vec!["smoke".into(), "refunds".into()];
    refund.feature = "refunds".into();
    let mut greeting = case("c-2", &a, "Greeting", &owner, NOW + 1);
    greeting.tags = vec!["smoke_test".into()];
    greeting.status = CaseStatus::Approved;
    let mut discount = case("c-3", &a, "50% discount REFUND", &owner, NOW + 2);
    discount.tags = vec![];
    discount.status = CaseStatus::Approved;
    for c in [&refund, &greeting, &discount] {
        store.insert_case(c, None).await.unwrap();
    }
    store.insert_case(&case("c-4", &b, "Refund window", &owner, NOW + 3), None).await.unwrap();

    let all = store.list_cases(&crate::pid(&a.id), &page(50)).await.unwrap();
    assert_eq!(names(&all), ["50% discount REFUND", "Greeting", "Refund window"], "newest update first, project a only");
    assert_eq!(all[2], refund);

    let list = |filter: CaseFilter| {
        let store = store.clone();
        let project_id = a.id.clone();
        async move { store.list_cases(&crate::pid(&project_id), &filter).await.unwrap().into_iter().map(|c| c.id).collect::<Vec<_>>() }
    };
    assert_eq!(list(CaseFilter { status: Some(CaseStatus::Approved), ..page(50) }).await, ["c-3", "c-2"]);
    assert_eq!(list(CaseFilter { status: Some(CaseStatus::Review), ..page(50) }).await, Vec::<String>::new());
    assert_eq!(list(CaseFilter { tag: Some("smoke".into()), ..page(50) }).await, ["c-1"], "whole tags only");
    assert_eq!(list(CaseFilter { tag: Some("smoke_test".into()), ..page(50) }).await, ["c-2"]);
    assert_eq!(list(CaseFilter { tag: Some("smoke%".into()), ..page(50) }).await, Vec::<String>::new(), "no wildcards");
    assert_eq!(list(CaseFilter { feature: Some("refunds".into()), ..page(50) }).await, ["c-1"]);
    assert_eq!(list(CaseFilter { search: Some("refund".into()), ..page(50) }).await, ["c-3", "c-1"], "case-insensitive substring");
    assert_eq!(list(CaseFilter { search: Some("50%".into()), ..page(50) }).await, ["c-3"]);
    assert_eq!(list(CaseFilter { search: Some("0%d".into()), ..page(50) }).await, Vec::<String>::new(), "% is literal");
    assert_eq!(
        list(CaseFilter { status: Some(CaseStatus::Approved), search: Some("greet".into()), ..page(50) }).await,
        ["c-2"],
        "filters combine"
    );
    assert_eq!(list(CaseFilter { limit: 2, offset: 1, ..Default::default() }).await, ["c-2", "c-1"]);
    assert_eq!(list(CaseFilter { limit: 2, offset: 3, ..Default::default() }).await, Vec::<String>::new());

    // An edit moves a case to the top; filters see its new tags.
    let mut moved = refund.clone();
    moved.tags = vec!["nightly".into()];
    moved.version = 2;
    moved.updated_at_ms = NOW + 100;
    store.update_case(&moved, 1, None).await.unwrap();
    assert_eq!(list(page(1)).await, ["c-1"]);
    assert_eq!(list(CaseFilter { tag: Some("smoke".into()), ..page(50) }).await, Vec::<String>::new());
    assert_eq!(list(CaseFilter { tag: Some("nightly".into()), ..page(50) }).await, ["c-1"]);
}

pub async fn testcases_status_changes_are_compare_and_set(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    let c = case("c-1", &a, "Order status", &owner, NOW);
    store.insert_case(&c, None).await.unwrap();

    store.set_case_status(&crate::pid(&a.id), "c-1", CaseStatus::Draft, CaseStatus::Review, NOW + 1).await.unwrap();
    // Two reviewers decide at once: the second one finds it no longer in review.
    store.set_case_status(&crate::pid(&a.id), "c-1", CaseStatus::Review, CaseStatus::Approved, NOW + 2).await.unwrap();
    assert!(is_conflict(store.set_case_status(&crate::pid(&a.id), "c-1", CaseStatus::Review, CaseStatus::Rejected, NOW + 3).await));
    let got = store.case(&crate::pid(&a.id), "c-1").await.unwrap().unwrap();
    assert_eq!((got.status, got.version, got.updated_at_ms), (CaseStatus::Approved, 1, NOW + 2), "a status change is not an edit");
    assert_eq!(TestCase { status: CaseStatus::Approved, updated_at_ms: NOW + 2, ..c.clone() }, got, "nothing else changed");

    let approved = store.list_cases(&crate::pid(&a.id), &CaseFilter { status: Some(CaseStatus::Approved), ..page(10) }).await.unwrap();
    assert_eq!(approved.len(), 1, "the status column is what filters");

    assert_eq!(
        store.set_case_status(&crate::pid(&b.id), "c-1", CaseStatus::Approved, CaseStatus::Draft, NOW).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.set_case_status(&crate::pid(&a.id), "nope", CaseStatus::Approved, CaseStatus::Draft, NOW).await,
        Err(StoreError::NotFound)
    );

    // An edit of the approved case sends it back to draft (the service decides; the store writes).
    let mut edited = got.clone();
    edited.status = CaseStatus::Draft;
    edited.version = 2;
    store.update_case(&edited, 1, None).await.unwrap();
    assert!(is_conflict(store.set_case_status(&crate::pid(&a.id), "c-1", CaseStatus::Approved, CaseStatus::Draft, NOW + 4).await));
    assert_eq!(store.case(&crate::pid(&a.id), "c-1").await.unwrap().unwrap().status, CaseStatus::Draft);
}

pub async fn testcases_comments_are_listed_oldest_first_with_author_email(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let reviewer = user(store.as_ref(), "reviewer@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    store.insert_case(&case("c-1", &a, "Order status", &owner, NOW), None).await.unwrap();
    store.insert_case(&case("c-2", &a, "Greeting", &owner, NOW), None).await.unwrap();

    let comment = |id: &str, case_id: &str, by: Option<&User>, body: &str, at: i64| CaseComment {
        id: id.into(),
        project_id: a.id.clone(),
        case_id: case_id.into(),
        author_id: by.map(|u| u.id.clone()),
        author_email: Some("ignored@example.com".into()),
        body: body.into(),
        created_at_ms: at,
    };
    store.add_comment(&comment("m-2", "c-1", Some(&owner), "Fixed the threshold.", NOW + 20)).await.unwrap();
    store.add_comment(&comment("m-1", "c-1", Some(&reviewer), "Threshold 0.9 is too strict — lower it?", NOW + 10)).await.unwrap();
    store.add_comment(&comment("m-3", "c-1", None, "imported", NOW + 30)).await.unwrap();
    store.add_comment(&comment("m-4", "c-2", Some(&owner), "other case", NOW)).await.unwrap();
    assert!(is_conflict(store.add_comment(&comment("m-1", "c-1", None, "again", NOW)).await));
    assert_eq!(store.add_comment(&comment("m-5", "nope", None, "x", NOW)).await, Err(StoreError::NotFound), "unknown case");
    let elsewhere = CaseComment { project_id: b.id.clone(), ..comment("m-6", "c-1", None, "x", NOW) };
    assert_eq!(store.add_comment(&elsewhere).await, Err(StoreError::NotFound), "a case of another project");

    let listed = store.list_comments(&crate::pid(&a.id), "c-1").await.unwrap();
    assert_eq!(listed.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["m-1", "m-2", "m-3"], "oldest first");
    let expected = comment("m-1", "c-1", Some(&reviewer), "Threshold 0.9 is too strict — lower it?", NOW + 10);
    assert_eq!(listed[0], CaseComment { author_email: Some("reviewer@example.com".into()), ..expected }, "the e-mail is the author's");
    assert_eq!(listed[1].author_email.as_deref(), Some("owner@example.com"));
    assert_eq!((listed[2].author_id.as_deref(), listed[2].author_email.as_deref()), (None, None));
    assert_eq!(store.list_comments(&crate::pid(&b.id), "c-1").await.unwrap(), vec![], "scoped by project");
}

pub async fn testcases_suites_keep_their_cases_in_order(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    for (id, name) in [("c-1", "One"), ("c-2", "Two"), ("c-3", "Three")] {
        store.insert_case(&case(id, &a, name, &owner, NOW), None).await.unwrap();
    }
    store.insert_case(&case("c-b", &b, "Other project", &owner, NOW), None).await.unwrap();

    let suite = |id: &str, name: &str, cases: &[&str]| Suite {
        id: id.into(),
        project_id: a.id.clone(),
        name: name.into(),
        description: "Nightly – before release".into(),
        case_ids: cases.iter().map(|c| c.to_string()).collect(),
        created_at_ms: NOW,
        updated_at_ms: NOW,
    };
    let nightly = suite("s-1", "Nightly", &["c-3", "c-1", "c-2"]);
    store.insert_suite(&nightly).await.unwrap();
    store.insert_suite(&suite("s-2", "Empty", &[])).await.unwrap();
    assert_eq!(store.suite(&crate::pid(&a.id), "s-1").await.unwrap(), Some(nightly.clone()), "cases in the given order");
    assert_eq!(store.suite(&crate::pid(&b.id), "s-1").await.unwrap(), None, "scoped by project");

    assert!(is_conflict(store.insert_suite(&suite("s-3", "Nightly", &[])).await), "one name per project");
    assert!(is_conflict(store.insert_suite(&suite("s-3", "Twice", &["c-1", "c-1"])).await), "a case once");
    assert_eq!(store.insert_suite(&suite("s-3", "Foreign", &["c-b"])).await, Err(StoreError::NotFound), "a case of another project");
    assert_eq!(store.insert_suite(&suite("s-3", "Missing", &["nope"])).await, Err(StoreError::NotFound));
    assert_eq!(store.suite(&crate::pid(&a.id), "s-3").await.unwrap(), None, "nothing half-written");

    let mut reordered = nightly.clone();
    reordered.name = "Nightly (fast)".into();
    reordered.description = String::new();
    reordered.case_ids = vec!["c-2".into(), "c-3".into()];
    reordered.updated_at_ms = NOW + 5;
    store.update_suite(&reordered).await.unwrap();
    assert_eq!(store.suite(&crate::pid(&a.id), "s-1").await.unwrap(), Some(reordered.clone()));

    let mut bad = reordered.clone();
    bad.case_ids = vec!["c-1".into(), "c-b".into()];
    bad.name = "Broken".into();
    assert_eq!(store.update_suite(&bad).await, Err(StoreError::NotFound));
    assert_eq!(store.suite(&crate::pid(&a.id), "s-1").await.unwrap(), Some(reordered.clone()), "a failed update changes nothing");
    assert_eq!(store.update_suite(&Suite { project_id: b.id.clone(), ..reordered.clone() }).await, Err(StoreError::NotFound));

    let listed = store.list_suites(&crate::pid(&a.id)).await.unwrap();
    assert_eq!(listed, vec![suite("s-2", "Empty", &[]), reordered.clone()], "by name, each with its cases");
    assert_eq!(store.list_suites(&crate::pid(&b.id)).await.unwrap(), vec![]);

    // Deleting a case takes it out of its suites.
    store.delete_case(&crate::pid(&a.id), "c-3").await.unwrap();
    assert_eq!(store.suite(&crate::pid(&a.id), "s-1").await.unwrap().unwrap().case_ids, ["c-2"]);

    assert_eq!(store.delete_suite(&crate::pid(&b.id), "s-1").await, Err(StoreError::NotFound));
    store.delete_suite(&crate::pid(&a.id), "s-1").await.unwrap();
    assert_eq!(store.suite(&crate::pid(&a.id), "s-1").await.unwrap(), None);
    assert!(store.case(&crate::pid(&a.id), "c-2").await.unwrap().is_some(), "cases outlive their suites");
}

pub async fn testcases_runs_are_compare_and_set_and_listed_newest_first(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    let c = case("c-1", &a, "Order status", &owner, NOW);
    store.insert_case(&c, None).await.unwrap();

    let first = run("r-1", &c, None, NOW + 1);
    store.insert_run(&first).await.unwrap();
    assert_eq!(store.run(&crate::pid(&a.id), "r-1").await.unwrap(), Some(first.clone()));
    assert_eq!(store.run(&crate::pid(&b.id), "r-1").await.unwrap(), None, "scoped by project");
    assert!(is_conflict(store.insert_run(&first).await));
    assert_eq!(store.insert_run(&TestRun { case_id: "nope".into(), ..run("r-x", &c, None, NOW) }).await, Err(StoreError::NotFound));
    assert_eq!(store.insert_run(&run("r-x", &c, Some("no-such-suite-run"), NOW)).await, Err(StoreError::NotFound));

    // Two workers hold the same pending run (a retried job): only one starts it.
    let mut running = first.clone();
    running.status = RunStatus::Running;
    running.started_at_ms = Some(NOW + 2);
    store.update_run(&running, RunStatus::Pending).await.unwrap();
    let mut stale = first.clone();
    stale.status = RunStatus::Running;
    stale.started_at_ms = Some(NOW + 3);
    assert!(is_conflict(store.update_run(&stale, RunStatus::Pending).await), "a stale writer loses");

    let mut done = running.clone();
    done.steps = vec![step(0, true), step(1, false)];
    done.prompt_fingerprint = Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into());
    done.status = done.settled_status();
    done.finished_at_ms = Some(NOW + 4);
    store.update_run(&done, RunStatus::Running).await.unwrap();
    assert_eq!(store.run(&crate::pid(&a.id), "r-1").await.unwrap(), Some(done.clone()), "steps, observations and verdicts round-trip");
    assert_eq!(done.status, RunStatus::Failed);

    // A person overrides the failing step: the run passes now.
    let mut overridden = done.clone();
    overridden.steps[1].override_ = Some(StepOverride {
        passed: true,
        comment: "Wording differs, meaning is right.".into(),
        by: Some(owner.id.clone()),
        at_ms: NOW + 9,
    });
    overridden.status = overridden.settled_status();
    store.update_run(&overridden, RunStatus::Failed).await.unwrap();
    let got = store.run(&crate::pid(&a.id), "r-1").await.unwrap().unwrap();
    assert_eq!(got, overridden);
    assert!(got.passed());

    assert_eq!(store.update_run(&TestRun { id: "nope".into(), ..done.clone() }, RunStatus::Running).await, Err(StoreError::NotFound));
    let elsewhere = TestRun { project_id: b.id.clone(), ..done.clone() };
    assert_eq!(store.update_run(&elsewhere, RunStatus::Success).await, Err(StoreError::NotFound));

    let second = run("r-2", &c, None, NOW + 10);
    let third = run("r-3", &c, None, NOW + 20);
    store.insert_run(&third).await.unwrap();
    store.insert_run(&second).await.unwrap();
    let history = store.list_runs_of_case(&crate::pid(&a.id), "c-1", 10).await.unwrap();
    assert_eq!(history.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["r-3", "r-2", "r-1"], "newest first");
    assert_eq!(store.list_runs_of_case(&crate::pid(&a.id), "c-1", 2).await.unwrap().len(), 2);
    assert_eq!(store.list_runs_of_case(&crate::pid(&b.id), "c-1", 10).await.unwrap(), vec![]);
    assert!(history[0].is_outdated(2), "a run of version 1 is outdated once the case is at version 2");
}

pub async fn testcases_suite_run_counts_come_from_the_runs(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    let mut cases = Vec::new();
    for i in 0..5 {
        let c = case(&format!("c-{i}"), &a, &format!("Case {i}"), &owner, NOW);
        store.insert_case(&c, None).await.unwrap();
        cases.push(c);
    }
    let suite = Suite {
        id: "s-1".into(),
        project_id: a.id.clone(),
        name: "Nightly".into(),
        description: String::new(),
        case_ids: cases.iter().map(|c| c.id.clone()).collect(),
        created_at_ms: NOW,
        updated_at_ms: NOW,
    };
    store.insert_suite(&suite).await.unwrap();
    let suite_run = |id: &str, at: i64| SuiteRun {
        id: id.into(),
        project_id: a.id.clone(),
        suite_id: "s-1".into(),
        status: RunStatus::Running,
        total: 5,
        created_by: Some(owner.id.clone()),
        trigger: "api".into(),
        created_at_ms: at,
        finished_at_ms: None,
    };
    let older = suite_run("sr-0", NOW);
    let sr = suite_run("sr-1", NOW + 1);
    store.insert_suite_run(&older).await.unwrap();
    store.insert_suite_run(&sr).await.unwrap();
    assert_eq!(store.suite_run(&crate::pid(&a.id), "sr-1").await.unwrap(), Some(sr.clone()));
    assert_eq!(store.suite_run(&crate::pid(&b.id), "sr-1").await.unwrap(), None);
    assert!(is_conflict(store.insert_suite_run(&sr).await));
    assert_eq!(store.insert_suite_run(&SuiteRun { suite_id: "nope".into(), ..suite_run("sr-x", NOW) }).await, Err(StoreError::NotFound));

    let runs: Vec<TestRun> = cases.iter().enumerate().map(|(i, c)| run(&format!("r-{i}"), c, Some("sr-1"), NOW + 2)).collect();
    for r in &runs {
        store.insert_run(r).await.unwrap();
    }
    store.insert_run(&run("r-alone", &cases[0], None, NOW + 2)).await.unwrap();
    store.insert_run(&run("r-older", &cases[0], Some("sr-0"), NOW + 2)).await.unwrap();
    assert_eq!(store.suite_run_counts(&crate::pid(&a.id), "sr-1").await.unwrap(), SuiteRunCounts { pending: 5, ..Default::default() });

    let passed = finish(store.as_ref(), &runs[0], vec![step(0, true), step(1, true)], NOW + 3).await;
    finish(store.as_ref(), &runs[1], vec![step(0, true), step(1, false)], NOW + 3).await;
    let mut running = runs[2].clone();
    running.status = RunStatus::Running;
    store.update_run(&running, RunStatus::Pending).await.unwrap();

    // The job that finished run 0 is retried after a crash: its final write is refused, so the
    // run is counted once.
    assert!(is_conflict(store.update_run(&passed, RunStatus::Running).await));
    let counts = store.suite_run_counts(&crate::pid(&a.id), "sr-1").await.unwrap();
    assert_eq!(counts, SuiteRunCounts { pending: 2, running: 1, passed: 1, failed: 1, cancelled: 0 });
    assert_eq!(counts.total(), 5);

    // A person overrides a passing step to fail: the run counts as failed now.
    let mut overridden = passed.clone();
    overridden.steps[1].override_ = Some(StepOverride { passed: false, comment: "Wrong tone.".into(), by: None, at_ms: NOW + 5 });
    overridden.status = overridden.settled_status();
    store.update_run(&overridden, RunStatus::Success).await.unwrap();
    assert_eq!(
        store.suite_run_counts(&crate::pid(&a.id), "sr-1").await.unwrap(),
        SuiteRunCounts { pending: 2, running: 1, passed: 0, failed: 2, cancelled: 0 }
    );

    // Cancel: the two pending runs at once; the running one is its worker's to stop.
    assert_eq!(store.cancel_pending_runs(&crate::pid(&b.id), "sr-1", NOW + 6).await.unwrap(), 0, "scoped by project");
    assert_eq!(store.cancel_pending_runs(&crate::pid(&a.id), "sr-1", NOW + 6).await.unwrap(), 2);
    assert_eq!(store.cancel_pending_runs(&crate::pid(&a.id), "sr-1", NOW + 7).await.unwrap(), 0);
    let cancelled = store.run(&crate::pid(&a.id), "r-3").await.unwrap().unwrap();
    assert_eq!((cancelled.status, cancelled.finished_at_ms), (RunStatus::Cancelled, Some(NOW + 6)));
    assert!(is_conflict(store.update_run(&TestRun { status: RunStatus::Running, ..runs[3].clone() }, RunStatus::Pending).await));
    let counts = store.suite_run_counts(&crate::pid(&a.id), "sr-1").await.unwrap();
    assert_eq!(counts, SuiteRunCounts { pending: 0, running: 1, passed: 0, failed: 2, cancelled: 2 });
    assert!(!counts.is_done());
    assert_eq!(store.run(&crate::pid(&a.id), "r-older").await.unwrap().unwrap().status, RunStatus::Pending, "other suite runs untouched");
    assert_eq!(store.suite_run_counts(&crate::pid(&a.id), "sr-0").await.unwrap().pending, 1);
    assert_eq!(store.suite_run_counts(&crate::pid(&b.id), "sr-1").await.unwrap(), SuiteRunCounts::default());

    let in_order = store.runs_of_suite_run(&crate::pid(&a.id), "sr-1").await.unwrap();
    assert_eq!(in_order.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["r-0", "r-1", "r-2", "r-3", "r-4"]);
    assert_eq!(store.runs_of_suite_run(&crate::pid(&b.id), "sr-1").await.unwrap(), vec![]);

    // The suite run itself finishes once, compare-and-set.
    let mut finished = sr.clone();
    finished.status = RunStatus::Cancelled;
    finished.finished_at_ms = Some(NOW + 8);
    store.update_suite_run(&finished, RunStatus::Running).await.unwrap();
    assert!(is_conflict(store.update_suite_run(&SuiteRun { status: RunStatus::Failed, ..finished.clone() }, RunStatus::Running).await));
    assert_eq!(store.suite_run(&crate::pid(&a.id), "sr-1").await.unwrap(), Some(finished.clone()));
    assert_eq!(store.update_suite_run(&suite_run("nope", NOW), RunStatus::Running).await, Err(StoreError::NotFound));

    let listed = store.list_suite_runs(&crate::pid(&a.id), "s-1", 10).await.unwrap();
    assert_eq!(listed, vec![finished, older], "newest first");
    assert_eq!(store.list_suite_runs(&crate::pid(&a.id), "s-1", 1).await.unwrap().len(), 1);
    assert_eq!(store.list_suite_runs(&crate::pid(&b.id), "s-1", 10).await.unwrap(), vec![]);
}

pub async fn testcases_deleting_a_case_removes_its_comments_and_runs(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let doomed = case("c-1", &a, "Doomed", &owner, NOW);
    let kept = case("c-2", &a, "Kept", &owner, NOW);
    store.insert_case(&doomed, Some(b"secret")).await.unwrap();
    store.insert_case(&kept, None).await.unwrap();
    let comment = |id: &str, case_id: &str| CaseComment {
        id: id.into(),
        project_id: a.id.clone(),
        case_id: case_id.into(),
        author_id: Some(owner.id.clone()),
        author_email: None,
        body: "looks good".into(),
        created_at_ms: NOW,
    };
    store.add_comment(&comment("m-1", "c-1")).await.unwrap();
    store.add_comment(&comment("m-2", "c-2")).await.unwrap();
    store
        .insert_suite(&Suite {
            id: "s-1".into(),
            project_id: a.id.clone(),
            name: "All".into(),
            description: String::new(),
            case_ids: vec!["c-1".into(), "c-2".into()],
            created_at_ms: NOW,
            updated_at_ms: NOW,
        })
        .await
        .unwrap();
    store.insert_run(&run("r-1", &doomed, None, NOW)).await.unwrap();
    store.insert_run(&run("r-2", &kept, None, NOW)).await.unwrap();

    store.delete_case(&crate::pid(&a.id), "c-1").await.unwrap();
    assert_eq!(store.list_comments(&crate::pid(&a.id), "c-1").await.unwrap(), vec![]);
    assert_eq!(store.run(&crate::pid(&a.id), "r-1").await.unwrap(), None);
    assert_eq!(store.list_runs_of_case(&crate::pid(&a.id), "c-1", 10).await.unwrap(), vec![]);
    assert_eq!(store.case_secret_headers(&crate::pid(&a.id), "c-1").await.unwrap(), None);
    assert_eq!(store.suite(&crate::pid(&a.id), "s-1").await.unwrap().unwrap().case_ids, ["c-2"]);
    assert_eq!(store.list_comments(&crate::pid(&a.id), "c-2").await.unwrap().len(), 1, "other cases keep theirs");
    assert!(store.run(&crate::pid(&a.id), "r-2").await.unwrap().is_some());

    // A case id can be used again after deletion (nothing of the old case is left to clash).
    store.insert_case(&doomed, None).await.unwrap();
    assert_eq!(store.list_comments(&crate::pid(&a.id), "c-1").await.unwrap(), vec![]);

    // Deleting the project takes everything with it, suite runs and their runs included.
    let sr = SuiteRun {
        id: "sr-1".into(),
        project_id: a.id.clone(),
        suite_id: "s-1".into(),
        status: RunStatus::Running,
        total: 1,
        created_by: None,
        trigger: "ui".into(),
        created_at_ms: NOW,
        finished_at_ms: None,
    };
    store.insert_suite_run(&sr).await.unwrap();
    store.insert_run(&run("r-3", &kept, Some("sr-1"), NOW)).await.unwrap();
    store.delete_project(&crate::pid(&a.id)).await.unwrap();
    assert_eq!(store.case(&crate::pid(&a.id), "c-2").await.unwrap(), None);
    assert_eq!(store.suite(&crate::pid(&a.id), "s-1").await.unwrap(), None);
    assert_eq!(store.suite_run(&crate::pid(&a.id), "sr-1").await.unwrap(), None);
    assert_eq!(store.run(&crate::pid(&a.id), "r-3").await.unwrap(), None);
    assert_eq!(store.list_comments(&crate::pid(&a.id), "c-2").await.unwrap(), vec![]);
}
