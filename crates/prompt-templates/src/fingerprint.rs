//! A prompt fingerprint: what makes two LLM calls "the same call" for stability analysis.
//!
//! SHA-256 over a canonical JSON object (keys in this order, no spaces):
//!
//! ```text
//! {"max_tokens":1024|null,"model":"gpt-4o","temperature":"0.70"|null,"template":"<16 hex>","tools":[…]|null}
//! ```
//!
//! - model: trimmed, lower-cased;
//! - temperature: rounded to 2 decimals and written as text (`0.7` and `0.70000001` agree;
//!   `-0` is `0.00`; NaN/∞ are written as such rather than dropped);
//! - tools: every object's keys sorted, recursively; a list of tools sorted by tool name
//!   (`name`, or `function.name` in OpenAI's shape), then by canonical text; `null`, absent and
//!   `[]` are the same "no tools". Array order inside a tool (e.g. `required`) is kept: it can
//!   be meaningful.
//!
//! Tools are written by `domain::kb::release::canonical_json` (the knowledge base's content hash uses it
//! too) rather than by `serde_json::to_string`, whose map order depends on a crate feature
//! (`preserve_order`) some other crate in the build may enable.

use std::fmt::Write as _;

use domain::kb::release::canonical_json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::drain::TemplateId;

/// 64 lower-case hex digits of SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(template_id: TemplateId, model: &str, temperature: Option<f64>, max_tokens: Option<u64>, tools: Option<&Value>) -> Self {
        let canonical = canonical_input(template_id, model, temperature, max_tokens, tools);
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = Sha256::digest(canonical.as_bytes());
        let hex = digest.iter().flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]).map(char::from).collect();
        Fingerprint(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exact text that is hashed (public for debugging and for other implementations).
pub fn canonical_input(
    template_id: TemplateId,
    model: &str,
    temperature: Option<f64>,
    max_tokens: Option<u64>,
    tools: Option<&Value>,
) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("{\"max_tokens\":");
    match max_tokens {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"model\":");
    out.push_str(&json_string(&model.trim().to_lowercase()));
    out.push_str(",\"temperature\":");
    match temperature {
        Some(t) => out.push_str(&json_string(&temperature_text(t))),
        None => out.push_str("null"),
    }
    let _ = write!(out, ",\"template\":\"{template_id}\",\"tools\":");
    match tools.filter(|t| !t.is_null() && t.as_array().is_none_or(|a| !a.is_empty())) {
        Some(Value::Array(list)) => {
            let mut items: Vec<(&str, String)> = list.iter().map(|t| (tool_name(t), canonical_json(t))).collect();
            items.sort();
            out.push('[');
            for (i, (_, text)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(text);
            }
            out.push(']');
        }
        Some(other) => out.push_str(&canonical_json(other)),
        None => out.push_str("null"),
    }
    out.push('}');
    out
}

/// A JSON string literal (serde_json's escaping).
fn json_string(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

fn temperature_text(t: f64) -> String {
    if !t.is_finite() {
        return t.to_string();
    }
    let rounded = (t * 100.0).round() / 100.0;
    format!("{:.2}", if rounded == 0.0 { 0.0 } else { rounded })
}

fn tool_name(tool: &Value) -> &str {
    let name = tool.get("name").or_else(|| tool.get("function").and_then(|f| f.get("name")));
    name.and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const T: TemplateId = TemplateId(0xabc);

    fn weather(order_swapped: bool) -> Value {
        if order_swapped {
            json!({"function": {"parameters": {"properties": {"city": {"type": "string"}}, "type": "object"}, "name": "get_weather"}, "type": "function"})
        } else {
            json!({"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}})
        }
    }

    fn search() -> Value {
        json!({"type": "function", "function": {"name": "search_docs", "parameters": {"type": "object", "required": ["q"]}}})
    }

    #[test]
    fn key_order_does_not_matter() {
        let a = Fingerprint::of(T, "gpt-4o", Some(0.2), Some(512), Some(&json!([weather(false)])));
        let b = Fingerprint::of(T, "gpt-4o", Some(0.2), Some(512), Some(&json!([weather(true)])));
        assert_eq!(a, b);
    }

    #[test]
    fn tool_order_does_not_matter() {
        let a = Fingerprint::of(T, "gpt-4o", None, None, Some(&json!([weather(false), search()])));
        let b = Fingerprint::of(T, "gpt-4o", None, None, Some(&json!([search(), weather(true)])));
        assert_eq!(a, b);
    }

    #[test]
    fn model_and_temperature_are_normalised() {
        let a = Fingerprint::of(T, " GPT-4o ", Some(0.7), Some(100), None);
        assert_eq!(a, Fingerprint::of(T, "gpt-4o", Some(0.700_000_1), Some(100), None));
        assert_eq!(Fingerprint::of(T, "m", Some(-0.0), None, None), Fingerprint::of(T, "m", Some(0.0), None, None));
        assert_ne!(a, Fingerprint::of(T, "gpt-4o", Some(0.71), Some(100), None));
        assert_ne!(a, Fingerprint::of(T, "gpt-4o", None, Some(100), None));
        assert_eq!(a.as_str().len(), 64);
    }

    #[test]
    fn every_part_counts() {
        let base = Fingerprint::of(T, "m", Some(1.0), Some(1), Some(&json!([search()])));
        assert_ne!(base, Fingerprint::of(TemplateId(0xabd), "m", Some(1.0), Some(1), Some(&json!([search()]))));
        assert_ne!(base, Fingerprint::of(T, "n", Some(1.0), Some(1), Some(&json!([search()]))));
        assert_ne!(base, Fingerprint::of(T, "m", Some(1.0), Some(2), Some(&json!([search()]))));
        assert_ne!(base, Fingerprint::of(T, "m", Some(1.0), Some(1), Some(&json!([weather(false)]))));
        assert_ne!(base, Fingerprint::of(T, "m", Some(1.0), Some(1), None));
    }

    #[test]
    fn no_tools_has_one_form() {
        let none = Fingerprint::of(T, "m", None, None, None);
        assert_eq!(none, Fingerprint::of(T, "m", None, None, Some(&Value::Null)));
        assert_eq!(none, Fingerprint::of(T, "m", None, None, Some(&json!([]))));
    }

    #[test]
    fn canonical_text_is_documented_shape() {
        let text = canonical_input(T, "M", Some(0.5), Some(7), Some(&json!({"b": 1, "a": [2, {"d": 3, "c": 4}]})));
        assert_eq!(
            text,
            r#"{"max_tokens":7,"model":"m","temperature":"0.50","template":"0000000000000abc","tools":{"a":[2,{"c":4,"d":3}],"b":1}}"#
        );
    }
}
