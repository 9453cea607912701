//! Folding a stream back into one reply, for callers that stream to a user and keep the result.

use crate::types::{ChatEvent, Finish, ToolCall, Usage};

/// What a stream said so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamedReply {
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
    pub finish: Option<Finish>,
    pub usage: Option<Usage>,
}

impl StreamedReply {
    pub fn apply(&mut self, event: &ChatEvent) {
        match event {
            ChatEvent::TextDelta { text } => self.content.push_str(text),
            ChatEvent::ToolCallStart { index, id, name } => {
                let index = *index as usize;
                if self.tool_calls.len() <= index {
                    self.tool_calls.resize(index + 1, ToolCall { id: String::new(), name: String::new(), arguments: String::new() });
                }
                self.tool_calls[index].id.clone_from(id);
                self.tool_calls[index].name.clone_from(name);
            }
            ChatEvent::ToolCallDelta { index, arguments } => {
                if let Some(call) = self.tool_calls.get_mut(*index as usize) {
                    call.arguments.push_str(arguments);
                }
            }
            ChatEvent::Finished { finish, usage } => {
                self.finish = Some(finish.clone());
                self.usage = *usage;
            }
        }
    }
}
