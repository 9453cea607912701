//! What the knowledge base holds: the HTTP operations and the database tables of the
//! application under test. Plain data (wasm-safe), shared by importers, stores, pages and agents.
//!
//! Schemas are JSON Schema values with internal `$ref`s already resolved; a recursive schema
//! keeps a `{"$ref": "#/components/schemas/Name"}` where it would cycle.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The two kinds of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    ApiOperation,
    Table,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::ApiOperation => "api_operation",
            EntryKind::Table => "table",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        match s {
            "api_operation" => Some(EntryKind::ApiOperation),
            "table" => Some(EntryKind::Table),
            _ => None,
        }
    }
}

/// An entry's identity inside a project's KB: `GET /users/{id}` for an operation,
/// `public.users` for a table. Two entries with one key are the same entry in two versions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryKey {
    pub kind: EntryKind,
    /// `METHOD /path` (method upper case) or `schema.table` (lower case unless quoted).
    pub name: String,
}

impl EntryKey {
    pub fn api(method: &str, path: &str) -> EntryKey {
        EntryKey { kind: EntryKind::ApiOperation, name: format!("{} {}", method.to_ascii_uppercase(), path) }
    }

    pub fn table(schema: &str, name: &str) -> EntryKey {
        EntryKey { kind: EntryKind::Table, name: format!("{schema}.{name}") }
    }
}

impl std::fmt::Display for EntryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Cookie => "cookie",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub location: ParamLocation,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// JSON Schema of the value (`{"type": "integer"}`), `Null` when the document gives none.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
}

/// A request or response body in one media type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// `application/json`, ...
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestBody {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// One per media type, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Body>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseSpec {
    /// `200`, `4XX`, `default`.
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Body>,
}

/// A named example exchange (what an agent can copy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    pub value: Value,
}

/// One HTTP operation of the application's API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiOperation {
    /// Upper case: `GET`, `POST`, ...
    pub method: String,
    /// As in the document, with its `{templates}`: `/users/{id}`.
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operation_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Security scheme names any of which authorises the call (`bearerAuth`); empty: public or unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<RequestBody>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<ResponseSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub deprecated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// As the DDL spells it, normalised to lower case: `bigint`, `varchar(255)`, `numeric(12,2)`.
    pub data_type: String,
    #[serde(default = "yes")]
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub columns: Vec<String>,
    /// `schema.table` it points at.
    pub references: String,
    pub referenced_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    #[serde(default)]
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub sql: String,
}

/// One table of the application's database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// `public` when the DDL names none.
    pub schema: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub example_queries: Vec<ExampleQuery>,
}

/// The content of one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    ApiOperation(ApiOperation),
    Table(Table),
}

impl Entry {
    pub fn key(&self) -> EntryKey {
        match self {
            Entry::ApiOperation(op) => EntryKey::api(&op.method, &op.path),
            Entry::Table(t) => EntryKey::table(&t.schema, &t.name),
        }
    }

    pub fn kind(&self) -> EntryKind {
        match self {
            Entry::ApiOperation(_) => EntryKind::ApiOperation,
            Entry::Table(_) => EntryKind::Table,
        }
    }

    /// One line a person reads in a list: the summary, else the description's first line.
    pub fn headline(&self) -> &str {
        let (summary, description) = match self {
            Entry::ApiOperation(op) => (op.summary.as_str(), op.description.as_str()),
            Entry::Table(t) => ("", t.description.as_str()),
        };
        if summary.trim().is_empty() {
            description.lines().next().unwrap_or("").trim()
        } else {
            summary.trim()
        }
    }

    /// Tags of an operation; a table has none.
    pub fn tags(&self) -> &[String] {
        match self {
            Entry::ApiOperation(op) => &op.tags,
            Entry::Table(_) => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_name_the_operation_or_the_table() {
        assert_eq!(EntryKey::api("get", "/users/{id}").name, "GET /users/{id}");
        assert_eq!(EntryKey::table("public", "users").to_string(), "public.users");
        assert_eq!(EntryKind::parse(EntryKind::Table.as_str()), Some(EntryKind::Table));
    }

    #[test]
    fn entries_round_trip_through_json_with_their_kind() {
        let e = Entry::Table(Table {
            schema: "public".into(),
            name: "users".into(),
            description: "People who sign in.".into(),
            columns: vec![Column {
                name: "id".into(),
                data_type: "bigint".into(),
                nullable: false,
                default: None,
                description: String::new(),
                examples: vec![],
            }],
            primary_key: vec!["id".into()],
            foreign_keys: vec![],
            indexes: vec![],
            example_queries: vec![],
        });
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], json!("table"));
        assert_eq!(serde_json::from_value::<Entry>(v).unwrap(), e);
        assert_eq!(e.headline(), "People who sign in.");
    }
}
