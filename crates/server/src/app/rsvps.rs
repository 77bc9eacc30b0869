//! Answers to sessions: going, the waitlist, leaving, and who came as the
//! hosts mark it. The mails each change sends are enqueued with it by the store.

use super::{now, App, AppError, AppResult};
use cowork_core::permissions::Action;
use cowork_core::rsvp::{is_late_cancellation, RsvpStatus};
use cowork_core::Invalid;
use cowork_store::{Account, Party, RsvpResult};

/// How someone comes, as a form or the API says it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PartyInput {
    /// "online" to join a hybrid session online; anything else is in person.
    pub join: String,
    /// A guest's name ("guest of" me), at a place only.
    pub guest_name: String,
}

impl PartyInput {
    fn read(&self, s: &cowork_store::Session) -> Result<Party, Invalid> {
        let online = match self.join.trim() {
            "online" if s.content.place == "hybrid" => true,
            "online" if s.at_a_place() => return Err(Invalid::one("join", "This session meets in person only.")),
            _ => false,
        };
        let guest_name = cowork_core::input::line("guest_name", &self.guest_name, 0, 80).map_err(|e| Invalid(vec![e]))?;
        if !guest_name.is_empty() && (online || !s.at_a_place()) {
            return Err(Invalid::one("guest_name", "A guest comes along in person, to a session at a place."));
        }
        Ok(Party { online, guest_name })
    }
}

impl App {
    /// Says "going" to a session, or to it and every later one of its series.
    pub async fn rsvp(&self, me: &Account, id: &str, all_upcoming: bool) -> AppResult<RsvpResult> {
        self.rsvp_as(me, id, all_upcoming, &PartyInput::default()).await
    }

    /// "Going", online or in person at a hybrid session, perhaps bringing a guest to a place.
    pub async fn rsvp_as(&self, me: &Account, id: &str, all_upcoming: bool, party: &PartyInput) -> AppResult<RsvpResult> {
        let v = self.session_for(me, id, Action::Rsvp).await?;
        let t = now();
        if v.session.cancelled {
            return Err(AppError::Gone("This session was cancelled.".into()));
        }
        if v.session.ends_at <= t {
            return Err(AppError::Forbidden("This session is over.".into()));
        }
        let party = party.read(&v.session)?;
        let result = self.store.rsvp_as(id, &me.id, &party, t).await?;
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
