//! Who may do what in a community. Decided here, once, for pages and API alike.

use crate::community::Visibility;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Host,
    Organizer,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Member, Role::Host, Role::Organizer, Role::Owner];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Host => "host",
            Role::Organizer => "organizer",
            Role::Owner => "owner",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Member => "Member",
            Role::Host => "Host",
            Role::Organizer => "Organizer",
            Role::Owner => "Owner",
        }
    }
}

/// Where a person stands with a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Outsider,
    /// Asked to join; waits for an organizer.
    Pending,
    Member(Role),
    /// Removed (or declined) by an organizer: may not come back until allowed.
    Removed,
}

impl Standing {
    pub fn role(self) -> Option<Role> {
        match self {
            Standing::Member(r) => Some(r),
            _ => None,
        }
    }
    fn at_least(self, min: Role) -> bool {
        self.role().is_some_and(|r| r >= min)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the community's page.
    View,
    /// See the member list.
    ViewMembers,
    /// Change name, description, policies, code of conduct.
    Edit,
    /// Approve join requests and remove members.
    ManageMembers,
    /// Create and revoke invite links.
    ManageInvites,
    /// Plan series, formats and sessions; cancel or move occurrences.
    Schedule,
    /// Mark who came to a session.
    MarkAttendance,
    /// Say one is going to a session.
    Rsvp,
    /// Drive a live room: its timer and tables, and keep order in it
    /// (a session's own hosts may too, and the conduct contacts keep order).
    RunRoom,
}

/// Whether a person with `standing` may do `action` in a community with `visibility`.
/// An instance admin is not special here: admins run the machine, not the community.
pub fn may(standing: Standing, visibility: Visibility, action: Action) -> bool {
    match action {
        Action::View => visibility != Visibility::Private || standing.role().is_some(),
        Action::ViewMembers => standing.role().is_some(),
        Action::Edit | Action::ManageMembers | Action::ManageInvites | Action::Schedule => standing.at_least(Role::Organizer),
        Action::MarkAttendance | Action::RunRoom => standing.at_least(Role::Host),
        Action::Rsvp => standing.role().is_some(),
    }
}

/// Whether a coworking day someone proposes is listed at once, waits for an
/// organizer, or may not be proposed by them at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayProposal {
    Listed,
    NeedsApproval,
    NotAllowed,
}

/// The community's choice of who holds coworking days; organizers always may.
pub fn propose_day(standing: Standing, policy: crate::community::DayHosts) -> DayProposal {
    use crate::community::DayHosts;
    let allowed = match policy {
        DayHosts::Organizers => standing.at_least(Role::Organizer),
        DayHosts::Hosts => standing.at_least(Role::Host),
        DayHosts::Members | DayHosts::MembersApproved => standing.role().is_some(),
    };
    match (allowed, policy) {
        (false, _) => DayProposal::NotAllowed,
        (true, DayHosts::MembersApproved) if !standing.at_least(Role::Host) => DayProposal::NeedsApproval,
        _ => DayProposal::Listed,
    }
}

/// What someone may do in a session's live room beyond taking part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomRights {
    /// Drives the timer and reopens or closes any table.
    pub host: bool,
    /// Deletes messages and removes people.
    pub moderator: bool,
}

/// A session's own hosts (the series'), and the community's hosts and
/// organizers, host its room; they and the code of conduct's contacts keep
/// order in it. Only members have any of these rights.
pub fn room_rights(standing: Standing, series_host: bool, conduct_contact: bool) -> RoomRights {
    let member = standing.role().is_some();
    let host = member && (series_host || standing.at_least(Role::Host));
    RoomRights { host, moderator: member && (host || conduct_contact) }
}

/// Why a role change or removal is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotAllowed,
    LastOwner,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "You don't have permission to do that.",
            Refusal::LastOwner => "A community always needs an owner: make someone else owner first.",
        }
    }
}

/// Organizers manage members and hosts and may raise them up to organizer;
/// only owners touch organizers and owners. The last owner can never be demoted.
pub fn may_change_role(actor: Role, target_current: Role, target_new: Role, owners: usize, is_self: bool) -> Result<(), Refusal> {
    if target_current == Role::Owner && target_new != Role::Owner && owners <= 1 {
        return Err(Refusal::LastOwner);
    }
    match actor {
        Role::Owner => Ok(()),
        Role::Organizer if !is_self && target_current < Role::Organizer && target_new <= Role::Organizer => Ok(()),
        _ => Err(Refusal::NotAllowed),
    }
}

/// Removing a member follows the same rule as demoting them to nothing.
pub fn may_remove(actor: Role, target: Role, owners: usize, is_self: bool) -> Result<(), Refusal> {
    if is_self {
        return Err(Refusal::NotAllowed);
    }
    if target == Role::Owner && owners <= 1 {
        return Err(Refusal::LastOwner);
    }
    match actor {
        Role::Owner => Ok(()),
        Role::Organizer if target < Role::Organizer => Ok(()),
        _ => Err(Refusal::NotAllowed),
    }
}

/// Anyone may leave, except the last owner.
pub fn may_leave(role: Role, owners: usize) -> Result<(), Refusal> {
    if role == Role::Owner && owners <= 1 {
        Err(Refusal::LastOwner)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_community_chooses_who_holds_coworking_days() {
        use crate::community::DayHosts;
        let member = Standing::Member(Role::Member);
        let host = Standing::Member(Role::Host);
        let organizer = Standing::Member(Role::Organizer);
        assert_eq!(propose_day(member, DayHosts::Organizers), DayProposal::NotAllowed);
        assert_eq!(propose_day(host, DayHosts::Organizers), DayProposal::NotAllowed);
        assert_eq!(propose_day(organizer, DayHosts::Organizers), DayProposal::Listed);
        assert_eq!(propose_day(member, DayHosts::Hosts), DayProposal::NotAllowed);
        assert_eq!(propose_day(host, DayHosts::Hosts), DayProposal::Listed);
        assert_eq!(propose_day(member, DayHosts::Members), DayProposal::Listed);
        assert_eq!(propose_day(member, DayHosts::MembersApproved), DayProposal::NeedsApproval);
        assert_eq!(propose_day(host, DayHosts::MembersApproved), DayProposal::Listed);
        assert_eq!(propose_day(Standing::Outsider, DayHosts::Members), DayProposal::NotAllowed);
        assert_eq!(propose_day(Standing::Pending, DayHosts::MembersApproved), DayProposal::NotAllowed);
    }
    use Role::*;

    #[test]
    fn private_communities_are_hidden_from_outsiders() {
        assert!(!may(Standing::Outsider, Visibility::Private, Action::View));
        assert!(!may(Standing::Removed, Visibility::Private, Action::View));
        assert!(!may(Standing::Removed, Visibility::Public, Action::ViewMembers));
        assert!(!may(Standing::Pending, Visibility::Private, Action::View));
        assert!(may(Standing::Member(Member), Visibility::Private, Action::View));
        assert!(may(Standing::Outsider, Visibility::Unlisted, Action::View));
        assert!(!may(Standing::Outsider, Visibility::Public, Action::ViewMembers));
    }

    #[test]
    fn only_organizers_and_owners_manage() {
        for (s, ok) in [
            (Standing::Member(Member), false),
            (Standing::Member(Host), false),
            (Standing::Member(Organizer), true),
            (Standing::Member(Owner), true),
            (Standing::Outsider, false),
        ] {
            assert_eq!(may(s, Visibility::Public, Action::Edit), ok, "{s:?}");
            assert_eq!(may(s, Visibility::Public, Action::ManageMembers), ok, "{s:?}");
        }
    }

    #[test]
    fn hosts_mark_attendance_and_organizers_schedule() {
        assert!(may(Standing::Member(Host), Visibility::Public, Action::MarkAttendance));
        assert!(may(Standing::Member(Host), Visibility::Public, Action::RunRoom));
        assert!(!may(Standing::Member(Member), Visibility::Public, Action::RunRoom));
        assert!(!may(Standing::Member(Host), Visibility::Public, Action::Schedule));
        assert!(may(Standing::Member(Organizer), Visibility::Public, Action::Schedule));
        assert!(may(Standing::Member(Member), Visibility::Public, Action::Rsvp));
        assert!(!may(Standing::Pending, Visibility::Public, Action::Rsvp));
        assert!(!may(Standing::Outsider, Visibility::Public, Action::Rsvp));
    }

    #[test]
    fn room_rights_go_to_hosts_and_order_to_conduct_contacts_but_only_for_members() {
        let rights = |s, series_host, contact| room_rights(s, series_host, contact);
        assert_eq!(rights(Standing::Member(Member), false, false), RoomRights::default());
        assert_eq!(rights(Standing::Member(Member), true, false), RoomRights { host: true, moderator: true });
        assert_eq!(rights(Standing::Member(Member), false, true), RoomRights { host: false, moderator: true });
        assert_eq!(rights(Standing::Member(Host), false, false), RoomRights { host: true, moderator: true });
        assert_eq!(rights(Standing::Member(Organizer), false, false), RoomRights { host: true, moderator: true });
        // A series host or contact who left, or was removed, has no say in the room.
        for s in [Standing::Outsider, Standing::Pending, Standing::Removed] {
            assert_eq!(rights(s, true, true), RoomRights::default(), "{s:?}");
        }
    }

    #[test]
    fn role_changes_respect_rank_and_the_last_owner() {
        assert_eq!(may_change_role(Organizer, Member, Host, 1, false), Ok(()));
        assert_eq!(may_change_role(Organizer, Host, Organizer, 1, false), Ok(()));
        assert_eq!(may_change_role(Organizer, Member, Owner, 1, false), Err(Refusal::NotAllowed));
        assert_eq!(may_change_role(Organizer, Organizer, Member, 1, false), Err(Refusal::NotAllowed));
        assert_eq!(may_change_role(Host, Member, Host, 1, false), Err(Refusal::NotAllowed));
        assert_eq!(may_change_role(Owner, Owner, Member, 1, true), Err(Refusal::LastOwner));
        assert_eq!(may_change_role(Owner, Owner, Member, 2, true), Ok(()));
        assert_eq!(may_change_role(Owner, Member, Owner, 1, false), Ok(()));
    }

    #[test]
    fn removal_and_leaving() {
        assert_eq!(may_remove(Organizer, Member, 1, false), Ok(()));
        assert_eq!(may_remove(Organizer, Organizer, 1, false), Err(Refusal::NotAllowed));
        assert_eq!(may_remove(Owner, Owner, 1, false), Err(Refusal::LastOwner));
        assert_eq!(may_remove(Member, Member, 1, false), Err(Refusal::NotAllowed));
        assert_eq!(may_leave(Owner, 1), Err(Refusal::LastOwner));
        assert_eq!(may_leave(Owner, 2), Ok(()));
        assert_eq!(may_leave(Member, 1), Ok(()));
    }
}
