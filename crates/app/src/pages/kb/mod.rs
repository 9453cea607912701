//! The knowledge base (KB): the API operations and database tables of the application under
//! test, changed through reviewed drafts and published as numbered releases. Pages render on
//! the server and work without JavaScript: every change is a plain form posting to
//! src/http/forms/kb.rs (the import upload to src/http/kb.rs), which redirects back with a
//! one-time message; a running import refreshes its page with a meta tag.

mod drafts;
mod entries;
mod entry;
mod imports;
mod releases;
mod search;

pub use drafts::{KbDraftPage, KbDraftsPage};
pub use entries::{KbChooser, KbEntriesPage};
pub use entry::{KbEntryPage, KbNewPage};
pub use imports::{KbImportPage, KbImportsPage};
pub use releases::{KbDiffPage, KbReleasesPage};
pub use search::KbSearchPage;

use crate::api::kb::{entry_url, KbHead};
use domain::kb::{DraftChange, DraftStatus, Entry, EntryKey, EntryKind, FieldChange, ImportStatus};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde_json::Value;

fn param(name: &str) -> String {
    use_params_map().with_untracked(|p| p.get(name)).unwrap_or_default()
}

fn query(name: &str) -> String {
    use_query_map().with_untracked(|m| m.get(name)).unwrap_or_default()
}

fn when(ms: i64) -> String {
    domain::usage::utc_minute(ms)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The project's name above the title, and the area's tabs.
fn kb_header(head: &KbHead, title: String, lead: Option<String>, current: &'static str) -> AnyView {
    kb_header_with(head, title, lead, current, None)
}

fn kb_header_with(head: &KbHead, title: String, lead: Option<String>, current: &'static str, actions: Option<AnyView>) -> AnyView {
    let base = head.base();
    let tabs = [
        ("entries", "Entries", base.clone()),
        ("drafts", "Drafts", format!("{base}/drafts")),
        ("releases", "Releases", format!("{base}/releases")),
        ("imports", "Import", format!("{base}/imports")),
        ("search", "Search", format!("{base}/search")),
    ]
    .into_iter()
    .map(|(key, label, href)| {
        view! { <a class="tab" href=href aria-current=(key == current).then_some("page") data-testid=format!("kb-tab-{key}")>{label}</a> }
    })
    .collect_view();
    view! {
        <header class="page-header explorer-header">
            <div class="kb-title-row">
                <div>
                    <span class="card-kicker"><a href=format!("/projects/{}", head.slug)>{head.name.clone()}</a>" › "<a href=base.clone()>"Knowledge base"</a></span>
                    <h1>{title}</h1>
                    {lead.map(|l| view! { <p class="lead">{l}</p> })}
                </div>
                {actions.map(|a| view! { <div class="header-actions kb-actions">{a}</div> })}
            </div>
            <nav class="tabs explorer-tabs" aria-label="Knowledge base">{tabs}</nav>
        </header>
    }
    .into_any()
}

fn kind_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::ApiOperation => "API operation",
        EntryKind::Table => "Table",
    }
}

/// `GET` as a coloured badge.
fn method_badge(method: &str) -> impl IntoView {
    let m = method.to_ascii_uppercase();
    let class = format!("method method-{}", m.to_ascii_lowercase());
    view! { <span class=class>{m}</span> }
}

/// An entry's key as people read it: method badge and path, or the table's name.
fn key_label(key: &EntryKey) -> AnyView {
    match key.kind {
        EntryKind::ApiOperation => {
            let (method, path) = key.name.split_once(' ').unwrap_or(("", key.name.as_str()));
            view! { <span class="kb-key">{method_badge(method)}" "<code class="kb-path">{path.to_owned()}</code></span> }.into_any()
        }
        EntryKind::Table => view! { <span class="kb-key"><span class="method method-table">"TABLE"</span>" "<code class="kb-path">{key.name.clone()}</code></span> }.into_any(),
    }
}

/// The key as a link to its entry page.
fn key_link(slug: &str, key: &EntryKey) -> impl IntoView {
    view! { <a href=entry_url(slug, key) class="kb-key-link" data-testid="kb-entry-link">{key_label(key)}</a> }
}

fn draft_status_pill(s: DraftStatus) -> impl IntoView {
    let class = match s {
        DraftStatus::Draft => "pill pill-muted",
        DraftStatus::InReview => "pill pill-info",
        DraftStatus::Approved { .. } => "pill pill-ok",
        DraftStatus::Rejected => "pill pill-bad",
        DraftStatus::Withdrawn => "pill pill-muted",
    };
    view! { <span class=class data-testid="draft-status" data-status=s.as_str()>{s.label()}</span> }
}

/// add / change / delete, from the change and whether the entry is active.
fn change_kind(change: &DraftChange, base_revision: Option<u64>) -> &'static str {
    match (change, base_revision) {
        (DraftChange::Delete(_), _) => "delete",
        (DraftChange::Upsert(_), None) => "add",
        (DraftChange::Upsert(_), Some(_)) => "change",
    }
}

fn change_pill(kind: &'static str) -> impl IntoView {
    let class = match kind {
        "add" => "pill pill-ok",
        "delete" => "pill pill-bad",
        _ => "pill pill-warn",
    };
    view! { <span class=class data-testid="change-kind">{kind}</span> }
}

fn import_status_pill(s: ImportStatus) -> impl IntoView {
    let (class, label) = match s {
        ImportStatus::Queued => ("pill pill-info", "Queued"),
        ImportStatus::Parsing => ("pill pill-info", "Reading"),
        ImportStatus::Ready => ("pill pill-warn", "Ready to review"),
        ImportStatus::Applied => ("pill pill-ok", "Drafts made"),
        ImportStatus::Failed => ("pill pill-bad", "Failed"),
    };
    view! { <span class=class data-testid="import-status" data-status=s.as_str()>{label}</span> }
}

/// Pretty JSON of a value.
fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Lines of a long value shown before "show all".
const SHOWN_LINES: usize = 14;
const SHOWN_CHARS: usize = 1_200;

/// A JSON value in a `<pre>`, cut after a few lines with the rest behind "show all".
fn json_cell(v: Option<&Value>) -> AnyView {
    let Some(v) = v else { return view! { <span class="muted small">"(absent)"</span> }.into_any() };
    let text = match v {
        Value::String(s) => s.clone(),
        other => pretty(other),
    };
    let lines = text.lines().count();
    if lines <= SHOWN_LINES && text.chars().count() <= SHOWN_CHARS {
        return view! { <pre class="kb-json">{text}</pre> }.into_any();
    }
    let head: String = text.lines().take(SHOWN_LINES).collect::<Vec<_>>().join("\n").chars().take(SHOWN_CHARS).collect();
    view! {
        <pre class="kb-json">{head}"\n…"</pre>
        <details class="kb-show-all">
            <summary class="muted small">{format!("Show all ({lines} lines)")}</summary>
            <pre class="kb-json">{text}</pre>
        </details>
    }
    .into_any()
}

/// Field paths with before | after side by side; added fields green, removed red.
fn field_diff(fields: &[FieldChange]) -> AnyView {
    if fields.is_empty() {
        return view! { <p class="muted" data-testid="no-field-changes">"No field differs."</p> }.into_any();
    }
    let rows = fields
        .iter()
        .map(|f| {
            let class = match (&f.before, &f.after) {
                (None, Some(_)) => "kb-diff-added",
                (Some(_), None) => "kb-diff-removed",
                _ => "kb-diff-changed",
            };
            let path = if f.path.is_empty() { "(whole entry)".to_owned() } else { f.path.clone() };
            view! {
                <tr class=class data-testid="field-change">
                    <td class="kb-diff-path"><code>{path}</code></td>
                    <td class="kb-diff-before">{json_cell(f.before.as_ref())}</td>
                    <td class="kb-diff-after">{json_cell(f.after.as_ref())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table kb-diff" data-testid="field-diff">
                <thead><tr><th>"Field"</th><th>"Before"</th><th>"After"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

// ------------------------------------------------------------------------------ schemas as trees

/// Deepest nesting a schema tree shows.
const MAX_DEPTH: usize = 10;

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_owned()
}

/// `string (email)`, `array of integer`, `object`, `→ User`.
fn type_of(schema: &Value) -> String {
    let Some(obj) = schema.as_object() else { return String::new() };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return format!("→ {}", ref_name(r));
    }
    let mut t = match obj.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ if obj.contains_key("properties") => "object".into(),
        _ if obj.contains_key("oneOf") => "one of".into(),
        _ if obj.contains_key("anyOf") => "any of".into(),
        _ if obj.contains_key("allOf") => "all of".into(),
        _ => String::new(),
    };
    if t == "array" {
        if let Some(items) = obj.get("items") {
            let inner = type_of(items);
            t = if inner.is_empty() { "array".into() } else { format!("array of {inner}") };
        }
    }
    if let Some(f) = obj.get("format").and_then(Value::as_str) {
        t = format!("{t} ({f})");
    }
    if obj.get("nullable").and_then(Value::as_bool) == Some(true) {
        t.push_str(", nullable");
    }
    t
}

/// The parts of a schema below its own line: its properties, its array items' properties, its
/// variants.
fn schema_children(schema: &Value, depth: usize) -> Option<AnyView> {
    let obj = schema.as_object()?;
    if depth >= MAX_DEPTH {
        return Some(view! { <p class="muted small">"… (deeper levels are in the JSON)"</p> }.into_any());
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> =
            obj.get("required").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let items = props.iter().map(|(name, sub)| property_line(name, sub, required.contains(&name.as_str()), depth + 1)).collect_view();
        return Some(view! { <ul class="schema-tree">{items}</ul> }.into_any());
    }
    if let Some(items) = obj.get("items") {
        return schema_children(items, depth + 1);
    }
    for (word, label) in [("oneOf", "One of"), ("anyOf", "Any of"), ("allOf", "All of")] {
        if let Some(variants) = obj.get(word).and_then(Value::as_array) {
            let list = variants
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    view! {
                        <li>
                            <span class="muted small">{format!("{label} #{}", i + 1)}</span>" "
                            <span class="schema-type">{type_of(v)}</span>
                            {schema_children(v, depth + 1)}
                        </li>
                    }
                })
                .collect_view();
            return Some(view! { <ul class="schema-tree">{list}</ul> }.into_any());
        }
    }
    None
}

fn enum_chips(schema: &Value) -> Option<AnyView> {
    let values = schema.get("enum")?.as_array()?;
    let chips = values
        .iter()
        .map(|v| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            view! { <span class="chip">{text}</span> }
        })
        .collect_view();
    Some(view! { <span class="schema-enum"><span class="muted small">"one of "</span>{chips}</span> }.into_any())
}

fn property_line(name: &str, schema: &Value, required: bool, depth: usize) -> AnyView {
    let description = schema.get("description").and_then(Value::as_str).unwrap_or("").to_owned();
    let is_ref = schema.get("$ref").is_some();
    let type_class = if is_ref { "schema-type schema-ref" } else { "schema-type" };
    view! {
        <li data-testid="schema-property">
            <code class="schema-name">{name.to_owned()}</code>" "
            <span class=type_class>{type_of(schema)}</span>
            {required.then(|| view! { " "<span class="pill pill-warn schema-required">"required"</span> })}
            {(!description.is_empty()).then(|| view! { <span class="schema-desc">" — "{description}</span> })}
            {enum_chips(schema)}
            {schema_children(schema, depth)}
        </li>
    }
    .into_any()
}

/// A JSON schema as a readable tree (nested lists), with the raw JSON behind a `<details>`.
fn schema_view(schema: &Value) -> AnyView {
    if schema.is_null() {
        return view! { <span class="muted small">"No schema given."</span> }.into_any();
    }
    let t = type_of(schema);
    let is_ref = schema.get("$ref").is_some();
    let description = schema.get("description").and_then(Value::as_str).unwrap_or("").to_owned();
    view! {
        <div class="schema" data-testid="schema-tree">
            <span class=if is_ref { "schema-type schema-ref" } else { "schema-type" }>{t}</span>
            {(!description.is_empty()).then(|| view! { <span class="schema-desc">" — "{description}</span> })}
            {enum_chips(schema)}
            {schema_children(schema, 0)}
            <details class="kb-raw">
                <summary class="muted small">"JSON schema"</summary>
                <pre class="kb-json">{pretty(schema)}</pre>
            </details>
        </div>
    }
    .into_any()
}

/// The headline of an entry in one line, for lists.
fn headline(entry: &Entry) -> String {
    entry.headline().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_types_read_as_words() {
        assert_eq!(type_of(&json!({"type": "string", "format": "email"})), "string (email)");
        assert_eq!(type_of(&json!({"type": "array", "items": {"type": "integer"}})), "array of integer");
        assert_eq!(type_of(&json!({"$ref": "#/components/schemas/User"})), "→ User");
        assert_eq!(type_of(&json!({"properties": {}})), "object");
        assert_eq!(change_kind(&DraftChange::Delete(EntryKey::table("a", "b")), Some(1)), "delete");
    }
}
