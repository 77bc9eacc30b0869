//! No text we store or look up may hold a NUL character: PostgreSQL refuses
//! it in text (an internal error), SQLite would store it. Every request is
//! checked here, once, before any handler: a NUL in the path finds nothing
//! (404), one in a query value, form field or JSON string is refused with 422
//! naming the field, the same on both databases. People cannot type a NUL;
//! this answers scripts and probes clearly.

use super::{error_page, BODY_LIMIT};
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{json, Value};

pub async fn refuse(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    if req.uri().path().contains("%00") {
        return not_found(api);
    }
    if let Some(q) = req.uri().query().filter(|q| q.contains("%00")) {
        return invalid(api, &form_field_with_nul(q.as_bytes()));
    }
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
        return next.run(req).await;
    }
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let form = ct.starts_with("application/x-www-form-urlencoded");
    let json = ct.starts_with("application/json");
    if !form && !json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return too_large(api);
    };
    // Encoded, or sent raw (which form decoding lets through as it is).
    if form && (contains(&bytes, b"%00") || bytes.contains(&0)) {
        return invalid(api, &form_field_with_nul(&bytes));
    }
    if json && contains(&bytes, b"\\u0000") {
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
            if let Some(field) = json_field_with_nul(&v, "body") {
                return invalid(api, &field);
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The name of the first `key=value` pair with a NUL in it.
fn form_field_with_nul(encoded: &[u8]) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', ""))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "form".into())
}

/// The key (or `body` at the top) whose string holds a NUL.
fn json_field_with_nul(v: &Value, here: &str) -> Option<String> {
    match v {
        Value::String(s) => s.contains('\0').then(|| here.to_string()),
        Value::Array(items) => items.iter().find_map(|i| json_field_with_nul(i, here)),
        Value::Object(o) => o.iter().find_map(|(k, v)| if k.contains('\0') { Some(here.to_string()) } else { json_field_with_nul(v, k) }),
        _ => None,
    }
}

fn message(field: &str) -> String {
    format!("The field “{field}” contains a NUL character (a zero byte), which no text here may contain. Remove it and try again.")
}

fn invalid(api: bool, field: &str) -> Response {
    if api {
        crate::api::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Some fields are not valid.",
            json!([{ "field": field, "message": message(field) }]),
        )
    } else {
        error_page(StatusCode::UNPROCESSABLE_ENTITY, &message(field))
    }
}

fn not_found(api: bool) -> Response {
    if api {
        crate::api::error(StatusCode::NOT_FOUND, "not_found", "Not found.", json!([]))
    } else {
        error_page(StatusCode::NOT_FOUND, "There is nothing here. The page may have moved, or it may be private.")
    }
}

fn too_large(api: bool) -> Response {
    if api {
        crate::api::error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "The body is too large.", json!([]))
    } else {
        error_page(StatusCode::PAYLOAD_TOO_LARGE, "That form was too large to accept.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_holding_a_nul_is_named() {
        assert_eq!(form_field_with_nul(b"csrf=abc&name=a%00b"), "name");
        assert_eq!(form_field_with_nul(b"q=%00"), "q");
        assert_eq!(form_field_with_nul(b"csrf=abc&bio=a\0b"), "bio");
        assert_eq!(form_field_with_nul(b"%00=1"), "form");
        let v: Value = serde_json::from_str(r#"{"name":"ok","phases":[{"label":"x\u0000"}]}"#).unwrap();
        assert_eq!(json_field_with_nul(&v, "body").as_deref(), Some("label"));
        assert_eq!(json_field_with_nul(&json!("\u{0}"), "body").as_deref(), Some("body"));
        assert_eq!(json_field_with_nul(&json!({"a": "\\u0000"}), "body"), None);
    }
}
