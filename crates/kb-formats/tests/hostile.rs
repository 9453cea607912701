//! Hostile and broken input: each gives a clear `ImportError` quickly, never a panic, a hang, a
//! stack overflow or unbounded memory.

use std::fmt::Write;
use std::time::{Duration, Instant};

use kb_formats::{parse_openapi, ErrorKind, ImportError, Limits};
use serde_json::json;

fn refuse(bytes: &[u8]) -> ImportError {
    refuse_with(bytes, &Limits::default())
}

fn refuse_with(bytes: &[u8], limits: &Limits) -> ImportError {
    let start = Instant::now();
    let err = parse_openapi(bytes, limits).expect_err("must be refused");
    // Generous for unoptimised builds on a shared 2-core machine; real times are milliseconds.
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    err
}

fn openapi_with_schemas(schemas: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "openapi": "3.0.0", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S0"}}}}}}}},
        "components": {"schemas": schemas}
    }))
    .unwrap()
}

#[test]
fn billion_laughs_yaml_is_refused() {
    let mut y = String::from("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\nx-bomb:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        let _ = writeln!(y, "  {n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]");
        prev = n;
    }
    let e = refuse(y.as_bytes());
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    assert!(e.to_string().contains("alias"), "{e}");
}

#[test]
fn wide_alias_expansion_under_libyaml_repetition_limit_still_stops_at_the_node_budget() {
    // One anchor of 20,000 nodes aliased 2,000 times: few alias jumps (serde_norway's own limit
    // counts jumps, not nodes) but 40 million nodes once expanded; the document-tree budget
    // (bytes / 2 + 1 million) stops it.
    let mut y = String::from("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\nx-big: &big [");
    for i in 0..20_000 {
        let _ = write!(y, "{i},");
    }
    y.push_str("0]\nx-copies: [");
    for _ in 0..2_000 {
        y.push_str("*big,");
    }
    y.push_str("*big]\n");
    let e = refuse(y.as_bytes());
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    assert!(e.to_string().contains("more than"), "{e}");
    // Modest anchor use is fine.
    let ok = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get: &op {responses: {'200': {description: ok}}}\n  /b:\n    get: *op\n";
    assert_eq!(parse_openapi(ok.as_bytes(), &Limits::default()).unwrap().entries.len(), 2);
}

#[test]
fn ref_cycles_without_content_are_errors_and_recursive_schemas_are_kept() {
    let e = refuse(&openapi_with_schemas(
        json!({"S0": {"$ref": "#/components/schemas/S1"}, "S1": {"$ref": "#/components/schemas/S2"}, "S2": {"$ref": "#/components/schemas/S0"}}),
    ));
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(e.to_string().contains("$ref cycle"), "{e}");
    assert!(e.to_string().contains("/paths/~1x/get/responses/200/content/application~1json/schema"), "{e}");
    let e = refuse(&openapi_with_schemas(json!({"S0": {"$ref": "#/components/schemas/S0"}})));
    assert!(e.to_string().contains("#/components/schemas/S0 → #/components/schemas/S0"), "{e}");
    // Parameters too.
    let doc = json!({"openapi": "3.0.0", "info": {}, "paths": {"/x": {"get": {"parameters": [{"$ref": "#/components/parameters/P"}]}}},
        "components": {"parameters": {"P": {"$ref": "#/components/parameters/Q"}, "Q": {"$ref": "#/components/parameters/P"}}}});
    let e = refuse(&serde_json::to_vec(&doc).unwrap());
    assert!(e.to_string().contains("/paths/~1x/get/parameters/0"), "{e}");
    // Mutual recursion through content is a schema, not an error.
    let ok = parse_openapi(
        &openapi_with_schemas(json!({"S0": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/S1"}}},
            "S1": {"type": "array", "items": {"$ref": "#/components/schemas/S0"}}})),
        &Limits::default(),
    )
    .unwrap();
    let domain::kb::Entry::ApiOperation(op) = &ok.entries[0] else { panic!() };
    assert_eq!(op.responses[0].content[0].schema["properties"]["b"]["items"], json!({"$ref": "#/components/schemas/S0"}));
}

#[test]
fn too_many_operations_are_refused_with_the_count() {
    let mut s = String::from(r#"{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"#);
    for i in 0..100_000 {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, r#""/p{i}":{{"get":{{"responses":{{"200":{{"description":"ok"}}}}}}}}"#);
    }
    s.push_str("}}");
    let e = refuse(s.as_bytes());
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert!(e.to_string().contains("100000 operations; at most 20000"), "{e}");
    // Under a raised limit the same document imports.
    let many = Limits { max_operations: 100_000, ..Limits::default() };
    assert_eq!(parse_openapi(s.as_bytes(), &many).unwrap().entries.len(), 100_000);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let json = format!(r#"{{"openapi":"3.0.0","x":{}{}}}"#, "[".repeat(1_000), "]".repeat(1_000));
    let e = refuse(json.as_bytes());
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    assert!(e.line.is_some());
    let json = format!(r#"{{"openapi":"3.0.0","x":{}1{}}}"#, r#"{"a":"#.repeat(1_000), "}".repeat(1_000));
    assert_eq!(refuse(json.as_bytes()).kind, ErrorKind::TooLarge);
    let yaml = format!("openapi: 3.0.0\nx: {}{}\n", "[".repeat(1_000), "]".repeat(1_000));
    assert_eq!(refuse(yaml.as_bytes()).kind, ErrorKind::TooLarge);
    let mut yaml = String::from("openapi: 3.0.0\nx:\n");
    for d in 0..1_000 {
        let _ = writeln!(yaml, "{}k:", "  ".repeat(d + 1));
    }
    let e = refuse(yaml.as_bytes());
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    // A smaller max_depth is ours to enforce.
    let limits = Limits { max_depth: 10, ..Limits::default() };
    let e = refuse_with(format!(r#"{{"openapi":"3.0.0","x":{}{}}}"#, "[".repeat(20), "]".repeat(20)).as_bytes(), &limits);
    assert!(e.to_string().contains("deeper than 10"), "{e}");
}

#[test]
fn resolved_schema_depth_and_size_are_bounded() {
    // 2,000 schemas each embedding the next: deep once expanded.
    let mut schemas = serde_json::Map::new();
    for i in 0..2_000 {
        schemas.insert(
            format!("S{i}"),
            json!({"type": "object", "properties": {"next": {"$ref": format!("#/components/schemas/S{}", i + 1)}}}),
        );
    }
    let e = refuse(&openapi_with_schemas(serde_json::Value::Object(schemas)));
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert!(e.to_string().contains("nests deeper than 512"), "{e}");
    // Each schema using the next twice: 2^40 nodes once expanded.
    let mut schemas = serde_json::Map::new();
    for i in 0..40 {
        let next = json!({"$ref": format!("#/components/schemas/S{}", i + 1)});
        schemas.insert(format!("S{i}"), json!({"type": "object", "properties": {"a": next, "b": next}}));
    }
    // (Default budget 5 million; a smaller one keeps the unoptimised test fast.)
    let limits = Limits { max_resolved_nodes: 300_000, ..Limits::default() };
    let e = refuse_with(&openapi_with_schemas(serde_json::Value::Object(schemas)), &limits);
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert!(e.to_string().contains("more than 300000"), "{e}");
}

#[test]
fn a_schema_referenced_ten_thousand_times_is_expanded() {
    let mut props = serde_json::Map::new();
    for i in 0..50 {
        props.insert(format!("f{i}"), json!({"type": "string"}));
    }
    let mut paths = serde_json::Map::new();
    for i in 0..10_000 {
        paths.insert(format!("/p{i}"), json!({"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Big"}}}}}}}));
    }
    let doc = json!({"openapi": "3.0.0", "info": {}, "paths": paths, "components": {"schemas": {"Big": {"type": "object", "properties": props}}}});
    let got = parse_openapi(&serde_json::to_vec(&doc).unwrap(), &Limits::default()).unwrap();
    assert_eq!(got.entries.len(), 10_000);
    // The same under a tight node budget is refused rather than expanded.
    let e = refuse_with(&serde_json::to_vec(&doc).unwrap(), &Limits { max_resolved_nodes: 500_000, ..Limits::default() });
    assert_eq!(e.kind, ErrorKind::TooLarge);
}

#[test]
fn non_utf8_binary_and_foreign_documents_are_named() {
    let e = refuse(b"openapi: 3.0.0\ninfo:\n  title: caf\xe9\n");
    assert_eq!(e.kind, ErrorKind::NotThisFormat);
    assert_eq!((e.line, e.column), (Some(3), Some(13)));
    assert!(e.to_string().contains("not UTF-8"), "{e}");

    let e = refuse(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n");
    assert_eq!(e.to_string(), "this is not an OpenAPI document: it looks like a PDF");
    assert!(refuse(b"PK\x03\x04\x14\x00").to_string().contains("ZIP"));
    assert!(refuse(b"\xff\xfeo\x00p\x00").to_string().contains("UTF-16"));

    let e = refuse(br#"{"name": "my-package", "version": "1.0.0"}"#);
    assert_eq!(e.kind, ErrorKind::NotThisFormat);
    assert!(e.to_string().contains("no `openapi` or `swagger` field"), "{e}");
    assert!(refuse(br#"{"info": {"_postman_id": "x"}, "item": []}"#).to_string().contains("Postman"));
    assert!(refuse(b"just some words, not a document").to_string().contains("top level is a string"));
    assert!(refuse(b"[1, 2]").to_string().contains("top level is a list"));
    assert!(refuse(b"  \n").to_string().contains("empty"));
    assert!(refuse(br#"{"openapi": "4.0.0"}"#).to_string().contains("4.0.0 is not supported"));
    assert!(refuse(br#"{"swagger": "1.2"}"#).to_string().contains("1.2 is not supported"));
    let limits = Limits { max_bytes: 10, ..Limits::default() };
    assert_eq!(refuse_with(br#"{"openapi": "3.0.0"}"#, &limits).kind, ErrorKind::TooLarge);
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = refuse(b"{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {,}\n}");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.line, Some(3));
    assert!(e.column.is_some());
    assert!(e.to_string().starts_with("line 3, column"), "{e}");
    let e = refuse(b"openapi: 3.0.0\npaths:\n  /a: [unclosed\n  /b: x\n");
    assert_eq!(e.kind, ErrorKind::Syntax, "{e}");
    assert!(e.line.is_some(), "{e}");
    assert!(e.to_string().contains("invalid YAML"), "{e}");
    let e = refuse(b"openapi: 3.0.0\n---\nopenapi: 3.1.0\n");
    assert_eq!(e.kind, ErrorKind::Syntax, "{e}");
}

#[test]
fn structural_errors_name_the_json_pointer() {
    let doc = br#"{"openapi": "3.0.0", "paths": {"/users": {"get": {"responses": ["200"]}}}}"#;
    let e = refuse(doc);
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert_eq!(e.pointer.as_deref(), Some("/paths/~1users/get/responses"));
    assert_eq!(e.to_string(), "at /paths/~1users/get/responses: expected an object, found a list");
    let doc = br#"{"openapi": "3.0.0", "paths": {"/u": {"get": {"parameters": [{"name": "a", "in": "body"}]}}}}"#;
    assert_eq!(refuse(doc).pointer.as_deref(), Some("/paths/~1u/get/parameters/0"));
    let doc = br#"{"openapi": "3.0.0", "paths": []}"#;
    assert_eq!(refuse(doc).pointer.as_deref(), Some("/paths"));
}

#[test]
fn dangling_internal_refs_are_kept_with_a_warning() {
    let got = parse_openapi(&openapi_with_schemas(json!({"S0": {"$ref": "#/components/schemas/Missing"}})), &Limits::default()).unwrap();
    assert_eq!(got.warnings.len(), 1);
    assert!(got.warnings[0].contains("points at nothing"), "{:?}", got.warnings);
    let domain::kb::Entry::ApiOperation(op) = &got.entries[0] else { panic!() };
    assert_eq!(op.responses[0].content[0].schema, json!({"$ref": "#/components/schemas/Missing"}));
}
