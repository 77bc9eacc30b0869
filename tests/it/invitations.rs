//! What a member receives about a session, through the real SMTP
//! conversation: a confirmation with a calendar invitation her calendar
//! reads (parsed by ical.js), an update with a higher SEQUENCE when it
//! moves, a CANCEL when she cancels; one-click unsubscribe; a mail server
//! that answers 4xx (retried, the same Message-ID) or 5xx (a bounce).

use crate::mail::{quoted_printable_decoded, settle, smtp_server_with_rules, Rules};
use crate::support::Server;
use cowork_server::Config;
use reqwest::StatusCode;
use tokio::sync::mpsc::UnboundedReceiver;

struct Setup {
    server: Server,
    mails: UnboundedReceiver<String>,
    rules: Rules,
    session: cowork_store::Session,
    dana: crate::support::Browser,
}

/// Dana, in New York, a member of a community with a session a week ahead.
async fn setup() -> Setup {
    let (port, mails, rules) = smtp_server_with_rules().await;
    let server = Server::start_with(|c: &mut Config| c.smtp_url = format!("smtp://127.0.0.1:{port}")).await;
    let session = server.live_session("org@example.org", "invite-club", "builtin:weekly-coworking", 7 * 86_400).await;
    let account = server.account("dana@example.org").await;
    server.name_and_zone(&account, "Dana", "America/New_York").await;
    let dana = server.member_of(&session, "dana@example.org").await;
    Setup { server, mails, rules, session, dana }
}

async fn next_mail(rx: &mut UnboundedReceiver<String>) -> String {
    tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await.expect("a mail arrives").unwrap()
}

fn header(message: &str, name: &str) -> String {
    let prefix = format!("{name}: ");
    let message = &format!("\n{message}");
    let at = message.find(&format!("\n{prefix}")).unwrap_or_else(|| panic!("no {name} header in {message}")) + 1 + prefix.len();
    message[at..].lines().next().unwrap().trim().to_string()
}

/// The decoded body of the message's part of `content_type`.
fn part(message: &str, content_type: &str) -> String {
    let at = message.find(&format!("Content-Type: {content_type}")).unwrap_or_else(|| panic!("no {content_type} part"));
    let rest = &message[at..];
    let body = &rest[rest.find("\n\n").unwrap() + 2..];
    let end = body.find("\n--").unwrap_or(body.len());
    quoted_printable_decoded(&body[..end])
}

/// What a calendar program reads of an invitation, through ical.js.
fn read_with_ical_js(ics: &str) -> serde_json::Value {
    let lib = std::fs::canonicalize("tests/browser/node_modules/ical.js/dist/ical.js").expect("ical.js is installed");
    let script = format!(
        "import ICAL from '{}'; let t = ''; process.stdin.on('data', d => t += d); process.stdin.on('end', () => {{ \
         const c = new ICAL.Component(ICAL.parse(t)); const e = c.getFirstSubcomponent('vevent'); \
         console.log(JSON.stringify({{ method: c.getFirstPropertyValue('method'), uid: e.getFirstPropertyValue('uid'), \
         sequence: e.getFirstPropertyValue('sequence'), status: e.getFirstPropertyValue('status'), \
         attendee: e.getFirstPropertyValue('attendee'), organizer: e.getFirstPropertyValue('organizer'), \
         start: new ICAL.Event(e).startDate.toUnixTime() }})); }});",
        lib.display()
    );
    use std::io::Write;
    let mut child = std::process::Command::new("node")
        .args(["--input-type=module", "-e", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    child.stdin.take().unwrap().write_all(ics.replace('\n', "\r\n").replace("\r\r\n", "\r\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "ical.js could not read the invitation: {}\n{ics}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn an_rsvp_brings_an_invitation_that_a_move_updates_and_a_cancel_withdraws() {
    let Setup { server, mut mails, session, dana, .. } = setup().await;
    let r = dana.post(&format!("/s/{}/rsvp", session.id), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    settle(&server).await;

    // The confirmation: text, HTML and the invitation last, in her zone, named.
    let m = next_mail(&mut mails).await;
    assert!(header(&m, "Subject").starts_with("You're going: Weekly Coworking"), "{m}");
    assert!(header(&m, "From").contains("cowork"), "the site's name is the sender's: {m}");
    assert!(header(&m, "Content-Type").starts_with("multipart/alternative"), "{m}");
    let (plain, html, cal) = (
        m.find("Content-Type: text/plain").unwrap(),
        m.find("Content-Type: text/html").unwrap(),
        m.find("Content-Type: text/calendar").unwrap(),
    );
    assert!(plain < html && html < cal, "text, then HTML, then the invitation last");
    assert!(m.contains("Content-Type: text/calendar; method=REQUEST; charset=utf-8"), "{m}");
    let text = part(&m, "text/plain");
    assert!(text.contains("(America/New_York)") && text.contains("Hello Dana"), "{text}");
    assert!(part(&m, "text/html").contains("(America/New_York)"));
    assert!(header(&m, "List-Unsubscribe").starts_with(&format!("<{}/unsubscribe/", server.url(""))), "{m}");
    assert_eq!(header(&m, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    let first = read_with_ical_js(&part(&m, "text/calendar"));
    assert_eq!(first["method"], "REQUEST", "{first}");
    assert_eq!(first["status"], "CONFIRMED");
    assert_eq!(first["attendee"], "mailto:dana@example.org");
    assert_eq!(first["start"], session.starts_at);
    assert!(first["uid"].as_str().unwrap().starts_with(&session.id));

    // The organizer moves it an hour later: an update, same UID, higher SEQUENCE.
    let moved = session.starts_at + 3600;
    let s = server.app().store.session(&session.id).await.unwrap();
    server.app().store.update_session(&s.id, &s.content, moved, s.ends_at + 3600, server.app().now()).await.unwrap();
    settle(&server).await;
    let m = next_mail(&mut mails).await;
    assert!(header(&m, "Subject").starts_with("Changed: Weekly Coworking"), "{m}");
    let update = read_with_ical_js(&part(&m, "text/calendar"));
    assert_eq!(
        (update["method"].as_str(), update["uid"].as_str(), update["start"].as_i64()),
        (Some("REQUEST"), first["uid"].as_str(), Some(moved))
    );
    assert!(update["sequence"].as_i64().unwrap() > first["sequence"].as_i64().unwrap(), "{update} after {first}");

    // She cancels: the invitation is withdrawn.
    assert_eq!(dana.post(&format!("/s/{}/rsvp/cancel", session.id), &[]).await.status(), StatusCode::SEE_OTHER);
    settle(&server).await;
    let m = next_mail(&mut mails).await;
    assert!(header(&m, "Subject").starts_with("Not going: Weekly Coworking"), "{m}");
    let cancel = read_with_ical_js(&part(&m, "text/calendar"));
    assert_eq!(
        (cancel["method"].as_str(), cancel["uid"].as_str(), cancel["status"].as_str()),
        (Some("CANCEL"), first["uid"].as_str(), Some("CANCELLED"))
    );
}

#[tokio::test]
async fn one_click_unsubscribe_works_without_a_cookie_and_a_forged_link_changes_nothing() {
    let Setup { server, mut mails, session, dana, .. } = setup().await;
    dana.post(&format!("/s/{}/rsvp", session.id), &[]).await;
    settle(&server).await;
    let m = next_mail(&mut mails).await;
    let link = header(&m, "List-Unsubscribe").trim_matches(['<', '>']).to_string();
    let dana_id = server.account("dana@example.org").await.id;
    let org_id = server.account("org@example.org").await.id;
    let confirmations = |id: String| {
        let store = server.app().store.clone();
        async move {
            store
                .notification_choice(&id, cowork_core::notifications::Kind::Confirmations, cowork_core::notifications::Channel::Email)
                .await
                .unwrap()
                .enabled
        }
    };

    // A link with someone else's account in it is refused, and changes nothing.
    let forged = link.replace(&dana_id, &org_id);
    let stranger = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = stranger.post(&forged).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("not valid; nothing changed"));
    assert!(confirmations(org_id.clone()).await && confirmations(dana_id.clone()).await);
    let last = if link.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &link[..link.len() - 1]);
    assert_eq!(stranger.post(&tampered).send().await.unwrap().status(), StatusCode::BAD_REQUEST);

    // Opening the link shows a button; the mail client's POST, with no cookie, answers without a redirect.
    let page = stranger.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Turn them off"));
    assert!(confirmations(dana_id.clone()).await, "opening the page turns nothing off");
    let r = stranger
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().starts_with("Done"));
    assert!(!confirmations(dana_id.clone()).await, "exactly that kind is off");
    assert!(confirmations(org_id.clone()).await);

    // Replayed: nothing more to do, and it says so.
    assert!(stranger.post(&link).send().await.unwrap().text().await.unwrap().contains("already off"));

    // No more confirmations reach her: her cancellation's mail is not sent.
    dana.post(&format!("/s/{}/rsvp/cancel", session.id), &[]).await;
    settle(&server).await;
    let job = &server.app().store.jobs_of_kind(cowork_store::MAIL_RSVP_CANCELLED, 5).await.unwrap()[0];
    assert_eq!((job.status.as_str(), job.note.as_str()), ("done", "confirmations is turned off for this person"));

    // Turned back on, the old link is outdated and changes nothing.
    use cowork_core::notifications::{Channel, Kind};
    server.app().store.set_notification_choice(&dana_id, Kind::Confirmations, Channel::Email, true, server.app().now()).await.unwrap();
    let r = stranger.post(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("nothing changed"));
    assert!(confirmations(dana_id).await);
}

#[tokio::test]
async fn a_mail_server_answering_4xx_keeps_the_mail_queued_and_the_retry_is_the_same_message() {
    let Setup { server, mut mails, rules, session, dana } = setup().await;
    rules.lock().unwrap().busy_for = 1;
    assert_eq!(dana.post(&format!("/s/{}/rsvp", session.id), &[]).await.status(), StatusCode::SEE_OTHER);
    settle(&server).await;
    let job = server.app().store.jobs_of_kind(cowork_store::MAIL_RSVP, 5).await.unwrap().remove(0);
    assert_eq!((job.status.as_str(), job.attempts), ("queued", 1), "{job:?}");
    assert!(job.last_error.contains("451"), "{job:?}");
    assert!(mails.try_recv().is_err(), "nothing was accepted yet");

    // An hour later the runner tries again and the mail goes out, with the Message-ID the first try had.
    server.app().clock.advance(3600);
    settle(&server).await;
    let m = next_mail(&mut mails).await;
    let kept = server.app().store.outbox(Some("dana@example.org"), 10).await.unwrap();
    let statuses: Vec<&str> = kept.iter().map(|k| k.status.as_str()).collect();
    assert_eq!(statuses, ["sent", "failed"]);
    assert_eq!(kept[0].message_id, kept[1].message_id);
    assert_eq!(header(&m, "Message-ID"), kept[0].message_id);
    assert!(kept[0].message_id.starts_with(&format!("<{}@", job.id)));
    assert_eq!(server.app().store.jobs_of_kind(cowork_store::MAIL_RSVP, 5).await.unwrap()[0].status, "done");
}

#[tokio::test]
async fn an_address_that_hard_bounces_gets_no_more_mail_until_it_is_confirmed() {
    let Setup { server, mut mails, rules, session, dana } = setup().await;
    rules.lock().unwrap().refuse.push("dana@example.org".into());
    dana.post(&format!("/s/{}/rsvp", session.id), &[]).await;
    settle(&server).await;
    let job = server.app().store.jobs_of_kind(cowork_store::MAIL_RSVP, 5).await.unwrap().remove(0);
    assert_eq!(job.status, "done", "a bounce is not retried: {job:?}");
    assert!(job.note.starts_with("the address bounced"), "{job:?}");
    assert!(server.app().store.bounced_at("dana@example.org").await.unwrap() > 0);

    dana.post(&format!("/s/{}/rsvp/cancel", session.id), &[]).await;
    settle(&server).await;
    let job = server.app().store.jobs_of_kind(cowork_store::MAIL_RSVP_CANCELLED, 5).await.unwrap().remove(0);
    assert_eq!(job.note, "the address bounced; it gets mail again once confirmed");
    assert_eq!(server.app().store.outbox(Some("dana@example.org"), 10).await.unwrap().len(), 1, "only the bounced attempt was handed over");

    // Her settings say so and offer one confirmation link, sent even while bounced; following it starts mail again.
    rules.lock().unwrap().refuse.clear();
    let page = dana.get_ok("/settings/notifications").await;
    assert!(page.contains("Mail to dana@example.org is not getting through."), "{page}");
    let r = dana.post("/settings/notifications/confirm", &[]).await;
    assert_eq!(crate::support::location(&r), "/settings/notifications?saved=confirm");
    settle(&server).await;
    let m = quoted_printable_decoded(&next_mail(&mut mails).await);
    let at = m.find("/signin/link?token=").expect("a link to follow");
    let link: String = m[m[..at].rfind("http").unwrap()..].chars().take_while(|c| !c.is_whitespace()).collect();
    dana.follow_sign_in_link(&link).await;
    assert_eq!(server.app().store.bounced_at("dana@example.org").await.unwrap(), 0);
    assert!(!dana.get_ok("/settings/notifications").await.contains("is not getting through"));
}

#[tokio::test]
async fn a_mail_about_a_session_that_is_gone_ends_as_done_with_a_note() {
    let Setup { server, mut mails, .. } = setup().await;
    let gone = cowork_store::NewJob::new(
        cowork_store::MAIL_SESSION_UPDATED,
        "test:gone".into(),
        serde_json::json!({ "session_id": "no-such-session", "account_id": "no-such-person" }),
        server.app().now(),
    );
    server.app().store.enqueue_job(&gone, server.app().now()).await.unwrap();
    settle(&server).await;
    let job = server.app().store.jobs_of_kind(cowork_store::MAIL_SESSION_UPDATED, 5).await.unwrap().remove(0);
    assert_eq!((job.status.as_str(), job.attempts, job.note.as_str()), ("done", 1, "the session or the person is gone"));
    assert!(mails.try_recv().is_err(), "nothing was sent");
}
