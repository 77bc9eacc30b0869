//! A realistic demo so a newcomer has something to look at: three communities
//! with members in several time zones, after the seeds' practice.

use super::{now, App, AppResult};
use cowork_core::community::{CommunityInput, DEFAULT_CODE_OF_CONDUCT};
use cowork_core::permissions::Role;
use cowork_core::schedule::SeriesInput;
use cowork_store::Account;

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

/// (title, format, start time, zone, repeat fields, place, capacity)
type DemoSeries = (&'static str, &'static str, &'static str, &'static str, SeriesInput, &'static str, &'static str);

fn weekly(days: &[&str]) -> SeriesInput {
    SeriesInput {
        repeat: "weekly".into(),
        wd_mo: days.contains(&"MO"),
        wd_tu: days.contains(&"TU"),
        wd_we: days.contains(&"WE"),
        wd_th: days.contains(&"TH"),
        wd_fr: days.contains(&"FR"),
        ..Default::default()
    }
}

impl App {
    /// A few series per demo community, with people going to the first sessions.
    async fn demo_series(&self, slug: &str, owner: &Account, members: Vec<&Account>) -> AppResult<()> {
        let list: Vec<DemoSeries> = match slug {
            "open-science-cowork" => vec![
                (
                    "Collaboration Cafe",
                    "builtin:collaboration-cafe",
                    "15:00",
                    "Europe/London",
                    SeriesInput {
                        repeat: "monthly_weekday".into(),
                        nth_1: true,
                        nth_3: true,
                        month_weekday: "WE".into(),
                        ..Default::default()
                    },
                    "online",
                    "",
                ),
                ("Weekly Coworking", "builtin:weekly-coworking", "11:00", "Europe/London", weekly(&["TH"]), "online", "30"),
                (
                    "Coworking day at the library",
                    "builtin:coworking-day",
                    "09:00",
                    "Europe/Stockholm",
                    SeriesInput { repeat: "monthly_day".into(), month_day: "last".into(), ..Default::default() },
                    "in_person",
                    "12",
                ),
            ],
            "thesis-writing-club" => vec![(
                "Shut Up & Write",
                "builtin:shut-up-and-write",
                "09:00",
                "America/New_York",
                weekly(&["MO", "WE", "FR"]),
                "online",
                "8",
            )],
            _ => vec![("Late focus", "builtin:focus-50", "22:00", "Asia/Tokyo", weekly(&["TU", "TH"]), "online", "2")],
        };
        let start = cowork_core::schedule::date_in(&cowork_core::time::Zone::utc(), now()).saturating_add(jiff::ToSpan::day(1)).to_string();
        // The library the demo's coworking day meets at: a public place, so its address is for everyone.
        let library = if list.iter().any(|l| l.5 == "in_person") {
            let input = cowork_core::places::PlaceInput {
                name: "Stadsbiblioteket".into(),
                kind: "library".into(),
                address: "Sveavägen 73".into(),
                area: "Vasastan".into(),
                city: "Stockholm".into(),
                country: "SE".into(),
                lat: "59.3434".into(),
                lon: "18.0545".into(),
                time_zone: "Europe/Stockholm".into(),
                access: vec!["step_free".into(), "toilets".into(), "parking_or_transit".into()],
                amenities: vec!["wifi".into(), "power".into(), "coffee".into()],
                seats: "20".into(),
                ..Default::default()
            };
            self.add_community_place(owner, slug, &input).await?.id
        } else {
            String::new()
        };
        for (title, format, time, zone, repeat, place, capacity) in list {
            let input = SeriesInput {
                title: title.into(),
                description: String::new(),
                format: format.into(),
                start_date: start.clone(),
                start_time: time.into(),
                time_zone: zone.into(),
                place: place.into(),
                video_url: if place == "online" { "https://meet.jit.si/cowork-demo".into() } else { String::new() },
                place_id: if place == "in_person" { library.clone() } else { String::new() },
                kind: if place == "in_person" { "coworking_day".into() } else { String::new() },
                capacity: capacity.into(),
                language: "en".into(),
                ..repeat
            };
            let series = self.create_series(owner, slug, &input).await?;
            for session in self.store.series_sessions(&series.id, now(), 2).await? {
                for m in &members {
                    self.store.rsvp(&session.id, &m.id, now()).await?;
                }
            }
        }
        if slug == "open-science-cowork" {
            // One starting within minutes, so its live room can be tried at once.
            let soon = cowork_core::time::Zone::utc().local((now() / 300 + 2) * 300);
            let input = SeriesInput {
                title: "Drop-in Weekly Coworking (try the live room)".into(),
                format: "builtin:weekly-coworking".into(),
                start_date: soon.date.to_string(),
                start_time: format!("{:02}:{:02}", soon.time.hour(), soon.time.minute()),
                time_zone: "UTC".into(),
                place: "online".into(),
                video_url: "https://meet.jit.si/cowork-demo".into(),
                language: "en".into(),
                ..Default::default()
            };
            self.create_series(owner, slug, &input).await?;
        }
        Ok(())
    }
}

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
            self.demo_series(slug, &accounts[owner], members.iter().map(|m| &accounts[*m]).collect()).await?;
        }
        Ok(DemoReport { accounts: accounts.len(), communities: created })
    }
}
