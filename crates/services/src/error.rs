/// What any store can report. Adapters convert driver errors into these at
/// their boundary (by error kind or code, never by message text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule or a lease/ownership condition was violated.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend could not be reached or timed out; worth retrying later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The request itself is wrong (bad key, bad range...).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Anything else; the message is for logs, not for users.
    #[error("store error: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
