//! Web push: the instance's VAPID key pair and the browsers people asked to be
//! notified on. A push to a person is one `push.send` job per browser, so a
//! browser whose push service is down is retried alone.

use crate::jobs::{enqueue, notify, NewJob};
use crate::{col, new_id, Result, Store};
use serde::Serialize;
use sqlx::Any;

type Tx<'a> = sqlx::Transaction<'a, Any>;

/// The job that encrypts and sends one notification to one browser.
pub const PUSH_SEND: &str = "push.send";

/// One browser a person is notified on.
#[derive(Debug, Clone, Serialize)]
pub struct PushSubscription {
    pub id: String,
    pub account_id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub label: String,
    pub created_at: i64,
}

/// What a notification says; `topic` is its idempotency key: every browser's
/// job and every retry of it carry the same one.
#[derive(Debug, Clone)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    pub url: String,
    pub topic: String,
    /// Sent with `Urgency: high` (a session starting now), else normal.
    pub urgent: bool,
}

fn subscription(r: &sqlx::any::AnyRow) -> Result<PushSubscription> {
    Ok(PushSubscription {
        id: col(r, "id")?,
        account_id: col(r, "account_id")?,
        endpoint: col(r, "endpoint")?,
        p256dh: col(r, "p256dh")?,
        auth: col(r, "auth")?,
        label: col(r, "label")?,
        created_at: col(r, "created_at")?,
    })
}

const COLUMNS: &str = "id, account_id, endpoint, p256dh, auth, label, created_at";

/// Enqueues `message` for each of the person's browsers inside the caller's
/// transaction (a reminder with the RSVP that causes it). `deadline`, when
/// given, drops a push that could not go out in time. Returns how many.
pub(crate) async fn enqueue_push(
    tx: &mut Tx<'_>,
    account_id: &str,
    message: &PushMessage,
    deadline: Option<i64>,
    now: i64,
) -> Result<usize> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM push_subscriptions WHERE account_id = $1 ORDER BY id")
        .bind(account_id)
        .fetch_all(&mut **tx)
        .await?;
    let mut queued = 0;
    for id in &ids {
        let payload = serde_json::json!({
            "subscription": id,
            "title": message.title,
            "body": message.body,
            "url": message.url,
            "topic": message.topic,
            "urgent": message.urgent,
        });
        let mut job = NewJob::new(PUSH_SEND, format!("{PUSH_SEND}:{}:{id}", message.topic), payload, now);
        if let Some(d) = deadline {
            job = job.until(d);
        }
        if enqueue(tx, &job, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

impl Store {
    /// The instance's VAPID key pair (private, public), made by `make` the
    /// first time. Two nodes starting at once both try; the first row wins
    /// and both read it back.
    pub async fn vapid_keys(&self, make: impl FnOnce() -> (String, String), now: i64) -> Result<(String, String)> {
        let existing =
            sqlx::query("SELECT private_key, public_key FROM vapid_keys WHERE id = 'instance'").fetch_optional(&self.pool).await?;
        if let Some(r) = existing {
            return Ok((col(&r, "private_key")?, col(&r, "public_key")?));
        }
        let (private, public) = make();
        sqlx::query(
            "INSERT INTO vapid_keys (id, private_key, public_key, created_at) VALUES ('instance', $1, $2, $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&private)
        .bind(&public)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let r = sqlx::query("SELECT private_key, public_key FROM vapid_keys WHERE id = 'instance'").fetch_one(&self.pool).await?;
        Ok((col(&r, "private_key")?, col(&r, "public_key")?))
    }

    /// Keeps a browser's subscription for `account_id`. The same browser
    /// subscribing again (or for someone else signed in on it) replaces its row.
    pub async fn save_push_subscription(
        &self,
        account_id: &str,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        label: &str,
        now: i64,
    ) -> Result<PushSubscription> {
        let row = sqlx::query(&format!(
            "INSERT INTO push_subscriptions (id, account_id, endpoint, p256dh, auth, label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (endpoint) DO UPDATE SET account_id = $2, p256dh = $4, auth = $5, label = $6, created_at = $7 RETURNING {COLUMNS}"
        ))
        .bind(new_id())
        .bind(account_id)
        .bind(endpoint)
        .bind(p256dh)
        .bind(auth)
        .bind(label)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        subscription(&row)
    }

    pub async fn push_subscriptions(&self, account_id: &str) -> Result<Vec<PushSubscription>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM push_subscriptions WHERE account_id = $1 ORDER BY created_at, id"))
            .bind(account_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(subscription).collect()
    }

    pub async fn push_subscription(&self, id: &str) -> Result<Option<PushSubscription>> {
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM push_subscriptions WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(subscription).transpose()
    }

    /// Removes one of `account_id`'s browsers; false when it is not theirs (or gone).
    pub async fn delete_push_subscription(&self, account_id: &str, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM push_subscriptions WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Forgets a browser its push service no longer knows (it answered 404 or 410).
    pub async fn forget_push_subscription(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM push_subscriptions WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Enqueues `message` for each of the person's browsers (a change of its
    /// own, such as a test notification); returns how many were queued.
    pub async fn enqueue_push(&self, account_id: &str, message: &PushMessage, deadline: Option<i64>, now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        let queued = enqueue_push(&mut tx, account_id, message, deadline, now).await?;
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(queued)
    }
}
