use serde::{Deserialize, Serialize};

/// A user's role across the whole installation (project roles come later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlobalRole {
    Admin,
    User,
}

impl GlobalRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GlobalRole::Admin => "admin",
            GlobalRole::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(GlobalRole::Admin),
            "user" => Some(GlobalRole::User),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for r in [GlobalRole::Admin, GlobalRole::User] {
            assert_eq!(GlobalRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(GlobalRole::parse("root"), None);
    }
}
