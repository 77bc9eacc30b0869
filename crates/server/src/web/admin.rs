//! Pages for instance admins.

use super::{ok, see_other, CsrfForm, PageResult, Path, SignedIn};
use crate::app::jobs::JobsView;
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use cowork_store::Mail;

pub fn routes() -> Router<App> {
    Router::new().route("/admin/outbox", get(outbox)).route("/admin/jobs", get(jobs)).route("/admin/jobs/{id}/retry", post(retry))
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    ctx: super::Ctx,
    mails: Vec<Mail>,
    uses_outbox: bool,
}

async fn outbox(State(app): State<App>, s: SignedIn) -> PageResult {
    let mails = app.outbox(&s.me).await?;
    ok(&OutboxPage { ctx: s.ctx, mails, uses_outbox: app.mailer.uses_outbox() })
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    ctx: super::Ctx,
    v: JobsView,
    retried: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct JobsQuery {
    retried: String,
}

async fn jobs(State(app): State<App>, s: SignedIn, super::Query(q): super::Query<JobsQuery>) -> PageResult {
    let v = app.jobs_view(&s.me).await?;
    ok(&JobsPage { ctx: s.ctx, v, retried: !q.retried.is_empty() })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Empty {}

async fn retry(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    app.retry_job(&s.me, &id).await?;
    see_other("/admin/jobs?retried=1")
}
