//! Knowledge-base documents in and out: OpenAPI (JSON or YAML) and SQL DDL become
//! `domain::kb::Entry` values, and the active KB is written back in the same formats.
