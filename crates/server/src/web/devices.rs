//! `/settings/devices`: the browsers a person is notified on by web push,
//! and the service worker that shows those notifications.

use super::{ok, render, see_other, CsrfForm, PageResult, Path, Query, SignedIn};
use crate::app::push::DeviceInput;
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use cowork_store::PushSubscription;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/settings/devices", get(devices).post(add_device))
        .route("/settings/devices/test", post(send_test))
        .route("/settings/devices/{id}/remove", post(remove_device))
        .route("/sw.js", get(service_worker))
}

/// Served from the root so that its scope is the whole site; never cached
/// for long, so a new release's worker is picked up on the next visit.
async fn service_worker() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../../static/sw.js"))
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    ctx: super::Ctx,
    devices: Vec<PushSubscription>,
    vapid_key: String,
    notice: String,
    /// The notice says what went wrong rather than what was done.
    failed: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Notice {
    sent: Option<usize>,
    removed: String,
}

async fn devices(State(app): State<App>, s: SignedIn, Query(n): Query<Notice>) -> PageResult {
    let notice = match (n.sent, n.removed.is_empty()) {
        (Some(1), _) => "A test notification is on its way to your device.".to_string(),
        (Some(k), _) => format!("A test notification is on its way to your {k} devices."),
        (None, false) => "That device will not be notified any more.".to_string(),
        _ => String::new(),
    };
    let devices = app.push_devices(&s.me).await?;
    let vapid_key = app.vapid_public_key().await?;
    ok(&DevicesPage { ctx: s.ctx, devices, vapid_key, notice, failed: false })
}

/// Called by the page's script with what the browser's push manager gave.
async fn add_device(State(app): State<App>, s: SignedIn, CsrfForm(d): CsrfForm<DeviceInput>) -> PageResult {
    let device = app.add_push_device(&s.me, &d).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": device.id, "label": device.label }))).into_response())
}

#[derive(serde::Deserialize, Default)]
struct Empty {}

async fn send_test(State(app): State<App>, s: SignedIn, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    let sent = app.send_test_push(&s.me).await?;
    if sent == 0 {
        let devices = app.push_devices(&s.me).await?;
        let vapid_key = app.vapid_public_key().await?;
        let notice = "There is no device to send to yet: choose “Notify me on this device” first.".to_string();
        return render(StatusCode::UNPROCESSABLE_ENTITY, &DevicesPage { ctx: s.ctx, devices, vapid_key, notice, failed: true });
    }
    see_other(&format!("/settings/devices?sent={sent}"))
}

async fn remove_device(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    app.remove_push_device(&s.me, &id).await?;
    see_other("/settings/devices?removed=1")
}
