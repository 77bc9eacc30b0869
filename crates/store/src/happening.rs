//! Sessions happening now (started, not yet over), the most joinable ones,
//! and who came: everyone who entered a session's live room.

use crate::sessions::{session, SESSION_COLUMNS};
use crate::{Result, Session, Store, UpcomingFilter};

/// No session runs longer than this, which bounds the walk back from now.
const LONGEST_SESSION: i64 = 24 * 3600;

impl Store {
    /// Running sessions of public communities, the latest started first.
    pub async fn happening_public(&self, f: &UpcomingFilter, now: i64, limit: i64) -> Result<Vec<Session>> {
        let topic = f.topic_pattern();
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s CROSS JOIN communities c \
             WHERE c.id = s.community_id AND s.starts_at <= $1 AND s.starts_at > $2 AND s.ends_at > $1 \
             AND s.status = 'scheduled' AND c.visibility = 'public' \
             AND ($3 = '' OR s.language = $3) AND ($4 = '' OR s.place = $4 OR ($4 = 'in_person' AND s.place = 'hybrid')) AND ($5 = '' OR c.topics LIKE $5) \
             ORDER BY s.starts_at DESC, s.id LIMIT $6"
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(now - LONGEST_SESSION)
            .bind(&f.language)
            .bind(&f.place)
            .bind(topic)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session).collect()
    }

    /// Running sessions of the communities a person is an active member of.
    pub async fn happening_for_member(&self, account_id: &str, now: i64, limit: i64) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN communities c ON c.id = s.community_id \
             JOIN memberships m ON m.community_id = s.community_id AND m.account_id = $1 AND m.status = 'active' \
             WHERE s.starts_at <= $2 AND s.starts_at > $3 AND s.ends_at > $2 AND s.status = 'scheduled' \
             ORDER BY s.starts_at DESC, s.id LIMIT $4"
        );
        let rows = sqlx::query(&sql).bind(account_id).bind(now).bind(now - LONGEST_SESSION).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(session).collect()
    }

    /// Records that a person entered the session's room; the first time counts.
    pub async fn record_arrival(&self, session_id: &str, account_id: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO session_arrivals (session_id, account_id, first_at) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id, account_id) DO NOTHING",
        )
        .bind(session_id)
        .bind(account_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everyone who entered the room, with their names, in order of arrival.
    pub async fn arrivals(&self, session_id: &str) -> Result<Vec<Arrival>> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT a.account_id, x.display_name, x.pronouns, a.first_at FROM session_arrivals a \
             JOIN accounts x ON x.id = a.account_id WHERE a.session_id = $1 ORDER BY a.first_at, a.account_id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(account_id, display_name, pronouns, first_at)| Arrival { account_id, display_name, pronouns, first_at })
            .collect())
    }
}

/// A person who came to a session's room.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Arrival {
    pub account_id: String,
    pub display_name: String,
    pub pronouns: String,
    pub first_at: i64,
}
