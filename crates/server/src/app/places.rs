//! Places where people meet in person: kept by a community's organizers, or
//! by a space operator for their own space, and shown to each viewer with
//! only what they may see of a home's address (core's `whereabouts`). Pages,
//! API, feeds, mail and `/near` all show a place through `PlaceShown`.

use super::{App, AppError, AppResult};
use cowork_core::permissions::Action;
use cowork_core::places::{whereabouts, Access, Amenity, PlaceInput, PlaceKind, Viewer, Whereabouts};
use cowork_store::{Account, Place, PlaceOwner};
use serde::Serialize;

/// A place as one viewer may see it: never the raw stored place, so a
/// home's street and exact position cannot slip into a page by mistake.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceShown {
    pub id: String,
    pub community_id: Option<String>,
    pub owner_id: Option<String>,
    pub name: String,
    pub kind: PlaceKind,
    /// The street address, or "" when withheld from this viewer.
    pub address: String,
    /// Where, in words, as far as this viewer may know.
    pub shown: String,
    pub address_private: bool,
    pub area: String,
    pub city: String,
    pub country: &'static str,
    /// Exact, or rounded to about a kilometre for a home seen from outside.
    pub coordinates: Option<Coordinates>,
    pub time_zone: String,
    pub access: Vec<&'static str>,
    pub amenities: Vec<&'static str>,
    pub access_notes: String,
    pub seats: u32,
    pub house_rules: String,
    /// Monday first: "09:00–17:30" spans per day.
    pub opening_hours: Vec<Vec<Span>>,
    pub drop_in_seats: u32,
    pub free_trial: bool,
    /// Directions (OpenStreetMap unless configured), and a `geo:` link for
    /// phones' map apps; none when the position is withheld.
    pub map_url: Option<String>,
    pub geo_url: Option<String>,
    /// The viewer keeps this place (a community's organizer, or the operator).
    pub may_edit: bool,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Span {
    pub opens: String,
    pub closes: String,
}

impl PlaceShown {
    pub fn new(place: &Place, viewer: Viewer, may_edit: bool, map_link: &str) -> PlaceShown {
        let p = &place.details;
        let w: Whereabouts = whereabouts(p.kind, &p.address, &p.area, &p.city, p.country, p.coordinates, viewer);
        let (community_id, owner_id) = match &place.owner {
            PlaceOwner::Community(c) => (Some(c.clone()), None),
            PlaceOwner::Account(a) => (None, Some(a.clone())),
        };
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let exact = w.coordinates.filter(|_| !w.private);
        PlaceShown {
            id: place.id.clone(),
            community_id,
            owner_id,
            name: p.name.clone(),
            kind: p.kind,
            address: w.address,
            shown: w.shown,
            address_private: w.private,
            area: p.area.clone(),
            city: w.city,
            country: w.country,
            coordinates: w.coordinates.map(|c| Coordinates { lat: c.lat, lon: c.lon }),
            time_zone: p.time_zone.clone(),
            access: p.access.iter().map(|a| Access::as_str(*a)).collect(),
            amenities: p.amenities.iter().map(|a| Amenity::as_str(*a)).collect(),
            // A home's notes may name the door or the flat: they go with its street.
            access_notes: if w.private { String::new() } else { p.access_notes.clone() },
            seats: p.seats,
            house_rules: if w.private { String::new() } else { p.house_rules.clone() },
            opening_hours: p
                .opening_hours
                .0
                .iter()
                .map(|day| day.iter().map(|o| Span { opens: hm(o.opens), closes: hm(o.closes) }).collect())
                .collect(),
            drop_in_seats: p.drop_in_seats,
            free_trial: p.free_trial,
            map_url: exact.map(|c| map_link.replace("{lat}", &format!("{:.6}", c.lat)).replace("{lon}", &format!("{:.6}", c.lon))),
            geo_url: exact.map(|c| format!("geo:{:.6},{:.6}", c.lat, c.lon)),
            may_edit,
        }
    }

    pub fn kind_label(&self) -> &'static str {
        self.kind.label()
    }

    /// What is there and how to get in, in words.
    pub fn offers(&self) -> Vec<&'static str> {
        let amenity = |n: &&str| Amenity::ALL.into_iter().find(|a| a.as_str() == *n).map(Amenity::label);
        let access = |n: &&str| Access::ALL.into_iter().find(|a| a.as_str() == *n).map(Access::label);
        self.amenities.iter().filter_map(amenity).chain(self.access.iter().filter_map(access)).collect()
    }

    /// "Mon 09:00–17:30" lines, days closed left out.
    pub fn opening_lines(&self) -> Vec<String> {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        self.opening_hours
            .iter()
            .zip(DAYS)
            .filter(|(spans, _)| !spans.is_empty())
            .map(|(spans, d)| format!("{d} {}", spans.iter().map(|s| format!("{}–{}", s.opens, s.closes)).collect::<Vec<_>>().join(", ")))
            .collect()
    }

    /// Where, in one line: the place's name and what the viewer may know of its whereabouts.
    pub fn one_line(&self) -> String {
        if self.shown.is_empty() || self.shown == self.name {
            self.name.clone()
        } else {
            format!("{}, {}", self.name, self.shown)
        }
    }
}

/// Places by id, for a list of sessions.
pub type PlacesById = std::collections::HashMap<String, Place>;

impl App {
    /// The places a list of sessions meets at, read in one go.
    pub async fn places_by_id<'a>(&self, sessions: impl Iterator<Item = &'a cowork_store::Session>) -> AppResult<PlacesById> {
        let mut ids: Vec<String> = sessions.filter(|s| s.at_a_place()).map(|s| s.content.place_id.clone()).collect();
        ids.sort();
        ids.dedup();
        Ok(self.store.places_by_ids(&ids).await?.into_iter().map(|p| (p.id.clone(), p)).collect())
    }

    /// Where a session meets, as someone going (`insider`) or anyone else may know it.
    pub async fn session_place(&self, s: &cowork_store::Session, insider: bool) -> AppResult<Option<PlaceShown>> {
        if !s.at_a_place() {
            return Ok(None);
        }
        match self.store.place(&s.content.place_id).await {
            Ok(p) => Ok(Some(self.place_for(&p, insider))),
            Err(cowork_store::StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// "Where: …" for a mail to one person.
    pub async fn where_line(&self, s: &cowork_store::Session, insider: bool) -> Result<String, String> {
        let at = self.session_place(s, insider).await.map_err(|e| e.to_string())?;
        Ok(match (at, s.content.place.as_str()) {
            (Some(p), "hybrid") => format!("Where: {}, or online (the room and the video link open on the session's page).", p.one_line()),
            (Some(p), _) => match &p.map_url {
                Some(map) => format!("Where: {}. Directions: {map}", p.one_line()),
                None => format!("Where: {}. The street address is shown to the people going.", p.one_line()),
            },
            (None, _) => "Where: online; the room and the video link open on the session's page.".into(),
        })
    }

    fn shown(&self, place: &Place, insider: bool) -> PlaceShown {
        let viewer = if insider { Viewer::Insider } else { Viewer::Outsider };
        PlaceShown::new(place, viewer, insider, &self.config.map_link)
    }

    /// A place as someone going to (or hosting) a session there sees it, or
    /// as anyone else does.
    pub fn place_for(&self, place: &Place, insider: bool) -> PlaceShown {
        PlaceShown::new(place, if insider { Viewer::Insider } else { Viewer::Outsider }, false, &self.config.map_link)
    }

    /// Adds a place to a community; its organizers keep them.
    pub async fn add_community_place(&self, me: &Account, slug: &str, input: &PlaceInput) -> AppResult<PlaceShown> {
        let community = self.community_for(me, slug, Action::Schedule).await?;
        let draft = self.read_place(input)?;
        let place = self.store.create_place(&PlaceOwner::Community(community.community.id), &draft, self.now()).await?;
        Ok(self.shown(&place, true))
    }

    /// Adds a place of one's own: a home to hold coworking days at, or a space operator's space.
    pub async fn add_own_place(&self, me: &Account, input: &PlaceInput) -> AppResult<PlaceShown> {
        let draft = self.read_place(input)?;
        let place = self.store.create_place(&PlaceOwner::Account(me.id.clone()), &draft, self.now()).await?;
        Ok(self.shown(&place, true))
    }

    /// Reads a place form; a position without a zone takes the zone of the nearest city.
    fn read_place(&self, input: &PlaceInput) -> AppResult<cowork_core::places::PlaceDraft> {
        let mut input = input.clone();
        if input.time_zone.trim().is_empty() {
            if let Ok(Some(at)) = cowork_core::places::Coordinates::parse(&input.lat, &input.lon) {
                input.time_zone = cowork_core::gazetteer::zone_at(at.lat, at.lon).unwrap_or_default().to_string();
            }
        }
        Ok(input.parse(self.now())?)
    }

    /// A community's places, for whoever may see the community.
    pub async fn community_places(&self, viewer: Option<&Account>, slug: &str) -> AppResult<Vec<PlaceShown>> {
        let community = self.community(viewer, slug).await?;
        let insider = community.may(Action::Schedule);
        let places = self.store.places_of(&PlaceOwner::Community(community.community.id)).await?;
        Ok(places.iter().map(|p| self.shown(p, insider)).collect())
    }

    /// Someone's own places (homes, spaces).
    pub async fn my_places(&self, me: &Account) -> AppResult<Vec<PlaceShown>> {
        let places = self.store.places_of(&PlaceOwner::Account(me.id.clone())).await?;
        Ok(places.iter().map(|p| self.shown(p, true)).collect())
    }

    /// The places a series of a community may meet at, chosen by `me`: the
    /// community's, and `me`'s own.
    pub async fn usable_places(&self, community_id: &str, me: &Account) -> AppResult<Vec<Place>> {
        let mut places = self.store.places_of(&PlaceOwner::Community(community_id.to_string())).await?;
        places.extend(self.store.places_of(&PlaceOwner::Account(me.id.clone())).await?);
        Ok(places)
    }

    /// Whether `viewer` keeps a place: its community's organizers, or its operator.
    pub async fn keeps_place(&self, viewer: Option<&Account>, place: &Place) -> AppResult<bool> {
        Ok(match &place.owner {
            PlaceOwner::Community(c) => {
                let slug = self.store.community_by_id(c).await?.slug;
                match self.community(viewer, &slug).await {
                    Ok(v) => v.may(Action::Schedule),
                    Err(AppError::NotFound | AppError::Forbidden(_) | AppError::Unauthenticated) => false,
                    Err(e) => return Err(e),
                }
            }
            PlaceOwner::Account(a) => viewer.is_some_and(|v| v.id == *a),
        })
    }

    /// One place, as `viewer` may see it. A private community's place is as
    /// private as the community.
    pub async fn place_view(&self, viewer: Option<&Account>, id: &str) -> AppResult<(Place, PlaceShown)> {
        let place = self.store.place(id).await?;
        if let PlaceOwner::Community(c) = &place.owner {
            let slug = self.store.community_by_id(c).await?.slug;
            self.community(viewer, &slug).await?;
        }
        let insider = self.keeps_place(viewer, &place).await?;
        let shown = self.shown(&place, insider);
        Ok((place, shown))
    }

    /// Communities `me` organizes (which may keep a place instead of `me`).
    pub async fn communities_i_organize(&self, me: &Account) -> AppResult<Vec<cowork_store::Community>> {
        Ok(self
            .my_communities(me)
            .await?
            .into_iter()
            .filter(|m| !m.pending && m.role >= cowork_core::permissions::Role::Organizer)
            .map(|m| m.community)
            .collect())
    }

    /// What happens at a place in the coming months that `viewer` may see:
    /// a space's drop-in days and open houses, coworking days, sessions.
    pub async fn sessions_at(&self, viewer: Option<&Account>, place_id: &str) -> AppResult<Vec<cowork_store::Session>> {
        let t = self.now();
        let all = self.store.sessions_at_place(place_id, t - 12 * 3600, t + 120 * 86_400, 200).await?;
        let mut seen: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for s in all {
            if s.ends_at <= t {
                continue;
            }
            let visible = match seen.get(&s.community_slug) {
                Some(v) => *v,
                None => {
                    let v = match self.community(viewer, &s.community_slug).await {
                        Ok(_) => true,
                        Err(AppError::NotFound | AppError::Forbidden(_) | AppError::Unauthenticated) => false,
                        Err(e) => return Err(e),
                    };
                    seen.insert(s.community_slug.clone(), v);
                    v
                }
            };
            if visible && out.len() < 60 {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Changes a place, for the people who keep it.
    pub async fn edit_place(&self, me: &Account, id: &str, input: &PlaceInput) -> AppResult<PlaceShown> {
        let (_, shown) = self.place_view(Some(me), id).await?;
        if !shown.may_edit {
            return Err(AppError::Forbidden("Only the people who keep this place change it.".into()));
        }
        let draft = self.read_place(input)?;
        Ok(self.shown(&self.store.update_place(id, &draft, self.now()).await?, true))
    }
}
