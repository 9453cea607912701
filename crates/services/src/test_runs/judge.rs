//! The same-meaning judge: one LLM provider per run, resolved on first use.

use super::*;

/// The judge's provider and model, or why there is none (a reason for the step).
pub(super) type JudgeProvider = Result<(Arc<dyn LlmProvider>, String), String>;

/// The same-meaning judge of one run: its provider is resolved once, on first use.
pub(super) struct Judge<'a> {
    stores: &'a Stores,
    deps: &'a RunnerDeps,
    project_id: &'a str,
    /// A model target's key and model.
    preferred: Option<(&'a ProviderKeyRecord, &'a str)>,
    ready: Option<JudgeProvider>,
}

impl<'a> Judge<'a> {
    pub(super) fn new(
        stores: &'a Stores,
        deps: &'a RunnerDeps,
        project_id: &'a str,
        preferred: Option<(&'a ProviderKeyRecord, &'a str)>,
    ) -> Self {
        Judge { stores, deps, project_id, preferred, ready: None }
    }

    /// `Err` for store errors only.
    pub(super) async fn provider(&mut self) -> Result<JudgeProvider, String> {
        if let Some(ready) = &self.ready {
            return Ok(ready.clone());
        }
        let (key, model) = match self.preferred {
            Some((k, m)) => (Some(k.clone()), m.to_owned()),
            None => match pick_key(self.stores, self.project_id, None).await? {
                Some(k) => {
                    let m = k.default_model.clone();
                    (Some(k), m)
                }
                None => (None, String::new()),
            },
        };
        let ready = match key {
            None => Err("the project has no provider key to ask the judge with; add one under Settings → LLM providers".to_owned()),
            Some(key) => match provider_config(&self.deps.cipher, &key) {
                Err(e) => Err(e.to_string()),
                Ok(config) => {
                    let prices = prices(self.stores, self.deps).await;
                    // The judge's calls are recorded in a trace of their own.
                    let span = CallContext { provider_key_id: Some(key.id.clone()), ..CallContext::new(self.project_id, JUDGE_ORIGIN) };
                    let observer = Arc::new(SpanObserver::new(span, prices, self.deps.sink.clone()));
                    llm::build_provider(&with_timeout(config, self.deps.config.model_timeout), observer)
                        .map(|p| (p, model))
                        .map_err(|e| e.to_string())
                }
            },
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
