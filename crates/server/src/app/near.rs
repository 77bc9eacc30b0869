//! Coworking near me: places and in-person sessions around a town named
//! from the embedded gazetteer (no outside geocoder), within a radius, on
//! chosen days, nearest first.
//!
//! Every place is shown as an outsider sees it, and distances, the radius
//! and the order are all worked out from the shown position: a home's is
//! blurred to about a kilometre, so searching from many points cannot find
//! its door.

use super::places::PlaceShown;
use super::{App, AppResult};
use cowork_core::gazetteer::{self, City};
use cowork_core::places::{Coordinates, PlaceKind};
use cowork_core::schedule::SessionKind;
use cowork_core::time::{parse_date, Zone};
use cowork_core::{FieldError, Invalid};
use cowork_store::Account;
use jiff::civil::{Date, Time};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The radius when none is chosen, and the allowed range (km).
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MIN_RADIUS_KM: f64 = 1.0;
pub const MAX_RADIUS_KM: f64 = 200.0;
/// Days searched when none are chosen, and the longest stretch at once.
pub const DEFAULT_DAYS: i64 = 14;
pub const MAX_SPAN_DAYS: i64 = 62;
/// What is read from the store, and what is shown, of each.
const PLACES_READ: i64 = 500;
const SESSIONS_READ: i64 = 1000;
pub const SHOWN: usize = 50;

/// A search as the form or the API gives it; every field may be left out.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct NearQuery {
    /// A town or city: "Leiden", "Leiden, NL", "Portland, OR".
    pub q: String,
    /// A point to search around (the browser's location, or a town picked
    /// from the choices); used when `q` is empty or names a town there.
    pub lat: String,
    pub lon: String,
    /// Kilometres, 1–200 (default 25).
    pub radius: String,
    /// YYYY-MM-DD, days in the searched town's zone (default today and the next 14 days).
    pub from: String,
    pub to: String,
    /// "" (both), "places" or "sessions".
    pub kind: String,
}

impl NearQuery {
    /// Nothing asked yet (the page's first visit).
    pub fn is_blank(&self) -> bool {
        self.q.trim().is_empty() && self.lat.trim().is_empty() && self.lon.trim().is_empty()
    }
}

/// Where a search is centred, or a town it might have meant.
#[derive(Debug, Clone, Serialize)]
pub struct Centre {
    pub name: &'static str,
    /// ISO 3166 code.
    pub country: &'static str,
    pub country_name: &'static str,
    /// GeoNames' region code ("OR", "11"); may be empty.
    pub region: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub time_zone: &'static str,
    /// Centred on a point that was given (the browser's location), near this town.
    pub located: bool,
}

impl Centre {
    fn of(city: &City, at: Option<Coordinates>) -> Centre {
        let at = at.unwrap_or(Coordinates { lat: city.lat, lon: city.lon });
        Centre {
            name: city.name,
            country: city.country,
            country_name: gazetteer::country_name(city.country).unwrap_or(city.country),
            region: city.region,
            lat: at.lat,
            lon: at.lon,
            time_zone: city.time_zone,
            located: false,
        }
    }

    fn at(&self) -> Coordinates {
        Coordinates { lat: self.lat, lon: self.lon }
    }

    /// "Leiden, Netherlands"; a US state is named too, since many towns share a name.
    pub fn label(&self) -> String {
        let region = self.region.chars().all(|c| c.is_ascii_alphabetic()) && !self.region.is_empty();
        match (region, self.country) {
            (true, "US") => format!("{}, {}, {}", self.name, self.region, self.country_name),
            _ => format!("{}, {}", self.name, self.country_name),
        }
    }

    /// What to type to find this town again: "Leiden, NL".
    pub fn query(&self) -> String {
        format!("{}, {}", self.name, self.country)
    }
}

/// A place found, with its distance from the centre.
#[derive(Debug, Clone, Serialize)]
pub struct NearPlace {
    #[serde(flatten)]
    pub place: PlaceShown,
    /// From the shown position: to 0.1 km, or whole km for a private place.
    pub distance_km: f64,
    /// Its number on the map and in the list.
    #[serde(skip)]
    pub marker: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommunityRef {
    pub slug: String,
    pub name: String,
}

/// An in-person (or hybrid) session found.
#[derive(Debug, Clone, Serialize)]
pub struct NearSession {
    pub id: String,
    pub title: String,
    /// call | coworking_day | drop_in | open_house
    pub kind: String,
    pub kind_label: &'static str,
    pub community: CommunityRef,
    pub starts_at: i64,
    pub ends_at: i64,
    /// Also online.
    pub hybrid: bool,
    pub place: PlaceShown,
    pub distance_km: f64,
    /// Seats left in person; none when there is no limit.
    pub places_left: Option<i64>,
    #[serde(skip)]
    pub marker: usize,
}

/// A numbered point on the map, at a place's shown position.
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub number: usize,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NearResults {
    pub centre: Centre,
    /// Other towns the words could mean, most populous first.
    pub alternatives: Vec<Centre>,
    pub radius_km: f64,
    /// The days searched (inclusive), in the centre's zone.
    pub from: String,
    pub to: String,
    pub places: Vec<NearPlace>,
    pub sessions: Vec<NearSession>,
    /// More were found than are shown (the nearest are).
    pub more_places: bool,
    pub more_sessions: bool,
    #[serde(skip)]
    pub markers: Vec<Marker>,
}

/// The radius as typed, in km.
fn radius(raw: &str) -> Result<f64, FieldError> {
    let raw = raw.trim().trim_end_matches("km").trim();
    if raw.is_empty() {
        return Ok(DEFAULT_RADIUS_KM);
    }
    match raw.parse::<f64>() {
        Ok(r) if r.is_finite() && (MIN_RADIUS_KM..=MAX_RADIUS_KM).contains(&r) => Ok(r),
        _ => Err(FieldError::new("radius", format!("Choose a distance from {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km."))),
    }
}

/// The first and last day searched, in `zone`.
fn days(from: &str, to: &str, zone: &Zone, now: i64, errors: &mut Invalid) -> Option<(Date, Date)> {
    let today = zone.local(now).date;
    let from = if from.trim().is_empty() { Some(today) } else { errors.take(parse_date("from", from)) };
    let to = match (to.trim().is_empty(), from) {
        (true, Some(f)) => Some(f.saturating_add(DEFAULT_DAYS.days())),
        (true, None) => None,
        (false, _) => errors.take(parse_date("to", to)),
    };
    let (from, to) = (from?, to?);
    if to < from {
        errors.push(FieldError::new("to", "The last day comes on or after the first."));
    } else if to < today {
        errors.push(FieldError::new("to", "Those days have passed; choose today or later."));
    } else if i64::from((to - from).get_days()) > MAX_SPAN_DAYS {
        errors.push(FieldError::new("to", format!("Search at most {MAX_SPAN_DAYS} days at once.")));
    } else {
        return Some((from, to));
    }
    None
}

/// The box of latitudes and longitudes holding every shown position within
/// `km` of `c`. Its margin covers a home's blur: positions are stored exact
/// but searched as shown.
fn bounding_box(c: Coordinates, km: f64) -> ((f64, f64), (f64, f64)) {
    const KM_PER_DEGREE: f64 = 111.19;
    const MARGIN: f64 = 0.01;
    let dlat = km / KM_PER_DEGREE + MARGIN;
    let lat = ((c.lat - dlat).max(-90.0), (c.lat + dlat).min(90.0));
    // A degree of longitude is shortest at the box's edge farthest from the equator.
    let widest = lat.0.abs().max(lat.1.abs()).to_radians().cos();
    let dlon = if widest > 0.01 { km / (KM_PER_DEGREE * widest) + MARGIN } else { 360.0 };
    // Across the antimeridian or near a pole, every longitude (rare; the radius filter follows).
    let lon = if c.lon - dlon < -180.0 || c.lon + dlon > 180.0 { (-180.0, 180.0) } else { (c.lon - dlon, c.lon + dlon) };
    (lat, lon)
}

/// A distance as shown: to 0.1 km, or whole km for a private place.
fn shown_km(km: f64, private: bool) -> f64 {
    if private {
        km.round()
    } else {
        (km * 10.0).round() / 10.0
    }
}

/// The shown distance from `centre` to a shown place, if it has a position.
fn distance(centre: Coordinates, p: &PlaceShown) -> Option<f64> {
    p.coordinates.map(|c| centre.distance_km(Coordinates { lat: c.lat, lon: c.lon }))
}

/// Where to search: a given point (with the town it is in or near), else the
/// most populous town of that name; the other towns of the name as choices.
fn centre(q: &NearQuery, errors: &mut Invalid) -> Option<(Centre, Vec<Centre>)> {
    let typed = q.q.trim();
    if typed.chars().any(char::is_control) {
        errors.push(FieldError::new("q", "Use a single line of plain text."));
        return None;
    }
    if typed.chars().count() > gazetteer::MAX_QUERY {
        errors.push(FieldError::new("q", format!("Use at most {} characters.", gazetteer::MAX_QUERY)));
        return None;
    }
    let pin = Coordinates::parse(&q.lat, &q.lon).map_err(|e| e.0.into_iter().for_each(|f| errors.push(f))).ok().flatten();
    if let Some(at) = pin {
        // A town typed after the point was given wins over the point.
        let named = |c: &&City| at.distance_km(Coordinates { lat: c.lat, lon: c.lon }) < 2.0;
        let town = if typed.is_empty() { gazetteer::nearest(at.lat, at.lon) } else { gazetteer::search(typed, 10).into_iter().find(named) };
        if let Some(town) = town {
            let mut c = Centre::of(town, Some(at));
            c.located = typed.is_empty();
            return Some((c, Vec::new()));
        }
    }
    if typed.is_empty() {
        if pin.is_none() && !errors.0.iter().any(|e| e.field == "lat" || e.field == "lon") {
            errors.push(FieldError::new("q", "Type a town or city, or use your location."));
        }
        return None;
    }
    let found = gazetteer::search(typed, 5);
    let Some((first, others)) = found.split_first() else {
        errors.push(FieldError::new(
            "q",
            format!(
                "We don't know a town called “{typed}”. Try a bigger town nearby, or the town and its country code, such as “Leiden, NL”."
            ),
        ));
        return None;
    };
    Some((Centre::of(first, None), others.iter().map(|c| Centre::of(c, None)).collect()))
}

impl App {
    /// The cities each community meets in (from its places), by community id, for the directory.
    pub async fn community_cities(&self, communities: &[cowork_store::Community]) -> AppResult<HashMap<String, Vec<String>>> {
        let ids: Vec<String> = communities.iter().map(|c| c.id.clone()).collect();
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (community, city) in self.store.community_cities(&ids).await? {
            out.entry(community).or_default().push(city);
        }
        Ok(out)
    }

    /// Places and in-person sessions around a town or a point.
    pub async fn near(&self, _viewer: Option<&Account>, q: &NearQuery) -> AppResult<NearResults> {
        // Everyone sees places here as outsiders do; those going see more on the session's page.
        let mut errors = Invalid::default();
        let found = centre(q, &mut errors);
        let radius_km = errors.take(radius(&q.radius));
        let (want_places, want_sessions) = match q.kind.trim() {
            "" => (true, true),
            "places" => (true, false),
            "sessions" => (false, true),
            _ => {
                errors.push(FieldError::new("kind", "Choose places, sessions, or both."));
                (false, false)
            }
        };
        let zone = found.as_ref().and_then(|(c, _)| Zone::parse("time_zone", c.time_zone).ok()).unwrap_or_else(Zone::utc);
        let now = self.now();
        let span = days(&q.from, &q.to, &zone, now, &mut errors);
        let (Some((centre, alternatives)), Some(radius_km), Some((from, to)), true) = (found, radius_km, span, errors.is_empty()) else {
            return Err(errors.into());
        };
        let at = centre.at();
        let (lat, lon) = bounding_box(at, radius_km);

        // The places in the box serve both lists: a session's place is usually one of them.
        let in_box = if want_places || want_sessions {
            self.store.findable_places_within(lat, lon, (at.lat, at.lon), PLACES_READ).await?
        } else {
            Vec::new()
        };
        let mut places = Vec::new();
        if want_places {
            for p in &in_box {
                // Homes are found only through their sessions, never listed as places to visit.
                if p.details.kind == PlaceKind::Home {
                    continue;
                }
                let shown = self.place_for(p, false);
                match distance(at, &shown) {
                    Some(d) if d <= radius_km => places.push((d, shown)),
                    _ => {}
                }
            }
        }
        places.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        let more_places = places.len() > SHOWN;
        places.truncate(SHOWN);

        let mut sessions = Vec::new();
        if want_sessions {
            let (start, end) = (zone.instant(from, Time::midnight()), zone.instant(to.saturating_add(1.day()), Time::midnight()));
            let mut found = self.store.findable_sessions_within(lat, lon, start, end, SESSIONS_READ).await?;
            found.retain(|s| s.ends_at > now);
            let mut at_places: HashMap<String, cowork_store::Place> = in_box.into_iter().map(|p| (p.id.clone(), p)).collect();
            let mut missing: Vec<String> =
                found.iter().filter(|s| !at_places.contains_key(&s.place_id)).map(|s| s.place_id.clone()).collect();
            missing.sort();
            missing.dedup();
            if !missing.is_empty() {
                at_places.extend(self.store.places_by_ids(&missing).await?.into_iter().map(|p| (p.id.clone(), p)));
            }
            let mut shown_places: HashMap<&str, PlaceShown> = HashMap::new();
            let mut nearest = Vec::new();
            for s in found {
                let Some(p) = at_places.get(&s.place_id) else { continue };
                let shown = shown_places.entry(p.id.as_str()).or_insert_with(|| self.place_for(p, false));
                match distance(at, shown) {
                    Some(d) if d <= radius_km => nearest.push((d, s)),
                    _ => {}
                }
            }
            nearest.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.starts_at.cmp(&b.1.starts_at)).then_with(|| a.1.id.cmp(&b.1.id)));
            // One more than is shown, to know there are more.
            nearest.truncate(SHOWN + 1);
            let ids: Vec<String> = nearest.iter().map(|(_, s)| s.id.clone()).collect();
            let mut whole: HashMap<String, cowork_store::Session> =
                self.store.sessions_by_ids(&ids).await?.into_iter().map(|s| (s.id.clone(), s)).collect();
            for (d, s) in nearest {
                if let (Some(session), Some(shown)) = (whole.remove(&s.id), shown_places.get(s.place_id.as_str())) {
                    sessions.push((d, session, shown.clone()));
                }
            }
        }
        let more_sessions = sessions.len() > SHOWN;
        sessions.truncate(SHOWN);

        // One number per place, the same in the list (sessions first) and on the map.
        let mut markers: Vec<Marker> = Vec::new();
        let mut numbers: HashMap<String, usize> = HashMap::new();
        let mut number = |p: &PlaceShown| -> usize {
            if let Some(n) = numbers.get(&p.id) {
                return *n;
            }
            let n = numbers.len() + 1;
            numbers.insert(p.id.clone(), n);
            if let Some(c) = p.coordinates {
                markers.push(Marker { number: n, lat: c.lat, lon: c.lon });
            }
            n
        };
        let sessions: Vec<NearSession> = sessions
            .into_iter()
            .map(|(d, s, place)| NearSession {
                id: s.id.clone(),
                title: s.content.title.clone(),
                kind: s.content.kind.clone(),
                kind_label: SessionKind::parse(&s.content.kind).unwrap_or_default().label(),
                community: CommunityRef { slug: s.community_slug.clone(), name: s.community_name.clone() },
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                hybrid: s.content.place == "hybrid",
                distance_km: shown_km(d, place.address_private),
                places_left: s.places_left(),
                marker: number(&place),
                place,
            })
            .collect();
        let places: Vec<NearPlace> = places
            .into_iter()
            .map(|(d, place)| {
                let marker = number(&place);
                NearPlace { distance_km: shown_km(d, place.address_private), marker, place }
            })
            .collect();
        Ok(NearResults {
            centre,
            alternatives,
            radius_km,
            from: from.to_string(),
            to: to.to_string(),
            places,
            sessions,
            more_places,
            more_sessions,
            markers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_is_bounded() {
        assert_eq!(radius("").unwrap(), 25.0);
        assert_eq!(radius(" 50 km").unwrap(), 50.0);
        for bad in ["0", "0.5", "201", "10000", "NaN", "inf", "far"] {
            assert_eq!(radius(bad).unwrap_err().field, "radius", "{bad}");
        }
    }

    #[test]
    fn days_default_to_the_next_two_weeks_and_are_bounded() {
        let zone = Zone::parse("z", "Europe/Amsterdam").unwrap();
        let now = zone.instant("2026-03-10".parse().unwrap(), Time::midnight()) + 3600;
        let mut e = Invalid::default();
        let (f, t) = days("", "", &zone, now, &mut e).unwrap();
        assert_eq!((f.to_string(), t.to_string()), ("2026-03-10".into(), "2026-03-24".into()));
        for (from, to, field) in [
            ("2026-03-12", "2026-03-11", "to"),
            ("2026-03-10", "2026-06-01", "to"),
            ("2026-02-01", "2026-02-03", "to"),
            ("12/3", "", "from"),
        ] {
            let mut e = Invalid::default();
            assert!(days(from, to, &zone, now, &mut e).is_none(), "{from} {to}");
            assert_eq!(e.0[0].field, field, "{from} {to}");
        }
    }

    #[test]
    fn the_box_holds_the_circle_and_the_blur() {
        let leiden = Coordinates { lat: 52.1601, lon: 4.4970 };
        let ((lat0, lat1), (lon0, lon1)) = bounding_box(leiden, 25.0);
        for bearing in (0..360).step_by(10) {
            let b = f64::from(bearing).to_radians();
            // About 25 km out, then blurred.
            let p = Coordinates { lat: leiden.lat + 0.2245 * b.cos(), lon: leiden.lon + 0.2245 / 52.16f64.to_radians().cos() * b.sin() }
                .blurred();
            if leiden.distance_km(p) <= 25.0 {
                assert!(p.lat >= lat0 && p.lat <= lat1 && p.lon >= lon0 && p.lon <= lon1, "{p:?}");
            }
        }
        assert_eq!(bounding_box(Coordinates { lat: -17.7, lon: 179.9 }, 50.0).1, (-180.0, 180.0));
        assert_eq!(bounding_box(Coordinates { lat: 89.9, lon: 0.0 }, 50.0).1, (-180.0, 180.0));
    }

    #[test]
    fn private_distances_are_whole_kilometres() {
        assert_eq!(shown_km(14.26, false), 14.3);
        assert_eq!(shown_km(14.26, true), 14.0);
    }

    #[test]
    fn a_town_or_a_point() {
        let q = |q: &str, lat: &str, lon: &str| NearQuery { q: q.into(), lat: lat.into(), lon: lon.into(), ..Default::default() };
        let mut e = Invalid::default();
        let (c, _) = centre(&q("The Hague", "", ""), &mut e).unwrap();
        assert_eq!((c.name, c.country, c.located), ("The Hague", "NL", false));
        let (c, _) = centre(&q("", "52.16", "4.49"), &mut e).unwrap();
        assert_eq!((c.name, c.lat, c.located), ("Leiden", 52.16, true));
        // A town typed after locating wins; a town picked from the choices keeps its point.
        let (c, _) = centre(&q("Utrecht", "52.16", "4.49"), &mut e).unwrap();
        assert_eq!(c.name, "Utrecht");
        let (c, _) = centre(&q("Leiden, NL", "52.1583", "4.4931"), &mut e).unwrap();
        assert_eq!((c.name, c.located), ("Leiden", false));
        assert!(e.is_empty());
        assert!(centre(&q("Xyzzyville", "", ""), &mut e).is_none());
        assert!(e.0[0].message.contains("We don't know a town called “Xyzzyville”"));
        let mut e = Invalid::default();
        assert!(centre(&q("", "95", "4"), &mut e).is_none());
        assert_eq!(e.0.len(), 1, "{e:?}");
        assert_eq!(e.0[0].field, "lat");
    }
}
