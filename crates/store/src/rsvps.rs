//! Answers to sessions: places given under the session's lock, the waitlist
//! served in order, attendance, and following a series.

use crate::jobs::notify;
use crate::mail_jobs::{enqueue_session_mail, rsvp_position, MAIL_PLACE, MAIL_RSVP, MAIL_RSVP_CANCELLED};
use crate::reminders::enqueue_reminders;
use crate::schedule::Tx;
use crate::Session;
use crate::{col, flag, touched, Result, Store, StoreError};
use cowork_core::rsvp::{place_for, RsvpStatus};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Rsvp {
    pub account_id: String,
    pub display_name: String,
    pub pronouns: String,
    pub status: RsvpStatus,
    pub position: i64,
    pub late: bool,
    pub attendance: String,
    pub updated_at: i64,
}

/// What an RSVP came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RsvpResult {
    pub status: RsvpStatus,
    /// 1 for the first on the waitlist; 0 when going.
    pub waitlist_place: i64,
}

/// A session with one person's answer, for "my schedule".
#[derive(Debug, Clone, Serialize)]
pub struct MySession {
    pub session: Session,
    pub status: RsvpStatus,
}

/// Serializes changes to one session's places: a row lock on PostgreSQL,
/// the write lock on SQLite. Fails if the session does not exist.
pub(crate) async fn lock_session(tx: &mut Tx<'_>, session_id: &str) -> Result<()> {
    touched(sqlx::query("UPDATE sessions SET going_count = going_count WHERE id = $1").bind(session_id).execute(&mut **tx).await?)
}

/// Places taken by people going one way (online at a hybrid session, or
/// else in person, where a guest takes a seat too).
async fn taken(tx: &mut Tx<'_>, session_id: &str, online: bool) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(CASE WHEN guest_name <> '' THEN 2 ELSE 1 END), 0) FROM rsvps WHERE session_id = $1 AND status = 'going' AND online = $2",
    )
    .bind(session_id)
    .bind(online as i64)
    .fetch_one(&mut **tx)
    .await?)
}

/// The limit for one way of taking part: a hybrid session's online places
/// have their own.
async fn limit(tx: &mut Tx<'_>, session_id: &str, online: bool) -> Result<i64> {
    Ok(sqlx::query_scalar(if online {
        "SELECT online_capacity FROM sessions WHERE id = $1"
    } else {
        "SELECT capacity FROM sessions WHERE id = $1"
    })
    .bind(session_id)
    .fetch_one(&mut **tx)
    .await?)
}

pub(crate) async fn refresh_going(tx: &mut Tx<'_>, session_id: &str) -> Result<i64> {
    let going = taken(tx, session_id, false).await?;
    let online = taken(tx, session_id, true).await?;
    sqlx::query("UPDATE sessions SET going_count = $2, online_going = $3 WHERE id = $1")
        .bind(session_id)
        .bind(going)
        .bind(online)
        .execute(&mut **tx)
        .await?;
    Ok(going)
}

/// Gives free places to the waitlist, first come first served, each way of
/// taking part against its own limit; returns who got one.
pub(crate) async fn promote(tx: &mut Tx<'_>, session_id: &str, opens: i64, now: i64) -> Result<Vec<String>> {
    let mut promoted = Vec::new();
    for online in [false, true] {
        promote_one_way(tx, session_id, online, opens, now, &mut promoted).await?;
    }
    refresh_going(tx, session_id).await?;
    Ok(promoted)
}

async fn promote_one_way(tx: &mut Tx<'_>, session_id: &str, online: bool, opens: i64, now: i64, promoted: &mut Vec<String>) -> Result<()> {
    let capacity = limit(tx, session_id, online).await?;
    let mut going = taken(tx, session_id, online).await?;
    loop {
        // The first in line goes if their party (they and a guest) fits.
        let next: Option<(String, String)> = sqlx::query_as(
            "SELECT account_id, guest_name FROM rsvps WHERE session_id = $1 AND status = 'waitlisted' AND online = $2              ORDER BY position, account_id LIMIT 1",
        )
        .bind(session_id)
        .bind(online as i64)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((account, guest)) = next else { break };
        let party = if guest.is_empty() { 1 } else { 2 };
        if capacity > 0 && going + party > capacity {
            break;
        }
        sqlx::query("UPDATE rsvps SET status = 'going', updated_at = $3 WHERE session_id = $1 AND account_id = $2")
            .bind(session_id)
            .bind(&account)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        going += party;
        // Every path that frees a place comes through here, so each tells its newcomer.
        let position = rsvp_position(tx, session_id, &account).await?;
        enqueue_session_mail(tx, MAIL_PLACE, session_id, &account, position, now).await?;
        enqueue_reminders(tx, session_id, &account, opens, now).await?;
        promoted.push(account);
    }
    Ok(())
}

/// How someone takes part: online at a hybrid session, and with a guest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub online: bool,
    /// The name of a guest they bring ("guest of"), or "".
    pub guest_name: String,
}

/// A personal check-in code: 40 random bits in Crockford's base 32.
pub(crate) fn new_checkin_code() -> String {
    let mut b = [0u8; 5];
    getrandom::getrandom(&mut b).expect("the OS random source works");
    cowork_core::checkin::code_from(b)
}

impl Store {
    /// Answers "going": a place if one is free, else the end of the waitlist.
    /// Under the session's lock, so places are never overbooked.
    pub async fn rsvp(&self, session_id: &str, account_id: &str, now: i64) -> Result<RsvpResult> {
        self.rsvp_as(session_id, account_id, &Party::default(), now).await
    }

    /// Answers "going" online or in person, perhaps with a guest, each way
    /// against its own limit. Someone already answering keeps their place and
    /// way of taking part (they cancel first to change it).
    pub async fn rsvp_as(&self, session_id: &str, account_id: &str, party: &Party, now: i64) -> Result<RsvpResult> {
        let mut tx = self.begin().await?;
        lock_session(&mut tx, session_id).await?;
        let status: String = sqlx::query_scalar("SELECT status FROM sessions WHERE id = $1").bind(session_id).fetch_one(&mut *tx).await?;
        if status == "cancelled" {
            return Err(StoreError::NotFound);
        }
        let existing: Option<String> = sqlx::query_scalar("SELECT status FROM rsvps WHERE session_id = $1 AND account_id = $2")
            .bind(session_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        if matches!(existing.as_deref(), Some("going") | Some("waitlisted")) {
            let r = waitlist_place(&mut tx, session_id, account_id).await?;
            tx.commit().await?;
            return Ok(r);
        }
        let capacity = limit(&mut tx, session_id, party.online).await?;
        let going = taken(&mut tx, session_id, party.online).await?;
        // Anyone still waiting keeps their turn: a newcomer goes behind them.
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rsvps WHERE session_id = $1 AND status = 'waitlisted' AND online = $2")
            .bind(session_id)
            .bind(party.online as i64)
            .fetch_one(&mut *tx)
            .await?;
        let party_size = if party.guest_name.is_empty() { 1 } else { 2 };
        let status = if waiting > 0 { RsvpStatus::Waitlisted } else { place_for(capacity, going + party_size - 1) };
        let position: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM rsvps WHERE session_id = $1")
            .bind(session_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO rsvps (session_id, account_id, status, position, online, guest_name, checkin_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $6, $7, $8, $5, $5) \
             ON CONFLICT (session_id, account_id) DO UPDATE SET status = $3, position = $4, late = 0, online = $6, guest_name = $7, updated_at = $5, \
             checkin_code = CASE WHEN rsvps.checkin_code = '' THEN $8 ELSE rsvps.checkin_code END",
        )
        .bind(session_id)
        .bind(account_id)
        .bind(status.as_str())
        .bind(position)
        .bind(now)
        .bind(party.online as i64)
        .bind(&party.guest_name)
        .bind(new_checkin_code())
        .execute(&mut *tx)
        .await?;
        refresh_going(&mut tx, session_id).await?;
        enqueue_session_mail(&mut tx, MAIL_RSVP, session_id, account_id, position, now).await?;
        if status == RsvpStatus::Going {
            enqueue_reminders(&mut tx, session_id, account_id, self.room_opens_seconds, now).await?;
        }
        notify(&mut tx, self.backend).await?;
        let r = waitlist_place(&mut tx, session_id, account_id).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Withdraws an answer; a freed place goes to the first on the waitlist.
    /// Returns who was promoted.
    pub async fn cancel_rsvp(&self, session_id: &str, account_id: &str, late: bool, now: i64) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        lock_session(&mut tx, session_id).await?;
        let was: Option<String> = sqlx::query_scalar("SELECT status FROM rsvps WHERE session_id = $1 AND account_id = $2")
            .bind(session_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        let r = sqlx::query("UPDATE rsvps SET status = 'cancelled', late = $3, updated_at = $4 WHERE session_id = $1 AND account_id = $2 AND status <> 'cancelled'")
            .bind(session_id)
            .bind(account_id)
            .bind(late as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Only someone going holds an invitation to withdraw.
        if was.as_deref() == Some("going") {
            let position = rsvp_position(&mut tx, session_id, account_id).await?;
            enqueue_session_mail(&mut tx, MAIL_RSVP_CANCELLED, session_id, account_id, position, now).await?;
        }
        let promoted = promote(&mut tx, session_id, self.room_opens_seconds, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(promoted)
    }

    pub async fn rsvp_status(&self, session_id: &str, account_id: &str) -> Result<Option<RsvpResult>> {
        let mut tx = self.begin().await?;
        let existing: Option<String> = sqlx::query_scalar("SELECT status FROM rsvps WHERE session_id = $1 AND account_id = $2")
            .bind(session_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        let r = match existing.as_deref() {
            Some("going") | Some("waitlisted") => Some(waitlist_place(&mut tx, session_id, account_id).await?),
            _ => None,
        };
        tx.commit().await?;
        Ok(r)
    }

    /// Everyone who answered, going first, then the waitlist in order, then cancellations.
    pub async fn rsvps(&self, session_id: &str) -> Result<Vec<Rsvp>> {
        let rows = sqlx::query(
            "SELECT r.account_id, a.display_name, a.pronouns, r.status, r.position, r.late, r.attendance, r.updated_at FROM rsvps r \
             JOIN accounts a ON a.id = r.account_id WHERE r.session_id = $1 \
             ORDER BY CASE r.status WHEN 'going' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, r.position, r.account_id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let st: String = col(r, "status")?;
                Ok(Rsvp {
                    account_id: col(r, "account_id")?,
                    display_name: col(r, "display_name")?,
                    pronouns: col(r, "pronouns")?,
                    status: RsvpStatus::parse(&st).unwrap_or(RsvpStatus::Cancelled),
                    position: col(r, "position")?,
                    late: flag(r, "late")?,
                    attendance: col(r, "attendance")?,
                    updated_at: col(r, "updated_at")?,
                })
            })
            .collect()
    }

    /// Someone left or was removed: their future places go to the waitlists,
    /// and they stop following the community's series. Returns, per session,
    /// who got a place.
    pub async fn release_places(&self, community_id: &str, account_id: &str, now: i64) -> Result<Vec<(String, Vec<String>)>> {
        let sessions: Vec<String> = sqlx::query_scalar(
            "SELECT r.session_id FROM rsvps r JOIN sessions s ON s.id = r.session_id \
             WHERE r.account_id = $2 AND s.community_id = $1 AND s.starts_at > $3 AND r.status <> 'cancelled'",
        )
        .bind(community_id)
        .bind(account_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut promoted = Vec::new();
        for session_id in sessions {
            match self.cancel_rsvp(&session_id, account_id, false, now).await {
                Ok(p) => promoted.push((session_id, p)),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        sqlx::query("DELETE FROM series_followers WHERE account_id = $2 AND series_id IN (SELECT id FROM series WHERE community_id = $1)")
            .bind(community_id)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(promoted)
    }

    pub async fn mark_attendance(&self, session_id: &str, account_id: &str, attendance: &str, now: i64) -> Result<()> {
        touched(
            sqlx::query("UPDATE rsvps SET attendance = $3, updated_at = $4 WHERE session_id = $1 AND account_id = $2")
                .bind(session_id)
                .bind(account_id)
                .bind(attendance)
                .bind(now)
                .execute(&self.pool)
                .await?,
        )
    }

    pub async fn follow_series(&self, series_id: &str, account_id: &str, follow: bool, now: i64) -> Result<()> {
        if follow {
            sqlx::query("INSERT INTO series_followers (series_id, account_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (series_id, account_id) DO NOTHING")
                .bind(series_id)
                .bind(account_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
        } else {
            sqlx::query("DELETE FROM series_followers WHERE series_id = $1 AND account_id = $2")
                .bind(series_id)
                .bind(account_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub async fn series_followers(&self, series_id: &str) -> Result<Vec<String>> {
        // Only people still in the community keep getting places.
        Ok(sqlx::query_scalar(
            "SELECT f.account_id FROM series_followers f JOIN series s ON s.id = f.series_id \
             JOIN memberships m ON m.community_id = s.community_id AND m.account_id = f.account_id AND m.status = 'active' \
             WHERE f.series_id = $1 ORDER BY f.created_at, f.account_id",
        )
        .bind(series_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn follows_series(&self, series_id: &str, account_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM series_followers WHERE series_id = $1 AND account_id = $2")
            .bind(series_id)
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Upcoming sessions of a series that a person has not answered yet.
    pub async fn unanswered_sessions(&self, series_id: &str, account_id: &str, from: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT s.id FROM sessions s WHERE s.series_id = $1 AND s.starts_at > $3 AND s.status = 'scheduled' \
             AND NOT EXISTS (SELECT 1 FROM rsvps r WHERE r.session_id = s.id AND r.account_id = $2) ORDER BY s.starts_at",
        )
        .bind(series_id)
        .bind(account_id)
        .bind(from)
        .fetch_all(&self.pool)
        .await?)
    }
}

async fn waitlist_place(tx: &mut Tx<'_>, session_id: &str, account_id: &str) -> Result<RsvpResult> {
    let row = sqlx::query("SELECT status, position FROM rsvps WHERE session_id = $1 AND account_id = $2")
        .bind(session_id)
        .bind(account_id)
        .fetch_one(&mut **tx)
        .await?;
    let status: String = col(&row, "status")?;
    let position: i64 = col(&row, "position")?;
    let status = RsvpStatus::parse(&status).unwrap_or(RsvpStatus::Cancelled);
    let place = if status == RsvpStatus::Waitlisted {
        sqlx::query_scalar("SELECT COUNT(*) FROM rsvps WHERE session_id = $1 AND status = 'waitlisted' AND position <= $2")
            .bind(session_id)
            .bind(position)
            .fetch_one(&mut **tx)
            .await?
    } else {
        0
    };
    Ok(RsvpResult { status, waitlist_place: place })
}
