//! The webhooks page of a community: organizers add endpoints for their chat
//! tools (saved only after a test delivery worked), see how they fare, turn
//! them off and on, and delete them.

use super::{form_errors, render, see_other, CsrfForm, Ctx, FormErrors, PageResult, Path, SignedIn};
use crate::app::webhooks::WebhookDraft;
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use cowork_core::webhooks::{Event, Kind};
use cowork_store::{Community, Webhook};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/c/{slug}/webhooks", get(page).post(create))
        .route("/c/{slug}/webhooks/{id}/enable", post(enable))
        .route("/c/{slug}/webhooks/{id}/disable", post(disable))
        .route("/c/{slug}/webhooks/{id}/delete", post(delete))
}

/// The form as posted: one checkbox per event.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct WebhookForm {
    kind: String,
    url: String,
    token: String,
    ev_series: String,
    ev_starting: String,
    ev_cancelled: String,
    ev_weekly: String,
}

impl WebhookForm {
    fn draft(&self) -> WebhookDraft {
        let chosen = [
            (&self.ev_series, Event::SeriesCreated),
            (&self.ev_starting, Event::SessionStarting),
            (&self.ev_cancelled, Event::SessionCancelled),
            (&self.ev_weekly, Event::WeeklySchedule),
        ];
        WebhookDraft {
            kind: self.kind.clone(),
            url: self.url.clone(),
            token: self.token.clone(),
            events: chosen.iter().filter(|(v, _)| !v.is_empty()).map(|(_, e)| e.as_str().to_string()).collect(),
        }
    }
    fn fresh() -> WebhookForm {
        WebhookForm { kind: "slack".into(), ev_starting: "on".into(), ev_cancelled: "on".into(), ..Default::default() }
    }
    fn has(&self, event: &str) -> bool {
        match event {
            "series.created" => !self.ev_series.is_empty(),
            "session.starting" => !self.ev_starting.is_empty(),
            "session.cancelled" => !self.ev_cancelled.is_empty(),
            _ => !self.ev_weekly.is_empty(),
        }
    }
}

/// An event checkbox: its form field, its label.
struct EventChoice {
    field: &'static str,
    name: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    ctx: Ctx,
    c: Community,
    hooks: Vec<Webhook>,
    form: WebhookForm,
    errors: FormErrors,
    kinds: Vec<(&'static str, &'static str)>,
    events: Vec<EventChoice>,
    new_secret: Option<String>,
}

impl WebhooksPage {
    fn kind_checked(&self, kind: &str) -> bool {
        self.form.kind == kind
    }
    fn kind_label(&self, kind: &str) -> &'static str {
        Kind::parse(kind).map(|k| k.label()).unwrap_or("")
    }
    fn event_label(&self, event: &str) -> &'static str {
        Event::parse(event).map(|e| e.label()).unwrap_or("")
    }
    /// The URL without its secret part (Slack and Discord URLs are credentials).
    fn short_url(&self, url: &str) -> String {
        let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
        let host = rest.split(['/', '?']).next().unwrap_or(rest);
        format!("{host}/…")
    }
}

async fn render_page(app: &App, s: SignedIn, slug: &str, form: WebhookForm, errors: FormErrors, new_secret: Option<String>) -> PageResult {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (c, hooks) = app.webhooks(&s.me, slug).await?;
    let events = [
        ("ev_series", Event::SeriesCreated),
        ("ev_starting", Event::SessionStarting),
        ("ev_cancelled", Event::SessionCancelled),
        ("ev_weekly", Event::WeeklySchedule),
    ]
    .into_iter()
    .map(|(field, e)| EventChoice { field, name: e.as_str(), label: e.label() })
    .collect();
    let kinds = Kind::ALL.iter().map(|k| (k.as_str(), k.label())).collect();
    render(status, &WebhooksPage { ctx: s.ctx, c, hooks, form, errors, kinds, events, new_secret })
}

async fn page(State(app): State<App>, s: SignedIn, Path(slug): Path<String>) -> PageResult {
    render_page(&app, s, &slug, WebhookForm::fresh(), FormErrors::default(), None).await
}

async fn create(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, CsrfForm(f): CsrfForm<WebhookForm>) -> PageResult {
    match form_errors(app.create_webhook(&s.me, &slug, &f.draft()).await)? {
        Ok((_, secret)) => render_page(&app, s, &slug, WebhookForm::fresh(), FormErrors::default(), secret).await,
        Err(errors) => render_page(&app, s, &slug, f, errors, None).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Empty {}

async fn enable(State(app): State<App>, s: SignedIn, Path((slug, id)): Path<(String, String)>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    app.set_webhook_enabled(&s.me, &slug, &id, true).await?;
    see_other(&format!("/c/{slug}/webhooks"))
}

async fn disable(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    app.set_webhook_enabled(&s.me, &slug, &id, false).await?;
    see_other(&format!("/c/{slug}/webhooks"))
}

async fn delete(State(app): State<App>, s: SignedIn, Path((slug, id)): Path<(String, String)>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    app.delete_webhook(&s.me, &slug, &id).await?;
    see_other(&format!("/c/{slug}/webhooks"))
}
