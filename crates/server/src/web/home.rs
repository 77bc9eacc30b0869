//! The front page: what cowork is for a newcomer; their communities for a member.

use super::{ok, Ctx, PageResult};
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use cowork_store::{Community, MyCommunity};

pub fn routes() -> Router<App> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    ctx: Ctx,
    mine: Vec<MyCommunity>,
    featured: Vec<Community>,
}

async fn home(State(app): State<App>, ctx: Ctx) -> PageResult {
    let mine = match &ctx.viewer {
        Some(me) => app.my_communities(me).await?,
        None => Vec::new(),
    };
    let mut featured = app.directory(&Default::default()).await?;
    featured.truncate(6);
    ok(&Home { ctx, mine, featured })
}
