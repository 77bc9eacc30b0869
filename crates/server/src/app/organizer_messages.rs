//! A host or organizer writes to the people going to a session (and, by
//! choice, those waiting): "the link changed", "running late". The request
//! only enqueues one mail per person; the runner sends them.

use super::jobs::{Attempt, Outcome};
use super::mail::Letter;
use super::push::Notification;
use super::{App, AppError, AppResult};
use cowork_core::input::{line, text};
use cowork_core::notifications::Kind;
use cowork_core::permissions::Action;
use cowork_core::time::Zone;
use cowork_core::{FieldError, Invalid};
use cowork_store::{Account, Job, StoreError};

/// What a host writes.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MessageInput {
    pub subject: String,
    pub text: String,
    pub include_waitlist: bool,
}

/// Messages one person may send about one session in an hour: enough for
/// "running late" and "here is the new link", not a mailing list.
const MESSAGES_PER_HOUR: i64 = 5;

impl App {
    /// Enqueues the message to everyone going (and waiting, if asked);
    /// returns how many will get it. Hosts and organizers only.
    pub async fn write_to_people(&self, me: &Account, session_id: &str, m: &MessageInput) -> AppResult<usize> {
        let v = self.session_for(me, session_id, Action::MarkAttendance).await?;
        let mut invalid = Invalid::default();
        let subject = invalid.take(line("subject", &m.subject, 1, 120));
        let body = invalid.take(text("text", &m.text, 5000));
        if body.as_deref() == Some("") {
            invalid.push(FieldError::new("text", "Write what you want to tell them."));
        }
        let (Some(subject), Some(body)) = (subject, body) else { return Err(invalid.into()) };
        if !invalid.is_empty() {
            return Err(invalid.into());
        }
        if v.session.ends_at <= self.now() {
            return Err(AppError::Forbidden("This session is over; there is nobody left to tell.".into()));
        }
        self.rate_limit(&[(format!("organizer-message:{}:{}", me.id, session_id), MESSAGES_PER_HOUR, 3600)]).await?;
        let n = self.store.enqueue_organizer_message(session_id, &me.display_name, &subject, &body, m.include_waitlist, self.now()).await?;
        self.jobs_due();
        Ok(n)
    }

    /// Sends one person a host's message, if they are still going or waiting.
    pub(super) async fn tell_organizer_message(&self, job: &Job) -> Attempt {
        #[derive(serde::Deserialize)]
        struct Message {
            session_id: String,
            account_id: String,
            from: String,
            subject: String,
            text: String,
        }
        let p: Message = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (s, a) = match (self.store.session(&p.session_id).await, self.store.account(&p.account_id).await) {
            (Ok(s), Ok(a)) => (s, a),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => {
                return Ok(Outcome::Nothing("the session or the person is gone".into()))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        if self.store.rsvp_status(&s.id, &a.id).await.map_err(|e| e.to_string())?.is_none() {
            return Ok(Outcome::Nothing("no longer going or waiting".into()));
        }
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let when = format!("{} ({})", zone.format_span(s.starts_at, s.ends_at), zone.name());
        let subject = format!("{} — {}", p.subject, s.content.title);
        let page = format!("{}/s/{}", self.config.base_url, s.id);
        let body = format!("{}: {}", p.from, p.text.chars().take(200).collect::<String>());
        let n = Notification { title: &subject, body: &body, url: &page, key: &job.dedupe_key, urgent: true, deadline: Some(s.ends_at) };
        self.push_if_chosen(Kind::OrganizerMessages, &s.community_id, &a.id, &n).await?;
        let l = Letter {
            subject,
            paragraphs: vec![format!("{} wrote to the people coming to “{}” of {}, on {when}:", p.from, s.content.title, s.community_name)],
            quote: p.text.lines().map(str::to_string).collect(),
            action: Some(("See the session".into(), page)),
            kind: Some(Kind::OrganizerMessages),
            community_id: Some(s.community_id.clone()),
            ..Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }
}
