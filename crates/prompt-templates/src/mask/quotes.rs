//! Quoted text: `"…"`, `"""…"""`, `'''…'''`, `'…'`, `“…”`, `‘…’`, `«…»`, `„…“`, `「…」`, `『…』`.
//!
//! A quote must close within [`MAX_QUOTE`] bytes (a single-quoted one on the same line within
//! [`MAX_SINGLE`] bytes), otherwise its opening mark is ordinary text. A `'` opens only after
//! whitespace or `([{:=,;` and closes only before a non-letter, so apostrophes (`don't`,
//! `O'Brien`, `users' data`) are not quotes.
//!
//! Linear time: for each kind of closing mark the finder remembers where the next one is, so
//! many unclosed openers do not rescan the rest of the prompt each.

/// Longest quoted span masked (user text, pasted documents).
pub(super) const MAX_QUOTE: usize = 64 * 1024;
/// Longest `'…'` span masked.
pub(super) const MAX_SINGLE: usize = 512;

const KINDS: usize = 10;

pub(super) fn is_opener(c: char) -> bool {
    matches!(c, '“' | '‘' | '«' | '„' | '「' | '『')
}

#[derive(Default)]
pub(super) struct Finder {
    next: [Next; KINDS],
}

/// The first closing mark at or after `from`, as last searched.
#[derive(Clone, Copy, Default)]
struct Next {
    searched: bool,
    from: usize,
    at: Option<usize>,
}

impl Finder {
    /// If a quote opens at `i`, the end of the quoted span (after the closing mark).
    pub(super) fn at(&mut self, src: &str, i: usize) -> Option<usize> {
        let rest = &src[i..];
        for (kind, mark) in [(8, "\"\"\""), (9, "'''")] {
            if rest.starts_with(mark) {
                let found = self.find(kind, src, i + 3, |s, from| s[from..].find(mark).map(|k| from + k));
                if let Some(close) = found.filter(|c| c - i <= MAX_QUOTE) {
                    return Some(close + 3);
                }
            }
        }
        let open = rest.chars().next()?;
        let from = i + open.len_utf8();
        let (kind, close): (usize, fn(char) -> bool) = match open {
            '"' => (0, |c| c == '"'),
            '\'' => return self.single(src, i),
            '“' => (2, |c| c == '”'),
            '‘' => (3, |c| c == '’'),
            '«' => (4, |c| c == '»'),
            '„' => (5, |c| c == '“' || c == '”'),
            '「' => (6, |c| c == '」'),
            '『' => (7, |c| c == '』'),
            _ => return None,
        };
        let found = self.find(kind, src, from, |s, f| s[f..].find(close).map(|k| f + k))?;
        let end = found + src[found..].chars().next().map_or(1, char::len_utf8);
        (end - i <= MAX_QUOTE).then_some(end)
    }

    fn single(&mut self, src: &str, i: usize) -> Option<usize> {
        let bytes = src.as_bytes();
        let opens = (i == 0 || bytes[i - 1].is_ascii_whitespace() || b"([{:=,;".contains(&bytes[i - 1]))
            && bytes.get(i + 1).is_some_and(|b| !b.is_ascii_whitespace());
        if !opens {
            return None;
        }
        let close = self.find(1, src, i + 1, single_closer)?;
        (close + 1 - i <= MAX_SINGLE && !bytes[i..close].contains(&b'\n')).then_some(close + 1)
    }

    fn find(&mut self, kind: usize, src: &str, from: usize, search: impl Fn(&str, usize) -> Option<usize>) -> Option<usize> {
        let next = &mut self.next[kind];
        if next.searched && from >= next.from && next.at.is_none_or(|at| at >= from) {
            return next.at;
        }
        let at = search(src, from);
        *next = Next { searched: true, from, at };
        at
    }
}

/// The next `'` at or after `from` that can close a quote: after a non-space, before a
/// non-letter.
fn single_closer(src: &str, from: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut p = from;
    loop {
        let at = p + src.get(p..)?.find('\'')?;
        let after_text = at > 0 && !bytes[at - 1].is_ascii_whitespace();
        let before_break = bytes.get(at + 1).is_none_or(|b| !b.is_ascii_alphanumeric());
        if after_text && before_break {
            return Some(at);
        }
        p = at + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> Option<&str> {
        let i = s.find(['"', '\'', '“', '‘', '«', '„', '「', '『'])?;
        Finder::default().at(s, i).map(|end| &s[i..end])
    }

    #[test]
    fn recognises_quote_styles() {
        assert_eq!(quoted(r#"said "hi there" ok"#), Some(r#""hi there""#));
        assert_eq!(quoted("said 'I can't log in' ok"), Some("'I can't log in'"));
        assert_eq!(quoted("said “hi” ok"), Some("“hi”"));
        assert_eq!(quoted("sagte „hallo“ ok"), Some("„hallo“"));
        assert_eq!(quoted("说「你好」吧"), Some("「你好」"));
        assert_eq!(quoted(r#"text: """a "b" c""" end"#), Some(r#""""a "b" c""""#));
    }

    #[test]
    fn apostrophes_are_not_quotes() {
        assert_eq!(quoted("don't do it, it's late"), None);
        assert_eq!(quoted("O'Brien's car"), None);
        assert_eq!(quoted("the 'open quote never closes"), None);
    }

    #[test]
    fn unclosed_or_too_long_quotes_are_text() {
        assert_eq!(quoted(r#"a " b"#), None);
        let long = format!("\"{}\"", "x".repeat(MAX_QUOTE));
        assert_eq!(quoted(&long), None);
    }

    #[test]
    fn many_unclosed_openers_stay_linear() {
        let s = "“a ".repeat(200_000);
        let mut f = Finder::default();
        let mut i = 0;
        let mut quotes = 0;
        while i < s.len() {
            if f.at(&s, i).is_some() {
                quotes += 1;
            }
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
        assert_eq!(quotes, 0);
    }
}
