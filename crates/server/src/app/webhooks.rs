//! Webhooks of communities: organizers add endpoints for their chat tools;
//! events become jobs in the transaction of the change, and each delivery is
//! a job of its own, retried with backoff. An endpoint failing for a day is
//! turned off and its organizers told.

pub mod payloads;

use super::jobs::{Attempt, Outcome};
use super::{App, AppError, AppResult};
use crate::outgoing::OutgoingError;
use cowork_core::permissions::{Action, Role};
use cowork_core::webhooks::{parse_events, parse_url, Event, Kind};
use cowork_core::{FieldError, Invalid};
use cowork_store::{Account, Community, Job, NewJob, Webhook, STARTING_LEAD, STARTING_WINDOW, WEBHOOK_DELIVER};
use payloads::Message;

/// The mail telling an organizer that a webhook of theirs was turned off.
pub const MAIL_WEBHOOK_OFF: &str = "mail.webhook_off";
use serde_json::json;

/// An endpoint failing this long without a success is turned off.
const FAILING_FOR: i64 = 86_400;

/// An endpoint as an organizer submits it (form or API).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct WebhookDraft {
    pub kind: String,
    pub url: String,
    pub events: Vec<String>,
    /// Matrix only: the access token of the account that posts.
    pub token: String,
}

impl App {
    /// Adds an endpoint after a test delivery succeeded; returns the generic
    /// signing secret (shown this once).
    pub async fn create_webhook(&self, me: &Account, slug: &str, d: &WebhookDraft) -> AppResult<(Webhook, Option<String>)> {
        let view = self.community_for(me, slug, Action::Edit).await?;
        let mut inv = Invalid::default();
        let kind = inv.take(Kind::parse(&d.kind));
        let url = inv.take(parse_url(&d.url));
        let events = inv.take(parse_events(&d.events));
        let token = d.token.trim().to_string();
        if kind == Some(Kind::Matrix) {
            if url.as_deref().is_some_and(|u| !u.trim_end_matches('/').ends_with("/send/m.room.message")) {
                inv.push(FieldError::new(
                    "url",
                    "For Matrix, use the room's send URL: https://HOMESERVER/_matrix/client/v3/rooms/ROOM_ID/send/m.room.message",
                ));
            }
            if token.is_empty() || token.len() > 500 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                inv.push(FieldError::new("token", "Paste the access token of the Matrix account that will post."));
            }
        }
        let (Some(kind), Some(url), Some(events)) = (kind, url, events) else {
            return Err(inv.into());
        };
        if !inv.is_empty() {
            return Err(inv.into());
        }
        let secret = match kind {
            Kind::Generic => payloads::new_secret(),
            Kind::Matrix => token,
            Kind::Slack | Kind::Discord => String::new(),
        };
        // Saved only once it works: the check and a test delivery, with the reason if not.
        let test = Message {
            event: "webhook.test".into(),
            headline: format!("{} is now connected to {}.", view.community.name, self.config.site_name),
            details: vec![format!("You will hear of: {}.", events.iter().map(|e| e.label().to_lowercase()).collect::<Vec<_>>().join("; "))],
            link: format!("{}/c/{}", self.config.base_url, view.community.slug),
            link_label: view.community.name.clone(),
            data: json!({ "community": view.community.slug }),
        };
        let id = format!("msg_test_{}", super::secret(8));
        self.deliver(kind, &url, &secret, &id, &test).await.map_err(|e| Invalid::one("url", format!("The test delivery failed: {e}")))?;
        let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        let t = self.now();
        let hook = self.store.create_webhook(&view.community.id, kind.as_str(), &url, &names, &secret, &me.id, t).await?;
        if events.contains(&Event::SessionStarting) {
            self.store.enqueue_starting_webhooks(Some(&view.community.id), t, t + STARTING_WINDOW, t).await?;
        }
        if events.contains(&Event::WeeklySchedule) {
            self.enqueue_weekly(&view.community).await?;
        }
        self.jobs_due();
        Ok((hook, (kind == Kind::Generic).then_some(secret)))
    }

    pub async fn webhooks(&self, me: &Account, slug: &str) -> AppResult<(Community, Vec<Webhook>)> {
        let view = self.community_for(me, slug, Action::Edit).await?;
        let hooks = self.store.webhooks_of(&view.community.id).await?;
        Ok((view.community, hooks))
    }

    pub async fn set_webhook_enabled(&self, me: &Account, slug: &str, id: &str, enabled: bool) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::Edit).await?;
        Ok(self.store.set_webhook_enabled(&view.community.id, id, enabled).await?)
    }

    pub async fn delete_webhook(&self, me: &Account, slug: &str, id: &str) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::Edit).await?;
        Ok(self.store.delete_webhook(&view.community.id, id).await?)
    }

    /// One request to one endpoint; Ok only for a 2xx answer.
    async fn deliver(&self, kind: Kind, url: &str, secret: &str, id: &str, m: &Message) -> Result<(), OutgoingError> {
        let req = payloads::request(kind, url, secret, id, self.now(), m);
        let answer = self.outgoing.send(req.method, &req.url, &req.headers, req.body.into_bytes()).await?;
        if answer.ok() {
            return Ok(());
        }
        let said: String = answer.body.chars().take(200).collect();
        let redirect = if (300..400).contains(&answer.status) { " (a redirect, which webhooks do not follow)" } else { "" };
        Err(OutgoingError::Failed(format!("The server answered {}{redirect}. {}", answer.status, said.trim()).trim().to_string()))
    }

    /// The next weekly schedule of a community: Monday 08:00 in its zone.
    async fn enqueue_weekly(&self, c: &Community) -> AppResult<bool> {
        let at = next_monday_morning(self.now(), &c.time_zone);
        let payload = json!({ "event": "schedule.weekly", "community_id": c.id, "week_from": at });
        Ok(self
            .store
            .enqueue_webhook_event(&c.id, Event::WeeklySchedule.as_str(), &format!("{}:{at}", c.id), payload, at, self.now())
            .await?)
    }

    /// Hourly: "starting in 10 minutes" for sessions planning did not reach,
    /// and a weekly schedule for every community that wants one.
    pub(crate) async fn webhooks_hourly(&self) -> AppResult<()> {
        let t = self.now();
        self.store.enqueue_starting_webhooks(None, t, t + STARTING_WINDOW, t).await?;
        for id in self.store.communities_with_webhooks_for(Event::WeeklySchedule.as_str()).await? {
            let c = self.store.community_by_id(&id).await?;
            self.enqueue_weekly(&c).await?;
        }
        Ok(())
    }

    /// An event: one delivery job per endpoint that wants it, keyed by this
    /// job and the endpoint, so a rerun adds none twice.
    pub(crate) async fn webhook_event(&self, job: &Job) -> Attempt {
        let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let event = p["event"].as_str().unwrap_or_default();
        let community = p["community_id"].as_str().unwrap_or_default();
        let hooks = self.store.webhooks_for(community, event).await.map_err(|e| e.to_string())?;
        if event == Event::WeeklySchedule.as_str() {
            if let Ok(c) = self.store.community_by_id(community).await {
                // The next week's comes when this one goes.
                self.enqueue_weekly(&c).await.map_err(|e| e.to_string())?;
            }
        }
        if hooks.is_empty() {
            return Ok(Outcome::Nothing("no endpoint wants this event any more".into()));
        }
        for h in &hooks {
            let mut d = NewJob::new(
                WEBHOOK_DELIVER,
                format!("{WEBHOOK_DELIVER}:{}:{}", job.id, h.id),
                json!({ "webhook_id": h.id, "event": p }),
                self.now(),
            );
            if job.deadline > 0 {
                d = d.until(job.deadline);
            }
            self.store.enqueue_job(&d, self.now()).await.map_err(|e| e.to_string())?;
        }
        self.jobs_due();
        Ok(Outcome::Done)
    }

    /// One delivery; its job id is the `webhook-id`, the same on every retry.
    pub(crate) async fn webhook_deliver(&self, job: &Job) -> Attempt {
        let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let hook = match self.store.webhook(p["webhook_id"].as_str().unwrap_or_default()).await {
            Ok(h) if h.enabled => h,
            Ok(_) => return Ok(Outcome::Nothing("the endpoint is turned off".into())),
            Err(cowork_store::StoreError::NotFound) => return Ok(Outcome::Nothing("the endpoint was deleted".into())),
            Err(e) => return Err(e.to_string()),
        };
        let message = match self.webhook_message(&p["event"]).await {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(Outcome::Nothing("what it was about changed or is gone".into())),
            Err(e) => return Err(e.to_string()),
        };
        let kind = Kind::parse(&hook.kind).map_err(|e| e.message)?;
        let id = format!("msg_{}", job.id);
        match self.deliver(kind, &hook.url, &hook.secret, &id, &message).await {
            Ok(()) => {
                self.store.webhook_delivered(&hook.id, self.now()).await.map_err(|e| e.to_string())?;
                Ok(Outcome::Done)
            }
            Err(e) => {
                let error = e.to_string();
                let since = self.store.webhook_failed(&hook.id, &error, self.now()).await.map_err(|e| e.to_string())?;
                if self.now() - since >= FAILING_FOR {
                    if self.store.disable_failing_webhook(&hook.id).await.map_err(|e| e.to_string())? {
                        self.tell_organizers_webhook_off(&hook, &error).await;
                    }
                    return Ok(Outcome::Nothing(format!("the endpoint failed for a day and was turned off: {error}")));
                }
                Err(error)
            }
        }
    }

    /// Queues a mail to each organizer and owner: their webhook was turned off.
    async fn tell_organizers_webhook_off(&self, hook: &Webhook, error: &str) {
        let Ok(members) = self.store.members(&hook.community_id).await else { return };
        let now = self.now();
        for m in members.iter().filter(|m| !m.pending && !m.removed && m.role >= Role::Organizer) {
            let payload = json!({ "community_id": hook.community_id, "account_id": m.account_id, "kind": hook.kind, "error": error });
            let job = NewJob::new(MAIL_WEBHOOK_OFF, format!("{MAIL_WEBHOOK_OFF}:{}:{now}:{}", hook.id, m.account_id), payload, now);
            if let Err(e) = self.store.enqueue_job(&job, now).await {
                tracing::warn!(error = %e, "could not queue the mail about a webhook turned off");
            }
        }
        self.jobs_due();
    }

    /// The mail to one organizer: a webhook of their community was turned off.
    pub(super) async fn tell_webhook_off(&self, job: &Job) -> Attempt {
        #[derive(serde::Deserialize)]
        struct Off {
            community_id: String,
            account_id: String,
            kind: String,
            error: String,
        }
        let p: Off = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (c, a) = match (self.store.community_by_id(&p.community_id).await, self.store.account(&p.account_id).await) {
            (Ok(c), Ok(a)) => (c, a),
            (Err(cowork_store::StoreError::NotFound), _) | (_, Err(cowork_store::StoreError::NotFound)) => {
                return Ok(Outcome::Nothing("the community or the person is gone".into()))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        let kind = Kind::parse(&p.kind).map(|k| k.label()).unwrap_or("webhook");
        let l = super::mail::Letter {
            subject: format!("A webhook of {} was turned off", c.name),
            paragraphs: vec![
                format!("The {kind} webhook of {} has failed for a day, so it was turned off.", c.name),
                "Fix the endpoint, then turn it back on.".into(),
            ],
            quote: vec![format!("Last error: {}", p.error)],
            action: Some(("The community's webhooks".into(), format!("{}/c/{}/webhooks", self.config.base_url, c.slug))),
            kind: Some(cowork_core::notifications::Kind::OrganizerNotices),
            community_id: Some(c.id.clone()),
            ..super::mail::Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }

    /// What an event says now; None when it no longer applies (the session
    /// moved or was cancelled since).
    async fn webhook_message(&self, p: &serde_json::Value) -> Result<Option<Message>, AppError> {
        let event = p["event"].as_str().and_then(Event::parse);
        let base = &self.config.base_url;
        let gone = |e: &AppError| matches!(e, AppError::NotFound);
        let m = match event {
            Some(Event::SessionStarting) | Some(Event::SessionCancelled) => {
                let s = match self.store.session(p["session_id"].as_str().unwrap_or_default()).await.map_err(AppError::from) {
                    Ok(s) => s,
                    Err(e) if gone(&e) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let when = local(s.starts_at, &s.content.time_zone);
                let data = json!({ "session_id": s.id, "title": s.content.title, "community": s.community_slug, "starts_at": s.starts_at, "url": format!("{base}/s/{}", s.id) });
                if event == Some(Event::SessionStarting) {
                    if s.cancelled || p["starts_at"].as_i64() != Some(s.starts_at) {
                        return Ok(None);
                    }
                    Message {
                        event: "session.starting".into(),
                        headline: format!("{} starts in {} minutes", s.content.title, STARTING_LEAD / 60),
                        details: vec![format!("{} · {when}", s.community_name)],
                        link: format!("{base}/s/{}/room", s.id),
                        link_label: "Join the room".into(),
                        data,
                    }
                } else {
                    if !s.cancelled {
                        return Ok(None);
                    }
                    let mut details = vec![format!("{} · {when}", s.community_name)];
                    if !s.cancel_note.is_empty() {
                        details.push(s.cancel_note.clone());
                    }
                    Message {
                        event: "session.cancelled".into(),
                        headline: format!("Cancelled: {}", s.content.title),
                        details,
                        link: format!("{base}/s/{}", s.id),
                        link_label: "See the session".into(),
                        data,
                    }
                }
            }
            Some(Event::SeriesCreated) => {
                let id = p["series_id"].as_str().unwrap_or_default();
                let series = match self.store.series(id).await.map_err(AppError::from) {
                    Ok(s) => s,
                    Err(e) if gone(&e) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let c = self.store.community_by_id(&series.community_id).await?;
                let first = self.store.series_sessions(id, self.now(), 1).await?.into_iter().next();
                let details = first.iter().map(|s| format!("First session: {}", local(s.starts_at, &s.content.time_zone))).collect();
                Message {
                    event: "series.created".into(),
                    headline: format!("New in {}: {}", c.name, series.content.title),
                    details,
                    link: first.as_ref().map(|s| format!("{base}/s/{}", s.id)).unwrap_or_else(|| format!("{base}/c/{}", c.slug)),
                    link_label: "See it and RSVP".into(),
                    data: json!({ "series_id": series.id, "title": series.content.title, "community": c.slug }),
                }
            }
            Some(Event::WeeklySchedule) => {
                let c = match self.store.community_by_id(p["community_id"].as_str().unwrap_or_default()).await.map_err(AppError::from) {
                    Ok(c) => c,
                    Err(e) if gone(&e) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let from = p["week_from"].as_i64().unwrap_or_else(|| self.now());
                let sessions = self.store.community_sessions(&c.id, from, from + 7 * 86_400, 50).await?;
                let sessions: Vec<_> = sessions.into_iter().filter(|s| !s.cancelled).collect();
                let details = if sessions.is_empty() {
                    vec!["No sessions planned this week.".to_string()]
                } else {
                    sessions.iter().map(|s| format!("• {} — {}", local(s.starts_at, &c.time_zone), s.content.title)).collect()
                };
                Message {
                    event: "schedule.weekly".into(),
                    headline: format!("This week in {}", c.name),
                    details,
                    link: format!("{base}/c/{}", c.slug),
                    link_label: "The full schedule".into(),
                    data: json!({
                        "community": c.slug,
                        "sessions": sessions.iter().map(|s| json!({ "session_id": s.id, "title": s.content.title, "starts_at": s.starts_at })).collect::<Vec<_>>(),
                    }),
                }
            }
            None => return Ok(None),
        };
        Ok(Some(m))
    }
}

/// A time as people in a zone read it, with the zone named.
fn local(t: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_second(t) {
        Ok(ts) => ts.to_zoned(tz).strftime("%a %-d %b, %H:%M (%Z)").to_string(),
        Err(_) => String::new(),
    }
}

/// The next Monday 08:00 in `zone` after `now`.
fn next_monday_morning(now: i64, zone: &str) -> i64 {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(ts) = jiff::Timestamp::from_second(now) else { return now + 7 * 86_400 };
    let today = ts.to_zoned(tz.clone()).date();
    for days in 0..8 {
        let Ok(d) = today.checked_add(jiff::Span::new().days(days)) else { continue };
        if d.weekday() != jiff::civil::Weekday::Monday {
            continue;
        }
        if let Ok(z) = d.at(8, 0, 0, 0).to_zoned(tz.clone()) {
            if z.timestamp().as_second() > now {
                return z.timestamp().as_second();
            }
        }
    }
    now + 7 * 86_400
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_weekly_schedule_goes_on_monday_morning_in_the_community_zone() {
        // Wednesday 2026-12-02 03:00 UTC → Monday 2026-12-07 08:00 in Berlin (07:00 UTC).
        let now = jiff::Timestamp::from_second(1_780_000_000).unwrap();
        let _ = now;
        let wed = "2026-12-02T03:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second();
        let mon = "2026-12-07T07:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second();
        assert_eq!(super::next_monday_morning(wed, "Europe/Berlin"), mon);
        assert_eq!(super::next_monday_morning(mon, "Europe/Berlin"), mon + 7 * 86_400);
    }
}
