//! Sessions happening now: the most joinable moment of a session, shown first
//! wherever sessions are listed, with one step from the list into the room.

use super::listings::UpcomingSearch;
use super::{now, App, AppResult};
use cowork_core::rsvp::RsvpStatus;
use cowork_store::{Account, Session};

/// At most this many running sessions lead a list.
const HAPPENING_LIMIT: i64 = 12;

/// Where "Join now" leads.
pub enum JoinNow {
    /// Into the live room.
    Room,
    /// The community first (its code of conduct), then back to the session.
    JoinCommunity { slug: String },
    /// Back to the session page with a notice: waitlisted, over or cancelled.
    SessionPage { notice: &'static str },
}

impl App {
    /// Running sessions of public communities, with the directory's filters.
    pub async fn happening_public(&self, search: &UpcomingSearch) -> AppResult<Vec<Session>> {
        let filter = search.filter();
        Ok(self.store.happening_public(&filter, now(), HAPPENING_LIMIT).await?)
    }

    /// Running sessions of my communities.
    pub async fn happening_for(&self, me: &Account) -> AppResult<Vec<Session>> {
        Ok(self.store.happening_for_member(&me.id, now(), HAPPENING_LIMIT).await?)
    }

    /// "Join now" on a running session: into the room, after the RSVP it
    /// needs (a place, for sessions with limited places), in one step.
    pub async fn join_now(&self, me: &Account, id: &str) -> AppResult<JoinNow> {
        let v = self.session_view(Some(me), id).await?;
        if v.session.cancelled {
            return Ok(JoinNow::SessionPage { notice: "" });
        }
        if v.session.ends_at <= now() {
            return Ok(JoinNow::SessionPage { notice: "over" });
        }
        if v.community.role().is_none() {
            return Ok(JoinNow::JoinCommunity { slug: v.session.community_slug.clone() });
        }
        if v.may_enter_room(Some(me)) {
            return Ok(JoinNow::Room);
        }
        Ok(match self.rsvp(me, id, false).await?.status {
            RsvpStatus::Going => JoinNow::Room,
            _ => JoinNow::SessionPage { notice: "waitlisted" },
        })
    }
}
