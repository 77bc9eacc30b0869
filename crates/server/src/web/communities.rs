//! Community pages: directory, create and edit, the community's own page,
//! joining and leaving, members and invite links.

use super::{form_errors, ok, render, see_other, urlencode, CsrfForm, Ctx, FormErrors, PageResult, Path, Query, SignedIn};
use crate::app::communities::{CommunityView, DirectorySearch, InviteInput, DIRECTORY_PAGE_SIZE};
use crate::app::{App, AppError};
use crate::markdown;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use cowork_core::community::{CommunityInput, JoinOutcome, JoinPolicy, Visibility};
use cowork_core::permissions::{Action, Role};
use cowork_core::time::zone_names;
use cowork_store::{Community, Invite, Member};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/communities", get(directory))
        .route("/communities/new", get(new_form).post(create))
        .route("/c/{slug}", get(show))
        .route("/c/{slug}/edit", get(edit_form).post(update))
        .route("/c/{slug}/join", get(join_form).post(join))
        .route("/c/{slug}/leave", post(leave))
        .route("/c/{slug}/members", get(members))
        .route("/c/{slug}/members/{account}/approve", post(approve))
        .route("/c/{slug}/members/{account}/remove", post(remove))
        .route("/c/{slug}/members/{account}/role", post(change_role))
        .route("/c/{slug}/members/{account}/allow", post(allow_back))
        .route("/c/{slug}/invites", get(invites).post(create_invite))
        .route("/c/{slug}/invites/{id}/revoke", post(revoke_invite))
        .route("/invite/{code}", get(open_invite))
}

// ---- directory

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    ctx: Ctx,
    q: String,
    topic: String,
    page: i64,
    communities: Vec<Community>,
    topics: Vec<(String, i64)>,
    /// Whether a next page may exist.
    more: bool,
    /// The cities each community meets in, by community id.
    cities: std::collections::HashMap<String, Vec<String>>,
}

impl DirectoryPage {
    fn page_link(&self, page: &i64) -> String {
        format!("/communities?q={}&topic={}&page={page}", urlencode(&self.q), urlencode(&self.topic))
    }
    fn topic_link(&self, topic: &str) -> String {
        format!("/communities?topic={}", urlencode(topic))
    }
    /// "Leiden, Amsterdam and 2 more": where a community meets in person.
    fn cities_of(&self, id: &str) -> String {
        let all = self.cities.get(id).map(Vec::as_slice).unwrap_or_default();
        match all.len() {
            0..=4 => all.join(", "),
            n => format!("{} and {} more", all[..3].join(", "), n - 3),
        }
    }
}

async fn directory(State(app): State<App>, ctx: Ctx, Query(search): Query<DirectorySearch>) -> PageResult {
    let communities = app.directory(&search).await?;
    let topics = app.popular_topics().await?;
    let more = communities.len() == DIRECTORY_PAGE_SIZE;
    let cities = app.community_cities(&communities).await?;
    ok(&DirectoryPage { ctx, page: search.page(), q: search.q, topic: search.topic, communities, topics, more, cities })
}

// ---- create and edit

#[derive(Template)]
#[template(path = "community_form.html")]
struct CommunityForm {
    ctx: Ctx,
    form: CommunityInput,
    errors: FormErrors,
    /// None when creating.
    slug: Option<String>,
    zones: Vec<String>,
    zone_choices: cowork_core::zones::Found,
}

/// The community form as sent: the input, and a zone picked from those offered.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CommunityFields {
    #[serde(flatten)]
    input: CommunityInput,
    zone_pick: String,
}

impl CommunityFields {
    fn input(mut self) -> CommunityInput {
        super::picked_zone(&mut self.input.time_zone, &self.zone_pick);
        self.input
    }
}

impl CommunityForm {
    fn visibilities(&self) -> Vec<(&'static str, &'static str)> {
        Visibility::ALL.iter().map(|v| (v.as_str(), v.describe())).collect()
    }
    fn policies(&self) -> Vec<(&'static str, &'static str)> {
        JoinPolicy::ALL.iter().map(|v| (v.as_str(), v.describe())).collect()
    }
    fn day_hosts(&self) -> Vec<(&'static str, &'static str)> {
        cowork_core::community::DayHosts::ALL.iter().map(|v| (v.as_str(), v.describe())).collect()
    }
}

fn form_page(ctx: Ctx, form: CommunityInput, errors: FormErrors, slug: Option<String>) -> CommunityForm {
    let zone_choices = super::zone_choices(&form.time_zone, &errors);
    CommunityForm { ctx, form, errors, slug, zones: zone_names(), zone_choices }
}

async fn new_form(s: SignedIn) -> PageResult {
    let form = CommunityInput::default().or_defaults(&s.me.time_zone);
    ok(&form_page(s.ctx, form, FormErrors::default(), None))
}

async fn create(State(app): State<App>, s: SignedIn, CsrfForm(form): CsrfForm<CommunityFields>) -> PageResult {
    let form = form.input();
    match form_errors(app.create_community(&s.me, &form).await)? {
        Ok(c) => see_other(&format!("/c/{}?notice=created", c.slug)),
        Err(errors) => render(errors.status(), &form_page(s.ctx, form, errors, None)),
    }
}

async fn edit_form(State(app): State<App>, s: SignedIn, Path(slug): Path<String>) -> PageResult {
    let form = app.community_input(&s.me, &slug).await?;
    ok(&form_page(s.ctx, form, FormErrors::default(), Some(slug)))
}

async fn update(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, CsrfForm(form): CsrfForm<CommunityFields>) -> PageResult {
    let form = form.input();
    match form_errors(app.update_community(&s.me, &slug, &form).await)? {
        Ok(c) => see_other(&format!("/c/{}?notice=saved", c.slug)),
        Err(errors) => render(errors.status(), &form_page(s.ctx, form, errors, Some(slug))),
    }
}

// ---- the community page

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    ctx: Ctx,
    view: CommunityView,
    c: Community,
    description_html: String,
    coc_html: String,
    notice: &'static str,
    upcoming: Vec<cowork_store::Session>,
    happening: Vec<cowork_store::Session>,
    /// The viewer is the community's only owner, who can't leave it.
    sole_owner: bool,
}

impl CommunityPage {
    fn may_schedule(&self) -> bool {
        self.view.may(Action::Schedule)
    }
    fn is_member(&self) -> bool {
        self.view.role().is_some()
    }
    fn is_pending(&self) -> bool {
        self.view.standing == cowork_core::permissions::Standing::Pending
    }
    fn manages(&self) -> bool {
        self.view.may(Action::ManageMembers)
    }
    fn role_label(&self) -> &'static str {
        self.view.role().map(Role::label).unwrap_or("")
    }
}

fn notice_text(code: &str) -> &'static str {
    match code {
        "created" => "Your community is ready. Invite people, or share its address.",
        "saved" => "Changes saved.",
        "joined" => "Welcome! You're now a member.",
        "requested" => "Your request to join is sent. An organizer will look at it soon.",
        "left" => "You left this community.",
        _ => "",
    }
}

async fn show(State(app): State<App>, ctx: Ctx, Path(slug): Path<String>, Query(n): Query<NoticeQuery>) -> PageResult {
    let t = crate::app::now();
    // From a day back, so sessions that started and still run come first, marked "now".
    let (view, mut upcoming) = app.community_schedule(ctx.viewer.as_ref(), &slug, t - 86_400, t + 60 * 86_400).await?;
    upcoming.retain(|s| !s.cancelled && s.ends_at > t);
    let happening: Vec<_> = upcoming.iter().filter(|s| s.starts_at <= t).cloned().collect();
    upcoming.retain(|s| s.starts_at > t);
    upcoming.truncate(5);
    let c = view.community.clone();
    let sole_owner = app.is_sole_owner(&view).await?;
    ok(&CommunityPage {
        upcoming,
        happening,
        sole_owner,
        ctx,
        description_html: markdown::to_html(&c.description),
        coc_html: markdown::to_html(&c.code_of_conduct),
        c,
        view,
        notice: notice_text(&n.notice),
    })
}

// ---- joining and leaving

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct JoinQuery {
    invite: String,
    /// Where to return after joining, e.g. the session that asked ("join to say you're coming").
    next: String,
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    ctx: Ctx,
    c: Community,
    coc_html: String,
    invite: String,
    /// A local path to return to after joining, or "".
    next: String,
    errors: FormErrors,
}

/// The page to return to after joining: only a local path, never elsewhere.
fn return_to(next: &str) -> String {
    if next.is_empty() {
        String::new()
    } else {
        super::safe_next(next)
    }
}

async fn join_form(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, Query(q): Query<JoinQuery>) -> PageResult {
    let c = app.join_target(&s.me, &slug, Some(&q.invite)).await?;
    let coc_html = markdown::to_html(&c.code_of_conduct);
    ok(&JoinPage { ctx: s.ctx, c, coc_html, invite: q.invite, next: return_to(&q.next), errors: FormErrors::default() })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct JoinForm {
    accept_code_of_conduct: String,
    invite: String,
    next: String,
}

async fn join(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, CsrfForm(f): CsrfForm<JoinForm>) -> PageResult {
    let accepted = !f.accept_code_of_conduct.is_empty();
    let invite = Some(f.invite.as_str()).filter(|i| !i.is_empty());
    match form_errors(app.join(&s.me, &slug, accepted, invite).await)? {
        Ok(JoinOutcome::Member) => match return_to(&f.next).as_str() {
            "" | "/" => see_other(&format!("/c/{slug}?notice=joined")),
            next => see_other(&format!("{next}{}notice=joined", if next.contains('?') { '&' } else { '?' })),
        },
        Ok(JoinOutcome::Pending) => see_other(&format!("/c/{slug}?notice=requested")),
        Ok(JoinOutcome::NeedsInvite) => Err(AppError::forbidden().into()),
        Err(errors) => {
            let c = app.join_target(&s.me, &slug, Some(&f.invite)).await?;
            let coc_html = markdown::to_html(&c.code_of_conduct);
            render(errors.status(), &JoinPage { ctx: s.ctx, c, coc_html, invite: f.invite, next: return_to(&f.next), errors })
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Empty {}

async fn leave(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    app.leave(&s.me, &slug).await?;
    // After leaving a private community its page no longer exists for you.
    see_other("/?left=1")
}

async fn open_invite(Path(code): Path<String>, State(app): State<App>) -> PageResult {
    let c = app.invite_community(&code).await?;
    Ok(Redirect::to(&format!("/c/{}/join?invite={}", c.slug, urlencode(&code))).into_response())
}

// ---- members

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    ctx: Ctx,
    view: CommunityView,
    members: Vec<Member>,
    my_id: String,
}

impl MembersPage {
    fn manages(&self) -> bool {
        self.view.may(Action::ManageMembers)
    }
    fn roles(&self) -> Vec<Role> {
        Role::ALL.to_vec()
    }
    fn pending(&self) -> Vec<&Member> {
        self.members.iter().filter(|m| m.pending).collect()
    }
    fn active(&self) -> Vec<&Member> {
        self.members.iter().filter(|m| !m.pending && !m.removed).collect()
    }
    fn removed(&self) -> Vec<&Member> {
        self.members.iter().filter(|m| m.removed).collect()
    }
}

async fn members(State(app): State<App>, s: SignedIn, Path(slug): Path<String>) -> PageResult {
    let (view, members) = app.members(&s.me, &slug).await?;
    ok(&MembersPage { ctx: s.ctx, view, members, my_id: s.me.id.clone() })
}

async fn approve(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, account)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    app.approve_member(&s.me, &slug, &account).await?;
    see_other(&format!("/c/{slug}/members"))
}

async fn remove(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, account)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    app.remove_member(&s.me, &slug, &account).await?;
    see_other(&format!("/c/{slug}/members"))
}

async fn allow_back(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, account)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    app.allow_back(&s.me, &slug, &account).await?;
    see_other(&format!("/c/{slug}/members"))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn change_role(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, account)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RoleForm>,
) -> PageResult {
    app.change_role(&s.me, &slug, &account, &f.role).await?;
    see_other(&format!("/c/{slug}/members"))
}

// ---- invites

#[derive(Template)]
#[template(path = "invites.html")]
struct InvitesPage {
    ctx: Ctx,
    c: Community,
    invites: Vec<Invite>,
    new_link: Option<String>,
    form: InviteInput,
    errors: FormErrors,
    now: i64,
}

async fn invites_page(app: &App, s: SignedIn, slug: &str, new_link: Option<String>, form: InviteInput, errors: FormErrors) -> PageResult {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (view, invites) = app.invites(&s.me, slug).await?;
    render(status, &InvitesPage { ctx: s.ctx, c: view.community, invites, new_link, form, errors, now: crate::app::now() })
}

async fn invites(State(app): State<App>, s: SignedIn, Path(slug): Path<String>) -> PageResult {
    invites_page(&app, s, &slug, None, InviteInput { days: "14".into(), ..Default::default() }, FormErrors::default()).await
}

async fn create_invite(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, CsrfForm(f): CsrfForm<InviteInput>) -> PageResult {
    match form_errors(app.create_invite(&s.me, &slug, &f).await)? {
        Ok((_, code)) => {
            let link = format!("{}/invite/{code}", app.config.base_url);
            invites_page(&app, s, &slug, Some(link), InviteInput { days: "14".into(), ..Default::default() }, FormErrors::default()).await
        }
        Err(errors) => invites_page(&app, s, &slug, None, f, errors).await,
    }
}

async fn revoke_invite(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> PageResult {
    app.revoke_invite(&s.me, &slug, &id).await?;
    see_other(&format!("/c/{slug}/invites"))
}
