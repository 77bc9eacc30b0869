//! Time zones people can find: legacy names stored under their canonical
//! name, and a zone field that finds a zone by city, country, abbreviation or
//! offset, with JavaScript or without.

use crate::support::{location, SendChecked, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn a_legacy_zone_from_a_browser_or_the_api_is_stored_under_its_canonical_name() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    // What Chromium reports in India, proposed on the profile page and saved.
    let r = ada.post("/settings/profile", &[("display_name", "Ada"), ("time_zone", "Asia/Calcutta")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(server.account("ada@example.org").await.time_zone, "Asia/Kolkata");
    assert!(ada.get_ok("/settings/profile").await.contains("value=\"Asia/Kolkata\""));

    let token = server.token("bo@example.org").await;
    let http = reqwest::Client::new();
    let r = http.patch(server.url("/api/v1/me")).bearer_auth(&token).json(&json!({"time_zone": "Europe/Kiev"})).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["time_zone"], "Europe/Kyiv");
    let r = http.patch(server.url("/api/v1/me")).bearer_auth(&token).json(&json!({"time_zone": "US/Eastern"})).sent().await;
    assert_eq!(r.json::<Value>().await.unwrap()["time_zone"], "America/New_York");
}

#[tokio::test]
async fn the_zone_field_takes_a_city_or_country_and_offers_the_matches_of_anything_wider() {
    let server = Server::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let save = |zone: &'static str, pick: &'static str| {
        let ada = &ada;
        async move { ada.post("/settings/profile", &[("display_name", "Ada"), ("time_zone", zone), ("zone_pick", pick)]).await }
    };
    // One zone meant: simply taken.
    assert_eq!(save("New York", "").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(server.account("ada@example.org").await.time_zone, "America/New_York");
    assert_eq!(save("india", "").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(server.account("ada@example.org").await.time_zone, "Asia/Kolkata");
    // Several: the form comes back with them to choose from, beside the field; nothing saved.
    let r = save("+05:30", "").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-time_zone\"") && html.contains("Time zones matching “+05:30”"), "{html}");
    for zone in ["Asia/Kolkata", "Asia/Colombo"] {
        assert!(html.contains(&format!("name=\"zone_pick\" value=\"{zone}\"")), "{zone} offered");
    }
    let r = save("CET", "").await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"Europe/Berlin\"") && html.contains("type a city to narrow them"),
        "CET: many zones, the first offered: {html}"
    );
    // Choosing one saves it.
    assert_eq!(save("+05:30", "Asia/Colombo").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(server.account("ada@example.org").await.time_zone, "Asia/Colombo");
    // Nothing found: no choices, the message says what to type.
    let html = save("Atlantis", "").await.text().await.unwrap();
    assert!(html.contains("type a city or a country") && !html.contains("zone_pick"));
}

#[tokio::test]
async fn every_form_with_a_zone_field_uses_the_same_search() {
    let server = Server::start().await;
    server.community("owner@example.org", "night-owls", "public", "open").await;
    let owner = server.signed_in("owner@example.org").await;
    let r = owner
        .post(
            "/communities/new",
            &[
                ("slug", "chai-club"),
                ("name", "Chai Club"),
                ("time_zone", "Calcutta"),
                ("visibility", "public"),
                ("join_policy", "open"),
                ("code_of_conduct", cowork_core::community::DEFAULT_CODE_OF_CONDUCT),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a legacy city name finds its zone: {}", r.text().await.unwrap_or_default());
    assert_eq!(server.app().store.community("chai-club").await.unwrap().time_zone, "Asia/Kolkata");

    let start = jiff::Zoned::now().date().tomorrow().unwrap().to_string();
    let series = |zone: &'static str, pick: &'static str| {
        let (owner, start) = (&owner, start.clone());
        async move {
            owner
                .post(
                    "/c/night-owls/series/new",
                    &[
                        ("title", "Late focus"),
                        ("format", "builtin:weekly-coworking"),
                        ("start_date", &start),
                        ("start_time", "22:00"),
                        ("time_zone", zone),
                        ("zone_pick", pick),
                        ("repeat", "none"),
                        ("place", "online"),
                        ("video_url", "https://meet.example.org/owls"),
                    ],
                )
                .await
        }
    };
    let r = series("United States", "").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("name=\"zone_pick\" value=\"America/New_York\"") && html.contains("New York, United States"));
    let r = series("United States", "America/Chicago").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = owner.get_ok(&location(&r)).await;
    assert!(page.contains("America/Chicago"), "the series is in the zone picked");
}

#[tokio::test]
async fn the_zone_search_answers_by_city_country_abbreviation_and_offset_and_odd_text_finds_nothing() {
    let server = Server::start().await;
    let http = reqwest::Client::new();
    let find = |q: String| {
        let (http, url) = (&http, server.url("/api/v1/zones"));
        async move {
            let r = http.get(url).query(&[("q", q)]).sent().await;
            assert_eq!(r.status(), StatusCode::OK, "no token needed");
            r.json::<Value>().await.unwrap()
        }
    };
    let first = |v: &Value| v["matches"][0]["name"].as_str().unwrap_or("").to_string();
    assert_eq!(first(&find("New York".into()).await), "America/New_York");
    assert_eq!(first(&find("India".into()).await), "Asia/Kolkata");
    assert_eq!(first(&find("Asia/Calcutta".into()).await), "Asia/Kolkata");
    let cet = find("CET".into()).await;
    assert!(cet["matches"].as_array().unwrap().iter().any(|m| m["name"] == "Europe/Berlin"));
    let ist = find("+05:30".into()).await;
    let names: Vec<&str> = ist["matches"].as_array().unwrap().iter().filter_map(|m| m["name"].as_str()).collect();
    assert!(names.contains(&"Asia/Kolkata") && names.contains(&"Asia/Colombo"), "{names:?}");
    assert_eq!(ist["matches"][0]["now"], "UTC+05:30, IST");
    for odd in [String::new(), "x".repeat(10_240), "😀🕰️".into(), "'; DROP TABLE accounts; --".into(), "<script>".into()] {
        assert_eq!(find(odd.clone()).await, json!({"matches": [], "total": 0, "certain": false}), "{odd:.20}");
    }
}
