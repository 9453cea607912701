//! A parsed document tree → entries.

use std::borrow::Cow;
use std::collections::BTreeMap;

use domain::kb::{ApiOperation, Body, Entry, Example, ParamLocation, Parameter, RequestBody, ResponseSpec};
use serde_json::{Map, Value};

use super::resolve::Resolver;
use crate::error::{child, ErrorKind, ImportError, Limits};

/// OpenAPI's method order inside a path item.
pub(crate) const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    Swagger2,
    OpenApi3,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn expect_object<'v>(v: &'v Value, at: &str) -> Result<&'v Map<String, Value>, ImportError> {
    v.as_object().ok_or_else(|| ImportError::at_pointer(ErrorKind::Invalid, at, format!("expected an object, found {}", type_name(v))))
}

fn expect_array<'v>(v: &'v Value, at: &str) -> Result<&'v Vec<Value>, ImportError> {
    v.as_array().ok_or_else(|| ImportError::at_pointer(ErrorKind::Invalid, at, format!("expected a list, found {}", type_name(v))))
}

fn str_of(m: &Map<String, Value>, k: &str) -> String {
    m.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn version(root: &Value) -> Result<Version, ImportError> {
    let Some(m) = root.as_object() else {
        return Err(ImportError::new(
            ErrorKind::NotThisFormat,
            format!("this is not an OpenAPI document: the top level is {}, not an object", type_name(root)),
        ));
    };
    if let Some(v) = m.get("openapi") {
        let s = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        if s.starts_with("3.") {
            return Ok(Version::OpenApi3);
        }
        return Err(ImportError::at_pointer(
            ErrorKind::NotThisFormat,
            "/openapi",
            format!("OpenAPI version {s} is not supported (3.0, 3.1 and Swagger 2.0 are)"),
        ));
    }
    if let Some(v) = m.get("swagger") {
        let s = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        if s == "2.0" || s == "2" {
            return Ok(Version::Swagger2);
        }
        return Err(ImportError::at_pointer(
            ErrorKind::NotThisFormat,
            "/swagger",
            format!("Swagger version {s} is not supported (2.0 is)"),
        ));
    }
    let hint = if m.contains_key("asyncapi") {
        " (it is an AsyncAPI document)"
    } else if m.get("info").and_then(|i| i.get("_postman_id")).is_some() {
        " (it is a Postman collection; export it from Postman as OpenAPI)"
    } else if m.contains_key("$schema") {
        " (it looks like a JSON Schema)"
    } else {
        ""
    };
    Err(ImportError::new(
        ErrorKind::NotThisFormat,
        format!("this is not an OpenAPI document: it has no `openapi` or `swagger` field{hint}"),
    ))
}

struct Ctx<'a> {
    root: &'a Map<String, Value>,
    version: Version,
    res: Resolver<'a>,
}

/// Builds the entries one by one, handing each to `sink(entry, done, total)`; returns the warnings.
pub(crate) fn entries(root: &Value, limits: &Limits, sink: &mut dyn FnMut(Entry, usize, usize)) -> Result<Vec<String>, ImportError> {
    let version = version(root)?;
    let obj = expect_object(root, "")?;
    let mut ctx = Ctx { root: obj, version, res: Resolver::new(root, limits) };

    // Path items (refs followed), counted before any work so a 100k-path document is refused
    // up front.
    let mut items: Vec<(&String, Cow<Value>, String)> = Vec::new();
    let mut total = 0usize;
    if let Some(paths) = obj.get("paths") {
        let paths = expect_object(paths, "/paths")?;
        for (path, item) in paths {
            if path.starts_with("x-") {
                continue;
            }
            let at = child("/paths", path);
            let Some((item, loc)) = ctx.res.follow(item, &at)? else { continue };
            let m = expect_object(&item, &at)?;
            total += METHODS.iter().filter(|k| m.contains_key(**k)).count();
            if total > limits.max_operations {
                let all: usize =
                    paths.values().filter_map(Value::as_object).map(|m| METHODS.iter().filter(|k| m.contains_key(**k)).count()).sum();
                return Err(ImportError::at_pointer(
                    ErrorKind::TooLarge,
                    "/paths",
                    format!("the document has {} operations; at most {} can be imported at once", all.max(total), limits.max_operations),
                ));
            }
            items.push((path, item, if loc == at { at } else { loc }));
        }
    }

    let mut done = 0;
    for (path, item, at) in &items {
        let item = item.as_object().expect("checked above");
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            let op_at = child(at, method);
            let op = expect_object(op, &op_at)?;
            let entry = operation(&mut ctx, path, method, item, at, op, &op_at)?;
            done += 1;
            sink(Entry::ApiOperation(entry), done, total);
        }
    }
    Ok(ctx.res.warnings)
}

#[allow(clippy::too_many_arguments)]
fn operation<'a>(
    ctx: &mut Ctx<'a>,
    path: &str,
    method: &str,
    item: &'a Map<String, Value>,
    item_at: &str,
    op: &'a Map<String, Value>,
    at: &str,
) -> Result<ApiOperation, ImportError> {
    // Path-level parameters first, each replaced by the operation's one of the same name and
    // location; then the operation's others, in document order.
    let mut raw: Vec<(Cow<'a, Value>, String)> = Vec::new();
    let list = |ctx: &mut Ctx<'a>, v: Option<&'a Value>, at: String| -> Result<Vec<(Cow<'a, Value>, String)>, ImportError> {
        let mut got = Vec::new();
        if let Some(v) = v {
            for (i, p) in expect_array(v, &at)?.iter().enumerate() {
                let pat = format!("{at}/{i}");
                if let Some(x) = ctx.res.follow(p, &pat)? {
                    expect_object(&x.0, &pat)?;
                    got.push(x);
                }
            }
        }
        Ok(got)
    };
    let path_level = list(ctx, item.get("parameters"), child(item_at, "parameters"))?;
    let op_level = list(ctx, op.get("parameters"), child(at, "parameters"))?;
    let key = |v: &Value| {
        (v.get("name").and_then(Value::as_str).unwrap_or("").to_string(), v.get("in").and_then(Value::as_str).unwrap_or("").to_string())
    };
    let mut used = vec![false; op_level.len()];
    for p in path_level {
        match op_level.iter().position(|o| key(&o.0) == key(&p.0)) {
            Some(i) => {
                used[i] = true;
                raw.push(op_level[i].clone());
            }
            None => raw.push(p),
        }
    }
    for (i, o) in op_level.into_iter().enumerate() {
        if !used[i] {
            raw.push(o);
        }
    }

    let mut op_out = ApiOperation {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        operation_id: str_of(op, "operationId"),
        summary: str_of(op, "summary"),
        description: str_of(op, "description"),
        tags: op.get("tags").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect(),
        auth: auth(op.get("security").or_else(|| ctx.root.get("security"))),
        parameters: Vec::new(),
        request_body: None,
        responses: Vec::new(),
        examples: Vec::new(),
        deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
    };

    match ctx.version {
        Version::OpenApi3 => {
            for (p, pat) in &raw {
                if let Some(p) = parameter3(ctx, p, pat)? {
                    op_out.parameters.push(p);
                }
            }
            if let Some(rb) = op.get("requestBody") {
                let rat = child(at, "requestBody");
                if let Some((rb, rat)) = ctx.res.follow(rb, &rat)? {
                    let rb_obj = expect_object(&rb, &rat)?;
                    let content = content3(ctx, rb_obj.get("content"), &child(&rat, "content"), "request", &mut op_out.examples)?;
                    op_out.request_body = Some(RequestBody {
                        description: str_of(rb_obj, "description"),
                        required: rb_obj.get("required").and_then(Value::as_bool).unwrap_or(false),
                        content,
                    });
                }
            }
            if let Some(rs) = op.get("responses") {
                let rat = child(at, "responses");
                for (status, r) in expect_object(rs, &rat)? {
                    if status.starts_with("x-") {
                        continue;
                    }
                    let sat = child(&rat, status);
                    let Some((r, sat)) = ctx.res.follow(r, &sat)? else { continue };
                    let r = expect_object(&r, &sat)?;
                    let content = content3(ctx, r.get("content"), &child(&sat, "content"), status, &mut op_out.examples)?;
                    op_out.responses.push(ResponseSpec { status: status.clone(), description: str_of(r, "description"), content });
                }
            }
        }
        Version::Swagger2 => swagger_operation(ctx, op, at, &raw, &mut op_out)?,
    }

    // Examples the exporter could not place (entries not made by this importer) travel here.
    if let Some(Value::Array(xs)) = op.get("x-kb-examples") {
        for x in xs {
            if let (Some(name), Some(value)) = (x.get("name").and_then(Value::as_str), x.get("value")) {
                op_out.examples.push(Example {
                    name: name.to_string(),
                    summary: x.get("summary").and_then(Value::as_str).unwrap_or_default().to_string(),
                    value: ctx.res.literal(value)?,
                });
            }
        }
    }
    Ok(op_out)
}

/// Scheme names of a security requirement list, in order, without repeats. `[]` (explicitly
/// public) and `[{}]` (optional) give none.
fn auth(security: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for req in security.and_then(Value::as_array).into_iter().flatten() {
        for name in req.as_object().into_iter().flat_map(|m| m.keys()) {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
    }
    out
}

fn location(s: &str) -> Option<ParamLocation> {
    Some(match s {
        "path" => ParamLocation::Path,
        "query" => ParamLocation::Query,
        "header" => ParamLocation::Header,
        "cookie" => ParamLocation::Cookie,
        _ => return None,
    })
}

fn parameter3(ctx: &mut Ctx<'_>, p: &Value, at: &str) -> Result<Option<Parameter>, ImportError> {
    let m = expect_object(p, at)?;
    let name = str_of(m, "name");
    if name.is_empty() {
        return Err(ImportError::at_pointer(ErrorKind::Invalid, at, "a parameter needs a `name`"));
    }
    let Some(loc) = m.get("in").and_then(Value::as_str).and_then(location) else {
        return Err(ImportError::at_pointer(ErrorKind::Invalid, at, "a parameter needs `in`: path, query, header or cookie"));
    };
    let mut schema = match m.get("schema") {
        Some(s) => ctx.res.schema(s, &child(at, "schema"))?,
        None => Value::Null,
    };
    let mut example = match m.get("example") {
        Some(x) => Some(ctx.res.literal(x)?),
        None => first_example(ctx, m.get("examples"), &child(at, "examples"))?,
    };
    // `content` instead of `schema`: the first media type's schema and example.
    if let (Value::Null, Some(Value::Object(content))) = (&schema, m.get("content")) {
        if let Some((mt, mo)) = content.iter().next() {
            let mat = child(&child(at, "content"), mt);
            if let Some(s) = mo.get("schema") {
                schema = ctx.res.schema(s, &child(&mat, "schema"))?;
            }
            if example.is_none() {
                example = match mo.get("example") {
                    Some(x) => Some(ctx.res.literal(x)?),
                    None => first_example(ctx, mo.get("examples"), &child(&mat, "examples"))?,
                };
            }
        }
    }
    Ok(Some(Parameter {
        name,
        location: loc,
        description: str_of(m, "description"),
        required: m.get("required").and_then(Value::as_bool).unwrap_or(false),
        schema,
        example,
    }))
}

/// The value of the first (by name) named example.
fn first_example(ctx: &mut Ctx<'_>, examples: Option<&Value>, at: &str) -> Result<Option<Value>, ImportError> {
    let Some(Value::Object(m)) = examples else { return Ok(None) };
    for (name, x) in m {
        if let Some((x, _)) = ctx.res.follow(x, &child(at, name))? {
            return Ok(Some(example_value(ctx, &x)?));
        }
    }
    Ok(None)
}

fn example_value(ctx: &mut Ctx<'_>, x: &Value) -> Result<Value, ImportError> {
    Ok(match (x.get("value"), x.get("externalValue")) {
        (Some(v), _) => ctx.res.literal(v)?,
        (None, Some(u)) => u.clone(),
        _ => Value::Null,
    })
}

/// `content` of a request body or response. Named examples also go to the operation's list as
/// `"<where> (<media type>): <name>"` (`request (application/json): minimal`,
/// `200 (application/json): ok`), which the exporter reads back.
fn content3(
    ctx: &mut Ctx<'_>,
    content: Option<&Value>,
    at: &str,
    place: &str,
    examples: &mut Vec<Example>,
) -> Result<Vec<Body>, ImportError> {
    let Some(content) = content else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (mt, mo) in expect_object(content, at)? {
        let mat = child(at, mt);
        let mo = expect_object(mo, &mat)?;
        let schema = match mo.get("schema") {
            Some(s) => ctx.res.schema(s, &child(&mat, "schema"))?,
            None => Value::Null,
        };
        let mut example = match mo.get("example") {
            Some(x) => Some(ctx.res.literal(x)?),
            None => None,
        };
        if let Some(Value::Object(named)) = mo.get("examples") {
            for (name, x) in named {
                let Some((x, _)) = ctx.res.follow(x, &child(&child(&mat, "examples"), name))? else { continue };
                let value = example_value(ctx, &x)?;
                if example.is_none() {
                    example = Some(value.clone());
                }
                examples.push(Example {
                    name: format!("{place} ({mt}): {name}"),
                    summary: x.get("summary").and_then(Value::as_str).unwrap_or_default().to_string(),
                    value,
                });
            }
        }
        out.push(Body { content_type: mt.clone(), schema, example });
    }
    Ok(out)
}

/// Swagger 2.0 keys that describe a non-body parameter's value (its schema in OpenAPI 3).
const SWAGGER_SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "items",
    "enum",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
];

fn swagger_value_schema(ctx: &mut Ctx<'_>, m: &Map<String, Value>) -> Result<Value, ImportError> {
    let mut s = Map::new();
    for k in SWAGGER_SCHEMA_KEYS {
        if let Some(v) = m.get(*k) {
            let v = if *k == "items" {
                match v.as_object() {
                    Some(items) => swagger_value_schema(ctx, items)?,
                    None => ctx.res.literal(v)?,
                }
            } else {
                ctx.res.literal(v)?
            };
            s.insert(k.to_string(), v);
        }
    }
    if s.get("type").and_then(Value::as_str) == Some("file") {
        s.insert("type".into(), "string".into());
        s.insert("format".into(), "binary".into());
    }
    Ok(if s.is_empty() { Value::Null } else { Value::Object(s) })
}

fn media_list(op: &Map<String, Value>, root: &Map<String, Value>, key: &str) -> Vec<String> {
    let list: Vec<String> = op
        .get(key)
        .or_else(|| root.get(key))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if list.is_empty() {
        vec!["application/json".to_string()]
    } else {
        list
    }
}

fn swagger_operation<'a>(
    ctx: &mut Ctx<'a>,
    op: &'a Map<String, Value>,
    at: &str,
    raw: &[(Cow<'a, Value>, String)],
    out: &mut ApiOperation,
) -> Result<(), ImportError> {
    let consumes = media_list(op, ctx.root, "consumes");
    let produces = media_list(op, ctx.root, "produces");
    let mut form_props = Map::new();
    let mut form_required = Vec::new();
    let mut form_file = false;
    for (p, pat) in raw {
        let m = expect_object(p, pat)?;
        let name = str_of(m, "name");
        let inn = m.get("in").and_then(Value::as_str).unwrap_or("");
        match inn {
            "body" => {
                let schema = match m.get("schema") {
                    Some(s) => ctx.res.schema(s, &child(pat, "schema"))?,
                    None => Value::Null,
                };
                let mut content = BTreeMap::new();
                for mt in &consumes {
                    content.insert(mt.clone(), Body { content_type: mt.clone(), schema: schema.clone(), example: None });
                }
                out.request_body = Some(RequestBody {
                    description: str_of(m, "description"),
                    required: m.get("required").and_then(Value::as_bool).unwrap_or(false),
                    content: content.into_values().collect(),
                });
            }
            "formData" => {
                let mut s = swagger_value_schema(ctx, m)?;
                if let (Value::Object(so), Some(d)) = (&mut s, m.get("description").and_then(Value::as_str)) {
                    so.insert("description".into(), d.into());
                }
                form_file |= m.get("type").and_then(Value::as_str) == Some("file");
                if m.get("required").and_then(Value::as_bool).unwrap_or(false) {
                    form_required.push(Value::String(name.clone()));
                }
                form_props.insert(name, if s.is_null() { Value::Object(Map::new()) } else { s });
            }
            _ => {
                let Some(loc) = location(inn) else {
                    return Err(ImportError::at_pointer(ErrorKind::Invalid, pat, format!("unknown parameter location `in: {inn}`")));
                };
                if name.is_empty() {
                    return Err(ImportError::at_pointer(ErrorKind::Invalid, pat, "a parameter needs a `name`"));
                }
                let example = match m.get("x-example").or_else(|| m.get("example")) {
                    Some(x) => Some(ctx.res.literal(x)?),
                    None => None,
                };
                out.parameters.push(Parameter {
                    name,
                    location: loc,
                    description: str_of(m, "description"),
                    required: m.get("required").and_then(Value::as_bool).unwrap_or(false),
                    schema: swagger_value_schema(ctx, m)?,
                    example,
                });
            }
        }
    }
    if !form_props.is_empty() {
        let mt = if form_file || consumes.iter().any(|c| c == "multipart/form-data") {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        };
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(form_props));
        let required = !form_required.is_empty();
        if required {
            schema.insert("required".into(), Value::Array(form_required));
        }
        out.request_body = Some(RequestBody {
            description: String::new(),
            required,
            content: vec![Body { content_type: mt.into(), schema: Value::Object(schema), example: None }],
        });
    }
    if let Some(rs) = op.get("responses") {
        let rat = child(at, "responses");
        for (status, r) in expect_object(rs, &rat)? {
            if status.starts_with("x-") {
                continue;
            }
            let sat = child(&rat, status);
            let Some((r, sat)) = ctx.res.follow(r, &sat)? else { continue };
            let rm = expect_object(&r, &sat)?;
            let schema = match rm.get("schema") {
                Some(s) => Some(ctx.res.schema(s, &child(&sat, "schema"))?),
                None => None,
            };
            let mut content = BTreeMap::new();
            if let Some(schema) = &schema {
                for mt in &produces {
                    content.insert(mt.clone(), Body { content_type: mt.clone(), schema: schema.clone(), example: None });
                }
            }
            if let Some(Value::Object(ex)) = rm.get("examples") {
                for (mt, v) in ex {
                    let v = ctx.res.literal(v)?;
                    content
                        .entry(mt.clone())
                        .or_insert_with(|| Body { content_type: mt.clone(), schema: schema.clone().unwrap_or(Value::Null), example: None })
                        .example = Some(v);
                }
            }
            out.responses.push(ResponseSpec {
                status: status.clone(),
                description: str_of(rm, "description"),
                content: content.into_values().collect(),
            });
        }
    }
    Ok(())
}
