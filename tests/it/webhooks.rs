//! Webhooks as an organizer's chat tools meet them: a local server in the
//! test receives Slack, Discord, Matrix and generic deliveries and checks
//! their documented shapes and the Standard Webhooks signature; bad URLs are
//! refused on the form and never called.

use crate::support::{SendChecked, Server};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("JSON body: {}", self.body))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Ok,
    Fail,
    Redirect,
    /// Never answers (the client must time out).
    Hang,
}

/// A chat tool's webhook server on 127.0.0.1:0.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) base: String,
    got: Arc<Mutex<Vec<Received>>>,
    answer: Arc<Mutex<Answer>>,
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let r = Receiver { base, got: Default::default(), answer: Arc::new(Mutex::new(Answer::Ok)) };
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = stream.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let first: Vec<&str> = lines.next().unwrap().split(' ').collect();
                    let headers: HashMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while buf.len() < head_end + len {
                        let n = stream.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                    me.got.lock().unwrap().push(Received { method: first[0].into(), path: first[1].into(), headers, body });
                    let answer = *me.answer.lock().unwrap();
                    let reply = match answer {
                        Answer::Ok => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_string(),
                        Answer::Fail => {
                            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndown".to_string()
                        }
                        Answer::Redirect => {
                            format!(
                                "HTTP/1.1 302 Found\r\nlocation: {}/followed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                                me.base
                            )
                        }
                        Answer::Hang => {
                            // Holds the connection open without a word until the client gives up.
                            let _ = stream.read(&mut chunk).await;
                            return;
                        }
                    };
                    let _ = stream.write_all(reply.as_bytes()).await;
                });
            }
        });
        r
    }
    fn answer(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }
    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
    /// Deliveries other than the test message sent at creation.
    fn events(&self) -> Vec<Received> {
        self.got().into_iter().filter(|r| !r.body.contains("is now connected") && !r.body.contains("webhook.test")).collect()
    }
}

/// A server whose webhooks may call loopback (the receiver), with a short timeout.
async fn server() -> Server {
    server_on("sqlite").await
}

async fn server_on(backend: &str) -> Server {
    Server::start_on_with(backend, |c| {
        c.allow_private_webhooks = true;
        c.webhook_timeout = std::time::Duration::from_secs(1);
    })
    .await
}

/// Runs the jobs due now (later ones, like next Monday's schedule, wait),
/// and waits for any the server's own runner took meanwhile (bounded).
async fn run_due(server: &Server) {
    for _ in 0..500 {
        server.app().run_due_jobs().await;
        let store = &server.app().store;
        let due = store.next_job_due().await.unwrap().is_some_and(|t| t <= server.app().now());
        if !due && store.job_counts().await.unwrap().running == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("jobs still due or running after 5 s");
}

async fn add(server: &Server, token: &str, slug: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new().post(server.url(&format!("/api/v1/communities/{slug}/webhooks"))).bearer_auth(token).json(&body).sent().await
}

fn series_input() -> cowork_core::schedule::SeriesInput {
    let tomorrow = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date().tomorrow().unwrap().to_string();
    cowork_core::schedule::SeriesInput {
        title: "Writing <Sprint> @everyone".into(),
        format: "builtin:weekly-coworking".into(),
        start_date: tomorrow,
        start_time: "09:00".into(),
        time_zone: "Europe/London".into(),
        video_url: "https://meet.example.org/w".into(),
        ..Default::default()
    }
}

fn verify_standard_webhooks(secret: &str, r: &Received) {
    let id = &r.headers["webhook-id"];
    let ts = &r.headers["webhook-timestamp"];
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{}", r.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert!(r.headers["webhook-signature"].split(' ').any(|s| s == expected), "signature of {id} verifies");
}

#[tokio::test]
async fn slack_discord_matrix_and_generic_endpoints_each_hear_of_a_new_series_and_a_cancellation_in_their_own_shape() {
    let server = server().await;
    let (slack, discord, matrix, generic) =
        (Receiver::start().await, Receiver::start().await, Receiver::start().await, Receiver::start().await);
    server.community("org@example.org", "hooked", "public", "open").await;
    let token = server.token("org@example.org").await;
    let events = json!(["series.created", "session.cancelled"]);
    for (kind, url, extra) in [
        ("slack", format!("{}/services/T0/B0/x", slack.base), json!({})),
        ("discord", format!("{}/api/webhooks/1/abc", discord.base), json!({})),
        (
            "matrix",
            format!("{}/_matrix/client/v3/rooms/!room:example.org/send/m.room.message", matrix.base),
            json!({"token": "syt_secret"}),
        ),
    ] {
        let mut body = json!({"kind": kind, "url": url, "events": events});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let r = add(&server, &token, "hooked", body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{kind}");
        let created: Value = r.json().await.unwrap();
        assert!(created["secret"].is_null(), "only generic endpoints get a signing secret");
    }
    let r = add(&server, &token, "hooked", json!({"kind": "generic", "url": format!("{}/in", generic.base), "events": events})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let secret = r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    // Each got its test message at creation.
    for rx in [&slack, &discord, &matrix, &generic] {
        assert_eq!(rx.got().len(), 1);
    }
    verify_standard_webhooks(&secret, &generic.got()[0]);

    // When: a series is planned, then its first session cancelled.
    let org = server.account("org@example.org").await;
    let series = server.app().create_series(&org, "hooked", &series_input()).await.unwrap();
    run_due(&server).await;
    let session = server.app().store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
    server.app().cancel_session(&org, &session.id, true, "The library is closed").await.unwrap();
    run_due(&server).await;

    // Slack: text and blocks, people's angle brackets escaped.
    let s = slack.events();
    assert_eq!(s.len(), 2, "{s:?}");
    let new = s[0].json();
    assert!(new["text"].as_str().unwrap().contains("Writing &lt;Sprint&gt;"), "{new}");
    assert_eq!(new["blocks"][0]["type"], "section");
    assert_eq!(new["blocks"][0]["text"]["type"], "mrkdwn");
    assert!(new["blocks"][0]["text"]["text"].as_str().unwrap().contains(&format!("<{}/s/{}|", server.app().config.base_url, session.id)));
    assert!(s[1].json()["text"].as_str().unwrap().contains("The library is closed"));
    // Discord: content and embeds, and no mention may ping anyone.
    let d = discord.events();
    assert_eq!(d.len(), 2);
    let new = d[0].json();
    assert!(new["content"].as_str().unwrap().contains("@everyone"));
    assert_eq!(new["allowed_mentions"], json!({"parse": []}));
    assert_eq!(new["embeds"][0]["url"], format!("{}/s/{}", server.app().config.base_url, session.id));
    // Matrix: PUT to the send URL with a transaction id, the token as bearer, m.text with HTML.
    let m = matrix.events();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].method, "PUT");
    assert!(m[0].path.starts_with("/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/msg_"), "{}", m[0].path);
    assert_ne!(m[0].path, m[1].path, "each message its own transaction id");
    assert_eq!(m[0].headers["authorization"], "Bearer syt_secret");
    let new = m[0].json();
    assert_eq!(new["msgtype"], "m.text");
    assert_eq!(new["format"], "org.matrix.custom.html");
    assert!(new["formatted_body"].as_str().unwrap().contains("Writing &lt;Sprint&gt;"));
    assert!(new["body"].as_str().unwrap().contains("Writing <Sprint>"));
    // Generic: a signed event.
    let g = generic.events();
    assert_eq!(g.len(), 2);
    for r in &g {
        verify_standard_webhooks(&secret, r);
    }
    assert_eq!(g[0].json()["type"], "series.created");
    assert_eq!(g[1].json()["type"], "session.cancelled");
    assert_eq!(g[1].json()["data"]["session_id"], session.id.as_str());
    assert!(g[1].json()["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_webhook_id_and_an_endpoint_failing_for_a_day_is_turned_off() {
    retried_then_turned_off("sqlite").await;
}

#[tokio::test]
async fn a_failed_delivery_is_retried_and_an_endpoint_failing_for_a_day_is_turned_off_on_postgres() {
    retried_then_turned_off("postgres").await;
}

async fn retried_then_turned_off(backend: &str) {
    let server = server_on(backend).await;
    let rx = Receiver::start().await;
    server.community("org@example.org", "flaky", "public", "open").await;
    let org_browser = server.signed_in("org@example.org").await;
    let token = server.token("org@example.org").await;
    let r = add(&server, &token, "flaky", json!({"kind": "generic", "url": format!("{}/in", rx.base), "events": ["series.created"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    rx.answer(Answer::Fail);
    let org = server.account("org@example.org").await;
    server.app().create_series(&org, "flaky", &series_input()).await.unwrap();
    run_due(&server).await;
    // An hour later the retry comes, and then it works.
    server.app().clock.advance(3600);
    run_due(&server).await;
    rx.answer(Answer::Ok);
    server.app().clock.advance(3600);
    run_due(&server).await;
    let got = rx.events();
    assert_eq!(got.len(), 3, "two failures and a success");
    assert!(got.iter().all(|r| r.headers["webhook-id"] == got[0].headers["webhook-id"]), "a retry is recognisably the same message");
    assert!(got.iter().all(|r| r.headers["webhook-signature"].starts_with("v1,")));

    // Then it fails from one series to the next for a day.
    rx.answer(Answer::Fail);
    let mut input = series_input();
    input.title = "Second series".into();
    server.app().create_series(&org, "flaky", &input).await.unwrap();
    run_due(&server).await;
    assert!(org_browser.get_ok("/c/flaky/webhooks").await.contains("failing since"));
    server.app().clock.advance(25 * 3600);
    run_due(&server).await;
    let page = org_browser.get_ok("/c/flaky/webhooks").await;
    assert!(page.contains("turned off"), "{page}");
    assert!(page.contains("The server answered 500"));
    let mails = server.app().store.outbox(Some("org@example.org"), 10).await.unwrap();
    assert!(mails.iter().any(|m| m.subject.contains("was turned off") && m.body.contains("/c/flaky/webhooks")), "the organizer is told");
    // Turned off, it hears nothing more; turned back on, it does.
    let before = rx.got().len();
    input.title = "Third series".into();
    server.app().create_series(&org, "flaky", &input).await.unwrap();
    run_due(&server).await;
    assert_eq!(rx.got().len(), before);
}

#[tokio::test]
async fn a_session_starting_in_ten_minutes_is_posted_with_its_room_link_and_a_moved_session_is_posted_once_at_its_new_time() {
    let server = server().await;
    let rx = Receiver::start().await;
    let session = server.live_session("org@example.org", "soon", "builtin:weekly-coworking", 3600).await;
    let token = server.token("org@example.org").await;
    let url = format!("{}/hooks/slack", rx.base);
    assert_eq!(
        add(&server, &token, "soon", json!({"kind": "slack", "url": url, "events": ["session.starting"]})).await.status(),
        StatusCode::CREATED
    );
    // Moved half an hour later before anything was posted.
    let moved = session.starts_at + 1800;
    server.app().store.update_session(&session.id, &session.content, moved, moved + 3600, server.app().now()).await.unwrap();
    server.app().clock.set(session.starts_at - 600);
    run_due(&server).await;
    assert!(rx.events().is_empty(), "nothing at the old time");
    server.app().clock.set(moved - 600);
    run_due(&server).await;
    let got = rx.events();
    assert_eq!(got.len(), 1, "{got:?}");
    let text = got[0].json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("starts in 10 minutes"), "{text}");
    assert!(text.contains(&format!("{}/s/{}/room", server.app().config.base_url, session.id)), "{text}");
}

#[tokio::test]
async fn bad_webhook_urls_get_a_clear_error_beside_the_field_and_are_never_called() {
    let server = server().await;
    let rx = Receiver::start().await;
    server.community("org@example.org", "careful", "public", "open").await;
    let org = server.signed_in("org@example.org").await;
    let post = |url: String| {
        let org = &org;
        async move {
            let r = org.post("/c/careful/webhooks", &[("kind", "generic"), ("url", &url), ("ev_series", "on")]).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
            r.text().await.unwrap()
        }
    };
    assert!(post("ftp://example.org/hook".into()).await.contains("Use an http:// or https:// URL."));
    rx.answer(Answer::Redirect);
    let page = post(format!("{}/moved", rx.base)).await;
    assert!(page.contains("answered 302"), "a redirect is an error");
    assert!(page.contains("id=\"e-url\""), "beside the field");
    rx.answer(Answer::Hang);
    assert!(post(format!("{}/slow", rx.base)).await.contains("No answer within a second."));
    let paths: Vec<String> = rx.got().iter().map(|r| r.path.clone()).collect();
    assert!(!paths.contains(&"/followed".to_string()), "the redirect was not followed: {paths:?}");
    assert!(!org.get_ok("/c/careful/webhooks").await.contains("<h2>Endpoints</h2>"), "nothing saved");

    // With private addresses not allowed (the default), loopback is never called.
    let strict = Server::start().await;
    strict.community("org@example.org", "strict", "public", "open").await;
    let org = strict.signed_in("org@example.org").await;
    let before = rx.got().len();
    for url in
        [format!("{}/in", rx.base), "http://localhost:9/in".to_string(), "http://[::1]/in".into(), "http://169.254.169.254/latest".into()]
    {
        let r = org.post("/c/strict/webhooks", &[("kind", "slack"), ("url", &url), ("ev_series", "on")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("private or local address"), "{url}");
    }
    assert_eq!(rx.got().len(), before, "never called");
}

#[tokio::test]
async fn only_organizers_and_owners_manage_webhooks() {
    let server = server().await;
    let c = server.community("org@example.org", "roles", "public", "open").await;
    for (email, role) in [("mem@example.org", "member"), ("host@example.org", "host")] {
        let a = server.account(email).await;
        server.app().store.add_member(&c.id, &a.id, false, 1).await.unwrap();
        if role == "host" {
            server.app().store.set_member_role(&c.id, &a.id, cowork_core::permissions::Role::Host).await.unwrap();
        }
        let b = server.signed_in(email).await;
        assert_eq!(b.get("/c/roles/webhooks").await.status(), StatusCode::FORBIDDEN, "{role}");
        let r = b.post("/c/roles/webhooks", &[("kind", "slack"), ("url", "https://example.org/x"), ("ev_series", "on")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
        let token = server.token(email).await;
        let r = reqwest::Client::new().get(server.url("/api/v1/communities/roles/webhooks")).bearer_auth(&token).sent().await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
    }
    let owner = server.signed_in("org@example.org").await;
    assert!(owner.get_ok("/c/roles/webhooks").await.contains("Send a test message and save"));
}

#[tokio::test]
async fn the_weeks_schedule_is_posted_on_monday_morning_in_the_community_zone_and_the_next_one_queued() {
    let server = server().await;
    let rx = Receiver::start().await;
    // The fixture's community is in Europe/London; a session tomorrow at 09:00 there.
    let session = server.live_session("org@example.org", "weekly", "builtin:weekly-coworking", 0).await;
    let org = server.account("org@example.org").await;
    let series = server.app().create_series(&org, "weekly", &series_input()).await.unwrap();
    let first = server.app().store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
    let token = server.token("org@example.org").await;
    let url = format!("{}/discord", rx.base);
    assert_eq!(
        add(&server, &token, "weekly", json!({"kind": "discord", "url": url, "events": ["schedule.weekly"]})).await.status(),
        StatusCode::CREATED
    );
    let queued = server.app().store.jobs_of_kind("webhook.event", 10).await.unwrap();
    assert_eq!(queued.len(), 1);
    let monday = jiff::Timestamp::from_second(queued[0].run_at).unwrap().to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap());
    assert_eq!((monday.weekday(), monday.hour(), monday.minute()), (jiff::civil::Weekday::Monday, 8, 0), "Monday 08:00 in London");
    // A week of sessions from that Monday: put the series' first one in it.
    let at = queued[0].run_at + 3600;
    server.app().store.update_session(&first.id, &first.content, at, at + 3600, server.app().now()).await.unwrap();
    server.app().clock.set(queued[0].run_at);
    run_due(&server).await;
    let got = rx.events();
    assert_eq!(got.len(), 1, "{got:?}");
    let body = got[0].json();
    assert_eq!(body["content"], "This week in Community weekly");
    assert!(body["embeds"][0]["description"].as_str().unwrap().contains("Writing <Sprint> @everyone"), "{body}");
    assert_eq!(body["allowed_mentions"], json!({"parse": []}));
    let _ = session;
    // The next Monday's is queued.
    let next = server.app().store.jobs_of_kind("webhook.event", 10).await.unwrap();
    assert!(next.iter().any(|j| j.status == "queued" && j.run_at == queued[0].run_at + 7 * 86_400), "{next:?}");
}

#[tokio::test]
async fn the_api_lists_turns_off_and_deletes_an_endpoint_and_refuses_a_bad_one_with_the_field_named() {
    let server = server().await;
    let rx = Receiver::start().await;
    server.community("org@example.org", "scripted", "public", "open").await;
    let token = server.token("org@example.org").await;
    let http = reqwest::Client::new();
    let r = add(&server, &token, "scripted", json!({"kind": "slack", "url": "gopher://example.org", "events": ["series.created"]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["fields"][0]["field"], "url", "{e}");
    let r = add(&server, &token, "scripted", json!({"kind": "slack", "url": format!("{}/s", rx.base), "events": []})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = add(&server, &token, "scripted", json!({"kind": "slack", "url": format!("{}/s", rx.base), "events": ["series.created"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["webhook"]["id"].as_str().unwrap().to_string();
    let list: Value = http.get(server.url("/api/v1/communities/scripted/webhooks")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert!(list["items"][0].get("secret").is_none(), "no secret in a listing");
    let path = format!("/api/v1/communities/scripted/webhooks/{id}");
    let r = http.patch(server.url(&path)).bearer_auth(&token).json(&json!({"enabled": false})).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["webhook"]["enabled"], false);
    assert_eq!(http.delete(server.url(&path)).bearer_auth(&token).sent().await.status(), StatusCode::NO_CONTENT);
    assert_eq!(http.delete(server.url(&path)).bearer_auth(&token).sent().await.status(), StatusCode::NOT_FOUND);
}
