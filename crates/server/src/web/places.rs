//! Place pages: a place's own page (what it offers, opening hours, what
//! happens there), the form to add or change one, and a place's daily log
//! for the people who keep it.

use super::{form_errors, ok, render, see_other, CsrfForm, Ctx, FormErrors, PageResult, Path, Query, SignedIn};
use crate::app::checkins::log_csv;
use crate::app::places::PlaceShown;
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use cowork_core::places::{Access, Amenity, PlaceInput, PlaceKind};
use cowork_core::time::Zone;
use cowork_store::{Checkin, Session};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/places/{id}", get(page))
        .route("/places/{id}/edit", get(edit_form).post(edit))
        .route("/places/{id}/log", get(log))
        .route("/places/{id}/log.csv", get(log_file))
        .route("/me/places", get(mine))
        .route("/me/places/new", get(new_form).post(create))
}

#[derive(Template)]
#[template(path = "place.html")]
struct PlacePage {
    ctx: Ctx,
    p: PlaceShown,
    upcoming: Vec<Session>,
}

impl PlacePage {
    fn kind_label(&self, kind: &str) -> &'static str {
        cowork_core::schedule::SessionKind::parse(kind).unwrap_or_default().label()
    }
}

async fn page(State(app): State<App>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let (_, p) = app.place_view(ctx.viewer.as_ref(), &id).await?;
    let upcoming = app.sessions_at(ctx.viewer.as_ref(), &id).await?;
    ok(&PlacePage { ctx, p, upcoming })
}

// ---- the form

#[derive(Template)]
#[template(path = "place_form.html")]
struct PlaceForm {
    ctx: Ctx,
    heading: String,
    action: String,
    form: PlaceInput,
    errors: FormErrors,
    /// Communities the person organizes, which may keep the place instead.
    communities: Vec<(String, String)>,
    owner: String,
    back: String,
}

impl PlaceForm {
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        PlaceKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
    }
    fn amenities(&self) -> Vec<(&'static str, &'static str, bool)> {
        Amenity::ALL.iter().map(|a| (a.as_str(), a.label(), self.form.amenities.iter().any(|x| x == a.as_str()))).collect()
    }
    fn access(&self) -> Vec<(&'static str, &'static str, bool)> {
        Access::ALL.iter().map(|a| (a.as_str(), a.label(), self.form.access.iter().any(|x| x == a.as_str()))).collect()
    }
    fn days(&self) -> Vec<(usize, &'static str, &str)> {
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            .iter()
            .enumerate()
            .map(|(i, d)| (i, *d, self.form.opening_hours[i].as_str()))
            .collect()
    }
}

/// The form as sent: ticked boxes arrive one name each, so they are read from the raw pairs.
struct PlaceFields {
    input: PlaceInput,
    owner: String,
    back: String,
}

impl PlaceFields {
    fn read(pairs: Vec<(String, String)>) -> PlaceFields {
        let mut i = PlaceInput::default();
        let (mut owner, mut back) = (String::new(), String::new());
        for (k, v) in pairs {
            match k.as_str() {
                "name" => i.name = v,
                "kind" => i.kind = v,
                "address" => i.address = v,
                "area" => i.area = v,
                "city" => i.city = v,
                "country" => i.country = v,
                "lat" => i.lat = v,
                "lon" => i.lon = v,
                "time_zone" => i.time_zone = v,
                "access" => i.access.push(v),
                "amenities" => i.amenities.push(v),
                "access_notes" => i.access_notes = v,
                "seats" => i.seats = v,
                "house_rules" => i.house_rules = v,
                "drop_in_seats" => i.drop_in_seats = v,
                "free_trial" => i.free_trial = !v.is_empty(),
                "owner" => owner = v,
                "back" => back = v,
                h if h.starts_with("hours_") => {
                    if let Some(d) = h[6..].parse::<usize>().ok().filter(|d| *d < 7) {
                        i.opening_hours[d] = v;
                    }
                }
                _ => {}
            }
        }
        PlaceFields { input: i, owner, back }
    }
}

/// Only a page of our own to go back to.
fn safe_back(back: &str) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_string()
    } else {
        String::new()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    /// The community whose series form sent the person here.
    community: String,
}

async fn organized(app: &App, s: &SignedIn) -> Result<Vec<(String, String)>, crate::app::AppError> {
    Ok(app.communities_i_organize(&s.me).await?.into_iter().map(|c| (c.slug, c.name)).collect())
}

async fn new_form(State(app): State<App>, s: SignedIn, Query(q): Query<NewQuery>) -> PageResult {
    let communities = organized(&app, &s).await?;
    let owner = if communities.iter().any(|(slug, _)| *slug == q.community) { format!("community:{}", q.community) } else { "me".into() };
    let back = if q.community.is_empty() { String::new() } else { format!("/c/{}/series/new", q.community) };
    let form = PlaceInput { kind: "library".into(), ..Default::default() };
    let heading = "Add a place".to_string();
    ok(&PlaceForm { ctx: s.ctx, heading, action: "/me/places/new".into(), form, errors: FormErrors::default(), communities, owner, back })
}

async fn create(State(app): State<App>, s: SignedIn, CsrfForm(pairs): CsrfForm<Vec<(String, String)>>) -> PageResult {
    let f = PlaceFields::read(pairs);
    let made = match f.owner.strip_prefix("community:") {
        Some(slug) => app.add_community_place(&s.me, slug, &f.input).await,
        None => app.add_own_place(&s.me, &f.input).await,
    };
    match form_errors(made)? {
        Ok(p) => {
            let back = safe_back(&f.back);
            if back.is_empty() {
                see_other(&format!("/places/{}?notice=added", p.id))
            } else {
                let sep = if back.contains('?') { '&' } else { '?' };
                see_other(&format!("{back}{sep}place_id={}", p.id))
            }
        }
        Err(errors) => {
            let communities = organized(&app, &s).await?;
            let page = PlaceForm {
                ctx: s.ctx,
                heading: "Add a place".into(),
                action: "/me/places/new".into(),
                form: f.input,
                errors,
                communities,
                owner: f.owner,
                back: f.back,
            };
            render(page.errors.status(), &page)
        }
    }
}

async fn edit_form(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let (place, shown) = app.place_view(Some(&s.me), &id).await?;
    if !shown.may_edit {
        return Err(crate::app::AppError::Forbidden("Only the people who keep this place change it.".into()).into());
    }
    let form = PlaceInput::of(&place.details);
    let page = PlaceForm {
        ctx: s.ctx,
        heading: format!("Edit {}", shown.name),
        action: format!("/places/{id}/edit"),
        form,
        errors: FormErrors::default(),
        communities: vec![],
        owner: String::new(),
        back: String::new(),
    };
    ok(&page)
}

async fn edit(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(pairs): CsrfForm<Vec<(String, String)>>) -> PageResult {
    let f = PlaceFields::read(pairs);
    match form_errors(app.edit_place(&s.me, &id, &f.input).await)? {
        Ok(_) => see_other(&format!("/places/{id}?notice=saved")),
        Err(errors) => {
            let page = PlaceForm {
                ctx: s.ctx,
                heading: "Edit the place".into(),
                action: format!("/places/{id}/edit"),
                form: f.input,
                errors,
                communities: vec![],
                owner: String::new(),
                back: String::new(),
            };
            render(page.errors.status(), &page)
        }
    }
}

#[derive(Template)]
#[template(path = "my_places.html")]
struct MyPlaces {
    ctx: Ctx,
    places: Vec<PlaceShown>,
}

async fn mine(State(app): State<App>, s: SignedIn) -> PageResult {
    let places = app.my_places(&s.me).await?;
    ok(&MyPlaces { ctx: s.ctx, places })
}

// ---- the daily log

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DayQuery {
    day: String,
}

#[derive(Template)]
#[template(path = "daily_log.html")]
struct LogPage {
    ctx: Ctx,
    p: PlaceShown,
    day: String,
    log: Vec<Checkin>,
    zone: Zone,
}

impl LogPage {
    fn first_visits(&self) -> usize {
        self.log.iter().filter(|k| k.first_visit && k.guest_of.is_empty()).count()
    }
    fn guests(&self) -> usize {
        self.log.iter().filter(|k| !k.guest_of.is_empty()).count()
    }
    fn clock(&self, at: &i64) -> String {
        self.zone.clock(*at)
    }
    fn how(&self, k: &Checkin) -> &'static str {
        match k.how.as_str() {
            "code" => "pass",
            "list" => "from the list",
            "walk_in" => "walk-in",
            "day_code" => "code of the day",
            _ => "",
        }
    }
}

async fn log(State(app): State<App>, s: SignedIn, Path(id): Path<String>, Query(q): Query<DayQuery>) -> PageResult {
    let (place, day, log) = app.daily_log(&s.me, &id, Some(&q.day)).await?;
    let zone = Zone::parse("tz", &place.details.time_zone).unwrap_or_else(|_| Zone::utc());
    let p = app.place_for(&place, true);
    ok(&LogPage { ctx: s.ctx, p, day, log, zone })
}

async fn log_file(State(app): State<App>, s: SignedIn, Path(id): Path<String>, Query(q): Query<DayQuery>) -> PageResult {
    let (place, day, log) = app.daily_log(&s.me, &id, Some(&q.day)).await?;
    let zone = Zone::parse("tz", &place.details.time_zone).unwrap_or_else(|_| Zone::utc());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"daily-log-{day}.csv\"")),
        ],
        log_csv(&log, &zone),
    )
        .into_response())
}
