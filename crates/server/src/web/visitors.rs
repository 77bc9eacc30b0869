//! Registering for a day by name and e-mail, and the confirmation link's landing.

use super::{form_errors, ok, render, see_other, ClientIp, CsrfForm, Ctx, FormErrors, PageResult, Path, Query, SignedIn};
use crate::app::visitors::Registration;
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use cowork_core::rsvp::RsvpStatus;
use cowork_store::{Community, Session};

pub fn routes() -> Router<App> {
    Router::new().route("/s/{id}/register", get(form).post(register)).route("/s/{id}/register/confirm", get(confirm))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    ctx: Ctx,
    s: Session,
    c: Community,
    form: Registration,
    errors: FormErrors,
    sent: bool,
}

async fn open_session(app: &App, id: &str) -> Result<(Session, Community), super::PageError> {
    let s = app.store.session(id).await.map_err(crate::app::AppError::from)?;
    let c = app.store.community(&s.community_slug).await.map_err(crate::app::AppError::from)?;
    if !App::open_to_visitors(&s, c.visibility, c.join_policy, app.now()) {
        return Err(crate::app::AppError::NotFound.into());
    }
    Ok((s, c))
}

async fn form(State(app): State<App>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    if ctx.viewer.is_some() {
        return see_other(&format!("/s/{id}"));
    }
    let (s, c) = open_session(&app, &id).await?;
    ok(&RegisterPage { ctx, s, c, form: Registration::default(), errors: FormErrors::default(), sent: false })
}

async fn register(
    State(app): State<App>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<Registration>,
) -> PageResult {
    let (s, c) = open_session(&app, &id).await?;
    match form_errors(app.register_visitor(&id, &f, &ip).await)? {
        Ok(()) => ok(&RegisterPage { ctx, s, c, form: f, errors: FormErrors::default(), sent: true }),
        Err(errors) => {
            let page = RegisterPage { ctx, s, c, form: f, errors, sent: false };
            render(page.errors.status(), &page)
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ConfirmQuery {
    r: String,
}

async fn confirm(State(app): State<App>, s: SignedIn, Path(id): Path<String>, Query(q): Query<ConfirmQuery>) -> PageResult {
    let r = app.confirm_registration(&s.me, &id, &q.r).await?;
    let code = if r.status == RsvpStatus::Going { "going" } else { "waitlisted" };
    see_other(&format!("/s/{id}?notice={code}"))
}
