//! Ledger months (`YYYY-MM`) and ISO dates.

use super::*;

/// A calendar month, `YYYY-MM`, years 1900 to 2200 (what the ledger import accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LedgerMonth {
    year: u16,
    month: u8,
}

impl LedgerMonth {
    pub fn new(year: u16, month: u8) -> Option<Self> {
        ((1900..=2200).contains(&year) && (1..=12).contains(&month)).then_some(LedgerMonth { year, month })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m) = text.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        LedgerMonth::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// As stored: `year * 100 + month`.
    pub fn yyyymm(self) -> u32 {
        u32::from(self.year) * 100 + u32::from(self.month)
    }

    pub fn from_yyyymm(v: u32) -> Option<Self> {
        LedgerMonth::new(u16::try_from(v / 100).ok()?, u8::try_from(v % 100).ok()?)
    }

    fn index(self) -> i32 {
        i32::from(self.year) * 12 + i32::from(self.month) - 1
    }

    fn from_index(i: i32) -> Option<Self> {
        LedgerMonth::new(u16::try_from(i.div_euclid(12)).ok()?, u8::try_from(i.rem_euclid(12) + 1).ok()?)
    }

    /// `n` months later (earlier when negative); `None` outside 1900..=2200.
    pub fn plus(self, n: i32) -> Option<Self> {
        LedgerMonth::from_index(self.index() + n)
    }

    /// Months from `self` to `to`, both included (0 when `to` is earlier).
    pub fn months_to(self, to: LedgerMonth) -> u32 {
        u32::try_from(to.index() - self.index() + 1).unwrap_or(0)
    }
}

impl fmt::Display for LedgerMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for LedgerMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LedgerMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LedgerMonth::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a month (YYYY-MM)")))
    }
}

/// A `YYYY-MM-DD` date with a real day of the month (leap years included).
pub fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let Some(month) = LedgerMonth::parse(&text[..7]) else { return false };
    let Ok(day) = text[8..].parse::<u8>() else { return false };
    if !text[8..].bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let y = u32::from(month.year());
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match month.month() {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}
