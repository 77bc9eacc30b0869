//! Places over the API: a community's, and a space operator's own. A home's
//! street address and exact position are in the answer only for the people
//! who keep the place (core's `whereabouts`).

use super::{ApiResult, ApiUser, Body, MaybeApiUser, Path};
use crate::app::places::PlaceView;
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use cowork_core::places::{Access, Amenity, PlaceInput};
use cowork_store::PlaceOwner;
use serde_json::{json, Value};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/communities/{slug}/places", get(list).post(create))
        .route("/me/places", post(create_own))
        .route("/places/{id}", get(one).put(update))
}

/// A place as the API takes it: numbers as numbers.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct PlaceBody {
    name: String,
    kind: String,
    address: String,
    area: String,
    city: String,
    country: String,
    lat: Option<f64>,
    lon: Option<f64>,
    time_zone: String,
    access: Vec<String>,
    amenities: Vec<String>,
    access_notes: String,
    seats: Option<u32>,
    house_rules: String,
    opening_hours: [String; 7],
}

impl From<PlaceBody> for PlaceInput {
    fn from(b: PlaceBody) -> PlaceInput {
        let number = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        PlaceInput {
            name: b.name,
            kind: b.kind,
            address: b.address,
            area: b.area,
            city: b.city,
            country: b.country,
            lat: number(b.lat),
            lon: number(b.lon),
            time_zone: b.time_zone,
            access: b.access,
            amenities: b.amenities,
            access_notes: b.access_notes,
            seats: b.seats.map(|s| s.to_string()).unwrap_or_default(),
            house_rules: b.house_rules,
            opening_hours: b.opening_hours,
        }
    }
}

fn place_json(v: &PlaceView) -> Value {
    let (p, w) = (&v.place.details, &v.whereabouts);
    let (community_id, owner_id) = match &v.place.owner {
        PlaceOwner::Community(c) => (Some(c.as_str()), None),
        PlaceOwner::Account(a) => (None, Some(a.as_str())),
    };
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    json!({
        "id": v.place.id,
        "community_id": community_id,
        "owner_id": owner_id,
        "name": p.name,
        "kind": p.kind.as_str(),
        "address": w.address,
        "shown": w.shown,
        "address_private": w.private,
        "area": p.area,
        "city": w.city,
        "country": w.country,
        "coordinates": w.coordinates.map(|c| json!({ "lat": c.lat, "lon": c.lon })),
        "time_zone": p.time_zone,
        "access": p.access.iter().map(|a| Access::as_str(*a)).collect::<Vec<_>>(),
        "amenities": p.amenities.iter().map(|a| Amenity::as_str(*a)).collect::<Vec<_>>(),
        "access_notes": p.access_notes,
        "seats": p.seats,
        "house_rules": p.house_rules,
        "opening_hours": p.opening_hours.0.iter()
            .map(|day| day.iter().map(|o| json!({ "opens": hm(o.opens), "closes": hm(o.closes) })).collect::<Vec<_>>())
            .collect::<Vec<_>>(),
        "may_edit": v.may_edit,
    })
}

async fn list(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(slug): Path<String>) -> ApiResult {
    let places = app.community_places(me.as_ref(), &slug).await?;
    Ok(Json(json!({ "items": places.iter().map(place_json).collect::<Vec<_>>() })).into_response())
}

async fn create(State(app): State<App>, ApiUser(me): ApiUser, Path(slug): Path<String>, Body(b): Body<PlaceBody>) -> ApiResult {
    let v = app.add_community_place(&me, &slug, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(place_json(&v))).into_response())
}

async fn create_own(State(app): State<App>, ApiUser(me): ApiUser, Body(b): Body<PlaceBody>) -> ApiResult {
    let v = app.add_own_place(&me, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(place_json(&v))).into_response())
}

async fn one(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Path(id): Path<String>) -> ApiResult {
    Ok(Json(place_json(&app.place_view(me.as_ref(), &id).await?)).into_response())
}

async fn update(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Body(b): Body<PlaceBody>) -> ApiResult {
    Ok(Json(place_json(&app.edit_place(&me, &id, &b.into()).await?)).into_response())
}
