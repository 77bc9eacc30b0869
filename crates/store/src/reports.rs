//! Reports of room messages to a community's organizers and conduct
//! contacts, each told by mail enqueued with the report.

use crate::jobs::{enqueue, notify, NewJob};
use crate::mail_jobs::MAIL_REPORT;
use crate::{col, touched, Result, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: String,
    pub session_id: String,
    pub session_title: String,
    pub message_id: String,
    pub author_id: String,
    pub author_name: String,
    pub message_text: String,
    pub reporter_id: String,
    pub reporter_name: String,
    pub reason: String,
    pub created_at: i64,
}

/// Who reads a community's reports: its organizers and conduct contacts.
pub(crate) async fn conduct_readers(conn: &mut sqlx::AnyConnection, community_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM memberships WHERE community_id = $1 AND status = 'active' \
         AND (role IN ('organizer', 'owner') OR conduct_contact = 1) ORDER BY account_id",
    )
    .bind(community_id)
    .fetch_all(conn)
    .await?)
}

impl Store {
    /// Records a report and enqueues a mail to each organizer and conduct
    /// contact of the community, together. False when it was already reported.
    pub async fn add_report(&self, community_id: &str, r: &Report, now: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO room_reports (id, community_id, session_id, message_id, author_id, author_name, message_text, reporter_id, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (reporter_id, message_id) DO NOTHING",
        )
        .bind(&r.id)
        .bind(community_id)
        .bind(&r.session_id)
        .bind(&r.message_id)
        .bind(&r.author_id)
        .bind(&r.author_name)
        .bind(&r.message_text)
        .bind(&r.reporter_id)
        .bind(&r.reason)
        .bind(r.created_at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let recipients = conduct_readers(&mut tx, community_id).await?;
        for account in &recipients {
            let payload = serde_json::json!({ "report_id": r.id, "account_id": account });
            let key = format!("{MAIL_REPORT}:{}:{account}", r.id);
            enqueue(&mut tx, &NewJob::new(MAIL_REPORT, key, payload, now), now).await?;
        }
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// One report, for the mail that tells organizers of it.
    pub async fn report(&self, id: &str) -> Result<(String, Report)> {
        let row = sqlx::query(
            "SELECT r.id, r.community_id, r.session_id, s.title, r.message_id, r.author_id, r.author_name, r.message_text, r.reporter_id, \
             a.display_name AS reporter_name, r.reason, r.created_at FROM room_reports r JOIN sessions s ON s.id = r.session_id \
             JOIN accounts a ON a.id = r.reporter_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((col(&row, "community_id")?, report(&row)?))
    }

    pub async fn reports(&self, community_id: &str, limit: i64) -> Result<Vec<Report>> {
        let rows = sqlx::query(
            "SELECT r.id, r.session_id, s.title, r.message_id, r.author_id, r.author_name, r.message_text, r.reporter_id, \
             a.display_name AS reporter_name, r.reason, r.created_at FROM room_reports r JOIN sessions s ON s.id = r.session_id \
             JOIN accounts a ON a.id = r.reporter_id WHERE r.community_id = $1 ORDER BY r.created_at DESC, r.id LIMIT $2",
        )
        .bind(community_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(report).collect()
    }

    /// Whether an organizer named this member a code of conduct contact.
    pub async fn is_conduct_contact(&self, community_id: &str, account_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE community_id = $1 AND account_id = $2 AND status = 'active' AND conduct_contact = 1",
        )
        .bind(community_id)
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    pub async fn set_conduct_contact(&self, community_id: &str, account_id: &str, on: bool) -> Result<()> {
        touched(
            sqlx::query("UPDATE memberships SET conduct_contact = $3 WHERE community_id = $1 AND account_id = $2 AND status = 'active'")
                .bind(community_id)
                .bind(account_id)
                .bind(on as i64)
                .execute(&self.pool)
                .await?,
        )
    }
}

fn report(r: &AnyRow) -> Result<Report> {
    Ok(Report {
        id: col(r, "id")?,
        session_id: col(r, "session_id")?,
        session_title: col(r, "title")?,
        message_id: col(r, "message_id")?,
        author_id: col(r, "author_id")?,
        author_name: col(r, "author_name")?,
        message_text: col(r, "message_text")?,
        reporter_id: col(r, "reporter_id")?,
        reporter_name: col(r, "reporter_name")?,
        reason: col(r, "reason")?,
        created_at: col(r, "created_at")?,
    })
}
