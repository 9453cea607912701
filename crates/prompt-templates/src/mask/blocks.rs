//! Retrieved context and other long variable blocks, recognised by their markers:
//!
//! - tags: `<name …>…</name>` for a name in [`CONTEXT_TAGS`] (case-insensitive, attributes
//!   allowed, same-name nesting not tracked) → `<CONTEXT>`;
//! - fences: ```` ``` ```` … ```` ``` ```` → `<CODE>`;
//! - header sections: a line that is a header from [`HEADERS`] (`Context:`, `**Sources:**`,
//!   `## Retrieved documents`, `参考资料：`). The label stays literal; the rest of its line and
//!   the following lines become one `<CONTEXT>`, up to the next section: a line starting with `#`,
//!   `<`, a fence or a rule (`---`), another header, a follow-up label (`Question:`,
//!   `Instructions:`…), or — after a blank line — any `Label:` line or ALL-CAPS line. Passages
//!   that themselves contain `Title:`-style lines after a blank line end the section early; the
//!   rest is then ordinary text for the miner's wildcards.
//!
//! A closing tag or fence is searched once per kind and remembered (see `quotes`), so unclosed
//! markers cost linear time.

/// Tags whose content is per-request data (documents, results, history, user input…).
pub const CONTEXT_TAGS: &[&str] = &[
    "context",
    "contexts",
    "retrieved_context",
    "document",
    "documents",
    "doc",
    "docs",
    "retrieved",
    "retrieved_documents",
    "search_results",
    "search_result",
    "results",
    "result",
    "sources",
    "source",
    "passage",
    "passages",
    "chunk",
    "chunks",
    "snippet",
    "snippets",
    "excerpt",
    "excerpts",
    "knowledge",
    "knowledge_base",
    "reference",
    "references",
    "history",
    "chat_history",
    "conversation",
    "conversation_history",
    "transcript",
    "messages",
    "user_input",
    "user_query",
    "user_message",
    "query",
    "question",
    "input",
    "email",
    "article",
    "text",
    "data",
    "records",
    "profile",
    "user_profile",
    "memory",
    "memories",
    "facts",
    "file",
    "files",
    "attachment",
    "page",
    "web_page",
];

/// Section headers (lower case) whose body is per-request data.
pub const HEADERS: &[&str] = &[
    "context",
    "contexts",
    "retrieved context",
    "relevant context",
    "additional context",
    "documents",
    "relevant documents",
    "retrieved documents",
    "retrieved passages",
    "relevant passages",
    "passages",
    "sources",
    "search results",
    "excerpts",
    "snippets",
    "knowledge",
    "knowledge base",
    "reference material",
    "references",
    "chat history",
    "conversation history",
    "conversation so far",
    "previous conversation",
    "transcript",
    "memory",
    "memories",
    "user profile",
    "customer profile",
    "facts",
    "上下文",
    "参考资料",
    "参考信息",
    "检索结果",
    "相关文档",
    "对话历史",
    "参考情報",
    "コンテキスト",
];

/// Labels that end a header section even without a blank line before them.
const FOLLOW_UPS: &[&str] = &[
    "question",
    "user question",
    "query",
    "user query",
    "latest question",
    "task",
    "instructions",
    "instruction",
    "answer",
    "request",
    "output",
    "response",
    "format",
    "rules",
    "问题",
    "用户问题",
    "質問",
];

/// A header line starting at `i`: its label (kept), and its body up to `body_end` (masked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Header {
    pub label_end: usize,
    pub has_body: bool,
    pub body_end: usize,
}

/// A remembered search: (searched from, what was found at or after it).
type Memo<T> = Option<(usize, Option<T>)>;

#[derive(Default)]
pub(super) struct Finder {
    /// Per tag in [`CONTEXT_TAGS`]: the next closing tag as (start, end).
    tags: Vec<Memo<(usize, usize)>>,
    fence: Memo<usize>,
}

impl Finder {
    /// A context tag opening at `i` (`<`): the end of its closing tag.
    pub(super) fn tag(&mut self, src: &str, i: usize) -> Option<usize> {
        let bytes = src.as_bytes();
        let name_len = bytes[i + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')).count();
        let name = &bytes[i + 1..i + 1 + name_len];
        let kind = CONTEXT_TAGS.iter().position(|t| !name.is_empty() && t.as_bytes().eq_ignore_ascii_case(name))?;
        let attrs = i + 1 + name_len;
        let gt = attrs + bytes[attrs..].iter().take(256).position(|b| matches!(b, b'>' | b'<' | b'\n'))?;
        if bytes[gt] != b'>' || bytes[gt - 1] == b'/' {
            return None;
        }
        if self.tags.is_empty() {
            self.tags = vec![None; CONTEXT_TAGS.len()];
        }
        let from = gt + 1;
        let cached = self.tags[kind].filter(|(at, next)| from >= *at && next.is_none_or(|(s, _)| s >= from));
        let next = match cached {
            Some((_, next)) => next,
            None => {
                let next = closing_tag(src, from, name);
                self.tags[kind] = Some((from, next));
                next
            }
        };
        next.map(|(_, end)| end)
    }

    /// A fence opening at `i`: the end of its closing fence.
    pub(super) fn fence(&mut self, src: &str, i: usize) -> Option<usize> {
        if !src[i..].starts_with("```") {
            return None;
        }
        let from = i + 3;
        let next = match self.fence.filter(|(at, next)| from >= *at && next.is_none_or(|s| s >= from)) {
            Some((_, next)) => next,
            None => {
                let next = src[from..].find("```").map(|k| from + k);
                self.fence = Some((from, next));
                next
            }
        };
        next.map(|s| s + 3)
    }
}

/// The first `</name>` (any case, spaces before `>`) at or after `from`: (start, end).
fn closing_tag(src: &str, from: usize, name: &[u8]) -> Option<(usize, usize)> {
    let bytes = src.as_bytes();
    let mut p = from;
    loop {
        let at = p + src.get(p..)?.find("</")?;
        let after = at + 2 + name.len();
        if bytes.get(at + 2..after).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            let gt = after + bytes[after..].iter().take_while(|b| **b == b' ').count();
            if bytes.get(gt) == Some(&b'>') {
                return Some((at, gt + 1));
            }
        }
        p = at + 2;
    }
}

/// A header line starting at `i` (the line's first non-space byte).
pub(super) fn header(src: &str, i: usize) -> Option<Header> {
    let bytes = src.as_bytes();
    let heading = bytes[i] == b'#';
    let mut p = i + bytes[i..].iter().take_while(|b| **b == b'#').count();
    p += bytes[p..].iter().take_while(|b| **b == b' ').count();
    if bytes[p..].starts_with(b"**") {
        p += 2;
    }
    let (label, mut r) = label_at(src, p)?;
    if !HEADERS.iter().any(|h| eq_label(h, label)) {
        return None;
    }
    let colon = colon_len(&bytes[r..]);
    if colon == 0 && !heading {
        return None;
    }
    r += colon;
    if bytes[r..].starts_with(b"**") {
        r += 2;
    }
    let line_end = r + bytes[r..].iter().position(|b| *b == b'\n').unwrap_or(bytes.len() - r);
    if heading && colon == 0 && !bytes[r..line_end].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let mut has_body = !bytes[r..line_end].iter().all(u8::is_ascii_whitespace);
    let mut p = (line_end + 1).min(bytes.len());
    let mut prev_blank = false;
    while p < bytes.len() {
        let e = p + bytes[p..].iter().position(|b| *b == b'\n').unwrap_or(bytes.len() - p);
        let start = p + bytes[p..e].iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let blank = bytes[start..e].iter().all(u8::is_ascii_whitespace);
        if !blank {
            if ends_section(src, start, prev_blank) {
                break;
            }
            has_body = true;
        }
        prev_blank = blank;
        p = (e + 1).min(bytes.len());
    }
    Some(Header { label_end: r, has_body, body_end: p })
}

/// The label at `p`: letters and spaces up to a colon, `*` or the end of the line, at most
/// [`MAX_LABEL`] bytes. Returns it trimmed, and where it ends (before the colon). Most lines
/// are sentences and leave at their first punctuation mark or after `MAX_LABEL` bytes.
fn label_at(src: &str, p: usize) -> Option<(&str, usize)> {
    let bytes = src.as_bytes();
    let mut end = p;
    while let Some(&b) = bytes.get(end) {
        let label_byte = b.is_ascii_alphabetic() || b == b' ' || b == b'_' || (b >= 0x80 && colon_len(&bytes[end..]) == 0);
        if !label_byte {
            break;
        }
        end += 1;
        if end - p > MAX_LABEL {
            return None;
        }
    }
    if !matches!(bytes.get(end), None | Some(b':' | b'*' | b'\n' | b'\r')) && colon_len(&bytes[end..]) == 0 {
        return None;
    }
    let label = src.get(p..end)?.trim();
    (!label.is_empty()).then_some((label, end))
}

/// Longest header or follow-up label, in bytes (`conversation history`, `参考资料` is 12).
const MAX_LABEL: usize = 24;

fn colon_len(b: &[u8]) -> usize {
    if b.starts_with(b":") {
        1
    } else if b.starts_with("：".as_bytes()) {
        3
    } else {
        0
    }
}

fn eq_label(known: &str, label: &str) -> bool {
    known.len() == label.len() && known.bytes().zip(label.bytes()).all(|(k, l)| k == l.to_ascii_lowercase() || (k == b' ' && l == b'_'))
}

/// Whether the line starting at `start` opens a new section (see the module docs).
fn ends_section(src: &str, start: usize, prev_blank: bool) -> bool {
    let line = &src.as_bytes()[start..];
    if line.starts_with(b"#") || line.starts_with(b"<") || [&b"```"[..], b"---", b"===", b"***"].iter().any(|m| line.starts_with(m)) {
        return true;
    }
    let first = src[start..].chars().next().unwrap_or(' ');
    if first.is_ascii_uppercase() || (!first.is_ascii() && first.is_alphabetic()) {
        if let Some((label, end)) = label_at(src, start) {
            if colon_len(&line[end - start..]) > 0 && label.split(' ').count() <= 4 {
                let known = |list: &[&str]| list.iter().any(|k| eq_label(k, label));
                return prev_blank || known(FOLLOW_UPS) || known(HEADERS);
            }
        }
    }
    if prev_blank {
        let text = line.split(|b| *b == b'\n').next().unwrap_or_default();
        let letters = text.iter().filter(|b| b.is_ascii_alphabetic()).count();
        return letters >= 3 && !text.iter().any(u8::is_ascii_lowercase);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> Option<&str> {
        let i = s.find('<')?;
        Finder::default().tag(s, i).map(|end| &s[i..end])
    }

    #[test]
    fn context_tags() {
        assert_eq!(tag("a <context>x\ny</context> b"), Some("<context>x\ny</context>"));
        assert_eq!(tag(r#"<Document id="3">x</DOCUMENT >!"#), Some(r#"<Document id="3">x</DOCUMENT >"#));
        assert_eq!(tag("<instructions>x</instructions>"), None);
        assert_eq!(tag("<context>never closed"), None);
        assert_eq!(tag("<context/>"), None);
        assert_eq!(tag("<contexts>x</context></contexts>"), Some("<contexts>x</context></contexts>"));
    }

    #[test]
    fn fences() {
        let s = "see ```sql\nselect 1\n``` done";
        assert_eq!(Finder::default().fence(s, 4).map(|e| &s[4..e]), Some("```sql\nselect 1\n```"));
        assert_eq!(Finder::default().fence("``` open", 0), None);
    }

    fn section(s: &str) -> Option<(&str, &str)> {
        let h = header(s, 0)?;
        Some((&s[..h.label_end], &s[h.label_end..h.body_end]))
    }

    #[test]
    fn known_labels_fit_the_label_limit() {
        assert!(HEADERS.iter().chain(FOLLOW_UPS).all(|h| h.len() <= MAX_LABEL));
    }

    #[test]
    fn header_sections() {
        let s = "Context:\n[1] a\n\n[2] b\nQuestion: why?";
        assert_eq!(section(s), Some(("Context:", "\n[1] a\n\n[2] b\n")));
        let s = "## Retrieved documents\nTitle: x\nbody\n\nRules:\n- be nice";
        assert_eq!(section(s), Some(("## Retrieved documents", "\nTitle: x\nbody\n\n")));
        let s = "**Sources:** a, b\nmore\n\nANSWER FORMAT\nx";
        assert_eq!(section(s), Some(("**Sources:**", " a, b\nmore\n\n")));
        assert_eq!(section("参考资料：文档一\n问题：为什么").map(|(_, b)| b), Some("文档一\n"));
        assert_eq!(section("Context of this task: x"), None);
        assert_eq!(section("Contextual: x"), None);
        assert_eq!(section("Context"), None);
        assert_eq!(header("Context:\n\nQuestion: x", 0).map(|h| h.has_body), Some(false));
    }
}
