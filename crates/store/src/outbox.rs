//! Mail kept by cowork, and the shared counters behind rate limits.

use crate::{col, new_id, Result, Store};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub raw: String,
    pub message_id: String,
    pub transport: String,
    pub status: String,
    pub error: String,
    pub created_at: i64,
}

/// A mail as it was handed over (or stored), for the outbox.
pub struct NewMail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    /// The plain text part ('' when not kept).
    pub body: &'a str,
    /// The whole message, headers and every part ('' when not kept).
    pub raw: &'a str,
    pub message_id: &'a str,
    pub transport: &'a str,
    pub status: &'a str,
    pub error: &'a str,
}

impl Store {
    pub async fn insert_mail(&self, m: &NewMail<'_>, now: i64) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO mail (id, to_address, subject, body, raw, message_id, transport, status, error, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(m.to)
        .bind(m.subject)
        .bind(m.body)
        .bind(m.raw)
        .bind(m.message_id)
        .bind(m.transport)
        .bind(m.status)
        .bind(m.error)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// The newest mail first; `to` narrows it to one recipient.
    pub async fn outbox(&self, to: Option<&str>, limit: i64) -> Result<Vec<Mail>> {
        let rows = sqlx::query(
            "SELECT id, to_address, subject, body, raw, message_id, transport, status, error, created_at FROM mail \
             WHERE ($1 = '' OR to_address = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(to.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Mail {
                    id: col(r, "id")?,
                    to_address: col(r, "to_address")?,
                    subject: col(r, "subject")?,
                    body: col(r, "body")?,
                    raw: col(r, "raw")?,
                    message_id: col(r, "message_id")?,
                    transport: col(r, "transport")?,
                    status: col(r, "status")?,
                    error: col(r, "error")?,
                    created_at: col(r, "created_at")?,
                })
            })
            .collect()
    }

    /// The hits so far in the bucket's current window, without counting one.
    pub async fn rate_limit_hits(&self, bucket: &str, window_seconds: i64, now: i64) -> Result<i64> {
        let hits: Option<i64> = sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start > $2")
            .bind(bucket)
            .bind(now - window_seconds)
            .fetch_optional(&self.pool)
            .await?;
        Ok(hits.unwrap_or(0))
    }

    /// Counts one hit and returns the hits so far in the bucket's window,
    /// which starts at its first hit and lasts `window_seconds` (so no limit
    /// doubles across a clock boundary). One atomic upsert, so every node
    /// shares the same count.
    pub async fn hit_rate_limit(&self, bucket: &str, window_seconds: i64, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start > $3 THEN rate_limits.hits + 1 ELSE 1 END, \
               window_start = CASE WHEN rate_limits.window_start > $3 THEN rate_limits.window_start ELSE $2 END \
             RETURNING hits",
        )
        .bind(bucket)
        .bind(now)
        .bind(now - window_seconds)
        .fetch_one(&self.pool)
        .await?)
    }
}
