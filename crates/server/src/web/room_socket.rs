//! The WebSocket each open room page keeps (docs/room-protocol.md). The
//! connection loop reads frames, checks their size, rate and shape, and
//! hands each to `App::room_command`; it forwards the room's events and
//! resyncs a connection that fell behind.

use super::{Path, SESSION_COOKIE};
use crate::api::ApiError;
use crate::app::room::{now_ms, Broadcast, Command, Entry, Participant, Reply, Room, Snapshot, COMMANDS, PROTOCOL};
use crate::app::{App, AppError};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn routes() -> Router<App> {
    Router::new().route("/s/{id}/room/ws", get(socket))
}

/// A frame larger than this gets an error frame; notes are the largest (100 KB).
const MAX_FRAME: usize = 128 * 1024;
/// Larger than this, the connection is closed by the WebSocket layer itself.
const HARD_MAX_FRAME: usize = 256 * 1024;
/// Per connection: a burst of this many frames, then this many per second.
const BURST: f64 = 30.0;
const PER_SECOND: f64 = 10.0;
/// Notes edits cost a merge each: fewer of them (the page sends at most ~2/s).
const NOTES_BURST: f64 = 5.0;
const NOTES_PER_SECOND: f64 = 2.0;
/// A client that does not read for this long is dropped (its events would pile up).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Who opens a connection: the browser's session, or a personal API token.
/// A browser connection must come from this site (no cross-site WebSocket).
struct RoomUser(cowork_store::Account);

impl FromRequestParts<App> for RoomUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(RoomUser(crate::api::ApiUser::from_request_parts(parts, app).await?.0));
        }
        if !same_origin(&parts.headers, &app.config.base_url) {
            return Err(AppError::Forbidden("This room can only be opened from its own site.".into()).into());
        }
        match super::cookie(&parts.headers, SESSION_COOKIE) {
            Some(t) if !t.is_empty() && t.len() <= 128 => {
                app.session_account(&t).await?.map(RoomUser).ok_or(AppError::Unauthenticated.into())
            }
            _ => Err(AppError::Unauthenticated.into()),
        }
    }
}

/// No Origin (not a browser) or the site's own; the Host header stands in
/// when no base URL was configured.
fn same_origin(h: &HeaderMap, base_url: &str) -> bool {
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin == base_url.trim_end_matches('/') || origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Version {
    v: String,
}

async fn socket(
    State(app): State<App>,
    RoomUser(me): RoomUser,
    Path(id): Path<String>,
    super::Query(q): super::Query<Version>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    if q.v != PROTOCOL.to_string() {
        return Ok(crate::api::error(
            StatusCode::BAD_REQUEST,
            "protocol",
            &format!("This server speaks version {PROTOCOL} of the room protocol: connect with ?v={PROTOCOL}."),
            json!([]),
        ));
    }
    let entry = app.room_entry(&me, &id).await?;
    if !entry.is_open(now_ms()) {
        return Ok(crate::api::error(StatusCode::CONFLICT, "closed", "The room is not open now.", json!([])));
    }
    Ok(ws
        .max_message_size(HARD_MAX_FRAME)
        .max_frame_size(HARD_MAX_FRAME)
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(app, Box::new(entry), socket)))
}

/// The room's events, as this connection receives them.
type Events = tokio::sync::broadcast::Receiver<Arc<Broadcast>>;

/// A refusal of one frame: an error frame, nothing else.
struct Refusal {
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Refusal { code, message: message.into(), field: None }
    }
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(i) => {
                let first = i.0.first();
                Refusal {
                    code: "invalid",
                    message: first.map(|f| f.message.clone()).unwrap_or_else(|| "That is not valid.".into()),
                    field: first.map(|f| f.field.to_string()),
                }
            }
            AppError::NotFound => Refusal::new("not_found", "That is not in this room."),
            AppError::Forbidden(m) => Refusal::new("forbidden", m),
            AppError::RateLimited => Refusal::new("rate_limited", "Too many messages; slow down."),
            AppError::Unauthenticated => Refusal::new("forbidden", "Sign in again."),
            AppError::Gone(m) | AppError::Conflict(m) => Refusal::new("invalid", m),
            AppError::SlowDown => {
                Refusal::new("slow_down", "The room is very busy; that was not saved. Send it again in a moment, and a little less often.")
            }
            AppError::Unavailable => {
                Refusal::new("unavailable", "The database is not answering; that was not saved. Try again in a moment.")
            }
            AppError::Internal(_) => Refusal::new("internal", "Something went wrong on our side. It has been logged; try again."),
        }
    }
}

fn error_frame(r: &Refusal, r#ref: Option<&str>) -> String {
    json!({ "type": "error", "code": r.code, "message": r.message, "field": r.field, "ref": r#ref }).to_string()
}

/// Reads one text frame: its `ref` and command, or why it is refused.
fn parse(text: &str) -> (Option<String>, Result<Command, Refusal>) {
    if text.len() > MAX_FRAME {
        return (None, Err(Refusal::new("too_large", format!("A frame is at most {} KiB.", MAX_FRAME / 1024))));
    }
    let v: Value = match serde_json::from_str(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => return (None, Err(Refusal::new("bad_json", "Send one JSON object per frame."))),
    };
    let r#ref = match v.get("ref") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= 40 => Some(s.clone()),
        Some(_) => {
            return (
                None,
                Err(Refusal { code: "invalid", message: "ref is a string of at most 40 characters.".into(), field: Some("ref".into()) }),
            )
        }
    };
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    if !COMMANDS.contains(&kind) {
        return (r#ref, Err(Refusal::new("unknown_type", format!("Unknown message type {kind:?}; see docs/room-protocol.md."))));
    }
    // Checked once here, for every command: PostgreSQL refuses NUL in text, SQLite
    // would store it, so both must be told the same before anything is written.
    if let Some(field) = nul_in(&v) {
        return (r#ref, Err(Refusal { code: "invalid", message: "Text can't contain NUL characters.".into(), field: Some(field) }));
    }
    let cmd = serde_json::from_value::<Command>(v)
        .map_err(|e| Refusal::new("invalid", format!("A field is missing or has the wrong type: {e}.")));
    (r#ref, cmd)
}

/// The field of the first string (or key) holding a NUL character, if any.
fn nul_in(v: &Value) -> Option<String> {
    fn walk(v: &Value, field: &str) -> Option<String> {
        match v {
            Value::String(s) => s.contains('\0').then(|| field.to_string()),
            Value::Array(a) => a.iter().find_map(|x| walk(x, field)),
            Value::Object(o) => o.iter().find_map(|(k, x)| if k.contains('\0') { Some("type".into()) } else { walk(x, k) }),
            _ => None,
        }
    }
    walk(v, "type")
}

/// Frames a connection may still send: a token bucket.
struct Bucket {
    tokens: f64,
    at: Instant,
    burst: f64,
    per_second: f64,
}

impl Bucket {
    fn new(burst: f64, per_second: f64) -> Self {
        Bucket { tokens: burst, at: Instant::now(), burst, per_second }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.per_second).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn send(socket: &mut WebSocket, text: impl Into<Utf8Bytes>) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await, Ok(Ok(())))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() })))).await;
}

/// Sends a snapshot's frames; false if the connection is gone.
async fn send_snapshot(socket: &mut WebSocket, snapshot: Snapshot, seq: &mut u64) -> bool {
    *seq = snapshot.seq;
    for frame in snapshot.frames {
        if !send(socket, frame).await {
            return false;
        }
    }
    true
}

/// One connection, for as long as it lasts: thousands are open at once, so
/// what it keeps is kept small (the way in and rare work are boxed).
async fn connection(app: App, entry: Box<Entry>, mut socket: WebSocket) {
    let joined = Box::pin(app.join_room(&entry)).await;
    // Only who they are is kept for the connection's life: the session and
    // community it was let in with (a code of conduct, a description) go now.
    let who: Participant = {
        let entry = *entry;
        entry.participant
    };
    let joined = match joined {
        Ok(j) => j,
        Err(e) => {
            let _ = send(&mut socket, error_frame(&e.into(), None)).await;
            close(&mut socket, 1011, "could not open the room").await;
            return;
        }
    };
    let room = joined.room;
    let mut events = joined.events;
    let mut seq = 0;
    if send_snapshot(&mut socket, joined.snapshot, &mut seq).await {
        run(&app, &room, &who, &mut socket, &mut events, &mut seq).await;
    }
    Box::pin(app.leave_room(&room, &who)).await;
}

async fn run(app: &App, room: &Arc<Room>, who: &Participant, socket: &mut WebSocket, events: &mut Events, seq: &mut u64) {
    use tokio::sync::broadcast::error::RecvError;
    let mut bucket = Bucket::new(BURST, PER_SECOND);
    let mut notes_bucket = Bucket::new(NOTES_BURST, NOTES_PER_SECOND);
    let mut closing = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let text = match frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        app.metrics.room_errors.inc();
                        if !send(socket, error_frame(&Refusal::new("bad_json", "Send JSON as text frames."), None)).await { return; }
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                };
                let (r#ref, cmd) = parse(text.as_str());
                let over = !bucket.take() || (matches!(cmd, Ok(Command::NotesEdit { .. })) && !notes_bucket.take());
                let cmd = if over { Err(Refusal::new("rate_limited", "Too many messages; slow down.")) } else { cmd };
                let answer = match cmd {
                    Ok(Command::Ping { t }) => Some(json!({ "type": "pong", "t": t, "server_ms": now_ms() }).to_string()),
                    Ok(cmd) => match Box::pin(app.room_command(room, who, cmd, r#ref.as_deref())).await {
                        Ok(Reply::Nothing) => None,
                        Ok(Reply::Ok) => Some(json!({ "type": "ok", "ref": r#ref }).to_string()),
                        Err(e) => Some(refuse(app, &e.into(), r#ref.as_deref())),
                    },
                    Err(refusal) => Some(refuse(app, &refusal, r#ref.as_deref())),
                };
                if let Some(a) = answer {
                    if !send(socket, a).await { return; }
                }
            }
            event = events.recv() => match event {
                Ok(e) if e.resync => {
                    if !Box::pin(resync(app, room, who, socket, events, seq)).await { return; }
                }
                Ok(e) => {
                    if e.seq <= *seq { continue; }
                    *seq = e.seq;
                    let closing = e.closes.as_ref().filter(|c| c.account == who.account.id);
                    if !send(socket, e.json.as_ref()).await { return; }
                    if let Some(c) = closing {
                        let _ = send(socket, error_frame(&Refusal::new(c.code, c.message.clone()), None)).await;
                        close(socket, 4003, if c.code == "removed" { "removed" } else { "not allowed" }).await;
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // Fell behind: start again from a snapshot rather than skip events.
                    if !Box::pin(resync(app, room, who, socket, events, seq)).await { return; }
                }
                Err(RecvError::Closed) => return,
            },
            _ = closing.tick() => {
                if app.room_closes_at(room).await.is_some_and(|at| now_ms() >= at) {
                    let _ = send(socket, error_frame(&Refusal::new("closed", "The room has closed. Thank you for coworking!"), None)).await;
                    close(socket, 4000, "closed").await;
                    return;
                }
            }
        }
    }
}

/// Starts the connection again from a fresh snapshot; false if it is over.
async fn resync(app: &App, room: &Arc<Room>, who: &Participant, socket: &mut WebSocket, events: &mut Events, seq: &mut u64) -> bool {
    match Box::pin(app.resync_room(room, who)).await {
        Ok((snapshot, rx)) => {
            *events = rx;
            send_snapshot(socket, snapshot, seq).await
        }
        Err(e) => {
            let _ = send(socket, error_frame(&e.into(), None)).await;
            close(socket, 4003, "not allowed").await;
            false
        }
    }
}

fn refuse(app: &App, r: &Refusal, r#ref: Option<&str>) -> String {
    app.metrics.room_errors.inc();
    if r.code == "slow_down" {
        app.metrics.room_slow_downs.inc();
    }
    error_frame(r, r#ref)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_strictly() {
        assert_eq!(parse("nope").1.err().unwrap().code, "bad_json");
        assert_eq!(parse("[1]").1.err().unwrap().code, "bad_json");
        assert_eq!(parse(r#"{"type":"dance"}"#).1.err().unwrap().code, "unknown_type");
        let (r, c) = parse(r#"{"type":"chat","ref":"a1"}"#);
        assert_eq!((r.as_deref(), c.err().unwrap().code), (Some("a1"), "invalid"));
        assert!(matches!(parse(r#"{"type":"chat","text":"hi"}"#).1, Ok(Command::Chat { .. })));
        assert_eq!(parse(&format!(r#"{{"type":"chat","text":"{}"}}"#, "x".repeat(MAX_FRAME))).1.err().unwrap().code, "too_large");
        let nul = parse(r#"{"type":"notes_edit","base":1,"text":"a\u0000b"}"#).1.err().unwrap();
        assert_eq!((nul.code, nul.field.as_deref()), ("invalid", Some("text")));
    }

    #[test]
    fn only_the_sites_own_pages_open_a_room_with_its_cookie() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h, "https://cowork.example"));
        h.insert(header::ORIGIN, "https://cowork.example".parse().unwrap());
        assert!(same_origin(&h, "https://cowork.example"));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&h, "https://cowork.example"));
    }
}
