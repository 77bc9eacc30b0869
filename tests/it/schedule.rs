//! Scheduling driven like a browser and a script: series in their own time
//! zone, sessions, RSVPs with a waitlist, edits, feeds and import.

use crate::support::{location, SendChecked, Server};
use cowork_core::time::Zone;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A Collaboration Cafe on the first and third Wednesday at 15:00 London, made through the form.
async fn cafe(organizer: &crate::support::Browser) -> String {
    let start = next_weekday(&Zone::parse("tz", "Europe/London").unwrap(), jiff::civil::Weekday::Wednesday);
    let r = organizer
        .post(
            "/c/cafe-club/series/new",
            &[
                ("title", "Collaboration Cafe"),
                ("format", "builtin:collaboration-cafe"),
                ("start_date", &start),
                ("start_time", "15:00"),
                ("time_zone", "Europe/London"),
                ("repeat", "monthly_weekday"),
                ("nth_1", "on"),
                ("nth_3", "on"),
                ("month_weekday", "WE"),
                ("ends", "never"),
                ("place", "online"),
                ("video_url", "https://meet.jit.si/cafe-secret-room"),
                ("capacity", "20"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let to = location(&r);
    assert!(to.starts_with("/c/cafe-club/series/") && to.ends_with("?notice=created"), "{to}");
    to.trim_start_matches("/c/cafe-club/series/").trim_end_matches("?notice=created").to_string()
}

/// The date of the next such weekday after today, in a zone.
fn next_weekday(zone: &Zone, w: jiff::civil::Weekday) -> String {
    let mut d = zone.local(now()).date.tomorrow().unwrap();
    while d.weekday() != w {
        d = d.tomorrow().unwrap();
    }
    d.to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn setup() -> (Server, crate::support::Browser, crate::support::Browser, String) {
    let server = Server::start().await;
    let c = server.community("owner@example.org", "cafe-club", "public", "open").await;
    let owner = server.signed_in("owner@example.org").await;
    let series = cafe(&owner).await;
    let member = server.signed_in("ny@example.org").await;
    let m = server.account("ny@example.org").await;
    server.app().store.add_member(&c.id, &m.id, false, 1).await.unwrap();
    let profile = cowork_store::Profile {
        display_name: "New Yorker".into(),
        pronouns: String::new(),
        time_zone: "America/New_York".into(),
        bio: String::new(),
        social_preference: "either".into(),
    };
    server.app().store.update_profile(&m.id, &profile).await.unwrap();
    (server, owner, member, series)
}

#[tokio::test]
async fn a_series_is_materialized_six_months_ahead_and_shown_in_each_viewers_zone() {
    let (server, _owner, member, series) = setup().await;
    let sessions = server.app().store.series_sessions(&series, 0, 1000).await.unwrap();
    assert!(sessions.len() >= 11, "first and third Wednesdays for six months: {}", sessions.len());
    assert!(sessions.last().unwrap().starts_at > now() + 180 * 86_400, "at least six months ahead");
    let london = Zone::parse("tz", "Europe/London").unwrap();
    let ny = Zone::parse("tz", "America/New_York").unwrap();
    for s in &sessions {
        let d: jiff::civil::Date = s.occurrence.parse().unwrap();
        assert_eq!(d.weekday(), jiff::civil::Weekday::Wednesday);
        assert!(matches!(d.day(), 1..=7 | 15..=21), "{d} is a first or third Wednesday");
        assert_eq!(london.clock(s.starts_at), "15:00", "the wall time holds in London across DST");
        assert_eq!(s.ends_at - s.starts_at, 7200);
    }
    // The member in New York sees every session at New York's time, with the zone named.
    for s in sessions.iter().take(12) {
        let page = member.get_ok(&format!("/s/{}", s.id)).await;
        let expected = ny.format_span(s.starts_at, s.ends_at);
        assert!(page.contains(&expected), "session {} should show {expected}", s.occurrence);
        assert!(page.contains("America/New_York"));
        assert!(page.contains("London") && page.contains("15:00"), "the zone strip shows London's wall time");
    }
    let schedule = member.get_ok("/c/cafe-club/schedule").await;
    assert!(schedule.contains(&ny.clock(sessions[0].starts_at)), "the schedule lists New York times");
    assert!(member.get_ok("/c/cafe-club/schedule?view=week").await.contains("Week of"));
    // The agenda has clock times: the enforced break starts 55 minutes in.
    let page = member.get_ok(&format!("/s/{}", sessions[0].id)).await;
    assert!(page.contains(&format!("<td>{}</td><td>Break (everyone)</td>", ny.clock(sessions[0].starts_at + 3300))), "{page}");
}

#[tokio::test]
async fn rsvps_fill_places_then_a_waitlist_and_the_video_link_is_for_participants() {
    let (server, owner, member, series) = setup().await;
    let first = server.app().store.series_sessions(&series, 0, 1).await.unwrap().remove(0);
    let page = member.get_ok(&format!("/s/{}", first.id)).await;
    assert!(!page.contains("cafe-secret-room"), "the video link is hidden until you're going");
    assert!(page.contains("0 of 20 places taken"));
    let r = member.post(&format!("/s/{}/rsvp", first.id), &[]).await;
    assert_eq!(location(&r), format!("/s/{}?notice=going", first.id));
    let page = member.get_ok(&format!("/s/{}?notice=going", first.id)).await;
    assert!(page.contains("cafe-secret-room") && page.contains("You're going"));
    assert!(member.get_ok("/me/schedule").await.contains("Collaboration Cafe"));

    // Anonymous visitors see the session but not who is going.
    let anon = server.client().get_ok(&format!("/s/{}", first.id)).await;
    assert!(!anon.contains("New Yorker") && anon.contains("Sign in to say you're coming"));
    // An outsider (signed in, not a member) is asked to join first.
    let outsider = server.signed_in("out@example.org").await;
    assert!(outsider.get_ok(&format!("/s/{}", first.id)).await.contains("to say you're coming"));
    assert_eq!(outsider.post(&format!("/s/{}/rsvp", first.id), &[]).await.status(), StatusCode::FORBIDDEN);

    // "All upcoming": every later session of the series gets an answer too.
    let r = member.post(&format!("/s/{}/rsvp", first.id), &[("scope", "all")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mine = server.app().store.my_sessions(&server.account("ny@example.org").await.id, 0, i64::MAX, 1000).await.unwrap();
    let all = server.app().store.series_sessions(&series, now(), 1000).await.unwrap();
    assert_eq!(mine.len(), all.len());
    assert!(owner.get_ok(&format!("/s/{}", first.id)).await.contains("New Yorker"), "members see who is going");
    // Cancelling frees the place.
    let r = member.post(&format!("/s/{}/rsvp/cancel", first.id), &[]).await;
    assert_eq!(location(&r), format!("/s/{}?notice=cancelled_rsvp", first.id));
    assert_eq!(server.app().store.session(&first.id).await.unwrap().going_count, 0);
}

#[tokio::test]
async fn a_hundred_concurrent_rsvps_for_ten_places_through_the_api() {
    let server = Server::start().await;
    let c = server.community("owner@example.org", "race", "public", "open").await;
    let owner = server.account("owner@example.org").await;
    let start = next_weekday(&Zone::utc(), jiff::civil::Weekday::Monday);
    let input = cowork_core::schedule::SeriesInput {
        title: "Popular pair session".into(),
        format: "builtin:focus-50".into(),
        start_date: start,
        start_time: "09:00".into(),
        time_zone: "UTC".into(),
        capacity: "10".into(),
        ..Default::default()
    };
    let series = server.app().create_series(&owner, "race", &input).await.unwrap();
    let session = server.app().store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
    let mut tokens = Vec::new();
    for i in 0..100 {
        let email = format!("p{i:03}@example.org");
        let a = server.account(&email).await;
        server.app().store.add_member(&c.id, &a.id, false, 1).await.unwrap();
        tokens.push(server.token(&email).await);
    }
    let http = reqwest::Client::new();
    let url = server.url(&format!("/api/v1/sessions/{}/rsvp", session.id));
    let answers = futures_util::future::join_all(tokens.iter().map(|t| {
        let (http, url, t) = (http.clone(), url.clone(), t.clone());
        async move { http.post(url).bearer_auth(t).sent().await.json::<Value>().await.unwrap() }
    }))
    .await;
    let going = answers.iter().filter(|a| a["status"] == "going").count();
    let mut places: Vec<i64> =
        answers.iter().filter(|a| a["status"] == "waitlisted").map(|a| a["waitlist_place"].as_i64().unwrap()).collect();
    places.sort();
    assert_eq!(going, 10, "exactly ten places given");
    assert_eq!(places, (1..=90).collect::<Vec<_>>(), "ninety waitlisted, in order");

    // One of the ten cancels: the first in line moves up, and is told by mail.
    let list: Value =
        http.get(server.url(&format!("/api/v1/sessions/{}/rsvps", session.id))).bearer_auth(&tokens[0]).sent().await.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    let leaver = items.iter().find(|r| r["status"] == "going").unwrap()["account_id"].as_str().unwrap().to_string();
    let first_waiting = items.iter().find(|r| r["status"] == "waitlisted").unwrap()["account_id"].as_str().unwrap().to_string();
    let leaver_token = {
        let a = server.app().store.account(&leaver).await.unwrap();
        server.token(&a.email).await
    };
    let r = http.delete(&url).bearer_auth(&leaver_token).sent().await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let promoted = server.app().store.account(&first_waiting).await.unwrap();
    let status = server.app().store.rsvp_status(&session.id, &promoted.id).await.unwrap().unwrap();
    assert_eq!(status.status.as_str(), "going");
    server.deliver_jobs().await;
    let mail = server.app().store.outbox(Some(&promoted.email), 5).await.unwrap();
    assert!(mail.iter().any(|m| m.subject.contains("You have a place")), "the promoted person is told");
    assert_eq!(server.app().store.session(&session.id).await.unwrap().going_count, 10);
}

#[tokio::test]
async fn editing_one_this_and_following_or_the_whole_series() {
    let (server, owner, member, series) = setup().await;
    let sessions = server.app().store.series_sessions(&series, 0, 1000).await.unwrap();
    let (first, second, third) = (&sessions[0], &sessions[1], &sessions[2]);
    member.post(&format!("/s/{}/rsvp", third.id), &[]).await;

    // One occurrence: moved by an hour and renamed; it keeps its answers.
    let london = Zone::parse("tz", "Europe/London").unwrap();
    let form = owner.get_ok(&format!("/s/{}/edit", first.id)).await;
    assert!(form.contains("value=\"15:00\"") && !form.contains("name=\"repeat\""), "one session has no repeat fields");
    let r = owner
        .post(
            &format!("/s/{}/edit", first.id),
            &[
                ("title", "Cafe: special"),
                ("format", "builtin:collaboration-cafe"),
                ("start_date", &first.occurrence),
                ("start_time", "16:00"),
                ("time_zone", "Europe/London"),
                ("place", "online"),
                ("capacity", "20"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/s/{}?notice=saved", first.id));
    let moved = server.app().store.session(&first.id).await.unwrap();
    assert_eq!((london.clock(moved.starts_at).as_str(), moved.content.title.as_str(), moved.detached), ("16:00", "Cafe: special", true));
    assert!(moved.sequence > first.sequence);

    // The whole series: a new title for every undetached upcoming session.
    let current = server.app().store.series(&series).await.unwrap();
    let form = owner.get_ok(&format!("/c/cafe-club/series/{series}/edit")).await;
    assert!(form.contains(&format!("name=\"version\" value=\"{}\"", current.version)));
    let fields = |title: &'static str, version: String| {
        vec![
            ("title", title.to_string()),
            ("format", "builtin:collaboration-cafe".to_string()),
            ("start_date", current.timing.start_date.clone()),
            ("start_time", "15:00".to_string()),
            ("time_zone", "Europe/London".to_string()),
            ("repeat", "monthly_weekday".to_string()),
            ("nth_1", "on".to_string()),
            ("nth_3", "on".to_string()),
            ("month_weekday", "WE".to_string()),
            ("place", "online".to_string()),
            ("capacity", "20".to_string()),
            ("version", version),
        ]
    };
    let body = fields("Cafe (new name)", current.version.to_string());
    let body: Vec<(&str, &str)> = body.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = owner.post(&format!("/c/cafe-club/series/{series}/edit"), &body).await;
    assert!(location(&r).contains("notice=saved"), "{}", location(&r));
    let after = server.app().store.series_sessions(&series, 0, 1000).await.unwrap();
    assert_eq!(after[0].content.title, "Cafe: special", "the session edited on its own is left alone");
    assert!(after[1..].iter().all(|s| s.content.title == "Cafe (new name)"));
    // That edit left out the video link: the member going to the third session is sent the updated invitation.
    server.deliver_jobs().await;
    let changed = |mails: Vec<cowork_store::Mail>| mails.into_iter().filter(|m| m.subject.starts_with("Changed:")).collect::<Vec<_>>();
    let first_update = changed(server.app().store.outbox(Some("ny@example.org"), 100).await.unwrap());
    assert_eq!(first_update.len(), 1);
    assert!(first_update[0].subject.starts_with("Changed: Cafe (new name)") && first_update[0].raw.contains("METHOD:REQUEST"));

    // A second organizer saving from the old version gets the form back (409), nothing changed.
    let stale = fields("Someone else's title", current.version.to_string());
    let stale: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = owner.post(&format!("/c/cafe-club/series/{series}/edit"), &stale).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Someone else changed this series") && html.contains("value=\"Someone else&#x27;s title\""),
        "the form keeps what was typed"
    );
    assert_eq!(server.app().store.series(&series).await.unwrap().content.title, "Cafe (new name)");

    // This and following: from the third session on, weekly on Wednesdays at 17:00.
    let current = server.app().store.series(&series).await.unwrap();
    let form = owner.get_ok(&format!("/c/cafe-club/series/{series}/edit?from={}", third.id)).await;
    assert!(form.contains(&format!("value=\"{}\"", third.occurrence)), "the form starts at that session");
    let r = owner
        .post(
            &format!("/c/cafe-club/series/{series}/edit?from={}", third.id),
            &[
                ("title", "Cafe, weekly now"),
                ("format", "builtin:weekly-coworking"),
                ("start_date", &third.occurrence),
                ("start_time", "17:00"),
                ("time_zone", "Europe/London"),
                ("repeat", "weekly"),
                ("wd_we", "on"),
                ("place", "online"),
                ("version", &current.version.to_string()),
            ],
        )
        .await;
    let to = location(&r);
    let new_series = to.trim_start_matches("/c/cafe-club/series/").split('?').next().unwrap().to_string();
    assert_ne!(new_series, series, "the tail became its own series");
    let old = server.app().store.series(&series).await.unwrap();
    assert!(old.timing.rrule.contains("UNTIL="), "{}", old.timing.rrule);
    assert_eq!(server.app().store.series_sessions(&series, 0, 1000).await.unwrap().len(), 2, "the first two stay with the old series");
    let tail = server.app().store.series_sessions(&new_series, 0, 1000).await.unwrap();
    assert_eq!(tail[0].id, third.id, "the third session kept its id (and its answers)");
    assert!(tail.iter().all(|s| london.clock(s.starts_at) == "17:00" && s.content.format_name == "Weekly Coworking"));
    assert!(tail.len() > 20, "weekly now: {}", tail.len());
    assert_eq!(server.app().store.rsvps(&third.id).await.unwrap().len(), 1);
    // Moved to 17:00: another update, in her own zone (New York).
    server.deliver_jobs().await;
    let updates = changed(server.app().store.outbox(Some("ny@example.org"), 100).await.unwrap());
    assert_eq!(updates.len(), 2);
    let moved = updates.iter().find(|m| m.subject.starts_with("Changed: Cafe, weekly now")).expect("the update for the move");
    assert!(moved.body.contains("12:00") && moved.body.contains("(America/New_York)"), "{}", moved.body);
    let _ = second;
}

#[tokio::test]
async fn bad_schedules_are_refused_beside_their_fields() {
    let (server, owner, _member, _series) = setup().await;
    let r = owner
        .post(
            "/c/cafe-club/series/new",
            &[
                ("title", "x"),
                ("format", "nope"),
                ("start_date", "2027-02-30"),
                ("start_time", "25:61"),
                ("time_zone", "Mars/Olympus"),
                ("repeat", "weekly"),
                ("capacity", "-3"),
                ("place", "online"),
                ("video_url", "ftp://x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for f in ["title", "format", "start_date", "start_time", "time_zone", "capacity", "video_url"] {
        assert!(html.contains(&format!("id=\"e-{f}\"")) || html.contains(&format!("errors-{f}")), "{f} error shown");
    }
    assert!(html.contains("value=\"Mars/Olympus\""), "what was typed stays");
    // A date that has passed, and a rule that would expand without bound.
    let r = owner
        .post(
            "/c/cafe-club/series/new",
            &[
                ("title", "Long ago"),
                ("format", "builtin:focus-50"),
                ("start_date", "2020-01-01"),
                ("start_time", "10:00"),
                ("time_zone", "UTC"),
                ("repeat", "none"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("Every date of this series has passed"));
    let token = server.token("owner@example.org").await;
    let r = reqwest::Client::new()
        .post(server.url("/api/v1/communities/cafe-club/series"))
        .bearer_auth(&token)
        .json(&json!({"title": "Forever", "format": "builtin:focus-50", "start_date": next_weekday(&Zone::utc(), jiff::civil::Weekday::Monday), "start_time": "10:00", "time_zone": "UTC", "rrule": "FREQ=DAILY;COUNT=5000"}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "repeat");
    assert_eq!(
        server.app().store.series_of(&server.app().store.community("cafe-club").await.unwrap().id).await.unwrap().len(),
        1,
        "nothing written"
    );
}

#[tokio::test]
async fn past_sessions_cannot_be_changed() {
    let (server, owner, _member, series) = setup().await;
    let s = server.app().store.series_sessions(&series, 0, 1).await.unwrap().remove(0);
    // Make it one that already happened.
    let mut c = s.content.clone();
    c.title = "Happened".into();
    server.app().store.update_session(&s.id, &c, now() - 7200, now() - 3600, now()).await.unwrap();
    let r = owner.post(&format!("/s/{}/cancel", s.id), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("This session is over"));
    let r = owner
        .post(
            &format!("/s/{}/edit", s.id),
            &[
                ("title", "Rewritten"),
                ("format", "builtin:focus-50"),
                ("start_date", "2031-01-01"),
                ("start_time", "10:00"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(server.app().store.session(&s.id).await.unwrap().content.title, "Happened");
    // But attendance is marked after the start.
    let m = server.account("ny@example.org").await;
    server.app().store.rsvp(&s.id, &m.id, now() - 9000).await.ok();
}

#[tokio::test]
async fn feeds_follow_the_schedule_with_cancellations_and_a_private_address() {
    let (server, owner, member, series) = setup().await;
    let sessions = server.app().store.series_sessions(&series, 0, 1000).await.unwrap();
    let r = owner.post(&format!("/s/{}/cancel", sessions[1].id), &[]).await;
    assert_eq!(location(&r), format!("/s/{}?notice=cancelled", sessions[1].id));

    let anon = server.client();
    let r = anon.get("/c/cafe-club/calendar.ics").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let feed = r.text().await.unwrap();
    let events = cowork_server::ical::parse(&feed, &Zone::utc()).unwrap();
    assert_eq!(events.len(), sessions.len(), "every occurrence is published");
    for (e, s) in events.iter().zip(&sessions) {
        assert_eq!((e.start, e.end, e.zone.as_str()), (s.starts_at, s.ends_at, "Europe/London"), "{}", s.occurrence);
    }
    assert_eq!(feed.matches("STATUS:CANCELLED").count(), 1);
    assert!(feed.contains(&format!("UID:{}@", sessions[1].id)));
    assert!(!feed.contains("cafe-secret-room"), "public feeds never carry the video link");
    assert!(feed.replace("\r\n ", "").contains("15:00 Introductions and needs for rooms (10 min)"), "the agenda is in the description");
    let again = reqwest::Client::new().get(server.url("/c/cafe-club/calendar.ics")).header("if-none-match", &etag).sent().await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A whole-series edit does not bring the cancelled session back.
    let current = server.app().store.series(&series).await.unwrap();
    let input = cowork_core::schedule::SeriesInput::of(&cowork_server::app::schedule::draft_of(&current).unwrap());
    let me = server.account("owner@example.org").await;
    let mut renamed = input.clone();
    renamed.title = "Renamed cafe".into();
    server
        .app()
        .edit_series(&me, "cafe-club", &series, current.version, cowork_server::app::schedule::EditScope::Whole, &renamed)
        .await
        .unwrap();
    let feed = anon.get("/c/cafe-club/calendar.ics").await.text().await.unwrap();
    assert_eq!(feed.matches("STATUS:CANCELLED").count(), 1);
    assert!(feed.contains("SUMMARY:Renamed cafe"), "the cached feed was refreshed after the edit");

    // The personal feed: secret, with the video link, revocable.
    member.post(&format!("/s/{}/rsvp", sessions[0].id), &[]).await;
    let r = member.post("/me/calendar", &[]).await;
    let html = r.text().await.unwrap();
    let at = html.find("/calendar/").unwrap();
    let path: String = html[at..].chars().take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"').collect();
    let personal = server.client().get(&path).await;
    assert_eq!(personal.status(), StatusCode::OK);
    let text = personal.text().await.unwrap();
    assert!(text.contains("cafe-secret-room") && text.contains("STATUS:CONFIRMED"), "{text}");
    assert!(!member.get_ok("/me/schedule").await.contains(&path), "the address is shown once");
    member.post("/me/calendar/revoke", &[]).await;
    assert_eq!(server.client().get(&path).await.status(), StatusCode::NOT_FOUND);

    // A session's own file; private communities publish no feed.
    let one = anon.get(&format!("/s/{}/calendar.ics", sessions[0].id)).await;
    assert_eq!(cowork_server::ical::parse(&one.text().await.unwrap(), &Zone::utc()).unwrap().len(), 1);
    server.community("owner@example.org", "secret-club", "private", "invite").await;
    assert_eq!(anon.get("/c/secret-club/calendar.ics").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_ics_import_lands_whole_or_not_at_all() {
    let (server, owner, _member, _series) = setup().await;
    let year = Zone::utc().local(now()).date.year() + 1;
    let good = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:write-in-1@example.org\r\nSUMMARY:Imported write-in\r\nDTSTART;TZID=America/New_York:{year}0105T090000\r\nDTEND;TZID=America/New_York:{year}0105T103000\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:jelly-1@example.org\r\nSUMMARY:Jelly at the cafe\r\nLOCATION:Café Nero\\, High Street\r\nDTSTART:{year}0106T100000Z\r\nDURATION:PT4H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let bad = good.replace(&format!("DTSTART:{year}0106T100000Z"), &format!("DTSTART:{year}0230T100000Z"));
    let upload = |text: String| {
        let b = &owner;
        async move {
            let csrf = crate::support::csrf_in(&b.get_ok("/c/cafe-club/import").await).unwrap();
            let form =
                reqwest::multipart::Form::new().text("csrf", csrf).part("file", reqwest::multipart::Part::text(text).file_name("cal.ics"));
            b.http.post(b.url("/c/cafe-club/import")).multipart(form).sent().await
        }
    };
    let before =
        server.app().store.community_sessions_version(&server.app().store.community("cafe-club").await.unwrap().id).await.unwrap().0;
    let r = upload(bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Line 13: DTSTART is not a real date") && html.contains("Nothing was imported"), "{html}");
    let cid = server.app().store.community("cafe-club").await.unwrap().id;
    assert_eq!(server.app().store.community_sessions_version(&cid).await.unwrap().0, before, "nothing imported");
    let r = upload(good.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Imported 2 sessions"));
    let all = server.app().store.community_sessions(&cid, 0, i64::MAX, 1000).await.unwrap();
    let jelly = all.iter().find(|s| s.content.title == "Jelly at the cafe").unwrap();
    let cafe = server.app().store.place(&jelly.content.place_id).await.unwrap();
    assert_eq!(
        (jelly.content.place.as_str(), cafe.details.address.as_str(), jelly.ends_at - jelly.starts_at),
        ("in_person", "Café Nero, High Street", 4 * 3600),
        "the location became one of the community's places"
    );
    let write_in = all.iter().find(|s| s.content.title == "Imported write-in").unwrap();
    assert_eq!(Zone::parse("tz", "America/New_York").unwrap().clock(write_in.starts_at), "09:00");
    // The same file again adds nothing; an imported session can be edited like any other.
    let again = upload(good.clone()).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("imported before"));
    assert_eq!(server.app().store.community_sessions(&cid, 0, i64::MAX, 1000).await.unwrap().len(), all.len());
    let form = owner.get_ok(&format!("/s/{}/edit", write_in.id)).await;
    assert!(form.contains("selected>Open session, 1 h 30 min (1 h 30 min)"), "its own format is chosen");
    // Without the CSRF value nothing happens.
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::text("BEGIN:VCALENDAR"));
    assert_eq!(owner.http.post(owner.url("/c/cafe-club/import")).multipart(form).sent().await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_upcoming_directory_filters_in_the_viewers_zone() {
    let (server, _owner, member, _series) = setup().await;
    let page = member.get_ok("/upcoming").await;
    assert!(page.contains("Collaboration Cafe") && page.contains("America/New_York"));
    // 15:00 London is 10:00 or 11:00 in New York: morning, never evening.
    assert!(member.get_ok("/upcoming?time_of_day=morning").await.contains("Collaboration Cafe"));
    assert!(!member.get_ok("/upcoming?time_of_day=evening").await.contains("Collaboration Cafe"));
    // The directory is shared between viewers for a moment, but never across zones for this filter.
    let utc = server.signed_in("utc@example.org").await;
    assert!(!utc.get_ok("/upcoming?time_of_day=morning").await.contains("Collaboration Cafe"), "14:00 or 15:00 UTC");
    assert!(utc.get_ok("/upcoming?time_of_day=afternoon").await.contains("Collaboration Cafe"));
    assert!(!member.get_ok("/upcoming?place=in_person").await.contains("Collaboration Cafe"));
    assert!(member.get_ok("/upcoming?language=en&topic=testing").await.contains("Collaboration Cafe"));
    assert!(!member.get_ok("/upcoming?language=de").await.contains("Collaboration Cafe"));
    let anon = server.client().get_ok("/upcoming?zone=Asia/Tokyo&time_of_day=night").await;
    assert!(anon.contains("Collaboration Cafe") && anon.contains("Asia/Tokyo"), "a visitor's own zone, from the page's script");
    assert!(!server.client().get_ok("/upcoming?zone=Asia/Tokyo&time_of_day=afternoon").await.contains("Collaboration Cafe"));
    let api: Value =
        reqwest::Client::new().get(server.url("/api/v1/upcoming?zone=Asia/Tokyo&time_of_day=night")).sent().await.json().await.unwrap();
    assert!(!api["items"].as_array().unwrap().is_empty(), "15:00 London is midnight in Tokyo");
}

#[tokio::test]
async fn the_schedule_extends_itself_and_followers_keep_their_places() {
    let (server, _owner, member, series) = setup().await;
    let first = server.app().store.series_sessions(&series, 0, 1).await.unwrap().remove(0);
    member.post(&format!("/s/{}/rsvp", first.id), &[("scope", "all")]).await;
    // Pretend the job last ran long ago: the newest sessions are gone.
    let all = server.app().store.series_sessions(&series, 0, 1000).await.unwrap();
    let keep = all.len() - 3;
    let cut = all[keep].occurrence.clone();
    sqlx_delete_after(&server, &series, &cut).await;
    assert_eq!(server.app().store.series_sessions(&series, 0, 1000).await.unwrap().len(), keep);
    let added = server.app().extend_schedules().await.unwrap();
    assert_eq!(added, 3);
    let again = server.app().store.series_sessions(&series, 0, 1000).await.unwrap();
    assert_eq!(again.len(), all.len());
    let m = server.account("ny@example.org").await;
    assert_eq!(
        server.app().store.my_sessions(&m.id, 0, i64::MAX, 1000).await.unwrap().len(),
        all.len(),
        "followers answer new sessions too"
    );
    assert_eq!(server.app().extend_schedules().await.unwrap(), 0, "running it again adds nothing");
}

/// Deletes a series' sessions from a date on, and rewinds its materialization mark.
async fn sqlx_delete_after(server: &Server, series: &str, from: &str) {
    let url = server.app().config.database_url.clone();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("{url}?mode=rw")).await.unwrap();
    sqlx::query("DELETE FROM sessions WHERE series_id = $1 AND occurrence >= $2").bind(series).bind(from).execute(&pool).await.unwrap();
    sqlx::query("UPDATE series SET materialized_until = $2 WHERE id = $1").bind(series).bind("2000-01-01").execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn leaving_or_being_removed_gives_up_places_and_the_video_link() {
    let (server, owner, member, series) = setup().await;
    let sessions = server.app().store.series_sessions(&series, 0, 3).await.unwrap();
    // Full after one: a second member waits.
    let mut c = sessions[0].content.clone();
    c.capacity = 1;
    server.app().store.update_session(&sessions[0].id, &c, sessions[0].starts_at, sessions[0].ends_at, now()).await.unwrap();
    member.post(&format!("/s/{}/rsvp", sessions[0].id), &[("scope", "all")]).await;
    let waiting = server.signed_in("second@example.org").await;
    let cid = server.app().store.community("cafe-club").await.unwrap().id;
    let second = server.account("second@example.org").await;
    server.app().store.add_member(&cid, &second.id, false, 1).await.unwrap();
    assert!(waiting.post(&format!("/s/{}/rsvp", sessions[0].id), &[]).await.status().is_redirection());
    assert!(member.get_ok(&format!("/s/{}", sessions[0].id)).await.contains("cafe-secret-room"));

    let m = server.account("ny@example.org").await;
    assert_eq!(owner.post(&format!("/c/cafe-club/members/{}/remove", m.id), &[]).await.status(), StatusCode::SEE_OTHER);
    assert!(!member.get_ok(&format!("/s/{}", sessions[0].id)).await.contains("cafe-secret-room"), "no link after removal");
    assert!(server.app().store.my_sessions(&m.id, 0, i64::MAX, 100).await.unwrap().is_empty(), "no sessions in their schedule or feed");
    let status = server.app().store.rsvp_status(&sessions[0].id, &second.id).await.unwrap().unwrap();
    assert_eq!(status.status.as_str(), "going", "the waitlist got the freed place");
    assert!(server.app().store.series_followers(&series).await.unwrap().is_empty(), "no longer following");
}

#[tokio::test]
async fn a_rule_the_form_cannot_show_survives_a_title_edit_in_the_form() {
    let (server, owner, _member, _series) = setup().await;
    let token = server.token("owner@example.org").await;
    let start = next_weekday(&Zone::utc(), jiff::civil::Weekday::Monday);
    let r = reqwest::Client::new()
        .post(server.url("/api/v1/communities/cafe-club/series"))
        .bearer_auth(&token)
        .json(&json!({"title": "Twice a month", "format": "builtin:focus-50", "start_date": start, "start_time": "10:00", "time_zone": "UTC", "rrule": "FREQ=MONTHLY;BYMONTHDAY=1,15", "capacity": 8}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "numbers are accepted as well as strings");
    let series: Value = r.json().await.unwrap();
    let id = series["id"].as_str().unwrap();
    let form = owner.get_ok(&format!("/c/cafe-club/series/{id}/edit")).await;
    assert!(form.contains("name=\"rrule\" value=\"FREQ=MONTHLY;BYMONTHDAY=1,15\""));
    let version = series["version"].as_i64().unwrap().to_string();
    let r = owner
        .post(
            &format!("/c/cafe-club/series/{id}/edit"),
            &[
                ("title", "Twice a month, renamed"),
                ("format", "builtin:focus-50"),
                ("start_date", &start),
                ("start_time", "10:00"),
                ("time_zone", "UTC"),
                ("repeat", "monthly_day"),
                ("month_day", "1"),
                ("rrule", "FREQ=MONTHLY;BYMONTHDAY=1,15"),
                ("version", &version),
            ],
        )
        .await;
    assert!(location(&r).contains("notice=saved"));
    let after = server.app().store.series(id).await.unwrap();
    assert_eq!(after.timing.rrule, "FREQ=MONTHLY;BYMONTHDAY=1,15");
    let days: Vec<String> =
        server.app().store.series_sessions(id, 0, 100).await.unwrap().iter().map(|s| s.occurrence[8..].to_string()).collect();
    assert!(days.iter().all(|d| d == "01" || d == "15") && days.contains(&"15".to_string()), "{days:?}");
}

#[tokio::test]
async fn organizers_choose_who_hosts_a_series() {
    let (server, owner, member, series) = setup().await;
    let m = server.account("ny@example.org").await;
    let page = owner.get_ok(&format!("/c/cafe-club/series/{series}")).await;
    assert!(page.contains("Add a host") && page.contains(&format!("<option value=\"{}\">New Yorker</option>", m.id)));
    assert_eq!(member.post(&format!("/c/cafe-club/series/{series}/hosts"), &[("account_id", &m.id)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(owner.post(&format!("/c/cafe-club/series/{series}/hosts"), &[("account_id", &m.id)]).await.status(), StatusCode::SEE_OTHER);
    let session = server.app().store.series_sessions(&series, 0, 1).await.unwrap().remove(0);
    assert!(member.get_ok(&format!("/s/{}", session.id)).await.contains("New Yorker"), "the new host is named on the session");
    let outsider = server.account("out@example.org").await;
    assert_eq!(
        owner.post(&format!("/c/cafe-club/series/{series}/hosts"), &[("account_id", &outsider.id)]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let owner_id = server.account("owner@example.org").await.id;
    assert_eq!(owner.post(&format!("/c/cafe-club/series/{series}/hosts/{owner_id}/remove"), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        owner.post(&format!("/c/cafe-club/series/{series}/hosts/{}/remove", m.id), &[]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the last host stays"
    );
    assert_eq!(server.app().store.series_hosts(&series).await.unwrap().len(), 1);
}

#[tokio::test]
async fn private_communities_are_subscribed_to_through_a_members_secret_address() {
    let server = Server::start().await;
    let c = server.community("owner@example.org", "night-owls", "private", "invite").await;
    let owner = server.account("owner@example.org").await;
    let input = cowork_core::schedule::SeriesInput {
        title: "Late focus".into(),
        format: "builtin:focus-50".into(),
        start_date: next_weekday(&Zone::utc(), jiff::civil::Weekday::Tuesday),
        start_time: "22:00".into(),
        time_zone: "Asia/Tokyo".into(),
        repeat: "weekly".into(),
        ..Default::default()
    };
    server.app().create_series(&owner, "night-owls", &input).await.unwrap();
    let browser = server.signed_in("owner@example.org").await;
    let html = browser.post("/me/calendar", &[]).await.text().await.unwrap();
    let at = html.find("/c/night-owls.ics").expect("the community's address is offered");
    let start = html[..at].rfind("http").unwrap();
    let url = html[start..at + "/c/night-owls.ics".len()].to_string();
    let feed = server.client().get(&url).await;
    assert_eq!(feed.status(), StatusCode::OK);
    let text = feed.text().await.unwrap();
    assert!(text.contains("SUMMARY:Late focus") && text.contains("TZID=Asia/Tokyo"));
    assert_eq!(server.client().get("/c/night-owls/calendar.ics").await.status(), StatusCode::NOT_FOUND, "no public address");
    // Someone else's secret does not open it.
    let stranger = server.signed_in("stranger@example.org").await;
    let html = stranger.post("/me/calendar", &[]).await.text().await.unwrap();
    let at = html.find("/calendar/").unwrap();
    let token: String = html[at + 10..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    assert_eq!(server.client().get(&format!("/calendar/{token}/c/night-owls.ics")).await.status(), StatusCode::NOT_FOUND);
    let _ = c;
}

#[tokio::test]
async fn a_series_feed_follows_its_sessions_after_a_split() {
    let (server, _owner, _member, series) = setup().await;
    let sessions = server.app().store.series_sessions(&series, 0, 1000).await.unwrap();
    let before =
        cowork_server::ical::parse(&server.client().get_ok(&format!("/c/cafe-club/series/{series}/calendar.ics")).await, &Zone::utc())
            .unwrap()
            .len();
    let me = server.account("owner@example.org").await;
    let current = server.app().store.series(&series).await.unwrap();
    let mut input = cowork_core::schedule::SeriesInput::of(&cowork_server::app::schedule::draft_of(&current).unwrap());
    input.title = "Cafe, second season".into();
    input.start_date = sessions[2].occurrence.clone();
    let scope = cowork_server::app::schedule::EditScope::From(&sessions[2].id);
    let (tail, _) = server.app().edit_series(&me, "cafe-club", &series, current.version, scope, &input).await.unwrap();
    assert_ne!(tail.id, series);
    let feed = server.client().get_ok(&format!("/c/cafe-club/series/{series}/calendar.ics")).await;
    let after = cowork_server::ical::parse(&feed, &Zone::utc()).unwrap();
    assert_eq!(after.len(), before, "subscribers of the series keep every session");
    assert!(feed.contains("SUMMARY:Cafe\\, second season"), "commas are escaped in iCalendar text");
}
