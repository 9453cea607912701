use serde::{Deserialize, Serialize};

/// One metered use of a resource by a project (traces ingested, test runs...).
/// Times are Unix milliseconds, UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEvent {
    pub project_id: String,
    pub kind: String,
    pub quantity: u64,
    pub time_ms: i64,
}

/// Sum of a kind of usage over one UTC day (`day` as YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyUsage {
    pub day: String,
    pub kind: String,
    pub quantity: u64,
}

pub const MS_PER_DAY: i64 = 86_400_000;

/// The UTC day containing `time_ms`, as YYYY-MM-DD (proleptic Gregorian).
pub fn utc_day(time_ms: i64) -> String {
    let days = time_ms.div_euclid(MS_PER_DAY);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(MS_PER_DAY - 1), "1970-01-01");
        assert_eq!(utc_day(-1), "1969-12-31");
        assert_eq!(utc_day(1_709_164_800_000), "2024-02-29");
        assert_eq!(utc_day(1_795_305_600_000), "2026-11-22");
    }
}

/// `YYYY-MM-DD HH:MM UTC` for people.
pub fn utc_minute(time_ms: i64) -> String {
    let secs = time_ms.div_euclid(1000).rem_euclid(86_400);
    format!("{} {:02}:{:02} UTC", utc_day(time_ms), secs / 3600, secs / 60 % 60)
}

#[cfg(test)]
mod minute_tests {
    #[test]
    fn formats_minutes() {
        assert_eq!(super::utc_minute(1_795_305_600_000 + 3_723_000), "2026-11-22 01:02 UTC");
    }
}

/// Start of the UTC day `YYYY-MM-DD`, in Unix milliseconds; `None` when
/// the text is not such a date.
pub fn day_start_ms(day: &str) -> Option<i64> {
    let mut parts = day.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = days * MS_PER_DAY;
    // Reject dates like 2026-02-31 that do not round-trip.
    (utc_day(ms) == format!("{y:04}-{m:02}-{d:02}")).then_some(ms)
}

#[cfg(test)]
mod day_tests {
    use super::*;

    #[test]
    fn parses_days_and_rejects_impossible_ones() {
        assert_eq!(day_start_ms("1970-01-01"), Some(0));
        assert_eq!(day_start_ms("2026-11-22"), Some(1_795_305_600_000));
        assert_eq!(day_start_ms("2024-02-29").map(utc_day), Some("2024-02-29".into()));
        for bad in ["2026-02-31", "2026-13-01", "x", "", "2026-1"] {
            assert_eq!(day_start_ms(bad), None, "{bad}");
        }
    }
}
