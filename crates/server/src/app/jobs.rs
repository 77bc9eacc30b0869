//! The job runner: delivers what the store's job table says others must hear
//! of. Every node runs one; a claim is a lease, so each job is done by one
//! node at a time, and a node that dies mid-job leaves it to be claimed again.
//!
//! A job kind is handled by one function; its outcome says whether the job
//! did its work, had nothing left to do (done, with a note), or failed (tried
//! again later with backoff, then `dead`).

use super::notices::SessionMail;
use super::{secret, App, AppError, AppResult};
use cowork_store::{
    Account, Job, JobCounts, NewJob, JOIN_REQUESTS, MAIL_ORGANIZER_MESSAGE, MAIL_PARTNER_LEFT, MAIL_PARTNER_MATCHED, MAIL_PARTNER_REPORT,
    MAIL_PLACE, MAIL_REPORT, MAIL_RSVP, MAIL_RSVP_CANCELLED, MAIL_SESSION_UPDATED, MAIL_SIGN_IN, NO_HOST, PARTNER_NO_SHOWS,
    PARTNER_REMINDER, PARTNER_THREES, PUSH_SEND, REMINDER, SESSION_CANCELLED, SESSION_RESTORED, STARTING_NOW, WEBHOOK_DELIVER,
    WEBHOOK_EVENT, WEEKLY_DIGEST,
};
use std::time::Duration;

/// How long a claimed job is ours before another node may take it over: a
/// node killed mid-job delays that one job by at most this. Every channel
/// gives up well before it (SMTP and HTTP time out after 10 s).
const LEASE_SECONDS: i64 = 30;
/// After this many failed attempts a job is `dead`, kept with its last error.
pub const MAX_ATTEMPTS: i64 = 8;
/// Jobs one node runs at once (a mail spends most of its time waiting on
/// the mail server or the database).
pub(crate) const IN_FLIGHT: usize = 32;
/// The runner looks for due jobs at least this often, even without a signal.
pub const POLL: Duration = Duration::from_secs(5);
/// Connections of the runner's own pool: fewer than the pages' pool, so a
/// burst of jobs queues for its own and pages keep theirs. SQLite has one
/// writer at a time anyway, and more connections would only wait on its lock.
/// On PostgreSQL each is a server process busy for the whole burst, at the
/// pages' CPU priority: in the burst benchmark on two cores, 4 per node
/// raised the page's p99 1.1-2.4 times, 2 per node 1.3-1.6 times, and the
/// 10,000 mails went about as fast (14-16 s).
const RUNNER_CONNECTIONS_SQLITE: u32 = 2;
const RUNNER_CONNECTIONS_POSTGRES: u32 = 2;

/// The instance's hourly work, enqueued by every node for the same hour
/// under one dedupe key, so it runs once per instance whatever the nodes.
pub const HOURLY: &str = "hourly";
/// Everyone in a live room checked again against the door's rules, every
/// few minutes, once per instance (whichever node claims it).
pub const ROOM_RIGHTS: &str = "room_rights";
const ROOM_RIGHTS_EVERY: i64 = 300;

/// What one attempt of a job came to.
pub enum Outcome {
    Done,
    /// Nothing to do any more (the session or the person is gone): done, with why.
    Nothing(String),
}

/// A failed attempt, retried later.
pub type Attempt = Result<Outcome, String>;

impl App {
    /// Wakes this node's runner: a job was just enqueued.
    pub fn jobs_due(&self) {
        self.job_signal.notify_one();
    }

    /// Runs every job due now, up to `IN_FLIGHT` at once; returns how many
    /// were done. Jobs are claimed in batches (one round trip for up to
    /// half of `IN_FLIGHT`), topped up as they finish.
    pub async fn run_due_jobs(&self) -> usize {
        let owner = secret(8);
        let mut running = tokio::task::JoinSet::new();
        let (mut done, mut more) = (0, true);
        loop {
            if more && running.len() <= IN_FLIGHT / 2 {
                let (t, room) = (self.now(), IN_FLIGHT - running.len());
                match self.store.claim_jobs(&owner, t, t + LEASE_SECONDS, room as i64).await {
                    Ok(jobs) => {
                        // Fewer than asked for: nothing else is due now.
                        more = jobs.len() == room;
                        for job in jobs {
                            let (app, owner) = (self.clone(), owner.clone());
                            running.spawn(async move { app.run_claimed(job, &owner).await });
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not claim jobs");
                        more = false;
                    }
                }
            }
            match running.join_next().await {
                Some(r) => done += r.unwrap_or(0),
                None => break,
            }
        }
        done
    }

    /// How long the runner may sleep: until the next queued job is due, at
    /// most `POLL` (a job enqueued elsewhere without a signal, a lease running
    /// out), by this app's clock.
    pub async fn next_wake(&self) -> Duration {
        match self.store.next_job_due().await {
            Ok(next) => wake_after(next, self.clock.now_ms()),
            Err(e) => {
                tracing::warn!(error = %e, "could not read when the next job is due");
                POLL
            }
        }
    }

    /// Runs one claimed job and records how it ended; 1 if it was done.
    async fn run_claimed(&self, job: Job, owner: &str) -> usize {
        let mut done = 0;
        let finished = if job.deadline > 0 && self.now() > job.deadline {
            // Too late to be of use (a reminder after the start): never sent late.
            self.metrics.jobs_dropped.inc();
            self.store.finish_job(&job.id, owner, "dropped", "its deadline passed before it could run", self.now()).await
        } else {
            match self.run_job(&job).await {
                Ok(outcome) => {
                    done = 1;
                    self.metrics.jobs_done.inc();
                    let note = match outcome {
                        Outcome::Done => String::new(),
                        Outcome::Nothing(why) => why,
                    };
                    self.store.finish_job(&job.id, owner, "done", &note, self.now()).await
                }
                Err(error) => {
                    self.metrics.jobs_failed.inc();
                    tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error, "job failed");
                    let retry_at = (job.attempts < MAX_ATTEMPTS).then(|| self.now() + backoff(job.attempts));
                    self.store.fail_job(&job.id, owner, &error, retry_at, self.now()).await
                }
            }
        };
        match finished {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = %job.id, "lease lost before the job finished; another node has it"),
            Err(e) => tracing::warn!(job = %job.id, error = %e, "could not record a job's outcome"),
        }
        done
    }

    async fn run_job(&self, job: &Job) -> Attempt {
        match job.kind.as_str() {
            SESSION_CANCELLED => self.tell_about_session(job, SessionMail::Cancelled).await,
            SESSION_RESTORED => self.tell_about_session(job, SessionMail::Restored).await,
            MAIL_RSVP => self.tell_about_session(job, SessionMail::Rsvp).await,
            MAIL_PLACE => self.tell_about_session(job, SessionMail::Place).await,
            MAIL_SESSION_UPDATED => self.tell_about_session(job, SessionMail::Updated).await,
            MAIL_RSVP_CANCELLED => self.tell_about_session(job, SessionMail::RsvpCancelled).await,
            MAIL_SIGN_IN => self.send_sign_in_link(job).await,
            MAIL_REPORT => self.tell_of_report(job).await,
            MAIL_ORGANIZER_MESSAGE => self.tell_organizer_message(job).await,
            HOURLY => self.hourly().await,
            ROOM_RIGHTS => match self.check_room_rights().await {
                Ok(0) => Ok(Outcome::Done),
                Ok(n) => {
                    tracing::info!(people = n, "let people out of rooms they may no longer be in");
                    Ok(Outcome::Done)
                }
                Err(e) => Err(format!("room rights: {e}")),
            },
            WEBHOOK_EVENT => self.webhook_event(job).await,
            WEBHOOK_DELIVER => self.webhook_deliver(job).await,
            super::webhooks::MAIL_WEBHOOK_OFF => self.tell_webhook_off(job).await,
            PUSH_SEND => self.send_push(job).await,
            REMINDER => self.remind(job).await,
            STARTING_NOW => self.tell_starting_now(job).await,
            WEEKLY_DIGEST => self.send_weekly_digest(job).await,
            JOIN_REQUESTS => self.tell_join_requests(job).await,
            NO_HOST => self.tell_no_host(job).await,
            MAIL_PARTNER_MATCHED => self.tell_partner(job, true).await,
            MAIL_PARTNER_LEFT => self.tell_partner(job, false).await,
            PARTNER_THREES => self.form_partner_threes(job).await,
            PARTNER_NO_SHOWS => self.mark_partner_no_shows(job).await,
            PARTNER_REMINDER => self.remind_of_partner(job).await,
            MAIL_PARTNER_REPORT => self.tell_of_partner_report(job).await,
            other => Ok(Outcome::Nothing(format!("no handler for jobs of kind {other}"))),
        }
    }

    /// Enqueues this hour's instance-wide work (every node does; one job results).
    pub async fn enqueue_hourly(&self) {
        self.enqueue_every(HOURLY, 3600).await;
    }

    /// Enqueues the work of kind `kind` for the current period of `seconds`:
    /// every node does, and the period's key makes it one job.
    async fn enqueue_every(&self, kind: &'static str, seconds: i64) {
        let at = self.now().div_euclid(seconds) * seconds;
        let job = NewJob::new(kind, format!("{kind}:{at}"), serde_json::json!({ "at": at }), at);
        match self.store.enqueue_job(&job, self.now()).await {
            Ok(true) => self.jobs_due(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, kind, "could not enqueue periodic work"),
        }
    }

    /// Adds the sessions recurring series gained as time moved on, deletes room
    /// chat past its retention and room events past a day, enqueues what comes by the hour or the week
    /// (webhooks, digests, organizer notices), and forgets jobs finished a week ago.
    async fn hourly(&self) -> Attempt {
        let extended = self.extend_schedules().await.map_err(|e| format!("extending series: {e}"))?;
        if extended > 0 {
            tracing::info!(sessions = extended, "extended recurring series");
        }
        let purged = self.purge_old_chat().await.map_err(|e| format!("chat retention: {e}"))?;
        if purged > 0 {
            tracing::info!(messages = purged, "deleted room chat past its retention");
        }
        self.purge_room_log().await.map_err(|e| format!("room log: {e}"))?;
        self.webhooks_hourly().await.map_err(|e| format!("webhooks: {e}"))?;
        self.digests_hourly().await.map_err(|e| format!("digests and organizer notices: {e}"))?;
        self.store.purge_finished_jobs(self.now() - 7 * 86_400).await.map_err(|e| format!("forgetting old jobs: {e}"))?;
        Ok(Outcome::Done)
    }
}

/// What an instance admin sees of the queue.
pub struct JobsView {
    pub counts: JobCounts,
    /// Jobs that kept failing, with their last error: each can be retried.
    pub dead: Vec<Job>,
    /// Recently dropped at their deadline, or done without doing anything.
    pub dropped: Vec<Job>,
}

impl App {
    fn admin_only(me: &Account) -> AppResult<()> {
        if me.is_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("Only instance admins can see the job queue.".into()))
        }
    }

    pub async fn jobs_view(&self, me: &Account) -> AppResult<JobsView> {
        Self::admin_only(me)?;
        Ok(JobsView {
            counts: self.store.job_counts().await?,
            dead: self.store.jobs_with_status("dead", 100).await?,
            dropped: self.store.jobs_with_status("dropped", 20).await?,
        })
    }

    /// An admin's "retry" of a dead job: due again now, its attempts counted afresh.
    pub async fn retry_job(&self, me: &Account, id: &str) -> AppResult<()> {
        Self::admin_only(me)?;
        self.store.retry_dead_job(id, self.now()).await?;
        self.jobs_due();
        Ok(())
    }
}

/// Exponential backoff with jitter: about 30 s, 1 min, 2 min, … capped at an hour.
pub fn backoff(attempts: i64) -> i64 {
    let base = (30i64 << attempts.clamp(0, 7)).min(3600);
    let mut b = [0u8; 2];
    let _ = getrandom::getrandom(&mut b);
    base / 2 + i64::from(u16::from_le_bytes(b)) % (base / 2 + 1)
}

/// From the next job's due second and now (ms): how long to sleep. A job
/// due already waits a little (another node is claiming it), not a spin.
pub fn wake_after(next_due: Option<i64>, now_ms: i64) -> Duration {
    let poll = POLL.as_millis() as i64;
    let ms = next_due.map_or(poll, |due| (due.saturating_mul(1000) - now_ms).clamp(10, poll));
    Duration::from_millis(ms as u64)
}

/// Starts this node's runner on a thread and runtime of its own, at a lower
/// CPU priority than the pages: a burst of jobs takes what pages leave.
/// Sharing the pages' workers, a burst of 10,000 reminders on SQLite took
/// the upcoming page's p99 from 3 to 18 ms (tasks queue behind each other,
/// and tokio has no priorities). It stops when the calling runtime does.
pub fn spawn_runner(app: App) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // Held by a task of the server's runtime, so dropped when that shuts down.
    tokio::spawn(async move {
        let _stop = stop;
        std::future::pending::<()>().await
    });
    let spawned = std::thread::Builder::new().name("cowork-jobs".into()).spawn(move || {
        lower_priority();
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return tracing::error!(error = %e, "no runtime for the job runner"),
        };
        rt.block_on(async move {
            tokio::select! {
                _ = job_runner(app) => {}
                _ = stopped => {}
            }
        });
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the job runner");
    }
}

/// Nice 10 for the calling thread (on Linux a thread's own; threads it starts,
/// such as SQLite's connection threads, inherit it).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; 0 names the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// This node's runner: due jobs as soon as they are signalled (in-process,
/// or by PostgreSQL's NOTIFY from other nodes), jobs enqueued earlier at the
/// moment they come due, and a poll as the fallback (a lost notification).
pub async fn job_runner(app: App) {
    // Its own, smaller pool (see RUNNER_CONNECTIONS_*).
    let max = if app.store.backend() == cowork_store::Backend::Sqlite { RUNNER_CONNECTIONS_SQLITE } else { RUNNER_CONNECTIONS_POSTGRES };
    let app = match app.store.with_own_pool(max).await {
        Ok(store) => app.with_store(store),
        Err(e) => {
            tracing::warn!(error = %e, "no pool of its own for the job runner; sharing the pages' pool");
            app
        }
    };
    let wake = app.job_signal.clone();
    let store = app.store.clone();
    tokio::spawn(async move {
        loop {
            match store.job_listener().await {
                Ok(None) => return,
                Ok(Some(mut l)) => {
                    while l.recv().await.is_ok() {
                        wake.notify_one();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not listen for new jobs; polling"),
            }
            tokio::time::sleep(POLL).await;
        }
    });
    let (mut hour, mut rights) = (None, None);
    loop {
        let this_hour = app.now().div_euclid(3600);
        if hour != Some(this_hour) {
            hour = Some(this_hour);
            app.enqueue_hourly().await;
        }
        let this_slot = app.now().div_euclid(ROOM_RIGHTS_EVERY);
        if rights != Some(this_slot) {
            rights = Some(this_slot);
            app.enqueue_every(ROOM_RIGHTS, ROOM_RIGHTS_EVERY).await;
        }
        app.run_due_jobs().await;
        let sleep = app.next_wake().await;
        tokio::select! {
            _ = app.job_signal.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        for attempts in 0..20 {
            let b = super::backoff(attempts);
            let base = (30i64 << attempts.clamp(0, 7)).min(3600);
            assert!(b >= base / 2 && b <= base, "attempt {attempts}: {b}");
        }
        assert!(super::backoff(10) <= 3600);
    }

    #[test]
    fn the_runner_sleeps_until_the_next_job_is_due_at_most_a_poll() {
        use super::{wake_after, POLL};
        use std::time::Duration;
        assert_eq!(wake_after(None, 1_000_000), POLL, "nothing queued: the poll");
        assert_eq!(wake_after(Some(1_000), 999_250), Duration::from_millis(750), "due in 750 ms");
        assert_eq!(wake_after(Some(5_000), 1_000_000), POLL, "due in an hour: the poll first");
        assert_eq!(wake_after(Some(999), 1_000_000), Duration::from_millis(10), "due already: a short pause, no spin");
    }
}
