//! Calendars: feeds to subscribe to, .ics import, my schedule, and the
//! public directory of upcoming sessions.

use super::schedule::{by_day, Day};
use super::{form_errors, ok, render, see_other, CsrfForm, Ctx, FormErrors, PageError, PageResult, Path, Query, SignedIn};
use crate::app::communities::CommunityView;
use crate::app::feeds::FeedBody;
use crate::app::import::ImportReport;
use crate::app::listings::{UpcomingSearch, UPCOMING_PAGE_SIZE};
use crate::app::{now, App, AppError};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cowork_core::permissions::Action;
use cowork_core::schedule::LANGUAGES;
use cowork_core::Invalid;
use cowork_store::MySession;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/c/{slug}/calendar.ics", get(community_feed))
        .route("/c/{slug}/series/{id}/calendar.ics", get(series_feed))
        .route("/calendar/{file}", get(personal_feed))
        .route("/calendar/{token}/c/{file}", get(member_community_feed))
        .route("/c/{slug}/import", get(import_form).post(import).layer(DefaultBodyLimit::max(crate::ical::MAX_IMPORT_BYTES + 64 * 1024)))
        .route("/me/schedule", get(my_schedule))
        .route("/me/calendar", post(reset_feed))
        .route("/me/calendar/revoke", post(revoke_feed))
        .route("/upcoming", get(upcoming))
}

/// A calendar answer: 304 when the client has it already, gzipped when it
/// accepts that, and cacheable for a while.
fn calendar(headers: &HeaderMap, body: &FeedBody, filename: &str) -> Response {
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(body.etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, body.etag.clone())]).into_response();
    }
    let gzip = super::compression::accepts_gzip(headers) && !body.gzip.is_empty();
    let mut r = if gzip { body.gzip.clone().into_response() } else { body.text.clone().into_response() };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Ok(v) = HeaderValue::from_str(&body.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

async fn community_feed(State(app): State<App>, headers: HeaderMap, Path(slug): Path<String>) -> PageResult {
    let body = app.community_feed(&slug).await?;
    Ok(calendar(&headers, &body, &format!("{slug}.ics")))
}

async fn series_feed(State(app): State<App>, headers: HeaderMap, Path((slug, id)): Path<(String, String)>) -> PageResult {
    let body = app.series_feed(&slug, &id).await?;
    Ok(calendar(&headers, &body, &format!("{slug}-series.ics")))
}

async fn member_community_feed(State(app): State<App>, headers: HeaderMap, Path((token, file)): Path<(String, String)>) -> PageResult {
    let slug = file.trim_end_matches(".ics");
    let body = app.member_community_feed(&token, slug).await?;
    Ok(calendar(&headers, &body, &format!("{slug}.ics")))
}

async fn personal_feed(State(app): State<App>, headers: HeaderMap, Path(file): Path<String>) -> PageResult {
    let body = app.personal_feed(&file).await?;
    Ok(calendar(&headers, &body, "my-coworking.ics"))
}

// ---- import

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    ctx: Ctx,
    view: CommunityView,
    errors: FormErrors,
    report: Option<ImportReport>,
}

async fn import_form(State(app): State<App>, s: SignedIn, Path(slug): Path<String>) -> PageResult {
    let view = app.community(Some(&s.me), &slug).await?;
    if !view.may(Action::Schedule) {
        return Err(AppError::forbidden().into());
    }
    ok(&ImportPage { ctx: s.ctx, view, errors: FormErrors::default(), report: None })
}

/// The upload is multipart, so its CSRF value is checked here by hand.
async fn import(State(app): State<App>, s: SignedIn, headers: HeaderMap, Path(slug): Path<String>, mut form: Multipart) -> PageResult {
    let mut csrf = String::new();
    let mut text = String::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| PageError::Status(StatusCode::PAYLOAD_TOO_LARGE, "That file is too large (at most 1 MiB).".into()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") | Some("text") => {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| PageError::Status(StatusCode::PAYLOAD_TOO_LARGE, "That file is too large (at most 1 MiB).".into()))?;
                if !bytes.is_empty() {
                    text = String::from_utf8_lossy(&bytes).into_owned();
                }
            }
            _ => {}
        }
    }
    super::check_csrf(&app, &headers, &csrf)?;
    let view = app.community(Some(&s.me), &slug).await?;
    let result = if text.trim().is_empty() {
        Err(AppError::Invalid(Invalid::one("file", "Choose an .ics file to import.")))
    } else {
        app.import_ics(&s.me, &slug, &text).await
    };
    match form_errors(result)? {
        Ok(report) => ok(&ImportPage { ctx: s.ctx, view, errors: FormErrors::default(), report: Some(report) }),
        Err(errors) => render(errors.status(), &ImportPage { ctx: s.ctx, view, errors, report: None }),
    }
}

// ---- my schedule and feed

#[derive(Template)]
#[template(path = "my_schedule.html")]
struct MySchedulePage {
    ctx: Ctx,
    days: Vec<(String, Vec<Planned>)>,
    feed_created: Option<i64>,
    new_feed: String,
    /// With a new address: each of my communities' calendars, by the same secret.
    community_feeds: Vec<(String, String)>,
}

/// Something in my schedule: a session I answered, or a partner booking.
enum Planned {
    Session(MySession),
    Partner(cowork_store::PartnerBooking),
}

impl Planned {
    fn starts_at(&self) -> i64 {
        match self {
            Planned::Session(m) => m.session.starts_at,
            Planned::Partner(b) => b.starts_at,
        }
    }
}

impl MySchedulePage {
    /// "Ann" or "Ann and Bo".
    fn partner_names(&self, b: &cowork_store::PartnerBooking) -> String {
        b.partners.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(" and ")
    }
    fn webcal(&self) -> String {
        self.new_feed.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1)
    }
}

async fn my_schedule_page(app: &App, s: SignedIn, new_feed: String, community_feeds: Vec<(String, String)>) -> PageResult {
    let mut list: Vec<Planned> = app.my_schedule(&s.me, now(), now() + 400 * 86_400).await?.into_iter().map(Planned::Session).collect();
    list.extend(app.my_partner_bookings(&s.me).await?.into_iter().map(Planned::Partner));
    list.sort_by_key(Planned::starts_at);
    let mut days: Vec<(String, Vec<Planned>)> = Vec::new();
    for m in list {
        let label = s.ctx.zone.local(m.starts_at()).date.strftime("%A %-d %B").to_string();
        match days.last_mut() {
            Some((l, v)) if *l == label => v.push(m),
            _ => days.push((label, vec![m])),
        }
    }
    let feed_created = app.calendar_feed_created(&s.me).await?;
    ok(&MySchedulePage { ctx: s.ctx, days, feed_created, new_feed, community_feeds })
}

async fn my_schedule(State(app): State<App>, s: SignedIn) -> PageResult {
    my_schedule_page(&app, s, String::new(), Vec::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Empty {}

async fn reset_feed(State(app): State<App>, s: SignedIn, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    let (url, communities) = app.reset_calendar_feed(&s.me).await?;
    my_schedule_page(&app, s, url, communities).await
}

async fn revoke_feed(State(app): State<App>, s: SignedIn, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    app.revoke_calendar_feed(&s.me).await?;
    see_other("/me/schedule")
}

// ---- upcoming

#[derive(Template)]
#[template(path = "upcoming.html")]
struct UpcomingPage {
    ctx: Ctx,
    search: UpcomingSearch,
    happening: Vec<cowork_store::Session>,
    days: Vec<Day>,
    page: i64,
    more: bool,
}

impl UpcomingPage {
    fn languages(&self) -> Vec<(&'static str, &'static str)> {
        LANGUAGES.to_vec()
    }
    fn page_link(&self, page: &i64) -> String {
        let s = &self.search;
        format!(
            "/upcoming?topic={}&language={}&place={}&time_of_day={}&zone={}&page={page}",
            super::urlencode(&s.topic),
            super::urlencode(&s.language),
            super::urlencode(&s.place),
            super::urlencode(&s.time_of_day),
            super::urlencode(&s.zone)
        )
    }
}

async fn upcoming(
    State(app): State<App>,
    mut ctx: Ctx,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Query(search): Query<UpcomingSearch>,
) -> PageResult {
    // A visitor who is not signed in may say their zone (the page's script does).
    if ctx.viewer.is_none() {
        if let Ok(z) = cowork_core::time::Zone::parse("zone", &search.zone) {
            ctx.zone = z;
        }
    }
    // Anonymous visitors all see the same page (in UTC), so it is shared for a moment.
    let key = format!("{}|{}", uri.path_and_query().map(|p| p.as_str()).unwrap_or_default(), ctx.zone.name());
    let anonymous = ctx.viewer.is_none();
    if anonymous {
        if let Some(page) = app.pages.get(&key) {
            return Ok(super::compression::cached_page(&headers, &page));
        }
    }
    // Running sessions lead the first page: the moment a drop-in is most joinable.
    let listing = app.upcoming_listing(&ctx.zone, &search).await?;
    let more = listing.sessions.len() == UPCOMING_PAGE_SIZE;
    let page = search.page();
    let happening = listing.happening.clone();
    let days = by_day(&ctx, listing.sessions.clone());
    let html =
        UpcomingPage { ctx, search, happening, days, page, more }.render().map_err(|e| AppError::Internal(format!("template: {e}")))?;
    if anonymous {
        let page = std::sync::Arc::new(super::compression::Encoded::new(html, super::compression::Effort::Good));
        app.pages.put(key, page.clone());
        return Ok(super::compression::cached_page(&headers, &page));
    }
    Ok(axum::response::Html(html).into_response())
}
