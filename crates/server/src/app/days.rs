//! Coworking days anywhere (Jelly): a member offers a day at a place — a
//! library, a café, their home — and the community's choice of who may host
//! decides whether it is listed at once or waits for an organizer.

use super::schedule::{content_of, plan, timing_of};
use super::{now, App, AppError, AppResult};
use cowork_core::permissions::{propose_day, Action, DayProposal};
use cowork_core::schedule::{SeriesInput, DAY_FORMAT};
use cowork_core::Invalid;
use cowork_store::{Account, Series, StoreError};

/// What became of a series someone planned.
pub enum Planned {
    /// On the schedule.
    Listed(Series),
    /// A proposed day, waiting for an organizer.
    Proposed(Series),
}

impl App {
    /// Whether `me` may offer days in the community (or plan anything at all).
    pub async fn may_plan(&self, me: &Account, slug: &str) -> AppResult<bool> {
        let view = self.community(Some(me), slug).await?;
        Ok(view.may(Action::Schedule) || propose_day(view.standing, view.community.day_hosts) != DayProposal::NotAllowed)
    }

    /// Plans a series: organizers anything; others a coworking day, where
    /// the community lets them, listed or waiting for approval.
    pub async fn plan_series(&self, me: &Account, slug: &str, input: &SeriesInput) -> AppResult<Planned> {
        let view = self.community(Some(me), slug).await?;
        if view.may(Action::Schedule) {
            return Ok(Planned::Listed(self.create_series(me, slug, input).await?));
        }
        let proposal = propose_day(view.standing, view.community.day_hosts);
        if proposal == DayProposal::NotAllowed {
            return Err(AppError::Forbidden(match view.role() {
                None => "Join the community to offer a coworking day.".into(),
                Some(_) => "In this community, organizers plan the coworking days.".into(),
            }));
        }
        let day = SeriesInput { kind: "coworking_day".into(), format: DAY_FORMAT.into(), ..input.clone() };
        let (draft, format) = self.parse_series(&view.community.id, me, "", &day).await?;
        let t = now();
        let (planned, through) = plan(&draft, format.total_minutes(), draft.start_date, t);
        if planned.is_empty() {
            let field = if draft.rule.is_some() { "repeat" } else { "start_date" };
            return Err(Invalid::one(field, "Every date of this day has passed; choose a later one.").into());
        }
        let (content, timing) = (content_of(&draft, &format), timing_of(&draft));
        if proposal == DayProposal::NeedsApproval {
            return Ok(Planned::Proposed(self.store.propose_series(&view.community.id, &content, &timing, &me.id, t).await?));
        }
        let series = self.store.create_series(&view.community.id, &content, &timing, &me.id, &planned, &through, t).await?;
        self.invalidate_feeds(&view.community.id);
        Ok(Planned::Listed(series))
    }

    /// Days waiting for an organizer's answer (organizers see all; others their own).
    pub async fn pending_days(&self, viewer: Option<&Account>, slug: &str) -> AppResult<Vec<Series>> {
        let Some(me) = viewer else { return Ok(vec![]) };
        let view = self.community(Some(me), slug).await?;
        let all = self.store.pending_series(&view.community.id).await?;
        Ok(if view.may(Action::Schedule) { all } else { all.into_iter().filter(|s| s.created_by == me.id).collect() })
    }

    /// An organizer approves (the day's sessions are planned) or declines a proposed day.
    pub async fn decide_day(&self, me: &Account, slug: &str, id: &str, approve: bool) -> AppResult<Series> {
        let view = self.community_for(me, slug, Action::Schedule).await?;
        let current = self.store.series(id).await?;
        if current.community_id != view.community.id {
            return Err(AppError::NotFound);
        }
        let t = now();
        let series = match self.store.decide_series(id, approve, t).await {
            Err(StoreError::Stale) => return Err(AppError::Conflict("Someone answered this proposal already.".into())),
            r => r?,
        };
        if approve {
            let draft =
                super::schedule::draft_of(&series).ok_or_else(|| AppError::Internal("a stored series could not be read back".into()))?;
            let minutes = cowork_core::format::total_minutes(&series.content.phases);
            let (planned, through) = plan(&draft, minutes, draft.start_date, t);
            self.store.extend_series(id, series.version, &planned, &through, t).await?;
            self.invalidate_feeds(&view.community.id);
        }
        Ok(self.store.series(id).await?)
    }
}
