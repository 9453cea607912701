//! Entries rendered as chunks of text an LLM reads well, each small enough to embed and to
//! hand to an agent (≤ [`MAX_CHUNK_CHARS`] characters). A large entry becomes several chunks;
//! the first carries the full title line, the others a `… (continued)` title so every chunk
//! says what it is about. Every chunk records which parts of its text come from which entry
//! field (for highlighting and for field-weighted BM25).

use std::fmt::Write as _;

use domain::kb::entry::{ApiOperation, Body, Entry, EntryKey, EntryKind, Table};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Upper bound of one chunk's text, in characters.
pub const MAX_CHUNK_CHARS: usize = 1500;
/// Upper bound of one schema's summary, in characters.
pub const MAX_SCHEMA_CHARS: usize = 600;
/// Upper bound of one example's rendering, in characters.
pub const MAX_EXAMPLE_CHARS: usize = 300;
const MAX_PROPERTIES: usize = 20;
const MAX_DEPTH: usize = 3;

/// The entry field a piece of chunk text renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `GET /users/{id}` or `Table public.users`.
    Title,
    Summary,
    Description,
    OperationId,
    Tags,
    Auth,
    Parameters,
    RequestBody,
    Responses,
    Examples,
    Columns,
    PrimaryKey,
    ForeignKeys,
    Indexes,
    ExampleQueries,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Field::Title,
        Field::Summary,
        Field::Description,
        Field::OperationId,
        Field::Tags,
        Field::Auth,
        Field::Parameters,
        Field::RequestBody,
        Field::Responses,
        Field::Examples,
        Field::Columns,
        Field::PrimaryKey,
        Field::ForeignKeys,
        Field::Indexes,
        Field::ExampleQueries,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Description => "description",
            Field::OperationId => "operation_id",
            Field::Tags => "tags",
            Field::Auth => "auth",
            Field::Parameters => "parameters",
            Field::RequestBody => "request_body",
            Field::Responses => "responses",
            Field::Examples => "examples",
            Field::Columns => "columns",
            Field::PrimaryKey => "primary_key",
            Field::ForeignKeys => "foreign_keys",
            Field::Indexes => "indexes",
            Field::ExampleQueries => "example_queries",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    pub(crate) fn from_index(i: u8) -> Option<Field> {
        Field::ALL.get(usize::from(i)).copied()
    }

    /// The fields of a bit mask, in [`Field::ALL`] order.
    pub(crate) fn from_mask(mask: u16) -> Vec<Field> {
        Field::ALL.iter().copied().filter(|f| mask & f.bit() != 0).collect()
    }

    /// How much a term occurrence in this field counts in BM25 (a BM25F-style boost folded into
    /// the term frequency): names and summaries say what an entry is, parameters and responses
    /// mostly repeat common words.
    pub(crate) fn weight(self) -> u32 {
        match self {
            Field::Title => 3,
            Field::Summary | Field::OperationId => 2,
            _ => 1,
        }
    }
}

/// A byte range of a chunk's text and the field it renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpan {
    pub field: Field,
    pub start: u32,
    pub end: u32,
}

/// One piece of an entry's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub key: EntryKey,
    pub kind: EntryKind,
    /// 0 for the first chunk of the entry.
    pub chunk_no: u32,
    pub text: String,
    /// The fields this chunk covers, in [`Field::ALL`] order.
    pub fields: Vec<Field>,
    /// Where each field's text is (byte ranges of `text`, in order, not overlapping).
    pub spans: Vec<FieldSpan>,
    /// SHA-256 of `text`, lower-case hex: the key under which its embedding is reused.
    pub content_hash: String,
}

/// SHA-256 of `text` in lower-case hex.
pub fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The chunks of every entry, in entry order.
pub fn chunk_entries(entries: &[Entry]) -> Vec<Chunk> {
    entries.iter().flat_map(chunk_entry).collect()
}

/// The chunks of one entry (at least one).
pub fn chunk_entry(entry: &Entry) -> Vec<Chunk> {
    let key = entry.key();
    let doc = match entry {
        Entry::ApiOperation(op) => render_operation(op),
        Entry::Table(t) => render_table(t),
    };
    pack(&key, entry.kind(), doc)
}

// ---- rendering -------------------------------------------------------------------------

/// A line made of field-tagged pieces.
type Line = Vec<(Field, String)>;

struct Block {
    /// `Parameters:`: repeated as `Parameters (continued):` when the block spans chunks.
    label: Option<(Field, String)>,
    lines: Vec<Line>,
}

struct Doc {
    title: Line,
    continued_title: Line,
    blocks: Vec<Block>,
}

fn one(field: Field, text: impl Into<String>) -> Line {
    vec![(field, text.into())]
}

fn block(lines: Vec<Line>) -> Block {
    Block { label: None, lines }
}

fn labelled(field: Field, label: &str, lines: Vec<Line>) -> Block {
    Block { label: Some((field, label.to_owned())), lines }
}

fn text_lines(field: Field, text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut blank = false;
    for l in text.trim().lines() {
        let l = l.trim_end();
        if l.trim().is_empty() {
            blank = true;
            continue;
        }
        if blank && !out.is_empty() {
            out.push(one(field, ""));
        }
        blank = false;
        out.push(one(field, l));
    }
    out
}

fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() || s.ends_with(['.', '!', '?', '。', '！', '？', ':']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

fn first_line(s: &str, max: usize) -> String {
    truncate_chars(s.trim().lines().next().unwrap_or("").trim(), max)
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

fn render_operation(op: &ApiOperation) -> Doc {
    let name = format!("{} {}", op.method.to_ascii_uppercase(), op.path);
    let mut title = one(Field::Title, name.clone());
    if !op.summary.trim().is_empty() {
        title.push((Field::Title, " — ".into()));
        title.push((Field::Summary, sentence(&op.summary)));
    }
    if op.deprecated {
        title.push((Field::Title, " (deprecated)".into()));
    }
    let continued_title = one(Field::Title, format!("{name} (continued)"));
    let mut blocks = Vec::new();
    let mut head = Vec::new();
    if !op.operation_id.is_empty() {
        head.push(vec![(Field::Title, "Operation id: ".into()), (Field::OperationId, op.operation_id.clone())]);
    }
    let mut tags_auth: Line = Vec::new();
    if !op.tags.is_empty() {
        tags_auth.push((Field::Title, "Tags: ".into()));
        tags_auth.push((Field::Tags, op.tags.join(", ")));
        tags_auth.push((Field::Title, ". ".into()));
    }
    tags_auth.push((Field::Title, "Auth: ".into()));
    tags_auth.push((Field::Auth, if op.auth.is_empty() { "none (public or not stated)".into() } else { op.auth.join(" or ") }));
    tags_auth.push((Field::Title, ".".into()));
    head.push(tags_auth);
    blocks.push(block(head));
    if !op.description.trim().is_empty() && op.description.trim() != op.summary.trim() {
        blocks.push(block(text_lines(Field::Description, &op.description)));
    }
    if !op.parameters.is_empty() {
        let lines = op
            .parameters
            .iter()
            .map(|p| {
                let mut s = format!("- {} ({}", p.name, p.location.as_str());
                let ty = type_name(&p.schema);
                if !ty.is_empty() {
                    let _ = write!(s, ", {ty}");
                }
                s.push_str(if p.required { ", required)" } else { ", optional)" });
                if !p.description.trim().is_empty() {
                    let _ = write!(s, ": {}", first_line(&p.description, 200));
                }
                let extra = schema_notes(&p.schema);
                if !extra.is_empty() {
                    let _ = write!(s, " [{extra}]");
                }
                if let Some(ex) = &p.example {
                    let _ = write!(s, " Example: {}", compact_json(ex, 80));
                }
                one(Field::Parameters, s)
            })
            .collect();
        blocks.push(labelled(Field::Parameters, "Parameters:", lines));
    }
    if let Some(rb) = &op.request_body {
        let mut lines = Vec::new();
        if !rb.description.trim().is_empty() {
            lines.push(one(Field::RequestBody, sentence(&first_line(&rb.description, 300))));
        }
        for b in &rb.content {
            lines.push(one(Field::RequestBody, body_line(b)));
        }
        let label = if rb.required { "Request body (required):" } else { "Request body (optional):" };
        blocks.push(labelled(Field::RequestBody, label, lines));
    }
    if !op.responses.is_empty() {
        let mut lines = Vec::new();
        for r in &op.responses {
            let mut s = format!("- {}", r.status);
            if !r.description.trim().is_empty() {
                let _ = write!(s, " {}", first_line(&r.description, 200));
            }
            lines.push(one(Field::Responses, s));
            for b in &r.content {
                lines.push(one(Field::Responses, format!("  {}", body_line(b))));
            }
        }
        blocks.push(labelled(Field::Responses, "Responses:", lines));
    }
    if !op.examples.is_empty() {
        let lines = op
            .examples
            .iter()
            .map(|e| {
                let mut s = format!("- {}", e.name);
                if !e.summary.trim().is_empty() {
                    let _ = write!(s, " ({})", first_line(&e.summary, 120));
                }
                let _ = write!(s, ": {}", compact_json(&e.value, MAX_EXAMPLE_CHARS));
                one(Field::Examples, s)
            })
            .collect();
        blocks.push(labelled(Field::Examples, "Examples:", lines));
    }
    Doc { title, continued_title, blocks }
}

fn body_line(b: &Body) -> String {
    let mut s = b.content_type.clone();
    let summary = summarise_schema(&b.schema);
    if !summary.is_empty() {
        let _ = write!(s, ": {summary}");
    }
    if let Some(ex) = &b.example {
        let _ = write!(s, " Example: {}", compact_json(ex, 160));
    }
    s
}

fn compact_json(v: &Value, max: usize) -> String {
    truncate_chars(&v.to_string(), max)
}

/// `integer`, `string (date-time)`, `array of string`, `Pet` (a kept `$ref`).
fn type_name(schema: &Value) -> String {
    let Some(obj) = schema.as_object() else { return String::new() };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        _ if obj.contains_key("properties") => "object".into(),
        _ => String::new(),
    };
    let ty = if ty == "array" {
        match obj.get("items").map(type_name) {
            Some(inner) if !inner.is_empty() => format!("array of {inner}"),
            _ => "array".into(),
        }
    } else {
        ty
    };
    match obj.get("format").and_then(Value::as_str) {
        Some(f) if !ty.is_empty() => format!("{ty} ({f})"),
        Some(f) => f.to_owned(),
        None => ty,
    }
}

/// Enum values, bounds and defaults, for a parameter or property.
fn schema_notes(schema: &Value) -> String {
    let Some(obj) = schema.as_object() else { return String::new() };
    let mut notes = Vec::new();
    if let Some(Value::Array(vals)) = obj.get("enum") {
        let shown: Vec<String> = vals.iter().take(8).map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect();
        let more = if vals.len() > 8 { "|…" } else { "" };
        notes.push(format!("one of {}{more}", shown.join("|")));
    }
    for (k, label) in
        [("minimum", "min"), ("maximum", "max"), ("minLength", "min length"), ("maxLength", "max length"), ("default", "default")]
    {
        if let Some(v) = obj.get(k) {
            notes.push(format!("{label} {}", compact_json(v, 40)));
        }
    }
    if obj.get("nullable") == Some(&Value::Bool(true)) {
        notes.push("nullable".into());
    }
    if let Some(items) = obj.get("items") {
        let inner = schema_notes(items);
        if !inner.is_empty() {
            notes.push(inner);
        }
    }
    notes.join(", ")
}

/// A JSON Schema as a readable field list, bounded: `object { id: integer (required),
/// email: string (email) — Where we write, roles: array of string [one of admin|member] }`.
pub fn summarise_schema(schema: &Value) -> String {
    let mut out = String::new();
    write_schema(schema, 0, &mut out);
    if out.chars().count() > MAX_SCHEMA_CHARS {
        out = truncate_chars(&out, MAX_SCHEMA_CHARS);
    }
    out
}

fn write_schema(schema: &Value, depth: usize, out: &mut String) {
    if out.len() > MAX_SCHEMA_CHARS * 4 {
        return;
    }
    let Some(obj) = schema.as_object() else { return };
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(alts)) = obj.get(combinator) {
            let word = if combinator == "allOf" { "all of" } else { "one of" };
            let _ = write!(out, "{word} (");
            for (i, alt) in alts.iter().take(6).enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                let before = out.len();
                write_schema(alt, depth + 1, out);
                if out.len() == before {
                    out.push('?');
                }
            }
            out.push(')');
            return;
        }
    }
    let props = obj.get("properties").and_then(Value::as_object);
    let ty = type_name(schema);
    match props {
        Some(props) if depth < MAX_DEPTH => {
            let required: Vec<&str> =
                obj.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            out.push_str("object { ");
            for (i, (name, p)) in props.iter().enumerate() {
                if i == MAX_PROPERTIES {
                    let _ = write!(out, ", … {} more", props.len() - MAX_PROPERTIES);
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{name}: ");
                let nested = p.get("properties").is_some() || p.get("items").and_then(|it| it.get("properties")).is_some();
                if nested && depth + 1 < MAX_DEPTH {
                    if p.get("type").and_then(Value::as_str) == Some("array") {
                        out.push_str("array of ");
                        write_schema(&p["items"], depth + 1, out);
                    } else {
                        write_schema(p, depth + 1, out);
                    }
                } else {
                    let t = type_name(p);
                    out.push_str(if t.is_empty() { "any" } else { &t });
                }
                if required.contains(&name.as_str()) {
                    out.push_str(" (required)");
                }
                let notes = schema_notes(p);
                if !notes.is_empty() {
                    let _ = write!(out, " [{notes}]");
                }
                if let Some(d) = p.get("description").and_then(Value::as_str) {
                    if !d.trim().is_empty() {
                        let _ = write!(out, " — {}", first_line(d, 80));
                    }
                }
            }
            out.push_str(" }");
        }
        Some(_) => out.push_str("object { … }"),
        None if ty.starts_with("array") => match obj.get("items") {
            Some(items) if items.get("properties").is_some() && depth < MAX_DEPTH => {
                out.push_str("array of ");
                write_schema(items, depth + 1, out);
            }
            _ => out.push_str(&ty),
        },
        None => out.push_str(&ty),
    }
}

fn render_table(t: &Table) -> Doc {
    let name = format!("{}.{}", t.schema, t.name);
    let mut title = one(Field::Title, format!("Table {name}"));
    let mut desc_rest = Vec::new();
    if !t.description.trim().is_empty() {
        let mut lines = text_lines(Field::Description, &t.description);
        let first = lines.remove(0);
        title.push((Field::Title, " — ".into()));
        title.extend(first);
        desc_rest = lines;
    }
    let continued_title = one(Field::Title, format!("Table {name} (continued)"));
    let mut blocks = Vec::new();
    if !desc_rest.is_empty() {
        blocks.push(block(desc_rest));
    }
    let fk_cols: Vec<&str> = t.foreign_keys.iter().filter(|fk| fk.columns.len() == 1).map(|fk| fk.columns[0].as_str()).collect();
    let cols = t
        .columns
        .iter()
        .map(|c| {
            let mut s = format!("- {} {}", c.name, c.data_type);
            if !c.nullable {
                s.push_str(" not null");
            }
            if let Some(d) = &c.default {
                let _ = write!(s, " default {}", truncate_chars(d, 60));
            }
            if t.primary_key.len() == 1 && t.primary_key[0] == c.name {
                s.push_str(" (primary key)");
            }
            if let Some(fk) = t.foreign_keys.iter().find(|fk| fk.columns.len() == 1 && fk.columns[0] == c.name) {
                let _ = write!(s, " (references {}({}))", fk.references, fk.referenced_columns.join(", "));
            }
            if !c.description.trim().is_empty() {
                let _ = write!(s, ": {}", first_line(&c.description, 200));
            }
            if !c.examples.is_empty() {
                let ex: Vec<String> = c.examples.iter().take(3).map(|e| truncate_chars(e, 40)).collect();
                let _ = write!(s, " e.g. {}", ex.join(", "));
            }
            one(Field::Columns, s)
        })
        .collect();
    blocks.push(labelled(Field::Columns, "Columns:", cols));
    if t.primary_key.len() > 1 {
        blocks.push(block(vec![vec![
            (Field::Title, "Primary key: ".into()),
            (Field::PrimaryKey, format!("({})", t.primary_key.join(", "))),
        ]]));
    }
    let multi_fks: Vec<Line> = t
        .foreign_keys
        .iter()
        .filter(|fk| fk.columns.len() != 1 || !fk_cols.contains(&fk.columns[0].as_str()) || !fk.name.is_empty())
        .map(|fk| {
            let name = if fk.name.is_empty() { String::new() } else { format!("{}: ", fk.name) };
            one(
                Field::ForeignKeys,
                format!("- {name}({}) → {}({})", fk.columns.join(", "), fk.references, fk.referenced_columns.join(", ")),
            )
        })
        .collect();
    if !multi_fks.is_empty() {
        blocks.push(labelled(Field::ForeignKeys, "Foreign keys:", multi_fks));
    }
    if !t.indexes.is_empty() {
        let lines = t
            .indexes
            .iter()
            .map(|i| one(Field::Indexes, format!("- {}{} ({})", i.name, if i.unique { " unique" } else { "" }, i.columns.join(", "))))
            .collect();
        blocks.push(labelled(Field::Indexes, "Indexes:", lines));
    }
    if !t.example_queries.is_empty() {
        let lines = t
            .example_queries
            .iter()
            .map(|q| {
                let sql = q.sql.split_whitespace().collect::<Vec<_>>().join(" ");
                let s = if q.description.trim().is_empty() {
                    format!("- {sql}")
                } else {
                    format!("- {}: {sql}", first_line(&q.description, 200))
                };
                one(Field::ExampleQueries, s)
            })
            .collect();
        blocks.push(labelled(Field::ExampleQueries, "Example queries:", lines));
    }
    Doc { title, continued_title, blocks }
}

// ---- packing ---------------------------------------------------------------------------

fn line_chars(line: &Line) -> usize {
    line.iter().map(|(_, s)| s.chars().count()).sum()
}

struct Packer<'a> {
    key: &'a EntryKey,
    kind: EntryKind,
    out: Vec<Chunk>,
    text: String,
    chars: usize,
    spans: Vec<FieldSpan>,
    /// Characters of the current chunk's title line (a chunk with only that is "empty").
    title_chars: usize,
}

impl Packer<'_> {
    fn push_line(&mut self, line: &Line) {
        if !self.text.is_empty() {
            self.text.push('\n');
            self.chars += 1;
        }
        for (field, s) in line {
            if s.is_empty() {
                continue;
            }
            let start = self.text.len() as u32;
            self.text.push_str(s);
            self.chars += s.chars().count();
            let end = self.text.len() as u32;
            match self.spans.last_mut() {
                Some(last) if last.field == *field && last.end == start => last.end = end,
                _ => self.spans.push(FieldSpan { field: *field, start, end }),
            }
        }
    }

    fn start(&mut self, title: &Line) {
        self.push_line(title);
        self.title_chars = self.chars;
    }

    fn has_body(&self) -> bool {
        self.chars > self.title_chars
    }

    fn flush(&mut self) {
        let text = std::mem::take(&mut self.text);
        let spans = std::mem::take(&mut self.spans);
        self.chars = 0;
        let mut mask = 0u16;
        for s in &spans {
            mask |= s.field.bit();
        }
        self.out.push(Chunk {
            key: self.key.clone(),
            kind: self.kind,
            chunk_no: self.out.len() as u32,
            content_hash: content_hash(&text),
            text,
            fields: Field::from_mask(mask),
            spans,
        });
    }

    fn fits(&self, extra: usize) -> bool {
        self.chars + 1 + extra <= MAX_CHUNK_CHARS
    }
}

/// Splits a line too long for any chunk into pieces that fit, at whitespace when it can.
fn split_long_line(line: &Line, room: usize) -> Vec<Line> {
    let room = room.max(80);
    let mut out = Vec::new();
    for (field, s) in line {
        let mut rest = s.as_str();
        while rest.chars().count() > room {
            let cut = rest.char_indices().nth(room).map(|(i, _)| i).unwrap_or(rest.len());
            let at = rest[..cut].rfind(char::is_whitespace).filter(|&i| i > cut / 2).unwrap_or(cut);
            out.push(one(*field, rest[..at].trim_end()));
            rest = rest[at..].trim_start();
        }
        if !rest.is_empty() {
            out.push(one(*field, rest));
        }
    }
    out
}

fn pack(key: &EntryKey, kind: EntryKind, mut doc: Doc) -> Vec<Chunk> {
    // A title that alone would fill a chunk (a huge summary) is cut down.
    if line_chars(&doc.title) > MAX_CHUNK_CHARS / 2 {
        let budget = MAX_CHUNK_CHARS / 2;
        let mut used = 0;
        for (_, s) in doc.title.iter_mut() {
            let room = budget.saturating_sub(used);
            *s = if room == 0 { String::new() } else { truncate_chars(s, room) };
            used += s.chars().count();
        }
    }
    let mut p = Packer { key, kind, out: Vec::new(), text: String::new(), chars: 0, spans: Vec::new(), title_chars: 0 };
    p.start(&doc.title);
    let room = MAX_CHUNK_CHARS - line_chars(&doc.continued_title).max(line_chars(&doc.title)) - 40;
    for b in &doc.blocks {
        let label_line = b.label.as_ref().map(|(f, s)| one(*f, s.clone()));
        let mut lines: Vec<Line> = Vec::new();
        for l in &b.lines {
            if line_chars(l) > room {
                lines.extend(split_long_line(l, room));
            } else {
                lines.push(l.clone());
            }
        }
        if let Some(label) = &label_line {
            let first = lines.first().map(line_chars).unwrap_or(0);
            if !p.fits(line_chars(label) + 1 + first) && p.has_body() {
                p.flush();
                p.start(&doc.continued_title);
            }
            p.push_line(label);
        }
        for l in &lines {
            if !p.fits(line_chars(l)) && p.has_body() {
                p.flush();
                p.start(&doc.continued_title);
                if let Some((f, s)) = &b.label {
                    p.push_line(&one(*f, format!("{} (continued):", s.trim_end_matches(':'))));
                }
            }
            p.push_line(l);
        }
    }
    p.flush();
    p.out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use domain::kb::entry::*;
    use serde_json::json;

    pub(crate) fn get_user() -> Entry {
        Entry::ApiOperation(ApiOperation {
            method: "GET".into(),
            path: "/users/{id}".into(),
            operation_id: "getUserById".into(),
            summary: "Get a user".into(),
            description: "Returns one user.\n\nAdmins see every field.".into(),
            tags: vec!["users".into()],
            auth: vec!["bearerAuth".into()],
            parameters: vec![Parameter {
                name: "id".into(),
                location: ParamLocation::Path,
                description: "The user's id".into(),
                required: true,
                schema: json!({"type": "integer", "minimum": 1}),
                example: Some(json!(42)),
            }],
            request_body: None,
            responses: vec![
                ResponseSpec {
                    status: "200".into(),
                    description: "The user".into(),
                    content: vec![Body {
                        content_type: "application/json".into(),
                        schema: json!({"type": "object", "required": ["id"], "properties": {
                            "id": {"type": "integer"},
                            "email": {"type": "string", "format": "email", "description": "Where we write"},
                            "roles": {"type": "array", "items": {"type": "string", "enum": ["admin", "member"]}},
                            "address": {"type": "object", "properties": {"city": {"type": "string"}}},
                            "manager": {"$ref": "#/components/schemas/User"}
                        }}),
                        example: None,
                    }],
                },
                ResponseSpec { status: "404".into(), description: "No such user".into(), content: vec![] },
            ],
            examples: vec![],
            deprecated: false,
        })
    }

    pub(crate) fn users_table() -> Entry {
        Entry::Table(Table {
            schema: "public".into(),
            name: "users".into(),
            description: "People who sign in.".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    data_type: "bigint".into(),
                    nullable: false,
                    default: None,
                    description: String::new(),
                    examples: vec![],
                },
                Column {
                    name: "org_id".into(),
                    data_type: "bigint".into(),
                    nullable: false,
                    default: None,
                    description: "Owning organisation".into(),
                    examples: vec![],
                },
                Column {
                    name: "email".into(),
                    data_type: "text".into(),
                    nullable: true,
                    default: None,
                    description: "Sign-in address".into(),
                    examples: vec!["a@example.com".into()],
                },
            ],
            primary_key: vec!["id".into()],
            foreign_keys: vec![ForeignKey {
                name: String::new(),
                columns: vec!["org_id".into()],
                references: "public.orgs".into(),
                referenced_columns: vec!["id".into()],
            }],
            indexes: vec![Index { name: "users_email_key".into(), columns: vec!["email".into()], unique: true }],
            example_queries: vec![ExampleQuery {
                description: "Find by email".into(),
                sql: "SELECT *\n  FROM users WHERE email = $1".into(),
            }],
        })
    }

    #[test]
    fn an_operation_reads_like_documentation() {
        let chunks = chunk_entry(&get_user());
        assert_eq!(chunks.len(), 1);
        let c = &chunks[0];
        assert_eq!(c.key, EntryKey::api("GET", "/users/{id}"));
        assert_eq!(c.chunk_no, 0);
        let expected = "GET /users/{id} — Get a user.\n\
            Operation id: getUserById\n\
            Tags: users. Auth: bearerAuth.\n\
            Returns one user.\n\
            \n\
            Admins see every field.\n\
            Parameters:\n\
            - id (path, integer, required): The user's id [min 1] Example: 42\n\
            Responses:\n\
            - 200 The user\n  \
            application/json: object { address: object { city: string }, email: string (email) — Where we write, \
            id: integer (required), manager: User, roles: array of string [one of admin|member] }\n\
            - 404 No such user";
        assert_eq!(c.text, expected);
        assert_eq!(
            c.fields,
            [
                Field::Title,
                Field::Summary,
                Field::Description,
                Field::OperationId,
                Field::Tags,
                Field::Auth,
                Field::Parameters,
                Field::Responses
            ]
        );
        assert_eq!(c.content_hash, content_hash(&c.text));
        assert_eq!(c.content_hash.len(), 64);
        // Spans cover their field's text.
        let tags = c.spans.iter().find(|s| s.field == Field::Tags).unwrap();
        assert_eq!(&c.text[tags.start as usize..tags.end as usize], "users");
        let summary = c.spans.iter().find(|s| s.field == Field::Summary).unwrap();
        assert_eq!(&c.text[summary.start as usize..summary.end as usize], "Get a user.");
    }

    #[test]
    fn a_table_lists_columns_keys_indexes_and_queries() {
        let c = &chunk_entry(&users_table())[0];
        let expected = "Table public.users — People who sign in.\n\
            Columns:\n\
            - id bigint not null (primary key)\n\
            - org_id bigint not null (references public.orgs(id)): Owning organisation\n\
            - email text: Sign-in address e.g. a@example.com\n\
            Indexes:\n\
            - users_email_key unique (email)\n\
            Example queries:\n\
            - Find by email: SELECT * FROM users WHERE email = $1";
        assert_eq!(c.text, expected);
        assert_eq!(c.fields, [Field::Title, Field::Description, Field::Columns, Field::Indexes, Field::ExampleQueries]);
    }

    #[test]
    fn large_entries_split_and_every_chunk_says_what_it_is() {
        let Entry::Table(mut t) = users_table() else { unreachable!() };
        t.columns = (0..200)
            .map(|i| Column {
                name: format!("col_{i}"),
                data_type: "text".into(),
                nullable: true,
                default: None,
                description: format!("Column number {i} of a wide table"),
                examples: vec![],
            })
            .collect();
        t.description = format!("Wide. {}", "very long description ".repeat(200));
        let chunks = chunk_entry(&Entry::Table(t));
        assert!(chunks.len() > 5, "{}", chunks.len());
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.chunk_no as usize, i);
            assert!(c.text.chars().count() <= MAX_CHUNK_CHARS, "chunk {i}: {}", c.text.chars().count());
            assert!(c.text.starts_with("Table public.users"));
            assert!(c.fields.contains(&Field::Title));
            for s in &c.spans {
                assert!(c.text.is_char_boundary(s.start as usize) && c.text.is_char_boundary(s.end as usize));
            }
        }
        assert!(chunks[0].text.starts_with("Table public.users — Wide."));
        assert!(chunks[1..].iter().all(|c| c.text.starts_with("Table public.users (continued)")));
        assert!(chunks.iter().any(|c| c.text.contains("Columns (continued):")));
        // Every column made it somewhere.
        let all: String = chunks.iter().map(|c| c.text.as_str()).collect();
        assert!((0..200).all(|i| all.contains(&format!("- col_{i} text"))));
    }

    #[test]
    fn huge_cjk_text_splits_on_char_boundaries() {
        let Entry::ApiOperation(mut op) = get_user() else { unreachable!() };
        op.description = "取消订单并退款".repeat(1000);
        op.summary = "摘要".repeat(2000);
        let chunks = chunk_entry(&Entry::ApiOperation(op));
        assert!(chunks.len() > 3);
        assert!(chunks.iter().all(|c| c.text.chars().count() <= MAX_CHUNK_CHARS));
    }

    #[test]
    fn schemas_are_bounded() {
        let props: serde_json::Map<String, Value> =
            (0..100).map(|i| (format!("field_{i}"), json!({"type": "string", "description": "x".repeat(300)}))).collect();
        let s = summarise_schema(&json!({"type": "object", "properties": props}));
        assert!(s.chars().count() <= MAX_SCHEMA_CHARS + 1);
        assert!(s.starts_with("object { field_0: string"));
        assert_eq!(summarise_schema(&json!({"oneOf": [{"type": "string"}, {"type": "integer"}]})), "one of (string | integer)");
        assert_eq!(summarise_schema(&json!({"type": "array", "items": {"type": "string"}})), "array of string");
        assert_eq!(summarise_schema(&Value::Null), "");
    }
}
