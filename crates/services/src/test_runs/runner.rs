//! Execution on the worker: model targets, HTTP targets, waiting for the application's spans.

use super::*;
use crate::ports::InProject;
use crate::ports::ProjectId;

pub(super) type JobResult = Result<(), String>;

/// A run's outcome before it is written.
pub(super) struct Outcome {
    steps: Vec<StepResult>,
    fingerprint: Option<String>,
    error: Option<String>,
}

impl Outcome {
    /// Every step failed for one reason (the target could not be asked).
    pub(super) fn broken(steps: &[StepExpectation], reason: String) -> Outcome {
        let steps = (0..steps.len())
            .map(|i| StepResult { index: i as u32, observed: None, verdict: StepVerdict::fail(reason.clone()), override_: None })
            .collect();
        Outcome { steps, fingerprint: None, error: Some(reason) }
    }
}

/// `test_run.execute`: run one test run to its end. User-level problems (target down, model
/// refused, judge garbage) end the run failed with a reason and the job succeeds; store errors
/// return `Err` so the job is retried, and the last attempt fails the run.
pub async fn execute(stores: &Stores, deps: &RunnerDeps, r: &RunRef, attempt: Attempt) -> JobResult {
    let store_err = |e: StoreError| e.to_string();
    let Some(mut run) = stores.primary.run(&r.project(), &r.run_id).await.map_err(store_err)? else {
        return Ok(()); // deleted with its case: nothing to do
    };
    match run.status {
        RunStatus::Pending => {
            run.status = RunStatus::Running;
            run.started_at_ms = Some(now_ms());
            match stores.primary.update_run(&run, RunStatus::Pending).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => return Ok(()), // cancelled or taken meanwhile
                Err(e) => return Err(e.to_string()),
            }
        }
        // A retried job (the worker died or was stopped): start over; the final write replaces
        // whatever the previous attempt computed.
        RunStatus::Running => run.started_at_ms = Some(now_ms()),
        _ => return Ok(()),
    }
    let _permit = deps.limiter.acquire(&run.project_id).await;
    let outcome = match stores.primary.case(&run.project(), &run.case_id).await {
        Ok(Some(case)) => run_case(stores, deps, &run, &case).await,
        Ok(None) => Ok(Outcome { steps: Vec::new(), fingerprint: None, error: Some("the test case was deleted".into()) }),
        Err(e) => Err(e.to_string()),
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(reason) if attempt.is_last() => Outcome {
            steps: Vec::new(),
            fingerprint: None,
            error: Some(format!("the run stopped after {} attempts: {reason}", attempt.number)),
        },
        Err(reason) => return Err(reason),
    };
    run.steps = outcome.steps;
    run.prompt_fingerprint = outcome.fingerprint;
    run.error = outcome.error;
    run.status = run.settled_status();
    run.finished_at_ms = Some(now_ms());
    match stores.primary.update_run(&run, RunStatus::Running).await {
        Ok(()) => {}
        // Cancelled while it ran (or finished by another attempt): its result is dropped.
        Err(StoreError::Conflict(_)) => tracing::info!(run_id = %run.id, "run changed while it executed; result dropped"),
        Err(e) => return Err(e.to_string()),
    }
    if let Some(suite_run_id) = &run.suite_run_id {
        settle_suite_run(stores, &run.project(), suite_run_id).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `Err` only for store errors (worth a retry).
pub(super) async fn run_case(stores: &Stores, deps: &RunnerDeps, run: &TestRun, case: &TestCase) -> Result<Outcome, String> {
    match &case.target {
        Target::Model(target) => run_model(deps, run, case, target).await,
        Target::Http(target) => run_http(stores, deps, run, case, target).await,
    }
}

pub(super) async fn run_model(deps: &RunnerDeps, run: &TestRun, case: &TestCase, target: &ModelTarget) -> Result<Outcome, String> {
    let params = json!({"temperature": target.temperature, "max_tokens": target.max_tokens});
    let fingerprint = Some(checks::prompt_fingerprint(&target.system_prompt, &target.model, &params));
    let key = match &target.provider_key_id {
        Some(id) => KeyChoice::Id(id),
        None => KeyChoice::ProjectDefault,
    };
    let project = run.project();
    let what = LlmUse {
        trace_id: Some(run.trace_id.clone()),
        timeout: Some(deps.config.model_timeout),
        ..LlmUse::new(&project, key, SPAN_ORIGIN)
    };
    let connection = match deps.llm.connect(what).await {
        Ok(c) => c,
        Err(ServiceError::NotFound(_)) => {
            let why = "the provider key of this test case no longer exists".to_owned();
            return Ok(Outcome { fingerprint, ..Outcome::broken(&case.steps, why) });
        }
        Err(e @ (ServiceError::Internal | ServiceError::Unavailable)) => return Err(e.to_string()),
        Err(e) => return Ok(Outcome { fingerprint, ..Outcome::broken(&case.steps, e.to_string()) }),
    };
    let prices = connection.prices.clone();
    let mut observed = Vec::with_capacity(case.steps.len());
    for step in &case.steps {
        let model = step.model.clone().filter(|m| !m.trim().is_empty()).unwrap_or_else(|| target.model.clone());
        let mut messages = Vec::with_capacity(2);
        if !target.system_prompt.trim().is_empty() {
            messages.push(Message::system(target.system_prompt.clone()));
        }
        messages.push(Message::user(step.input.clone()));
        let request = ChatRequest {
            temperature: target.temperature.map(|t| t as f32),
            max_tokens: target.max_tokens,
            ..ChatRequest::new(model, messages)
        };
        let reply = connection.provider.chat(&request).await.map_err(|e| e.to_string());
        observed.push(reply.map(|r| {
            let tokens = r.usage.map(|u| u64::from(u.input_tokens) + u64::from(u.output_tokens));
            let cost =
                llm_calls::cost_micros(&prices, &r.model, r.usage).or_else(|| llm_calls::cost_micros(&prices, &request.model, r.usage));
            Observation {
                model: Some(r.model),
                input: step.input.clone(),
                output: r.content,
                tool_calls: r
                    .tool_calls
                    .into_iter()
                    .map(|t| ObservedToolCall { name: t.name, arguments: Value::String(t.arguments) })
                    .collect(),
                latency_ms: r.latency_ms,
                tokens,
                cost_usd: cost.map(|c| c as f64 / 1e6),
            }
        }));
    }
    let mut judge = Judge::new(deps, &project, Some((&connection.key.id, &target.model)));
    let mut steps = Vec::with_capacity(case.steps.len());
    for (i, (step, seen)) in case.steps.iter().zip(observed).enumerate() {
        let result = match seen {
            Ok(obs) => {
                let verdict = judge.verdict(step, &obs).await?;
                StepResult { index: i as u32, verdict: checks::evaluate(step, &obs, verdict), observed: Some(obs), override_: None }
            }
            Err(e) => StepResult {
                index: i as u32,
                observed: None,
                verdict: StepVerdict::fail(format!("the model call failed: {e}")),
                override_: None,
            },
        };
        steps.push(result);
    }
    Ok(Outcome { steps, fingerprint, error: None })
}

pub(super) async fn run_http(
    stores: &Stores,
    deps: &RunnerDeps,
    run: &TestRun,
    case: &TestCase,
    target: &HttpTarget,
) -> Result<Outcome, String> {
    let secrets = match crate::testcases::secret_headers(stores, &deps.cipher, case).await {
        Ok(s) => s,
        Err(ServiceError::Invalid(m)) => return Ok(Outcome::broken(&case.steps, m)),
        Err(e) => return Err(e.to_string()),
    };
    let parent =
        TraceParent::from_hex(&run.trace_id, &llm_calls::new_span_id()).map_err(|e| format!("bad trace id {}: {e}", run.trace_id))?;
    let mut headers: Vec<(String, String)> =
        target.headers.iter().chain(&secrets).filter(|(n, _)| !n.eq_ignore_ascii_case("traceparent")).cloned().collect();
    headers.push(("traceparent".into(), parent.to_header()));
    let timeout = Duration::from_millis(target.timeout_ms);
    let request = TargetRequest { method: target.method.clone(), url: target.url.clone(), headers, body: target.body.clone(), timeout };
    match deps.caller.call(request).await {
        Err(e) => return Ok(Outcome::broken(&case.steps, e.to_string())),
        Ok(resp) if !(200..300).contains(&resp.status) => {
            let body: String = resp.body.trim().chars().take(BODY_SNIPPET_CHARS).collect();
            let reason = if body.is_empty() {
                format!("the target answered HTTP {}", resp.status)
            } else {
                format!("the target answered HTTP {}: {body}", resp.status)
            };
            return Ok(Outcome::broken(&case.steps, reason));
        }
        Ok(_) => {}
    }
    let calls = wait_for_calls(stores, &deps.config, &run.project(), &run.trace_id, &case.steps).await?;
    let fingerprint = calls.first().map(|(obs, row)| {
        let params = row_params(row);
        checks::prompt_fingerprint(&system_text(row.input.as_deref().unwrap_or(&obs.input)), obs.model.as_deref().unwrap_or(""), &params)
    });
    let observed: Vec<Observation> = calls.into_iter().map(|(o, _)| o).collect();
    let matched = checks::match_spans_to_steps(&case.steps, &observed);
    let project = run.project();
    let mut judge = Judge::new(deps, &project, None);
    let mut steps = Vec::with_capacity(case.steps.len());
    for (i, (step, m)) in case.steps.iter().zip(matched).enumerate() {
        let result = match m {
            Some(j) => {
                let obs = observed[j].clone();
                let verdict = judge.verdict(step, &obs).await?;
                StepResult { index: i as u32, verdict: checks::evaluate(step, &obs, verdict), observed: Some(obs), override_: None }
            }
            None => StepResult { index: i as u32, observed: None, verdict: StepVerdict::fail(checks::NO_CALL_OBSERVED), override_: None },
        };
        steps.push(result);
    }
    let error = observed.is_empty().then(|| {
        format!(
            "no AI call of this run's trace arrived within {}: is the application instrumented with OpenTelemetry, \
             continuing the traceparent header and exporting to ElasticDash?",
            secs(deps.config.span_wait)
        )
    });
    Ok(Outcome { steps, fingerprint, error })
}

/// Poll the run's trace until its LLM calls cover every step, or their number stopped changing
/// for `span_settle`, or `span_wait` is over. Returns the calls in start order.
pub(super) async fn wait_for_calls(
    stores: &Stores,
    config: &RunnerConfig,
    project_id: &ProjectId,
    trace_id: &str,
    steps: &[StepExpectation],
) -> Result<Vec<(Observation, SpanRow)>, String> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(10);
    let mut last_count = 0;
    let mut stable_since = Instant::now();
    loop {
        let rows = stores.analytics.trace_spans(project_id, trace_id).await.map_err(|e| e.to_string())?;
        let calls = llm_calls_of(rows);
        let observed: Vec<Observation> = calls.iter().map(|(o, _)| o.clone()).collect();
        if !calls.is_empty() && checks::match_spans_to_steps(steps, &observed).iter().all(Option::is_some) {
            return Ok(calls);
        }
        if calls.len() != last_count {
            last_count = calls.len();
            stable_since = Instant::now();
        } else if !calls.is_empty() && stable_since.elapsed() >= config.span_settle {
            return Ok(calls);
        }
        if started.elapsed() >= config.span_wait {
            return Ok(calls);
        }
        tokio::time::sleep(pause.min(config.span_wait.saturating_sub(started.elapsed()))).await;
        pause = (pause * 2).min(config.span_poll);
    }
}
