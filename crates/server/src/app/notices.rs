//! What people are told by mail about a session they answered: the
//! confirmation with its calendar invitation (or the waitlist), a place from
//! the waitlist, an update when time, place or link changes, and the
//! invitation withdrawn when they cancel or the session is; and organizers,
//! of a message reported in a room. Each in their own zone, named; composed
//! when the job runs, from the rows as they are then.

use super::jobs::{Attempt, Outcome};
use super::mail::Letter;
use super::push::Notification;
use super::App;
use crate::ical::{write_invitation, Invitation};
use cowork_core::notifications::Kind;
use cowork_core::rsvp::RsvpStatus;
use cowork_core::time::Zone;
use cowork_store::{Account, Job, Session, StoreError};

#[derive(serde::Deserialize)]
struct About {
    session_id: String,
    account_id: String,
    #[serde(default)]
    note: String,
}

/// What a session mail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionMail {
    Rsvp,
    Place,
    Updated,
    RsvpCancelled,
    Cancelled,
    Restored,
}

impl App {
    /// The session and person a job names; None when either is gone.
    async fn session_and_person(&self, job: &Job) -> Result<Option<(About, Session, Account)>, String> {
        let p: About = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        match (self.store.session(&p.session_id).await, self.store.account(&p.account_id).await) {
            (Ok(s), Ok(a)) => Ok(Some((p, s, a))),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => Ok(None),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        }
    }

    /// The iTIP invitation for one person (REQUEST, or CANCEL to withdraw it).
    async fn invitation(&self, s: &Session, a: &Account, method: &'static str) -> Result<(&'static str, String), String> {
        let places = self.places_by_id(std::iter::once(s)).await.map_err(|e| e.to_string())?;
        let mut event = self.event_of(s, &places, true, false);
        if method == "CANCEL" {
            event.status = "CANCELLED";
        }
        let organizer = self.mailer.from_address();
        let inv = Invitation {
            method,
            event: &event,
            organizer_name: &self.config.site_name,
            organizer_email: &organizer,
            attendee_name: &a.display_name,
            attendee_email: &a.email,
        };
        Ok((method, write_invitation(&inv, self.now())))
    }

    /// Composes and sends one mail about a session to one person.
    pub(super) async fn tell_about_session(&self, job: &Job, what: SessionMail) -> Attempt {
        let Some((p, s, a)) = self.session_and_person(job).await? else {
            return Ok(Outcome::Nothing("the session or the person is gone".into()));
        };
        let mine = self.store.rsvp_status(&s.id, &a.id).await.map_err(|e| e.to_string())?.map(|r| (r.status, r.waitlist_place));
        let going = matches!(mine, Some((RsvpStatus::Going, _)));
        // Each mail says what still holds when it is sent; a later change sends its own.
        let stale = match what {
            SessionMail::Rsvp => s.cancelled || mine.is_none(),
            SessionMail::Place | SessionMail::Updated => s.cancelled || !going,
            SessionMail::RsvpCancelled => mine.is_some(),
            SessionMail::Cancelled => !s.cancelled,
            SessionMail::Restored => s.cancelled || mine.is_none(),
        };
        if stale {
            return Ok(Outcome::Nothing("the answer or the session changed again before this was sent".into()));
        }
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let when = format!("{} ({})", zone.format_span(s.starts_at, s.ends_at), zone.name());
        let title = &s.content.title;
        let of = &s.community_name;
        let date = zone.format_date(s.starts_at);
        let link = format!("{}/s/{}", self.config.base_url, s.id);
        let mut l = Letter {
            action: Some(("See the session".into(), link.clone())),
            kind: Some(Kind::Confirmations),
            community_id: Some(s.community_id.clone()),
            ..Letter::to(&a)
        };
        // A home's street is for the people going, not for the waitlist.
        let place = self.where_line(&s, going).await?;
        match what {
            SessionMail::Rsvp if !going => {
                let n = mine.map(|m| m.1).unwrap_or(0);
                l.subject = format!("On the waitlist: {title} on {date}");
                l.paragraphs = vec![
                    format!("“{title}” of {of}, on {when}, is full. You are number {n} on the waitlist."),
                    "If a place comes free it is yours, and a calendar invitation follows by mail.".into(),
                ];
            }
            SessionMail::Rsvp | SessionMail::Place | SessionMail::Restored => {
                l.subject = match what {
                    SessionMail::Place => format!("You have a place: {title} on {date}"),
                    SessionMail::Restored => format!("Back on: {title} on {date}"),
                    _ => format!("You're going: {title} on {date}"),
                };
                let first = match what {
                    SessionMail::Place => format!("A place came free and it is yours: you are now going to “{title}” of {of}, on {when}."),
                    SessionMail::Restored if !going => {
                        format!("“{title}” of {of}, on {when}, is back on the schedule. You are still on the waitlist.")
                    }
                    SessionMail::Restored => format!("“{title}” of {of}, on {when}, is back on the schedule. You are still going."),
                    _ => format!("You are going to “{title}” of {of}, on {when}."),
                };
                l.paragraphs = vec![first, place];
                if going && s.at_a_place() {
                    if let Some(pass) = self.store.pass(&s.id, &a.id).await.map_err(|e| e.to_string())?.filter(|p| !p.online) {
                        let code = cowork_core::checkin::display(&pass.code);
                        l.paragraphs
                            .push(format!("Your check-in code is {code}: show it at the door (its QR code is on the session's page)."));
                        l.picture = Some(super::checkins::qr_svg(&self.checkin_link(&s.id, &pass.code)));
                    }
                }
                if going {
                    l.paragraphs.push("The invitation in this mail adds it to your calendar. If you can no longer come, cancel on the session's page so the next person gets the place.".into());
                    l.calendar = Some(self.invitation(&s, &a, "REQUEST").await?);
                }
            }
            SessionMail::Updated => {
                l.subject = format!("Changed: {title} on {date}");
                l.paragraphs = vec![
                    format!("“{title}” of {of} changed. It is now on {when}."),
                    place,
                    "The invitation in this mail updates your calendar.".into(),
                ];
                l.calendar = Some(self.invitation(&s, &a, "REQUEST").await?);
            }
            SessionMail::RsvpCancelled => {
                l.subject = format!("Not going: {title} on {date}");
                l.paragraphs = vec![
                    format!("You are no longer going to “{title}” of {of}, on {when}."),
                    "The invitation in this mail takes it off your calendar. Changed your mind? Answer again on the session's page.".into(),
                ];
                l.calendar = Some(self.invitation(&s, &a, "CANCEL").await?);
            }
            SessionMail::Cancelled => {
                l.subject = format!("Cancelled: {title} on {date}");
                l.paragraphs = vec![format!("“{title}” of {of}, on {when}, is cancelled.")];
                if !p.note.is_empty() {
                    l.paragraphs.push("The organizers wrote:".into());
                    l.quote = p.note.lines().map(str::to_string).collect();
                }
                l.paragraphs
                    .push("The invitation in this mail takes it off your calendar. Other sessions of the series are not affected.".into());
                l.calendar = Some(self.invitation(&s, &a, "CANCEL").await?);
            }
        }
        // By push too where chosen, but not for what the person just did themselves.
        if !matches!(what, SessionMail::Rsvp | SessionMail::RsvpCancelled) {
            let body = l.paragraphs.first().cloned().unwrap_or_default();
            let urgent = s.starts_at - self.now() < 86_400;
            let n = Notification { title: &l.subject, body: &body, url: &link, key: &job.dedupe_key, urgent, deadline: Some(s.ends_at) };
            self.push_if_chosen(Kind::Confirmations, &s.community_id, &a.id, &n).await?;
        }
        self.send_letter(job, Some(&a.id), &l, false).await
    }
}

impl App {
    /// Tells one organizer (or conduct contact) of a reported message.
    pub(super) async fn tell_of_report(&self, job: &Job) -> Attempt {
        #[derive(serde::Deserialize)]
        struct Of {
            report_id: String,
            account_id: String,
        }
        let p: Of = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let found = (self.store.report(&p.report_id).await, self.store.account(&p.account_id).await);
        let ((community_id, r), a) = match found {
            (Ok(r), Ok(a)) => (r, a),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => {
                return Ok(Outcome::Nothing("the report or the person is gone".into()))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        let c = match self.store.community_by_id(&community_id).await {
            Ok(c) => c,
            Err(StoreError::NotFound) => return Ok(Outcome::Nothing("the community is gone".into())),
            Err(e) => return Err(e.to_string()),
        };
        let subject = format!("A message was reported in {}", c.name);
        let reports = format!("{}/c/{}/reports", self.config.base_url, c.slug);
        let body = format!("{} reported a message by {} in “{}”.", r.reporter_name, r.author_name, r.session_title);
        let n = Notification { title: &subject, body: &body, url: &reports, key: &job.dedupe_key, urgent: true, deadline: None };
        self.push_if_chosen(Kind::OrganizerNotices, &c.id, &a.id, &n).await?;
        let l = Letter {
            subject,
            paragraphs: vec![
                format!("{} reported a message in the room of “{}”.", r.reporter_name, r.session_title),
                format!("Message by {}:", r.author_name),
            ],
            quote: r
                .message_text
                .lines()
                .map(str::to_string)
                .chain([format!("Reason: {}", if r.reason.is_empty() { "(none given)" } else { &r.reason })])
                .collect(),
            action: Some(("See the community's reports".into(), reports)),
            kind: Some(Kind::OrganizerNotices),
            community_id: Some(c.id.clone()),
            ..Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }
}
