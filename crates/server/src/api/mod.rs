//! The JSON API under /api/v1, authenticated by personal API token
//! (`Authorization: Bearer cwk_…`). Every error is JSON:
//! `{"error": {"code": "...", "message": "...", "fields": [...]}}`.

use crate::app::accounts::ProfileInput;
use crate::app::communities::{DirectorySearch, InviteInput};
use crate::app::{App, AppError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use cowork_core::community::{CommunityInput, JoinOutcome};
use cowork_store::{Account, Community};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/zones", get(zones))
        .route("/me", get(me).patch(update_me))
        .route("/me/notifications", get(my_notifications).put(save_my_notifications))
        .route("/me/communities", get(my_communities))
        .route("/me/tokens", get(tokens))
        .route("/me/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/me/devices", get(devices).post(add_device))
        .route("/me/devices/{id}", axum::routing::delete(remove_device))
        .route("/communities", get(directory).post(create_community))
        .route("/communities/{slug}", get(community).patch(update_community))
        .route("/communities/{slug}/join", post(join))
        .route("/communities/{slug}/leave", post(leave))
        .route("/communities/{slug}/members", get(members))
        .route("/communities/{slug}/members/{account}", patch(change_role).delete(remove_member))
        .route("/communities/{slug}/members/{account}/approve", post(approve))
        .route("/communities/{slug}/members/{account}/allow", post(allow_back))
        .route("/communities/{slug}/invites", get(invites).post(create_invite))
        .route("/communities/{slug}/invites/{id}", axum::routing::delete(revoke_invite))
        .merge(schedule::routes())
        .merge(webhooks::routes())
        .merge(places::routes())
        .merge(near::routes())
        .merge(checkins::routes())
        .merge(partners::routes())
        .fallback(|| async { ApiError(AppError::NotFound) })
}

mod checkins;
mod near;
mod partners;
mod places;
mod schedule;
mod webhooks;

pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

pub(crate) fn error(status: StatusCode, code: &str, message: &str, fields: Value) -> Response {
    (status, Json(json!({ "error": { "code": code, "message": message, "fields": fields } }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Invalid(i) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Some fields are not valid.", json!(i.0)),
            AppError::NotFound => error(StatusCode::NOT_FOUND, "not_found", "Not found.", json!([])),
            AppError::Unauthenticated => {
                let mut r =
                    error(StatusCode::UNAUTHORIZED, "unauthenticated", "Send a personal API token: Authorization: Bearer cwk_…", json!([]));
                r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
                r
            }
            AppError::Forbidden(m) => error(StatusCode::FORBIDDEN, "forbidden", &m, json!([])),
            AppError::Gone(m) => error(StatusCode::GONE, "gone", &m, json!([])),
            AppError::Conflict(m) => error(StatusCode::CONFLICT, "conflict", &m, json!([])),
            AppError::RateLimited => {
                error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests; wait and try again.", json!([]))
            }
            AppError::Unavailable => {
                let message = "The database is not answering; nothing was done. Try again in a few seconds.";
                let mut r = error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message, json!([]));
                r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                r
            }
            AppError::SlowDown => {
                let message = "This server is busy; nothing was done. Try again in a few seconds.";
                let mut r = error(StatusCode::SERVICE_UNAVAILABLE, "slow_down", message, json!([]));
                r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
                r
            }
            AppError::Internal(_) => {
                error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side; it has been logged.", json!([]))
            }
        }
    }
}

pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

/// The account behind the bearer token.
pub struct ApiUser(pub Account);

impl FromRequestParts<App> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        if token.is_empty() || token.len() > 128 {
            return Err(AppError::Unauthenticated.into());
        }
        match app.api_token_account(token).await? {
            Some(a) => Ok(ApiUser(a)),
            None => Err(AppError::Unauthenticated.into()),
        }
    }
}

/// An optional bearer token: reading public things needs none.
pub struct MaybeApiUser(pub Option<Account>);

impl FromRequestParts<App> for MaybeApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            Ok(MaybeApiUser(Some(ApiUser::from_request_parts(parts, app).await?.0)))
        } else {
            Ok(MaybeApiUser(None))
        }
    }
}

/// The query string; a malformed one gets a JSON error.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state).await.map(|q| Query(q.0)).map_err(|r| {
            error(StatusCode::BAD_REQUEST, "bad_query", &format!("The query string could not be read: {}", r.body_text()), json!([]))
        })
    }
}

/// Path parameters; one that can't be read is not found.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|p| Path(p.0)).map_err(|_| ApiError(AppError::NotFound))
    }
}

/// A JSON body; malformed or oversized ones get a JSON error, not a text one.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for Body<T> {
    type Rejection = Response;
    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, app).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(r) => {
                let status = r.status();
                let (code, message) = match &r {
                    JsonRejection::MissingJsonContentType(_) => {
                        ("unsupported_media_type", "Send the body as JSON with Content-Type: application/json.".to_string())
                    }
                    JsonRejection::JsonSyntaxError(_) => ("bad_json", "The body is not valid JSON.".to_string()),
                    JsonRejection::JsonDataError(e) => ("invalid", format!("The JSON does not have the expected shape: {}", e.body_text())),
                    _ if status == StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "The body is too large.".to_string()),
                    _ => ("bad_request", "The body could not be read.".to_string()),
                };
                Err(error(status, code, &message, json!([])))
            }
        }
    }
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")).into_response()
}

fn account_json(a: &Account) -> Value {
    json!({
        "id": a.id, "email": a.email, "display_name": a.display_name, "pronouns": a.pronouns,
        "time_zone": a.time_zone, "bio": a.bio, "social_preference": a.social_preference,
        "has_password": a.has_password, "is_admin": a.is_admin, "created_at": a.created_at,
    })
}

async fn me(ApiUser(me): ApiUser) -> ApiResult {
    Ok(Json(account_json(&me)).into_response())
}

/// PATCH semantics: fields left out keep their value.
async fn update_me(State(app): State<App>, ApiUser(me): ApiUser, Body(patch): Body<Value>) -> ApiResult {
    let mut input = serde_json::to_value(ProfileInput::of(&me)).map_err(|e| AppError::Internal(e.to_string()))?;
    merge(&mut input, patch)?;
    let input: ProfileInput =
        serde_json::from_value(input).map_err(|_| AppError::Invalid(cowork_core::Invalid::one("body", "Fields must be strings.")))?;
    let a = app.update_profile(&me, &input).await?;
    Ok(Json(account_json(&a)).into_response())
}

/// PATCH: overlays the fields of a JSON object on `base` (the current
/// values). Text fields take strings (or numbers, or null to clear);
/// yes/no fields take booleans. Unknown keys are ignored.
pub fn merge(base: &mut Value, patch: Value) -> Result<(), AppError> {
    let bad = |m: String| AppError::Invalid(cowork_core::Invalid(vec![cowork_core::FieldError { field: "body", message: m }]));
    let Value::Object(p) = patch else {
        return Err(bad("Send a JSON object.".into()));
    };
    let Value::Object(b) = base else {
        return Ok(());
    };
    for (k, v) in p {
        let Some(current) = b.get(&k) else { continue };
        let value = match (current, v) {
            (Value::String(_), Value::String(s)) => Value::String(s),
            (Value::String(_), Value::Number(n)) => Value::String(n.to_string()),
            (Value::String(_), Value::Null) => Value::String(String::new()),
            (Value::Bool(_), Value::Bool(x)) => Value::Bool(x),
            (Value::String(_), _) => return Err(bad(format!("{k} must be a string."))),
            (Value::Bool(_), _) => return Err(bad(format!("{k} must be true or false."))),
            _ => continue,
        };
        b.insert(k, value);
    }
    Ok(())
}

async fn my_notifications(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    Ok(Json(app.notification_choices(&me).await?).into_response())
}

async fn save_my_notifications(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Body(c): Body<crate::app::notification_choices::NotificationChoices>,
) -> ApiResult {
    app.save_notification_choices(&me, &c).await?;
    Ok(Json(app.notification_choices(&me).await?).into_response())
}

async fn my_communities(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    let list = app.my_communities(&me).await?;
    let items: Vec<Value> = list.iter().map(|m| json!({ "community": m.community, "role": m.role, "pending": m.pending })).collect();
    Ok(Json(json!({ "items": items })).into_response())
}

async fn tokens(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    Ok(Json(json!({ "items": app.api_tokens(&me).await? })).into_response())
}

async fn revoke_token(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    app.revoke_api_token(&me, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A device as the API shows it: its endpoint and keys stay with the server.
fn device(d: &cowork_store::PushSubscription) -> Value {
    json!({ "id": d.id, "label": d.label, "created_at": d.created_at })
}

async fn devices(State(app): State<App>, ApiUser(me): ApiUser) -> ApiResult {
    let items: Vec<Value> = app.push_devices(&me).await?.iter().map(device).collect();
    Ok(Json(json!({ "vapid_public_key": app.vapid_public_key().await?, "items": items })).into_response())
}

async fn add_device(State(app): State<App>, ApiUser(me): ApiUser, Body(d): Body<crate::app::push::DeviceInput>) -> ApiResult {
    let d = app.add_push_device(&me, &d).await?;
    Ok((StatusCode::CREATED, Json(device(&d))).into_response())
}

async fn remove_device(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>) -> ApiResult {
    app.remove_push_device(&me, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ZoneQuery {
    q: String,
}

/// Zones matching what someone typed; no token needed, so forms can use it.
async fn zones(State(app): State<App>, Query(q): Query<ZoneQuery>) -> Json<cowork_core::zones::Found> {
    Json(app.find_zones(&q.q))
}

async fn directory(State(app): State<App>, Query(search): Query<DirectorySearch>) -> ApiResult {
    let items = app.directory(&search).await?;
    Ok(Json(json!({ "items": items, "page": search.page() })).into_response())
}

async fn create_community(State(app): State<App>, ApiUser(me): ApiUser, Body(input): Body<CommunityInput>) -> ApiResult {
    let c = app.create_community(&me, &input).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/communities/{}", c.slug))], Json(c)).into_response())
}

fn community_json(c: &Community, role: Option<cowork_core::permissions::Role>, pending: bool) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut v {
        o.insert("my_role".into(), json!(role));
        o.insert("my_request_pending".into(), json!(pending));
    }
    v
}

async fn community(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(slug): Path<String>) -> ApiResult {
    let view = app.community(me.as_ref(), &slug).await?;
    Ok(Json(community_json(&view.community, view.role(), view.standing == cowork_core::permissions::Standing::Pending)).into_response())
}

async fn update_community(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(patch): Body<Value>) -> ApiResult {
    let mut input = serde_json::to_value(app.community_input(&me, &slug).await?).map_err(|e| AppError::Internal(e.to_string()))?;
    merge(&mut input, patch)?;
    let input: CommunityInput = serde_json::from_value(input).map_err(|e| AppError::Internal(e.to_string()))?;
    let c = app.update_community(&me, &slug, &input).await?;
    Ok(Json(c).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct JoinBody {
    accept_code_of_conduct: bool,
    invite: Option<String>,
}

async fn join(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(b): Body<JoinBody>) -> ApiResult {
    let outcome = app.join(&me, &slug, b.accept_code_of_conduct, b.invite.as_deref()).await?;
    let status = match outcome {
        JoinOutcome::Member => "member",
        JoinOutcome::Pending => "pending",
        JoinOutcome::NeedsInvite => "needs_invite",
    };
    Ok(Json(json!({ "status": status })).into_response())
}

async fn leave(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>) -> ApiResult {
    app.leave(&me, &slug).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn members(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>) -> ApiResult {
    let (_, members) = app.members(&me, &slug).await?;
    Ok(Json(json!({ "items": members })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RoleBody {
    role: String,
}

async fn change_role(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path((slug, account)): Path<(String, String)>,
    Body(b): Body<RoleBody>,
) -> ApiResult {
    app.change_role(&me, &slug, &account, &b.role).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_member(State(app): State<App>, ApiUser(me): ApiUser, Path((slug, account)): Path<(String, String)>) -> ApiResult {
    app.remove_member(&me, &slug, &account).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn approve(State(app): State<App>, ApiUser(me): ApiUser, Path((slug, account)): Path<(String, String)>) -> ApiResult {
    app.approve_member(&me, &slug, &account).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn allow_back(State(app): State<App>, ApiUser(me): ApiUser, Path((slug, account)): Path<(String, String)>) -> ApiResult {
    app.allow_back(&me, &slug, &account).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn invites(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>) -> ApiResult {
    let (_, invites) = app.invites(&me, &slug).await?;
    Ok(Json(json!({ "items": invites })).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct InviteBody {
    label: String,
    days: Option<i64>,
    max_uses: Option<i64>,
}

async fn create_invite(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(b): Body<InviteBody>) -> ApiResult {
    let input = InviteInput {
        label: b.label,
        days: b.days.map(|d| d.to_string()).unwrap_or_default(),
        max_uses: b.max_uses.map(|m| m.to_string()).unwrap_or_default(),
    };
    let (invite, code) = app.create_invite(&me, &slug, &input).await?;
    let url = format!("{}/invite/{code}", app.config.base_url);
    Ok((StatusCode::CREATED, Json(json!({ "invite": invite, "code": code, "url": url }))).into_response())
}

async fn revoke_invite(State(app): State<App>, ApiUser(me): ApiUser, Path((slug, id)): Path<(String, String)>) -> ApiResult {
    app.revoke_invite(&me, &slug, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
