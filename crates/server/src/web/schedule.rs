//! A community's schedule (list and week), its series, and the series editor.

use super::{form_errors, ok, render, see_other, CsrfForm, Ctx, FormErrors, PageResult, Path, Query, SignedIn};
use crate::app::communities::CommunityView;
use crate::app::days::Planned;
use crate::app::schedule::{EditScope, SeriesView};
use crate::app::{now, App};
use askama::Template;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use cowork_core::format::{duration_words, Format};
use cowork_core::permissions::Action;
use cowork_core::schedule::{SeriesInput, LANGUAGES};
use cowork_core::time::zone_names;
use cowork_store::{PlanReport, Session};
use jiff::ToSpan;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/c/{slug}/schedule", get(schedule))
        .route("/c/{slug}/series/new", get(new_series).post(create_series))
        .route("/c/{slug}/series/{id}", get(series))
        .route("/c/{slug}/series/{id}/edit", get(edit_series_form).post(edit_series))
        .route("/c/{slug}/series/{id}/{answer}", axum::routing::post(decide_day))
        .route("/c/{slug}/series/{id}/hosts", axum::routing::post(add_host))
        .route("/c/{slug}/series/{id}/hosts/{account}/remove", axum::routing::post(remove_host))
}

/// Sessions grouped under the day they fall on in the viewer's zone.
pub struct Day {
    pub label: String,
    pub sessions: Vec<Session>,
}

pub fn by_day(ctx: &Ctx, sessions: Vec<Session>) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for s in sessions {
        let label = ctx.zone.local(s.starts_at).date.strftime("%A %-d %B").to_string();
        match days.last_mut() {
            Some(d) if d.label == label => d.sessions.push(s),
            _ => days.push(Day { label, sessions: vec![s] }),
        }
    }
    days
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ScheduleQuery {
    view: String,
    /// Any date in the week to show (YYYY-MM-DD, in the viewer's zone).
    week: String,
    notice: String,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    ctx: Ctx,
    view: CommunityView,
    days: Vec<Day>,
    week: bool,
    /// The week view's seven columns.
    columns: Vec<Day>,
    week_label: String,
    prev_week: String,
    next_week: String,
    feed_url: String,
    /// Proposed coworking days waiting for an organizer (organizers see all; members their own).
    pending: Vec<cowork_store::Series>,
    may_offer_day: bool,
    notice: &'static str,
}

impl SchedulePage {
    fn may_schedule(&self) -> bool {
        self.view.may(Action::Schedule)
    }
    fn webcal(&self) -> String {
        self.feed_url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1)
    }
}

async fn schedule(State(app): State<App>, ctx: Ctx, Path(slug): Path<String>, Query(q): Query<ScheduleQuery>) -> PageResult {
    let week = q.view == "week";
    let today = ctx.zone.local(now()).date;
    // Without a week asked for, show the week of the next session (this week if none is near).
    let first_day = match q.week.parse::<jiff::civil::Date>() {
        Ok(d) => d,
        Err(_) if week => {
            let (_, next) = app.community_schedule(ctx.viewer.as_ref(), &slug, now(), now() + 90 * 86_400).await?;
            next.iter().find(|s| !s.cancelled).map(|s| ctx.zone.local(s.starts_at).date).unwrap_or(today)
        }
        Err(_) => today,
    };
    let monday = {
        let d = first_day;
        d.saturating_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
    };
    let (from, to) = if week {
        let start = ctx.zone.instant(monday, jiff::civil::Time::midnight());
        (start, ctx.zone.instant(monday.saturating_add(7.days()), jiff::civil::Time::midnight()))
    } else {
        (now() - 3 * 3600, now() + 62 * 86_400)
    };
    let (view, sessions) = app.community_schedule(ctx.viewer.as_ref(), &slug, from, to).await?;
    let mut columns = Vec::new();
    if week {
        for i in 0..7 {
            let d = monday.saturating_add(i.days());
            let label = d.strftime("%a %-d %b").to_string();
            let list = sessions.iter().filter(|s| ctx.zone.local(s.starts_at).date == d).cloned().collect();
            columns.push(Day { label, sessions: list });
        }
    }
    let week_label = format!("Week of {}", monday.strftime("%-d %B %Y"));
    let prev_week = monday.saturating_sub(7.days()).to_string();
    let next_week = monday.saturating_add(7.days()).to_string();
    let feed_url = format!("{}/c/{}/calendar.ics", app.config.base_url, view.community.slug);
    let days = if week { Vec::new() } else { by_day(&ctx, sessions) };
    let pending = app.pending_days(ctx.viewer.as_ref(), &slug).await?;
    let may_offer_day = match &ctx.viewer {
        Some(me) => app.may_plan(me, &slug).await?,
        None => false,
    };
    let notice = match q.notice.as_str() {
        "approved" => "Approved: the coworking day is on the schedule.",
        "declined" => "Declined: the coworking day stays off the schedule.",
        _ => "",
    };
    ok(&SchedulePage { ctx, view, days, week, columns, week_label, prev_week, next_week, feed_url, pending, may_offer_day, notice })
}

// ---- the series form

#[derive(Template)]
#[template(path = "series_form.html")]
pub struct SeriesForm {
    pub ctx: Ctx,
    pub community: CommunityView,
    pub form: SeriesInput,
    pub errors: FormErrors,
    pub formats: Vec<Format>,
    pub zones: Vec<String>,
    pub zone_choices: cowork_core::zones::Found,
    /// Where the form posts.
    pub action: String,
    pub heading: String,
    /// Only a date and time, no repeat (one occurrence edited on its own).
    pub one_off: bool,
    pub version: i64,
    pub note: String,
    /// The places it may meet at: the community's and the person's own.
    pub places: Vec<crate::app::places::PlaceShown>,
    /// A member proposing a coworking day: no format, kind or call to choose.
    pub day_only: bool,
}

impl SeriesForm {
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        cowork_core::schedule::SessionKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
    }
    fn kind_is(&self, k: &str) -> bool {
        let kind = if self.form.kind.is_empty() { "call" } else { self.form.kind.as_str() };
        kind == k
    }
    fn place_is(&self, p: &str) -> bool {
        let place = if self.form.place.is_empty() {
            if self.day_only {
                "in_person"
            } else {
                "online"
            }
        } else {
            self.form.place.as_str()
        };
        place == p
    }
    fn languages(&self) -> Vec<(&'static str, &'static str)> {
        LANGUAGES.to_vec()
    }
    fn format_line(&self, f: &Format) -> String {
        format!("{} ({})", f.name, duration_words(f.total_minutes()))
    }
    fn weekdays(&self) -> Vec<(&'static str, &'static str, bool)> {
        let f = &self.form;
        vec![
            ("wd_mo", "Mon", f.wd_mo),
            ("wd_tu", "Tue", f.wd_tu),
            ("wd_we", "Wed", f.wd_we),
            ("wd_th", "Thu", f.wd_th),
            ("wd_fr", "Fri", f.wd_fr),
            ("wd_sa", "Sat", f.wd_sa),
            ("wd_su", "Sun", f.wd_su),
        ]
    }
    fn ordinals(&self) -> Vec<(&'static str, &'static str, bool)> {
        let f = &self.form;
        vec![
            ("nth_1", "First", f.nth_1),
            ("nth_2", "Second", f.nth_2),
            ("nth_3", "Third", f.nth_3),
            ("nth_4", "Fourth", f.nth_4),
            ("nth_last", "Last", f.nth_last),
        ]
    }
    fn weekday_codes(&self) -> Vec<(&'static str, &'static str)> {
        vec![
            ("MO", "Monday"),
            ("TU", "Tuesday"),
            ("WE", "Wednesday"),
            ("TH", "Thursday"),
            ("FR", "Friday"),
            ("SA", "Saturday"),
            ("SU", "Sunday"),
        ]
    }
    fn repeat_is(&self, kind: &str) -> bool {
        let r = if self.form.repeat.is_empty() { "none" } else { self.form.repeat.as_str() };
        r == kind
    }
    fn ends_is(&self, kind: &str) -> bool {
        let e = if self.form.ends.is_empty() { "never" } else { self.form.ends.as_str() };
        e == kind
    }
}

/// Checkboxes send nothing when unticked; the form's own booleans come from their presence.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SeriesFormBody {
    #[serde(flatten)]
    pub input: SeriesFields,
    pub version: String,
    pub scope: String,
}

/// The series input as a form sends it (checkboxes as "on").
#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct SeriesFields {
    title: String,
    description: String,
    format: String,
    start_date: String,
    start_time: String,
    time_zone: String,
    repeat: String,
    interval: String,
    wd_mo: String,
    wd_tu: String,
    wd_we: String,
    wd_th: String,
    wd_fr: String,
    wd_sa: String,
    wd_su: String,
    nth_1: String,
    nth_2: String,
    nth_3: String,
    nth_4: String,
    nth_last: String,
    month_weekday: String,
    month_day: String,
    ends: String,
    until: String,
    count: String,
    capacity: String,
    online_capacity: String,
    place: String,
    video_url: String,
    place_id: String,
    language: String,
    kind: String,
    /// A rule the fields cannot show, kept as it is unless `drop_rrule` is ticked.
    rrule: String,
    drop_rrule: String,
    /// A zone picked from those offered when the typed one was not a zone.
    zone_pick: String,
}

impl SeriesFields {
    pub fn input(mut self) -> SeriesInput {
        super::picked_zone(&mut self.time_zone, &self.zone_pick);
        let on = |s: &str| !s.is_empty();
        SeriesInput {
            wd_mo: on(&self.wd_mo),
            wd_tu: on(&self.wd_tu),
            wd_we: on(&self.wd_we),
            wd_th: on(&self.wd_th),
            wd_fr: on(&self.wd_fr),
            wd_sa: on(&self.wd_sa),
            wd_su: on(&self.wd_su),
            nth_1: on(&self.nth_1),
            nth_2: on(&self.nth_2),
            nth_3: on(&self.nth_3),
            nth_4: on(&self.nth_4),
            nth_last: on(&self.nth_last),
            title: self.title,
            description: self.description,
            format: self.format,
            start_date: self.start_date,
            start_time: self.start_time,
            time_zone: self.time_zone,
            repeat: self.repeat,
            interval: self.interval,
            month_weekday: self.month_weekday,
            month_day: self.month_day,
            ends: self.ends,
            until: self.until,
            count: self.count,
            rrule: if self.drop_rrule.is_empty() { self.rrule } else { String::new() },
            capacity: self.capacity,
            online_capacity: self.online_capacity,
            place: self.place,
            video_url: self.video_url,
            place_id: self.place_id,
            language: self.language,
            kind: self.kind,
        }
    }
}

pub async fn series_form(
    app: &App,
    ctx: Ctx,
    community: CommunityView,
    form: SeriesInput,
    errors: FormErrors,
    action: String,
    heading: String,
    one_off: bool,
    version: i64,
    note: String,
) -> PageResult {
    let status = if errors.any() { errors.status() } else { axum::http::StatusCode::OK };
    let formats = app.formats_of(&community.community.id).await?;
    let zone_choices = super::zone_choices(&form.time_zone, &errors);
    let mut places = match &ctx.viewer {
        Some(me) => app.usable_places(&community.community.id, me).await?.iter().map(|p| app.place_for(p, true)).collect(),
        None => Vec::new(),
    };
    // An edit keeps the place it had, even one kept by someone else.
    if !form.place_id.is_empty() && !places.iter().any(|p: &crate::app::places::PlaceShown| p.id == form.place_id) {
        if let Ok(p) = app.store.place(&form.place_id).await {
            places.push(app.place_for(&p, true));
        }
    }
    let day_only = !community.may(Action::Schedule);
    render(
        status,
        &SeriesForm {
            ctx,
            community,
            form,
            errors,
            formats,
            zones: zone_names(),
            zone_choices,
            action,
            heading,
            one_off,
            version,
            note,
            places,
            day_only,
        },
    )
}

/// Organizers plan anything; members offer a coworking day where the community lets them.
fn plan_heading(view: &CommunityView) -> String {
    if view.may(Action::Schedule) { "Plan sessions" } else { "Offer a coworking day" }.into()
}

async fn new_series(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, Query(q): Query<NewSeriesQuery>) -> PageResult {
    let view = app.community(Some(&s.me), &slug).await?;
    if !app.may_plan(&s.me, &slug).await? {
        return Err(crate::app::AppError::forbidden().into());
    }
    let day = !view.may(Action::Schedule) || q.kind == "coworking_day";
    let tomorrow = s.ctx.zone.local(now()).date.saturating_add(1.day());
    let form = SeriesInput {
        format: if day { cowork_core::schedule::DAY_FORMAT.into() } else { "builtin:weekly-coworking".into() },
        kind: if day { "coworking_day".into() } else { "call".into() },
        start_date: tomorrow.to_string(),
        start_time: if day { "09:00".into() } else { "15:00".into() },
        time_zone: if day { s.me.time_zone.clone() } else { view.community.time_zone.clone() },
        repeat: if day { "none".into() } else { "weekly".into() },
        interval: "1".into(),
        ends: "never".into(),
        place: if day { "in_person".into() } else { "online".into() },
        place_id: q.place_id,
        language: "en".into(),
        ..Default::default()
    };
    let action = format!("/c/{slug}/series/new");
    let heading = plan_heading(&view);
    series_form(&app, s.ctx, view, form, FormErrors::default(), action, heading, false, 0, String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NewSeriesQuery {
    kind: String,
    /// A place just added, chosen already.
    place_id: String,
}

async fn create_series(
    State(app): State<App>,
    s: SignedIn,
    Path(slug): Path<String>,
    CsrfForm(body): CsrfForm<SeriesFormBody>,
) -> PageResult {
    let input = body.input.input();
    match form_errors(app.plan_series(&s.me, &slug, &input).await)? {
        Ok(Planned::Listed(series)) => see_other(&format!("/c/{slug}/series/{}?notice=created", series.id)),
        Ok(Planned::Proposed(series)) => see_other(&format!("/c/{slug}/series/{}?notice=proposed", series.id)),
        Err(errors) => {
            let view = app.community(Some(&s.me), &slug).await?;
            let action = format!("/c/{slug}/series/new");
            let heading = plan_heading(&view);
            series_form(&app, s.ctx, view, input, errors, action, heading, false, 0, String::new()).await
        }
    }
}

/// An organizer's answer to a proposed coworking day.
async fn decide_day(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id, answer)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> PageResult {
    let approve = match answer.as_str() {
        "approve" => true,
        "decline" => false,
        _ => return Err(crate::app::AppError::NotFound.into()),
    };
    app.decide_day(&s.me, &slug, &id, approve).await?;
    see_other(&format!("/c/{slug}/schedule?notice={}", if approve { "approved" } else { "declined" }))
}

// ---- a series

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SeriesQuery {
    notice: String,
    added: String,
    updated: String,
    cancelled: String,
    removed: String,
}

#[derive(Template)]
#[template(path = "series.html")]
struct SeriesPage {
    ctx: Ctx,
    v: SeriesView,
    describe: String,
    notice: String,
    days: Vec<Day>,
    feed_url: String,
    /// Members who could be added as hosts (organizers only).
    members: Vec<cowork_store::Member>,
}

impl SeriesPage {
    fn may_schedule(&self) -> bool {
        self.v.community.may(Action::Schedule)
    }
    fn webcal(&self) -> String {
        self.feed_url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1)
    }
    fn duration(&self) -> String {
        duration_words(cowork_core::format::total_minutes(&self.v.series.content.phases))
    }
}

async fn series(State(app): State<App>, ctx: Ctx, Path((slug, id)): Path<(String, String)>, Query(q): Query<SeriesQuery>) -> PageResult {
    let mut v = app.series_view(ctx.viewer.as_ref(), &slug, &id).await?;
    let describe = v.draft.as_ref().map(|d| d.describe()).unwrap_or_default();
    let notice = match q.notice.as_str() {
        "created" => "Your sessions are on the schedule. Share the page, or the calendar link below.".to_string(),
        "proposed" => "Thank you! Your coworking day is proposed; an organizer will approve it, and then it is listed.".to_string(),
        "saved" => {
            let n = |s: &str| s.parse::<usize>().unwrap_or(0);
            let mut parts = vec!["Saved.".to_string()];
            if n(&q.updated) > 0 {
                parts.push(format!("{} upcoming sessions updated.", q.updated));
            }
            if n(&q.added) > 0 {
                parts.push(format!("{} added.", q.added));
            }
            if n(&q.cancelled) > 0 {
                parts.push(format!(
                    "{} no longer in the schedule but people had said they'd come: those are marked cancelled.",
                    q.cancelled
                ));
            }
            if n(&q.removed) > 0 {
                parts.push(format!("{} removed.", q.removed));
            }
            parts.join(" ")
        }
        _ => String::new(),
    };
    let sessions = std::mem::take(&mut v.upcoming);
    let days = by_day(&ctx, sessions);
    let feed_url = format!("{}/c/{}/series/{}/calendar.ics", app.config.base_url, slug, id);
    let members = match (&ctx.viewer, v.community.may(Action::Schedule)) {
        (Some(me), true) => app
            .members(me, &slug)
            .await?
            .1
            .into_iter()
            .filter(|m| !m.pending && !m.removed && !v.hosts.iter().any(|(h, _)| *h == m.account_id))
            .collect(),
        _ => Vec::new(),
    };
    ok(&SeriesPage { ctx, v, describe, notice, days, feed_url, members })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HostForm {
    account_id: String,
}

async fn add_host(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<HostForm>,
) -> PageResult {
    app.add_host(&s.me, &slug, &id, &f.account_id).await?;
    see_other(&format!("/c/{slug}/series/{id}#hosts"))
}

async fn remove_host(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id, account)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<HostForm>,
) -> PageResult {
    app.remove_host(&s.me, &slug, &id, &account).await?;
    see_other(&format!("/c/{slug}/series/{id}#hosts"))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EditQuery {
    /// Edit this session and the ones after it.
    from: String,
}

async fn edit_series_form(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> PageResult {
    let from = Some(q.from.as_str()).filter(|f| !f.is_empty());
    let (v, form, from) = app.series_edit_input(&s.me, &slug, &id, from).await?;
    let (action, heading, note) = match from {
        None => (
            format!("/c/{slug}/series/{id}/edit"),
            format!("Edit “{}”", v.series.content.title),
            "Changes apply to every upcoming session of the series, except ones edited on their own. Past sessions stay as they were."
                .to_string(),
        ),
        Some(from) => (
            format!("/c/{slug}/series/{id}/edit?from={}", from.id),
            format!("Edit “{}” from {} on", v.series.content.title, from.occurrence),
            "Changes apply to this session and every one after it; earlier sessions keep the schedule they had.".to_string(),
        ),
    };
    series_form(&app, s.ctx, v.community, form, FormErrors::default(), action, heading, false, v.series.version, note).await
}

async fn edit_series(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
    CsrfForm(body): CsrfForm<SeriesFormBody>,
) -> PageResult {
    let version: i64 = body.version.parse().unwrap_or(-1);
    let input = body.input.clone().input();
    let scope = if q.from.is_empty() { EditScope::Whole } else { EditScope::From(&q.from) };
    let result = match app.edit_series(&s.me, &slug, &id, version, scope, &input).await {
        // Another organizer saved first: show this one's changes again, against the version now stored.
        Err(crate::app::AppError::Conflict(m)) => {
            Ok(Err((FormErrors::conflict(&format!("{m} Your changes are below: saving again replaces their version with yours.")), true)))
        }
        other => form_errors(other).map(|r| r.map_err(|e| (e, false))),
    }?;
    match result {
        Ok((series, PlanReport { added, updated, cancelled, removed })) => see_other(&format!(
            "/c/{slug}/series/{}?notice=saved&added={added}&updated={updated}&cancelled={cancelled}&removed={removed}",
            series.id
        )),
        Err((errors, conflict)) => {
            let v = app.series_view(Some(&s.me), &slug, &id).await?;
            let version = if conflict { v.series.version } else { version };
            let action = if q.from.is_empty() {
                format!("/c/{slug}/series/{id}/edit")
            } else {
                format!("/c/{slug}/series/{id}/edit?from={}", q.from)
            };
            let heading = format!("Edit “{}”", v.series.content.title);
            series_form(&app, s.ctx, v.community, input, errors, action, heading, false, version, String::new()).await
        }
    }
}
