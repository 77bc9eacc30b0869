//! A pair's session as the partners live it: their room (who may enter,
//! who came), the swap offered to someone whose partner has not come, the
//! no-shows, the reminders, reporting a partner, and my record.

use super::jobs::{Attempt, Outcome as JobOutcome};
use super::mail::Letter;
use super::push::Notification;
use super::{App, AppError, AppResult};
use cowork_core::notifications::Kind;
use cowork_core::record::{record, Record};
use cowork_core::time::Zone;
use cowork_core::Invalid;
use cowork_store::{new_id, Account, Job, PartnerBooking, StoreError, SwapOffer, Swapped, PARTNER_ROOMS};
use serde::{Deserialize, Serialize};

/// Reports one person may make in a day: enough for a bad week, not for a campaign.
const REPORTS_PER_DAY: i64 = 10;
/// Swap requests one person may make in an hour.
const SWAPS_PER_HOUR: i64 = 30;
/// The longest report of a partner, in characters.
pub(super) const REASON_MAX: usize = 2000;

/// My booking in a pair's room, as its page and its polling show it.
#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    pub booking: PartnerBooking,
    /// Offered when I came, my partner has not, and it is time.
    pub swap: Option<SwapOffer>,
    /// The room I belong in now (another after a swap).
    pub room: String,
    /// The records of partners who show theirs (by account id).
    pub records: Vec<(String, Record)>,
    /// The session has started (so its partner is a past partner, to block or report).
    pub started: bool,
}

impl PairView {
    pub fn record_of(&self, account_id: &str) -> Option<&Record> {
        self.records.iter().find(|(a, _)| a == account_id).map(|(_, r)| r)
    }
}

impl App {
    /// Whether a session is a pair's room.
    pub fn is_pair_room(community_id: &str) -> bool {
        community_id == PARTNER_ROOMS
    }

    /// The room of a match as a session, made on first use; NotFound when
    /// there is no such match.
    pub(super) async fn open_partner_room(&self, match_id: &str) -> AppResult<()> {
        let video = self.pair_video(match_id);
        Ok(self.store.open_partner_room(match_id, &video, self.now()).await?)
    }

    /// Only the people matched in it may enter a pair's room.
    pub(super) async fn admit_to_pair(&self, match_id: &str, me: &Account) -> AppResult<()> {
        match self.store.booking_in_match(match_id, &me.id).await? {
            Some(_) => Ok(()),
            None => Err(AppError::Forbidden(
                "This room is for the partners matched in it. Your own bookings and rooms are on the Partners page.".into(),
            )),
        }
    }

    /// My booking in a match's room, with my partners, the swap on offer and
    /// the records they show.
    pub async fn pair_view(&self, me: &Account, match_id: &str) -> AppResult<PairView> {
        let booking = self.store.booking_in_match(match_id, &me.id).await?.ok_or(AppError::NotFound)?;
        self.pair_state(me, &booking).await
    }

    /// A booking of mine as its pair's room shows it now.
    pub async fn pair_state(&self, me: &Account, booking_id: &str) -> AppResult<PairView> {
        let booking = self.my_partner_booking(me, booking_id).await?;
        let swap = self.store.swap_offer(&me.id, booking_id, self.now()).await?;
        let room = if booking.status == "matched" { format!("/s/{}/room", booking.match_id) } else { "/partners".into() };
        let mut records = Vec::new();
        for p in booking.partners.iter().filter(|p| p.record_public) {
            let zone = self.store.account(&p.account_id).await.ok().and_then(|a| Zone::parse("tz", &a.time_zone).ok());
            records.push((p.account_id.clone(), self.record_in(&p.account_id, &zone.unwrap_or_else(Zone::utc)).await?));
        }
        let started = booking.starts_at <= self.now();
        Ok(PairView { booking, swap, room, records, started })
    }

    /// Left alone in my pair's room, I ask to work with someone else free in the same slot.
    pub async fn ask_partner_swap(&self, me: &Account, booking_id: &str) -> AppResult<Swapped> {
        self.rate_limit(&[(format!("partner-swap:{}", me.id), SWAPS_PER_HOUR, 3600)]).await?;
        Ok(self.store.ask_partner_swap(&me.id, booking_id, self.now()).await?)
    }

    /// Reports a past partner to whoever keeps the pool's code of conduct;
    /// they are blocked for me at once. Returns whether the report was new.
    pub async fn report_partner(&self, me: &Account, other: &str, reason: &str) -> AppResult<bool> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Invalid::one("reason", "Say what happened: the people who read reports need it to act.").into());
        }
        if reason.chars().count() > REASON_MAX {
            return Err(Invalid::one("reason", "Keep it under 2,000 characters.").into());
        }
        if other == me.id {
            return Err(AppError::NotFound);
        }
        self.rate_limit(&[(format!("partner-report:{}", me.id), REPORTS_PER_DAY, 86_400)]).await?;
        Ok(self.store.report_partner(&new_id(), &me.id, other, reason, self.now()).await?)
    }

    /// My record: sessions I came to, my weekly streak, my hours of focus, my goals done.
    pub async fn my_record(&self, me: &Account) -> AppResult<Record> {
        let zone = Zone::parse("tz", &me.time_zone).unwrap_or_else(|_| Zone::utc());
        self.record_in(&me.id, &zone).await
    }

    /// Whether my partners see my record.
    pub async fn show_my_record(&self, me: &Account, public: bool) -> AppResult<()> {
        Ok(self.store.show_partner_record(&me.id, public, self.now()).await?)
    }

    async fn record_in(&self, account_id: &str, zone: &Zone) -> AppResult<Record> {
        let now = self.now();
        let (attended, goals) = self.store.record_of(account_id, now).await?;
        Ok(record(&attended, goals, zone, now))
    }

    /// The no-shows of a slot, 5 minutes in.
    pub(super) async fn mark_partner_no_shows(&self, job: &Job) -> Attempt {
        let slot: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        match self.store.mark_partner_no_shows(slot["slot_id"].as_str().unwrap_or_default(), self.now()).await {
            Ok(0) => Ok(JobOutcome::Nothing("everyone matched came".into())),
            Ok(_) => Ok(JobOutcome::Done),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A reminder of a partner session at a time the person chose.
    pub(super) async fn remind_of_partner(&self, job: &Job) -> Attempt {
        #[derive(Deserialize)]
        struct Of {
            booking_id: String,
            account_id: String,
            time: String,
        }
        let p: Of = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (b, a) = match self.booking_for_job(&p.account_id, &p.booking_id).await? {
            Ok(found) => found,
            Err(why) => return Ok(JobOutcome::Nothing(why)),
        };
        if b.status == "cancelled" {
            return Ok(JobOutcome::Nothing("cancelled".into()));
        }
        let choices = match self.reminder_choices(&a, &b.pool, &p.time).await? {
            Ok((_, choices)) => choices,
            Err(why) => return Ok(JobOutcome::Nothing(why)),
        };
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let when = format!("{} ({})", zone.format_span(b.starts_at, b.ends_at), zone.name());
        let starts = cowork_core::time::relative(self.now(), b.starts_at);
        let with = b.partners.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(" and ");
        let (subject, first, url) = if b.status == "matched" {
            (
                format!("Reminder: focus with {with}, {starts}"),
                format!("Your {} minutes with {with}, {when}, start {starts}.", b.minutes),
                format!("{}/s/{}/room", self.config.base_url, b.match_id),
            )
        } else {
            (
                format!("Reminder: your focus session, {starts}"),
                format!(
                    "Your {} minutes, {when}, start {starts}. No one is matched with you yet: whoever books the same time will be.",
                    b.minutes
                ),
                format!("{}/partners", self.config.base_url),
            )
        };
        let n = Notification { title: &subject, body: &first, url: &url, key: &job.dedupe_key, urgent: true, deadline: Some(b.starts_at) };
        let mut paragraphs = vec![first.clone()];
        if !b.video_url.is_empty() {
            paragraphs.push(format!("Your video room: {}", b.video_url));
        }
        paragraphs.push("Can't come after all? Cancel on the Partners page, so your partner can be matched with someone else.".into());
        let action = if b.status == "matched" { "Enter your pair's room" } else { "See your booking" };
        let l = Letter {
            subject: subject.clone(),
            paragraphs,
            action: Some((action.into(), url.clone())),
            kind: Some(Kind::Reminders),
            community_id: (!b.pool.is_empty()).then(|| b.pool.clone()),
            ..Letter::to(&a)
        };
        self.send_reminder(job, &a, &choices, &n, &l).await
    }

    /// Tells an organizer, conduct contact or admin of a partner reported.
    pub(super) async fn tell_of_partner_report(&self, job: &Job) -> Attempt {
        #[derive(Deserialize)]
        struct Of {
            report_id: String,
            account_id: String,
        }
        let p: Of = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (r, a) = match (self.store.partner_report(&p.report_id).await, self.store.account(&p.account_id).await) {
            (Ok(r), Ok(a)) => (r, a),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => {
                return Ok(JobOutcome::Nothing("the report or the person is gone".into()))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        let (place, link, community_id) = if r.pool.is_empty() {
            ("the site's open partner sessions".to_string(), format!("{}/admin/outbox", self.config.base_url), None)
        } else {
            match self.store.community_by_id(&r.pool).await {
                Ok(c) => (format!("{}'s partner sessions", c.name), format!("{}/c/{}/reports", self.config.base_url, c.slug), Some(c.id)),
                Err(StoreError::NotFound) => return Ok(JobOutcome::Nothing("the community is gone".into())),
                Err(e) => return Err(e.to_string()),
            }
        };
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let subject = format!("A partner was reported in {place}");
        let l = Letter {
            subject,
            paragraphs: vec![
                format!(
                    "{} reported {}, their partner on {}, in {place}. They will not be matched again.",
                    r.reporter_name,
                    r.reported_name,
                    zone.format(r.starts_at),
                ),
                "What they wrote:".into(),
            ],
            quote: r.reason.lines().map(str::to_string).collect(),
            action: community_id.as_ref().map(|_| ("See the community's reports".to_string(), link)),
            kind: Some(Kind::OrganizerNotices),
            community_id,
            ..Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }
}
