//! Webhook endpoints of communities, and the event jobs that feed them. An
//! event is one `webhook.event` job written with the change that causes it;
//! when it runs it fans out into one `webhook.deliver` job per endpoint.

use crate::jobs::{enqueue, notify, NewJob};
use crate::{col, new_id, Result, Store, StoreError};
use serde::Serialize;
use sqlx::Any;

type Tx<'a> = sqlx::Transaction<'a, Any>;

/// One event for a community's webhooks; fanned out when it runs.
pub const WEBHOOK_EVENT: &str = "webhook.event";
/// One delivery of one event to one endpoint; its job id is the `webhook-id`.
pub const WEBHOOK_DELIVER: &str = "webhook.deliver";

/// How long before a session "starting in 10 minutes" is told.
pub const STARTING_LEAD: i64 = 600;
/// How far ahead the hourly work (and a new series or endpoint) looks for
/// sessions to tell of: over an hour, so no session falls between two runs.
pub const STARTING_WINDOW: i64 = 2 * 3600;

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: String,
    pub community_id: String,
    pub kind: String,
    pub url: String,
    /// Event names.
    pub events: Vec<String>,
    #[serde(skip)]
    pub secret: String,
    pub enabled: bool,
    /// 0: not failing.
    pub failing_since: i64,
    pub last_error: String,
    /// 0: never delivered.
    pub last_delivery: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "id, community_id, kind, url, events, secret, enabled, failing_since, last_error, last_delivery, created_at";

fn webhook(r: &sqlx::any::AnyRow) -> Result<Webhook> {
    let events: String = col(r, "events")?;
    let enabled: i64 = col(r, "enabled")?;
    Ok(Webhook {
        id: col(r, "id")?,
        community_id: col(r, "community_id")?,
        kind: col(r, "kind")?,
        url: col(r, "url")?,
        events: events.split_whitespace().map(str::to_string).collect(),
        secret: col(r, "secret")?,
        enabled: enabled != 0,
        failing_since: col(r, "failing_since")?,
        last_error: col(r, "last_error")?,
        last_delivery: col(r, "last_delivery")?,
        created_at: col(r, "created_at")?,
    })
}

/// Enqueues an event job for a community, if any enabled endpoint wants it
/// (most communities have none: no job then).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn enqueue_event(
    tx: &mut Tx<'_>,
    community_id: &str,
    event: &str,
    key: &str,
    payload: serde_json::Value,
    run_at: i64,
    deadline: Option<i64>,
    now: i64,
) -> Result<bool> {
    let wanted: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE community_id = $1 AND enabled = 1 AND (' ' || events || ' ') LIKE $2")
            .bind(community_id)
            .bind(format!("% {event} %"))
            .fetch_one(&mut **tx)
            .await?;
    if wanted == 0 {
        return Ok(false);
    }
    let mut job = NewJob::new(WEBHOOK_EVENT, format!("{WEBHOOK_EVENT}:{event}:{key}"), payload, run_at);
    if let Some(d) = deadline {
        job = job.until(d);
    }
    enqueue(tx, &job, now).await
}

/// "Starting in 10 minutes" for the scheduled sessions of a community (all
/// communities when None) that start in `[from, to)`. The key holds the start,
/// so a moved session gets a new job and the old one finds the start changed.
pub(crate) async fn enqueue_starting(
    tx: &mut Tx<'_>,
    community_id: Option<&str>,
    session_id: Option<&str>,
    from: i64,
    to: i64,
    now: i64,
) -> Result<usize> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT s.id, s.community_id, s.starts_at FROM sessions s WHERE s.status = 'scheduled' AND s.starts_at >= $1 AND s.starts_at < $2 \
         AND ($3 = '' OR s.community_id = $3) AND ($4 = '' OR s.id = $4) \
         AND EXISTS (SELECT 1 FROM webhooks w WHERE w.community_id = s.community_id AND w.enabled = 1 AND (' ' || w.events || ' ') LIKE '% session.starting %')",
    )
    .bind(from)
    .bind(to)
    .bind(community_id.unwrap_or(""))
    .bind(session_id.unwrap_or(""))
    .fetch_all(&mut **tx)
    .await?;
    let mut added = 0;
    for (id, community, starts_at) in rows {
        let payload =
            serde_json::json!({ "event": "session.starting", "community_id": community, "session_id": id, "starts_at": starts_at });
        let key = format!("{id}:{starts_at}");
        added += usize::from(
            enqueue_event(tx, &community, "session.starting", &key, payload, starts_at - STARTING_LEAD, Some(starts_at), now).await?,
        );
    }
    Ok(added)
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_webhook(
        &self,
        community_id: &str,
        kind: &str,
        url: &str,
        events: &[&str],
        secret: &str,
        created_by: &str,
        now: i64,
    ) -> Result<Webhook> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO webhooks (id, community_id, kind, url, events, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(community_id)
        .bind(kind)
        .bind(url)
        .bind(events.join(" "))
        .bind(secret)
        .bind(created_by)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.webhook(&id).await
    }

    pub async fn webhook(&self, id: &str) -> Result<Webhook> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(webhook).transpose()?.ok_or(StoreError::NotFound)
    }

    pub async fn webhooks_of(&self, community_id: &str) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE community_id = $1 ORDER BY created_at, id"))
            .bind(community_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(webhook).collect()
    }

    /// The enabled endpoints of a community that want `event`.
    pub async fn webhooks_for(&self, community_id: &str, event: &str) -> Result<Vec<Webhook>> {
        Ok(self.webhooks_of(community_id).await?.into_iter().filter(|w| w.enabled && w.events.iter().any(|e| e == event)).collect())
    }

    /// Communities with an enabled endpoint that wants `event`.
    pub async fn communities_with_webhooks_for(&self, event: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT community_id FROM webhooks WHERE enabled = 1 AND (' ' || events || ' ') LIKE $1")
            .bind(format!("% {event} %"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Turns an endpoint on (its failures forgotten) or off.
    pub async fn set_webhook_enabled(&self, community_id: &str, id: &str, enabled: bool) -> Result<()> {
        let r = sqlx::query("UPDATE webhooks SET enabled = $3, failing_since = 0 WHERE id = $1 AND community_id = $2")
            .bind(id)
            .bind(community_id)
            .bind(i64::from(enabled))
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_webhook(&self, community_id: &str, id: &str) -> Result<()> {
        let r =
            sqlx::query("DELETE FROM webhooks WHERE id = $1 AND community_id = $2").bind(id).bind(community_id).execute(&self.pool).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn webhook_delivered(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE webhooks SET failing_since = 0, last_error = '', last_delivery = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a failed delivery; returns since when the endpoint has been failing.
    pub async fn webhook_failed(&self, id: &str, error: &str, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "UPDATE webhooks SET last_error = $2, failing_since = CASE WHEN failing_since = 0 THEN $3 ELSE failing_since END \
             WHERE id = $1 RETURNING failing_since",
        )
        .bind(id)
        .bind(error)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or(now))
    }

    /// Disables an endpoint that kept failing; true when this call did it.
    pub async fn disable_failing_webhook(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("UPDATE webhooks SET enabled = 0 WHERE id = $1 AND enabled = 1").bind(id).execute(&self.pool).await?;
        Ok(r.rows_affected() == 1)
    }

    /// Enqueues a job outside any other change (fan-out, the weekly schedule).
    pub async fn enqueue_webhook_event(
        &self,
        community_id: &str,
        event: &str,
        key: &str,
        payload: serde_json::Value,
        run_at: i64,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let new = enqueue_event(&mut tx, community_id, event, key, payload, run_at, None, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// "Starting in 10 minutes" jobs for sessions starting in `[from, to)`
    /// (the hourly work and a new endpoint catch up with what planning missed).
    pub async fn enqueue_starting_webhooks(&self, community_id: Option<&str>, from: i64, to: i64, now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        let n = enqueue_starting(&mut tx, community_id, None, from, to, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(n)
    }
}
