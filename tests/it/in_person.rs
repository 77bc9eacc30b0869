//! In person (issue 11), as people meet it: a member offers a coworking day
//! at her home, an organizer approves it, one person goes and one waits;
//! the home's street reaches only the one going (pages, API, feeds, mail);
//! the host checks people in at the door by code, from the list and as
//! walk-ins, within the place's seats, and reads the daily log and its CSV.

use crate::support::{SendChecked, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

const STREET: &str = "14 Secret Street";

async fn in_person_on(backend: &str) {
    let server = Server::start_on(backend).await;
    let c = server.community("org@example.org", "jelly", "public", "open").await;
    for who in ["anna@example.org", "ben@example.org", "cleo@example.org"] {
        let a = server.account(who).await;
        server.app().store.add_member(&c.id, &a.id, false, 1).await.unwrap();
    }
    let (org, anna, ben, cleo) = (
        server.token("org@example.org").await,
        server.token("anna@example.org").await,
        server.token("ben@example.org").await,
        server.token("cleo@example.org").await,
    );
    let http = reqwest::Client::new();

    // Anna's home, with two seats.
    let home = json!({"name": "Anna's flat", "kind": "home", "address": STREET, "area": "Jericho", "city": "Oxford",
                      "country": "GB", "lat": 51.754321, "lon": -1.257912, "time_zone": "Europe/London", "seats": 2,
                      "amenities": ["wifi", "coffee"], "access": ["step_free"], "access_notes": "Ring twice."});
    let r = http.post(server.url("/api/v1/me/places")).bearer_auth(&anna).json(&home).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let place: Value = r.json().await.unwrap();
    let place_id = place["id"].as_str().unwrap().to_string();

    // She offers a coworking day there; the community asks an organizer to approve members' days.
    let t = server.app().now();
    let day = cowork_core::time::Zone::parse("tz", "Europe/London").unwrap().local(t + 3 * 86_400).date.to_string();
    let offer = json!({"title": "Jelly at Anna's", "kind": "coworking_day", "place": "in_person", "place_id": place_id,
                       "start_date": day, "start_time": "09:00", "time_zone": "Europe/London", "capacity": "1"});
    let r = http.post(server.url("/api/v1/communities/jelly/series")).bearer_auth(&anna).json(&offer).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let series: Value = r.json().await.unwrap();
    assert_eq!(series["approval"], "pending");
    let series_id = series["id"].as_str().unwrap().to_string();
    assert_eq!(server.app().store.series_sessions(&series_id, 0, 10).await.unwrap().len(), 0, "nothing listed before approval");
    let elsewhere = json!({"title": "Jelly at someone else's", "kind": "coworking_day", "place": "in_person", "place_id": "nope",
                           "start_date": day, "start_time": "09:00", "time_zone": "Europe/London"});
    let r = http.post(server.url("/api/v1/communities/jelly/series")).bearer_auth(&ben).json(&elsewhere).sent().await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a place that is not the member's or the community's");
    let org_browser = server.signed_in("org@example.org").await;
    let page = org_browser.get_ok(&format!("/c/jelly/series/{series_id}")).await;
    assert!(page.contains("waits for an organizer"), "{page}");
    let ben_browser = server.signed_in("ben@example.org").await;
    assert_eq!(ben_browser.get(&format!("/c/jelly/series/{series_id}")).await.status(), StatusCode::NOT_FOUND, "a proposal is not public");
    let r = org_browser.post(&format!("/c/jelly/series/{series_id}/approve"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = org_browser.post(&format!("/c/jelly/series/{series_id}/approve"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "answered already");
    let session = server.app().store.series_sessions(&series_id, 0, 10).await.unwrap().remove(0);
    assert_eq!((session.content.kind.as_str(), session.content.place_id.as_str()), ("coworking_day", place_id.as_str()));

    // Ben goes (the one place); Cleo waits.
    let rsvp = |token: String| {
        let http = http.clone();
        let url = server.url(&format!("/api/v1/sessions/{}/rsvp", session.id));
        async move { http.post(url).bearer_auth(token).sent().await.json::<Value>().await.unwrap() }
    };
    assert_eq!(rsvp(ben.clone()).await["status"], "going");
    assert_eq!(rsvp(cleo.clone()).await["status"], "waitlisted");
    server.deliver_jobs().await;

    // The street: for Ben (going) and Anna (hosting); never for Cleo (waiting), a visitor or the public feeds.
    let seen = |token: Option<String>| {
        let http = http.clone();
        let url = server.url(&format!("/api/v1/sessions/{}", session.id));
        async move {
            let mut get = http.get(url);
            if let Some(t) = token {
                get = get.bearer_auth(t);
            }
            get.sent().await.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(seen(Some(ben.clone())).await["where"]["address"], STREET);
    assert_eq!(seen(Some(anna.clone())).await["where"]["address"], STREET);
    assert_eq!(seen(Some(org.clone())).await["where"]["address"], STREET, "the community's organizers host its sessions");
    for outsider in [None, Some(cleo.clone())] {
        let v = seen(outsider).await;
        assert_eq!((v["where"]["shown"].as_str(), v["where"]["address_private"].as_bool()), (Some("Jericho, Oxford"), Some(true)));
        assert!(!v.to_string().contains(STREET) && !v.to_string().contains("51.754321"), "{v}");
    }
    let cleo_browser = server.signed_in("cleo@example.org").await;
    let visitor = server.client();
    for (who, b) in [("cleo", &cleo_browser), ("visitor", &visitor)] {
        let page = b.get_ok(&format!("/s/{}", session.id)).await;
        assert!(page.contains("Jericho, Oxford") && !page.contains(STREET), "{who}: {page}");
        let ics = b.get_ok(&format!("/s/{}/calendar.ics", session.id)).await;
        assert!(ics.contains("LOCATION:Anna's flat\\, Jericho\\, Oxford") && !ics.contains(STREET) && !ics.contains("GEO:"), "{who}: {ics}");
        let place_page = b.get_ok(&format!("/places/{place_id}")).await;
        assert!(!place_page.contains(STREET) && place_page.contains("Jelly at Anna&#x27;s"), "{who}: {place_page}");
    }
    let feed = visitor.get_ok("/c/jelly/calendar.ics").await;
    assert!(feed.contains("Jericho") && !feed.contains(STREET), "{feed}");
    let ben_page = ben_browser.get_ok(&format!("/s/{}", session.id)).await;
    assert!(ben_page.contains(STREET) && ben_page.contains("openstreetmap.org") && ben_page.contains("geo:51.754321,-1.257912"), "{ben_page}");
    assert!(ben_page.contains("Your check-in pass") && ben_page.contains("<svg"), "the pass and its QR code");
    let ben_ics = ben_browser.get_ok(&format!("/s/{}/calendar.ics", session.id)).await;
    assert!(ben_ics.contains(STREET) && ben_ics.contains("GEO:51.754321;-1.257912"), "{ben_ics}");
    let to_ben = server.app().store.outbox(Some("ben@example.org"), 10).await.unwrap();
    assert!(to_ben.iter().any(|m| m.body.contains(STREET)), "Ben's confirmation says where");
    assert!(
        to_ben.iter().any(|m| m.body.contains("Your check-in code is") && m.raw.contains("<svg")),
        "and carries his check-in code, with its QR code in the HTML part"
    );
    let to_cleo = server.app().store.outbox(Some("cleo@example.org"), 10).await.unwrap();
    assert!(!to_cleo.is_empty() && to_cleo.iter().all(|m| !m.raw.contains(STREET) && !m.raw.contains("Secret")), "the waitlist mail does not");

    // The door opens two hours before the start.
    let pass: Value = http.get(server.url(&format!("/api/v1/sessions/{}/pass", session.id))).bearer_auth(&ben).sent().await.json().await.unwrap();
    let code = pass["code"].as_str().unwrap().to_string();
    assert!(pass["link"].as_str().unwrap().contains(&format!("/s/{}/checkin?code=", session.id)));
    let checkins = server.url(&format!("/api/v1/sessions/{}/checkins", session.id));
    let check = |token: &str, body: Value| http.post(&checkins).bearer_auth(token.to_string()).json(&body).sent();
    let r = check(&anna, json!({"code": code})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "too early");
    server.app().clock.set(session.starts_at + 600);
    let r = check(&cleo, json!({"code": code})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a member scanning someone's code checks no one in");
    let r = check(&anna, json!({"code": "ZZZZ-ZZZZ"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = check(&anna, json!({"account_id": server.account("cleo@example.org").await.id})).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("waitlist"), "{body}");
    let r = check(&anna, json!({"code": code.to_lowercase().replace('-', " ")})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "the code as typed on a phone");
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["checked_in"][0]["name"].as_str(), body["checked_in"][0]["first_visit"].as_bool(), body["today"].as_i64()), (Some("ben"), Some(true), Some(1)));
    let r = check(&anna, json!({"code": code})).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("checked in already"), "{body}");
    server.app().clock.set(session.starts_at + 900);
    let r = check(&anna, json!({"walk_in": {"name": "Dee", "email": "dee@example.org", "guest_of": "ben"}})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = check(&anna, json!({"walk_in": {"name": "Eve"}})).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("All 2 seats"), "the place's seats of the day: {body}");
    let r = check(&anna, json!({"walk_in": {"name": ""}})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The daily log: who came, guest of whom, first visit; as CSV too. Only for the place's keeper.
    let log_url = server.url(&format!("/api/v1/places/{place_id}/log"));
    assert_eq!(http.get(&log_url).bearer_auth(&ben).sent().await.status(), StatusCode::FORBIDDEN);
    let log: Value = http.get(&log_url).bearer_auth(&anna).sent().await.json().await.unwrap();
    let names: Vec<(&str, &str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap(), k["guest_of"].as_str().unwrap(), k["how"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("ben", "", "code"), ("Dee", "ben", "walk_in")]);
    let anna_browser = server.signed_in("anna@example.org").await;
    let csv = anna_browser.get_ok(&format!("/places/{place_id}/log.csv")).await;
    assert!(csv.starts_with("time,name,email,guest_of,first_visit,session,how") && csv.contains("\"Dee\",\"dee@example.org\",\"ben\",yes"), "{csv}");
    let door = anna_browser.get_ok(&format!("/s/{}/checkin", session.id)).await;
    assert!(door.contains("<strong>2</strong> of 2 seats checked in today"), "{door}");
}

#[tokio::test]
async fn a_coworking_day_at_home_from_offer_to_daily_log_on_sqlite() {
    in_person_on("sqlite").await;
}

#[tokio::test]
async fn a_coworking_day_at_home_from_offer_to_daily_log_on_postgres() {
    in_person_on("postgres").await;
}
