//! Check-in over the API: my pass, the door (who is expected), checking
//! someone in, and a place's daily log. The same rules as the pages: only a
//! session's hosts and the place's keepers check people in.

use super::{ApiResult, ApiUser, Body, Path, Query};
use crate::app::checkins::WalkIn;
use crate::app::{App, AppError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use cowork_store::Arriving;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/sessions/{id}/pass", get(pass))
        .route("/sessions/{id}/checkins", get(door).post(check_in))
        .route("/places/{id}/log", get(log))
}

async fn pass(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    let v = app.session_view(Some(&me), &id).await?;
    let p = app.my_pass(&me, &v).await?.ok_or(AppError::NotFound)?;
    Ok(Json(json!({
        "code": p.code,
        "link": app.checkin_link(&id, &p.pass.code),
        "guest_name": p.pass.guest_name,
        "checked_in_at": (p.pass.checked_in_at > 0).then_some(p.pass.checked_in_at),
        "qr_svg": p.svg,
    }))
    .into_response())
}

async fn door(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    let d = app.door(&me, &id).await?;
    Ok(Json(json!({ "expected": d.expected, "today": d.today, "seats": d.seats, "day_code": d.day_code })).into_response())
}

/// One of: `{"code": "7KQ4-M2XD"}`, `{"account_id": "…"}`, `{"walk_in": {"name": …, "email": …, "guest_of": …}}`.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct CheckinBody {
    code: Option<String>,
    account_id: Option<String>,
    walk_in: Option<WalkIn>,
}

async fn check_in(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Body(b): Body<CheckinBody>) -> ApiResult {
    let who = match (b.code, b.account_id, b.walk_in) {
        (Some(c), None, None) => Arriving::Code(c),
        (None, Some(a), None) => Arriving::Listed(a),
        (None, None, Some(w)) => Arriving::WalkIn { name: w.name, email: w.email, guest_of: w.guest_of },
        _ => return Err(AppError::Invalid(cowork_core::Invalid::one("body", "Give one of code, account_id or walk_in.")).into()),
    };
    let done = app.check_in(&me, &id, who).await?;
    Ok((StatusCode::CREATED, Json(json!({ "checked_in": done.people, "today": done.today }))).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DayQuery {
    day: String,
}

async fn log(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Query(q): Query<DayQuery>) -> ApiResult {
    let (_, day, items) = app.daily_log(&me, &id, Some(&q.day)).await?;
    Ok(Json(json!({ "day": day, "items": items })).into_response())
}
