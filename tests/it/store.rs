//! The store suite: every scenario runs on SQLite and on PostgreSQL.

use crate::support::fresh_store;
use cowork_core::community::CommunityInput;
use cowork_core::permissions::{Role, Standing};
use cowork_store::{InviteJoin, Store, StoreError};

/// Runs one scenario on both backends, as `name::sqlite` and `name::postgres`.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let f = $body;
                f(fresh_store("sqlite").await).await;
            }
            #[tokio::test]
            async fn postgres() {
                let f = $body;
                f(fresh_store("postgres").await).await;
            }
        }
    };
}

fn draft(slug: &str, visibility: &str, topics: &str) -> cowork_core::community::CommunityDraft {
    CommunityInput {
        slug: slug.into(),
        name: format!("Cowork {slug}"),
        description: format!("About {slug}"),
        topics: topics.into(),
        code_of_conduct: cowork_core::community::DEFAULT_CODE_OF_CONDUCT.into(),
        visibility: visibility.into(),
        join_policy: "open".into(),
        time_zone: "Asia/Kolkata".into(),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

async fn person(s: &Store, email: &str) -> cowork_store::Account {
    s.create_account(email, "Person", "UTC", 1_000).await.unwrap()
}

on_both!(accounts_are_unique_by_address, |s: Store| async move {
    let a = person(&s, "ada@example.org").await;
    assert!(matches!(s.create_account("ada@example.org", "Other", "UTC", 1).await, Err(StoreError::Taken("email"))));
    let (same, created) = s.account_for_email("ada@example.org", "X", 2).await.unwrap();
    assert_eq!((same.id.as_str(), created), (a.id.as_str(), false));
    let (_, created) = s.account_for_email("bo@example.org", "Bo", 2).await.unwrap();
    assert!(created);
    let p = cowork_store::Profile {
        display_name: "Ada L".into(),
        pronouns: "she/her".into(),
        time_zone: "Pacific/Chatham".into(),
        bio: "Writes".into(),
        social_preference: "quiet".into(),
    };
    let a = s.update_profile(&a.id, &p).await.unwrap();
    assert_eq!((a.display_name.as_str(), a.time_zone.as_str(), a.time_zone_confirmed), ("Ada L", "Pacific/Chatham", true));
    assert!(!a.has_password);
    s.set_password_hash(&a.id, Some("$argon2id$x")).await.unwrap();
    assert!(s.account(&a.id).await.unwrap().has_password);
    assert_eq!(s.password_hash("ada@example.org").await.unwrap().unwrap().1, "$argon2id$x");
    assert_eq!(s.count_accounts().await.unwrap(), 2);
});

on_both!(sign_in_links_work_once_and_expire, |s: Store| async move {
    s.insert_login_link("h1", "ada@example.org", "/c/club", 100, 1000).await.unwrap();
    s.insert_login_link("h2", "bo@example.org", "", 100, 200).await.unwrap();
    assert_eq!(s.login_link_email("h1", 500).await.unwrap().as_deref(), Some("ada@example.org"));
    assert_eq!(s.login_link_email("h2", 300).await.unwrap(), None, "expired");
    assert_eq!(s.consume_login_link("h1", 500).await.unwrap(), Some(("ada@example.org".to_string(), "/c/club".to_string())));
    assert_eq!(s.consume_login_link("h1", 501).await.unwrap(), None, "single use");
    assert_eq!(s.consume_login_link("h2", 300).await.unwrap(), None, "expired");
    assert_eq!(s.consume_login_link("nope", 300).await.unwrap(), None);
    // Whether an address still has a usable link (sign-in mail is not sent twice past its limit).
    s.insert_login_link("h3", "cy@example.org", "", 100, 1000).await.unwrap();
    assert!(s.has_live_login_link("cy@example.org", 500).await.unwrap());
    assert!(!s.has_live_login_link("cy@example.org", 1000).await.unwrap(), "expired");
    assert!(!s.has_live_login_link("ada@example.org", 600).await.unwrap(), "used");
    // Rate limit counts can be read without counting.
    assert_eq!(s.rate_limit_hits("b", 60, 120).await.unwrap(), 0);
    s.hit_rate_limit("b", 60, 121).await.unwrap();
    s.hit_rate_limit("b", 60, 122).await.unwrap();
    assert_eq!(s.rate_limit_hits("b", 60, 130).await.unwrap(), 2);
    assert_eq!(s.rate_limit_hits("b", 60, 180).await.unwrap(), 2, "a window lasts from the first hit");
    assert_eq!(s.rate_limit_hits("b", 60, 181).await.unwrap(), 0, "then a new one starts");
});

on_both!(sessions_and_tokens_find_their_account, |s: Store| async move {
    let a = person(&s, "ada@example.org").await;
    let b = person(&s, "bo@example.org").await;
    s.insert_web_session("s1", &a.id, 10, 100).await.unwrap();
    s.insert_web_session("s2", &a.id, 10, 100).await.unwrap();
    assert_eq!(s.web_session_account("s1", 50).await.unwrap().unwrap().id, a.id);
    assert!(s.web_session_account("s1", 100).await.unwrap().is_none(), "expired");
    s.delete_other_web_sessions(&a.id, "s1").await.unwrap();
    assert!(s.web_session_account("s2", 50).await.unwrap().is_none());
    s.delete_web_session("s1").await.unwrap();
    assert!(s.web_session_account("s1", 50).await.unwrap().is_none());

    let t = s.insert_api_token(&a.id, "script", "th", 10).await.unwrap();
    assert_eq!(s.api_token_account("th", 500).await.unwrap().unwrap().id, a.id);
    assert_eq!(s.api_tokens(&a.id).await.unwrap()[0].last_used_at, Some(500));
    assert!(matches!(s.delete_api_token(&b.id, &t.id).await, Err(StoreError::NotFound)), "only the owner revokes");
    s.delete_api_token(&a.id, &t.id).await.unwrap();
    assert!(s.api_token_account("th", 600).await.unwrap().is_none());
});

on_both!(communities_have_unique_slugs_and_an_owner, |s: Store| async move {
    let a = person(&s, "ada@example.org").await;
    let c = s.create_community(&draft("turing-way", "public", "open science, docs"), &a.id, 5).await.unwrap();
    assert_eq!((c.member_count, c.time_zone.as_str()), (1, "Asia/Kolkata"));
    assert_eq!(c.topics, vec!["open science", "docs"]);
    assert_eq!(s.standing(&c.id, &a.id).await.unwrap(), Standing::Member(Role::Owner));
    assert!(matches!(s.create_community(&draft("turing-way", "public", ""), &a.id, 6).await, Err(StoreError::Taken("slug"))));
    assert_eq!(s.communities_of(&a.id).await.unwrap().len(), 1, "the failed create left nothing behind");
    let other = s.create_community(&draft("other-one", "public", ""), &a.id, 6).await.unwrap();
    assert!(matches!(s.update_community(&other.id, &draft("turing-way", "public", ""), 7).await, Err(StoreError::Taken("slug"))));
    let renamed = s.update_community(&other.id, &draft("renamed", "unlisted", "x"), 7).await.unwrap();
    assert_eq!((renamed.slug.as_str(), renamed.visibility.as_str()), ("renamed", "unlisted"));
    assert_eq!(s.community_by_id(&other.id).await.unwrap().slug, "renamed");
});

on_both!(the_directory_searches_public_communities, |s: Store| async move {
    let a = person(&s, "ada@example.org").await;
    let b = person(&s, "bo@example.org").await;
    let big = s.create_community(&draft("writing-club", "public", "writing, phd"), &a.id, 5).await.unwrap();
    s.add_member(&big.id, &b.id, false, 6).await.unwrap();
    s.create_community(&draft("open-science", "public", "open science"), &a.id, 5).await.unwrap();
    s.create_community(&draft("secret-writing", "private", "writing"), &a.id, 5).await.unwrap();
    s.create_community(&draft("hidden-writing", "unlisted", "writing"), &a.id, 5).await.unwrap();
    let all = s.directory("", "", 10, 0).await.unwrap();
    assert_eq!(all.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(), vec!["writing-club", "open-science"], "public only, biggest first");
    assert_eq!(s.directory("WRITING", "", 10, 0).await.unwrap().len(), 1, "case-insensitive name match");
    assert_eq!(s.directory("", "phd", 10, 0).await.unwrap()[0].slug, "writing-club");
    assert!(s.directory("", "ph", 10, 0).await.unwrap().is_empty(), "topics match whole");
    assert!(s.directory("100%", "", 10, 0).await.unwrap().is_empty(), "wildcards are literal");
    assert_eq!(s.directory("", "", 1, 1).await.unwrap()[0].slug, "open-science", "paging");
    let topics = s.popular_topics(5).await.unwrap();
    assert!(topics.contains(&("phd".to_string(), 1)));
    assert!(!topics.iter().any(|(t, n)| t == "writing" && *n > 1), "private communities' topics are not counted");
    let mut d = draft("aerzte", "public", "");
    d.name = "ÄRZTE Coworking Zürich".into();
    s.create_community(&d, &a.id, 5).await.unwrap();
    assert_eq!(s.directory("ärzte", "", 10, 0).await.unwrap()[0].slug, "aerzte", "non-ASCII search folds case on both databases");
    assert_eq!(s.directory("ZÜRICH", "", 10, 0).await.unwrap().len(), 1);
});

on_both!(memberships_never_lose_the_last_owner, |s: Store| async move {
    let a = person(&s, "ada@example.org").await;
    let b = person(&s, "bo@example.org").await;
    let c = s.create_community(&draft("club", "public", ""), &a.id, 5).await.unwrap();
    s.add_member(&c.id, &b.id, true, 6).await.unwrap();
    assert_eq!(s.standing(&c.id, &b.id).await.unwrap(), Standing::Pending);
    assert_eq!(s.community("club").await.unwrap().member_count, 1, "pending people are not counted");
    s.approve_member(&c.id, &b.id, 7).await.unwrap();
    assert!(matches!(s.approve_member(&c.id, &b.id, 7).await, Err(StoreError::NotFound)));
    s.add_member(&c.id, &b.id, true, 8).await.unwrap();
    assert_eq!(s.standing(&c.id, &b.id).await.unwrap(), Standing::Member(Role::Member), "joining twice changes nothing");
    assert!(matches!(s.set_member_role(&c.id, &a.id, Role::Member).await, Err(StoreError::LastOwner)));
    assert!(matches!(s.end_membership(&c.id, &a.id, false).await, Err(StoreError::LastOwner)));
    assert!(matches!(s.end_membership(&c.id, &a.id, true).await, Err(StoreError::LastOwner)));
    s.set_member_role(&c.id, &b.id, Role::Owner).await.unwrap();
    assert_eq!(s.count_owners(&c.id).await.unwrap(), 2);
    let members = s.members(&c.id).await.unwrap();
    assert_eq!(members.len(), 2);

    // Two owners demote each other at the same moment: exactly one succeeds.
    let (x, y) = tokio::join!(s.set_member_role(&c.id, &a.id, Role::Member), s.set_member_role(&c.id, &b.id, Role::Member));
    assert_eq!([x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(), 1, "{x:?} {y:?}");
    assert_eq!(s.count_owners(&c.id).await.unwrap(), 1);
});

on_both!(invites_count_their_uses, |s: Store| async move {
    let a = person(&s, "ada@example.org").await;
    let [b, c2, d] = [person(&s, "b@example.org").await, person(&s, "c@example.org").await, person(&s, "d@example.org").await];
    let c = s.create_community(&draft("club", "private", ""), &a.id, 5).await.unwrap();
    let other = s.create_community(&draft("other", "private", ""), &a.id, 5).await.unwrap();
    let i = s.create_invite(&c.id, "code1", "friends", &a.id, 10, 1000, 2).await.unwrap();
    assert_eq!(s.invite_community("code1", 20).await.unwrap().as_deref(), Some(c.id.as_str()));
    assert_eq!(
        s.join_with_invite(&other.id, &b.id, "code1", 20).await.unwrap(),
        InviteJoin::InviteGone,
        "a code opens only its own community"
    );
    // The same person submitting twice at once joins once and uses one place.
    let (x, y) = tokio::join!(s.join_with_invite(&c.id, &b.id, "code1", 20), s.join_with_invite(&c.id, &b.id, "code1", 20));
    let mut got = [x.unwrap(), y.unwrap()];
    got.sort_by_key(|j| format!("{j:?}"));
    assert_eq!(got, [InviteJoin::AlreadyMember, InviteJoin::Joined]);
    assert_eq!(s.invites(&c.id).await.unwrap()[0].uses, 1);
    s.add_member(&c.id, &c2.id, true, 20).await.unwrap();
    assert_eq!(s.join_with_invite(&c.id, &c2.id, "code1", 20).await.unwrap(), InviteJoin::Joined, "an invite supersedes a request");
    assert_eq!(s.standing(&c.id, &c2.id).await.unwrap(), Standing::Member(Role::Member));
    assert_eq!(s.join_with_invite(&c.id, &d.id, "code1", 20).await.unwrap(), InviteJoin::InviteGone, "used up");
    assert_eq!(s.standing(&c.id, &d.id).await.unwrap(), Standing::Outsider);
    assert!(s.invite_community("code1", 20).await.unwrap().is_none());
    s.create_invite(&c.id, "code2", "", &a.id, 10, 1000, 0).await.unwrap();
    assert!(s.invite_community("code2", 1000).await.unwrap().is_none(), "expired");
    let list = s.invites(&c.id).await.unwrap();
    assert_eq!(list.len(), 2);
    s.revoke_invite(&c.id, &i.id, 30).await.unwrap();
    assert!(s.invites(&c.id).await.unwrap().iter().any(|x| x.id == i.id && x.revoked && x.uses == 2));
    // Someone removed cannot come back through an invite until allowed back.
    s.create_invite(&c.id, "code3", "", &a.id, 10, 1000, 0).await.unwrap();
    s.end_membership(&c.id, &b.id, true).await.unwrap();
    assert_eq!(s.standing(&c.id, &b.id).await.unwrap(), Standing::Removed);
    assert_eq!(s.join_with_invite(&c.id, &b.id, "code3", 30).await.unwrap(), InviteJoin::Removed);
    s.add_member(&c.id, &b.id, false, 30).await.unwrap();
    assert_eq!(s.standing(&c.id, &b.id).await.unwrap(), Standing::Removed, "joining does not undo a removal");
    assert!(s.communities_of(&b.id).await.unwrap().is_empty());
    s.allow_back(&c.id, &b.id).await.unwrap();
    assert_eq!(s.standing(&c.id, &b.id).await.unwrap(), Standing::Outsider);
    assert_eq!(s.join_with_invite(&c.id, &b.id, "code3", 30).await.unwrap(), InviteJoin::Joined);
    assert!(matches!(s.revoke_invite(&c.id, &i.id, 30).await, Err(StoreError::NotFound)));
});

on_both!(rate_limit_windows_count_and_reset, |s: Store| async move {
    assert_eq!(s.hit_rate_limit("k", 60, 120).await.unwrap(), 1);
    assert_eq!(s.hit_rate_limit("k", 60, 130).await.unwrap(), 2);
    assert_eq!(s.hit_rate_limit("other", 60, 130).await.unwrap(), 1);
    assert_eq!(s.hit_rate_limit("k", 60, 180).await.unwrap(), 1, "a new window starts at zero");
    // A window runs from its first hit, not to the next whole minute.
    assert_eq!(s.hit_rate_limit("m", 60, 50).await.unwrap(), 1);
    assert_eq!(s.hit_rate_limit("m", 60, 70).await.unwrap(), 2);
});

on_both!(the_outbox_keeps_mail_newest_first, |s: Store| async move {
    let m = cowork_store::NewMail {
        to: "a@example.org",
        subject: "First",
        body: "body 1",
        raw: "",
        message_id: "",
        transport: "outbox",
        status: "stored",
        error: "",
    };
    s.insert_mail(&m, 1).await.unwrap();
    let m = cowork_store::NewMail {
        to: "b@example.org",
        subject: "Second",
        body: "body 2",
        raw: "",
        message_id: "",
        transport: "outbox",
        status: "stored",
        error: "",
    };
    s.insert_mail(&m, 2).await.unwrap();
    let all = s.outbox(None, 10).await.unwrap();
    assert_eq!(all.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(), vec!["Second", "First"]);
    assert_eq!(s.outbox(Some("a@example.org"), 10).await.unwrap().len(), 1);
});

on_both!(migrations_apply_once, |s: Store| async move {
    assert_eq!(s.migrate().await.unwrap(), 0, "already applied at open");
    s.ping().await.unwrap();
});

// ---- scheduling

use cowork_core::format::builtin;
use cowork_core::rsvp::RsvpStatus;
use cowork_store::{Content, Planned, Timing};

fn content(title: &str, capacity: i64) -> Content {
    Content {
        title: title.into(),
        description: String::new(),
        format_name: "Weekly Coworking".into(),
        phases: builtin("builtin:weekly-coworking").unwrap().phases,
        time_zone: "Europe/London".into(),
        capacity,
        place: "online".into(),
        video_url: "https://meet.example.org/x".into(),
        place_id: String::new(),
        language: "en".into(),
        online_capacity: 0,
        kind: "call".into(),
    }
}

fn timing(rrule: &str) -> Timing {
    Timing {
        format_key: "builtin:weekly-coworking".into(),
        start_date: "2030-01-07".into(),
        start_time: "11:00".into(),
        rrule: rrule.into(),
    }
}

/// Weekly occurrences from 2030-01-07, a day apart in seconds for simplicity.
fn plan(dates: &[&str]) -> Vec<Planned> {
    dates
        .iter()
        .map(|d| {
            let day: i64 = d[8..10].parse().unwrap();
            let start = 1_893_931_200 + day * 86_400;
            Planned { occurrence: d.to_string(), starts_at: start, ends_at: start + 3900 }
        })
        .collect()
}

async fn club(s: &Store) -> (cowork_store::Account, cowork_store::Community) {
    let a = person(s, "ada@example.org").await;
    let c = s.create_community(&draft("club", "public", "writing"), &a.id, 5).await.unwrap();
    (a, c)
}

on_both!(series_materialize_and_edits_keep_what_matters, |s: Store| async move {
    let (a, c) = club(&s).await;
    let series = s
        .create_series(&c.id, &content("Weekly", 0), &timing("FREQ=WEEKLY"), &a.id, &plan(&["2030-01-07", "2030-01-14"]), "2030-01-14", 10)
        .await
        .unwrap();
    assert_eq!(series.materialized_until, "2030-01-14");
    assert_eq!(s.series_hosts(&series.id).await.unwrap()[0].0, a.id, "the creator hosts");
    let sessions = s.series_sessions(&series.id, 0, 100).await.unwrap();
    assert_eq!(sessions.len(), 2);
    let ids: Vec<String> = sessions.iter().map(|x| x.id.clone()).collect();

    // Extending adds, never duplicates.
    assert_eq!(
        s.extend_series(&series.id, series.version + 1, &plan(&["2030-01-28"]), "2030-01-28", 11).await.unwrap(),
        0,
        "a stale plan adds nothing"
    );
    assert_eq!(s.extend_series(&series.id, series.version, &plan(&["2030-01-14", "2030-01-21"]), "2030-01-21", 11).await.unwrap(), 1);
    assert_eq!(s.series_to_extend("2030-01-22", 10).await.unwrap().len(), 1);
    assert!(s.series_to_extend("2030-01-21", 10).await.unwrap().is_empty());

    // One occurrence edited on its own is left alone by series edits.
    let first = s.session(&ids[0]).await.unwrap();
    let mut special = first.content.clone();
    special.title = "Special edition".into();
    s.update_session(&ids[0], &special, first.starts_at + 3600, first.ends_at + 3600, 12).await.unwrap();
    let b = person(&s, "bo@example.org").await;
    s.rsvp(&ids[1], &b.id, 12).await.unwrap();

    // The series drops the 14th (answered: kept as cancelled) and the 21st (unanswered: removed), renames, adds the 28th.
    let report = s
        .save_series(
            &series.id,
            series.version,
            &content("Renamed", 0),
            &timing("FREQ=WEEKLY"),
            &plan(&["2030-01-07", "2030-01-28"]),
            "2030-01-01",
            "2030-01-28",
            13,
        )
        .await
        .unwrap();
    assert_eq!(report, cowork_store::PlanReport { added: 1, updated: 0, cancelled: 1, removed: 1 });
    let after = s.series_sessions(&series.id, 0, 100).await.unwrap();
    let titles: Vec<(&str, &str, bool)> = after.iter().map(|x| (x.occurrence.as_str(), x.content.title.as_str(), x.cancelled)).collect();
    assert_eq!(titles, [("2030-01-07", "Special edition", false), ("2030-01-14", "Weekly", true), ("2030-01-28", "Renamed", false)]);
    assert!(after[1].sequence > 0, "a cancellation bumps SEQUENCE");

    // A second save from the same (now stale) version is refused and changes nothing.
    let stale = s
        .save_series(&series.id, series.version, &content("Other", 0), &timing("FREQ=WEEKLY"), &plan(&[]), "2030-01-01", "2030-01-28", 14)
        .await;
    assert!(matches!(stale, Err(StoreError::Stale)));
    assert_eq!(s.series(&series.id).await.unwrap().content.title, "Renamed");

    // This and following: the tail moves to a new series, ids and answers kept.
    let current = s.series(&series.id).await.unwrap();
    let (tail, _) = s
        .split_series(
            &series.id,
            current.version,
            "FREQ=WEEKLY;UNTIL=20300120",
            &content("New era", 5),
            &Timing { start_date: "2030-01-21".into(), ..timing("FREQ=WEEKLY") },
            &plan(&["2030-01-28"]),
            "2030-01-21",
            "2030-01-28",
            &a.id,
            15,
        )
        .await
        .unwrap();
    let moved = s.series_sessions(&tail.id, 0, 100).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!((moved[0].content.title.as_str(), moved[0].content.capacity), ("New era", 5));
    assert_eq!(s.series(&series.id).await.unwrap().timing.rrule, "FREQ=WEEKLY;UNTIL=20300120");
    assert_eq!(s.series_sessions(&series.id, 0, 100).await.unwrap().len(), 2);
});

on_both!(a_hundred_people_race_for_ten_places, |s: Store| async move {
    let (a, c) = club(&s).await;
    let series =
        s.create_series(&c.id, &content("Popular", 10), &timing(""), &a.id, &plan(&["2030-01-07"]), "2030-01-07", 10).await.unwrap();
    let session = s.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
    let mut people = Vec::new();
    for i in 0..100 {
        people.push(s.create_account(&format!("p{i}@example.org"), &format!("P{i}"), "UTC", 1).await.unwrap().id);
    }
    let tasks: Vec<_> = people
        .iter()
        .map(|p| {
            let (s, sid, p) = (s.clone(), session.id.clone(), p.clone());
            tokio::spawn(async move { s.rsvp(&sid, &p, 20).await.unwrap() })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| r.status == RsvpStatus::Going).count(), 10);
    let mut places: Vec<i64> = results.iter().filter(|r| r.status == RsvpStatus::Waitlisted).map(|r| r.waitlist_place).collect();
    places.sort();
    assert_eq!(places, (1..=90).collect::<Vec<_>>(), "90 waitlisted, each with its own place in line");
    assert_eq!(s.session(&session.id).await.unwrap().going_count, 10);
    let list = s.rsvps(&session.id).await.unwrap();
    let waiting: Vec<&cowork_store::Rsvp> = list.iter().filter(|r| r.status == RsvpStatus::Waitlisted).collect();
    assert!(waiting.windows(2).all(|w| w[0].position < w[1].position), "the waitlist is in order of arrival");

    // One going cancels: the first in line gets the place.
    let leaving = list.iter().find(|r| r.status == RsvpStatus::Going).unwrap().account_id.clone();
    let first_waiting = waiting[0].account_id.clone();
    let promoted = s.cancel_rsvp(&session.id, &leaving, true, 30).await.unwrap();
    assert_eq!(promoted, vec![first_waiting.clone()]);
    assert_eq!(s.rsvp_status(&session.id, &first_waiting).await.unwrap().unwrap().status, RsvpStatus::Going);
    assert_eq!(s.rsvp_status(&session.id, &waiting[1].account_id).await.unwrap().unwrap().waitlist_place, 1);
    assert!(s.rsvps(&session.id).await.unwrap().iter().any(|r| r.account_id == leaving && r.late), "a late cancellation is recorded");
    assert_eq!(s.session(&session.id).await.unwrap().going_count, 10);

    // Answering again changes nothing; coming back after cancelling goes to the end of the line.
    assert_eq!(s.rsvp(&session.id, &first_waiting, 31).await.unwrap().status, RsvpStatus::Going);
    assert_eq!(
        s.rsvp(&session.id, &leaving, 32).await.unwrap(),
        cowork_store::RsvpResult { status: RsvpStatus::Waitlisted, waitlist_place: 90 }
    );

    // More places free the waitlist in order.
    let mut bigger = session.content.clone();
    bigger.capacity = 12;
    let promoted = s.update_session(&session.id, &bigger, session.starts_at, session.ends_at, 33).await.unwrap();
    assert_eq!(promoted, vec![waiting[1].account_id.clone(), waiting[2].account_id.clone()]);
    s.mark_attendance(&session.id, &first_waiting, "attended", 40).await.unwrap();
    assert!(s.rsvps(&session.id).await.unwrap().iter().any(|r| r.account_id == first_waiting && r.attendance == "attended"));
});

on_both!(upcoming_sessions_filter_and_personal_schedules, |s: Store| async move {
    let (a, c) = club(&s).await;
    let mut in_person = content("Jelly day", 0);
    in_person.place = "in_person".into();
    in_person.language = "de".into();
    s.create_series(&c.id, &content("Online hour", 0), &timing(""), &a.id, &plan(&["2030-01-07"]), "2030-01-07", 10).await.unwrap();
    let jelly = s.create_series(&c.id, &in_person, &timing(""), &a.id, &plan(&["2030-01-08"]), "2030-01-08", 10).await.unwrap();
    let hidden = s.create_community(&draft("hidden", "private", "writing"), &a.id, 5).await.unwrap();
    s.create_series(&hidden.id, &content("Secret", 0), &timing(""), &a.id, &plan(&["2030-01-09"]), "2030-01-09", 10).await.unwrap();

    let all = s.upcoming_public(&Default::default(), 0, 10, 0).await.unwrap();
    assert_eq!(
        all.iter().map(|x| x.content.title.as_str()).collect::<Vec<_>>(),
        ["Online hour", "Jelly day"],
        "private communities stay out"
    );
    let f = |topic: &str, language: &str, place: &str| cowork_store::UpcomingFilter {
        topic: topic.into(),
        language: language.into(),
        place: place.into(),
    };
    assert_eq!(s.upcoming_public(&f("", "de", ""), 0, 10, 0).await.unwrap().len(), 1);
    assert_eq!(s.upcoming_public(&f("", "", "in_person"), 0, 10, 0).await.unwrap()[0].content.title, "Jelly day");
    assert_eq!(s.upcoming_public(&f("writing", "", ""), 0, 10, 0).await.unwrap().len(), 2);
    assert!(s.upcoming_public(&f("gardening", "", ""), 0, 10, 0).await.unwrap().is_empty());

    let jelly_session = s.series_sessions(&jelly.id, 0, 1).await.unwrap().remove(0);
    s.set_session_cancelled(&jelly_session.id, true, "", 20).await.unwrap();
    assert_eq!(s.upcoming_public(&Default::default(), 0, 10, 0).await.unwrap().len(), 1, "cancelled sessions leave the directory");
    assert_eq!(s.community_sessions(&c.id, 0, i64::MAX, 10).await.unwrap().len(), 2, "but stay in the community's calendar");
    assert!(matches!(s.rsvp(&jelly_session.id, &a.id, 21).await, Err(StoreError::NotFound)), "no RSVP to a cancelled session");

    let online = s.upcoming_public(&Default::default(), 0, 10, 0).await.unwrap().remove(0);
    s.rsvp(&online.id, &a.id, 22).await.unwrap();
    let mine = s.my_sessions(&a.id, 0, i64::MAX, 10).await.unwrap();
    assert_eq!((mine.len(), mine[0].status), (1, RsvpStatus::Going));
    s.follow_series(&jelly.id, &a.id, true, 23).await.unwrap();
    assert!(s.follows_series(&jelly.id, &a.id).await.unwrap());
    assert_eq!(s.series_followers(&jelly.id).await.unwrap(), vec![a.id.clone()]);

    s.set_calendar_feed(&a.id, "feedhash", 30).await.unwrap();
    assert_eq!(s.calendar_feed_account("feedhash").await.unwrap().as_deref(), Some(a.id.as_str()));
    s.set_calendar_feed(&a.id, "newhash", 31).await.unwrap();
    assert!(s.calendar_feed_account("feedhash").await.unwrap().is_none(), "a reset address replaces the old one");
    let (n, _, _) = s.community_sessions_version(&c.id).await.unwrap();
    assert_eq!(n, 2);
});

on_both!(legacy_zone_names_stored_before_are_made_canonical, |s: Store| async move {
    let kolkata = s.create_account("kolkata@example.org", "K", "Asia/Calcutta", 1).await.unwrap();
    let kyiv = s.create_account("kyiv@example.org", "Y", "Europe/Kiev", 1).await.unwrap();
    let london = s.create_account("london@example.org", "L", "Europe/London", 1).await.unwrap();
    assert_eq!(s.migrate().await.unwrap(), 0, "no migration, only the rewrite");
    for (a, zone) in [(&kolkata, "Asia/Kolkata"), (&kyiv, "Europe/Kyiv"), (&london, "Europe/London")] {
        assert_eq!(s.account(&a.id).await.unwrap().time_zone, zone);
    }
    assert_eq!(s.migrate().await.unwrap(), 0, "a second run changes nothing");
    assert_eq!(s.account(&kolkata.id).await.unwrap().time_zone, "Asia/Kolkata");
});

on_both!(room_writes_in_one_batch_are_numbered_per_room_and_a_bad_one_fails_alone, |s: Store| async move {
    use cowork_store::{RoomOp, RoomWrite, Step};
    let (a, c) = club(&s).await;
    let series = s
        .create_series(&c.id, &content("Weekly", 0), &timing("FREQ=WEEKLY"), &a.id, &plan(&["2030-01-07", "2030-01-14"]), "2030-01-14", 10)
        .await
        .unwrap();
    let rooms: Vec<String> = s.series_sessions(&series.id, 0, 10).await.unwrap().into_iter().map(|x| x.id).collect();
    for r in &rooms {
        s.open_room(r, "{}", "notes", 1).await.unwrap();
    }
    let chat = |room: &str, text: &str| RoomWrite {
        session_id: room.into(),
        steps: vec![Step {
            op: RoomOp::AddMessage { id: cowork_store::new_id(), table: None, account: a.id.clone(), text: text.into(), at_ms: 5 },
            event: Some(format!(r#"{{"type":"chat","text":"{text}"}}"#)),
        }],
        now_ms: 5,
    };
    let stale_notes = RoomWrite {
        session_id: rooms[1].clone(),
        steps: vec![Step { op: RoomOp::SaveNotes { base: 7, text: "x".into(), by: "ada".into(), at_ms: 5 }, event: Some("{}".into()) }],
        now_ms: 5,
    };
    // Chat in two rooms, interleaved, with a refused notes edit among them.
    let batch = [chat(&rooms[0], "a1"), chat(&rooms[1], "b1"), stale_notes.clone(), chat(&rooms[0], "a2"), chat(&rooms[1], "b2")];
    let results = s.write_rooms(&batch).await;
    let seqs: Vec<Vec<u64>> = results.iter().map(|r| r.as_ref().map(|l| l.iter().map(|e| e.seq).collect()).unwrap_or_default()).collect();
    assert_eq!(seqs, vec![vec![1], vec![1], vec![], vec![2], vec![2]], "each room numbered in the order written");
    assert!(matches!(results[2], Err(StoreError::Stale)), "the stale edit alone is refused");
    let log = s.room_log(&rooms[0], 0, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log[1].body.starts_with(r#"{"seq":2,"at_ms":"#) && log[1].body.contains(r#""text":"a2""#), "{}", log[1].body);
    assert_eq!(s.load_room(&rooms[0], 10).await.unwrap().messages.len(), 2);

    // A write the database refuses (an unknown author) fails alone; the rest of its batch is written.
    let mut bad = chat(&rooms[0], "nobody's");
    if let RoomOp::AddMessage { account, .. } = &mut bad.steps[0].op {
        *account = "no-such-account".into();
    }
    let results = s.write_rooms(&[chat(&rooms[0], "a3"), bad, chat(&rooms[1], "b3")]).await;
    assert!(results[1].is_err(), "the bad write fails");
    assert_eq!(results[0].as_ref().unwrap()[0].seq, 3);
    assert_eq!(results[2].as_ref().unwrap()[0].seq, 3);
    assert_eq!(s.room_seqs(&rooms).await.unwrap().iter().map(|(_, q)| *q).max(), Some(3), "no seq was used up by the failed one");
});

on_both!(places_keep_their_kind_position_and_hours_typed, |s: Store| async move {
    use cowork_core::places::{Access, Amenity, Coordinates, PlaceInput, PlaceKind};
    use cowork_store::PlaceOwner;
    let (a, c) = club(&s).await;
    let mut input = PlaceInput {
        name: "Elm Road".into(),
        kind: "home".into(),
        address: "14 Elm Road".into(),
        area: "Jericho".into(),
        city: "Oxford".into(),
        country: "GB".into(),
        lat: "51.754321".into(),
        lon: "-1.257912".into(),
        time_zone: "Europe/London".into(),
        access: vec!["toilets".into()],
        amenities: vec!["wifi".into(), "coffee".into()],
        seats: "6".into(),
        ..Default::default()
    };
    let home = s.create_place(&PlaceOwner::Community(c.id.clone()), &input.parse(0).unwrap(), 10).await.unwrap();
    assert_eq!((home.details.kind, home.details.country, home.details.seats), (PlaceKind::Home, "GB", 6));
    assert_eq!(home.details.coordinates, Some(Coordinates { lat: 51.754321, lon: -1.257912 }), "to the millionth of a degree");
    assert_eq!(
        (home.details.access.as_slice(), home.details.amenities.as_slice()),
        (&[Access::Toilets][..], &[Amenity::Wifi, Amenity::Coffee][..])
    );

    // A space operator's coworking space, with its opening hours.
    input.name = "Nomads".into();
    input.kind = "coworking_space".into();
    input.lat = String::new();
    input.lon = String::new();
    input.opening_hours = std::array::from_fn(|d| if d < 5 { "08:30-18:00".into() } else { String::new() });
    let space = s.create_place(&PlaceOwner::Account(a.id.clone()), &input.parse(0).unwrap(), 11).await.unwrap();
    assert_eq!(space.details.coordinates, None);
    assert!(space.details.opening_hours.is_open(4, 9 * 60) && !space.details.opening_hours.is_open(5, 9 * 60));
    assert_eq!(s.places_of(&PlaceOwner::Account(a.id.clone())).await.unwrap(), std::slice::from_ref(&space));
    assert_eq!(s.places_of(&PlaceOwner::Community(c.id.clone())).await.unwrap(), std::slice::from_ref(&home));

    // Changed in place; an unknown one is not found.
    input.seats = "12".into();
    let changed = s.update_place(&space.id, &input.parse(0).unwrap(), 12).await.unwrap();
    assert_eq!((changed.details.seats, changed.owner.clone(), changed.updated_at), (12, PlaceOwner::Account(a.id.clone()), 12));
    assert!(matches!(s.update_place("nope", &input.parse(0).unwrap(), 13).await, Err(StoreError::NotFound)));
});
