//! The front page: what cowork is for a newcomer; their communities for a member.

use super::{ok, Ctx, PageResult};
use crate::app::App;
use askama::Template;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use cowork_store::{Community, MyCommunity, MySession, Session};

pub fn routes() -> Router<App> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    ctx: Ctx,
    mine: Vec<MyCommunity>,
    featured: Vec<Community>,
    /// Running sessions of my communities.
    happening: Vec<Session>,
    /// My next sessions (going or waiting), not yet started.
    next: Vec<MySession>,
}

async fn home(State(app): State<App>, ctx: Ctx) -> PageResult {
    let (mine, happening, next) = match &ctx.viewer {
        Some(me) => {
            let t = crate::app::now();
            let mut next = app.my_schedule(me, t, t + 60 * 86_400).await?;
            next.retain(|m| m.session.starts_at > t && !m.session.cancelled);
            next.truncate(5);
            (app.my_communities(me).await?, app.happening_for(me).await?, next)
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let mut featured = app.directory(&Default::default()).await?;
    featured.truncate(6);
    ok(&Home { ctx, mine, featured, happening, next })
}
