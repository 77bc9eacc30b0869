//! The JSON API as a script would use it.

use crate::support::{SendChecked, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn a_token_made_in_settings_drives_the_api() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let r = ada.post("/settings/tokens", &[("name", "my script")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let at = html.find("cwk_").unwrap();
    let token: String = html[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert!(!ada.get_ok("/settings/tokens").await.contains(&token), "the secret is shown once");

    let http = reqwest::Client::new();
    let me: Value = http.get(server.url("/api/v1/me")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.org");

    let r = http.get(server.url("/api/v1/me")).sent().await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "unauthenticated");

    // Profile updates keep fields left out, and refuse bad ones with field errors.
    let r = http.patch(server.url("/api/v1/me")).bearer_auth(&token).json(&json!({"pronouns": "she/her"})).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = http.patch(server.url("/api/v1/me")).bearer_auth(&token).json(&json!({"time_zone": "Atlantis/Capital"})).sent().await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "time_zone");
    let a = server.account("ada@example.org").await;
    assert_eq!((a.pronouns.as_str(), a.time_zone.as_str()), ("she/her", "UTC"));

    // Communities: 422 with every bad field, nothing written; then 201.
    let r = http.post(server.url("/api/v1/communities")).bearer_auth(&token).json(&json!({"slug": "x", "name": ""})).sent().await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"slug") && fields.contains(&"name"), "{body}");
    assert!(server.app().store.directory("", "", 10, 0).await.unwrap().is_empty());

    let r = http
        .post(server.url("/api/v1/communities"))
        .bearer_auth(&token)
        .json(&json!({"slug": "api-club", "name": "API Club", "topics": "automation"}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/api/v1/communities/api-club");
    let c: Value = r.json().await.unwrap();
    assert_eq!((c["visibility"].as_str(), c["join_policy"].as_str(), c["member_count"].as_i64()), (Some("public"), Some("open"), Some(1)));

    let dup =
        http.post(server.url("/api/v1/communities")).bearer_auth(&token).json(&json!({"slug": "api-club", "name": "Again"})).sent().await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let listed: Value = http.get(server.url("/api/v1/communities?q=api")).sent().await.json().await.unwrap();
    assert_eq!(listed["items"][0]["slug"], "api-club");
    let mine: Value = http.get(server.url("/api/v1/me/communities")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(mine["items"][0]["role"], "owner");

    // Invites through the API give a working link.
    let inv: Value = http
        .post(server.url("/api/v1/communities/api-club/invites"))
        .bearer_auth(&token)
        .json(&json!({"max_uses": 1}))
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert!(inv["url"].as_str().unwrap().starts_with(&format!("{}/invite/", server.base)));
    let bo = server.token("bo@example.org").await;
    let r = http
        .post(server.url("/api/v1/communities/api-club/join"))
        .bearer_auth(&bo)
        .json(&json!({"accept_code_of_conduct": false}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = http
        .post(server.url("/api/v1/communities/api-club/join"))
        .bearer_auth(&bo)
        .json(&json!({"accept_code_of_conduct": true, "invite": inv["code"]}))
        .sent()
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "member");

    // Revoking a token locks it out.
    let tokens: Value = http.get(server.url("/api/v1/me/tokens")).bearer_auth(&token).sent().await.json().await.unwrap();
    let id = tokens["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        http.delete(server.url(&format!("/api/v1/me/tokens/{id}"))).bearer_auth(&token).sent().await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(http.get(server.url("/api/v1/me")).bearer_auth(&token).sent().await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_json_errors() {
    let server = Server::start().await;
    let token = server.token("ada@example.org").await;
    let http = reqwest::Client::new();
    let post = |body: String, ct: &'static str| {
        http.post(server.url("/api/v1/communities")).bearer_auth(&token).header("content-type", ct).body(body).sent()
    };

    let r = post("{not json".into(), "application/json").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "bad_json");
    let r = post(r#"{"slug": 5}"#.into(), "application/json").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post("slug=x".into(), "application/x-www-form-urlencoded").await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = format!(r#"{{"slug":"big","name":"{}"}}"#, "x".repeat(300 * 1024));
    let r = post(big, "application/json").await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "too_large");
    let r = http.get(server.url("/api/v1/nothing-here")).sent().await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    assert!(server.app().store.directory("", "", 10, 0).await.unwrap().is_empty(), "nothing written");
}

/// Every documented operation is routed (no 404 from the router, no 405),
/// and every routed one is documented.
#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let server = Server::start().await;
    let http = reqwest::Client::new();
    let doc: Value = http.get(server.url("/api/v1/openapi.json")).sent().await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys().filter(|m| ["get", "post", "patch", "put", "delete"].contains(&m.as_str())) {
            documented.push((method.to_uppercase(), path.clone()));
            let concrete = path.replace("{slug}", "no-such-club").replace("{account}", "nobody").replace("{id}", "nothing");
            let r = http.request(method.to_uppercase().parse().unwrap(), server.url(&format!("/api/v1{concrete}"))).sent().await;
            assert_ne!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is routed");
            if r.status() == StatusCode::NOT_FOUND {
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["error"]["message"], "Not found.", "{method} {path}");
            }
        }
    }
    // The routes in the API module, by their handlers' paths.
    let source = [include_str!("../../crates/server/src/api/mod.rs"), include_str!("../../crates/server/src/api/schedule.rs")].concat();
    for line in source.lines().filter(|l| l.trim_start().starts_with(".route(\"")) {
        let path = line.split('"').nth(1).unwrap();
        assert!(paths.contains_key(path), "{path} is routed but not documented");
    }
    assert!(documented.len() >= 41, "{documented:?}");
}
