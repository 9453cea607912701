//! A playground turn (editors and owners): the checked conversation, a connection through the
//! [`LlmGateway`](crate::llm_gateway::LlmGateway) and the request to stream. Streaming it to the
//! browser is the HTTP layer's part.

use crate::kb::grounding;
use crate::{
    authz::{self, ProjectAccess},
    context::RequestContext,
    llm_gateway::{Connection, KeyChoice, LlmUse},
    ports::PrimaryStore,
    AppServices, ServiceError, ServiceResult,
};
use domain::{
    playground::{ChatCall, Grounded},
    ProjectRole,
};
use llm::{ChatRequest, Message};

/// Longest session id a client may group calls under.
pub const MAX_SESSION_ID_LEN: usize = 128;
/// Origin of playground spans.
const ORIGIN: &str = "playground";

/// May the caller chat in `slug`'s playground? Checked before the request is even read.
pub async fn authorize(services: &AppServices, ctx: &RequestContext, slug: &str) -> ServiceResult<ProjectAccess> {
    authorize_in(services.stores.primary.as_ref(), ctx, slug).await
}

/// [`authorize`] against a store (editors and owners chat).
pub async fn authorize_in(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<ProjectAccess> {
    authz::project_by_slug(store, ctx, slug, ProjectRole::Editor).await
}

/// A turn ready to stream.
pub struct Turn {
    pub connection: Connection,
    pub request: ChatRequest,
    /// What the knowledge base added, when the call asked for grounding.
    pub grounded: Option<Grounded>,
}

/// Knowledge-base entries a grounded turn gets.
const GROUNDING_ENTRIES: usize = 5;

/// Check `call` and connect for it (after [`authorize`]).
pub async fn start_turn(services: &AppServices, ctx: &RequestContext, access: &ProjectAccess, call: &ChatCall) -> ServiceResult<Turn> {
    call.check().map_err(ServiceError::Invalid)?;
    let session_id = call.session_id.clone().filter(|s| !s.trim().is_empty());
    if session_id.as_ref().is_some_and(|s| s.len() > MAX_SESSION_ID_LEN) {
        return Err(ServiceError::Invalid("the session id is too long".into()));
    }
    let what = LlmUse {
        user_id: ctx.actor.as_ref().map(|a| a.user_id.clone()),
        session_id,
        ..LlmUse::new(&access.id, KeyChoice::Id(call.key_id.trim()), ORIGIN)
    };
    let grounding = match call.ground_on_kb {
        true => {
            let question = call.messages.iter().rev().find(|t| t.role == "user").map(|t| t.content.as_str()).unwrap_or_default();
            Some(grounding::retrieve(services, &access.id, question, GROUNDING_ENTRIES).await?)
        }
        false => None,
    };
    let connection = services.llm.connect(what).await?;
    let model = connection.model(&call.model)?;
    let block = grounding.as_ref().map(|g| g.block.as_str()).unwrap_or_default();
    Ok(Turn { request: chat_request(call, block, model), connection, grounded: grounding.map(|g| g.grounded) })
}

/// The vendor request of a turn: the system prompt (with the knowledge-base block after it,
/// when grounded), then the conversation.
fn chat_request(call: &ChatCall, kb_block: &str, model: String) -> ChatRequest {
    let mut messages = Vec::with_capacity(call.messages.len() + 1);
    let system = [call.system_prompt.trim(), kb_block.trim()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n\n");
    if !system.is_empty() {
        messages.push(Message::system(system));
    }
    messages.extend(call.messages.iter().map(|t| match t.role.as_str() {
        "assistant" => Message::assistant(t.content.clone()),
        _ => Message::user(t.content.clone()),
    }));
    ChatRequest { temperature: call.temperature, max_tokens: call.max_tokens, ..ChatRequest::new(model, messages) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::personas::ChatTurn;

    #[test]
    fn the_request_starts_with_the_system_prompt_and_keeps_the_turns_in_order() {
        let turn = |role: &str, content: &str| ChatTurn { role: role.into(), content: content.into() };
        let call = ChatCall {
            key_id: "k".into(),
            model: String::new(),
            system_prompt: "Be brief.".into(),
            messages: vec![turn("user", "Hi"), turn("assistant", "Hello"), turn("user", "Bye")],
            temperature: Some(0.2),
            max_tokens: Some(50),
            session_id: None,
            ground_on_kb: false,
        };
        let r = chat_request(&call, "", "gpt-4o".into());
        assert_eq!(r.messages, vec![Message::system("Be brief."), Message::user("Hi"), Message::assistant("Hello"), Message::user("Bye")]);
        assert_eq!((r.model.as_str(), r.temperature, r.max_tokens), ("gpt-4o", Some(0.2), Some(50)));
        let bare = chat_request(&ChatCall { system_prompt: "  ".into(), ..call.clone() }, "", "m".into());
        assert_eq!(bare.messages.len(), 3, "a blank system prompt is not sent");
    }

    #[test]
    fn the_knowledge_base_block_follows_the_system_prompt() {
        let call = ChatCall { system_prompt: "Be brief.".into(), messages: Vec::new(), ..ChatCall::default() };
        let r = chat_request(&call, "Knowledge base (release 2)\n[1] GET /orders", "m".into());
        assert_eq!(r.messages, vec![Message::system("Be brief.\n\nKnowledge base (release 2)\n[1] GET /orders")]);
        let only_kb = chat_request(&ChatCall { system_prompt: String::new(), ..call }, "KB", "m".into());
        assert_eq!(only_kb.messages, vec![Message::system("KB")]);
    }
}
