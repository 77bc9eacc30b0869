//! Places where people meet in person, kept typed: a kind, a position, what
//! is there and how to get in, as core reads them. Who may see a home's
//! address is core's rule (`places::whereabouts`), applied by the server.

use crate::{col, flag, new_id, Result, Store, StoreError};
use cowork_core::places::{Access, Amenity, Coordinates, PlaceDraft, PlaceKind};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::Any;

/// Whose a place is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceOwner {
    /// A community's place, which its organizers keep.
    Community(String),
    /// A space operator's own place.
    Account(String),
}

/// A stored place: what its form said (as core reads it), whose it is, and when it last changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: String,
    pub owner: PlaceOwner,
    pub details: PlaceDraft,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, community_id, owner_id, name, kind, address, area, city, country, lat_e6, lon_e6, time_zone, \
                       access, amenities, access_notes, seats, house_rules, opening_hours, drop_in_seats, free_trial, updated_at";

/// Where and when a session meets, without the rest of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAt {
    pub id: String,
    pub place_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

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
        details: PlaceDraft {
            name: col(r, "name")?,
            kind: PlaceKind::parse(&kind).ok_or_else(|| unreadable("kind"))?,
            address: col(r, "address")?,
            area: col(r, "area")?,
            city: col(r, "city")?,
            // A place made from an old free-text address has no country until someone edits it.
            country: if country.is_empty() {
                ""
            } else {
                cowork_core::zones::country(&country).map(|(c, _)| c).ok_or_else(|| unreadable("country"))?
            },
            coordinates,
            time_zone: col(r, "time_zone")?,
            access: names(&Access::ALL, Access::as_str, &col::<String>(r, "access")?),
            amenities: names(&Amenity::ALL, Amenity::as_str, &col::<String>(r, "amenities")?),
            access_notes: col(r, "access_notes")?,
            seats: u32::try_from(col::<i64>(r, "seats")?).map_err(|_| unreadable("seats"))?,
            house_rules: col(r, "house_rules")?,
            opening_hours: serde_json::from_str(&col::<String>(r, "opening_hours")?).map_err(|_| unreadable("opening hours"))?,
            drop_in_seats: u32::try_from(col::<i64>(r, "drop_in_seats")?).map_err(|_| unreadable("drop-in seats"))?,
            free_trial: flag(r, "free_trial")?,
        },
        updated_at: col(r, "updated_at")?,
    })
}

/// Binds a place's fields as `$2` … `$19` (after its id), in the order of `DETAILS`.
fn bind_details<'q>(q: Query<'q, Any, AnyArguments<'q>>, d: &'q PlaceDraft) -> Query<'q, Any, AnyArguments<'q>> {
    q.bind(&d.name)
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
        .bind(i64::from(d.drop_in_seats))
        .bind(d.free_trial as i64)
}

/// The columns `bind_details` fills, in its order.
const DETAILS: [&str; 17] = [
    "name",
    "kind",
    "address",
    "area",
    "city",
    "country",
    "lat_e6",
    "lon_e6",
    "time_zone",
    "access",
    "amenities",
    "access_notes",
    "seats",
    "house_rules",
    "opening_hours",
    "drop_in_seats",
    "free_trial",
];
const AFTER_DETAILS: usize = DETAILS.len() + 2;

impl Store {
    /// Adds a place for a community or a space operator.
    pub async fn create_place(&self, owner: &PlaceOwner, d: &PlaceDraft, now: i64) -> Result<Place> {
        let id = new_id();
        let (community, account) = match owner {
            PlaceOwner::Community(c) => (Some(c.as_str()), None),
            PlaceOwner::Account(a) => (None, Some(a.as_str())),
        };
        let marks: Vec<String> = (2..2 + DETAILS.len()).map(|i| format!("${i}")).collect();
        let n = AFTER_DETAILS;
        let sql = format!(
            "INSERT INTO places (id, {}, community_id, owner_id, day_secret, created_at, updated_at) VALUES ($1, {}, ${n}, ${}, ${}, ${}, ${})",
            DETAILS.join(", "),
            marks.join(", "),
            n + 1,
            n + 2,
            n + 3,
            n + 3
        );
        bind_details(sqlx::query(&sql).bind(&id), d)
            .bind(community)
            .bind(account)
            .bind(crate::new_id())
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
        let sets: Vec<String> = DETAILS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 2)).collect();
        let sql = format!("UPDATE places SET {}, updated_at = ${AFTER_DETAILS} WHERE id = $1", sets.join(", "));
        let r = bind_details(sqlx::query(&sql).bind(id), d).bind(now).execute(&self.pool).await?;
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

    /// Places by id (for listings), in no particular order; unknown ids are left out.
    pub async fn places_by_ids(&self, ids: &[String]) -> Result<Vec<Place>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT {COLUMNS} FROM places WHERE id IN ({})", marks.join(", "));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(place(&r)?);
            }
        }
        Ok(out)
    }

    /// The secret a place's code of the day is made from.
    pub async fn place_day_secret(&self, id: &str) -> Result<String> {
        let secret: Option<String> =
            sqlx::query_scalar("SELECT day_secret FROM places WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        let secret = secret.ok_or(StoreError::NotFound)?;
        if !secret.is_empty() {
            return Ok(secret);
        }
        // Places made before codes of the day get their secret on first use.
        sqlx::query("UPDATE places SET day_secret = $2 WHERE id = $1 AND day_secret = ''")
            .bind(id)
            .bind(crate::new_id())
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT day_secret FROM places WHERE id = $1").bind(id).fetch_one(&self.pool).await?)
    }

    /// Places inside a box of latitudes and longitudes (in degrees) that the
    /// public may find (a public community's, or a space operator's own),
    /// roughly nearest `centre` first when there are more than `limit`.
    pub async fn findable_places_within(&self, lat: (f64, f64), lon: (f64, f64), centre: (f64, f64), limit: i64) -> Result<Vec<Place>> {
        // EXISTS per place, not `IN (SELECT … public communities)`: SQLite built that
        // whole list on every search (25 ms with 5,000 communities, found by the /near bench).
        // The order is by distance in degrees, longitude shrunk by the cosine of the
        // latitude (in thousandths, to stay in integers on both databases).
        let sql = format!(
            "SELECT {COLUMNS} FROM places WHERE lat_e6 BETWEEN $1 AND $2 AND lon_e6 BETWEEN $3 AND $4 \
             AND (owner_id IS NOT NULL OR EXISTS (SELECT 1 FROM communities c WHERE c.id = places.community_id AND c.visibility = 'public')) \
             ORDER BY abs(lat_e6 - $5) * 1000 + abs(lon_e6 - $6) * $7, id LIMIT $8"
        );
        let shrink = (centre.0.to_radians().cos().abs() * 1000.0).round() as i64;
        let rows = sqlx::query(&sql)
            .bind(e6(lat.0))
            .bind(e6(lat.1))
            .bind(e6(lon.0))
            .bind(e6(lon.1))
            .bind(e6(centre.0))
            .bind(e6(centre.1))
            .bind(shrink)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(place).collect()
    }

    /// Scheduled sessions of public communities at places inside a box,
    /// starting in `[from, to)`, soonest first; online-only ones are left out.
    /// Only where and when: the caller picks the nearest and reads those whole
    /// (`sessions_by_ids`), rather than decoding every session of a big town.
    pub async fn findable_sessions_within(
        &self,
        lat: (f64, f64),
        lon: (f64, f64),
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<SessionAt>> {
        // Places first (CROSS JOIN keeps SQLite to that order): the box picks a few places,
        // then each place's sessions by (place_id, starts_at), instead of every session in the dates.
        let sql = "SELECT s.id, s.place_id, s.starts_at, s.ends_at FROM places p CROSS JOIN sessions s JOIN communities c ON c.id = s.community_id \
             WHERE s.place_id = p.id AND p.lat_e6 BETWEEN $1 AND $2 AND p.lon_e6 BETWEEN $3 AND $4 AND s.starts_at >= $5 AND s.starts_at < $6 \
             AND s.status = 'scheduled' AND s.place <> 'online' AND c.visibility = 'public' ORDER BY s.starts_at, s.id LIMIT $7";
        let rows = sqlx::query_as::<_, (String, String, i64, i64)>(sql)
            .bind(e6(lat.0))
            .bind(e6(lat.1))
            .bind(e6(lon.0))
            .bind(e6(lon.1))
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id, place_id, starts_at, ends_at)| SessionAt { id, place_id, starts_at, ends_at }).collect())
    }

    /// Sessions at one place starting in `[from, to)` (a space's page), cancelled ones left out.
    pub async fn sessions_at_place(&self, place_id: &str, from: i64, to: i64, limit: i64) -> Result<Vec<crate::Session>> {
        let sql = format!(
            "SELECT {} FROM sessions s JOIN communities c ON c.id = s.community_id \
             WHERE s.place_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 AND s.status = 'scheduled' AND s.place <> 'online' \
             ORDER BY s.starts_at, s.id LIMIT $4",
            crate::sessions::SESSION_COLUMNS
        );
        let rows = sqlx::query(&sql).bind(place_id).bind(from).bind(to).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(crate::sessions::session).collect()
    }

    /// The cities each community meets in (from its places), for the directory.
    pub async fn community_cities(&self, community_ids: &[String]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for chunk in community_ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT DISTINCT community_id, city FROM places WHERE city <> '' AND community_id IN ({}) ORDER BY community_id, city",
                marks.join(", ")
            );
            let mut q = sqlx::query_as::<_, (String, String)>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(out)
    }
}
