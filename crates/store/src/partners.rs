//! Accountability partners: bookings of focus slots, and the
//! matches the core matcher makes. A slot's row lock (the write lock on
//! SQLite) serializes its bookings, cancellations and matching, so that
//! hundreds booking the same slot at once are each matched exactly once; the
//! mail telling someone of their partner is queued in the same transaction.

use crate::jobs::{enqueue, notify, NewJob};
use crate::partner_preferences::{lock_person, prefs_of, prefs_text};
use crate::schedule::Tx;
use crate::{new_id, Result, Store, StoreError};
use cowork_core::partners::{
    attendance_score, check_booking, is_late_cancellation, match_slot, Candidate, Held, Length, Outcome, Preferences, ScoreLimit,
};
use serde::Serialize;
use std::collections::BTreeSet;

/// Mail to someone matched with a partner (or a third joining them).
pub const MAIL_PARTNER_MATCHED: &str = "mail.partner_matched";
/// Mail to someone whose partner cancelled and who is waiting again.
pub const MAIL_PARTNER_LEFT: &str = "mail.partner_left";

/// A booking asked for.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// A community id, or "" for the instance-wide pool.
    pub pool: String,
    pub account_id: String,
    pub starts_at: i64,
    pub length: Length,
    pub prefs: Preferences,
    pub limit: ScoreLimit,
}

/// Someone as a partner sees them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartnerCard {
    pub account_id: String,
    pub name: String,
    pub pronouns: String,
    pub prefs: Preferences,
    pub favourite: bool,
    pub blocked: bool,
    /// Their own video link, offered to the people they are matched with.
    pub video_url: String,
    /// When they came into the pair's room (0: not yet).
    pub arrived_at: i64,
    /// Whether they show their record to the people they are matched with.
    pub record_public: bool,
}

/// One of my bookings, with whoever I am matched with.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerBooking {
    pub id: String,
    pub pool: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub minutes: i64,
    /// waiting | matched | cancelled
    pub status: String,
    pub match_id: String,
    pub prefs: Preferences,
    /// came | no_show | late_cancel, once known.
    pub outcome: Option<Outcome>,
    pub partners: Vec<PartnerCard>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The pair's own video room (filled in by the app once matched).
    pub video_url: String,
    /// When I came into the pair's room (0: not yet).
    pub arrived_at: i64,
    /// When I, left alone, asked to work with someone else (0: never).
    pub swap_asked_at: i64,
}

type BookingRow = (String, String, i64, i64, i64, String, String, String, String, i64, i64, i64, i64);
const BOOKING_COLUMNS: &str = "b.id, s.pool, b.starts_at, b.ends_at, s.minutes, b.status, b.match_id, b.prefs, b.outcome, \
     b.created_at, b.updated_at, b.arrived_at, b.swap_asked_at";

fn booking(r: BookingRow) -> PartnerBooking {
    let (id, pool, starts_at, ends_at, minutes, status, match_id, prefs, outcome, created_at, updated_at, arrived_at, swap_asked_at) = r;
    PartnerBooking {
        id,
        pool,
        starts_at,
        ends_at,
        minutes,
        status,
        match_id,
        prefs: prefs_of(&prefs),
        outcome: Outcome::parse(&outcome),
        partners: Vec::new(),
        created_at,
        updated_at,
        video_url: String::new(),
        arrived_at,
        swap_asked_at,
    }
}

/// The outcomes of a person's last matched sessions, most recent first.
async fn outcomes(tx: &mut Tx<'_>, account_id: &str) -> Result<Vec<Outcome>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM partner_bookings WHERE account_id = $1 AND outcome <> '' ORDER BY starts_at DESC, id LIMIT 20",
    )
    .bind(account_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.iter().filter_map(|o| Outcome::parse(o)).collect())
}

/// The people someone was matched with last, most recent first.
async fn recent_partners(tx: &mut Tx<'_>, account_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT o.account_id FROM partner_bookings b JOIN partner_bookings o ON o.match_id = b.match_id AND o.account_id <> b.account_id \
         WHERE b.account_id = $1 AND b.match_id <> '' ORDER BY b.starts_at DESC, o.account_id LIMIT 20",
    )
    .bind(account_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// A candidate for the matcher: their booking, preferences, marks and history.
pub(crate) async fn candidate(tx: &mut Tx<'_>, booking: String, account_id: String, booked_at: i64, prefs: &str) -> Result<Candidate> {
    let marks: Vec<(String, String)> =
        sqlx::query_as("SELECT other_id, mark FROM partner_marks WHERE account_id = $1").bind(&account_id).fetch_all(&mut **tx).await?;
    let of = |m: &str| marks.iter().filter(|(_, k)| k == m).map(|(o, _)| o.clone()).collect::<BTreeSet<String>>();
    let recent = recent_partners(tx, &account_id).await?;
    Ok(Candidate {
        booking,
        favourites: of("favourite"),
        avoid: of("block"),
        recent,
        booked_at,
        prefs: prefs_of(prefs),
        person: account_id,
    })
}

pub(crate) async fn tell(tx: &mut Tx<'_>, kind: &'static str, booking_id: &str, account_id: &str, tag: &str, now: i64) -> Result<()> {
    let payload = serde_json::json!({ "booking_id": booking_id, "account_id": account_id });
    enqueue(tx, &NewJob::new(kind, format!("{kind}:{booking_id}:{tag}"), payload, now), now).await?;
    Ok(())
}

/// Runs the matcher over a slot's waiting bookings (the slot locked by the
/// caller, which starts at `starts_at`) and records the pairs, or threes when
/// `threes`. Returns the new matches.
async fn match_waiting(tx: &mut Tx<'_>, slot_id: &str, starts_at: i64, threes: bool, now: i64) -> Result<usize> {
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT id, account_id, created_at, prefs FROM partner_bookings WHERE slot_id = $1 AND status = 'waiting' ORDER BY created_at, id",
    )
    .bind(slot_id)
    .fetch_all(&mut **tx)
    .await?;
    if rows.len() < 2 && !(threes && rows.len() == 1) {
        return Ok(0);
    }
    let mut waiting = Vec::with_capacity(rows.len());
    for (id, account, at, prefs) in rows {
        waiting.push(candidate(tx, id, account, at, &prefs).await?);
    }
    // Pairs a third may join: matches of exactly two, oldest first.
    let mut groups: Vec<(String, Vec<Candidate>)> = Vec::new();
    if threes {
        let pairs: Vec<(String, String, String, i64, String)> = sqlx::query_as(
            "SELECT b.match_id, b.id, b.account_id, b.created_at, b.prefs FROM partner_bookings b \
             WHERE b.slot_id = $1 AND b.status = 'matched' ORDER BY b.match_id, b.created_at, b.id",
        )
        .bind(slot_id)
        .fetch_all(&mut **tx)
        .await?;
        for (match_id, id, account, at, prefs) in pairs {
            let c = candidate(tx, id, account, at, &prefs).await?;
            match groups.last_mut() {
                Some((m, members)) if *m == match_id => members.push(c),
                _ => groups.push((match_id, vec![c])),
            }
        }
        groups.retain(|(_, members)| members.len() == 2);
    }
    let group_members: Vec<Vec<Candidate>> = groups.iter().map(|(_, m)| m.clone()).collect();
    let m = match_slot(&waiting, &group_members, threes);
    let mut match_ids: Vec<String> = groups.iter().map(|(id, _)| id.clone()).collect();
    for &(a, b) in &m.pairs {
        let match_id = new_id();
        sqlx::query("INSERT INTO partner_matches (id, slot_id, created_at) VALUES ($1, $2, $3)")
            .bind(&match_id)
            .bind(slot_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        for c in [&waiting[a], &waiting[b]] {
            join(tx, &c.booking, &match_id, now).await?;
            tell(tx, MAIL_PARTNER_MATCHED, &c.booking, &c.person, &match_id, now).await?;
        }
        // A pair made after the start (threes formed late) has 5 minutes from now to come.
        if now > starts_at {
            enqueue_no_shows(tx, slot_id, &match_id, now + cowork_core::partners::NO_SHOW_AFTER_SECONDS, now).await?;
        }
        match_ids.push(match_id);
    }
    for &(u, g) in &m.threes {
        let match_id = &match_ids[g];
        join(tx, &waiting[u].booking, match_id, now).await?;
        tell(tx, MAIL_PARTNER_MATCHED, &waiting[u].booking, &waiting[u].person, match_id, now).await?;
        // The pair hears of their third.
        let others: Vec<(String, String)> =
            sqlx::query_as("SELECT id, account_id FROM partner_bookings WHERE match_id = $1 AND status = 'matched' AND id <> $2")
                .bind(match_id)
                .bind(&waiting[u].booking)
                .fetch_all(&mut **tx)
                .await?;
        for (id, account) in others {
            tell(tx, MAIL_PARTNER_MATCHED, &id, &account, &format!("{match_id}:3"), now).await?;
        }
    }
    Ok(m.pairs.len() + m.threes.len())
}

/// The latest match two people were in together, and its pool. With
/// `started_by`, neither may have cancelled out of it and it must have
/// started by then or have had both in its room: they shared a session, not
/// only each other's card.
pub(crate) async fn shared_match(
    conn: &mut sqlx::AnyConnection,
    a: &str,
    b: &str,
    started_by: Option<i64>,
) -> Result<Option<(String, String)>> {
    let session = if started_by.is_some() {
        "AND x.status <> 'cancelled' AND y.status <> 'cancelled' \
         AND (x.starts_at <= $3 OR (x.arrived_at > 0 AND y.arrived_at > 0))"
    } else {
        ""
    };
    let sql = format!(
        "SELECT x.match_id, s.pool FROM partner_bookings x JOIN partner_bookings y ON y.match_id = x.match_id \
         JOIN partner_slots s ON s.id = x.slot_id WHERE x.account_id = $1 AND y.account_id = $2 AND x.match_id <> '' {session} \
         ORDER BY x.starts_at DESC, x.match_id LIMIT 1"
    );
    let mut query = sqlx::query_as(&sql).bind(a).bind(b);
    if let Some(at) = started_by {
        query = query.bind(at);
    }
    Ok(query.fetch_optional(conn).await?)
}

/// Puts a booking in a match. Coming into a room is of that room: whoever
/// came into an earlier one (and was left alone there) has yet to come into
/// this one, so that their new partner is not told they are here.
pub(crate) async fn join(tx: &mut Tx<'_>, booking_id: &str, match_id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE partner_bookings SET status = 'matched', match_id = $2, swap_asked_at = 0, arrived_at = 0, updated_at = $3 WHERE id = $1",
    )
    .bind(booking_id)
    .bind(match_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Locks a slot's row; returns its id, pool, start and length.
pub(crate) async fn lock_slot(tx: &mut Tx<'_>, slot_id: &str) -> Result<(String, i64, i64)> {
    let r: Option<(String, i64, i64)> =
        sqlx::query_as("UPDATE partner_slots SET booked = booked WHERE id = $1 RETURNING pool, starts_at, minutes")
            .bind(slot_id)
            .fetch_optional(&mut **tx)
            .await?;
    r.ok_or(StoreError::NotFound)
}

/// A partner's id, name, pronouns, preferences, my mark, their video link, arrival, record shown.
type CardRow = (String, String, String, String, Option<String>, Option<String>, i64, Option<i64>);

impl Store {
    /// Books a slot and matches it at once if someone suitable is waiting.
    /// The booking rules (quarter hour, ahead, overlap, the score's limit)
    /// are checked under the person's lock, so two tabs cannot overbook.
    pub async fn book_partner_slot(&self, r: &BookingRequest, now: i64) -> Result<PartnerBooking> {
        let mut tx = self.begin().await?;
        lock_person(&mut tx, &r.account_id, Some(&r.prefs), now).await?;
        let held: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT starts_at, ends_at FROM partner_bookings WHERE account_id = $1 AND status <> 'cancelled' AND ends_at > $2 ORDER BY starts_at",
        )
        .bind(&r.account_id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let held: Vec<Held> = held.into_iter().map(|(starts_at, ends_at)| Held { starts_at, ends_at }).collect();
        let score = attendance_score(&outcomes(&mut tx, &r.account_id).await?);
        check_booking(now, r.starts_at, r.length, &held, r.limit.slots_for(score)).map_err(StoreError::Refused)?;
        let slot_id: String = sqlx::query_scalar(
            "INSERT INTO partner_slots (id, pool, starts_at, minutes, booked) VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (pool, starts_at, minutes) DO UPDATE SET booked = partner_slots.booked + 1 RETURNING id",
        )
        .bind(new_id())
        .bind(&r.pool)
        .bind(r.starts_at)
        .bind(r.length.minutes())
        .fetch_one(&mut *tx)
        .await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO partner_bookings (id, slot_id, account_id, starts_at, ends_at, status, prefs, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $7)",
        )
        .bind(&id)
        .bind(&slot_id)
        .bind(&r.account_id)
        .bind(r.starts_at)
        .bind(r.starts_at + r.length.seconds())
        .bind(prefs_text(&r.prefs))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let threes = now >= r.starts_at - cowork_core::partners::THREES_BEFORE_SECONDS;
        match_waiting(&mut tx, &slot_id, r.starts_at, threes, now).await?;
        // Odd ones out who chose a group of three join one close to the start.
        let key = format!("{PARTNER_THREES}:{slot_id}");
        let at = (r.starts_at - cowork_core::partners::THREES_BEFORE_SECONDS).max(now);
        enqueue(&mut tx, &NewJob::new(PARTNER_THREES, key, serde_json::json!({ "slot_id": slot_id }), at), now).await?;
        // Whoever is matched and has not come 5 minutes in is a no-show.
        let at = r.starts_at + cowork_core::partners::NO_SHOW_AFTER_SECONDS;
        enqueue_no_shows(&mut tx, &slot_id, &slot_id, at, now).await?;
        crate::reminders::enqueue_partner_reminders(&mut tx, &id, &r.account_id, r.starts_at, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        self.partner_booking(&r.account_id, &id).await
    }

    /// Cancels a booking of mine. A partner left alone goes back to waiting
    /// and is matched again if they can be, else told. Returns whether it
    /// counted as late.
    pub async fn cancel_partner_booking(&self, account_id: &str, booking_id: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        lock_person(&mut tx, account_id, None, now).await?;
        let b: Option<(String, String, i64, String, String)> =
            sqlx::query_as("SELECT slot_id, status, starts_at, match_id, outcome FROM partner_bookings WHERE id = $1 AND account_id = $2")
                .bind(booking_id)
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((slot_id, status, starts_at, match_id, _)) = b else { return Err(StoreError::NotFound) };
        if status == "cancelled" {
            tx.commit().await?;
            return Ok(false);
        }
        if starts_at <= now {
            return Err(StoreError::Refused(cowork_core::FieldError::new(
                "booking",
                "That session has started; it can no longer be cancelled.",
            )));
        }
        lock_slot(&mut tx, &slot_id).await?;
        let late = status == "matched" && is_late_cancellation(now, starts_at);
        sqlx::query("UPDATE partner_bookings SET status = 'cancelled', outcome = $2, updated_at = $3 WHERE id = $1")
            .bind(booking_id)
            .bind(if late { Outcome::LateCancel.as_str() } else { "" })
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if !match_id.is_empty() {
            let left: Vec<(String, String)> =
                sqlx::query_as("SELECT id, account_id FROM partner_bookings WHERE match_id = $1 AND status = 'matched'")
                    .bind(&match_id)
                    .fetch_all(&mut *tx)
                    .await?;
            // A three goes on as a pair; a pair's other half waits again.
            if left.len() == 1 {
                let (other, other_account) = &left[0];
                sqlx::query("UPDATE partner_bookings SET status = 'waiting', match_id = '', updated_at = $2 WHERE id = $1")
                    .bind(other)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM partner_matches WHERE id = $1").bind(&match_id).execute(&mut *tx).await?;
                let threes = now >= starts_at - cowork_core::partners::THREES_BEFORE_SECONDS;
                match_waiting(&mut tx, &slot_id, starts_at, threes, now).await?;
                let still: String =
                    sqlx::query_scalar("SELECT status FROM partner_bookings WHERE id = $1").bind(other).fetch_one(&mut *tx).await?;
                if still == "waiting" {
                    tell(&mut tx, MAIL_PARTNER_LEFT, other, other_account, &match_id, now).await?;
                }
            }
        }
        sqlx::query("UPDATE partner_slots SET booked = booked - 1 WHERE id = $1").bind(&slot_id).execute(&mut *tx).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(late)
    }

    /// Forms threes in a slot close to its start (the job queued at booking).
    pub async fn form_partner_threes(&self, slot_id: &str, now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        let (_, starts_at, _) = match lock_slot(&mut tx, slot_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Ok(0),
            Err(e) => return Err(e),
        };
        let n = if now < starts_at + cowork_core::partners::NO_SHOW_AFTER_SECONDS {
            match_waiting(&mut tx, slot_id, starts_at, true, now).await?
        } else {
            0
        };
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// One booking of mine, with my partners.
    pub async fn partner_booking(&self, account_id: &str, booking_id: &str) -> Result<PartnerBooking> {
        let sql = format!("SELECT {BOOKING_COLUMNS} FROM partner_bookings b JOIN partner_slots s ON s.id = b.slot_id WHERE b.id = $1 AND b.account_id = $2");
        let r: Option<BookingRow> = sqlx::query_as(&sql).bind(booking_id).bind(account_id).fetch_optional(&self.pool).await?;
        let mut b = booking(r.ok_or(StoreError::NotFound)?);
        b.partners = self.partners_of(account_id, &b).await?;
        Ok(b)
    }

    /// My bookings ending after `from`, soonest first (cancelled ones left out).
    pub async fn my_partner_bookings(&self, account_id: &str, from: i64, limit: i64) -> Result<Vec<PartnerBooking>> {
        let sql = format!(
            "SELECT {BOOKING_COLUMNS} FROM partner_bookings b JOIN partner_slots s ON s.id = b.slot_id \
             WHERE b.account_id = $1 AND b.ends_at > $2 AND b.status <> 'cancelled' ORDER BY b.starts_at, b.id LIMIT $3"
        );
        self.bookings_with_partners(&sql, account_id, from, limit).await
    }

    /// My past matched sessions, most recent first.
    pub async fn my_partner_history(&self, account_id: &str, before: i64, limit: i64) -> Result<Vec<PartnerBooking>> {
        let sql = format!(
            "SELECT {BOOKING_COLUMNS} FROM partner_bookings b JOIN partner_slots s ON s.id = b.slot_id \
             WHERE b.account_id = $1 AND b.starts_at <= $2 AND (b.match_id <> '' OR b.outcome <> '') ORDER BY b.starts_at DESC, b.id LIMIT $3"
        );
        self.bookings_with_partners(&sql, account_id, before, limit).await
    }

    /// My bookings a query selects (by account, an instant and a limit), each with my partners.
    async fn bookings_with_partners(&self, sql: &str, account_id: &str, at: i64, limit: i64) -> Result<Vec<PartnerBooking>> {
        let rows: Vec<BookingRow> = sqlx::query_as(sql).bind(account_id).bind(at).bind(limit).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut b = booking(r);
            b.partners = self.partners_of(account_id, &b).await?;
            out.push(b);
        }
        Ok(out)
    }

    /// The others in my booking's match, as I see them (with my marks on
    /// them). Their own video links are for those still in the match: not
    /// for me once I cancelled out of it.
    async fn partners_of(&self, account_id: &str, mine: &PartnerBooking) -> Result<Vec<PartnerCard>> {
        let match_id = &mine.match_id;
        if match_id.is_empty() {
            return Ok(Vec::new());
        }
        let still_in = mine.status != "cancelled";
        let rows: Vec<CardRow> = sqlx::query_as(
            "SELECT a.id, a.display_name, a.pronouns, b.prefs, m.mark, pp.video_url, b.arrived_at, pp.record_public \
             FROM partner_bookings b JOIN accounts a ON a.id = b.account_id \
             LEFT JOIN partner_marks m ON m.account_id = $2 AND m.other_id = b.account_id \
             LEFT JOIN partner_preferences pp ON pp.account_id = b.account_id \
             WHERE b.match_id = $1 AND b.account_id <> $2 AND b.status <> 'cancelled' ORDER BY b.created_at, b.id",
        )
        .bind(match_id)
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, pronouns, prefs, mark, video_url, arrived_at, public)| PartnerCard {
                account_id: id,
                name,
                pronouns,
                prefs: prefs_of(&prefs),
                favourite: mark.as_deref() == Some("favourite"),
                blocked: mark.as_deref() == Some("block"),
                video_url: video_url.filter(|_| still_in).unwrap_or_default(),
                arrived_at,
                record_public: public.unwrap_or(0) != 0,
            })
            .collect())
    }

    /// Whether two people were ever matched (a card's actions need it).
    pub async fn were_partners(&self, a: &str, b: &str) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        Ok(shared_match(&mut conn, a, b, None).await?.is_some())
    }

    /// Marks another person as a favourite or blocked, or clears the mark (None).
    pub async fn mark_partner(&self, account_id: &str, other_id: &str, mark: Option<&str>, now: i64) -> Result<()> {
        match mark {
            Some(m) => {
                sqlx::query(
                    "INSERT INTO partner_marks (account_id, other_id, mark, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (account_id, other_id) DO UPDATE SET mark = $3, created_at = $4",
                )
                .bind(account_id)
                .bind(other_id)
                .bind(m)
                .bind(now)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM partner_marks WHERE account_id = $1 AND other_id = $2")
                    .bind(account_id)
                    .bind(other_id)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// My attendance score over my last matched sessions, and how many counted.
    pub async fn partner_score(&self, account_id: &str) -> Result<(Option<u8>, usize)> {
        let mut tx = self.pool.begin().await?;
        let o = outcomes(&mut tx, account_id).await?;
        tx.commit().await?;
        Ok((attendance_score(&o), o.len()))
    }

    /// A community's partner settings: off | members | everyone, and its score limit.
    pub async fn community_partners(&self, community_id: &str) -> Result<(String, ScoreLimit)> {
        let r: Option<(String, i64, i64)> =
            sqlx::query_as("SELECT partners, partners_score_below, partners_score_slots FROM communities WHERE id = $1")
                .bind(community_id)
                .fetch_optional(&self.pool)
                .await?;
        let (mode, below, slots) = r.ok_or(StoreError::NotFound)?;
        Ok((mode, ScoreLimit { below: below.clamp(0, 100) as u8, slots: slots.clamp(0, 1000) as u32 }))
    }

    pub async fn set_community_partners(&self, community_id: &str, mode: &str, limit: ScoreLimit) -> Result<()> {
        crate::touched(
            sqlx::query("UPDATE communities SET partners = $2, partners_score_below = $3, partners_score_slots = $4 WHERE id = $1")
                .bind(community_id)
                .bind(mode)
                .bind(i64::from(limit.below))
                .bind(i64::from(limit.slots))
                .execute(&self.pool)
                .await?,
        )
    }

    /// How many are booked for each slot of a pool starting in `[from, to)`, and waiting.
    pub async fn partner_slot_counts(&self, pool: &str, from: i64, to: i64) -> Result<Vec<(i64, i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT s.starts_at, s.minutes, s.booked, \
             (SELECT COUNT(*) FROM partner_bookings b WHERE b.slot_id = s.id AND b.status = 'waiting') \
             FROM partner_slots s WHERE s.pool = $1 AND s.starts_at >= $2 AND s.starts_at < $3 AND s.booked > 0 ORDER BY s.starts_at, s.minutes",
        )
        .bind(pool)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The job that forms threes in a slot near its start.
pub const PARTNER_THREES: &str = "partners.threes";
/// The job that marks who did not come as a no-show.
pub const PARTNER_NO_SHOWS: &str = "partners.no_shows";

/// Queues the no-show check of a slot's matches at `at` (`tag` tells apart
/// the check at the start from those after a swap).
pub(crate) async fn enqueue_no_shows(tx: &mut Tx<'_>, slot_id: &str, tag: &str, at: i64, now: i64) -> Result<bool> {
    let job = NewJob::new(PARTNER_NO_SHOWS, format!("{PARTNER_NO_SHOWS}:{tag}"), serde_json::json!({ "slot_id": slot_id }), at);
    enqueue(tx, &job, now).await
}
