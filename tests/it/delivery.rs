//! How pages travel: compressed when the browser asks, static files under names
//! that change with their content, and nothing personal left in a cache.

use crate::support::{SendChecked, Server};
use reqwest::StatusCode;
use std::io::Read;

fn gunzip(bytes: &[u8]) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut s).expect("a valid gzip stream");
    s
}

fn unbrotli(bytes: &[u8]) -> String {
    let mut s = String::new();
    brotli::Decompressor::new(bytes, 4096).read_to_string(&mut s).expect("a valid brotli stream");
    s
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get_all(name).iter().map(|v| v.to_str().unwrap()).collect::<Vec<_>>().join(", ")
}

/// The `/static/...` URLs a page links.
fn static_links(html: &str) -> Vec<String> {
    html.split("\"/static/").skip(1).map(|rest| format!("/static/{}", &rest[..rest.find('"').unwrap()])).collect()
}

#[tokio::test]
async fn pages_styles_scripts_and_json_are_compressed_for_browsers_that_ask() {
    let server = Server::start().await;
    server.community("ada@example.org", "gzip-club", "public", "open").await;
    let http = reqwest::Client::new();
    let page = server.client().get_ok("/communities").await;
    // The upcoming page twice: rendered, then shared with the next anonymous visitor.
    let mut paths: Vec<String> =
        ["/communities", "/upcoming", "/upcoming", "/api/v1/communities", "/api/v1/openapi.json"].map(String::from).to_vec();
    paths.extend(static_links(&page).into_iter().filter(|p| !p.ends_with(".svg")));
    assert!(paths.iter().any(|p| p.ends_with(".css")) && paths.iter().any(|p| p.ends_with(".js")), "{paths:?}");
    for path in &paths {
        let plain = http.get(server.url(path)).sent().await;
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        assert!(plain.headers().get("content-encoding").is_none(), "{path} is plain for a client that did not ask");
        let plain = plain.bytes().await.unwrap();

        for (asked, coding) in [("gzip, deflate", "gzip"), ("gzip, deflate, br, zstd", "br")] {
            let r = http.get(server.url(path)).header("accept-encoding", asked).sent().await;
            assert_eq!(header(&r, "content-encoding"), coding, "{path}");
            assert_eq!(header(&r, "vary").to_ascii_lowercase(), "accept-encoding", "{path}");
            let packed = r.bytes().await.unwrap();
            assert!(packed.len() < plain.len(), "{path}: {} bytes as {coding} of {}", packed.len(), plain.len());
            let unpacked = if coding == "br" { unbrotli(&packed) } else { gunzip(&packed) };
            assert_eq!(unpacked.as_bytes(), &plain[..], "{path} is the same once unpacked");
        }
    }

    // A client that refuses gzip gets the plain page.
    let r = http.get(server.url("/communities")).header("accept-encoding", "gzip;q=0, identity").sent().await;
    assert!(r.headers().get("content-encoding").is_none());

    // Calendar feeds come gzipped already and are not compressed twice.
    let r = http.get(server.url("/c/gzip-club/calendar.ics")).header("accept-encoding", "gzip").sent().await;
    assert_eq!(header(&r, "content-encoding"), "gzip");
    assert!(gunzip(&r.bytes().await.unwrap()).starts_with("BEGIN:VCALENDAR"));
}

#[tokio::test]
async fn static_files_are_named_by_their_content_and_cached_for_a_year() {
    let server = Server::start().await;
    let http = reqwest::Client::new();
    let home = server.client().get_ok("/").await;
    let links = static_links(&home);
    let css = links.iter().find(|l| l.ends_with(".css")).expect("the page links its style sheet");
    assert!(css.starts_with("/static/app.") && css != "/static/app.css", "{css}");

    let r = http.get(server.url(css)).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header(&r, "content-type"), "text/css; charset=utf-8");
    assert!(r.headers().get("content-security-policy").is_some());
    let body = r.text().await.unwrap();

    // Old pages and bookmarks name the plain file: it still answers, briefly cached and revalidated.
    let r = http.get(server.url("/static/app.css")).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "cache-control"), "public, max-age=300");
    let etag = header(&r, "etag");
    assert!(!etag.is_empty());
    assert_eq!(r.text().await.unwrap(), body);
    let r = http.get(server.url("/static/app.css")).header("if-none-match", &etag).sent().await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // A name from another release gets today's file, but not for a year.
    let r = http.get(server.url("/static/app.0123456789.css")).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "cache-control"), "public, max-age=300");
    assert_eq!(http.get(server.url("/static/nothing.css")).sent().await.status(), StatusCode::NOT_FOUND);

    // The room page links its script the same way.
    let session = server.live_session("ada@example.org", "hashed-room", "builtin:weekly-coworking", 60).await;
    let ada = server.signed_in("ada@example.org").await;
    let room = ada.get_ok(&format!("/s/{}/room", session.id)).await;
    let js = static_links(&room).into_iter().find(|l| l.starts_with("/static/room.")).expect("the room links its script");
    let r = http.get(server.url(&js)).sent().await;
    assert_eq!(header(&r, "cache-control"), "public, max-age=31536000, immutable");
    assert!(header(&r, "content-type").starts_with("text/javascript"));
}

#[tokio::test]
async fn what_a_signed_in_person_sees_is_never_stored_by_a_cache() {
    let server = Server::start().await;
    server.community("ada@example.org", "private-eyes", "public", "open").await;
    let anonymous = server.client();
    for path in ["/", "/upcoming", "/communities", "/c/private-eyes"] {
        let r = anonymous.get(path).await;
        assert!(!header(&r, "cache-control").contains("no-store"), "{path} for anonymous visitors may be cached");
    }
    let ada = server.signed_in("ada@example.org").await;
    for path in ["/", "/upcoming", "/communities", "/c/private-eyes", "/settings/profile", "/me/schedule", "/c/private-eyes/calendar.ics"] {
        let r = ada.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "cache-control"), "private, no-store", "{path}");
    }
    let token = server.token("ada@example.org").await;
    let r = reqwest::Client::new().get(server.url("/api/v1/me")).bearer_auth(&token).sent().await;
    assert_eq!(header(&r, "cache-control"), "private, no-store");

    // Style sheets and scripts are the same for everyone, signed in or not.
    let css = static_links(&ada.get_ok("/").await).into_iter().find(|l| l.ends_with(".css")).unwrap();
    assert_eq!(header(&ada.get(&css).await, "cache-control"), "public, max-age=31536000, immutable");
}
