//! A realistic demo so a newcomer has something to look at: three communities
//! with members in several time zones, after the seeds' practice.

use super::{now, App, AppResult};
use cowork_core::community::{CommunityInput, DEFAULT_CODE_OF_CONDUCT};
use cowork_core::permissions::Role;

struct Person {
    email: &'static str,
    name: &'static str,
    pronouns: &'static str,
    zone: &'static str,
    pref: &'static str,
}

const PEOPLE: &[Person] = &[
    Person { email: "ada@demo.cowork.test", name: "Ada Okafor", pronouns: "she/her", zone: "Europe/London", pref: "social" },
    Person { email: "bo@demo.cowork.test", name: "Bo Lindqvist", pronouns: "he/him", zone: "Europe/Stockholm", pref: "quiet" },
    Person { email: "chandra@demo.cowork.test", name: "Chandra Iyer", pronouns: "they/them", zone: "Asia/Kolkata", pref: "either" },
    Person { email: "dana@demo.cowork.test", name: "Dana Reyes", pronouns: "she/her", zone: "America/New_York", pref: "social" },
    Person { email: "eli@demo.cowork.test", name: "Eli Tanaka", pronouns: "", zone: "Asia/Tokyo", pref: "quiet" },
    Person { email: "fia@demo.cowork.test", name: "Fia Moana", pronouns: "she/her", zone: "Pacific/Auckland", pref: "either" },
    Person { email: "gus@demo.cowork.test", name: "Gus Pereira", pronouns: "he/him", zone: "America/Sao_Paulo", pref: "social" },
];

pub struct DemoReport {
    pub accounts: usize,
    pub communities: usize,
}

impl App {
    /// Fills the database with the demo. Running it again changes nothing.
    pub async fn demo(&self) -> AppResult<DemoReport> {
        let mut accounts = Vec::new();
        for p in PEOPLE {
            let (a, _) = self.store.account_for_email(p.email, p.name, now()).await?;
            let profile = cowork_store::Profile {
                display_name: p.name.into(),
                pronouns: p.pronouns.into(),
                time_zone: p.zone.into(),
                bio: String::new(),
                social_preference: p.pref.into(),
            };
            accounts.push(self.store.update_profile(&a.id, &profile).await?);
        }
        let communities: [(&str, &str, &str, &str, &str, &str, usize, &[usize]); 3] = [
            (
                "open-science-cowork",
                "Open Science Coworking",
                "Collaboration Cafes on the first and third Wednesday, and a Weekly Coworking hour every Thursday at 11:00 UK time. \
                 Bring anything you work on: code, papers, documentation, a first contribution. Cameras optional; nobody has to speak.",
                "open science, research software, documentation",
                "public",
                "open",
                0,
                &[1, 2, 3, 4, 5, 6],
            ),
            (
                "thesis-writing-club",
                "Thesis Writing Club",
                "Shut Up & Write for PhD students: say your goal, write for 50 minutes, report back. Weekday mornings in every time zone.",
                "writing, phd, academia",
                "public",
                "approval",
                3,
                &[2, 4],
            ),
            (
                "night-owls",
                "Night Owls",
                "A small private group for late-night focus sessions.",
                "focus, night",
                "private",
                "invite",
                4,
                &[5],
            ),
        ];
        let mut created = 0;
        for (slug, name, description, topics, visibility, join_policy, owner, members) in communities {
            if self.store.community(slug).await.is_ok() {
                continue;
            }
            let owner_account = &accounts[owner];
            let input = CommunityInput {
                slug: slug.into(),
                name: name.into(),
                description: description.into(),
                topics: topics.into(),
                code_of_conduct: DEFAULT_CODE_OF_CONDUCT.into(),
                conduct_contact: owner_account.email.clone(),
                visibility: visibility.into(),
                join_policy: join_policy.into(),
                time_zone: owner_account.time_zone.clone(),
                ..Default::default()
            };
            let c = self.store.create_community(&input.parse()?, &owner_account.id, now()).await?;
            for &m in members {
                self.store.add_member(&c.id, &accounts[m].id, false, now()).await?;
            }
            if slug == "open-science-cowork" {
                self.store.set_member_role(&c.id, &accounts[1].id, Role::Organizer).await?;
                self.store.set_member_role(&c.id, &accounts[3].id, Role::Host).await?;
            }
            if slug == "thesis-writing-club" {
                self.store.add_member(&c.id, &accounts[6].id, true, now()).await?;
            }
            created += 1;
        }
        Ok(DemoReport { accounts: accounts.len(), communities: created })
    }
}
