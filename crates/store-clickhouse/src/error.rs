use services::StoreError;

/// Convert a `clickhouse` client error by its kind (never by message text):
/// network failures and timeouts are worth retrying (`Unavailable`); a
/// server-side exception (`BadResponse`) or a row that does not decode is a bug
/// or a schema problem (`Internal`).
pub fn map_clickhouse_error(e: clickhouse::error::Error) -> StoreError {
    use clickhouse::error::Error as E;
    match e {
        E::Network(_) | E::TimedOut => StoreError::Unavailable(format!("ClickHouse: {e}")),
        E::RowNotFound => StoreError::NotFound,
        E::InvalidParams(_) => StoreError::Invalid(format!("ClickHouse: {e}")),
        other => StoreError::Internal(format!("ClickHouse: {other}")),
    }
}
