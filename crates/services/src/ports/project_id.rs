//! The id of a project the caller was authorised for.

use std::fmt;

/// Project-scoped port methods take a `ProjectId` instead of a bare string so
/// that no store call can be made with an id nobody checked: a mix-up there
/// would read or write another tenant's data.
///
/// Only this crate makes one — `authz` after checking the member's role, API-key
/// verification (the key belongs to the project) and job handlers (the job was
/// enqueued by an authorised use case). Contract suites and benches get
/// [`ProjectId::unchecked`] through the `test-ids` feature.
///
/// ```compile_fail
/// // Outside `services` an id cannot be made from a string:
/// let id = services::ports::ProjectId::authorised("any-project");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectId(String);

impl ProjectId {
    pub(crate) fn authorised(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// An id taken on trust, for store contract suites and benches only.
    #[cfg(feature = "test-ids")]
    pub fn unchecked(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What names its project and is as trusted as an authorised id: job payloads (enqueued by a use
/// case after its check) and records read through a project-scoped call.
pub(crate) trait InProject {
    fn project_id_str(&self) -> &str;

    fn project(&self) -> ProjectId {
        ProjectId::authorised(self.project_id_str())
    }
}

macro_rules! in_project {
    ($($t:ty),* $(,)?) => {
        $(impl InProject for $t {
            fn project_id_str(&self) -> &str {
                &self.project_id
            }
        })*
    };
}

in_project!(
    crate::test_runs::RunRef,
    crate::kb::search::IndexRef,
    crate::kb::imports::ImportRef,
    crate::dataset_import::ImportRef,
    domain::datasets::DatasetImport,
    domain::kb::jobs::KbImport,
    domain::personas::Persona,
    domain::personas::Conversation,
    domain::testcases::TestRun,
    domain::testcases::TestCase,
);

impl From<ProjectId> for String {
    fn from(id: ProjectId) -> String {
        id.0
    }
}

impl PartialEq<str> for ProjectId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<ProjectId> for str {
    fn eq(&self, other: &ProjectId) -> bool {
        self == other.0
    }
}
