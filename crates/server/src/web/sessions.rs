//! One session: its page, RSVPs, editing it on its own, cancelling it,
//! attendance, and its .ics file.

use super::schedule::{series_form, SeriesFormBody};
use super::{form_errors, ok, see_other, CsrfForm, Ctx, FormErrors, PageResult, Path, Query, SignedIn};
use crate::app::happening::JoinNow;
use crate::app::schedule::SessionView;
use crate::app::{now, App};
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use cowork_core::format::{agenda, duration_words, PhaseKind};
use cowork_core::permissions::Action;
use cowork_core::rsvp::RsvpStatus;
use cowork_core::schedule::language_name;
use cowork_core::time::Zone;
use cowork_store::Rsvp;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/s/{id}", get(page))
        .route("/s/{id}/calendar.ics", get(ics))
        .route("/s/{id}/rsvp", post(rsvp))
        .route("/s/{id}/join-now", post(join_now))
        .route("/s/{id}/rsvp/cancel", post(cancel_rsvp))
        .route("/s/{id}/edit", get(edit_form).post(edit))
        .route("/s/{id}/cancel", get(cancel_form).post(cancel))
        .route("/s/{id}/restore", post(restore))
        .route("/s/{id}/host", post(set_host))
        .route("/s/{id}/attendance/{account}", post(attendance))
}

/// Cities people recognise, for the strip of the same moment around the world.
const WORLD: &[(&str, &str)] = &[
    ("America/Los_Angeles", "Los Angeles"),
    ("America/New_York", "New York"),
    ("America/Sao_Paulo", "São Paulo"),
    ("Europe/London", "London"),
    ("Europe/Berlin", "Berlin"),
    ("Africa/Lagos", "Lagos"),
    ("Asia/Kolkata", "Delhi"),
    ("Asia/Tokyo", "Tokyo"),
    ("Australia/Sydney", "Sydney"),
];

pub struct ZoneTime {
    pub place: String,
    pub zone: String,
    pub time: String,
    /// "", "next day" or "previous day", against the session's own date.
    pub day: String,
    pub yours: bool,
}

/// The start in other zones, the viewer's and the session's own first.
fn zone_strip(ctx: &Ctx, session_zone: &str, at: i64) -> Vec<ZoneTime> {
    let mut zones: Vec<(String, String)> = Vec::new();
    let city = |z: &str| {
        WORLD
            .iter()
            .find(|(n, _)| *n == z)
            .map(|(_, c)| c.to_string())
            .unwrap_or_else(|| z.rsplit('/').next().unwrap_or(z).replace('_', " "))
    };
    if ctx.viewer.is_some() {
        zones.push((ctx.zone.name().to_string(), city(ctx.zone.name())));
    }
    zones.push((session_zone.to_string(), city(session_zone)));
    for (z, c) in WORLD {
        zones.push((z.to_string(), c.to_string()));
    }
    let mut seen = std::collections::HashSet::new();
    zones.retain(|(z, _)| seen.insert(z.clone()));
    let home = Zone::parse("tz", session_zone).unwrap_or_else(|_| Zone::utc()).local(at).date;
    zones
        .into_iter()
        .filter_map(|(z, place)| {
            let zone = Zone::parse("tz", &z).ok()?;
            let local = zone.local(at);
            let day = match local.date.cmp(&home) {
                std::cmp::Ordering::Greater => "next day",
                std::cmp::Ordering::Less => "previous day",
                _ => "",
            };
            Some(ZoneTime {
                yours: ctx.viewer.is_some() && z == ctx.zone.name(),
                place,
                zone: z,
                time: format!("{} {}", zone.clock(at), zone.abbreviation(at)),
                day: day.into(),
            })
        })
        .collect()
}

pub struct AgendaRow {
    pub at: i64,
    pub label: String,
    pub minutes: u32,
    pub kind: &'static str,
    pub note: &'static str,
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    ctx: Ctx,
    v: SessionView,
    agenda: Vec<AgendaRow>,
    strip: Vec<ZoneTime>,
    notice: String,
    google: String,
    started: bool,
    /// The live room: "later" (not open yet), "open", or "over".
    room: &'static str,
    room_opens_minutes: u32,
    /// The session's scheduled end has passed.
    over: bool,
    /// The viewer may come into the live room (the room's own rule).
    may_enter: bool,
    /// The viewer hosts this session.
    host: bool,
    /// The viewer's check-in pass (going to a session at a place).
    pass: Option<crate::app::checkins::PassView>,
}

impl SessionPage {
    fn my_id(&self) -> &str {
        self.ctx.viewer.as_ref().map(|a| a.id.as_str()).unwrap_or_default()
    }
    /// The series' hosts take turns (two or more), so each session needs one of them.
    fn hosts_take_turns(&self) -> bool {
        self.v.hosts.len() > 1
    }
    fn in_rota(&self) -> bool {
        self.v.hosts.iter().any(|(id, _)| id == self.my_id())
    }
    fn hosting_this_one(&self) -> bool {
        self.v.host.as_ref().is_some_and(|(id, _)| id == self.my_id())
    }
    fn rota_names(&self) -> String {
        self.v.hosts.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
    }
    fn going(&self) -> Vec<&Rsvp> {
        self.v.rsvps.iter().filter(|r| r.status == RsvpStatus::Going).collect()
    }
    /// Before the start, everyone going; after it, those going who were not seen in the room.
    fn going_listed(&self, started: &bool) -> Vec<&Rsvp> {
        if *started {
            self.going_not_seen()
        } else {
            self.going()
        }
    }
    fn going_not_seen(&self) -> Vec<&Rsvp> {
        self.going().into_iter().filter(|r| !self.v.arrivals.iter().any(|a| a.account_id == r.account_id)).collect()
    }
    /// "4 came" after the session, counting the room and the hosts' marks.
    fn came_line(&self) -> String {
        let marked = self
            .going()
            .into_iter()
            .filter(|r| r.attendance == "attended" && !self.v.arrivals.iter().any(|a| a.account_id == r.account_id));
        let n = self.v.arrivals.len() + marked.count();
        match n {
            0 if !self.is_member() => "see you at the next one".into(),
            0 => "nobody came into its live room".into(),
            1 => "1 person came".into(),
            n => format!("{n} people came"),
        }
    }
    fn video_link_shown(&self) -> bool {
        // Whoever may enter the open room finds the link there anyway.
        let allowed = self.v.shows_video_link() || (self.may_enter && self.room == "open");
        allowed && !self.v.session.content.video_url.is_empty() && !self.v.session.cancelled && !self.over
    }
    fn waiting(&self) -> Vec<&Rsvp> {
        self.v.rsvps.iter().filter(|r| r.status == RsvpStatus::Waitlisted).collect()
    }
    fn is_member(&self) -> bool {
        self.v.community.role().is_some()
    }
    fn my_status(&self) -> &'static str {
        self.v.mine.map(|r| r.status.as_str()).unwrap_or("")
    }
    fn my_place(&self) -> i64 {
        self.v.mine.map(|r| r.waitlist_place).unwrap_or(0)
    }
    fn may_schedule(&self) -> bool {
        self.v.community.may(Action::Schedule)
    }
    fn duration(&self) -> String {
        duration_words(cowork_core::format::total_minutes(&self.v.session.content.phases))
    }
    fn language(&self) -> &str {
        language_name(&self.v.session.content.language)
    }
    fn places_line(&self) -> String {
        let s = &self.v.session;
        let waiting = self.v.rsvps.iter().filter(|r| r.status == RsvpStatus::Waitlisted).count();
        let wait = if waiting > 0 { format!(" · {waiting} on the waitlist") } else { String::new() };
        if s.cancelled {
            return match s.going_count {
                0 => "Cancelled.".into(),
                1 => format!("Cancelled · 1 person was going{wait}"),
                n => format!("Cancelled · {n} people were going{wait}"),
            };
        }
        let in_person = match s.places_left() {
            None => format!("{} going · no limit on places", s.going_count),
            Some(0) => format!("Full: {} of {} places taken{wait}", s.going_count, s.content.capacity),
            Some(left) => format!("{} of {} places taken · {left} left{wait}", s.going_count, s.content.capacity),
        };
        if s.content.place != "hybrid" {
            return in_person;
        }
        let online = match s.online_places_left() {
            None => format!("{} online", s.online_going),
            Some(left) => format!("{} of {} online places taken · {left} left", s.online_going, s.content.online_capacity),
        };
        format!("In person: {in_person}. Online: {online}.")
    }
    fn open_to_visitors(&self) -> bool {
        let c = &self.v.community.community;
        crate::app::App::open_to_visitors(&self.v.session, c.visibility, c.join_policy, now())
    }
    fn hybrid(&self) -> bool {
        self.v.session.content.place == "hybrid"
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

fn notice(code: &str) -> &'static str {
    match code {
        "going" => "You're going. It's in your calendar feed, and the link to join shows here.",
        "waitlisted" => "The session is full, so you're on the waitlist. If a place frees, it's yours and we'll mail you.",
        "cancelled_rsvp" => "You're no longer going. Thanks for freeing the place.",
        "saved" => "This session is saved. Changes made to the series from now on leave it as it is.",
        "cancelled" => {
            "The session is cancelled. Everyone going or waiting is told by mail, and calendars that follow it show it as cancelled."
        }
        "restored" => "The session is back on the schedule. Everyone going or waiting is told by mail.",
        "message_sent" => "Your message is on its way to them by mail.",
        "message_sent_one" => "Your message is on its way by mail.",
        "over" => "This session is over.",
        "joined" => "Welcome! You're now a member, so you can say you're coming.",
        "host" => "Saved: the session page now shows who hosts it.",
        "checked_in" => "You're checked in. Welcome!",
        "day_code_tries" => "Too many tries at the code of the day: show your pass to a host at the door.",
        "day_code_wrong" => "That is not today's code. It is shown at the door; or show your pass to a host.",
        "checkin_refused" => "That did not check you in: the door may not be open yet, or the day is full. Show your pass to a host.",
        _ => "",
    }
}

/// A Google Calendar link with the session filled in (no account needed here).
fn google_link(v: &SessionView, base: &str) -> String {
    let s = &v.session;
    let stamp = |t: i64| {
        let l = Zone::utc().local(t);
        format!("{:04}{:02}{:02}T{:02}{:02}00Z", l.date.year(), l.date.month(), l.date.day(), l.time.hour(), l.time.minute())
    };
    format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&details={}",
        super::urlencode(&s.content.title),
        stamp(s.starts_at),
        stamp(s.ends_at),
        super::urlencode(&format!("{base}/s/{}", s.id))
    )
}

async fn page(State(app): State<App>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<NoticeQuery>) -> PageResult {
    let v = app.session_view(ctx.viewer.as_ref(), &id).await?;
    let agenda = agenda(v.session.starts_at, &v.session.content.phases)
        .into_iter()
        .map(|(at, p)| AgendaRow {
            at,
            label: p.label.clone(),
            minutes: p.minutes,
            kind: p.kind.as_str(),
            note: match (p.kind, p.enforced) {
                (PhaseKind::Break, true) if !p.label.to_lowercase().contains("everyone") => "everyone breaks",
                (PhaseKind::Break, false) => "optional",
                _ => "",
            },
        })
        .collect();
    let strip = zone_strip(&ctx, &v.session.content.time_zone, v.session.starts_at);
    let google = google_link(&v, &app.config.base_url);
    let started = v.session.starts_at <= now();
    let room_opens_minutes = app.config.room_opens_minutes;
    let room = if now() < v.session.starts_at - i64::from(room_opens_minutes) * 60 {
        "later"
    } else if now() * 1000 < v.session.ends_at * 1000 + crate::app::room::CLOSE_GRACE_MS {
        "open"
    } else {
        "over"
    };
    let over = v.session.ends_at <= now();
    let may_enter = v.may_enter_room(ctx.viewer.as_ref());
    let host = v.is_host(ctx.viewer.as_ref());
    let notice = notice(&q.notice).to_string();
    let pass = match &ctx.viewer {
        Some(me) if !over => app.my_pass(me, &v).await?,
        _ => None,
    };
    ok(&SessionPage { ctx, agenda, strip, notice, google, started, room, room_opens_minutes, over, may_enter, host, v, pass })
}

async fn ics(State(app): State<App>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let body = app.session_ics(ctx.viewer.as_ref(), &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"cowork-{id}.ics\"")),
        ],
        body,
    )
        .into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RsvpForm {
    /// "all": this session and every later one of its series.
    scope: String,
    #[serde(flatten)]
    party: crate::app::rsvps::PartyInput,
}

async fn rsvp(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<RsvpForm>) -> PageResult {
    let r = app.rsvp_as(&s.me, &id, f.scope == "all", &f.party).await?;
    let code = if r.status == RsvpStatus::Going { "going" } else { "waitlisted" };
    see_other(&format!("/s/{id}?notice={code}"))
}

/// "Join now" from a list of sessions happening now.
async fn join_now(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    match app.join_now(&s.me, &id).await? {
        JoinNow::Room => see_other(&format!("/s/{id}/room")),
        JoinNow::JoinCommunity { slug } => see_other(&format!("/c/{slug}/join?next=/s/{id}")),
        JoinNow::SessionPage { notice } => see_other(&format!("/s/{id}?notice={notice}")),
    }
}

async fn cancel_rsvp(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<RsvpForm>) -> PageResult {
    app.cancel_rsvp(&s.me, &id, f.scope == "all").await?;
    see_other(&format!("/s/{id}?notice=cancelled_rsvp"))
}

async fn edit_form(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let (v, form) = app.session_edit_input(&s.me, &id).await?;
    let action = format!("/s/{id}/edit");
    let heading = format!("Edit this session of “{}”", v.session.content.title);
    let note = "Only this session changes. Moving it keeps everyone's answers.".to_string();
    series_form(&app, s.ctx, v.community, form, FormErrors::default(), action, heading, true, 0, note).await
}

async fn edit(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(body): CsrfForm<SeriesFormBody>) -> PageResult {
    let input = body.input.input();
    match form_errors(app.edit_session(&s.me, &id, &input).await)? {
        Ok(_) => see_other(&format!("/s/{id}?notice=saved")),
        Err(errors) => {
            let v = app.session_view(Some(&s.me), &id).await?;
            let action = format!("/s/{id}/edit");
            let heading = format!("Edit this session of “{}”", v.session.content.title);
            series_form(&app, s.ctx, v.community, input, errors, action, heading, true, 0, String::new()).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Empty {}

#[derive(Template)]
#[template(path = "session_cancel.html")]
struct CancelPage {
    ctx: Ctx,
    v: SessionView,
    note: String,
    errors: FormErrors,
}

impl CancelPage {
    fn who_is_told(&self) -> String {
        let going = self.v.rsvps.iter().filter(|r| r.status == RsvpStatus::Going).count();
        let waiting = self.v.rsvps.iter().filter(|r| r.status == RsvpStatus::Waitlisted).count();
        let people = |n: usize| if n == 1 { "1 person".to_string() } else { format!("{n} people") };
        match (going, waiting) {
            (0, 0) => "Nobody has said they're coming yet, so nobody needs to be told.".into(),
            (g, 0) => format!("The {} going will get an e-mail.", people(g)),
            (0, w) => format!("The {} on the waitlist will get an e-mail.", people(w)),
            (g, w) => format!("The {} going and the {} on the waitlist will get an e-mail.", people(g), people(w)),
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CancelForm {
    note: String,
}

async fn cancel_form(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let v = app.session_view(Some(&s.me), &id).await?;
    if !v.may_schedule() {
        return Err(crate::app::AppError::forbidden().into());
    }
    ok(&CancelPage { ctx: s.ctx, v, note: String::new(), errors: FormErrors::default() })
}

async fn cancel(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<CancelForm>) -> PageResult {
    let errors = match app.cancel_session(&s.me, &id, true, &f.note).await {
        Ok(_) => return see_other(&format!("/s/{id}?notice=cancelled")),
        Err(crate::app::AppError::Conflict(m)) => FormErrors::conflict(&m),
        Err(e) => form_errors::<()>(Err(e))?.err().unwrap_or_default(),
    };
    let v = app.session_view(Some(&s.me), &id).await?;
    let status = errors.status();
    super::render(status, &CancelPage { ctx: s.ctx, v, note: f.note, errors })
}

async fn restore(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    app.cancel_session(&s.me, &id, false, "").await?;
    see_other(&format!("/s/{id}?notice=restored"))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HostForm {
    /// One of the series' hosts' account ids, or "" for nobody.
    host: String,
}

async fn set_host(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<HostForm>) -> PageResult {
    let host = Some(f.host.trim()).filter(|h| !h.is_empty());
    app.set_session_host(&s.me, &id, host).await?;
    see_other(&format!("/s/{id}?notice=host#host"))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AttendanceForm {
    attendance: String,
}

async fn attendance(
    State(app): State<App>,
    s: SignedIn,
    Path((id, account)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<AttendanceForm>,
) -> PageResult {
    app.mark_attendance(&s.me, &id, &account, &f.attendance).await?;
    see_other(&format!("/s/{id}#attendance"))
}
