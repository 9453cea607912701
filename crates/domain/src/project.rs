use serde::{Deserialize, Serialize};
use std::fmt;

/// A member's role in one project. Ordered by power: Analyst < Editor < Owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectRole {
    /// Read-only: dashboards, charts, filters, exports.
    Analyst,
    /// Creates and changes content.
    Editor,
    /// Manages members and project settings.
    Owner,
}

impl ProjectRole {
    pub const ALL: [ProjectRole; 3] = [ProjectRole::Owner, ProjectRole::Editor, ProjectRole::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectRole::Analyst => "analyst",
            ProjectRole::Editor => "editor",
            ProjectRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "analyst" => ProjectRole::Analyst,
            "editor" => ProjectRole::Editor,
            "owner" => ProjectRole::Owner,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectRole::Analyst => "Analyst",
            ProjectRole::Editor => "Editor",
            ProjectRole::Owner => "Owner",
        }
    }

    /// Does this role include everything `needed` may do?
    pub fn allows(self, needed: ProjectRole) -> bool {
        self >= needed
    }
}

/// A project's URL name: 3–40 of `a-z`, `0-9` and inner `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a valid project slug: use 3 to 40 lowercase letters, digits and dashes, not starting or ending with a dash")]
pub struct SlugError(pub String);

impl ProjectSlug {
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        let s = raw.trim();
        let ok = (3..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(ProjectSlug(s.to_owned()))
        } else {
            Err(SlugError(s.chars().take(60).collect()))
        }
    }

    /// A slug made from a project name ("My App!" → "my-app").
    pub fn from_name(name: &str) -> Option<Self> {
        let mut out = String::new();
        for c in name.trim().to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let out: String = out.trim_end_matches('-').chars().take(40).collect();
        ProjectSlug::parse(out.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectSlug {
    type Error = SlugError;
    fn try_from(v: String) -> Result<Self, Self::Error> {
        ProjectSlug::parse(&v)
    }
}

impl From<ProjectSlug> for String {
    fn from(s: ProjectSlug) -> Self {
        s.0
    }
}

impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(ProjectRole::Owner.allows(ProjectRole::Editor));
        assert!(ProjectRole::Editor.allows(ProjectRole::Analyst));
        assert!(!ProjectRole::Analyst.allows(ProjectRole::Editor));
        for r in ProjectRole::ALL {
            assert_eq!(ProjectRole::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn slugs() {
        assert!(ProjectSlug::parse("my-app-2").is_ok());
        for bad in ["ab", "-ab", "ab-", "a--b", "Abc", "a b c", &"a".repeat(41)] {
            assert!(ProjectSlug::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ProjectSlug::from_name("  My App! v2 ").unwrap().as_str(), "my-app-v2");
        assert!(ProjectSlug::from_name("!!").is_none());
    }
}
