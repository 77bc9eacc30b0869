//! A community's formats: the built-in ones to look at, and its own to make
//! and change (add, remove and reorder phases, with the total shown).

use super::{form_errors, ok, render, see_other, CsrfForm, Ctx, FormErrors, PageResult, Path, SignedIn};
use crate::app::communities::CommunityView;
use crate::app::{App, AppError};
use askama::Template;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use cowork_core::format::{duration_words, Format, Phase, PhaseInput, PhaseKind, MAX_PHASES};
use cowork_core::permissions::Action;
use std::collections::HashMap;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/c/{slug}/formats", get(list))
        .route("/c/{slug}/formats/new", get(new_form).post(create))
        .route("/c/{slug}/formats/{id}/edit", get(edit_form).post(update))
        .route("/c/{slug}/formats/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "formats.html")]
struct FormatsPage {
    ctx: Ctx,
    view: CommunityView,
    formats: Vec<Format>,
}

impl FormatsPage {
    fn total(&self, f: &Format) -> String {
        duration_words(f.total_minutes())
    }
    fn may_schedule(&self) -> bool {
        self.view.may(Action::Schedule)
    }
}

async fn list(State(app): State<App>, ctx: Ctx, Path(slug): Path<String>) -> PageResult {
    let (view, formats) = app.formats(ctx.viewer.as_ref(), &slug).await?;
    ok(&FormatsPage { ctx, view, formats })
}

/// One row of the editor.
pub struct Row {
    pub n: usize,
    pub kind: String,
    pub label: String,
    pub minutes: String,
    pub enforced: bool,
}

#[derive(Template)]
#[template(path = "format_form.html")]
struct FormatForm {
    ctx: Ctx,
    view: CommunityView,
    id: Option<String>,
    /// Not `name`: the form macro's own parameter is called that.
    format_name: String,
    description: String,
    rows: Vec<Row>,
    errors: FormErrors,
}

impl FormatForm {
    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        PhaseKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
    }
    fn total(&self) -> String {
        let m: u32 = self.rows.iter().filter_map(|r| r.minutes.trim().parse::<u32>().ok()).sum();
        duration_words(m)
    }
    fn action(&self) -> String {
        match &self.id {
            Some(id) => format!("/c/{}/formats/{id}/edit", self.view.community.slug),
            None => format!("/c/{}/formats/new", self.view.community.slug),
        }
    }
}

fn rows_of(phases: &[Phase], blank: usize) -> Vec<Row> {
    let mut rows: Vec<Row> = phases
        .iter()
        .enumerate()
        .map(|(i, p)| Row {
            n: i + 1,
            kind: p.kind.as_str().into(),
            label: p.label.clone(),
            minutes: p.minutes.to_string(),
            enforced: p.enforced,
        })
        .collect();
    for _ in 0..blank {
        rows.push(Row { n: rows.len() + 1, kind: "focus".into(), label: String::new(), minutes: String::new(), enforced: false });
    }
    rows
}

/// The editor's fields arrive as kind_1, label_1, minutes_1, enforced_1, order_1, remove_1, …
/// Rows are sorted by their order number (so typing 2 moves a row up),
/// removed ones dropped, and `add` appends blank rows.
fn rows_from(form: &HashMap<String, String>) -> Vec<Row> {
    let mut rows: Vec<(f64, Row)> = Vec::new();
    for n in 1..=MAX_PHASES + 10 {
        let get = |k: &str| form.get(&format!("{k}_{n}")).cloned().unwrap_or_default();
        if !form.contains_key(&format!("kind_{n}")) || !get("remove").is_empty() {
            continue;
        }
        let order: f64 = get("order").trim().parse().unwrap_or(n as f64);
        // Ties keep the earlier row first.
        rows.push((
            order + n as f64 / 1000.0,
            Row { n, kind: get("kind"), label: get("label"), minutes: get("minutes"), enforced: !get("enforced").is_empty() },
        ));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    // Empty rows are spare ones: dropped, then spares added back (more after "Add phases").
    out.retain(|r| !(r.label.trim().is_empty() && r.minutes.trim().is_empty()));
    let blanks = if form.contains_key("add") { 4 } else { 2 };
    for _ in 0..blanks {
        out.push(Row { n: 0, kind: "focus".into(), label: String::new(), minutes: String::new(), enforced: false });
    }
    for (i, r) in out.iter_mut().enumerate() {
        r.n = i + 1;
    }
    out
}

fn inputs(rows: &[Row]) -> Vec<PhaseInput> {
    rows.iter()
        .map(|r| PhaseInput { kind: r.kind.clone(), label: r.label.clone(), minutes: r.minutes.clone(), enforced: r.enforced })
        .collect()
}

async fn new_form(State(app): State<App>, s: SignedIn, Path(slug): Path<String>) -> PageResult {
    let view = app.community(Some(&s.me), &slug).await?;
    if !view.may(Action::Schedule) {
        return Err(AppError::forbidden().into());
    }
    let start = cowork_core::format::builtin("builtin:weekly-coworking").map(|f| f.phases).unwrap_or_default();
    ok(&FormatForm {
        ctx: s.ctx,
        view,
        id: None,
        format_name: String::new(),
        description: String::new(),
        rows: rows_of(&start, 2),
        errors: FormErrors::default(),
    })
}

async fn edit_form(State(app): State<App>, s: SignedIn, Path((slug, id)): Path<(String, String)>) -> PageResult {
    let (view, f) = app.custom_format(&s.me, &slug, &id).await?;
    ok(&FormatForm {
        ctx: s.ctx,
        view,
        id: Some(id),
        format_name: f.name,
        description: f.description,
        rows: rows_of(&f.phases, 2),
        errors: FormErrors::default(),
    })
}

async fn save(app: App, s: SignedIn, slug: String, id: Option<String>, form: HashMap<String, String>) -> PageResult {
    let rows = rows_from(&form);
    let name = form.get("name").cloned().unwrap_or_default();
    let description = form.get("description").cloned().unwrap_or_default();
    let view = app.community(Some(&s.me), &slug).await?;
    if form.contains_key("add") {
        // "Add phases" only redraws the editor; nothing is saved yet.
        return ok(&FormatForm { ctx: s.ctx, view, id, format_name: name, description, rows, errors: FormErrors::default() });
    }
    match form_errors(app.save_format(&s.me, &slug, id.as_deref(), &name, &description, &inputs(&rows)).await)? {
        Ok(_) => see_other(&format!("/c/{slug}/formats?saved=1")),
        Err(errors) => render(errors.status(), &FormatForm { ctx: s.ctx, view, id, format_name: name, description, rows, errors }),
    }
}

async fn create(
    State(app): State<App>,
    s: SignedIn,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    save(app, s, slug, None, form).await
}

async fn update(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    save(app, s, slug, Some(id), form).await
}

async fn delete(
    State(app): State<App>,
    s: SignedIn,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    app.delete_format(&s.me, &slug, &id).await?;
    see_other(&format!("/c/{slug}/formats"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_reorder_by_their_numbers_and_drop_removed_ones() {
        let mut f = HashMap::new();
        for (n, label, order) in [(1, "A", "1"), (2, "B", "2"), (3, "C", "1")] {
            f.insert(format!("kind_{n}"), "focus".to_string());
            f.insert(format!("label_{n}"), label.to_string());
            f.insert(format!("minutes_{n}"), "5".to_string());
            f.insert(format!("order_{n}"), order.to_string());
        }
        f.insert("remove_2".into(), "on".into());
        let rows = rows_from(&f);
        assert_eq!(rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), ["A", "C", "", ""], "two spare rows follow");
        assert_eq!(cowork_core::format::total_minutes(&cowork_core::format::parse_phases(&inputs(&rows)).unwrap()), 10);
    }
}
