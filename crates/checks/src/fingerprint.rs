//! Prompt fingerprints: a short hash of what shapes a model's answer (system prompt, model,
//! parameters), stored with each run so a comparison of two runs can say "the prompt changed".

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Hex characters kept from the SHA-256: 64 bits are plenty to tell a case's prompt versions
/// apart, and short enough to show in a table.
const FINGERPRINT_HEX_CHARS: usize = 16;

/// A stable 16-hex-character fingerprint of a system prompt, model and parameters (temperature,
/// max_tokens, tools...).
///
/// Differences that do not change what the model is sent are ignored: whitespace runs in the system
/// prompt (re-indenting a template), the order of keys in `params`, `1` versus `1.0`, and `null`
/// versus `{}` params. The hash is over a canonical JSON document, so it does not depend on how
/// serde_json orders maps in a given build.
pub fn prompt_fingerprint(system_prompt: &str, model: &str, params: &Value) -> String {
    let params = if params.is_null() { json!({}) } else { params.clone() };
    let document = json!({
        "model": model.trim(),
        "params": params,
        "system_prompt": system_prompt.split_whitespace().collect::<Vec<_>>().join(" "),
    });
    let mut canonical = String::new();
    write_canonical(&document, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    hex::encode(digest)[..FINGERPRINT_HEX_CHARS].to_string()
}

/// Compact JSON with object keys sorted and integral floats written as integers.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (n, (key, value)) in entries.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Number(n) => match n.as_f64() {
            // 2^53: beyond it floats no longer hold every integer exactly.
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => out.push_str(&format!("{}", f as i64)),
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_short_lowercase_hex_and_known() {
        let f = prompt_fingerprint("You are helpful.", "gpt-4o", &json!({"temperature": 0.2}));
        assert_eq!(f.len(), 16);
        assert!(f.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{f}");
        // Pinned: sha256 of {"model":"gpt-4o","params":{"temperature":0.2},"system_prompt":"You are helpful."}
        let mut canonical = String::new();
        write_canonical(&json!({"system_prompt": "You are helpful.", "params": {"temperature": 0.2}, "model": "gpt-4o"}), &mut canonical);
        assert_eq!(canonical, r#"{"model":"gpt-4o","params":{"temperature":0.2},"system_prompt":"You are helpful."}"#);
        assert_eq!(f, hex::encode(Sha256::digest(canonical.as_bytes()))[..16]);
    }

    #[test]
    fn stable_under_key_order_whitespace_and_number_form() {
        let a = prompt_fingerprint(
            "You are\n  a helpful   agent. ",
            "gpt-4o",
            &json!({"temperature": 1, "tools": [{"name": "s", "type": "f"}]}),
        );
        let b =
            prompt_fingerprint(" You are a helpful agent.", " gpt-4o", &json!({"tools": [{"type": "f", "name": "s"}], "temperature": 1.0}));
        assert_eq!(a, b);
        assert_eq!(prompt_fingerprint("p", "m", &Value::Null), prompt_fingerprint("p", "m", &json!({})));
    }

    #[test]
    fn changes_when_anything_that_matters_changes() {
        let base = prompt_fingerprint("You are a helpful agent.", "gpt-4o", &json!({"temperature": 0.2}));
        assert_ne!(base, prompt_fingerprint("You are a terse agent.", "gpt-4o", &json!({"temperature": 0.2})));
        assert_ne!(base, prompt_fingerprint("You are a helpful agent.", "gpt-4o-mini", &json!({"temperature": 0.2})));
        assert_ne!(base, prompt_fingerprint("You are a helpful agent.", "gpt-4o", &json!({"temperature": 0.3})));
        assert_ne!(base, prompt_fingerprint("You are a helpful agent.", "gpt-4o", &json!({"temperature": 0.2, "max_tokens": 10})));
        // Array order is meaningful (tools are offered in order).
        let t1 = prompt_fingerprint("p", "m", &json!({"tools": ["a", "b"]}));
        assert_ne!(t1, prompt_fingerprint("p", "m", &json!({"tools": ["b", "a"]})));
    }

    #[test]
    fn canonical_numbers_and_escapes() {
        let mut out = String::new();
        write_canonical(&json!({"b": [1.5, 2.0, -3, 1e300], "a": "quote\"é\n", "c": null, "d": true}), &mut out);
        assert_eq!(out, "{\"a\":\"quote\\\"é\\n\",\"b\":[1.5,2,-3,1e+300],\"c\":null,\"d\":true}");
    }
}
