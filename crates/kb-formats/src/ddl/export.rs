//! Tables → a DDL script that imports back to the same tables.

use domain::kb::{Entry, Table};

use super::Dialect;

/// Writes the tables among `entries` (operations are skipped) as `CREATE TABLE` statements,
/// then comments (PostgreSQL), foreign keys (after all tables, so order does not matter) and
/// indexes. Unique constraints come out as `CREATE UNIQUE INDEX`. MySQL tables in schema
/// `public` (the KB's "none named") are written unqualified.
pub fn export_ddl(entries: &[Entry], dialect: Dialect) -> String {
    let tables: Vec<&Table> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    let mut out = String::new();
    let mut after = String::new();
    for t in &tables {
        let tn = table_name(t, dialect);
        out.push_str(&format!("CREATE TABLE {tn} (\n"));
        let mut lines: Vec<String> = Vec::new();
        for c in &t.columns {
            let mut l = format!("    {} {}", q(&c.name, dialect), c.data_type);
            if !c.nullable {
                l.push_str(" NOT NULL");
            }
            if let Some(d) = &c.default {
                l.push_str(&format!(" DEFAULT {d}"));
            }
            if dialect == Dialect::MySql && !c.description.is_empty() {
                l.push_str(&format!(" COMMENT {}", lit(&c.description, dialect)));
            }
            lines.push(l);
        }
        if !t.primary_key.is_empty() {
            lines.push(format!("    PRIMARY KEY ({})", list(&t.primary_key, dialect)));
        }
        out.push_str(&lines.join(",\n"));
        out.push_str("\n)");
        if dialect == Dialect::MySql && !t.description.is_empty() {
            out.push_str(&format!(" COMMENT={}", lit(&t.description, dialect)));
        }
        out.push_str(";\n\n");
        if dialect == Dialect::Postgres {
            if !t.description.is_empty() {
                out.push_str(&format!("COMMENT ON TABLE {tn} IS {};\n", lit(&t.description, dialect)));
            }
            for c in t.columns.iter().filter(|c| !c.description.is_empty()) {
                out.push_str(&format!("COMMENT ON COLUMN {tn}.{} IS {};\n", q(&c.name, dialect), lit(&c.description, dialect)));
            }
            if !t.description.is_empty() || t.columns.iter().any(|c| !c.description.is_empty()) {
                out.push('\n');
            }
        }
        for fk in &t.foreign_keys {
            let (rs, rt) = fk.references.split_once('.').unwrap_or(("public", &fk.references));
            let target =
                if dialect == Dialect::MySql && rs == "public" { q(rt, dialect) } else { format!("{}.{}", q(rs, dialect), q(rt, dialect)) };
            let named = if fk.name.is_empty() { String::new() } else { format!("CONSTRAINT {} ", q(&fk.name, dialect)) };
            after.push_str(&format!(
                "ALTER TABLE {tn} ADD {named}FOREIGN KEY ({}) REFERENCES {target} ({});\n",
                list(&fk.columns, dialect),
                list(&fk.referenced_columns, dialect)
            ));
        }
        for ix in &t.indexes {
            let unique = if ix.unique { "UNIQUE " } else { "" };
            let cols: Vec<String> = ix.columns.iter().map(|c| if is_plain(c) { q(c, dialect) } else { c.clone() }).collect();
            after.push_str(&format!("CREATE {unique}INDEX {} ON {tn} ({});\n", q(&ix.name, dialect), cols.join(", ")));
        }
    }
    out.push_str(&after);
    out
}

fn table_name(t: &Table, d: Dialect) -> String {
    if d == Dialect::MySql && t.schema == "public" {
        q(&t.name, d)
    } else {
        format!("{}.{}", q(&t.schema, d), q(&t.name, d))
    }
}

/// A column name rather than an index expression (`lower(email)`).
fn is_plain(s: &str) -> bool {
    !s.contains('(') && !s.contains(' ')
}

/// Quotes an identifier unless it is a plain lower-case name that is no SQL keyword (the
/// importer lower-cases unquoted names, so anything else must be quoted to come back as is).
fn q(name: &str, d: Dialect) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && sqlparser::keywords::ALL_KEYWORDS.binary_search(&name.to_ascii_uppercase().as_str()).is_err();
    if plain {
        return name.to_string();
    }
    match d {
        Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::MySql => format!("`{}`", name.replace('`', "``")),
    }
}

fn list(cols: &[String], d: Dialect) -> String {
    cols.iter().map(|c| q(c, d)).collect::<Vec<_>>().join(", ")
}

fn lit(s: &str, d: Dialect) -> String {
    let s = s.replace('\'', "''");
    match d {
        Dialect::Postgres => format!("'{s}'"),
        Dialect::MySql => format!("'{}'", s.replace('\\', "\\\\")),
    }
}
