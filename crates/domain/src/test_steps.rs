//! What a test step expects, what was observed, and the verdict (issue 7). Plain serde types:
//! stored as JSON by the services layer, rendered by the app, computed by the `checks` crate.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How the observed output is compared with the expected one.
///
/// Serialised with a `kind` tag (`"exact"`, `"contains"`, `"regex"`, `"json_schema"`,
/// `"same_meaning"`) so stored steps stay readable and new kinds can be added later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MatchType {
    /// The output equals the expected output, ignoring leading and trailing whitespace.
    Exact,
    /// The expected output appears somewhere in the output.
    Contains,
    /// The output matches this regular expression (Rust `regex` syntax, linear-time).
    Regex { pattern: String },
    /// The output is JSON that validates against this schema (no remote `$ref`s).
    JsonSchema { schema: Value },
    /// An LLM judge scores how close the output's meaning is to the expected output (0–1);
    /// the step passes when the score reaches `threshold`.
    SameMeaning {
        /// Extra instructions for the judge ("the answer must mention the refund window").
        validation_prompt: String,
        threshold: f64,
    },
}

/// A tool call the step expects the model to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedToolCall {
    pub name: String,
    /// Arguments that must be present (subset match: extra observed keys are fine), or `None`
    /// to accept any arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
}

/// One expected AI call of a test case, as the user saved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepExpectation {
    /// When set, span matching prefers a call to this model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub input: String,
    pub expected_output: String,
    pub match_type: MatchType,
    /// Expected tool calls, in the order they must happen.
    #[serde(default)]
    pub tool_calls: Vec<ExpectedToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_usd: Option<f64>,
}

/// A tool call seen in an observed AI call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedToolCall {
    pub name: String,
    /// The arguments as recorded. Vendors often send them as a JSON-encoded string; the subset
    /// match decodes such a string before comparing.
    #[serde(default)]
    pub arguments: Value,
}

/// One AI call as observed during a run (from an ingested LLM span or a direct model call).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The model the span reported, when it reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub input: String,
    pub output: String,
    #[serde(default)]
    pub tool_calls: Vec<ObservedToolCall>,
    pub latency_ms: u64,
    /// Total tokens, when the span recorded usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

/// The result of checking one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepVerdict {
    pub passed: bool,
    /// 0–1: 1/0 for deterministic matchers, the judge's score for same-meaning steps.
    pub score: f64,
    /// Why the step failed, in words a person understands; empty when it passed.
    pub reasons: Vec<String>,
    /// The judge's own explanation, for same-meaning steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_explanation: Option<String>,
}

impl StepVerdict {
    /// A passing verdict with the given score.
    pub fn pass(score: f64) -> Self {
        StepVerdict { passed: true, score, reasons: Vec::new(), judge_explanation: None }
    }

    /// A failing verdict with score 0 and one reason.
    pub fn fail(reason: impl Into<String>) -> Self {
        StepVerdict { passed: false, score: 0.0, reasons: vec![reason.into()], judge_explanation: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn match_type_is_tagged_by_kind() {
        let m = MatchType::SameMeaning { validation_prompt: "p".into(), threshold: 0.7 };
        assert_eq!(serde_json::to_value(&m).unwrap(), json!({"kind": "same_meaning", "validation_prompt": "p", "threshold": 0.7}));
        let back: MatchType = serde_json::from_value(json!({"kind": "regex", "pattern": "^a"})).unwrap();
        assert_eq!(back, MatchType::Regex { pattern: "^a".into() });
    }

    #[test]
    fn step_optional_fields_default() {
        let s: StepExpectation =
            serde_json::from_value(json!({"input": "i", "expected_output": "o", "match_type": {"kind": "exact"}})).unwrap();
        assert_eq!((s.model, s.tool_calls.len(), s.max_latency_ms, s.max_cost_usd), (None, 0, None, None));
    }
}
