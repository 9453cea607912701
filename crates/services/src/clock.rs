/// Wall-clock time as Unix milliseconds. Stores take `now_ms` as a parameter so
/// that lease expiry and retention are testable without sleeping.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
