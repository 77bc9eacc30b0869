//! Accountability partners over the API: my pools, booking and cancelling a
//! focus slot, my bookings with my partners, my preferences, and marking a
//! past partner a favourite or blocked. The same rules as the pages.

use super::{ApiResult, ApiUser, Body, MaybeApiUser, Path};
use crate::app::partners::{BookingInput, OfferInput};
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use cowork_core::partners::Preferences;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/partners/pools", get(pools))
        .route("/partners/bookings", get(bookings).post(book))
        .route("/partners/bookings/{id}", get(booking).delete(cancel))
        .route("/partners/bookings/{id}/swap", get(swap_offer).post(swap))
        .route("/partners/record", get(record))
        .route("/partners/preferences", get(preferences).put(save_preferences))
        .route("/partners/people/{id}", put(mark))
        .route("/partners/people/{id}/report", post(report))
        .route("/communities/{slug}/partners", get(offer).put(set_offer))
}

async fn pools(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    let (score, counted) = app.store.partner_score(&me.id).await.map_err(crate::app::AppError::from)?;
    Ok(Json(json!({ "pools": app.partner_pools(&me).await?, "score": score, "score_of": counted })).into_response())
}

async fn bookings(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    Ok(Json(json!({ "bookings": app.my_partner_bookings(&me).await? })).into_response())
}

async fn book(State(app): State<App>, ApiUser(me): ApiUser, Body(b): Body<BookingInput>) -> ApiResult {
    let booked = app.book_partner(&me, &b).await?;
    Ok((StatusCode::CREATED, Json(booked)).into_response())
}

async fn booking(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    Ok(Json(app.my_partner_booking(&me, &id).await?).into_response())
}

async fn cancel(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    let late = app.cancel_partner(&me, &id).await?;
    Ok(Json(json!({ "cancelled": true, "late": late })).into_response())
}

/// The swap on offer when my partner has not come (null when there is none).
async fn swap_offer(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    let v = app.pair_state(&me, &id).await?;
    Ok(Json(json!({ "swap": v.swap, "room": v.room })).into_response())
}

async fn swap(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    Ok(Json(app.ask_partner_swap(&me, &id).await?).into_response())
}

async fn record(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    let public = app.partner_settings(&me).await?.record_public;
    Ok(Json(json!({ "record": app.my_record(&me).await?, "public": public })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ReportBody {
    reason: String,
}

async fn report(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Body(b): Body<ReportBody>) -> ApiResult {
    let new = app.report_partner(&me, &id, &b.reason).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(json!({ "account_id": id, "reported": true, "blocked": true })))
        .into_response())
}

async fn preferences(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    Ok(Json(app.partner_settings(&me).await?).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct PreferencesBody {
    availability: String,
    talk: String,
    work: String,
    camera: String,
    odd_one_out: String,
    video_url: String,
    record_public: bool,
}

async fn save_preferences(State(app): State<App>, ApiUser(me): ApiUser, Body(b): Body<PreferencesBody>) -> ApiResult {
    let prefs = Preferences::parse(&b.availability, &b.talk, &b.work, &b.camera, &b.odd_one_out).map_err(crate::app::AppError::Invalid)?;
    app.save_partner_settings(&me, prefs, &b.video_url, b.record_public).await?;
    Ok(Json(app.partner_settings(&me).await?).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct MarkBody {
    /// favourite | block | none
    mark: String,
}

async fn mark(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Body(b): Body<MarkBody>) -> ApiResult {
    app.mark_partner(&me, &id, &b.mark).await?;
    Ok(Json(json!({ "account_id": id, "mark": if b.mark.trim().is_empty() { "none" } else { b.mark.trim() } })).into_response())
}

async fn offer(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(slug): Path<String>) -> ApiResult {
    let (_, o) = app.community_partners(me.as_ref(), &slug).await?;
    Ok(Json(o).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct OfferBody {
    offer: String,
    below: u32,
    slots: u32,
}

async fn set_offer(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(b): Body<OfferBody>) -> ApiResult {
    let input = OfferInput { offer: b.offer, below: b.below.to_string(), slots: b.slots.to_string() };
    Ok(Json(app.set_community_partners(&me, &slug, &input).await?).into_response())
}
