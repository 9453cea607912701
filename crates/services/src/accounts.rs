//! The first administrator, from the command line (`create-admin`).

use crate::{
    passwords::HashCost,
    ports::{PrimaryStore, User},
    users::new_account,
    ServiceResult,
};
use domain::GlobalRole;

/// Create an administrator who chose their own password.
pub async fn create_admin(store: &dyn PrimaryStore, email: &str, password: &str, cost: HashCost) -> ServiceResult<User> {
    let user = new_account(store, email, "", password, GlobalRole::Admin, false, cost).await?;
    tracing::info!(user_id = %user.id, "administrator created");
    Ok(user)
}
