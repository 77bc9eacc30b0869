//! Accountability partners as people use them: which pools I may book in
//! (the instance's, and communities that offer partner sessions to me), a
//! booking checked against the rules and matched at once where someone
//! suitable waits, cancelling, my bookings with my partners' cards,
//! favourites and blocks, and the mail that tells people of their partner.

use super::communities::CommunityView;
use super::jobs::{Attempt, Outcome as JobOutcome};
use super::mail::Letter;
use super::{App, AppError, AppResult};
use cowork_core::partners::{next_quarter, Length, Preferences, ScoreLimit};
use cowork_core::permissions::Action;
use cowork_core::time::Zone;
use cowork_core::{FieldError, Invalid};
use cowork_store::{Account, BookingRequest, Job, PartnerBooking, PartnerSettings, StoreError};
use serde::{Deserialize, Serialize};

/// Bookings and cancellations one person may make in an hour: far more than
/// anyone planning their week needs, and a stop to booking and cancelling
/// over and over, which would mail a partner each time.
const BOOKINGS_PER_HOUR: i64 = 60;
const CANCELS_PER_HOUR: i64 = 20;

/// Who a community offers partner sessions to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Offer {
    Off,
    Members,
    Everyone,
}

impl Offer {
    pub fn as_str(self) -> &'static str {
        match self {
            Offer::Off => "off",
            Offer::Members => "members",
            Offer::Everyone => "everyone",
        }
    }
    pub fn parse(raw: &str) -> Result<Offer, FieldError> {
        match raw.trim() {
            "" | "off" => Ok(Offer::Off),
            "members" => Ok(Offer::Members),
            "everyone" => Ok(Offer::Everyone),
            _ => Err(FieldError::new("partners", "Choose off, members only, or everyone.")),
        }
    }
}

/// What a community offers, as stored.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PartnerOffer {
    pub offer: Offer,
    #[serde(flatten)]
    pub limit: ScoreLimit,
}

/// The organizers' form (or API body): the offer, and the limit for a poor score.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OfferInput {
    /// off | members | everyone
    pub offer: String,
    /// A score (percent) under which the limit applies; empty or 0: no limit.
    pub below: String,
    /// Slots such a person may hold at once; empty or 0: no limit.
    pub slots: String,
}

impl OfferInput {
    pub fn parse(&self) -> Result<PartnerOffer, Invalid> {
        let mut errors = Invalid::default();
        let offer = errors.take(Offer::parse(&self.offer).map_err(|_| FieldError::new("offer", "Choose off, members only, or everyone.")));
        let number = |field: &'static str, raw: &str, max: u32, message: &str| -> Result<u32, FieldError> {
            let raw = raw.trim().trim_end_matches('%').trim();
            if raw.is_empty() {
                return Ok(0);
            }
            raw.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(|| FieldError::new(field, message))
        };
        let below = errors.take(number("below", &self.below, 100, "Give a score from 0 to 100 (percent)."));
        let slots = errors.take(number("slots", &self.slots, 100, "Give a number of slots from 0 to 100."));
        match (offer, below, slots) {
            (Some(offer), Some(below), Some(slots)) if errors.is_empty() => {
                Ok(PartnerOffer { offer, limit: ScoreLimit { below: below as u8, slots } })
            }
            _ => Err(errors),
        }
    }
}

/// Where a slot is booked: the instance's open pool, or a community's.
#[derive(Debug, Clone, Serialize)]
pub struct Pool {
    /// "" for the instance's open pool, else the community's slug.
    pub slug: String,
    pub name: String,
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub limit: ScoreLimit,
}

/// A booking as a form or the API gives it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BookingInput {
    /// A community's slug; empty for the instance's open pool.
    pub pool: String,
    /// "now" (the next quarter hour), an RFC 3339 instant ("2026-12-07T09:00:00Z"),
    /// or a local date and time in my zone ("2026-12-07T09:00").
    pub starts_at: String,
    /// 25, 50 or 75.
    pub minutes: String,
    /// Preferences; left out: those I saved last.
    pub availability: Option<String>,
    pub talk: Option<String>,
    pub work: Option<String>,
    pub camera: Option<String>,
    pub odd_one_out: Option<String>,
}

/// A start as typed, in `zone`, to the second.
fn start(raw: &str, zone: &Zone, now: i64) -> Result<i64, FieldError> {
    let raw = raw.trim();
    let bad = || FieldError::new("starts_at", "Give a start such as 2026-12-07T09:00, or “now” for the next quarter hour.");
    if raw.eq_ignore_ascii_case("now") {
        return Ok(next_quarter(now));
    }
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(t.as_second());
    }
    let local: jiff::civil::DateTime = raw.parse().map_err(|_| bad())?;
    Ok(zone.instant(local.date(), local.time()))
}

fn merged(saved: Preferences, i: &BookingInput) -> Result<Preferences, Invalid> {
    let or = |given: &Option<String>, saved: &str| given.clone().unwrap_or_else(|| saved.to_string());
    Preferences::parse(
        &or(&i.availability, saved.availability.as_str()),
        &or(&i.talk, saved.talk.as_str()),
        &or(&i.work, saved.work.as_str()),
        &or(&i.camera, saved.camera.as_str()),
        &or(&i.odd_one_out, saved.odd_one_out.as_str()),
    )
}

impl App {
    /// The pool a slug names, if I may book in it.
    pub async fn partner_pool(&self, me: &Account, slug: &str) -> AppResult<Pool> {
        let slug = slug.trim();
        if slug.is_empty() {
            return Ok(Pool { slug: String::new(), name: "Everyone on this site".into(), id: String::new(), limit: ScoreLimit::default() });
        }
        let c = self.community(Some(me), slug).await?;
        let (offer, limit) = self.store.community_partners(&c.community.id).await?;
        match Offer::parse(&offer).unwrap_or(Offer::Off) {
            Offer::Off => Err(AppError::Invalid(Invalid::one("pool", "This community does not offer partner sessions."))),
            Offer::Members if c.role().is_none() => {
                Err(AppError::Forbidden("This community keeps partner sessions to its members: join it first.".into()))
            }
            _ => Ok(Pool { slug: c.community.slug.clone(), name: c.community.name.clone(), id: c.community.id.clone(), limit }),
        }
    }

    /// The pools I may book in: the open pool, then my communities that offer partners.
    pub async fn partner_pools(&self, me: &Account) -> AppResult<Vec<Pool>> {
        let mut pools = vec![self.partner_pool(me, "").await?];
        for m in self.my_communities(me).await? {
            if let Ok(p) = self.partner_pool(me, &m.community.slug).await {
                pools.push(p);
            }
        }
        Ok(pools)
    }

    /// Books a focus slot; matched at once if someone suitable is waiting.
    pub async fn book_partner(&self, me: &Account, input: &BookingInput) -> AppResult<PartnerBooking> {
        let pool = self.partner_pool(me, &input.pool).await?;
        self.rate_limit(&[(format!("partner-book:{}", me.id), BOOKINGS_PER_HOUR, 3600)]).await?;
        let zone = Zone::parse("time_zone", &me.time_zone).unwrap_or_else(|_| Zone::utc());
        let now = self.now();
        let saved = self.store.partner_settings(&me.id).await?;
        let mut errors = Invalid::default();
        let starts_at = errors.take(start(&input.starts_at, &zone, now));
        let length = errors.take(Length::parse(if input.minutes.trim().is_empty() { "50" } else { &input.minutes }));
        let prefs = match merged(saved.prefs, input) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        };
        let (Some(starts_at), Some(length), Some(prefs), true) = (starts_at, length, prefs, errors.is_empty()) else {
            return Err(errors.into());
        };
        let r = BookingRequest { pool: pool.id, account_id: me.id.clone(), starts_at, length, prefs, limit: pool.limit };
        Ok(self.with_video(self.store.book_partner_slot(&r, now).await?))
    }

    /// A matched booking's video room on the configured server, named from
    /// the match's unguessable id (shown only to the pair).
    pub(super) fn with_video(&self, mut b: PartnerBooking) -> PartnerBooking {
        if b.status == "matched" && !b.match_id.is_empty() {
            b.video_url = self.pair_video(&b.match_id);
        }
        b
    }

    /// The video room of a match ('' when the instance offers none).
    pub(super) fn pair_video(&self, match_id: &str) -> String {
        if self.config.partner_video.is_empty() {
            String::new()
        } else {
            format!("{}/cowork-{match_id}", self.config.partner_video)
        }
    }

    pub async fn cancel_partner(&self, me: &Account, booking_id: &str) -> AppResult<bool> {
        self.rate_limit(&[(format!("partner-cancel:{}", me.id), CANCELS_PER_HOUR, 3600)]).await?;
        Ok(self.store.cancel_partner_booking(&me.id, booking_id, self.now()).await?)
    }

    pub async fn my_partner_bookings(&self, me: &Account) -> AppResult<Vec<PartnerBooking>> {
        Ok(self.store.my_partner_bookings(&me.id, self.now(), 200).await?.into_iter().map(|b| self.with_video(b)).collect())
    }

    pub async fn my_partner_booking(&self, me: &Account, id: &str) -> AppResult<PartnerBooking> {
        Ok(self.with_video(self.store.partner_booking(&me.id, id).await?))
    }

    pub async fn partner_settings(&self, me: &Account) -> AppResult<PartnerSettings> {
        Ok(self.store.partner_settings(&me.id).await?)
    }

    pub async fn save_partner_settings(&self, me: &Account, prefs: Preferences, video_url: &str, record_public: bool) -> AppResult<()> {
        let video_url = cowork_core::input::optional_url("video_url", video_url).map_err(|e| Invalid(vec![e]))?;
        let s = PartnerSettings { prefs, video_url, record_public };
        Ok(self.store.save_partner_settings(&me.id, &s, self.now()).await?)
    }

    /// Favourite, block or clear a past partner (only someone I was matched with).
    pub async fn mark_partner(&self, me: &Account, other: &str, mark: &str) -> AppResult<()> {
        let mark = match mark.trim() {
            "favourite" => Some("favourite"),
            "block" => Some("block"),
            "" | "none" => None,
            _ => return Err(Invalid::one("mark", "Choose favourite, block or none.").into()),
        };
        if other == me.id || !self.store.were_partners(&me.id, other).await? {
            return Err(AppError::NotFound);
        }
        Ok(self.store.mark_partner(&me.id, other, mark, self.now()).await?)
    }

    /// A community's partner sessions as its organizers set them.
    pub async fn community_partners(&self, me: Option<&Account>, slug: &str) -> AppResult<(CommunityView, PartnerOffer)> {
        let c = self.community(me, slug).await?;
        let (offer, limit) = self.store.community_partners(&c.community.id).await?;
        Ok((c, PartnerOffer { offer: Offer::parse(&offer).unwrap_or(Offer::Off), limit }))
    }

    /// Organizers turn partner sessions on (for members or everyone) or off,
    /// and may limit the slots held at once by people whose attendance is poor.
    pub async fn set_community_partners(&self, me: &Account, slug: &str, input: &OfferInput) -> AppResult<PartnerOffer> {
        let c = self.community(Some(me), slug).await?;
        if !c.may(Action::Edit) {
            return Err(AppError::Forbidden("Only the community's organizers choose this.".into()));
        }
        let offer = input.parse()?;
        self.store.set_community_partners(&c.community.id, offer.offer.as_str(), offer.limit).await?;
        Ok(offer)
    }

    /// A booking a job tells its owner of, with its owner; or why there is
    /// no one to tell any more.
    pub(super) async fn booking_for_job(
        &self,
        account_id: &str,
        booking_id: &str,
    ) -> Result<Result<(PartnerBooking, Account), String>, String> {
        match (self.store.partner_booking(account_id, booking_id).await, self.store.account(account_id).await) {
            (Ok(b), Ok(a)) => Ok(Ok((self.with_video(b), a))),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => Ok(Err("the booking or the person is gone".into())),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        }
    }

    /// "You're matched with …", or "… cancelled; you're waiting again".
    pub(super) async fn tell_partner(&self, job: &Job, matched: bool) -> Attempt {
        #[derive(Deserialize)]
        struct Of {
            booking_id: String,
            account_id: String,
        }
        let p: Of = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (b, a) = match self.booking_for_job(&p.account_id, &p.booking_id).await? {
            Ok(found) => found,
            Err(why) => return Ok(JobOutcome::Nothing(why)),
        };
        if b.status == "cancelled" || b.starts_at + 300 < self.now() {
            return Ok(JobOutcome::Nothing("cancelled or over".into()));
        }
        if matched != (b.status == "matched") {
            return Ok(JobOutcome::Nothing("matched again meanwhile".into()));
        }
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let when = format!("{} ({})", zone.format_span(b.starts_at, b.ends_at), zone.name());
        let page = format!("{}/partners/{}", self.config.base_url, b.id);
        let names: Vec<String> = b
            .partners
            .iter()
            .map(|c| if c.pronouns.is_empty() { c.name.clone() } else { format!("{} ({})", c.name, c.pronouns) })
            .collect();
        let (subject, paragraphs) = if matched {
            (format!("Matched: {} for {} minutes", names.join(" and "), b.minutes), {
                let mut p = vec![
                    format!("You're working with {} on {when}.", names.join(" and ")),
                    "Come a minute early, say what you'll do, work, and tell each other how it went at the end.".to_string(),
                ];
                if !b.video_url.is_empty() {
                    p.push(format!("Your video room: {}", b.video_url));
                }
                p
            })
        } else {
            (
                format!("Your partner cancelled: {when}"),
                vec![format!(
                    "Your partner for {when} cancelled. You're booked still, and we'll match you with anyone who books the same slot."
                )],
            )
        };
        let l = Letter { subject, paragraphs, action: Some(("See your booking".into(), page)), ..Letter::to(&a) };
        self.send_letter(job, Some(&a.id), &l, false).await
    }

    pub(super) async fn form_partner_threes(&self, job: &Job) -> Attempt {
        let slot: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let id = slot["slot_id"].as_str().unwrap_or_default();
        match self.store.form_partner_threes(id, self.now()).await {
            Ok(0) => Ok(JobOutcome::Nothing("no one to add".into())),
            Ok(_) => Ok(JobOutcome::Done),
            Err(e) => Err(e.to_string()),
        }
    }
}
