//! The dataset jobs (`dataset.analyse`, `dataset.import`): see `services::dataset_import`.

use super::{payload, JobHandler};
use async_trait::async_trait;
use services::{
    dataset_import::{self, ImportRef},
    ports::LeasedJob,
    Stores,
};

pub struct AnalyseUpload(pub Stores);
pub struct ImportUpload(pub Stores);

#[async_trait]
impl JobHandler for AnalyseUpload {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let (r, attempt): (ImportRef, _) = payload(job)?;
        dataset_import::analyse(&self.0, &r, attempt).await
    }
}

#[async_trait]
impl JobHandler for ImportUpload {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let (r, attempt): (ImportRef, _) = payload(job)?;
        dataset_import::import(&self.0, &r, attempt).await
    }
}
