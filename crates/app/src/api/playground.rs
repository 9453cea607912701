//! Server functions of the chat playground: its page data and saving a conversation. The chat
//! itself streams from `POST /projects/{slug}/playground/chat` (src/http/playground.rs).

use super::AppError;
use domain::playground::PlaygroundData;
use leptos::prelude::*;

/// Keys, personas and saved conversations of a project (any member); `conversation` reopens
/// one saved conversation.
#[server(prefix = "/api")]
pub async fn load_playground(slug: String, conversation: Option<String>) -> Result<PlaygroundData, AppError> {
    use super::support::*;
    use domain::playground::{KeyChoice, OpenConversation, PersonaChoice};
    use services::{authz, conversations, personas, provider_keys};

    let (store, ctx) = (stores().primary, request());
    let access = authz::project_by_slug(store.as_ref(), &ctx, &slug, domain::ProjectRole::Analyst).await.map_err(fail)?;
    let keys = provider_keys::usable(store.as_ref(), &ctx, &slug).await.map_err(fail)?;
    let personas = personas::list(store.as_ref(), &ctx, &slug).await.map_err(fail)?;
    let saved = conversations::list(store.as_ref(), &ctx, &slug).await.map_err(fail)?;
    let open = match conversation.filter(|id| !id.trim().is_empty()) {
        Some(id) => {
            let c = conversations::get(store.as_ref(), &ctx, &slug, id.trim()).await.map_err(fail)?;
            Some(OpenConversation {
                id: c.id,
                title: c.title,
                key_id: c.provider_key_id,
                model: c.model,
                system_prompt: c.system_prompt,
                persona_id: c.persona_id,
                messages: c.messages,
                temperature: c.params["temperature"].as_f64().map(|t| t as f32),
                max_tokens: c.params["max_tokens"].as_u64().and_then(|m| u32::try_from(m).ok()),
            })
        }
        None => None,
    };
    Ok(PlaygroundData {
        slug: access.project.slug.to_string(),
        project_name: access.project.name.clone(),
        can_chat: access.role.allows(domain::ProjectRole::Editor),
        keys: keys
            .into_iter()
            .map(|k| KeyChoice { global: k.project_id.is_none(), id: k.id, name: k.name, vendor: k.vendor, default_model: k.default_model })
            .collect(),
        personas: personas
            .iter()
            .map(|p| PersonaChoice { id: p.id.clone(), name: p.name.clone(), system_prompt: p.system_prompt() })
            .collect(),
        conversations: saved,
        open,
    })
}

/// Save a conversation (editors and owners). `conversation` is a JSON
/// `domain::personas::ConversationInput`: nested turns travel more safely as one JSON value than
/// as form fields. Returns the saved conversation's id.
#[server(prefix = "/api")]
pub async fn save_conversation(slug: String, conversation: String) -> Result<String, AppError> {
    use super::support::*;
    let input: domain::personas::ConversationInput = serde_json::from_str(&conversation)
        .map_err(|e| fail(services::ServiceError::Invalid(format!("the conversation is not valid: {e}"))))?;
    let saved = services::conversations::save(stores().primary.as_ref(), &request(), &slug, input).await.map_err(fail)?;
    Ok(saved.id)
}
