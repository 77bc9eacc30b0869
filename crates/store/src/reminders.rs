//! Reminders, enqueued in the transaction of the change that makes them due:
//! an RSVP, a place from the waitlist, a session moved. One job per reminder
//! time the person chose, at that time in their zone, useless after the start.

use crate::jobs::{enqueue, NewJob};
use crate::schedule::Tx;
use crate::Result;
use cowork_core::notifications::{reminders_due, Kind, ReminderTime};
use cowork_core::time::Zone;

/// A reminder of one session to one person.
pub const REMINDER: &str = "reminder";
/// "Starting now" to one person going, when the room opens.
pub const STARTING_NOW: &str = "starting_now";
/// A reminder of a partner session to the person who booked it.
pub const PARTNER_REMINDER: &str = "partners.reminder";

/// The reminders a person chose, or the defaults.
async fn reminder_times(tx: &mut Tx<'_>, account_id: &str) -> Result<(Zone, Vec<ReminderTime>)> {
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM accounts WHERE id = $1").bind(account_id).fetch_one(&mut **tx).await?;
    let saved: Option<String> =
        sqlx::query_scalar("SELECT times FROM reminder_choices WHERE account_id = $1").bind(account_id).fetch_optional(&mut **tx).await?;
    let times = saved.map(|t| ReminderTime::parse_list(&t)).unwrap_or_else(|| ReminderTime::DEFAULT.to_vec());
    Ok((Zone::parse("time_zone", &zone).unwrap_or_else(|_| Zone::utc()), times))
}

/// Enqueues the reminders of a partner booking at the person's chosen times;
/// each finds out when it comes whether the booking still stands.
pub(crate) async fn enqueue_partner_reminders(
    tx: &mut Tx<'_>,
    booking_id: &str,
    account_id: &str,
    starts_at: i64,
    now: i64,
) -> Result<usize> {
    let (zone, times) = reminder_times(tx, account_id).await?;
    let mut queued = 0;
    for (time, at) in reminders_due(&times, starts_at, &zone, now) {
        let payload = serde_json::json!({ "booking_id": booking_id, "account_id": account_id, "time": time.as_str() });
        let key = format!("{PARTNER_REMINDER}:{booking_id}:{}", time.as_str());
        queued += usize::from(enqueue(tx, &NewJob::new(PARTNER_REMINDER, key, payload, at).until(starts_at), now).await?);
    }
    Ok(queued)
}

/// Enqueues the reminders still to come for someone going. The dedupe key
/// holds the session's start, so a moved session gets new ones while the
/// old ones find the start changed and send nothing. The person's zone and
/// times are read now: changing them later applies to new RSVPs and moves.
/// "Starting now" (opt-in, on either channel) comes when the room opens, `opens`
/// seconds before the start, and is useless once the session is over.
pub(crate) async fn enqueue_reminders(tx: &mut Tx<'_>, session_id: &str, account_id: &str, opens: i64, now: i64) -> Result<usize> {
    let (starts_at, ends_at): (i64, i64) =
        sqlx::query_as("SELECT starts_at, ends_at FROM sessions WHERE id = $1").bind(session_id).fetch_one(&mut **tx).await?;
    let (zone, times) = reminder_times(tx, account_id).await?;
    let mut queued = 0;
    for (time, at) in reminders_due(&times, starts_at, &zone, now) {
        let payload =
            serde_json::json!({ "session_id": session_id, "account_id": account_id, "time": time.as_str(), "starts_at": starts_at });
        let key = format!("{REMINDER}:{session_id}:{account_id}:{}:{starts_at}", time.as_str());
        queued += usize::from(enqueue(tx, &NewJob::new(REMINDER, key, payload, at).until(starts_at), now).await?);
    }
    let starting_now: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notification_choices WHERE account_id = $1 AND kind = $2 AND enabled = 1")
            .bind(account_id)
            .bind(Kind::StartingNow.as_str())
            .fetch_one(&mut **tx)
            .await?;
    if starting_now > 0 && starts_at > now {
        let payload = serde_json::json!({ "session_id": session_id, "account_id": account_id, "starts_at": starts_at });
        let key = format!("{STARTING_NOW}:{session_id}:{account_id}:{starts_at}");
        let job = NewJob::new(STARTING_NOW, key, payload, (starts_at - opens).max(now)).until(ends_at);
        queued += usize::from(enqueue(tx, &job, now).await?);
    }
    Ok(queued)
}

/// The reminders of everyone going to a session (after it moved).
pub(crate) async fn enqueue_reminders_for_going(tx: &mut Tx<'_>, session_id: &str, opens: i64, now: i64) -> Result<usize> {
    let going: Vec<String> =
        sqlx::query_scalar("SELECT account_id FROM rsvps WHERE session_id = $1 AND status = 'going' ORDER BY position")
            .bind(session_id)
            .fetch_all(&mut **tx)
            .await?;
    let mut queued = 0;
    for account in &going {
        queued += enqueue_reminders(tx, session_id, account, opens, now).await?;
    }
    Ok(queued)
}
