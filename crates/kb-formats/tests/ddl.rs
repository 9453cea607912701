//! DDL import (pg_dump and mysqldump output), export round trips, and hostile scripts.

use std::fmt::Write;
use std::time::{Duration, Instant};

use domain::kb::{Entry, Table};
use kb_formats::ddl::parse_ddl_bytes;
use kb_formats::{export_ddl, parse_ddl, Dialect, ErrorKind, Imported, Limits};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn import(sql: &str, d: Dialect) -> Imported {
    parse_ddl(sql, d, &Limits::default()).unwrap_or_else(|e| panic!("import failed: {e}"))
}

fn table<'a>(i: &'a Imported, key: &str) -> &'a Table {
    i.entries
        .iter()
        .find_map(|e| match e {
            Entry::Table(t) if e.key().name == key => Some(t),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {key} in {:?}", i.entries.iter().map(|e| e.key().name).collect::<Vec<_>>()))
}

fn assert_round_trip(first: &Imported, d: Dialect) {
    let sql = export_ddl(&first.entries, d);
    let again = parse_ddl(&sql, d, &Limits::default()).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    assert_eq!(again.entries, first.entries, "round trip through:\n{sql}");
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
}

#[test]
fn pg_dump_output_imports() {
    let i = import(&fixture("pg_dump.sql"), Dialect::Postgres);
    let keys: Vec<String> = i.entries.iter().map(|e| e.key().name).collect();
    assert_eq!(keys, ["public.users", "public.orders", "billing.invoices"]);

    let users = table(&i, "public.users");
    assert_eq!(users.description, "People who sign in; one row per account.");
    assert_eq!(users.primary_key, ["id"]);
    let id = &users.columns[0];
    assert_eq!((id.data_type.as_str(), id.nullable), ("bigint", false));
    assert_eq!(id.default.as_deref(), Some("nextval('public.users_id_seq'::REGCLASS)"));
    assert_eq!(users.columns[1].data_type, "public.citext");
    assert_eq!(users.columns[1].description, "Unique, case-insensitive.");
    assert_eq!(users.columns[2].data_type, "character varying(120)");
    assert!(users.columns[2].nullable);
    assert_eq!(users.columns[3].name, "createdAt", "quoted names keep their case");
    assert_eq!(users.columns[3].data_type, "timestamp with time zone");
    assert_eq!(users.columns[3].default.as_deref(), Some("now()"));
    assert_eq!(
        users.indexes.iter().map(|x| (x.name.as_str(), x.unique)).collect::<Vec<_>>(),
        [("users_email_key", true), ("users_lower_name_idx", false)]
    );
    assert_eq!(users.indexes[1].columns, ["lower((display_name)::TEXT)"]);

    let orders = table(&i, "public.orders");
    assert_eq!(orders.columns[3].data_type, "numeric(12,2)");
    assert_eq!(orders.foreign_keys.len(), 1);
    let fk = &orders.foreign_keys[0];
    assert_eq!((fk.name.as_str(), fk.references.as_str()), ("orders_user_id_fkey", "public.users"));
    assert_eq!((fk.columns.clone(), fk.referenced_columns.clone()), (vec!["user_id".to_string()], vec!["id".to_string()]));
    assert_eq!(orders.indexes[0].name, "orders_user_id_idx");

    let inv = table(&i, "billing.invoices");
    assert_eq!(inv.indexes[0].columns, ["number"]);
    assert!(inv.indexes[0].unique);
    assert_eq!(inv.foreign_keys[0].references, "public.orders");

    let summary = i.warnings.last().expect("a summary of what was skipped");
    for kind in ["SET", "SELECT", "CREATE FUNCTION", "CREATE SEQUENCE", "COPY", "GRANT", "CREATE TRIGGER"] {
        assert!(summary.contains(kind), "{kind} not in {summary}");
    }
    assert_round_trip(&i, Dialect::Postgres);
}

#[test]
fn mysql_dump_output_imports() {
    let i = import(&fixture("mysql_dump.sql"), Dialect::MySql);
    let keys: Vec<String> = i.entries.iter().map(|e| e.key().name).collect();
    assert_eq!(keys, ["shop.customers", "shop.OrderItems"], "schema from USE; quoted names keep case");
    let c = table(&i, "shop.customers");
    assert_eq!(c.description, "Who buys things");
    assert_eq!(c.columns[0].data_type, "int unsigned");
    assert_eq!(c.columns[1].description, "Login; unique");
    assert_eq!(c.columns[3].default.as_deref(), Some("CURRENT_TIMESTAMP"));
    assert_eq!(c.primary_key, ["id"]);
    assert_eq!(
        c.indexes.iter().map(|x| (x.name.as_str(), x.unique)).collect::<Vec<_>>(),
        [("customers_email_uq", true), ("customers_name_idx", false)]
    );
    let items = table(&i, "shop.OrderItems");
    assert_eq!(items.primary_key, ["order_id", "line"]);
    assert_eq!(items.columns[3].data_type, "decimal(10,2)");
    assert_eq!(items.foreign_keys[0].references, "shop.customers");
    assert_eq!(items.indexes[0].name, "items_sku");
    assert_eq!(items.indexes[0].columns, ["sku", "order_id"]);
    assert!(i.warnings.iter().any(|w| w.contains("INSERT")), "{:?}", i.warnings);
    assert!(!i.warnings.iter().any(|w| w.contains(", 1 ,") || w.contains(": 1 ,")), "no empty statement kinds: {:?}", i.warnings);
    assert_round_trip(&i, Dialect::MySql);
}

#[test]
fn inline_constraints_and_defaults() {
    let sql = "create table Accounts (
        id serial primary key,
        code varchar(10) unique not null,
        parent_id int references accounts,
        owner int constraint owner_fk references people(person_id),
        balance numeric(12, 2) default 0.00,
        unique (code, parent_id)
    );
    create table people (person_id int primary key, name text);";
    let i = import(sql, Dialect::Postgres);
    let a = table(&i, "public.accounts");
    assert_eq!(a.primary_key, ["id"]);
    assert!(!a.columns[0].nullable);
    assert_eq!(a.columns[0].data_type, "serial");
    assert_eq!(a.indexes[0].name, "accounts_code_key");
    assert_eq!(a.indexes[1].columns, ["code", "parent_id"]);
    assert_eq!(a.foreign_keys[0].referenced_columns, ["id"], "REFERENCES t means t's primary key");
    assert_eq!(a.foreign_keys[1].name, "owner_fk");
    assert_eq!(a.foreign_keys[1].references, "public.people");
    assert_eq!(a.columns[4].data_type, "numeric(12,2)");
    assert_round_trip(&i, Dialect::Postgres);
}

#[test]
fn errors_name_the_line() {
    let sql = "SET x = 1;\n\nCREATE TABLE t (\n  id int,\n  name text text text\n);\n";
    let e = parse_ddl(sql, Dialect::Postgres, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.line, Some(5), "{e}");
    assert!(e.to_string().starts_with("line 5"), "{e}");
    // Unreadable statements of other kinds are warnings.
    let i = import("CREATE TABLE t (id int);\nALTER TABLE t FROBNICATE everything;\n", Dialect::Postgres);
    assert_eq!(i.entries.len(), 1);
    assert!(i.warnings[0].starts_with("line 2:"), "{:?}", i.warnings);
}

#[test]
fn hostile_scripts_are_refused_quickly() {
    let start = Instant::now();
    // Garbage and non-DDL.
    let e = parse_ddl("lorem ipsum dolor; sit amet", Dialect::Postgres, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotThisFormat);
    assert!(e.to_string().contains("not a DDL script"), "{e}");
    assert!(parse_ddl("", Dialect::MySql, &Limits::default()).is_err());
    let e = parse_ddl_bytes(b"CREATE TABLE t (name text DEFAULT '\xff\xfe');", Dialect::Postgres, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotThisFormat);
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    assert!(parse_ddl_bytes(b"%PDF-1.4 ...", Dialect::Postgres, &Limits::default()).unwrap_err().to_string().contains("PDF"));
    // Deeply nested expression: sqlparser's recursion limit, an error rather than a stack overflow.
    let deep = format!("CREATE TABLE t (x int DEFAULT {}1{});", "(".repeat(5_000), ")".repeat(5_000));
    let e = parse_ddl(&deep, Dialect::Postgres, &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("nest too deeply"), "{e}");
    // Unterminated quote or dollar quote: one statement to the end, no hang.
    assert!(parse_ddl("CREATE TABLE t (x text DEFAULT 'oops);", Dialect::Postgres, &Limits::default()).is_err());
    assert!(parse_ddl("CREATE FUNCTION f() AS $x$ never closed", Dialect::Postgres, &Limits::default()).is_err());
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn ten_thousand_tables_import_and_the_limit_is_enforced() {
    let mut sql = String::new();
    for i in 0..10_000 {
        let _ = writeln!(
            sql,
            "CREATE TABLE public.t{i} (id bigint PRIMARY KEY, name varchar(50) NOT NULL, ref_id bigint REFERENCES public.t0(id));"
        );
        let _ = writeln!(sql, "CREATE INDEX t{i}_name ON public.t{i} (name);");
    }
    let start = Instant::now();
    let i = import(&sql, Dialect::Postgres);
    assert_eq!(i.entries.len(), 10_000);
    assert!(start.elapsed() < Duration::from_secs(60), "{:?}", start.elapsed());
    let e = parse_ddl(&sql, Dialect::Postgres, &Limits { max_operations: 5_000, ..Limits::default() }).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert!(e.to_string().contains("more than 5000 tables"), "{e}");
}
