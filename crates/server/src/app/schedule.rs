//! Scheduling: formats, series and their sessions (lists of sessions are in `listings`).
//! Core works out the occurrences; the store applies them atomically.

use super::communities::CommunityView;
use super::{now, App, AppError, AppResult};
use cowork_core::format::{self, Format, PhaseInput};
use cowork_core::permissions::Action;
use cowork_core::recurrence::{End, Rule};
use cowork_core::rsvp::RsvpStatus;
use cowork_core::schedule::{date_in, Place, SeriesDraft, SeriesInput, SessionKind};
use cowork_core::time::{parse_date, parse_time, Zone};
use cowork_core::Invalid;
use cowork_store::{Account, Content, CustomFormat, PlanReport, Planned, Rsvp, RsvpResult, Series, Session, Timing};
use jiff::ToSpan;

/// Sessions exist at least this far ahead (the issue asks for six months).
pub const HORIZON_DAYS: i64 = 200;

/// A series as one person sees it.
pub struct SeriesView {
    pub community: CommunityView,
    pub series: Series,
    pub draft: Option<SeriesDraft>,
    pub hosts: Vec<(String, String)>,
    pub upcoming: Vec<Session>,
    pub following: bool,
    /// Where it meets, as this viewer may know it.
    pub place: Option<super::places::PlaceShown>,
}

/// A session as one person sees it.
pub struct SessionView {
    pub community: CommunityView,
    pub session: Session,
    pub hosts: Vec<(String, String)>,
    /// Who hosts this one: the one assigned, or the series' only host (None:
    /// hosts taking turns and nobody assigned yet).
    pub host: Option<(String, String)>,
    /// Everyone who answered; only members get this list.
    pub rsvps: Vec<Rsvp>,
    pub mine: Option<RsvpResult>,
    pub following_series: bool,
    /// Who entered the live room; only members get this list.
    pub arrivals: Vec<cowork_store::Arrival>,
    /// Where it meets, as this viewer may know it (None for a call).
    pub place: Option<super::places::PlaceShown>,
    /// The viewer keeps the place (its community's organizers, or its operator).
    pub keeps_place: bool,
}

impl SessionView {
    pub fn may_rsvp(&self) -> bool {
        self.community.may(Action::Rsvp)
    }
    pub fn may_schedule(&self) -> bool {
        self.community.may(Action::Schedule)
    }
    pub fn may_mark_attendance(&self) -> bool {
        self.community.may(Action::MarkAttendance)
    }
    pub fn going(&self) -> bool {
        self.mine.is_some_and(|r| r.status == RsvpStatus::Going)
    }
    /// Checks people in at the door: the session's hosts, and the place's keepers.
    pub fn may_check_in(&self, viewer: Option<&Account>) -> bool {
        self.place.is_some() && (self.is_host(viewer) || self.keeps_place)
    }
    /// Hosts the room: one of the series' hosts, or a community host or organizer.
    pub fn is_host(&self, viewer: Option<&Account>) -> bool {
        let series_host = viewer.is_some_and(|a| self.hosts.iter().any(|(id, _)| *id == a.id));
        cowork_core::permissions::room_rights(self.community.standing, series_host, false).host
    }
    /// The same rule as the room's door (which also keeps out people a host removed).
    pub fn may_enter_room(&self, viewer: Option<&Account>) -> bool {
        let member = self.community.role().is_some();
        !self.session.cancelled
            && cowork_core::rsvp::may_enter_room(member, self.session.content.capacity > 0, self.going(), self.is_host(viewer))
    }
    /// The video link is for people taking part: those going, and the hosts and organizers.
    pub fn shows_video_link(&self) -> bool {
        let member = self.community.role().is_some();
        member && (self.mine.is_some_and(|r| r.status == RsvpStatus::Going) || self.may_mark_attendance())
    }
}

/// Which occurrences an edit of a series reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditScope<'a> {
    Whole,
    /// This session and every one after it.
    From(&'a str),
}

/// A stored series read back as a draft (for materializing and editing).
pub fn draft_of(s: &Series) -> Option<SeriesDraft> {
    Some(SeriesDraft {
        title: s.content.title.clone(),
        description: s.content.description.clone(),
        format_key: s.timing.format_key.clone(),
        start_date: parse_date("start_date", &s.timing.start_date).ok()?,
        start_time: parse_time("start_time", &s.timing.start_time).ok()?,
        zone: Zone::parse("time_zone", &s.content.time_zone).ok()?,
        rule: if s.timing.rrule.is_empty() { None } else { Some(Rule::parse(&s.timing.rrule).ok()?) },
        capacity: s.content.capacity,
        online_capacity: s.content.online_capacity,
        place: Place::from_parts(&s.content.place, &s.content.video_url, &s.content.place_id),
        language: s.content.language.clone(),
        kind: SessionKind::parse(&s.content.kind).unwrap_or_default(),
    })
}

pub(super) fn content_of(d: &SeriesDraft, f: &Format) -> Content {
    Content {
        title: d.title.clone(),
        description: d.description.clone(),
        format_name: f.name.clone(),
        phases: f.phases.clone(),
        time_zone: d.zone.name().to_string(),
        capacity: d.capacity,
        place: d.place.kind().to_string(),
        video_url: d.place.video_url().to_string(),
        place_id: d.place.place_id().to_string(),
        language: d.language.clone(),
        online_capacity: d.online_capacity,
        kind: d.kind.as_str().to_string(),
    }
}

pub(super) fn timing_of(d: &SeriesDraft) -> Timing {
    Timing {
        format_key: d.format_key.clone(),
        start_date: d.start_date.to_string(),
        start_time: format!("{:02}:{:02}", d.start_time.hour(), d.start_time.minute()),
        rrule: d.rule.as_ref().map(Rule::to_rrule).unwrap_or_default(),
    }
}

/// The last date (in the series' zone) sessions are kept through.
fn horizon(zone: &Zone, now: i64) -> jiff::civil::Date {
    date_in(zone, now).saturating_add(HORIZON_DAYS.days())
}

/// Future occurrences of a draft from `from` through the horizon — or, for a
/// series planned further ahead than that, through its first two months.
pub(super) fn plan(d: &SeriesDraft, minutes: u32, from: jiff::civil::Date, now: i64) -> (Vec<Planned>, String) {
    let through = horizon(&d.zone, now).max(d.start_date.saturating_add(62.days()));
    let planned = d
        .occurrences(minutes, from, through)
        .into_iter()
        .filter(|o| o.starts_at > now)
        .map(|o| Planned { occurrence: o.key, starts_at: o.starts_at, ends_at: o.ends_at })
        .collect();
    (planned, through.to_string())
}

fn stale() -> AppError {
    AppError::Conflict("Someone else changed this series while you were editing, so your changes were not saved.".into())
}

impl App {
    // ---- formats

    /// Built-in formats, then the community's own.
    pub async fn formats_of(&self, community_id: &str) -> AppResult<Vec<Format>> {
        let mut all = format::builtins();
        for f in self.store.formats(community_id).await? {
            all.push(Format { key: f.id, name: f.name, description: f.description, phases: f.phases });
        }
        Ok(all)
    }

    pub async fn formats(&self, viewer: Option<&Account>, slug: &str) -> AppResult<(CommunityView, Vec<Format>)> {
        let view = self.community(viewer, slug).await?;
        let formats = self.formats_of(&view.community.id).await?;
        Ok((view, formats))
    }

    pub async fn save_format(
        &self,
        me: &Account,
        slug: &str,
        id: Option<&str>,
        name: &str,
        description: &str,
        rows: &[PhaseInput],
    ) -> AppResult<CustomFormat> {
        let view = self.community_for(me, slug, Action::Schedule).await?;
        let (name, description, phases) = format::parse_format(name, description, rows)?;
        let c = &view.community.id;
        Ok(match id {
            Some(id) => self.store.update_format(c, id, &name, &description, &phases, now()).await?,
            None => {
                if self.store.formats(c).await?.len() >= 50 {
                    return Err(Invalid::one("name", "A community can keep 50 formats; delete one first.").into());
                }
                self.store.create_format(c, &name, &description, &phases, now()).await?
            }
        })
    }

    pub async fn custom_format(&self, me: &Account, slug: &str, id: &str) -> AppResult<(CommunityView, CustomFormat)> {
        let view = self.community_for(me, slug, Action::Schedule).await?;
        let f = self.store.format(&view.community.id, id).await?;
        Ok((view, f))
    }

    pub async fn delete_format(&self, me: &Account, slug: &str, id: &str) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::Schedule).await?;
        Ok(self.store.delete_format(&view.community.id, id).await?)
    }

    // ---- series

    /// Reads a series form. Its place must be one the community keeps, one
    /// of the person's own, or the one it already had (`kept`).
    pub(super) async fn parse_series(
        &self,
        community_id: &str,
        me: &Account,
        kept: &str,
        input: &SeriesInput,
    ) -> AppResult<(SeriesDraft, Format)> {
        let formats = self.formats_of(community_id).await?;
        let places = self.usable_places(community_id, me).await?;
        let known = |id: &str| id == kept || places.iter().any(|p| p.id == id);
        let mut draft =
            super::zones::parse_with_zone(input.clone(), |i| &mut i.time_zone, |i| i.parse(|k| formats.iter().any(|f| f.key == k), known))?;
        // A space's drop-in day takes the space's drop-in seats unless a limit is given.
        if draft.kind == SessionKind::DropIn && draft.capacity == 0 {
            if let Some(p) = places.iter().find(|p| p.id == draft.place.place_id()) {
                draft.capacity = i64::from(p.details.drop_in_seats);
            }
        }
        let format = formats.into_iter().find(|f| f.key == draft.format_key).ok_or_else(|| Invalid::one("format", "Choose a format."))?;
        Ok((draft, format))
    }

    pub async fn create_series(&self, me: &Account, slug: &str, input: &SeriesInput) -> AppResult<Series> {
        let view = self.community_for(me, slug, Action::Schedule).await?;
        let (draft, format) = self.parse_series(&view.community.id, me, "", input).await?;
        let t = now();
        let (planned, through) = plan(&draft, format.total_minutes(), draft.start_date, t);
        if planned.is_empty() {
            let field = if draft.rule.is_some() { "repeat" } else { "start_date" };
            return Err(Invalid::one(field, "Every date of this series has passed; choose a later start.").into());
        }
        let series = self
            .store
            .create_series(&view.community.id, &content_of(&draft, &format), &timing_of(&draft), &me.id, &planned, &through, t)
            .await?;
        self.invalidate_feeds(&view.community.id);
        Ok(series)
    }

    /// A series by id, for those who may see its community.
    pub async fn series_view(&self, viewer: Option<&Account>, slug: &str, id: &str) -> AppResult<SeriesView> {
        let community = self.community(viewer, slug).await?;
        let series = self.store.series(id).await?;
        if series.community_id != community.community.id {
            return Err(AppError::NotFound);
        }
        let draft = draft_of(&series);
        let hosts = self.store.series_hosts(id).await?;
        let upcoming = self.store.series_family_sessions(id, now(), 60).await?;
        let following = match viewer {
            Some(a) => self.store.follows_series(id, &a.id).await?,
            None => false,
        };
        let host = viewer.is_some_and(|a| hosts.iter().any(|(h, _)| *h == a.id));
        // A proposed or declined day is seen only by the organizers and whoever proposed it.
        if series.approval != "approved" && !(community.may(Action::Schedule) || viewer.is_some_and(|a| a.id == series.created_by)) {
            return Err(AppError::NotFound);
        }
        let place = match series.content.place_id.as_str() {
            "" => None,
            pid => match self.store.place(pid).await {
                Ok(p) => {
                    let insider = host || community.may(Action::Schedule) || self.keeps_place(viewer, &p).await?;
                    Some(self.place_for(&p, insider))
                }
                Err(cowork_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
        };
        Ok(SeriesView { community, series, draft, hosts, upcoming, following, place })
    }

    /// Edits a whole series, or one session and all after it. `version` is
    /// the one the editor read; a newer one means someone else saved first.
    pub async fn edit_series(
        &self,
        me: &Account,
        slug: &str,
        id: &str,
        version: i64,
        scope: EditScope<'_>,
        input: &SeriesInput,
    ) -> AppResult<(Series, PlanReport)> {
        let view = self.community_for(me, slug, Action::Schedule).await?;
        let current = self.store.series(id).await?;
        if current.community_id != view.community.id {
            return Err(AppError::NotFound);
        }
        if current.version != version {
            return Err(stale());
        }
        let (draft, format) = self.parse_series(&view.community.id, me, &current.content.place_id, input).await?;
        let t = now();
        let content = content_of(&draft, &format);
        let from_session = match scope {
            EditScope::Whole => None,
            EditScope::From(session_id) => {
                let s = self.store.session(session_id).await?;
                if s.series_id != id {
                    return Err(AppError::NotFound);
                }
                if s.starts_at <= t {
                    return Err(AppError::Forbidden("That session has already started; only future sessions can be changed.".into()));
                }
                Some(s)
            }
        };
        let old = draft_of(&current);
        let split_date = from_session.as_ref().and_then(|s| s.occurrence.parse::<jiff::civil::Date>().ok());
        let result = match (split_date, old) {
            (Some(d), Some(old)) if d > old.start_date => {
                // The old series ends the day before; a new one carries on from that date.
                let mut ended =
                    old.rule.clone().ok_or_else(|| AppError::Invalid(Invalid::one("repeat", "A one-off has nothing after it.")))?;
                ended.end = End::Until(d.saturating_sub(1.day()));
                let mut draft = draft;
                if draft.start_date < d {
                    draft.start_date = d;
                }
                // "After 10 sessions" means ten in all: those before the split count.
                if let (Some(new_rule), Some(old_rule)) = (draft.rule.as_mut(), old.rule.as_ref()) {
                    if let (End::Count(n), End::Count(m)) = (new_rule.end, old_rule.end) {
                        if n == m {
                            let before = cowork_core::recurrence::occurrences(
                                old.start_date,
                                Some(old_rule),
                                old.start_date,
                                d.saturating_sub(1.day()),
                            )
                            .len() as u32;
                            new_rule.end = End::Count(n.saturating_sub(before).max(1));
                        }
                    }
                }
                let (planned, through) = plan(&draft, format.total_minutes(), d, t);
                self.store
                    .split_series(
                        id,
                        version,
                        &ended.to_rrule(),
                        &content,
                        &timing_of(&draft),
                        &planned,
                        &d.to_string(),
                        &through,
                        &me.id,
                        t,
                    )
                    .await
            }
            _ => {
                let from = date_in(&draft.zone, t).min(draft.start_date.max(date_in(&draft.zone, t)));
                let (planned, through) = plan(&draft, format.total_minutes(), from, t);
                self.store
                    .save_series(id, version, &content, &timing_of(&draft), &planned, &from.to_string(), &through, t)
                    .await
                    .map(|r| (current.clone(), r))
            }
        };
        let (series, report) = result.map_err(|e| match e {
            cowork_store::StoreError::Stale => stale(),
            e => e.into(),
        })?;
        self.answer_for_followers(&series.id).await?;
        self.invalidate_feeds(&view.community.id);
        Ok((self.store.series(&series.id).await?, report))
    }

    /// Adds a member as a host of a series; organizers only.
    pub async fn add_host(&self, me: &Account, slug: &str, series_id: &str, account_id: &str) -> AppResult<()> {
        let v = self.series_view(Some(me), slug, series_id).await?;
        if !v.community.may(Action::Schedule) {
            return Err(AppError::forbidden());
        }
        match self.store.standing(&v.community.community.id, account_id).await? {
            cowork_core::permissions::Standing::Member(_) => Ok(self.store.add_series_host(series_id, account_id).await?),
            _ => Err(Invalid::one("account_id", "Only members of the community can host.").into()),
        }
    }

    pub async fn remove_host(&self, me: &Account, slug: &str, series_id: &str, account_id: &str) -> AppResult<()> {
        let v = self.series_view(Some(me), slug, series_id).await?;
        if !v.community.may(Action::Schedule) {
            return Err(AppError::forbidden());
        }
        self.store.remove_series_host(series_id, account_id).await.map_err(|e| match e {
            cowork_store::StoreError::NotFound => AppError::Invalid(Invalid::one("account_id", "A series keeps at least one host.")),
            e => e.into(),
        })
    }

    /// Keeps every recurring series materialized through the horizon; run
    /// by a background task. Safe on many nodes at once: adding an
    /// occurrence that exists does nothing.
    pub async fn extend_schedules(&self) -> AppResult<usize> {
        let t = now();
        let mut added = 0;
        // Series' zones differ; a margin of two days covers them all.
        let due = date_in(&Zone::utc(), t).saturating_add((HORIZON_DAYS - 2).days()).to_string();
        loop {
            let batch = self.store.series_to_extend(&due, 100).await?;
            if batch.is_empty() {
                break;
            }
            for s in &batch {
                let Some(d) = draft_of(s) else {
                    // Unreadable (should not happen): mark it done so the loop moves on.
                    tracing::warn!(series = %s.id, "a stored series could not be read back");
                    self.store.extend_series(&s.id, s.version, &[], "9999-12-31", t).await?;
                    continue;
                };
                let minutes = format::total_minutes(&s.content.phases);
                let from = s.materialized_until.parse::<jiff::civil::Date>().map(|m| m.saturating_add(1.day())).unwrap_or(d.start_date);
                let (planned, through) = plan(&d, minutes, from, t);
                let n = self.store.extend_series(&s.id, s.version, &planned, &through, t).await?;
                added += n;
                if n > 0 {
                    self.answer_for_followers(&s.id).await?;
                    self.invalidate_feeds(&s.community_id);
                }
            }
            if batch.len() < 100 {
                break;
            }
        }
        Ok(added)
    }

    /// People following a series ("all upcoming") get an answer for every
    /// session they have none for yet: after the series grows or is edited.
    pub(super) async fn answer_for_followers(&self, series_id: &str) -> AppResult<()> {
        let t = now();
        for follower in self.store.series_followers(series_id).await? {
            for session in self.store.unanswered_sessions(series_id, &follower, t).await? {
                self.store.rsvp(&session, &follower, t).await?;
            }
        }
        Ok(())
    }

    // ---- sessions

    pub async fn session_view(&self, viewer: Option<&Account>, id: &str) -> AppResult<SessionView> {
        let session = self.store.session(id).await?;
        let community = self.community(viewer, &session.community_slug).await?;
        let hosts = self.store.series_hosts(&session.series_id).await?;
        let is_member = community.role().is_some();
        let rsvps = if is_member { self.store.rsvps(id).await? } else { Vec::new() };
        let arrivals = if is_member && session.starts_at - 3600 <= now() { self.store.arrivals(id).await? } else { Vec::new() };
        let (mine, following_series) = match viewer {
            Some(a) => (self.store.rsvp_status(id, &a.id).await?, self.store.follows_series(&session.series_id, &a.id).await?),
            None => (None, false),
        };
        let host = self.store.session_host(id).await?;
        let mut v =
            SessionView { community, session, hosts, host, rsvps, mine, following_series, arrivals, place: None, keeps_place: false };
        if v.session.at_a_place() {
            if let Ok(p) = self.store.place(&v.session.content.place_id).await {
                v.keeps_place = self.keeps_place(viewer, &p).await?;
                // A home's street is for those going and hosting, and its keepers.
                let insider = v.going() || v.is_host(viewer) || v.keeps_place;
                v.place = Some(self.place_for(&p, insider));
            }
        }
        Ok(v)
    }

    pub(super) async fn session_for(&self, me: &Account, id: &str, action: Action) -> AppResult<SessionView> {
        let v = self.session_view(Some(me), id).await?;
        if !v.community.may(action) {
            return Err(match action {
                Action::Rsvp => AppError::Forbidden("Join the community to say you're coming.".into()),
                _ => AppError::forbidden(),
            });
        }
        Ok(v)
    }

    /// Edits one occurrence on its own: its fields, its date and time.
    pub async fn edit_session(&self, me: &Account, id: &str, input: &SeriesInput) -> AppResult<Session> {
        let v = self.session_for(me, id, Action::Schedule).await?;
        let t = now();
        if v.session.starts_at <= t {
            return Err(AppError::Forbidden("That session has already started; only future sessions can be changed.".into()));
        }
        let mut one_off = input.clone();
        one_off.repeat = "none".into();
        one_off.rrule.clear();
        let (draft, format) = self.parse_series(&v.community.community.id, me, &v.session.content.place_id, &one_off).await?;
        let starts_at = draft.zone.instant(draft.start_date, draft.start_time);
        if starts_at <= t {
            return Err(Invalid::one("start_date", "Move it to a time that has not passed yet.").into());
        }
        let ends_at = starts_at + i64::from(format.total_minutes()) * 60;
        self.store.update_session(id, &content_of(&draft, &format), starts_at, ends_at, t).await?;
        self.jobs_due();
        self.invalidate_feeds(&v.community.community.id);
        Ok(self.store.session(id).await?)
    }

    /// The edit form of one session on its own; organizers only.
    pub async fn session_edit_input(&self, me: &Account, id: &str) -> AppResult<(SessionView, SeriesInput)> {
        let v = self.session_for(me, id, Action::Schedule).await?;
        let series = self.store.series(&v.session.series_id).await?;
        let input = Self::session_input(&v.session, &series.timing.format_key);
        Ok((v, input))
    }

    /// The edit form of a series (from `from` on, when given); organizers only.
    pub async fn series_edit_input(
        &self,
        me: &Account,
        slug: &str,
        id: &str,
        from: Option<&str>,
    ) -> AppResult<(SeriesView, SeriesInput, Option<Session>)> {
        let v = self.series_view(Some(me), slug, id).await?;
        if !v.community.may(Action::Schedule) {
            return Err(AppError::forbidden());
        }
        let draft = v.draft.clone().ok_or_else(|| AppError::Internal("a stored series could not be read back".into()))?;
        let mut input = SeriesInput::of(&draft);
        let from = match from {
            Some(sid) => {
                let s = self.store.session(sid).await?;
                if s.series_id != id {
                    return Err(AppError::NotFound);
                }
                input.start_date = s.occurrence.clone();
                Some(s)
            }
            None => None,
        };
        Ok((v, input, from))
    }

    /// The form's fields for one session, to edit it on its own.
    fn session_input(s: &Session, format_key: &str) -> SeriesInput {
        let zone = Zone::parse("tz", &s.content.time_zone).unwrap_or_else(|_| Zone::utc());
        let local = zone.local(s.starts_at);
        SeriesInput {
            title: s.content.title.clone(),
            description: s.content.description.clone(),
            format: format_key.to_string(),
            start_date: local.date.to_string(),
            start_time: format!("{:02}:{:02}", local.time.hour(), local.time.minute()),
            time_zone: s.content.time_zone.clone(),
            repeat: "none".into(),
            capacity: if s.content.capacity == 0 { String::new() } else { s.content.capacity.to_string() },
            online_capacity: if s.content.online_capacity == 0 { String::new() } else { s.content.online_capacity.to_string() },
            place: s.content.place.clone(),
            video_url: s.content.video_url.clone(),
            place_id: s.content.place_id.clone(),
            kind: s.content.kind.clone(),
            language: s.content.language.clone(),
            ..Default::default()
        }
    }

    /// Cancels a future session (or puts it back), with an optional word for
    /// the people going and waiting, who are told by mail. Returns how many.
    pub async fn cancel_session(&self, me: &Account, id: &str, cancel: bool, note: &str) -> AppResult<usize> {
        let v = self.session_for(me, id, Action::Schedule).await?;
        let note = cowork_core::schedule::cancel_note(note)?;
        let t = now();
        if v.session.ends_at <= t {
            return Err(AppError::Conflict("This session is over; there is nothing left to cancel or restore.".into()));
        }
        if v.session.starts_at <= t {
            return Err(AppError::Conflict(
                "This session has already started; only sessions still to come can be cancelled or restored.".into(),
            ));
        }
        let told = match self.store.set_session_cancelled(id, cancel, &note, t).await? {
            cowork_store::CancelOutcome::Done { told } => told,
            cowork_store::CancelOutcome::AlreadyThat if cancel => {
                return Err(AppError::Conflict("This session is already cancelled.".into()))
            }
            cowork_store::CancelOutcome::AlreadyThat => return Err(AppError::Conflict("This session is already on the schedule.".into())),
        };
        self.invalidate_feeds(&v.community.community.id);
        self.jobs_due();
        Ok(told)
    }
}
