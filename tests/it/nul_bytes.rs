//! A NUL character in an address, a form or a JSON body gets the same clear
//! answer on SQLite and PostgreSQL, and never reaches the database.

use crate::support::{SendChecked, Server};
use reqwest::Method;
use serde_json::{json, Value};

/// What one backend answered to each probe, in order.
async fn probe(backend: &str) -> Vec<(String, u16)> {
    let server = Server::start_on(backend).await;
    let session = server.live_session("ada@example.org", "nul-club", "builtin:weekly-coworking", 3600).await;
    let anonymous = server.client();
    let ada = server.signed_in("ada@example.org").await;
    let token = server.token("ada@example.org").await;
    let s = session.id.as_str();
    let mut seen = Vec::new();

    let lookups = [
        "/c/x%00y".to_string(),
        "/s/x%00y".into(),
        "/c/x%00y/calendar.ics".into(),
        "/s/x%00y/calendar.ics".into(),
        "/c/nul-club/series/x%00y".into(),
        "/invite/x%00y".into(),
        "/calendar/x%00y".into(),
        "/api/v1/communities/x%00y".into(),
        "/api/v1/sessions/x%00y".into(),
        "/api/v1/communities/nul-club/series/x%00y".into(),
        "/static/app%00.css".into(),
    ];
    let searches = [
        "/communities?q=%00".to_string(),
        "/communities?q=cowork&topic=a%00b".into(),
        "/upcoming?topic=%00".into(),
        "/upcoming?q=x%00".into(),
        "/signin?next=%2F%00".into(),
        "/signin/link?token=%00".into(),
        "/api/v1/communities?q=%00".into(),
        "/api/v1/upcoming?topic=%00".into(),
        "/api/v1/me/sessions?from=%00".into(),
        format!("/s/{s}?tz=%00"),
    ];
    for path in lookups.iter().chain(&searches) {
        for (who, client) in [("anonymous", &anonymous), ("signed in", &ada)] {
            let r = client.get(path).await;
            seen.push((format!("GET {path} ({who})"), r.status().as_u16()));
        }
        let r = reqwest::Client::new().get(server.url(path)).bearer_auth(&token).sent().await;
        seen.push((format!("GET {path} (token)"), r.status().as_u16()));
    }
    for path in ["/c/x%00y/edit", "/s/x%00y/room", "/s/x%00y/edit", "/c/nul-club/members/x%00y/approve"] {
        let r = ada.get(path).await;
        seen.push((format!("GET {path} (signed in)"), r.status().as_u16()));
    }

    // Forms: refused naming the field, nothing written.
    let rsvp = format!("/s/{s}/rsvp");
    let forms: [(&str, &[(&str, &str)]); 6] = [
        ("/signin", &[("email", "ada\0@example.org")]),
        ("/signin/password", &[("email", "ada@example.org\0"), ("password", "x")]),
        ("/settings/profile", &[("display_name", "Ada\0"), ("time_zone", "UTC"), ("social_preference", "either")]),
        ("/communities/new", &[("slug", "nul-two"), ("name", "Nul\0 Two"), ("time_zone", "UTC")]),
        ("/c/nul-club/invites", &[("label", "a\0b")]),
        (&rsvp, &[("note", "\0")]),
    ];
    for (path, fields) in forms {
        let r = ada.post(path, fields).await;
        let status = r.status().as_u16();
        let html = r.text().await.unwrap();
        let field = fields.iter().find(|(_, v)| v.contains('\0')).unwrap().0;
        assert!(html.contains(&format!("The field “{field}” contains a NUL character")), "{backend}: POST {path} names {field}: {html}");
        seen.push((format!("POST {path}"), status));
    }
    // A NUL sent as a raw byte rather than %00 is refused the same way.
    let token = crate::support::csrf_in(&ada.get_ok("/settings/profile").await).unwrap();
    let raw = format!("csrf={token}&display_name=Ada&time_zone=UTC&bio=a\0b");
    let r = ada.http.post(ada.url("/settings/profile")).header("content-type", "application/x-www-form-urlencoded").body(raw).sent().await;
    seen.push(("POST /settings/profile (raw NUL)".into(), r.status().as_u16()));
    assert!(r.text().await.unwrap().contains("The field “bio” contains a NUL character"));
    let a = server.account("ada@example.org").await;
    assert!(!a.display_name.contains('\0') && a.bio.is_empty());
    assert!(server.app().store.directory("", "", 10, 0).await.unwrap().iter().all(|c| c.slug != "nul-two"));

    // JSON bodies: 422 with the field named.
    let http = reqwest::Client::new();
    let bodies = [
        (Method::PATCH, "/api/v1/me", json!({"bio": "hello\u{0}"}), "bio"),
        (Method::POST, "/api/v1/communities", json!({"slug": "nul-three", "name": "x\u{0}"}), "name"),
        (Method::PATCH, "/api/v1/communities/nul-club", json!({"topics": ["ok", "a\u{0}"]}), "topics"),
        (Method::POST, "/api/v1/communities/nul-club/invites", json!({"label": "\u{0}"}), "label"),
    ];
    for (method, path, body, field) in bodies {
        let r = http.request(method.clone(), server.url(path)).bearer_auth(&token).json(&body).sent().await;
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"]["fields"][0]["field"], field, "{backend}: {method} {path}: {answer}");
        seen.push((format!("{method} {path}"), status));
    }
    assert_eq!(server.account("ada@example.org").await.bio, "");
    seen
}

#[tokio::test]
async fn a_nul_character_gets_the_same_clear_answer_on_both_databases() {
    let sqlite = probe("sqlite").await;
    let postgres = probe("postgres").await;
    for ((what, a), (_, b)) in sqlite.iter().zip(&postgres) {
        assert!(*a < 500 && *b < 500, "{what}: SQLite {a}, PostgreSQL {b}");
        assert_eq!(a, b, "{what}: SQLite and PostgreSQL differ");
        // Nothing is found at an address with a NUL; a NUL in a value is refused.
        let expected = if what.starts_with("GET") && !what.contains('?') { 404 } else { 422 };
        assert_eq!(*a, expected, "{what}");
    }
    assert_eq!(sqlite.len(), postgres.len());
}
