//! Sessions: one occurrence each, read for pages, lists and feeds, and
//! edited on its own.

use crate::jobs::notify;
use crate::mail_jobs::{enqueue_session_mail, MAIL_SESSION_UPDATED};
use crate::rsvps::{lock_session, promote};
use crate::schedule::{bind_content, content, Content, Tx};
use crate::{col, flag, MySession, Result, Store, StoreError};
use cowork_core::rsvp::RsvpStatus;
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: String,
    pub series_id: String,
    pub community_id: String,
    pub community_slug: String,
    pub community_name: String,
    pub occurrence: String,
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(flatten)]
    pub content: Content,
    pub cancelled: bool,
    /// The organizer's word when cancelling ('' for none).
    pub cancel_note: String,
    pub detached: bool,
    pub sequence: i64,
    /// Seats taken in person (or places, for a call); a guest takes one too.
    pub going_count: i64,
    /// Online places taken at a hybrid session.
    pub online_going: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Session {
    pub fn places_left(&self) -> Option<i64> {
        (self.content.capacity > 0).then(|| (self.content.capacity - self.going_count).max(0))
    }
    pub fn online_places_left(&self) -> Option<i64> {
        (self.content.online_capacity > 0).then(|| (self.content.online_capacity - self.online_going).max(0))
    }
    /// Whether people meet at a place (in person or hybrid).
    pub fn at_a_place(&self) -> bool {
        !self.content.place_id.is_empty() && self.content.place != "online"
    }
}

pub(crate) const SESSION_COLUMNS: &str =
    "s.id, s.series_id, s.community_id, c.slug AS community_slug, c.name AS community_name, s.occurrence, s.starts_at, \
     s.ends_at, s.title, s.description, s.format_name, s.phases, s.time_zone, s.capacity, s.place, s.video_url, s.place_id, s.language, s.online_capacity, s.kind, s.online_going, \
     s.status, s.cancel_note, s.detached, s.sequence, s.going_count, s.created_at, s.updated_at";

pub(crate) fn session(r: &AnyRow) -> Result<Session> {
    let status: String = col(r, "status")?;
    Ok(Session {
        id: col(r, "id")?,
        series_id: col(r, "series_id")?,
        community_id: col(r, "community_id")?,
        community_slug: col(r, "community_slug")?,
        community_name: col(r, "community_name")?,
        occurrence: col(r, "occurrence")?,
        starts_at: col(r, "starts_at")?,
        ends_at: col(r, "ends_at")?,
        content: content(r)?,
        cancelled: status == "cancelled",
        cancel_note: col(r, "cancel_note")?,
        detached: flag(r, "detached")?,
        sequence: col(r, "sequence")?,
        going_count: col(r, "going_count")?,
        online_going: col(r, "online_going")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

/// Filters of the public upcoming directory.
#[derive(Debug, Clone, Default)]
pub struct UpcomingFilter {
    pub topic: String,
    pub language: String,
    /// online | in_person | ''
    pub place: String,
}

impl UpcomingFilter {
    /// A LIKE pattern for one topic in a community's comma-separated topics ('' for any).
    pub(crate) fn topic_pattern(&self) -> String {
        if self.topic.trim().is_empty() {
            String::new()
        } else {
            format!("%,{},%", self.topic.trim().to_lowercase().replace(['%', '_', '\\'], ""))
        }
    }
}

impl Store {
    pub async fn session(&self, id: &str) -> Result<Session> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions s JOIN communities c ON c.id = s.community_id WHERE s.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        session(&row.ok_or(StoreError::NotFound)?)
    }

    /// Sessions by id, in no particular order; ids that are not there are left out.
    pub async fn sessions_by_ids(&self, ids: &[String]) -> Result<Vec<Session>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {SESSION_COLUMNS} FROM sessions s JOIN communities c ON c.id = s.community_id WHERE s.id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(session(&r)?);
            }
        }
        Ok(out)
    }

    /// A session and one person's answer to it (None: they never answered),
    /// in one round trip (a reminder checks both).
    pub async fn session_and_answer(&self, id: &str, account_id: &str) -> Result<(Session, Option<RsvpStatus>)> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, r.status AS answer FROM sessions s JOIN communities c ON c.id = s.community_id \
             LEFT JOIN rsvps r ON r.session_id = s.id AND r.account_id = $2 WHERE s.id = $1"
        );
        let row = sqlx::query(&sql).bind(id).bind(account_id).fetch_optional(&self.pool).await?;
        let row = row.ok_or(StoreError::NotFound)?;
        let answer = col::<Option<String>>(&row, "answer")?.and_then(|a| RsvpStatus::parse(&a));
        Ok((session(&row)?, answer))
    }

    /// A community's sessions starting in `[from, to)`, cancelled ones included.
    pub async fn community_sessions(&self, community_id: &str, from: i64, to: i64, limit: i64) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN communities c ON c.id = s.community_id \
             WHERE s.community_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 ORDER BY s.starts_at, s.id LIMIT $4"
        );
        let rows = sqlx::query(&sql).bind(community_id).bind(from).bind(to).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(session).collect()
    }

    pub async fn series_sessions(&self, series_id: &str, from: i64, limit: i64) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN communities c ON c.id = s.community_id \
             WHERE s.series_id = $1 AND s.ends_at > $2 ORDER BY s.starts_at, s.id LIMIT $3"
        );
        let rows = sqlx::query(&sql).bind(series_id).bind(from).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(session).collect()
    }

    /// Sessions of a series and of every series split from it since ("this and
    /// following"), so a page or feed of the series keeps showing what it became.
    pub async fn series_family_sessions(&self, series_id: &str, from: i64, limit: i64) -> Result<Vec<Session>> {
        let sql = format!(
            "WITH RECURSIVE family(id) AS (SELECT CAST($1 AS TEXT) UNION SELECT x.id FROM series x JOIN family f ON x.parent_id = f.id) \
             SELECT {SESSION_COLUMNS} FROM sessions s JOIN communities c ON c.id = s.community_id \
             WHERE s.series_id IN (SELECT id FROM family) AND s.ends_at > $2 ORDER BY s.starts_at, s.id LIMIT $3"
        );
        let rows = sqlx::query(&sql).bind(series_id).bind(from).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(session).collect()
    }

    /// Scheduled sessions of public communities from `from` on, soonest first.
    pub async fn upcoming_public(&self, f: &UpcomingFilter, from: i64, limit: i64, offset: i64) -> Result<Vec<Session>> {
        let topic = f.topic_pattern();
        let sql = format!(
            // CROSS JOIN keeps SQLite walking sessions in time order (PostgreSQL plans it like any join);
            // led by communities it would sort every upcoming session for one page.
            "SELECT {SESSION_COLUMNS} FROM sessions s CROSS JOIN communities c \
             WHERE c.id = s.community_id AND s.starts_at >= $1 AND s.status = 'scheduled' AND c.visibility = 'public' \
             AND ($2 = '' OR s.language = $2) AND ($3 = '' OR s.place = $3 OR ($3 = 'in_person' AND s.place = 'hybrid')) AND ($4 = '' OR c.topics LIKE $4) \
             ORDER BY s.starts_at, s.id LIMIT $5 OFFSET $6"
        );
        let rows = sqlx::query(&sql)
            .bind(from)
            .bind(&f.language)
            .bind(&f.place)
            .bind(topic)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session).collect()
    }

    /// Sessions a person answered, in `[from, to)`, with their answer (cancelled answers left out).
    pub async fn my_sessions(&self, account_id: &str, from: i64, to: i64, limit: i64) -> Result<Vec<MySession>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS}, r.status AS rsvp_status FROM rsvps r JOIN sessions s ON s.id = r.session_id \
             JOIN communities c ON c.id = s.community_id \
             JOIN memberships m ON m.community_id = s.community_id AND m.account_id = r.account_id AND m.status = 'active' \
             WHERE r.account_id = $1 AND r.status <> 'cancelled' AND s.ends_at > $2 AND s.starts_at < $3 ORDER BY s.starts_at, s.id LIMIT $4"
        );
        let rows = sqlx::query(&sql).bind(account_id).bind(from).bind(to).bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let st: String = col(r, "rsvp_status")?;
                Ok(MySession { session: session(r)?, status: RsvpStatus::parse(&st).unwrap_or(RsvpStatus::Going) })
            })
            .collect()
    }

    /// Edits one occurrence on its own (which detaches it from series edits).
    pub async fn update_session(&self, id: &str, c: &Content, starts_at: i64, ends_at: i64, now: i64) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        lock_session(&mut tx, id).await?;
        let before = when_and_where(&mut tx, id).await?;
        let q = sqlx::query(
            "UPDATE sessions SET title = $2, description = $3, format_name = $4, phases = $5, time_zone = $6, capacity = $7, place = $8, \
             video_url = $9, place_id = $10, language = $11, online_capacity = $12, kind = $13, starts_at = $14, ends_at = $15, detached = 1, \
             sequence = sequence + 1, updated_at = $16 \
             WHERE id = $1",
        )
        .bind(id);
        bind_content(q, c).bind(starts_at).bind(ends_at).bind(now).execute(&mut *tx).await?;
        // More places may now be free.
        let promoted = promote(&mut tx, id, self.room_opens_seconds, now).await?;
        if when_and_where(&mut tx, id).await? != before {
            tell_going_of_update(&mut tx, id, &promoted, self.room_opens_seconds, now).await?;
        }
        // A moved session's "starting in 10 minutes" moves with it (the old job finds the start changed).
        crate::webhooks::enqueue_starting(&mut tx, None, Some(id), now, i64::MAX, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(promoted)
    }
}

/// What an invitation's holder must hear of when it changes: time, place, link.
pub(crate) async fn when_and_where(tx: &mut Tx<'_>, id: &str) -> Result<(i64, i64, String, String, String)> {
    Ok(sqlx::query_as("SELECT starts_at, ends_at, place, video_url, place_id FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?)
}

/// Enqueues the updated invitation for everyone going (but those just given
/// a place, whose invitation is already the new one), keyed by the new SEQUENCE.
pub(crate) async fn tell_going_of_update(tx: &mut Tx<'_>, id: &str, skip: &[String], opens: i64, now: i64) -> Result<()> {
    let sequence: i64 = sqlx::query_scalar("SELECT sequence FROM sessions WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
    let going: Vec<String> =
        sqlx::query_scalar("SELECT account_id FROM rsvps WHERE session_id = $1 AND status = 'going' ORDER BY position")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    for account in going.iter().filter(|a| !skip.contains(a)) {
        enqueue_session_mail(tx, MAIL_SESSION_UPDATED, id, account, sequence, now).await?;
    }
    // A moved start gets new reminders (keyed by the start; unchanged ones enqueue nothing).
    crate::reminders::enqueue_reminders_for_going(tx, id, opens, now).await?;
    Ok(())
}
