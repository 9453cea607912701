//! Header text normalisation, header-row detection and duplicate-header disambiguation.

use unicode_normalization::UnicodeNormalization;

use crate::cell::Row;
use crate::mapping::best_field;

/// Lower-case, accents removed (NFKD then combining marks dropped), only letters and digits kept:
/// "Période" → "periode", "Co. Code" → "cocode", "GL_Account" → "glaccount".
pub fn normalise(text: &str) -> String {
    if text.is_ascii() {
        // Fast path (most cells): nothing to decompose.
        return text.bytes().filter(u8::is_ascii_alphanumeric).map(|b| char::from(b.to_ascii_lowercase())).collect();
    }
    text.nfkd().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// How many distinct ledger fields a row's cells name; a header row names several.
pub fn header_score(row: &Row) -> usize {
    let mut fields: Vec<_> = row.cells.iter().filter_map(|c| best_field(&c.to_text()).map(|(f, _)| f)).collect();
    fields.sort_unstable();
    fields.dedup();
    fields.len()
}

/// Index in `rows` of the header: the first row naming the most fields (at least two), so title
/// rows and blank rows above the table are skipped.
pub fn find_header(rows: &[Row]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, row) in rows.iter().enumerate() {
        let score = header_score(row);
        if score >= 2 && best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// Display names for the header cells: blanks become "Column N"; repeated names (compared after
/// normalisation) get " (2)", " (3)"… A note per rename says which columns collided.
pub fn disambiguate(raw: &[String]) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::with_capacity(raw.len());
    let mut notes = Vec::new();
    // normalised name → (first column, times seen)
    let mut seen: std::collections::HashMap<String, (usize, usize)> = std::collections::HashMap::new();
    for (i, text) in raw.iter().enumerate() {
        let text = text.trim();
        let base = if text.is_empty() { format!("Column {}", i + 1) } else { text.to_string() };
        let key = normalise(&base);
        let entry = seen.entry(if key.is_empty() { base.clone() } else { key }).or_insert((i, 0));
        entry.1 += 1;
        if entry.1 == 1 {
            names.push(base);
        } else {
            let renamed = format!("{base} ({})", entry.1);
            let first = &names[entry.0];
            notes.push(format!("duplicate header '{first}' in columns {} and {}: the later one is named '{renamed}'", entry.0 + 1, i + 1));
            names.push(renamed);
        }
    }
    (names, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::Cell;

    #[test]
    fn normalises_case_accents_and_punctuation() {
        assert_eq!(normalise("Période"), "periode");
        assert_eq!(normalise("  Co. Code "), "cocode");
        assert_eq!(normalise("GL_Account-No"), "glaccountno");
    }

    #[test]
    fn finds_header_below_title_rows_and_renames_duplicates() {
        let row = |n, cells: &[&str]| Row { number: n, cells: cells.iter().map(|s| Cell::Text(s.to_string())).collect() };
        let rows =
            [row(1, &["Ledger export Q1"]), row(2, &[]), row(3, &["Date", "Account", "Amount"]), row(4, &["2024-01-01", "4000", "5"])];
        assert_eq!(find_header(&rows), Some(2));
        let (names, notes) = disambiguate(&["Amount".into(), "amount ".into(), "".into()]);
        assert_eq!(names, ["Amount", "amount (2)", "Column 3"]);
        assert!(notes[0].contains("columns 1 and 2"));
    }
}
