//! Provider keys (global and per project, ciphertext swaps for rotation), personas and saved
//! conversations.

use super::{is_conflict, user, NOW};
use domain::{
    personas::{ChatTurn, Conversation, Persona},
    ProjectSlug,
};
use serde_json::json;
use services::{
    ports::{CiphertextSwap, NewProject, PrimaryStore, Project, ProviderKeyRecord, User},
    StoreError,
};
use std::sync::Arc;

async fn project(store: &dyn PrimaryStore, slug: &str, owner: &User) -> Project {
    let new = NewProject { slug: ProjectSlug::parse(slug).expect("valid slug"), name: slug.into(), description: String::new() };
    store.create_project(new, &owner.id, NOW).await.expect("create project")
}

fn key(id: &str, project_id: Option<&str>, name: &str, creator: &User) -> ProviderKeyRecord {
    ProviderKeyRecord {
        id: id.into(),
        project_id: project_id.map(str::to_owned),
        name: name.into(),
        vendor: "openai".into(),
        base_url: Some("https://api.openai.com/v1".into()),
        default_model: "gpt-4o-mini".into(),
        // Not valid UTF-8, and with a NUL: stored as bytes, not text.
        key_ciphertext: Some(vec![1, 0, 255, 128, id.len() as u8]),
        key_last4: Some("abcd".into()),
        created_by: Some(creator.id.clone()),
        created_at_ms: NOW,
        updated_at_ms: NOW,
    }
}

pub async fn provider_keys_are_scoped_listed_updated_and_deleted(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;

    let global = key("k-global", None, "Shared", &owner);
    let mut mine = key("k-a2", Some(&a.id), "Main", &owner);
    let earlier = key("k-a1", Some(&a.id), "Backup", &owner);
    let mut no_key = key("k-b", Some(&b.id), "Local", &owner);
    no_key.vendor = "openai_compatible".into();
    no_key.key_ciphertext = None;
    no_key.key_last4 = None;
    no_key.created_by = None;
    for k in [&global, &mine, &earlier, &no_key] {
        store.insert_provider_key(k).await.unwrap();
    }
    assert_eq!(store.list_provider_keys(Some(&crate::pid(&a.id))).await.unwrap(), vec![earlier.clone(), mine.clone()], "by name");
    assert_eq!(store.list_provider_keys(Some(&crate::pid(&b.id))).await.unwrap(), vec![no_key.clone()]);
    assert_eq!(store.list_provider_keys(None).await.unwrap(), vec![global.clone()], "global only");
    assert_eq!(store.provider_key("k-a2").await.unwrap(), Some(mine.clone()));
    assert_eq!(store.provider_key("missing").await.unwrap(), None);

    // One name per scope; the same name in another scope is fine.
    assert!(is_conflict(store.insert_provider_key(&key("k-dup", Some(&a.id), "Main", &owner)).await));
    assert!(is_conflict(store.insert_provider_key(&key("k-dup", None, "Shared", &owner)).await));
    store.insert_provider_key(&key("k-b-main", Some(&b.id), "Main", &owner)).await.unwrap();
    store.insert_provider_key(&key("k-global-main", None, "Main", &owner)).await.unwrap();
    assert!(is_conflict(store.insert_provider_key(&key("k-a2", Some(&b.id), "Other", &owner)).await), "ids are unique");
    assert!(matches!(store.insert_provider_key(&key("k-x", Some("no-such-project"), "X", &owner)).await, Err(StoreError::NotFound)));

    mine.name = "Primary".into();
    mine.vendor = "anthropic".into();
    mine.base_url = None;
    mine.default_model = "claude-3-5-haiku".into();
    mine.key_ciphertext = Some(vec![9, 9, 9]);
    mine.key_last4 = Some("wxyz".into());
    mine.updated_at_ms = NOW + 5;
    store.update_provider_key(&mine).await.unwrap();
    assert_eq!(store.provider_key("k-a2").await.unwrap(), Some(mine.clone()));
    let mut renamed = earlier.clone();
    renamed.name = "Primary".into();
    assert!(is_conflict(store.update_provider_key(&renamed).await));
    assert!(matches!(store.update_provider_key(&key("missing", None, "M", &owner)).await, Err(StoreError::NotFound)));

    store.delete_provider_key("k-a1").await.unwrap();
    assert!(matches!(store.delete_provider_key("k-a1").await, Err(StoreError::NotFound)));
    assert_eq!(store.list_provider_keys(Some(&crate::pid(&a.id))).await.unwrap(), vec![mine.clone()]);

    // A project's keys go with it; global ones stay.
    store.delete_project(&crate::pid(&a.id)).await.unwrap();
    assert_eq!(store.provider_key("k-a2").await.unwrap(), None);
    assert_eq!(store.list_provider_keys(None).await.unwrap().len(), 2);
}

pub async fn provider_key_ciphertexts_are_swapped_all_or_nothing(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let one = key("k1", Some(&a.id), "One", &owner);
    let two = key("k2", None, "Two", &owner);
    let mut none = key("k3", Some(&a.id), "None", &owner);
    none.key_ciphertext = None;
    for k in [&one, &two, &none] {
        store.insert_provider_key(k).await.unwrap();
    }
    let encrypted: Vec<String> = store.encrypted_provider_keys().await.unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(encrypted, vec!["k1".to_owned(), "k2".to_owned()], "rows without a key are left out");

    let swap = |k: &ProviderKeyRecord, new: Vec<u8>| CiphertextSwap { id: k.id.clone(), old: k.key_ciphertext.clone().unwrap(), new };
    // The second swap's `old` is stale: nothing is written, not even the first.
    let stale = CiphertextSwap { id: "k2".into(), old: vec![7, 7], new: vec![8] };
    assert!(is_conflict(store.swap_provider_key_ciphertexts(&[swap(&one, vec![42]), stale]).await));
    assert_eq!(store.provider_key("k1").await.unwrap().unwrap().key_ciphertext, one.key_ciphertext);
    let gone = CiphertextSwap { id: "missing".into(), old: vec![1], new: vec![2] };
    assert!(is_conflict(store.swap_provider_key_ciphertexts(&[gone]).await));

    let n = store.swap_provider_key_ciphertexts(&[swap(&one, vec![42, 0, 1]), swap(&two, vec![43])]).await.unwrap();
    assert_eq!(n, 2);
    assert_eq!(store.provider_key("k1").await.unwrap().unwrap().key_ciphertext, Some(vec![42, 0, 1]));
    assert_eq!(store.provider_key("k2").await.unwrap().unwrap().key_ciphertext, Some(vec![43]));
    let after = store.provider_key("k2").await.unwrap().unwrap();
    assert_eq!((after.name, after.key_last4), (two.name, two.key_last4), "only the ciphertext changes");
    assert_eq!(store.swap_provider_key_ciphertexts(&[]).await.unwrap(), 0);
}

fn persona(id: &str, project: &Project, name: &str) -> Persona {
    Persona {
        id: id.into(),
        project_id: project.id.clone(),
        name: name.into(),
        description: "Runs a bakery.\nOpens at 6.".into(),
        goals: "Get a refund".into(),
        tone: "curt".into(),
        language: "français".into(),
        traits: vec!["impatient".into(), "says \"no\", often".into()],
        created_at_ms: NOW,
        updated_at_ms: NOW,
    }
}

pub async fn personas_are_created_listed_updated_and_deleted(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    let mut zoe = persona("p1", &a, "Zoe");
    let ian = persona("p2", &a, "Ian");
    store.insert_persona(&zoe).await.unwrap();
    store.insert_persona(&ian).await.unwrap();
    store.insert_persona(&persona("p3", &b, "Zoe")).await.unwrap();
    assert!(is_conflict(store.insert_persona(&persona("p4", &a, "Zoe")).await), "one name per project");
    assert!(matches!(
        store.insert_persona(&Persona { project_id: "no-such-project".into(), ..persona("p5", &a, "X") }).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(store.list_personas(&crate::pid(&a.id)).await.unwrap(), vec![ian.clone(), zoe.clone()], "by name, traits round-trip");
    assert_eq!(store.persona(&crate::pid(&a.id), "p1").await.unwrap(), Some(zoe.clone()));
    assert_eq!(store.persona(&crate::pid(&b.id), "p1").await.unwrap(), None, "another project's persona is not found");

    zoe.name = "Zoë".into();
    zoe.traits = vec![];
    zoe.updated_at_ms = NOW + 9;
    store.update_persona(&zoe).await.unwrap();
    assert_eq!(store.persona(&crate::pid(&a.id), "p1").await.unwrap(), Some(zoe.clone()));
    let moved = Persona { project_id: b.id.clone(), ..zoe.clone() };
    assert!(matches!(store.update_persona(&moved).await, Err(StoreError::NotFound)), "an update names its project");
    assert!(is_conflict(store.update_persona(&Persona { name: "Ian".into(), ..zoe.clone() }).await));

    assert!(matches!(store.delete_persona(&crate::pid(&b.id), "p1").await, Err(StoreError::NotFound)));
    store.delete_persona(&crate::pid(&a.id), "p1").await.unwrap();
    assert_eq!(store.list_personas(&crate::pid(&a.id)).await.unwrap(), vec![ian]);
    store.delete_project(&crate::pid(&a.id)).await.unwrap();
    assert_eq!(store.persona(&crate::pid(&a.id), "p2").await.unwrap(), None);
}

fn conversation(id: &str, project: &Project, at: i64, creator: &User) -> Conversation {
    Conversation {
        id: id.into(),
        project_id: project.id.clone(),
        title: format!("Chat {id}"),
        created_by: Some(creator.id.clone()),
        created_at_ms: at,
        provider_key_id: Some("k1".into()),
        model: "gpt-4o-mini".into(),
        system_prompt: "Be brief.".into(),
        persona_id: None,
        messages: vec![
            ChatTurn { role: "user".into(), content: "Hi ✓ \"quoted\"\n".into() },
            ChatTurn { role: "assistant".into(), content: "Hello".into() },
        ],
        params: json!({ "temperature": 0.5, "max_tokens": 100 }),
    }
}

pub async fn conversations_are_saved_listed_newest_first_and_deleted(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    let old = conversation("c1", &a, NOW, &owner);
    let mut new = conversation("c2", &a, NOW + 10, &owner);
    new.messages.push(ChatTurn { role: "user".into(), content: "More".into() });
    new.params = serde_json::Value::Null;
    new.provider_key_id = None;
    new.persona_id = Some("p1".into());
    store.insert_conversation(&old).await.unwrap();
    store.insert_conversation(&new).await.unwrap();
    store.insert_conversation(&conversation("c3", &b, NOW + 20, &owner)).await.unwrap();
    assert!(is_conflict(store.insert_conversation(&old).await));
    assert!(matches!(
        store.insert_conversation(&Conversation { project_id: "nope".into(), ..conversation("c4", &a, NOW, &owner) }).await,
        Err(StoreError::NotFound)
    ));

    let list = store.list_conversations(&crate::pid(&a.id), 10).await.unwrap();
    let seen: Vec<_> = list.iter().map(|s| (s.id.as_str(), s.title.as_str(), s.model.as_str(), s.turns, s.created_at_ms)).collect();
    assert_eq!(seen, vec![("c2", "Chat c2", "gpt-4o-mini", 3, NOW + 10), ("c1", "Chat c1", "gpt-4o-mini", 2, NOW)]);
    assert_eq!(store.list_conversations(&crate::pid(&a.id), 1).await.unwrap().len(), 1, "limited");
    assert_eq!(store.conversation(&crate::pid(&a.id), "c2").await.unwrap(), Some(new.clone()), "every field round-trips");
    assert_eq!(store.conversation(&crate::pid(&b.id), "c2").await.unwrap(), None);

    assert!(matches!(store.delete_conversation(&crate::pid(&b.id), "c1").await, Err(StoreError::NotFound)));
    store.delete_conversation(&crate::pid(&a.id), "c1").await.unwrap();
    assert_eq!(store.list_conversations(&crate::pid(&a.id), 10).await.unwrap().len(), 1);
    store.delete_project(&crate::pid(&a.id)).await.unwrap();
    assert_eq!(store.conversation(&crate::pid(&a.id), "c2").await.unwrap(), None);
    assert_eq!(store.list_conversations(&crate::pid(&b.id), 10).await.unwrap().len(), 1);
}
