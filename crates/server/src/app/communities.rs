//! Communities: creating and editing them, joining and leaving, members,
//! roles and invite links. Every permission comes from `cowork_core::permissions`.

use super::{hash_secret, now, secret, App, AppError, AppResult};
use cowork_core::community::{join_outcome, CommunityInput, JoinOutcome};
use cowork_core::input;
use cowork_core::permissions::{self, may, Action, Role, Standing};
use cowork_core::Invalid;
use cowork_store::{Account, Community, Invite, Member, MyCommunity};

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
    pub async fn directory(&self, search: &DirectorySearch) -> AppResult<Vec<Community>> {
        let q: String = search.q.chars().take(100).collect();
        let t: String = search.topic.chars().take(30).collect();
        let size = DIRECTORY_PAGE_SIZE as i64;
        Ok(self.store.directory(&q, &t, size, (search.page() - 1) * size).await?)
    }

    pub async fn popular_topics(&self) -> AppResult<Vec<(String, i64)>> {
        Ok(self.store.popular_topics(12).await?)
    }

    pub async fn my_communities(&self, me: &Account) -> AppResult<Vec<MyCommunity>> {
        Ok(self.store.communities_of(&me.id).await?)
    }

    pub async fn create_community(&self, me: &Account, input: &CommunityInput) -> AppResult<Community> {
        let draft = input.clone().or_defaults(&me.time_zone).parse()?;
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

    async fn community_for(&self, me: &Account, slug: &str, action: Action) -> AppResult<CommunityView> {
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
            time_zone: c.time_zone,
            link_chat: c.link_chat,
            link_newsletter: c.link_newsletter,
            link_website: c.link_website,
        })
    }

    pub async fn update_community(&self, me: &Account, slug: &str, input: &CommunityInput) -> AppResult<Community> {
        let view = self.community_for(me, slug, Action::Edit).await?;
        let draft = input.parse()?;
        Ok(self.store.update_community(&view.community.id, &draft, now()).await?)
    }

    /// The community an invite code opens, if the code is still good.
    pub async fn invite_community(&self, code: &str) -> AppResult<Community> {
        let id = self.store.invite_community(&hash_secret(code.trim()), now()).await?.ok_or_else(|| {
            AppError::Invalid(Invalid::one(
                "invite",
                "This invite link has expired, was revoked, or has been used up. Ask an organizer for a new one.",
            ))
        })?;
        Ok(self.store.community_by_id(&id).await?)
    }

    /// Joins (or asks to join) after accepting the code of conduct. An invite
    /// code lets a person into any community, private ones included.
    pub async fn join(&self, me: &Account, slug: &str, accepted_conduct: bool, invite_code: Option<&str>) -> AppResult<JoinOutcome> {
        let invite = invite_code.map(str::trim).filter(|c| !c.is_empty());
        let community = match invite {
            Some(code) => {
                let c = self.invite_community(code).await?;
                if c.slug != slug {
                    return Err(AppError::NotFound);
                }
                c
            }
            None => self.community(Some(me), slug).await?.community,
        };
        match self.store.standing(&community.id, &me.id).await? {
            Standing::Member(_) => return Ok(JoinOutcome::Member),
            Standing::Pending if invite.is_none() => return Ok(JoinOutcome::Pending),
            _ => {}
        }
        if !accepted_conduct {
            return Err(Invalid::one("accept_code_of_conduct", "Please read the code of conduct and tick the box to accept it.").into());
        }
        let outcome = join_outcome(community.join_policy, invite.is_some());
        match outcome {
            JoinOutcome::NeedsInvite => {
                return Err(AppError::Forbidden("This community is joined by invitation only. Ask an organizer for an invite link.".into()))
            }
            JoinOutcome::Member => {
                if let Some(code) = invite {
                    if !self.store.use_invite(&community.id, &hash_secret(code), now()).await? {
                        return Err(Invalid::one("invite", "This invite link has just been used up or revoked.").into());
                    }
                    // A pending request is superseded by the invite.
                    if self.store.standing(&community.id, &me.id).await? == Standing::Pending {
                        self.store.approve_member(&community.id, &me.id, now()).await?;
                        return Ok(JoinOutcome::Member);
                    }
                }
                self.store.add_member(&community.id, &me.id, false, now()).await?;
            }
            JoinOutcome::Pending => self.store.add_member(&community.id, &me.id, true, now()).await?,
        }
        Ok(outcome)
    }

    pub async fn leave(&self, me: &Account, slug: &str) -> AppResult<()> {
        let community = self.store.community(slug).await?;
        match self.store.standing(&community.id, &me.id).await? {
            Standing::Outsider => Err(AppError::NotFound),
            Standing::Pending => Ok(self.store.set_member_role(&community.id, &me.id, None).await?),
            Standing::Member(role) => {
                let owners = self.store.count_owners(&community.id).await?;
                permissions::may_leave(role, owners).map_err(|r| AppError::Forbidden(r.message().into()))?;
                Ok(self.store.set_member_role(&community.id, &me.id, None).await?)
            }
        }
    }

    pub async fn members(&self, me: &Account, slug: &str) -> AppResult<(CommunityView, Vec<Member>)> {
        let view = self.community_for(me, slug, Action::ViewMembers).await?;
        let mut members = self.store.members(&view.community.id).await?;
        if !view.may(Action::ManageMembers) {
            members.retain(|m| !m.pending);
        }
        Ok((view, members))
    }

    async fn target(&self, view: &CommunityView, account_id: &str) -> AppResult<Standing> {
        match self.store.standing(&view.community.id, account_id).await? {
            Standing::Outsider => Err(AppError::NotFound),
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

    /// Removes a member, or declines a pending request.
    pub async fn remove_member(&self, me: &Account, slug: &str, account_id: &str) -> AppResult<()> {
        let view = self.community_for(me, slug, Action::ManageMembers).await?;
        let actor = view.role().ok_or_else(AppError::forbidden)?;
        if let Standing::Member(target) = self.target(&view, account_id).await? {
            let owners = self.store.count_owners(&view.community.id).await?;
            permissions::may_remove(actor, target, owners, account_id == me.id).map_err(|r| AppError::Forbidden(r.message().into()))?;
        }
        Ok(self.store.set_member_role(&view.community.id, account_id, None).await?)
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
        Ok(self.store.set_member_role(&view.community.id, account_id, Some(new_role)).await?)
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
