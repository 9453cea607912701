//! Turns a vendor's SSE events into [`ChatEvent`]s. Each vendor supplies a decoder for its event
//! shapes; the loop, the early stop and the final `Finished` event are shared here.

use futures::stream::{self, BoxStream, StreamExt};

use crate::error::LlmError;
use crate::provider::ChatStream;
use crate::sse::SseEvent;
use crate::types::{ChatEvent, Finish, Usage};

pub(crate) trait Decoder: Send + 'static {
    /// Handles one SSE event, pushing what it means onto `out`. Returns `true` once the vendor
    /// has said the response is complete (OpenAI `[DONE]`, Anthropic `message_stop`).
    fn event(&mut self, event: SseEvent, out: &mut Vec<ChatEvent>) -> Result<bool, LlmError>;

    /// What was learned about the end of the response: finish reason and usage.
    fn ending(&mut self) -> &mut Ending;
}

/// Finish reason and usage, which vendors send in different events; both go out in `Finished`.
#[derive(Debug, Default)]
pub(crate) struct Ending {
    pub finish: Option<Finish>,
    pub usage: Option<Usage>,
}

impl Ending {
    fn finished(&mut self) -> Result<ChatEvent, LlmError> {
        let finish = self.finish.take().ok_or_else(|| LlmError::bad_response("the stream ended before the response was complete"))?;
        Ok(ChatEvent::Finished { finish, usage: self.usage.take() })
    }
}

pub(crate) fn decode(events: BoxStream<'static, Result<SseEvent, LlmError>>, decoder: impl Decoder) -> ChatStream {
    // `None` state = done. Dropping `events` early (after `[DONE]`, on error) closes the connection.
    stream::unfold(Some((events, decoder)), |state| async move {
        let (mut events, mut decoder) = state?;
        let mut out = Vec::new();
        loop {
            let event = match events.next().await {
                Some(Ok(event)) => event,
                Some(Err(e)) => return Some((batch(out, Some(Err(e))), None)),
                None => break,
            };
            match decoder.event(event, &mut out) {
                Ok(false) if out.is_empty() => {}
                Ok(false) => return Some((batch(out, None), Some((events, decoder)))),
                Ok(true) => break,
                Err(e) => return Some((batch(out, Some(Err(e))), None)),
            }
        }
        let last = decoder.ending().finished();
        Some((batch(out, Some(last)), None))
    })
    .flat_map(stream::iter)
    .boxed()
}

fn batch(events: Vec<ChatEvent>, last: Option<Result<ChatEvent, LlmError>>) -> Vec<Result<ChatEvent, LlmError>> {
    events.into_iter().map(Ok).chain(last).collect()
}
