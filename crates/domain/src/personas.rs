//! Personas: who a playground chat or a generated test speaks as; and the saved playground
//! conversations that may use one. Plain serde types, shared by server and browser.

use serde::{Deserialize, Serialize};

/// A character a model can play: a simulated user for chats and generated tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub goals: String,
    pub tone: String,
    /// Free text ("English", "fr-CA"); empty = whatever the conversation uses.
    pub language: String,
    pub traits: Vec<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Persona {
    /// A system prompt that makes a model speak as this persona. Empty fields are left out.
    pub fn system_prompt(&self) -> String {
        let name = self.name.trim();
        let mut prompt = format!(
            "You are role-playing a persona named {name}. Speak as {name} would, in the first person, \
             and stay in character for the whole conversation. Do not mention that you are playing a role."
        );
        let mut line = |label: &str, value: &str| {
            let value = value.trim();
            if !value.is_empty() {
                prompt.push_str(&format!("\n\n{label}: {value}"));
            }
        };
        line("Who you are", &self.description);
        line("What you want from this conversation", &self.goals);
        line("Your tone", &self.tone);
        let traits: Vec<&str> = self.traits.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
        line("Your traits", &traits.join(", "));
        let language = self.language.trim();
        if !language.is_empty() {
            prompt.push_str(&format!("\n\nAlways answer in {language}."));
        }
        prompt
    }
}

/// One turn of a saved conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatTurn {
    /// "user" or "assistant".
    pub role: String,
    pub content: String,
}

/// A playground conversation to save, as the person had it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationInput {
    /// Empty: taken from the first user turn.
    pub title: String,
    pub provider_key_id: Option<String>,
    pub model: String,
    pub system_prompt: String,
    pub persona_id: Option<String>,
    pub messages: Vec<ChatTurn>,
    /// Sampling parameters (temperature, max_tokens…): a JSON object, or null.
    pub params: serde_json::Value,
}

/// A saved conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub project_id: String,
    pub title: String,
    /// The user id of who saved it.
    pub created_by: Option<String>,
    pub created_at_ms: i64,
    pub provider_key_id: Option<String>,
    pub model: String,
    pub system_prompt: String,
    pub persona_id: Option<String>,
    pub messages: Vec<ChatTurn>,
    pub params: serde_json::Value,
}

/// A saved conversation in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub title: String,
    pub model: String,
    pub turns: usize,
    pub created_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persona() -> Persona {
        Persona {
            id: "p1".into(),
            project_id: "proj".into(),
            name: "Impatient Ian".into(),
            description: "A small-business owner who runs a bakery.".into(),
            goals: "Get a refund for a double charge.".into(),
            tone: "curt".into(),
            language: "French".into(),
            traits: vec!["impatient".into(), " skeptical ".into(), "".into()],
            created_at_ms: 1,
            updated_at_ms: 1,
        }
    }

    #[test]
    fn system_prompt_puts_the_persona_in_character() {
        let prompt = persona().system_prompt();
        assert!(prompt.starts_with("You are role-playing a persona named Impatient Ian."), "{prompt}");
        for part in [
            "Who you are: A small-business owner who runs a bakery.",
            "What you want from this conversation: Get a refund for a double charge.",
            "Your tone: curt",
            "Your traits: impatient, skeptical",
            "Always answer in French.",
        ] {
            assert!(prompt.contains(part), "missing {part:?} in {prompt}");
        }
        assert!(!prompt.contains("skeptical, "), "empty traits are dropped: {prompt}");
    }

    #[test]
    fn system_prompt_leaves_out_empty_fields() {
        let bare = Persona {
            description: " ".into(),
            goals: String::new(),
            tone: String::new(),
            language: String::new(),
            traits: vec![],
            ..persona()
        };
        let prompt = bare.system_prompt();
        assert!(prompt.contains("Impatient Ian"));
        for absent in ["Who you are", "What you want", "Your tone", "Your traits", "Always answer in"] {
            assert!(!prompt.contains(absent), "{absent:?} in {prompt}");
        }
    }

    #[test]
    fn conversation_round_trips_through_json() {
        let c = Conversation {
            id: "c1".into(),
            project_id: "proj".into(),
            title: "Refund".into(),
            created_by: Some("u1".into()),
            created_at_ms: 5,
            provider_key_id: None,
            model: "gpt-4o-mini".into(),
            system_prompt: "Be brief.".into(),
            persona_id: Some("p1".into()),
            messages: vec![ChatTurn { role: "user".into(), content: "Hi".into() }],
            params: serde_json::json!({ "temperature": 0.2 }),
        };
        let back: Conversation = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
