//! Account use cases available from the foundation: the first admin.

use crate::{
    passwords::{self, HashCost, PasswordError},
    ports::{NewUser, PrimaryStore, User},
    StoreError,
};
use domain::{email::EmailError, Email, GlobalRole};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("a user with this e-mail address already exists")]
    EmailTaken,
    #[error(transparent)]
    Store(StoreError),
}

impl From<AccountError> for crate::ServiceError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Email(e) => crate::ServiceError::Invalid(e.to_string()),
            AccountError::Password(e) => crate::ServiceError::Invalid(e.to_string()),
            AccountError::EmailTaken => crate::ServiceError::Conflict(AccountError::EmailTaken.to_string()),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => AccountError::EmailTaken,
            other => AccountError::Store(other),
        }
    }
}

/// Create an administrator (used by `create-admin`).
pub async fn create_admin(
    store: &dyn PrimaryStore,
    email: &str,
    password: &str,
    cost: HashCost,
    now_ms: i64,
) -> Result<User, AccountError> {
    let email = Email::parse(email)?;
    passwords::check_policy(password)?;
    let password_hash = passwords::hash(password, cost);
    let user = store
        .create_user(NewUser { email, name: String::new(), password_hash, role: GlobalRole::Admin, must_change_password: false }, now_ms)
        .await?;
    tracing::info!(user_id = %user.id, "administrator created");
    Ok(user)
}
