//! A person's own settings: profile, password, personal API tokens.

use super::{
    cookie, form_errors, ok, render, safe_next, see_other, CsrfForm, FormErrors, PageResult, Path, Query, SignedIn, SESSION_COOKIE,
};
use crate::app::accounts::ProfileInput;
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use cowork_core::time::zone_names;
use cowork_store::ApiToken;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/settings", get(|| async { axum::response::Redirect::to("/settings/profile") }))
        .route("/settings/profile", get(profile).post(save_profile))
        .route("/settings/password", post(set_password))
        .route("/settings/password/remove", post(remove_password))
        .route("/settings/tokens", get(tokens).post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    ctx: super::Ctx,
    form: ProfileInput,
    errors: FormErrors,
    password_errors: FormErrors,
    zones: Vec<String>,
    zone_choices: cowork_core::zones::Found,
    welcome: bool,
    notice: &'static str,
    has_password: bool,
    email: String,
    zone_confirmed: bool,
    /// Where to go after saving (a newcomer on their way to a community).
    next: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Notice {
    welcome: String,
    saved: String,
    next: String,
}

fn notice(n: &Notice) -> &'static str {
    match n.saved.as_str() {
        "profile" => "Your profile is saved.",
        "password" => "Your password is set. Other devices were signed out.",
        "nopassword" => "Your password is removed; sign in with e-mail links.",
        _ => "",
    }
}

fn profile_page(
    s: SignedIn,
    form: ProfileInput,
    errors: FormErrors,
    password_errors: FormErrors,
    welcome: bool,
    notice: &'static str,
    next: &str,
) -> ProfilePage {
    let has_password = s.me.has_password;
    let email = s.me.email.clone();
    let zone_confirmed = s.me.time_zone_confirmed;
    let next = if next.is_empty() { String::new() } else { safe_next(next) };
    let zone_choices = super::zone_choices(&form.time_zone, &errors);
    ProfilePage {
        zone_choices,
        ctx: s.ctx,
        form,
        errors,
        password_errors,
        zones: zone_names(),
        welcome,
        notice,
        has_password,
        email,
        zone_confirmed,
        next,
    }
}

async fn profile(s: SignedIn, Query(n): Query<Notice>) -> PageResult {
    let form = ProfileInput::of(&s.me);
    ok(&profile_page(s, form, FormErrors::default(), FormErrors::default(), !n.welcome.is_empty(), notice(&n), &n.next))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ProfileForm {
    #[serde(flatten)]
    profile: ProfileInput,
    next: String,
    zone_pick: String,
}

async fn save_profile(State(app): State<App>, s: SignedIn, CsrfForm(mut f): CsrfForm<ProfileForm>) -> PageResult {
    super::picked_zone(&mut f.profile.time_zone, &f.zone_pick);
    match form_errors(app.update_profile(&s.me, &f.profile).await)? {
        Ok(_) if !f.next.is_empty() => see_other(&safe_next(&f.next)),
        Ok(_) => see_other("/settings/profile?saved=profile"),
        Err(errors) => render(errors.status(), &profile_page(s, f.profile, errors, FormErrors::default(), false, "", &f.next)),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
    confirm: String,
}

async fn set_password(State(app): State<App>, s: SignedIn, headers: HeaderMap, CsrfForm(f): CsrfForm<PasswordForm>) -> PageResult {
    let session = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    match form_errors(app.set_password(&s.me, &f.password, &f.confirm, &session).await)? {
        Ok(()) => see_other("/settings/profile?saved=password"),
        Err(errors) => {
            let form = ProfileInput::of(&s.me);
            render(errors.status(), &profile_page(s, form, FormErrors::default(), errors, false, "", ""))
        }
    }
}

async fn remove_password(State(app): State<App>, s: SignedIn, CsrfForm(_): CsrfForm<PasswordForm>) -> PageResult {
    app.remove_password(&s.me).await?;
    see_other("/settings/profile?saved=nopassword")
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: super::Ctx,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    token_name: String,
    errors: FormErrors,
    base_url: String,
}

async fn tokens_page(
    app: &App,
    s: SignedIn,
    new_token: Option<String>,
    token_name: String,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let tokens = app.api_tokens(&s.me).await?;
    render(status, &TokensPage { ctx: s.ctx, tokens, new_token, token_name, errors, base_url: app.config.base_url.clone() })
}

async fn tokens(State(app): State<App>, s: SignedIn) -> PageResult {
    tokens_page(&app, s, None, String::new(), FormErrors::default(), StatusCode::OK).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
}

async fn create_token(State(app): State<App>, s: SignedIn, CsrfForm(f): CsrfForm<TokenForm>) -> PageResult {
    match form_errors(app.create_api_token(&s.me, &f.name).await)? {
        Ok((_, secret)) => tokens_page(&app, s, Some(secret), String::new(), FormErrors::default(), StatusCode::OK).await,
        Err(errors) => tokens_page(&app, s, None, f.name, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

async fn revoke_token(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(_): CsrfForm<TokenForm>) -> PageResult {
    app.revoke_api_token(&s.me, &id).await?;
    see_other("/settings/tokens")
}
