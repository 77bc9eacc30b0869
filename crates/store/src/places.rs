//! Places where people meet in person, kept typed: a kind, a position, what
//! is there and how to get in, as core reads them. Who may see a home's
//! address is core's rule (`places::whereabouts`), applied by the server.

use crate::{col, new_id, Result, Store, StoreError};
use cowork_core::places::{Access, Amenity, Coordinates, OpeningHours, PlaceDraft, PlaceKind};
use sqlx::any::AnyRow;

/// Whose a place is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceOwner {
    /// A community's place, which its organizers keep.
    Community(String),
    /// A space operator's own place.
    Account(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: String,
    pub owner: PlaceOwner,
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
    pub updated_at: i64,
}

const COLUMNS: &str = "id, community_id, owner_id, name, kind, address, area, city, country, lat_e6, lon_e6, time_zone, \
                       access, amenities, access_notes, seats, house_rules, opening_hours, updated_at";

/// Degrees ↔ millionths of a degree: integers, the same on both databases.
fn e6(x: f64) -> i64 {
    (x * 1e6).round() as i64
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str, stored: &str) -> Vec<T> {
    all.iter().copied().filter(|a| stored.split(',').any(|s| s == name(*a))).collect()
}

fn joined<T: Copy>(chosen: &[T], name: fn(T) -> &'static str) -> String {
    chosen.iter().map(|a| name(*a)).collect::<Vec<_>>().join(",")
}

/// A stored value our own code wrote that does not read back: a bug, said as a database error.
fn unreadable(what: &str) -> StoreError {
    StoreError::Db(sqlx::Error::Decode(format!("a place's {what} does not read back").into()))
}

fn place(r: &AnyRow) -> Result<Place> {
    let owner = match (col::<Option<String>>(r, "community_id")?, col::<Option<String>>(r, "owner_id")?) {
        (Some(c), _) => PlaceOwner::Community(c),
        (None, Some(a)) => PlaceOwner::Account(a),
        (None, None) => return Err(unreadable("owner")),
    };
    let kind: String = col(r, "kind")?;
    let country: String = col(r, "country")?;
    let coordinates = match (col::<Option<i64>>(r, "lat_e6")?, col::<Option<i64>>(r, "lon_e6")?) {
        (Some(lat), Some(lon)) => Some(Coordinates { lat: lat as f64 / 1e6, lon: lon as f64 / 1e6 }),
        _ => None,
    };
    Ok(Place {
        id: col(r, "id")?,
        owner,
        name: col(r, "name")?,
        kind: PlaceKind::parse(&kind).ok_or_else(|| unreadable("kind"))?,
        address: col(r, "address")?,
        area: col(r, "area")?,
        city: col(r, "city")?,
        country: cowork_core::zones::country(&country).map(|(c, _)| c).ok_or_else(|| unreadable("country"))?,
        coordinates,
        time_zone: col(r, "time_zone")?,
        access: names(&Access::ALL, Access::as_str, &col::<String>(r, "access")?),
        amenities: names(&Amenity::ALL, Amenity::as_str, &col::<String>(r, "amenities")?),
        access_notes: col(r, "access_notes")?,
        seats: u32::try_from(col::<i64>(r, "seats")?).map_err(|_| unreadable("seats"))?,
        house_rules: col(r, "house_rules")?,
        opening_hours: serde_json::from_str(&col::<String>(r, "opening_hours")?).map_err(|_| unreadable("opening hours"))?,
        updated_at: col(r, "updated_at")?,
    })
}

impl Store {
    /// Adds a place for a community or a space operator.
    pub async fn create_place(&self, owner: &PlaceOwner, d: &PlaceDraft, now: i64) -> Result<Place> {
        let id = new_id();
        let (community, account) = match owner {
            PlaceOwner::Community(c) => (Some(c.as_str()), None),
            PlaceOwner::Account(a) => (None, Some(a.as_str())),
        };
        sqlx::query(&format!(
            "INSERT INTO places ({COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)"
        ))
        .bind(&id)
        .bind(community)
        .bind(account)
        .bind(&d.name)
        .bind(d.kind.as_str())
        .bind(&d.address)
        .bind(&d.area)
        .bind(&d.city)
        .bind(d.country)
        .bind(d.coordinates.map(|c| e6(c.lat)))
        .bind(d.coordinates.map(|c| e6(c.lon)))
        .bind(&d.time_zone)
        .bind(joined(&d.access, Access::as_str))
        .bind(joined(&d.amenities, Amenity::as_str))
        .bind(&d.access_notes)
        .bind(i64::from(d.seats))
        .bind(&d.house_rules)
        .bind(serde_json::to_string(&d.opening_hours).unwrap_or_default())
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.place(&id).await
    }

    pub async fn place(&self, id: &str) -> Result<Place> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM places WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        place(&r)
    }

    /// Changes a place; its owner stays.
    pub async fn update_place(&self, id: &str, d: &PlaceDraft, now: i64) -> Result<Place> {
        let r = sqlx::query(
            "UPDATE places SET name = $2, kind = $3, address = $4, area = $5, city = $6, country = $7, lat_e6 = $8, lon_e6 = $9, \
             time_zone = $10, access = $11, amenities = $12, access_notes = $13, seats = $14, house_rules = $15, opening_hours = $16, \
             updated_at = $17 WHERE id = $1",
        )
        .bind(id)
        .bind(&d.name)
        .bind(d.kind.as_str())
        .bind(&d.address)
        .bind(&d.area)
        .bind(&d.city)
        .bind(d.country)
        .bind(d.coordinates.map(|c| e6(c.lat)))
        .bind(d.coordinates.map(|c| e6(c.lon)))
        .bind(&d.time_zone)
        .bind(joined(&d.access, Access::as_str))
        .bind(joined(&d.amenities, Amenity::as_str))
        .bind(&d.access_notes)
        .bind(i64::from(d.seats))
        .bind(&d.house_rules)
        .bind(serde_json::to_string(&d.opening_hours).unwrap_or_default())
        .bind(now)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.place(id).await
    }

    /// A community's or an operator's places, by name.
    pub async fn places_of(&self, owner: &PlaceOwner) -> Result<Vec<Place>> {
        let (column, id) = match owner {
            PlaceOwner::Community(c) => ("community_id", c),
            PlaceOwner::Account(a) => ("owner_id", a),
        };
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM places WHERE {column} = $1 ORDER BY name, id"))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(place).collect()
    }
}
