//! Lists of sessions: a community's schedule and series, my schedule, and
//! the public directory of upcoming sessions (shared between viewers for a
//! moment, filtered by time of day in the viewer's zone).

use super::communities::CommunityView;
use super::{now, App, AppResult};
use cowork_core::time::Zone;
use cowork_store::{Account, MySession, Series, Session, UpcomingFilter};
use std::sync::Arc;

/// A page of the directory: sessions to come, and those happening now (first page only).
pub struct Listing {
    pub sessions: Vec<Session>,
    pub happening: Vec<Session>,
}

/// The public directory's filters, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct UpcomingSearch {
    pub topic: String,
    pub language: String,
    /// online | in_person
    pub place: String,
    /// morning | afternoon | evening | night, in the viewer's zone
    pub time_of_day: String,
    pub page: String,
    /// The zone of a visitor who is not signed in, sent by the page's script.
    pub zone: String,
}

impl UpcomingSearch {
    /// The filters the store applies (time of day is applied after, in the viewer's zone).
    pub fn filter(&self) -> UpcomingFilter {
        UpcomingFilter {
            topic: self.topic.chars().take(30).collect(),
            language: self.language.chars().take(8).collect(),
            place: if matches!(self.place.as_str(), "online" | "in_person") { self.place.clone() } else { String::new() },
        }
    }
    pub fn page(&self) -> i64 {
        self.page.trim().parse::<i64>().unwrap_or(1).clamp(1, 200)
    }
    fn accepts_hour(&self, hour: i8) -> bool {
        match self.time_of_day.as_str() {
            "morning" => (5..12).contains(&hour),
            "afternoon" => (12..17).contains(&hour),
            "evening" => (17..22).contains(&hour),
            "night" => !(5..22).contains(&hour),
            _ => true,
        }
    }
}

pub const UPCOMING_PAGE_SIZE: usize = 25;

impl App {
    /// A community's sessions in `[from, to)`.
    pub async fn community_schedule(
        &self,
        viewer: Option<&Account>,
        slug: &str,
        from: i64,
        to: i64,
    ) -> AppResult<(CommunityView, Vec<Session>)> {
        let view = self.community(viewer, slug).await?;
        let sessions = self.store.community_sessions(&view.community.id, from, to, 500).await?;
        Ok((view, sessions))
    }

    pub async fn series_list(&self, viewer: Option<&Account>, slug: &str) -> AppResult<(CommunityView, Vec<Series>)> {
        let view = self.community(viewer, slug).await?;
        let list = self.store.series_of(&view.community.id).await?;
        Ok((view, list))
    }

    pub async fn my_schedule(&self, me: &Account, from: i64, to: i64) -> AppResult<Vec<MySession>> {
        Ok(self.store.my_sessions(&me.id, from, to, 300).await?)
    }

    /// One page of the public directory, and (on the first) what is happening
    /// now: the same for every viewer in the same zone, so kept for a moment
    /// and shared (the zone matters only to the time-of-day filter).
    pub async fn upcoming_listing(&self, zone: &Zone, search: &UpcomingSearch) -> AppResult<Arc<Listing>> {
        let f = search.filter();
        let zone_name = if search.time_of_day.is_empty() { "" } else { zone.name() };
        let key = format!("{}|{}|{}|{}|{}|{zone_name}", f.topic, f.language, f.place, search.time_of_day, search.page());
        if let Some(l) = self.listings.get(&key) {
            return Ok(l);
        }
        let sessions = self.upcoming(zone, search).await?;
        let happening = if search.page() == 1 { self.happening_public(search).await? } else { Vec::new() };
        let listing = Arc::new(Listing { sessions, happening });
        self.listings.put(key, listing.clone());
        Ok(listing)
    }

    /// The public directory of upcoming sessions. The time-of-day filter is
    /// in the viewer's zone, so it is applied here, over chunks of the list.
    pub async fn upcoming(&self, zone: &Zone, search: &UpcomingSearch) -> AppResult<Vec<Session>> {
        let filter = search.filter();
        let t = now();
        let want = search.page() as usize * UPCOMING_PAGE_SIZE;
        if search.time_of_day.is_empty() {
            let size = UPCOMING_PAGE_SIZE as i64;
            return Ok(self.store.upcoming_public(&filter, t, size, (search.page() - 1) * size).await?);
        }
        let mut found = Vec::new();
        let mut offset = 0;
        // Bounded: at most 20 chunks of 200 are looked at for one page.
        for _ in 0..20 {
            let chunk = self.store.upcoming_public(&filter, t, 200, offset).await?;
            let n = chunk.len();
            found.extend(chunk.into_iter().filter(|s| search.accepts_hour(zone.local(s.starts_at).time.hour())));
            offset += 200;
            if found.len() >= want || n < 200 {
                break;
            }
        }
        Ok(found.into_iter().skip(want - UPCOMING_PAGE_SIZE).take(UPCOMING_PAGE_SIZE).collect())
    }
}
