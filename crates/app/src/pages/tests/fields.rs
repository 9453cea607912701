//! The fields of a test case's forms (create and edit). Names are read by
//! src/http/forms/testcases.rs: the target's (`target_kind`, `url`, …) and one group per step
//! (`s{i}_input`, `s{i}_match`, …) with `steps` saying how many groups there are.

use domain::{
    playground::KeyChoice,
    test_steps::{MatchType, StepExpectation},
    testcases::{HttpTarget, ModelTarget, Target, TestCase},
};
use leptos::prelude::*;

const MATCHES: [(&str, &str); 5] = [
    ("exact", "Exact"),
    ("contains", "Contains"),
    ("regex", "Regular expression"),
    ("json_schema", "JSON schema"),
    ("same_meaning", "Same meaning (LLM judge)"),
];

fn match_kind(m: &MatchType) -> &'static str {
    match m {
        MatchType::Exact => "exact",
        MatchType::Contains => "contains",
        MatchType::Regex { .. } => "regex",
        MatchType::JsonSchema { .. } => "json_schema",
        MatchType::SameMeaning { .. } => "same_meaning",
    }
}

/// Name, feature and tags.
pub fn case_fields(case: Option<&TestCase>) -> impl IntoView {
    view! {
        <div class="form-grid">
            <label>"Name" <input type="text" name="name" required maxlength="200" placeholder="Refund question" value=case.map(|c| c.name.clone()) /></label>
            <label>"Feature" <input type="text" name="feature" maxlength="200" placeholder="refunds" value=case.map(|c| c.feature.clone()) /></label>
            <label>"Tags (comma-separated)" <input type="text" name="tags" maxlength="1100" placeholder="smoke, billing" value=case.map(|c| c.tags.join(", ")) /></label>
        </div>
    }
}

/// What a run calls: an HTTP request to the team's application or a model through a provider
/// key. Both groups are shown (no script needed); the radio decides which one counts.
pub fn target_fields(target: Option<&Target>, keys: &[KeyChoice], editing: bool) -> impl IntoView {
    let http = match target {
        Some(Target::Http(h)) => Some(h.clone()),
        _ => None,
    };
    let model = match target {
        Some(Target::Model(m)) => Some(m.clone()),
        _ => None,
    };
    let is_model = model.is_some();
    let HttpTarget { url, method, headers, secret_header_names, body, timeout_ms } = http.unwrap_or(HttpTarget {
        url: String::new(),
        method: "POST".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        secret_header_names: Vec::new(),
        body: String::new(),
        timeout_ms: 30_000,
    });
    let ModelTarget { provider_key_id, model, system_prompt, temperature, max_tokens } = model.unwrap_or(ModelTarget {
        provider_key_id: None,
        model: String::new(),
        system_prompt: String::new(),
        temperature: None,
        max_tokens: None,
    });
    let header_lines = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n");
    let methods = ["POST", "GET", "PUT", "PATCH", "DELETE"]
        .map(|m| {
            let on = m == method;
            view! { <option value=m selected=on>{m}</option> }
        })
        .collect_view();
    let key_options = keys
        .iter()
        .map(|k| {
            let label = format!("{} ({}{})", k.name, k.vendor, if k.global { ", global" } else { "" });
            view! { <option value=k.id.clone() selected=provider_key_id.as_deref() == Some(k.id.as_str())>{label}</option> }
        })
        .collect_view();
    let secret_note = if secret_header_names.is_empty() {
        "None stored.".to_owned()
    } else {
        format!("Stored: {} (values hidden). Leave empty to keep them.", secret_header_names.join(", "))
    };
    view! {
        <fieldset class="target-fields">
            <legend>"Target"</legend>
            <div class="target-kinds">
                <label class="check"><input type="radio" name="target_kind" value="http" checked=!is_model />" HTTP request to your application"</label>
                <label class="check"><input type="radio" name="target_kind" value="model" checked=is_model />" Direct model call"</label>
            </div>
            <div class="target-group target-http">
                <div class="form-grid">
                    <label class="span-2">"URL" <input type="url" name="url" maxlength="2000" placeholder="http://localhost:8080/chat" value=url /></label>
                    <label>"Method" <select name="method">{methods}</select></label>
                    <label>"Timeout (ms)" <input type="number" name="timeout_ms" min="100" max="600000" value=timeout_ms.to_string() /></label>
                </div>
                <label>"Headers (one “Name: value” a line)" <textarea name="headers" rows="2" class="mono">{header_lines}</textarea></label>
                <label>"Secret headers (one “Name: value” a line; sent once, stored encrypted, never shown again)"
                    <textarea name="secret_headers" rows="2" class="mono" autocomplete="off" placeholder="authorization: Bearer …" data-testid="secret-headers"></textarea>
                </label>
                <p class="muted small" data-testid="secret-header-names">{secret_note}</p>
                <input type="hidden" name="secret_header_names" value=secret_header_names.join(",") />
                {(editing && !secret_header_names.is_empty()).then(|| view! {
                    <label class="check"><input type="checkbox" name="clear_secrets" value="1" />" Remove the stored secret headers"</label>
                })}
                <label>"Body" <textarea name="body" rows="3" class="mono" placeholder="{\"message\": \"How long do refunds take?\"}">{body}</textarea></label>
            </div>
            <div class="target-group target-model">
                <div class="form-grid">
                    <label>"Provider key" <select name="provider_key_id">
                        <option value="">"Project default"</option>
                        {key_options}
                    </select></label>
                    <label>"Model" <input type="text" name="model" maxlength="200" placeholder="gpt-4o-mini" value=model /></label>
                    <label>"Temperature" <input type="number" name="temperature" min="0" max="2" step="0.1" value=temperature.map(|t| t.to_string()) /></label>
                    <label>"Max tokens" <input type="number" name="max_tokens" min="1" value=max_tokens.map(|t| t.to_string()) /></label>
                </div>
                <label>"System prompt" <textarea name="system_prompt" rows="2">{system_prompt}</textarea></label>
            </div>
        </fieldset>
    }
}

/// One step's fields; `removable` adds a "Remove this step" box (edit form).
pub fn step_fields(i: usize, step: Option<&StepExpectation>, removable: bool) -> impl IntoView {
    let n = |name: &str| format!("s{i}_{name}");
    let kind = step.map_or("contains", |s| match_kind(&s.match_type));
    let (pattern, schema, prompt, threshold) = match step.map(|s| &s.match_type) {
        Some(MatchType::Regex { pattern }) => (pattern.clone(), String::new(), String::new(), 0.7),
        Some(MatchType::JsonSchema { schema }) => {
            (String::new(), serde_json::to_string_pretty(schema).unwrap_or_default(), String::new(), 0.7)
        }
        Some(MatchType::SameMeaning { validation_prompt, threshold }) => {
            (String::new(), String::new(), validation_prompt.clone(), *threshold)
        }
        _ => (String::new(), String::new(), String::new(), 0.7),
    };
    let matches = MATCHES
        .map(|(v, label)| {
            let on = v == kind;
            view! { <option value=v selected=on>{label}</option> }
        })
        .collect_view();
    let tools = step
        .filter(|s| !s.tool_calls.is_empty())
        .map(|s| serde_json::to_string_pretty(&s.tool_calls).unwrap_or_default())
        .unwrap_or_default();
    let title = if step.is_none() && removable { "Add a step".to_owned() } else { format!("Step {}", i + 1) };
    view! {
        <fieldset class="step-fields" data-testid="step-fields" data-match=kind>
            <legend>{title}</legend>
            <div class="grid-2 step-io">
                <label>"Input (what the AI receives)" <textarea name=n("input") rows="3">{step.map(|s| s.input.clone())}</textarea></label>
                <label>"Expected output" <textarea name=n("expected") rows="3">{step.map(|s| s.expected_output.clone())}</textarea></label>
            </div>
            <div class="form-grid">
                <label>"Match" <select name=n("match") data-testid="match-type">{matches}</select></label>
                <label>"Model (optional)" <input type="text" name=n("model") maxlength="200" value=step.and_then(|s| s.model.clone()) /></label>
            </div>
            <div class="match-options">
                <label class="match-regex">"Regular expression (for “Regular expression”)" <input type="text" name=n("pattern") class="mono" maxlength="2000" placeholder="^Refunds take \\d+ days" value=pattern /></label>
                <label class="match-schema">"JSON schema (for “JSON schema”)" <textarea name=n("schema") rows="3" class="mono" placeholder="{\"type\": \"object\"}">{schema}</textarea></label>
                <div class="match-judge">
                    <label>"Validation prompt for the judge (for “Same meaning”)" <textarea name=n("prompt") rows="2" placeholder="The answer must mention the 5-day refund window.">{prompt}</textarea></label>
                    <label class="threshold">"Pass threshold, 0–1 (for “Same meaning”)" <input type="number" name=n("threshold") min="0" max="1" step="0.05" value=threshold.to_string() /></label>
                </div>
            </div>
            <details class="step-more">
                <summary class="muted small">"Limits and tool calls"</summary>
                <div class="form-grid">
                    <label>"Max latency (ms)" <input type="number" name=n("max_latency_ms") min="1" value=step.and_then(|s| s.max_latency_ms).map(|v| v.to_string()) /></label>
                    <label>"Max tokens" <input type="number" name=n("max_tokens") min="1" value=step.and_then(|s| s.max_tokens).map(|v| v.to_string()) /></label>
                    <label>"Max cost (USD)" <input type="number" name=n("max_cost") min="0" step="0.0001" value=step.and_then(|s| s.max_cost_usd).map(|v| v.to_string()) /></label>
                </div>
                <label>"Expected tool calls (JSON: [{\"name\": \"lookup\", \"arguments\": {…}}])" <textarea name=n("tools") rows="2" class="mono">{tools}</textarea></label>
            </details>
            {(removable && step.is_some()).then(|| view! {
                <label class="check"><input type="checkbox" name=n("remove") value="1" />" Remove this step"</label>
            })}
        </fieldset>
    }
}
