/// Percent-encode `s` for a URL query value. Unreserved characters and the
/// `/`, `@` and `:` that RFC 3986 allows in a query stay readable.
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~/@:".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_what_a_query_value_cannot_hold() {
        assert_eq!(super::query_value("/projects/a b?x=1&y"), "/projects/a%20b%3Fx%3D1%26y");
        assert_eq!(super::query_value("ada@example.com"), "ada@example.com");
        assert_eq!(super::query_value("é"), "%C3%A9");
    }
}
