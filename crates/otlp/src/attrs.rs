//! Attribute access for mapping: known keys are *taken* (so they are not stored twice), whatever
//! is left becomes the row's JSON object of remaining attributes.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::common::v1::{any_value::Value as Any, AnyValue, KeyValue};
use serde_json::{Map, Value};

/// Marker appended to a truncated string value.
pub const TRUNCATED_MARKER: &str = "…[truncated]";
/// Replaces a value nested deeper than `Limits::max_value_depth`.
pub const DEPTH_MARKER: &str = "[nested too deep]";

/// How AnyValues become JSON: `max_string: None` keeps strings whole (input/output, which the
/// caller may move to the blob store), `Some(n)` truncates them (everything else).
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonLimits {
    pub max_string: Option<usize>,
    pub max_depth: usize,
}

impl JsonLimits {
    pub fn whole(max_depth: usize) -> Self {
        JsonLimits { max_string: None, max_depth }
    }
}

/// Converts an AnyValue to JSON; returns whether anything was cut.
pub(crate) fn to_json(value: &AnyValue, limits: JsonLimits) -> (Value, bool) {
    let mut cut = false;
    let json = convert(value, limits, 0, &mut cut);
    (json, cut)
}

fn convert(value: &AnyValue, limits: JsonLimits, depth: usize, cut: &mut bool) -> Value {
    let Some(v) = &value.value else { return Value::Null };
    if depth >= limits.max_depth && matches!(v, Any::ArrayValue(_) | Any::KvlistValue(_)) {
        *cut = true;
        return Value::String(DEPTH_MARKER.to_owned());
    }
    match v {
        Any::StringValue(s) => Value::String(truncate(s, limits.max_string, cut)),
        Any::BoolValue(b) => Value::Bool(*b),
        Any::IntValue(i) => Value::from(*i),
        // JSON has no NaN/Infinity: they become null, as serde_json would write them.
        Any::DoubleValue(d) => serde_json::Number::from_f64(*d).map(Value::Number).unwrap_or(Value::Null),
        Any::BytesValue(b) => Value::String(truncate(&hex::encode(b), limits.max_string, cut)),
        Any::ArrayValue(a) => Value::Array(a.values.iter().map(|v| convert(v, limits, depth + 1, cut)).collect()),
        Any::KvlistValue(kv) => {
            let mut map = Map::new();
            for item in &kv.values {
                let v = item.value.as_ref().map(|v| convert(v, limits, depth + 1, cut)).unwrap_or(Value::Null);
                map.insert(item.key.clone(), v);
            }
            Value::Object(map)
        }
        Any::StringValueStrindex(_) => Value::Null,
    }
}

/// Cuts at a char boundary at or below `max` bytes and appends [`TRUNCATED_MARKER`].
pub(crate) fn truncate(s: &str, max: Option<usize>, cut: &mut bool) -> String {
    match max {
        Some(max) if s.len() > max => {
            let mut end = max;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            *cut = true;
            let mut out = String::with_capacity(end + TRUNCATED_MARKER.len());
            out.push_str(&s[..end]);
            out.push_str(TRUNCATED_MARKER);
            out
        }
        _ => s.to_owned(),
    }
}

/// A span's (or resource's) attributes, owned, in order; taken entries leave a hole.
pub(crate) struct Attrs {
    items: Vec<(String, Option<AnyValue>)>,
}

impl Attrs {
    /// Keeps the first `max` attributes; the flag says whether some were dropped.
    pub fn new(kvs: Vec<KeyValue>, max: usize) -> (Self, bool) {
        let dropped = kvs.len() > max;
        let items = kvs.into_iter().take(max).map(|kv| (kv.key, kv.value)).collect();
        (Attrs { items }, dropped)
    }

    pub fn get(&self, key: &str) -> Option<&AnyValue> {
        self.items.iter().find(|(k, v)| k == key && v.is_some()).and_then(|(_, v)| v.as_ref())
    }

    pub fn take(&mut self, key: &str) -> Option<AnyValue> {
        self.items.iter_mut().find(|(k, v)| k == key && v.is_some()).and_then(|(_, v)| v.take())
    }

    /// The first of `keys` present, as text.
    pub fn take_text(&mut self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.take(k)).map(|v| text(v, 64))
    }

    /// The first of `keys` present, as text, without removing it.
    pub fn get_text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.get(k)).map(|v| text(v.clone(), 64))
    }

    /// The first of `keys` holding a non-negative count (int, whole double or decimal string).
    pub fn take_count(&mut self, keys: &[&str]) -> Option<u64> {
        keys.iter().find_map(|k| self.take(k).and_then(|v| count(&v)))
    }

    /// Takes `prefix.N.rest` keys and rebuilds them as `N → {rest as nested object}`, ordered by
    /// N: `gen_ai.prompt.0.role` → `[{"role": …}]`. Values are kept whole (they are messages).
    pub fn take_indexed(&mut self, prefix: &str, max_depth: usize) -> Vec<Value> {
        let mut by_index: BTreeMap<usize, Value> = BTreeMap::new();
        for (key, value) in &mut self.items {
            let Some(rest) = key.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else { continue };
            let Some((index, path)) = rest.split_once('.') else { continue };
            let Ok(index) = index.parse::<usize>() else { continue };
            let Some(v) = value.take() else { continue };
            let slot = by_index.entry(index).or_insert_with(|| Value::Object(Map::new()));
            insert_path(slot, path, to_json(&v, JsonLimits::whole(max_depth)).0);
        }
        by_index.into_values().map(arrays_from_numeric_keys).collect()
    }

    /// The attributes not taken, as a JSON object (values truncated per `limits`).
    pub fn into_json(self, limits: JsonLimits) -> (Map<String, Value>, bool) {
        let mut cut = false;
        let mut map = Map::new();
        for (k, v) in self.items {
            if let Some(v) = v {
                map.insert(k, convert(&v, limits, 0, &mut cut));
            }
        }
        (map, cut)
    }
}

/// A value as text: strings as they are, anything else as compact JSON.
pub(crate) fn text(value: AnyValue, max_depth: usize) -> String {
    match value.value {
        Some(Any::StringValue(s)) => s,
        _ => to_json(&value, JsonLimits::whole(max_depth)).0.to_string(),
    }
}

fn count(value: &AnyValue) -> Option<u64> {
    match value.value.as_ref()? {
        Any::IntValue(i) => u64::try_from(*i).ok(),
        Any::DoubleValue(d) if d.is_finite() && *d >= 0.0 && d.fract() == 0.0 && *d < 1e18 => Some(*d as u64),
        Any::StringValue(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `a.b` into `{"a": {"b": value}}`, merging with what is there; a scalar in the way is kept
/// under its own path by replacing it with an object only when needed.
fn insert_path(slot: &mut Value, path: &str, value: Value) {
    let mut node = slot;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        if parts.peek().is_none() {
            map.insert(part.to_owned(), value);
            return;
        }
        node = map.entry(part.to_owned()).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Objects whose keys are all indexes (`tool_calls.0.name`) become arrays, recursively.
fn arrays_from_numeric_keys(value: Value) -> Value {
    match value {
        Value::Object(map) if !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok()) => {
            let mut items: Vec<(usize, Value)> = map.into_iter().filter_map(|(k, v)| Some((k.parse().ok()?, v))).collect();
            items.sort_by_key(|(i, _)| *i);
            Value::Array(items.into_iter().map(|(_, v)| arrays_from_numeric_keys(v)).collect())
        }
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, arrays_from_numeric_keys(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};

    pub fn kv(key: &str, value: Any) -> KeyValue {
        KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
    }

    pub fn s(v: &str) -> Any {
        Any::StringValue(v.into())
    }

    fn nested(depth: usize) -> AnyValue {
        let mut v = AnyValue { value: Some(Any::IntValue(1)) };
        for _ in 0..depth {
            v = AnyValue {
                value: Some(Any::KvlistValue(KeyValueList {
                    values: vec![KeyValue { key: "k".into(), value: Some(v), ..Default::default() }],
                })),
            };
        }
        v
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let mut cut = false;
        assert_eq!(truncate("héllo", Some(2), &mut cut), format!("h{TRUNCATED_MARKER}"));
        assert!(cut);
        let mut cut = false;
        assert_eq!(truncate("hello", Some(5), &mut cut), "hello");
        assert!(!cut);
    }

    #[test]
    fn depth_is_bounded() {
        let limits = JsonLimits { max_string: None, max_depth: 3 };
        let (json, cut) = to_json(&nested(10), limits);
        assert!(cut);
        assert_eq!(json["k"]["k"]["k"], DEPTH_MARKER);
        assert_eq!(to_json(&nested(3), limits).0["k"]["k"]["k"], 1);
    }

    #[test]
    fn take_removes_and_counts_parse() {
        let (mut a, dropped) =
            Attrs::new(vec![kv("a", Any::IntValue(3)), kv("b", s("12")), kv("c", Any::DoubleValue(2.0)), kv("d", s("x"))], 10);
        assert!(!dropped);
        assert_eq!(a.take_count(&["a"]), Some(3));
        assert_eq!(a.take_count(&["zz", "b"]), Some(12));
        assert_eq!(a.take_count(&["c"]), Some(2));
        assert_eq!(a.take("a"), None);
        let (rest, _) = a.into_json(JsonLimits { max_string: Some(100), max_depth: 4 });
        assert_eq!(Value::Object(rest), serde_json::json!({"d": "x"}));
    }

    #[test]
    fn indexed_attributes_become_ordered_objects() {
        let (mut a, _) = Attrs::new(
            vec![
                kv("p.1.role", s("assistant")),
                kv("p.0.role", s("user")),
                kv("p.0.content", s("hi")),
                kv("p.10.role", s("tool")),
                kv("p.1.tool_calls.0.name", s("f")),
                kv("p.x.role", s("kept")),
                kv("other", Any::ArrayValue(ArrayValue::default())),
            ],
            10,
        );
        let items = a.take_indexed("p", 8);
        assert_eq!(
            Value::Array(items),
            serde_json::json!([{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [{"name": "f"}]}, {"role": "tool"}])
        );
        assert!(a.get("p.x.role").is_some());
    }
}
