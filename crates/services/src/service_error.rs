//! The one error type of the use cases. Each variant has a stable code for
//! clients and a message a person understands; causes stay in the logs.

use crate::StoreError;
use domain::QuotaKind;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("please sign in")]
    Unauthenticated,
    #[error("you do not have permission to do this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the {} limit of your plan is reached: {used} of {limit} used", kind.label().to_lowercase())]
    QuotaExceeded { kind: QuotaKind, limit: u64, used: u64 },
    #[error("the e-mail address or password is wrong, or the account is locked after too many attempts")]
    BadCredentials,
    #[error("you must change your password first")]
    PasswordChangeRequired,
    #[error("a service is unavailable; please try again shortly")]
    Unavailable,
    #[error("something went wrong on our side")]
    Internal,
}

impl ServiceError {
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Unauthenticated => "unauthenticated",
            ServiceError::Forbidden => "forbidden",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Invalid(_) => "invalid",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::QuotaExceeded { .. } => "quota_exceeded",
            ServiceError::BadCredentials => "bad_credentials",
            ServiceError::PasswordChangeRequired => "password_change_required",
            ServiceError::Unavailable => "unavailable",
            ServiceError::Internal => "internal",
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Unauthenticated | ServiceError::BadCredentials => 401,
            ServiceError::Forbidden | ServiceError::PasswordChangeRequired => 403,
            ServiceError::NotFound(_) => 404,
            ServiceError::Invalid(_) => 422,
            ServiceError::Conflict(_) => 409,
            ServiceError::QuotaExceeded { .. } => 402,
            ServiceError::Unavailable => 503,
            ServiceError::Internal => 500,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound("record"),
            StoreError::Conflict(_) => ServiceError::Conflict("it already exists".into()),
            StoreError::Invalid(m) => {
                tracing::warn!(error = %m, "store refused a request");
                ServiceError::Invalid("the request is not valid".into())
            }
            StoreError::Unavailable(m) => {
                tracing::error!(error = %m, "store unavailable");
                ServiceError::Unavailable
            }
            StoreError::Internal(m) => {
                tracing::error!(error = %m, "store error");
                ServiceError::Internal
            }
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
