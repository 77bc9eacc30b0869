//! Calendar feeds (per community, per series, per session, per person).
//! Community feeds are kept in memory while their sessions are
//! unchanged, since calendar clients poll them often.

use super::places::PlacesById;
use super::{hash_secret, now, secret, App, AppError, AppResult};
use crate::ical::{self, Calendar, Event};
use cowork_core::format::{agenda, duration_words, PhaseKind};
use cowork_core::rsvp::RsvpStatus;
use cowork_core::time::Zone;
use cowork_store::{Account, Session};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often calendar clients are asked to refresh, in minutes.
pub const REFRESH_MINUTES: u32 = 60;
/// Feeds reach back this far, so a just-passed session does not vanish at once.
const FEED_PAST_SECONDS: i64 = 30 * 86_400;
const FEED_LIMIT: i64 = 2000;

#[derive(Default)]
pub struct FeedCache {
    feeds: Mutex<HashMap<String, CachedFeed>>,
}

struct CachedFeed {
    version: (i64, i64, i64),
    made_at: i64,
    /// When the version was last compared with the database.
    checked_at: Instant,
    body: Arc<FeedBody>,
}

/// A calendar ready to send: as text, gzipped (calendar apps accept it), and its ETag.
pub struct FeedBody {
    /// Bytes, so sending a cached feed to many clients copies nothing.
    pub text: axum::body::Bytes,
    pub gzip: axum::body::Bytes,
    pub etag: String,
}

impl FeedBody {
    pub fn new(text: String) -> FeedBody {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(text.len() / 6), flate2::Compression::fast());
        let gzip = enc.write_all(text.as_bytes()).and_then(|_| enc.finish()).unwrap_or_default();
        // FNV-1a: a fingerprint for conditional requests, not a security measure.
        let hash = text.bytes().fold(0xcbf29ce484222325u64, |h, x| (h ^ u64::from(x)).wrapping_mul(0x100000001b3));
        FeedBody { etag: format!("\"{hash:016x}\""), text: text.into(), gzip: gzip.into() }
    }
}

/// Within this many seconds of the last look, a cached community feed is
/// served without asking the database whether it changed. Edits on this node
/// clear the cache at once, and on the other nodes through NATS; a node that
/// missed that (no NATS, or NATS down) shows them within this delay.
const TRUST_SECONDS: u64 = 5;

impl App {
    /// A community's sessions changed: its feeds are remade on the next
    /// request, on this node and (through NATS) on the others.
    pub fn invalidate_feeds(&self, community_id: &str) {
        self.forget_feeds(community_id);
        self.cluster.tell(crate::cluster::Note::FeedsChanged { community_id: community_id.to_string() });
    }

    /// Whether this node holds a community's feed, made, in its cache.
    pub fn feed_cached(&self, community_id: &str) -> bool {
        self.feeds.feeds.lock().map(|m| m.contains_key(community_id)).unwrap_or(false)
    }

    /// Drops this node's cached feeds of a community.
    pub fn forget_feeds(&self, community_id: &str) {
        if let Ok(mut m) = self.feeds.feeds.lock() {
            m.remove(community_id);
        }
    }

    fn agenda_text(&self, s: &Session, zone: &Zone) -> String {
        let mut out = String::new();
        if !s.content.description.is_empty() {
            out.push_str(&s.content.description);
            out.push_str("\n\n");
        }
        out.push_str(&format!(
            "{} ({}), times in {}:\n",
            s.content.format_name,
            duration_words(cowork_core::format::total_minutes(&s.content.phases)),
            zone.name()
        ));
        for (at, p) in agenda(s.starts_at, &s.content.phases) {
            out.push_str(&format!(
                "{} {} ({} min){}\n",
                zone.clock(at),
                p.label,
                p.minutes,
                if p.kind == PhaseKind::Break && !p.enforced { ", optional" } else { "" }
            ));
        }
        out.push_str(&format!("\n{}/s/{}", self.config.base_url, s.id));
        out
    }

    /// The VEVENT of a session. Participants' feeds carry the video link and
    /// a home's street address; public ones never do (only its area and city).
    pub(super) fn event_of(&self, s: &Session, places: &PlacesById, participant: bool, tentative: bool) -> Event {
        let zone = Zone::parse("tz", &s.content.time_zone).unwrap_or_else(|_| Zone::utc());
        let at = places.get(&s.content.place_id).filter(|_| s.at_a_place()).map(|p| self.place_for(p, participant));
        let link = (participant && !s.content.video_url.is_empty()).then(|| s.content.video_url.clone());
        let location = match (&at, link) {
            (Some(p), Some(link)) => format!("{} · {link}", p.one_line()),
            (Some(p), None) => p.one_line(),
            (None, Some(link)) => link,
            (None, None) => "Online".to_string(),
        };
        let geo = at.as_ref().filter(|p| !p.address_private).and_then(|p| p.coordinates).map(|c| (c.lat, c.lon));
        let host = self.config.base_url.split("://").nth(1).unwrap_or("cowork").split('/').next().unwrap_or("cowork").to_string();
        Event {
            uid: format!("{}@{host}", s.id),
            sequence: s.sequence,
            created: s.created_at,
            last_modified: s.updated_at,
            start: s.starts_at,
            end: s.ends_at,
            summary: if s.cancelled { format!("Cancelled: {}", s.content.title) } else { s.content.title.clone() },
            description: self.agenda_text(s, &zone),
            location,
            geo,
            url: format!("{}/s/{}", self.config.base_url, s.id),
            status: if s.cancelled {
                "CANCELLED"
            } else if tentative {
                "TENTATIVE"
            } else {
                "CONFIRMED"
            },
            zone,
        }
    }

    /// A partner booking in my calendar: tentative until I have a partner.
    fn partner_event(&self, b: &cowork_store::PartnerBooking, zone: &Zone) -> Event {
        let host = self.config.base_url.split("://").nth(1).unwrap_or("cowork").split('/').next().unwrap_or("cowork").to_string();
        let names: Vec<&str> = b.partners.iter().map(|p| p.name.as_str()).collect();
        let matched = !names.is_empty();
        Event {
            uid: format!("{}@{host}", b.id),
            sequence: i64::from(matched),
            created: b.created_at,
            last_modified: b.updated_at,
            start: b.starts_at,
            end: b.ends_at,
            zone: zone.clone(),
            summary: if matched { format!("Focus with {}", names.join(" and ")) } else { "Focus session (finding you a partner)".into() },
            description: format!("{} minutes: goals (3), focus, check-out (3). Your booking: {}/partners", b.minutes, self.config.base_url),
            location: "Online".into(),
            geo: None,
            url: format!("{}/partners", self.config.base_url),
            status: if matched { "CONFIRMED" } else { "TENTATIVE" },
        }
    }

    async fn calendar(&self, name: String, description: String, sessions: &[Session]) -> AppResult<String> {
        let places = self.places_by_id(sessions.iter()).await?;
        let events = sessions.iter().map(|s| self.event_of(s, &places, false, false)).collect();
        Ok(ical::write(&Calendar { name, description, refresh_minutes: REFRESH_MINUTES, events }, now()))
    }

    /// A community's calendar. Private communities have none: their members
    /// use their own feed, which needs no sign-in from a calendar client.
    pub async fn community_feed(&self, slug: &str) -> AppResult<Arc<FeedBody>> {
        self.community_feed_as(None, slug).await
    }

    /// A community's calendar through a person's secret calendar address:
    /// how members of a private community subscribe to it.
    pub async fn member_community_feed(&self, token: &str, slug: &str) -> AppResult<Arc<FeedBody>> {
        let account_id = self.store.calendar_feed_account(&hash_secret(token)).await?.ok_or(AppError::NotFound)?;
        let me = self.store.account(&account_id).await?;
        let view = self.community(Some(&me), slug).await?;
        if view.role().is_none() {
            return Err(AppError::NotFound);
        }
        self.community_feed_as(Some(&me), slug).await
    }

    /// The feed is the same for everyone allowed to see it (it never carries the video link).
    async fn community_feed_as(&self, viewer: Option<&Account>, slug: &str) -> AppResult<Arc<FeedBody>> {
        let view = self.community(viewer, slug).await?;
        let c = &view.community;
        let t = now();
        let cached = self.feeds.feeds.lock().ok().and_then(|m| m.get(&c.id).map(|f| (f.version, f.made_at, f.checked_at, f.body.clone())));
        if let Some((_, made_at, checked_at, body)) = &cached {
            if checked_at.elapsed() < Duration::from_secs(TRUST_SECONDS) && t - made_at < 3600 {
                return Ok(body.clone());
            }
        }
        let version = self.store.community_sessions_version(&c.id).await?;
        if let Some((v, made_at, _, body)) = cached {
            // The window of a feed moves with time, so even an unchanged one is remade hourly.
            if v == version && t - made_at < 3600 {
                if let Ok(mut m) = self.feeds.feeds.lock() {
                    if let Some(f) = m.get_mut(&c.id) {
                        f.checked_at = Instant::now();
                    }
                }
                return Ok(body);
            }
        }
        let sessions = self.store.community_sessions(&c.id, t - FEED_PAST_SECONDS, i64::MAX, FEED_LIMIT).await?;
        let body = Arc::new(FeedBody::new(self.calendar(c.name.clone(), format!("Coworking sessions of {}", c.name), &sessions).await?));
        if let Ok(mut m) = self.feeds.feeds.lock() {
            m.insert(c.id.clone(), CachedFeed { version, made_at: t, checked_at: Instant::now(), body: body.clone() });
        }
        Ok(body)
    }

    pub async fn series_feed(&self, slug: &str, series_id: &str) -> AppResult<FeedBody> {
        let view = self.series_view(None, slug, series_id).await?;
        let sessions = self.store.series_family_sessions(series_id, now() - FEED_PAST_SECONDS, FEED_LIMIT).await?;
        Ok(FeedBody::new(
            self.calendar(format!("{} · {}", view.series.content.title, view.community.community.name), String::new(), &sessions).await?,
        ))
    }

    /// One session as a file to download; participants get the video link in it.
    pub async fn session_ics(&self, viewer: Option<&Account>, id: &str) -> AppResult<String> {
        let v = self.session_view(viewer, id).await?;
        let going = v.shows_video_link();
        let places = self.places_by_id(std::iter::once(&v.session)).await?;
        let event = self.event_of(&v.session, &places, going, v.mine.is_some_and(|r| r.status == RsvpStatus::Waitlisted));
        Ok(ical::write(
            &Calendar {
                name: v.session.content.title.clone(),
                description: String::new(),
                refresh_minutes: REFRESH_MINUTES,
                events: vec![event],
            },
            now(),
        ))
    }

    /// What a person is going to (and waiting for), behind a secret address.
    pub async fn personal_feed(&self, token: &str) -> AppResult<FeedBody> {
        let token = token.trim_end_matches(".ics");
        let account_id = self.store.calendar_feed_account(&hash_secret(token)).await?.ok_or(AppError::NotFound)?;
        let me = self.store.account(&account_id).await?;
        let mine = self.store.my_sessions(&me.id, now() - FEED_PAST_SECONDS, i64::MAX, FEED_LIMIT).await?;
        let places = self.places_by_id(mine.iter().map(|m| &m.session)).await?;
        let mut events: Vec<Event> = mine
            .iter()
            .map(|m| self.event_of(&m.session, &places, m.status == RsvpStatus::Going, m.status == RsvpStatus::Waitlisted))
            .collect();
        let zone = Zone::parse("tz", &me.time_zone).unwrap_or_else(|_| Zone::utc());
        for b in self.store.my_partner_bookings(&me.id, now() - FEED_PAST_SECONDS, FEED_LIMIT).await? {
            events.push(self.partner_event(&b, &zone));
        }
        let cal = Calendar {
            name: format!("{} · {}", self.config.site_name, me.display_name),
            description: "Sessions I'm going to".into(),
            refresh_minutes: REFRESH_MINUTES,
            events,
        };
        Ok(FeedBody::new(ical::write(&cal, now())))
    }

    /// Makes (or remakes, revoking the old one) a person's secret feed address;
    /// with it, the addresses of their communities' calendars (the only way to
    /// subscribe to a private community's).
    pub async fn reset_calendar_feed(&self, me: &Account) -> AppResult<(String, Vec<(String, String)>)> {
        let token = secret(24);
        self.store.set_calendar_feed(&me.id, &hash_secret(&token), now()).await?;
        let communities = self
            .my_communities(me)
            .await?
            .into_iter()
            .filter(|m| !m.pending)
            .map(|m| (m.community.name, format!("{}/calendar/{token}/c/{}.ics", self.config.base_url, m.community.slug)))
            .collect();
        Ok((format!("{}/calendar/{token}.ics", self.config.base_url), communities))
    }

    pub async fn revoke_calendar_feed(&self, me: &Account) -> AppResult<()> {
        Ok(self.store.delete_calendar_feed(&me.id).await?)
    }

    pub async fn calendar_feed_created(&self, me: &Account) -> AppResult<Option<i64>> {
        Ok(self.store.calendar_feed_created(&me.id).await?)
    }
}
