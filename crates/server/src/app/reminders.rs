//! Reminders before a session, by mail and, where chosen, by push; composed
//! when the job runs, in the person's zone, and only if they still hold.

use super::jobs::{Attempt, Outcome};
use super::mail::Letter;
use super::push::Notification;
use super::App;
use cowork_core::notifications::{Kind, ReminderTime};
use cowork_core::rsvp::RsvpStatus;
use cowork_core::time::{relative, Zone};
use cowork_store::{Account, Job, RecipientChoices, Session, StoreError};

#[derive(serde::Deserialize)]
struct Reminder {
    session_id: String,
    account_id: String,
    #[serde(default)]
    time: String,
    starts_at: i64,
}

impl App {
    /// The session and person of a reminder, if it still holds: the session
    /// still starts when the job says (a moved one has new jobs), is not
    /// cancelled, and the person still goes.
    async fn still_going(&self, p: &Reminder) -> Result<Result<(Session, Account), String>, String> {
        let found = (self.store.session_and_answer(&p.session_id, &p.account_id).await, self.store.account(&p.account_id).await);
        let ((s, answer), a) = match found {
            (Ok(s), Ok(a)) => (s, a),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => return Ok(Err("the session or the person is gone".into())),
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        if s.cancelled {
            return Ok(Err("the session is cancelled".into()));
        }
        if s.starts_at != p.starts_at {
            return Ok(Err("the session moved; its reminders were queued anew".into()));
        }
        if answer != Some(RsvpStatus::Going) {
            return Ok(Err("the person is no longer going".into()));
        }
        Ok(Ok((s, a)))
    }

    /// Sends one reminder, if it still holds.
    pub(super) async fn remind(&self, job: &Job) -> Attempt {
        let p: Reminder = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (s, a) = match self.still_going(&p).await? {
            Ok(found) => found,
            Err(why) => return Ok(Outcome::Nothing(why)),
        };
        let (time, choices) = match self.reminder_choices(&a, &s.community_id, &p.time).await? {
            Ok(found) => found,
            Err(why) => return Ok(Outcome::Nothing(why)),
        };
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let when = format!("{} ({})", zone.format_span(s.starts_at, s.ends_at), zone.name());
        let title = &s.content.title;
        let soon = matches!(time, ReminderTime::HourBefore | ReminderTime::TenMinutes);
        let page = format!("{}/s/{}", self.config.base_url, s.id);
        let room = format!("{page}/room");
        let starts = relative(self.now(), s.starts_at);
        let subject = format!("Reminder: {title}, {starts}");
        let body = format!("{when}. {}", s.community_name);
        let n = Notification {
            title: &subject,
            body: &body,
            url: if soon { &room } else { &page },
            key: &job.dedupe_key,
            urgent: soon,
            deadline: Some(s.starts_at),
        };
        let mut paragraphs = vec![format!("“{title}” of {}, on {when}, starts {starts}. You are going.", s.community_name)];
        // Only people going get reminders, and the session page shows them the video link too.
        if soon {
            paragraphs.push(format!("The room: {room}"));
            if !s.content.video_url.is_empty() {
                paragraphs.push(format!("The video call: {}", s.content.video_url));
            }
        } else if s.at_a_place() {
            paragraphs.push(self.where_line(&s, true).await?);
        }
        paragraphs.push("If you can no longer come, cancel on the session's page so the next person gets the place.".into());
        let l = Letter {
            subject: subject.clone(),
            paragraphs,
            action: Some(if soon { ("Enter the room".into(), room.clone()) } else { ("See the session".into(), page.clone()) }),
            kind: Some(Kind::Reminders),
            community_id: Some(s.community_id.clone()),
            ..Letter::to(&a)
        };
        self.send_reminder(job, &a, &choices, &n, &l).await
    }

    /// Everything a person chose for a reminder at `time`, in one read
    /// (reminder times, mail, push, muted, bounced); or why it is not due,
    /// `time` being no longer one of theirs.
    pub(super) async fn reminder_choices(
        &self,
        a: &Account,
        community_id: &str,
        time: &str,
    ) -> Result<Result<(ReminderTime, RecipientChoices), String>, String> {
        let choices = self.store.recipient_choices(&a.id, &a.email, Kind::Reminders, community_id).await.map_err(|e| e.to_string())?;
        let time = ReminderTime::parse(time).unwrap_or(ReminderTime::HourBefore);
        if !choices.reminder_times.contains(&time) {
            return Ok(Err(format!("{} is no longer one of the person's reminder times", time.as_str())));
        }
        Ok(Ok((time, choices)))
    }

    /// Sends a reminder by push, if the person chose it, and by mail.
    pub(super) async fn send_reminder(
        &self,
        job: &Job,
        a: &Account,
        choices: &RecipientChoices,
        n: &Notification<'_>,
        l: &Letter,
    ) -> Attempt {
        if choices.push.enabled && !choices.muted {
            self.enqueue_push(&a.id, n).await.map_err(|e| e.to_string())?;
        }
        self.send_letter_with(job, Some(&a.id), l, false, Some(choices)).await
    }
}

impl App {
    /// "Starting now", when the room opens, to someone going who turned it on.
    pub(super) async fn tell_starting_now(&self, job: &Job) -> Attempt {
        let p: Reminder = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (s, a) = match self.still_going(&p).await? {
            Ok(found) => found,
            Err(why) => return Ok(Outcome::Nothing(why)),
        };
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let title = &s.content.title;
        let room = format!("{}/s/{}/room", self.config.base_url, s.id);
        let subject = format!("Starting now: {title}");
        let body = format!("The room is open; it starts at {} ({}).", zone.clock(s.starts_at), zone.name());
        let n = Notification { title: &subject, body: &body, url: &room, key: &job.dedupe_key, urgent: true, deadline: Some(s.ends_at) };
        self.push_if_chosen(Kind::StartingNow, &s.community_id, &a.id, &n).await?;
        let mut paragraphs = vec![format!("The room of “{title}” of {} is open. {body}", s.community_name), format!("The room: {room}")];
        if !s.content.video_url.is_empty() {
            paragraphs.push(format!("The video call: {}", s.content.video_url));
        }
        let l = Letter {
            subject,
            paragraphs,
            action: Some(("Enter the room".into(), room.clone())),
            kind: Some(Kind::StartingNow),
            community_id: Some(s.community_id.clone()),
            ..Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }
}
