//! Field-level differences between two sets of entries: two releases, or the active knowledge
//! base and an import's preview.
//!
//! Paths name list items by what they are, not where they are: `parameters[limit].description`,
//! `responses[200].content[application/json].schema.properties.id.type`,
//! `columns[email].nullable`, `indexes[users_email_key].unique`, `foreign_keys[team_id].references`.
//! A parameter name used in two places is told apart by its place: `parameters[id (path)]`.
//! Items with no natural name (example queries, schema lists) go by position: `example_queries[0]`.
//! `before`/`after` are `None` where the field or item is absent (empty fields are not stored).

use super::entry::{Entry, EntryKey};
use super::release::{change_summary, ReleaseEntry};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The fields that differ in one entry present on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryChange {
    pub key: EntryKey,
    pub fields: Vec<FieldChange>,
}

/// How a new set of entries differs from an old one; every list sorted by key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KbDiff {
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub changed: Vec<EntryChange>,
    pub unchanged: Vec<EntryKey>,
}

impl KbDiff {
    /// Nothing added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// "2 added, 1 changed: GET /users, ..." (see [`change_summary`]).
    pub fn summary(&self) -> String {
        let added: Vec<EntryKey> = self.added.iter().map(Entry::key).collect();
        let changed: Vec<EntryKey> = self.changed.iter().map(|c| c.key.clone()).collect();
        let removed: Vec<EntryKey> = self.removed.iter().map(Entry::key).collect();
        change_summary(&added, &changed, &removed)
    }
}

/// Compares two entry sets by key. Should a side hold one key twice, its last entry counts.
pub fn diff_entries(old: &[Entry], new: &[Entry]) -> KbDiff {
    diff_maps(entries_by_key(old), entries_by_key(new))
}

/// Compares two releases' entries, skipping the field walk where the content hashes agree.
pub fn diff_release_entries(old: &[ReleaseEntry], new: &[ReleaseEntry]) -> KbDiff {
    diff_maps(release_entries_by_key(old), release_entries_by_key(new))
}

fn entries_by_key(entries: &[Entry]) -> Side<'_> {
    entries.iter().map(|e| (e.key(), (e, None))).collect()
}

fn release_entries_by_key(entries: &[ReleaseEntry]) -> Side<'_> {
    entries.iter().map(|e| (e.key(), (&e.entry, Some(e.content_hash.as_str())))).collect()
}

type Side<'a> = BTreeMap<EntryKey, (&'a Entry, Option<&'a str>)>;

fn diff_maps(old: Side<'_>, new: Side<'_>) -> KbDiff {
    let mut diff = KbDiff::default();
    for (key, (before, before_hash)) in &old {
        if !new.contains_key(key) {
            diff.removed.push((*before).clone());
        } else if let Some((after, after_hash)) = new.get(key) {
            let same = match (before_hash, after_hash) {
                (Some(a), Some(b)) => a == b,
                _ => before == after,
            };
            let fields = if same { Vec::new() } else { diff_entry(before, after) };
            if fields.is_empty() {
                diff.unchanged.push(key.clone());
            } else {
                diff.changed.push(EntryChange { key: key.clone(), fields });
            }
        }
    }
    diff.added = new.iter().filter(|(k, _)| !old.contains_key(*k)).map(|(_, (e, _))| (*e).clone()).collect();
    diff
}

/// The fields that differ between two versions of an entry, in a stable order: object fields
/// by name, list items in the new version's order, then the removed ones.
pub fn diff_entry(old: &Entry, new: &Entry) -> Vec<FieldChange> {
    let before = serde_json::to_value(old).unwrap_or(Value::Null);
    let after = serde_json::to_value(new).unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk(&mut Walk { out: &mut out }, "", Some(&before), Some(&after), Mode::Structure);
    out
}

/// Inside the entry's own structure, list items are named; inside free JSON (schemas, example
/// values) they are not.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Structure,
    Free,
}

struct Walk<'o> {
    out: &'o mut Vec<FieldChange>,
}

impl Walk<'_> {
    fn push(&mut self, path: &str, before: Option<&Value>, after: Option<&Value>) {
        self.out.push(FieldChange { path: path.to_owned(), before: before.cloned(), after: after.cloned() });
    }
}

/// Fields whose values are free JSON rather than entry structure.
fn is_free_field(name: &str) -> bool {
    matches!(name, "schema" | "example" | "value")
}

fn walk(w: &mut Walk<'_>, path: &str, before: Option<&Value>, after: Option<&Value>, mode: Mode) {
    if before == after {
        return;
    }
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => walk_object(w, path, a, b, mode),
        (Some(Value::Array(a)), Some(Value::Array(b))) => walk_array(w, path, a, b, mode),
        _ => w.push(path, before, after),
    }
}

fn walk_object(w: &mut Walk<'_>, path: &str, a: &Map<String, Value>, b: &Map<String, Value>, mode: Mode) {
    let mut names: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
    names.sort();
    for name in names {
        let (before, after) = (a.get(name), b.get(name));
        let child = field_path(path, name, mode);
        let child_mode = if mode == Mode::Free || is_free_field(name) { Mode::Free } else { Mode::Structure };
        if child_mode == Mode::Structure {
            // A list left out because it is empty compares as an empty list, item by item.
            let empty = Value::Array(Vec::new());
            match (before, after) {
                (None, Some(Value::Array(b))) if named_items(name, &[], b).is_some() => {
                    walk(w, &child, Some(&empty), Some(&Value::Array(b.clone())), child_mode);
                    continue;
                }
                (Some(Value::Array(a)), None) if named_items(name, a, &[]).is_some() => {
                    walk(w, &child, Some(&Value::Array(a.clone())), Some(&empty), child_mode);
                    continue;
                }
                _ => {}
            }
        }
        walk(w, &child, before, after, child_mode);
    }
}

fn walk_array(w: &mut Walk<'_>, path: &str, a: &[Value], b: &[Value], mode: Mode) {
    let field = last_field(path);
    if mode == Mode::Structure {
        if let Some((a_named, b_named)) = named_items(field, a, b) {
            return walk_named(w, path, a_named, b_named);
        }
    }
    let nested = |items: &[Value]| items.iter().any(|v| v.is_object() || v.is_array());
    let by_position = field == "example_queries" || (a.len() == b.len() && (nested(a) || nested(b)));
    if !by_position {
        // Lists of plain values (tags, enum, primary key columns) read best whole.
        return w.push(path, Some(&Value::Array(a.to_vec())), Some(&Value::Array(b.to_vec())));
    }
    for i in 0..a.len().max(b.len()) {
        walk(w, &format!("{path}[{i}]"), a.get(i), b.get(i), mode);
    }
}

fn walk_named(w: &mut Walk<'_>, path: &str, a: Named<'_>, b: Named<'_>) {
    let old: HashMap<&str, &Value> = a.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let new_names: HashSet<&str> = b.iter().map(|(n, _)| n.as_str()).collect();
    for (name, after) in &b {
        walk(w, &format!("{path}[{name}]"), old.get(name.as_str()).copied(), Some(*after), Mode::Structure);
    }
    for (name, before) in &a {
        if !new_names.contains(name.as_str()) {
            w.push(&format!("{path}[{name}]"), Some(*before), None);
        }
    }
    // Same items in another order.
    let common = |side: &[(String, &Value)], other: &dyn Fn(&str) -> bool| -> Vec<Value> {
        side.iter().filter(|(n, _)| other(n)).map(|(n, _)| Value::String(n.clone())).collect()
    };
    let order_before = common(&a, &|n| new_names.contains(n));
    let order_after = common(&b, &|n| old.contains_key(n));
    if order_before != order_after {
        w.push(&format!("{path} (order)"), Some(&Value::Array(order_before)), Some(&Value::Array(order_after)));
    }
}

/// List items with their names.
type Named<'v> = Vec<(String, &'v Value)>;

/// The natural name of each item of the list field `field` on both sides, or `None` when the
/// field's items have none (every item must have one).
fn named_items<'v>(field: &str, a: &'v [Value], b: &'v [Value]) -> Option<(Named<'v>, Named<'v>)> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let label = |v: &Value| -> Option<String> {
        match field {
            "parameters" => text(v, "name"),
            "responses" => text(v, "status"),
            "content" => text(v, "content_type"),
            "examples" | "columns" | "indexes" => text(v, "name"),
            "foreign_keys" => {
                let cols = v.get("columns")?.as_array()?;
                let cols: Option<Vec<&str>> = cols.iter().map(Value::as_str).collect();
                Some(cols?.join(","))
            }
            _ => None,
        }
    };
    let label_all = |items: &'v [Value]| -> Option<Named<'v>> { items.iter().map(|v| label(v).map(|l| (l, v))).collect() };
    let (mut a, mut b) = (label_all(a)?, label_all(b)?);
    if field == "parameters" {
        // A name used in two places (an `id` in the path and in the query) adds its place.
        let mut ambiguous = HashSet::new();
        for side in [&a, &b] {
            let mut seen = HashSet::new();
            for (name, _) in side.iter() {
                if !seen.insert(name.clone()) {
                    ambiguous.insert(name.clone());
                }
            }
        }
        for side in [&mut a, &mut b] {
            for (name, v) in side.iter_mut() {
                if ambiguous.contains(name) {
                    let place = v.get("location").and_then(Value::as_str).unwrap_or("?");
                    *name = format!("{name} ({place})");
                }
            }
        }
    }
    Some((number_repeats(a), number_repeats(b)))
}

/// Tells apart items that still share a name: the second `x` becomes `x #2`.
fn number_repeats(items: Named<'_>) -> Named<'_> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    items
        .into_iter()
        .map(|(name, v)| {
            let n = seen.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                (name, v)
            } else {
                (format!("{name} #{n}"), v)
            }
        })
        .collect()
}

fn field_path(parent: &str, name: &str, mode: Mode) -> String {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '@'));
    if mode == Mode::Free && !plain {
        format!("{parent}[{}]", Value::String(name.to_owned()))
    } else if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// The field name a path ends with: `parameters` for `responses[200].parameters`.
fn last_field(path: &str) -> &str {
    let end = path.trim_end_matches(|c| c != '.').len();
    &path[end..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::entry::{ApiOperation, Body, Column, ExampleQuery, ForeignKey, Index, ParamLocation, Parameter, ResponseSpec, Table};
    use serde_json::json;

    fn param(name: &str, location: ParamLocation, description: &str) -> Parameter {
        Parameter {
            name: name.into(),
            location,
            description: description.into(),
            required: false,
            schema: json!({"type": "integer"}),
            example: None,
        }
    }

    fn operation(path: &str) -> ApiOperation {
        ApiOperation {
            method: "GET".into(),
            path: path.into(),
            operation_id: "listUsers".into(),
            summary: "List users".into(),
            description: String::new(),
            tags: vec!["users".into()],
            auth: vec![],
            parameters: vec![param("limit", ParamLocation::Query, "Page size")],
            request_body: None,
            responses: vec![ResponseSpec {
                status: "200".into(),
                description: "OK".into(),
                content: vec![Body {
                    content_type: "application/json".into(),
                    schema: json!({"type": "object", "properties": {"id": {"type": "integer"}}}),
                    example: None,
                }],
            }],
            examples: vec![],
            deprecated: false,
        }
    }

    fn column(name: &str, nullable: bool) -> Column {
        Column { name: name.into(), data_type: "text".into(), nullable, default: None, description: String::new(), examples: vec![] }
    }

    fn users_table() -> Table {
        Table {
            schema: "public".into(),
            name: "users".into(),
            description: "People".into(),
            columns: vec![column("id", false), column("email", true), column("team_id", true)],
            primary_key: vec!["id".into()],
            foreign_keys: vec![ForeignKey {
                name: "users_team_id_fkey".into(),
                columns: vec!["team_id".into()],
                references: "public.teams".into(),
                referenced_columns: vec!["id".into()],
            }],
            indexes: vec![Index { name: "users_email_key".into(), columns: vec!["email".into()], unique: false }],
            example_queries: vec![ExampleQuery { description: String::new(), sql: "select 1".into() }],
        }
    }

    fn paths(changes: &[FieldChange]) -> Vec<&str> {
        changes.iter().map(|c| c.path.as_str()).collect()
    }

    #[test]
    fn operation_fields_are_named_by_parameter_status_and_media_type() {
        let old = operation("/users");
        let mut new = old.clone();
        new.parameters[0].description = "How many users per page".into();
        new.parameters.push(param("offset", ParamLocation::Query, ""));
        new.responses[0].content[0].schema["properties"]["id"]["type"] = json!("string");
        new.responses.push(ResponseSpec { status: "404".into(), description: "Not found".into(), content: vec![] });
        new.tags.push("admin".into());
        new.summary = "List the users".into();

        let changes = diff_entry(&Entry::ApiOperation(old), &Entry::ApiOperation(new));
        assert_eq!(
            paths(&changes),
            [
                "parameters[limit].description",
                "parameters[offset]",
                "responses[200].content[application/json].schema.properties.id.type",
                "responses[404]",
                "summary",
                "tags",
            ]
        );
        assert_eq!(changes[0].before, Some(json!("Page size")));
        assert_eq!(changes[0].after, Some(json!("How many users per page")));
        assert_eq!(changes[1].before, None);
        assert_eq!(changes[1].after.as_ref().unwrap()["name"], "offset");
        assert_eq!(changes[2].before, Some(json!("integer")));
        assert_eq!(changes[5].after, Some(json!(["users", "admin"])));
    }

    #[test]
    fn a_parameter_name_used_twice_carries_its_place() {
        let mut old = operation("/users/{id}");
        old.parameters = vec![param("id", ParamLocation::Path, "User"), param("id", ParamLocation::Query, "Other")];
        let mut new = old.clone();
        new.parameters[1].required = true;
        let changes = diff_entry(&Entry::ApiOperation(old), &Entry::ApiOperation(new));
        assert_eq!(paths(&changes), ["parameters[id (query)].required"]);
    }

    #[test]
    fn a_moved_parameter_shows_its_new_place_and_empty_lists_compare_item_by_item() {
        let mut old = operation("/users");
        old.parameters = vec![];
        let mut new = old.clone();
        new.parameters = vec![param("limit", ParamLocation::Header, "")];
        // Absent (empty) on the old side: the item is added, not the whole list.
        let changes = diff_entry(&Entry::ApiOperation(old), &Entry::ApiOperation(new.clone()));
        assert_eq!(paths(&changes), ["parameters[limit]"]);

        let mut moved = new.clone();
        moved.parameters[0].location = ParamLocation::Query;
        let changes = diff_entry(&Entry::ApiOperation(new), &Entry::ApiOperation(moved));
        assert_eq!(paths(&changes), ["parameters[limit].location"]);
        assert_eq!(changes[0].after, Some(json!("query")));
    }

    #[test]
    fn table_fields_are_named_by_column_index_and_foreign_key_columns() {
        let old = users_table();
        let mut new = old.clone();
        new.columns[1].nullable = false;
        new.columns.remove(0);
        new.indexes[0].unique = true;
        new.foreign_keys[0].references = "public.groups".into();
        new.example_queries[0].sql = "select 2".into();
        new.primary_key = vec!["email".into()];

        let changes = diff_entry(&Entry::Table(old), &Entry::Table(new));
        assert_eq!(
            paths(&changes),
            [
                "columns[email].nullable",
                "columns[id]",
                "example_queries[0].sql",
                "foreign_keys[team_id].references",
                "indexes[users_email_key].unique",
                "primary_key",
            ]
        );
        let nullable = &changes[0];
        assert_eq!((nullable.before.clone(), nullable.after.clone()), (Some(json!(true)), Some(json!(false))));
        assert_eq!(changes[1].after, None);
    }

    #[test]
    fn reordered_columns_are_reported_once() {
        let old = users_table();
        let mut new = old.clone();
        new.columns.swap(0, 1);
        let changes = diff_entry(&Entry::Table(old), &Entry::Table(new));
        assert_eq!(paths(&changes), ["columns (order)"]);
        assert_eq!(changes[0].before, Some(json!(["id", "email", "team_id"])));
        assert_eq!(changes[0].after, Some(json!(["email", "id", "team_id"])));
    }

    #[test]
    fn free_json_keys_that_are_not_plain_words_are_quoted() {
        let mut old = operation("/users");
        old.responses[0].content[0].schema = json!({"properties": {"a.b": {"type": "integer"}}, "enum": [1, 2]});
        let mut new = old.clone();
        new.responses[0].content[0].schema = json!({"properties": {"a.b": {"type": "string"}}, "enum": [1, 3]});
        let changes = diff_entry(&Entry::ApiOperation(old), &Entry::ApiOperation(new));
        assert_eq!(
            paths(&changes),
            [
                "responses[200].content[application/json].schema.enum",
                r#"responses[200].content[application/json].schema.properties["a.b"].type"#,
            ]
        );
    }

    #[test]
    fn entry_sets_split_into_added_removed_changed_and_unchanged_sorted_by_key() {
        let users = Entry::ApiOperation(operation("/users"));
        let teams = Entry::ApiOperation(operation("/teams"));
        let table = Entry::Table(users_table());
        let mut table2 = users_table();
        table2.description = "People who sign in".into();
        let orders = Entry::ApiOperation(operation("/orders"));

        let diff = diff_entries(&[table.clone(), users.clone(), teams.clone()], &[orders.clone(), Entry::Table(table2), users.clone()]);
        assert_eq!(diff.added, [orders]);
        assert_eq!(diff.removed, [teams]);
        assert_eq!(diff.unchanged, [users.key()]);
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].key, table.key());
        assert_eq!(paths(&diff.changed[0].fields), ["description"]);
        assert!(!diff.is_empty());
        assert_eq!(diff.summary(), "1 added, 1 changed, 1 removed: GET /orders, public.users, GET /teams");

        let same = diff_entries(std::slice::from_ref(&users), std::slice::from_ref(&users));
        assert!(same.is_empty());
    }

    #[test]
    fn releases_compare_by_their_hashes() {
        let a = ReleaseEntry::new(Entry::ApiOperation(operation("/users")), 1);
        let mut changed = operation("/users");
        changed.deprecated = true;
        let b = ReleaseEntry::new(Entry::ApiOperation(changed), 2);
        let diff = diff_release_entries(std::slice::from_ref(&a), &[b]);
        assert_eq!(paths(&diff.changed[0].fields), ["deprecated"]);
        assert_eq!(diff_release_entries(std::slice::from_ref(&a), std::slice::from_ref(&a)).unchanged.len(), 1);
    }

    #[test]
    fn ten_thousand_entries_a_side() {
        let make = |i: usize, summary: &str| {
            let mut op = operation(&format!("/r{i:05}/{{id}}"));
            op.summary = summary.to_owned();
            Entry::ApiOperation(op)
        };
        let old: Vec<Entry> = (0..10_000).map(|i| make(i, "same")).collect();
        let new: Vec<Entry> = (500..10_500).rev().map(|i| make(i, if i % 10 == 0 { "changed" } else { "same" })).collect();
        let diff = diff_entries(&old, &new);
        assert_eq!(diff.added.len(), 500);
        assert_eq!(diff.removed.len(), 500);
        assert_eq!(diff.changed.len(), 950);
        assert_eq!(diff.unchanged.len(), 9_500 - 950);
        assert!(diff.added.windows(2).all(|w| w[0].key() < w[1].key()));
        assert!(diff.changed.iter().all(|c| paths(&c.fields) == ["summary"]));
    }
}
