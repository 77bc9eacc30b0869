//! Signing in with an e-mail link or a password, and signing out.

use super::{
    cookie, form_errors, ok, render, safe_next, session_cookie, ClientIp, CsrfForm, Ctx, FormErrors, PageError, PageResult, Query,
    SESSION_COOKIE,
};
use crate::app::accounts::SESSION_DAYS;
use crate::app::{App, AppError};
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/signin", get(form).post(request_link))
        .route("/signin/password", post(with_password))
        .route("/signin/sent", get(sent))
        .route("/signin/link", get(link).post(use_link))
        .route("/signout", post(sign_out))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SignInForm {
    email: String,
    password: String,
    next: String,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    ctx: Ctx,
    email: String,
    next: String,
    errors: FormErrors,
    password_open: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
}

async fn form(ctx: Ctx, Query(q): Query<NextQuery>) -> PageResult {
    if ctx.signed_in() {
        return Ok(Redirect::to(&safe_next(&q.next)).into_response());
    }
    ok(&SignInPage { ctx, email: String::new(), next: safe_next(&q.next), errors: FormErrors::default(), password_open: false })
}

/// Sign-in forms say a rate limit beside the address, like any other problem.
fn sign_in_problem<T>(r: Result<T, AppError>) -> Result<Result<T, FormErrors>, PageError> {
    match r {
        Err(AppError::RateLimited) => {
            Ok(Err(FormErrors::rate_limited("email", "Too many sign-in attempts from here for now. Wait a while and try again.")))
        }
        other => form_errors(other),
    }
}

async fn request_link(State(app): State<App>, ctx: Ctx, ClientIp(ip): ClientIp, CsrfForm(f): CsrfForm<SignInForm>) -> PageResult {
    match sign_in_problem(app.request_sign_in_link(&f.email, &safe_next(&f.next), &ip).await)? {
        Ok(()) => Ok(Redirect::to("/signin/sent").into_response()),
        Err(errors) => render(errors.status(), &SignInPage { ctx, email: f.email, next: safe_next(&f.next), errors, password_open: false }),
    }
}

async fn with_password(State(app): State<App>, ctx: Ctx, ClientIp(ip): ClientIp, CsrfForm(f): CsrfForm<SignInForm>) -> PageResult {
    match sign_in_problem(app.sign_in_with_password(&f.email, &f.password, &ip).await)? {
        Ok(s) => {
            Ok(([(header::SET_COOKIE, session_cookie(&app, &s.session_token, SESSION_DAYS * 86_400))], Redirect::to(&safe_next(&f.next)))
                .into_response())
        }
        Err(errors) => render(errors.status(), &SignInPage { ctx, email: f.email, next: safe_next(&f.next), errors, password_open: true }),
    }
}

#[derive(Template)]
#[template(path = "signin_sent.html")]
struct SentPage {
    ctx: Ctx,
    outbox: bool,
}

async fn sent(State(app): State<App>, ctx: Ctx) -> PageResult {
    ok(&SentPage { ctx, outbox: app.mailer.uses_outbox() })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    token: String,
}

#[derive(Template)]
#[template(path = "signin_link.html")]
struct LinkPage {
    ctx: Ctx,
    token: String,
    /// The (masked) address the link signs in; None when it can't be used.
    address: Option<String>,
}

/// Opening the link shows a button rather than signing in at once, so that
/// mail scanners which fetch every link do not use it up, and names the
/// account, so that nobody is signed in to someone else's by a link they were sent.
async fn link(State(app): State<App>, ctx: Ctx, Query(q): Query<TokenForm>) -> PageResult {
    let token = q.token.trim().to_string();
    let address = app.sign_in_link_address(&token).await?;
    let status = if address.is_some() { StatusCode::OK } else { StatusCode::GONE };
    render(status, &LinkPage { ctx, token, address })
}

async fn use_link(State(app): State<App>, ctx: Ctx, headers: HeaderMap, CsrfForm(f): CsrfForm<TokenForm>) -> PageResult {
    match app.sign_in_with_link(f.token.trim()).await {
        Ok(s) => {
            // Whoever was signed in on this browser before is signed out, on the server too.
            if let Some(old) = cookie(&headers, SESSION_COOKIE) {
                app.sign_out(&old).await?;
            }
            // Newcomers first check their name and time zone, then go where they were going
            // (a visitor confirming a registration goes straight on: the name is the one they gave).
            let next = safe_next(&s.next);
            let registering = next.starts_with("/s/") && next.contains("/register/confirm?");
            let to = match ((s.new_account || !s.account.time_zone_confirmed) && !registering, next.as_str()) {
                (true, "/") => "/settings/profile?welcome=1".to_string(),
                (true, _) => format!("/settings/profile?welcome=1&next={}", super::urlencode(&next)),
                (false, _) => next,
            };
            Ok(([(header::SET_COOKIE, session_cookie(&app, &s.session_token, SESSION_DAYS * 86_400))], Redirect::to(&to)).into_response())
        }
        Err(AppError::Gone(_)) => render(StatusCode::GONE, &LinkPage { ctx, token: String::new(), address: None }),
        Err(e) => Err(e.into()),
    }
}

async fn sign_out(State(app): State<App>, headers: HeaderMap, CsrfForm(_): CsrfForm<TokenForm>) -> PageResult {
    if let Some(t) = cookie(&headers, SESSION_COOKIE) {
        app.sign_out(&t).await?;
    }
    Ok(([(header::SET_COOKIE, session_cookie(&app, "", 0))], Redirect::to("/")).into_response())
}
