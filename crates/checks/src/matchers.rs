//! Deterministic output matchers: exact, contains, regex, JSON schema.
//!
//! Each returns `Ok(())` on a match and `Err(reason)` otherwise, the reason written for the person
//! reading the run ("expected the output to contain “refund” but it did not"). Regexes and schemas
//! come from users and run on the worker, so their size and the text they scan are bounded.

use jsonschema::{PatternOptions, ValidationError, Validator};
use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// Longest regular expression a step may hold.
pub const MAX_PATTERN_BYTES: usize = 2 * 1024;
/// Largest output the regex and JSON-schema matchers will scan.
pub const MAX_HAYSTACK_BYTES: usize = 1024 * 1024;
/// Largest JSON schema (serialised) a step may hold.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;
/// Compiled-program and lazy-DFA caps: a short pattern such as `\w{1000}{1000}` can still expand
/// into a huge automaton, and these turn that into a clear error instead of memory exhaustion.
const REGEX_SIZE_LIMIT: usize = 1024 * 1024;
const REGEX_DFA_SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// Schema violations listed in a verdict; more would drown the first, most useful ones.
const MAX_SCHEMA_ERRORS: usize = 5;
/// Quoted snippets in reasons are cut to this many characters.
const SNIPPET_CHARS: usize = 60;

/// The output equals `expected`, ignoring leading and trailing whitespace (models and apps often
/// add a trailing newline that nobody means). On a mismatch the reason says where it first differs.
pub fn match_exact(expected: &str, output: &str) -> Result<(), String> {
    let (expected, output) = (expected.trim(), output.trim());
    if expected == output {
        return Ok(());
    }
    if output.is_empty() {
        return Err(format!("expected the output to be exactly {} but it was empty", quote(expected)));
    }
    if expected.is_empty() {
        return Err(format!("expected the output to be empty but it was {}", quote(output)));
    }
    // Position of the first differing character (counted in characters, not bytes).
    let (chars_same, byte_at) = expected
        .char_indices()
        .zip(output.chars())
        .enumerate()
        .find(|(_, ((_, e), o))| e != o)
        .map(|(n, ((b, _), _))| (n, b))
        .unwrap_or_else(|| {
            let n = expected.chars().count().min(output.chars().count());
            (n, expected.char_indices().nth(n).map_or(expected.len(), |(b, _)| b))
        });
    let out_byte_at = output.char_indices().nth(chars_same).map_or(output.len(), |(b, _)| b);
    let (line, column) = line_and_column(expected, byte_at);
    let at = format!("character {} (line {line}, column {column})", chars_same + 1);
    let (rest_expected, rest_output) = (&expected[byte_at..], &output[out_byte_at..]);
    Err(if rest_expected.is_empty() {
        format!("the output matches the expected text but then goes on at {at} with {}", quote(rest_output))
    } else if rest_output.is_empty() {
        format!("the output stops at {at}; expected it to go on with {}", quote(rest_expected))
    } else {
        format!("the output differs from the expected text at {at}: expected {} but found {}", quote(rest_expected), quote(rest_output))
    })
}

/// The output contains `expected` (case-sensitive, exact characters).
pub fn match_contains(expected: &str, output: &str) -> Result<(), String> {
    if output.contains(expected) {
        Ok(())
    } else {
        Err(format!("expected the output to contain {} but it did not", quote(expected)))
    }
}

/// Compiles a user's regular expression with size limits.
///
/// The `regex` crate guarantees matching in time linear in the input (no backtracking), so a
/// pattern like `(a+)+$` cannot hang the worker; what is left to bound is the pattern, its
/// compiled size and the text scanned, which is what the limits here do.
pub fn compile_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "the regular expression is {}, longer than the {} allowed",
            human_bytes(pattern.len()),
            human_bytes(MAX_PATTERN_BYTES)
        ));
    }
    RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).dfa_size_limit(REGEX_DFA_SIZE_LIMIT).build().map_err(|e| match e {
        regex::Error::CompiledTooBig(_) => {
            format!("the regular expression is too complex: compiled it would exceed {}", human_bytes(REGEX_SIZE_LIMIT))
        }
        regex::Error::Syntax(text) => format!("the regular expression is not valid: {}", syntax_error_summary(&text)),
        other => format!("the regular expression is not valid: {other}"),
    })
}

/// The output matches the regular expression somewhere (unanchored: use `^…$` for the whole text).
pub fn match_regex(pattern: &str, output: &str) -> Result<(), String> {
    let regex = compile_regex(pattern)?;
    check_haystack(output, "regular expression")?;
    if regex.is_match(output) {
        Ok(())
    } else {
        Err(format!("expected the output to match the regular expression {} but it did not", quote(pattern)))
    }
}

/// Compiles a user's JSON schema: bounded size, no remote or file `$ref` resolution, and the
/// linear-time `regex` engine for `pattern` keywords (the library's default, `fancy-regex`,
/// backtracks and could be made to spin).
pub fn compile_schema(schema: &Value) -> Result<Validator, String> {
    if !(schema.is_object() || schema.is_boolean()) {
        return Err("the JSON schema must be a JSON object (or true/false)".into());
    }
    let size = serde_json::to_string(schema).map_or(usize::MAX, |s| s.len());
    if size > MAX_SCHEMA_BYTES {
        return Err(format!("the JSON schema is {}, larger than the {} allowed", human_bytes(size), human_bytes(MAX_SCHEMA_BYTES)));
    }
    jsonschema::options()
        .offline()
        .with_pattern_options(PatternOptions::regex().size_limit(REGEX_SIZE_LIMIT).dfa_size_limit(REGEX_DFA_SIZE_LIMIT))
        .build(schema)
        .map_err(|e| format!("the JSON schema is not valid: {}", describe(&e)))
}

/// The output is JSON (exactly: no code fences or prose around it, since the application that
/// consumes it would not accept those either) and validates against the schema. Up to five
/// violations are listed, each with where in the output it is.
pub fn match_json_schema(schema: &Value, output: &str) -> Result<(), String> {
    let validator = compile_schema(schema)?;
    check_haystack(output, "JSON schema")?;
    let instance: Value = serde_json::from_str(output.trim()).map_err(|e| {
        if output.trim().is_empty() {
            "expected the output to be JSON but it was empty".to_string()
        } else {
            format!("expected the output to be JSON but it is not ({e})")
        }
    })?;
    let mut problems: Vec<String> = validator.iter_errors(&instance).take(MAX_SCHEMA_ERRORS + 1).map(|e| describe(&e)).collect();
    if problems.is_empty() {
        return Ok(());
    }
    let more = problems.len() > MAX_SCHEMA_ERRORS;
    problems.truncate(MAX_SCHEMA_ERRORS);
    Err(format!(
        "the output does not match the JSON schema: {}{}",
        problems.join("; "),
        if more { "; and more problems not shown" } else { "" }
    ))
}

/// "at /items/0: \"x\" is not of type \"integer\"". A message quoting a long value is redone with
/// the value masked, so the part that says what is wrong is not cut off.
fn describe(error: &ValidationError) -> String {
    let path = error.instance_path().as_str();
    let place = if path.is_empty() { "at the top level".to_string() } else { format!("at {path}") };
    let mut message = error.to_string();
    if message.chars().count() > 200 {
        message = error.masked_with("the value").to_string();
    }
    format!("{place}: {}", cut(&message, 200))
}

fn check_haystack(output: &str, check: &str) -> Result<(), String> {
    if output.len() > MAX_HAYSTACK_BYTES {
        return Err(format!(
            "the output is {}, larger than the {} the {check} check accepts",
            human_bytes(output.len()),
            human_bytes(MAX_HAYSTACK_BYTES)
        ));
    }
    Ok(())
}

/// `regex` syntax errors are a multi-line caret diagram; the last `error:` line is what a person needs.
fn syntax_error_summary(text: &str) -> String {
    text.lines().rev().find_map(|l| l.trim().strip_prefix("error:")).map_or_else(|| text.trim().to_string(), |s| s.trim().to_string())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, byte_at: usize) -> (usize, usize) {
    let before = &text[..byte_at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Text in curly quotes, cut to a readable length.
pub(crate) fn quote(text: &str) -> String {
    format!("“{}”", cut(text, SNIPPET_CHARS))
}

/// The first `max` characters of `text`, with "…" when something was cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((b, _)) => format!("{}…", &text[..b]),
        None => text.to_string(),
    }
}

pub(crate) fn human_bytes(n: usize) -> String {
    const KB: usize = 1024;
    if n >= KB * KB {
        format!("{:.1} MB", n as f64 / (KB * KB) as f64)
    } else if n >= KB {
        format!("{:.1} KB", n as f64 / KB as f64)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    #[test]
    fn exact_ignores_surrounding_whitespace() {
        assert_eq!(match_exact("Hello", "  Hello\n"), Ok(()));
        assert_eq!(match_exact("", "   "), Ok(()));
    }

    #[test]
    fn exact_says_where_it_differs() {
        let err = match_exact("refund within 30 days", "refund within 14 days").unwrap_err();
        assert_eq!(
            err,
            "the output differs from the expected text at character 15 (line 1, column 15): expected “30 days” but found “14 days”"
        );
    }

    #[test]
    fn exact_reports_line_and_column_across_lines_and_unicode() {
        let err = match_exact("héllo\nwörld", "héllo\nwörlD").unwrap_err();
        assert!(err.contains("character 11 (line 2, column 5)"), "{err}");
        assert!(err.contains("expected “d” but found “D”"), "{err}");
    }

    #[test]
    fn exact_prefix_cases() {
        assert_eq!(
            match_exact("abc", "abcdef").unwrap_err(),
            "the output matches the expected text but then goes on at character 4 (line 1, column 4) with “def”"
        );
        assert_eq!(
            match_exact("abcdef", "abc").unwrap_err(),
            "the output stops at character 4 (line 1, column 4); expected it to go on with “def”"
        );
        assert_eq!(match_exact("abc", "").unwrap_err(), "expected the output to be exactly “abc” but it was empty");
        assert_eq!(match_exact("", "x").unwrap_err(), "expected the output to be empty but it was “x”");
    }

    #[test]
    fn exact_cuts_long_snippets() {
        let err = match_exact(&"a".repeat(500), &"b".repeat(500)).unwrap_err();
        assert!(err.contains(&format!("“{}…”", "a".repeat(SNIPPET_CHARS))), "{err}");
        assert!(err.len() < 300, "{}", err.len());
    }

    #[test]
    fn contains_matches_and_explains() {
        assert_eq!(match_contains("refund", "You get a refund."), Ok(()));
        assert_eq!(match_contains("日本", "東京は日本の首都"), Ok(()));
        assert_eq!(match_contains("Refund", "You get a refund.").unwrap_err(), "expected the output to contain “Refund” but it did not");
        assert_eq!(match_contains("", ""), Ok(()));
    }

    #[test]
    fn regex_matches_unicode_and_explains() {
        assert_eq!(match_regex(r"^\d{3}-\d{4}$", "555-1234"), Ok(()));
        assert_eq!(match_regex(r"\p{Greek}+", "alpha is α"), Ok(()));
        assert_eq!(match_regex("^no$", "yes").unwrap_err(), "expected the output to match the regular expression “^no$” but it did not");
    }

    #[test]
    fn invalid_regex_gives_short_message() {
        assert_eq!(compile_regex("(ab").unwrap_err(), "the regular expression is not valid: unclosed group");
        assert!(compile_regex("a{2,1}").unwrap_err().starts_with("the regular expression is not valid: "));
    }

    #[test]
    fn oversized_regex_inputs_are_rejected() {
        assert_eq!(compile_regex(&"a".repeat(3000)).unwrap_err(), "the regular expression is 2.9 KB, longer than the 2.0 KB allowed");
        let err = compile_regex(r"\w{1000}{1000}").unwrap_err();
        assert_eq!(err, "the regular expression is too complex: compiled it would exceed 1.0 MB");
        let err = match_regex("a", &"a".repeat(MAX_HAYSTACK_BYTES + 1)).unwrap_err();
        assert_eq!(err, "the output is 1.0 MB, larger than the 1.0 MB the regular expression check accepts");
    }

    #[test]
    fn evil_pattern_finishes_fast() {
        // Catastrophic for backtracking engines; the `regex` crate is linear-time.
        let haystack = format!("{}b", "a".repeat(100_000));
        let start = Instant::now();
        // No run of a's reaches the end (the text ends in "b"), so this must not match.
        let err = match_regex("(a+)+$", &haystack).unwrap_err();
        assert_eq!(err, "expected the output to match the regular expression “(a+)+$” but it did not");
        assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
        let start = Instant::now();
        assert!(match_regex("^(a+)+$", &haystack).is_err());
        assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    }

    #[test]
    fn json_schema_accepts_valid_output() {
        let schema = json!({"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}});
        assert_eq!(match_json_schema(&schema, r#" {"answer": "42", "extra": 1} "#), Ok(()));
    }

    #[test]
    fn json_schema_lists_violations() {
        let schema = json!({"type": "object", "required": ["answer"], "properties": {"n": {"type": "integer"}}});
        let err = match_json_schema(&schema, r#"{"n": "x"}"#).unwrap_err();
        assert!(err.starts_with("the output does not match the JSON schema: "), "{err}");
        assert!(err.contains("at /n: \"x\" is not of type \"integer\""), "{err}");
        assert!(err.contains("at the top level: \"answer\" is a required property"), "{err}");
    }

    #[test]
    fn json_schema_masks_long_values() {
        let schema = json!({"properties": {"n": {"type": "integer"}}});
        let err = match_json_schema(&schema, &format!(r#"{{"n": "{}"}}"#, "x".repeat(1000))).unwrap_err();
        assert_eq!(err, "the output does not match the JSON schema: at /n: the value is not of type \"integer\"");
    }

    #[test]
    fn json_schema_caps_listed_violations_at_five() {
        let schema = json!({"type": "array", "items": {"type": "integer"}});
        let err = match_json_schema(&schema, r#"["a","b","c","d","e","f","g"]"#).unwrap_err();
        assert_eq!(err.matches("is not of type").count(), 5, "{err}");
        assert!(err.ends_with("; and more problems not shown"), "{err}");
    }

    #[test]
    fn json_schema_non_json_output() {
        let schema = json!({"type": "object"});
        let err = match_json_schema(&schema, "Sure! {\"a\": 1}").unwrap_err();
        assert!(err.starts_with("expected the output to be JSON but it is not (expected value at line 1 column 1"), "{err}");
        assert_eq!(match_json_schema(&schema, "  ").unwrap_err(), "expected the output to be JSON but it was empty");
    }

    #[test]
    fn invalid_schemas_are_rejected() {
        assert_eq!(
            compile_schema(&json!({"type": "strnig"})).unwrap_err(),
            "the JSON schema is not valid: at /type: \"strnig\" is not valid under any of the schemas listed in the 'anyOf' keyword"
        );
        assert_eq!(compile_schema(&json!([1])).unwrap_err(), "the JSON schema must be a JSON object (or true/false)");
        let huge = json!({"description": "x".repeat(MAX_SCHEMA_BYTES)});
        assert!(compile_schema(&huge).unwrap_err().contains("larger than the 64.0 KB allowed"));
        assert!(compile_schema(&json!({"type": "string", "pattern": "(ab"})).is_err());
    }

    #[test]
    fn remote_refs_are_never_fetched() {
        let err = compile_schema(&json!({"$ref": "https://example.com/schema.json"})).unwrap_err();
        assert!(err.starts_with("the JSON schema is not valid: "), "{err}");
        assert!(compile_schema(&json!({"$ref": "file:///etc/passwd"})).is_err());
    }

    #[test]
    fn schema_patterns_use_the_linear_engine() {
        let schema = json!({"type": "string", "pattern": "^(a+)+$"});
        let output = serde_json::to_string(&format!("{}b", "a".repeat(100_000))).unwrap();
        let start = Instant::now();
        assert!(match_json_schema(&schema, &output).is_err());
        assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(
            (human_bytes(10), human_bytes(2048), human_bytes(3 * 1024 * 1024)),
            ("10 bytes".into(), "2.0 KB".into(), "3.0 MB".into())
        );
    }
}
