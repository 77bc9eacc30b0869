//! A person's own settings: profile, password, notifications, personal API tokens.

use super::{
    cookie, form_errors, ok, render, safe_next, see_other, CsrfForm, FormErrors, PageResult, Path, Query, SignedIn, SESSION_COOKIE,
};
use crate::app::accounts::ProfileInput;
use crate::app::notification_choices::{KindChoice, NotificationChoices};
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
        .route("/settings/notifications", get(notifications).post(save_notifications))
        .route("/settings/notifications/confirm", post(confirm_address))
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

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: super::Ctx,
    choices: NotificationChoices,
    /// Reminder times: name, label, chosen.
    times: Vec<(&'static str, &'static str, bool)>,
    /// The person's communities: slug, name, weekly digest, muted.
    communities: Vec<(String, String, bool, bool)>,
    email: String,
    errors: FormErrors,
    saved: bool,
    confirm_sent: bool,
}

async fn notifications_page(app: &App, s: SignedIn, shown: Option<NotificationChoices>, errors: FormErrors, notice: &str) -> PageResult {
    let (saved, confirm_sent) = (notice == "1", notice == "confirm");
    let status = if errors.any() { errors.status() } else { StatusCode::OK };
    let stored = app.notification_choices(&s.me).await?;
    let mut choices = shown.unwrap_or_else(|| stored.clone());
    // What was typed comes back as typed; labels and the bounce are the stored ones.
    choices.email_bounced = stored.email_bounced;
    for k in &mut choices.kinds {
        k.label = stored.kinds.iter().find(|x| x.kind == k.kind).map(|x| x.label.clone()).unwrap_or_default();
    }
    choices.kinds.retain(|k| !k.label.is_empty());
    let times = cowork_core::notifications::ReminderTime::ALL
        .iter()
        .map(|t| (t.as_str(), t.label(), choices.reminder_times.iter().any(|c| c == t.as_str())))
        .collect();
    let communities = app
        .store
        .communities_of(&s.me.id)
        .await
        .map_err(crate::app::AppError::from)?
        .into_iter()
        .filter(|c| !c.pending)
        .map(|c| {
            let muted = choices.muted_communities.contains(&c.community.slug);
            let digest = choices.digest_communities.as_ref().is_some_and(|d| d.contains(&c.community.slug));
            (c.community.slug, c.community.name, digest, muted)
        })
        .collect();
    let email = s.me.email.clone();
    render(status, &NotificationsPage { ctx: s.ctx, choices, times, communities, email, errors, saved, confirm_sent })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Saved {
    saved: String,
}

async fn notifications(State(app): State<App>, s: SignedIn, Query(q): Query<Saved>) -> PageResult {
    notifications_page(&app, s, None, FormErrors::default(), &q.saved).await
}

/// The form lists every kind (`kind`), and the checked boxes: `email` and
/// `push` per kind, `reminder` per time, `digest` and `mute` per community.
async fn save_notifications(State(app): State<App>, s: SignedIn, CsrfForm(fields): CsrfForm<Vec<(String, String)>>) -> PageResult {
    let values = |name: &str| fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (email, push) = (values("email"), values("push"));
    let choices = NotificationChoices {
        kinds: values("kind")
            .into_iter()
            .map(|kind| KindChoice { email: email.contains(&kind), push: push.contains(&kind), label: String::new(), kind })
            .collect(),
        reminder_times: values("reminder"),
        muted_communities: values("mute"),
        digest_communities: Some(values("digest")),
        email_bounced: false,
    };
    match form_errors(app.save_notification_choices(&s.me, &choices).await)? {
        Ok(()) => see_other("/settings/notifications?saved=1"),
        Err(errors) => notifications_page(&app, s, Some(choices), errors, "").await,
    }
}

/// An address that bounced gets mail again once its owner follows a link
/// mailed to it: this sends one (even while bounced); following it signs in
/// and confirms the address.
async fn confirm_address(
    State(app): State<App>,
    s: SignedIn,
    ip: super::ClientIp,
    CsrfForm(_): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let email = s.me.email.clone();
    match form_errors(app.request_sign_in_link(&email, "/settings/notifications", &ip.0).await)? {
        Ok(()) => see_other("/settings/notifications?saved=confirm"),
        Err(errors) => notifications_page(&app, s, None, errors, "").await,
    }
}
