//! OpenAPI import: what the fixtures become, and import → export → import round trips.

use domain::kb::{ApiOperation, Entry, ParamLocation};
use kb_formats::testdata::{generate_openapi, generate_openapi_yaml};
use kb_formats::{export_openapi, export_openapi_yaml, parse_openapi, parse_openapi_with_progress, Imported, Limits};
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn import(bytes: &[u8]) -> Imported {
    parse_openapi(bytes, &Limits::default()).unwrap_or_else(|e| panic!("import failed: {e}"))
}

fn op<'a>(i: &'a Imported, key: &str) -> &'a ApiOperation {
    i.entries
        .iter()
        .find_map(|e| match e {
            Entry::ApiOperation(o) if e.key().name == key => Some(o),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {key} in {:?}", i.entries.iter().map(|e| e.key().name).collect::<Vec<_>>()))
}

/// import → export (JSON and YAML) → import gives the same entries.
fn assert_round_trip(first: &Imported) {
    let doc = export_openapi(&first.entries, "KB", "1");
    assert_eq!(doc["openapi"], "3.1.0");
    let again = import(serde_json::to_string_pretty(&doc).unwrap().as_bytes());
    for (a, b) in first.entries.iter().zip(&again.entries) {
        assert_eq!(a, b, "{} differs after a round trip", a.key());
    }
    assert_eq!(first.entries.len(), again.entries.len());
    let yaml = export_openapi_yaml(&first.entries, "KB", "1");
    assert_eq!(import(yaml.as_bytes()).entries, first.entries, "YAML round trip");
}

#[test]
fn openapi_30_yaml_fixture_imports_everything_it_says() {
    let i = import(&fixture("petstore-3.0.yaml"));
    let keys: Vec<String> = i.entries.iter().map(|e| e.key().name).collect();
    // Paths sorted, methods in OpenAPI order.
    assert_eq!(
        keys,
        ["GET /categories/{a~b}/items", "GET /pets", "POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}", "GET /pets/{petId}/tree"]
    );

    let list = op(&i, "GET /pets");
    assert_eq!(list.operation_id, "listPets");
    assert_eq!(list.tags, ["pets"]);
    assert_eq!(list.auth, ["bearerAuth"], "global security");
    assert_eq!(list.parameters[0].name, "limit");
    assert_eq!(list.parameters[0].example, Some(json!(20)));
    assert_eq!(list.parameters[1].example, Some(json!("cat")), "first named example");
    // YAML's integer key 200 is the status "200"; statuses sorted.
    assert_eq!(list.responses.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(), ["200", "default"]);
    assert_eq!(list.responses[1].description, "Something went wrong.");
    let pet = &list.responses[0].content[0].schema["items"];
    assert_eq!(pet["allOf"][0]["properties"]["name"], json!({"type": "string"}));
    // Pet → Owner → Pet: the cycle keeps a $ref, and the expansion it points at is marked.
    assert_eq!(pet["allOf"][1]["properties"]["owner"]["properties"]["pets"]["items"], json!({"$ref": "#/components/schemas/Pet"}));
    assert_eq!(pet["x-kb-recursive-ref"], "#/components/schemas/Pet");
    assert_eq!(list.examples.len(), 1);
    assert_eq!(list.examples[0].name, "200 (application/json): two");
    assert_eq!(list.examples[0].summary, "Two pets");
    assert_eq!(list.responses[0].content[0].example, Some(json!([{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}])));

    let create = op(&i, "POST /pets");
    assert!(create.auth.is_empty(), "`security: []` makes it public");
    let rb = create.request_body.as_ref().unwrap();
    assert!(rb.required);
    assert_eq!(rb.description, "The pet to add.");
    // Example values are data: a "$ref" key inside one is not followed.
    let full = create.examples.iter().find(|e| e.name == "request (application/json): full").unwrap();
    assert_eq!(full.value["$ref"], "not a ref, data");
    assert_eq!(create.responses[0].content[0].example, Some(json!({"id": 3, "name": "Kit"})));

    let get = op(&i, "GET /pets/{petId}");
    assert_eq!(get.parameters.len(), 2, "path-level parameters merged");
    assert_eq!(get.parameters[0].description, "The pet's id (operation wins).");
    assert_eq!(get.parameters[0].location, ParamLocation::Path);
    assert_eq!(get.parameters[1].name, "X-Trace");
    assert_eq!(get.description, "Returns one pet.\nWith its owner.\n");
    let types: Vec<&str> = get.responses[0].content.iter().map(|b| b.content_type.as_str()).collect();
    assert_eq!(types, ["application/json", "application/xml"]);

    let del = op(&i, "DELETE /pets/{petId}");
    assert!(del.deprecated);
    assert_eq!(del.auth, ["apiKey", "bearerAuth"]);

    let tree = op(&i, "GET /pets/{petId}/tree");
    assert_eq!(tree.operation_id, "petTree", "path item $ref followed");
    let node = &tree.responses[0].content[0].schema;
    assert_eq!(node["properties"]["children"]["items"], json!({"$ref": "#/components/schemas/Node"}));

    let odd = op(&i, "GET /categories/{a~b}/items");
    assert_eq!(odd.responses[0].content[0].schema["description"], "A schema name with a slash and a tilde.", "~0 ~1 unescaped");
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
}

#[test]
fn openapi_31_siblings_remote_refs_and_parameter_content() {
    let i = import(&fixture("minimal-3.1.json"));
    let item = op(&i, "GET /items/{id}");
    assert_eq!(item.parameters[0].schema, json!({"type": ["string", "null"]}));
    let s = &item.responses[0].content[0].schema;
    assert_eq!(s["description"], "Overridden in 3.1");
    assert_eq!(s["properties"]["parent"], json!({"$ref": "#/components/schemas/Item"}));
    assert_eq!(item.responses[1].status, "4XX");
    let remote = op(&i, "GET /remote");
    assert_eq!(remote.responses[0].content[0].schema, json!({"$ref": "https://example.com/schemas/thing.json"}));
    assert_eq!(i.warnings.len(), 1);
    assert!(i.warnings[0].contains("remote $ref"), "{:?}", i.warnings);
    assert_round_trip(&i);
}

#[test]
fn swagger_20_becomes_openapi_3_entries() {
    let i = import(&fixture("swagger-2.0.json"));
    let keys: Vec<String> = i.entries.iter().map(|e| e.key().name).collect();
    assert_eq!(keys, ["POST /login", "GET /users", "POST /users", "PUT /users/{id}/avatar"], "paths kept without basePath");

    let list = op(&i, "GET /users");
    assert_eq!(list.auth, ["oauth"]);
    assert_eq!(list.parameters[0].schema, json!({"type": "integer", "minimum": 1, "default": 1}));
    assert_eq!(list.parameters[0].example, Some(json!(2)));
    assert_eq!(list.parameters[1].schema, json!({"type": "array", "items": {"type": "integer"}}));
    let content = &list.responses[0].content;
    assert_eq!(content.iter().map(|b| b.content_type.as_str()).collect::<Vec<_>>(), ["application/json", "application/xml"]);
    assert_eq!(content[0].example, Some(json!([{"id": 1, "name": "Ann"}])));
    let user = &content[0].schema["items"];
    assert_eq!(user["properties"]["manager"], json!({"$ref": "#/components/schemas/User"}), "#/definitions named the OpenAPI 3 way");
    assert_eq!(user["properties"]["team"]["properties"]["members"]["items"], json!({"$ref": "#/components/schemas/User"}));

    let create = op(&i, "POST /users");
    assert_eq!(create.auth, ["key"]);
    let rb = create.request_body.as_ref().unwrap();
    assert!(rb.required);
    assert_eq!(rb.description, "The user.");
    assert_eq!(rb.content[0].content_type, "application/json");
    assert_eq!(create.responses[1].status, "404");
    assert_eq!(create.responses[1].content[0].schema["properties"]["message"]["type"], "string");

    let avatar = op(&i, "PUT /users/{id}/avatar");
    assert_eq!(avatar.parameters[0].name, "id");
    let form = avatar.request_body.as_ref().unwrap();
    assert_eq!(form.content[0].content_type, "multipart/form-data");
    assert_eq!(form.content[0].schema["properties"]["file"], json!({"type": "string", "format": "binary", "description": "The image."}));
    assert_eq!(form.content[0].schema["required"], json!(["file"]));

    let login = op(&i, "POST /login");
    assert!(login.auth.is_empty());
    assert_eq!(login.request_body.as_ref().unwrap().content[0].content_type, "application/x-www-form-urlencoded");
    assert_round_trip(&i);
}

#[test]
fn fixtures_round_trip_through_export() {
    assert_round_trip(&import(&fixture("petstore-3.0.yaml")));
    assert_round_trip(&import(&fixture("swagger-2.0.json")));
    assert_round_trip(&import(generate_openapi(200, 7).as_bytes()));
}

#[test]
fn export_turns_recursive_schemas_into_components() {
    let i = import(&fixture("petstore-3.0.yaml"));
    let doc = export_openapi(&i.entries, "KB", "1");
    let node = &doc["components"]["schemas"]["Node"];
    assert_eq!(node["properties"]["children"]["items"], json!({"$ref": "#/components/schemas/Node"}));
    assert!(node.get("x-kb-recursive-ref").is_none());
    assert_eq!(
        doc["paths"]["/pets/{petId}/tree"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Node"})
    );
}

#[test]
fn import_is_deterministic_and_reports_progress() {
    let doc = generate_openapi(1_000, 42);
    let mut seen = Vec::new();
    let a = parse_openapi_with_progress(doc.as_bytes(), &Limits::default(), &mut |d, t| seen.push((d, t))).unwrap();
    let b = import(doc.as_bytes());
    assert_eq!(a, b);
    assert_eq!(a.entries.len(), 1_000);
    assert_eq!(seen.len(), 1_000);
    assert_eq!(seen.last(), Some(&(1_000, 1_000)));
    // The same document in YAML gives the same entries.
    assert_eq!(import(generate_openapi_yaml(1_000, 42).as_bytes()).entries, a.entries);
}

#[test]
fn entries_of_other_origin_still_export_and_import() {
    // Examples whose names the exporter cannot place travel as `x-kb-examples`.
    let mut i = import(&fixture("petstore-3.0.yaml"));
    if let Entry::ApiOperation(o) = &mut i.entries[0] {
        o.examples.push(domain::kb::Example { name: "hand written".into(), summary: "by a person".into(), value: json!({"a": 1}) });
    }
    assert_round_trip(&i);
}

/// A large real document, when one is at hand (`bench/kb_import.sh` caches GitHub's REST
/// description): `KB_OPENAPI_FIXTURE=~/.cache/elasticdash/kb-bench/package/generated/api.github.com.json`.
#[test]
fn real_world_description_round_trips_when_given() {
    let Ok(path) = std::env::var("KB_OPENAPI_FIXTURE") else {
        eprintln!("KB_OPENAPI_FIXTURE not set: skipped");
        return;
    };
    let first = import(&std::fs::read(path).unwrap());
    assert!(!first.entries.is_empty());
    assert_round_trip(&first);
}
