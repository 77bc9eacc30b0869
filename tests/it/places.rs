//! Places over the API (issue 11): a community's and a space operator's own;
//! every field checked with a clear 422 and nothing written; a home's street
//! address and exact position only for the people who keep it.

use crate::support::{SendChecked, Server};
use serde_json::{json, Value};

fn elm_road() -> Value {
    json!({
        "name": "Elm Road", "kind": "home", "address": "14 Elm Road", "area": "Jericho",
        "city": "Oxford", "country": "gb", "lat": 51.754321, "lon": -1.257912,
        "time_zone": "Europe/London", "amenities": ["wifi", "coffee"], "seats": 6
    })
}

async fn places_on(backend: &str) {
    let server = Server::start_on(backend).await;
    let c = server.community("org@example.org", "jelly", "public", "open").await;
    let member = server.account("member@example.org").await;
    server.app().store.add_member(&c.id, &member.id, false, 1).await.unwrap();
    let (org, mem) = (server.token("org@example.org").await, server.token("member@example.org").await);
    let http = reqwest::Client::new();

    // Bad input: every problem named, nothing written.
    let bad = json!({"name": "", "kind": "castle", "city": "Oxford", "country": "XX", "lat": 91.0, "lon": 0.0,
                     "time_zone": "Mars/Olympus", "seats": 20000});
    let r = http.post(server.url("/api/v1/communities/jelly/places")).bearer_auth(&org).json(&bad).sent().await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for f in ["name", "kind", "country", "lat", "time_zone", "seats"] {
        assert!(fields.contains(&f), "{f} named: {body}");
    }
    let r = http.post(server.url("/api/v1/communities/jelly/places")).bearer_auth(&mem).json(&elm_road()).sent().await;
    assert_eq!(r.status(), 403, "members don't keep the community's places");
    let listed: Value = http.get(server.url("/api/v1/communities/jelly/places")).sent().await.json().await.unwrap();
    assert_eq!(listed["items"], json!([]), "nothing was written");

    // An organizer adds a home: they see everything.
    let r = http.post(server.url("/api/v1/communities/jelly/places")).bearer_auth(&org).json(&elm_road()).sent().await;
    assert_eq!(r.status(), 201);
    let home: Value = r.json().await.unwrap();
    assert_eq!(
        (home["address"].as_str(), home["country"].as_str(), home["coordinates"]["lat"].as_f64()),
        (Some("14 Elm Road"), Some("GB"), Some(51.754321))
    );
    let id = home["id"].as_str().unwrap();

    // Anyone else (a visitor, a member): the neighbourhood and city, a blurred position, no street.
    for token in [None, Some(&mem)] {
        let mut get = http.get(server.url(&format!("/api/v1/places/{id}")));
        if let Some(t) = token {
            get = get.bearer_auth(t);
        }
        let seen: Value = get.sent().await.json().await.unwrap();
        assert_eq!(
            (seen["address"].as_str(), seen["shown"].as_str(), seen["address_private"].as_bool()),
            (Some(""), Some("Jericho, Oxford"), Some(true))
        );
        assert_eq!(seen["coordinates"], json!({"lat": 51.75, "lon": -1.26}));
        assert!(!seen.to_string().contains("14 Elm Road") && !seen.to_string().contains("51.754321"), "{seen}");
        let listed: Value = http.get(server.url("/api/v1/communities/jelly/places")).sent().await.json().await.unwrap();
        assert!(!listed.to_string().contains("14 Elm Road"), "{listed}");
    }

    // A space operator's own coworking space, with opening hours; only they change it.
    let mut space = elm_road();
    space["name"] = json!("Nomads");
    space["kind"] = json!("coworking_space");
    space["opening_hours"] = json!(["08:30-18:00", "08:30-18:00", "08:30-18:00", "08:30-18:00", "08:30-17:00", "", ""]);
    let r = http.post(server.url("/api/v1/me/places")).bearer_auth(&mem).json(&space).sent().await;
    assert_eq!(r.status(), 201);
    let mine: Value = r.json().await.unwrap();
    assert_eq!(mine["opening_hours"][4], json!([{"opens": "08:30", "closes": "17:00"}]));
    assert_eq!(mine["opening_hours"][5], json!([]));
    let url = server.url(&format!("/api/v1/places/{}", mine["id"].as_str().unwrap()));
    space["opening_hours"][0] = json!("18:00-09:00");
    let r = http.put(&url).bearer_auth(&mem).json(&space).sent().await;
    assert_eq!(r.status(), 422, "hours that end before they start");
    space["opening_hours"][0] = json!("09:00-17:00");
    assert_eq!(http.put(&url).bearer_auth(&org).json(&space).sent().await.status(), 403, "not theirs");
    let saved: Value = http.put(&url).bearer_auth(&mem).json(&space).sent().await.json().await.unwrap();
    assert_eq!(saved["opening_hours"][0], json!([{"opens": "09:00", "closes": "17:00"}]));
}

#[tokio::test]
async fn places_over_the_api_on_sqlite() {
    places_on("sqlite").await;
}

#[tokio::test]
async fn places_over_the_api_on_postgres() {
    places_on("postgres").await;
}
