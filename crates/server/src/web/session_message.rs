//! The form a host or organizer writes to the people going with.

use super::{form_errors, render, see_other, CsrfForm, Ctx, FormErrors, PageResult, SignedIn};
use crate::app::organizer_messages::MessageInput;
use crate::app::schedule::SessionView;
use crate::app::{App, AppError};
use askama::Template;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use cowork_core::rsvp::RsvpStatus;

pub fn routes() -> Router<App> {
    Router::new().route("/s/{id}/message", get(form).post(send))
}

#[derive(Template)]
#[template(path = "session_message.html")]
struct MessagePage {
    ctx: Ctx,
    v: SessionView,
    form: FormInput,
    going: usize,
    waiting: usize,
    errors: FormErrors,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FormInput {
    subject: String,
    text: String,
    include_waitlist: String,
}

fn page(ctx: Ctx, v: SessionView, f: FormInput, errors: FormErrors) -> PageResult {
    let count = |s: RsvpStatus| v.rsvps.iter().filter(|r| r.status == s).count();
    let (going, waiting) = (count(RsvpStatus::Going), count(RsvpStatus::Waitlisted));
    let status = if errors.any() { errors.status() } else { axum::http::StatusCode::OK };
    let form = FormInput { include_waitlist: if f.include_waitlist == "true" { "true".into() } else { String::new() }, ..f };
    render(status, &MessagePage { ctx, v, form, going, waiting, errors })
}

async fn form(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let v = app.session_view(Some(&s.me), &id).await?;
    if !v.may_mark_attendance() {
        return Err(AppError::forbidden().into());
    }
    page(s.ctx, v, FormInput::default(), FormErrors::default())
}

async fn send(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<FormInput>) -> PageResult {
    let input = MessageInput { subject: f.subject.clone(), text: f.text.clone(), include_waitlist: f.include_waitlist == "true" };
    match form_errors(app.write_to_people(&s.me, &id, &input).await)? {
        Ok(n) => see_other(&format!("/s/{id}?notice={}", if n == 1 { "message_sent_one" } else { "message_sent" })),
        Err(errors) => {
            let v = app.session_view(Some(&s.me), &id).await?;
            page(s.ctx, v, f, errors)
        }
    }
}
