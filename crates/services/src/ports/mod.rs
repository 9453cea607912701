//! The three storage ports. Every adapter passes the same contract suite
//! (`test-support::contract`).

pub mod analytics;
pub mod blob;
pub mod primary;

pub use analytics::AnalyticsStore;
pub use blob::{BlobBody, BlobMeta, BlobStore, ByteRange, ByteStream, DownloadUrl};
pub use primary::{JobQueue, JobRecord, LeasedJob, NewUser, PrimaryStore, SessionRecords, User, UserRepo};
