//! Jobs: what others must hear of (a mail, later a reminder or a push),
//! written in the same transaction as the change that causes it, then claimed
//! and delivered by any node's runner. A job is claimed under a lease; only
//! the holder of the lease may finish it, so a node that stalls past its
//! lease cannot complete a job another node has taken over.

use crate::{col, new_id, Result, Store};
use serde::Serialize;
use sqlx::Any;

type Tx<'a> = sqlx::Transaction<'a, Any>;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    /// The same change enqueues once: a second job with this key is dropped.
    pub dedupe_key: String,
    pub run_at: i64,
}

/// A job as its runner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub lease_owner: String,
    pub status: String,
    pub last_error: String,
    pub run_at: i64,
}

/// Enqueues inside the caller's transaction, so the job exists exactly when
/// the change that caused it does.
pub(crate) async fn enqueue(tx: &mut Tx<'_>, job: &NewJob, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $6) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(job.kind)
    .bind(job.payload.to_string())
    .bind(&job.dedupe_key)
    .bind(job.run_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn job(r: &sqlx::any::AnyRow) -> Result<Job> {
    Ok(Job {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        payload: col(r, "payload")?,
        attempts: col(r, "attempts")?,
        lease_owner: col(r, "lease_owner")?,
        status: col(r, "status")?,
        last_error: col(r, "last_error")?,
        run_at: col(r, "run_at")?,
    })
}

const JOB_COLUMNS: &str = "id, kind, payload, attempts, lease_owner, status, last_error, run_at";

impl Store {
    /// Claims the job due soonest (or one whose lease ran out) for `owner`
    /// until `lease_until`. The outer condition is checked again on the row
    /// itself, so two nodes racing for one job cannot both get it.
    pub async fn claim_job(&self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Job>> {
        let row = sqlx::query(&format!(
            "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $3, attempts = attempts + 1, updated_at = $2 \
             WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $2) OR (status = 'running' AND lease_until <= $2) \
                         ORDER BY run_at, id LIMIT 1) \
               AND ((status = 'queued' AND run_at <= $2) OR (status = 'running' AND lease_until <= $2)) \
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(owner)
        .bind(now)
        .bind(lease_until)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job).transpose()
    }

    /// Marks a job done, if `owner` still holds it; false when the lease was lost.
    pub async fn complete_job(&self, id: &str, owner: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE jobs SET status = 'done', lease_owner = '', last_error = '', updated_at = $3 \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A failed attempt: due again at `retry_at`, or `dead` when `retry_at` is None.
    pub async fn fail_job(&self, id: &str, owner: &str, error: &str, retry_at: Option<i64>, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE jobs SET status = $4, run_at = $5, lease_owner = '', lease_until = 0, last_error = $3, updated_at = $6 \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(error)
        .bind(if retry_at.is_some() { "queued" } else { "dead" })
        .bind(retry_at.unwrap_or(now))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Jobs still to do or being done, due or not.
    pub async fn unfinished_jobs(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')").fetch_one(&self.pool).await?)
    }

    /// Jobs of one kind, newest first (for admins and tests).
    pub async fn jobs_of_kind(&self, kind: &str, limit: i64) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE kind = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
            .bind(kind)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job).collect()
    }
}
