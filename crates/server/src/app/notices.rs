//! What people are told by mail when a session they answered changes: each
//! in their own zone, named. Composed when the job runs, from the job's
//! payload and the session as it is then.

use super::jobs::{Attempt, Outcome};
use super::App;
use cowork_core::rsvp::RsvpStatus;
use cowork_core::time::Zone;
use cowork_store::{Job, StoreError};

#[derive(serde::Deserialize)]
struct StatusChange {
    session_id: String,
    account_id: String,
    #[serde(default)]
    note: String,
}

impl App {
    /// Mails one person that a session was cancelled (or is back on).
    pub(super) async fn tell_status_change(&self, job: &Job, cancelled: bool) -> Attempt {
        let p: StatusChange = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (s, a) = match (self.store.session(&p.session_id).await, self.store.account(&p.account_id).await) {
            (Ok(s), Ok(a)) => (s, a),
            // The session or the person is gone: nobody is left to tell.
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => {
                return Ok(Outcome::Nothing("the session or the person is gone".into()))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        // Restored (or cancelled again) before this ran: the later notice says what holds.
        if s.cancelled != cancelled {
            return Ok(Outcome::Nothing("the session changed again before this was sent".into()));
        }
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let when = format!("{} ({})", zone.format_span(s.starts_at, s.ends_at), zone.name());
        let link = format!("{}/s/{}", self.config.base_url, s.id);
        let site = &self.config.site_name;
        let (subject, body) = if cancelled {
            let note = if p.note.is_empty() {
                String::new()
            } else {
                format!("The organizers wrote:\n\n{}\n\n", p.note.lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n"))
            };
            (
                format!("Cancelled: {} on {}", s.content.title, zone.format_date(s.starts_at)),
                format!(
                    "Hello {},\n\n“{}” of {}, on {when}, is cancelled.\n\n{note}Your calendar shows it as cancelled once it next refreshes. \
                     Other sessions of the series are not affected.\n\n{link}\n\n— {site}\n",
                    a.display_name, s.content.title, s.community_name
                ),
            )
        } else {
            let answer = match self.store.rsvp_status(&s.id, &a.id).await.map_err(|e| e.to_string())? {
                Some(r) if r.status == RsvpStatus::Going => "You are still going.",
                Some(r) if r.status == RsvpStatus::Waitlisted => "You are still on the waitlist.",
                _ => return Ok(Outcome::Nothing("no longer going or waiting".into())),
            };
            (
                format!("Back on: {} on {}", s.content.title, zone.format_date(s.starts_at)),
                format!(
                    "Hello {},\n\n“{}” of {}, on {when}, is back on the schedule. {answer}\n\n{link}\n\n— {site}\n",
                    a.display_name, s.content.title, s.community_name
                ),
            )
        };
        self.mailer.send(&a.email, &subject, &body).await.map(|()| Outcome::Done)
    }
}
