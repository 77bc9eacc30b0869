//! Places over the API: a community's, and a space operator's own. A home's
//! street address and exact position are in the answer only for the people
//! who keep the place (core's `whereabouts`).

use super::{ApiResult, ApiUser, Body, MaybeApiUser, Path};
use crate::app::places::PlaceShown;
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use cowork_core::places::PlaceInput;
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
    drop_in_seats: Option<u32>,
    free_trial: bool,
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
            drop_in_seats: b.drop_in_seats.map(|s| s.to_string()).unwrap_or_default(),
            free_trial: b.free_trial,
        }
    }
}

fn place_json(v: &PlaceShown) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
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
    Ok(Json(place_json(&app.place_view(me.as_ref(), &id).await?.1)).into_response())
}

async fn update(State(app): State<App>, ApiUser(me): ApiUser, Path(id): Path<String>, Body(b): Body<PlaceBody>) -> ApiResult {
    Ok(Json(place_json(&app.edit_place(&me, &id, &b.into()).await?)).into_response())
}
