//! Who is asking, and from where: passed to every use case so that
//! authorisation and audit happen here, once.

use domain::GlobalRole;

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub email: String,
    pub role: GlobalRole,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == GlobalRole::Admin
    }
}

/// The request a use case runs for (audit fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub actor: Option<Actor>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestContext {
    /// The signed-in actor, or `Unauthenticated`.
    pub fn actor(&self) -> Result<&Actor, crate::ServiceError> {
        self.actor.as_ref().ok_or(crate::ServiceError::Unauthenticated)
    }

    /// The signed-in admin, or `Unauthenticated` / `Forbidden`.
    pub fn admin(&self) -> Result<&Actor, crate::ServiceError> {
        let a = self.actor()?;
        if a.is_admin() {
            Ok(a)
        } else {
            Err(crate::ServiceError::Forbidden)
        }
    }

    pub fn system() -> Self {
        RequestContext::default()
    }
}
