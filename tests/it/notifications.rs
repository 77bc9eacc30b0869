//! Choosing what to hear of (the settings page and the API), and a host's
//! message to the people going.

use crate::support::{location, SendChecked, Server};
use cowork_core::notifications::{Channel, Kind, ReminderTime};
use reqwest::StatusCode;
use serde_json::{json, Value};

const KINDS: [&str; 6] = ["confirmations", "reminders", "starting_now", "organizer_messages", "organizer_notices", "weekly_digest"];

#[tokio::test]
async fn a_member_chooses_what_to_hear_of_on_the_settings_page_and_through_the_api() {
    choose_what_to_hear_of("sqlite").await;
}

#[tokio::test]
async fn a_member_chooses_what_to_hear_of_on_postgres() {
    choose_what_to_hear_of("postgres").await;
}

async fn choose_what_to_hear_of(backend: &str) {
    let server = Server::start_on(backend).await;
    let session = server.live_session("org@example.org", "choice-club", "builtin:weekly-coworking", 7 * 86_400).await;
    let dana = server.member_of(&session, "dana@example.org").await;
    let id = server.account("dana@example.org").await.id;
    let store = server.app().store.clone();

    // The defaults: confirmations and reminders by mail, the day before and an hour before.
    let page = dana.get_ok("/settings/notifications").await;
    assert!(page.contains("Confirmations and calendar updates"), "{page}");
    assert!(page.contains(
        r#"name="email" value="confirmations" id="email-confirmations" aria-label="Confirmations and calendar updates by e-mail" checked"#
    ));
    assert!(page.contains(r#"value="day_before_18" checked"#) && page.contains(r#"value="hour_before" checked"#));
    assert!(!page.contains(r#"value="ten_minutes" checked"#));

    // She keeps reminders by mail only, "starting now" by push, reminders ten minutes before and in the morning, and mutes the community.
    let mut form: Vec<(&str, &str)> = KINDS.iter().map(|k| ("kind", *k)).collect();
    form.extend([
        ("email", "reminders"),
        ("push", "starting_now"),
        ("reminder", "ten_minutes"),
        ("reminder", "morning_08"),
        ("mute", "choice-club"),
    ]);
    let r = dana.post("/settings/notifications", &form).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/settings/notifications?saved=1"));
    assert!(dana.get_ok("/settings/notifications?saved=1").await.contains("Your choices are saved."));
    assert!(!store.notification_choice(&id, Kind::Confirmations, Channel::Email).await.unwrap().enabled);
    assert!(store.notification_choice(&id, Kind::Reminders, Channel::Email).await.unwrap().enabled);
    assert!(store.notification_choice(&id, Kind::StartingNow, Channel::Push).await.unwrap().enabled);
    assert_eq!(store.reminder_times(&id).await.unwrap(), [ReminderTime::Morning08, ReminderTime::TenMinutes]);
    assert_eq!(store.muted_communities(&id).await.unwrap(), [session.community_id.clone()]);

    // A made-up time or a community she is not in is refused beside its field, and nothing changes.
    let mut bad = form.clone();
    bad.extend([("reminder", "at_noon"), ("mute", "someone-elses-club")]);
    let r = dana.post("/settings/notifications", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("“at_noon” is not a reminder time") && page.contains("You are not a member of “someone-elses-club”."), "{page}");
    assert_eq!(store.reminder_times(&id).await.unwrap(), [ReminderTime::Morning08, ReminderTime::TenMinutes]);

    // The same choices through the API.
    let token = server.token("dana@example.org").await;
    let http = reqwest::Client::new();
    let got: Value = http.get(server.url("/api/v1/me/notifications")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(got["reminder_times"], json!(["morning_08", "ten_minutes"]));
    assert_eq!(got["muted_communities"], json!(["choice-club"]));
    assert_eq!(
        got["kinds"][0],
        json!({"kind": "confirmations", "label": "Confirmations and calendar updates", "email": false, "push": false})
    );
    let put = json!({"kinds": [{"kind": "confirmations", "email": true, "push": false}], "reminder_times": ["hour_before"], "muted_communities": []});
    let r = http.put(server.url("/api/v1/me/notifications")).bearer_auth(&token).json(&put).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    let saved: Value = r.json().await.unwrap();
    assert_eq!((saved["kinds"][0]["email"].as_bool(), saved["reminder_times"].clone()), (Some(true), json!(["hour_before"])));
    assert!(store.muted_communities(&id).await.unwrap().is_empty());
    let bad = json!({"kinds": [{"kind": "everything", "email": false, "push": false}], "reminder_times": [], "muted_communities": []});
    let r = http.put(server.url("/api/v1/me/notifications")).bearer_auth(&token).json(&bad).sent().await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(store.reminder_times(&id).await.unwrap(), [ReminderTime::HourBefore], "nothing saved");
}

#[tokio::test]
async fn a_host_writes_to_the_people_going_who_get_it_in_their_own_zone() {
    let server = Server::start().await;
    let session = server.live_session("org@example.org", "late-club", "builtin:weekly-coworking", 7 * 86_400).await;
    let mut content = session.content.clone();
    content.capacity = 1;
    server.app().store.update_session(&session.id, &content, session.starts_at, session.ends_at, 2).await.unwrap();
    let dana_account = server.account("dana@example.org").await;
    server.name_and_zone(&dana_account, "Dana", "America/New_York").await;
    let dana = server.member_of(&session, "dana@example.org").await;
    let waiting = server.member_of(&session, "wait@example.org").await;
    dana.post(&format!("/s/{}/rsvp", session.id), &[]).await;
    waiting.post(&format!("/s/{}/rsvp", session.id), &[]).await;
    server.deliver_jobs().await;

    let org = server.signed_in("org@example.org").await;
    assert!(org.get_ok(&format!("/s/{}", session.id)).await.contains(&format!("href=\"/s/{}/message\"", session.id)));
    assert!(!dana.get_ok(&format!("/s/{}", session.id)).await.contains("/message\""), "members are not offered it");
    let form = org.get_ok(&format!("/s/{}/message", session.id)).await;
    assert!(form.contains("1 going, 1 on the waitlist"), "{form}");

    // Nothing to say is refused beside the field, and nothing is queued.
    let r = org.post(&format!("/s/{}/message", session.id), &[("subject", ""), ("text", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"e-subject\">This field is required."));
    assert!(server.app().store.jobs_of_kind(cowork_store::MAIL_ORGANIZER_MESSAGE, 5).await.unwrap().is_empty());

    // A member may not write to everyone.
    assert_eq!(
        waiting.post(&format!("/s/{}/message", session.id), &[("subject", "Hi"), ("text", "x")]).await.status(),
        StatusCode::FORBIDDEN
    );

    let r = org
        .post(&format!("/s/{}/message", session.id), &[("subject", "Running late"), ("text", "Ten minutes, sorry!\nStart without me.")])
        .await;
    assert_eq!(location(&r), format!("/s/{}?notice=message_sent_one", session.id));
    server.deliver_jobs().await;
    let mails = server.app().store.outbox(Some("dana@example.org"), 10).await.unwrap();
    let m = mails.iter().find(|m| m.subject == "Running late — Weekly Coworking").expect("Dana gets the message");
    assert!(m.body.contains("> Ten minutes, sorry!\n> Start without me.") && m.body.contains("(America/New_York)"), "{}", m.body);
    assert!(m.raw.contains("List-Unsubscribe: <"), "messages can be turned off from the mail");
    let waiting_mails = server.app().store.outbox(Some("wait@example.org"), 10).await.unwrap();
    assert!(!waiting_mails.iter().any(|m| m.subject.starts_with("Running late")), "the waitlist only when asked");

    // Through the API, with the waitlist.
    let token = server.token("org@example.org").await;
    let r = reqwest::Client::new()
        .post(server.url(&format!("/api/v1/sessions/{}/messages", session.id)))
        .bearer_auth(&token)
        .json(&json!({"subject": "New link", "text": "We moved to another room.", "include_waitlist": true}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(r.json::<Value>().await.unwrap()["recipients"], 2);
}
