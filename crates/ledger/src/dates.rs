//! Dates from text (ISO, day/month orders, month names, `2024-03` months), Excel serials and cells.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::cell::DateSystem;
use crate::header::normalise;

/// How to read all-numeric dates such as `03/04/2024`; ISO `2024-03-04` is always year first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    #[default]
    DayMonthYear,
    MonthDayYear,
    YearMonthDay,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' is not a date")]
    NotADate(String),
    #[error("{0} is outside the accepted range 1900-01-01 to 2200-12-31")]
    OutOfRange(String),
    #[error("Excel serial 60 is 1900-02-29, a day that does not exist (Excel's 1900 leap-year bug)")]
    Excel1900LeapDay,
}

/// A parsed date; `month_only` when the text named only a month (`2024-03`, `Mar 2024`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    pub date: NaiveDate,
    pub month_only: bool,
}

pub fn in_range(date: NaiveDate) -> Result<NaiveDate, DateError> {
    let ok = (1900..=2200).contains(&date.year());
    if ok {
        Ok(date)
    } else {
        Err(DateError::OutOfRange(date.to_string()))
    }
}

/// Excel serial day number to a date. 1900 system: serial 1 is 1900-01-01 and Excel counts a
/// 1900-02-29 (serial 60) that never existed, so serials after it are one day ahead of the count.
pub fn date_from_serial(serial: f64, system: DateSystem) -> Result<NaiveDate, DateError> {
    if !serial.is_finite() || !(1.0..=3_000_000.0).contains(&serial) {
        return Err(DateError::OutOfRange(format!("Excel serial {serial}")));
    }
    let days = serial.floor() as u64;
    let (base, days) = match system {
        DateSystem::Excel1904 => (NaiveDate::from_ymd_opt(1904, 1, 1), days),
        DateSystem::Excel1900 if days == 60 => return Err(DateError::Excel1900LeapDay),
        DateSystem::Excel1900 if days < 60 => (NaiveDate::from_ymd_opt(1899, 12, 31), days),
        DateSystem::Excel1900 => (NaiveDate::from_ymd_opt(1899, 12, 30), days),
    };
    let date =
        base.and_then(|b| b.checked_add_days(Days::new(days))).ok_or_else(|| DateError::OutOfRange(format!("Excel serial {serial}")))?;
    in_range(date)
}

/// English and French month names (accents removed), longest prefixes first where they collide.
const MONTH_NAMES: [(&str, u32); 22] = [
    ("janv", 1),
    ("juin", 6),
    ("juil", 7),
    ("jan", 1),
    ("feb", 2),
    ("fev", 2),
    ("mar", 3),
    ("apr", 4),
    ("avr", 4),
    ("may", 5),
    ("mai", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("aou", 8),
    ("sep", 9),
    ("oct", 10),
    ("okt", 10),
    ("nov", 11),
    ("dec", 12),
    ("dez", 12),
    ("mrz", 3),
];

#[derive(Debug, Clone, Copy)]
enum Token {
    Number(u32, usize),
    Month(u32),
}

fn year(value: u32, digits: usize) -> Option<i32> {
    match digits {
        4 => Some(value as i32),
        // Two-digit years: 00–69 are 20xx, 70–99 are 19xx.
        2 if value < 70 => Some(2000 + value as i32),
        2 => Some(1900 + value as i32),
        _ => None,
    }
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    // Drop a time part: after an ISO `T`, or any whitespace-separated piece with `:` or AM/PM.
    let date_part = match text.find('T') {
        Some(i) if i >= 8 && text[..i].bytes().all(|b| b.is_ascii_digit() || b == b'-') => &text[..i],
        _ => text,
    };
    let kept: Vec<&str> =
        date_part.split_whitespace().filter(|p| !p.contains(':') && !matches!(p.to_ascii_lowercase().as_str(), "am" | "pm")).collect();
    kept.join(" ")
        .split(['-', '/', '.', ' ', ','])
        .filter(|t| !t.is_empty())
        .map(|t| {
            if t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().ok().map(|n| Token::Number(n, t.len()))
            } else {
                let n = normalise(t);
                MONTH_NAMES.iter().find(|(name, _)| n.starts_with(name)).map(|&(_, m)| Token::Month(m))
            }
        })
        .collect()
}

fn ymd(y: Option<i32>, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y?, m, d)
}

/// Fast path for the most common form, `YYYY-MM-DD` exactly.
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Parses a date written as text. A lone number of up to 5 digits is an Excel serial (CSV exports
/// of date columns), 6 digits `YYYYMM`, 8 digits `YYYYMMDD`.
pub fn parse_date_text(text: &str, order: DateOrder) -> Result<ParsedDate, DateError> {
    use Token::{Month as W, Number as N};
    let text = text.trim();
    if let Some(date) = iso_date(text) {
        return in_range(date).map(|date| ParsedDate { date, month_only: false });
    }
    let not_a_date = || DateError::NotADate(text.to_string());
    let toks = tokens(text).ok_or_else(not_a_date)?;
    let day = |date: Option<NaiveDate>| date.map(|date| ParsedDate { date, month_only: false });
    let month = |y: Option<i32>, m: u32| ymd(y, m, 1).map(|date| ParsedDate { date, month_only: true });
    let parsed = match toks.as_slice() {
        [N(n, 1..=5)] => {
            return date_from_serial(f64::from(*n), DateSystem::Excel1900).map(|date| ParsedDate { date, month_only: false });
        }
        [N(n, 6)] => month(Some((n / 100) as i32), n % 100),
        [N(n, 8)] => day(ymd(Some((n / 10_000) as i32), n / 100 % 100, n % 100)),
        [N(y, 4), N(m, _), N(d, _)] => day(ymd(year(*y, 4), *m, *d)),
        [N(a, la), N(b, _), N(c, lc)] => day(match order {
            DateOrder::DayMonthYear => ymd(year(*c, *lc), *b, *a),
            DateOrder::MonthDayYear => ymd(year(*c, *lc), *a, *b),
            DateOrder::YearMonthDay => ymd(year(*a, *la), *b, *c),
        }),
        [N(y, 4), W(m), N(d, _)] => day(ymd(year(*y, 4), *m, *d)),
        [N(d, _), W(m), N(y, ly)] | [W(m), N(d, _), N(y, ly)] => day(ymd(year(*y, *ly), *m, *d)),
        [N(y, 4), N(m, _)] | [N(m, 1..=2), N(y, 4)] => month(year(*y, 4), *m),
        [W(m), N(y, ly)] | [N(y, ly), W(m)] => month(year(*y, *ly), *m),
        _ => None,
    };
    let parsed = parsed.ok_or_else(not_a_date)?;
    in_range(parsed.date)?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_text_dates() {
        let p = |s: &str, o| parse_date_text(s, o).map(|p| (p.date, p.month_only));
        use DateOrder::*;
        assert_eq!(p("2024-03-15", DayMonthYear), Ok((date(2024, 3, 15), false)));
        assert_eq!(p("2024-03-15T10:20:00Z", DayMonthYear), Ok((date(2024, 3, 15), false)));
        assert_eq!(p("2024-03-15 10:20:00", DayMonthYear), Ok((date(2024, 3, 15), false)));
        assert_eq!(p("03/04/2024", DayMonthYear), Ok((date(2024, 4, 3), false)));
        assert_eq!(p("03/04/2024", MonthDayYear), Ok((date(2024, 3, 4), false)));
        assert_eq!(p("15.03.24", DayMonthYear), Ok((date(2024, 3, 15), false)));
        assert_eq!(p("15 Mar 2024", MonthDayYear), Ok((date(2024, 3, 15), false)));
        assert_eq!(p("March 15, 2024", DayMonthYear), Ok((date(2024, 3, 15), false)));
        assert_eq!(p("2024-03", DayMonthYear), Ok((date(2024, 3, 1), true)));
        assert_eq!(p("03/2024", DayMonthYear), Ok((date(2024, 3, 1), true)));
        assert_eq!(p("Févr. 2024", DayMonthYear), Ok((date(2024, 2, 1), true)));
        assert_eq!(p("202403", DayMonthYear), Ok((date(2024, 3, 1), true)));
        assert_eq!(p("20240315", DayMonthYear), Ok((date(2024, 3, 15), false)));
        assert_eq!(p("45366", DayMonthYear), Ok((date(2024, 3, 15), false)));
        assert!(matches!(p("31/02/2024", DayMonthYear), Err(DateError::NotADate(_))));
        assert!(matches!(p("1850-01-01", DayMonthYear), Err(DateError::OutOfRange(_))));
        assert!(matches!(p("2301-01-01", DayMonthYear), Err(DateError::OutOfRange(_))));
        assert!(matches!(p("soon", DayMonthYear), Err(DateError::NotADate(_))));
    }

    #[test]
    fn excel_serials_handle_the_1900_leap_bug_and_1904() {
        assert_eq!(date_from_serial(1.0, DateSystem::Excel1900), Ok(date(1900, 1, 1)));
        assert_eq!(date_from_serial(59.0, DateSystem::Excel1900), Ok(date(1900, 2, 28)));
        assert_eq!(date_from_serial(60.0, DateSystem::Excel1900), Err(DateError::Excel1900LeapDay));
        assert_eq!(date_from_serial(61.0, DateSystem::Excel1900), Ok(date(1900, 3, 1)));
        assert_eq!(date_from_serial(45366.75, DateSystem::Excel1900), Ok(date(2024, 3, 15)));
        assert_eq!(date_from_serial(43904.0, DateSystem::Excel1904), Ok(date(2024, 3, 15)));
        assert!(date_from_serial(-3.0, DateSystem::Excel1900).is_err());
    }
}
