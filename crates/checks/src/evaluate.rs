//! Combines the output match with the tool-call and budget checks into one verdict per step.

use serde_json::Value;

use crate::matchers::{cut, match_contains, match_exact, match_json_schema, match_regex};
use crate::types::{ExpectedToolCall, MatchType, Observation, ObservedToolCall, StepExpectation, StepVerdict};

/// Checks one observed AI call against its step.
///
/// `judge` is the verdict from [`crate::judge_verdict`] (or [`crate::judge_unavailable`]) for
/// same-meaning steps; it is ignored for the other match types. The score is the output match's
/// (1/0 for deterministic matchers, the judge's score otherwise); the step passes only when every
/// check passes, and `reasons` lists each failed check.
pub fn evaluate(expectation: &StepExpectation, observation: &Observation, judge: Option<StepVerdict>) -> StepVerdict {
    let mut verdict = match_output(expectation, observation, judge);
    let mut problems = check_tool_calls(&expectation.tool_calls, &observation.tool_calls);
    problems.extend(check_budgets(expectation, observation));
    if !problems.is_empty() {
        verdict.passed = false;
        verdict.reasons.extend(problems);
    }
    verdict
}

fn match_output(expectation: &StepExpectation, observation: &Observation, judge: Option<StepVerdict>) -> StepVerdict {
    let (expected, output) = (expectation.expected_output.as_str(), observation.output.as_str());
    let outcome = match &expectation.match_type {
        MatchType::Exact => match_exact(expected, output),
        MatchType::Contains => match_contains(expected, output),
        MatchType::Regex { pattern } => match_regex(pattern, output),
        MatchType::JsonSchema { schema } => match_json_schema(schema, output),
        MatchType::SameMeaning { threshold, .. } => return same_meaning(judge, *threshold),
    };
    match outcome {
        Ok(()) => StepVerdict::pass(1.0),
        Err(reason) => StepVerdict::fail(reason),
    }
}

fn same_meaning(judge: Option<StepVerdict>, threshold: f64) -> StepVerdict {
    let Some(mut verdict) = judge else {
        return StepVerdict::fail("the same-meaning check needs the judge's answer, and there was none");
    };
    // Guards against a judge verdict read with a different threshold than the step's.
    if verdict.passed && (verdict.score.is_nan() || verdict.score < threshold) {
        verdict.passed = false;
        verdict.reasons.push(format!("the judge's score {} is below the pass threshold {threshold}", verdict.score));
    }
    verdict
}

/// Each expected call must appear, in the given order, among the observed calls (other calls may
/// come between). A failure explains whether the tool was not called, called with other
/// arguments, or called out of order.
fn check_tool_calls(expected: &[ExpectedToolCall], observed: &[ObservedToolCall]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut next = 0;
    for want in expected {
        if let Some(found) = (next..observed.len()).find(|&i| call_matches(want, &observed[i])) {
            next = found + 1;
            continue;
        }
        let called = |i: &usize| observed[*i].name == want.name;
        let earlier_match = (0..next).any(|i| call_matches(want, &observed[i]));
        let later_same_name = (next..observed.len()).find(called);
        problems.push(if earlier_match {
            format!("expected a call to the tool “{}” later, after the calls before it in the list, but it was called earlier", want.name)
        } else if let Some(i) = later_same_name.or_else(|| (0..next).find(called)) {
            format!(
                "expected a call to the tool “{}” with arguments containing {}, but it was called with {}",
                want.name,
                cut(&want.arguments.clone().unwrap_or(Value::Null).to_string(), 200),
                cut(&decoded_arguments(&observed[i].arguments).to_string(), 200)
            )
        } else if observed.is_empty() {
            format!("expected a call to the tool “{}”, but no tool was called", want.name)
        } else {
            let names: Vec<&str> = observed.iter().map(|c| c.name.as_str()).collect();
            format!("expected a call to the tool “{}”, but it was not called (tools called: {})", want.name, names.join(", "))
        });
    }
    problems
}

fn call_matches(want: &ExpectedToolCall, seen: &ObservedToolCall) -> bool {
    want.name == seen.name && want.arguments.as_ref().is_none_or(|args| is_subset(args, &decoded_arguments(&seen.arguments)))
}

/// Vendors record tool arguments as a JSON-encoded string (`"{\"city\":\"Paris\"}"`): decode it so
/// the subset match sees the object.
fn decoded_arguments(arguments: &Value) -> Value {
    match arguments {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| arguments.clone()),
        other => other.clone(),
    }
}

/// `expected` is contained in `actual`: every key of an expected object is present with a
/// matching value (extra keys are fine); arrays match element by element with the same length;
/// numbers compare by value (1 equals 1.0); everything else must be equal.
pub fn is_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|av| is_subset(v, av))),
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(ev, av)| is_subset(ev, av)),
        (Value::Number(e), Value::Number(a)) => e == a || e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

/// Latency, token and cost limits. A limit whose value was not recorded fails: a budget that
/// cannot be checked must not pass silently.
fn check_budgets(expectation: &StepExpectation, observation: &Observation) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(max) = expectation.max_latency_ms {
        if observation.latency_ms > max {
            problems.push(format!("the call took {} ms, more than the {max} ms allowed", observation.latency_ms));
        }
    }
    if let Some(max) = expectation.max_tokens {
        match observation.tokens {
            Some(tokens) if tokens > max => problems.push(format!("the call used {tokens} tokens, more than the {max} allowed")),
            Some(_) => {}
            None => problems.push(format!("the call did not record its token count, so the limit of {max} tokens could not be checked")),
        }
    }
    if let Some(max) = expectation.max_cost_usd {
        match observation.cost_usd {
            Some(cost) if cost.is_nan() || cost > max => {
                problems.push(format!("the call cost ${cost:.4}, more than the ${max:.4} allowed"))
            }
            Some(_) => {}
            None => problems.push(format!("the call did not record its cost, so the limit of ${max:.4} could not be checked")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(match_type: MatchType, expected: &str) -> StepExpectation {
        StepExpectation {
            model: None,
            input: "in".into(),
            expected_output: expected.into(),
            match_type,
            tool_calls: vec![],
            max_latency_ms: None,
            max_tokens: None,
            max_cost_usd: None,
        }
    }

    fn seen(output: &str) -> Observation {
        Observation {
            model: Some("gpt-4o".into()),
            input: "in".into(),
            output: output.into(),
            tool_calls: vec![],
            latency_ms: 500,
            tokens: Some(100),
            cost_usd: Some(0.002),
        }
    }

    fn tool(name: &str, arguments: Value) -> ObservedToolCall {
        ObservedToolCall { name: name.into(), arguments }
    }

    fn want(name: &str, arguments: Option<Value>) -> ExpectedToolCall {
        ExpectedToolCall { name: name.into(), arguments }
    }

    #[test]
    fn deterministic_matchers_score_one_or_zero() {
        assert_eq!(evaluate(&step(MatchType::Contains, "refund"), &seen("a refund"), None), StepVerdict::pass(1.0));
        let v = evaluate(&step(MatchType::Exact, "a"), &seen("b"), None);
        assert_eq!((v.passed, v.score, v.reasons.len()), (false, 0.0, 1));
        let v = evaluate(&step(MatchType::Regex { pattern: "^ok$".into() }, ""), &seen("ok"), None);
        assert!(v.passed);
        let v = evaluate(&step(MatchType::JsonSchema { schema: json!({"type": "array"}) }, ""), &seen("{}"), None);
        assert_eq!(v.reasons, vec!["the output does not match the JSON schema: at the top level: {} is not of type \"array\"".to_string()]);
    }

    #[test]
    fn same_meaning_uses_the_judge() {
        let s = step(MatchType::SameMeaning { validation_prompt: String::new(), threshold: 0.7 }, "x");
        let judged = crate::judge_verdict(r#"{"score": 0.85, "explanation": "close"}"#, 0.7);
        let v = evaluate(&s, &seen("y"), Some(judged));
        assert_eq!((v.passed, v.score, v.judge_explanation.as_deref()), (true, 0.85, Some("close")));

        let v = evaluate(&s, &seen("y"), None);
        assert_eq!((v.passed, v.reasons[0].as_str()), (false, "the same-meaning check needs the judge's answer, and there was none"));

        // Read with a laxer threshold than the step's: the step's threshold wins.
        let lax = crate::judge_verdict(r#"{"score": 0.6}"#, 0.5);
        let v = evaluate(&s, &seen("y"), Some(lax));
        assert_eq!((v.passed, v.score, v.reasons[0].as_str()), (false, 0.6, "the judge's score 0.6 is below the pass threshold 0.7"));
    }

    #[test]
    fn tool_calls_in_order_with_subset_arguments() {
        let mut s = step(MatchType::Contains, "");
        s.tool_calls = vec![want("search", Some(json!({"q": "refund"}))), want("answer", None)];
        let mut o = seen("");
        o.tool_calls = vec![
            tool("log", json!({})),
            tool("search", Value::String(r#"{"q":"refund","limit":5}"#.into())),
            tool("answer", json!({"text": "..."})),
        ];
        assert_eq!(evaluate(&s, &o, None), StepVerdict::pass(1.0));

        o.tool_calls.swap(1, 2);
        let v = evaluate(&s, &o, None);
        assert!(!v.passed);
        assert_eq!(
            v.reasons,
            vec!["expected a call to the tool “answer” later, after the calls before it in the list, but it was called earlier".to_string()]
        );
    }

    #[test]
    fn tool_call_failures_explain_themselves() {
        let mut s = step(MatchType::Contains, "");
        s.tool_calls = vec![want("search", Some(json!({"q": "refund"})))];
        let mut o = seen("");
        assert_eq!(evaluate(&s, &o, None).reasons, vec!["expected a call to the tool “search”, but no tool was called".to_string()]);

        o.tool_calls = vec![tool("lookup", json!({}))];
        assert_eq!(
            evaluate(&s, &o, None).reasons,
            vec!["expected a call to the tool “search”, but it was not called (tools called: lookup)".to_string()]
        );

        o.tool_calls = vec![tool("search", json!({"q": "returns"}))];
        assert_eq!(
            evaluate(&s, &o, None).reasons,
            vec![
                r#"expected a call to the tool “search” with arguments containing {"q":"refund"}, but it was called with {"q":"returns"}"#
                    .to_string()
            ]
        );
    }

    #[test]
    fn subset_rules() {
        assert!(is_subset(&json!({"a": {"b": 1}}), &json!({"a": {"b": 1.0, "c": 2}, "d": 3})));
        assert!(!is_subset(&json!({"a": 1}), &json!({"b": 1})));
        assert!(is_subset(&json!([1, {"x": 1}]), &json!([1, {"x": 1, "y": 2}])));
        assert!(!is_subset(&json!([1]), &json!([1, 2])));
        assert!(!is_subset(&json!("1"), &json!(1)));
        assert!(is_subset(&json!({}), &json!({"anything": true})));
    }

    #[test]
    fn budgets_are_checked_and_unknown_values_fail() {
        let mut s = step(MatchType::Contains, "ok");
        s.max_latency_ms = Some(400);
        s.max_tokens = Some(50);
        s.max_cost_usd = Some(0.001);
        let v = evaluate(&s, &seen("ok"), None);
        assert_eq!((v.passed, v.score), (false, 1.0), "the output matched; the budgets did not");
        assert_eq!(
            v.reasons,
            vec![
                "the call took 500 ms, more than the 400 ms allowed".to_string(),
                "the call used 100 tokens, more than the 50 allowed".to_string(),
                "the call cost $0.0020, more than the $0.0010 allowed".to_string(),
            ]
        );

        let mut o = seen("ok");
        o.tokens = None;
        o.cost_usd = None;
        o.latency_ms = 400;
        let v = evaluate(&s, &o, None);
        assert_eq!(
            v.reasons,
            vec![
                "the call did not record its token count, so the limit of 50 tokens could not be checked".to_string(),
                "the call did not record its cost, so the limit of $0.0010 could not be checked".to_string(),
            ]
        );

        s.max_latency_ms = Some(500);
        s.max_tokens = Some(100);
        s.max_cost_usd = Some(0.002);
        assert_eq!(evaluate(&s, &seen("ok"), None), StepVerdict::pass(1.0));
    }

    #[test]
    fn output_and_other_failures_are_all_reported() {
        let mut s = step(MatchType::Contains, "refund");
        s.max_latency_ms = Some(100);
        let v = evaluate(&s, &seen("no"), None);
        assert_eq!(v.reasons.len(), 2, "{:?}", v.reasons);
        assert!(v.reasons[0].contains("“refund”") && v.reasons[1].contains("500 ms"));
    }
}
