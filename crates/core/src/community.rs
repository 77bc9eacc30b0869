//! What a community is and the rules of joining it.

use crate::input::{self, Email, FieldError, Invalid, Slug};
use crate::time::Zone;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed in the directory; anyone may read its page.
    Public,
    /// Not listed; anyone with the address may read its page.
    Unlisted,
    /// Only members (and people holding an invite) know it exists.
    Private,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [Visibility::Public, Visibility::Unlisted, Visibility::Private];
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
        }
    }
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("visibility", "Choose public, unlisted or private."))
    }
    pub fn describe(self) -> &'static str {
        match self {
            Visibility::Public => "Listed in the directory; anyone can see it.",
            Visibility::Unlisted => "Not listed; anyone with the link can see it.",
            Visibility::Private => "Only members can see it.",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinPolicy {
    /// Anyone who accepts the code of conduct becomes a member at once.
    Open,
    /// Requests wait for an organizer.
    Approval,
    /// Only people holding an invite link may join.
    Invite,
}

impl JoinPolicy {
    pub const ALL: [JoinPolicy; 3] = [JoinPolicy::Open, JoinPolicy::Approval, JoinPolicy::Invite];
    pub fn as_str(self) -> &'static str {
        match self {
            JoinPolicy::Open => "open",
            JoinPolicy::Approval => "approval",
            JoinPolicy::Invite => "invite",
        }
    }
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("join_policy", "Choose open, approval or invite."))
    }
    pub fn describe(self) -> &'static str {
        match self {
            JoinPolicy::Open => "Anyone can join after accepting the code of conduct.",
            JoinPolicy::Approval => "People ask to join; an organizer approves.",
            JoinPolicy::Invite => "Only people with an invite link can join.",
        }
    }
}

/// Who may hold a coworking day in the community's name (Jelly: "anyone can
/// hold Jelly anywhere", where the community wants it so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayHosts {
    Organizers,
    Hosts,
    /// Any member; the day is listed at once.
    Members,
    /// Any member; an organizer approves the day before it is listed.
    MembersApproved,
}

impl DayHosts {
    pub const ALL: [DayHosts; 4] = [DayHosts::Organizers, DayHosts::Hosts, DayHosts::Members, DayHosts::MembersApproved];
    pub fn as_str(self) -> &'static str {
        match self {
            DayHosts::Organizers => "organizers",
            DayHosts::Hosts => "hosts",
            DayHosts::Members => "members",
            DayHosts::MembersApproved => "members_approved",
        }
    }
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("day_hosts", "Choose who may hold coworking days."))
    }
    pub fn describe(self) -> &'static str {
        match self {
            DayHosts::Organizers => "Organizers only",
            DayHosts::Hosts => "Hosts and organizers",
            DayHosts::Members => "Any member",
            DayHosts::MembersApproved => "Any member, approved by an organizer",
        }
    }
}

/// What happens when someone asks to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    Member,
    Pending,
    NeedsInvite,
}

/// A valid invite always lets a person in, whatever the policy.
pub fn join_outcome(policy: JoinPolicy, has_valid_invite: bool) -> JoinOutcome {
    match (policy, has_valid_invite) {
        (_, true) | (JoinPolicy::Open, _) => JoinOutcome::Member,
        (JoinPolicy::Approval, false) => JoinOutcome::Pending,
        (JoinPolicy::Invite, false) => JoinOutcome::NeedsInvite,
    }
}

/// The fields of a community as an organizer submits them, already checked.
#[derive(Debug, Clone)]
pub struct CommunityDraft {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub topics: Vec<String>,
    pub code_of_conduct: String,
    pub conduct_contact: String,
    pub visibility: Visibility,
    pub join_policy: JoinPolicy,
    pub day_hosts: DayHosts,
    pub time_zone: Zone,
    pub link_chat: String,
    pub link_newsletter: String,
    pub link_website: String,
}

/// The raw text of the form or JSON body.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct CommunityInput {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub topics: String,
    pub code_of_conduct: String,
    pub conduct_contact: String,
    pub visibility: String,
    pub join_policy: String,
    /// organizers | hosts | members | members_approved
    pub day_hosts: String,
    pub time_zone: String,
    pub link_chat: String,
    pub link_newsletter: String,
    pub link_website: String,
}

impl CommunityInput {
    /// Fills what was left empty with what a new community starts with: our
    /// code of conduct, public, open, and the creator's time zone.
    pub fn or_defaults(mut self, time_zone: &str) -> Self {
        for (field, default) in [
            (&mut self.code_of_conduct, DEFAULT_CODE_OF_CONDUCT),
            (&mut self.visibility, "public"),
            (&mut self.join_policy, "open"),
            (&mut self.time_zone, time_zone),
        ] {
            if field.trim().is_empty() {
                *field = default.to_string();
            }
        }
        self
    }

    pub fn parse(&self) -> Result<CommunityDraft, Invalid> {
        let mut inv = Invalid::default();
        // An empty address is made from the name, so people (and scripts) may leave it out.
        let slug_text = if self.slug.trim().is_empty() { Slug::suggest(&self.name) } else { self.slug.clone() };
        let slug = inv.take(Slug::parse(&slug_text));
        let name = inv.take(input::line("name", &self.name, 3, 80));
        let description = inv.take(input::text("description", &self.description, 2000));
        let topics = inv.take(input::topics(&self.topics));
        let coc = inv.take(input::text("code_of_conduct", &self.code_of_conduct, 20_000));
        let contact = if self.conduct_contact.trim().is_empty() {
            Ok(String::new())
        } else {
            Email::parse(&self.conduct_contact).map(|e| e.to_string()).map_err(|e| FieldError::new("conduct_contact", e.message))
        };
        let contact = inv.take(contact);
        let visibility = inv.take(Visibility::parse(&self.visibility));
        let join_policy = inv.take(JoinPolicy::parse(&self.join_policy));
        let day_hosts = match self.day_hosts.trim() {
            "" => Some(DayHosts::MembersApproved),
            d => inv.take(DayHosts::parse(d)),
        };
        let tz = inv.take(Zone::parse("time_zone", &self.time_zone));
        let chat = inv.take(input::optional_url("link_chat", &self.link_chat));
        let news = inv.take(input::optional_url("link_newsletter", &self.link_newsletter));
        let web = inv.take(input::optional_url("link_website", &self.link_website));
        if let Some(c) = &coc {
            if c.chars().count() < 40 {
                inv.push(FieldError::new(
                    "code_of_conduct",
                    "Every community needs a code of conduct: write at least a few sentences, or keep the default.",
                ));
            }
        }
        match (slug, name, description, topics, coc, contact, visibility, join_policy, tz, chat, news, web, day_hosts) {
            (
                Some(slug),
                Some(name),
                Some(description),
                Some(topics),
                Some(code_of_conduct),
                Some(conduct_contact),
                Some(visibility),
                Some(join_policy),
                Some(time_zone),
                Some(link_chat),
                Some(link_newsletter),
                Some(link_website),
                Some(day_hosts),
            ) if inv.is_empty() => Ok(CommunityDraft {
                slug,
                name,
                description,
                topics,
                code_of_conduct,
                conduct_contact,
                visibility,
                join_policy,
                day_hosts,
                time_zone,
                link_chat,
                link_newsletter,
                link_website,
            }),
            _ => Err(inv),
        }
    }
}

/// The code of conduct a new community starts with, in our own words.
pub const DEFAULT_CODE_OF_CONDUCT: &str = "\
## Our code of conduct

We cowork to get things done in good company. Everyone is welcome here, whatever their
background, identity, experience or the work they bring.

**We are kind.** We assume good intent, listen more than we speak, and give others room.
Nobody has to speak, turn on a camera or explain what they work on.

**We respect focus.** During focus time we keep chat short and quiet. Breaks are for
talking; the timer belongs to everyone.

**We respect boundaries.** No harassment, insults, sexual attention, or jokes at
someone's expense. Pseudonyms are fine; we do not share what others said or showed
outside the session without asking.

**We help each other.** Newcomers get shown around. Questions are welcome at any time.

**When something goes wrong.** Tell a host or organizer, in the room or privately. They
may remove messages or participants, and will follow up with care and discretion.
Breaking this code can mean being removed from the community.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> CommunityInput {
        CommunityInput {
            slug: "turing-cowork".into(),
            name: "Turing Coworking".into(),
            description: "Weekly calls".into(),
            topics: "open science".into(),
            code_of_conduct: DEFAULT_CODE_OF_CONDUCT.into(),
            visibility: "public".into(),
            join_policy: "open".into(),
            time_zone: "Europe/London".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_community_parses() {
        let d = good().parse().unwrap();
        assert_eq!(d.slug.as_str(), "turing-cowork");
        assert_eq!(d.time_zone.name(), "Europe/London");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut i = good();
        i.slug = "A B".into();
        i.time_zone = "Mars/Olympus".into();
        i.visibility = "secret".into();
        i.code_of_conduct = "be nice".into();
        let err = i.parse().unwrap_err();
        for f in ["slug", "time_zone", "visibility", "code_of_conduct"] {
            assert!(err.message_for(f).is_some(), "{f} should have an error: {err}");
        }
    }

    #[test]
    fn an_empty_address_comes_from_the_name() {
        let mut i = good();
        i.slug = " ".into();
        i.name = "Night Owls: Late Focus".into();
        assert_eq!(i.parse().unwrap().slug.as_str(), "night-owls-late-focus");
    }

    #[test]
    fn an_invite_opens_every_door() {
        assert_eq!(join_outcome(JoinPolicy::Open, false), JoinOutcome::Member);
        assert_eq!(join_outcome(JoinPolicy::Approval, false), JoinOutcome::Pending);
        assert_eq!(join_outcome(JoinPolicy::Invite, false), JoinOutcome::NeedsInvite);
        assert_eq!(join_outcome(JoinPolicy::Invite, true), JoinOutcome::Member);
        assert_eq!(join_outcome(JoinPolicy::Approval, true), JoinOutcome::Member);
    }
}
