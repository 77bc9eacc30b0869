//! Mail that gathers: the weekly digest a member chose per community (next
//! week's sessions, on Sunday evening in their zone), and the organizers'
//! notices of join requests waiting and of sessions soon without a host.
//! The hourly job enqueues what falls due; each job composes its mail from
//! the rows as they are when it runs, and sends nothing that no longer holds.

use super::jobs::{Attempt, Outcome};
use super::mail::Letter;
use super::push::Notification;
use super::App;
use cowork_core::notifications::{next_digest, Kind};
use cowork_core::permissions::{Role, Standing};
use cowork_core::rsvp::RsvpStatus;
use cowork_core::time::{relative, Zone};
use cowork_store::{Account, Community, Job, NewJob, StoreError, NO_HOST_AHEAD, WEEKLY_DIGEST};
use serde::Deserialize;

/// Sessions a digest lists at most; the rest are a link away.
const DIGEST_SESSIONS: i64 = 40;
/// A digest more than this late is not worth sending (next week's is near).
const DIGEST_LATE: i64 = 6 * 3600;

#[derive(Deserialize)]
struct ToOne {
    community_id: String,
    account_id: String,
}

impl App {
    /// Hourly: the digests due in the next two hours (or in the hour just
    /// gone, should this run late), and the notices of sessions in the next
    /// 48 hours that have no host. Dedupe keys make running twice harmless.
    pub(super) async fn digests_hourly(&self) -> Result<(), cowork_store::StoreError> {
        let t = self.now();
        let mut jobs = Vec::new();
        for r in self.store.digest_readers().await? {
            let zone = Zone::parse("tz", &r.time_zone).unwrap_or_else(|_| Zone::utc());
            let week = next_digest(t - 3600, &zone);
            if week.sent_at >= t + 2 * 3600 {
                continue;
            }
            let payload = serde_json::json!({
                "community_id": r.community_id, "account_id": r.account_id, "from": week.from, "to": week.to,
            });
            let key = format!("{WEEKLY_DIGEST}:{}:{}:{}", r.community_id, r.account_id, week.monday);
            jobs.push(NewJob::new(WEEKLY_DIGEST, key, payload, week.sent_at).until(week.sent_at + DIGEST_LATE));
        }
        if self.store.enqueue_jobs(&jobs, t).await? > 0 {
            self.jobs_due();
        }
        for u in self.store.sessions_without_host(t, t + NO_HOST_AHEAD + 3600).await? {
            self.store.enqueue_no_host_notices(&u, t).await?;
        }
        Ok(())
    }

    /// The person and community of a job, if both are still there.
    async fn person_and_community(&self, account_id: &str, community_id: &str) -> Result<Option<(Account, Community)>, String> {
        match (self.store.account(account_id).await, self.store.community_by_id(community_id).await) {
            (Ok(a), Ok(c)) => Ok(Some((a, c))),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => Ok(None),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        }
    }

    async fn still_organizer(&self, community_id: &str, account_id: &str) -> Result<bool, String> {
        let standing = self.store.standing(community_id, account_id).await.map_err(|e| e.to_string())?;
        Ok(matches!(standing, Standing::Member(Role::Organizer | Role::Owner)))
    }

    /// One person's digest of one community: the week's sessions in their zone.
    pub(super) async fn send_weekly_digest(&self, job: &Job) -> Attempt {
        #[derive(Deserialize)]
        struct Week {
            #[serde(flatten)]
            to_one: ToOne,
            from: i64,
            to: i64,
        }
        let p: Week = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let Some((a, c)) = self.person_and_community(&p.to_one.account_id, &p.to_one.community_id).await? else {
            return Ok(Outcome::Nothing("the person or the community is gone".into()));
        };
        if !self.store.reads_digest(&a.id, &c.id).await.map_err(|e| e.to_string())? {
            return Ok(Outcome::Nothing("the person no longer reads this digest".into()));
        }
        let sessions = self.store.community_sessions(&c.id, p.from, p.to, DIGEST_SESSIONS + 1).await.map_err(|e| e.to_string())?;
        let sessions: Vec<_> = sessions.into_iter().filter(|s| !s.cancelled).collect();
        if sessions.is_empty() {
            return Ok(Outcome::Nothing("no sessions next week".into()));
        }
        let mine = self.store.my_sessions(&a.id, p.from, p.to, 200).await.map_err(|e| e.to_string())?;
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let count = if sessions.len() as i64 > DIGEST_SESSIONS { format!("{DIGEST_SESSIONS}+") } else { sessions.len().to_string() };
        let subject = format!("Next week in {}: {count} session{}", c.name, if sessions.len() == 1 { "" } else { "s" });
        let mut lines: Vec<String> = sessions
            .iter()
            .take(DIGEST_SESSIONS as usize)
            .map(|s| {
                let going = match mine.iter().find(|m| m.session.id == s.id).map(|m| m.status) {
                    Some(RsvpStatus::Going) => " — you are going",
                    Some(_) => " — you are on the waitlist",
                    None => "",
                };
                let places = match s.places_left() {
                    Some(0) => " (full: waitlist)".to_string(),
                    Some(n) => format!(" ({n} place{} left)", if n == 1 { "" } else { "s" }),
                    None => String::new(),
                };
                format!(
                    "{}: {}{places}{going}\n{}/s/{}",
                    zone.format_span(s.starts_at, s.ends_at),
                    s.content.title,
                    self.config.base_url,
                    s.id
                )
            })
            .collect();
        if sessions.len() as i64 > DIGEST_SESSIONS {
            lines.push("… and more on the community's page.".into());
        }
        let page = format!("{}/c/{}", self.config.base_url, c.slug);
        let body = format!("{count} session{} next week. Times are in {}.", if sessions.len() == 1 { "" } else { "s" }, zone.name());
        let n = Notification { title: &subject, body: &body, url: &page, key: &job.dedupe_key, urgent: false, deadline: Some(p.from) };
        self.push_if_chosen(Kind::WeeklyDigest, &c.id, &a.id, &n).await?;
        let l = Letter {
            subject,
            paragraphs: vec![format!(
                "Here is what {} has planned from Monday to Sunday; times are in your zone, {}.",
                c.name,
                zone.name()
            )],
            quote: lines,
            action: Some(("See the schedule".into(), page)),
            kind: Some(Kind::WeeklyDigest),
            community_id: Some(c.id.clone()),
            ..Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }

    /// An organizer's notice of the people waiting to join, an hour's
    /// requests at once; nothing if someone has dealt with them meanwhile.
    pub(super) async fn tell_join_requests(&self, job: &Job) -> Attempt {
        let p: ToOne = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let Some((a, c)) = self.person_and_community(&p.account_id, &p.community_id).await? else {
            return Ok(Outcome::Nothing("the person or the community is gone".into()));
        };
        if !self.still_organizer(&c.id, &a.id).await? {
            return Ok(Outcome::Nothing("no longer an organizer".into()));
        }
        let (names, waiting) = self.store.join_requests(&c.id, 10).await.map_err(|e| e.to_string())?;
        if waiting == 0 {
            return Ok(Outcome::Nothing("no requests are waiting any more".into()));
        }
        let people = if waiting == 1 { "1 person is".to_string() } else { format!("{waiting} people are") };
        let subject = format!("{people} waiting to join {}", c.name);
        let mut quote = names;
        if waiting > quote.len() as i64 {
            quote.push(format!("… and {} more", waiting - quote.len() as i64));
        }
        let members = format!("{}/c/{}/members", self.config.base_url, c.slug);
        let body = "Approve or decline them on the members page.".to_string();
        let n = Notification { title: &subject, body: &body, url: &members, key: &job.dedupe_key, urgent: false, deadline: None };
        self.push_if_chosen(Kind::OrganizerNotices, &c.id, &a.id, &n).await?;
        let l = Letter {
            subject,
            paragraphs: vec![format!("{people} waiting for an organizer of {} to let them in:", c.name)],
            quote,
            action: Some(("Approve or decline".into(), members)),
            kind: Some(Kind::OrganizerNotices),
            community_id: Some(c.id.clone()),
            ..Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }

    /// A notice that a session soon has no host (to organizers and the
    /// series' hosts), unless one was assigned, or the session moved or was
    /// cancelled, meanwhile.
    pub(super) async fn tell_no_host(&self, job: &Job) -> Attempt {
        #[derive(Deserialize)]
        struct Of {
            session_id: String,
            account_id: String,
            starts_at: i64,
        }
        let p: Of = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let (s, a) = match (self.store.session(&p.session_id).await, self.store.account(&p.account_id).await) {
            (Ok(s), Ok(a)) => (s, a),
            (Err(StoreError::NotFound), _) | (_, Err(StoreError::NotFound)) => {
                return Ok(Outcome::Nothing("the session or the person is gone".into()))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.to_string()),
        };
        if s.cancelled || s.starts_at != p.starts_at {
            return Ok(Outcome::Nothing("the session was cancelled or moved".into()));
        }
        if self.store.session_host_assigned(&s.id).await.map_err(|e| e.to_string())? {
            return Ok(Outcome::Nothing("a host was assigned".into()));
        }
        let rota = self.store.series_hosts(&s.series_id).await.map_err(|e| e.to_string())?;
        if !rota.iter().any(|(id, _)| *id == a.id) && !self.still_organizer(&s.community_id, &a.id).await? {
            return Ok(Outcome::Nothing("no longer an organizer or a host of the series".into()));
        }
        let zone = Zone::parse("tz", &a.time_zone).unwrap_or_else(|_| Zone::utc());
        let when = format!("{} ({})", zone.format_span(s.starts_at, s.ends_at), zone.name());
        let subject = format!("No host yet: {}, {}", s.content.title, relative(self.now(), s.starts_at));
        let page = format!("{}/s/{}#host", self.config.base_url, s.id);
        let n = Notification { title: &subject, body: &when, url: &page, key: &job.dedupe_key, urgent: false, deadline: Some(s.starts_at) };
        self.push_if_chosen(Kind::OrganizerNotices, &s.community_id, &a.id, &n).await?;
        let l = Letter {
            subject,
            paragraphs: vec![
                format!(
                    "“{}” of {}, on {when}, has no host yet. Its hosts take turns: {}.",
                    s.content.title,
                    s.community_name,
                    rota.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>().join(", ")
                ),
                format!(
                    "{} going. A host opens the room, starts the timer and welcomes newcomers. Take it, or assign someone, on the session's page.",
                    s.going_count
                ),
            ],
            action: Some(("Host it or assign someone".into(), page)),
            kind: Some(Kind::OrganizerNotices),
            community_id: Some(s.community_id.clone()),
            ..Letter::to(&a)
        };
        self.send_letter(job, Some(&a.id), &l, false).await
    }
}
