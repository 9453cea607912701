//! Password-reset tokens: single use, expiry, per-user deletion.

use super::{is_conflict, user, NOW};
use services::{ports::PrimaryStore, StoreError};
use std::sync::Arc;

const TTL: i64 = 30 * 60 * 1000;

pub async fn reset_token_is_consumed_once_before_it_expires(store: Arc<dyn PrimaryStore>) {
    let ada = user(store.as_ref(), "ada@example.com").await;
    store.create_reset("hash-1", &ada.id, NOW + TTL, NOW).await.unwrap();
    store.create_reset("hash-2", &ada.id, NOW + TTL, NOW).await.unwrap();
    assert!(is_conflict(store.create_reset("hash-1", &ada.id, NOW + TTL, NOW).await), "a repeated hash is a conflict");
    assert_eq!(store.consume_reset("unknown", NOW).await.unwrap(), None);
    assert_eq!(store.consume_reset("hash-1", NOW + 1).await.unwrap(), Some(ada.id.clone()));
    assert_eq!(store.consume_reset("hash-1", NOW + 2).await.unwrap(), None, "a token works once");
    assert_eq!(store.consume_reset("hash-2", NOW + TTL).await.unwrap(), None, "expired at its expiry time");
    assert_eq!(store.consume_reset("hash-2", NOW + TTL - 1).await.unwrap(), Some(ada.id), "an expired try does not use it up");
}

pub async fn reset_for_an_unknown_user_is_not_found(store: Arc<dyn PrimaryStore>) {
    let r = store.create_reset("hash-x", "no-such-user", NOW + TTL, NOW).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
}

pub async fn concurrent_consumes_give_the_user_once(store: Arc<dyn PrimaryStore>) {
    let ada = user(store.as_ref(), "ada@example.com").await;
    store.create_reset("race", &ada.id, NOW + TTL, NOW).await.unwrap();
    let tries = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.consume_reset("race", NOW + 1).await.unwrap() })
    });
    let winners = futures::future::join_all(tries).await.into_iter().filter(|r| r.as_ref().unwrap().is_some()).count();
    assert_eq!(winners, 1);
}

pub async fn resets_of_a_user_are_deleted(store: Arc<dyn PrimaryStore>) {
    let ada = user(store.as_ref(), "ada@example.com").await;
    let bob = user(store.as_ref(), "bob@example.com").await;
    store.create_reset("a1", &ada.id, NOW + TTL, NOW).await.unwrap();
    store.create_reset("a2", &ada.id, NOW + TTL, NOW).await.unwrap();
    store.create_reset("b1", &bob.id, NOW + TTL, NOW).await.unwrap();
    assert_eq!(store.consume_reset("a1", NOW).await.unwrap(), Some(ada.id.clone()));
    assert_eq!(store.delete_resets_of_user(&ada.id).await.unwrap(), 2, "used ones too");
    assert_eq!(store.consume_reset("a2", NOW).await.unwrap(), None);
    assert_eq!(store.consume_reset("b1", NOW).await.unwrap(), Some(bob.id), "other users keep theirs");
}
