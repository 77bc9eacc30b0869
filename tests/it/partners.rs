//! Accountability partners (issue 12): 200 people booking the same slot at
//! once are each matched exactly once and never with someone they blocked,
//! on both databases; bad bookings get a clear 422 with nothing written; a
//! cancellation rematches or tells the partner; a late cancel counts.

use crate::support::{SendChecked, Server};
use cowork_server::app::partners::BookingInput;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

async fn two_hundred_at_once_on(backend: &str) {
    let server = Server::start_on(backend).await;
    let app = server.app().clone();
    let mut people = Vec::new();
    for i in 0..200 {
        people.push(server.account(&format!("p{i:03}@example.org")).await);
    }
    // Some people blocked others (one way is enough to keep them apart).
    let mut blocked: BTreeSet<(String, String)> = BTreeSet::new();
    for i in (0..200).step_by(7) {
        for j in [(i + 1) % 200, (i + 2) % 200, (i + 50) % 200] {
            app.store.mark_partner(&people[i].id, &people[j].id, Some("block"), app.now()).await.unwrap();
            blocked.insert((people[i].id.clone(), people[j].id.clone()));
            blocked.insert((people[j].id.clone(), people[i].id.clone()));
        }
    }
    let slot = cowork_core::partners::next_quarter(app.now()) + 3600;
    let starts = jiff::Timestamp::from_second(slot).unwrap().to_string();
    let mut tasks = Vec::new();
    for p in people.clone() {
        let app = app.clone();
        let starts = starts.clone();
        tasks.push(tokio::spawn(async move {
            let input = BookingInput { starts_at: starts, minutes: "50".into(), ..BookingInput::default() };
            app.book_partner(&p, &input).await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every booking is taken");
    }

    // Read back: who is with whom.
    let mut matches: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut waiting = Vec::new();
    for p in &people {
        let mine = app.my_partner_bookings(p).await.unwrap();
        assert_eq!(mine.len(), 1, "one booking each");
        let b = &mine[0];
        match b.status.as_str() {
            "matched" => matches.entry(b.match_id.clone()).or_default().push(p.id.clone()),
            "waiting" => waiting.push(p.id.clone()),
            other => panic!("unexpected status {other}"),
        }
        // My card lists the others, never me.
        assert!(b.partners.iter().all(|c| c.account_id != p.id));
    }
    let matched: usize = matches.values().map(Vec::len).sum();
    assert_eq!(matched + waiting.len(), 200, "each person exactly once");
    for members in matches.values() {
        assert_eq!(members.len(), 2, "pairs (threes only close to the start)");
        assert!(!blocked.contains(&(members[0].clone(), members[1].clone())), "a blocked pair was matched");
    }
    // As many pairs as the blocks allow: whoever waits could not pair with anyone else waiting.
    for (x, a) in waiting.iter().enumerate() {
        for b in &waiting[x + 1..] {
            assert!(blocked.contains(&(a.clone(), b.clone())), "{a} and {b} both wait but could pair");
        }
    }
    assert!(matched >= 196, "almost everyone is matched: {matched}");
    // Each matched person is told once, by mail.
    let jobs = app.store.jobs_of_kind(cowork_store::MAIL_PARTNER_MATCHED, 1000).await.unwrap();
    assert_eq!(jobs.len(), matched);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_people_booking_the_same_slot_at_once_are_each_matched_once_on_sqlite() {
    two_hundred_at_once_on("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_people_booking_the_same_slot_at_once_are_each_matched_once_on_postgres() {
    two_hundred_at_once_on("postgres").await;
}

async fn bad_bookings_on(backend: &str) {
    let server = Server::start_on(backend).await;
    let ann = server.account("ann@example.org").await;
    server.name_and_zone(&ann, "Ann", "Europe/London").await;
    let token = server.token("ann@example.org").await;
    let http = reqwest::Client::new();
    let now = server.app().now();
    let next = cowork_core::partners::next_quarter(now) + 3 * 3600;
    let at = |t: i64| jiff::Timestamp::from_second(t).unwrap().to_string();
    let book = |body: Value| http.post(server.url("/api/v1/partners/bookings")).bearer_auth(&token).json(&body).sent();

    let cases = [
        (json!({"starts_at": at(next - 3 * 86_400), "minutes": "25"}), "starts_at", "already started"),
        (json!({"starts_at": at(next + 7 * 60), "minutes": "25"}), "starts_at", "quarter hour"),
        (json!({"starts_at": at(next + 15 * 86_400), "minutes": "25"}), "starts_at", "14 days"),
        (json!({"starts_at": at(next), "minutes": "30"}), "minutes", "25, 50 or 75"),
        (json!({"starts_at": "tomorrow-ish", "minutes": "25"}), "starts_at", "such as"),
        (json!({"starts_at": at(next), "minutes": "25", "talk": "shouty"}), "talk", "quiet or chatty"),
        (json!({"starts_at": at(next), "minutes": "25", "pool": "no-such-club"}), "", ""),
    ];
    for (body, field, says) in cases {
        let r = book(body.clone()).await;
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        if field.is_empty() {
            assert_eq!(status, 404, "{body}: {v}");
            continue;
        }
        assert_eq!(status, 422, "{body}: {v}");
        let f = v["error"]["fields"].as_array().unwrap();
        assert!(f.iter().any(|x| x["field"] == field && x["message"].as_str().unwrap().contains(says)), "{body}: {v}");
    }
    let mine: Value = http.get(server.url("/api/v1/partners/bookings")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(mine["bookings"], json!([]), "nothing was written");

    // A good one, then one that overlaps it.
    let r = book(json!({"starts_at": at(next), "minutes": "75", "talk": "quiet"})).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    assert_eq!(
        (first["status"].as_str(), first["minutes"].as_i64(), first["prefs"]["talk"].as_str()),
        (Some("waiting"), Some(75), Some("quiet"))
    );
    let r = book(json!({"starts_at": at(next + 45 * 60), "minutes": "25"})).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("already hold a slot"));
    // My preferences were kept from the booking.
    let prefs: Value = http.get(server.url("/api/v1/partners/preferences")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(prefs["prefs"]["talk"], "quiet");
    // Someone else's booking is not mine to read or cancel.
    let bo = server.token("bo@example.org").await;
    let id = first["id"].as_str().unwrap();
    for r in [
        http.get(server.url(&format!("/api/v1/partners/bookings/{id}"))).bearer_auth(&bo).sent().await,
        http.delete(server.url(&format!("/api/v1/partners/bookings/{id}"))).bearer_auth(&bo).sent().await,
    ] {
        assert_eq!(r.status(), 404);
    }
    // A community that does not offer partners: a clear refusal.
    server.community("org@example.org", "quiet-club", "public", "open").await;
    let r = book(json!({"starts_at": at(next + 3 * 3600), "minutes": "25", "pool": "quiet-club"})).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("does not offer partner sessions"));
}

#[tokio::test]
async fn bad_bookings_get_a_clear_answer_and_nothing_written_on_sqlite() {
    bad_bookings_on("sqlite").await;
}

#[tokio::test]
async fn bad_bookings_get_a_clear_answer_and_nothing_written_on_postgres() {
    bad_bookings_on("postgres").await;
}

#[tokio::test]
async fn a_partner_who_cancels_leaves_the_other_rematched_or_told_and_a_late_cancel_counts() {
    let server = Server::start().await;
    let app = server.app();
    let (ann, bo, cy) =
        (server.account("ann@example.org").await, server.account("bo@example.org").await, server.account("cy@example.org").await);
    for (a, n) in [(&ann, "Ann"), (&bo, "Bo"), (&cy, "Cy")] {
        server.name_and_zone(a, n, "Europe/London").await;
    }
    let slot = cowork_core::partners::next_quarter(app.now()) + 2 * 3600;
    let input =
        BookingInput { starts_at: jiff::Timestamp::from_second(slot).unwrap().to_string(), minutes: "25".into(), ..Default::default() };
    // Ann offers her own link; a link that is not http(s) is refused.
    let prefs = app.partner_settings(&ann).await.unwrap().prefs;
    assert!(app.save_partner_settings(&ann, prefs, "javascript:alert(1)", false).await.is_err());
    app.save_partner_settings(&ann, prefs, "https://zoom.example.org/j/123", false).await.unwrap();
    let a = app.book_partner(&ann, &input).await.unwrap();
    assert_eq!((a.status.as_str(), a.video_url.as_str()), ("waiting", ""), "no room before a partner");
    let b = app.book_partner(&bo, &input).await.unwrap();
    assert_eq!((b.status.as_str(), b.partners.len()), ("matched", 1));
    assert_eq!(b.partners[0].name, "Ann", "Bo sees Ann's card at once");
    assert_eq!(b.partners[0].video_url, "https://zoom.example.org/j/123");
    // The pair's own room, the same for both, named from the match.
    assert_eq!(b.video_url, format!("https://meet.jit.si/cowork-{}", b.match_id));
    assert_eq!(app.my_partner_booking(&ann, &a.id).await.unwrap().video_url, b.video_url);
    // Bo cancels: Ann waits again and is told.
    assert!(!app.cancel_partner(&bo, &b.id).await.unwrap(), "hours ahead is not late");
    let again = app.my_partner_booking(&ann, &a.id).await.unwrap();
    assert_eq!((again.status.as_str(), again.partners.len()), ("waiting", 0));
    assert_eq!(app.my_partner_booking(&bo, &b.id).await.unwrap().video_url, "", "the pair's room is no longer Bo's");
    assert_eq!(app.store.jobs_of_kind(cowork_store::MAIL_PARTNER_LEFT, 10).await.unwrap().len(), 1);
    // Cy books: Ann is matched with Cy.
    let c = app.book_partner(&cy, &input).await.unwrap();
    assert_eq!(c.partners.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["Ann"]);
    // Three minutes before the start, Cy cancels: late, and it counts against Cy's score.
    app.clock.set(slot - 180);
    assert!(app.cancel_partner(&cy, &c.id).await.unwrap(), "inside the last 5 minutes is late");
    assert_eq!(app.store.partner_score(&cy.id).await.unwrap(), (Some(0), 1));
    assert_eq!(app.store.partner_score(&ann.id).await.unwrap(), (None, 0));
    // Once it has started, a booking can no longer be cancelled.
    app.clock.set(slot + 60);
    let r = app.cancel_partner(&ann, &a.id).await;
    assert!(matches!(r, Err(cowork_server::app::AppError::Invalid(_))), "{r:?}");
}

#[tokio::test]
async fn a_community_offers_partners_to_its_members_and_limits_people_who_often_miss() {
    let server = Server::start().await;
    let app = server.app();
    let c = server.community("org@example.org", "focus-club", "public", "open").await;
    let member = server.account("member@example.org").await;
    app.store.add_member(&c.id, &member.id, false, 1).await.unwrap();
    server.account("outsider@example.org").await;
    let (org, mem, out) =
        (server.token("org@example.org").await, server.token("member@example.org").await, server.token("outsider@example.org").await);
    let http = reqwest::Client::new();
    let slot = cowork_core::partners::next_quarter(app.now()) + 4 * 3600;
    let at = |t: i64| jiff::Timestamp::from_second(t).unwrap().to_string();

    // Only organizers choose; bad numbers are named.
    let r =
        http.put(server.url("/api/v1/communities/focus-club/partners")).bearer_auth(&mem).json(&json!({"offer": "members"})).sent().await;
    assert_eq!(r.status(), 403);
    let r = http
        .put(server.url("/api/v1/communities/focus-club/partners"))
        .bearer_auth(&org)
        .json(&json!({"offer": "sometimes", "below": 180, "slots": 1}))
        .sent()
        .await;
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(text.contains("\"offer\"") && text.contains("\"below\""), "{text}");
    let r = http
        .put(server.url("/api/v1/communities/focus-club/partners"))
        .bearer_auth(&org)
        .json(&json!({"offer": "members", "below": 80, "slots": 1}))
        .sent()
        .await;
    assert_eq!(r.status(), 200);
    let seen: Value = http.get(server.url("/api/v1/communities/focus-club/partners")).sent().await.json().await.unwrap();
    assert_eq!(seen, json!({"offer": "members", "below": 80, "slots": 1}));

    // The member sees the pool and books in it; an outsider may not.
    let pools: Value = http.get(server.url("/api/v1/partners/pools")).bearer_auth(&mem).sent().await.json().await.unwrap();
    assert_eq!(pools["pools"].as_array().unwrap().iter().map(|p| p["slug"].as_str().unwrap()).collect::<Vec<_>>(), vec!["", "focus-club"]);
    let book = |token: &str, t: i64| {
        http.post(server.url("/api/v1/partners/bookings"))
            .bearer_auth(token.to_string())
            .json(&json!({"pool": "focus-club", "starts_at": at(t), "minutes": "25"}))
            .sent()
    };
    let r = book(&out, slot).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("keeps partner sessions to its members"));
    let first: Value = book(&mem, slot).await.json().await.unwrap();
    // Matched with someone from the open pool? No: pools are apart.
    let other = server.account("other@example.org").await;
    let open = BookingInput { starts_at: at(slot), minutes: "25".into(), ..Default::default() };
    assert_eq!(app.book_partner(&other, &open).await.unwrap().status, "waiting");
    assert_eq!(app.my_partner_booking(&member, first["id"].as_str().unwrap()).await.unwrap().status, "waiting");

    // A poor score (a late cancel of a matched session) limits the member to one slot at a time.
    app.store.add_member(&c.id, &other.id, false, 1).await.unwrap();
    let in_club = BookingInput { pool: "focus-club".into(), starts_at: at(slot + 3600), minutes: "25".into(), ..Default::default() };
    let theirs = app.book_partner(&other, &in_club).await.unwrap();
    let mine = app.book_partner(&member, &in_club).await.unwrap();
    assert_eq!((theirs.status.as_str(), mine.status.as_str()), ("waiting", "matched"));
    app.clock.set(slot + 3600 - 120);
    assert!(app.cancel_partner(&member, &mine.id).await.unwrap(), "late");
    app.clock.set(slot - 3600);
    let r = book(&mem, slot + 7200).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("1 slot at a time"));
    // In the open pool (no limit there) the same person may book.
    let open_later = BookingInput { starts_at: at(slot + 7200), minutes: "25".into(), ..Default::default() };
    assert!(app.book_partner(&member, &open_later).await.is_ok());
}

#[tokio::test]
async fn booked_slots_are_in_my_schedule_and_my_calendar_feed() {
    let server = Server::start().await;
    let app = server.app();
    let (ann, bo) = (server.account("ann@example.org").await, server.account("bo@example.org").await);
    server.name_and_zone(&ann, "Ann", "Europe/London").await;
    server.name_and_zone(&bo, "Bo", "Asia/Tokyo").await;
    let slot = cowork_core::partners::next_quarter(app.now()) + 5 * 3600;
    let at = |t: i64| jiff::Timestamp::from_second(t).unwrap().to_string();
    let input = |t: i64| BookingInput { starts_at: at(t), minutes: "50".into(), ..Default::default() };
    app.book_partner(&ann, &input(slot)).await.unwrap();
    app.book_partner(&bo, &input(slot)).await.unwrap();
    app.book_partner(&ann, &input(slot + 86_400)).await.unwrap();

    let page = server.signed_in("ann@example.org").await.get_ok("/me/schedule").await;
    assert!(page.contains("Focus with Bo") && page.contains("Matched"), "{page}");
    assert!(page.contains("Finding a partner"));

    let (url, _) = app.reset_calendar_feed(&ann).await.unwrap();
    let feed = reqwest::get(url.replace(&app.config.base_url, &server.base)).await.unwrap().text().await.unwrap();
    let unfolded = feed.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:Focus with Bo"), "{unfolded}");
    assert!(unfolded.contains("SUMMARY:Focus session (finding you a partner)"));
    assert_eq!(unfolded.matches("STATUS:TENTATIVE").count(), 1);
}

#[tokio::test]
async fn booking_and_cancelling_over_and_over_is_stopped_after_twenty_cancellations_an_hour() {
    let server = Server::start().await;
    let app = server.app();
    let ann = server.account("ann@example.org").await;
    let token = server.token("ann@example.org").await;
    let http = reqwest::Client::new();
    let first = cowork_core::partners::next_quarter(app.now()) + 3600;
    for k in 0..21 {
        let at = jiff::Timestamp::from_second(first + k * 3600).unwrap().to_string();
        let b = app.book_partner(&ann, &BookingInput { starts_at: at, minutes: "25".into(), ..Default::default() }).await.unwrap();
        let r = http.delete(server.url(&format!("/api/v1/partners/bookings/{}", b.id))).bearer_auth(&token).sent().await;
        if k < 20 {
            assert_eq!(r.status(), 200, "cancellation {k}");
        } else {
            assert_eq!(r.status(), 429, "the 21st cancellation in an hour");
            // Nothing was cancelled: the booking stands.
            assert_eq!(app.my_partner_booking(&ann, &b.id).await.unwrap().status, "waiting");
        }
    }
}
