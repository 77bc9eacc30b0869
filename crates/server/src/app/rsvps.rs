//! Answers to sessions: going, the waitlist, leaving, and who came as the
//! hosts mark it. The mails each change sends are enqueued with it by the store.

use super::{now, App, AppError, AppResult};
use cowork_core::permissions::Action;
use cowork_core::rsvp::{is_late_cancellation, RsvpStatus};
use cowork_core::Invalid;
use cowork_store::{Account, RsvpResult};

impl App {
    /// Says "going" to a session, or to it and every later one of its series.
    pub async fn rsvp(&self, me: &Account, id: &str, all_upcoming: bool) -> AppResult<RsvpResult> {
        let v = self.session_for(me, id, Action::Rsvp).await?;
        let t = now();
        if v.session.cancelled {
            return Err(AppError::Gone("This session was cancelled.".into()));
        }
        if v.session.ends_at <= t {
            return Err(AppError::Forbidden("This session is over.".into()));
        }
        let result = self.store.rsvp(id, &me.id, t).await?;
        if all_upcoming {
            self.store.follow_series(&v.session.series_id, &me.id, true, t).await?;
            for other in self.store.unanswered_sessions(&v.session.series_id, &me.id, t).await? {
                self.store.rsvp(&other, &me.id, t).await?;
            }
        }
        self.jobs_due();
        Ok(result)
    }

    /// Withdraws an answer (and, with `all_upcoming`, stops following the series).
    pub async fn cancel_rsvp(&self, me: &Account, id: &str, all_upcoming: bool) -> AppResult<()> {
        let v = self.session_view(Some(me), id).await?;
        let t = now();
        // Only giving up a place late counts; leaving a waitlist never does.
        let was_going = v.mine.is_some_and(|r| r.status == RsvpStatus::Going);
        let late = was_going && is_late_cancellation(t, v.session.starts_at);
        match self.store.cancel_rsvp(id, &me.id, late, t).await {
            Ok(_) => {}
            Err(cowork_store::StoreError::NotFound) if all_upcoming => {}
            Err(e) => return Err(e.into()),
        }
        if all_upcoming {
            self.store.follow_series(&v.session.series_id, &me.id, false, t).await?;
            for s in self.store.series_sessions(&v.session.series_id, t, 500).await? {
                if s.id != id && s.starts_at > t {
                    // Not answered there: nothing to withdraw.
                    let _ = self.store.cancel_rsvp(&s.id, &me.id, false, t).await;
                }
            }
        }
        self.jobs_due();
        Ok(())
    }

    /// After someone leaves or is removed: their places go to the waitlists.
    pub(crate) async fn release_places(&self, community_id: &str, account_id: &str) -> AppResult<()> {
        self.store.release_places(community_id, account_id, now()).await?;
        self.jobs_due();
        Ok(())
    }

    pub async fn mark_attendance(&self, me: &Account, id: &str, account_id: &str, attendance: &str) -> AppResult<()> {
        let v = self.session_for(me, id, Action::MarkAttendance).await?;
        let a = cowork_core::rsvp::Attendance::parse(attendance)
            .ok_or_else(|| Invalid::one("attendance", "Choose attended, no-show or not marked."))?;
        if v.session.starts_at > now() {
            return Err(AppError::Forbidden("Attendance is marked once the session has started.".into()));
        }
        Ok(self.store.mark_attendance(id, account_id, a.as_str(), now()).await?)
    }
}
