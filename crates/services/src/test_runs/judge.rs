//! The same-meaning judge: one LLM connection per run, made on first use.

use super::*;
use crate::ports::ProjectId;

/// The judge's provider and model, or why there is none (a reason for the step).
pub(super) type JudgeProvider = Result<(Arc<dyn LlmProvider>, String), String>;

/// The same-meaning judge of one run: its connection is made once, on first use.
pub(super) struct Judge<'a> {
    deps: &'a RunnerDeps,
    project_id: &'a ProjectId,
    /// A model target's key id and model.
    preferred: Option<(&'a str, &'a str)>,
    ready: Option<JudgeProvider>,
}

impl<'a> Judge<'a> {
    pub(super) fn new(deps: &'a RunnerDeps, project_id: &'a ProjectId, preferred: Option<(&'a str, &'a str)>) -> Self {
        Judge { deps, project_id, preferred, ready: None }
    }

    /// `Err` for store errors only.
    pub(super) async fn provider(&mut self) -> Result<JudgeProvider, String> {
        if let Some(ready) = &self.ready {
            return Ok(ready.clone());
        }
        let (key, model) = match self.preferred {
            Some((key_id, model)) => (KeyChoice::Id(key_id), model),
            None => (KeyChoice::ProjectDefault, ""),
        };
        // The judge's calls are recorded in a trace of their own.
        let what = LlmUse { timeout: Some(self.deps.config.model_timeout), ..LlmUse::new(self.project_id, key, JUDGE_ORIGIN) };
        let ready = match self.deps.llm.connect(what).await {
            Ok(c) => c.model(model).map(|m| (c.provider.clone(), m)).map_err(|e| e.to_string()),
            Err(ServiceError::Internal | ServiceError::Unavailable) => return Err("the store is unavailable".into()),
            Err(e) => Err(e.to_string()),
        };
        self.ready = Some(ready.clone());
        Ok(ready)
    }

    /// The judge's verdict for same-meaning steps, `None` for the others.
    pub(super) async fn verdict(&mut self, step: &StepExpectation, obs: &Observation) -> Result<Option<StepVerdict>, String> {
        let MatchType::SameMeaning { threshold, .. } = &step.match_type else { return Ok(None) };
        let (provider, model) = match self.provider().await? {
            Ok(p) => p,
            Err(why) => return Ok(Some(checks::judge_unavailable(&why))),
        };
        let prompt = checks::judge_request(step, obs);
        let request = ChatRequest {
            temperature: Some(0.0),
            ..ChatRequest::new(model, vec![Message::system(prompt.system), Message::user(prompt.user)])
        };
        Ok(Some(match provider.chat(&request).await {
            Ok(reply) => checks::judge_verdict(&reply.content, *threshold),
            Err(e) => checks::judge_unavailable(&e.to_string()),
        }))
    }
}
