//! The dataset jobs (`dataset.analyse`, `dataset.import`): see `services::dataset_import`.

use super::JobHandler;
use async_trait::async_trait;
use services::{
    dataset_import::{self, Attempt, ImportRef},
    ports::LeasedJob,
    Stores,
};

pub struct AnalyseUpload(pub Stores);
pub struct ImportUpload(pub Stores);

fn target(job: &LeasedJob) -> Result<(ImportRef, Attempt), String> {
    let r: ImportRef = serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad job payload: {e}"))?;
    Ok((r, Attempt { number: job.attempt, max: job.max_attempts }))
}

#[async_trait]
impl JobHandler for AnalyseUpload {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let (r, attempt) = target(job)?;
        dataset_import::analyse(&self.0, &r, attempt).await
    }
}

#[async_trait]
impl JobHandler for ImportUpload {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let (r, attempt) = target(job)?;
        dataset_import::import(&self.0, &r, attempt).await
    }
}
