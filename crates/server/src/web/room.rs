//! The live room's pages: the room itself (its WebSocket is in
//! `room_socket`), the notes and feedback it leaves, goal history and reports.

use super::{ok, CsrfForm, Ctx, PageResult, Path, SignedIn};
use crate::app::room::{now_ms, Entry};
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use cowork_core::format::agenda;
use cowork_core::room::presence::{MODES, STATUSES};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/s/{id}/room", get(page))
        .route("/s/{id}/notes", get(notes))
        .route("/s/{id}/feedback", get(session_feedback))
        .route("/c/{slug}/series/{id}/feedback", get(series_feedback))
        .route("/c/{slug}/reports", get(reports))
        .route("/c/{slug}/members/{account}/conduct-contact", post(conduct_contact))
        .route("/me/history", get(history))
        .route("/me/history/record", post(record_shown))
}

pub struct PhaseRow {
    pub at: i64,
    pub label: String,
    pub minutes: u32,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "room.html")]
struct RoomPage {
    ctx: Ctx,
    entry: Entry,
    phases: Vec<PhaseRow>,
    open: bool,
    ended: bool,
    now_ms: i64,
    statuses: &'static [(&'static str, &'static str)],
    modes: &'static [(&'static str, &'static str)],
    /// For "Notify me on this device" while waiting for the room to open.
    vapid_key: String,
    /// In a pair's room: my booking, my partners and the swap on offer.
    pair: Option<crate::app::partner_sessions::PairView>,
}

impl RoomPage {
    fn session(&self) -> &cowork_store::Session {
        &self.entry.session
    }
}

async fn page(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let entry = app.room_entry(&s.me, &id).await?;
    let now = now_ms();
    let open = entry.is_open(now);
    // An open room shows when its steps really began and will begin.
    let real = entry.timer.agenda(now);
    let phases = agenda(entry.session.starts_at, &entry.session.content.phases)
        .into_iter()
        .enumerate()
        .map(|(i, (at, p))| {
            let at = match real.get(i) {
                Some(ms) if open && real.len() == entry.session.content.phases.len() => ms.div_euclid(1000),
                _ => at,
            };
            PhaseRow { at, label: p.label.clone(), minutes: p.minutes, kind: p.kind.as_str() }
        })
        .collect();
    let ended = now >= entry.closes_at_ms;
    let vapid_key = app.vapid_public_key().await?;
    let pair = if entry.is_pair() { Some(app.pair_view(&s.me, &id).await?) } else { None };
    ok(&RoomPage { ctx: s.ctx, entry, phases, open, ended, now_ms: now, statuses: &STATUSES, modes: &MODES, vapid_key, pair })
}

#[derive(Template)]
#[template(path = "room_notes.html")]
struct NotesPage {
    ctx: Ctx,
    session: cowork_store::Session,
    html: Option<String>,
}

async fn notes(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let (session, text) = app.session_notes(&s.me, &id).await?;
    ok(&NotesPage { ctx: s.ctx, session, html: text.map(|t| crate::markdown::to_html(&cowork_core::room::notes::for_reading(&t))) })
}

#[derive(Template)]
#[template(path = "room_feedback.html")]
struct FeedbackPage {
    ctx: Ctx,
    v: crate::app::room::FeedbackView,
    /// The session's id, or empty for a whole series.
    session: String,
    series: String,
}

async fn session_feedback(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> PageResult {
    let (session, v) = app.session_feedback(&s.me, &id).await?;
    ok(&FeedbackPage { ctx: s.ctx, v, session: session.id, series: session.series_id })
}

async fn series_feedback(State(app): State<App>, s: SignedIn, Path((slug, id)): Path<(String, String)>) -> PageResult {
    let v = app.series_feedback(&s.me, &slug, &id).await?;
    ok(&FeedbackPage { ctx: s.ctx, v, session: String::new(), series: id })
}

#[derive(Template)]
#[template(path = "room_history.html")]
struct HistoryPage {
    ctx: Ctx,
    sessions: Vec<cowork_store::GoalHistory>,
    record: cowork_core::record::Record,
    /// Whether my partners see my record.
    public: bool,
    saved: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HistoryNotice {
    saved: String,
}

async fn history(State(app): State<App>, s: SignedIn, super::Query(n): super::Query<HistoryNotice>) -> PageResult {
    let sessions = app.goal_history(&s.me).await?;
    let record = app.my_record(&s.me).await?;
    let public = app.partner_settings(&s.me).await?.record_public;
    ok(&HistoryPage { ctx: s.ctx, sessions, record, public, saved: !n.saved.is_empty() })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RecordForm {
    public: String,
}

/// Shows my record to the people I am matched with, or keeps it to me.
async fn record_shown(State(app): State<App>, s: SignedIn, CsrfForm(f): CsrfForm<RecordForm>) -> PageResult {
    app.show_my_record(&s.me, f.public == "yes").await?;
    super::see_other("/me/history?saved=1")
}

#[derive(Template)]
#[template(path = "room_reports.html")]
struct ReportsPage {
    ctx: Ctx,
    view: crate::app::communities::CommunityView,
    reports: Vec<cowork_store::Report>,
    partners: Vec<cowork_store::PartnerReport>,
}

async fn reports(State(app): State<App>, s: SignedIn, Path(slug): Path<String>) -> PageResult {
    let (view, reports, partners) = app.reports(&s.me, &slug).await?;
    ok(&ReportsPage { ctx: s.ctx, view, reports, partners })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ContactForm {
    on: String,
}

async fn conduct_contact(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, account)): Path<(String, String)>,
    super::CsrfForm(f): super::CsrfForm<ContactForm>,
) -> PageResult {
    app.set_conduct_contact(&s.me, &slug, &account, f.on == "yes").await?;
    super::see_other(&format!("/c/{slug}/members"))
}
