//! Who hosts a session when a series' hosts take turns (a rota, as The
//! Turing Way's co-organisers keep so the call always happens): one of them
//! takes a session, or an organizer assigns one; a session within 48 hours
//! that nobody took is pointed out to them (see `digests`).

use super::{App, AppError, AppResult};
use cowork_core::permissions::Action;
use cowork_store::Account;

impl App {
    /// Makes `host` (one of the series' hosts) the host of one session, or
    /// nobody. Organizers assign anyone of the series' hosts; a host of the
    /// series takes a session for themself or steps back from one.
    pub async fn set_session_host(&self, me: &Account, session_id: &str, host: Option<&str>) -> AppResult<Option<(String, String)>> {
        let v = self.session_view(Some(me), session_id).await?;
        let organizer = v.community.may(Action::Schedule);
        let in_rota = v.community.role().is_some() && v.hosts.iter().any(|(id, _)| *id == me.id);
        let mine_only = match host {
            Some(h) => h == me.id,
            None => v.host.as_ref().is_none_or(|(id, _)| *id == me.id),
        };
        if !(organizer || (in_rota && mine_only)) {
            return Err(AppError::Forbidden("Only organizers, and the series' hosts for themselves, choose who hosts a session.".into()));
        }
        if v.session.cancelled || v.session.ends_at <= self.now() {
            return Err(AppError::Conflict("This session is cancelled or over; its host can no longer change.".into()));
        }
        if !self.store.set_session_host(session_id, host, self.now()).await? {
            return Err(cowork_core::Invalid::one("host", "Choose one of the series' hosts (add them on the series page first).").into());
        }
        Ok(self.store.session_host(session_id).await?)
    }
}
