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
                      "country": "GB", "lat": 51.754321, "lon": -1.257912, "seats": 2,
                      "amenities": ["wifi", "coffee"], "access": ["step_free"], "access_notes": "Ring twice."});
    let r = http.post(server.url("/api/v1/me/places")).bearer_auth(&anna).json(&home).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let place: Value = r.json().await.unwrap();
    let place_id = place["id"].as_str().unwrap().to_string();
    assert_eq!(place["time_zone"], "Europe/London", "the zone follows from the position when none is chosen");

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
    assert_eq!(seen(Some(ben.clone())).await["where"]["access_notes"], "Ring twice.", "the way in goes with the street");
    assert_eq!(seen(Some(anna.clone())).await["where"]["address"], STREET);
    assert_eq!(seen(Some(org.clone())).await["where"]["address"], STREET, "the community's organizers host its sessions");
    for outsider in [None, Some(cleo.clone())] {
        let v = seen(outsider).await;
        assert_eq!((v["where"]["shown"].as_str(), v["where"]["address_private"].as_bool()), (Some("Jericho, Oxford"), Some(true)));
        assert!(!v.to_string().contains(STREET) && !v.to_string().contains("51.754321") && !v.to_string().contains("Ring twice"), "{v}");
    }
    let cleo_browser = server.signed_in("cleo@example.org").await;
    let visitor = server.client();
    for (who, b) in [("cleo", &cleo_browser), ("visitor", &visitor)] {
        let page = b.get_ok(&format!("/s/{}", session.id)).await;
        assert!(page.contains("Jericho, Oxford") && !page.contains(STREET), "{who}: {page}");
        let ics = b.get_ok(&format!("/s/{}/calendar.ics", session.id)).await;
        assert!(
            ics.contains("LOCATION:Anna's flat\\, Jericho\\, Oxford") && !ics.contains(STREET) && !ics.contains("GEO:"),
            "{who}: {ics}"
        );
        let place_page = b.get_ok(&format!("/places/{place_id}")).await;
        assert!(!place_page.contains(STREET) && place_page.contains("Jelly at Anna&#x27;s"), "{who}: {place_page}");
    }
    let upcoming = visitor.get_ok("/upcoming?place=in_person").await;
    assert!(upcoming.contains("Jelly at Anna") && !upcoming.contains(STREET), "the directory's search: {upcoming}");
    let feed = visitor.get_ok("/c/jelly/calendar.ics").await;
    assert!(feed.contains("Jericho") && !feed.contains(STREET), "{feed}");
    let ben_page = ben_browser.get_ok(&format!("/s/{}", session.id)).await;
    assert!(
        ben_page.contains(STREET) && ben_page.contains("openstreetmap.org") && ben_page.contains("geo:51.754321,-1.257912"),
        "{ben_page}"
    );
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
    assert!(
        !to_cleo.is_empty() && to_cleo.iter().all(|m| !m.raw.contains(STREET) && !m.raw.contains("Secret")),
        "the waitlist mail does not"
    );

    // The door opens two hours before the start.
    let pass: Value =
        http.get(server.url(&format!("/api/v1/sessions/{}/pass", session.id))).bearer_auth(&ben).sent().await.json().await.unwrap();
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
    assert_eq!(
        (body["checked_in"][0]["name"].as_str(), body["checked_in"][0]["first_visit"].as_bool(), body["today"].as_i64()),
        (Some("ben"), Some(true), Some(1))
    );
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
    assert!(
        csv.starts_with("time,name,email,guest_of,first_visit,session,how") && csv.contains("\"Dee\",\"dee@example.org\",\"ben\",yes"),
        "{csv}"
    );
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

/// A space's free drop-in day on the second Monday of every month keeps its
/// wall time across the change to summer time, in the feed; a visitor
/// registers by name and e-mail, confirms by the mailed link, and is going
/// (with her guest) under her own name.
async fn drop_in_days_on(backend: &str) {
    let server = Server::start_on(backend).await;
    server.community("nadine@example.org", "nomads", "public", "open").await;
    let nadine = server.token("nadine@example.org").await;
    let http = reqwest::Client::new();
    let space = json!({"name": "Office Nomads", "kind": "coworking_space", "address": "1617 Boylston Ave", "city": "Seattle",
                       "country": "US", "lat": 47.6163, "lon": -122.3225, "time_zone": "America/Los_Angeles", "seats": 40,
                       "drop_in_seats": 8, "free_trial": true,
                       "opening_hours": ["09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "", ""]});
    let r = http.post(server.url("/api/v1/communities/nomads/places")).bearer_auth(&nadine).json(&space).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let place: Value = r.json().await.unwrap();
    // US clocks change on 14 March 2027: the second Mondays around it are 8 March and 12 April.
    let drop_in = json!({"title": "Free drop-in day", "kind": "drop_in", "place": "in_person", "place_id": place["id"],
                         "start_date": "2027-02-08", "start_time": "09:00", "time_zone": "America/Los_Angeles",
                         "rrule": "FREQ=MONTHLY;BYDAY=2MO"});
    let r = http.post(server.url("/api/v1/communities/nomads/series")).bearer_auth(&nadine).json(&drop_in).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let visitor = server.client();
    let feed = visitor.get_ok("/c/nomads/calendar.ics").await;
    for day in ["20270208T090000", "20270308T090000", "20270412T090000", "20270510T090000"] {
        assert!(feed.contains(&format!("DTSTART;TZID=America/Los_Angeles:{day}")), "{day} at 09:00 local: {feed}");
    }
    assert!(
        feed.contains("LOCATION:Office Nomads\\, 1617 Boylston Ave\\, Seattle") && feed.contains("GEO:47.616300;-122.322500"),
        "{feed}"
    );
    let space_page = visitor.get_ok(&format!("/places/{}", place["id"].as_str().unwrap())).await;
    assert!(
        space_page.contains("Mon 09:00–17:00")
            && space_page.contains("8 of them for drop-in visitors")
            && space_page.contains("free trial"),
        "{space_page}"
    );

    // A visitor registers without an account.
    let series_id = server.app().store.series_of(&server.app().store.community("nomads").await.unwrap().id).await.unwrap()[0].id.clone();
    let day = server.app().store.series_sessions(&series_id, 0, 1).await.unwrap().remove(0);
    assert_eq!(day.content.capacity, 8, "a drop-in day takes the space's drop-in seats");
    let page = visitor.get_ok(&format!("/s/{}", day.id)).await;
    assert!(page.contains("register with your name and e-mail"), "{page}");
    let form = format!("/s/{}/register", day.id);
    visitor.get_ok(&form).await;
    let r = visitor.post(&form, &[("name", ""), ("email", "not-an-address")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("accept it") && html.contains("e-mail"), "each problem beside its field: {html}");
    let r = visitor
        .post(&form, &[("name", "Priya Raman"), ("email", "priya@example.org"), ("guest_name", "Sam"), ("accept_code_of_conduct", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Check your mail"));
    assert_eq!(server.app().store.rsvps(&day.id).await.unwrap().len(), 0, "nothing booked before the link is followed");
    let admin = server.admin().await;
    let link = server.link_from_outbox(&admin, "priya@example.org").await;
    let token = link.split("token=").nth(1).unwrap();
    visitor.get_ok(&link).await;
    let r = visitor.post("/signin/link", &[("token", token)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let next = crate::support::location(&r);
    assert!(next.starts_with(&format!("/s/{}/register/confirm?r=", day.id)), "{next}");
    let r = visitor.get(&next).await;
    assert_eq!(crate::support::location(&r), format!("/s/{}?notice=going", day.id));
    let going = server.app().store.rsvps(&day.id).await.unwrap();
    assert_eq!((going.len(), going[0].display_name.as_str()), (1, "Priya Raman"));
    assert_eq!(server.app().store.session(&day.id).await.unwrap().going_count, 2, "her guest takes a seat too");
    assert_eq!(visitor.get(&next).await.status(), StatusCode::GONE, "a registration confirms once");

    // On the day she checks herself in with the code shown at the door.
    server.app().clock.set(day.starts_at + 1800);
    let self_in = format!("/s/{}/checkin/self", day.id);
    let r = visitor.post(&self_in, &[("day_code", "AAAAAA")]).await;
    assert_eq!(crate::support::location(&r), format!("/s/{}?notice=day_code_wrong", day.id));
    let door: Value =
        http.get(server.url(&format!("/api/v1/sessions/{}/checkins", day.id))).bearer_auth(&nadine).sent().await.json().await.unwrap();
    let code = door["day_code"].as_str().unwrap().to_lowercase();
    let r = visitor.post(&self_in, &[("day_code", code.as_str())]).await;
    assert_eq!(crate::support::location(&r), format!("/s/{}?notice=checked_in", day.id));
    let log: Value = http
        .get(server.url(&format!("/api/v1/places/{}/log", place["id"].as_str().unwrap())))
        .bearer_auth(&nadine)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let people: Vec<(&str, &str, bool)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap(), k["how"].as_str().unwrap(), k["first_visit"].as_bool().unwrap()))
        .collect();
    assert_eq!(people, [("Priya Raman", "day_code", true), ("Sam", "day_code", true)], "she and her guest, a first visit");
    let nadine_browser = server.signed_in("nadine@example.org").await;
    let log_page = nadine_browser.get_ok(&format!("/places/{}/log", place["id"].as_str().unwrap())).await;
    assert!(log_page.contains("yes, free trial"), "a first visit to the space is its free trial: {log_page}");
}

#[tokio::test]
async fn a_spaces_drop_in_day_and_a_visitors_registration_on_sqlite() {
    drop_in_days_on("sqlite").await;
}

#[tokio::test]
async fn a_spaces_drop_in_day_and_a_visitors_registration_on_postgres() {
    drop_in_days_on("postgres").await;
}

/// Sessions planned before places existed: their free-text addresses become
/// places of their community, one per series (and one for a session moved
/// elsewhere), on both databases.
async fn old_addresses_become_places_on(backend: &str) {
    let url = crate::support::fresh_database(backend).await;
    let sqlite_url = |u: &str| if u.starts_with("sqlite://") { format!("{u}?mode=rwc") } else { u.to_string() };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&sqlite_url(&url)).await.unwrap();
    let before = [
        include_str!("../../crates/store/migrations/0001_accounts_and_communities.sql"),
        include_str!("../../crates/store/migrations/0002_schedule.sql"),
        include_str!("../../crates/store/migrations/0003_live_room.sql"),
        include_str!("../../crates/store/migrations/0004_cancellations_arrivals_jobs.sql"),
        include_str!("../../crates/store/migrations/0005_mail_and_notification_choices.sql"),
        include_str!("../../crates/store/migrations/0006_web_push.sql"),
        include_str!("../../crates/store/migrations/0007_webhooks.sql"),
        include_str!("../../crates/store/migrations/0008_digests.sql"),
        include_str!("../../crates/store/migrations/0009_room_log.sql"),
        include_str!("../../crates/store/migrations/0010_places.sql"),
    ];
    for sql in before {
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    }
    sqlx::raw_sql(
        "CREATE TABLE cowork_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);
         INSERT INTO cowork_migrations VALUES (1,0),(2,0),(3,0),(4,0),(5,0),(6,0),(7,0),(8,0),(9,0),(10,0);
         INSERT INTO accounts (id, email, display_name, created_at) VALUES ('a1','o@example.org','O',0);
         INSERT INTO communities (id, slug, name, code_of_conduct, visibility, join_policy, time_zone, created_at, updated_at)
           VALUES ('c1','jelly','Jelly','x','public','open','Europe/London',0,0);
         INSERT INTO series (id, community_id, title, format_key, format_name, phases, start_date, start_time, time_zone, place, address, created_by, created_at, updated_at)
           VALUES ('s1','c1','Jelly','builtin:coworking-day','Coworking day','[]','2027-01-01','09:00','Europe/London','in_person','Central Library, Oxford','a1',0,0),
                  ('s2','c1','Call','builtin:focus-50','Focus 50','[]','2027-01-01','09:00','Europe/London','online','','a1',0,0);
         INSERT INTO sessions (id, series_id, community_id, occurrence, starts_at, ends_at, title, format_name, phases, time_zone, place, address, created_at, updated_at)
           VALUES ('x1','s1','c1','2027-01-01',100,200,'Jelly','Coworking day','[]','Europe/London','in_person','Central Library, Oxford',0,0),
                  ('x2','s1','c1','2027-01-08',300,400,'Jelly','Coworking day','[]','Europe/London','in_person','Cafe Nero, High St',0,0),
                  ('x3','s2','c1','2027-01-08',300,400,'Call','Focus 50','[]','Europe/London','online','',0,0);",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let store = cowork_store::Store::open(&url).await.expect("the newer migrations apply");
    let at = |id: &'static str| {
        let store = store.clone();
        async move {
            let s = store.session(id).await.unwrap();
            if s.content.place_id.is_empty() {
                return (s.content.place, String::new());
            }
            (s.content.place, store.place(&s.content.place_id).await.unwrap().details.address)
        }
    };
    assert_eq!(at("x1").await, ("in_person".to_string(), "Central Library, Oxford".to_string()));
    assert_eq!(
        at("x2").await,
        ("in_person".to_string(), "Cafe Nero, High St".to_string()),
        "a session moved elsewhere keeps its own address"
    );
    assert_eq!(at("x3").await, ("online".to_string(), String::new()));
    let x1 = store.session("x1").await.unwrap();
    assert_eq!(store.series("s1").await.unwrap().content.place_id, x1.content.place_id, "the series and its sessions share the place");
    assert_eq!(store.places_of(&cowork_store::PlaceOwner::Community("c1".into())).await.unwrap().len(), 2);
}

#[tokio::test]
async fn old_addresses_become_places_on_sqlite() {
    old_addresses_become_places_on("sqlite").await;
}

#[tokio::test]
async fn old_addresses_become_places_on_postgres() {
    old_addresses_become_places_on("postgres").await;
}
