//! Pages for instance admins.

use super::{ok, PageResult, SignedIn};
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use cowork_store::Mail;

pub fn routes() -> Router<App> {
    Router::new().route("/admin/outbox", get(outbox))
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
