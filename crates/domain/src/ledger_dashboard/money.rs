//! Exact money: an `i64` count of ten-thousandths.

use super::*;

/// An exact amount of money with 4 decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an amount (digits with an optional sign and up to 4 decimals)")]
    NotAnAmount(String),
    #[error("'{0}' has more than 4 decimals")]
    TooPrecise(String),
    #[error("the amount is too large to be exact")]
    Overflow,
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// From a count of ten-thousandths.
    pub const fn from_scaled(scaled: i64) -> Self {
        Money(scaled)
    }

    /// The count of ten-thousandths.
    pub const fn scaled(self) -> i64 {
        self.0
    }

    /// Whole units (checked).
    pub fn from_units(units: i64) -> Result<Self, MoneyError> {
        units.checked_mul(MONEY_SCALE).map(Money).ok_or(MoneyError::Overflow)
    }

    /// Hundredths (checked).
    pub fn from_cents(cents: i64) -> Result<Self, MoneyError> {
        cents.checked_mul(100).map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_add(other.0).map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_sub(other.0).map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.0.checked_neg().map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn abs(self) -> Result<Money, MoneyError> {
        self.0.checked_abs().map(Money).ok_or(MoneyError::Overflow)
    }

    /// Sum without any rounding; `Overflow` beyond the `i64` range.
    pub fn sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, MoneyError> {
        items.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// `[+-]digits[.digits]` with at most 4 decimals (more are accepted when they are zeros).
    /// No grouping, exponent or currency: the ledger import has already cleaned those.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let bad = || MoneyError::NotAnAmount(text.to_owned());
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() && frac_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(bad());
        }
        let significant = frac_part.trim_end_matches('0');
        if significant.len() > MONEY_DECIMALS {
            return Err(MoneyError::TooPrecise(text.to_owned()));
        }
        // Accumulate negatively so i64::MIN parses too.
        let mut value: i64 = 0;
        let push = |value: i64, digit: u8| value.checked_mul(10).and_then(|v| v.checked_sub(i64::from(digit - b'0')));
        for b in int_part.bytes() {
            value = push(value, b).ok_or(MoneyError::Overflow)?;
        }
        for i in 0..MONEY_DECIMALS {
            value = push(value, significant.as_bytes().get(i).copied().unwrap_or(b'0')).ok_or(MoneyError::Overflow)?;
        }
        if negative {
            Ok(Money(value))
        } else {
            value.checked_neg().map(Money).ok_or(MoneyError::Overflow)
        }
    }
}

impl fmt::Display for Money {
    /// At least 2 decimals, up to 4 (trailing zeros beyond the second are dropped): `-1234.5` is
    /// `-1234.50`, `0.1234` stays `0.1234`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = MONEY_SCALE as u64;
        let frac = format!("{:04}", abs % scale);
        let frac = frac.trim_end_matches('0');
        let frac = if frac.len() < 2 { &format!("{:02}", (abs % scale) / 100)[..] } else { frac };
        write!(f, "{sign}{}.{frac}", abs / scale)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// As a JSON string: exact in JavaScript too (numbers lose digits beyond 2^53).
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}
