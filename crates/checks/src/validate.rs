//! Save-time checks of a step, so a bad regex or schema is reported on the form where it was typed
//! instead of surfacing as a failed run later.

use crate::matchers::{compile_regex, compile_schema, human_bytes};
use crate::types::{MatchType, StepExpectation};

/// Largest input or expected output a step may hold.
pub const MAX_STEP_TEXT_BYTES: usize = 1024 * 1024;
/// Largest validation prompt for the judge.
pub const MAX_VALIDATION_PROMPT_BYTES: usize = 16 * 1024;
/// Most expected tool calls per step.
pub const MAX_TOOL_CALLS: usize = 50;
/// Largest expected arguments object (serialised) per tool call.
pub const MAX_TOOL_ARGUMENTS_BYTES: usize = 16 * 1024;
const MAX_MODEL_CHARS: usize = 200;

/// Checks that a step can be evaluated: sizes within limits, regex and schema compile, threshold
/// in 0–1, limits sensible. Returns the first problem, phrased for the person editing the step.
pub fn validate_expectation(step: &StepExpectation) -> Result<(), String> {
    if let Some(model) = &step.model {
        if model.trim().is_empty() {
            return Err("the model name is empty (leave it out to accept any model)".into());
        }
        if model.chars().count() > MAX_MODEL_CHARS {
            return Err(format!("the model name is longer than {MAX_MODEL_CHARS} characters"));
        }
    }
    within("input", step.input.len(), MAX_STEP_TEXT_BYTES)?;
    within("expected output", step.expected_output.len(), MAX_STEP_TEXT_BYTES)?;
    match &step.match_type {
        MatchType::Exact => {}
        MatchType::Contains => {
            if step.expected_output.is_empty() {
                return Err("the text the output must contain is empty, so the check would always pass".into());
            }
        }
        MatchType::Regex { pattern } => {
            if pattern.is_empty() {
                return Err("the regular expression is empty, so the check would always pass".into());
            }
            compile_regex(pattern)?;
        }
        MatchType::JsonSchema { schema } => {
            compile_schema(schema)?;
        }
        MatchType::SameMeaning { validation_prompt, threshold } => {
            if !(0.0..=1.0).contains(threshold) {
                return Err(format!("the pass threshold must be between 0 and 1 (it is {threshold})"));
            }
            within("validation prompt", validation_prompt.len(), MAX_VALIDATION_PROMPT_BYTES)?;
            if step.expected_output.trim().is_empty() {
                return Err("the same-meaning check needs an expected output to compare with".into());
            }
        }
    }
    if step.tool_calls.len() > MAX_TOOL_CALLS {
        return Err(format!("a step can expect at most {MAX_TOOL_CALLS} tool calls (it has {})", step.tool_calls.len()));
    }
    for (n, call) in step.tool_calls.iter().enumerate() {
        if call.name.trim().is_empty() {
            return Err(format!("expected tool call {} has no tool name", n + 1));
        }
        if let Some(arguments) = &call.arguments {
            if !arguments.is_object() {
                return Err(format!("the arguments of the expected call to “{}” must be a JSON object", call.name));
            }
            let size = serde_json::to_string(arguments).map_or(usize::MAX, |s| s.len());
            within(&format!("arguments of the expected call to “{}”", call.name), size, MAX_TOOL_ARGUMENTS_BYTES)?;
        }
    }
    if let Some(cost) = step.max_cost_usd {
        if !cost.is_finite() || cost < 0.0 {
            return Err(format!("the cost limit must be a positive amount in USD (it is {cost})"));
        }
    }
    Ok(())
}

fn within(what: &str, len: usize, max: usize) -> Result<(), String> {
    if len > max {
        return Err(format!("the {what} is {}, larger than the {} allowed", human_bytes(len), human_bytes(max)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ExpectedToolCall;
    use serde_json::json;

    fn step(match_type: MatchType) -> StepExpectation {
        StepExpectation {
            model: Some("gpt-4o".into()),
            input: "What is the refund window?".into(),
            expected_output: "30 days".into(),
            match_type,
            tool_calls: vec![ExpectedToolCall { name: "search".into(), arguments: Some(json!({"q": "refund"})) }],
            max_latency_ms: Some(2000),
            max_tokens: Some(500),
            max_cost_usd: Some(0.01),
        }
    }

    fn same_meaning(threshold: f64) -> MatchType {
        MatchType::SameMeaning { validation_prompt: "mention days".into(), threshold }
    }

    #[test]
    fn good_steps_pass() {
        for m in [
            MatchType::Exact,
            MatchType::Contains,
            MatchType::Regex { pattern: r"\d+ days".into() },
            MatchType::JsonSchema { schema: json!({"type": "object"}) },
            same_meaning(0.0),
            same_meaning(1.0),
        ] {
            assert_eq!(validate_expectation(&step(m.clone())), Ok(()), "{m:?}");
        }
    }

    #[test]
    fn match_type_problems() {
        assert_eq!(
            validate_expectation(&step(MatchType::Regex { pattern: "(".into() })),
            Err("the regular expression is not valid: unclosed group".into())
        );
        assert_eq!(
            validate_expectation(&step(MatchType::Regex { pattern: String::new() })),
            Err("the regular expression is empty, so the check would always pass".into())
        );
        let err = validate_expectation(&step(MatchType::JsonSchema { schema: json!({"type": 5}) })).unwrap_err();
        assert!(err.starts_with("the JSON schema is not valid: "), "{err}");
        assert_eq!(validate_expectation(&step(same_meaning(1.2))), Err("the pass threshold must be between 0 and 1 (it is 1.2)".into()));
        assert_eq!(
            validate_expectation(&step(same_meaning(f64::NAN))),
            Err("the pass threshold must be between 0 and 1 (it is NaN)".into())
        );
        let mut s = step(MatchType::Contains);
        s.expected_output.clear();
        assert_eq!(validate_expectation(&s), Err("the text the output must contain is empty, so the check would always pass".into()));
        s.match_type = MatchType::Exact;
        assert_eq!(validate_expectation(&s), Ok(()), "exact with an empty expected output means the output must be empty");
    }

    #[test]
    fn oversized_inputs_are_rejected() {
        let mut s = step(MatchType::Exact);
        s.expected_output = "x".repeat(MAX_STEP_TEXT_BYTES + 1);
        assert_eq!(validate_expectation(&s), Err("the expected output is 1.0 MB, larger than the 1.0 MB allowed".into()));
        let mut s = step(MatchType::SameMeaning { validation_prompt: "p".repeat(20_000), threshold: 0.5 });
        assert_eq!(validate_expectation(&s), Err("the validation prompt is 19.5 KB, larger than the 16.0 KB allowed".into()));
        s.match_type = MatchType::Regex { pattern: "a".repeat(5000) };
        assert_eq!(validate_expectation(&s), Err("the regular expression is 4.9 KB, longer than the 2.0 KB allowed".into()));
    }

    #[test]
    fn tool_call_and_limit_problems() {
        let mut s = step(MatchType::Exact);
        s.tool_calls[0].arguments = Some(json!(["q"]));
        assert_eq!(validate_expectation(&s), Err("the arguments of the expected call to “search” must be a JSON object".into()));
        s.tool_calls[0].name = " ".into();
        assert_eq!(validate_expectation(&s), Err("expected tool call 1 has no tool name".into()));
        let mut s = step(MatchType::Exact);
        s.max_cost_usd = Some(-1.0);
        assert_eq!(validate_expectation(&s), Err("the cost limit must be a positive amount in USD (it is -1)".into()));
        s.model = Some("".into());
        assert_eq!(validate_expectation(&s), Err("the model name is empty (leave it out to accept any model)".into()));
    }
}
