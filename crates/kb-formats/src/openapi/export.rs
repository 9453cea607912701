//! KB entries → an OpenAPI 3.1 document that imports back to the same entries.

use std::collections::BTreeMap;

use domain::kb::{ApiOperation, Body, Entry, Example};
use serde_json::{json, Map, Value};

use super::resolve::RECURSIVE_REF;

const LITERAL_KEYS: &[&str] = &["example", "examples", "default", "enum", "const", "discriminator", "xml", "externalDocs"];
const SCHEMA_MAP_KEYS: &[&str] = &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

/// Writes the operations among `entries` (tables are skipped) as an OpenAPI 3.1 document.
///
/// Schemas are written inline, as the entries hold them, except recursive ones: an object marked
/// `x-kb-recursive-ref` by the importer becomes `components/schemas/<Name>` and a `$ref` to it,
/// so the `$ref`s left inside it resolve again. Security requirements name the schemes, but the
/// schemes' definitions are not in the KB, so `components/securitySchemes` is not written.
pub fn export_openapi(entries: &[Entry], title: &str, version: &str) -> Value {
    let mut components: BTreeMap<String, Value> = BTreeMap::new();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for e in entries {
        if let Entry::ApiOperation(op) = e {
            let v = operation(op, &mut components);
            paths.entry(op.path.clone()).or_default().insert(op.method.to_ascii_lowercase(), v);
        }
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": version },
        "paths": paths.into_iter().map(|(k, v)| (k, Value::Object(v))).collect::<Map<_, _>>(),
    });
    if !components.is_empty() {
        doc["components"] = json!({ "schemas": components.into_iter().collect::<Map<_, _>>() });
    }
    doc
}

/// [`export_openapi`] as YAML text.
pub fn export_openapi_yaml(entries: &[Entry], title: &str, version: &str) -> String {
    serde_norway::to_string(&export_openapi(entries, title, version)).unwrap_or_default()
}

/// Where an example named by the importer (`"200 (application/json): ok"`) belongs.
fn example_place(name: &str) -> Option<(&str, &str, &str)> {
    let (place, rest) = name.split_once(" (")?;
    let (mt, ex) = rest.split_once("): ")?;
    Some((place, mt, ex))
}

fn operation(op: &ApiOperation, comps: &mut BTreeMap<String, Value>) -> Value {
    let mut o = Map::new();
    let put_str = |o: &mut Map<String, Value>, k: &str, v: &str| {
        if !v.is_empty() {
            o.insert(k.into(), Value::String(v.into()));
        }
    };
    put_str(&mut o, "operationId", &op.operation_id);
    put_str(&mut o, "summary", &op.summary);
    put_str(&mut o, "description", &op.description);
    if !op.tags.is_empty() {
        o.insert("tags".into(), json!(op.tags));
    }
    if op.deprecated {
        o.insert("deprecated".into(), Value::Bool(true));
    }
    if !op.auth.is_empty() {
        o.insert("security".into(), Value::Array(op.auth.iter().map(|a| json!({ a: [] })).collect()));
    }
    if !op.parameters.is_empty() {
        let ps = op
            .parameters
            .iter()
            .map(|p| {
                let mut m = Map::new();
                m.insert("name".into(), p.name.clone().into());
                m.insert("in".into(), p.location.as_str().into());
                if !p.description.is_empty() {
                    m.insert("description".into(), p.description.clone().into());
                }
                if p.required {
                    m.insert("required".into(), true.into());
                }
                if !p.schema.is_null() {
                    m.insert("schema".into(), fold(&p.schema, comps));
                }
                if let Some(x) = &p.example {
                    m.insert("example".into(), x.clone());
                }
                Value::Object(m)
            })
            .collect();
        o.insert("parameters".into(), Value::Array(ps));
    }

    // Named examples grouped by where they go; the rest travel in `x-kb-examples`.
    let mut placed: BTreeMap<(String, String), Map<String, Value>> = BTreeMap::new();
    let mut unplaced: Vec<&Example> = Vec::new();
    for ex in &op.examples {
        let target = example_place(&ex.name).filter(|(place, mt, _)| {
            let bodies: &[Body] = if *place == "request" {
                op.request_body.as_ref().map_or(&[], |r| &r.content)
            } else {
                op.responses.iter().find(|r| r.status == *place).map_or(&[], |r| &r.content)
            };
            bodies.iter().any(|b| b.content_type == *mt)
        });
        match target {
            Some((place, mt, name)) if !placed.get(&(place.to_string(), mt.to_string())).is_some_and(|m| m.contains_key(name)) => {
                let mut x = Map::new();
                if !ex.summary.is_empty() {
                    x.insert("summary".into(), ex.summary.clone().into());
                }
                x.insert("value".into(), ex.value.clone());
                placed.entry((place.to_string(), mt.to_string())).or_default().insert(name.to_string(), Value::Object(x));
            }
            _ => unplaced.push(ex),
        }
    }

    if let Some(rb) = &op.request_body {
        let mut m = Map::new();
        if !rb.description.is_empty() {
            m.insert("description".into(), rb.description.clone().into());
        }
        if rb.required {
            m.insert("required".into(), true.into());
        }
        m.insert("content".into(), content(&rb.content, "request", &mut placed, comps));
        o.insert("requestBody".into(), Value::Object(m));
    }
    if !op.responses.is_empty() {
        let mut rs = Map::new();
        for r in &op.responses {
            let mut m = Map::new();
            m.insert("description".into(), r.description.clone().into());
            if !r.content.is_empty() {
                m.insert("content".into(), content(&r.content, &r.status, &mut placed, comps));
            }
            rs.insert(r.status.clone(), Value::Object(m));
        }
        o.insert("responses".into(), Value::Object(rs));
    }
    if !unplaced.is_empty() {
        let xs = unplaced
            .iter()
            .map(|e| {
                let mut m = Map::new();
                m.insert("name".into(), e.name.clone().into());
                if !e.summary.is_empty() {
                    m.insert("summary".into(), e.summary.clone().into());
                }
                m.insert("value".into(), e.value.clone());
                Value::Object(m)
            })
            .collect();
        o.insert("x-kb-examples".into(), Value::Array(xs));
    }
    Value::Object(o)
}

fn content(
    bodies: &[Body],
    place: &str,
    placed: &mut BTreeMap<(String, String), Map<String, Value>>,
    comps: &mut BTreeMap<String, Value>,
) -> Value {
    let mut c = Map::new();
    for b in bodies {
        let mut m = Map::new();
        if !b.schema.is_null() {
            m.insert("schema".into(), fold(&b.schema, comps));
        }
        let named = placed.remove(&(place.to_string(), b.content_type.clone()));
        // The importer takes the first named example as the body's example when the document
        // has no `example`: write `example` only when it says something else.
        let first = named.as_ref().and_then(|n| n.values().next()).and_then(|x| x.get("value"));
        if let Some(x) = &b.example {
            if first != Some(x) {
                m.insert("example".into(), x.clone());
            }
        }
        if let Some(named) = named {
            m.insert("examples".into(), Value::Object(named));
        }
        c.insert(b.content_type.clone(), Value::Object(m));
    }
    Value::Object(c)
}

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Turns the expansions of recursive schemas back into components (see [`export_openapi`]).
fn fold(v: &Value, comps: &mut BTreeMap<String, Value>) -> Value {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(ptr)) = m.get(RECURSIVE_REF) {
                if let Some(name) = ptr.strip_prefix("#/components/schemas/").filter(|n| !n.contains('/')) {
                    let name = unescape(name);
                    let mut def = m.clone();
                    def.remove(RECURSIVE_REF);
                    let def = fold_members(&def, comps);
                    let same = match comps.get(&name) {
                        None => {
                            comps.insert(name, def);
                            true
                        }
                        Some(d) => *d == def,
                    };
                    if same {
                        return json!({ "$ref": ptr });
                    }
                    // Another expansion of the same schema already took the name (a recursive
                    // schema whose expansion depends on where it is used): stays inline.
                }
            }
            fold_members(m, comps)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fold(x, comps)).collect()),
        other => other.clone(),
    }
}

fn fold_members(m: &Map<String, Value>, comps: &mut BTreeMap<String, Value>) -> Value {
    let mut out = Map::new();
    for (k, x) in m {
        let v = if LITERAL_KEYS.contains(&k.as_str()) || k.starts_with("x-") {
            x.clone()
        } else if let (true, Value::Object(props)) = (SCHEMA_MAP_KEYS.contains(&k.as_str()), x) {
            Value::Object(props.iter().map(|(n, s)| (n.clone(), fold(s, comps))).collect())
        } else {
            fold(x, comps)
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}
