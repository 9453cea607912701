//! Synthetic OpenAPI documents for benches and tests: realistic shapes (tags, path/query/header
//! parameters, shared component schemas reached through `$ref`s, a recursive schema, request
//! bodies, several responses, examples), N operations, deterministic for a seed.

use serde_json::{json, Map, Value};

/// A small deterministic generator (SplitMix64): no dependency, same output on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const NOUNS: &[&str] = &[
    "user",
    "order",
    "product",
    "invoice",
    "payment",
    "shipment",
    "customer",
    "account",
    "project",
    "ticket",
    "comment",
    "team",
    "report",
    "webhook",
    "subscription",
    "coupon",
    "warehouse",
    "supplier",
    "category",
    "review",
];
const FIELDS: &[(&str, &str, Option<&str>)] = &[
    ("name", "string", None),
    ("email", "string", Some("email")),
    ("status", "string", None),
    ("quantity", "integer", Some("int32")),
    ("amount", "number", Some("double")),
    ("created_at", "string", Some("date-time")),
    ("active", "boolean", None),
    ("notes", "string", None),
    ("priority", "integer", Some("int64")),
    ("url", "string", Some("uri")),
];

/// An OpenAPI 3.0 JSON document with `operations` operations (5 per resource: list, create,
/// get, update, delete; the last resource may have fewer).
pub fn generate_openapi(operations: usize, seed: u64) -> String {
    serde_json::to_string_pretty(&generate_openapi_value(operations, seed)).expect("a JSON value always serialises")
}

/// [`generate_openapi`] as YAML text.
pub fn generate_openapi_yaml(operations: usize, seed: u64) -> String {
    serde_norway::to_string(&generate_openapi_value(operations, seed)).expect("a JSON value always serialises")
}

/// [`generate_openapi`] as a tree.
pub fn generate_openapi_value(operations: usize, seed: u64) -> Value {
    let mut rng = Rng(seed);
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "example": "not_found"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorDetail"}}}}),
    );
    schemas
        .insert("ErrorDetail".into(), json!({"type": "object", "properties": {"field": {"type": "string"}, "issue": {"type": "string"}}}));
    schemas.insert(
        "Page".into(),
        json!({"type": "object", "properties": {"next_cursor": {"type": "string", "nullable": true}, "total": {"type": "integer"}}}),
    );
    schemas.insert(
        "Address".into(),
        json!({"type": "object", "properties": {"line1": {"type": "string"}, "city": {"type": "string"}, "country": {"type": "string", "minLength": 2, "maxLength": 2}}}),
    );
    schemas.insert("Money".into(), json!({"type": "object", "properties": {"amount": {"type": "string"}, "currency": {"type": "string"}}}));
    // A recursive schema, as real APIs have (threads, trees).
    schemas.insert(
        "Tag".into(),
        json!({"type": "object", "properties": {"label": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}}}),
    );

    let resources = operations.div_ceil(5);
    let mut made = 0usize;
    for r in 0..resources {
        let noun = NOUNS[r % NOUNS.len()];
        let name = format!("{}{}", capitalise(noun), r / NOUNS.len());
        let base = format!("/v{}/{}s{}", 1 + rng.below(2), noun, r / NOUNS.len());
        let tag = format!("{noun}s");
        let mut props = Map::new();
        props.insert("id".into(), json!({"type": "string", "format": "uuid", "readOnly": true}));
        for _ in 0..(3 + rng.below(6)) {
            let (f, t, fmt) = FIELDS[rng.below(FIELDS.len() as u64) as usize];
            let mut s = json!({"type": t, "description": format!("The {noun}'s {f}.")});
            if let Some(fmt) = fmt {
                s["format"] = json!(fmt);
            }
            props.insert(f.into(), s);
        }
        match rng.below(4) {
            0 => {
                props.insert("address".into(), json!({"$ref": "#/components/schemas/Address"}));
            }
            1 => {
                props.insert("total".into(), json!({"$ref": "#/components/schemas/Money"}));
            }
            2 => {
                props.insert("tags".into(), json!({"type": "array", "items": {"$ref": "#/components/schemas/Tag"}}));
            }
            _ => {}
        }
        if r > 0 && rng.below(3) == 0 {
            let other = format!("{}{}", capitalise(NOUNS[(r - 1) % NOUNS.len()]), (r - 1) / NOUNS.len());
            props.insert("related".into(), json!({"$ref": format!("#/components/schemas/{other}")}));
        }
        let required: Vec<&String> = props.keys().take(2).collect();
        schemas.insert(
            name.clone(),
            json!({"type": "object", "description": format!("A {noun}."), "required": required, "properties": props}),
        );
        schemas.insert(
            format!("{name}List"),
            json!({"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}}, "page": {"$ref": "#/components/schemas/Page"}}}),
        );
        let one = json!({"$ref": format!("#/components/schemas/{name}")});
        let errors = json!({
            "400": {"$ref": "#/components/responses/BadRequest"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": {"description": "Not found.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        });
        let example = json!({"id": "4f0c8a9e-4d7e-4b8e-9a53-1c2b3d4e5f60", "name": format!("sample {noun}")});
        let with = |mut ok: Value, extra: &Value| {
            for (k, v) in extra.as_object().unwrap() {
                ok[k] = v.clone();
            }
            ok
        };
        let ops = [
            (
                base.clone(),
                "get",
                json!({"operationId": format!("list{name}s"), "summary": format!("List {noun}s"), "tags": [tag],
                    "parameters": [{"$ref": "#/components/parameters/Limit"}, {"$ref": "#/components/parameters/Cursor"},
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "archived"]}}],
                    "responses": with(json!({"200": {"description": "A page.", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}List")}}}}}), &errors)}),
            ),
            (
                base.clone(),
                "post",
                json!({"operationId": format!("create{name}"), "summary": format!("Create a {noun}"), "tags": [tag],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": one, "examples": {"minimal": {"summary": "Only the required fields", "value": example}}}}},
                    "responses": with(json!({"201": {"description": "Created.", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": one, "example": example}}}}), &errors)}),
            ),
            (
                format!("{base}/{{id}}"),
                "get",
                json!({"operationId": format!("get{name}"), "summary": format!("Get a {noun}"), "tags": [tag],
                    "responses": with(json!({"200": {"description": "The {noun}.", "content": {"application/json": {"schema": one}}}}), &errors)}),
            ),
            (
                format!("{base}/{{id}}"),
                "put",
                json!({"operationId": format!("update{name}"), "summary": format!("Replace a {noun}"), "tags": [tag],
                    "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
                    "requestBody": {"$ref": format!("#/components/requestBodies/{name}Body")},
                    "responses": with(json!({"200": {"description": "Updated.", "content": {"application/json": {"schema": one}}}}), &errors)}),
            ),
            (
                format!("{base}/{{id}}"),
                "delete",
                json!({"operationId": format!("delete{name}"), "summary": format!("Delete a {noun}"), "tags": [tag], "deprecated": rng.below(10) == 0,
                    "security": [{"apiKey": []}],
                    "responses": with(json!({"204": {"description": "Deleted."}}), &errors)}),
            ),
        ];
        for (path, method, op) in ops {
            if made == operations {
                break;
            }
            made += 1;
            let item = paths.entry(path.clone()).or_insert_with(|| {
                if path.ends_with("{id}") {
                    json!({"parameters": [{"name": "id", "in": "path", "required": true, "description": "The id.", "schema": {"type": "string", "format": "uuid"}}]})
                } else {
                    json!({})
                }
            });
            item[method] = op;
        }
        schemas.insert(format!("{name}Body"), json!({"$ref": format!("#/components/schemas/{name}")}));
    }
    let mut request_bodies = Map::new();
    for name in schemas.keys().filter(|k| k.ends_with("Body")) {
        request_bodies.insert(
            name.clone(),
            json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}}),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Generated API", "version": "1.0.0"},
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "example": 20},
                "Cursor": {"name": "cursor", "in": "query", "schema": {"type": "string"}}
            },
            "responses": {
                "BadRequest": {"description": "Invalid input.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "Unauthorized": {"description": "Missing or bad credentials.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "requestBodies": request_bodies,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
            }
        }
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}
