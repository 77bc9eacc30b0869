//! Server-rendered pages. Handlers are thin: parse, call one `App` function,
//! render. Cross-cutting parts live here: who is signed in, CSRF, errors.

mod admin;
mod assets;
mod calendar;
mod checkins;
mod communities;
mod compression;
mod devices;
mod field_names;
mod formats;
mod home;
mod near;
mod nul_bytes;
mod partners;
mod places;
mod room;
mod room_socket;
mod schedule;
mod session_message;
mod sessions;
mod settings;
mod signin;
mod unsubscribe;
mod visitors;
mod webhooks;

pub use compression::Encoded;

use crate::app::{same_secret, secret, App, AppError};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, OriginalUri, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use cowork_core::time::Zone;
use cowork_core::Invalid;
use cowork_store::Account;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::time::Instant;

pub const SESSION_COOKIE: &str = "cowork_session";
/// A visitor's browser zone, set by the page script (not a secret).
pub const ZONE_COOKIE: &str = "cowork_zone";
/// Behind https the CSRF cookie takes the `__Host-` prefix, which browsers only
/// accept from this very host over https, so a sibling subdomain cannot plant one.
pub const CSRF_COOKIE: &str = "cowork_csrf";
pub const CSRF_COOKIE_HTTPS: &str = "__Host-cowork_csrf";
/// Forms and JSON bodies are small (a long code of conduct in a non-Latin
/// script is the largest); anything larger is refused with 413.
pub const BODY_LIMIT: usize = 256 * 1024;

fn csrf_cookie_name(app: &App) -> &'static str {
    if app.config.secure_cookies() {
        CSRF_COOKIE_HTTPS
    } else {
        CSRF_COOKIE
    }
}

pub fn router(app: App) -> Router {
    assets::prepare();
    Router::new()
        .merge(home::routes())
        .merge(signin::routes())
        .merge(settings::routes())
        .merge(devices::routes())
        .merge(communities::routes())
        .merge(admin::routes())
        .merge(schedule::routes())
        .merge(sessions::routes())
        .merge(room::routes())
        .merge(room_socket::routes())
        .merge(formats::routes())
        .merge(calendar::routes())
        .merge(webhooks::routes())
        .merge(unsubscribe::routes())
        .merge(session_message::routes())
        .merge(near::routes())
        .merge(checkins::routes())
        .merge(places::routes())
        .merge(visitors::routes())
        .merge(partners::routes())
        .nest("/api/v1", crate::api::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/static/{file}", get(assets::serve))
        .fallback(not_found)
        .layer(middleware::from_fn(nul_bytes::refuse))
        .layer(middleware::from_fn(compression::compress))
        .layer(middleware::from_fn_with_state(app.clone(), csrf_cookie))
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

async fn healthz(State(app): State<App>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"database unavailable"}"#)
                .into_response()
        }
    }
}

async fn metrics(State(app): State<App>) -> Response {
    let accounts = app.store.count_accounts().await.unwrap_or(-1);
    let nats = (!app.config.nats_url.is_empty()).then(|| app.cluster.connected());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render(accounts, &app.cluster.node, nats)).into_response()
}

/// The Content-Security-Policy of every answer.
pub(crate) const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Times every request for /metrics and adds the security headers every answer carries.
async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let private = viewer_specific(&req);
    let mut res = next.run(req).await;
    app.metrics.observe(&method, res.status().as_u16(), started.elapsed().as_secs_f64());
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // A page may widen it (/near allows its map tiles); the rest get this one.
    h.entry("content-security-policy").or_insert(HeaderValue::from_static(CSP));
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    res
}

/// A request with a session cookie or an API token may be answered with what
/// only that person may see, so neither a shared cache nor the browser's
/// history keeps it. Static files are the same for everyone.
fn viewer_specific(req: &Request) -> bool {
    let signed_in =
        cookie(req.headers(), SESSION_COOKIE).is_some_and(|t| !t.is_empty()) || req.headers().contains_key(header::AUTHORIZATION);
    signed_in && !req.uri().path().starts_with("/static/")
}

/// The CSRF secret of this browser, from its cookie or freshly made.
#[derive(Clone)]
struct CsrfToken(String);

/// Double-submit CSRF protection: every browser gets a random cookie, every
/// form carries the same value, and a POST whose two values differ is refused.
/// Cross-site pages can neither read the cookie nor set it.
async fn csrf_cookie(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let name = csrf_cookie_name(&app);
    let existing = cookie(req.headers(), name).filter(|v| v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()));
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (secret(16), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        let secure = if app.config.secure_cookies() { "; Secure" } else { "" };
        if let Ok(v) = HeaderValue::from_str(&format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// What every page needs: who is looking, the CSRF value for its forms, the
/// zone to show times in, and the path (for sign-in redirects and the nav).
pub struct Ctx {
    pub viewer: Option<Account>,
    pub csrf: String,
    pub zone: Zone,
    pub path: String,
    pub site_name: String,
}

impl Ctx {
    /// A moment in the viewer's zone, the zone named.
    pub fn when(&self, unix: &i64) -> String {
        self.zone.format(*unix)
    }
    pub fn date(&self, unix: &i64) -> String {
        self.zone.format_date(*unix)
    }
    /// A stretch of time in the viewer's zone, in the one style of every
    /// page: "Wed 16 Dec 2026, 10:00–12:00 EST".
    pub fn span(&self, start: &i64, end: &i64) -> String {
        self.zone.format_span(*start, *end)
    }
    /// "15:00" in the viewer's zone.
    pub fn clock(&self, unix: &i64) -> String {
        self.zone.clock(*unix)
    }
    /// "Wed 2 Dec" in the viewer's zone.
    pub fn day(&self, unix: &i64) -> String {
        let l = self.zone.local(*unix);
        l.date.strftime("%a %-d %b").to_string()
    }
    pub fn relative(&self, unix: &i64) -> String {
        cowork_core::time::relative(crate::app::now(), *unix)
    }
    /// The zone's abbreviation at that moment, e.g. "GMT" or "+0530".
    pub fn abbrev(&self, unix: &i64) -> String {
        self.zone.abbreviation(*unix)
    }
    /// An instant for `<time datetime>`, which the page script can show in the browser's own zone.
    pub fn iso(&self, unix: &i64) -> String {
        jiff::Timestamp::from_second(*unix).map(|t| t.to_string()).unwrap_or_default()
    }
    /// The URL of an embedded static file, named by its content.
    pub fn asset(&self, name: &str) -> &'static str {
        assets::url(name)
    }
    pub fn signed_in(&self) -> bool {
        self.viewer.is_some()
    }
    pub fn is_admin(&self) -> bool {
        self.viewer.as_ref().is_some_and(|a| a.is_admin)
    }
    pub fn viewer_name(&self) -> &str {
        self.viewer.as_ref().map(|a| a.display_name.as_str()).unwrap_or("")
    }
    /// Whether the nav link to `prefix` is the current section.
    pub fn here(&self, prefix: &str) -> bool {
        if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        }
    }
}

impl FromRequestParts<App> for Ctx {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let viewer = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(t) if !t.is_empty() && t.len() <= 128 => app.session_account(&t).await?,
            _ => None,
        };
        let csrf = parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default();
        // Signed in: the zone of the profile. Otherwise the browser's, which the
        // page script keeps in a cookie, so times read the same with or without it.
        let zone = match &viewer {
            Some(a) => Zone::parse("tz", &a.time_zone).ok(),
            None => cookie(&parts.headers, ZONE_COOKIE).and_then(|z| Zone::parse("tz", &z.replace("%2F", "/")).ok()),
        }
        .unwrap_or_else(Zone::utc);
        let path = parts.extensions.get::<OriginalUri>().map(|u| u.0.path().to_string()).unwrap_or_else(|| parts.uri.path().to_string());
        Ok(Ctx { viewer, csrf, zone, path, site_name: app.config.site_name.clone() })
    }
}

/// A page only for signed-in people; others are sent to sign in and back.
pub struct SignedIn {
    pub ctx: Ctx,
    pub me: Account,
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        match ctx.viewer.clone() {
            Some(me) => Ok(SignedIn { ctx, me }),
            None => {
                let uri = parts.extensions.get::<OriginalUri>().map(|u| u.0.clone()).unwrap_or_else(|| parts.uri.clone());
                let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let target = if parts.method == Method::GET { back } else { "/" };
                Err(Redirect::to(&format!("/signin?next={}", urlencode(target))).into_response())
            }
        }
    }
}

/// The client's address, for rate limits.
pub struct ClientIp(pub String);

impl FromRequestParts<App> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        // A proxy appends the address it saw, so only the last entry is not the client's own claim.
        if app.config.trust_proxy {
            if let Some(ip) = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.rsplit(',').next()) {
                return Ok(ClientIp(ip.trim().to_string()));
            }
        }
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| rate_limit_key(c.0.ip())).unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(ip))
    }
}

/// Refuses a form whose CSRF value is not this browser's.
pub fn check_csrf(app: &App, headers: &HeaderMap, sent: &str) -> Result<(), PageError> {
    let cookie_token = cookie(headers, csrf_cookie_name(app)).unwrap_or_default();
    if cookie_token.is_empty() || !same_secret(sent, &cookie_token) {
        return Err(PageError::Status(
            StatusCode::FORBIDDEN,
            "This form expired or came from another site. Go back, reload the page and try again.".into(),
        ));
    }
    Ok(())
}

/// IPv6 clients usually hold a whole /64, so they are counted by it.
fn rate_limit_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The query string, read the way `axum::extract::Query` reads it, but a
/// malformed one gets our error page rather than plain text.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(Query(q.0)),
            Err(_) => Err(PageError::Status(
                StatusCode::BAD_REQUEST,
                "The address has something in it we can't read. Check the link and try again.".into(),
            )),
        }
    }
}

/// Path parameters; one that can't be read (bad percent-encoding) is simply not found.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(Path(p.0)),
            Err(_) => Err(PageError::App(AppError::NotFound)),
        }
    }
}

/// A form body whose CSRF field matches this browser's cookie.
pub struct CsrfForm<T>(pub T);

/// A form with nothing in it but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned> FromRequest<App> for CsrfForm<T> {
    type Rejection = PageError;
    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let bytes =
            Bytes::from_request(req, app).await.map_err(|r| PageError::Status(r.status(), "That form was too large to accept.".into()))?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::Status(StatusCode::BAD_REQUEST, "That form could not be read.".into()))?;
        let sent = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
        check_csrf(app, &headers, sent)?;
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::Status(StatusCode::UNPROCESSABLE_ENTITY, "That form was not filled in as expected.".into()))?;
        Ok(CsrfForm(value))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: Ctx,
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// How an error reaches a person on a page.
#[derive(Debug)]
pub enum PageError {
    App(AppError),
    Status(StatusCode, String),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            PageError::Status(s, m) => (s, m),
            PageError::App(e) => match e {
                AppError::Unauthenticated => return Redirect::to("/signin").into_response(),
                AppError::NotFound => {
                    (StatusCode::NOT_FOUND, "There is nothing here. The page may have moved, or it may be private.".into())
                }
                AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
                AppError::Gone(m) => (StatusCode::GONE, m),
                AppError::Conflict(m) => (StatusCode::CONFLICT, m),
                AppError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts. Wait a few minutes and try again.".into()),
                AppError::Invalid(i) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, i.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "))
                }
                AppError::SlowDown => {
                    let mut r = error_page(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "This server is very busy right now, so nothing was saved. Please try again in a few seconds.",
                    );
                    r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
                    return r;
                }
                AppError::Unavailable => {
                    let mut r = error_page(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE);
                    r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                    return r;
                }
                AppError::Internal(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. It has been logged; please try again.".into())
                }
            },
        };
        error_page(status, &message)
    }
}

/// What people are told while the database does not answer.
pub(crate) const UNAVAILABLE: &str = "We can't reach our database right now, so nothing was shown or saved. It is usually back within seconds: please try again in a moment.";

fn error_page(status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Slow down",
        StatusCode::GONE => "This link no longer works",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        StatusCode::SERVICE_UNAVAILABLE => "Back in a moment",
        s if s.is_server_error() => "Something went wrong",
        _ => "That didn't work",
    };
    // Error pages are shown without looking up the viewer, so they work even when the database does not.
    let ctx = Ctx { viewer: None, csrf: String::new(), zone: Zone::utc(), path: String::new(), site_name: "cowork".into() };
    let body = ErrorPage { ctx, status: status.as_u16(), title, message }.render().unwrap_or_else(|_| message.to_string());
    (status, Html(body)).into_response()
}

async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "There is nothing here. The page may have moved, or it may be private.")
}

pub type PageResult = Result<Response, PageError>;

/// Renders a template with a status.
pub fn render(status: StatusCode, t: &impl Template) -> PageResult {
    match t.render() {
        Ok(html) => Ok((status, Html(html)).into_response()),
        Err(e) => Err(AppError::Internal(format!("template: {e}")).into()),
    }
}

pub fn ok(t: &impl Template) -> PageResult {
    render(StatusCode::OK, t)
}

/// Redirect after a successful POST (303, so a reload does not resubmit).
pub fn see_other(to: &str) -> PageResult {
    Ok(Redirect::to(to).into_response())
}

/// Field errors for a form being shown again, and the status to show it with.
#[derive(Default)]
pub struct FormErrors {
    invalid: Invalid,
    /// 422 unless set (429 for a rate limit, 409 for an edit that crossed another).
    status: Option<StatusCode>,
}

impl FormErrors {
    pub fn new(invalid: Invalid) -> Self {
        FormErrors { invalid, status: None }
    }
    /// Too many attempts: said beside `field`, answered with 429.
    pub fn rate_limited(field: &'static str, message: &str) -> Self {
        FormErrors { invalid: Invalid::one(field, message), status: Some(StatusCode::TOO_MANY_REQUESTS) }
    }
    /// Someone else saved first: the form comes back with what was typed, answered with 409.
    pub fn conflict(message: &str) -> Self {
        FormErrors { invalid: Invalid::one("form", message), status: Some(StatusCode::CONFLICT) }
    }
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.invalid.message_for(field)
    }
    pub fn any(&self) -> bool {
        !self.invalid.is_empty()
    }
    pub fn all(&self) -> Vec<String> {
        self.invalid.0.iter().map(|e| e.message.clone()).collect()
    }
    /// The problems for the summary above a form, each naming its field.
    pub fn summary(&self) -> Vec<field_names::SummaryItem> {
        self.invalid.0.iter().map(|e| field_names::summary_item(e.field, &e.message)).collect()
    }
}

/// Splits a service result into "show the form again with these errors" and
/// everything else; what was typed is never lost to a validation error or a limit.
/// The zones to offer beside a zone field whose text was not one zone.
pub fn zone_choices(typed: &str, errors: &FormErrors) -> cowork_core::zones::Found {
    match errors.get("time_zone") {
        Some(_) => crate::app::zones::search(typed),
        None => Default::default(),
    }
}

/// A zone picked from those offered wins over the text that found them.
pub fn picked_zone(typed: &mut String, pick: &str) {
    if !pick.trim().is_empty() {
        *typed = pick.trim().to_string();
    }
}

pub fn form_errors<T>(r: Result<T, AppError>) -> Result<Result<T, FormErrors>, PageError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Invalid(i)) => Ok(Err(FormErrors::new(i))),
        Err(AppError::RateLimited) => {
            Ok(Err(FormErrors::rate_limited("form", "You've done this many times today. Please wait a while, then try again.")))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn urlencode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => o.push(b as char),
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

/// Only paths on this site may be redirected to after sign-in.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.chars().any(|c| c.is_control()) {
        next.to_string()
    } else {
        "/".into()
    }
}

pub fn session_cookie(app: &App, token: &str, max_age: i64) -> HeaderValue {
    let secure = if app.config.secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/c/turing"), "/c/turing");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(rate_limit_key("2001:db8:1:2:3:4:5:6".parse().unwrap()), "2001:db8:1:2::/64");
        assert_eq!(rate_limit_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(rate_limit_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; cowork_session=abc; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
