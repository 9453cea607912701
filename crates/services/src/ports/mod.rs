//! The three storage ports. Every adapter passes the same contract suite
//! (`test-support::contract`).

pub mod accounts;
pub mod analytics;
pub mod blob;
pub mod datasets;
pub mod kb;
pub mod llm_config;
pub mod mail;
pub mod prices;
pub mod primary;
pub mod project_id;
pub mod sessions;
pub mod testcases;

pub use analytics::AnalyticsStore;
pub use blob::{BlobBody, BlobMeta, BlobStore, ByteRange, ByteStream, DownloadUrl};
pub use datasets::DatasetRepo;
pub use kb::{DraftFilter, EntryFilter, KbRepo, KbSettings, ReleaseHeader};
pub use llm_config::{CiphertextSwap, ConversationRepo, PersonaRepo, ProviderKeyRecord, ProviderKeyRepo};
pub use mail::{MailError, Mailer, OutgoingMail};
pub use prices::{ModelPriceRecord, PriceRepo, RetentionRepo};
pub use primary::{
    ApiKeyRecord, ApiKeyRepo, AuditEntry, AuditFilter, AuditLog, JobQueue, JobRecord, LeasedJob, Member, NewApiKey, NewPlan, NewProject,
    NewUser, PasswordResetRepo, Plan, PlanRepo, PrimaryStore, Project, ProjectRepo, SessionInfo, SessionRecords, User, UserRepo,
};
pub(crate) use project_id::InProject;
pub use project_id::ProjectId;
pub use sessions::{LiveSession, SessionDirectory};
pub use testcases::{CaseFilter, TestCaseRepo};
