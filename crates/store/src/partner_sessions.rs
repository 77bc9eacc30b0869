//! A pair's session once matched: its live room (a session of the
//! `_partners` community whose id is the match's), who came and when, the
//! swap offered to someone left alone, and the no-shows.

use crate::jobs::notify;
use crate::partners::{candidate, enqueue_no_shows, join, lock_slot, tell, MAIL_PARTNER_MATCHED};
use crate::schedule::{phases_json, Tx};
use crate::{new_id, Result, Store, StoreError};
use cowork_core::partners::{is_no_show, match_slot, may_swap, Length, Outcome, NO_SHOW_AFTER_SECONDS};
use cowork_core::FieldError;
use serde::Serialize;

/// The community whose sessions are pairs' rooms.
pub const PARTNER_ROOMS: &str = "_partners";

/// What someone left alone in their pair's room may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SwapOffer {
    /// Others in the same slot without a partner now (waiting, or alone in their room).
    pub others: usize,
    /// Whether I asked already (and wait for one of them to ask too).
    pub asked: bool,
}

/// What became of asking for a swap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Swapped {
    /// Matched again: the new pair's room.
    Matched { match_id: String },
    /// No one else free yet: matched as soon as someone is.
    Waiting,
}

fn refused(message: &str) -> StoreError {
    StoreError::Refused(FieldError::new("booking", message))
}

/// Whether anyone else in `match_id` (matched) came into its room.
async fn partner_came(tx: &mut Tx<'_>, match_id: &str, account_id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM partner_bookings WHERE match_id = $1 AND account_id <> $2 AND status = 'matched' AND arrived_at > 0",
    )
    .bind(match_id)
    .bind(account_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// Bookings of a slot that could take a swap now: waiting for a partner, or
/// alone in their room (having come) and asking for one. (booking, account, booked at, prefs)
async fn free_in_slot(tx: &mut Tx<'_>, slot_id: &str, asking_only: bool) -> Result<Vec<(String, String, i64, String)>> {
    let asked = if asking_only { "b.swap_asked_at > 0" } else { "1 = 1" };
    Ok(sqlx::query_as(&format!(
        "SELECT b.id, b.account_id, b.created_at, b.prefs FROM partner_bookings b WHERE b.slot_id = $1 AND (b.status = 'waiting' \
         OR (b.status = 'matched' AND b.arrived_at > 0 AND {asked} AND NOT EXISTS (SELECT 1 FROM partner_bookings o \
         WHERE o.match_id = b.match_id AND o.id <> b.id AND o.status = 'matched' AND o.arrived_at > 0))) ORDER BY b.created_at, b.id"
    ))
    .bind(slot_id)
    .fetch_all(&mut **tx)
    .await?)
}

impl Store {
    /// Makes sure a match's room exists as a session (the first to enter
    /// makes it); NotFound when there is no such match, found without a
    /// write, so that asking for rooms that do not exist takes no lock.
    pub async fn open_partner_room(&self, match_id: &str, video_url: &str, now: i64) -> Result<()> {
        let m: Option<(i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT s.starts_at, s.minutes, (SELECT MIN(b.account_id) FROM partner_bookings b WHERE b.match_id = m.id) \
             FROM partner_matches m JOIN partner_slots s ON s.id = m.slot_id WHERE m.id = $1",
        )
        .bind(match_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((starts_at, minutes, Some(first))) = m else { return Err(StoreError::NotFound) };
        let length = Length::parse(&minutes.to_string()).map_err(|_| StoreError::NotFound)?;
        let phases = phases_json(&length.phases());
        let title = format!("Focus session, {minutes} min");
        let format_name = format!("Focus ({minutes} min)");
        let start = cowork_core::time::Zone::utc().local(starts_at);
        let (date, time) = (start.date.to_string(), format!("{:02}:{:02}", start.time.hour(), start.time.minute()));
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO series (id, community_id, title, description, format_key, format_name, phases, start_date, start_time, time_zone, rrule, \
             capacity, place, video_url, place_id, language, online_capacity, kind, approval, created_by, materialized_until, created_at, updated_at) \
             VALUES ($1, $2, $3, '', 'builtin:partners', $4, $5, $6, $7, 'UTC', '', 0, 'online', $8, '', 'en', 0, 'call', 'approved', $9, '9999-12-31', $10, $10) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(match_id)
        .bind(PARTNER_ROOMS)
        .bind(&title)
        .bind(&format_name)
        .bind(&phases)
        .bind(&date)
        .bind(&time)
        .bind(video_url)
        .bind(&first)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO sessions (id, title, description, format_name, phases, time_zone, capacity, place, video_url, place_id, language, \
             online_capacity, kind, series_id, community_id, occurrence, starts_at, ends_at, created_at, updated_at) \
             VALUES ($1, $2, '', $3, $4, 'UTC', 0, 'online', $5, '', 'en', 0, 'call', $1, $6, $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING",
        )
        .bind(match_id)
        .bind(&title)
        .bind(&format_name)
        .bind(&phases)
        .bind(video_url)
        .bind(PARTNER_ROOMS)
        .bind(&date)
        .bind(starts_at)
        .bind(starts_at + length.seconds())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// My booking in a match, if I am (still) matched in it.
    pub async fn booking_in_match(&self, match_id: &str, account_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM partner_bookings WHERE match_id = $1 AND account_id = $2 AND status = 'matched'")
            .bind(match_id)
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Someone came into their pair's room: the first time counts, and
    /// coming more than 5 minutes after the start is still a no-show.
    pub async fn record_partner_arrival(&self, match_id: &str, account_id: &str, now: i64) -> Result<()> {
        let b: Option<(String, i64, i64)> = sqlx::query_as(
            "SELECT id, starts_at, arrived_at FROM partner_bookings WHERE match_id = $1 AND account_id = $2 AND status = 'matched'",
        )
        .bind(match_id)
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, starts_at, 0)) = b else { return Ok(()) };
        // A swap's pair is judged from when it was made.
        let matched_at: i64 =
            sqlx::query_scalar("SELECT created_at FROM partner_matches WHERE id = $1").bind(match_id).fetch_one(&self.pool).await?;
        let outcome = if is_no_show(now, starts_at.max(matched_at), false) { Outcome::NoShow } else { Outcome::Came };
        sqlx::query(
            "UPDATE partner_bookings SET arrived_at = $2, outcome = CASE WHEN outcome = '' THEN $3 ELSE outcome END, updated_at = $2 \
             WHERE id = $1 AND arrived_at = 0",
        )
        .bind(&id)
        .bind(now)
        .bind(outcome.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The swap on offer to me in a booking, if I came and my partner has not,
    /// two minutes into the session and until half of it is gone.
    pub async fn swap_offer(&self, account_id: &str, booking_id: &str, now: i64) -> Result<Option<SwapOffer>> {
        let mut tx = self.pool.begin().await?;
        let b: Option<(String, String, i64, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT slot_id, match_id, starts_at, ends_at, arrived_at, swap_asked_at, status FROM partner_bookings WHERE id = $1 AND account_id = $2",
        )
        .bind(booking_id)
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((slot_id, match_id, starts_at, ends_at, arrived_at, asked_at, status)) = b else { return Err(StoreError::NotFound) };
        if status != "matched"
            || arrived_at == 0
            || !may_swap(now, starts_at, ends_at)
            || partner_came(&mut tx, &match_id, account_id).await?
        {
            tx.commit().await?;
            return Ok(None);
        }
        let others = free_in_slot(&mut tx, &slot_id, false).await?.into_iter().filter(|(id, ..)| id != booking_id).count();
        tx.commit().await?;
        Ok(Some(SwapOffer { others, asked: asked_at > 0 }))
    }

    /// Someone left alone asks to work with someone else free in the same
    /// slot: matched at once with one who may be (waiting, or alone and
    /// asking too), under the slot's lock; else they wait for one.
    pub async fn ask_partner_swap(&self, account_id: &str, booking_id: &str, now: i64) -> Result<Swapped> {
        let mut tx = self.begin().await?;
        let b: Option<(String, String, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT slot_id, match_id, starts_at, ends_at, arrived_at, status FROM partner_bookings WHERE id = $1 AND account_id = $2",
        )
        .bind(booking_id)
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((slot_id, match_id, starts_at, ends_at, arrived_at, _)) = b else { return Err(StoreError::NotFound) };
        lock_slot(&mut tx, &slot_id).await?;
        // Read again under the lock: a swap by someone else may have moved me.
        let (status, now_match): (String, String) =
            sqlx::query_as("SELECT status, match_id FROM partner_bookings WHERE id = $1").bind(booking_id).fetch_one(&mut *tx).await?;
        if status == "matched" && now_match != match_id {
            tx.commit().await?;
            return Ok(Swapped::Matched { match_id: now_match });
        }
        if status != "matched" {
            return Err(refused("You have no partner session in this slot to swap."));
        }
        if now < starts_at + cowork_core::partners::SWAP_AFTER_SECONDS {
            return Err(refused("Give your partner two minutes: a swap is offered two minutes after the start."));
        }
        if !may_swap(now, starts_at, ends_at) {
            return Err(refused("Half the session is gone: it is too late to start again with someone else."));
        }
        if arrived_at == 0 {
            return Err(refused("Come into your pair's room first: the swap is for whoever is there waiting."));
        }
        if partner_came(&mut tx, &match_id, account_id).await? {
            return Err(refused("Your partner is here: there is nothing to swap."));
        }
        sqlx::query("UPDATE partner_bookings SET swap_asked_at = $2, updated_at = $2 WHERE id = $1 AND swap_asked_at = 0")
            .bind(booking_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let free = free_in_slot(&mut tx, &slot_id, true).await?;
        let mut candidates = Vec::with_capacity(free.len());
        for (id, account, at, prefs) in free {
            candidates.push(candidate(&mut tx, id, account, at, &prefs).await?);
        }
        let me = candidates.iter().position(|c| c.booking == booking_id);
        let pair = match_slot(&candidates, &[], false).pairs.into_iter().find(|&(a, b)| Some(a) == me || Some(b) == me);
        let Some((a, b)) = pair else {
            tx.commit().await?;
            return Ok(Swapped::Waiting);
        };
        let new_match = new_id();
        sqlx::query("INSERT INTO partner_matches (id, slot_id, created_at) VALUES ($1, $2, $3)")
            .bind(&new_match)
            .bind(&slot_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        for c in [&candidates[a], &candidates[b]] {
            let was: String =
                sqlx::query_scalar("SELECT status FROM partner_bookings WHERE id = $1").bind(&c.booking).fetch_one(&mut *tx).await?;
            join(&mut tx, &c.booking, &new_match, now).await?;
            // Someone waiting outside any room hears by mail; those in a room see it there.
            if was == "waiting" {
                tell(&mut tx, MAIL_PARTNER_MATCHED, &c.booking, &c.person, &new_match, now).await?;
            }
        }
        // The new pair has 5 minutes to come in, too.
        enqueue_no_shows(&mut tx, &slot_id, &new_match, now + NO_SHOW_AFTER_SECONDS, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(Swapped::Matched { match_id: new_match })
    }

    /// Marks as no-shows those matched in a slot who have not come 5 minutes
    /// after the start (or after their swap's match was made).
    pub async fn mark_partner_no_shows(&self, slot_id: &str, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE partner_bookings SET outcome = $3, updated_at = $2 WHERE slot_id = $1 AND status = 'matched' AND arrived_at = 0 \
             AND outcome = '' AND starts_at <= $2 - $4 \
             AND match_id IN (SELECT id FROM partner_matches WHERE slot_id = $1 AND created_at <= $2 - $4)",
        )
        .bind(slot_id)
        .bind(now)
        .bind(Outcome::NoShow.as_str())
        .bind(NO_SHOW_AFTER_SECONDS)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
