//! The live room over real WebSockets: order, resync, bad frames, removal,
//! permissions, the timer, notes and feedback (docs/room-protocol.md).

use crate::support::{Browser, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Ws {
    stream: Stream,
    pub snapshot: Value,
}

/// Opens a room connection as `who`; Err(status) when the upgrade is refused.
pub async fn open(server: &Server, who: &Browser, session: &str) -> Result<Ws, u16> {
    open_at(&server.base, who, session).await
}

/// Opens a room connection as `who` on the server at `base` (http://host:port).
pub async fn open_at(base: &str, who: &Browser, session: &str) -> Result<Ws, u16> {
    open_with(base, session, &[("cookie", format!("cowork_session={}", who.cookie("cowork_session").unwrap()))], "1").await
}

async fn open_with(base: &str, session: &str, headers: &[(&'static str, String)], v: &str) -> Result<Ws, u16> {
    let url = format!("{}/s/{session}/room/ws?v={v}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    for (k, val) in headers {
        req.headers_mut().insert(*k, val.parse().unwrap());
    }
    let connected = tokio_tungstenite::connect_async(req).await;
    match connected {
        Ok((stream, _)) => {
            let mut ws = Ws { stream, snapshot: Value::Null };
            ws.snapshot = ws.next().await;
            if ws.snapshot["type"] == "error" {
                // Refused after the upgrade (too many tabs, removed meanwhile): the caller reads why.
                return Ok(ws);
            }
            assert_eq!(ws.snapshot["type"], "snapshot", "{}", ws.snapshot);
            // People, goals and chat follow in `history` frames, before any event.
            for _ in 0..ws.snapshot["history"].as_u64().unwrap() {
                let h = ws.next().await;
                assert_eq!(h["type"], "history");
                for key in ["people", "goals", "messages"] {
                    if let Some(items) = h[key].as_array() {
                        ws.snapshot[key].as_array_mut().unwrap().extend(items.iter().cloned());
                    }
                }
            }
            Ok(ws)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("connecting: {e}"),
    }
}

impl Ws {
    pub async fn send(&mut self, v: Value) {
        self.stream.send(Message::Text(v.to_string().into())).await.unwrap();
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.stream.send(m).await.unwrap();
    }

    /// The next text frame, as JSON (pongs skipped).
    pub async fn next(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a frame within 10 s")
                .expect("the connection is open")
                .expect("a frame");
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] != "pong" {
                    return v;
                }
            }
        }
    }

    /// Skips frames until one of type `kind`.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next().await;
            if v["type"] == kind {
                return v;
            }
            assert_ne!(v["type"], "error", "waiting for {kind}, got {v}");
        }
    }

    /// Skips frames until an error frame.
    pub async fn next_of_error(&mut self) -> Value {
        loop {
            let v = self.next().await;
            if v["type"] == "error" {
                return v;
            }
        }
    }

    /// Sends, whether or not the connection is still there.
    pub async fn try_send(&mut self, v: Value) -> bool {
        self.stream.send(Message::Text(v.to_string().into())).await.is_ok()
    }

    /// The next text frame, or None once the connection is gone.
    pub async fn next_or_gone(&mut self, wait: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(wait, self.stream.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["type"] != "pong" {
                        return Some(v);
                    }
                }
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }

    /// The close code the server ends with.
    async fn closed(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.stream.next()).await.expect("closes within 10 s") {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    }
}

/// Host and member of a session starting in a minute, both signed in.
pub async fn room_of_two(server: &Server, slug: &str) -> (cowork_store::Session, Browser, Browser) {
    let session = server.live_session("host@example.org", slug, "builtin:weekly-coworking", 60).await;
    let host = server.signed_in("host@example.org").await;
    let member = server.member_of(&session, "member@example.org").await;
    (session, host, member)
}

async fn chats_and_goals(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    while got.len() < n {
        let v = ws.next().await;
        if v["type"] == "chat" || v["type"] == "goal" {
            got.push(v);
        }
    }
    got
}

fn seqs(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["seq"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn two_people_see_the_same_events_in_the_same_order() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "order").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    assert_eq!(a.next_of("joined").await["person"]["name"], "member");
    // Both write at once, interleaved.
    for i in 0..10 {
        a.send(json!({"type": "chat", "text": format!("host {i}")})).await;
        b.send(json!({"type": "goal_add", "text": format!("goal {i}")})).await;
    }
    let ea = chats_and_goals(&mut a, 20).await;
    let eb = chats_and_goals(&mut b, 20).await;
    assert_eq!(ea, eb, "the same frames, in the same order");
    let s = seqs(&ea);
    assert!(s.windows(2).all(|w| w[1] == w[0] + 1), "seq rises by one: {s:?}");
    // Each one's own messages keep the order they were sent in.
    let chats: Vec<&str> = ea.iter().filter(|e| e["type"] == "chat").map(|e| e["message"]["text"].as_str().unwrap()).collect();
    assert_eq!(chats, (0..10).map(|i| format!("host {i}")).collect::<Vec<_>>());
    // And they are kept: a newcomer's snapshot has them.
    let third = server.member_of(&session, "third@example.org").await;
    let c = open(&server, &third, &session.id).await.unwrap();
    assert_eq!(c.snapshot["messages"].as_array().unwrap().len(), 10);
    assert_eq!(c.snapshot["goals"].as_array().unwrap().len(), 10);
    assert_eq!(c.snapshot["people"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_reconnect_resyncs_with_nothing_lost_or_doubled() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "resync").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    b.send(json!({"type": "chat", "text": "before"})).await;
    let first = b.next_of("chat").await;
    let last_seen = first["seq"].as_u64().unwrap();
    // B's connection drops; the room goes on.
    drop(b);
    a.next_of("left").await;
    for i in 0..5 {
        a.send(json!({"type": "chat", "text": format!("while away {i}")})).await;
    }
    for _ in 0..5 {
        a.next_of("chat").await;
    }
    let mut b = open(&server, &member, &session.id).await.unwrap();
    let snap_seq = b.snapshot["seq"].as_u64().unwrap();
    assert!(snap_seq > last_seen);
    a.send(json!({"type": "chat", "text": "after"})).await;
    let after = b.next_of("chat").await;
    assert!(after["seq"].as_u64().unwrap() > snap_seq);
    let mut texts: Vec<String> =
        b.snapshot["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect();
    texts.push(after["message"]["text"].as_str().unwrap().into());
    let expected: Vec<String> =
        ["before".to_string()].into_iter().chain((0..5).map(|i| format!("while away {i}"))).chain(["after".to_string()]).collect();
    assert_eq!(texts, expected, "every message once, in order");
}

#[tokio::test]
async fn bad_frames_get_an_error_frame_and_disturb_nobody() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "badframes").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    let cases: Vec<(Message, &str)> = vec![
        (Message::Text("not json".into()), "bad_json"),
        (Message::Text("[1,2]".into()), "bad_json"),
        (Message::Binary(vec![1u8, 2, 3].into()), "bad_json"),
        (Message::Text(r#"{"type":"dance"}"#.into()), "unknown_type"),
        (Message::Text(r#"{"type":"chat","ref":"c1"}"#.into()), "invalid"),
        (Message::Text(r#"{"type":"chat","text":"   "}"#.into()), "invalid"),
        (Message::Text(json!({"type": "chat", "text": "x".repeat(2001)}).to_string().into()), "invalid"),
        (Message::Text(json!({"type": "chat", "text": "x".repeat(200 * 1024)}).to_string().into()), "too_large"),
        (Message::Text(r#"{"type":"goal_check","id":"nope","outcome":"done"}"#.into()), "not_found"),
        (Message::Text(r#"{"type":"goal_check","id":"x","outcome":"maybe"}"#.into()), "invalid"),
        (Message::Text(r#"{"type":"presence","status":"asleep"}"#.into()), "invalid"),
        (Message::Text(r#"{"type":"timer","action":"pause"}"#.into()), "forbidden"),
        (Message::Text(r#"{"type":"chat_delete","id":"x"}"#.into()), "forbidden"),
        (Message::Text(r#"{"type":"feedback","rating":9}"#.into()), "invalid"),
    ];
    for (frame, code) in cases {
        let shown = format!("{frame:?}").chars().take(80).collect::<String>();
        b.send_raw(frame).await;
        let e = b.next_of("error").await;
        assert_eq!(e["code"], code, "{shown}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    // A field error names the field and echoes the ref.
    b.send(json!({"type": "goal_add", "text": "", "ref": "g1"})).await;
    let e = b.next_of("error").await;
    assert_eq!((e["field"].as_str(), e["ref"].as_str()), (Some("goal"), Some("g1")));
    // The room is fine: the host still talks to the member.
    a.send(json!({"type": "chat", "text": "still here?"})).await;
    assert_eq!(b.next_of("chat").await["message"]["text"], "still here?");
    // A flood is cut down to the rate limit, without closing the connection.
    for i in 0..60 {
        b.send(json!({"type": "presence", "status": if i % 2 == 0 { "away" } else { "focusing" }})).await;
    }
    let mut limited = 0;
    let mut presence = 0;
    while limited + presence < 60 {
        let v = b.next().await;
        match v["type"].as_str() {
            Some("error") if v["code"] == "rate_limited" => limited += 1,
            Some("presence") => presence += 1,
            _ => {}
        }
    }
    assert!(limited >= 20 && presence >= 10, "{limited} refused, {presence} let through");
}

#[tokio::test]
async fn a_removed_participant_cannot_come_back() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "removal").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    let member_id = server.account("member@example.org").await.id;
    // A member may not remove anyone.
    b.send(json!({"type": "remove", "account": a.snapshot["me"]["id"]})).await;
    assert_eq!(b.next_of("error").await["code"], "forbidden");
    a.send(json!({"type": "remove", "account": member_id})).await;
    assert_eq!(a.next_of("removed").await["account"], member_id.as_str());
    assert_eq!(b.next_of("removed").await["account"], member_id.as_str());
    assert_eq!(b.next_of("error").await["code"], "removed");
    assert_eq!(b.closed().await, Some(4003));
    assert_eq!(open(&server, &member, &session.id).await.err(), Some(403));
    // The room page says so too.
    let page = member.get(&format!("/s/{}/room", session.id)).await;
    assert_eq!(page.status().as_u16(), 403);
    assert!(page.text().await.unwrap().contains("removed you from this room"));
    // Not in the people list any more.
    let host_again = open(&server, &host, &session.id).await.unwrap();
    assert!(host_again.snapshot["people"].as_array().unwrap().iter().all(|p| p["id"] != member_id.as_str()));
}

#[tokio::test]
async fn only_those_who_may_attend_come_in_and_only_when_it_is_open() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "doors").await;
    let outsider = server.signed_in("outsider@example.org").await;
    assert_eq!(open(&server, &outsider, &session.id).await.err(), Some(403), "not a member");
    assert_eq!(open_with(&server.base, &session.id, &[], "1").await.err(), Some(401), "not signed in");
    let cookie = format!("cowork_session={}", member.cookie("cowork_session").unwrap());
    let evil = [("cookie", cookie.clone()), ("origin", "https://evil.example".to_string())];
    assert_eq!(open_with(&server.base, &session.id, &evil, "1").await.err(), Some(403), "another site");
    assert_eq!(open_with(&server.base, &session.id, &[("cookie", cookie.clone())], "2").await.err(), Some(400), "unknown protocol");
    // A personal API token works as well as the browser's cookie.
    let token = server.token("member@example.org").await;
    assert!(open_with(&server.base, &session.id, &[("authorization", format!("Bearer {token}"))], "1").await.is_ok());
    // Limited places: only those going (and hosts) come in.
    let mut limited = session.content.clone();
    limited.capacity = 5;
    server.app().store.update_session(&session.id, &limited, session.starts_at, session.ends_at, 2).await.unwrap();
    assert_eq!(open(&server, &member, &session.id).await.err(), Some(403), "not going");
    assert!(open(&server, &host, &session.id).await.is_ok(), "the host always");
    server.app().store.rsvp(&session.id, &server.account("member@example.org").await.id, 3).await.unwrap();
    assert!(open(&server, &member, &session.id).await.is_ok(), "going");
    // Too early: the page says when it opens, the socket is refused.
    let later = server.live_session("host@example.org", "later", "builtin:weekly-coworking", 3600).await;
    let early = server.member_of(&later, "member@example.org").await;
    assert_eq!(open(&server, &early, &later.id).await.err(), Some(409));
    let page = early.get_ok(&format!("/s/{}/room", later.id)).await;
    assert!(page.contains("The room opens at"), "{page}");
    // Cancelled: gone.
    server.app().store.set_session_cancelled(&session.id, true, "", 4).await.unwrap();
    assert_eq!(open(&server, &member, &session.id).await.err(), Some(410));
}

#[tokio::test]
async fn the_host_drives_the_timer_and_everyone_follows() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "timer").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    assert_eq!(a.snapshot["me"]["host"], true);
    assert_eq!(b.snapshot["me"]["host"], false);
    let t = &b.snapshot["timer"];
    assert_eq!(t["anchor_ms"].as_i64().unwrap(), session.starts_at * 1000, "starts by itself at the scheduled time");
    a.send(json!({"type": "timer", "action": "start"})).await;
    let started = b.next_of("timer").await;
    assert_eq!((started["timer"]["phase"].as_i64(), started["timer"]["running"].as_bool()), (Some(0), Some(true)));
    a.send(json!({"type": "timer", "action": "pause"})).await;
    let paused = b.next_of("timer").await;
    assert_eq!((paused["timer"]["running"].as_bool(), paused["action"].as_str()), (Some(false), Some("pause")));
    // Pausing a paused timer changes nothing and sends nothing.
    a.send(json!({"type": "timer", "action": "pause"})).await;
    a.send(json!({"type": "timer", "action": "skip"})).await;
    let skipped = b.next_of("timer").await;
    assert_eq!(skipped["seq"].as_u64().unwrap(), paused["seq"].as_u64().unwrap() + 1);
    assert_eq!(skipped["timer"]["phase"], 1);
    a.send(json!({"type": "timer", "action": "extend", "minutes": 0})).await;
    assert_eq!(a.next_of("error").await["field"], "minutes");
    a.send(json!({"type": "timer", "action": "extend", "minutes": 10})).await;
    let extended = b.next_of("timer").await;
    let phase1 = i64::from(session.content.phases[1].minutes) * 60_000;
    assert_eq!(extended["timer"]["durations_ms"][1].as_i64().unwrap(), phase1 + 600_000);
    // The timer outlives the room being empty: a later snapshot has it paused where it was.
    drop(a);
    drop(b);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = open(&server, &member, &session.id).await.unwrap();
    assert_eq!(c.snapshot["timer"]["running"], false);
    assert_eq!(c.snapshot["timer"]["phase"], 1);
}

#[tokio::test]
async fn notes_edited_at_the_same_time_keep_both_edits() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "notes").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    let notes = a.snapshot["notes"].clone();
    let text = notes["text"].as_str().unwrap().to_string();
    assert!(text.contains("## Sign-up") && text.contains("## Feedback"), "the template: {text}");
    let base = notes["version"].as_i64().unwrap();
    let ours = text.replacen("## Topic proposals\n", "## Topic proposals\n- Ada: grant writing\n", 1);
    let theirs = text.replacen("## Notes and questions\n", "## Notes and questions\n- Sam: how do I cite software?\n", 1);
    a.send(json!({"type": "notes_edit", "base": base, "text": ours, "ref": "n1"})).await;
    b.send(json!({"type": "notes_edit", "base": base, "text": theirs, "ref": "n2"})).await;
    a.next_of("notes").await;
    let second = a.next_of("notes").await;
    let merged = second["text"].as_str().unwrap();
    assert!(merged.contains("- Ada: grant writing") && merged.contains("- Sam: how do I cite software?"), "{merged}");
    assert_eq!(second["version"].as_i64().unwrap(), base + 2);
    // Archived: the notes page of the session shows them.
    let page = member.get_ok(&format!("/s/{}/notes", session.id)).await;
    assert!(page.contains("how do I cite software?"));
    // Edits cost a merge each, so they have a tighter limit of their own.
    for i in 0..12 {
        b.send(json!({"type": "notes_edit", "base": base, "text": format!("flood {i}"), "ref": format!("n{i}")})).await;
    }
    let mut refused = Vec::new();
    let mut saved = 0;
    while refused.len() + saved < 12 {
        let v = b.next().await;
        match v["type"].as_str() {
            Some("error") => refused.push(v),
            Some("notes") => saved += 1,
            _ => {}
        }
    }
    assert!(saved <= 7 && refused.len() >= 5, "{saved} saved");
    assert!(refused.iter().all(|e| e["code"] == "rate_limited" && e["ref"].as_str().is_some_and(|r| r.starts_with('n'))));
}

#[tokio::test]
async fn goals_tables_chat_and_moderation() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "tables").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    // Goals: posted, checked at wrap-up, only by their author.
    b.send(json!({"type": "goal_add", "text": "Draft chapter 2"})).await;
    let goal = a.next_of("goal").await["goal"].clone();
    assert_eq!((goal["name"].as_str(), goal["outcome"].as_str()), (Some("member"), Some("open")));
    a.send(json!({"type": "goal_check", "id": goal["id"], "outcome": "done"})).await;
    assert_eq!(a.next_of("error").await["code"], "not_found", "not the host's goal");
    b.send(json!({"type": "goal_check", "id": goal["id"], "outcome": "partly", "note": "Half of it"})).await;
    let checked = a.next_of("goal").await["goal"].clone();
    assert_eq!((checked["outcome"].as_str(), checked["note"].as_str()), (Some("partly"), Some("Half of it")));
    // A table, its own chat, its video link; closing stands everyone up.
    b.send(json!({"type": "table_propose", "topic": "Grant writing", "video_url": "javascript:alert(1)"})).await;
    assert_eq!(b.next_of("error").await["field"], "video_url");
    b.send(json!({"type": "table_propose", "topic": "Grant writing", "video_url": "https://meet.example.org/grants"})).await;
    let table = a.next_of("table").await["table"].clone();
    assert_eq!(table["video_url"], "https://meet.example.org/grants");
    let phases = &session.content.phases;
    let second_focus = phases.iter().enumerate().filter(|(_, p)| p.kind.as_str() == "focus").nth(1).unwrap().0;
    assert_eq!(table["until_phase"].as_u64().unwrap() as usize, second_focus, "open across two focus blocks");
    assert_eq!(a.next_of("presence").await["person"]["table"], table["id"], "the proposer sits at it");
    a.send(json!({"type": "chat", "text": "hi table", "table": table["id"]})).await;
    assert_eq!(a.next_of("error").await["code"], "forbidden", "not seated there");
    b.send(json!({"type": "chat", "text": "Table *chat* with https://example.org/x and <script>", "table": table["id"]})).await;
    let m = a.next_of("chat").await["message"].clone();
    assert_eq!(m["table"], table["id"]);
    assert!(m["spans"].as_array().unwrap().iter().any(|s| s["t"] == "link" && s["v"] == "https://example.org/x"));
    assert!(m["spans"].as_array().unwrap().iter().any(|s| s["t"] == "bold" && s["v"] == "chat"));
    // Moderation: report (to organizers, by mail), delete.
    a.send(json!({"type": "report", "id": m["id"], "reason": "testing reports", "ref": "rep"})).await;
    assert_eq!(a.next_of("ok").await["ref"], "rep");
    a.send(json!({"type": "report", "id": m["id"], "reason": "testing reports", "ref": "rep2"})).await;
    assert_eq!(a.next_of("ok").await["ref"], "rep2");
    let reports = host.get_ok("/c/tables/reports").await;
    assert!(reports.contains("testing reports") && reports.contains("Table *chat*"));
    assert_eq!(reports.matches("testing reports").count(), 1, "reported once, however often it is sent");
    // The organizers hear of it by mail, once, from the queue.
    server.deliver_jobs().await;
    let mails = server.app().store.outbox(None, 50).await.unwrap();
    let told: Vec<_> = mails.iter().filter(|m| m.subject.starts_with("A message was reported in")).collect();
    assert_eq!(told.len(), 1, "{:?}", mails.iter().map(|m| (&m.to_address, &m.subject)).collect::<Vec<_>>());
    assert!(told[0].body.contains("> Table *chat*") && told[0].body.contains("Reason: testing reports"), "{}", told[0].body);
    assert!(told[0].body.contains("/c/tables/reports"));
    assert_eq!(member.get("/c/tables/reports").await.status().as_u16(), 403);
    a.send(json!({"type": "chat_delete", "id": m["id"]})).await;
    assert_eq!(b.next_of("chat_deleted").await["id"], m["id"]);
    let c = open(&server, &host, &session.id).await.unwrap();
    assert!(c.snapshot["messages"].as_array().unwrap().is_empty(), "deleted for good");
    a.send(json!({"type": "table_close", "id": table["id"]})).await;
    assert_eq!(b.next_of("table").await["table"]["closed"], true);
    assert_eq!(b.next_of("presence").await["person"]["table"], Value::Null);
    b.send(json!({"type": "table_join", "id": table["id"]})).await;
    assert_eq!(b.next_of("error").await["code"], "not_found", "a closed table");
    a.send(json!({"type": "table_open", "id": table["id"]})).await;
    assert_eq!(b.next_of("table").await["table"]["closed"], false);
    b.send(json!({"type": "table_join", "id": table["id"]})).await;
    assert_eq!(b.next_of("presence").await["person"]["table"], table["id"]);
}

#[tokio::test]
async fn feedback_is_seen_by_organizers_and_anonymous_when_asked() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "feedback").await;
    let mut b = open(&server, &member, &session.id).await.unwrap();
    b.send(json!({"type": "feedback", "rating": 2, "comment": "Too loud", "anonymous": false, "ref": "f"})).await;
    assert_eq!(b.next_of("ok").await["ref"], "f");
    // Named feedback given again replaces the first.
    b.send(json!({"type": "feedback", "rating": 4, "comment": "Lovely focus", "anonymous": false})).await;
    b.next_of("ok").await;
    let third = server.member_of(&session, "shy@example.org").await;
    let mut c = open(&server, &third, &session.id).await.unwrap();
    c.send(json!({"type": "feedback", "rating": 3, "comment": "A bit quiet", "anonymous": true})).await;
    c.next_of("ok").await;
    // Anonymous feedback is linked to nobody, so it can't be replaced.
    c.send(json!({"type": "feedback", "rating": 1, "comment": "Changed my mind", "anonymous": true, "ref": "again"})).await;
    let e = c.next_of("error").await;
    assert_eq!((e["code"].as_str(), e["ref"].as_str()), (Some("invalid"), Some("again")));
    let page = host.get_ok(&format!("/s/{}/feedback", session.id)).await;
    assert!(page.contains("Lovely focus") && page.contains("A bit quiet"));
    assert!(!page.contains("Too loud") && !page.contains("Changed my mind"));
    assert!(page.contains("member") && page.contains("Anonymous"));
    assert!(!page.contains("shy"), "anonymous feedback names nobody");
    assert!(page.contains("3.5"), "the average rating");
    let series = host.get_ok(&format!("/c/feedback/series/{}/feedback", session.series_id)).await;
    assert!(series.contains("Lovely focus"));
    assert_eq!(member.get(&format!("/s/{}/feedback", session.id)).await.status().as_u16(), 403);
    // Nothing in the database ties the anonymous answer to its giver.
    let shy = server.account("shy@example.org").await.id;
    let rows: Vec<(Option<String>, String)> = sqlx::query_as("SELECT account_id, comment FROM room_feedback")
        .fetch_all(&sqlx::AnyPool::connect(&server.app().config.database_url).await.unwrap())
        .await
        .unwrap();
    assert!(rows.iter().any(|(a, c)| a.is_none() && c == "A bit quiet"));
    assert!(rows.iter().all(|(a, _)| a.as_deref() != Some(shy.as_str())));
    // The snapshot remembers one's own feedback (and, for anonymous, only that it was given).
    let again = open(&server, &third, &session.id).await.unwrap();
    assert_eq!(again.snapshot["feedback"], json!({"kind": "anonymous"}));
    let named = open(&server, &member, &session.id).await.unwrap();
    assert_eq!(named.snapshot["feedback"]["rating"], 4);
}

#[tokio::test]
async fn chat_older_than_the_retention_is_deleted() {
    let server = Server::start_with(|c| c.chat_retention_days = 1).await;
    let (session, _host, member) = room_of_two(&server, "retention").await;
    let mut b = open(&server, &member, &session.id).await.unwrap();
    b.send(json!({"type": "chat", "text": "keep me a day"})).await;
    b.next_of("chat").await;
    assert_eq!(server.app().purge_old_chat().await.unwrap(), 0, "too young to go");
    let old = cowork_server::app::room::now_ms() - 2 * 86_400_000;
    server.app().store.add_message("oldmessage", &session.id, None, &b.snapshot["me"]["id"].as_str().unwrap(), "old", old).await.unwrap();
    assert_eq!(server.app().purge_old_chat().await.unwrap(), 1);
}

#[tokio::test]
async fn chat_reads_formatting_as_people_type_it() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "formatting").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    b.send(json!({"type": "chat", "text": "*two words*, *bold*. Run `pytest -k` (see https://example.org/docs)."})).await;
    let m = a.next_of("chat").await["message"].clone();
    assert_eq!(
        m["spans"],
        json!([
            {"t": "bold", "v": "two words"}, {"t": "text", "v": ", "}, {"t": "bold", "v": "bold"}, {"t": "text", "v": ". Run "},
            {"t": "code", "v": "pytest -k"}, {"t": "text", "v": " (see "}, {"t": "link", "v": "https://example.org/docs"}, {"t": "text", "v": ")."}
        ])
    );
}

#[tokio::test]
async fn the_room_works_the_same_on_postgresql() {
    let server = Server::start_on("postgres").await;
    let (session, host, member) = room_of_two(&server, "pg-room").await;
    let mut a = open(&server, &host, &session.id).await.unwrap();
    let mut b = open(&server, &member, &session.id).await.unwrap();
    b.send(json!({"type": "goal_add", "text": "Review a pull request"})).await;
    let goal = a.next_of("goal").await["goal"].clone();
    b.send(json!({"type": "goal_check", "id": goal["id"], "outcome": "done"})).await;
    assert_eq!(a.next_of("goal").await["goal"]["outcome"], "done");
    a.send(json!({"type": "chat", "text": "hello from PostgreSQL"})).await;
    b.next_of("chat").await;
    a.send(json!({"type": "timer", "action": "start"})).await;
    b.next_of("timer").await;
    let base = b.snapshot["notes"]["version"].as_i64().unwrap();
    b.send(json!({"type": "notes_edit", "base": base, "text": "# Ours"})).await;
    assert_eq!(a.next_of("notes").await["version"].as_i64().unwrap(), base + 1);
    b.send(json!({"type": "feedback", "rating": 5, "comment": "", "anonymous": true})).await;
    b.next_of("ok").await;
    b.send(json!({"type": "table_propose", "topic": "Docs"})).await;
    a.next_of("table").await;
    a.send(json!({"type": "remove", "account": goal["account"]})).await;
    assert_eq!(b.next_of("error").await["code"], "removed");
    let page = host.get_ok(&format!("/s/{}/feedback", session.id)).await;
    assert!(page.contains("Anonymous"));
    let history = member.get_ok("/me/history").await;
    assert!(history.contains("Review a pull request"));
}

#[tokio::test]
async fn long_chat_reaches_a_newcomer_in_small_frames_in_order() {
    let server = Server::start().await;
    let (session, _host, member) = room_of_two(&server, "history").await;
    let author = server.account("host@example.org").await.id;
    let at = cowork_server::app::room::now_ms() - 60_000;
    for i in 0..150 {
        let text = format!("message {i:03} {}", "x".repeat(200));
        server.app().store.add_message(&format!("m{i:03}"), &session.id, None, &author, &text, at + i).await.unwrap();
    }
    let b = open(&server, &member, &session.id).await.unwrap();
    assert!(b.snapshot["history"].as_u64().unwrap() >= 3, "split into frames of about 8 KB");
    let texts: Vec<String> =
        b.snapshot["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()[..11].to_string()).collect();
    assert_eq!(texts, (0..150).map(|i| format!("message {i:03}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_notes_page_leaves_out_the_templates_empty_bullets() {
    let server = Server::start().await;
    let (session, host, member) = room_of_two(&server, "notes-page").await;
    let mut b = open(&server, &member, &session.id).await.unwrap();
    let notes = b.snapshot["notes"].clone();
    let text = notes["text"].as_str().unwrap().replacen("- \n", "- Ada (she/her)\n", 1);
    b.send(json!({"type": "notes_edit", "base": notes["version"], "text": text})).await;
    b.next_of("notes").await;
    let page = host.get_ok(&format!("/s/{}/notes", session.id)).await;
    assert!(page.contains("<li>Ada (she/her)</li>"), "{page}");
    assert!(page.contains("<li>What are you working on today?</li>"));
    assert!(!page.contains("<li></li>"), "no empty bullets: {page}");
}
