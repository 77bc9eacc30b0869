//! Reminders through the real SMTP conversation, with the app's clock set:
//! Dana in New York goes to a London session; her reminders come at the
//! wall times she chose in her own zone, across a DST change, move when the
//! session moves, stop when she cancels, and are never sent after the start.

use crate::mail::{quoted_printable_decoded, settle, smtp_server};
use crate::push::{add_device, Device, PushService};
use crate::support::{Browser, Server};
use cowork_core::notifications::{Channel, Kind};
use cowork_core::time::Zone;
use cowork_server::Config;
use jiff::civil::{date, time};
use reqwest::StatusCode;
use tokio::sync::mpsc::UnboundedReceiver;

struct Setup {
    server: Server,
    mails: UnboundedReceiver<String>,
    session: cowork_store::Session,
    dana: Browser,
}

/// Monday 15 March 2027, 10:00 in London (still GMT); New York moved to EDT
/// on Sunday 14 March, the day before.
fn london_monday() -> i64 {
    Zone::parse("tz", "Europe/London").unwrap().instant(date(2027, 3, 15), time(10, 0, 0, 0))
}

fn new_york(d: jiff::civil::Date, h: i8) -> i64 {
    Zone::parse("tz", "America/New_York").unwrap().instant(d, time(h, 0, 0, 0))
}

/// Dana, in New York, a member of a community whose session starts on `london_monday()`;
/// the clock is a week before, and she has answered "going".
async fn setup(backend: &str) -> Setup {
    let mut s = given(backend).await;
    going(&mut s).await;
    s
}

async fn going(s: &mut Setup) {
    assert_eq!(s.dana.post(&format!("/s/{}/rsvp", s.session.id), &[]).await.status(), StatusCode::SEE_OTHER);
    settle(&s.server).await;
    let confirmation = s.mails.try_recv().expect("the confirmation");
    assert!(subject(&confirmation).starts_with("You're going"), "{confirmation}");
}

/// The same before she answers.
async fn given(backend: &str) -> Setup {
    let (port, mails) = smtp_server().await;
    let server = Server::start_on_with(backend, |c: &mut Config| {
        c.smtp_url = format!("smtp://127.0.0.1:{port}");
        crate::push::loopback_push_service(c);
    })
    .await;
    let start = london_monday();
    server.app().clock.set(start - 7 * 86_400);
    let s = server.live_session("org@example.org", "remind-club", "builtin:weekly-coworking", 7 * 86_400).await;
    server.app().store.update_session(&s.id, &s.content, start, start + (s.ends_at - s.starts_at), server.app().now()).await.unwrap();
    let session = server.app().store.session(&s.id).await.unwrap();
    let account = server.account("dana@example.org").await;
    server.name_and_zone(&account, "Dana", "America/New_York").await;
    let dana = server.member_of(&session, "dana@example.org").await;
    Setup { server, mails, session, dana }
}

pub(crate) fn subject(m: &str) -> String {
    m.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default().to_string()
}

pub(crate) fn text(m: &str) -> String {
    let at = m.find("Content-Type: text/plain").expect("a text part");
    let rest = &m[at..];
    let body = &rest[rest.find("\n\n").unwrap() + 2..];
    quoted_printable_decoded(&body[..body.find("\n--").unwrap_or(body.len())])
}

/// Sets the clock and delivers what is due; returns the mails that went out.
async fn at(s: &mut Setup, unix: i64) -> Vec<String> {
    s.server.app().clock.set(unix);
    settle(&s.server).await;
    std::iter::from_fn(|| s.mails.try_recv().ok()).collect()
}

#[tokio::test]
async fn reminders_come_the_evening_before_and_an_hour_before_in_her_zone_across_dst_on_both_databases() {
    for backend in ["sqlite", "postgres"] {
        let mut s = setup(backend).await;
        let start = london_monday();
        // 18:00 on Sunday in New York is 22:00 UTC (EDT since that morning), not 23:00 (EST).
        let evening = new_york(date(2027, 3, 14), 18);
        assert_eq!(evening, start - 12 * 3600, "10:00 London is 06:00 New York that Monday");

        assert!(at(&mut s, evening - 60).await.is_empty(), "{backend}: nothing a minute before 18:00 her time");
        let got = at(&mut s, evening).await;
        assert_eq!(got.len(), 1, "{backend}: exactly one reminder at 18:00 her time");
        assert!(subject(&got[0]).starts_with("Reminder: Weekly Coworking"), "{}", got[0]);
        let t = text(&got[0]);
        assert!(t.contains("06:00") && t.contains("(America/New_York)"), "named in her zone: {t}");
        assert!(!t.contains("meet.example.org"), "the evening before carries no call link yet: {t}");
        assert!(got[0].contains("List-Unsubscribe:"), "one click turns reminders off");

        assert!(at(&mut s, start - 3600 - 60).await.is_empty(), "{backend}");
        let got = at(&mut s, start - 3600).await;
        assert_eq!(got.len(), 1, "{backend}: the one-hour reminder");
        let t = text(&got[0]);
        assert!(t.contains(&format!("/s/{}/room", s.session.id)), "the room link: {t}");
        assert!(t.contains("https://meet.example.org/weekly"), "the video link, for someone going: {t}");
        assert!(at(&mut s, start + 3600).await.is_empty(), "{backend}: nothing more");
    }
}

#[tokio::test]
async fn a_moved_session_moves_its_reminders_and_cancelling_stops_them() {
    let mut s = setup("sqlite").await;
    let start = london_monday();
    // The organizer moves it two hours later (12:00 London, 08:00 New York).
    let moved = start + 2 * 3600;
    let sess = s.server.app().store.session(&s.session.id).await.unwrap();
    let now = s.server.app().now();
    s.server.app().store.update_session(&sess.id, &sess.content, moved, sess.ends_at + 2 * 3600, now).await.unwrap();
    let got = at(&mut s, now).await;
    assert!(got.iter().all(|m| subject(m).starts_with("Changed")), "only the update now");

    // The evening-before reminder stays at 18:00 her time (the same day) and names the new hour.
    let got = at(&mut s, new_york(date(2027, 3, 14), 18)).await;
    assert_eq!(got.len(), 1);
    assert!(text(&got[0]).contains("08:00"), "{}", text(&got[0]));
    // The old one-hour reminder sends nothing; the new one comes an hour before the new start.
    assert!(at(&mut s, start - 3600).await.is_empty(), "the old hour sends nothing");
    assert_eq!(at(&mut s, moved - 3600).await.len(), 1, "the new hour brings the reminder");

    // Another session she cancels: no reminders at all.
    let mut c = setup("sqlite").await;
    assert_eq!(c.dana.post(&format!("/s/{}/rsvp/cancel", c.session.id), &[]).await.status(), StatusCode::SEE_OTHER);
    let now = c.server.app().now();
    let got = at(&mut c, now).await;
    assert!(got.iter().all(|m| subject(m).starts_with("Not going")), "only the cancellation");
    assert!(at(&mut c, new_york(date(2027, 3, 14), 18)).await.is_empty(), "no reminder for a session she left");
    assert!(at(&mut c, start - 3600).await.is_empty());
}

#[tokio::test]
async fn a_reminder_that_could_not_go_before_the_start_is_dropped_and_counted() {
    let mut s = setup("sqlite").await;
    let start = london_monday();
    at(&mut s, new_york(date(2027, 3, 14), 18)).await;
    // The server was down over the hour before: when it runs again the session has begun.
    let got = at(&mut s, start + 60).await;
    assert!(got.is_empty(), "no “starts in one hour” after the start: {got:?}");
    let metrics = s.server.client().get_ok("/metrics").await;
    assert!(metrics.contains("cowork_jobs_dropped_total 1"), "{metrics}");
}

#[tokio::test]
async fn starting_now_comes_when_the_room_opens_by_mail_and_push_for_who_turned_it_on() {
    let mut s = given("sqlite").await;
    let start = london_monday();
    let push = PushService::start().await;
    let laptop = Device::new(3);
    assert_eq!(add_device(&s.dana, &push.endpoint("/push/dana"), &laptop, "Laptop").await.status(), StatusCode::CREATED);
    // Dana turns "starting now" on, by e-mail and on her laptop; she keeps no other reminder.
    let dana = s.server.account("dana@example.org").await;
    let store = &s.server.app().store;
    let now = s.server.app().now();
    for channel in [Channel::Email, Channel::Push] {
        store.set_notification_choice(&dana.id, Kind::StartingNow, channel, true, now).await.unwrap();
    }
    store.set_reminder_times(&dana.id, &[], now).await.unwrap();
    going(&mut s).await;

    // The room opens 15 minutes before the start (10:00 London, 06:00 her time).
    assert!(at(&mut s, start - 15 * 60 - 60).await.is_empty());
    let got = at(&mut s, start - 15 * 60).await;
    assert_eq!(got.len(), 1, "one “starting now” mail");
    assert!(subject(&got[0]).starts_with("Starting now: Weekly Coworking"), "{}", got[0]);
    let t = text(&got[0]);
    assert!(t.contains("06:00 (America/New_York)") && t.contains(&format!("/s/{}/room", s.session.id)), "{t}");
    s.server.deliver_jobs().await;
    let pushed = push.received("/push/dana");
    assert_eq!(pushed.len(), 1, "one push to her laptop");
    let m = laptop.decrypt(&pushed[0]);
    assert_eq!(m["title"], "Starting now: Weekly Coworking");
    assert_eq!(m["url"], s.server.url(&format!("/s/{}/room", s.session.id)));

    // Someone who did not turn it on (the default) gets nothing when the room opens.
    let mut other = setup("sqlite").await;
    other.server.app().store.set_reminder_times(&other.server.account("dana@example.org").await.id, &[], now).await.unwrap();
    assert!(at(&mut other, start - 15 * 60).await.iter().all(|m| !subject(m).starts_with("Starting now")));
}

#[tokio::test]
async fn new_reminder_times_apply_to_sessions_she_is_already_going_to() {
    let mut s = setup("sqlite").await;
    let start = london_monday();
    // She changes her reminders on the settings page to ten minutes before only (mail for confirmations and reminders).
    let form =
        [("kind", "confirmations"), ("kind", "reminders"), ("email", "confirmations"), ("email", "reminders"), ("reminder", "ten_minutes")];
    assert_eq!(s.dana.post("/settings/notifications", &form).await.status(), StatusCode::SEE_OTHER);
    assert!(at(&mut s, new_york(date(2027, 3, 14), 18)).await.is_empty(), "the evening before is no longer chosen");
    assert!(at(&mut s, start - 3600).await.is_empty(), "nor the hour before");
    let got = at(&mut s, start - 600).await;
    assert_eq!(got.len(), 1, "ten minutes before, for a session she answered before choosing it");
    assert!(text(&got[0]).contains(&format!("/s/{}/room", s.session.id)));
}

#[tokio::test]
async fn reminders_go_by_push_where_chosen() {
    let mut s = given("sqlite").await;
    let start = london_monday();
    let push = PushService::start().await;
    let phone = Device::new(5);
    assert_eq!(add_device(&s.dana, &push.endpoint("/push/phone"), &phone, "Phone").await.status(), StatusCode::CREATED);
    let dana = s.server.account("dana@example.org").await;
    let now = s.server.app().now();
    s.server.app().store.set_notification_choice(&dana.id, Kind::Reminders, Channel::Push, true, now).await.unwrap();
    going(&mut s).await;

    assert_eq!(at(&mut s, start - 3600).await.len(), 2, "the evening before and the hour before, by mail");
    s.server.deliver_jobs().await;
    let pushed = push.received("/push/phone");
    assert_eq!(pushed.len(), 2, "and the same two by push");
    // Both came due at once (the clock jumped), so they may arrive in either order.
    let mut urls: Vec<String> = pushed
        .iter()
        .map(|p| {
            let m = phone.decrypt(p);
            assert!(m["title"].as_str().unwrap().starts_with("Reminder: Weekly Coworking"), "{m}");
            m["url"].as_str().unwrap().to_string()
        })
        .collect();
    urls.sort();
    let session = s.server.url(&format!("/s/{}", s.session.id));
    assert_eq!(urls, vec![session.clone(), format!("{session}/room")], "the hour before opens the room");
}
