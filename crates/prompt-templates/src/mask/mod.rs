//! Tokeniser + masker: the variable parts of a prompt become typed placeholders before mining.
//!
//! One left-to-right pass over the bytes, no regex, no backtracking beyond bounded look-ahead, so
//! the cost is linear in the prompt (1 MB prompts included). Tokens are slices of the input (no
//! copy) with a precomputed hash; whitespace is not a token, only remembered as the separator
//! before the next token so templates render with their line structure.
//!
//! What is masked (first match wins at each position):
//!
//! | placeholder | recognised form |
//! |---|---|
//! | `<CONTEXT>` | the body of `<context>…</context>`-style tags from `blocks::CONTEXT_TAGS` (documents, search results, chat history, user input…); the lines after a header such as `Context:`, `Retrieved documents:`, `## Sources` up to the next section (`blocks.rs`) |
//! | `<CODE>` | a ```` ``` ```` fence up to its closing fence |
//! | `<QUOTED>` | `"…"`, `"""…"""`, `'…'` (not apostrophes; one line), `“…”`, `‘…’`, `«…»`, `„…“`, `「…」`, `『…』` (`quotes.rs`) |
//! | `<URL>` | `scheme://…`, `www.…` |
//! | `<EMAIL>` | `local@domain.tld` |
//! | `<DATE>` | `2024-05-01`, `2024-05-01T12:30:00Z`, `05/01/2024`, `01.05.2024`, `May 1, 2024`, `1st May 2024`, `Tuesday, May 1, 2024`, `May 2024` |
//! | `<TIME>` | `12:30`, `9:05:10`, `9:05 pm` |
//! | `<UUID>` | `8-4-4-4-12` hex |
//! | `<NUM>` | digits with `.,-/:` separators, ordinals (`21st`) |
//! | `<HEX>` | `0x…`, or 8+ hex digits containing a digit (hashes, trace ids) |
//! | `<ID>` | any other ASCII word containing a digit (`ORD-1234`, `cus_8f2k`, `v2`): Drain's own rule |
//!
//! Words are split on Unicode whitespace; Han, kana and CJK punctuation are one token per
//! character, since those scripts have no spaces and a name inside a sentence must not make the
//! whole sentence one differing token. Anything else (names, free text) is left to the miner's
//! wildcards.

mod atoms;
mod blocks;
mod dates;
mod quotes;

use serde::{Deserialize, Serialize};

use crate::hash::hash_bytes;

/// The type of a masked variable part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placeholder {
    Num,
    Uuid,
    Hex,
    Id,
    Email,
    Url,
    Date,
    Time,
    Quoted,
    Context,
    Code,
    /// The prompt went on past the token limit; the rest is not mined.
    Truncated,
}

impl Placeholder {
    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::Num => "<NUM>",
            Placeholder::Uuid => "<UUID>",
            Placeholder::Hex => "<HEX>",
            Placeholder::Id => "<ID>",
            Placeholder::Email => "<EMAIL>",
            Placeholder::Url => "<URL>",
            Placeholder::Date => "<DATE>",
            Placeholder::Time => "<TIME>",
            Placeholder::Quoted => "<QUOTED>",
            Placeholder::Context => "<CONTEXT>",
            Placeholder::Code => "<CODE>",
            Placeholder::Truncated => "<TRUNCATED>",
        }
    }

    /// 0xFF never occurs in UTF-8, so a placeholder's hash differs from any literal's, even a
    /// prompt that literally contains `<NUM>`.
    fn hash(self) -> u64 {
        let name = self.as_str().as_bytes();
        let mut buf = [0xFF_u8; 16];
        let n = name.len().min(15);
        buf[1..=n].copy_from_slice(&name[..n]);
        hash_bytes(&buf[..=n])
    }
}

/// Whitespace before a token, kept for rendering only (it never affects matching).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sep {
    #[default]
    #[serde(rename = "n")]
    None,
    #[serde(rename = "s")]
    Space,
    #[serde(rename = "l")]
    Newline,
}

impl Sep {
    pub fn as_str(self) -> &'static str {
        match self {
            Sep::None => "",
            Sep::Space => " ",
            Sep::Newline => "\n",
        }
    }
}

/// One token: a slice of the prompt or a placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The literal text, or the placeholder's `<NAME>`.
    pub text: &'a str,
    pub placeholder: Option<Placeholder>,
    pub sep: Sep,
    pub hash: u64,
}

/// A masked prompt.
#[derive(Clone, Debug, Default)]
pub struct Masked<'a> {
    pub tokens: Vec<Token<'a>>,
    /// More than the token limit: the last token is [`Placeholder::Truncated`].
    pub truncated: bool,
}

impl Masked<'_> {
    /// The masked prompt as text (tokens with their separators).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for t in &self.tokens {
            if !out.is_empty() {
                out.push_str(t.sep.as_str());
            }
            out.push_str(t.text);
        }
        out
    }
}

/// Masks the whole prompt.
pub fn mask(text: &str) -> Masked<'_> {
    mask_with_limit(text, usize::MAX)
}

/// Masks at most `max_tokens` tokens; if the prompt goes on, scanning stops there and a
/// [`Placeholder::Truncated`] token ends the output (so a 1 MB prompt costs what its head costs).
pub fn mask_with_limit(text: &str, max_tokens: usize) -> Masked<'_> {
    Scanner::new(text, max_tokens).run()
}

struct Scanner<'a> {
    src: &'a str,
    out: Masked<'a>,
    limit: usize,
    sep: Sep,
    /// Start of the literal word being accumulated.
    word: Option<usize>,
    /// Only whitespace since the last newline: section headers are recognised here.
    line_start: bool,
    quotes: quotes::Finder,
    blocks: blocks::Finder,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a str, limit: usize) -> Self {
        Scanner {
            src,
            out: Masked { tokens: Vec::with_capacity((src.len() / 6).clamp(8, 4096).min(limit.saturating_add(1))), truncated: false },
            limit,
            sep: Sep::None,
            word: None,
            line_start: true,
            quotes: quotes::Finder::default(),
            blocks: blocks::Finder::default(),
        }
    }

    fn run(mut self) -> Masked<'a> {
        let mut i = 0;
        while i < self.src.len() && !self.out.truncated {
            i = self.step(i);
        }
        self.flush(i.min(self.src.len()));
        self.out
    }

    /// Handles what starts at `i` (always a char boundary) and returns where to go on.
    fn step(&mut self, i: usize) -> usize {
        let bytes = self.src.as_bytes();
        let b = bytes[i];
        if b == b'\n' {
            self.whitespace(i, true);
            self.line_start = true;
            return i + 1;
        }
        if b.is_ascii_whitespace() {
            self.whitespace(i, false);
            return i + 1;
        }
        if std::mem::take(&mut self.line_start) {
            if let Some(h) = blocks::header(self.src, i) {
                return self.header(i, h);
            }
        }
        match b {
            b'<' => {
                let end = self.blocks.tag(self.src, i);
                self.masked(i, end, Placeholder::Context)
            }
            b'`' => {
                let end = self.blocks.fence(self.src, i);
                self.masked(i, end, Placeholder::Code)
            }
            b'"' | b'\'' => {
                let end = self.quotes.at(self.src, i);
                self.masked(i, end, Placeholder::Quoted)
            }
            b if b.is_ascii_alphanumeric() => self.word_at(i),
            b if b < 0x80 => self.extend(i, i + 1),
            _ => self.non_ascii(i),
        }
    }

    fn whitespace(&mut self, i: usize, newline: bool) {
        self.flush(i);
        self.sep = self.sep.max(if newline { Sep::Newline } else { Sep::Space });
    }

    fn non_ascii(&mut self, i: usize) -> usize {
        let Some(c) = self.src[i..].chars().next() else { return self.src.len() };
        let end = i + c.len_utf8();
        if c.is_whitespace() {
            self.whitespace(i, matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}'));
            return end;
        }
        if quotes::is_opener(c) {
            let end = self.quotes.at(self.src, i);
            return self.masked(i, end, Placeholder::Quoted);
        }
        if is_cjk(c) {
            self.flush(i);
            self.push_literal(i, end);
            return end;
        }
        self.extend(i, end)
    }

    /// An ASCII letter or digit: a variable word, or a literal word skipped whole.
    fn word_at(&mut self, i: usize) -> usize {
        let bytes = self.src.as_bytes();
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !boundary {
            return self.extend(i, atoms::word_end(bytes, i));
        }
        match atoms::variable_at(self.src, i) {
            Ok((p, end)) => {
                self.flush(i);
                self.push_placeholder(p);
                end
            }
            Err(word_end) => self.extend(i, word_end),
        }
    }

    /// `end` of a recognised span starting at `i` → one placeholder; otherwise one literal char.
    fn masked(&mut self, i: usize, end: Option<usize>, p: Placeholder) -> usize {
        match end {
            Some(end) => {
                self.flush(i);
                self.push_placeholder(p);
                end
            }
            None => {
                let len = self.src[i..].chars().next().map_or(1, char::len_utf8);
                self.extend(i, i + len)
            }
        }
    }

    /// A section header: its label stays literal, its body becomes one `<CONTEXT>`.
    fn header(&mut self, i: usize, h: blocks::Header) -> usize {
        let mut j = i;
        while j < h.label_end {
            j = match self.src.as_bytes()[j] {
                b if b.is_ascii_whitespace() => {
                    self.whitespace(j, false);
                    j + 1
                }
                _ => self.extend(j, j + 1),
            };
        }
        self.flush(h.label_end);
        if h.has_body {
            let rest_of_line = self.src.get(h.label_end..h.body_end).unwrap_or_default().split('\n').next().unwrap_or_default();
            self.sep = self.sep.max(if rest_of_line.trim().is_empty() { Sep::Newline } else { Sep::Space });
            self.push_placeholder(Placeholder::Context);
        }
        if h.body_end < self.src.len() {
            self.sep = Sep::Newline;
            self.line_start = true;
        }
        h.body_end
    }

    /// Adds `[i, end)` to the current literal word.
    fn extend(&mut self, i: usize, end: usize) -> usize {
        self.word.get_or_insert(i);
        end
    }

    fn flush(&mut self, i: usize) {
        if let Some(start) = self.word.take() {
            self.push_literal(start, i);
        }
    }

    fn push_literal(&mut self, start: usize, end: usize) {
        let text = self.src.get(start..end).unwrap_or("");
        if !text.is_empty() {
            self.push(Token { text, placeholder: None, sep: self.sep, hash: hash_bytes(text.as_bytes()) });
        }
    }

    fn push_placeholder(&mut self, p: Placeholder) {
        self.push(Token { text: p.as_str(), placeholder: Some(p), sep: self.sep, hash: p.hash() });
    }

    fn push(&mut self, token: Token<'a>) {
        if self.out.truncated {
            return;
        }
        if self.out.tokens.len() >= self.limit {
            let p = Placeholder::Truncated;
            self.out.tokens.push(Token { text: p.as_str(), placeholder: Some(p), sep: token.sep, hash: p.hash() });
            self.out.truncated = true;
            return;
        }
        self.out.tokens.push(token);
        self.sep = Sep::None;
    }
}

/// Scripts written without spaces, tokenised per character: Han, Hiragana, Katakana, CJK
/// symbols and punctuation, full-width forms. (Hangul uses spaces and stays word-based.)
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3134F)
}

#[cfg(test)]
mod tests;
