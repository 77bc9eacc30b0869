//! Cancelling one session ahead (and putting it back), with the notices to
//! the people going and waiting enqueued in the same transaction.

use crate::jobs::{enqueue, notify, NewJob};
use crate::rsvps::lock_session;
use crate::schedule::Tx;
use crate::webhooks::enqueue_event;
use crate::{Result, Store};

/// What cancelling or restoring came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Done; this many people will be told.
    Done { told: usize },
    /// The session was already in that state: nothing was written.
    AlreadyThat,
}

/// The notices a change of status sends: one job per person going or waiting.
pub const SESSION_CANCELLED: &str = "mail.session_cancelled";
pub const SESSION_RESTORED: &str = "mail.session_restored";

impl Store {
    /// Cancels (or restores) a session under its lock: the status, the
    /// organizer's note, a new calendar SEQUENCE, and a notice job for every
    /// person going or waiting, all or nothing.
    pub async fn set_session_cancelled(&self, id: &str, cancelled: bool, note: &str, now: i64) -> Result<CancelOutcome> {
        let mut tx = self.begin().await?;
        lock_session(&mut tx, id).await?;
        let (status, sequence, community_id): (String, i64, String) =
            sqlx::query_as("SELECT status, sequence, community_id FROM sessions WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
        if (status == "cancelled") == cancelled {
            return Ok(CancelOutcome::AlreadyThat);
        }
        let sequence = sequence + 1;
        sqlx::query("UPDATE sessions SET status = $2, cancel_note = $3, detached = 1, sequence = $4, updated_at = $5 WHERE id = $1")
            .bind(id)
            .bind(if cancelled { "cancelled" } else { "scheduled" })
            .bind(if cancelled { note } else { "" })
            .bind(sequence)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let told = tell_people(&mut tx, id, if cancelled { SESSION_CANCELLED } else { SESSION_RESTORED }, sequence, note, now).await?;
        if cancelled {
            let payload = serde_json::json!({ "event": "session.cancelled", "community_id": community_id, "session_id": id, "note": note });
            enqueue_event(&mut tx, &community_id, "session.cancelled", &format!("{id}:{sequence}"), payload, now, None, now).await?;
        }
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(CancelOutcome::Done { told })
    }
}

/// Enqueues a notice of `kind` for everyone going or waiting; returns how many.
async fn tell_people(tx: &mut Tx<'_>, id: &str, kind: &'static str, sequence: i64, note: &str, now: i64) -> Result<usize> {
    let people: Vec<String> =
        sqlx::query_scalar("SELECT account_id FROM rsvps WHERE session_id = $1 AND status IN ('going', 'waitlisted') ORDER BY position")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    for account in &people {
        let payload = serde_json::json!({ "session_id": id, "account_id": account, "sequence": sequence, "note": note });
        enqueue(tx, &NewJob::new(kind, format!("{kind}:{id}:{sequence}:{account}"), payload, now), now).await?;
    }
    Ok(people.len())
}

/// A series edit dropped a session people had answered: they are told, as
/// when an organizer cancels it.
pub(crate) async fn tell_of_cancellation(tx: &mut Tx<'_>, id: &str, now: i64) -> Result<()> {
    let sequence: i64 = sqlx::query_scalar("SELECT sequence FROM sessions WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
    tell_people(tx, id, SESSION_CANCELLED, sequence, "", now).await?;
    Ok(())
}
