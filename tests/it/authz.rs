//! The authorization table: anonymous, non-member, member, organizer and owner
//! against every state-changing route, on pages and API. Each answer is
//! asserted, and a refused request must leave the community as it was.

use crate::support::{location, Browser, SendChecked, Server};
use cowork_core::permissions::Role;
use reqwest::StatusCode;
use std::collections::HashMap;

const WHO: [&str; 5] = ["anonymous", "outsider", "member", "organizer", "owner"];

/// What an anonymous browser gets for a protected page: sent to sign in.
const SIGN_IN: u16 = 1;

struct Fixture {
    slug: String,
    target: String,
    pending: String,
    removed: String,
    invite: String,
}

async fn fixture(server: &Server, n: usize, visibility: &str) -> Fixture {
    let slug = format!("club-{n}");
    let c = server.community("owner@example.org", &slug, visibility, "open").await;
    let store = &server.app().store;
    for (email, role) in
        [("organizer@example.org", Role::Organizer), ("member@example.org", Role::Member), ("target@example.org", Role::Member)]
    {
        let a = server.account(email).await;
        store.add_member(&c.id, &a.id, false, 1).await.unwrap();
        store.set_member_role(&c.id, &a.id, role).await.unwrap();
    }
    let pending = server.account("pending@example.org").await;
    store.add_member(&c.id, &pending.id, true, 1).await.unwrap();
    let removed = server.account("removed@example.org").await;
    store.add_member(&c.id, &removed.id, false, 1).await.unwrap();
    store.end_membership(&c.id, &removed.id, true).await.unwrap();
    let owner = server.account("owner@example.org").await;
    let invite = server.app().create_invite(&owner, &slug, &Default::default()).await.unwrap().0.id;
    Fixture { slug, target: server.account("target@example.org").await.id, pending: pending.id, removed: removed.id, invite }
}

/// Everything a refused request must not have changed.
async fn snapshot(server: &Server, slug: &str) -> String {
    let store = &server.app().store;
    let c = store.community(slug).await.unwrap();
    let members = store.members(&c.id).await.unwrap();
    let invites = store.invites(&c.id).await.unwrap();
    format!(
        "{}|{}|{}",
        serde_json::to_string(&c).unwrap(),
        serde_json::to_string(&members).unwrap(),
        serde_json::to_string(&invites).unwrap()
    )
}

fn fill(path: &str, f: &Fixture) -> String {
    path.replace("{slug}", &f.slug)
        .replace("{target}", &f.target)
        .replace("{pending}", &f.pending)
        .replace("{removed}", &f.removed)
        .replace("{invite}", &f.invite)
}

fn edit_form(slug: &str) -> Vec<(String, String)> {
    [
        ("slug", slug),
        ("name", "Renamed community"),
        ("time_zone", "Europe/Paris"),
        ("visibility", "public"),
        ("join_policy", "open"),
        ("code_of_conduct", cowork_core::community::DEFAULT_CODE_OF_CONDUCT),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[tokio::test]
async fn pages_authorization_table() {
    let server = Server::start().await;
    let mut browsers: HashMap<&str, Browser> = HashMap::new();
    browsers.insert("anonymous", server.client());
    for who in &WHO[1..] {
        browsers.insert(who, server.signed_in(&format!("{who}@example.org")).await);
    }
    // route, fields, expected answer for each of WHO (0 = 303 redirect within the site)
    type Row = (&'static str, &'static str, [u16; 5]);
    let rows: Vec<Row> = vec![
        ("/c/{slug}/edit", "edit", [SIGN_IN, 403, 403, 303, 303]),
        ("/c/{slug}/join", "accept", [SIGN_IN, 303, 303, 303, 303]),
        ("/c/{slug}/leave", "", [SIGN_IN, 404, 303, 303, 403]),
        ("/c/{slug}/members/{pending}/approve", "", [SIGN_IN, 403, 403, 303, 303]),
        ("/c/{slug}/members/{target}/role", "role=host", [SIGN_IN, 403, 403, 303, 303]),
        ("/c/{slug}/members/{target}/role", "role=owner", [SIGN_IN, 403, 403, 403, 303]),
        ("/c/{slug}/members/{target}/remove", "", [SIGN_IN, 403, 403, 303, 303]),
        ("/c/{slug}/members/{removed}/allow", "", [SIGN_IN, 403, 403, 303, 303]),
        ("/c/{slug}/invites", "label=x", [SIGN_IN, 403, 403, 200, 200]),
        ("/c/{slug}/invites/{invite}/revoke", "", [SIGN_IN, 403, 403, 303, 303]),
    ];
    let mut n = 0;
    for (path, fields, expected) in &rows {
        for (i, who) in WHO.iter().enumerate() {
            n += 1;
            let f = fixture(&server, n, "public").await;
            let before = snapshot(&server, &f.slug).await;
            let form: Vec<(String, String)> = match *fields {
                "edit" => edit_form(&f.slug),
                "accept" => vec![("accept_code_of_conduct".into(), "yes".into())],
                "" => vec![],
                kv => vec![(kv.split('=').next().unwrap().into(), kv.split('=').nth(1).unwrap().into())],
            };
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let url = fill(path, &f);
            let r = browsers[who].post(&url, &form).await;
            let got = r.status().as_u16();
            if expected[i] == SIGN_IN {
                assert_eq!(got, 303, "{who} POST {path}");
                assert!(location(&r).starts_with("/signin"), "{who} POST {path} is sent to sign in");
            } else {
                assert_eq!(got, expected[i], "{who} POST {path} {fields}");
            }
            if got >= 400 || expected[i] == SIGN_IN {
                assert_eq!(snapshot(&server, &f.slug).await, before, "{who} POST {path} was refused but changed something");
            }
        }
    }

    // In a private community, outsiders do not learn it exists.
    let f = fixture(&server, 1000, "private").await;
    let form = edit_form(&f.slug);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(browsers["outsider"].post(&fill("/c/{slug}/edit", &f), &form).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        browsers["outsider"].post(&fill("/c/{slug}/join", &f), &[("accept_code_of_conduct", "yes")]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(browsers["outsider"].get(&fill("/c/{slug}/members", &f)).await.status(), StatusCode::NOT_FOUND);

    // Personal settings act only on one's own account.
    let owner = server.account("owner@example.org").await;
    let (token, _) = server.app().create_api_token(&owner, "mine").await.unwrap();
    for who in ["outsider", "member", "organizer"] {
        let r = browsers[who].post(&format!("/settings/tokens/{}/revoke", token.id), &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who} cannot revoke the owner's token");
    }
    assert_eq!(server.app().api_tokens(&owner).await.unwrap().len(), 1);
    for path in ["/communities/new", "/settings/profile", "/settings/password", "/settings/tokens"] {
        let r = browsers["anonymous"].post(path, &[]).await;
        assert!(location(&r).starts_with("/signin"), "anonymous POST {path} is sent to sign in");
    }
}

#[tokio::test]
async fn api_authorization_table() {
    let server = Server::start().await;
    let http = reqwest::Client::new();
    let mut tokens: HashMap<&str, String> = HashMap::new();
    for who in &WHO[1..] {
        tokens.insert(who, server.token(&format!("{who}@example.org")).await);
    }
    type Row = (&'static str, &'static str, &'static str, [u16; 5]);
    let rows: Vec<Row> = vec![
        ("PATCH", "/api/v1/communities/{slug}", r#"{"name":"Renamed"}"#, [401, 403, 403, 200, 200]),
        ("POST", "/api/v1/communities/{slug}/join", r#"{"accept_code_of_conduct":true}"#, [401, 200, 200, 200, 200]),
        ("POST", "/api/v1/communities/{slug}/leave", "", [401, 404, 204, 204, 403]),
        ("GET", "/api/v1/communities/{slug}/members", "", [401, 403, 200, 200, 200]),
        ("POST", "/api/v1/communities/{slug}/members/{pending}/approve", "", [401, 403, 403, 204, 204]),
        ("PATCH", "/api/v1/communities/{slug}/members/{target}", r#"{"role":"host"}"#, [401, 403, 403, 204, 204]),
        ("DELETE", "/api/v1/communities/{slug}/members/{target}", "", [401, 403, 403, 204, 204]),
        ("POST", "/api/v1/communities/{slug}/members/{removed}/allow", "", [401, 403, 403, 204, 204]),
        ("GET", "/api/v1/communities/{slug}/invites", "", [401, 403, 403, 200, 200]),
        ("POST", "/api/v1/communities/{slug}/invites", "{}", [401, 403, 403, 201, 201]),
        ("DELETE", "/api/v1/communities/{slug}/invites/{invite}", "", [401, 403, 403, 204, 204]),
    ];
    let mut n = 0;
    for (method, path, body, expected) in &rows {
        for (i, who) in WHO.iter().enumerate() {
            n += 1;
            let f = fixture(&server, n, "public").await;
            let before = snapshot(&server, &f.slug).await;
            let mut req = http.request(method.parse().unwrap(), server.url(&fill(path, &f)));
            if let Some(t) = tokens.get(who) {
                req = req.bearer_auth(t);
            }
            if !body.is_empty() {
                req = req.header("content-type", "application/json").body(body.to_string());
            }
            let r = req.sent().await;
            let status = r.status().as_u16();
            assert_eq!(status, expected[i], "{who} {method} {path}");
            if status >= 400 {
                let json: serde_json::Value = r.json().await.expect("errors are JSON");
                assert!(json["error"]["code"].is_string(), "{json}");
                assert_eq!(snapshot(&server, &f.slug).await, before, "{who} {method} {path} was refused but changed something");
            }
        }
    }
    // A wrong token is as good as none.
    let r = http.post(server.url("/api/v1/communities")).bearer_auth("cwk_0000").json(&serde_json::json!({})).sent().await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The scheduling routes: who may plan, edit, cancel, answer and mark attendance.
#[tokio::test]
async fn scheduling_authorization_table() {
    let server = Server::start().await;
    let mut browsers: HashMap<&str, Browser> = HashMap::new();
    browsers.insert("anonymous", server.client());
    for who in &WHO[1..] {
        browsers.insert(who, server.signed_in(&format!("{who}@example.org")).await);
    }
    let http = reqwest::Client::new();
    let mut tokens: HashMap<&str, String> = HashMap::new();
    for who in &WHO[1..] {
        tokens.insert(who, server.token(&format!("{who}@example.org")).await);
    }
    let tomorrow = {
        let z = cowork_core::time::Zone::utc();
        z.local(cowork_server::app::now() + 86_400).date.to_string()
    };
    let owner = server.account("owner@example.org").await;
    let series_form = |slug: &str| -> Vec<(String, String)> {
        let _ = slug;
        [
            ("title", "Planned"),
            ("format", "builtin:focus-50"),
            ("start_date", tomorrow.as_str()),
            ("start_time", "10:00"),
            ("time_zone", "UTC"),
            ("repeat", "weekly"),
            ("place", "online"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let mut n = 2000;
    // path, form, expected for WHO (SIGN_IN for a redirect to sign in)
    let rows: Vec<(&str, &str, [u16; 5])> = vec![
        // A member may offer a coworking day (the default rule), so this call form is refused as a form: no day is online.
        ("/c/{slug}/series/new", "series", [SIGN_IN, 403, 422, 303, 303]),
        ("/c/{slug}/series/{series}/edit", "series+version", [SIGN_IN, 403, 403, 303, 303]),
        ("/s/{session}/edit", "series", [SIGN_IN, 403, 403, 303, 303]),
        ("/s/{session}/cancel", "", [SIGN_IN, 403, 403, 303, 303]),
        ("/s/{session}/rsvp", "", [SIGN_IN, 403, 303, 303, 303]),
        ("/c/{slug}/formats/new", "format", [SIGN_IN, 403, 403, 303, 303]),
    ];
    for (path, kind, expected) in &rows {
        for (i, who) in WHO.iter().enumerate() {
            n += 1;
            let f = fixture(&server, n, "public").await;
            let input = cowork_core::schedule::SeriesInput {
                title: "Fixture".into(),
                format: "builtin:focus-50".into(),
                start_date: tomorrow.clone(),
                start_time: "09:00".into(),
                time_zone: "UTC".into(),
                repeat: "daily".into(),
                ..Default::default()
            };
            let series = server.app().create_series(&owner, &f.slug, &input).await.unwrap();
            let session = server.app().store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
            let community_id = server.app().store.community(&f.slug).await.unwrap().id;
            let before = (
                serde_json::to_string(&server.app().store.series_of(&community_id).await.unwrap()).unwrap(),
                serde_json::to_string(&server.app().store.session(&session.id).await.unwrap()).unwrap(),
                server.app().store.formats(&community_id).await.unwrap().len(),
            );
            let mut form: Vec<(String, String)> = match *kind {
                "series" => series_form(&f.slug),
                "series+version" => {
                    let mut v = series_form(&f.slug);
                    v.push(("version".into(), series.version.to_string()));
                    v
                }
                "format" => vec![("name".into(), "Sprint".into()), ("kind_1".into(), "focus".into()), ("minutes_1".into(), "25".into())],
                _ => vec![],
            };
            if *path == "/s/{session}/edit" {
                form.retain(|(k, _)| k != "repeat");
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let url = fill(path, &f).replace("{series}", &series.id).replace("{session}", &session.id);
            let r = browsers[who].post(&url, &form).await;
            let got = r.status().as_u16();
            if expected[i] == SIGN_IN {
                assert!(got == 303 && location(&r).starts_with("/signin"), "{who} POST {path}: {got}");
            } else {
                assert_eq!(got, expected[i], "{who} POST {path}");
            }
            if got >= 400 || expected[i] == SIGN_IN {
                let after = (
                    serde_json::to_string(&server.app().store.series_of(&community_id).await.unwrap()).unwrap(),
                    serde_json::to_string(&server.app().store.session(&session.id).await.unwrap()).unwrap(),
                    server.app().store.formats(&community_id).await.unwrap().len(),
                );
                assert_eq!(after, before, "{who} POST {path} was refused but changed something");
            }

            // The same through the API.
            let (method, api_path, body, api_expected): (&str, String, serde_json::Value, [u16; 5]) = match *path {
                "/c/{slug}/series/new" => (
                    "POST",
                    format!("/api/v1/communities/{}/series", f.slug),
                    serde_json::json!({"title": "Planned", "format": "builtin:focus-50", "start_date": tomorrow, "start_time": "10:00", "time_zone": "UTC"}),
                    [401, 403, 422, 201, 201],
                ),
                "/c/{slug}/series/{series}/edit" => (
                    "PATCH",
                    format!("/api/v1/communities/{}/series/{}", f.slug, series.id),
                    serde_json::json!({"version": series.version + 1, "title": "Renamed"}),
                    [401, 403, 403, 200, 200],
                ),
                "/s/{session}/edit" => (
                    "PATCH",
                    format!("/api/v1/sessions/{}", session.id),
                    serde_json::json!({"title": "One-off title"}),
                    [401, 403, 403, 200, 200],
                ),
                "/s/{session}/cancel" => {
                    ("POST", format!("/api/v1/sessions/{}/restore", session.id), serde_json::json!({}), [401, 403, 403, 200, 200])
                }
                "/s/{session}/rsvp" => {
                    ("DELETE", format!("/api/v1/sessions/{}/rsvp", session.id), serde_json::json!({}), [401, 404, 204, 204, 204])
                }
                _ => (
                    "POST",
                    format!("/api/v1/communities/{}/formats", f.slug),
                    serde_json::json!({"name": "Api sprint", "phases": [{"kind": "focus", "minutes": 25}]}),
                    [401, 403, 403, 201, 201],
                ),
            };
            let mut req = http.request(method.parse().unwrap(), server.url(&api_path)).json(&body);
            if let Some(t) = tokens.get(who) {
                req = req.bearer_auth(t);
            }
            let got = req.sent().await.status().as_u16();
            // A web edit by an organizer bumped the version once; the API edit sends that version.
            let want = if *path == "/c/{slug}/series/{series}/edit" && i >= 3 && expected[i] != 303 { 409 } else { api_expected[i] };
            assert_eq!(got, want, "{who} {method} {api_path}");
        }
    }
    // Attendance: hosts and up, once the session has begun.
    let f = fixture(&server, 3000, "public").await;
    let input = cowork_core::schedule::SeriesInput {
        title: "Now".into(),
        format: "builtin:focus-50".into(),
        start_date: tomorrow.clone(),
        start_time: "09:00".into(),
        time_zone: "UTC".into(),
        ..Default::default()
    };
    let series = server.app().create_series(&owner, &f.slug, &input).await.unwrap();
    let session = server.app().store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
    let member = server.account("member@example.org").await;
    server.app().store.rsvp(&session.id, &member.id, 1).await.unwrap();
    let url = format!("/s/{}/attendance/{}", session.id, member.id);
    assert_eq!(
        browsers["organizer"].post(&url, &[("attendance", "attended")]).await.status(),
        StatusCode::FORBIDDEN,
        "not before it starts"
    );
    let mut c = session.content.clone();
    c.title = "Started".into();
    server.app().store.update_session(&session.id, &c, cowork_server::app::now() - 60, cowork_server::app::now() + 3000, 1).await.unwrap();
    for (who, status) in [("member", 403), ("outsider", 403), ("organizer", 303), ("owner", 303)] {
        assert_eq!(browsers[who].post(&url, &[("attendance", "no_show")]).await.status().as_u16(), status, "{who} marks attendance");
    }
    assert!(server.app().store.rsvps(&session.id).await.unwrap().iter().any(|r| r.attendance == "no_show"));
}
