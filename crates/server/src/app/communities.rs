//! Communities: creating and editing them, joining and leaving, members,
//! roles and invite links. Every permission comes from `cowork_core::permissions`.

use super::{hash_secret, now, secret, App, AppError, AppResult};
use cowork_core::community::{join_outcome, CommunityInput, JoinOutcome, Visibility};
use cowork_core::input;
use cowork_core::permissions::{self, may, Action, Role, Standing};
use cowork_core::Invalid;
use cowork_store::{Account, Community, Invite, InviteJoin, Member, MyCommunity};

fn removed() -> AppError {
    AppError::Forbidden(
        "An organizer removed you from this community. If you think this is a mistake, write to its code of conduct contact.".into(),
    )
}

/// A community as one person sees it.
pub struct CommunityView {
    pub community: Community,
    pub standing: Standing,
}

impl CommunityView {
    pub fn may(&self, action: Action) -> bool {
        may(self.standing, self.community.visibility, action)
    }
    pub fn role(&self) -> Option<Role> {
        self.standing.role()
    }
}

/// A search of the public directory, as typed in the address bar.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DirectorySearch {
    pub q: String,
    pub topic: String,
    /// Text, so that `?page=abc` shows page 1 rather than an error.
    pub page: String,
}

impl DirectorySearch {
    pub fn page(&self) -> i64 {
        self.page.trim().parse::<i64>().unwrap_or(1).clamp(1, 1000)
    }
}

pub const DIRECTORY_PAGE_SIZE: usize = 25;

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct InviteInput {
    pub label: String,
    /// Days until the link expires (1–90).
    pub days: String,
    /// 0 or empty: unlimited.
    pub max_uses: String,
}

impl App {
    /// Whether the viewer is the only owner (who may not leave: a community keeps an owner).
    pub async fn is_sole_owner(&self, view: &CommunityView) -> AppResult<bool> {
        Ok(view.role() == Some(Role::Owner) && self.store.count_owners(&view.community.id).await? <= 1)
    }

    pub async fn directory(&self, search: &DirectorySearch) -> AppResult<Vec<Community>> {
        let q: String = search.q.chars().take(100).collect();
        let t: String = search.topic.chars().take(30).collect();
        let size = DIRECTORY_PAGE_SIZE as i64;
        Ok(self.store.directory(&q, &t, size, (search.page() - 1) * size).await?)
    }

    pub async fn popular_topics(&self) -> AppResult<Vec<(String, i64)>> {
        Ok(self.store.popular_topics(12).await?)
    }

    /// A person's communities and requests. A private community they only asked
    /// to join shows just its name until they are let in.
    pub async fn my_communities(&self, me: &Account) -> AppResult<Vec<MyCommunity>> {
        let mut list = self.store.communities_of(&me.id).await?;
        for m in list.iter_mut().filter(|m| m.pending && m.community.visibility == Visibility::Private) {
            let c = &mut m.community;
            for field in [
                &mut c.description,
                &mut c.code_of_conduct,
                &mut c.conduct_contact,
                &mut c.link_chat,
                &mut c.link_newsletter,
                &mut c.link_website,
            ] {
                field.clear();
            }
            c.topics.clear();
        }
        Ok(list)
    }

    pub async fn create_community(&self, me: &Account, input: &CommunityInput) -> AppResult<Community> {
        let draft = super::zones::parse_with_zone(input.clone().or_defaults(&me.time_zone), |i| &mut i.time_zone, |i| i.parse())?;
        self.rate_limit(&[(format!("create-community:{}", me.id), 10, 86_400)]).await?;
        Ok(self.store.create_community(&draft, &me.id, now()).await?)
    }

    /// A community as `viewer` may see it; private ones do not exist for outsiders.
    pub async fn community(&self, viewer: Option<&Account>, slug: &str) -> AppResult<CommunityView> {
        let community = self.store.community(slug).await?;
        let standing = match viewer {
            Some(a) => self.store.standing(&community.id, &a.id).await?,
            None => Standing::Outsider,
        };
        let view = CommunityView { community, standing };
        if !view.may(Action::View) {
            return Err(AppError::NotFound);
        }
        Ok(view)
    }

    pub(crate) async fn community_for(&self, me: &Account, slug: &str, action: Action) -> AppResult<CommunityView> {
        let view = self.community(Some(me), slug).await?;
        if !view.may(action) {
            return Err(AppError::forbidden());
        }
        Ok(view)
    }

    /// The community's fields as its edit form shows them; organizers only.
    pub async fn community_input(&self, me: &Account, slug: &str) -> AppResult<CommunityInput> {
        let c = self.community_for(me, slug, Action::Edit).await?.community;
        Ok(CommunityInput {
            slug: c.slug,
            name: c.name,
            description: c.description,
            topics: c.topics.join(", "),
            code_of_conduct: c.code_of_conduct,
            conduct_contact: c.conduct_contact,
            visibility: c.visibility.as_str().into(),
            join_policy: c.join_policy.as_str().into(),
            day_hosts: c.day_hosts.as_str().into(),
            time_zone: c.time_zone,
            link_chat: c.link_chat,
            link_newsletter: c.link_newsletter,
            link_website: c.link_website,
        })
    }

    pub async fn update_community(&self, me: &Account, slug: &str, input: &CommunityInput) -> AppResult<Community> {
        let view = self.community_for(me, slug, Action::Edit).await?;
        let draft = super::zones::parse_with_zone(input.clone(), |i| &mut i.time_zone, |i| i.parse())?;
        Ok(self.store.update_community(&view.community.id, &draft, now()).await?)
    }

    /// The community an invite code opens, if the code is still good.
    pub async fn invite_community(&self, code: &str) -> AppResult<Community> {
        let id = self.store.invite_community(&hash_secret(code.trim()), now()).await?.ok_or_else(|| {
            AppError::Gone("This invite link has expired, was revoked, or has been used up. Ask an organizer for a new one.".into())
        })?;
        Ok(self.store.community_by_id(&id).await?)
    }

    /// The community a join form is for: the one its invite opens (private
    /// ones included), or else the one named, as this person may see it.
    pub async fn join_target(&self, me: &Account, slug: &str, invite: Option<&str>) -> AppResult<Community> {
        match invite.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => {
                let c = self.invite_community(code).await?;
                if c.slug != slug {
                    return Err(AppError::NotFound);
                }
                Ok(c)
            }
            None => Ok(self.community(Some(me), slug).await?.community),
        }
    }

    /// Joins (or asks to join) after accepting the code of conduct. An invite
    /// code lets a person into any community, private ones included, but never
    /// someone an organizer removed.
    pub async fn join(&self, me: &Account, slug: &str, accepted_conduct: bool, invite_code: Option<&str>) -> AppResult<JoinOutcome> {
        let invite = invite_code.map(str::trim).filter(|c| !c.is_empty());
        let community = self.join_target(me, slug, invite).await?;
        match self.store.standing(&community.id, &me.id).await? {
            Standing::Member(_) => return Ok(JoinOutcome::Member),
            Standing::Removed => return Err(removed()),
            Standing::Pending if invite.is_none() => return Ok(JoinOutcome::Pending),
            _ => {}
        }
        if !accepted_conduct {
            return Err(Invalid::one("accept_code_of_conduct", "Please read the code of conduct and tick the box to accept it.").into());
        }
        if let Some(code) = invite {
            return match self.store.join_with_invite(&community.id, &me.id, &hash_secret(code), now()).await? {
                InviteJoin::Joined | InviteJoin::AlreadyMember => Ok(JoinOutcome::Member),
                InviteJoin::Removed => Err(removed()),
                InviteJoin::InviteGone => {
                    Err(AppError::Gone("This invite link has just been used up or revoked. Ask an organizer for a new one.".into()))
                }
            };
        }
        let outcome = join_outcome(community.join_policy, false);
        match outcome {
            JoinOutcome::NeedsInvite => {
                return Err(AppError::Forbidden("This community is joined by invitation only. Ask an organizer for an invite link.".into()))
            }
            JoinOutcome::Member => self.store.add_member(&community.id, &me.id, false, self.now()).await?,
            JoinOutcome::Pending => self.store.add_member(&community.id, &me.id, true, self.now()).await?,
        }
        Ok(outcome)
    }

    /// Leaves a community, or withdraws a request to join.
    pub async fn leave(&self, me: &Account, slug: &str) -> AppResult<()> {
        let community = self.store.community(slug).await?;
        match self.store.standing(&community.id, &me.id).await? {
            Standing::Outsider | Standing::Removed => Err(AppError::NotFound),
            Standing::Pending => Ok(self.store.end_membership(&community.id, &me.id, false).await?),
            Standing::Member(role) => {
                let owners = self.store.count_owners(&community.id).await?;
                permissions::may_leave(role, owners).map_err(|r| AppError::Forbidden(r.message().into()))?;
                self.store.end_membership(&community.id, &me.id, false).await?;
                self.release_places(&community.id, &me.id).await
            }
        }
    }

    pub async fn members(&self, me: &Account, slug: &str) -> AppResult<(CommunityView, Vec<Member>)> {
        let view = self.community_for(me, slug, Action::ViewMembers).await?;
        let mut members = self.store.members(&view.community.id).await?;
        if !view.may(Action::ManageMembers) {
            members.retain(|m| !m.pending && !m.removed);
        }
        Ok((view, members))
    }

    async fn target(&self, view: &CommunityView, account_id: &str) -> AppResult<Standing> {
        match self.store.standing(&view.community.id, account_id).await? {
            Standing::Outsider | Standing::Removed => Err(AppError::NotFound),
            s => Ok(s),
        }
    }

    pub async fn approve_member(&self, me: &Account, slug: &str, account_id: &str) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::ManageMembers).await?;
        if self.target(&view, account_id).await? != Standing::Pending {
            return Err(AppError::NotFound);
        }
        Ok(self.store.approve_member(&view.community.id, account_id, now()).await?)
    }

    /// Removes a member, or declines a request. Either way the person cannot
    /// come back (not even with an invite) until an organizer allows it.
    pub async fn remove_member(&self, me: &Account, slug: &str, account_id: &str) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::ManageMembers).await?;
        let actor = view.role().ok_or_else(AppError::forbidden)?;
        if let Standing::Member(target) = self.target(&view, account_id).await? {
            let owners = self.store.count_owners(&view.community.id).await?;
            permissions::may_remove(actor, target, owners, account_id == me.id).map_err(|r| AppError::Forbidden(r.message().into()))?;
        }
        self.store.end_membership(&view.community.id, account_id, true).await?;
        self.release_places(&view.community.id, account_id).await
    }

    pub async fn allow_back(&self, me: &Account, slug: &str, account_id: &str) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::ManageMembers).await?;
        Ok(self.store.allow_back(&view.community.id, account_id).await?)
    }

    pub async fn change_role(&self, me: &Account, slug: &str, account_id: &str, role: &str) -> AppResult<()> {
        let new_role = Role::parse(role).ok_or_else(|| Invalid::one("role", "Choose member, host, organizer or owner."))?;
        let view = self.community_for(me, slug, Action::ManageMembers).await?;
        let actor = view.role().ok_or_else(AppError::forbidden)?;
        let Standing::Member(current) = self.target(&view, account_id).await? else {
            return Err(Invalid::one("role", "Approve the request before giving a role.").into());
        };
        let owners = self.store.count_owners(&view.community.id).await?;
        permissions::may_change_role(actor, current, new_role, owners, account_id == me.id)
            .map_err(|r| AppError::Forbidden(r.message().into()))?;
        Ok(self.store.set_member_role(&view.community.id, account_id, new_role).await?)
    }

    /// Makes an invite link; the code is returned once and only its hash is kept.
    pub async fn create_invite(&self, me: &Account, slug: &str, input: &InviteInput) -> AppResult<(Invite, String)> {
        let view = self.community_for(me, slug, Action::ManageInvites).await?;
        let mut inv = Invalid::default();
        let label = inv.take(input::line("label", &input.label, 0, 60));
        let days = match input.days.trim() {
            "" => Some(14),
            d => inv.take(
                d.parse::<i64>()
                    .ok()
                    .filter(|d| (1..=90).contains(d))
                    .ok_or_else(|| cowork_core::FieldError::new("days", "Choose between 1 and 90 days.")),
            ),
        };
        let max_uses = match input.max_uses.trim() {
            "" => Some(0),
            m => inv.take(
                m.parse::<i64>()
                    .ok()
                    .filter(|m| (0..=10_000).contains(m))
                    .ok_or_else(|| cowork_core::FieldError::new("max_uses", "Use a number from 0 (no limit) to 10000.")),
            ),
        };
        let (Some(label), Some(days), Some(max_uses)) = (label, days, max_uses) else {
            return Err(inv.into());
        };
        let code = secret(16);
        let t = now();
        let invite =
            self.store.create_invite(&view.community.id, &hash_secret(&code), &label, &me.id, t, t + days * 86_400, max_uses).await?;
        Ok((invite, code))
    }

    pub async fn invites(&self, me: &Account, slug: &str) -> AppResult<(CommunityView, Vec<Invite>)> {
        let view = self.community_for(me, slug, Action::ManageInvites).await?;
        let invites = self.store.invites(&view.community.id).await?;
        Ok((view, invites))
    }

    pub async fn revoke_invite(&self, me: &Account, slug: &str, invite_id: &str) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::ManageInvites).await?;
        Ok(self.store.revoke_invite(&view.community.id, invite_id, now()).await?)
    }
}
