//! Domain types shared by the server and the browser (wasm-safe: no I/O, no
//! server-only dependencies). Newtypes are parsed once at the edge
//! ("parse, don't validate") so the rest of the code can trust them.

pub mod api_error;
pub mod audit;
pub mod blob_key;
pub mod chat_payload;
pub mod datasets;
pub mod email;
pub mod health;
pub mod jobs;
pub mod kb;
pub mod ledger_dashboard;
pub mod personas;
pub mod plan;
pub mod playground;
pub mod project;
pub mod role;
pub mod sessions;
pub mod test_steps;
pub mod testcases;
pub mod traces;
pub mod url;
pub mod usage;

pub use audit::AuditRecord;
pub use blob_key::BlobKey;
pub use email::Email;
pub use health::{ReadinessReport, StoreHealth, StoreKind};
pub use jobs::{JobId, JobStatus, NewJob};
pub use plan::{PlanLimits, QuotaKind};
pub use project::{ProjectRole, ProjectSlug};
pub use role::GlobalRole;
pub use usage::{DailyUsage, UsageEvent};
