//! Every JSON answer of the API that the tests see is checked against the
//! schema `openapi.json` documents for its operation and status, so the
//! document cannot drift from what the API answers. A small validator for the
//! subset of JSON Schema the document uses.

use serde_json::Value;
use std::sync::LazyLock;

static DOC: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("../../crates/server/src/api/openapi.json")).expect("openapi.json is JSON"));

/// Checks one answer; `path` is the request's path under `/api/v1`, without the query.
pub fn check(method: &str, path: &str, status: u16, content_type: &str, encoding: &str, body: &[u8]) -> Result<(), String> {
    let what = format!("{method} /api/v1{path} → {status}");
    let response = match operation(method, path) {
        Some(op) => [status.to_string(), format!("{}XX", status / 100), "default".into()]
            .iter()
            .find_map(|k| op["responses"].get(k))
            .map(resolve)
            .ok_or_else(|| format!("{what}: status not documented"))?,
        // Nothing is routed there: the API's own 404.
        None if status == 404 => resolve(&DOC["components"]["responses"]["NotFound"]),
        None => return Err(format!("{what}: no documented operation")),
    };
    let Some(schema) = response.pointer("/content/application~1json/schema") else {
        return if body.is_empty() { Ok(()) } else { Err(format!("{what}: documented without a body, answered with one")) };
    };
    if !content_type.starts_with("application/json") {
        return Err(format!("{what}: documented as JSON, answered as {content_type:?}"));
    }
    let mut text = String::new();
    let read = match encoding {
        "gzip" => std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(body), &mut text),
        "br" => std::io::Read::read_to_string(&mut brotli::Decompressor::new(body, 4096), &mut text),
        _ => std::io::Read::read_to_string(&mut &body[..], &mut text),
    };
    read.map_err(|e| format!("{what}: can't read the {encoding:?} body: {e}"))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("{what}: not JSON: {e}"))?;
    let mut problems = Vec::new();
    validate(schema, &value, "$", &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{what} disagrees with openapi.json:\n  {}\nbody: {value}", problems.join("\n  ")))
    }
}

/// The documented operation for a concrete path: literal segments beat `{parameters}`.
fn operation(method: &str, path: &str) -> Option<&'static Value> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = DOC["paths"].as_object()?;
    let mut best: Option<(usize, &Value)> = None;
    for (template, item) in paths {
        let t: Vec<&str> = template.split('/').collect();
        if t.len() != segments.len() {
            continue;
        }
        let matches = t.iter().zip(&segments).all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()));
        let Some(op) = item.get(method.to_ascii_lowercase()) else { continue };
        if matches {
            let literal = t.iter().filter(|s| !s.starts_with('{')).count();
            if best.is_none_or(|(n, _)| literal > n) {
                best = Some((literal, op));
            }
        }
    }
    best.map(|(_, op)| op)
}

/// Follows `$ref`s; every one is local (`#/components/...`).
fn resolve(mut v: &Value) -> &Value {
    let doc: &'static Value = &DOC;
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        v = doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("openapi.json: dangling $ref {r}"));
    }
    v
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => false,
    }
}

fn validate(schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(schema);
    if v.is_null() && schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        return;
    }
    match schema.get("type") {
        Some(Value::String(t)) if !type_matches(t, v) => return problems.push(format!("{at}: expected {t}, found {v}")),
        Some(Value::Array(ts)) if !ts.iter().filter_map(Value::as_str).any(|t| type_matches(t, v)) => {
            return problems.push(format!("{at}: expected one of {ts:?}, found {v}"));
        }
        _ => {}
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            problems.push(format!("{at}: {v} is not one of {}", Value::Array(options.clone())));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != v {
            problems.push(format!("{at}: expected {c}, found {v}"));
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            validate(s, v, at, problems);
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fitting = options
                .iter()
                .filter(|s| {
                    let mut p = Vec::new();
                    validate(s, v, at, &mut p);
                    p.is_empty()
                })
                .count();
            if fitting == 0 || (exactly_one && fitting > 1) {
                problems.push(format!("{at}: {v} fits {fitting} of the {key} schemas"));
            }
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if n < min {
            problems.push(format!("{at}: {n} is below {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_f64), v.as_f64()) {
        if n > max {
            problems.push(format!("{at}: {n} is above {max}"));
        }
    }
    if let Value::Object(o) = v {
        for r in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !o.contains_key(r) {
                problems.push(format!("{at}: required {r} is missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in o {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(s, val, &format!("{at}.{k}"), problems),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => problems.push(format!("{at}: {k} is not documented")),
                    Some(s @ Value::Object(_)) => validate(s, val, &format!("{at}.{k}"), problems),
                    _ => {}
                },
            }
        }
    }
    if let Value::Array(items) = v {
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        for (i, item) in items.iter().enumerate() {
            let here = format!("{at}[{i}]");
            match prefix.and_then(|p| p.get(i)) {
                Some(s) => validate(s, item, &here, problems),
                None => {
                    if let Some(s) = schema.get("items") {
                        validate(s, item, &here, problems);
                    }
                }
            }
        }
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (items.len() as u64) < min {
                problems.push(format!("{at}: fewer than {min} items"));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if items.len() as u64 > max {
                problems.push(format!("{at}: more than {max} items"));
            }
        }
    }
}

#[test]
fn the_validator_catches_what_it_should() {
    let schema = serde_json::json!({"$ref": "#/components/schemas/Error"});
    let mut p = Vec::new();
    validate(&schema, &serde_json::json!({"error": {"code": "invalid", "message": "m", "fields": []}}), "$", &mut p);
    assert!(p.is_empty(), "{p:?}");
    validate(&schema, &serde_json::json!({"error": {"code": "nope", "fields": [{}]}}), "$", &mut p);
    assert!(p.iter().any(|m| m.contains("\"nope\" is not one of")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("required message is missing")), "{p:?}");
    assert!(operation("GET", "/communities/x/series/y").is_some());
    assert!(operation("GET", "/me/tokens").is_some());
    assert!(check("GET", "/me", 200, "application/json", "", b"{}").is_err(), "an account has required fields");
}

#[tokio::test]
async fn a_series_and_its_hosts_read_through_the_api_are_as_documented() {
    use crate::support::{SendChecked, Server};
    let server = Server::start().await;
    let session = server.live_session("ada@example.org", "doc-club", "builtin:weekly-coworking", 3600).await;
    let token = server.token("ada@example.org").await;
    let http = reqwest::Client::new();
    let series: Value = http
        .get(server.url(&format!("/api/v1/communities/doc-club/series/{}", session.series_id)))
        .bearer_auth(&token)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let ada = server.account("ada@example.org").await;
    assert_eq!(series["hosts"], serde_json::json!([{ "account_id": ada.id, "display_name": ada.display_name }]));
    let one: Value =
        http.get(server.url(&format!("/api/v1/sessions/{}", session.id))).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(one["hosts"], series["hosts"]);
    // Hosts see late cancellations and attendance; members do not.
    http.post(server.url(&format!("/api/v1/sessions/{}/rsvp", session.id))).bearer_auth(&token).sent().await;
    let rsvps: Value =
        http.get(server.url(&format!("/api/v1/sessions/{}/rsvps", session.id))).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(rsvps["items"][0]["attendance"], "");
}
