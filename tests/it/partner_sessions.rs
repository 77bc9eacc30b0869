//! A pair's session (issue 12): the pair's room lets in only the people
//! matched and records who came; with a set clock, the one left alone is
//! offered a swap after 2 minutes, an absent partner is a no-show after 5,
//! and the scores move; reminders come at the chosen times; reporting a
//! partner blocks them and tells the pool's conduct contacts; my record.

use crate::room::open;
use crate::support::{csrf_in, location, Browser, SendChecked, Server};
use cowork_core::partners::next_quarter;
use cowork_server::app::partners::BookingInput;
use cowork_server::app::AppError;
use cowork_store::{Account, PartnerBooking};
use serde_json::{json, Value};

fn at(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_string()
}

async fn book(server: &Server, who: &Account, starts_at: i64, pool: &str) -> PartnerBooking {
    // Pairs only: close to the start an odd one out would otherwise join a pair as a third.
    let input = BookingInput {
        pool: pool.into(),
        starts_at: at(starts_at),
        minutes: "25".into(),
        odd_one_out: Some("wait".into()),
        ..Default::default()
    };
    server.app().book_partner(who, &input).await.unwrap()
}

async fn person(server: &Server, email: &str, name: &str, zone: &str) -> (Account, Browser) {
    let a = server.account(email).await;
    server.name_and_zone(&a, name, zone).await;
    (server.app().store.account(&a.id).await.unwrap(), server.signed_in(email).await)
}

async fn state(b: &Browser, booking: &str) -> Value {
    serde_json::from_str(&b.get_ok(&format!("/partners/{booking}/state")).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pair_room_is_only_for_the_pair_and_records_who_came() {
    let server = Server::start().await;
    let app = server.app();
    let (ann, ann_b) = person(&server, "ann@example.org", "Ann", "Europe/Berlin").await;
    let (bo, bo_b) = person(&server, "bo@example.org", "Bo", "America/Toronto").await;
    let (_, cy_b) = person(&server, "cy@example.org", "Cy", "Asia/Tokyo").await;
    // The next quarter hour: the room (open 15 minutes ahead) is open now.
    let slot = next_quarter(app.now());
    let a = book(&server, &ann, slot, "").await;
    let b = book(&server, &bo, slot, "").await;
    assert_eq!(b.status, "matched");
    let room = format!("/s/{}/room", b.match_id);

    // The booking's link (in the mail) leads to the pair's room.
    assert_eq!(location(&ann_b.get(&format!("/partners/{}", a.id)).await), room);
    let page = ann_b.get_ok(&room).await;
    assert!(page.contains("Your partner") && page.contains("Bo") && page.contains("Not here yet"), "{page}");
    assert!(page.contains(&format!("https://meet.jit.si/cowork-{}", b.match_id)), "the pair's video room");
    assert!(page.contains("class=\"room pair-room\""), "a pair's room: no tables, notes or feedback to organizers");
    // No one else comes in, by page or by socket; the room is in no listing.
    assert_eq!(cy_b.get(&room).await.status(), 403);
    assert_eq!(open(&server, &cy_b, &b.match_id).await.err(), Some(403));
    assert_eq!(server.client().get(&room).await.status(), 303, "strangers are sent to sign in");
    assert!(!server.client().get_ok("/upcoming").await.contains(&b.match_id));
    assert!(!cy_b.get_ok("/communities").await.contains("Partner sessions"));

    // Ann comes in: her arrival counts, and Bo's card of her says so.
    let mut ws = open(&server, &ann_b, &b.match_id).await.expect("Ann comes in");
    assert_eq!(ws.snapshot["me"]["host"], true, "partners share the timer");
    let mine = app.my_partner_booking(&ann, &a.id).await.unwrap();
    assert!(mine.arrived_at > 0);
    assert_eq!(mine.outcome, Some(cowork_core::partners::Outcome::Came));
    let s = state(&bo_b, &b.id).await;
    assert_eq!(s["partners"][0]["name"], "Ann");
    assert!(s["partners"][0]["arrived_at"].as_i64().unwrap() > 0, "{s}");
    assert_eq!((s["room"].as_str(), &s["swap"]), (Some(room.as_str()), &Value::Null));
    // Bo's view of the state is his own: Ann cannot read Bo's booking.
    assert_eq!(ann_b.get(&format!("/partners/{}/state", b.id)).await.status(), 404);
    ws.send(json!({"type": "goal_add", "text": "Outline the talk"})).await;
    ws.next_of("goal").await;
    // A message reported in a pair's room is a report of the partner (the
    // open pool's: to the site's admins), and blocks them.
    let admin = server.account("admin@example.org").await;
    app.store.set_admin(&admin.id, true).await.unwrap();
    let mut bo_ws = open(&server, &bo_b, &b.match_id).await.expect("Bo comes in");
    bo_ws.send(json!({"type": "chat", "text": "Buy my course!"})).await;
    let m = ws.next_of("chat").await["message"].clone();
    ws.send(json!({"type": "report", "id": m["id"], "reason": "spam", "ref": "rep"})).await;
    assert_eq!(ws.next_of("ok").await["ref"], "rep");
    let jobs = app.store.jobs_of_kind(cowork_store::MAIL_PARTNER_REPORT, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].payload.contains(&admin.id));
    let payload: Value = serde_json::from_str(&jobs[0].payload).unwrap();
    let r = app.store.partner_report(payload["report_id"].as_str().unwrap()).await.unwrap();
    assert!(r.reason.contains("Buy my course!") && r.reason.contains("spam"), "{}", r.reason);
    assert!(app.my_partner_booking(&ann, &a.id).await.unwrap().partners[0].blocked);
    // A message as long as chat allows may be reported too (quoted short).
    bo_ws.send(json!({"type": "chat", "text": "x".repeat(cowork_core::room::chat::MAX_MESSAGE_CHARS)})).await;
    let m = ws.next_of("chat").await["message"].clone();
    ws.send(json!({"type": "report", "id": m["id"], "reason": "y".repeat(500), "ref": "long"})).await;
    assert_eq!(ws.next_of("ok").await["ref"], "long");
}

async fn swap_and_no_show_on(backend: &str) {
    let server = Server::start_on(backend).await;
    let app = server.app();
    let (ann, ann_b) = person(&server, "ann@example.org", "Ann", "Europe/Berlin").await;
    let (bo, bo_b) = person(&server, "bo@example.org", "Bo", "America/Toronto").await;
    let (cy, cy_b) = person(&server, "cy@example.org", "Cy", "Asia/Tokyo").await;
    let (di, _) = person(&server, "di@example.org", "Di", "Europe/London").await;
    let slot = next_quarter(app.now());
    let a = book(&server, &ann, slot, "").await;
    let b = book(&server, &bo, slot, "").await;
    let c = book(&server, &cy, slot, "").await;
    let d = book(&server, &di, slot, "").await;
    assert_eq!(b.partners[0].name, "Ann");
    assert_eq!(d.partners[0].name, "Cy");
    let (pair_ab, pair_cd) = (b.match_id.clone(), d.match_id.clone());

    // A minute in, Ann is there and Bo is not: too early to swap.
    app.clock.set(slot + 60);
    let _ann_ws = open(&server, &ann_b, &pair_ab).await.expect("Ann comes in");
    assert!(app.pair_state(&ann, &a.id).await.unwrap().swap.is_none());
    match app.ask_partner_swap(&ann, &a.id).await {
        Err(AppError::Invalid(e)) => assert!(e.0[0].message.contains("two minutes"), "{e:?}"),
        other => panic!("a swap before two minutes: {other:?}"),
    }

    // Two minutes in: Cy is there too, without Di. Both are offered a swap.
    app.clock.set(slot + 130);
    let _cy_ws = open(&server, &cy_b, &pair_cd).await.expect("Cy comes in");
    let offer = app.pair_state(&ann, &a.id).await.unwrap().swap.expect("Ann is offered a swap");
    assert_eq!((offer.others, offer.asked), (1, false));
    let page = ann_b.get_ok(&format!("/s/{pair_ab}/room")).await;
    assert!(page.contains("1 other person in this slot is without a partner too"), "{page}");
    // Ann asks first: she waits for Cy to ask too.
    let form = ann_b.post(&format!("/partners/{}/swap", a.id), &[("csrf", &csrf_in(&page).unwrap())]).await;
    assert_eq!(location(&form), format!("/s/{pair_ab}/room"));
    assert!(state(&ann_b, &a.id).await["swap"]["asked"].as_bool().unwrap());
    // Cy asks: the two are a new pair, in a new room.
    let page = cy_b.get_ok(&format!("/s/{pair_cd}/room")).await;
    let form = cy_b.post(&format!("/partners/{}/swap", c.id), &[("csrf", &csrf_in(&page).unwrap())]).await;
    let new_room = location(&form);
    assert!(new_room.starts_with("/s/") && new_room != format!("/s/{pair_ab}/room") && new_room != format!("/s/{pair_cd}/room"));
    // Ann's page learns it from its poll, and goes there.
    assert_eq!(state(&ann_b, &a.id).await["room"], new_room);
    let with = app.my_partner_booking(&ann, &a.id).await.unwrap();
    assert_eq!(with.partners.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["Cy"]);
    // Bo is kept out of the new room; his own room now has no one for him.
    assert_eq!(bo_b.get(&new_room).await.status(), 403);
    assert!(bo_b.get_ok(&format!("/s/{pair_ab}/room")).await.contains("your partner moved on"));

    // Five minutes in, the absent are no-shows; those who came count as came.
    app.clock.set(slot + 301);
    server.deliver_jobs().await;
    let outcome = |x: PartnerBooking| x.outcome.map(|o| o.as_str());
    assert_eq!(outcome(app.my_partner_booking(&bo, &b.id).await.unwrap()), Some("no_show"));
    assert_eq!(outcome(app.my_partner_booking(&di, &d.id).await.unwrap()), Some("no_show"));
    assert_eq!(outcome(app.my_partner_booking(&ann, &a.id).await.unwrap()), Some("came"));
    // The scores moved.
    assert_eq!(app.store.partner_score(&bo.id).await.unwrap(), (Some(0), 1));
    assert_eq!(app.store.partner_score(&ann.id).await.unwrap(), (Some(100), 1));
    assert!(bo_b.get_ok("/partners").await.contains("you came to 0% of your last 1 partner sessions"));
    // Bo turning up late is still a no-show.
    app.clock.set(slot + 400);
    let _bo_ws = open(&server, &bo_b, &pair_ab).await.expect("Bo may still come into his room");
    assert_eq!(outcome(app.my_partner_booking(&bo, &b.id).await.unwrap()), Some("no_show"));
    // Coming into a room is of that room: in the new one, neither is there yet.
    let new_match = new_room.trim_start_matches("/s/").trim_end_matches("/room");
    let with = app.my_partner_booking(&ann, &a.id).await.unwrap();
    assert_eq!((with.arrived_at, with.partners[0].arrived_at), (0, 0));
    let _ann_ws = open(&server, &ann_b, new_match).await.expect("Ann comes into the new room");
    let _cy_ws = open(&server, &cy_b, new_match).await.expect("Cy comes into the new room");
    assert!(app.my_partner_booking(&ann, &a.id).await.unwrap().partners[0].arrived_at > 0);
    // The new pair's own check, 5 minutes after the swap, finds them both there.
    app.clock.set(slot + 131 + 300);
    server.deliver_jobs().await;
    assert_eq!(outcome(app.my_partner_booking(&cy, &c.id).await.unwrap()), Some("came"));
    // Two rooms, one session: Ann's record counts the slot once.
    assert_eq!(app.my_record(&ann).await.unwrap().sessions, 1);
    // Half the session gone: no more swaps.
    app.clock.set(slot + 13 * 60);
    assert!(matches!(app.ask_partner_swap(&bo, &b.id).await, Err(AppError::Invalid(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_set_clock_the_one_left_alone_may_swap_after_two_minutes_and_an_absent_partner_is_a_no_show_after_five_on_sqlite() {
    swap_and_no_show_on("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_set_clock_the_one_left_alone_may_swap_after_two_minutes_and_an_absent_partner_is_a_no_show_after_five_on_postgres() {
    swap_and_no_show_on("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_of_a_partner_session_come_at_the_chosen_times_with_the_room() {
    let server = Server::start().await;
    let app = server.app();
    let (ann, _) = person(&server, "ann@example.org", "Ann", "Europe/Berlin").await;
    let (bo, _) = person(&server, "bo@example.org", "Bo", "America/Toronto").await;
    let slot = next_quarter(app.now()) + 3 * 3600;
    let a = book(&server, &ann, slot, "").await;
    let b = book(&server, &bo, slot, "").await;
    // The hour before (a default time), each hears of the other and of the room.
    app.clock.set(slot - 3600);
    server.deliver_jobs().await;
    let mails = app.store.outbox(Some("ann@example.org"), 10).await.unwrap();
    let reminder = mails.iter().find(|m| m.subject.starts_with("Reminder: focus with Bo")).expect("Ann is reminded");
    assert!(reminder.body.contains(&format!("/s/{}/room", b.match_id)), "{}", reminder.body);
    // A cancelled booking is not reminded of.
    let (cy, _) = person(&server, "cy@example.org", "Cy", "Asia/Tokyo").await;
    let later = slot + 3600;
    let c = book(&server, &cy, later, "").await;
    app.cancel_partner(&cy, &c.id).await.unwrap();
    app.clock.set(later - 3600);
    server.deliver_jobs().await;
    let mails = app.store.outbox(Some("cy@example.org"), 10).await.unwrap();
    assert!(!mails.iter().any(|m| m.subject.starts_with("Reminder")), "no reminder of a cancelled booking");
    assert!(app.store.jobs_of_kind(cowork_store::PARTNER_REMINDER, 10).await.unwrap().iter().any(|j| j.payload.contains(&a.id)));
}

async fn report_on(backend: &str) {
    let server = Server::start_on(backend).await;
    let app = server.app();
    let club = server.community("org@example.org", "focus-club", "public", "open").await;
    let (ann, ann_b) = person(&server, "ann@example.org", "Ann", "Europe/Berlin").await;
    let (bo, _) = person(&server, "bo@example.org", "Bo", "America/Toronto").await;
    let (cy, _) = person(&server, "cy@example.org", "Cy", "Asia/Tokyo").await;
    for m in [&ann, &bo, &cy] {
        app.store.add_member(&club.id, &m.id, false, 1).await.unwrap();
    }
    let org = app.store.account(&server.account("org@example.org").await.id).await.unwrap();
    let offer = cowork_server::app::partners::OfferInput { offer: "members".into(), ..Default::default() };
    app.set_community_partners(&org, "focus-club", &offer).await.unwrap();
    let slot = next_quarter(app.now()) + 3600;
    let a = book(&server, &ann, slot, "focus-club").await;
    let b = book(&server, &bo, slot, "focus-club").await;
    assert_eq!(b.status, "matched");
    // Before the session they have shared nothing to report.
    let csrf = csrf_in(&ann_b.get_ok("/partners").await).unwrap();
    let r = ann_b.post(&format!("/partners/people/{}/report", bo.id), &[("csrf", &csrf), ("reason", "rude")]).await;
    assert_eq!(r.status(), 404);
    // After the session, Bo is a past partner.
    app.clock.set(slot + 1800);

    // No reason: the form comes back with the message beside the field, nothing written.
    let page = ann_b.get_ok("/partners").await;
    assert!(page.contains("Report Bo"), "a past partner's card offers a report");
    let csrf = csrf_in(&page).unwrap();
    let r = ann_b.post(&format!("/partners/people/{}/report", bo.id), &[("csrf", &csrf), ("reason", "  ")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-reason\"") && html.contains("href=\"#f-reason\""), "{html}");
    assert!(app.store.jobs_of_kind(cowork_store::MAIL_PARTNER_REPORT, 10).await.unwrap().is_empty());
    // Someone never matched with Ann cannot be reported by her.
    let r = ann_b.post(&format!("/partners/people/{}/report", cy.id), &[("csrf", &csrf), ("reason", "rude")]).await;
    assert_eq!(r.status(), 404);
    // With a reason: reported, blocked, and the organizer told (not Bo).
    let r = ann_b
        .post(&format!("/partners/people/{}/report", bo.id), &[("csrf", &csrf), ("reason", "Kept talking through the focus <b>block</b>.")])
        .await;
    assert_eq!(location(&r), "/partners?reported=1#past");
    let jobs = app.store.jobs_of_kind(cowork_store::MAIL_PARTNER_REPORT, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].payload.contains(&org.id), "{}", jobs[0].payload);
    server.deliver_jobs().await;
    let mail = app.store.outbox(Some("org@example.org"), 10).await.unwrap();
    let told = mail.iter().find(|m| m.subject.contains("partner was reported")).expect("the organizer is told");
    assert!(told.body.contains("Kept talking through the focus"), "{}", told.body);
    let reports = server.signed_in("org@example.org").await.get_ok("/c/focus-club/reports").await;
    assert!(reports.contains("Reported partners") && reports.contains("&lt;b&gt;block&lt;/b&gt;"), "escaped: {reports}");
    assert!(app.my_partner_booking(&ann, &a.id).await.unwrap().partners[0].blocked);

    // In the open pool a report goes to the site's admins; over the API too.
    let admin = app.store.account(&server.account("admin@example.org").await.id).await.unwrap();
    app.store.set_admin(&admin.id, true).await.unwrap();
    let (di, _) = person(&server, "di@example.org", "Di", "Europe/London").await;
    book(&server, &cy, slot + 3600, "").await;
    book(&server, &di, slot + 3600, "").await;
    app.clock.set(slot + 3600 + 600);
    let token = server.token("cy@example.org").await;
    let http = reqwest::Client::new();
    let url = server.url(&format!("/api/v1/partners/people/{}/report", di.id));
    let r = http.post(&url).bearer_auth(&token).json(&json!({"reason": ""})).sent().await;
    assert_eq!(r.status(), 422);
    let r = http.post(&url).bearer_auth(&token).json(&json!({"reason": "Did not respect quiet mode."})).sent().await;
    assert_eq!(r.status(), 201);
    let r = http.post(&url).bearer_auth(&token).json(&json!({"reason": "Again."})).sent().await;
    assert_eq!(r.status(), 200, "once per session shared");
    let jobs = app.store.jobs_of_kind(cowork_store::MAIL_PARTNER_REPORT, 10).await.unwrap();
    assert!(jobs.iter().any(|j| j.payload.contains(&admin.id)), "the admin is told");
    // Blocked: the two are never paired again.
    book(&server, &cy, slot + 7200, "").await;
    let again = book(&server, &di, slot + 7200, "").await;
    assert_eq!(again.status, "waiting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_partner_is_blocked_and_the_pools_conduct_contacts_are_told_on_sqlite() {
    report_on("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_partner_is_blocked_and_the_pools_conduct_contacts_are_told_on_postgres() {
    report_on("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_record_counts_sessions_streak_focus_and_goals_and_partners_see_it_only_when_i_choose() {
    let server = Server::start().await;
    let app = server.app();
    let (ann, ann_b) = person(&server, "ann@example.org", "Ann", "Europe/Berlin").await;
    let (bo, _) = person(&server, "bo@example.org", "Bo", "America/Toronto").await;
    let slot = next_quarter(app.now());
    book(&server, &ann, slot, "").await;
    let b = book(&server, &bo, slot, "").await;
    let mut ws = open(&server, &ann_b, &b.match_id).await.expect("Ann comes in");
    ws.send(json!({"type": "goal_add", "text": "Outline the talk"})).await;
    let goal = ws.next_of("goal").await["goal"].clone();
    ws.send(json!({"type": "goal_check", "id": goal["id"], "outcome": "done"})).await;
    ws.next_of("goal").await;
    // Once it has started, it counts.
    app.clock.set(slot + 60);
    let r = app.my_record(&ann).await.unwrap();
    assert_eq!((r.sessions, r.goals_done, r.weekly_streak, r.focus_minutes), (1, 1, 1, 19));
    let page = ann_b.get_ok("/me/history").await;
    assert!(page.contains("Sessions done") && page.contains("19 min") && page.contains("Only you see your record"), "{page}");
    assert!(page.contains("With a partner") && page.contains("Outline the talk"));
    // Bo does not see it until Ann chooses.
    assert!(app.pair_state(&bo, &b.id).await.unwrap().records.is_empty());
    let r = ann_b.post("/me/history/record", &[("csrf", &csrf_in(&page).unwrap()), ("public", "yes")]).await;
    assert_eq!(location(&r), "/me/history?saved=1");
    let seen = app.pair_state(&bo, &b.id).await.unwrap();
    assert_eq!(seen.records.len(), 1);
    assert_eq!(seen.records[0].1.sessions, 1);
    // Over the API.
    let token = server.token("ann@example.org").await;
    let v: Value = reqwest::Client::new().get(server.url("/api/v1/partners/record")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!((v["record"]["sessions"].as_u64(), v["public"].as_bool()), (Some(1), Some(true)));
}
