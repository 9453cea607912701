//! Internal `$ref` resolution.
//!
//! * Schemas are expanded in place ([`Resolver::schema`]). Where an expansion would re-enter a
//!   schema that is already being expanded, a `{"$ref": "#/components/schemas/Name"}` stays (the
//!   marker; Swagger's `#/definitions/Name` is spelled the OpenAPI 3 way), and the object that
//!   the marker points back to gets `"x-kb-recursive-ref": "#/components/schemas/Name"` so the
//!   exporter can turn it back into a component (round trip) and a reader sees where the loop is.
//! * Parameters, request bodies, responses, path items and examples are followed shallowly
//!   ([`Resolver::follow`]).
//! * A chain of refs that only points at refs and comes back (`A → B → A`) is an error.
//! * Remote refs (`other.yaml#/Pet`, `https://...`) are not fetched: a schema keeps the `$ref`
//!   as written, any other object is skipped, with a warning either way. A missing internal
//!   target is kept/skipped the same way: real documents have dangling refs, and one should
//!   not cost the whole import.
//! * Example values, `default`, `enum` and `const` are data, not schemas: a `$ref` key inside
//!   them is copied, never followed.
//! * Every node produced counts against `max_resolved_nodes`, and each schema's expanded depth
//!   against `max_resolved_depth`, so a schema referenced 10,000 times is fine but an
//!   exponential expansion is refused.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::error::{escape_segment, ErrorKind, ImportError, Limits};

/// Marks the expansion of a recursive schema (see the module doc).
pub const RECURSIVE_REF: &str = "x-kb-recursive-ref";

/// Keys of a schema whose values are data, copied as they are.
const LITERAL_KEYS: &[&str] = &["example", "examples", "default", "enum", "const", "discriminator", "xml", "externalDocs"];
/// Keys of a schema whose value is a map from names to schemas.
const SCHEMA_MAP_KEYS: &[&str] = &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

pub(crate) struct Resolver<'a> {
    root: &'a Value,
    limits: Limits,
    nodes: usize,
    /// Pointers of the schemas being expanded, and whether a marker pointed back at each.
    stack: Vec<(String, bool)>,
    /// Current document location, for messages.
    at: String,
    pub warnings: Vec<String>,
    warned: BTreeSet<String>,
}

/// `#/a/b%20c` → `#/a/b c`; `None` for a remote ref.
fn normalize(r: &str) -> Option<String> {
    let frag = r.strip_prefix('#')?;
    Some(format!("#{}", percent_decode(frag)))
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a cycle marker says for a pointer: schemas are named the OpenAPI 3 way.
pub(crate) fn marker_for(ptr: &str) -> String {
    for prefix in ["#/components/schemas/", "#/definitions/"] {
        if let Some(rest) = ptr.strip_prefix(prefix) {
            return format!("#/components/schemas/{rest}");
        }
    }
    ptr.to_string()
}

impl<'a> Resolver<'a> {
    pub fn new(root: &'a Value, limits: &Limits) -> Resolver<'a> {
        Resolver { root, limits: *limits, nodes: 0, stack: Vec::new(), at: String::new(), warnings: Vec::new(), warned: BTreeSet::new() }
    }

    fn warn(&mut self, msg: String) {
        if self.warned.insert(msg.clone()) {
            self.warnings.push(msg);
        }
    }

    /// The value a normalised `#/...` pointer names.
    fn lookup(&self, ptr: &str) -> Option<&'a Value> {
        let path = ptr.strip_prefix('#')?;
        if path.is_empty() {
            return Some(self.root);
        }
        let path = path.strip_prefix('/')?;
        let mut v = self.root;
        for seg in path.split('/') {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            v = match v {
                Value::Object(m) => m.get(&seg)?,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(v)
    }

    fn tick(&mut self) -> Result<(), ImportError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_resolved_nodes {
            return Err(ImportError::at_pointer(
                ErrorKind::TooLarge,
                &self.at,
                format!(
                    "expanding the $refs produces more than {} schema nodes; the document is refused (shared schemas referenced too often, or an exponential chain of refs)",
                    self.limits.max_resolved_nodes
                ),
            ));
        }
        Ok(())
    }

    /// A counted deep copy of data.
    pub fn literal(&mut self, v: &Value) -> Result<Value, ImportError> {
        self.tick()?;
        Ok(match v {
            Value::Array(a) => Value::Array(a.iter().map(|x| self.literal(x)).collect::<Result<_, _>>()?),
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    out.insert(k.clone(), self.literal(x)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Follows a ref chain to the object it ends at. `Ok(None)`: remote or dangling (warned).
    /// Siblings of the `$ref` (3.1's `summary`, `description`) override the target's.
    pub fn follow<'v>(&mut self, v: &'v Value, at: &str) -> Result<Option<(Cow<'v, Value>, String)>, ImportError>
    where
        'a: 'v,
    {
        let Some(Value::String(r)) = v.get("$ref") else {
            return Ok(Some((Cow::Borrowed(v), at.to_string())));
        };
        let mut chain: Vec<String> = Vec::new();
        let mut r = r.clone();
        loop {
            let Some(ptr) = normalize(&r) else {
                self.warn(format!("{at}: remote $ref '{r}' is not fetched; the object is skipped"));
                return Ok(None);
            };
            if chain.contains(&ptr) {
                chain.push(ptr);
                return Err(ImportError::at_pointer(
                    ErrorKind::Invalid,
                    at,
                    format!("$ref cycle that never reaches an object: {}", chain.join(" → ")),
                ));
            }
            chain.push(ptr.clone());
            let Some(target) = self.lookup(&ptr) else {
                self.warn(format!("{at}: $ref '{r}' points at nothing in the document; the object is skipped"));
                return Ok(None);
            };
            match target.get("$ref") {
                Some(Value::String(next)) => {
                    r = next.clone();
                }
                _ => {
                    let siblings: Vec<(&String, &Value)> = v.as_object().into_iter().flatten().filter(|(k, _)| *k != "$ref").collect();
                    let loc = ptr.trim_start_matches('#').to_string();
                    if siblings.is_empty() || !target.is_object() {
                        return Ok(Some((Cow::Borrowed(target), loc)));
                    }
                    let mut merged = target.clone();
                    if let Value::Object(m) = &mut merged {
                        for (k, x) in siblings {
                            m.insert(k.clone(), x.clone());
                        }
                    }
                    return Ok(Some((Cow::Owned(merged), loc)));
                }
            }
        }
    }

    /// Expands a schema found at document location `at`.
    pub fn schema(&mut self, v: &Value, at: &str) -> Result<Value, ImportError> {
        let saved = std::mem::replace(&mut self.at, at.to_string());
        let out = self.walk(v, 0);
        self.at = saved;
        out
    }

    fn walk(&mut self, v: &Value, depth: usize) -> Result<Value, ImportError> {
        if depth > self.limits.max_resolved_depth {
            return Err(ImportError::at_pointer(
                ErrorKind::TooLarge,
                &self.at,
                format!("a schema nests deeper than {} levels once its $refs are expanded", self.limits.max_resolved_depth),
            ));
        }
        self.tick()?;
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    return self.walk_ref(r, m, depth);
                }
                let mut out = Map::new();
                for (k, x) in m {
                    out.insert(k.clone(), self.walk_member(k, x, depth)?);
                }
                Ok(Value::Object(out))
            }
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for x in a {
                    out.push(self.walk(x, depth + 1)?);
                }
                Ok(Value::Array(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn walk_member(&mut self, k: &str, x: &Value, depth: usize) -> Result<Value, ImportError> {
        let len = self.at.len();
        self.at.push('/');
        self.at.push_str(&escape_segment(k));
        let out = if LITERAL_KEYS.contains(&k) || k.starts_with("x-") {
            self.literal(x)
        } else if let (true, Value::Object(props)) = (SCHEMA_MAP_KEYS.contains(&k), x) {
            self.tick()?;
            let mut out = Map::new();
            for (name, s) in props {
                let l2 = self.at.len();
                self.at.push('/');
                self.at.push_str(&escape_segment(name));
                let r = self.walk(s, depth + 2);
                self.at.truncate(l2);
                out.insert(name.clone(), r?);
            }
            Ok(Value::Object(out))
        } else {
            self.walk(x, depth + 1)
        };
        self.at.truncate(len);
        out
    }

    fn walk_ref(&mut self, r: &str, m: &Map<String, Value>, depth: usize) -> Result<Value, ImportError> {
        let siblings = |this: &mut Self, out: &mut Map<String, Value>| -> Result<(), ImportError> {
            for (k, x) in m {
                if k != "$ref" {
                    let v = this.walk_member(k, x, depth)?;
                    out.insert(k.clone(), v);
                }
            }
            Ok(())
        };
        let keep = |this: &mut Self, r: &str| -> Result<Value, ImportError> {
            let mut out = Map::new();
            out.insert("$ref".into(), Value::String(r.to_string()));
            siblings(this, &mut out)?;
            Ok(Value::Object(out))
        };
        let mut chain: Vec<String> = Vec::new();
        let mut r = r.to_string();
        let (ptr, target) = loop {
            let Some(ptr) = normalize(&r) else {
                let at = self.at.clone();
                self.warn(format!("{at}: remote $ref '{r}' is not fetched; it is kept as written"));
                return keep(self, &r);
            };
            if let Some(entry) = self.stack.iter_mut().rev().find(|(p, _)| *p == ptr) {
                entry.1 = true;
                return keep(self, &marker_for(&ptr));
            }
            if chain.contains(&ptr) {
                chain.push(ptr);
                return Err(ImportError::at_pointer(
                    ErrorKind::Invalid,
                    &self.at,
                    format!("$ref cycle that never reaches a schema: {}", chain.join(" → ")),
                ));
            }
            chain.push(ptr.clone());
            let Some(target) = self.lookup(&ptr) else {
                let at = self.at.clone();
                self.warn(format!("{at}: $ref '{r}' points at nothing in the document; it is kept as written"));
                return keep(self, &r);
            };
            match target.get("$ref") {
                Some(Value::String(next)) => r = next.clone(),
                _ => break (ptr, target),
            }
        };
        self.stack.push((ptr.clone(), false));
        let saved = std::mem::replace(&mut self.at, ptr.trim_start_matches('#').to_string());
        let expanded = self.walk(target, depth + 1);
        self.at = saved;
        let (_, hit) = self.stack.pop().unwrap_or_default();
        let mut expanded = expanded?;
        if let Value::Object(out) = &mut expanded {
            if hit {
                out.insert(RECURSIVE_REF.into(), Value::String(marker_for(&ptr)));
            }
            siblings(self, out)?;
        }
        Ok(expanded)
    }
}
