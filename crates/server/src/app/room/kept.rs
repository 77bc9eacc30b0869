//! What a room leaves behind once the session is over: its shared notes,
//! feedback for the organizers, each person's goal history, and reports.

use crate::app::communities::CommunityView;
use crate::app::{App, AppError, AppResult};
use cowork_core::permissions::Action;
use cowork_store::{Account, Session};

/// Feedback as organizers read it, with the average.
pub struct FeedbackView {
    pub community: CommunityView,
    pub title: String,
    pub entries: Vec<cowork_store::Feedback>,
}

impl FeedbackView {
    /// "3.5" (one decimal), or "" when there is none.
    pub fn average(&self) -> String {
        if self.entries.is_empty() {
            return String::new();
        }
        let sum: i64 = self.entries.iter().map(|f| f.rating).sum();
        format!("{:.1}", sum as f64 / self.entries.len() as f64)
    }
}

impl App {
    /// A session's shared notes, kept after it ends; for its community's members.
    pub async fn session_notes(&self, me: &Account, id: &str) -> AppResult<(Session, Option<String>)> {
        let v = self.session_view(Some(me), id).await?;
        if v.community.role().is_none() {
            return Err(AppError::Forbidden("The notes are for members of the community.".into()));
        }
        Ok((v.session, self.store.room_record(id).await?.map(|r| r.notes)))
    }

    /// Feedback on one session, for its community's organizers.
    pub async fn session_feedback(&self, me: &Account, id: &str) -> AppResult<(Session, FeedbackView)> {
        let session = self.store.session(id).await?;
        let community = self.community_for(me, &session.community_slug, Action::Schedule).await?;
        let entries = self.store.feedback(Some(id), None, 1000).await?;
        let title = session.content.title.clone();
        Ok((session, FeedbackView { community, title, entries }))
    }

    /// Feedback on every session of a series, newest first.
    pub async fn series_feedback(&self, me: &Account, slug: &str, series_id: &str) -> AppResult<FeedbackView> {
        let community = self.community_for(me, slug, Action::Schedule).await?;
        let series = self.store.series(series_id).await?;
        if series.community_id != community.community.id {
            return Err(AppError::NotFound);
        }
        let entries = self.store.feedback(None, Some(series_id), 1000).await?;
        Ok(FeedbackView { community, title: series.content.title, entries })
    }

    /// My sessions with the goals I set in them, newest first.
    pub async fn goal_history(&self, me: &Account) -> AppResult<Vec<cowork_store::GoalHistory>> {
        Ok(self.store.goal_history(&me.id, i64::MAX, 100).await?)
    }

    /// Reported messages and partners, for organizers and the code of conduct's contacts.
    pub async fn reports(
        &self,
        me: &Account,
        slug: &str,
    ) -> AppResult<(CommunityView, Vec<cowork_store::Report>, Vec<cowork_store::PartnerReport>)> {
        let community = self.community(Some(me), slug).await?;
        let contact = self.store.is_conduct_contact(&community.community.id, &me.id).await?;
        if !community.may(Action::ManageMembers) && !contact {
            return Err(AppError::Forbidden("Reports are for the organizers and the code of conduct's contacts.".into()));
        }
        let reports = self.store.reports(&community.community.id, 200).await?;
        let partners = self.store.partner_reports(&community.community.id).await?;
        Ok((community, reports, partners))
    }

    /// Names (or stops naming) a member as a contact for the code of conduct.
    pub async fn set_conduct_contact(&self, me: &Account, slug: &str, account_id: &str, on: bool) -> AppResult<()> {
        let community = self.community_for(me, slug, Action::ManageMembers).await?;
        Ok(self.store.set_conduct_contact(&community.community.id, account_id, on).await?)
    }
}
