use crate::ports::{AnalyticsStore, BlobStore, PrimaryStore};
use std::sync::Arc;

/// The configured adapters, shared by handlers, server functions and workers.
#[derive(Clone)]
pub struct Stores {
    pub primary: Arc<dyn PrimaryStore>,
    pub analytics: Arc<dyn AnalyticsStore>,
    pub blob: Arc<dyn BlobStore>,
}

impl Stores {
    /// Apply every store's migrations.
    pub async fn migrate(&self) -> crate::error::StoreResult<()> {
        self.primary.migrate().await?;
        self.analytics.migrate().await?;
        self.blob.migrate().await
    }
}
