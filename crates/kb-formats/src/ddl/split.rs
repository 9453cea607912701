//! Splits a script into statements without parsing them, so each can be parsed (or skipped)
//! on its own: quotes, `$tag$` dollar quotes, comments, `COPY … FROM stdin` data blocks and psql
//! `\` meta-commands are understood. Linear time; nothing nests.

use super::Dialect;
use crate::error::ImportError;

pub(crate) struct Stmt {
    /// From the statement's first significant character to before its `;`.
    pub text: String,
    /// 1-based line of that first character.
    pub line: usize,
}

impl Stmt {
    /// The first words in upper case, single-spaced (`CREATE UNIQUE INDEX`).
    pub fn head(&self) -> String {
        self.text.split_whitespace().take(6).collect::<Vec<_>>().join(" ").to_uppercase()
    }

    /// What kind of statement, for the skipped-statements summary (`INSERT`, `CREATE FUNCTION`).
    pub fn kind(&self) -> String {
        let words: Vec<String> = self
            .text
            .split_whitespace()
            .take(4)
            .map(|w| w.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>().to_uppercase())
            .collect();
        let mut out = words.first().cloned().unwrap_or_default();
        if matches!(out.as_str(), "CREATE" | "ALTER" | "DROP" | "COMMENT") {
            let mut rest = words.iter().skip(1).filter(|w| !matches!(w.as_str(), "OR" | "REPLACE" | "UNIQUE" | "ON" | "IF" | ""));
            if let Some(w) = rest.next() {
                out = format!("{out} {w}");
            }
        }
        out
    }
}

pub(crate) fn statements(sql: &str, dialect: Dialect) -> Result<Vec<Stmt>, ImportError> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut start: Option<(usize, usize)> = None;
    let mysql = dialect == Dialect::MySql;
    while i < b.len() {
        let c = b[i];
        // Comments: skipped before a statement, kept inside one.
        if c == b'-' && b.get(i + 1) == Some(&b'-') || (mysql && c == b'#') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                if b[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            i = (i + 2).min(b.len());
            // MySQL's `/*!40101 SET ... */;` is a statement hidden in a comment: skipped.
            continue;
        }
        if c == b'\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if start.is_none() {
            // psql meta-command (`\connect db`, `\restrict key`): one line, no `;`.
            if c == b'\\' {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            start = Some((i, line));
        }
        match c {
            b';' => {
                let (s, l) = start.take().expect("set above");
                let text = sql[s..i].to_string();
                i += 1;
                let copy_stdin = {
                    let up = text.to_uppercase();
                    up.starts_with("COPY ") && up.trim_end().ends_with("FROM STDIN")
                };
                // A lone `;` (after MySQL's `/*!…*/` comments) is no statement.
                if !text.trim().is_empty() {
                    out.push(Stmt { text, line: l });
                }
                if copy_stdin {
                    // Data lines up to a line `\.`.
                    loop {
                        let Some(nl) = sql[i..].find('\n') else {
                            i = b.len();
                            break;
                        };
                        line += 1;
                        let row = &sql[i..i + nl];
                        i += nl + 1;
                        if row.trim_end() == "\\." {
                            break;
                        }
                    }
                }
            }
            b'\'' | b'"' | b'`' => {
                let q = c;
                i += 1;
                while i < b.len() {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    if mysql && b[i] == b'\\' && q != b'`' {
                        i += 2;
                        continue;
                    }
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' if !mysql && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) => {
                let tag_end = sql[i + 1..].find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')).map(|k| i + 1 + k);
                match tag_end {
                    Some(e) if b[e] == b'$' && !b[i + 1..e].first().is_some_and(|d| d.is_ascii_digit()) => {
                        let tag = &sql[i..=e];
                        let body = e + 1;
                        let close = sql[body..].find(tag).map_or(b.len(), |k| body + k + tag.len());
                        line += sql[i..close].bytes().filter(|x| *x == b'\n').count();
                        i = close;
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    if let Some((s, l)) = start {
        let text = sql[s..].trim_end().to_string();
        if !text.is_empty() {
            out.push(Stmt { text, line: l });
        }
    }
    Ok(out)
}
