//! Webhooks in the API: the same use cases as the page, for organizers.

use super::{ApiResult, ApiUser, Body, Path};
use crate::app::webhooks::WebhookDraft;
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/communities/{slug}/webhooks", get(list).post(create))
        .route("/communities/{slug}/webhooks/{id}", patch(update).delete(delete))
}

async fn list(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>) -> ApiResult {
    let (_, hooks) = app.webhooks(&me, &slug).await?;
    Ok(Json(json!({ "items": hooks })).into_response())
}

/// Answers 201 once a test delivery arrived; the signing secret of a generic
/// endpoint is in this answer only.
async fn create(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(d): Body<WebhookDraft>) -> ApiResult {
    let (hook, secret) = app.create_webhook(&me, &slug, &d).await?;
    Ok((StatusCode::CREATED, Json(json!({ "webhook": hook, "secret": secret }))).into_response())
}

#[derive(serde::Deserialize)]
struct Update {
    enabled: bool,
}

async fn update(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path((slug, id)): Path<(String, String)>,
    Body(u): Body<Update>,
) -> ApiResult {
    app.set_webhook_enabled(&me, &slug, &id, u.enabled).await?;
    let (_, hooks) = app.webhooks(&me, &slug).await?;
    let hook = hooks.into_iter().find(|h| h.id == id);
    Ok(Json(json!({ "webhook": hook })).into_response())
}

async fn delete(State(app): State<App>, ApiUser(me): ApiUser, Path((slug, id)): Path<(String, String)>) -> ApiResult {
    app.delete_webhook(&me, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
