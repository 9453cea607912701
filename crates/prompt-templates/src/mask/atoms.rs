//! ASCII words that carry values: URLs, emails, dates, UUIDs, numbers, hex and other ids.

use super::{dates, Placeholder};

/// At an ASCII letter or digit that starts a word: `Ok((type, end))` if a variable value
/// starts here, else `Err(end of the plain word)` so the caller can skip it. Look-ahead is
/// bounded by the word itself (dates: a few words); a plain word costs one scan.
pub(super) fn variable_at(src: &str, i: usize) -> Result<(Placeholder, usize), usize> {
    let bytes = src.as_bytes();
    let first = bytes[i];
    if first.is_ascii_uppercase() || first.is_ascii_digit() {
        if let Some(end) = dates::named_at(bytes, i) {
            return Ok((Placeholder::Date, end));
        }
    }
    let atom = Atom::scan(bytes, i);
    let www = matches!(first, b'w' | b'W') && bytes.get(i..i + 4).is_some_and(|w| w.eq_ignore_ascii_case(b"www."));
    if atom.colon || www {
        if let Some(end) = url_end(bytes, i, www) {
            return Ok((Placeholder::Url, end));
        }
    }
    if !atom.digit && !atom.at {
        return Err(atom.word_end);
    }
    match classify(&bytes[i..atom.end]) {
        Some(Placeholder::Time) => Ok((Placeholder::Time, dates::am_pm_end(bytes, atom.end))),
        Some(p) => Ok((p, atom.end)),
        None => Err(atom.word_end),
    }
}

/// End of the plain word (letters, digits, `_`) starting at `i`.
pub(super) fn word_end(bytes: &[u8], i: usize) -> usize {
    i + bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count()
}

/// The run of word characters plus the separators values use (`-._@:/+%`, and `,` between
/// digits), without trailing separators, and what it contains.
struct Atom {
    end: usize,
    /// End of the leading letters, digits and `_`.
    word_end: usize,
    digit: bool,
    at: bool,
    colon: bool,
}

const WORD: u8 = 1;
const SEP: u8 = 2;
const DIGIT: u8 = 4;
const AT: u8 = 8;
const COLON: u8 = 16;

/// Byte classes for [`Atom::scan`]: one table load per byte instead of a chain of comparisons.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'0'..=b'9' => WORD | DIGIT,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => WORD,
            b'-' | b'.' | b'/' | b'+' | b'%' => SEP,
            b'@' => SEP | AT,
            b':' => SEP | COLON,
            _ => 0,
        };
        b += 1;
    }
    t
};

impl Atom {
    fn scan(bytes: &[u8], i: usize) -> Atom {
        let (mut flags, mut word_end, mut j) = (0u8, usize::MAX, i);
        while let Some(&b) = bytes.get(j) {
            let c = CLASS[usize::from(b)];
            if c == 0 {
                let digit_comma = b == b',' && j > i && bytes[j - 1].is_ascii_digit() && bytes.get(j + 1).is_some_and(u8::is_ascii_digit);
                if !digit_comma {
                    break;
                }
            }
            if c & WORD == 0 {
                word_end = word_end.min(j);
            }
            flags |= c;
            j += 1;
        }
        let word_end = word_end.min(j);
        while j > i + 1 && matches!(bytes[j - 1], b'.' | b':' | b'-' | b'/' | b'+' | b'@' | b'%' | b'_' | b',') {
            j -= 1;
        }
        Atom { end: j, word_end, digit: flags & DIGIT != 0, at: flags & AT != 0, colon: flags & COLON != 0 }
    }
}

/// `scheme://…` (or `www.…` if `www`), up to whitespace, a quote, a bracket or non-ASCII
/// text, without trailing sentence punctuation.
fn url_end(bytes: &[u8], i: usize, www: bool) -> Option<usize> {
    let scheme = bytes[i..].iter().take(17).take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')).count();
    let scheme_url = scheme <= 16 && bytes[i + scheme..].starts_with(b"://");
    if !(www || scheme_url) {
        return None;
    }
    let len = bytes[i..]
        .iter()
        .take_while(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`' | b')' | b']' | b'}'))
        .count();
    let trimmed = bytes[i..i + len].iter().rposition(|b| !matches!(b, b'.' | b',' | b';' | b':' | b'!' | b'?'))?;
    Some(i + trimmed + 1)
}

fn classify(a: &[u8]) -> Option<Placeholder> {
    if a.contains(&b'@') && is_email(a) {
        return Some(Placeholder::Email);
    }
    if !a.iter().any(u8::is_ascii_digit) {
        return None;
    }
    if let Some(p) = dates::numeric(a) {
        return Some(p);
    }
    if is_uuid(a) {
        return Some(Placeholder::Uuid);
    }
    if a.iter().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'-' | b'/' | b':')) || is_ordinal(a) {
        return Some(Placeholder::Num);
    }
    let hex = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_hexdigit);
    if (a.len() > 2 && (a.starts_with(b"0x") || a.starts_with(b"0X")) && hex(&a[2..])) || (a.len() >= 8 && hex(a)) {
        return Some(Placeholder::Hex);
    }
    Some(Placeholder::Id)
}

fn is_email(a: &[u8]) -> bool {
    let mut parts = a.splitn(2, |b| *b == b'@');
    let (Some(local), Some(domain)) = (parts.next(), parts.next()) else { return false };
    let local_ok = !local.is_empty() && local.iter().all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(b));
    let tld = domain.rsplit(|b| *b == b'.').next().unwrap_or_default();
    let domain_ok = domain.contains(&b'.')
        && domain.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic);
    local_ok && domain_ok
}

fn is_uuid(a: &[u8]) -> bool {
    a.len() == 36 && a.iter().enumerate().all(|(k, b)| if matches!(k, 8 | 13 | 18 | 23) { *b == b'-' } else { b.is_ascii_hexdigit() })
}

/// `1st`, `22nd`, `3rd`, `4th`.
fn is_ordinal(a: &[u8]) -> bool {
    let digits = a.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && a.len() == digits + 2 && dates::is_ordinal_suffix(&a[digits..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Option<Placeholder> {
        variable_at(s, 0).ok().filter(|(_, end)| *end == s.len()).map(|(p, _)| p)
    }

    #[test]
    fn classifies_values() {
        assert_eq!(kind("12345"), Some(Placeholder::Num));
        assert_eq!(kind("1,234.56"), Some(Placeholder::Num));
        assert_eq!(kind("21st"), Some(Placeholder::Num));
        assert_eq!(kind("555-123-4567"), Some(Placeholder::Num));
        assert_eq!(kind("550e8400-e29b-41d4-a716-446655440000"), Some(Placeholder::Uuid));
        assert_eq!(kind("0x1f"), Some(Placeholder::Hex));
        assert_eq!(kind("4bf92f3577b34da6"), Some(Placeholder::Hex));
        assert_eq!(kind("ORD-88123"), Some(Placeholder::Id));
        assert_eq!(kind("cus_8f2k1"), Some(Placeholder::Id));
        assert_eq!(kind("jane.doe+x@mail.example.com"), Some(Placeholder::Email));
        assert_eq!(kind("https://example.com/a?b=1"), Some(Placeholder::Url));
        assert_eq!(kind("www.example.org/path"), Some(Placeholder::Url));
        assert_eq!(kind("2024-05-01"), Some(Placeholder::Date));
        assert_eq!(kind("14:30"), Some(Placeholder::Time));
    }

    #[test]
    fn words_without_digits_stay_literal() {
        for w in ["hello", "deadbeef", "user@localhost", "e.g", "don"] {
            assert_eq!(kind(w), None, "{w}");
        }
    }

    #[test]
    fn trailing_punctuation_is_not_part_of_a_value() {
        assert_eq!(variable_at("42.", 0), Ok((Placeholder::Num, 2)));
        assert_eq!(variable_at("https://x.io/a).", 0), Ok((Placeholder::Url, 14)));
        assert_eq!(variable_at("plain-word, next", 0), Err(5));
    }
}
