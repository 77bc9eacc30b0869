//! Sign-in limits stop guessing and mail floods without letting a stranger
//! lock the owner of an address out.

use crate::support::{csrf_in, location, Browser, Server};
use reqwest::{Response, StatusCode};

async fn limited_server() -> Server {
    // Behind a proxy, so each request can say which address it comes from.
    Server::start_with(|c| c.trust_proxy = true).await
}

/// Posts a sign-in form from the client address `ip`.
async fn post_from(b: &Browser, ip: &str, path: &str, fields: &[(&str, &str)]) -> Response {
    let html = b.get("/signin").await.text().await.unwrap();
    let token = csrf_in(&html).unwrap();
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    b.http.post(b.url(path)).header("x-forwarded-for", ip).form(&all).send().await.unwrap()
}

async fn owner_with_password(server: &Server) {
    let owner = server.account("owner@example.org").await;
    server.app().set_password(&owner, "correct horse battery", "correct horse battery", "").await.unwrap();
}

#[tokio::test]
async fn wrong_passwords_from_strangers_do_not_stop_the_owner() {
    let server = limited_server().await;
    owner_with_password(&server).await;
    let stranger = server.client();
    for i in 0..60 {
        let ip = format!("198.51.100.{}", i % 30);
        let r = post_from(&stranger, &ip, "/signin/password", &[("email", "owner@example.org"), ("password", "guess")]).await;
        assert!(matches!(r.status(), StatusCode::UNPROCESSABLE_ENTITY | StatusCode::TOO_MANY_REQUESTS), "{}", r.status());
    }
    let owner = server.client();
    let r = post_from(&owner, "203.0.113.9", "/signin/password", &[("email", "owner@example.org"), ("password", "correct horse battery")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the owner's right password still signs in");
    assert!(owner.get_ok("/settings/profile").await.contains("owner@example.org"));
}

#[tokio::test]
async fn guessing_from_one_place_is_still_stopped() {
    let server = limited_server().await;
    owner_with_password(&server).await;
    let guesser = server.client();
    let mut statuses = Vec::new();
    for i in 0..12 {
        let r =
            post_from(&guesser, "198.51.100.7", "/signin/password", &[("email", "owner@example.org"), ("password", &format!("guess {i}"))])
                .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[422; 10], "ten wrong passwords are answered as wrong");
    assert_eq!(&statuses[10..], &[429, 429], "then that place must wait");
    // Even the right password is not tried from there now: guessing it would not tell.
    let r =
        post_from(&guesser, "198.51.100.7", "/signin/password", &[("email", "owner@example.org"), ("password", "correct horse battery")])
            .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many sign-in attempts"));

    // Spread over many accounts, one place still gets 30 tries in 15 minutes.
    let sprayer = server.client();
    let mut refused = 0;
    for i in 0..35 {
        let r = post_from(&sprayer, "198.51.100.8", "/signin/password", &[("email", &format!("p{i}@example.org")), ("password", "guess")])
            .await;
        refused += usize::from(r.status() == StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(refused, 5);

    // An account guessed at from many places gives each place fewer tries.
    for i in 0..20 {
        post_from(&sprayer, &format!("192.0.2.{i}"), "/signin/password", &[("email", "owner@example.org"), ("password", "guess")]).await;
    }
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            let r = post_from(&sprayer, "192.0.2.200", "/signin/password", &[("email", "owner@example.org"), ("password", "guess")]).await;
            v.push(r.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [422, 422, 422, 429]);
}

#[tokio::test]
async fn a_stranger_asking_for_links_cannot_keep_the_owner_from_signing_in() {
    let server = limited_server().await;
    let admin = server.admin().await;
    let stranger = server.client();
    for i in 0..30 {
        let r = post_from(&stranger, &format!("198.51.100.{i}"), "/signin", &[("email", "owner@example.org")]).await;
        assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin/sent"), "request {i} gets the usual answer");
    }
    server.deliver_jobs().await;
    let mails = server.app().store.outbox(Some("owner@example.org"), 100).await.unwrap().len();
    assert_eq!(mails, 5, "the mailbox is not flooded");

    // The owner asks too, and gets in with the link in their mailbox.
    let owner = server.client();
    let r = post_from(&owner, "203.0.113.9", "/signin", &[("email", "owner@example.org")]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin/sent"));
    assert!(owner.get_ok("/signin/sent").await.contains("Any link from the last 15 minutes works"));
    let link = server.link_from_outbox(&admin, "owner@example.org").await;
    owner.follow_sign_in_link(&link).await;
    assert!(owner.get_ok("/settings/profile").await.contains("owner@example.org"));
}
