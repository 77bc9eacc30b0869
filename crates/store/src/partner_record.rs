//! What a person's record is made of (the sessions they came to and the
//! goals they did), and reports of a partner to the people who keep a
//! pool's code of conduct.

use crate::jobs::{enqueue, notify, NewJob};
use crate::partners::shared_match;
use crate::reports::conduct_readers;
use crate::{Result, Store, StoreError};
use cowork_core::format::Phase;
use cowork_core::record::{focus_minutes, Attended};
use serde::Serialize;

/// Mail to an organizer, conduct contact or admin of a partner reported.
pub const MAIL_PARTNER_REPORT: &str = "mail.partner_report";

/// A report of a partner, as its readers get it.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerReport {
    pub id: String,
    /// The community whose pool it was ('' for the instance's).
    pub pool: String,
    pub reporter_id: String,
    pub reporter_name: String,
    pub reported_id: String,
    pub reported_name: String,
    pub reason: String,
    /// When the session they shared started.
    pub starts_at: i64,
    pub created_at: i64,
}

/// id, pool, reporter id and name, reported id and name, reason, session start, created at.
type ReportRow = (String, String, String, String, String, String, String, i64, i64);

impl Store {
    /// The sessions someone came into the room of (group and partner
    /// sessions alike, not cancelled, started by `now`), and how many goals
    /// they checked out as done. Of a partner slot, only the room of the
    /// match they ended in counts: one left alone who swapped into a new
    /// room, or came early and then cancelled, did not do two sessions.
    pub async fn record_of(&self, account_id: &str, now: i64) -> Result<(Vec<Attended>, usize)> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT s.starts_at, s.phases FROM session_arrivals a JOIN sessions s ON s.id = a.session_id \
             WHERE a.account_id = $1 AND s.status = 'scheduled' AND s.starts_at <= $2 \
             AND (s.community_id <> $3 OR EXISTS (SELECT 1 FROM partner_bookings b \
               WHERE b.match_id = s.id AND b.account_id = a.account_id AND b.status = 'matched')) \
             ORDER BY s.starts_at",
        )
        .bind(account_id)
        .bind(now)
        .bind(crate::PARTNER_ROOMS)
        .fetch_all(&self.pool)
        .await?;
        let attended = rows
            .into_iter()
            .map(|(starts_at, phases)| {
                let phases: Vec<Phase> = serde_json::from_str(&phases).unwrap_or_default();
                Attended { starts_at, focus_minutes: focus_minutes(&phases) }
            })
            .collect();
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM room_goals WHERE account_id = $1 AND outcome = 'done'")
            .bind(account_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((attended, done as usize))
    }

    /// Reports a past partner: recorded once per session shared, the
    /// reporter never matched with them again (a block), and a mail queued
    /// to each reader in the same transaction. NotFound when the two never
    /// shared a session that had started. Returns whether it was new.
    pub async fn report_partner(&self, id: &str, reporter_id: &str, reported_id: &str, reason: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        // The latest session they shared names the pool.
        let shared = shared_match(&mut tx, reporter_id, reported_id, Some(now)).await?;
        let Some((match_id, pool)) = shared else { return Err(StoreError::NotFound) };
        sqlx::query(
            "INSERT INTO partner_marks (account_id, other_id, mark, created_at) VALUES ($1, $2, 'block', $3) \
             ON CONFLICT (account_id, other_id) DO UPDATE SET mark = 'block', created_at = $3",
        )
        .bind(reporter_id)
        .bind(reported_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let added = sqlx::query(
            "INSERT INTO partner_reports (id, pool, match_id, reporter_id, reported_id, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (reporter_id, reported_id, match_id) DO NOTHING",
        )
        .bind(id)
        .bind(&pool)
        .bind(&match_id)
        .bind(reporter_id)
        .bind(reported_id)
        .bind(reason)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if added {
            let readers: Vec<String> = if pool.is_empty() {
                sqlx::query_scalar("SELECT id FROM accounts WHERE is_admin = 1 ORDER BY id").fetch_all(&mut *tx).await?
            } else {
                conduct_readers(&mut tx, &pool).await?
            };
            for account in readers.iter().filter(|a| *a != reported_id) {
                let payload = serde_json::json!({ "report_id": id, "account_id": account });
                let key = format!("{MAIL_PARTNER_REPORT}:{id}:{account}");
                enqueue(&mut tx, &NewJob::new(MAIL_PARTNER_REPORT, key, payload, now), now).await?;
            }
            notify(&mut tx, self.backend).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// One report of a partner, for the mail that tells of it.
    pub async fn partner_report(&self, id: &str) -> Result<PartnerReport> {
        self.partner_reports_where("r.id = $1", id).await?.pop().ok_or(StoreError::NotFound)
    }

    /// The reports of partners in a community's pool, newest first.
    pub async fn partner_reports(&self, pool: &str) -> Result<Vec<PartnerReport>> {
        self.partner_reports_where("r.pool = $1", pool).await
    }

    async fn partner_reports_where(&self, filter: &str, value: &str) -> Result<Vec<PartnerReport>> {
        let rows: Vec<ReportRow> = sqlx::query_as(&format!(
            "SELECT r.id, r.pool, r.reporter_id, a.display_name, r.reported_id, b.display_name, r.reason, \
             COALESCE((SELECT MIN(x.starts_at) FROM partner_bookings x WHERE x.match_id = r.match_id), 0), r.created_at \
             FROM partner_reports r JOIN accounts a ON a.id = r.reporter_id JOIN accounts b ON b.id = r.reported_id \
             WHERE {filter} ORDER BY r.created_at DESC, r.id LIMIT 200"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, pool, reporter_id, reporter_name, reported_id, reported_name, reason, starts_at, created_at)| PartnerReport {
                id,
                pool,
                reporter_id,
                reporter_name,
                reported_id,
                reported_name,
                reason,
                starts_at,
                created_at,
            })
            .collect())
    }
}
