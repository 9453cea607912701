//! Server-sent events, the streaming format of every vendor here. One incremental parser:
//! bytes arrive split anywhere (mid-line, mid-UTF-8 character), so it buffers bytes, not strings.

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use crate::error::LlmError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `None` means the default type "message".
    pub event: Option<String>,
    /// The `data:` lines joined by `\n`.
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// Feeds more bytes; returns the events completed by them.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(pos) = self.buf[start..].iter().position(|&b| b == b'\n' || b == b'\r') {
            let end = start + pos;
            // A lone `\r` at the end of the buffer may be the first half of `\r\n`: wait for more.
            if self.buf[end] == b'\r' && end + 1 == self.buf.len() {
                break;
            }
            let line = String::from_utf8_lossy(&self.buf[start..end]).into_owned();
            start = end + if self.buf[end] == b'\r' && self.buf.get(end + 1) == Some(&b'\n') { 2 } else { 1 };
            if let Some(event) = self.line(&line) {
                events.push(event);
            }
        }
        self.buf.drain(..start);
        events
    }

    /// The stream ended: a last event without its blank line still counts.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let rest = std::mem::take(&mut self.buf);
        let rest = String::from_utf8_lossy(&rest);
        let rest = rest.trim_end_matches(['\r', '\n']);
        let event = if rest.is_empty() { None } else { self.line(rest) };
        event.or_else(|| self.line(""))
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let data = self.data.take()?;
            return Some(SseEvent { event: self.event.take(), data });
        }
        if line.starts_with(':') {
            return None; // comment / keep-alive
        }
        let (field, value) = line.split_once(':').map(|(f, v)| (f, v.strip_prefix(' ').unwrap_or(v))).unwrap_or((line, ""));
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {} // `id`, `retry` and unknown fields do not matter to a one-shot completion
        }
        None
    }
}

/// Turns a response body into SSE events.
pub(crate) fn events(body: BoxStream<'static, Result<Bytes, LlmError>>) -> BoxStream<'static, Result<SseEvent, LlmError>> {
    stream::unfold((body, SseParser::default(), false), |(mut body, mut parser, done)| async move {
        if done {
            return None;
        }
        match body.next().await {
            Some(Ok(chunk)) => Some((Ok(parser.push(&chunk)), (body, parser, false))),
            Some(Err(e)) => Some((Err(e), (body, parser, true))),
            None => Some((Ok(parser.finish().into_iter().collect()), (body, parser, true))),
        }
    })
    .flat_map(|batch: Result<Vec<SseEvent>, LlmError>| match batch {
        Ok(events) => stream::iter(events.into_iter().map(Ok).collect::<Vec<_>>()),
        Err(e) => stream::iter(vec![Err(e)]),
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut out: Vec<SseEvent> = input.chunks(piece).flat_map(|c| parser.push(c)).collect();
        out.extend(parser.finish());
        out
    }

    #[test]
    fn parses_events_split_at_every_byte() {
        let input = "event: message_start\ndata: {\"a\":1}\n\n: ping\n\ndata: héllo\ndata: world\n\ndata: [DONE]\n\n".as_bytes();
        let expected = vec![
            SseEvent { event: Some("message_start".into()), data: "{\"a\":1}".into() },
            SseEvent { event: None, data: "héllo\nworld".into() },
            SseEvent { event: None, data: "[DONE]".into() },
        ];
        for piece in [1, 2, 3, 7, input.len()] {
            assert_eq!(parse_in_pieces(input, piece), expected, "piece size {piece}");
        }
    }

    #[test]
    fn accepts_crlf_and_cr_line_endings_and_a_missing_final_blank_line() {
        let input = b"data: one\r\n\r\ndata: two\r\rdata:three";
        let events: Vec<String> = parse_in_pieces(input, 1).into_iter().map(|e| e.data).collect();
        assert_eq!(events, ["one", "two", "three"]);
    }

    #[test]
    fn event_type_does_not_leak_into_the_next_event() {
        let events = parse_in_pieces(b"event: error\ndata: x\n\ndata: y\n\n", 4);
        assert_eq!(events[1].event, None);
    }
}
