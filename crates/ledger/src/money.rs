//! Exact money parsing. Amounts never pass through `f64` arithmetic: text is cleaned and parsed as a
//! decimal; float cells go through their shortest round-trip string, so 0.1 stays 0.1.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Per-dataset decimal separator; `Auto` is resolved once per file by [`detect_decimal_separator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalSeparator {
    #[default]
    Auto,
    /// `1,234.56`
    Dot,
    /// `1.234,56` (also `1 234,56`)
    Comma,
}

/// Why a money value was refused; the Display is shown to the user next to the row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' is too large for an exact amount")]
    OutOfRange(String),
}

/// Shortest string that round-trips the float (Rust's `Display`), then parsed as a decimal.
pub fn decimal_from_f64(value: f64) -> Result<Decimal, MoneyError> {
    if !value.is_finite() {
        return Err(MoneyError::NotANumber(value.to_string()));
    }
    let text = value.to_string();
    Decimal::from_str(&text).map_err(|_| MoneyError::OutOfRange(text))
}

const CURRENCY_SYMBOLS: [char; 8] = ['$', '€', '£', '¥', '₹', '₩', '₽', '¤'];

/// Parses a money text such as `1,234.56`, `(1.234,56 €)`, `-$12`, `USD 1 234,50`, `1'234.50`, `12.50-`.
pub fn parse_money(raw: &str, separator: DecimalSeparator) -> Result<Decimal, MoneyError> {
    let not_a_number = || MoneyError::NotANumber(raw.trim().to_string());
    let mut s = raw.trim();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    // Keep digits, separators and signs; drop currency symbols/codes and grouping spaces.
    let mut cleaned = String::with_capacity(s.len());
    let mut letters = 0;
    for c in s.chars() {
        match c {
            '0'..='9' | '.' | ',' => cleaned.push(c),
            '-' | '\u{2212}' | '+' => cleaned.push(if c == '+' { '+' } else { '-' }),
            '\'' | '\u{2019}' | '_' => {}
            c if c.is_whitespace() || CURRENCY_SYMBOLS.contains(&c) => {}
            c if c.is_ascii_alphabetic() => letters += 1,
            _ => return Err(not_a_number()),
        }
    }
    // Up to three letters: an ISO currency code (USD, EUR, CHF); more is text.
    if letters > 3 || !cleaned.bytes().any(|b| b.is_ascii_digit()) {
        return Err(not_a_number());
    }
    if let Some(rest) = cleaned.strip_prefix('-') {
        negative = !negative;
        cleaned = rest.to_string();
    } else if let Some(rest) = cleaned.strip_suffix('-') {
        negative = !negative;
        cleaned = rest.to_string();
    } else if let Some(rest) = cleaned.strip_prefix('+') {
        cleaned = rest.to_string();
    }
    if cleaned.contains(['-', '+']) {
        return Err(not_a_number());
    }
    let separator = match separator {
        DecimalSeparator::Auto => guess_separator(&cleaned).unwrap_or(DecimalSeparator::Dot),
        known => known,
    };
    let (decimal_mark, group_mark) = if separator == DecimalSeparator::Comma { (',', '.') } else { ('.', ',') };
    let normalised: String = cleaned.chars().filter(|&c| c != group_mark).map(|c| if c == decimal_mark { '.' } else { c }).collect();
    if normalised.matches('.').count() > 1 {
        return Err(not_a_number());
    }
    let value = Decimal::from_str(&normalised).map_err(|_| not_a_number())?;
    Ok(if negative { -value } else { value })
}

/// Evidence from one value: the last of `.`/`,` is the decimal mark when both appear; a single mark
/// followed by other than exactly three digits is decimal. `1,234` alone is ambiguous (`None`).
pub fn guess_separator(cleaned: &str) -> Option<DecimalSeparator> {
    let last = cleaned.rfind(['.', ','])?;
    let mark = cleaned.as_bytes()[last];
    let as_decimal = if mark == b',' { DecimalSeparator::Comma } else { DecimalSeparator::Dot };
    let other = if mark == b',' { '.' } else { ',' };
    if cleaned.contains(other) {
        return Some(as_decimal);
    }
    let digits_after = cleaned.len() - last - 1;
    if cleaned.matches(mark as char).count() > 1 {
        // `1.234.567` — repeated marks group thousands.
        return Some(if mark == b',' { DecimalSeparator::Dot } else { DecimalSeparator::Comma });
    }
    (digits_after != 3).then_some(as_decimal)
}

/// Decides the separator for a file from sample texts: the first unambiguous value wins, default dot.
pub fn detect_decimal_separator<'a>(samples: impl IntoIterator<Item = &'a str>) -> DecimalSeparator {
    samples.into_iter().find_map(guess_separator).unwrap_or(DecimalSeparator::Dot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_common_money_forms() {
        use DecimalSeparator::*;
        assert_eq!(parse_money("1,234.56", Dot).unwrap(), d("1234.56"));
        assert_eq!(parse_money("1.234,56", Comma).unwrap(), d("1234.56"));
        assert_eq!(parse_money("(1,234.56)", Dot).unwrap(), d("-1234.56"));
        assert_eq!(parse_money("-$1,234.56", Auto).unwrap(), d("-1234.56"));
        assert_eq!(parse_money("1 234,50 €", Auto).unwrap(), d("1234.50"));
        assert_eq!(parse_money("USD 12.5", Auto).unwrap(), d("12.5"));
        assert_eq!(parse_money("1'234.50", Auto).unwrap(), d("1234.50"));
        assert_eq!(parse_money("12.50-", Auto).unwrap(), d("-12.50"));
        assert_eq!(parse_money("\u{2212}7", Auto).unwrap(), d("-7"));
        assert_eq!(parse_money("1.234.567", Auto).unwrap(), d("1234567"));
        assert!(parse_money("abc", Auto).is_err());
        assert!(parse_money("12-3", Auto).is_err());
        assert!(parse_money("1.2.3,4,5", Comma).is_err());
        assert!(parse_money("n/a", Auto).is_err());
    }

    #[test]
    fn floats_convert_exactly_by_shortest_string() {
        assert_eq!(decimal_from_f64(0.1).unwrap(), d("0.1"));
        assert_eq!(decimal_from_f64(1234.56).unwrap(), d("1234.56"));
        assert_eq!(decimal_from_f64(-0.3).unwrap(), d("-0.3"));
        assert!(decimal_from_f64(f64::NAN).is_err());
        assert!(decimal_from_f64(1e40).is_err());
    }

    #[test]
    fn detects_separator_from_samples() {
        assert_eq!(detect_decimal_separator(["1,234", "12,5"]), DecimalSeparator::Comma);
        assert_eq!(detect_decimal_separator(["1,234", "1,234.5"]), DecimalSeparator::Dot);
        assert_eq!(detect_decimal_separator(["1,234"]), DecimalSeparator::Dot);
    }
}
