//! Tokenisation for BM25.
//!
//! - Text is NFKC-normalised when it is not ASCII (full-width `Ｉｎｖｏｉｃｅ` and half-width
//!   katakana fold to their ordinary forms), then cut into words with Unicode word segmentation
//!   (UAX #29, `unicode-segmentation`) and lower-cased.
//! - Identifiers are split: `getUserById` → `get`, `user`, `by`, `id` plus the whole
//!   `getuserbyid`; `user_id` → `user`, `id`, `user_id`; `public.users` → `public`, `users`,
//!   `public.users`; `HTTPServer` → `http`, `server`. Paths fall apart on `/` anyway.
//! - Han, Hiragana, Katakana and Hangul runs become overlapping character bigrams
//!   (`取消订单` → `取消`, `消订`, `订单`); a run of one character becomes that unigram. No
//!   dictionary is needed and Chinese/Japanese/Korean queries match their documents.
//! - [`analyze`] (what the index and queries use) then drops a short English stop-word list and
//!   applies a *light English stemmer* of our own ([`stem`]): plurals (`invoices` → `invoice`,
//!   `categories` → `category`, `addresses` → `address`; `status`, `class`, `analysis` kept),
//!   `-ed` / `-ing` with conditions (`archived`, `shipping`), and a final `e` (`archive` and
//!   `archived` both → `archiv`). Not Porter: no derivational suffixes (`-ation`, `-ment`), and
//!   British doubled `l` stays (`cancelled` ≠ `cancel`). Terms in hits are these stems.
//! - Tokens longer than [`MAX_TOKEN_CHARS`] are dropped (base64 blobs, hashes in examples).

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Longer tokens are dropped (their parts are still kept when they split).
pub const MAX_TOKEN_CHARS: usize = 48;

/// Whether `c` belongs to a script written without spaces between words (or, for Hangul, one
/// whose words carry particles): these runs are bigrammed.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3007 // 々 〇
        | 0x3040..=0x309F // Hiragana
        | 0x30A0..=0x30FF // Katakana (with ー)
        | 0x31F0..=0x31FF // Katakana phonetic extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0x1100..=0x11FF // Hangul Jamo
        | 0x3130..=0x318F // Hangul compatibility Jamo
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0x20000..=0x2FA1F // ideograph extensions B..
    )
}

/// Calls `f` with every raw token of `text` (lower-cased, identifiers split, CJK bigrammed;
/// no stop words removed, no stemming), in text order.
pub fn for_each_token(text: &str, mut f: impl FnMut(&str)) {
    if text.is_ascii() {
        for_each_in_normalised(text, &mut f);
    } else {
        let normalised: String = text.nfkc().collect();
        for_each_in_normalised(&normalised, &mut f);
    }
}

fn for_each_in_normalised(text: &str, f: &mut impl FnMut(&str)) {
    // Alternate between non-CJK stretches (UAX #29 words) and CJK runs (bigrams).
    let mut rest = text;
    let mut buf = String::new();
    while !rest.is_empty() {
        let cjk_start = rest.char_indices().find(|&(_, c)| is_cjk(c)).map(|(i, _)| i).unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(cjk_start);
        for word in plain.unicode_words() {
            word_tokens(word, &mut buf, f);
        }
        hyphen_compounds(plain, &mut buf, f);
        if tail.is_empty() {
            break;
        }
        let run_end = tail.char_indices().find(|&(_, c)| !is_cjk(c)).map(|(i, _)| i).unwrap_or(tail.len());
        let (run, after) = tail.split_at(run_end);
        cjk_tokens(run, &mut buf, f);
        rest = after;
    }
}

fn cjk_tokens(run: &str, buf: &mut String, f: &mut impl FnMut(&str)) {
    let mut prev: Option<usize> = None;
    for (i, c) in run.char_indices() {
        if let Some(j) = prev {
            buf.clear();
            buf.extend(run[j..i + c.len_utf8()].chars().flat_map(char::to_lowercase));
            f(buf);
        }
        prev = Some(i);
    }
    if run.chars().nth(1).is_none() {
        buf.clear();
        buf.extend(run.chars().flat_map(char::to_lowercase));
        f(buf);
    }
}

/// Splits one UAX #29 word into its parts (separators, camelCase humps) and emits the parts,
/// then the whole when there was more than one part.
fn word_tokens(word: &str, buf: &mut String, f: &mut impl FnMut(&str)) {
    let chars: Vec<char> = word.chars().collect();
    let mut parts = 0usize;
    let mut start: Option<usize> = None;
    let emit = |from: usize, to: usize, buf: &mut String, f: &mut dyn FnMut(&str)| {
        if to - from > MAX_TOKEN_CHARS {
            return;
        }
        buf.clear();
        buf.extend(chars[from..to].iter().flat_map(|c| c.to_lowercase()));
        f(buf);
    };
    for i in 0..chars.len() {
        let c = chars[i];
        if !c.is_alphanumeric() {
            if let Some(s) = start.take() {
                emit(s, i, buf, f);
                parts += 1;
            }
            continue;
        }
        if let Some(s) = start {
            let prev = chars[i - 1];
            let hump = c.is_uppercase()
                && (prev.is_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_lowercase())));
            if hump {
                emit(s, i, buf, f);
                parts += 1;
                start = Some(i);
            }
        } else {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        if parts == 0 && s == 0 {
            // The whole word is one part.
            emit(0, chars.len(), buf, f);
            return;
        }
        emit(s, chars.len(), buf, f);
        parts += 1;
    }
    if parts > 1 && chars.len() <= MAX_TOKEN_CHARS {
        // The whole, normalised: parts joined by `_` (`getUserById` → `get_user_by_id`,
        // `public.users` → `public_users`), so every spelling of one identifier is one term.
        buf.clear();
        let mut prev: Option<char> = None;
        for (i, &c) in chars.iter().enumerate() {
            if !c.is_alphanumeric() {
                if prev.is_some_and(|p| p != '_') {
                    buf.push('_');
                    prev = Some('_');
                }
                continue;
            }
            if let Some(p) = prev {
                let hump = c.is_uppercase()
                    && (p.is_lowercase() || p.is_ascii_digit() || (p.is_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_lowercase())));
                if hump {
                    buf.push('_');
                }
            }
            buf.extend(c.to_lowercase());
            prev = Some(c);
        }
        while buf.ends_with('_') {
            buf.pop();
        }
        f(buf);
        // `public.invoice_line_items` also names `invoice_line_items`.
        if word.contains('.') {
            for seg in word.split('.') {
                if seg.contains('_') && !seg.starts_with('_') && !seg.ends_with('_') && seg.chars().count() < chars.len() {
                    buf.clear();
                    buf.extend(seg.chars().flat_map(char::to_lowercase));
                    f(buf);
                }
            }
        }
    }
}

/// Emits `invoice_line_items` for a hyphenated run such as the path segment
/// `invoice-line-items`: UAX #29 splits at hyphens, but a hyphenated name is an identifier too.
fn hyphen_compounds(text: &str, buf: &mut String, f: &mut impl FnMut(&str)) {
    if !text.contains('-') {
        return;
    }
    let is_part = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_alphanumeric()) {
        let run_len = rest[start..].find(|c: char| !is_part(c)).unwrap_or(rest.len() - start);
        let run = rest[start..start + run_len].trim_end_matches(['-', '_']);
        if run.contains('-') && !run.contains("--") && run.chars().count() <= MAX_TOKEN_CHARS {
            buf.clear();
            buf.extend(run.chars().flat_map(char::to_lowercase).map(|c| if c == '-' { '_' } else { c }));
            f(buf);
        }
        rest = &rest[start + run_len.max(1)..];
    }
}

/// Query-side phrases: every two and three consecutive plain words of `text` joined as an
/// identifier (`invoice line items` → `invoice_line`, `line_items`, `invoice_line_items`), so
/// a query naming a table or path in words matches the entry whose name is exactly that.
pub fn query_phrases(text: &str, mut f: impl FnMut(&str)) {
    let words: Vec<String> =
        text.unicode_words().filter(|w| w.chars().all(|c| c.is_alphanumeric() && !is_cjk(c))).map(str::to_lowercase).collect();
    let mut buf = String::new();
    for n in 2..=3 {
        for w in words.windows(n) {
            if is_stop_word(&w[0]) || is_stop_word(&w[n - 1]) || w.windows(2).any(|p| stem(&p[0]) == stem(&p[1])) {
                continue;
            }
            buf.clear();
            buf.push_str(&w.join("_"));
            if buf.chars().count() <= MAX_TOKEN_CHARS {
                f(&stem(&buf));
            }
        }
    }
}

/// The raw tokens of `text` (see [`for_each_token`]).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t.to_owned()));
    out
}

const STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for", "from", "how", "i", "if", "in",
    "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "should", "so", "that", "the", "their", "then", "there", "this", "to",
    "us", "was", "we", "what", "when", "where", "which", "who", "whose", "why", "will", "with", "would", "you", "your",
];

pub fn is_stop_word(t: &str) -> bool {
    STOP_WORDS.binary_search(&t).is_ok()
}

/// Light English stemming of ASCII words (and identifiers) of four letters or more; see the
/// module docs. Plurals (`invoices` → `invoice`, `categories` → `category`, `addresses` →
/// `address`), then `-ed` / `-ing` when a stem of four letters or more with a vowel remains
/// (`archived` → `archiv`, `shipping` → `ship`), then a final `e` when four letters remain
/// (`archive` → `archiv`, `create` → `creat`). Not a full Porter stemmer: `cancelled` stays
/// `cancell`.
pub fn stem(t: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if t.len() < 4 || !t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.') {
        return Cow::Borrowed(t);
    }
    let mut s = plural(t).into_owned();
    let vowel = |x: &str| x.bytes().any(|b| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'));
    let last_word_start = s.rfind(['_', '.']).map(|i| i + 1).unwrap_or(0);
    if s.ends_with("ied") && s.len() - last_word_start > 4 {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if let Some(st) = s.strip_suffix("ed").filter(|st| !st.ends_with('e')).or_else(|| s.strip_suffix("ing")) {
        if st.len() - last_word_start.min(st.len()) >= 4 && vowel(&st[last_word_start.min(st.len())..]) {
            let mut st = st.to_owned();
            let b = st.as_bytes();
            let n = b.len();
            if n >= 4
                && b[n - 1] == b[n - 2]
                && !matches!(b[n - 1], b'l' | b's' | b'z' | b'a' | b'e' | b'i' | b'o' | b'u')
                && b[n - 1].is_ascii_lowercase()
            {
                st.pop();
            }
            s = st;
        }
    }
    if s.ends_with('e') && !s.ends_with("ee") && s.len() - last_word_start > 4 {
        s.pop();
    }
    if s == t {
        Cow::Borrowed(t)
    } else {
        Cow::Owned(s)
    }
}

fn plural(t: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let n = t.len();
    if !t.ends_with('s') {
        return Cow::Borrowed(t);
    }
    if t.ends_with("ies") && !t.ends_with("eies") && !t.ends_with("aies") && n > 4 {
        return Cow::Owned(format!("{}y", &t[..n - 3]));
    }
    for suffix in ["sses", "xes", "ches", "shes", "zzes"] {
        if t.ends_with(suffix) {
            return Cow::Borrowed(&t[..n - 2]);
        }
    }
    if t.ends_with("uses") && n > 5 {
        // statuses → status, but "uses" → "us" is fine too.
        return Cow::Borrowed(&t[..n - 2]);
    }
    if t.ends_with("ss") || t.ends_with("us") || t.ends_with("is") {
        return Cow::Borrowed(t);
    }
    Cow::Borrowed(&t[..n - 1])
}

/// What the index stores and queries look up: raw tokens without stop words, stemmed.
pub fn analyze(text: &str, mut f: impl FnMut(&str)) {
    for_each_token(text, |t| {
        if !is_stop_word(t) {
            f(&stem(t));
        }
    });
}

/// [`analyze`] into a vector.
pub fn analyze_to_vec(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyze(text, |t| out.push(t.to_owned()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        tokenize(s)
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn words_are_lower_cased_and_identifiers_split() {
        assert_eq!(toks("getUserById"), ["get", "user", "by", "id", "get_user_by_id"]);
        assert_eq!(toks("user_id"), ["user", "id", "user_id"]);
        assert_eq!(toks("public.users"), ["public", "users", "public_users"]);
        assert_eq!(toks("public.line_items"), ["public", "line", "items", "public_line_items", "line_items"]);
        assert_eq!(toks("HTTPServer"), ["http", "server", "http_server"]);
        assert_eq!(toks("/invoice-line-items/{id}"), ["invoice", "line", "items", "id", "invoice_line_items"]);
        assert_eq!(toks("a time-off request, x-"), ["a", "time", "off", "request", "x", "time_off"]);
        assert_eq!(toks("GET /users/{id}"), ["get", "users", "id"]);
        assert_eq!(toks("Hello, World! 404"), ["hello", "world", "404"]);
        assert_eq!(toks("oauth2Token"), ["oauth2", "token", "oauth2_token"]);
    }

    #[test]
    fn punctuation_and_empty_give_nothing() {
        assert!(toks("").is_empty());
        assert!(toks("  ,.;:!?/{}[]()-—…「」。、").is_empty());
    }

    #[test]
    fn long_tokens_are_dropped() {
        let blob = "a".repeat(MAX_TOKEN_CHARS + 1);
        assert!(toks(&blob).is_empty());
        assert_eq!(toks(&format!("{blob} ok")), ["ok"]);
    }

    #[test]
    fn chinese_becomes_bigrams() {
        assert_eq!(toks("取消订单"), ["取消", "消订", "订单"]);
        assert_eq!(toks("如何取消订单？"), ["如何", "何取", "取消", "消订", "订单"]);
        // A single character between punctuation is a unigram.
        assert_eq!(toks("表。"), ["表"]);
        // Mixed scripts: Latin words stay words.
        assert_eq!(toks("订单API接口"), ["订单", "api", "接口"]);
    }

    #[test]
    fn japanese_runs_bigram_across_kana_and_kanji() {
        assert_eq!(toks("請求書を発行"), ["請求", "求書", "書を", "を発", "発行"]);
        assert_eq!(toks("ユーザー"), ["ユー", "ーザ", "ザー"]);
        // Half-width katakana folds (NFKC) to full width.
        assert_eq!(toks("ﾕｰｻﾞｰ"), toks("ユーザー"));
    }

    #[test]
    fn korean_words_bigram() {
        assert_eq!(toks("구독 취소"), ["구독", "취소"]);
        assert_eq!(toks("구독을 취소하는"), ["구독", "독을", "취소", "소하", "하는"]);
    }

    #[test]
    fn full_width_latin_folds() {
        assert_eq!(toks("Ｉｎｖｏｉｃｅ"), ["invoice"]);
    }

    #[test]
    fn analyze_drops_stop_words_and_stems() {
        assert_eq!(analyze_to_vec("How do I cancel the subscriptions?"), ["cancel", "subscription"]);
        assert_eq!(analyze_to_vec("invoice_line_items"), ["invoic", "line", "item", "invoice_line_item"]);
        for (w, s) in [
            ("categories", "category"),
            ("addresses", "address"),
            ("boxes", "box"),
            ("statuses", "status"),
            ("status", "status"),
            ("class", "class"),
            ("analysis", "analysis"),
            ("users", "user"),
            ("bus", "bus"),
            ("ids", "ids"),
            ("archived", "archiv"),
            ("archive", "archiv"),
            ("archives", "archiv"),
            ("shipping", "ship"),
            ("shipped", "ship"),
            ("ship", "ship"),
            ("billing", "bill"),
            ("created", "creat"),
            ("create", "creat"),
            ("copied", "copy"),
            ("string", "string"),
            ("need", "need"),
            ("agreed", "agreed"),
            ("employees", "employee"),
            ("line", "line"),
            ("settings", "set"),
            ("added", "added"),
            ("invoice_line_items", "invoice_line_item"),
            ("public.archived", "public.archiv"),
        ] {
            assert_eq!(stem(w), s, "{w}");
        }
    }

    #[test]
    fn query_phrases_join_neighbouring_words() {
        let mut v = Vec::new();
        query_phrases("which table stores invoice line items", |t| v.push(t.to_owned()));
        assert_eq!(
            v,
            ["table_stor", "stores_invoic", "invoice_line", "line_item", "table_stores_invoic", "stores_invoice_line", "invoice_line_item"]
        );
        let mut v = Vec::new();
        query_phrases("取消 订单 a", |t| v.push(t.to_owned()));
        assert!(v.is_empty());
    }

    #[test]
    fn huge_input_is_linear() {
        let text = "getUserById 订单 ".repeat(10_000);
        let t = std::time::Instant::now();
        let n = tokenize(&text).len();
        assert_eq!(n, 60_000);
        assert!(t.elapsed().as_secs() < 5);
    }
}
