//! Coworking near me (issue 11): places and in-person sessions found from a
//! town's name, within a radius, nearest first; online-only sessions left
//! out; a home's street and exact position nowhere in the page or the API;
//! unknown towns and bad numbers answered clearly. On both databases.

use crate::support::{location, Browser, SendChecked, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

const SLUG: &str = "leiden-jelly";
/// The home's street and exact position, which only the people going may see.
const SECRETS: [&str; 4] = ["14 Secret Street", "Secret Street", "52.1634", "4.4812"];

fn place(name: &str, kind: &str, address: &str, city: &str, lat: f64, lon: f64) -> Value {
    json!({
        "name": name, "kind": kind, "address": address, "area": "Centrum", "city": city, "country": "nl",
        "lat": lat, "lon": lon, "time_zone": "Europe/Amsterdam", "amenities": ["wifi", "power"], "access": ["step_free"], "seats": 12
    })
}

/// Tomorrow in Leiden.
fn tomorrow() -> String {
    jiff::Zoned::now().in_tz("Europe/Amsterdam").unwrap().date().tomorrow().unwrap().to_string()
}

fn no_secrets(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows {s:?}:\n{text}");
    }
}

/// The links of a page, as a browser reads them.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|h| h[..h.find('"').unwrap()].replace("&amp;", "&").replace("&#x2f;", "/").replace("&#x27;", "'").replace("&quot;", "\""))
        .collect()
}

async fn near_api(http: &reqwest::Client, server: &Server, token: Option<&str>, query: &str) -> (StatusCode, Value) {
    let mut get = http.get(server.url(&format!("/api/v1/near?{query}")));
    if let Some(t) = token {
        get = get.bearer_auth(t);
    }
    let r = get.sent().await;
    (r.status(), r.json().await.unwrap())
}

fn titles(v: &Value, list: &str, key: &str) -> Vec<String> {
    v[list].as_array().unwrap().iter().map(|s| s[key].as_str().unwrap().to_string()).collect()
}

async fn new_series(http: &reqwest::Client, server: &Server, token: &str, body: Value) {
    let r = http.post(server.url(&format!("/api/v1/communities/{SLUG}/series"))).bearer_auth(token).json(&body).sent().await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// A public community meeting in Leiden (a library, and a member's home) and
/// in Amsterdam, plus an online call.
async fn setup(server: &Server) -> (Browser, String) {
    let c = server.community("org@example.org", SLUG, "public", "open").await;
    let http = reqwest::Client::new();
    let org = server.token("org@example.org").await;
    let ada = server.account("ada@example.org").await;
    server.app().store.add_member(&c.id, &ada.id, false, 1).await.unwrap();
    let ada_token = server.token("ada@example.org").await;
    let mut ids = Vec::new();
    for (token, url, body) in [
        (
            &org,
            format!("/api/v1/communities/{SLUG}/places"),
            place("Leiden Central Library", "library", "Nieuwstraat 4", "Leiden", 52.1601, 4.4970),
        ),
        (
            &org,
            format!("/api/v1/communities/{SLUG}/places"),
            place("Amsterdam Public Library", "library", "Oosterdokskade 143", "Amsterdam", 52.3764, 4.9083),
        ),
        (
            &ada_token,
            "/api/v1/me/places".to_string(),
            place("Ada's kitchen table", "home", "14 Secret Street", "Leiden", 52.163456, 4.481234),
        ),
    ] {
        let r = http.post(server.url(&url)).bearer_auth(token).json(&body).sent().await;
        assert_eq!(r.status(), 201);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    let day = |title: &str, place_id: &str| {
        json!({"title": title, "kind": "coworking_day", "format": "builtin:coworking-day", "start_date": tomorrow(), "start_time": "09:00",
               "time_zone": "Europe/Amsterdam", "place": "in_person", "place_id": place_id, "capacity": "20", "language": "en"})
    };
    new_series(&http, server, &org, day("Library coworking day", &ids[0])).await;
    new_series(&http, server, &org, day("Amsterdam coworking day", &ids[1])).await;
    new_series(
        &http,
        server,
        &org,
        json!({"title": "Online write-in", "format": "builtin:weekly-coworking", "start_date": tomorrow(), "start_time": "10:00",
               "time_zone": "Europe/Amsterdam", "place": "online", "video_url": "https://meet.example.org/write", "language": "en"}),
    )
    .await;
    // Ada offers a day at her home through the form; the community wants an organizer's yes.
    let ada_browser = server.signed_in("ada@example.org").await;
    let r = ada_browser
        .post(
            &format!("/c/{SLUG}/series/new"),
            &[
                ("title", "Kitchen table coworking"),
                ("start_date", &tomorrow()),
                ("start_time", "09:30"),
                ("time_zone", "Europe/Amsterdam"),
                ("place", "in_person"),
                ("place_id", &ids[2]),
                ("capacity", "6"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let proposed = location(&r);
    assert!(proposed.contains("notice=proposed"), "{proposed}");
    let series = proposed.split("/series/").nth(1).unwrap().split('?').next().unwrap().to_string();
    let organizer = server.signed_in("org@example.org").await;
    assert_eq!(organizer.post(&format!("/c/{SLUG}/series/{series}/approve"), &[]).await.status(), StatusCode::SEE_OTHER);
    (organizer, ids[2].clone())
}

async fn near_on(backend: &str) {
    let server = Server::start_on(backend).await;
    let (_organizer, _home) = setup(&server).await;
    let http = reqwest::Client::new();
    let anon = server.client();
    // A member who is not going.
    let bob = server.account("bob@example.org").await;
    let c = server.app().store.community(SLUG).await.unwrap();
    server.app().store.add_member(&c.id, &bob.id, false, 1).await.unwrap();
    let (bob_browser, bob_token) = (server.signed_in("bob@example.org").await, server.token("bob@example.org").await);

    // From The Hague, about 15 km away: Leiden's days and library, nearest first; not Amsterdam (53 km), not online.
    for token in [None, Some(bob_token.as_str())] {
        let (status, v) = near_api(&http, &server, token, "q=The%20Hague&radius=25").await;
        assert_eq!(status, 200, "{v}");
        assert_eq!((v["centre"]["name"].as_str(), v["centre"]["country"].as_str()), (Some("The Hague"), Some("NL")));
        assert_eq!(titles(&v, "sessions", "title"), ["Kitchen table coworking", "Library coworking day"], "the home is nearer: {v}");
        assert_eq!(titles(&v, "places", "name"), ["Leiden Central Library"], "homes are found through their days only");
        let home = &v["sessions"][0];
        assert_eq!(
            (home["kind"].as_str(), home["community"]["slug"].as_str(), home["places_left"].as_i64()),
            (Some("coworking_day"), Some(SLUG), Some(6))
        );
        assert_eq!((home["place"]["address"].as_str(), home["place"]["shown"].as_str()), (Some(""), Some("Centrum, Leiden")));
        assert_eq!(home["place"]["coordinates"], json!({"lat": 52.16, "lon": 4.48}));
        let (home_km, library_km) = (home["distance_km"].as_f64().unwrap(), v["sessions"][1]["distance_km"].as_f64().unwrap());
        assert_eq!(home_km.fract(), 0.0, "a home's distance in whole km, from its blurred position");
        assert!((14.0..17.0).contains(&home_km) && (15.0..18.0).contains(&library_km), "{home_km} {library_km}");
        assert_eq!(v["places"][0]["distance_km"].as_f64(), Some(library_km));
        no_secrets("the API", &v.to_string());
    }
    for browser in [&anon, &bob_browser] {
        let page = browser.get_ok("/near?q=The+Hague&radius=25").await;
        let (home, library) = (page.find("Kitchen table coworking").unwrap(), page.find("Library coworking day").unwrap());
        assert!(home < library, "nearest first");
        assert!(page.contains("Leiden Central Library") && page.contains("Within 25 km of The Hague, The Netherlands"), "{page}");
        assert!(!page.contains("Amsterdam Public Library") && !page.contains("Amsterdam coworking day"), "{page}");
        assert!(!page.contains("Online write-in"), "{page}");
        assert!(page.contains("about 15 km") || page.contains("about 16 km") || page.contains("about 14 km"), "{page}");
        no_secrets("the page", &page);
    }

    // Amsterdam's library is 53 km from The Hague, 37 km from Leiden.
    let (_, v) = near_api(&http, &server, None, "q=The%20Hague&radius=50").await;
    assert!(!v.to_string().contains("Amsterdam Public Library"));
    let (_, v) = near_api(&http, &server, None, "q=The%20Hague&radius=100").await;
    assert_eq!(titles(&v, "places", "name"), ["Leiden Central Library", "Amsterdam Public Library"]);
    assert_eq!(titles(&v, "sessions", "title").last().map(String::as_str), Some("Amsterdam coworking day"));
    assert!(!v.to_string().contains("Online write-in"));
    let (_, v) = near_api(&http, &server, None, "q=Leiden,%20NL&radius=50&kind=places").await;
    assert_eq!(titles(&v, "places", "name"), ["Leiden Central Library", "Amsterdam Public Library"]);
    assert_eq!(v["sessions"], json!([]));
    let page = anon.get_ok("/near?q=Leiden&radius=25").await;
    assert!(!page.contains("Amsterdam Public Library") && page.contains("Leiden Central Library"));
    no_secrets("the page", &page);

    // From the browser's location (a point in Leiden): the same, centred there.
    let (_, v) = near_api(&http, &server, None, "lat=52.158&lon=4.49&radius=5").await;
    assert_eq!((v["centre"]["name"].as_str(), v["centre"]["located"].as_bool()), (Some("Leiden"), Some(true)));
    assert_eq!(titles(&v, "sessions", "title").len(), 2);
    no_secrets("the API", &v.to_string());

    // "Hague" is first Haguenau (France); The Hague is offered, and its link finds Leiden.
    let page = anon.get_ok("/near?q=Hague&radius=25").await;
    assert!(page.contains("Within 25 km of Haguenau, France") && !page.contains("Library coworking day"), "{page}");
    let link = hrefs(&page).into_iter().find(|h| h.starts_with("/near?q=The%20Hague")).expect("The Hague offered");
    let page = anon.get_ok(&link).await;
    assert!(page.contains("Within 25 km of The Hague, The Netherlands") && page.contains("Library coworking day"), "{link}: {page}");
    no_secrets("the page", &page);

    // Days: tomorrow's sessions are not on a day long past tomorrow, nor in a span over 62 days.
    let later = jiff::Zoned::now().date().saturating_add(jiff::Span::new().days(20)).to_string();
    let (_, v) = near_api(&http, &server, None, &format!("q=Leiden&from={later}&to={later}")).await;
    assert_eq!(v["sessions"], json!([]));
    let (status, v) = near_api(&http, &server, None, &format!("q=Leiden&to={later}&from=2020-01-01")).await;
    assert_eq!((status.as_u16(), v["error"]["fields"][0]["field"].as_str()), (422, Some("to")));

    // An unknown town: a clear answer, not an error page.
    let r = anon.get("/near?q=Xyzzyville").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("We don&#x27;t know a town called “Xyzzyville”"));
    let (status, v) = near_api(&http, &server, None, "q=Xyzzyville").await;
    assert_eq!(
        (status.as_u16(), v["error"]["code"].as_str(), v["error"]["fields"][0]["field"].as_str()),
        (422, Some("invalid"), Some("q"))
    );
    assert!(v["error"]["fields"][0]["message"].as_str().unwrap().contains("We don't know a town called “Xyzzyville”"));
    let (status, _) = near_api(&http, &server, None, "").await;
    assert_eq!(status, 422, "nothing to search around");

    // Radius and position out of range: refused with a field message.
    for radius in ["0", "10000", "far"] {
        let r = anon.get(&format!("/near?q=Leiden&radius={radius}")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Choose a distance from 1 to 200 km."));
        let (status, v) = near_api(&http, &server, None, &format!("q=Leiden&radius={radius}")).await;
        assert_eq!((status.as_u16(), v["error"]["fields"][0]["field"].as_str()), (422, Some("radius")));
    }
    let (status, v) = near_api(&http, &server, None, "lat=95&lon=4").await;
    assert_eq!((status.as_u16(), v["error"]["fields"][0]["field"].as_str()), (422, Some("lat")));
    let (status, v) = near_api(&http, &server, None, "q=Leiden&kind=castles").await;
    assert_eq!((status.as_u16(), v["error"]["fields"][0]["field"].as_str()), (422, Some("kind")));
    assert_eq!(anon.get("/near").await.status(), StatusCode::OK, "the form alone");

    // The directory says where the community meets.
    let directory = anon.get_ok("/communities").await;
    assert!(directory.contains("Meets in Amsterdam, Leiden"), "{directory}");
    no_secrets("the directory", &directory);
}

#[tokio::test]
async fn near_finds_places_and_sessions_by_town_on_sqlite() {
    near_on("sqlite").await;
}

#[tokio::test]
async fn near_finds_places_and_sessions_by_town_on_postgres() {
    near_on("postgres").await;
}

/// The map: tiles allowed by the page's policy only where they are shown, and no map without tiles.
#[tokio::test]
async fn near_allows_its_map_tiles_and_works_without_them() {
    let server = Server::start().await;
    setup(&server).await;
    let r = server.client().get("/near?q=Leiden").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("img-src 'self' data: https://tile.openstreetmap.org;") && csp.contains("script-src 'self';"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(page.contains("data-near-map") && page.contains("© OpenStreetMap contributors"));
    assert!(page.contains("data-lat=\"52.16\" data-lon=\"4.48\""), "the home's marker at its blurred position");
    no_secrets("the map", &page);
    let r = server.client().get("/communities").await;
    assert!(
        r.headers()["content-security-policy"].to_str().unwrap().contains("img-src 'self' data:;"),
        "other pages keep the strict policy"
    );

    let plain = Server::start_with(|c| c.map_tiles = String::new()).await;
    setup(&plain).await;
    let r = plain.client().get("/near?q=Leiden").await;
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("img-src 'self' data:;"));
    let page = r.text().await.unwrap();
    assert!(!page.contains("data-near-map") && page.contains("Library coworking day"));
}
