//! `/partners`: book a focus slot with a partner, see who I'm matched with,
//! cancel, and favourite or block a past partner. The rules are the app's
//! (`app::partners`); this page lays them out for a phone first.

use super::{form_errors, ok, render, see_other, CsrfForm, Ctx, FormErrors, PageResult, Path, Query, SignedIn};
use crate::app::partners::{BookingInput, Offer, OfferInput, Pool};
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use cowork_core::partners::{next_quarter, Availability, Camera, Length, OddOneOut, Preferences, Talk, WorkKind, BOOKING_DAYS};
use cowork_store::PartnerBooking;
use jiff::ToSpan;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/partners", get(page).post(book))
        .route("/partners/{id}", get(booking))
        .route("/partners/{id}/cancel", post(cancel))
        .route("/partners/{id}/state", get(state))
        .route("/partners/{id}/swap", post(swap))
        .route("/partners/people/{id}", post(mark))
        .route("/partners/people/{id}/report", post(report))
        .route("/c/{slug}/partners", get(offer_form).post(save_offer))
}

/// The booking form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct BookingForm {
    pool: String,
    /// YYYY-MM-DD in my zone.
    day: String,
    /// HH:MM in my zone.
    time: String,
    minutes: String,
    /// Set by the "Book now" button.
    now: String,
    availability: String,
    talk: String,
    work: String,
    camera: String,
    odd_one_out: String,
    /// The past partner whose report form is being shown again, and what was typed.
    #[serde(skip)]
    report_for: String,
    #[serde(skip)]
    reason: String,
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    ctx: Ctx,
    pools: Vec<Pool>,
    form: BookingForm,
    errors: FormErrors,
    bookings: Vec<PartnerBooking>,
    past: Vec<PartnerBooking>,
    /// The next quarter hour ("book now").
    next: i64,
    score: Option<u8>,
    score_of: usize,
    notice: String,
    /// My saved preferences: the form's defaults.
    saved: Preferences,
}

/// A choice in a group of radio buttons: value, label, checked.
type Choice = (&'static str, &'static str, bool);

impl PartnersPage {
    /// The next 14 days in my zone: value and label.
    fn days(&self) -> Vec<(String, String)> {
        let today = self.ctx.zone.local(self.next).date;
        (0..=BOOKING_DAYS)
            .filter_map(|i| today.checked_add(i.days()).ok())
            .map(|d| {
                (
                    d.to_string(),
                    if d == today { format!("Today, {}", d.strftime("%a %-d %b")) } else { d.strftime("%a %-d %b").to_string() },
                )
            })
            .collect()
    }
    /// Every quarter hour of a day.
    fn times(&self) -> Vec<String> {
        (0..96).map(|q| format!("{:02}:{:02}", q / 4, (q % 4) * 15)).collect()
    }
    fn lengths(&self) -> Vec<(i64, bool)> {
        let chosen = if self.form.minutes.is_empty() { "50" } else { &self.form.minutes };
        Length::ALL.iter().map(|l| (l.minutes(), l.minutes().to_string() == chosen)).collect()
    }
    fn choices<T: Copy + PartialEq>(
        all: &[T],
        typed: &str,
        saved: T,
        value: fn(T) -> &'static str,
        label: fn(T) -> &'static str,
    ) -> Vec<Choice> {
        all.iter().map(|&v| (value(v), label(v), if typed.is_empty() { v == saved } else { typed == value(v) })).collect()
    }
    fn prefs(&self) -> Preferences {
        self.saved
    }
    fn availability(&self) -> Vec<Choice> {
        Self::choices(Availability::ALL, &self.form.availability, self.prefs().availability, Availability::as_str, Availability::label)
    }
    fn talk(&self) -> Vec<Choice> {
        Self::choices(Talk::ALL, &self.form.talk, self.prefs().talk, Talk::as_str, Talk::label)
    }
    fn work(&self) -> Vec<Choice> {
        Self::choices(WorkKind::ALL, &self.form.work, self.prefs().work, WorkKind::as_str, WorkKind::label)
    }
    fn camera(&self) -> Vec<Choice> {
        Self::choices(Camera::ALL, &self.form.camera, self.prefs().camera, Camera::as_str, Camera::label)
    }
    fn odd_one_out(&self) -> Vec<Choice> {
        Self::choices(OddOneOut::ALL, &self.form.odd_one_out, self.prefs().odd_one_out, OddOneOut::as_str, OddOneOut::label)
    }
    /// The preference questions: field, question, choices.
    fn pref_groups(&self) -> Vec<(&'static str, &'static str, Vec<Choice>)> {
        vec![
            ("availability", "Who I work with", self.availability()),
            ("talk", "Talking", self.talk()),
            ("work", "Kind of work", self.work()),
            ("camera", "Camera", self.camera()),
            ("odd_one_out", "If no one is left to pair with", self.odd_one_out()),
        ]
    }
    fn outcome_text(&self, o: &cowork_core::partners::Outcome) -> &'static str {
        match o {
            cowork_core::partners::Outcome::Came => "You came.",
            cowork_core::partners::Outcome::NoShow => "Missed: counted as a no-show.",
            cowork_core::partners::Outcome::LateCancel => "Cancelled late.",
        }
    }
    /// Who reads a report from a pool.
    fn report_goes_to(&self, pool: &str) -> String {
        if pool.is_empty() {
            "Your report goes to this site's admins.".into()
        } else {
            format!("Your report goes to the organizers and conduct contacts of {}.", self.pool_name(pool))
        }
    }
    fn pool_name(&self, id: &str) -> String {
        self.pools.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_else(|| "a community".into())
    }
    fn day_chosen(&self, d: &str) -> bool {
        if self.form.day.is_empty() {
            self.ctx.zone.local(self.next).date.to_string() == d
        } else {
            self.form.day == d
        }
    }
    fn time_chosen(&self, t: &str) -> bool {
        if self.form.time.is_empty() {
            self.ctx.clock(&self.next) == t
        } else {
            self.form.time == t
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Notice {
    booked: String,
    cancelled: String,
    marked: String,
    reported: String,
}

async fn page_with(app: &App, s: SignedIn, form: BookingForm, errors: FormErrors, notice: String) -> PageResult {
    let pools = app.partner_pools(&s.me).await?;
    let bookings = app.my_partner_bookings(&s.me).await?;
    let past = app.store.my_partner_history(&s.me.id, app.now(), 10).await.map_err(crate::app::AppError::from)?;
    let (score, score_of) = app.store.partner_score(&s.me.id).await.map_err(crate::app::AppError::from)?;
    let saved = app.partner_settings(&s.me).await?.prefs;
    let next = next_quarter(app.now());
    let status = errors.status();
    let page = PartnersPage { ctx: s.ctx, pools, form, errors, bookings, past, next, score, score_of, notice, saved };
    if page.errors.any() {
        render(status, &page)
    } else {
        ok(&page)
    }
}

async fn page(State(app): State<App>, s: SignedIn, Query(n): Query<Notice>) -> PageResult {
    let notice = if !n.booked.is_empty() {
        if n.booked == "matched" {
            "Booked, and you have a partner: see them below.".to_string()
        } else {
            "Booked. We'll tell you as soon as someone is matched with you.".to_string()
        }
    } else if !n.cancelled.is_empty() {
        if n.cancelled == "late" {
            "Cancelled. So close to the start it counts as late in your attendance.".to_string()
        } else {
            "Cancelled.".to_string()
        }
    } else if !n.marked.is_empty() {
        "Saved.".to_string()
    } else if !n.reported.is_empty() {
        "Thank you for telling us. The people who keep this pool's code of conduct have your report, and you won't be matched with this person again.".to_string()
    } else {
        String::new()
    };
    page_with(&app, s, BookingForm::default(), FormErrors::default(), notice).await
}

async fn book(State(app): State<App>, s: SignedIn, CsrfForm(form): CsrfForm<BookingForm>) -> PageResult {
    let starts_at = if form.now.is_empty() { format!("{}T{}", form.day.trim(), form.time.trim()) } else { "now".to_string() };
    let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let input = BookingInput {
        pool: form.pool.clone(),
        starts_at,
        minutes: form.minutes.clone(),
        availability: some(&form.availability),
        talk: some(&form.talk),
        work: some(&form.work),
        camera: some(&form.camera),
        odd_one_out: some(&form.odd_one_out),
    };
    match form_errors(app.book_partner(&s.me, &input).await)? {
        Ok(b) => see_other(&format!("/partners?booked={}", b.status)),
        Err(errors) => page_with(&app, s, form, errors, String::new()).await,
    }
}

#[derive(serde::Deserialize, Default)]
struct Empty {}

async fn cancel(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    match form_errors(app.cancel_partner(&s.me, &id).await)? {
        Ok(late) => see_other(if late { "/partners?cancelled=late" } else { "/partners?cancelled=1" }),
        Err(errors) => page_with(&app, s, BookingForm::default(), errors, String::new()).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MarkForm {
    mark: String,
    /// The pair's room the mark was made from, to go back to.
    back: String,
}

async fn mark(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<MarkForm>) -> PageResult {
    app.mark_partner(&s.me, &id, &f.mark).await?;
    // Only back to one of our own room pages, never elsewhere.
    let room = f.back.strip_prefix("/s/").and_then(|r| r.strip_suffix("/room"));
    match room {
        Some(id) if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => see_other(&f.back),
        _ => see_other("/partners?marked=1#past"),
    }
}

/// A booking's link (in mail): the pair's room once matched, else my bookings.
async fn booking(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let b = app.my_partner_booking(&s.me, &id).await?;
    if b.status == "matched" {
        see_other(&format!("/s/{}/room", b.match_id))
    } else {
        see_other("/partners")
    }
}

/// What the pair's room polls: who came, the swap on offer, the room I belong in.
async fn state(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let v = app.pair_state(&s.me, &id).await?;
    let partners: Vec<_> = v
        .booking
        .partners
        .iter()
        .map(|p| serde_json::json!({ "account_id": p.account_id, "name": p.name, "arrived_at": p.arrived_at }))
        .collect();
    let body = serde_json::json!({ "room": v.room, "swap": v.swap, "partners": partners });
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}

/// Left alone: work with someone else free in the same slot (now, or once they ask too).
async fn swap(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    let before = app.my_partner_booking(&s.me, &id).await?;
    match app.ask_partner_swap(&s.me, &id).await? {
        cowork_store::Swapped::Matched { match_id } => see_other(&format!("/s/{match_id}/room")),
        cowork_store::Swapped::Waiting => see_other(&format!("/s/{}/room", before.match_id)),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReportForm {
    reason: String,
}

/// Reports a past partner (and blocks them); the reason is required.
async fn report(State(app): State<App>, s: SignedIn, Path(id): Path<String>, CsrfForm(f): CsrfForm<ReportForm>) -> PageResult {
    match form_errors(app.report_partner(&s.me, &id, &f.reason).await)? {
        Ok(_) => see_other("/partners?reported=1#past"),
        Err(errors) => {
            let form = BookingForm { report_for: id, reason: f.reason, ..BookingForm::default() };
            page_with(&app, s, form, errors, String::new()).await
        }
    }
}

#[derive(Template)]
#[template(path = "community_partners.html")]
struct OfferPage {
    ctx: Ctx,
    slug: String,
    name: String,
    form: OfferInput,
    errors: FormErrors,
    saved: bool,
}

impl OfferPage {
    fn offers(&self) -> Vec<(&'static str, &'static str, bool)> {
        [
            (Offer::Off, "Off"),
            (Offer::Members, "For members: members book slots with each other"),
            (Offer::Everyone, "For everyone signed in to this site, members or not"),
        ]
        .into_iter()
        .map(|(o, label)| (o.as_str(), label, self.form.offer == o.as_str() || (self.form.offer.is_empty() && o == Offer::Off)))
        .collect()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Saved {
    saved: String,
}

async fn offer_form(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, Query(q): Query<Saved>) -> PageResult {
    let (c, o) = app.community_partners(Some(&s.me), &slug).await?;
    if !c.may(cowork_core::permissions::Action::Edit) {
        return Err(crate::app::AppError::Forbidden("Only the community's organizers choose this.".into()).into());
    }
    let num = |n: u32| if n == 0 { String::new() } else { n.to_string() };
    let form = OfferInput { offer: o.offer.as_str().into(), below: num(u32::from(o.limit.below)), slots: num(o.limit.slots) };
    ok(&OfferPage {
        ctx: s.ctx,
        slug: c.community.slug.clone(),
        name: c.community.name.clone(),
        form,
        errors: FormErrors::default(),
        saved: !q.saved.is_empty(),
    })
}

async fn save_offer(State(app): State<App>, s: SignedIn, Path(slug): Path<String>, CsrfForm(form): CsrfForm<OfferInput>) -> PageResult {
    match form_errors(app.set_community_partners(&s.me, &slug, &form).await)? {
        Ok(_) => see_other(&format!("/c/{slug}/partners?saved=1")),
        Err(errors) => {
            let (c, _) = app.community_partners(Some(&s.me), &slug).await?;
            let page = OfferPage { ctx: s.ctx, slug: c.community.slug.clone(), name: c.community.name.clone(), form, errors, saved: false };
            render(page.errors.status(), &page)
        }
    }
}
