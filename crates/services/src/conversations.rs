//! Saved playground conversations: editors and owners save and delete them (audited without
//! their messages), every member reads them.

use crate::ports::InProject;
use crate::{
    audit::{self, Change},
    authz,
    clock::now_ms,
    context::RequestContext,
    ports::PrimaryStore,
    provider_keys, ServiceError, ServiceResult,
};
pub use domain::personas::{ChatTurn, Conversation, ConversationInput, ConversationSummary};
use domain::ProjectRole;
use serde_json::json;

pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_MODEL_LEN: usize = 200;
pub const MAX_SYSTEM_PROMPT_LEN: usize = 100_000;
pub const MAX_TURNS: usize = 500;
pub const MAX_TURN_LEN: usize = 100_000;
/// All turns together, in bytes.
pub const MAX_MESSAGES_BYTES: usize = 2_000_000;
pub const MAX_PARAMS_BYTES: usize = 10_000;
/// How many a list shows.
pub const LIST_LIMIT: u32 = 200;

/// A title from the first user turn: its first line, cut at 60 characters.
fn title_from(messages: &[ChatTurn]) -> String {
    let first = messages.iter().find(|m| m.role == "user").map(|m| m.content.trim()).unwrap_or("");
    let line = first.lines().next().unwrap_or("").trim();
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    if title.is_empty() {
        "Untitled conversation".into()
    } else {
        title
    }
}

fn invalid<T>(message: impl Into<String>) -> ServiceResult<T> {
    Err(ServiceError::Invalid(message.into()))
}

/// Checks what needs no store; returns the input cleaned.
fn clean(mut input: ConversationInput) -> ServiceResult<ConversationInput> {
    if input.messages.is_empty() {
        return invalid("a conversation to save needs at least one message");
    }
    if input.messages.len() > MAX_TURNS {
        return invalid(format!("a conversation has at most {MAX_TURNS} messages"));
    }
    let mut total = 0;
    for m in &input.messages {
        if !matches!(m.role.as_str(), "user" | "assistant") {
            return invalid("a message's role is user or assistant");
        }
        if m.content.chars().count() > MAX_TURN_LEN {
            return invalid(format!("a message has at most {MAX_TURN_LEN} characters"));
        }
        total += m.content.len();
    }
    if total > MAX_MESSAGES_BYTES {
        return invalid("the conversation is too long to save (2 MB at most)");
    }
    let title = input.title.trim();
    if title.chars().count() > MAX_TITLE_LEN || title.chars().any(char::is_control) {
        return invalid(format!("a title has at most {MAX_TITLE_LEN} characters on one line"));
    }
    input.title = if title.is_empty() { title_from(&input.messages) } else { title.to_owned() };
    let model = input.model.trim();
    if model.is_empty() || model.chars().count() > MAX_MODEL_LEN || model.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid(format!("a model name has 1 to {MAX_MODEL_LEN} characters and no spaces"));
    }
    input.model = model.to_owned();
    if input.system_prompt.chars().count() > MAX_SYSTEM_PROMPT_LEN {
        return invalid(format!("a system prompt has at most {MAX_SYSTEM_PROMPT_LEN} characters"));
    }
    if !(input.params.is_object() || input.params.is_null()) {
        return invalid("the parameters are a JSON object");
    }
    if input.params.to_string().len() > MAX_PARAMS_BYTES {
        return invalid("the parameters are too large");
    }
    input.provider_key_id = input.provider_key_id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    input.persona_id = input.persona_id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(input)
}

/// Editors and owners. The provider key and persona, when named, must be the project's (or a
/// global key). Audited with the title, model and turn count, not the messages.
pub async fn save(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, input: ConversationInput) -> ServiceResult<Conversation> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Editor).await?;
    let input = clean(input)?;
    let project_id = access.id.clone();
    if let Some(key_id) = &input.provider_key_id {
        provider_keys::usable_by_project(store, &project_id, key_id).await?.ok_or(ServiceError::NotFound("provider key"))?;
    }
    if let Some(persona_id) = &input.persona_id {
        store.persona(&project_id, persona_id).await?.ok_or(ServiceError::NotFound("persona"))?;
    }
    let conversation = Conversation {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: project_id.into(),
        title: input.title,
        created_by: Some(ctx.actor()?.user_id.clone()),
        created_at_ms: now_ms(),
        provider_key_id: input.provider_key_id,
        model: input.model,
        system_prompt: input.system_prompt,
        persona_id: input.persona_id,
        messages: input.messages,
        params: input.params,
    };
    store.insert_conversation(&conversation).await?;
    let change = Change {
        action: "conversation.create",
        entity_type: "conversation",
        entity_id: &conversation.id,
        project_id: Some(&conversation.project_id),
        old: None,
        new: Some(audit_json(&conversation)),
    };
    audit::record(store, ctx, change).await?;
    Ok(conversation)
}

fn audit_json(c: &Conversation) -> serde_json::Value {
    json!({ "title": c.title, "model": c.model, "turns": c.messages.len(), "persona_id": c.persona_id, "provider_key_id": c.provider_key_id })
}

/// Any member; newest first.
pub async fn list(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<Vec<ConversationSummary>> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    Ok(store.list_conversations(&access.id, LIST_LIMIT).await?)
}

/// Any member.
pub async fn get(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<Conversation> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    store.conversation(&access.id, id).await?.ok_or(ServiceError::NotFound("conversation"))
}

/// Editors and owners; audited.
pub async fn delete(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Editor).await?;
    let old = store.conversation(&access.id, id).await?.ok_or(ServiceError::NotFound("conversation"))?;
    store.delete_conversation(&old.project(), &old.id).await?;
    let change = Change {
        action: "conversation.delete",
        entity_type: "conversation",
        entity_id: &old.id,
        project_id: Some(&old.project_id),
        old: Some(audit_json(&old)),
        new: None,
    };
    audit::record(store, ctx, change).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ConversationInput {
        ConversationInput {
            title: String::new(),
            provider_key_id: Some(" ".into()),
            model: " gpt-4o-mini ".into(),
            system_prompt: "Be brief.".into(),
            persona_id: None,
            messages: vec![
                ChatTurn { role: "user".into(), content: "  How do refunds work?\nDetails follow".into() },
                ChatTurn { role: "assistant".into(), content: "Like this.".into() },
            ],
            params: json!({ "temperature": 0.3 }),
        }
    }

    #[test]
    fn an_empty_title_comes_from_the_first_question() {
        let c = clean(input()).unwrap();
        assert_eq!(c.title, "How do refunds work?");
        assert_eq!(c.model, "gpt-4o-mini");
        assert_eq!(c.provider_key_id, None);
        let long = ChatTurn { role: "user".into(), content: "x".repeat(100) };
        assert_eq!(title_from(&[long]).chars().count(), 61);
        assert_eq!(title_from(&[]), "Untitled conversation");
    }

    #[test]
    fn bad_conversations_are_refused() {
        let bad: Vec<(ConversationInput, &str)> = vec![
            (ConversationInput { messages: vec![], ..input() }, "at least one message"),
            (ConversationInput { messages: vec![ChatTurn { role: "system".into(), content: "x".into() }], ..input() }, "role"),
            (ConversationInput { model: "".into(), ..input() }, "model"),
            (ConversationInput { title: "a\nb".into(), ..input() }, "title"),
            (ConversationInput { params: json!([1]), ..input() }, "JSON object"),
            (
                ConversationInput { messages: vec![ChatTurn { role: "user".into(), content: "x".into() }; MAX_TURNS + 1], ..input() },
                "at most",
            ),
            (ConversationInput { system_prompt: "s".repeat(MAX_SYSTEM_PROMPT_LEN + 1), ..input() }, "system prompt"),
        ];
        for (i, expected) in bad {
            match clean(i) {
                Err(ServiceError::Invalid(m)) => assert!(m.contains(expected), "{m:?} lacks {expected:?}"),
                other => panic!("expected {expected:?}, got {other:?}"),
            }
        }
    }
}
