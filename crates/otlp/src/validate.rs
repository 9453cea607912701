//! Per-span validation. A failing span is rejected with a reason; the rest of the batch proceeds.

/// 2000-01-01T00:00:00Z: anything earlier is a unit mistake (seconds or millis sent as nanos).
pub const MIN_UNIX_NANO: u64 = 946_684_800_000_000_000;
/// How far ahead of the server clock a timestamp may be (clock skew allowance).
pub const MAX_FUTURE_NANO: u64 = 86_400_000_000_000;

/// Count of rejected spans and the first reason: what OTLP partial success reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejections {
    pub count: u64,
    pub first: Option<String>,
}

impl Rejections {
    /// The reason is built only for the first rejection: a batch of 100k bad spans stays cheap.
    pub fn add(&mut self, reason: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(reason());
        }
    }
}

/// Trace id: 16 bytes, not all zero. Returned as 32 lowercase hex characters.
pub fn trace_id(bytes: &[u8]) -> Result<String, String> {
    id(bytes, 16, "trace_id")
}

/// Span id: 8 bytes, not all zero. Returned as 16 lowercase hex characters.
pub fn span_id(bytes: &[u8]) -> Result<String, String> {
    id(bytes, 8, "span_id")
}

/// Parent span id: empty means a root span. All zeros is also read as root, since some SDKs send it.
pub fn parent_span_id(bytes: &[u8]) -> Result<Option<String>, String> {
    if bytes.is_empty() || (bytes.len() == 8 && bytes.iter().all(|b| *b == 0)) {
        return Ok(None);
    }
    id(bytes, 8, "parent_span_id").map(Some)
}

fn id(bytes: &[u8], len: usize, what: &str) -> Result<String, String> {
    if bytes.len() != len {
        return Err(format!("invalid {what}: {} bytes, expected {len}", bytes.len()));
    }
    if bytes.iter().all(|b| *b == 0) {
        return Err(format!("invalid {what}: all zeros"));
    }
    Ok(hex::encode(bytes))
}

/// Start and end must be set, ordered, after 2000 and at most a day after `now`.
pub fn times(start: u64, end: u64, now_unix_nano: u64) -> Result<(), String> {
    let latest = now_unix_nano.saturating_add(MAX_FUTURE_NANO);
    for (what, t) in [("start_time_unix_nano", start), ("end_time_unix_nano", end)] {
        if t == 0 {
            return Err(format!("{what} is missing (0)"));
        }
        if t < MIN_UNIX_NANO {
            return Err(format!("{what} {t} is before 2000-01-01 (not in nanoseconds?)"));
        }
        if t > latest {
            return Err(format!("{what} {t} is more than a day in the future"));
        }
    }
    if end < start {
        return Err(format!("end_time_unix_nano {end} is before start_time_unix_nano {start}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_763_769_600_000_000_000; // 2025-11-22

    #[test]
    fn ids() {
        assert_eq!(trace_id(&[0xab; 16]).unwrap(), "ab".repeat(16));
        assert_eq!(span_id(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap(), "0102030405060708");
        assert!(trace_id(&[0; 16]).unwrap_err().contains("all zeros"));
        assert!(trace_id(&[1; 15]).unwrap_err().contains("15 bytes"));
        assert!(span_id(&[]).unwrap_err().contains("0 bytes"));
        assert_eq!(parent_span_id(&[]).unwrap(), None);
        assert_eq!(parent_span_id(&[0; 8]).unwrap(), None);
        assert!(parent_span_id(&[1; 9]).is_err());
    }

    #[test]
    fn timestamps() {
        assert!(times(NOW - 10, NOW, NOW).is_ok());
        assert!(times(NOW, NOW, NOW).is_ok());
        assert!(times(0, NOW, NOW).unwrap_err().contains("missing"));
        assert!(times(NOW, 0, NOW).unwrap_err().contains("missing"));
        assert!(times(NOW, NOW - 1, NOW).unwrap_err().contains("before start"));
        assert!(times(1_700_000_000_000, 1_700_000_000_001, NOW).unwrap_err().contains("2000"));
        assert!(times(NOW, NOW + MAX_FUTURE_NANO + 1, NOW).unwrap_err().contains("future"));
        assert!(times(u64::MAX - 1, u64::MAX, u64::MAX).is_ok());
    }

    #[test]
    fn only_the_first_reason_is_kept() {
        let mut r = Rejections::default();
        r.add(|| "a".into());
        r.add(|| unreachable!());
        assert_eq!(r, Rejections { count: 2, first: Some("a".into()) });
    }
}
