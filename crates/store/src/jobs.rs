//! Jobs: what others must hear of (a mail, a reminder, a push, a webhook),
//! written in the same transaction as the change that causes it, then claimed
//! and delivered by any node's runner. A job is claimed under a lease; only
//! the holder of the lease may finish it, so a node that stalls past its
//! lease cannot complete a job another node has taken over.

use crate::{col, new_id, Backend, Result, Store, StoreError};
use serde::Serialize;
use sqlx::Any;

type Tx<'a> = sqlx::Transaction<'a, Any>;

/// The channel PostgreSQL notifies runners on when a job is enqueued.
pub const JOBS_CHANNEL: &str = "cowork_jobs";

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: serde_json::Value,
    /// The same change enqueues once: a second job with this key is dropped.
    pub dedupe_key: String,
    pub run_at: i64,
    /// Not done by then: dropped and counted, never done late (a "starts in
    /// one hour" reminder after the start).
    pub deadline: Option<i64>,
}

impl NewJob {
    pub fn new(kind: &'static str, dedupe_key: String, payload: serde_json::Value, run_at: i64) -> NewJob {
        NewJob { kind, payload, dedupe_key, run_at, deadline: None }
    }
    pub fn until(mut self, deadline: i64) -> NewJob {
        self.deadline = Some(deadline);
        self
    }
}

/// A job as its runner and the admin page see it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: String,
    pub attempts: i64,
    pub lease_owner: String,
    pub status: String,
    pub last_error: String,
    pub note: String,
    pub run_at: i64,
    /// 0: none.
    pub deadline: i64,
    pub updated_at: i64,
}

/// How many jobs are in each state, for the admin page and metrics.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub dropped: i64,
    pub dead: i64,
}

/// Enqueues inside the caller's transaction, so the job exists exactly when
/// the change that caused it does. Returns whether it was new (not a duplicate).
pub(crate) async fn enqueue(tx: &mut Tx<'_>, job: &NewJob, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, deadline, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(job.kind)
    .bind(job.payload.to_string())
    .bind(&job.dedupe_key)
    .bind(job.run_at)
    .bind(job.deadline.unwrap_or(0))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Tells runners on other connections that a job may be due (delivered by
/// PostgreSQL when the transaction commits; SQLite runners share a process).
pub(crate) async fn notify(tx: &mut Tx<'_>, backend: Backend) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query(&format!("SELECT pg_notify('{JOBS_CHANNEL}', '')")).execute(&mut **tx).await?;
    }
    Ok(())
}

fn job(r: &sqlx::any::AnyRow) -> Result<Job> {
    Ok(Job {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        payload: col(r, "payload")?,
        dedupe_key: col(r, "dedupe_key")?,
        attempts: col(r, "attempts")?,
        lease_owner: col(r, "lease_owner")?,
        status: col(r, "status")?,
        last_error: col(r, "last_error")?,
        note: col(r, "note")?,
        run_at: col(r, "run_at")?,
        deadline: col(r, "deadline")?,
        updated_at: col(r, "updated_at")?,
    })
}

const JOB_COLUMNS: &str = "id, kind, payload, dedupe_key, attempts, lease_owner, status, last_error, note, run_at, deadline, updated_at";

/// What makes a job claimable at `$2`: due and queued, or running with its lease run out.
const CLAIMABLE: &str = "((status = 'queued' AND run_at <= $2) OR (status = 'running' AND lease_until <= $2))";

impl Store {
    /// Enqueues a job that no other change goes with (a timer, an hourly task).
    pub async fn enqueue_job(&self, job: &NewJob, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let new = enqueue(&mut tx, job, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// Claims the job due soonest (or one whose lease ran out) for `owner`
    /// until `lease_until`; see `claim_jobs`.
    pub async fn claim_job(&self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Job>> {
        Ok(self.claim_jobs(owner, now, lease_until, 1).await?.into_iter().next())
    }

    /// Claims up to `limit` jobs for `owner` until `lease_until`, in one
    /// statement: those whose lease ran out first (they were due earlier),
    /// then the queued ones due soonest. Each kind is one walk of its index
    /// that stops at `limit` rows (an OR of both sorted every due job, per
    /// claim). On PostgreSQL rows another runner is claiming are skipped
    /// (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time. The claim
    /// condition is checked again on each row, so two runners racing for a
    /// job cannot both get it.
    pub async fn claim_jobs(&self, owner: &str, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Job>> {
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        // Chosen once (MATERIALIZED): as `id IN (subquery)` PostgreSQL may run
        // the subquery again per row, and with SKIP LOCKED each run can pick
        // others, so one claim took 70 jobs of a limit of 40 (in a test).
        let rows = sqlx::query(&format!(
            "WITH claimable AS MATERIALIZED (\
               SELECT id FROM (SELECT id FROM jobs WHERE status = 'running' AND lease_until <= $2 ORDER BY lease_until LIMIT $4{lock}) lapsed \
               UNION ALL SELECT id FROM (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $2 ORDER BY run_at LIMIT $4{lock}) due \
               LIMIT $4) \
             UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $3, attempts = attempts + 1, updated_at = $2 \
             WHERE id IN (SELECT id FROM claimable) AND {CLAIMABLE} \
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(owner)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut jobs = rows.iter().map(job).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| j.run_at);
        Ok(jobs)
    }

    /// Ends a job `owner` holds: `done` (with a note when it did nothing) or
    /// `dropped` (its deadline passed). False when the lease was lost.
    pub async fn finish_job(&self, id: &str, owner: &str, status: &str, note: &str, now: i64) -> Result<bool> {
        debug_assert!(matches!(status, "done" | "dropped"));
        let r = sqlx::query(
            "UPDATE jobs SET status = $3, note = $4, lease_owner = '', last_error = '', updated_at = $5 \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(status)
        .bind(note)
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

    /// An admin's "retry" of a dead job: queued again, due now, attempts reset.
    pub async fn retry_dead_job(&self, id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let r =
            sqlx::query("UPDATE jobs SET status = 'queued', attempts = 0, run_at = $2, updated_at = $2 WHERE id = $1 AND status = 'dead'")
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs still to do or being done, due or not.
    pub async fn unfinished_jobs(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')").fetch_one(&self.pool).await?)
    }

    /// Jobs due by `now` and not done yet, or being done.
    pub async fn jobs_due_or_running(&self, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'running' OR (status = 'queued' AND run_at <= $1)")
            .bind(now)
            .fetch_one(&self.pool)
            .await?)
    }

    /// When the next queued job is due, if any (the runner sleeps until then).
    pub async fn next_job_due(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE status = 'queued'").fetch_one(&self.pool).await?)
    }

    pub async fn job_counts(&self) -> Result<JobCounts> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetch_all(&self.pool).await?;
        let mut c = JobCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => c.queued = n,
                "running" => c.running = n,
                "done" => c.done = n,
                "dropped" => c.dropped = n,
                "dead" => c.dead = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Jobs in one state, the most recently changed first (for admins and tests).
    pub async fn jobs_with_status(&self, status: &str, limit: i64) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE status = $1 ORDER BY updated_at DESC, id DESC LIMIT $2"))
            .bind(status)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job).collect()
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

    /// Forgets finished jobs older than `before` (the hourly task keeps the table small).
    pub async fn purge_finished_jobs(&self, before: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM jobs WHERE status IN ('done', 'dropped') AND updated_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}

/// Wake-ups for a runner on PostgreSQL: a connection of its own that LISTENs
/// for new jobs. The signal only says "look"; the table says what.
pub struct JobListener(sqlx::postgres::PgListener);

impl JobListener {
    /// Waits for the next notification (or the connection's failure).
    pub async fn recv(&mut self) -> Result<()> {
        self.0.recv().await?;
        Ok(())
    }
}

impl Store {
    /// A listener on PostgreSQL; None on SQLite, where every runner shares a
    /// process and is woken in-process.
    pub async fn job_listener(&self) -> Result<Option<JobListener>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut l = sqlx::postgres::PgListener::connect(&self.url).await?;
        l.listen(JOBS_CHANNEL).await?;
        Ok(Some(JobListener(l)))
    }
}
