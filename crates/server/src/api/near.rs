//! `GET /near`: places and in-person sessions around a town or a point, as
//! `/near` shows them (a home only near its street, never at it).

use super::{ApiResult, MaybeApiUser, Query};
use crate::app::near::NearQuery;
use crate::app::App;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<App> {
    Router::new().route("/near", get(near))
}

async fn near(State(app): State<App>, MaybeApiUser(me): MaybeApiUser, Query(q): Query<NearQuery>) -> ApiResult {
    Ok(Json(app.near(me.as_ref(), &q).await?).into_response())
}
