//! Mail that gathers, with the app's clock set and through the real SMTP
//! conversation: the weekly digest a member chose, on Sunday evening in her
//! own zone; organizers hearing of join requests once an hour, not once per
//! request; and of a session soon without a host, unless one is assigned.

use crate::mail::{settle, smtp_server};
use crate::push::{add_device, Device, PushService};
use crate::reminders::{subject, text};
use crate::support::{SendChecked, Server};
use cowork_core::notifications::{Channel, Kind};
use cowork_core::time::Zone;
use cowork_server::Config;
use jiff::civil::{date, time};
use reqwest::StatusCode;
use tokio::sync::mpsc::UnboundedReceiver;

async fn server(backend: &str) -> (Server, UnboundedReceiver<String>) {
    let (port, mails) = smtp_server().await;
    let server = Server::start_on_with(backend, |c: &mut Config| {
        c.smtp_url = format!("smtp://127.0.0.1:{port}");
        crate::push::loopback_push_service(c);
    })
    .await;
    (server, mails)
}

/// Sets the clock and delivers what is due; the mails that went out.
async fn at(server: &Server, mails: &mut UnboundedReceiver<String>, unix: i64) -> Vec<String> {
    server.app().clock.set(unix);
    settle(server).await;
    std::iter::from_fn(|| mails.try_recv().ok()).collect()
}

/// The hour's instance-wide work at `unix`, then what it made due.
async fn hourly_at(server: &Server, mails: &mut UnboundedReceiver<String>, unix: i64) -> Vec<String> {
    server.app().clock.set(unix);
    server.app().enqueue_hourly().await;
    at(server, mails, unix).await
}

fn to(m: &str) -> String {
    m.lines().find_map(|l| l.strip_prefix("To: ")).unwrap_or_default().to_string()
}

fn tokyo(d: jiff::civil::Date, h: i8, m: i8) -> i64 {
    Zone::parse("tz", "Asia/Tokyo").unwrap().instant(d, time(h, m, 0, 0))
}

#[tokio::test]
async fn the_weekly_digest_comes_on_sunday_evening_in_her_zone_to_who_chose_it_on_both_databases() {
    for backend in ["sqlite", "postgres"] {
        let (server, mut mails) = server(backend).await;
        // Wednesday 3 March 2027; the session is on Tuesday 9 March, 10:00 in London (19:00 in Tokyo).
        server.app().clock.set(tokyo(date(2027, 3, 3), 12, 0));
        let s = server.live_session("org@example.org", "digest-club", "builtin:weekly-coworking", 86_400).await;
        let start = Zone::parse("tz", "Europe/London").unwrap().instant(date(2027, 3, 9), time(10, 0, 0, 0));
        let store = &server.app().store;
        store.update_session(&s.id, &s.content, start, start + 7200, server.app().now()).await.unwrap();
        let mio = server.account("mio@example.org").await;
        server.name_and_zone(&mio, "Mio", "Asia/Tokyo").await;
        let mio_browser = server.member_of(&s, "mio@example.org").await;
        let _eve = server.member_of(&s, "eve@example.org").await;

        // Mio chooses the community's digest on the settings page, and goes to the session.
        let page = mio_browser.get_ok("/settings/notifications").await;
        assert!(page.contains(r#"name="digest" value="digest-club" aria-label="Weekly digest of Community digest-club">"#), "{page}");
        let form = [("kind", "confirmations"), ("email", "confirmations"), ("digest", "digest-club")];
        assert_eq!(mio_browser.post("/settings/notifications", &form).await.status(), StatusCode::SEE_OTHER);
        let page = mio_browser.get_ok("/settings/notifications").await;
        assert!(page.contains(r#"aria-label="Weekly digest of Community digest-club" checked"#), "{page}");
        assert_eq!(mio_browser.post(&format!("/s/{}/rsvp", s.id), &[]).await.status(), StatusCode::SEE_OTHER);
        let now = server.app().now();
        assert_eq!(at(&server, &mut mails, now).await.len(), 1, "{backend}: her confirmation");

        // The hourly work on Sunday afternoon queues it for 18:00 her time, not before.
        let sunday_6pm = tokyo(date(2027, 3, 7), 18, 0);
        assert!(hourly_at(&server, &mut mails, sunday_6pm - 5400).await.is_empty(), "{backend}");
        assert!(hourly_at(&server, &mut mails, sunday_6pm - 1800).await.is_empty(), "{backend}: queued once, for 18:00");
        assert!(at(&server, &mut mails, sunday_6pm - 60).await.is_empty(), "{backend}");
        let got = at(&server, &mut mails, sunday_6pm).await;
        assert_eq!(got.len(), 1, "{backend}: one digest, to Mio only (Eve did not choose it): {got:?}");
        assert!(to(&got[0]).contains("mio@example.org"), "{}", got[0]);
        assert_eq!(subject(&got[0]), "Next week in Community digest-club: 1 session");
        let t = text(&got[0]);
        assert!(t.contains("19:00") && t.contains("Asia/Tokyo"), "in her zone: {t}");
        assert!(t.contains("Weekly Coworking") && t.contains("you are going"), "{t}");
        assert!(t.contains(&format!("/s/{}", s.id)), "{t}");
        assert!(got[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{}", got[0]);

        // The next Sunday the week is empty: nothing is sent.
        let next = tokyo(date(2027, 3, 14), 18, 0);
        assert!(hourly_at(&server, &mut mails, next - 1800).await.is_empty());
        assert!(at(&server, &mut mails, next).await.is_empty(), "{backend}: no digest of an empty week");
        let done = store.jobs_of_kind(cowork_store::WEEKLY_DIGEST, 10).await.unwrap();
        assert!(done.iter().any(|j| j.note == "no sessions next week"), "{done:?}");

        // Someone not in the community cannot choose its digest.
        let outsider = server.signed_in("out@example.org").await;
        let r = outsider.post("/settings/notifications", &[("kind", "confirmations"), ("digest", "digest-club")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("You are not a member of “digest-club”."));
    }
}

#[tokio::test]
async fn the_api_reads_and_sets_digests_and_leaves_them_be_when_left_out() {
    let (server, _mails) = server("sqlite").await;
    let s = server.live_session("org@example.org", "api-digest", "builtin:weekly-coworking", 86_400).await;
    let _mio = server.member_of(&s, "mio@example.org").await;
    let token = server.token("mio@example.org").await;
    let api = reqwest::Client::new();
    let url = server.url("/api/v1/me/notifications");
    let put = |body: serde_json::Value| api.put(&url).bearer_auth(&token).json(&body).send();
    let r = put(serde_json::json!({"kinds": [], "reminder_times": [], "muted_communities": [], "digest_communities": ["api-digest"]}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let got: serde_json::Value = api.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["digest_communities"], serde_json::json!(["api-digest"]));
    // Left out, they stay; a community she is not in is a 422 and nothing changes.
    put(serde_json::json!({"kinds": [], "reminder_times": [], "muted_communities": []})).await.unwrap();
    let got: serde_json::Value = api.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["digest_communities"], serde_json::json!(["api-digest"]));
    let r = put(serde_json::json!({"kinds": [], "reminder_times": [], "muted_communities": [], "digest_communities": []})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r =
        put(serde_json::json!({"kinds": [], "reminder_times": [], "muted_communities": [], "digest_communities": ["nope"]})).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let got: serde_json::Value = api.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["digest_communities"], serde_json::json!([]));
}

#[tokio::test]
async fn organizers_hear_of_an_hours_join_requests_in_one_mail_on_both_databases() {
    for backend in ["sqlite", "postgres"] {
        let (server, mut mails) = server(backend).await;
        let c = server.community("org@example.org", "ask-first", "public", "approval").await;
        let t0 = tokyo(date(2027, 3, 3), 10, 5);
        let hour_end = t0 - t0.rem_euclid(3600) + 3600;
        let store = &server.app().store;
        for (i, name) in ["Ann", "Ben", "Cai"].iter().enumerate() {
            server.app().clock.set(t0 + i as i64 * 900);
            let a = server.account(&format!("{}@example.org", name.to_lowercase())).await;
            server.name_and_zone(&a, name, "Europe/Paris").await;
            // Through the join page, as a person asks.
            let b = server.signed_in(&a.email).await;
            let r = b.post("/c/ask-first/join", &[("accept_code_of_conduct", "on")]).await;
            assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
        }
        let waiting = store.members(&c.id).await.unwrap().into_iter().filter(|m| m.pending).count();
        assert_eq!(waiting, 3, "{backend}: three requests");
        assert!(at(&server, &mut mails, hour_end - 1).await.is_empty(), "{backend}: nothing before the hour is over");
        let got = at(&server, &mut mails, hour_end).await;
        assert_eq!(got.len(), 1, "{backend}: one mail for the three: {got:?}");
        assert!(to(&got[0]).contains("org@example.org"));
        assert_eq!(subject(&got[0]), "3 people are waiting to join Community ask-first");
        let t = text(&got[0]);
        assert!(t.contains("Ann") && t.contains("Ben") && t.contains("Cai") && t.contains("/c/ask-first/members"), "{t}");

        // A fourth asks; an organizer lets everyone in before the hour is over: no mail.
        server.app().clock.set(hour_end + 600);
        let dee = server.account("dee@example.org").await;
        server.signed_in(&dee.email).await.post("/c/ask-first/join", &[("accept_code_of_conduct", "on")]).await;
        for m in store.members(&c.id).await.unwrap().into_iter().filter(|m| m.pending) {
            store.approve_member(&c.id, &m.account_id, server.app().now()).await.unwrap();
        }
        assert!(at(&server, &mut mails, hour_end + 3600).await.is_empty(), "{backend}: nothing left waiting, nothing sent");
    }
}

#[tokio::test]
async fn hosts_taking_turns_hear_of_a_session_nobody_took_unless_someone_takes_it_in_time() {
    let (server, mut mails) = server("postgres").await;
    let t0 = tokyo(date(2027, 3, 3), 9, 0);
    server.app().clock.set(t0);
    let a = server.live_session("org@example.org", "rota", "builtin:weekly-coworking", 86_400).await;
    let store = &server.app().store;
    store.update_session(&a.id, &a.content, t0 + 30 * 3600, t0 + 32 * 3600, t0).await.unwrap();
    // A second series, 60 hours away.
    let org = server.account("org@example.org").await;
    let input = cowork_core::schedule::SeriesInput {
        title: "Writing Retreat".into(),
        format: "builtin:weekly-coworking".into(),
        start_date: "2027-03-10".into(),
        start_time: "09:00".into(),
        time_zone: "Europe/London".into(),
        ..Default::default()
    };
    let series = server.app().create_series(&org, "rota", &input).await.unwrap();
    let b = store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
    store.update_session(&b.id, &b.content, t0 + 60 * 3600, t0 + 62 * 3600, t0).await.unwrap();
    // Both series have two hosts taking turns: the organizer who made them, and Hal.
    let hal_browser = server.member_of(&a, "hal@example.org").await;
    let hal = server.account("hal@example.org").await;
    server.name_and_zone(&hal, "Hal", "Europe/London").await;
    for series_id in [&a.series_id, &series.id] {
        store.add_series_host(series_id, &hal.id).await.unwrap();
    }
    // A series with one host needs no turns: not pointed out.
    let solo = server.live_session("olga@example.org", "solo", "builtin:weekly-coworking", 86_400).await;
    store.update_session(&solo.id, &solo.content, t0 + 30 * 3600, t0 + 32 * 3600, t0).await.unwrap();

    // Hal sees nobody hosts the retreat yet, and takes it on its page.
    let page = hal_browser.get_ok(&format!("/s/{}", b.id)).await;
    assert!(page.contains("Nobody is hosting this one yet.") && page.contains("I'll host this one"), "{page}");
    let r = hal_browser.post(&format!("/s/{}/host", b.id), &[("host", &hal.id)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = hal_browser.get_ok(&format!("/s/{}", b.id)).await;
    assert!(page.contains("You're hosting this one.") && page.contains("Hosted by Hal"), "{page}");
    // He cannot hand it to someone else, nor can a member outside the rota take it.
    let r = hal_browser.post(&format!("/s/{}/host", a.id), &[("host", &org.id)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let mo = server.member_of(&a, "mo@example.org").await;
    let mo_id = server.account("mo@example.org").await.id;
    assert_eq!(mo.post(&format!("/s/{}/host", a.id), &[("host", &mo_id)]).await.status(), StatusCode::FORBIDDEN);
    // The organizer can assign only someone of the series' hosts.
    let organizer = server.signed_in("org@example.org").await;
    assert_eq!(organizer.post(&format!("/s/{}/host", a.id), &[("host", &mo_id)]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!store.session_host_assigned(&a.id).await.unwrap());
    // The same through the API: Hal steps back from the retreat and takes it again.
    let token = server.token("hal@example.org").await;
    let http = reqwest::Client::new();
    let url = server.url(&format!("/api/v1/sessions/{}/host", b.id));
    let r = http.put(&url).bearer_auth(&token).json(&serde_json::json!({"account_id": null})).sent().await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"host": null}));
    let r = http.put(&url).bearer_auth(&token).json(&serde_json::json!({"account_id": org.id})).sent().await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "not someone else");
    let r = http.put(&url).bearer_auth(&token).json(&serde_json::json!({"account_id": hal.id})).sent().await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["host"]["display_name"], "Hal");

    // The hourly check: the session in 30 hours has nobody; its organizer and Hal hear of it.
    // (The runner did this hour's work when the clock was set, before any of this: the next hour's.)
    let got = hourly_at(&server, &mut mails, t0 + 3600).await;
    let mut who: Vec<String> = got.iter().map(|m| to(m)).collect();
    who.sort();
    assert_eq!(got.len(), 2, "to the organizer and to Hal, once each: {who:?}");
    assert!(who[0].contains("hal@example.org") && who[1].contains("org@example.org"), "{who:?}");
    assert!(subject(&got[0]).starts_with("No host yet: Weekly Coworking"), "{}", got[0]);
    let t = text(&got[0]);
    assert!(t.contains(&format!("/s/{}#host", a.id)) && t.contains("Hal"), "{t}");
    assert!(hourly_at(&server, &mut mails, t0 + 2 * 3600).await.is_empty(), "pointed out once");

    // The retreat comes within 48 hours at t0 + 12 h: Hal has it, so nothing.
    for h in 3..=13 {
        assert!(hourly_at(&server, &mut mails, t0 + h * 3600).await.is_empty(), "hour {h}: it has a host");
    }
    let queued = store.jobs_of_kind(cowork_store::NO_HOST, 10).await.unwrap();
    assert_eq!(queued.len(), 2, "no notice was even queued for the retreat: {queued:?}");
}

#[tokio::test]
async fn a_hosts_message_and_organizer_notices_go_by_push_where_chosen() {
    let (server, mut mails) = server("sqlite").await;
    let s = server.live_session("org@example.org", "push-club", "builtin:weekly-coworking", 2 * 86_400).await;
    let dana = server.member_of(&s, "dana@example.org").await;
    let push = PushService::start().await;
    let phone = Device::new(9);
    assert_eq!(add_device(&dana, &push.endpoint("/push/dana"), &phone, "Phone").await.status(), StatusCode::CREATED);
    let id = server.account("dana@example.org").await.id;
    let now = server.app().now();
    server.app().store.set_notification_choice(&id, Kind::OrganizerMessages, Channel::Push, true, now).await.unwrap();
    assert_eq!(dana.post(&format!("/s/{}/rsvp", s.id), &[]).await.status(), StatusCode::SEE_OTHER);
    let org = server.signed_in("org@example.org").await;
    let r = org.post(&format!("/s/{}/message", s.id), &[("subject", "New link"), ("text", "We moved to another call.")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // As the clock stands now: the message was queued a moment (perhaps a second) after `now`.
    let got = at(&server, &mut mails, server.app().now()).await;
    assert!(got.iter().any(|m| subject(m).starts_with("New link")), "by mail too: {got:?}");
    server.deliver_jobs().await;
    let pushed = push.received("/push/dana");
    assert_eq!(pushed.len(), 1, "the message, not her own RSVP's confirmation");
    let m = phone.decrypt(&pushed[0]);
    assert!(m["title"].as_str().unwrap().starts_with("New link"), "{m}");
    assert!(m["body"].as_str().unwrap().contains("We moved to another call."), "{m}");
}
