//! Reading the test-case and suite forms: name/value pairs, because a case has a variable
//! number of steps, each a group of fields `s{i}_input`, `s{i}_expected`, `s{i}_match`, … (see
//! crates/app/src/pages/tests/fields.rs), `steps` saying how many groups were sent. Pure: no
//! HTTP, no store; the handlers in `testcases.rs` call the services with what this returns.

use domain::{
    test_steps::{ExpectedToolCall, MatchType, StepExpectation},
    testcases::{HttpTarget, ModelTarget, Target},
};
use services::{suites::SuiteInput, testcases::CaseInput};

/// Most step groups a form may send (the service allows 50 steps; one more is the blank "add").
const MAX_STEP_GROUPS: usize = 51;

/// A posted form as name/value pairs, in order (checkboxes may repeat a name).
pub(super) struct Fields(pub(super) Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// An optional number; `what` names it in the error.
    pub(super) fn num<T: std::str::FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, String> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| format!("{what} “{v}” is not a valid number")),
        }
    }
}

/// `Name: value` lines; blank lines are skipped.
pub(super) fn header_lines(text: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("each line of the {what} is “Name: value”; “{}” is not", l.chars().take(40).collect::<String>())),
        })
        .collect()
}

pub(super) fn target_of(f: &Fields) -> Result<Target, String> {
    if f.get("target_kind") == "model" {
        return Ok(Target::Model(ModelTarget {
            provider_key_id: f.opt("provider_key_id"),
            model: f.get("model").trim().to_owned(),
            system_prompt: f.get("system_prompt").replace("\r\n", "\n"),
            temperature: f.num("temperature", "the temperature")?,
            max_tokens: f.num("max_tokens", "the max tokens")?,
        }));
    }
    Ok(Target::Http(HttpTarget {
        url: f.get("url").trim().to_owned(),
        method: f.opt("method").unwrap_or_else(|| "POST".into()),
        headers: header_lines(f.get("headers"), "headers")?,
        // Kept as they are unless new secret headers are sent (the service replaces them then).
        secret_header_names: f.get("secret_header_names").split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect(),
        body: f.get("body").replace("\r\n", "\n"),
        timeout_ms: f.num("timeout_ms", "the timeout")?.unwrap_or(30_000),
    }))
}

pub(super) fn step_of(f: &Fields, i: usize) -> Result<Option<StepExpectation>, String> {
    let n = |name: &str| format!("s{i}_{name}");
    let (input, expected) = (f.get(&n("input")).replace("\r\n", "\n"), f.get(&n("expected")).replace("\r\n", "\n"));
    if f.get(&n("remove")) == "1" || (input.trim().is_empty() && expected.trim().is_empty()) {
        return Ok(None);
    }
    let step = i + 1;
    let match_type = match f.get(&n("match")) {
        "exact" => MatchType::Exact,
        "" | "contains" => MatchType::Contains,
        "regex" => MatchType::Regex { pattern: f.get(&n("pattern")).trim().to_owned() },
        "json_schema" => {
            let text = f.get(&n("schema"));
            let schema = serde_json::from_str(text).map_err(|e| format!("step {step}: the JSON schema is not valid JSON ({e})"))?;
            MatchType::JsonSchema { schema }
        }
        "same_meaning" => MatchType::SameMeaning {
            validation_prompt: f.get(&n("prompt")).trim().replace("\r\n", "\n"),
            threshold: f.num(&n("threshold"), &format!("step {step}: the threshold"))?.unwrap_or(0.7),
        },
        other => return Err(format!("step {step}: “{other}” is not a match type")),
    };
    let tool_calls: Vec<ExpectedToolCall> = match f.opt(&n("tools")) {
        None => Vec::new(),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| format!("step {step}: the expected tool calls are not a JSON list of {{\"name\", \"arguments\"}} ({e})"))?,
    };
    Ok(Some(StepExpectation {
        model: f.opt(&n("model")),
        input,
        expected_output: expected,
        match_type,
        tool_calls,
        max_latency_ms: f.num(&n("max_latency_ms"), &format!("step {step}: the max latency"))?,
        max_tokens: f.num(&n("max_tokens"), &format!("step {step}: the max tokens"))?,
        max_cost_usd: f.num(&n("max_cost"), &format!("step {step}: the max cost"))?,
    }))
}

/// The case a create or edit form describes. Whether the values are acceptable is the
/// service's business; this only reads them.
pub(super) fn case_input(f: &Fields) -> Result<CaseInput, String> {
    let groups: usize = f.num("steps", "the number of steps")?.unwrap_or(1);
    if groups > MAX_STEP_GROUPS {
        return Err(format!("a test case has at most {} steps", MAX_STEP_GROUPS - 1));
    }
    let mut steps = Vec::new();
    for i in 0..groups {
        if let Some(s) = step_of(f, i)? {
            steps.push(s);
        }
    }
    let target = target_of(f)?;
    let secrets = header_lines(f.get("secret_headers"), "secret headers")?;
    let secret_headers = if matches!(target, Target::Model(_)) {
        // A model target has no headers: drop any stored ones.
        Some(Vec::new())
    } else if !secrets.is_empty() {
        Some(secrets)
    } else if f.get("clear_secrets") == "1" {
        Some(Vec::new())
    } else {
        None
    };
    Ok(CaseInput {
        name: f.get("name").to_owned(),
        feature: f.get("feature").to_owned(),
        source_trace_id: None,
        target,
        steps,
        tags: f.get("tags").split(',').map(str::to_owned).collect(),
        secret_headers,
    })
}

pub(super) fn suite_input(pairs: Vec<(String, String)>) -> SuiteInput {
    let f = Fields(pairs);
    SuiteInput { name: f.get("name").to_owned(), description: f.get("description").to_owned(), case_ids: f.all("case_ids") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn a_create_form_becomes_a_case() {
        let f = fields(&[
            ("name", "Refunds"),
            ("tags", "smoke, billing"),
            ("target_kind", "http"),
            ("url", "http://127.0.0.1:4100/chat"),
            ("method", "POST"),
            ("headers", "content-type: application/json\r\n\r\n"),
            ("secret_headers", "authorization: Bearer s3cret"),
            ("timeout_ms", "5000"),
            ("steps", "2"),
            ("s0_input", "How long?"),
            ("s0_expected", "5 days"),
            ("s0_match", "same_meaning"),
            ("s0_prompt", "mention the window"),
            ("s0_threshold", "0.8"),
            ("s1_input", ""),
            ("s1_expected", ""),
        ]);
        let c = case_input(&f).unwrap();
        assert_eq!(c.steps.len(), 1, "the blank step group is skipped");
        assert_eq!(c.steps[0].match_type, MatchType::SameMeaning { validation_prompt: "mention the window".into(), threshold: 0.8 });
        let Target::Http(h) = &c.target else { panic!("http target") };
        assert_eq!((h.timeout_ms, h.headers.len()), (5000, 1));
        assert_eq!(c.secret_headers, Some(vec![("authorization".into(), "Bearer s3cret".into())]));
        assert_eq!(c.tags, ["smoke", " billing"]);
    }

    #[test]
    fn secrets_are_kept_unless_replaced_or_cleared() {
        let base = [("name", "x"), ("target_kind", "http"), ("url", "http://a/"), ("s0_input", "i"), ("s0_expected", "o")];
        assert_eq!(case_input(&fields(&base)).unwrap().secret_headers, None);
        let mut cleared = base.to_vec();
        cleared.push(("clear_secrets", "1"));
        assert_eq!(case_input(&fields(&cleared)).unwrap().secret_headers, Some(vec![]));
        let mut model = base.to_vec();
        model[1] = ("target_kind", "model");
        model.push(("model", "gpt-4o-mini"));
        model.push(("temperature", "0.3"));
        let c = case_input(&fields(&model)).unwrap();
        assert_eq!(c.secret_headers, Some(vec![]));
        assert!(matches!(c.target, Target::Model(ModelTarget { temperature: Some(t), .. }) if t == 0.3));
    }

    #[test]
    fn bad_values_are_refused_with_the_step_number() {
        let f = fields(&[
            ("s0_input", "i"),
            ("s0_expected", "o"),
            ("s1_input", "i"),
            ("s1_match", "json_schema"),
            ("s1_schema", "{"),
            ("steps", "2"),
        ]);
        assert!(case_input(&f).unwrap_err().starts_with("step 2: the JSON schema"));
        let f = fields(&[("s0_input", "i"), ("s0_match", "fuzzy")]);
        assert!(case_input(&f).unwrap_err().contains("“fuzzy” is not a match type"));
        let f = fields(&[("s0_input", "i"), ("s0_max_tokens", "lots")]);
        assert!(case_input(&f).unwrap_err().contains("“lots” is not a valid number"));
        let f = fields(&[("headers", "no colon here"), ("s0_input", "i")]);
        assert!(case_input(&f).unwrap_err().contains("Name: value"));
        let f = fields(&[("steps", "9999")]);
        assert!(case_input(&f).is_err());
        let f =
            fields(&[("steps", "2"), ("s0_input", "i"), ("s0_remove", "1"), ("s1_input", "j"), ("s1_tools", "[{\"name\":\"lookup\"}]")]);
        let c = case_input(&f).unwrap();
        assert_eq!((c.steps.len(), c.steps[0].input.as_str(), c.steps[0].tool_calls[0].name.as_str()), (1, "j", "lookup"));
    }
}
