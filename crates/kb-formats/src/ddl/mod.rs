//! SQL DDL (PostgreSQL, MySQL) ↔ tables.
//!
//! Import reads what a schema dump says about tables: `CREATE TABLE` (columns, types in lower
//! case, `NOT NULL`, `DEFAULT`, inline `PRIMARY KEY` / `REFERENCES` / `UNIQUE`, table
//! constraints), `ALTER TABLE … ADD CONSTRAINT` / `ADD COLUMN` / `ALTER COLUMN … SET DEFAULT` /
//! `SET NOT NULL`, `CREATE [UNIQUE] INDEX`, `COMMENT ON TABLE/COLUMN` and MySQL's inline
//! `COMMENT '…'`. The script is split into statements here (quotes, dollar quotes, comments,
//! `COPY … FROM stdin` data and psql `\` commands understood), then each statement is parsed on
//! its own with `sqlparser`, so one statement it cannot read never costs the rest:
//!
//! * a `CREATE TABLE` that does not parse is an error naming its line (a table would be lost);
//! * any other statement that does not parse, or that says nothing about tables (`INSERT`,
//!   `SET`, `CREATE FUNCTION`, `GRANT`, …), is skipped and counted in the warnings.
//!
//! Names: PostgreSQL's unquoted identifiers are lower-cased, quoted ones kept as written; MySQL's
//! are kept as written. A table without a
//! schema is in `public` for PostgreSQL; for MySQL it is in the database of the latest
//! `USE db;` before it, else `public` (the KB's convention for "none named").
//! Unique constraints become unique [`Index`]es; a `UNIQUE` on one column without a name is
//! named the PostgreSQL way, `<table>_<column>_key`. Primary-key columns are not nullable.
//! Tables come out in the order of their `CREATE TABLE`.

mod export;
mod split;

pub use export::export_ddl;

use std::collections::BTreeMap;

use domain::kb::{Column, Entry, ForeignKey, Index, Table};
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CommentObject, CreateTableOptions, Expr, ObjectName,
    ObjectNamePart, SqlOption, Statement, TableConstraint,
};
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::{Parser, ParserError};

use crate::error::{ErrorKind, ImportError, Imported, Limits};

/// Which SQL the script is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
}

/// Bytes of an uploaded `.sql` file: checks size, binary files and UTF-8 first.
pub fn parse_ddl_bytes(bytes: &[u8], dialect: Dialect, limits: &Limits) -> Result<Imported, ImportError> {
    let text = crate::openapi::text(bytes, limits, "an SQL script")?;
    parse_ddl(text, dialect, limits)
}

/// Reads the tables a DDL script defines (see the module doc for what is read and skipped).
pub fn parse_ddl(sql: &str, dialect: Dialect, limits: &Limits) -> Result<Imported, ImportError> {
    if sql.len() > limits.max_bytes {
        return Err(ImportError::new(
            ErrorKind::TooLarge,
            format!("the script is {} bytes; at most {} can be imported", sql.len(), limits.max_bytes),
        ));
    }
    let statements = split::statements(sql, dialect)?;
    let mut st = State { dialect, db: None, tables: Vec::new(), by_key: BTreeMap::new(), skipped: BTreeMap::new(), warnings: Vec::new() };
    let pg = PostgreSqlDialect {};
    let my = MySqlDialect {};
    let d: &dyn sqlparser::dialect::Dialect = match dialect {
        Dialect::Postgres => &pg,
        Dialect::MySql => &my,
    };
    let mut recognised = 0usize;
    for s in &statements {
        let head = s.head();
        let is_create_table = head.starts_with("CREATE TABLE")
            || head.starts_with("CREATE UNLOGGED TABLE")
            || head.starts_with("CREATE TEMPORARY TABLE")
            || head.starts_with("CREATE TEMP TABLE");
        let interesting = is_create_table
            || head.starts_with("ALTER TABLE")
            || head.starts_with("CREATE INDEX")
            || head.starts_with("CREATE UNIQUE INDEX")
            || head.starts_with("COMMENT ON")
            || head.starts_with("USE ");
        if !interesting {
            *st.skipped.entry(s.kind()).or_default() += 1;
            continue;
        }
        recognised += 1;
        let parsed = Parser::new(d).with_recursion_limit(50).try_with_sql(&s.text).and_then(|mut p| p.parse_statements());
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                let (line, col, msg) = locate(&e, s.line);
                if is_create_table {
                    return Err(ImportError::at_line(ErrorKind::Syntax, line, col, format!("cannot read this CREATE TABLE: {msg}")));
                }
                st.warnings.push(format!("line {line}: skipped a statement that could not be read ({}): {msg}", s.kind()));
                continue;
            }
        };
        for stmt in parsed {
            st.statement(stmt, s.line, limits)?;
        }
    }
    if recognised == 0 {
        let what = if statements.is_empty() {
            "no SQL statement".to_string()
        } else {
            format!("{} statements but none about tables", statements.len())
        };
        return Err(ImportError::new(
            ErrorKind::NotThisFormat,
            format!("this is not a DDL script: it has {what} (CREATE TABLE, ALTER TABLE, CREATE INDEX)"),
        ));
    }
    st.finish()
}

/// Absolute line of a sqlparser error (its positions are relative to the statement).
fn locate(e: &ParserError, first_line: usize) -> (usize, Option<usize>, String) {
    let msg = e.to_string();
    if matches!(e, ParserError::RecursionLimitExceeded) {
        return (first_line, None, "expressions nest too deeply".into());
    }
    if let Some(i) = msg.find(" at Line: ") {
        let rest = &msg[i + " at Line: ".len()..];
        let mut parts = rest.split(", Column: ");
        let l = parts.next().and_then(|x| x.trim().parse::<usize>().ok());
        let c = parts.next().and_then(|x| x.trim().parse::<usize>().ok());
        if let Some(l) = l {
            let clean = msg[..i].trim_start_matches("sql parser error: ").to_string();
            return (first_line + l - 1, c, clean);
        }
    }
    (first_line, None, msg.trim_start_matches("sql parser error: ").to_string())
}

struct State {
    dialect: Dialect,
    db: Option<String>,
    tables: Vec<Table>,
    by_key: BTreeMap<(String, String), usize>,
    skipped: BTreeMap<String, usize>,
    warnings: Vec<String>,
}

/// An identifier as the KB names it: PostgreSQL folds unquoted names to lower case; MySQL keeps
/// them as written (its table names are case-sensitive on most systems).
fn ident(fold: bool, i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() || !fold {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn parts(fold: bool, n: &ObjectName) -> Vec<String> {
    n.0.iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => ident(fold, i),
            other => other.to_string(),
        })
        .collect()
}

fn col_name(fold: bool, e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => ident(fold, i),
        other => other.to_string(),
    }
}

impl State {
    fn fold(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    fn default_schema(&self) -> String {
        match self.dialect {
            Dialect::Postgres => "public".into(),
            Dialect::MySql => self.db.clone().unwrap_or_else(|| "public".into()),
        }
    }

    /// (schema, table) of a name, with the default schema filled in.
    fn key(&self, n: &ObjectName) -> (String, String) {
        let fold = self.fold();
        let mut p = parts(fold, n);
        let name = p.pop().unwrap_or_default();
        let schema = p.pop().unwrap_or_else(|| self.default_schema());
        (schema, name)
    }

    fn table_mut(&mut self, n: &ObjectName, line: usize, what: &str) -> Option<&mut Table> {
        let k = self.key(n);
        match self.by_key.get(&k) {
            Some(i) => Some(&mut self.tables[*i]),
            None => {
                self.warnings.push(format!("line {line}: {what} for {}.{}, which no CREATE TABLE defines; skipped", k.0, k.1));
                None
            }
        }
    }

    fn statement(&mut self, stmt: Statement, line: usize, limits: &Limits) -> Result<(), ImportError> {
        let fold = self.fold();
        match stmt {
            Statement::Use(u) => {
                let s = u.to_string();
                let name = s.trim().trim_start_matches("USE").trim().trim_matches('`').to_string();
                if !name.is_empty() {
                    self.db = Some(name);
                }
            }
            Statement::CreateTable(ct) => {
                if self.tables.len() >= limits.max_operations {
                    return Err(ImportError::at_line(
                        ErrorKind::TooLarge,
                        line,
                        None,
                        format!(
                            "the script defines more than {} tables; at most {} can be imported at once",
                            limits.max_operations, limits.max_operations
                        ),
                    ));
                }
                let (schema, name) = self.key(&ct.name);
                let mut t = Table {
                    schema: schema.clone(),
                    name: name.clone(),
                    description: String::new(),
                    columns: Vec::new(),
                    primary_key: Vec::new(),
                    foreign_keys: Vec::new(),
                    indexes: Vec::new(),
                    example_queries: Vec::new(),
                };
                for c in &ct.columns {
                    self.column(&mut t, c);
                }
                for c in ct.constraints {
                    self.constraint(&mut t, c);
                }
                if let Some(c) = &ct.comment {
                    t.description = comment_text(c);
                }
                let opts: &[SqlOption] = match &ct.table_options {
                    CreateTableOptions::With(o) | CreateTableOptions::Options(o) | CreateTableOptions::Plain(o) => o,
                    _ => &[],
                };
                for o in opts {
                    if let SqlOption::Comment(c) = o {
                        t.description = comment_text(c);
                    }
                }
                let k = (schema, name);
                if let Some(i) = self.by_key.get(&k) {
                    self.warnings.push(format!("line {line}: {}.{} is defined again; the later definition is kept", k.0, k.1));
                    self.tables[*i] = t;
                } else {
                    self.by_key.insert(k, self.tables.len());
                    self.tables.push(t);
                }
            }
            Statement::AlterTable(at) => {
                let name = at.name.clone();
                for op in at.operations {
                    match op {
                        AlterTableOperation::AddConstraint { constraint, .. } => {
                            let mut tmp = match self.table_mut(&name, line, "ADD CONSTRAINT") {
                                Some(t) => std::mem::replace(t, empty_table()),
                                None => continue,
                            };
                            self.constraint(&mut tmp, constraint);
                            *self.table_mut(&name, line, "").expect("present") = tmp;
                        }
                        AlterTableOperation::AddColumn { column_def, .. } => {
                            let mut tmp = match self.table_mut(&name, line, "ADD COLUMN") {
                                Some(t) => std::mem::replace(t, empty_table()),
                                None => continue,
                            };
                            self.column(&mut tmp, &column_def);
                            *self.table_mut(&name, line, "").expect("present") = tmp;
                        }
                        AlterTableOperation::AlterColumn { column_name, op } => {
                            let col = ident(fold, &column_name);
                            let Some(t) = self.table_mut(&name, line, "ALTER COLUMN") else { continue };
                            let Some(c) = t.columns.iter_mut().find(|c| c.name == col) else { continue };
                            match op {
                                AlterColumnOperation::SetDefault { value } => c.default = Some(value.to_string()),
                                AlterColumnOperation::DropDefault => c.default = None,
                                AlterColumnOperation::SetNotNull => c.nullable = false,
                                AlterColumnOperation::DropNotNull => c.nullable = true,
                                _ => {}
                            }
                        }
                        other => {
                            // OWNER TO, ENABLE ROW LEVEL SECURITY, ...: nothing the KB keeps.
                            let text = other.to_string();
                            let kind = text.split_whitespace().take(2).collect::<Vec<_>>().join(" ").to_uppercase();
                            *self.skipped.entry(format!("ALTER TABLE {kind}")).or_default() += 1;
                        }
                    }
                }
            }
            Statement::CreateIndex(ci) => {
                let name = ci.name.as_ref().map(|n| parts(fold, n).pop().unwrap_or_default()).unwrap_or_default();
                let columns: Vec<String> = ci.columns.iter().map(|c| col_name(fold, &c.column.expr)).collect();
                let unique = ci.unique;
                let Some(t) = self.table_mut(&ci.table_name, line, "CREATE INDEX") else { return Ok(()) };
                let name = if name.is_empty() { format!("{}_{}_idx", t.name, columns.join("_")) } else { name };
                t.indexes.push(Index { name, columns, unique });
            }
            Statement::Comment { object_type, object_name, comment, .. } => {
                let text = comment.unwrap_or_default();
                match object_type {
                    CommentObject::Table => {
                        if let Some(t) = self.table_mut(&object_name, line, "COMMENT ON TABLE") {
                            t.description = text;
                        }
                    }
                    CommentObject::Column => {
                        let mut p = object_name.0.clone();
                        let col = match p.pop() {
                            Some(ObjectNamePart::Identifier(i)) => ident(fold, &i),
                            _ => return Ok(()),
                        };
                        let tn = ObjectName(p);
                        if let Some(t) = self.table_mut(&tn, line, "COMMENT ON COLUMN") {
                            if let Some(c) = t.columns.iter_mut().find(|c| c.name == col) {
                                c.description = text;
                            }
                        }
                    }
                    _ => *self.skipped.entry("COMMENT ON (not a table or column)".into()).or_default() += 1,
                }
            }
            other => {
                let kind = other.to_string().split_whitespace().take(2).collect::<Vec<_>>().join(" ").to_uppercase();
                *self.skipped.entry(kind).or_default() += 1;
            }
        }
        Ok(())
    }

    fn column(&mut self, t: &mut Table, c: &ColumnDef) {
        let fold = self.fold();
        let name = ident(fold, &c.name);
        let mut col = Column {
            name: name.clone(),
            data_type: c.data_type.to_string().to_lowercase(),
            nullable: true,
            default: None,
            description: String::new(),
            examples: vec![],
        };
        for o in &c.options {
            match &o.option {
                ColumnOption::Null => col.nullable = true,
                ColumnOption::NotNull => col.nullable = false,
                ColumnOption::Default(e) => col.default = Some(e.to_string()),
                ColumnOption::Comment(s) => col.description = s.clone(),
                ColumnOption::PrimaryKey(_) => {
                    col.nullable = false;
                    t.primary_key = vec![name.clone()];
                }
                ColumnOption::Unique(u) => {
                    let idx =
                        u.name.as_ref().or(o.name.as_ref()).map(|i| ident(fold, i)).unwrap_or_else(|| format!("{}_{}_key", t.name, name));
                    t.indexes.push(Index { name: idx, columns: vec![name.clone()], unique: true });
                }
                ColumnOption::ForeignKey(fk) => {
                    let (s, tn) = self.key(&fk.foreign_table);
                    t.foreign_keys.push(ForeignKey {
                        name: fk.name.as_ref().or(o.name.as_ref()).map(|i| ident(fold, i)).unwrap_or_default(),
                        columns: vec![name.clone()],
                        references: format!("{s}.{tn}"),
                        referenced_columns: fk.referred_columns.iter().map(|i| ident(fold, i)).collect(),
                    });
                }
                _ => {}
            }
        }
        t.columns.push(col);
    }

    fn constraint(&mut self, t: &mut Table, c: TableConstraint) {
        let fold = self.fold();
        match c {
            TableConstraint::PrimaryKey(pk) => t.primary_key = pk.columns.iter().map(|c| col_name(fold, &c.column.expr)).collect(),
            TableConstraint::Unique(u) => {
                let columns: Vec<String> = u.columns.iter().map(|c| col_name(fold, &c.column.expr)).collect();
                let name = u
                    .name
                    .as_ref()
                    .or(u.index_name.as_ref())
                    .map(|i| ident(fold, i))
                    .unwrap_or_else(|| format!("{}_{}_key", t.name, columns.join("_")));
                t.indexes.push(Index { name, columns, unique: true });
            }
            TableConstraint::ForeignKey(fk) => {
                let (s, tn) = self.key(&fk.foreign_table);
                t.foreign_keys.push(ForeignKey {
                    name: fk.name.as_ref().map(|i| ident(fold, i)).unwrap_or_default(),
                    columns: fk.columns.iter().map(|i| ident(fold, i)).collect(),
                    references: format!("{s}.{tn}"),
                    referenced_columns: fk.referred_columns.iter().map(|i| ident(fold, i)).collect(),
                });
            }
            TableConstraint::Index(ix) => {
                let columns: Vec<String> = ix.columns.iter().map(|c| col_name(fold, &c.column.expr)).collect();
                let name = ix.name.as_ref().map(|i| ident(fold, i)).unwrap_or_else(|| format!("{}_{}_idx", t.name, columns.join("_")));
                t.indexes.push(Index { name, columns, unique: false });
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Result<Imported, ImportError> {
        // `REFERENCES t` without columns means t's primary key; primary-key columns are NOT NULL.
        let pks: BTreeMap<String, Vec<String>> =
            self.tables.iter().map(|t| (format!("{}.{}", t.schema, t.name), t.primary_key.clone())).collect();
        for t in &mut self.tables {
            for fk in &mut t.foreign_keys {
                if fk.referenced_columns.is_empty() {
                    fk.referenced_columns = pks.get(&fk.references).cloned().unwrap_or_default();
                }
            }
            for c in &mut t.columns {
                if t.primary_key.contains(&c.name) {
                    c.nullable = false;
                }
            }
        }
        let mut warnings = self.warnings;
        if !self.skipped.is_empty() {
            let total: usize = self.skipped.values().sum();
            let list: Vec<String> = self.skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
            warnings.push(format!("skipped {total} statements that say nothing the KB keeps about tables: {}", list.join(", ")));
        }
        Ok(Imported { entries: self.tables.into_iter().map(Entry::Table).collect(), warnings })
    }
}

fn comment_text(c: &sqlparser::ast::CommentDef) -> String {
    match c {
        sqlparser::ast::CommentDef::WithEq(s) | sqlparser::ast::CommentDef::WithoutEq(s) => s.clone(),
    }
}

fn empty_table() -> Table {
    Table {
        schema: String::new(),
        name: String::new(),
        description: String::new(),
        columns: vec![],
        primary_key: vec![],
        foreign_keys: vec![],
        indexes: vec![],
        example_queries: vec![],
    }
}
