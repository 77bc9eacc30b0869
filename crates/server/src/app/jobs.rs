//! The job runner: delivers what the store's job table says others must hear
//! of. Every node runs one; a claim is a lease, so each job is done by one
//! node at a time, and a node that dies mid-job leaves it to be claimed again.

use super::{now, secret, App};
use cowork_store::{Job, SESSION_CANCELLED, SESSION_RESTORED};
use std::time::Duration;

/// How long a claimed job is ours before another node may take it over.
const LEASE_SECONDS: i64 = 120;
/// After this many failed attempts a job is `dead`, kept with its last error.
const MAX_ATTEMPTS: i64 = 8;
/// The runner looks for due jobs at least this often, even without a signal.
const POLL: Duration = Duration::from_secs(5);

/// What went wrong with one attempt.
type Attempt = Result<(), String>;

impl App {
    /// Wakes this node's runner: a job was just enqueued.
    pub fn jobs_due(&self) {
        self.job_signal.notify_one();
    }

    /// Runs every job due now, one after another; returns how many were done.
    pub async fn run_due_jobs(&self) -> usize {
        let owner = secret(8);
        let mut done = 0;
        loop {
            let t = now();
            let job = match self.store.claim_job(&owner, t, t + LEASE_SECONDS).await {
                Ok(Some(job)) => job,
                Ok(None) => return done,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim a job");
                    return done;
                }
            };
            let result = self.run_job(&job).await;
            let finished = match &result {
                Ok(()) => self.store.complete_job(&job.id, &owner, now()).await,
                Err(error) => {
                    tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error, "job failed");
                    let retry_at = (job.attempts < MAX_ATTEMPTS).then(|| now() + backoff(job.attempts));
                    self.store.fail_job(&job.id, &owner, error, retry_at, now()).await
                }
            };
            match finished {
                Ok(true) => done += usize::from(result.is_ok()),
                Ok(false) => tracing::warn!(job = %job.id, "lease lost before the job finished; another node has it"),
                Err(e) => tracing::warn!(job = %job.id, error = %e, "could not record a job's outcome"),
            }
        }
    }

    async fn run_job(&self, job: &Job) -> Attempt {
        match job.kind.as_str() {
            SESSION_CANCELLED => self.tell_status_change(job, true).await,
            SESSION_RESTORED => self.tell_status_change(job, false).await,
            other => Err(format!("unknown job kind {other}")),
        }
    }
}

/// Exponential backoff with jitter: about 30 s, 1 min, 2 min, … capped at an hour.
fn backoff(attempts: i64) -> i64 {
    let base = (30i64 << attempts.clamp(0, 7)).min(3600);
    let mut b = [0u8; 2];
    let _ = getrandom::getrandom(&mut b);
    base / 2 + i64::from(u16::from_le_bytes(b)) % (base / 2 + 1)
}

/// This node's runner: due jobs as soon as they are signalled, and a poll as
/// the fallback (jobs enqueued by other nodes, retries coming due).
pub async fn job_runner(app: App) {
    loop {
        app.run_due_jobs().await;
        tokio::select! {
            _ = app.job_signal.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
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
}
