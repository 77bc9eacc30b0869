//! The scheduling API: formats, series, sessions, RSVPs, attendance, feeds.

use super::{merge, ApiResult, ApiUser, Body, MaybeApiUser, Path, Query};
use crate::app::listings::UpcomingSearch;
use crate::app::schedule::{EditScope, SessionView};
use crate::app::{App, AppError};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use cowork_core::format::PhaseInput;
use cowork_core::schedule::SeriesInput;
use cowork_core::time::Zone;
use cowork_store::Session;
use serde_json::{json, Value};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/communities/{slug}/formats", get(formats).post(create_format))
        .route("/communities/{slug}/formats/{id}", patch(update_format).delete(delete_format))
        .route("/communities/{slug}/series", get(series_list).post(create_series))
        .route("/communities/{slug}/series/{id}", get(series).patch(edit_series))
        .route("/communities/{slug}/series/{id}/hosts", post(add_host))
        .route("/communities/{slug}/series/{id}/hosts/{account}", axum::routing::delete(remove_host))
        .route("/communities/{slug}/sessions", get(community_sessions))
        .route("/communities/{slug}/feeds", get(feeds))
        .route("/sessions/{id}", get(session).patch(edit_session))
        .route("/sessions/{id}/cancel", post(cancel_session))
        .route("/sessions/{id}/restore", post(restore_session))
        .route("/sessions/{id}/host", put(set_session_host))
        .route("/sessions/{id}/rsvp", post(rsvp).delete(cancel_rsvp))
        .route("/sessions/{id}/rsvps", get(rsvps))
        .route("/sessions/{id}/messages", post(write_to_people))
        .route("/sessions/{id}/attendance/{account}", put(attendance))
        .route("/me/sessions", get(my_sessions))
        .route("/me/calendar", post(reset_calendar).delete(revoke_calendar))
        .route("/upcoming", get(upcoming))
}

fn session_json(app: &App, s: &Session, show_video: bool) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut v {
        if !show_video {
            o.insert("video_url".into(), Value::String(String::new()));
        }
        o.insert("url".into(), json!(format!("{}/s/{}", app.config.base_url, s.id)));
        o.insert("ics_url".into(), json!(format!("{}/s/{}/calendar.ics", app.config.base_url, s.id)));
    }
    v
}

fn session_view_json(app: &App, v: &SessionView) -> Value {
    let mut j = session_json(app, &v.session, v.shows_video_link());
    if let Value::Object(o) = &mut j {
        o.insert("my_rsvp".into(), json!(v.mine));
        // Where, as this caller may know it: a home's street only for those going and hosting.
        o.insert("where".into(), json!(v.place));
        o.insert("hosts".into(), hosts_json(&v.hosts));
    }
    j
}

// ---- formats

async fn formats(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(slug): Path<String>) -> ApiResult {
    let (_, formats) = app.formats(me.as_ref(), &slug).await?;
    let items: Vec<Value> = formats.iter().map(|f| json!({"key": f.key, "name": f.name, "description": f.description, "phases": f.phases, "total_minutes": f.total_minutes(), "builtin": f.key.starts_with("builtin:")})).collect();
    Ok(Json(json!({ "items": items })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FormatBody {
    name: String,
    description: String,
    phases: Vec<PhaseBody>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PhaseBody {
    kind: String,
    label: String,
    minutes: i64,
    enforced: bool,
}

impl FormatBody {
    fn rows(&self) -> Vec<PhaseInput> {
        self.phases
            .iter()
            .map(|p| PhaseInput { kind: p.kind.clone(), label: p.label.clone(), minutes: p.minutes.to_string(), enforced: p.enforced })
            .collect()
    }
}

async fn create_format(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(b): Body<FormatBody>) -> ApiResult {
    let f = app.save_format(&me, &slug, None, &b.name, &b.description, &b.rows()).await?;
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

async fn update_format(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path((slug, id)): Path<(String, String)>,
    Body(b): Body<FormatBody>,
) -> ApiResult {
    let f = app.save_format(&me, &slug, Some(&id), &b.name, &b.description, &b.rows()).await?;
    Ok(Json(f).into_response())
}

async fn delete_format(State(app): State<App>, ApiUser(me): ApiUser, Path((slug, id)): Path<(String, String)>) -> ApiResult {
    app.delete_format(&me, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- series

/// A series as JSON; its video link only for those who plan the community's sessions.
fn series_json(s: &cowork_store::Series, organizer: bool) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let (Value::Object(o), false) = (&mut v, organizer) {
        o.insert("video_url".into(), Value::String(String::new()));
    }
    v
}

fn hosts_json(hosts: &[(String, String)]) -> Value {
    json!(hosts.iter().map(|(id, name)| json!({"account_id": id, "display_name": name})).collect::<Vec<_>>())
}

async fn series_list(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(slug): Path<String>) -> ApiResult {
    let (view, list) = app.series_list(me.as_ref(), &slug).await?;
    let organizer = view.may(cowork_core::permissions::Action::Schedule);
    Ok(Json(json!({ "items": list.iter().map(|s| series_json(s, organizer)).collect::<Vec<_>>() })).into_response())
}

/// Fields may be sent as JSON strings or numbers; anything left out takes its default.
async fn create_series(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(body): Body<Value>) -> ApiResult {
    let mut base = serde_json::to_value(SeriesInput::default()).map_err(|e| AppError::Internal(e.to_string()))?;
    merge(&mut base, body)?;
    let input: SeriesInput = serde_json::from_value(base).map_err(|e| AppError::Internal(e.to_string()))?;
    // Organizers plan anything; members offer a coworking day where the community lets them
    // (a proposed one comes back with approval "pending").
    let s = match app.plan_series(&me, &slug, &input).await? {
        crate::app::days::Planned::Listed(s) | crate::app::days::Planned::Proposed(s) => s,
    };
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/communities/{slug}/series/{}", s.id))], Json(series_json(&s, true)))
        .into_response())
}

async fn series(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path((slug, id)): Path<(String, String)>) -> ApiResult {
    let v = app.series_view(me.as_ref(), &slug, &id).await?;
    let upcoming: Vec<Value> = v.upcoming.iter().map(|s| session_json(&app, s, false)).collect();
    let describe = v.draft.as_ref().map(|d| d.describe()).unwrap_or_default();
    let organizer = v.community.may(cowork_core::permissions::Action::Schedule);
    let body = json!({ "series": series_json(&v.series, organizer), "describe": describe, "hosts": hosts_json(&v.hosts), "upcoming": upcoming, "following": v.following });
    Ok(Json(body).into_response())
}

/// PATCH a series: `version` (required, from GET) guards against crossed edits;
/// `from_session` limits the change to that session and the ones after it.
async fn edit_series(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path((slug, id)): Path<(String, String)>,
    Body(patch): Body<Value>,
) -> ApiResult {
    let version = patch
        .get("version")
        .and_then(Value::as_i64)
        .ok_or_else(|| AppError::Invalid(cowork_core::Invalid::one("version", "Send the series' version, as read from GET.")))?;
    let from = patch.get("from_session").and_then(Value::as_str).map(str::to_string);
    let (_, input, _) = app.series_edit_input(&me, &slug, &id, from.as_deref()).await?;
    let mut base = serde_json::to_value(&input).map_err(|e| AppError::Internal(e.to_string()))?;
    merge(&mut base, patch)?;
    let input: SeriesInput = serde_json::from_value(base).map_err(|e| AppError::Internal(e.to_string()))?;
    let scope = match &from {
        Some(f) => EditScope::From(f),
        None => EditScope::Whole,
    };
    let (series, report) = app.edit_series(&me, &slug, &id, version, scope, &input).await?;
    Ok(Json(json!({ "series": series_json(&series, true), "sessions": report })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HostBody {
    account_id: String,
}

async fn add_host(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path((slug, id)): Path<(String, String)>,
    Body(b): Body<HostBody>,
) -> ApiResult {
    app.add_host(&me, &slug, &id, &b.account_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_host(State(app): State<App>, ApiUser(me): ApiUser, Path((slug, id, account)): Path<(String, String, String)>) -> ApiResult {
    app.remove_host(&me, &slug, &id, &account).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- sessions

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Window {
    /// Unix seconds; default now.
    from: Option<i64>,
    /// Unix seconds; default 62 days after `from`.
    to: Option<i64>,
}

async fn community_sessions(
    State(app): State<App>,
    MaybeApiUser(me): MaybeApiUser,
    Path(slug): Path<String>,
    Query(w): Query<Window>,
) -> ApiResult {
    let from = w.from.unwrap_or_else(crate::app::now);
    let to = w.to.unwrap_or(from + 62 * 86_400);
    if to <= from || to - from > 400 * 86_400 {
        return Err(
            AppError::Invalid(cowork_core::Invalid::one("to", "Ask for a window of at most 400 days, ending after it starts.")).into()
        );
    }
    let (_, list) = app.community_schedule(me.as_ref(), &slug, from, to).await?;
    let items: Vec<Value> = list.iter().map(|s| session_json(&app, s, false)).collect();
    Ok(Json(json!({ "items": items })).into_response())
}

async fn session(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(id): Path<String>) -> ApiResult {
    let v = app.session_view(me.as_ref(), &id).await?;
    Ok(Json(session_view_json(&app, &v)).into_response())
}

/// PATCH one session on its own (it then stays as edited whatever the series does).
async fn edit_session(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Body(patch): Body<Value>) -> ApiResult {
    let (_, input) = app.session_edit_input(&me, &id).await?;
    let mut base = serde_json::to_value(&input).map_err(|e| AppError::Internal(e.to_string()))?;
    merge(&mut base, patch)?;
    let input: SeriesInput = serde_json::from_value(base).map_err(|e| AppError::Internal(e.to_string()))?;
    let s = app.edit_session(&me, &id, &input).await?;
    Ok(Json(session_json(&app, &s, true)).into_response())
}

/// An optional JSON body `{"message": "…"}`: the organizers' word to the people told.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CancelBody {
    message: String,
}

async fn cancel_session(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, body: axum::body::Bytes) -> ApiResult {
    let body: CancelBody = if body.iter().all(u8::is_ascii_whitespace) {
        CancelBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                let message = format!("The body could not be read as JSON: {e}");
                return Ok(super::error(StatusCode::BAD_REQUEST, "bad_json", &message, json!([])));
            }
        }
    };
    let told = app.cancel_session(&me, &id, true, &body.message).await?;
    Ok(Json(json!({ "cancelled": true, "told": told })).into_response())
}

#[derive(serde::Deserialize)]
struct SessionHostBody {
    /// One of the series' hosts, or null for nobody.
    account_id: Option<String>,
}

async fn set_session_host(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    Body(b): Body<SessionHostBody>,
) -> ApiResult {
    let host = app.set_session_host(&me, &id, b.account_id.as_deref()).await?;
    let host = host.map(|(account_id, display_name)| json!({ "account_id": account_id, "display_name": display_name }));
    Ok(Json(json!({ "host": host })).into_response())
}

async fn restore_session(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    let told = app.cancel_session(&me, &id, false, "").await?;
    Ok(Json(json!({ "cancelled": false, "told": told })).into_response())
}

/// `?all_upcoming=true`: this session and every later one of its series.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Scope {
    all_upcoming: bool,
}

/// `?join=online` at a hybrid session; `?guest_name=…` to bring a guest to a place.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RsvpQuery {
    all_upcoming: bool,
    #[serde(flatten)]
    party: crate::app::rsvps::PartyInput,
}

async fn rsvp(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Query(q): Query<RsvpQuery>) -> ApiResult {
    let r = app.rsvp_as(&me, &id, q.all_upcoming, &q.party).await?;
    Ok(Json(r).into_response())
}

async fn cancel_rsvp(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Query(q): Query<Scope>) -> ApiResult {
    app.cancel_rsvp(&me, &id, q.all_upcoming).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A host's message to the people going; answered 202: the mails are queued.
async fn write_to_people(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path(id): Path<String>,
    super::Body(m): super::Body<crate::app::organizer_messages::MessageInput>,
) -> ApiResult {
    let n = app.write_to_people(&me, &id, &m).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "recipients": n }))).into_response())
}

async fn rsvps(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    let v = app.session_view(Some(&me), &id).await?;
    if v.community.role().is_none() {
        return Err(AppError::Forbidden("Only members see who is going.".into()).into());
    }
    let mut items = serde_json::to_value(&v.rsvps).unwrap_or(Value::Null);
    // Late cancellations and no-shows are for the hosts, not everyone.
    if !v.may_mark_attendance() {
        if let Value::Array(list) = &mut items {
            for r in list.iter_mut().filter_map(Value::as_object_mut) {
                r.remove("late");
                r.remove("attendance");
            }
        }
    }
    Ok(Json(json!({ "items": items })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AttendanceBody {
    /// attended | no_show | "" (not marked)
    attendance: String,
}

async fn attendance(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path((id, account)): Path<(String, String)>,
    Body(b): Body<AttendanceBody>,
) -> ApiResult {
    app.mark_attendance(&me, &id, &account, &b.attendance).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- people's schedules and feeds

async fn my_sessions(State(app): State<App>, ApiUser(me): ApiUser, Query(w): Query<Window>) -> ApiResult {
    let from = w.from.unwrap_or_else(crate::app::now);
    let to = w.to.unwrap_or(from + 400 * 86_400);
    let list = app.my_schedule(&me, from, to).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|m| json!({ "session": session_json(&app, &m.session, m.status == cowork_core::rsvp::RsvpStatus::Going), "status": m.status }))
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

async fn reset_calendar(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    let (url, communities) = app.reset_calendar_feed(&me).await?;
    let webcal = url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1);
    let communities: Vec<Value> = communities.iter().map(|(name, url)| json!({ "name": name, "url": url })).collect();
    Ok((StatusCode::CREATED, Json(json!({ "url": url, "webcal": webcal, "communities": communities }))).into_response())
}

async fn revoke_calendar(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    app.revoke_calendar_feed(&me).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn feeds(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(slug): Path<String>) -> ApiResult {
    let view = app.community(me.as_ref(), &slug).await?;
    if view.community.visibility == cowork_core::community::Visibility::Private {
        return Ok(
            Json(json!({ "community": Value::Null, "note": "Private communities have no public feed; use /me/calendar." })).into_response()
        );
    }
    let url = format!("{}/c/{}/calendar.ics", app.config.base_url, slug);
    let webcal = url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1);
    Ok(Json(json!({ "community": { "url": url, "webcal": webcal } })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct UpcomingQuery {
    #[serde(flatten)]
    search: UpcomingSearch,
    /// The zone "time_of_day" is read in (default: the token's owner's, else UTC).
    zone: String,
}

async fn upcoming(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Query(q): Query<UpcomingQuery>) -> ApiResult {
    let zone_name =
        if q.zone.is_empty() { me.as_ref().map(|a| a.time_zone.clone()).unwrap_or_else(|| "UTC".into()) } else { q.zone.clone() };
    let zone = Zone::parse("zone", &zone_name).map_err(|e| AppError::Invalid(cowork_core::Invalid(vec![e])))?;
    let list = app.upcoming(&zone, &q.search).await?;
    let items: Vec<Value> = list.iter().map(|s| session_json(&app, s, false)).collect();
    Ok(Json(json!({ "items": items, "page": q.search.page() })).into_response())
}
