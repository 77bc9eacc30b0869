//! What a live room keeps: its timer and notes, goals, chat, breakout tables,
//! removals, reports and feedback. Changes to a live room are written
//! through its log (`room_log`); what is here reads what it left behind.
//!
//! Instants here are milliseconds (the room's clock), unlike the rest of the
//! store, which counts seconds.

use crate::{col, flag, Result, Store, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Executor;

/// The row of a room: its timer (JSON, read by the server) and notes.
#[derive(Debug, Clone)]
pub struct RoomRecord {
    pub timer: String,
    pub notes: String,
    pub notes_version: i64,
    pub notes_by: String,
    pub notes_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Goal {
    pub id: String,
    pub account: String,
    pub name: String,
    pub text: String,
    pub outcome: String,
    pub note: String,
    pub at_ms: i64,
}

pub(crate) fn goal(r: &AnyRow) -> Result<Goal> {
    Ok(Goal {
        id: col(r, "id")?,
        account: col(r, "account_id")?,
        name: col(r, "display_name")?,
        text: col(r, "text")?,
        outcome: col(r, "outcome")?,
        note: col(r, "note")?,
        at_ms: col(r, "created_at")?,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub account: String,
    pub name: String,
    pub table: Option<String>,
    pub text: String,
    pub at_ms: i64,
}

pub(crate) fn message(r: &AnyRow) -> Result<Message> {
    Ok(Message {
        id: col(r, "id")?,
        account: col(r, "account_id")?,
        name: col(r, "display_name")?,
        table: col(r, "table_id")?,
        text: col(r, "text")?,
        at_ms: col(r, "created_at")?,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Table {
    pub id: String,
    pub topic: String,
    pub video_url: String,
    pub proposed_by: String,
    pub proposed_by_name: String,
    pub closed: bool,
    pub until_phase: i64,
}

pub(crate) fn table(r: &AnyRow) -> Result<Table> {
    Ok(Table {
        id: col(r, "id")?,
        topic: col(r, "topic")?,
        video_url: col(r, "video_url")?,
        proposed_by: col(r, "proposed_by")?,
        proposed_by_name: col(r, "display_name")?,
        closed: flag(r, "closed")?,
        until_phase: col(r, "until_phase")?,
    })
}

/// Feedback as organizers see it: the name only when the giver allowed it.
#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    pub session_id: String,
    pub starts_at: i64,
    pub name: Option<String>,
    pub rating: i64,
    pub comment: String,
    pub created_at: i64,
}

/// One's own feedback on a session, as the room shows it back.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MyFeedback {
    Named { rating: i64, comment: String },
    Anonymous,
}

/// A past session someone was in, with the goals they set there.
#[derive(Debug, Clone, Serialize)]
pub struct GoalHistory {
    pub session_id: String,
    pub title: String,
    pub community_name: String,
    pub starts_at: i64,
    pub goals: Vec<Goal>,
    /// A pair's session (its page is the pair's room, not a community's session page).
    pub pair: bool,
}

/// A room as the log has it at `seq`, read in one consistent snapshot.
#[derive(Debug, Clone)]
pub struct RoomLoad {
    pub seq: u64,
    pub timer: String,
    pub notes: String,
    pub notes_version: i64,
    pub notes_by: String,
    pub notes_at: i64,
    pub goals: Vec<Goal>,
    pub messages: Vec<Message>,
    pub tables: Vec<Table>,
    /// People here now (JSON, as logged), in the order they came.
    pub people: Vec<String>,
    pub removed: Vec<String>,
}

impl Store {
    /// Everything a node needs to show a room, as of one `seq`: read in one
    /// snapshot, so that the events after it are exactly those with a higher `seq`.
    pub async fn load_room(&self, session_id: &str, messages: i64) -> Result<RoomLoad> {
        let mut tx = self.pool.begin().await?;
        if self.backend == crate::Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").await?;
        }
        let r = sqlx::query("SELECT seq, timer, notes, notes_version, notes_by, notes_at FROM room_state WHERE session_id = $1")
            .bind(session_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let goals = sqlx::query(
            "SELECT g.id, g.account_id, a.display_name, g.text, g.outcome, g.note, g.created_at FROM room_goals g \
             JOIN accounts a ON a.id = g.account_id WHERE g.session_id = $1 ORDER BY g.created_at, g.id",
        )
        .bind(session_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut recent = sqlx::query(
            "SELECT m.id, m.account_id, a.display_name, m.table_id, m.text, m.created_at FROM room_messages m \
             JOIN accounts a ON a.id = m.account_id WHERE m.session_id = $1 AND m.deleted_by IS NULL \
             ORDER BY m.created_at DESC, m.id DESC LIMIT $2",
        )
        .bind(session_id)
        .bind(messages)
        .fetch_all(&mut *tx)
        .await?;
        recent.reverse();
        let tables = sqlx::query(
            "SELECT t.id, t.topic, t.video_url, t.proposed_by, a.display_name, t.closed, t.until_phase FROM room_tables t \
             JOIN accounts a ON a.id = t.proposed_by WHERE t.session_id = $1 ORDER BY t.created_at, t.id",
        )
        .bind(session_id)
        .fetch_all(&mut *tx)
        .await?;
        let people = sqlx::query("SELECT person FROM room_people WHERE session_id = $1 ORDER BY joined_seq, account_id")
            .bind(session_id)
            .fetch_all(&mut *tx)
            .await?;
        let removed =
            sqlx::query("SELECT account_id FROM room_removals WHERE session_id = $1").bind(session_id).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let strings = |rows: &[AnyRow], name: &str| rows.iter().map(|r| col::<String>(r, name)).collect::<Result<Vec<_>>>();
        Ok(RoomLoad {
            seq: col::<i64>(&r, "seq")? as u64,
            timer: col(&r, "timer")?,
            notes: col(&r, "notes")?,
            notes_version: col(&r, "notes_version")?,
            notes_by: col(&r, "notes_by")?,
            notes_at: col(&r, "notes_at")?,
            goals: goals.iter().map(crate::room::goal).collect::<Result<_>>()?,
            messages: recent.iter().map(crate::room::message).collect::<Result<_>>()?,
            tables: tables.iter().map(crate::room::table).collect::<Result<_>>()?,
            people: strings(&people, "person")?,
            removed: strings(&removed, "account_id")?,
        })
    }

    /// The room's row, made from `timer` and `notes` the first time it is asked for.
    pub async fn open_room(&self, session_id: &str, timer: &str, notes: &str, now_ms: i64) -> Result<RoomRecord> {
        sqlx::query(
            "INSERT INTO room_state (session_id, timer, notes, notes_version, notes_by, notes_at) VALUES ($1, $2, $3, 0, '', $4) \
             ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(session_id)
        .bind(timer)
        .bind(notes)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.room_record(session_id).await?.ok_or(StoreError::NotFound)
    }

    /// The room's row, if it was ever opened (the notes stay archived there).
    pub async fn room_record(&self, session_id: &str) -> Result<Option<RoomRecord>> {
        let r = sqlx::query("SELECT timer, notes, notes_version, notes_by, notes_at FROM room_state WHERE session_id = $1")
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| {
            Ok(RoomRecord {
                timer: col(&r, "timer")?,
                notes: col(&r, "notes")?,
                notes_version: col(&r, "notes_version")?,
                notes_by: col(&r, "notes_by")?,
                notes_at: col(&r, "notes_at")?,
            })
        })
        .transpose()
    }

    // ---- goals

    /// Someone's sessions with goals, newest first.
    pub async fn goal_history(&self, account_id: &str, before: i64, limit: i64) -> Result<Vec<GoalHistory>> {
        let rows = sqlx::query(
            "SELECT g.id, g.account_id, a.display_name, g.text, g.outcome, g.note, g.created_at, s.id AS session_id, s.title, \
             s.starts_at, c.name AS community_name, c.id AS community_id FROM room_goals g JOIN accounts a ON a.id = g.account_id \
             JOIN sessions s ON s.id = g.session_id JOIN communities c ON c.id = s.community_id \
             WHERE g.session_id IN (SELECT s2.id FROM sessions s2 JOIN room_goals g2 ON g2.session_id = s2.id \
                WHERE g2.account_id = $1 AND s2.starts_at < $2 GROUP BY s2.id, s2.starts_at ORDER BY s2.starts_at DESC LIMIT $3) \
             AND g.account_id = $1 ORDER BY s.starts_at DESC, s.id, g.created_at, g.id",
        )
        .bind(account_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<GoalHistory> = Vec::new();
        for r in &rows {
            let session_id: String = col(r, "session_id")?;
            if out.last().is_none_or(|h| h.session_id != session_id) {
                out.push(GoalHistory {
                    session_id,
                    title: col(r, "title")?,
                    community_name: col(r, "community_name")?,
                    starts_at: col(r, "starts_at")?,
                    goals: Vec::new(),
                    pair: col::<String>(r, "community_id")? == crate::PARTNER_ROOMS,
                });
            }
            out.last_mut().expect("pushed above").goals.push(goal(r)?);
        }
        Ok(out)
    }

    // ---- chat

    pub async fn add_message(
        &self,
        id: &str,
        session_id: &str,
        table_id: Option<&str>,
        account_id: &str,
        text: &str,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO room_messages (id, session_id, table_id, account_id, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(session_id)
            .bind(table_id)
            .bind(account_id)
            .bind(text)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A message still shown (not deleted).
    pub async fn message(&self, session_id: &str, id: &str) -> Result<Message> {
        let r = sqlx::query(
            "SELECT m.id, m.account_id, a.display_name, m.table_id, m.text, m.created_at FROM room_messages m \
             JOIN accounts a ON a.id = m.account_id WHERE m.session_id = $1 AND m.id = $2 AND m.deleted_by IS NULL",
        )
        .bind(session_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        message(&r)
    }

    /// Deletes chat older than `before_ms` (the retention setting). Returns how many.
    pub async fn purge_messages(&self, before_ms: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM room_messages WHERE created_at < $1 AND id NOT IN (SELECT message_id FROM room_reports)")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    // ---- breakout tables

    /// Who sits where: (account, table).
    pub async fn seats(&self, session_id: &str) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT account_id, table_id FROM room_seats WHERE session_id = $1").bind(session_id).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((col(r, "account_id")?, col(r, "table_id")?))).collect()
    }

    // ---- removals

    pub async fn removed_from_room(&self, session_id: &str, account_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM room_removals WHERE session_id = $1 AND account_id = $2")
            .bind(session_id)
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    // ---- feedback

    /// Saves someone's feedback. Named feedback replaces their earlier named
    /// feedback; anonymous feedback is stored with no account and can't be
    /// replaced (nothing links it to them), so a second one is `Taken`.
    pub async fn save_feedback(
        &self,
        session_id: &str,
        account_id: &str,
        rating: i64,
        comment: &str,
        anonymous: bool,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before: Option<i64> =
            sqlx::query_scalar("SELECT anonymous FROM room_feedback_givers WHERE session_id = $1 AND account_id = $2")
                .bind(session_id)
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        match before {
            Some(1) => return Err(StoreError::Taken("feedback")),
            Some(_) => {
                sqlx::query("DELETE FROM room_feedback WHERE session_id = $1 AND account_id = $2")
                    .bind(session_id)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {}
        }
        sqlx::query(
            "INSERT INTO room_feedback_givers (session_id, account_id, anonymous) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id, account_id) DO UPDATE SET anonymous = $3",
        )
        .bind(session_id)
        .bind(account_id)
        .bind(anonymous as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO room_feedback (id, session_id, account_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(crate::new_id())
            .bind(session_id)
            .bind((!anonymous).then_some(account_id))
            .bind(rating)
            .bind(comment)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What someone gave: None if nothing; `Anonymous` hides what it was.
    pub async fn my_feedback(&self, session_id: &str, account_id: &str) -> Result<Option<MyFeedback>> {
        let anonymous: Option<i64> =
            sqlx::query_scalar("SELECT anonymous FROM room_feedback_givers WHERE session_id = $1 AND account_id = $2")
                .bind(session_id)
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
        match anonymous {
            None => Ok(None),
            Some(1) => Ok(Some(MyFeedback::Anonymous)),
            Some(_) => {
                let r = sqlx::query("SELECT rating, comment FROM room_feedback WHERE session_id = $1 AND account_id = $2")
                    .bind(session_id)
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(Some(MyFeedback::Named { rating: col(&r, "rating")?, comment: col(&r, "comment")? }))
            }
        }
    }

    /// Feedback on one session, or (with `series`) on every session of a series, newest first.
    pub async fn feedback(&self, session_id: Option<&str>, series_id: Option<&str>, limit: i64) -> Result<Vec<Feedback>> {
        let rows = sqlx::query(
            "SELECT f.session_id, s.starts_at, a.display_name, f.rating, f.comment, f.created_at FROM room_feedback f \
             JOIN sessions s ON s.id = f.session_id LEFT JOIN accounts a ON a.id = f.account_id \
             WHERE ($1 IS NULL OR f.session_id = $1) AND ($2 IS NULL OR s.series_id = $2) \
             ORDER BY s.starts_at DESC, f.created_at DESC LIMIT $3",
        )
        .bind(session_id)
        .bind(series_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Feedback {
                    session_id: col(r, "session_id")?,
                    starts_at: col(r, "starts_at")?,
                    name: col(r, "display_name")?,
                    rating: col(r, "rating")?,
                    comment: col(r, "comment")?,
                    created_at: col(r, "created_at")?,
                })
            })
            .collect()
    }
}
