//! The evaluation core of test runs (issue 7), free of IO: given what a step expects and what an
//! AI call did, decide pass/fail with reasons a person can read.
//!
//! - [`validate_expectation`]: save-time checks (bad regex, bad schema, sizes).
//! - [`match_spans_to_steps`]: pairs a run's observed LLM spans with the case's steps.
//! - [`judge_request`] / [`judge_verdict`]: the same-meaning judge, around the caller's LLM call.
//! - [`evaluate`]: one verdict per step (output match + tool calls + latency/tokens/cost).
//! - [`prompt_fingerprint`]: tells two runs' prompts apart.
//! - [`TraceParent`]: the W3C header HTTP-target runs send.
//!
//! User-supplied regexes and schemas are size-bounded and matched with the linear-time `regex`
//! engine, so no input can hang the worker.

mod evaluate;
mod fingerprint;
mod judge;
mod matchers;
mod spans;
mod traceparent;
mod types;
mod validate;

pub use evaluate::{evaluate, is_subset};
pub use fingerprint::prompt_fingerprint;
pub use judge::{judge_request, judge_unavailable, judge_verdict, JudgePrompt, MAX_JUDGE_FIELD_CHARS, MAX_JUDGE_REPLY_BYTES};
pub use matchers::{
    compile_regex, compile_schema, match_contains, match_exact, match_json_schema, match_regex, MAX_HAYSTACK_BYTES, MAX_PATTERN_BYTES,
    MAX_SCHEMA_BYTES,
};
pub use spans::{match_spans_to_steps, same_model};
pub use traceparent::{TraceParent, TraceParentError};
pub use types::{ExpectedToolCall, MatchType, Observation, ObservedToolCall, StepExpectation, StepVerdict};
pub use validate::{validate_expectation, MAX_STEP_TEXT_BYTES, MAX_TOOL_ARGUMENTS_BYTES, MAX_TOOL_CALLS, MAX_VALIDATION_PROMPT_BYTES};

/// The reason to report for a step that [`match_spans_to_steps`] left without a call.
pub const NO_CALL_OBSERVED: &str = "no AI call was observed for this step";
