//! Bytes → `serde_json::Value`: sniffs the format (binary files, JSON, YAML), checks UTF-8, and
//! builds the tree through a counting visitor so that YAML alias expansion ("billion laughs") and
//! nesting are bounded by [`Limits`] while the tree grows, not after.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{ErrorKind, ImportError, Limits};

/// Magic numbers of files people upload by mistake, named in the error.
const MAGIC: &[(&[u8], &str)] = &[
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document: .docx, .xlsx)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3\0", "an SQLite database"),
    (b"\x7fELF", "an executable"),
];

/// Says what the bytes are when they are clearly not text.
pub(crate) fn sniff_binary(bytes: &[u8]) -> Option<&'static str> {
    MAGIC.iter().find(|(m, _)| bytes.starts_with(m)).map(|(_, what)| *what)
}

/// Checks the size, sniffs binary files and checks UTF-8 (a BOM is dropped). `what` names the
/// expected document in messages ("an OpenAPI document", "SQL").
pub(crate) fn text<'a>(bytes: &'a [u8], limits: &Limits, what: &str) -> Result<&'a str, ImportError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImportError::new(
            ErrorKind::TooLarge,
            format!(
                "the file is {} bytes; at most {} bytes ({} MiB) can be imported",
                bytes.len(),
                limits.max_bytes,
                limits.max_bytes >> 20
            ),
        ));
    }
    if let Some(kind) = sniff_binary(bytes) {
        return Err(ImportError::new(ErrorKind::NotThisFormat, format!("this is not {what}: it looks like {kind}")));
    }
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Err(ImportError::new(ErrorKind::NotThisFormat, format!("this is UTF-16 text; save {what} as UTF-8 and import it again")));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let (line, column) = line_col(bytes, e.valid_up_to());
            let bad = bytes[e.valid_up_to()];
            Err(ImportError::at_line(
                ErrorKind::NotThisFormat,
                line,
                Some(column),
                format!("this is not UTF-8 text (byte 0x{bad:02x}); {what} must be saved as UTF-8"),
            ))
        }
    }
}

/// 1-based line and column (in characters of the valid prefix) of a byte offset.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

/// Which syntax a document was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Json,
    Yaml,
}

/// Parses JSON (first non-blank character `{` or `[`) or YAML (anything else) into a JSON tree,
/// counting nodes (alias replays included) against `max_resolved_nodes` and nesting against
/// `max_depth`.
pub(crate) fn parse_tree(s: &str, limits: &Limits) -> Result<(Value, Syntax), ImportError> {
    let trimmed = s.trim_start();
    if trimmed.is_empty() {
        return Err(ImportError::new(ErrorKind::NotThisFormat, "the file is empty"));
    }
    // Without aliases a node needs at least two bytes of text (`1,`, `- 1`), so no document
    // legitimately has more than len/2 nodes; the extra million lets YAML documents use anchors
    // for reuse, while an alias bomb stops there (a few hundred MB of tree at most) instead of
    // expanding exponentially.
    let budget = s.len() / 2 + 1_000_000;
    let counter =
        Counter { nodes: Cell::new(0), max_nodes: budget, depth: Cell::new(0), max_depth: limits.max_depth, hit: Cell::new(None) };
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let mut de = serde_json::Deserializer::from_str(s);
        let v = Node(&counter).deserialize(&mut de).and_then(|v| de.end().map(|_| v));
        v.map(|v| (v, Syntax::Json)).map_err(|e| {
            if let Some(hit) = counter.hit.take() {
                return hit.error(Some((e.line(), e.column())));
            }
            let msg = strip_position(&e.to_string());
            let msg = if msg.contains("recursion limit exceeded") {
                return ImportError::at_line(
                    ErrorKind::TooLarge,
                    e.line(),
                    Some(e.column()),
                    "the document nests deeper than 128 levels (JSON parser limit)",
                );
            } else {
                format!("invalid JSON: {msg}")
            };
            ImportError::at_line(ErrorKind::Syntax, e.line(), Some(e.column()), msg)
        })
    } else {
        let de = serde_norway::Deserializer::from_str(s);
        Node(&counter).deserialize(de).map(|v| (v, Syntax::Yaml)).map_err(|e| {
            let loc = e.location().map(|l| (l.line(), l.column()));
            if let Some(hit) = counter.hit.take() {
                return hit.error(loc);
            }
            let msg = strip_position(&e.to_string());
            let (kind, msg) = if msg.contains("recursion limit exceeded") {
                (ErrorKind::TooLarge, "the document nests deeper than 128 levels (YAML parser limit)".to_string())
            } else if msg.contains("repetition limit exceeded") {
                (ErrorKind::TooLarge, "YAML aliases expand too many times (alias bomb?); the document is refused".to_string())
            } else {
                (ErrorKind::Syntax, format!("invalid YAML: {msg}"))
            };
            match loc {
                Some((l, c)) => ImportError::at_line(kind, l, Some(c), msg),
                None => ImportError::new(kind, msg),
            }
        })
    }
}

/// serde_json and serde_norway append " at line L column C"; the error carries those apart.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[derive(Debug, Clone, Copy)]
enum LimitHit {
    Nodes(usize),
    Depth(usize),
}

impl LimitHit {
    fn error(self, loc: Option<(usize, usize)>) -> ImportError {
        let msg = match self {
            LimitHit::Nodes(n) => format!(
                "the document expands to more than {n} nodes (YAML aliases repeated too often, or the file is too large); it is refused"
            ),
            LimitHit::Depth(d) => format!("the document nests deeper than {d} levels"),
        };
        match loc {
            Some((l, c)) => ImportError::at_line(ErrorKind::TooLarge, l, Some(c), msg),
            None => ImportError::new(ErrorKind::TooLarge, msg),
        }
    }
}

struct Counter {
    nodes: Cell<usize>,
    max_nodes: usize,
    depth: Cell<usize>,
    max_depth: usize,
    hit: Cell<Option<LimitHit>>,
}

impl Counter {
    fn count<E: de::Error>(&self) -> Result<(), E> {
        let n = self.nodes.get() + 1;
        self.nodes.set(n);
        if n > self.max_nodes {
            self.hit.set(Some(LimitHit::Nodes(self.max_nodes)));
            return Err(E::custom("node limit reached"));
        }
        Ok(())
    }

    fn enter<E: de::Error>(&self) -> Result<(), E> {
        let d = self.depth.get() + 1;
        self.depth.set(d);
        if d > self.max_depth {
            self.hit.set(Some(LimitHit::Depth(self.max_depth)));
            return Err(E::custom("depth limit reached"));
        }
        Ok(())
    }

    fn leave(&self) {
        self.depth.set(self.depth.get() - 1);
    }
}

/// Seed producing one counted `Value`.
struct Node<'c>(&'c Counter);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON or YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.count()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.count()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.count()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.count()?;
        // YAML's .inf and .nan have no JSON number: keep their spelling.
        Ok(Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.count()?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.0.count()?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.count()?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.count()?;
        self.0.enter()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Node(self.0))? {
            out.push(v);
        }
        self.0.leave();
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.count()?;
        self.0.enter()?;
        let mut out = Map::new();
        while let Some(k) = map.next_key_seed(Key)? {
            let v = map.next_value_seed(Node(self.0))?;
            // Duplicate keys: the last wins, as in most JSON parsers.
            out.insert(k, v);
        }
        self.0.leave();
        Ok(Value::Object(out))
    }

    /// A YAML tag (`!foo value`): the tag is dropped, the value kept.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (_tag, variant): (String, _) = data.variant()?;
        variant.newtype_variant_seed(self)
    }
}

/// Map keys: YAML allows `200:` (an integer) where OpenAPI means the string "200".
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number or boolean mapping key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok("null".into())
    }
}
