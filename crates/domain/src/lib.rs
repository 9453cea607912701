//! Domain types shared by the server and the browser (wasm-safe: no I/O, no
//! server-only dependencies). Newtypes are parsed once at the edge
//! ("parse, don't validate") so the rest of the code can trust them.

pub mod blob_key;
pub mod email;
pub mod health;
pub mod jobs;
pub mod role;
pub mod usage;

pub use blob_key::BlobKey;
pub use email::Email;
pub use health::{ReadinessReport, StoreHealth, StoreKind};
pub use jobs::{JobId, JobStatus, NewJob};
pub use role::GlobalRole;
pub use usage::{DailyUsage, UsageEvent};
