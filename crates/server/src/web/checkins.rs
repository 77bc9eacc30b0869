//! The door: a host's or staff member's check-in page for a session, and
//! the self check-in of someone going, by the place's code of the day.

use super::{form_errors, render, see_other, CsrfForm, Ctx, FormErrors, PageResult, Path, Query, SignedIn};
use crate::app::checkins::{Door, WalkIn};
use crate::app::{App, AppError};
use askama::Template;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use cowork_core::rsvp::RsvpStatus;
use cowork_store::Arriving;

pub fn routes() -> Router<App> {
    Router::new().route("/s/{id}/checkin", get(door).post(check_in)).route("/s/{id}/checkin/self", post(self_check_in))
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct DoorPage {
    ctx: Ctx,
    door: Door,
    notice: String,
    errors: FormErrors,
    /// A code to check, as a scanned QR link brought it.
    code: String,
    walk_in: WalkIn,
}

impl DoorPage {
    fn going(&self) -> usize {
        self.door.expected.iter().filter(|e| e.status == RsvpStatus::Going).count()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoorQuery {
    code: String,
    done: String,
}

/// A pass's QR link opens here: on a host's phone, the code is ready to
/// check in with one tap; on anyone else's, nothing is checked in.
async fn door(State(app): State<App>, s: SignedIn, Path(id): Path<String>, Query(q): Query<DoorQuery>) -> PageResult {
    let door = app.door(&s.me, &id).await?;
    let notice = if q.done.is_empty() { String::new() } else { format!("Checked in: {}.", q.done.chars().take(200).collect::<String>()) };
    let page = DoorPage {
        ctx: s.ctx,
        door,
        notice,
        errors: FormErrors::default(),
        code: q.code.chars().take(40).collect(),
        walk_in: WalkIn::default(),
    };
    render(axum::http::StatusCode::OK, &page)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CheckinForm {
    /// code | list | walk_in
    how: String,
    code: String,
    account: String,
    #[serde(flatten)]
    walk_in: WalkIn,
}

async fn check_in(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<CheckinForm>) -> PageResult {
    let who = match f.how.as_str() {
        "code" => Arriving::Code(f.code.clone()),
        "list" => Arriving::Listed(f.account.clone()),
        "walk_in" => {
            Arriving::WalkIn { name: f.walk_in.name.clone(), email: f.walk_in.email.clone(), guest_of: f.walk_in.guest_of.clone() }
        }
        _ => return Err(AppError::NotFound.into()),
    };
    match form_errors(app.check_in(&s.me, &id, who).await)? {
        Ok(done) => {
            let names: Vec<&str> = done.people.iter().map(|k| k.name.as_str()).collect();
            see_other(&format!("/s/{id}/checkin?done={}", super::urlencode(&names.join(" and "))))
        }
        Err(errors) => {
            let door = app.door(&s.me, &id).await?;
            let code = if f.how == "code" { f.code } else { String::new() };
            let walk_in = if f.how == "walk_in" { f.walk_in } else { WalkIn::default() };
            let page = DoorPage { ctx: s.ctx, door, notice: String::new(), errors, code, walk_in };
            render(page.errors.status(), &page)
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SelfForm {
    day_code: String,
}

async fn self_check_in(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<SelfForm>) -> PageResult {
    match app.self_check_in(&s.me, &id, &f.day_code).await {
        Ok(_) => see_other(&format!("/s/{id}?notice=checked_in")),
        Err(AppError::Invalid(i)) if i.message_for("day_code").is_some() => see_other(&format!("/s/{id}?notice=day_code_wrong")),
        Err(AppError::Invalid(_)) => see_other(&format!("/s/{id}?notice=checkin_refused")),
        Err(AppError::RateLimited) => see_other(&format!("/s/{id}?notice=day_code_tries")),
        Err(e) => Err(e.into()),
    }
}
