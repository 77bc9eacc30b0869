//! RFC 8058 one-click unsubscribe: mail clients POST to the link with no
//! cookie and follow no redirect, so the POST needs neither session nor CSRF
//! (the signed link is the authority) and answers 200 with a short text.
//! A person who opens the link gets a page with a button first, so a mail
//! scanner fetching links turns nothing off.

use super::{ok, Ctx, PageResult};
use crate::app::unsubscribe::Unsubscribe;
use crate::app::App;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<App> {
    Router::new().route("/unsubscribe/{token}", get(confirm).post(unsubscribe))
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct ConfirmPage {
    ctx: Ctx,
    token: String,
    kind: Option<&'static str>,
}

async fn confirm(State(app): State<App>, ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let kind = app.unsubscribe_kind(&token).await?.map(|k| k.label());
    let page = ConfirmPage { ctx, token, kind };
    if kind.is_none() {
        return super::render(StatusCode::BAD_REQUEST, &page);
    }
    ok(&page)
}

async fn unsubscribe(State(app): State<App>, Path(token): Path<String>) -> PageResult {
    let answer = app.unsubscribe(&token).await?;
    let status = if answer == Unsubscribe::NotValid { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], answer.message()).into_response())
}
