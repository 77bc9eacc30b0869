//! The mails a change sends, enqueued in the change's own transaction. Each
//! job names a session and a person; the runner composes the mail from the
//! rows as they are when it runs.

use crate::jobs::{enqueue, NewJob};
use crate::schedule::Tx;
use crate::Result;

/// A sign-in link (the link itself is made when the mail is sent, so no
/// secret waits in the queue).
pub const MAIL_SIGN_IN: &str = "mail.sign_in";
/// "You're going" with a calendar invitation, or "you're on the waitlist".
pub const MAIL_RSVP: &str = "mail.rsvp";
/// A place came free from the waitlist: an invitation.
pub const MAIL_PLACE: &str = "mail.place";
/// The person cancelled: the invitation is withdrawn (METHOD:CANCEL).
pub const MAIL_RSVP_CANCELLED: &str = "mail.rsvp_cancelled";
/// Time, place or link changed: the invitation again, with a higher SEQUENCE.
pub const MAIL_SESSION_UPDATED: &str = "mail.session_updated";
/// A message was reported in a room: one mail per organizer or conduct contact.
pub const MAIL_REPORT: &str = "mail.report";
/// A host or organizer wrote to the people going.
pub const MAIL_ORGANIZER_MESSAGE: &str = "mail.organizer_message";

/// Enqueues one mail about `session_id` to `account_id`; `tag` makes the
/// dedupe key (the same change enqueues once).
pub(crate) async fn enqueue_session_mail(
    tx: &mut Tx<'_>,
    kind: &'static str,
    session_id: &str,
    account_id: &str,
    tag: impl std::fmt::Display,
    now: i64,
) -> Result<bool> {
    let payload = serde_json::json!({ "session_id": session_id, "account_id": account_id });
    enqueue(tx, &NewJob::new(kind, format!("{kind}:{session_id}:{account_id}:{tag}"), payload, now), now).await
}

/// The RSVP's position, which is new for each answer, so answering again
/// after cancelling is a new change (and a new mail).
pub(crate) async fn rsvp_position(tx: &mut Tx<'_>, session_id: &str, account_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT position FROM rsvps WHERE session_id = $1 AND account_id = $2")
        .bind(session_id)
        .bind(account_id)
        .fetch_one(&mut **tx)
        .await?)
}

/// The dedupe key of a sign-in mail: its address first, so the queue can
/// tell whether one is still on its way.
pub fn sign_in_mail_key(email: &str, id: &str) -> String {
    format!("{MAIL_SIGN_IN}:{email}:{id}")
}

impl crate::Store {
    /// Whether a sign-in mail to `email` is queued or being sent (its link
    /// is made when it goes out, so it counts as a usable link already).
    pub async fn sign_in_mail_on_its_way(&self, email: &str) -> Result<bool> {
        let prefix = format!("{MAIL_SIGN_IN}:{email}:");
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status IN ('queued', 'running') AND substr(dedupe_key, 1, length($2)) = $2",
        )
        .bind(MAIL_SIGN_IN)
        .bind(&prefix)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

impl crate::Store {
    /// Enqueues a host's or organizer's message to everyone going (and, if
    /// asked, waiting), all in one transaction. Returns how many will get it.
    pub async fn enqueue_organizer_message(
        &self,
        session_id: &str,
        from_name: &str,
        subject: &str,
        text: &str,
        include_waitlist: bool,
        now: i64,
    ) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        let statuses = if include_waitlist { "('going', 'waitlisted')" } else { "('going')" };
        let people: Vec<String> =
            sqlx::query_scalar(&format!("SELECT account_id FROM rsvps WHERE session_id = $1 AND status IN {statuses} ORDER BY position"))
                .bind(session_id)
                .fetch_all(&mut *tx)
                .await?;
        let message = crate::new_id();
        for account in &people {
            let payload = serde_json::json!({
                "session_id": session_id, "account_id": account, "from": from_name, "subject": subject, "text": text,
            });
            let key = format!("{MAIL_ORGANIZER_MESSAGE}:{message}:{account}");
            enqueue(&mut tx, &NewJob::new(MAIL_ORGANIZER_MESSAGE, key, payload, now), now).await?;
        }
        crate::jobs::notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(people.len())
    }
}
