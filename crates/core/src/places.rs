//! Places where people meet in person: a home, a café, a library, a
//! coworking space. What a place is, what a form may say of it, who may see
//! its street address, and how far apart two places are. Pure rules, no I/O.

use crate::input::{self, FieldError, Invalid};
use crate::zones;
use serde::{Deserialize, Serialize};

/// What kind of place it is. A home's street address is private.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    Home,
    Cafe,
    Library,
    CoworkingSpace,
    Office,
    Other,
}

impl PlaceKind {
    pub const ALL: [PlaceKind; 6] =
        [PlaceKind::Home, PlaceKind::Cafe, PlaceKind::Library, PlaceKind::CoworkingSpace, PlaceKind::Office, PlaceKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Home => "home",
            PlaceKind::Cafe => "cafe",
            PlaceKind::Library => "library",
            PlaceKind::CoworkingSpace => "coworking_space",
            PlaceKind::Office => "office",
            PlaceKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlaceKind::Home => "Someone's home",
            PlaceKind::Cafe => "Café",
            PlaceKind::Library => "Library",
            PlaceKind::CoworkingSpace => "Coworking space",
            PlaceKind::Office => "Office",
            PlaceKind::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<PlaceKind> {
        PlaceKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Whether the street address and exact position are kept to the people
    /// going and the hosts (everyone else sees the neighbourhood or city).
    pub fn address_is_private(self) -> bool {
        self == PlaceKind::Home
    }
}

/// What is there for people who come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amenity {
    Wifi,
    Power,
    Coffee,
    Food,
    PhoneBooths,
}

impl Amenity {
    pub const ALL: [Amenity; 5] = [Amenity::Wifi, Amenity::Power, Amenity::Coffee, Amenity::Food, Amenity::PhoneBooths];

    pub fn as_str(self) -> &'static str {
        match self {
            Amenity::Wifi => "wifi",
            Amenity::Power => "power",
            Amenity::Coffee => "coffee",
            Amenity::Food => "food",
            Amenity::PhoneBooths => "phone_booths",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Amenity::Wifi => "Wi-Fi",
            Amenity::Power => "Power outlets",
            Amenity::Coffee => "Coffee",
            Amenity::Food => "Food",
            Amenity::PhoneBooths => "Phone booths",
        }
    }
}

/// How a place can be reached and used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    StepFree,
    QuietRoom,
    Toilets,
    ParkingOrTransit,
}

impl Access {
    pub const ALL: [Access; 4] = [Access::StepFree, Access::QuietRoom, Access::Toilets, Access::ParkingOrTransit];

    pub fn as_str(self) -> &'static str {
        match self {
            Access::StepFree => "step_free",
            Access::QuietRoom => "quiet_room",
            Access::Toilets => "toilets",
            Access::ParkingOrTransit => "parking_or_transit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Access::StepFree => "Step-free entrance",
            Access::QuietRoom => "Quiet room",
            Access::Toilets => "Toilets",
            Access::ParkingOrTransit => "Parking or public transport nearby",
        }
    }
}

/// A position on Earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

/// Mean radius of the Earth, for distances between places.
const EARTH_KM: f64 = 6371.0;

impl Coordinates {
    /// Latitude and longitude as typed ("51.5072", "-0.1276"); both or neither.
    pub fn parse(lat: &str, lon: &str) -> Result<Option<Coordinates>, Invalid> {
        let (lat, lon) = (lat.trim(), lon.trim());
        if lat.is_empty() && lon.is_empty() {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let mut number = |field: &'static str, v: &str, limit: f64, what: &str| match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= limit => Some(x),
            Ok(_) => {
                errors.push(FieldError::new(field, format!("A {what} is between -{limit} and {limit} degrees.")));
                None
            }
            Err(_) if v.is_empty() => {
                errors.push(FieldError::new(field, "Give both latitude and longitude, or neither."));
                None
            }
            Err(_) => {
                errors.push(FieldError::new(field, format!("Give the {what} in degrees, such as 51.5072.")));
                None
            }
        };
        let lat = number("lat", lat, 90.0, "latitude");
        let lon = number("lon", lon, 180.0, "longitude");
        match (lat, lon) {
            (Some(lat), Some(lon)) => Ok(Some(Coordinates { lat, lon })),
            _ => Err(Invalid(errors)),
        }
    }

    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(self, other: Coordinates) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_KM * h.sqrt().min(1.0).asin()
    }

    /// Rounded to about a kilometre: close enough to say where, not which door.
    pub fn blurred(self) -> Coordinates {
        Coordinates { lat: (self.lat * 100.0).round() / 100.0, lon: (self.lon * 100.0).round() / 100.0 }
    }
}

/// One opening of a day, in minutes after midnight (local time of the place).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub opens: u16,
    pub closes: u16,
}

/// A week's opening hours, Monday first; a day with none is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours(pub [Vec<Opening>; 7]);

pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn minutes(t: &str) -> Option<u16> {
    let (h, m) = t.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

impl OpeningHours {
    /// One day's hours as typed: "" (closed), "09:00-17:00", or several
    /// openings, "08:00-12:00, 13:00-18:00".
    pub fn parse_day(field: &'static str, day: usize, typed: &str) -> Result<Vec<Opening>, FieldError> {
        let typed = typed.trim();
        if typed.is_empty() || typed.eq_ignore_ascii_case("closed") {
            return Ok(Vec::new());
        }
        let mut out: Vec<Opening> = Vec::new();
        for part in typed.split(',') {
            let bad = || FieldError::new(field, format!("Write {}'s hours as 09:00-17:00, or leave it empty when closed.", WEEKDAYS[day]));
            let (a, b) = part.split_once(['-', '–']).ok_or_else(bad)?;
            let (opens, closes) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
            if closes <= opens {
                return Err(FieldError::new(field, format!("On {}, closing time must come after opening time.", WEEKDAYS[day])));
            }
            if out.last().is_some_and(|o| o.closes > opens) {
                return Err(FieldError::new(field, format!("On {}, give the openings in order, without overlaps.", WEEKDAYS[day])));
            }
            out.push(Opening { opens, closes });
        }
        Ok(out)
    }

    /// Whether it is open at `minute` of weekday `day` (0 is Monday).
    pub fn is_open(&self, day: usize, minute: u16) -> bool {
        self.0.get(day).is_some_and(|d| d.iter().any(|o| o.opens <= minute && minute < o.closes))
    }
}

/// A place as a form or the API gives it, before it is read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlaceInput {
    pub name: String,
    pub kind: String,
    pub address: String,
    /// The neighbourhood: what people not going see of a private address.
    pub area: String,
    pub city: String,
    /// ISO 3166 code, "NZ".
    pub country: String,
    pub lat: String,
    pub lon: String,
    pub time_zone: String,
    pub access: Vec<String>,
    pub amenities: Vec<String>,
    pub access_notes: String,
    pub seats: String,
    pub house_rules: String,
    /// Monday first; only for coworking spaces.
    pub opening_hours: [String; 7],
    /// A space's free drop-in seats a day (coworking spaces only).
    pub drop_in_seats: String,
    /// Whether a first visit to the space is a free trial.
    pub free_trial: bool,
}

/// A place that passed every rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceDraft {
    pub name: String,
    pub kind: PlaceKind,
    pub address: String,
    pub area: String,
    pub city: String,
    pub country: &'static str,
    pub coordinates: Option<Coordinates>,
    pub time_zone: String,
    pub access: Vec<Access>,
    pub amenities: Vec<Amenity>,
    pub access_notes: String,
    pub seats: u32,
    pub house_rules: String,
    pub opening_hours: OpeningHours,
    pub drop_in_seats: u32,
    pub free_trial: bool,
}

/// The most seats a place may say it has.
pub const MAX_SEATS: u32 = 10_000;

impl PlaceInput {
    /// The form's fields for a stored place, to edit it.
    pub fn of(d: &PlaceDraft) -> PlaceInput {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        PlaceInput {
            name: d.name.clone(),
            kind: d.kind.as_str().into(),
            address: d.address.clone(),
            area: d.area.clone(),
            city: d.city.clone(),
            country: d.country.into(),
            lat: d.coordinates.map(|c| format!("{:.6}", c.lat)).unwrap_or_default(),
            lon: d.coordinates.map(|c| format!("{:.6}", c.lon)).unwrap_or_default(),
            time_zone: d.time_zone.clone(),
            access: d.access.iter().map(|a| a.as_str().to_string()).collect(),
            amenities: d.amenities.iter().map(|a| a.as_str().to_string()).collect(),
            access_notes: d.access_notes.clone(),
            seats: if d.seats == 0 { String::new() } else { d.seats.to_string() },
            house_rules: d.house_rules.clone(),
            opening_hours: std::array::from_fn(|i| {
                d.opening_hours.0[i].iter().map(|o| format!("{}-{}", hm(o.opens), hm(o.closes))).collect::<Vec<_>>().join(", ")
            }),
            drop_in_seats: if d.drop_in_seats == 0 { String::new() } else { d.drop_in_seats.to_string() },
            free_trial: d.free_trial,
        }
    }

    /// Reads every field, and reports every problem at once.
    pub fn parse(&self, now: i64) -> Result<PlaceDraft, Invalid> {
        let mut errors = Vec::new();
        let mut take = |r: Result<String, FieldError>| r.map_err(|e| errors.push(e)).unwrap_or_default();
        let name = take(input::line("name", &self.name, 1, 120));
        let address = take(input::line("address", &self.address, 0, 200));
        let area = take(input::line("area", &self.area, 0, 80));
        let city = take(input::line("city", &self.city, 1, 80));
        let access_notes = take(input::text("access_notes", &self.access_notes, 2000));
        let house_rules = take(input::text("house_rules", &self.house_rules, 4000));
        let kind = PlaceKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "Choose home, café, library, coworking space, office or other."));
        }
        let country = zones::country(&self.country).map(|(code, _)| code);
        if country.is_none() {
            errors.push(FieldError::new("country", "Choose a country (its two-letter code, such as GB or NZ)."));
        }
        let coordinates = Coordinates::parse(&self.lat, &self.lon).map_err(|e| errors.extend(e.0)).unwrap_or(None);
        let time_zone = match zones::settle("time_zone", &self.time_zone, now) {
            Ok(z) => z,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let access = pick(&self.access, &Access::ALL, Access::as_str, "access", &mut errors);
        let amenities = pick(&self.amenities, &Amenity::ALL, Amenity::as_str, "amenities", &mut errors);
        let seats = seat_count("seats", &self.seats).map_err(|e| errors.push(e)).unwrap_or(0);
        let space = kind == Some(PlaceKind::CoworkingSpace);
        let drop_in_seats =
            if space { seat_count("drop_in_seats", &self.drop_in_seats).map_err(|e| errors.push(e)).unwrap_or(0) } else { 0 };
        let mut opening_hours = OpeningHours::default();
        if space {
            for (day, typed) in self.opening_hours.iter().enumerate() {
                match OpeningHours::parse_day("opening_hours", day, typed) {
                    Ok(o) => opening_hours.0[day] = o,
                    Err(e) => errors.push(e),
                }
            }
        }
        match (kind, country) {
            (Some(kind), Some(country)) if errors.is_empty() => Ok(PlaceDraft {
                name,
                kind,
                address,
                area,
                city,
                country,
                coordinates,
                time_zone,
                access,
                amenities,
                access_notes,
                seats,
                house_rules,
                opening_hours,
                drop_in_seats,
                free_trial: space && self.free_trial,
            }),
            _ => Err(Invalid(errors)),
        }
    }
}

fn seat_count(field: &'static str, typed: &str) -> Result<u32, FieldError> {
    match typed.trim() {
        "" => Ok(0),
        s => s
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_SEATS)
            .ok_or_else(|| FieldError::new(field, format!("Give a number of seats from 0 to {MAX_SEATS}, or leave it empty."))),
    }
}

/// The chosen values among `all` (by name), each once and in `all`'s order.
fn pick<T: Copy + PartialEq>(
    chosen: &[String],
    all: &[T],
    name: fn(T) -> &'static str,
    field: &'static str,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    if let Some(bad) = chosen.iter().find(|c| !all.iter().any(|a| name(*a) == c.trim())) {
        let known: Vec<&str> = all.iter().map(|a| name(*a)).collect();
        errors.push(FieldError::new(field, format!("{bad:?} is not one of {}.", known.join(", "))));
    }
    all.iter().copied().filter(|a| chosen.iter().any(|c| c.trim() == name(*a))).collect()
}

/// Who is looking at a place, as far as its address goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Going to a session there (not waitlisted), or hosting one, or the
    /// place's own community organizers or owner.
    Insider,
    /// Anyone else: a visitor, a member not going, someone on the waitlist.
    Outsider,
}

/// What of a place's whereabouts a viewer may see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Whereabouts {
    /// The street address, or "" when it is not for this viewer.
    pub address: String,
    /// Where, in words: the address, or the neighbourhood and city.
    pub shown: String,
    pub city: String,
    pub country: &'static str,
    /// Exact for insiders and public places; rounded to about a kilometre otherwise.
    pub coordinates: Option<Coordinates>,
    /// Whether something is withheld from this viewer.
    pub private: bool,
}

/// The whereabouts of a place for one viewer: a private address (a home)
/// shows only its neighbourhood and city, and a blurred position, to anyone
/// who is not going or hosting. Pages, feeds, API, mail and search all go
/// through this one rule.
pub fn whereabouts(
    kind: PlaceKind,
    address: &str,
    area: &str,
    city: &str,
    country: &'static str,
    at: Option<Coordinates>,
    viewer: Viewer,
) -> Whereabouts {
    let withheld = kind.address_is_private() && viewer == Viewer::Outsider;
    let broad = [area, city].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(", ");
    if withheld {
        return Whereabouts {
            address: String::new(),
            shown: broad,
            city: city.to_string(),
            country,
            coordinates: at.map(Coordinates::blurred),
            private: true,
        };
    }
    let shown = if address.is_empty() { broad } else { format!("{address}, {city}") };
    Whereabouts { address: address.to_string(), shown, city: city.to_string(), country, coordinates: at, private: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PlaceInput {
        PlaceInput {
            name: "Central Library".into(),
            kind: "library".into(),
            address: "2 Market Square".into(),
            city: "Oxford".into(),
            country: "gb".into(),
            lat: "51.752".into(),
            lon: "-1.2577".into(),
            time_zone: "Europe/London".into(),
            access: vec!["step_free".into(), "toilets".into()],
            amenities: vec!["wifi".into(), "power".into()],
            seats: "20".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_place_is_read_with_every_field_checked() {
        let p = input().parse(0).unwrap();
        assert_eq!((p.kind, p.country, p.seats), (PlaceKind::Library, "GB", 20));
        assert_eq!(p.access, [Access::StepFree, Access::Toilets]);
        assert_eq!(p.amenities, [Amenity::Wifi, Amenity::Power]);
        let bad = PlaceInput {
            kind: "castle".into(),
            country: "XX".into(),
            lat: "91".into(),
            lon: "0".into(),
            time_zone: "Mars/Olympus".into(),
            amenities: vec!["sauna".into()],
            seats: "-3".into(),
            ..input()
        };
        let fields: Vec<&str> = bad.parse(0).unwrap_err().0.iter().map(|e| e.field).collect();
        for f in ["kind", "country", "lat", "time_zone", "amenities", "seats"] {
            assert!(fields.contains(&f), "{f} is refused: {fields:?}");
        }
        let one_sided = PlaceInput { lat: "51.7".into(), lon: "".into(), ..input() };
        assert_eq!(one_sided.parse(0).unwrap_err().0[0].field, "lon");
    }

    #[test]
    fn a_stored_place_reads_back_through_its_form() {
        let space = PlaceInput {
            kind: "coworking_space".into(),
            opening_hours: std::array::from_fn(|i| if i < 5 { "08:00-12:00, 13:00-18:30".into() } else { String::new() }),
            drop_in_seats: "8".into(),
            free_trial: true,
            ..input()
        };
        let d = space.parse(0).unwrap();
        assert_eq!((d.drop_in_seats, d.free_trial), (8, true));
        assert_eq!(PlaceInput::of(&d).parse(0).unwrap(), d);
        let library = PlaceInput { free_trial: true, drop_in_seats: "8".into(), ..input() }.parse(0).unwrap();
        assert_eq!((library.drop_in_seats, library.free_trial), (0, false), "only a space has drop-in seats and trials");
    }

    #[test]
    fn opening_hours_must_open_before_they_close() {
        assert_eq!(OpeningHours::parse_day("h", 0, "09:00-17:30").unwrap(), [Opening { opens: 540, closes: 1050 }]);
        assert_eq!(OpeningHours::parse_day("h", 0, "08:00-12:00, 13:00–18:00").unwrap().len(), 2);
        assert!(OpeningHours::parse_day("h", 0, "").unwrap().is_empty());
        let backwards = OpeningHours::parse_day("h", 4, "18:00-09:00").unwrap_err();
        assert!(backwards.message.contains("Friday") && backwards.message.contains("after"), "{}", backwards.message);
        assert!(OpeningHours::parse_day("h", 0, "12:00-14:00, 13:00-15:00").is_err(), "overlapping");
        assert!(OpeningHours::parse_day("h", 0, "9am to 5pm").is_err());
        let space = PlaceInput { kind: "coworking_space".into(), opening_hours: std::array::from_fn(|_| "25:00-26:00".into()), ..input() };
        assert_eq!(space.parse(0).unwrap_err().0[0].field, "opening_hours");
        let mut week = OpeningHours::default();
        week.0[0] = OpeningHours::parse_day("h", 0, "09:00-17:00").unwrap();
        assert!(week.is_open(0, 9 * 60) && !week.is_open(0, 17 * 60) && !week.is_open(1, 10 * 60));
    }

    #[test]
    fn a_homes_address_is_only_for_the_people_going_and_the_hosts() {
        let at = Some(Coordinates { lat: 51.75432, lon: -1.25791 });
        let outsider = whereabouts(PlaceKind::Home, "14 Elm Road", "Jericho", "Oxford", "GB", at, Viewer::Outsider);
        assert_eq!((outsider.address.as_str(), outsider.shown.as_str(), outsider.private), ("", "Jericho, Oxford", true));
        assert_eq!(outsider.coordinates, Some(Coordinates { lat: 51.75, lon: -1.26 }), "about a kilometre, not the door");
        let insider = whereabouts(PlaceKind::Home, "14 Elm Road", "Jericho", "Oxford", "GB", at, Viewer::Insider);
        assert_eq!((insider.shown.as_str(), insider.coordinates), ("14 Elm Road, Oxford", at));
        let library = whereabouts(PlaceKind::Library, "2 Market Square", "", "Oxford", "GB", at, Viewer::Outsider);
        assert_eq!((library.address.as_str(), library.private), ("2 Market Square", false));
    }

    #[test]
    fn distances_are_great_circle_kilometres() {
        let london = Coordinates { lat: 51.5072, lon: -0.1276 };
        let paris = Coordinates { lat: 48.8566, lon: 2.3522 };
        let d = london.distance_km(paris);
        assert!((d - 343.5).abs() < 2.0, "{d}");
        assert_eq!(london.distance_km(london), 0.0);
        let antipode = Coordinates { lat: -51.5072, lon: 179.8724 };
        assert!((london.distance_km(antipode) - std::f64::consts::PI * EARTH_KM).abs() < 1.0);
    }

    #[test]
    fn countries_are_iso_codes_known_to_the_zone_database() {
        assert_eq!(zones::country("nz"), Some(("NZ", "New Zealand")));
        assert_eq!(zones::country("XX"), None);
    }
}
