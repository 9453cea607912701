//! Dates and times: numeric forms inside one word (ISO 8601, `05/01/2024`, `01.05.2024`,
//! `12:30:00`) and written forms over a few words (`May 1, 2024`, `1st of May 2024`,
//! `Tuesday, May 1`, `May 2024`). Month and weekday names must be in title case, so neither
//! the verb "may" nor the acronym "APR" is a month.

use super::Placeholder;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Calendar {
    Month,
    Weekday,
}

/// A written date starting at `i`: its end.
pub(super) fn named_at(bytes: &[u8], i: usize) -> Option<usize> {
    let first = *bytes.get(i)?;
    if first.is_ascii_digit() {
        return day_first(bytes, i);
    }
    match calendar_word(bytes, i)? {
        (Calendar::Month, end) => month_rest(bytes, end),
        (Calendar::Weekday, end) => {
            let p = if bytes.get(end) == Some(&b',') { end + 1 } else { end };
            let p = spaces(bytes, p)?;
            month_first(bytes, p).or_else(|| day_first(bytes, p))
        }
    }
}

/// `May 1`, `May 1st, 2024`, `May 2024`.
fn month_first(bytes: &[u8], i: usize) -> Option<usize> {
    match calendar_word(bytes, i)? {
        (Calendar::Month, end) => month_rest(bytes, end),
        _ => None,
    }
}

/// What follows a month name: ` 2024`, ` 1`, ` 1st, 2024`.
fn month_rest(bytes: &[u8], month_end: usize) -> Option<usize> {
    let p = spaces(bytes, month_end)?;
    if let Some(end) = digit_run(bytes, p).filter(|e| e - p == 4 && at_boundary(bytes, *e)) {
        return Some(end);
    }
    let day = day_end(bytes, p)?;
    Some(year_after(bytes, day).unwrap_or(day))
}

/// `1 May`, `1st of May, 2024`.
fn day_first(bytes: &[u8], i: usize) -> Option<usize> {
    let mut p = spaces(bytes, day_end(bytes, i)?)?;
    if bytes.get(p..p + 3) == Some(b"of ") {
        p = spaces(bytes, p + 2)?;
    }
    let month = match calendar_word(bytes, p)? {
        (Calendar::Month, end) => end,
        _ => return None,
    };
    Some(year_after(bytes, month).unwrap_or(month))
}

/// A day of month (1-2 digits, optional ordinal suffix) at `i`, ending at a word boundary.
fn day_end(bytes: &[u8], i: usize) -> Option<usize> {
    let end = digit_run(bytes, i).filter(|e| e - i <= 2)?;
    let end = match bytes.get(end..end + 2) {
        Some(s) if is_ordinal_suffix(s) => end + 2,
        _ => end,
    };
    at_boundary(bytes, end).then_some(end)
}

/// `, 2024` or ` 2024` after a day or month.
fn year_after(bytes: &[u8], i: usize) -> Option<usize> {
    let p = if bytes.get(i) == Some(&b',') { i + 1 } else { i };
    let p = spaces(bytes, p)?;
    digit_run(bytes, p).filter(|e| e - p == 4 && at_boundary(bytes, *e))
}

/// A month or weekday name at `i` in title case (`May`, not `may` or `APR`), with an
/// abbreviation's dot: its kind and end. Called for every capitalised word, so it rejects on
/// the first letter and the length before comparing names.
fn calendar_word(bytes: &[u8], i: usize) -> Option<(Calendar, usize)> {
    if !matches!(bytes.get(i)?, b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D' | b'T' | b'W') {
        return None;
    }
    let len = 1 + bytes[i + 1..].iter().take(9).take_while(|b| b.is_ascii_lowercase()).count();
    if !(3..=9).contains(&len) || bytes.get(i + len).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let word = &bytes[i + 1..i + len];
    let kind = match (bytes[i], word) {
        (b'J', b"anuary" | b"an" | b"une" | b"un" | b"uly" | b"ul")
        | (b'F', b"ebruary" | b"eb")
        | (b'M', b"arch" | b"ar" | b"ay")
        | (b'A', b"pril" | b"pr" | b"ugust" | b"ug")
        | (b'S', b"eptember" | b"ep" | b"ept")
        | (b'O', b"ctober" | b"ct")
        | (b'N', b"ovember" | b"ov")
        | (b'D', b"ecember" | b"ec") => Calendar::Month,
        (b'M', b"onday" | b"on")
        | (b'T', b"uesday" | b"ue" | b"ues" | b"hursday" | b"hu" | b"hur" | b"hurs")
        | (b'W', b"ednesday" | b"ed")
        | (b'F', b"riday" | b"ri")
        | (b'S', b"aturday" | b"at" | b"unday" | b"un") => Calendar::Weekday,
        _ => return None,
    };
    let end = i + len;
    Some((kind, if len <= 4 && bytes.get(end) == Some(&b'.') { end + 1 } else { end }))
}

/// One or more spaces at `i`: the position after them.
fn spaces(bytes: &[u8], i: usize) -> Option<usize> {
    let n = bytes.get(i..)?.iter().take_while(|b| **b == b' ').count();
    (n > 0).then_some(i + n)
}

fn digit_run(bytes: &[u8], i: usize) -> Option<usize> {
    let n = bytes.get(i..)?.iter().take_while(|b| b.is_ascii_digit()).count();
    (n > 0).then_some(i + n)
}

fn at_boundary(bytes: &[u8], i: usize) -> bool {
    bytes.get(i).is_none_or(|b| !b.is_ascii_alphanumeric())
}

pub(super) fn is_ordinal_suffix(s: &[u8]) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|x| x.as_bytes().eq_ignore_ascii_case(s))
}

/// A numeric date or time filling the whole word `a`.
pub(super) fn numeric(a: &[u8]) -> Option<Placeholder> {
    if let Some(rest) = iso_date(a) {
        return match rest {
            [] => Some(Placeholder::Date),
            [b'T' | b't', time @ ..] => clock(time, true).then_some(Placeholder::Date),
            _ => None,
        };
    }
    if clock(a, true) {
        return Some(Placeholder::Time);
    }
    let groups = groups(a)?;
    match groups {
        // 2024/05/01, 2024.05.01
        ([4, m, d], sep) if sep != b'-' && m <= 2 && d <= 2 => Some(Placeholder::Date),
        // 05/01/2024, 01.05.24, 1-5-2024
        ([d, m, y], _) if d <= 2 && m <= 2 && (y == 2 || y == 4) => Some(Placeholder::Date),
        _ => None,
    }
}

/// `YYYY-MM-DD` at the start of `a`: the rest.
fn iso_date(a: &[u8]) -> Option<&[u8]> {
    let digits = |r: std::ops::Range<usize>| a.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    (digits(0..4) && a.get(4) == Some(&b'-') && digits(5..7) && a.get(7) == Some(&b'-') && digits(8..10)).then(|| &a[10..])
}

/// `H:MM`, `HH:MM:SS`, `HH:MM:SS.fff`, with a zone (`Z`, `+02:00`, `-0500`) if `zone`.
fn clock(a: &[u8], zone: bool) -> bool {
    let h = a.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=2).contains(&h) || a.get(h) != Some(&b':') {
        return false;
    }
    let mut p = h + 1;
    for part in 0..2 {
        let n = a[p..].iter().take_while(|b| b.is_ascii_digit()).count();
        if n != 2 {
            return false;
        }
        p += n;
        if part == 0 && a.get(p) == Some(&b':') {
            p += 1;
        } else {
            break;
        }
    }
    if a.get(p) == Some(&b'.') {
        let n = a[p + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        p += 1 + n;
    }
    match &a[p.min(a.len())..] {
        [] => true,
        [b'Z' | b'z'] => zone,
        [b'+' | b'-', rest @ ..] => zone && (clock(rest, false) || (rest.len() == 4 && rest.iter().all(u8::is_ascii_digit))),
        _ => false,
    }
}

/// Lengths of three digit groups joined by one repeated separator (`/`, `.` or `-`).
fn groups(a: &[u8]) -> Option<([usize; 3], u8)> {
    let sep = *a.iter().find(|b| !b.is_ascii_digit())?;
    if !matches!(sep, b'/' | b'.' | b'-') {
        return None;
    }
    let mut lens = [0; 3];
    let mut parts = a.split(|b| *b == sep);
    for len in &mut lens {
        let part = parts.next()?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *len = part.len();
    }
    parts.next().is_none().then_some((lens, sep))
}

/// After a time: ` pm`, `am`, ` a.m.`.
pub(super) fn am_pm_end(bytes: &[u8], end: usize) -> usize {
    let p = if bytes.get(end) == Some(&b' ') { end + 1 } else { end };
    for suffix in ["a.m.", "p.m.", "am", "pm"] {
        let n = suffix.len();
        if bytes.get(p..p + n).is_some_and(|s| s.eq_ignore_ascii_case(suffix.as_bytes()))
            && bytes.get(p + n).is_none_or(|b| !b.is_ascii_alphabetic())
        {
            return p + n;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_forms() {
        for d in ["2024-05-01", "2024-05-01T12:30:00Z", "2024-05-01T12:30:00.123+02:00", "05/01/2024", "01.05.24", "2024/5/1"] {
            assert_eq!(numeric(d.as_bytes()), Some(Placeholder::Date), "{d}");
        }
        for t in ["9:05", "12:30:45", "23:59:59.5"] {
            assert_eq!(numeric(t.as_bytes()), Some(Placeholder::Time), "{t}");
        }
        for n in ["3:1", "1.2.3.4", "123-45", "2024-05-01Tea"] {
            assert_eq!(numeric(n.as_bytes()), None, "{n}");
        }
    }

    #[test]
    fn written_forms() {
        let end = |s: &str| named_at(s.as_bytes(), 0);
        assert_eq!(end("May 1, 2024 at noon"), Some(11));
        assert_eq!(end("Tuesday, March 5th, 2024."), Some(24));
        assert_eq!(end("1st of May 2024"), Some(15));
        assert_eq!(end("12 Sept. 2023"), Some(13));
        assert_eq!(end("March 2024"), Some(10));
        assert_eq!(end("May I help you"), None);
        assert_eq!(end("may 5"), None);
        assert_eq!(end("APR 12"), None);
        assert_eq!(end("Monday morning"), None);
        assert_eq!(end("15 people"), None);
    }

    #[test]
    fn am_pm() {
        assert_eq!(am_pm_end(b"9:05 pm.", 4), 7);
        assert_eq!(am_pm_end(b"9:05 a.m. x", 4), 9);
        assert_eq!(am_pm_end(b"9:05 amber", 4), 4);
    }
}
