//! What an entry must be before it is stored: bounded, named, and meaningful to an agent.

use crate::{ServiceError, ServiceResult};
use domain::kb::{ApiOperation, Entry, Table};

const METHODS: [&str; 8] = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"];
const MAX_NAME: usize = 500;
const MAX_TEXT: usize = 20_000;
/// The whole entry as JSON: a large operation with its schemas fits easily.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;
const MAX_ITEMS: usize = 1_000;

fn invalid(m: String) -> ServiceError {
    ServiceError::Invalid(m)
}

fn name(value: &str, what: &str) -> ServiceResult<()> {
    if value.trim().is_empty() || value.chars().count() > MAX_NAME || value.chars().any(char::is_control) {
        return Err(invalid(format!("the {what} has 1 to {MAX_NAME} characters on one line")));
    }
    Ok(())
}

fn text(value: &str, what: &str) -> ServiceResult<()> {
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(format!("the {what} has at most {MAX_TEXT} characters")));
    }
    Ok(())
}

fn items<T>(list: &[T], what: &str) -> ServiceResult<()> {
    if list.len() > MAX_ITEMS {
        return Err(invalid(format!("an entry has at most {MAX_ITEMS} {what}")));
    }
    Ok(())
}

fn operation(op: &ApiOperation) -> ServiceResult<()> {
    if !METHODS.contains(&op.method.as_str()) {
        return Err(invalid(format!("“{}” is not an HTTP method; use one of {}", op.method, METHODS.join(", "))));
    }
    name(&op.path, "path")?;
    if !op.path.starts_with('/') {
        return Err(invalid(format!("the path “{}” must start with /", op.path)));
    }
    text(&op.summary, "summary")?;
    text(&op.description, "description")?;
    items(&op.parameters, "parameters")?;
    items(&op.responses, "responses")?;
    items(&op.tags, "tags")?;
    for p in &op.parameters {
        name(&p.name, "parameter name")?;
    }
    for r in &op.responses {
        name(&r.status, "response status")?;
    }
    Ok(())
}

fn table(t: &Table) -> ServiceResult<()> {
    name(&t.schema, "schema name")?;
    name(&t.name, "table name")?;
    text(&t.description, "description")?;
    if t.columns.is_empty() {
        return Err(invalid(format!("the table {}.{} needs at least one column", t.schema, t.name)));
    }
    items(&t.columns, "columns")?;
    let mut seen = std::collections::HashSet::new();
    for c in &t.columns {
        name(&c.name, "column name")?;
        name(&c.data_type, &format!("type of column {}", c.name))?;
        text(&c.description, "column description")?;
        if !seen.insert(c.name.to_lowercase()) {
            return Err(invalid(format!("the column “{}” appears twice", c.name)));
        }
    }
    for k in &t.primary_key {
        if !seen.contains(&k.to_lowercase()) {
            return Err(invalid(format!("the primary key names “{k}”, which is not a column")));
        }
    }
    Ok(())
}

/// Refuse an entry people or importers could not have meant (with the reason).
pub fn validate_entry(entry: &Entry) -> ServiceResult<()> {
    match entry {
        Entry::ApiOperation(op) => operation(op)?,
        Entry::Table(t) => table(t)?,
    }
    let size = serde_json::to_vec(entry).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_ENTRY_BYTES {
        return Err(invalid(format!("the entry {} is {size} bytes as JSON, more than the {MAX_ENTRY_BYTES} allowed", entry.key())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::kb::Column;

    fn op(method: &str, path: &str) -> Entry {
        Entry::ApiOperation(ApiOperation {
            method: method.into(),
            path: path.into(),
            operation_id: String::new(),
            summary: "List users".into(),
            description: String::new(),
            tags: vec![],
            auth: vec![],
            parameters: vec![],
            request_body: None,
            responses: vec![],
            examples: vec![],
            deprecated: false,
        })
    }

    fn col(name: &str) -> Column {
        Column { name: name.into(), data_type: "text".into(), nullable: true, default: None, description: String::new(), examples: vec![] }
    }

    #[test]
    fn operations_need_a_method_and_an_absolute_path() {
        assert!(validate_entry(&op("GET", "/users")).is_ok());
        assert!(validate_entry(&op("FETCH", "/users")).unwrap_err().to_string().contains("not an HTTP method"));
        assert!(validate_entry(&op("GET", "users")).unwrap_err().to_string().contains("must start with /"));
        assert!(validate_entry(&op("GET", "/a\nb")).is_err());
    }

    #[test]
    fn tables_need_unique_columns_and_a_real_primary_key() {
        let t = |columns: Vec<Column>, pk: Vec<&str>| {
            Entry::Table(Table {
                schema: "public".into(),
                name: "users".into(),
                description: String::new(),
                columns,
                primary_key: pk.into_iter().map(str::to_owned).collect(),
                foreign_keys: vec![],
                indexes: vec![],
                example_queries: vec![],
            })
        };
        assert!(validate_entry(&t(vec![col("id")], vec!["id"])).is_ok());
        assert!(validate_entry(&t(vec![], vec![])).unwrap_err().to_string().contains("at least one column"));
        assert!(validate_entry(&t(vec![col("id"), col("ID")], vec![])).unwrap_err().to_string().contains("appears twice"));
        assert!(validate_entry(&t(vec![col("id")], vec!["uid"])).unwrap_err().to_string().contains("not a column"));
    }

    #[test]
    fn huge_entries_are_refused() {
        let mut e = op("GET", "/big");
        if let Entry::ApiOperation(o) = &mut e {
            o.examples = (0..200)
                .map(|i| domain::kb::Example {
                    name: format!("e{i}"),
                    summary: String::new(),
                    value: serde_json::json!("x".repeat(10_000)),
                })
                .collect();
        }
        assert!(validate_entry(&e).unwrap_err().to_string().contains("bytes as JSON"));
    }
}
