//! The knowledge base as a Model Context Protocol server (streamable HTTP transport, JSON
//! responses), so agents in Claude Desktop, Cursor or any MCP client use it directly:
//! `POST /mcp` with a project API key (`read` scope) in `Authorization`. Tools: `search_kb`,
//! `get_api_operation`, `get_table`. No server-initiated stream is offered (`GET` is 405), so
//! any app server answers any request: nothing is kept between requests.

use crate::{
    http::{api_error, api_key, routes::Routes},
    startup::AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use domain::kb::{Entry, EntryKey};
use serde_json::{json, Value};
use services::{
    api_keys::KeyPrincipal,
    kb::{releases, search},
};

pub const PATH: &str = "/mcp";
const ROUTE: &str = "MCP server";
/// The protocol versions this server speaks, newest first.
const VERSIONS: [&str; 3] = ["2025-06-18", "2025-03-26", "2024-11-05"];
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

pub fn routes() -> Routes {
    Routes::new().post(PATH, post).get(PATH, no_stream)
}

async fn no_stream() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")], "This MCP server answers POST requests only (no server-sent stream).")
        .into_response()
}

fn rpc_error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn tools() -> Value {
    json!([
        {
            "name": "search_kb",
            "title": "Search the knowledge base",
            "description": "Find the API operations and database tables of this application that answer a question. Returns the best matches with their text.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What you are looking for, in plain words"},
                    "k": {"type": "integer", "minimum": 1, "maximum": search::MAX_K, "description": "How many results (default 5)"},
                    "kinds": {"type": "array", "items": {"type": "string", "enum": ["api_operation", "table"]}},
                    "tags": {"type": "array", "items": {"type": "string"}}
                },
                "required": ["query"]
            }
        },
        {
            "name": "get_api_operation",
            "title": "Get an API operation",
            "description": "The full description of one HTTP operation: parameters, request body and responses with their JSON schemas.",
            "inputSchema": {
                "type": "object",
                "properties": {"method": {"type": "string"}, "path": {"type": "string", "description": "As listed, e.g. /orders/{id}"}},
                "required": ["method", "path"]
            }
        },
        {
            "name": "get_table",
            "title": "Get a database table",
            "description": "The full description of one table: columns with types, keys, indexes and example queries.",
            "inputSchema": {
                "type": "object",
                "properties": {"name": {"type": "string", "description": "schema.table, or table (schema public)"}},
                "required": ["name"]
            }
        }
    ])
}

/// A tool's answer: text for the model, the data as structured content; `isError` for answers
/// the model should read (not found, bad arguments) rather than protocol errors.
fn tool_result(text: String, data: Value, is_error: bool) -> Value {
    json!({"content": [{"type": "text", "text": text}], "structuredContent": data, "isError": is_error})
}

fn arg<'a>(args: &'a Value, name: &str) -> Option<&'a str> {
    args.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

async fn call_tool(state: &AppState, key: &KeyPrincipal, name: &str, args: &Value) -> Result<Value, (i64, String)> {
    let store = state.services.stores.primary.as_ref();
    let unavailable = |e: services::ServiceError| (-32603, e.to_string());
    match name {
        "search_kb" => {
            let input = search::SearchInput {
                query: arg(args, "query").unwrap_or_default().to_owned(),
                k: Some(args.get("k").and_then(Value::as_u64).unwrap_or(5) as usize),
                kinds: args.get("kinds").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default(),
                tags: args.get("tags").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default(),
            };
            match search::search_project(&state.services, &key.project_id, &input).await {
                Ok(r) => {
                    let text = match r.release {
                        None => "The knowledge base has no published release with an index yet.".to_owned(),
                        Some(n) if r.hits.is_empty() => format!("No match in release {n}."),
                        Some(n) => {
                            let parts: Vec<String> = r.hits.iter().map(|h| format!("## {}\n{}", h.key.name, h.text)).collect();
                            format!("Release {n}, {} matches:\n\n{}", r.hits.len(), parts.join("\n\n"))
                        }
                    };
                    Ok(tool_result(text, json!({"release": r.release, "ranking": r.ranking, "hits": r.hits}), false))
                }
                Err(services::ServiceError::Invalid(m)) => Ok(tool_result(m.clone(), json!({"error": m}), true)),
                Err(e) => Err(unavailable(e)),
            }
        }
        "get_api_operation" | "get_table" => {
            let entry = if name == "get_table" {
                let Some(t) = arg(args, "name") else { return Ok(tool_result("Give the table's name.".into(), json!({}), true)) };
                let (schema, table) = t.split_once('.').unwrap_or(("public", t));
                EntryKey::table(schema, table)
            } else {
                let (Some(method), Some(path)) = (arg(args, "method"), arg(args, "path")) else {
                    return Ok(tool_result("Give the operation's method and path.".into(), json!({}), true));
                };
                EntryKey::api(method, path)
            };
            match releases::active_entry_for_key(store, key, &entry).await.map_err(unavailable)? {
                Some((release, e)) => {
                    let text = serde_json::to_string_pretty(&e.entry).unwrap_or_default();
                    let kind = matches!(e.entry, Entry::Table(_)).then_some("table").unwrap_or("api_operation");
                    Ok(tool_result(text, json!({"release": release, "kind": kind, "entry": e.entry}), false))
                }
                None => Ok(tool_result(format!("{} is not in the knowledge base.", entry.name), json!({}), true)),
            }
        }
        other => Err((-32602, format!("unknown tool: {other}"))),
    }
}

/// One JSON-RPC message; `None` for a notification (no answer).
async fn handle(state: &AppState, key: &KeyPrincipal, msg: &Value) -> Option<Value> {
    // A message without an id is a notification: nothing to answer.
    let id = msg.get("id").cloned()?;
    let method = msg.get("method").and_then(Value::as_str).unwrap_or_default();
    if msg.get("jsonrpc").and_then(Value::as_str) != Some("2.0") || method.is_empty() {
        return Some(rpc_error(id, -32600, "not a JSON-RPC 2.0 request"));
    }
    let params = msg.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => {
            let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or(VERSIONS[0]);
            let version = VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or(VERSIONS[0]);
            Ok(json!({
                "protocolVersion": version,
                "capabilities": {"tools": {"listChanged": false}},
                "serverInfo": {"name": "elasticdash-kb", "title": "ElasticDash knowledge base", "version": env!("CARGO_PKG_VERSION")},
                "instructions": "Search this application's HTTP API operations and database tables with search_kb, then read one with get_api_operation or get_table."
            }))
        }
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": tools()})),
        "tools/call" => {
            let name = params.get("name").and_then(Value::as_str).unwrap_or_default();
            let args = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
            call_tool(state, key, name, &args).await
        }
        other => Err((-32601, format!("method not found: {other}"))),
    };
    Some(match result {
        Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
        Err((code, message)) => rpc_error(id, code, message),
    })
}

async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let key = match api_key::authenticate(&state, &headers, &["read"]).await {
        Ok(k) => k,
        Err(r) => return api_error::key_refusal(ROUTE, r),
    };
    let message: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(rpc_error(Value::Null, -32700, format!("parse error: {e}")))).into_response(),
    };
    match &message {
        // A batch (protocol 2025-03-26): the answers to its requests, in order.
        Value::Array(batch) => {
            let mut answers = Vec::new();
            for m in batch.iter().take(100) {
                if let Some(a) = handle(&state, &key, m).await {
                    answers.push(a);
                }
            }
            if answers.is_empty() {
                StatusCode::ACCEPTED.into_response()
            } else {
                Json(Value::Array(answers)).into_response()
            }
        }
        m => match handle(&state, &key, m).await {
            Some(answer) => Json(answer).into_response(),
            None => StatusCode::ACCEPTED.into_response(),
        },
    }
}
