//! Visitors who register for a day without an account: a name and an
//! e-mail address; the confirmation link mailed to them signs them in (a
//! first one makes their account, with that name), joins them to the open
//! community whose code of conduct they accepted, and answers "going".

use super::accounts::LINK_MINUTES;
use super::{App, AppError, AppResult};
use crate::app::rsvps::PartyInput;
use cowork_core::community::{JoinPolicy, Visibility};
use cowork_core::input::{self, Email, FieldError};
use cowork_core::Invalid;
use cowork_store::{Account, PendingRsvp, RsvpResult, Session};

/// A registration as the form gives it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Registration {
    pub name: String,
    pub email: String,
    pub guest_name: String,
    /// "on" when the code of conduct was accepted.
    pub accept_code_of_conduct: String,
}

impl App {
    /// Whether visitors may register for a session by name and e-mail: a day
    /// at a place of a public community anyone may join, still to come.
    pub fn open_to_visitors(s: &Session, visibility: Visibility, policy: JoinPolicy, now: i64) -> bool {
        s.at_a_place() && !s.cancelled && s.ends_at > now && visibility == Visibility::Public && policy == JoinPolicy::Open
    }

    /// Registers a visitor: keeps the registration and mails its confirmation
    /// link, through the sign-in link's limits. Nothing else is written until
    /// the link is followed, so a mistyped address costs nobody a seat.
    pub async fn register_visitor(&self, session_id: &str, r: &Registration, ip: &str) -> AppResult<()> {
        let s = self.store.session(session_id).await?;
        let c = self.store.community(&s.community_slug).await?;
        if !Self::open_to_visitors(&s, c.visibility, c.join_policy, self.now()) {
            return Err(AppError::Forbidden("Sign in to say you're coming to this session.".into()));
        }
        let mut problems = Vec::new();
        let name = input::line("name", &r.name, 1, 80).map_err(|e| problems.push(e)).unwrap_or_default();
        let guest = input::line("guest_name", &r.guest_name, 0, 80).map_err(|e| problems.push(e)).unwrap_or_default();
        let email = Email::parse(&r.email).map_err(|e| problems.push(FieldError::new("email", e.message))).ok();
        if r.accept_code_of_conduct.is_empty() {
            problems.push(FieldError::new("accept_code_of_conduct", "Please read the code of conduct and tick the box to accept it."));
        }
        let Some(email) = email.filter(|_| problems.is_empty()) else { return Err(Invalid(problems).into()) };
        let token = super::secret(32);
        let t = self.now();
        let pending = PendingRsvp {
            token_hash: &super::hash_secret(&token),
            session_id,
            email: email.as_str(),
            name: &name,
            guest_name: &guest,
            expires_at: t + LINK_MINUTES * 60,
        };
        self.store.add_pending_rsvp(&pending, t).await?;
        let next = format!("/s/{session_id}/register/confirm?r={token}");
        self.request_link(email.as_str(), &next, ip, Some(&s.content.title)).await
    }

    /// Completes a registration once its link signed the visitor in.
    pub async fn confirm_registration(&self, me: &Account, session_id: &str, token: &str) -> AppResult<RsvpResult> {
        let found = self.store.take_pending_rsvp(&super::hash_secret(token), session_id, self.now()).await?;
        // Only the person the link was mailed to confirms it.
        let Some((_, name, guest)) = found.filter(|(email, _, _)| *email == me.email) else {
            return Err(AppError::Gone(
                "This registration has expired or was already confirmed. Register again from the session's page.".into(),
            ));
        };
        let mut me = me.clone();
        // A first sign-in named the account after the address; the visitor gave their name.
        if me.display_name == Email::parse(&me.email).map(|e| e.suggested_name()).unwrap_or_default() && !name.is_empty() {
            let p = cowork_store::Profile {
                display_name: name,
                pronouns: me.pronouns.clone(),
                time_zone: me.time_zone.clone(),
                bio: me.bio.clone(),
                social_preference: me.social_preference.clone(),
            };
            me = self.store.update_profile(&me.id, &p).await?;
        }
        let s = self.store.session(session_id).await?;
        self.join(&me, &s.community_slug, true, None).await?;
        self.rsvp_as(&me, session_id, false, &PartyInput { join: String::new(), guest_name: guest }).await
    }
}
