use serde::{Deserialize, Serialize};

/// What a plan allows. `None` means unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLimits {
    pub projects: Option<u64>,
    pub members_per_project: Option<u64>,
    pub traces_per_month: Option<u64>,
    pub test_runs_per_month: Option<u64>,
    pub dataset_rows: Option<u64>,
    pub storage_bytes: Option<u64>,
}

/// A metered resource, as recorded in usage events and checked against plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaKind {
    Projects,
    MembersPerProject,
    TracesPerMonth,
    TestRunsPerMonth,
    DatasetRows,
    StorageBytes,
}

impl QuotaKind {
    pub const ALL: [QuotaKind; 6] = [
        QuotaKind::Projects,
        QuotaKind::MembersPerProject,
        QuotaKind::TracesPerMonth,
        QuotaKind::TestRunsPerMonth,
        QuotaKind::DatasetRows,
        QuotaKind::StorageBytes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuotaKind::Projects => "projects",
            QuotaKind::MembersPerProject => "members_per_project",
            QuotaKind::TracesPerMonth => "traces_per_month",
            QuotaKind::TestRunsPerMonth => "test_runs_per_month",
            QuotaKind::DatasetRows => "dataset_rows",
            QuotaKind::StorageBytes => "storage_bytes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QuotaKind::Projects => "Projects",
            QuotaKind::MembersPerProject => "Members per project",
            QuotaKind::TracesPerMonth => "Traces per month",
            QuotaKind::TestRunsPerMonth => "Test runs per month",
            QuotaKind::DatasetRows => "Dataset rows",
            QuotaKind::StorageBytes => "Storage (bytes)",
        }
    }

    pub fn limit(self, l: &PlanLimits) -> Option<u64> {
        match self {
            QuotaKind::Projects => l.projects,
            QuotaKind::MembersPerProject => l.members_per_project,
            QuotaKind::TracesPerMonth => l.traces_per_month,
            QuotaKind::TestRunsPerMonth => l.test_runs_per_month,
            QuotaKind::DatasetRows => l.dataset_rows,
            QuotaKind::StorageBytes => l.storage_bytes,
        }
    }
}

/// Would using `more` on top of `used` stay within `limit`?
pub fn within(limit: Option<u64>, used: u64, more: u64) -> bool {
    limit.is_none_or(|l| used.saturating_add(more) <= l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(within(None, u64::MAX, 1));
        assert!(within(Some(3), 2, 1));
        assert!(!within(Some(3), 3, 1));
        let l = PlanLimits { projects: Some(2), ..Default::default() };
        assert_eq!(QuotaKind::Projects.limit(&l), Some(2));
        assert_eq!(QuotaKind::StorageBytes.limit(&l), None);
    }
}
