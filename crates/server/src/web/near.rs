//! `/near`: coworking near a town or the browser's location. The search is
//! `App::near`; this page renders it, the list first (the accessible view)
//! and a map drawn by `near.js` from the configured tiles.

use super::{form_errors, render, Ctx, FormErrors, PageResult, Query};
use crate::app::near::{Centre, NearQuery, NearResults, DEFAULT_RADIUS_KM, MAX_RADIUS_KM, MIN_RADIUS_KM};
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<App> {
    Router::new().route("/near", get(page))
}

#[derive(Template)]
#[template(path = "near.html")]
struct NearPage {
    ctx: Ctx,
    q: NearQuery,
    results: Option<NearResults>,
    errors: FormErrors,
    /// The tile URL template; empty: no map.
    tiles: String,
}

/// The distances the form offers (km).
const RADII: [u32; 5] = [5, 10, 25, 50, 100];

impl NearPage {
    /// The radius choices, with one typed into the address kept.
    fn radii(&self) -> Vec<(String, bool)> {
        let typed = self.q.radius.trim().parse::<f64>().ok().filter(|r| (MIN_RADIUS_KM..=MAX_RADIUS_KM).contains(r));
        let current = self.results.as_ref().map(|r| r.radius_km).or(typed).unwrap_or(DEFAULT_RADIUS_KM);
        let mut all: Vec<f64> = RADII.iter().map(|r| f64::from(*r)).collect();
        if !all.contains(&current) {
            all.push(current);
            all.sort_by(f64::total_cmp);
        }
        all.into_iter().map(|r| (format!("{r}"), r == current)).collect()
    }
    /// Each problem with the field it is in and that field's label; a point
    /// that could not be read has no field to go to.
    fn problems(&self) -> Vec<(&'static str, &'static str, String)> {
        const FIELDS: [(&str, &str); 5] = [("q", "Town or city"), ("radius", "Within"), ("kind", "Show"), ("from", "From"), ("to", "To")];
        let mut out: Vec<_> = FIELDS.iter().filter_map(|(f, label)| self.errors.get(f).map(|m| (*f, *label, m.to_string()))).collect();
        if self.errors.get("lat").is_some() || self.errors.get("lon").is_some() {
            out.push(("", "", "The location given could not be read; type a town instead.".into()));
        }
        out
    }
    fn from(&self) -> &str {
        self.results.as_ref().map(|r| r.from.as_str()).unwrap_or(&self.q.from)
    }
    fn to(&self) -> &str {
        self.results.as_ref().map(|r| r.to.as_str()).unwrap_or(&self.q.to)
    }
    /// The point given, kept for the next search unless it could not be read.
    fn pin(&self) -> (&str, &str) {
        if self.errors.get("lat").is_some() || self.errors.get("lon").is_some() {
            ("", "")
        } else {
            (self.q.lat.trim(), self.q.lon.trim())
        }
    }
    /// "4.3 km", or "about 3 km" for a home (whole km from its blurred position).
    fn km(&self, d: &f64, private: &bool) -> String {
        if *private {
            format!("about {d:.0} km")
        } else {
            format!("{d:.1} km")
        }
    }
    /// The same search around another town of the name.
    fn choose(&self, c: &Centre) -> String {
        let q = &self.q;
        format!(
            "/near?q={}&lat={}&lon={}&radius={}&from={}&to={}&kind={}",
            super::urlencode(&c.query()),
            c.lat,
            c.lon,
            super::urlencode(&q.radius),
            super::urlencode(&q.from),
            super::urlencode(&q.to),
            super::urlencode(&q.kind)
        )
    }
    fn left(&self, n: &i64) -> String {
        match n {
            0 => "Full".into(),
            1 => "1 place left".into(),
            n => format!("{n} places left"),
        }
    }
    /// "Tue 10 Mar to Tue 24 Mar": the days searched.
    fn days(&self) -> String {
        let Some(r) = &self.results else { return String::new() };
        let day = |d: &str| d.parse::<jiff::civil::Date>().map(|d| d.strftime("%a %-d %b").to_string()).unwrap_or_else(|_| d.into());
        format!("{} to {}", day(&r.from), day(&r.to))
    }
    fn want(&self, kind: &str) -> bool {
        self.q.kind.trim().is_empty() || self.q.kind.trim() == kind
    }
}

async fn page(State(app): State<App>, ctx: Ctx, Query(q): Query<NearQuery>) -> PageResult {
    let tiles = app.config.map_tiles.clone();
    let (results, errors) = if q.is_blank() {
        (None, FormErrors::default())
    } else {
        match form_errors(app.near(ctx.viewer.as_ref(), &q).await)? {
            Ok(r) => (Some(r), FormErrors::default()),
            Err(e) => (None, e),
        }
    };
    // A town we don't know is an answer to the search, not a mistake in the form.
    let only_town = errors.all().len() == 1 && errors.get("q").is_some();
    let status = if errors.any() && !only_town { errors.status() } else { StatusCode::OK };
    let map = results.is_some() && !tiles.is_empty();
    let mut res = render(status, &NearPage { ctx, q, results, errors, tiles: tiles.clone() })?;
    // The map's tiles come from the tile server: allowed as images on this page only.
    if let Some(origin) = map.then(|| tile_origin(&tiles)).flatten() {
        let policy = super::CSP.replace("img-src 'self' data:", &format!("img-src 'self' data: {origin}"));
        if let Ok(v) = HeaderValue::from_str(&policy) {
            res.headers_mut().insert("content-security-policy", v);
        }
    }
    Ok(res)
}

/// The origin of a tile URL template, as a CSP source: "https://tile.openstreetmap.org",
/// or "https://*.tile.example.org" for "https://{s}.tile.example.org/…".
fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    let host = rest.split('/').next()?;
    let host = match host.split_once('.') {
        Some((first, others)) if first.starts_with('{') => format!("*.{others}"),
        _ => host.to_string(),
    };
    let fine = matches!(scheme, "https" | "http")
        && !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*' | '[' | ']'));
    fine.then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::tile_origin;

    #[test]
    fn tiles_are_allowed_by_their_origin() {
        assert_eq!(tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(), Some("https://tile.openstreetmap.org"));
        assert_eq!(tile_origin("https://{s}.tile.example.org:8443/{z}/{x}/{y}.png").as_deref(), Some("https://*.tile.example.org:8443"));
        assert_eq!(tile_origin("https://tiles.example.org; script-src *").as_deref(), None);
        assert_eq!(tile_origin("javascript:alert(1)"), None);
    }
}
