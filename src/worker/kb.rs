//! The knowledge-base jobs: parsing an import (`kb.import.parse`) and building a release's
//! index (`kb.index.build`); see `services::kb::imports` and `services::kb::search`.

use super::{payload, JobHandler};
use async_trait::async_trait;
use services::{
    kb::{imports, search},
    ports::LeasedJob,
    Stores,
};

pub struct ParseImport(pub Stores);
pub struct BuildIndex(pub services::AppServices);

#[async_trait]
impl JobHandler for ParseImport {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let (r, attempt) = payload(job)?;
        imports::parse_job(&self.0, &r, attempt).await
    }
}

#[async_trait]
impl JobHandler for BuildIndex {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let (r, attempt) = payload(job)?;
        search::index_job(&self.0, &r, attempt).await
    }
}
