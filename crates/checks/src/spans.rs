//! Pairs a case's steps with the LLM spans a run observed.
//!
//! Apps make the same calls in the same order from run to run, but may add calls the case does not
//! describe (a moderation check, a retry). Matching therefore walks both lists forward: a step with
//! a model takes the next call to that model, skipping unrelated ones; otherwise it takes the next
//! call. Nothing is ever matched backwards, so one span never serves two steps.

use crate::types::{Observation, StepExpectation};

/// For each step, the index in `observed` (LLM spans in start order) of the call it is checked
/// against, or `None` when no call was left for it (the caller reports "no AI call was observed
/// for this step").
pub fn match_spans_to_steps(steps: &[StepExpectation], observed: &[Observation]) -> Vec<Option<usize>> {
    let mut next = 0;
    steps
        .iter()
        .map(|step| {
            let by_model = step
                .model
                .as_deref()
                .and_then(|want| (next..observed.len()).find(|&i| observed[i].model.as_deref().is_some_and(|m| same_model(want, m))));
            let index = by_model.or((next < observed.len()).then_some(next))?;
            next = index + 1;
            Some(index)
        })
        .collect()
}

/// Vendors report dated snapshots ("gpt-4o-2024-08-06") for the alias a case names ("gpt-4o"), and
/// some prefix a provider ("openai/gpt-4o"); all of these are the step's model. Case-insensitive.
pub fn same_model(expected: &str, observed: &str) -> bool {
    let (e, o) = (expected.trim().to_ascii_lowercase(), observed.trim().to_ascii_lowercase());
    let o = o.rsplit_once('/').map_or(o.as_str(), |(_, name)| name);
    let e = e.rsplit_once('/').map_or(e.as_str(), |(_, name)| name);
    // Only a version suffix counts: "gpt-4o-mini" is another model than "gpt-4o".
    let is_version = |rest: &str| {
        let rest = rest.strip_prefix('-').or_else(|| rest.strip_prefix('@'));
        rest.is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()) || v == "latest")
    };
    o == e || o.strip_prefix(e).is_some_and(is_version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::MatchType;

    fn step(model: Option<&str>) -> StepExpectation {
        StepExpectation {
            model: model.map(String::from),
            input: String::new(),
            expected_output: String::new(),
            match_type: MatchType::Exact,
            tool_calls: vec![],
            max_latency_ms: None,
            max_tokens: None,
            max_cost_usd: None,
        }
    }

    fn call(model: Option<&str>) -> Observation {
        Observation {
            model: model.map(String::from),
            input: String::new(),
            output: String::new(),
            tool_calls: vec![],
            latency_ms: 0,
            tokens: None,
            cost_usd: None,
        }
    }

    #[test]
    fn steps_without_models_take_calls_in_order() {
        let got = match_spans_to_steps(&[step(None), step(None), step(None)], &[call(Some("a")), call(None)]);
        assert_eq!(got, vec![Some(0), Some(1), None]);
    }

    #[test]
    fn model_steps_skip_unrelated_calls() {
        let steps = [step(Some("gpt-4o")), step(None), step(Some("claude-sonnet-4"))];
        let calls = [
            call(Some("omni-moderation")),
            call(Some("gpt-4o-2024-08-06")),
            call(Some("x")),
            call(Some("y")),
            call(Some("claude-sonnet-4")),
        ];
        assert_eq!(match_spans_to_steps(&steps, &calls), vec![Some(1), Some(2), Some(4)]);
    }

    #[test]
    fn missing_model_falls_back_to_the_next_call() {
        let steps = [step(Some("gpt-4o")), step(Some("gpt-4o"))];
        let calls = [call(Some("gpt-4o")), call(Some("claude"))];
        assert_eq!(match_spans_to_steps(&steps, &calls), vec![Some(0), Some(1)]);
    }

    #[test]
    fn never_matches_backwards_or_twice() {
        // The second step's model only appears before the first step's call.
        let steps = [step(Some("b")), step(Some("a"))];
        let calls = [call(Some("a")), call(Some("b"))];
        assert_eq!(match_spans_to_steps(&steps, &calls), vec![Some(1), None]);
        assert_eq!(match_spans_to_steps(&steps, &[]), vec![None, None]);
        assert_eq!(match_spans_to_steps(&[], &calls), Vec::<Option<usize>>::new());
    }

    #[test]
    fn model_names() {
        assert!(same_model("gpt-4o", "GPT-4o"));
        assert!(same_model("gpt-4o", "gpt-4o-2024-08-06"));
        assert!(same_model("gpt-4o", "openai/gpt-4o"));
        assert!(same_model("claude-3-5-sonnet", "claude-3-5-sonnet@20240620"));
        assert!(!same_model("gpt-4o", "gpt-4o2"));
        assert!(same_model("claude-3-5-sonnet", "claude-3-5-sonnet-latest"));
        assert!(!same_model("gpt-4o-mini", "gpt-4o"));
        assert!(!same_model("gpt-4o", "gpt-4o-mini"));
    }
}
