//! Communities, memberships and invite links.

use crate::{col, flag, is_unique_violation, like_pattern, new_id, touched, Result, Store, StoreError};
use cowork_core::community::{CommunityDraft, DayHosts, JoinPolicy, Visibility};
use cowork_core::permissions::{Role, Standing};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize)]
pub struct Community {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub topics: Vec<String>,
    pub code_of_conduct: String,
    pub conduct_contact: String,
    pub visibility: Visibility,
    pub join_policy: JoinPolicy,
    /// Who may hold coworking days.
    pub day_hosts: DayHosts,
    pub time_zone: String,
    pub link_chat: String,
    pub link_newsletter: String,
    pub link_website: String,
    pub member_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COMMUNITY_COLUMNS: &str =
    "c.id, c.slug, c.name, c.description, c.topics, c.code_of_conduct, c.conduct_contact, c.visibility, c.join_policy, c.day_hosts, \
     c.time_zone, c.link_chat, c.link_newsletter, c.link_website, c.created_at, c.updated_at, \
     (SELECT COUNT(*) FROM memberships m WHERE m.community_id = c.id AND m.status = 'active') AS member_count";

fn community(row: &AnyRow) -> Result<Community> {
    let topics: String = col(row, "topics")?;
    let visibility: String = col(row, "visibility")?;
    let join_policy: String = col(row, "join_policy")?;
    Ok(Community {
        id: col(row, "id")?,
        slug: col(row, "slug")?,
        name: col(row, "name")?,
        description: col(row, "description")?,
        topics: topics.split(',').filter(|t| !t.is_empty()).map(String::from).collect(),
        code_of_conduct: col(row, "code_of_conduct")?,
        conduct_contact: col(row, "conduct_contact")?,
        visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Private),
        join_policy: JoinPolicy::parse(&join_policy).unwrap_or(JoinPolicy::Approval),
        day_hosts: DayHosts::parse(&col::<String>(row, "day_hosts")?).unwrap_or(DayHosts::Organizers),
        time_zone: col(row, "time_zone")?,
        link_chat: col(row, "link_chat")?,
        link_newsletter: col(row, "link_newsletter")?,
        link_website: col(row, "link_website")?,
        member_count: col(row, "member_count")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// Topics are stored between commas (",a,b,") so one can be matched exactly with LIKE.
fn topics_column(topics: &[String]) -> String {
    if topics.is_empty() {
        String::new()
    } else {
        format!(",{},", topics.join(","))
    }
}

/// Serializes changes to one community's memberships: a row lock on
/// PostgreSQL, the database's write lock on SQLite.
async fn lock_community(tx: &mut sqlx::Transaction<'_, sqlx::Any>, community_id: &str) -> Result<()> {
    sqlx::query("UPDATE communities SET updated_at = updated_at WHERE id = $1").bind(community_id).execute(&mut **tx).await?;
    Ok(())
}

enum MembershipChange {
    Role(Role),
    Leave,
    Remove,
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a community's fields as `$2` to `$15`, in the order both the insert and the update use.
fn bind_draft<'q>(q: AnyQuery<'q>, d: &'q CommunityDraft) -> AnyQuery<'q> {
    let search = format!("{} {} {}", d.name, d.description, d.topics.join(" ")).to_lowercase();
    q.bind(d.slug.as_str())
        .bind(&d.name)
        .bind(&d.description)
        .bind(topics_column(&d.topics))
        .bind(&d.code_of_conduct)
        .bind(&d.conduct_contact)
        .bind(d.visibility.as_str())
        .bind(d.join_policy.as_str())
        .bind(d.time_zone.name())
        .bind(&d.link_chat)
        .bind(&d.link_newsletter)
        .bind(&d.link_website)
        .bind(search)
        .bind(d.day_hosts.as_str())
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub account_id: String,
    pub display_name: String,
    pub pronouns: String,
    pub role: Role,
    pub pending: bool,
    /// Removed by an organizer; shown to organizers so they can allow them back.
    pub removed: bool,
    /// Named by an organizer as a contact for the code of conduct.
    pub conduct_contact: bool,
    pub requested_at: i64,
    pub joined_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    pub id: String,
    pub label: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteJoin {
    Joined,
    AlreadyMember,
    Removed,
    /// Revoked, expired or used up.
    InviteGone,
}

/// A community as one person sees it in their list.
#[derive(Debug, Clone, Serialize)]
pub struct MyCommunity {
    pub community: Community,
    pub role: Role,
    pub pending: bool,
}

impl Store {
    /// Creates a community with its creator as owner, in one transaction.
    pub async fn create_community(&self, d: &CommunityDraft, owner_id: &str, now: i64) -> Result<Community> {
        let id = new_id();
        let mut tx = self.begin().await?;
        let r = bind_draft(sqlx::query(
            "INSERT INTO communities (id, slug, name, description, topics, code_of_conduct, conduct_contact, visibility, join_policy, time_zone, \
             link_chat, link_newsletter, link_website, search_text, day_hosts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        )
        .bind(&id), d)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Taken("slug")),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        sqlx::query(
            "INSERT INTO memberships (community_id, account_id, role, status, conduct_accepted_at, requested_at, joined_at) VALUES ($1, $2, 'owner', 'active', $3, $3, $3)",
        )
        .bind(&id)
        .bind(owner_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.community(d.slug.as_str()).await
    }

    /// Replaces a community's fields. The slug may change; a taken one is refused.
    pub async fn update_community(&self, id: &str, d: &CommunityDraft, now: i64) -> Result<Community> {
        let r = bind_draft(sqlx::query(
            "UPDATE communities SET slug = $2, name = $3, description = $4, topics = $5, code_of_conduct = $6, conduct_contact = $7, visibility = $8, \
             join_policy = $9, time_zone = $10, link_chat = $11, link_newsletter = $12, link_website = $13, search_text = $14, \
             day_hosts = $15, updated_at = $16 WHERE id = $1",
        )
        .bind(id), d)
        .bind(now)
        .execute(&self.pool)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Taken("slug")),
            Err(e) => Err(e.into()),
            Ok(r) if r.rows_affected() == 0 => Err(StoreError::NotFound),
            Ok(_) => self.community(d.slug.as_str()).await,
        }
    }

    pub async fn community(&self, slug: &str) -> Result<Community> {
        let sql = format!("SELECT {COMMUNITY_COLUMNS} FROM communities c WHERE c.slug = $1");
        let row = sqlx::query(&sql).bind(slug).fetch_optional(&self.pool).await?;
        community(&row.ok_or(StoreError::NotFound)?)
    }

    /// Public communities matching a search in name, description or topics,
    /// or carrying exactly `topic`; biggest first.
    pub async fn directory(&self, query: &str, topic: &str, limit: i64, offset: i64) -> Result<Vec<Community>> {
        let sql = format!(
            "SELECT {COMMUNITY_COLUMNS} FROM communities c WHERE c.visibility = 'public' \
             AND ($1 = '%%' OR c.search_text LIKE $1 ESCAPE '\\') \
             AND ($2 = '' OR c.topics LIKE $2 ESCAPE '\\') \
             ORDER BY member_count DESC, c.name, c.id LIMIT $3 OFFSET $4"
        );
        let topic_pattern =
            if topic.trim().is_empty() { String::new() } else { format!("%,{},%", like_pattern(topic.trim()).trim_matches('%')) };
        let rows =
            sqlx::query(&sql).bind(like_pattern(query.trim())).bind(topic_pattern).bind(limit).bind(offset).fetch_all(&self.pool).await?;
        rows.iter().map(community).collect()
    }

    /// The most used topics among public communities, for the directory's filter.
    pub async fn popular_topics(&self, limit: usize) -> Result<Vec<(String, i64)>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT topics FROM communities WHERE visibility = 'public' AND topics <> ''").fetch_all(&self.pool).await?;
        let mut counts: std::collections::BTreeMap<String, i64> = Default::default();
        for t in rows.iter().flat_map(|r| r.split(',')).filter(|t| !t.is_empty()) {
            *counts.entry(t.to_string()).or_default() += 1;
        }
        let mut v: Vec<(String, i64)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(limit);
        Ok(v)
    }

    pub async fn communities_of(&self, account_id: &str) -> Result<Vec<MyCommunity>> {
        let sql = format!(
            "SELECT {COMMUNITY_COLUMNS}, m.role AS my_role, m.status AS my_status FROM memberships m JOIN communities c ON c.id = m.community_id \
             WHERE m.account_id = $1 AND m.status <> 'removed' ORDER BY c.name, c.id"
        );
        let rows = sqlx::query(&sql).bind(account_id).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let role: String = col(r, "my_role")?;
                let status: String = col(r, "my_status")?;
                Ok(MyCommunity { community: community(r)?, role: Role::parse(&role).unwrap_or(Role::Member), pending: status == "pending" })
            })
            .collect()
    }

    // ---- memberships

    pub async fn standing(&self, community_id: &str, account_id: &str) -> Result<Standing> {
        let row = sqlx::query("SELECT role, status FROM memberships WHERE community_id = $1 AND account_id = $2")
            .bind(community_id)
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            None => Standing::Outsider,
            Some(r) => {
                let status: String = col(&r, "status")?;
                let role: String = col(&r, "role")?;
                match status.as_str() {
                    "pending" => Standing::Pending,
                    "removed" => Standing::Removed,
                    _ => Standing::Member(Role::parse(&role).unwrap_or(Role::Member)),
                }
            }
        })
    }

    /// Records a join (active) or a join request (pending), with the moment the
    /// code of conduct was accepted. Joining twice changes nothing. A request
    /// enqueues, with itself, the notice its organizers get within the hour.
    pub async fn add_member(&self, community_id: &str, account_id: &str, pending: bool, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let added = sqlx::query(
            "INSERT INTO memberships (community_id, account_id, role, status, conduct_accepted_at, requested_at, joined_at) \
             VALUES ($1, $2, 'member', $3, $4, $4, $5) ON CONFLICT (community_id, account_id) DO NOTHING",
        )
        .bind(community_id)
        .bind(account_id)
        .bind(if pending { "pending" } else { "active" })
        .bind(now)
        .bind(if pending { None } else { Some(now) })
        .execute(&mut *tx)
        .await?;
        if pending && added.rows_affected() == 1 {
            crate::digests::enqueue_join_request_notices(&mut tx, community_id, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn approve_member(&self, community_id: &str, account_id: &str, now: i64) -> Result<()> {
        touched(sqlx::query(
            "UPDATE memberships SET status = 'active', joined_at = $3 WHERE community_id = $1 AND account_id = $2 AND status = 'pending'",
        )
        .bind(community_id)
        .bind(account_id)
        .bind(now)
        .execute(&self.pool)
        .await?)
    }

    /// Changes a member's role, never leaving the community without an owner.
    pub async fn set_member_role(&self, community_id: &str, account_id: &str, role: Role) -> Result<()> {
        self.change_membership(community_id, account_id, MembershipChange::Role(role)).await
    }

    /// Ends a membership or request: `removed` keeps a row that stops the
    /// person from rejoining; otherwise (leaving) the row goes.
    pub async fn end_membership(&self, community_id: &str, account_id: &str, removed: bool) -> Result<()> {
        self.change_membership(community_id, account_id, if removed { MembershipChange::Remove } else { MembershipChange::Leave }).await
    }

    /// Lets a removed person join again.
    pub async fn allow_back(&self, community_id: &str, account_id: &str) -> Result<()> {
        touched(
            sqlx::query("DELETE FROM memberships WHERE community_id = $1 AND account_id = $2 AND status = 'removed'")
                .bind(community_id)
                .bind(account_id)
                .execute(&self.pool)
                .await?,
        )
    }

    /// Under the community's lock, so two owners demoting each other at once
    /// cannot both succeed.
    async fn change_membership(&self, community_id: &str, account_id: &str, change: MembershipChange) -> Result<()> {
        let mut tx = self.begin().await?;
        lock_community(&mut tx, community_id).await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE community_id = $1 AND account_id = $2 AND status <> 'removed'")
                .bind(community_id)
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        let current = current.ok_or(StoreError::NotFound)?;
        if current == "owner" && !matches!(change, MembershipChange::Role(Role::Owner)) {
            let owners: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE community_id = $1 AND role = 'owner' AND status = 'active'")
                    .bind(community_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if owners <= 1 {
                return Err(StoreError::LastOwner);
            }
        }
        let sql = match change {
            MembershipChange::Role(_) => "UPDATE memberships SET role = $3 WHERE community_id = $1 AND account_id = $2",
            MembershipChange::Remove => {
                "UPDATE memberships SET status = 'removed', role = 'member', joined_at = NULL WHERE community_id = $1 AND account_id = $2"
            }
            MembershipChange::Leave => "DELETE FROM memberships WHERE community_id = $1 AND account_id = $2",
        };
        let mut q = sqlx::query(sql).bind(community_id).bind(account_id);
        if let MembershipChange::Role(r) = change {
            q = q.bind(r.as_str());
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn count_owners(&self, community_id: &str) -> Result<usize> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE community_id = $1 AND role = 'owner' AND status = 'active'")
                .bind(community_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n as usize)
    }

    /// Active members by rank then name, followed by pending requests oldest first.
    pub async fn members(&self, community_id: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.account_id, a.display_name, a.pronouns, m.role, m.status, m.conduct_contact, m.requested_at, m.joined_at FROM memberships m \
             JOIN accounts a ON a.id = m.account_id WHERE m.community_id = $1 \
             ORDER BY CASE m.status WHEN 'active' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, \
               CASE m.role WHEN 'owner' THEN 0 WHEN 'organizer' THEN 1 WHEN 'host' THEN 2 ELSE 3 END, \
               LOWER(a.display_name), m.requested_at, m.account_id",
        )
        .bind(community_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = col(r, "role")?;
                let status: String = col(r, "status")?;
                Ok(Member {
                    account_id: col(r, "account_id")?,
                    display_name: col(r, "display_name")?,
                    pronouns: col(r, "pronouns")?,
                    role: Role::parse(&role).unwrap_or(Role::Member),
                    pending: status == "pending",
                    removed: status == "removed",
                    conduct_contact: flag(r, "conduct_contact")?,
                    requested_at: col(r, "requested_at")?,
                    joined_at: col(r, "joined_at")?,
                })
            })
            .collect()
    }

    // ---- invites

    pub async fn create_invite(
        &self,
        community_id: &str,
        code_hash: &str,
        label: &str,
        created_by: &str,
        now: i64,
        expires_at: i64,
        max_uses: i64,
    ) -> Result<Invite> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO invites (id, community_id, code_hash, label, created_by, created_at, expires_at, max_uses) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(community_id)
        .bind(code_hash)
        .bind(label)
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .bind(max_uses)
        .execute(&self.pool)
        .await?;
        Ok(Invite { id, label: label.into(), created_at: now, expires_at, max_uses, uses: 0, revoked: false })
    }

    pub async fn invites(&self, community_id: &str) -> Result<Vec<Invite>> {
        let rows = sqlx::query(
            "SELECT id, label, created_at, expires_at, max_uses, uses, revoked_at FROM invites WHERE community_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(community_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Invite {
                    id: col(r, "id")?,
                    label: col(r, "label")?,
                    created_at: col(r, "created_at")?,
                    expires_at: col(r, "expires_at")?,
                    max_uses: col(r, "max_uses")?,
                    uses: col(r, "uses")?,
                    revoked: col::<Option<i64>>(r, "revoked_at")?.is_some(),
                })
            })
            .collect()
    }

    pub async fn revoke_invite(&self, community_id: &str, id: &str, now: i64) -> Result<()> {
        touched(
            sqlx::query("UPDATE invites SET revoked_at = $3 WHERE community_id = $1 AND id = $2 AND revoked_at IS NULL")
                .bind(community_id)
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?,
        )
    }

    /// The community an invite code opens, if the code is still good (not used up).
    pub async fn invite_community(&self, code_hash: &str, now: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT community_id FROM invites WHERE code_hash = $1 AND revoked_at IS NULL AND expires_at > $2 AND (max_uses = 0 OR uses < max_uses)",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Joins through an invite: the membership and the use of the invite are
    /// one transaction, under the community's lock, so a double submit joins
    /// once and counts once, and a last place is used once.
    pub async fn join_with_invite(&self, community_id: &str, account_id: &str, code_hash: &str, now: i64) -> Result<InviteJoin> {
        let mut tx = self.begin().await?;
        lock_community(&mut tx, community_id).await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM memberships WHERE community_id = $1 AND account_id = $2")
            .bind(community_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        match status.as_deref() {
            Some("active") => return Ok(InviteJoin::AlreadyMember),
            Some("removed") => return Ok(InviteJoin::Removed),
            _ => {}
        }
        let used = sqlx::query(
            "UPDATE invites SET uses = uses + 1 WHERE code_hash = $1 AND community_id = $2 AND revoked_at IS NULL AND expires_at > $3              AND (max_uses = 0 OR uses < max_uses)",
        )
        .bind(code_hash)
        .bind(community_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(InviteJoin::InviteGone);
        }
        // A pending request is superseded by the invite.
        sqlx::query(
            "INSERT INTO memberships (community_id, account_id, role, status, conduct_accepted_at, requested_at, joined_at)              VALUES ($1, $2, 'member', 'active', $3, $3, $3)              ON CONFLICT (community_id, account_id) DO UPDATE SET status = 'active', joined_at = $3, conduct_accepted_at = $3",
        )
        .bind(community_id)
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(InviteJoin::Joined)
    }
}

impl Store {
    pub async fn community_by_id(&self, id: &str) -> Result<Community> {
        let sql = format!("SELECT {COMMUNITY_COLUMNS} FROM communities c WHERE c.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        community(&row.ok_or(StoreError::NotFound)?)
    }
}
