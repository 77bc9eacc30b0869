//! A session's life as people meet it: cancelled ahead with a word to those
//! going, found while it is happening, joined in one step, and remembered
//! afterwards by who came.

use crate::support::{location, SendChecked, Server};
use reqwest::StatusCode;

async fn deliver(server: &Server) {
    server.deliver_jobs().await;
}

fn body_of_mail_to(mails: &[cowork_store::Mail], to: &str, subject_starts: &str) -> String {
    mails
        .iter()
        .find(|m| m.to_address == to && m.subject.starts_with(subject_starts))
        .unwrap_or_else(|| {
            panic!("no mail to {to} starting {subject_starts:?}: {:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>())
        })
        .body
        .clone()
}

#[tokio::test]
async fn an_organizer_cancels_next_weeks_session_and_the_member_is_told_and_sees_it_in_her_feed() {
    cancel_ahead("sqlite").await;
}

#[tokio::test]
async fn an_organizer_cancels_next_weeks_session_on_postgres() {
    cancel_ahead("postgres").await;
}

async fn cancel_ahead(backend: &str) {
    let server = Server::start_on(backend).await;
    // A session a week ahead with two places: one going, one waiting.
    let session = server.live_session("org@example.org", "cancel-club", "builtin:weekly-coworking", 7 * 86_400).await;
    let mut content = session.content.clone();
    content.capacity = 1;
    server.app().store.update_session(&session.id, &content, session.starts_at, session.ends_at, 2).await.unwrap();
    let dana = server.account("dana@example.org").await;
    server.name_and_zone(&dana, "Dana", "America/New_York").await;
    let member = server.member_of(&session, "dana@example.org").await;
    let waiting = server.member_of(&session, "wait@example.org").await;
    assert_eq!(member.post(&format!("/s/{}/rsvp", session.id), &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(waiting.post(&format!("/s/{}/rsvp", session.id), &[]).await.status(), StatusCode::SEE_OTHER);

    // Dana subscribes to her personal calendar feed.
    let (feed, _) = server.app().reset_calendar_feed(&dana).await.unwrap();
    let before = member.get_ok(&feed).await;
    assert!(before.contains("STATUS:CONFIRMED") || !before.contains("STATUS:CANCELLED"), "{before}");
    let sequence_before = sequence_of(&before);

    // The organizer sees "Cancel this session" on a session still to come, and the form says who is told.
    let org = server.signed_in("org@example.org").await;
    let page = org.get_ok(&format!("/s/{}", session.id)).await;
    assert!(page.contains(&format!("href=\"/s/{}/cancel\"", session.id)), "the session page offers cancelling ahead");
    let form = org.get_ok(&format!("/s/{}/cancel", session.id)).await;
    assert!(form.contains("The 1 person going and the 1 person on the waitlist will get an e-mail."), "{form}");

    // A note too long is refused beside the field, and nothing is cancelled.
    let long = "x".repeat(1001);
    let r = org.post(&format!("/s/{}/cancel", session.id), &[("note", &long)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Use at most 1000 characters"));
    assert!(!server.app().store.session(&session.id).await.unwrap().cancelled);

    let r =
        org.post(&format!("/s/{}/cancel", session.id), &[("note", "The library is closed for a strike.\nSee you the week after!")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/s/{}?notice=cancelled", session.id));

    // Everyone going or waiting is told, in their own zone, with the organizer's word.
    deliver(&server).await;
    let mails = server.app().store.outbox(None, 50).await.unwrap();
    let dana_mail = body_of_mail_to(&mails, "dana@example.org", "Cancelled: Weekly Coworking");
    assert!(dana_mail.contains("(America/New_York)"), "{dana_mail}");
    assert!(dana_mail.contains("> The library is closed for a strike."), "{dana_mail}");
    assert!(dana_mail.contains(&format!("/s/{}", session.id)));
    body_of_mail_to(&mails, "wait@example.org", "Cancelled: Weekly Coworking");
    assert!(!mails.iter().any(|m| m.to_address == "org@example.org"), "the organizer, not going, is not mailed");

    // Her feed now carries the session as cancelled, with a higher SEQUENCE.
    let after = member.get_ok(&feed).await;
    assert!(after.contains("STATUS:CANCELLED"), "{after}");
    assert!(sequence_of(&after) > sequence_before);

    // The page says so, with the note; no RSVP form is offered.
    let page = member.get_ok(&format!("/s/{}", session.id)).await;
    assert!(page.contains("This session is cancelled."));
    assert!(page.contains("The library is closed for a strike."));
    assert!(!page.contains(&format!("action=\"/s/{}/rsvp\"", session.id)));

    // Cancelling twice is refused with a clear word and writes nothing new.
    let jobs = server.app().store.jobs_of_kind(cowork_store::SESSION_CANCELLED, 50).await.unwrap().len();
    let r = org.post(&format!("/s/{}/cancel", session.id), &[("note", "again")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already cancelled"));
    assert_eq!(server.app().store.jobs_of_kind(cowork_store::SESSION_CANCELLED, 50).await.unwrap().len(), jobs);
    assert_eq!(
        server.app().store.session(&session.id).await.unwrap().cancel_note,
        "The library is closed for a strike.\nSee you the week after!"
    );

    // Putting it back tells them again, and they are still going / waiting.
    assert_eq!(org.post(&format!("/s/{}/restore", session.id), &[]).await.status(), StatusCode::SEE_OTHER);
    deliver(&server).await;
    let mails = server.app().store.outbox(None, 50).await.unwrap();
    assert!(body_of_mail_to(&mails, "dana@example.org", "Back on: Weekly Coworking").contains("You are still going."));
    assert!(body_of_mail_to(&mails, "wait@example.org", "Back on: Weekly Coworking").contains("still on the waitlist"));
    assert!(!member.get_ok(&feed).await.contains("STATUS:CANCELLED"));
}

fn sequence_of(ics: &str) -> i64 {
    ics.lines().find_map(|l| l.strip_prefix("SEQUENCE:")).map(|v| v.trim().parse().unwrap()).expect("an event with a SEQUENCE")
}

#[tokio::test]
async fn a_session_that_ended_cannot_be_cancelled_and_the_api_says_why() {
    let server = Server::start().await;
    let past = server.live_session("org@example.org", "past-club", "builtin:weekly-coworking", -3 * 3600).await;
    let token = server.token("org@example.org").await;
    let http = reqwest::Client::new();
    let r = http.post(server.url(&format!("/api/v1/sessions/{}/cancel", past.id))).bearer_auth(&token).sent().await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let j: serde_json::Value = r.json().await.unwrap();
    assert!(j["error"]["message"].as_str().unwrap().contains("over"), "{j}");
    assert!(!server.app().store.session(&past.id).await.unwrap().cancelled);

    // A future one is cancelled through the API with a message.
    let next = server.live_session("org@example.org", "future-club", "builtin:weekly-coworking", 86_400).await;
    let r = http
        .post(server.url(&format!("/api/v1/sessions/{}/cancel", next.id)))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"message":"Holiday"}"#)
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j, serde_json::json!({ "cancelled": true, "told": 0 }));
    assert_eq!(server.app().store.session(&next.id).await.unwrap().cancel_note, "Holiday");
}

#[tokio::test]
async fn a_session_started_five_minutes_ago_is_happening_now_and_join_now_leads_into_the_room() {
    let server = Server::start().await;
    let session = server.live_session("host@example.org", "drop-in", "builtin:weekly-coworking", -5 * 60).await;

    // Anonymous: first on /upcoming, marked now, with a Join now that asks to sign in first.
    let anon = server.client();
    let upcoming = anon.get_ok("/upcoming").await;
    let now_at = upcoming.find("id=\"now-h\">Happening now").expect("a 'Happening now' list on /upcoming");
    let item = upcoming[now_at..].find(&format!("href=\"/s/{}\"", session.id)).expect("the running session is listed under it");
    assert!(upcoming[now_at..now_at + item].contains("Now</span>"), "marked now");
    assert!(upcoming.contains(&format!("href=\"/signin?next=/s/{}\"", session.id)));

    // On the community page, before "Coming up".
    let community = anon.get_ok("/c/drop-in").await;
    let now_h = community.find("Happening now").expect("happening now on the community page");
    assert!(now_h < community.find("Coming up").unwrap());

    // A signed-in stranger: Join now goes through joining the community, then back to the session.
    let stranger = server.signed_in("new@example.org").await;
    let r = stranger.post(&format!("/s/{}/join-now", session.id), &[]).await;
    assert_eq!(location(&r), format!("/c/drop-in/join?next=/s/{}", session.id));
    let join = stranger.get_ok(&location(&r)).await;
    assert!(join.contains(&format!("name=\"next\" value=\"/s/{}\"", session.id)));
    let r = stranger.post("/c/drop-in/join", &[("accept_code_of_conduct", "yes"), ("next", &format!("/s/{}", session.id))]).await;
    assert_eq!(location(&r), format!("/s/{}?notice=joined", session.id), "joining returns to the session");

    // Now a member: the home page shows it happening in my communities, and Join now enters the room.
    let home = stranger.get_ok("/").await;
    assert!(home.contains("Happening now in your communities"));
    assert!(home.find("Happening now").unwrap() < home.find("Your communities").unwrap());
    let r = stranger.post(&format!("/s/{}/join-now", session.id), &[]).await;
    assert_eq!(location(&r), format!("/s/{}/room", session.id));
    assert_eq!(stranger.get(&location(&r)).await.status(), StatusCode::OK);

    // Once it has ended it is no longer "now".
    assert_eq!(session.content.place, "online");
    assert!(anon.get_ok("/upcoming?language=en").await.contains(&format!("href=\"/s/{}\"", session.id)));
    let store = &server.app().store;
    let t = cowork_server::app::now();
    store.update_session(&session.id, &session.content, t - 7200, t - 60, 3).await.unwrap();
    // (another listing than before: the directory is shared for two seconds)
    assert!(!anon.get_ok("/upcoming?place=online").await.contains(&format!("href=\"/s/{}\"", session.id)));
}

#[tokio::test]
async fn join_now_on_a_session_with_places_takes_one_and_enters() {
    let server = Server::start().await;
    let session = server.live_session("host@example.org", "limited", "builtin:weekly-coworking", -60).await;
    let mut content = session.content.clone();
    content.capacity = 1;
    server.app().store.update_session(&session.id, &content, session.starts_at, session.ends_at, 2).await.unwrap();
    let first = server.member_of(&session, "first@example.org").await;
    let second = server.member_of(&session, "second@example.org").await;
    // The room refuses without a place; Join now takes it and goes in, in one step.
    assert_eq!(first.get(&format!("/s/{}/room", session.id)).await.status(), StatusCode::FORBIDDEN);
    let r = first.post(&format!("/s/{}/join-now", session.id), &[]).await;
    assert_eq!(location(&r), format!("/s/{}/room", session.id));
    assert_eq!(first.get(&location(&r)).await.status(), StatusCode::OK);
    // The place is gone: the next person is waitlisted and told so on the session page.
    let r = second.post(&format!("/s/{}/join-now", session.id), &[]).await;
    assert_eq!(location(&r), format!("/s/{}?notice=waitlisted", session.id));
}

#[tokio::test]
async fn the_session_page_leads_into_the_room_and_remembers_who_came() {
    let server = Server::start().await;
    let session = server.live_session("host@example.org", "room-door", "builtin:weekly-coworking", 10 * 60).await;
    // Before the room opens there is no room button, and the hint is only for people who may enter.
    let early = server.live_session("host@example.org", "room-door-2", "builtin:weekly-coworking", 3 * 3600).await;
    let member = server.member_of(&session, "m@example.org").await;
    let page = server.client().get_ok(&format!("/s/{}", early.id)).await;
    assert!(!page.contains("The live room, with the shared timer"), "no room hint for a visitor who may not enter");

    // Ten minutes before the start the room is the first thing offered; the video link is secondary.
    let page = member.get_ok(&format!("/s/{}", session.id)).await;
    let enter = page.find("Enter the live room").expect("the room is offered");
    assert!(page[..enter].contains("class=\"button primary-action\""));
    assert!(!page.contains("The link to join shows here once you're going"), "a drop-in needs no RSVP for the room");

    // Drop-in: nobody said they're going, yet entering the room counts as coming.
    server.app().store.record_arrival(&session.id, &server.account("m@example.org").await.id, cowork_server::app::now()).await.unwrap();
    let t = cowork_server::app::now();
    server.app().store.update_session(&session.id, &session.content, t - 3 * 3600, t - 3600, 5).await.unwrap();
    let page = member.get_ok(&format!("/s/{}", session.id)).await;
    assert!(page.contains("This session is over: 1 person came."), "{page}");
    assert!(page.contains("Who came"));
    assert!(!page.contains("Enter the live room"));
    assert!(!page.contains(&format!("action=\"/s/{}/rsvp\"", session.id)), "no RSVP to a session that ran");
}

#[tokio::test]
async fn entering_the_room_over_the_websocket_records_an_arrival() {
    let server = Server::start().await;
    let session = server.live_session("host@example.org", "arrive", "builtin:weekly-coworking", 60).await;
    let member = server.account("m@example.org").await;
    server.app().store.add_member(&session.community_id, &member.id, false, 1).await.unwrap();
    let entry = server.app().room_entry(&member, &session.id).await.unwrap();
    server.app().join_room(&entry).await.unwrap();
    let came = server.app().store.arrivals(&session.id).await.unwrap();
    assert_eq!(came.iter().map(|a| a.account_id.as_str()).collect::<Vec<_>>(), vec![member.id.as_str()]);
}

#[tokio::test]
async fn the_only_owner_is_not_offered_leave() {
    let server = Server::start().await;
    server.community("owner@example.org", "solo", "public", "open").await;
    let owner = server.signed_in("owner@example.org").await;
    let page = owner.get_ok("/c/solo").await;
    assert!(!page.contains("Leave this community"));
    assert!(page.contains("only owner, so you can't leave it"));
    let member = server.signed_in("m@example.org").await;
    member.post("/c/solo/join", &[("accept_code_of_conduct", "yes")]).await;
    assert!(member.get_ok("/c/solo").await.contains("Leave this community"));
}

#[tokio::test]
async fn a_visitor_sees_times_in_the_zone_their_browser_reported_in_one_style() {
    let server = Server::start().await;
    let session = server.live_session("host@example.org", "zones", "builtin:weekly-coworking", 2 * 86_400).await;
    let utc = server.client().get_ok(&format!("/s/{}", session.id)).await;
    assert!(utc.contains("UTC</time> <span class=\"zone\">(UTC)</span>"), "without a zone, UTC, named");
    let tokyo = server.client();
    let r = tokyo.http.get(tokyo.url(&format!("/s/{}", session.id))).header("cookie", "cowork_zone=Asia%2FTokyo").send().await.unwrap();
    let html = r.text().await.unwrap();
    let zone = cowork_core::time::Zone::parse("tz", "Asia/Tokyo").unwrap();
    let expected = format!("{}</time> <span class=\"zone\">(Asia/Tokyo)</span>", zone.format_span(session.starts_at, session.ends_at));
    assert!(html.contains(&expected), "expected {expected}");
    // The community's "Coming up" names the zone too.
    let r = tokyo.http.get(tokyo.url("/c/zones")).header("cookie", "cowork_zone=Asia%2FTokyo").send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains(&zone.format_span(session.starts_at, session.ends_at)));
    assert!(html.contains("Times in <span data-zone-name>Asia/Tokyo</span>"));
}

#[tokio::test]
async fn hints_lead_somewhere_the_host_of_a_full_session_and_a_session_without_a_link() {
    let server = Server::start().await;
    let session = server.live_session("host@example.org", "full-club", "builtin:weekly-coworking", 2 * 86_400).await;
    let mut content = session.content.clone();
    content.capacity = 1;
    content.video_url = String::new();
    server.app().store.update_session(&session.id, &content, session.starts_at, session.ends_at, 2).await.unwrap();
    let member = server.member_of(&session, "m@example.org").await;
    assert_eq!(member.post(&format!("/s/{}/rsvp", session.id), &[]).await.status(), StatusCode::SEE_OTHER);

    // The host of the full session is not offered the waitlist: hosts need no place.
    let host = server.signed_in("host@example.org").await;
    let page = host.get_ok(&format!("/s/{}", session.id)).await;
    assert!(!page.contains("Join the waitlist"), "no waitlist for the host");
    assert!(page.contains("You're hosting"));
    // No link to wait for when there is none.
    let other = server.member_of(&session, "o@example.org").await;
    let page = other.get_ok(&format!("/s/{}", session.id)).await;
    assert!(!page.contains("The link to join shows here once you're going"));
    assert!(page.contains("Join the waitlist"), "a member is offered the waitlist");
    // A visitor who may not enter gets no room hint.
    let page = server.client().get_ok(&format!("/s/{}", session.id)).await;
    assert!(!page.contains("live room"), "no room hint for a visitor");
}
