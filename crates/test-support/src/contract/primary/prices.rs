//! The model price table (seeded once) and per-project trace retention.

use super::{user, LEASE_MS, NOW};
use domain::{NewJob, ProjectSlug};
use serde_json::json;
use services::{
    ports::{ModelPriceRecord, NewProject, PrimaryStore},
    StoreError,
};
use std::sync::Arc;

fn price(model: &str, input: u64, output: u64, at: i64) -> ModelPriceRecord {
    ModelPriceRecord {
        model: model.into(),
        provider: "openai".into(),
        input_per_million_micros: input,
        output_per_million_micros: output,
        updated_at_ms: at,
        updated_by: Some("admin@example.com".into()),
    }
}

pub async fn model_prices_are_upserted_listed_and_deleted(store: Arc<dyn PrimaryStore>) {
    assert!(store.list_model_prices().await.unwrap().is_empty(), "nothing until the app seeds");
    store.upsert_model_price(&price("gpt-4o", 2_500_000, 10_000_000, NOW)).await.unwrap();
    let mut free = price("local-model", 0, 0, NOW);
    free.provider = String::new();
    free.updated_by = None;
    store.upsert_model_price(&free).await.unwrap();
    assert_eq!(store.list_model_prices().await.unwrap(), vec![price("gpt-4o", 2_500_000, 10_000_000, NOW), free.clone()]);

    let changed = price("gpt-4o", 5_000_000, 15_000_000, NOW + 1);
    store.upsert_model_price(&changed).await.unwrap();
    assert_eq!(store.model_price("gpt-4o").await.unwrap(), Some(changed), "the same model is replaced, not duplicated");
    assert_eq!(store.list_model_prices().await.unwrap().len(), 2);

    let huge = price("huge", u64::MAX, 0, NOW);
    assert!(matches!(store.upsert_model_price(&huge).await, Err(StoreError::Invalid(_))), "never wrapped to a negative price");
    assert_eq!(store.model_price("huge").await.unwrap(), None);

    store.delete_model_price("local-model").await.unwrap();
    assert!(matches!(store.delete_model_price("local-model").await, Err(StoreError::NotFound)));
    assert_eq!(store.model_price("local-model").await.unwrap(), None);
    assert_eq!(store.list_model_prices().await.unwrap().len(), 1);
}

pub async fn model_prices_are_seeded_once(store: Arc<dyn PrimaryStore>) {
    // An admin's row written before the seed is kept.
    store.upsert_model_price(&price("gpt-4o", 1, 2, NOW)).await.unwrap();
    let seed = vec![price("gpt-4o", 2_500_000, 10_000_000, NOW), price("o3", 2_000_000, 8_000_000, NOW)];
    assert!(store.seed_model_prices(&seed, NOW).await.unwrap());
    let models: Vec<_> = store.list_model_prices().await.unwrap().into_iter().map(|p| (p.model, p.input_per_million_micros)).collect();
    assert_eq!(models, vec![("gpt-4o".to_owned(), 1), ("o3".to_owned(), 2_000_000)]);

    store.delete_model_price("o3").await.unwrap();
    assert!(!store.seed_model_prices(&seed, NOW + 1).await.unwrap(), "seeded before");
    assert_eq!(store.model_price("o3").await.unwrap(), None, "a deleted model does not come back");

    let racers = (0..4).map(|_| {
        let store = store.clone();
        let seed = seed.clone();
        tokio::spawn(async move { store.seed_model_prices(&seed, NOW + 2).await.unwrap() })
    });
    let seeded = futures::future::join_all(racers).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(seeded, 0);
}

pub async fn seeding_concurrently_seeds_once(store: Arc<dyn PrimaryStore>) {
    let seed: Vec<_> = (0..20).map(|i| price(&format!("model-{i:02}"), i, i, NOW)).collect();
    let racers = (0..6).map(|_| {
        let store = store.clone();
        let seed = seed.clone();
        tokio::spawn(async move { store.seed_model_prices(&seed, NOW).await })
    });
    let outcomes: Vec<_> = futures::future::join_all(racers).await.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|r| matches!(r, Ok(true))).count(), 1, "{outcomes:?}");
    assert_eq!(store.list_model_prices().await.unwrap(), seed);
}

pub async fn project_retention_is_set_read_and_listed(store: Arc<dyn PrimaryStore>) {
    let ada = user(store.as_ref(), "ada@example.com").await;
    let mut ids = Vec::new();
    for slug in ["alpha", "beta"] {
        let new = NewProject { slug: ProjectSlug::parse(slug).unwrap(), name: slug.into(), description: String::new() };
        ids.push(store.create_project(new, &ada.id, NOW).await.unwrap().id);
    }
    assert_eq!(store.project_retention(&crate::pid(&ids[0])).await.unwrap(), None, "the server default until set");
    store.set_project_retention(&crate::pid(&ids[0]), Some(7)).await.unwrap();
    assert_eq!(store.project_retention(&crate::pid(&ids[0])).await.unwrap(), Some(7));
    let mut expected = vec![(ids[0].clone(), Some(7)), (ids[1].clone(), None)];
    expected.sort();
    assert_eq!(store.project_retentions().await.unwrap(), expected);

    store.set_project_retention(&crate::pid(&ids[0]), None).await.unwrap();
    assert_eq!(store.project_retention(&crate::pid(&ids[0])).await.unwrap(), None, "back to the default");
    assert!(
        matches!(store.set_project_retention(&crate::pid(&ids[0]), Some(0)).await, Err(StoreError::Invalid(_))),
        "a zero retention is refused"
    );
    assert!(matches!(store.project_retention(&crate::pid("no-such-project")).await, Err(StoreError::NotFound)));
    assert!(matches!(store.set_project_retention(&crate::pid("no-such-project"), Some(3)).await, Err(StoreError::NotFound)));

    store.delete_project(&crate::pid(&ids[1])).await.unwrap();
    assert_eq!(store.project_retentions().await.unwrap(), vec![(ids[0].clone(), None)]);
}

pub async fn a_job_is_enqueued_once_while_pending(store: Arc<dyn PrimaryStore>) {
    let job = NewJob::new("traces.expire", json!({}));
    let first = store.enqueue_job_once(&job, NOW).await.unwrap().expect("nothing pending: enqueued");
    assert_eq!(store.enqueue_job_once(&job, NOW + 1).await.unwrap(), None, "one is queued");
    let other = store.enqueue_job_once(&NewJob::new("other.kind", json!({})), NOW).await.unwrap();
    assert!(other.is_some(), "other kinds are independent");

    let leased = store.lease_job("w1", NOW + 2, LEASE_MS).await.unwrap().unwrap();
    assert_eq!(leased.id, first);
    assert_eq!(store.enqueue_job_once(&job, NOW + 3).await.unwrap(), None, "one is running");
    store.complete_job(first, "w1", NOW + 4).await.unwrap();
    let again = store.enqueue_job_once(&job, NOW + 5).await.unwrap().expect("the last one finished");
    assert_ne!(again, first);
    assert_eq!(store.job(again).await.unwrap().unwrap().kind, "traces.expire");
}
