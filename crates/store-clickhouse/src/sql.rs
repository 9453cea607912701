//! A parameterised ClickHouse query under construction, shared by the span and ledger adapters.

use clickhouse::{query::Query, Client};

/// SQL text plus its bound values, built together so `?`s and values never drift apart.
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

enum Arg {
    Str(String),
    U64(u64),
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Sql { text: text.to_owned(), args: Vec::new() }
    }
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }
    pub(crate) fn str(&mut self, v: &str) -> &mut Self {
        self.text.push('?');
        self.args.push(Arg::Str(v.to_owned()));
        self
    }
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.text.push('?');
        self.args.push(Arg::U64(v));
        self
    }
    /// `(?, ?, ...)` of `values` (non-empty).
    pub(crate) fn list(&mut self, values: &[String]) -> &mut Self {
        self.text.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.str(v);
        }
        self.text.push(')');
        self
    }
    pub(crate) fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.args.extend(other.args);
        self
    }
    pub(crate) fn query(&self, client: &Client) -> Query {
        let mut q = client.query(&self.text);
        for arg in &self.args {
            q = match arg {
                Arg::Str(s) => q.bind(s.as_str()),
                Arg::U64(v) => q.bind(*v),
            };
        }
        q
    }
}
